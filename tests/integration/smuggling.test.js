// Request smuggling and strict parsing, over raw sockets.  Each request of
// the corpus goes to gatehouse (skip_auth_routes = ["^/"]) in front of an
// echo upstream that records every byte it receives.  A refused request
// gets its status (400, 414 or 431 as the HTTP engine issue says), then
// the connection closes, and the upstream never receives a request for
// /smuggled, nor its bytes at all.
//
// Where the corpus says `safe`, the RFC lets a server either accept or
// refuse; then either a 400 with a close, or a 200 whose body arrived
// exactly as framed, passes — smuggling never does.
//
// Transfer-Encoding: only exactly "chunked" is accepted (case aside);
// "identity, chunked", "chunked, chunked" and every list are refused
// with 400, though RFC 9112 would allow some lists ending in chunked.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Gatehouse, ensureUsers, sleep } from './lib/gatehouse.js';
import { startUpstream, rawExchange, parseResponses, sha256 } from './lib/upstream.js';

const LIMITS = { max_uri_length: 2048, max_header_bytes: 8192, max_headers: 50 };
const SMUGGLE = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';

let up;
let gh;
let workerPids;

before(async () => {
  ensureUsers();
  up = await startUpstream({ name: 'recorder', record: true });
  gh = new Gatehouse({ config: { workers: 1, upstreams: [`${up.url}/`], skip_auth_routes: ['^/'], ...LIMITS } });
  await gh.start({ waitReady: false });
  const end = Date.now() + 15000;
  for (;;) {
    if (gh.proc.exitCode !== null || gh.proc.signalCode !== null) throw new Error(`gatehouse exited\n${gh.log}`);
    const x = await rawExchange(gh.port, 'GET /ready HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { timeout: 1000 });
    if (parseResponses(x.data)[0]?.status === 200) break;
    if (Date.now() > end) throw new Error(`gatehouse not ready\n${gh.log}`);
    await sleep(50);
  }
  workerPids = gh.childrenNamed('gatehouse-proxy').map((c) => c.pid).sort();
});
after(async () => { await gh?.stop(); await up?.stop(); });

// A POST with these header lines and body.
const post = (headers, body = '') => `POST / HTTP/1.1\r\nHost: a\r\n${headers}\r\n${body}`;
const hex = (s) => Buffer.byteLength(s).toString(16);

// What reached the upstream since the last reset.
async function exchange(bytes, timeout = 3000) {
  up.reset();
  const x = await rawExchange(gh.port, bytes, { timeout });
  await sleep(150);
  return {
    ...x,
    responses: parseResponses(x.data).filter((r) => r.status === 0 || r.status >= 200),
    raw: up.rawText(),
    requests: [...up.requests],
  };
}

function neverSmuggled(x) {
  assert.ok(!x.requests.some((r) => r.url.includes('smuggled')),
    `the upstream parsed a request for /smuggled: ${JSON.stringify(x.requests)}`);
  assert.ok(x.requests.length <= 1, `the upstream got ${x.requests.length} requests`);
}

function refused(x, want) {
  const statuses = x.responses.map((r) => r.status);
  assert.ok(x.responses.length >= 1, `no answer: ${JSON.stringify(x.data.toString('latin1'))}`);
  assert.equal(x.responses[0].status, want, `answered ${statuses}: ${x.data.toString('latin1').slice(0, 200)}`);
  assert.equal(x.responses.length, 1, `more than one answer: ${statuses}`);
  assert.ok(x.closed, 'the connection stays open after a refused request');
  assert.ok(!x.raw.includes('smuggled'), `smuggled bytes reached the upstream:\n${x.raw}`);
  neverSmuggled(x);
}

function accepted(x, body) {
  assert.equal(x.responses[0]?.status, 200, x.data.toString('latin1').slice(0, 300));
  const e = JSON.parse(x.responses[0].text);
  assert.equal(e.bodyLength, Buffer.byteLength(body));
  assert.equal(e.bodySha256, sha256(body));
  neverSmuggled(x);
  // Whatever the client's line endings, the upstream gets CRLF only.
  const head = x.raw.slice(0, x.raw.indexOf('\r\n\r\n') + 4);
  assert.doesNotMatch(head, /[^\r]\n/, `a bare LF reached the upstream:\n${JSON.stringify(head)}`);
}

// `safe`: a refusal, or an acceptance that framed the body as `body`.
function safe(x, body) {
  if (x.responses[0]?.status === 200) accepted(x, body);
  else if (x.responses.length > 0) refused(x, 400);
  else neverSmuggled(x); // still waiting for a body that never comes
}

const TE_BAD = ['xchunked', 'chunkedx', 'chunked, identity', 'identity, chunked', 'chunked, chunked',
  'identity', 'chunked;q=1', '"chunked"', '\x0bchunked', 'chunk ed'];
const TE_OWS = ['\tchunked', '  chunked  ', 'chunked\t'];

const corpus = [
  // CL.TE and TE.CL
  ['CL.TE', post('Content-Length: 6\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  ['TE.CL', post('Transfer-Encoding: chunked\r\nContent-Length: 4\r\n', `${hex(SMUGGLE)}\r\n${SMUGGLE}\r\n0\r\n\r\n`), 400],
  ['CL.TE, Content-Length: 0', post('Content-Length: 0\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  // TE.TE: obfuscated Transfer-Encoding, with and without Content-Length
  ...TE_BAD.flatMap((v) => [
    [`TE ${JSON.stringify(v)} alone`, post(`Transfer-Encoding: ${v}\r\n`, `0\r\n\r\n${SMUGGLE}`), 400],
    [`TE ${JSON.stringify(v)} with CL`, post(`Content-Length: 5\r\nTransfer-Encoding: ${v}\r\n`, `0\r\n\r\n${SMUGGLE}`), 400],
  ]),
  ...TE_OWS.map((v) => [`TE ${JSON.stringify(v)} (OWS) with CL`,
    post(`Content-Length: 5\r\nTransfer-Encoding:${v}\r\n`, `0\r\n\r\n${SMUGGLE}`), 400]),
  ...TE_OWS.map((v) => [`TE ${JSON.stringify(v)} (OWS) alone`,
    post(`Transfer-Encoding:${v}\r\nConnection: close\r\n`, '5\r\nhello\r\n0\r\n\r\n'), 'safe', 'hello']),
  ['TE "CHUNKED" (case)', post('Transfer-Encoding: CHUNKED\r\nConnection: close\r\n', '5\r\nhello\r\n0\r\n\r\n'), 'safe', 'hello'],
  ['duplicate TE: chunked twice', post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  ['duplicate TE: chunked then x', post('Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  ['duplicate TE: x then chunked', post('Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  ['TE with a space before the colon', post('Transfer-Encoding : chunked\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  ['TE with a space before the colon, with CL', post('Content-Length: 5\r\nTransfer-Encoding : chunked\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  ['TE as an obs-fold continuation', post('X-Foo: bar\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  ['TE value on an obs-fold line', post('Transfer-Encoding:\r\n chunked\r\n', `0\r\n\r\n${SMUGGLE}`), 400],
  ['TE in HTTP/1.0', `POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLE}`, 400],
  // Transfer_Encoding is another header: CL frames the body; an upstream
  // that folds "_" into "-" must not see TE and CL (safe either way).
  ['Transfer_Encoding with CL', post(`Transfer_Encoding: chunked\r\nContent-Length: ${Buffer.byteLength(`0\r\n\r\n${SMUGGLE}`)}\r\nConnection: close\r\n`, `0\r\n\r\n${SMUGGLE}`), 'safe', `0\r\n\r\n${SMUGGLE}`],

  // Content-Length
  ['duplicate CL, same value', post('Content-Length: 5\r\nContent-Length: 5\r\n', `hello${SMUGGLE}`), 400],
  ['duplicate CL, different values', post('Content-Length: 0\r\nContent-Length: 41\r\n', SMUGGLE), 400],
  ['CL list "5, 5"', post('Content-Length: 5, 5\r\n', `hello${SMUGGLE}`), 400],
  ['CL "+5"', post('Content-Length: +5\r\n', `hello${SMUGGLE}`), 400],
  ['CL "-5"', post('Content-Length: -5\r\n', `hello${SMUGGLE}`), 400],
  ['CL "5 5"', post('Content-Length: 5 5\r\n', `hello${SMUGGLE}`), 400],
  ['CL "0x5"', post('Content-Length: 0x5\r\n', `hello${SMUGGLE}`), 400],
  ['CL "5a"', post('Content-Length: 5a\r\n', `hello${SMUGGLE}`), 400],
  ['CL empty', post('Content-Length: \r\n', `hello${SMUGGLE}`), 400],
  ['CL over 2^64', post('Content-Length: 18446744073709551621\r\n', `hello${SMUGGLE}`), 400],
  ['CL with a space before the colon', post('Content-Length : 5\r\n', `hello${SMUGGLE}`), 400],

  // Line endings
  ['bare LF line endings', 'GET /lf HTTP/1.1\nHost: a\nConnection: close\n\n', 'safe', ''],
  ['bare CR inside the head', 'GET /cr HTTP/1.1\r\nHost: a\rX-Foo: b\r\nConnection: close\r\n\r\n', 400],
  ['bare LF after a chunk size', post('Transfer-Encoding: chunked\r\n', `5\nhello\r\n0\r\n\r\n${SMUGGLE}`), 400],
  ['chunk data not followed by CRLF', post('Transfer-Encoding: chunked\r\n', `5\r\nhelloXX0\r\n\r\n${SMUGGLE}`), 400],

  // Chunk extensions
  ['chunk extension', post('Transfer-Encoding: chunked\r\nConnection: close\r\n', '5;name=value\r\nhello\r\n0\r\n\r\n'), 'ok', 'hello'],
  ['chunk extension, quoted string', post('Transfer-Encoding: chunked\r\nConnection: close\r\n', '5;a="b;c"\r\nhello\r\n0\r\n\r\n'), 'safe', 'hello'],
  ['chunk extension, 64 KiB long', post('Transfer-Encoding: chunked\r\nConnection: close\r\n', `5;${'a'.repeat(65536)}\r\nhello\r\n0\r\n\r\n`), 'safe', 'hello'],
  ['chunk extension with a bare LF', post('Transfer-Encoding: chunked\r\n', `5;a=b\n${SMUGGLE}\r\nhello\r\n0\r\n\r\n`), 400],
  ['chunk extension with a bare CR', post('Transfer-Encoding: chunked\r\n', `5;a=\rb\r\nhello\r\n0\r\n\r\n${SMUGGLE}`), 400],

  // Chunk sizes
  ['chunk size 2^64 (wraps to 0)', post('Transfer-Encoding: chunked\r\n', `10000000000000000\r\n${SMUGGLE}\r\n0\r\n\r\n`), 400],
  ['chunk size of 17 hex digits', post('Transfer-Encoding: chunked\r\n', `FFFFFFFFFFFFFFFFF\r\n${SMUGGLE}\r\n0\r\n\r\n`), 400],
  ['chunk size 2^63', post('Transfer-Encoding: chunked\r\n', `8000000000000000\r\n${SMUGGLE}\r\n`), 'safe', null],
  ['chunk size 2^64-1', post('Transfer-Encoding: chunked\r\n', `FFFFFFFFFFFFFFFF\r\n${SMUGGLE}\r\n`), 'safe', null],
  ['chunk size with a leading space', post('Transfer-Encoding: chunked\r\n', ` 5\r\nhello\r\n0\r\n\r\n${SMUGGLE}`), 400],
  ['chunk size "0x5"', post('Transfer-Encoding: chunked\r\n', `0x5\r\nhello\r\n0\r\n\r\n${SMUGGLE}`), 400],
  ['chunk size "5g"', post('Transfer-Encoding: chunked\r\n', `5g\r\nhello\r\n0\r\n\r\n${SMUGGLE}`), 400],
  ['chunk size "+5"', post('Transfer-Encoding: chunked\r\n', `+5\r\nhello\r\n0\r\n\r\n${SMUGGLE}`), 400],
  ['chunk size "-1"', post('Transfer-Encoding: chunked\r\n', `-1\r\nhello\r\n0\r\n\r\n${SMUGGLE}`), 400],
  ['chunk size empty', post('Transfer-Encoding: chunked\r\n', `\r\nhello\r\n0\r\n\r\n${SMUGGLE}`), 400],
  ['chunk size with trailing space', post('Transfer-Encoding: chunked\r\nConnection: close\r\n', '5 \r\nhello\r\n0\r\n\r\n'), 'safe', 'hello'],

  // Header names and values
  ['space inside a header name', post('X Foo: bar\r\n'), 400],
  ['header line starting with a space (first)', `GET / HTTP/1.1\r\n Host: a\r\n\r\n${SMUGGLE}`, 400],
  ['empty header name', post(': value\r\n'), 400],
  ['header name with "("', post('X(Foo): bar\r\n'), 400],
  ['obs-fold', post('X-Foo: a\r\n b\r\n'), 400],
  ['obs-fold with a tab', post('X-Foo: a\r\n\tb\r\n'), 400],
  ['NUL in a header value', post('X-Foo: a\0b\r\n'), 400],
  ['CR in a header value', post('X-Foo: a\rb\r\n'), 400],
  ['two Host headers', `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${SMUGGLE}`, 400],
  ['no Host in HTTP/1.1', `GET / HTTP/1.1\r\nX-Foo: a\r\n\r\n${SMUGGLE}`, 400],

  // Request lines and targets
  ['HTTP/0.9 request line', `GET /\r\n\r\n${SMUGGLE}`, 400],
  ['absolute-form with another host', `GET http://evil.example/smuggled HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLE}`, 400],
  ['authority-form CONNECT', `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n${SMUGGLE}`, 400],
  ['authority-form GET', `GET evil.example:443 HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLE}`, 400],

  // Limits: max_uri_length 2048, max_header_bytes 8192, max_headers 50
  ['URI over max_uri_length', `GET /${'a'.repeat(3000)} HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLE}`, 414],
  ['header block over max_header_bytes', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n${SMUGGLE}`, 431],
  ['header block over max_header_bytes in many headers',
    `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'v'.repeat(250)}\r\n`).join('')}\r\n${SMUGGLE}`, 431],
  ['more than max_headers headers',
    `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 60 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n${SMUGGLE}`, 431],
  // ... and within the limits, a request goes through.
  ['a URI and header count within the limits',
    `POST /${'a'.repeat(1500)} HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 40 }, (_, i) => `X-H${i}: v\r\n`).join('')}Content-Length: 5\r\nConnection: close\r\n\r\nhello`, 'ok', 'hello'],
];

for (const [name, bytes, want, body] of corpus) {
  test(`${name}: ${typeof want === 'number' ? want : want === 'ok' ? 'accepted' : 'safe'}`, async () => {
    const x = await exchange(bytes, want === 'safe' ? 1500 : 3000);
    if (want === 'ok') accepted(x, body);
    else if (want === 'safe') {
      if (body === null) { // a body that never ends: no answer but 400
        if (x.responses.length > 0) refused(x, 400);
        neverSmuggled(x);
      } else safe(x, body);
    } else refused(x, want);
  });
}

test('three pipelined GETs get three answers in order', async () => {
  const x = await exchange('GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\n\r\n'
    + 'GET /p3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.deepEqual(x.responses.map((r) => r.status), [200, 200, 200]);
  assert.deepEqual(x.responses.map((r) => JSON.parse(r.text).url), ['/p1', '/p2', '/p3']);
  assert.ok(x.closed);
});

test('pipelined requests with bodies in between, sent byte by byte', async () => {
  const text = 'GET /q1 HTTP/1.1\r\nHost: a\r\n\r\n'
    + 'POST /q2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
    + 'PUT /q3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'
    + 'GET /q4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
  up.reset();
  const chunks = [...Buffer.from(text)].map((b) => Buffer.from([b]));
  const xs = await rawExchange(gh.port, chunks, { timeout: 10000 });
  const rs = parseResponses(xs.data);
  assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200]);
  const es = rs.map((r) => JSON.parse(r.text));
  assert.deepEqual(es.map((e) => [e.method, e.url, e.bodyLength]), [
    ['GET', '/q1', 0], ['POST', '/q2', 5], ['PUT', '/q3', 3], ['GET', '/q4', 0]]);
});

test('after the whole corpus, the same worker still serves', async () => {
  const x = await exchange('GET /still-here HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.equal(x.responses[0]?.status, 200);
  assert.equal(JSON.parse(x.responses[0].text).url, '/still-here');
  const now = gh.childrenNamed('gatehouse-proxy').map((c) => c.pid).sort();
  assert.deepEqual(now, workerPids, 'a worker died and was replaced');
  assert.doesNotMatch(gh.log, /sandbox_violation|child_exit role="gatehouse-proxy"/);
});
