// The reverse proxy: routing, header rules, identity-header stripping,
// bodies and streams with bounded memory, keep-alive to upstreams,
// websockets, server-sent events, timeouts, file:// and static://
// upstreams, TLS on both sides, unix listeners, the sign-in default, and the
// request log.  Each describe block starts its own gatehouse (it starts in
// a few ms) and its own upstreams (lib/upstream.js), all on 127.0.0.1.
import test, { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import crypto from 'node:crypto';
import path from 'node:path';
import { once } from 'node:events';
import {
  mkdirSync, writeFileSync, readFileSync, symlinkSync, chmodSync, rmSync, mkdtempSync,
} from 'node:fs';
import os from 'node:os';
import WebSocket from 'ws';
import { Gatehouse, ensureUsers, freePort, sleep, until } from './lib/gatehouse.js';
import { selfSigned, makeCa } from './lib/certs.js';
import {
  startUpstream, rawRequest, rawExchange, parseResponses, headerValues,
  streamBlock, streamSha256, sha256, BLOCK,
} from './lib/upstream.js';

// The bound on a proxy worker's resident memory while 1 GiB goes through
// it either way.  The worker itself is ~10 MiB; a connection's buffers
// are capped at a few hundred KiB each way; 64 MiB leaves room for the
// allocator and TLS/regex state, yet is 1/16 of the body, so buffering
// even a small part of a stream fails.
const RSS_BOUND = 64 * 1024 * 1024;
const GiB = 1024 * 1024 * 1024;

// --- helpers ------------------------------------------------------------

// Starts gatehouse with `config` over the test defaults (one worker) and
// waits until ready() says yes, failing at once if it exits.
async function startGh(config, { ready } = {}) {
  const gh = new Gatehouse({ config: { workers: 1, ...config } });
  await gh.start({ waitReady: false });
  ready ??= async () => (await get(gh.port, '/ready', { timeout: 1000 })).status === 200;
  const end = Date.now() + 15000;
  let last;
  while (Date.now() < end) {
    if (gh.proc.exitCode !== null || gh.proc.signalCode !== null) {
      await gh.stop();
      throw new Error(`gatehouse exited before it was ready\n--- log ---\n${gh.log}`);
    }
    try { if (await ready(gh)) return gh; } catch (e) { last = e; }
    await sleep(50);
  }
  await gh.stop();
  throw new Error(`gatehouse not ready in 15 s (${last})\n--- log ---\n${gh.log}`);
}

// One request with node's client.  target: a port or { port | socketPath,
// https, ca, servername }.  Returns status, headers, raw headers, body.
function get(target, pathname, { method = 'GET', headers = {}, body, timeout = 5000, agent = false } = {}) {
  const t = typeof target === 'number' ? { port: target } : target;
  const mod = t.https ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: '127.0.0.1', port: t.port, socketPath: t.socketPath, path: pathname, method, headers, agent, timeout,
      ...(t.https ? { ca: t.ca, rejectUnauthorized: !!t.ca, servername: t.servername ?? 'localhost' } : {}),
    }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: buf,
          text: buf.toString(),
          json: () => JSON.parse(buf.toString()),
          socket: res.socket,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${pathname}`)));
    req.on('error', reject);
    req.end(body);
  });
}

// The echo of a request that went through, asserting it did.
async function echo(target, pathname, opts) {
  const r = await get(target, pathname, opts);
  assert.equal(r.status, 200, `${pathname}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json();
}

const names = (e) => e.headers.map(([n]) => n.toLowerCase());

// Samples the VmRSS of the gatehouse-proxy children every 100 ms; stop()
// returns the highest sample and the highest VmHWM, in bytes.
function rssSampler(gh) {
  const pids = gh.childrenNamed('gatehouse-proxy').map((c) => c.pid);
  const field = (pid, k) => {
    try {
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${k}:\\s*(\\d+) kB`, 'm'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch { return 0; }
  };
  let maxRss = 0;
  let result;
  const sample = () => { for (const p of pids) maxRss = Math.max(maxRss, field(p, 'VmRSS')); };
  sample();
  const timer = setInterval(sample, 100);
  return {
    pids,
    // Idempotent: call it in a finally, then read the result.
    stop() {
      if (!result) {
        clearInterval(timer);
        sample();
        result = { maxRss, hwm: Math.max(0, ...pids.map((p) => field(p, 'VmHWM'))) };
      }
      return result;
    },
  };
}

// Resolves as p does, or rejects after ms; leaves no timer behind.
function within(p, ms, what) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// A sanitizer build keeps freed memory in quarantine: RSS means nothing.
function sanitized(pid) {
  try { return /lib(asan|ubsan|tsan)/.test(readFileSync(`/proc/${pid}/maps`, 'utf8')); } catch { return false; }
}

function checkRss(t, gh, sampler, what) {
  const { maxRss, hwm } = sampler.stop();
  const mib = (n) => (n / 1048576).toFixed(1);
  t.diagnostic(`${what}: worker peak VmRSS ${mib(maxRss)} MiB, VmHWM ${mib(hwm)} MiB (bound ${mib(RSS_BOUND)} MiB)`);
  if (sampler.pids.some(sanitized)) {
    t.diagnostic('sanitizer build: the RSS bound is not checked');
    return;
  }
  assert.ok(sampler.pids.length > 0, 'a proxy worker to measure');
  assert.ok(maxRss < RSS_BOUND && hwm < RSS_BOUND,
    `${what}: worker RSS ${mib(Math.max(maxRss, hwm))} MiB over the ${mib(RSS_BOUND)} MiB bound`);
}

function scratch() {
  const d = mkdtempSync(path.join(os.tmpdir(), 'gh-proxy-test-'));
  chmodSync(d, 0o755);
  return d;
}

before(() => ensureUsers());

// --- routing -----------------------------------------------------------

describe('routing', { timeout: 60000 }, () => {
  let A; let B; let C; let gh; let bare;
  before(async () => {
    A = await startUpstream({ name: 'A' });
    B = await startUpstream({ name: 'B' });
    C = await startUpstream({ name: 'C' });
    gh = await startGh({
      upstreams: [`${A.url}/`, `${B.url}/api/`, `${C.url}/api/v2/`, `${B.url}/exact`],
      skip_auth_routes: ['^/'],
      workers: 2,
    });
    // Without a "/" route: 404 and the trailing-slash redirect show.
    bare = await startGh({ upstreams: [`${B.url}/api/`, `${B.url}/exact`], skip_auth_routes: ['^/'] });
  });
  after(async () => { await gh?.stop(); await bare?.stop(); await A?.stop(); await B?.stop(); await C?.stop(); });

  test('the longest matching prefix wins, and the URI goes upstream as sent', async () => {
    const cases = [
      ['/', 'A'], ['/foo/bar?x=1&y=%2F', 'A'], ['/api', 'A'], ['/apix', 'A'],
      ['/api/', 'B'], ['/api/users?id=7', 'B'], ['/api/v2', 'B'], ['/api/v2x', 'B'],
      ['/api/v2/', 'C'], ['/api/v2/items/9?q', 'C'],
    ];
    for (const [p, server] of cases) {
      const e = await echo(gh.port, p);
      assert.equal(e.server, server, `${p} went to ${e.server}, not ${server}`);
      assert.equal(e.url, p, `${p} arrived as ${e.url}`);
    }
  });

  test('a route without a trailing slash matches that path only', async () => {
    assert.equal((await echo(gh.port, '/exact')).server, 'B');
    assert.equal((await echo(gh.port, '/exact?x=1')).server, 'B');
    assert.equal((await echo(gh.port, '/exact/')).server, 'A');
    assert.equal((await echo(gh.port, '/exactly')).server, 'A');
  });

  test('no matching route: 404, nothing sent upstream', async () => {
    B.reset();
    for (const p of ['/', '/nothing', '/exact/', '/exactly', '/ap']) {
      const r = await get(bare.port, p);
      assert.equal(r.status, 404, `${p}: ${r.status}`);
    }
    assert.equal(B.requests.length, 0);
    assert.equal((await echo(bare.port, '/exact')).server, 'B');
  });

  test('a path that lacks only the trailing slash of a route: 301 to it', async () => {
    const r = await get(bare.port, '/api');
    assert.equal(r.status, 301);
    assert.equal(new URL(r.headers.location, 'http://x').pathname, '/api/');
    const q = await get(bare.port, '/api?x=1');
    assert.equal(q.status, 301);
    assert.equal(new URL(q.headers.location, 'http://x').pathname, '/api/');
  });
});

// --- the main instance: headers, bodies, streams ------------------------

describe('proxying', { timeout: 600000 }, () => {
  let A; let gh;
  before(async () => {
    A = await startUpstream({ name: 'A' });
    gh = await startGh({ upstreams: [`${A.url}/`], skip_auth_routes: ['^/'] });
  });
  after(async () => { await gh?.stop(); await A?.stop(); });

  test('hop-by-hop headers and those named in Connection are removed', async () => {
    const r = await rawRequest(gh.port, 'GET /hop HTTP/1.1\r\nHost: app.example\r\n'
      + 'Connection: close, X-Hop-Custom, x-hop-other\r\n'
      + 'Keep-Alive: timeout=5, max=100\r\nTE: gzip\r\nTrailer: X-Checksum\r\n'
      + 'Upgrade: h2c\r\nProxy-Connection: keep-alive\r\nX-Hop-Custom: drop me\r\n'
      + 'X-Hop-Other: drop me too\r\nX-Keep-Me: yes\r\n\r\n');
    assert.equal(r.response?.status, 200, r.data.toString().slice(0, 300));
    const e = JSON.parse(r.response.text);
    const got = names(e);
    for (const h of ['keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection', 'x-hop-custom', 'x-hop-other']) {
      assert.ok(!got.includes(h), `${h} reached the upstream: ${JSON.stringify(e.headers)}`);
    }
    for (const v of headerValues(e, 'connection')) {
      assert.match(v, /^\s*(keep-alive|close)\s*$/i, `Connection upstream is gatehouse's own: ${v}`);
    }
    assert.deepEqual(headerValues(e, 'x-keep-me'), ['yes']);
  });

  test('X-Forwarded-For/-Proto/-Host/-Uri are set; the client\'s are ignored', async () => {
    const r = await rawRequest(gh.port, 'GET /xf/path?q=1 HTTP/1.1\r\nHost: app.example:8080\r\n'
      + 'X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\nX-Forwarded-Proto: https\r\n'
      + 'X-Forwarded-Host: evil.example\r\nX-Forwarded-Uri: /evil\r\nConnection: close\r\n\r\n');
    assert.equal(r.response?.status, 200, r.data.toString().slice(0, 300));
    const e = JSON.parse(r.response.text);
    assert.deepEqual(headerValues(e, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(headerValues(e, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(headerValues(e, 'x-forwarded-host'), ['app.example:8080']);
    assert.deepEqual(headerValues(e, 'x-forwarded-uri'), ['/xf/path?q=1']);
  });

  test('pass_host_header (default true) keeps the client\'s Host', async () => {
    const e = await echo(gh.port, '/host', { headers: { Host: 'app.example:8080' } });
    assert.deepEqual(headerValues(e, 'host'), ['app.example:8080']);
  });

  // Every header gatehouse sets itself, in every spelling an upstream
  // might fold into it (case, "_" for "-"), is dropped from the request.
  const IDENTITY = [
    'X-Forwarded-User', 'X-Forwarded-Email', 'X-Forwarded-Groups', 'X-Forwarded-Preferred-Username',
    'X-Forwarded-Access-Token', 'X-Auth-Request-User', 'X-Auth-Request-Email', 'X-Auth-Request-Groups',
    'X-Auth-Request-Preferred-Username', 'X-Auth-Request-Access-Token', 'Gap-Auth',
  ];
  const mixed = (s) => [...s].map((ch, i) => (i % 2 ? ch.toLowerCase() : ch.toUpperCase())).join('');
  const spellings = (h) => {
    const base = [h, h.toUpperCase(), h.toLowerCase(), mixed(h)];
    return [...base, ...base.map((s) => s.replaceAll('-', '_'))];
  };
  const canon = (n) => n.toLowerCase().replaceAll('_', '-');

  test('identity headers in any case and with "_" never reach the upstream', async () => {
    assert.ok(spellings('X-Forwarded-User').includes('x_forwarded_user'));
    for (const h of IDENTITY) {
      const lines = spellings(h).map((s, i) => `${s}: forged-${i}@evil.example\r\n`).join('');
      const r = await rawRequest(gh.port, `GET /id HTTP/1.1\r\nHost: app.example\r\n${lines}X-Marker: ${h}\r\nConnection: close\r\n\r\n`);
      assert.equal(r.response?.status, 200, `${h}: ${r.data.toString().slice(0, 300)}`);
      const e = JSON.parse(r.response.text);
      const leaked = e.headers.filter(([n, v]) => canon(n) === h.toLowerCase() || /forged-/.test(v));
      assert.deepEqual(leaked, [], `${h}: spellings that reached the upstream`);
      assert.deepEqual(headerValues(e, 'x-marker'), [h]);
    }
    // Mixed hyphen/underscore within one name too.
    const r = await rawRequest(gh.port, 'GET /id HTTP/1.1\r\nHost: a\r\nX_Forwarded-Email: forged\r\n'
      + 'x-AUTH_request-USER: forged\r\nGAP_AUTH: forged\r\nConnection: close\r\n\r\n');
    const e = JSON.parse(r.response.text);
    assert.deepEqual(e.headers.filter(([, v]) => v === 'forged'), []);
  });

  test('Content-Length and chunked request bodies arrive whole', async () => {
    const body = crypto.randomBytes(300000);
    const cl = await echo(gh.port, '/body', { method: 'POST', body, headers: { 'Content-Length': body.length } });
    assert.equal(cl.method, 'POST');
    assert.equal(cl.bodyLength, body.length);
    assert.equal(cl.bodySha256, sha256(body));
    // node sends chunked when no length is given
    const e = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gh.port, path: '/chunked', method: 'PUT', agent: false, timeout: 5000 }, (res) => {
        let s = ''; res.on('data', (d) => { s += d; }); res.on('end', () => resolve(JSON.parse(s)));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      for (let i = 0; i < 30; i++) req.write(body.subarray(i * 10000, (i + 1) * 10000));
      req.end();
    });
    assert.equal(e.method, 'PUT');
    assert.equal(e.bodyLength, body.length);
    assert.equal(e.bodySha256, sha256(body));
    // An empty body with Content-Length: 0
    const z = await echo(gh.port, '/empty', { method: 'POST', body: '', headers: { 'Content-Length': 0 } });
    assert.equal(z.bodyLength, 0);
  });

  test('a raw chunked request with chunk extensions and a trailer', async () => {
    const r = await rawRequest(gh.port, 'POST /raw-chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n'
      + 'Connection: close\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n');
    assert.equal(r.response?.status, 200, r.data.toString().slice(0, 300));
    const e = JSON.parse(r.response.text);
    assert.equal(e.bodyLength, 11);
    assert.equal(e.bodySha256, sha256('hello world'));
  });

  test('the upstream status and body pass through', async () => {
    for (const code of [201, 302, 400, 404, 418, 500, 503]) {
      const r = await get(gh.port, `/status/${code}`);
      assert.equal(r.status, code);
      assert.equal(r.text, `status ${code}`);
    }
    const n = await get(gh.port, '/status/204');
    assert.equal(n.status, 204);
    assert.equal(n.body.length, 0);
    const h = await get(gh.port, '/head-me', { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
  });

  test('an HTTP/1.0 client gets its answer without chunking, then the close', async () => {
    const r = await rawRequest(gh.port, 'GET /h10 HTTP/1.0\r\nHost: a\r\n\r\n', { timeout: 3000 });
    assert.ok(r.closed, 'gatehouse closes an HTTP/1.0 connection after the answer');
    assert.equal(r.response?.status, 200);
    assert.equal(JSON.parse(r.response.text).url, '/h10');
    // The upstream streams chunked; an HTTP/1.0 client cannot read that.
    const s = await rawRequest(gh.port, 'GET /stream/100000 HTTP/1.0\r\nHost: a\r\n\r\n', { timeout: 3000 });
    assert.ok(s.closed);
    assert.equal(s.response?.status, 200);
    assert.doesNotMatch(s.response.get('transfer-encoding') ?? '', /chunked/i);
    assert.equal(s.response.body.length, 100000);
    assert.equal(sha256(s.response.body), streamSha256(100000));
  });

  test('Expect: 100-continue: 100 first, then the body, then the answer', async () => {
    const s = net.connect({ port: gh.port, host: '127.0.0.1' });
    await once(s, 'connect');
    let data = Buffer.alloc(0);
    s.on('data', (d) => { data = Buffer.concat([data, d]); });
    s.write('POST /continue HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    try {
      await until(() => data.includes('\r\n\r\n'), { timeout: 3000, what: '100 Continue' });
      assert.match(data.toString(), /^HTTP\/1\.1 100 Continue\r\n/);
      s.write('hello world');
      await until(() => parseResponses(data).some((r) => r.status === 200 && r.complete), { timeout: 3000, what: 'the answer' });
      const e = JSON.parse(parseResponses(data).find((r) => r.status === 200).text);
      assert.equal(e.bodyLength, 11);
      assert.equal(e.bodySha256, sha256('hello world'));
    } finally { s.destroy(); }
  });

  test('a close-delimited upstream response reaches the client whole', async () => {
    const r = await get(gh.port, '/close-delimited/300000');
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 300000);
    assert.equal(sha256(r.body), streamSha256(300000));
  });

  test('server-sent events arrive as they are sent', async () => {
    const t0 = Date.now();
    const times = await new Promise((resolve, reject) => {
      const at = [];
      const req = http.get({ host: '127.0.0.1', port: gh.port, path: '/sse', agent: false, timeout: 5000 }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(res.headers['content-type'], /text\/event-stream/);
        let buf = '';
        res.on('data', (d) => {
          buf += d;
          for (let m; (m = buf.match(/data: (\d+)\n\n/));) {
            at.push([Number(m[1]), Date.now() - t0]);
            buf = buf.slice(m.index + m[0].length);
          }
        });
        res.on('end', () => resolve(at));
      });
      req.on('timeout', () => req.destroy(new Error('sse timeout')));
      req.on('error', reject);
    });
    assert.deepEqual(times.map(([k]) => k), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(times[0][1] < 500, `first event after ${times[0][1]} ms`);
    assert.ok(times[9][1] - times[0][1] >= 600, `events not spaced: ${JSON.stringify(times)}`);
  });

  test('websocket: 101, messages both ways, a close travels both ways', async () => {
    A.reset();
    const ws = new WebSocket(`ws://127.0.0.1:${gh.port}/ws`, { handshakeTimeout: 3000 });
    const upgraded = new Promise((resolve) => ws.on('upgrade', (res) => resolve(res.statusCode)));
    const inbox = [];
    let wake;
    ws.on('message', (d, binary) => { inbox.push(binary ? d : d.toString()); wake?.(); });
    const next = async () => {
      const end = Date.now() + 3000;
      while (inbox.length === 0 && Date.now() < end) await new Promise((r) => { wake = r; setTimeout(r, 100); });
      assert.ok(inbox.length > 0, 'a websocket message');
      return inbox.shift();
    };
    await within(once(ws, 'open'), 3000, 'websocket open');
    assert.equal(await upgraded, 101);
    assert.equal(await next(), 'welcome');
    ws.send('hello');
    assert.equal(await next(), 'hello');
    const big = crypto.randomBytes(1 << 20);
    ws.send(big);
    assert.equal(sha256(await next()), sha256(big));
    // The client goes away: the upstream's side closes too.
    ws.terminate();
    await until(() => A.wsEvents.some((e) => e.event === 'close'), { timeout: 3000, what: 'upstream websocket closed' });

    // The upstream goes away: the client's side closes too.
    const ws2 = new WebSocket(`ws://127.0.0.1:${gh.port}/ws`, { handshakeTimeout: 3000 });
    await within(once(ws2, 'open'), 3000, 'websocket open');
    const closed = once(ws2, 'close');
    ws2.send('close-me');
    const [code] = await within(closed, 3000, 'client side closed');
    assert.equal(code, 1000);

    // The upstream drops its TCP connection: the client's drops too.
    const ws3 = new WebSocket(`ws://127.0.0.1:${gh.port}/ws`, { handshakeTimeout: 3000 });
    await within(once(ws3, 'open'), 3000, 'websocket open');
    const dropped = once(ws3, 'close');
    ws3.send('kill-me');
    const [code3] = await within(dropped, 3000, 'client side dropped');
    assert.equal(code3, 1006);
  });

  test('keep-alive: sequential requests from new client connections reuse one upstream connection', async () => {
    const up = await startUpstream({ name: 'K' });
    const k = await startGh({ upstreams: [`${up.url}/`], skip_auth_routes: ['^/'] });
    try {
      const seen = [];
      for (let i = 0; i < 6; i++) {
        const e = await echo(k.port, `/conn?i=${i}`, { headers: { Connection: 'close' } });
        seen.push([e.conn, e.nth]);
      }
      assert.equal(new Set(seen.map(([c]) => c)).size, 1, `upstream connections: ${JSON.stringify(seen)}`);
      assert.deepEqual(seen.map(([, n]) => n), [1, 2, 3, 4, 5, 6]);
    } finally { await k.stop(); await up.stop(); }
  });

  test('disable_keep_alives: one upstream connection per request', async () => {
    const up = await startUpstream({ name: 'K' });
    const k = await startGh({ upstreams: [`${up.url}/`], skip_auth_routes: ['^/'], disable_keep_alives: true });
    try {
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push((await echo(k.port, `/conn?i=${i}`)).nth);
      assert.deepEqual(seen, [1, 1, 1, 1]);
    } finally { await k.stop(); await up.stop(); }
  });

  // Sends n bytes of the stream as a request body; the upstream pauses
  // its reading for 1.5 s first, so gatehouse has to hold the client back.
  function upload(n, { chunked }) {
    return new Promise((resolve, reject) => {
      const headers = chunked ? {} : { 'Content-Length': n };
      const req = http.request({
        host: '127.0.0.1', port: gh.port, path: '/upload?pause=1500', method: 'POST', agent: false, headers,
        timeout: 30000,
      }, (res) => {
        let s = ''; res.on('data', (d) => { s += d; });
        res.on('end', () => resolve({ status: res.statusCode, body: s }));
      });
      req.on('timeout', () => req.destroy(new Error('upload stalled for 30 s')));
      req.on('error', reject);
      let k = 0; let left = n;
      const pump = () => {
        while (left > 0) {
          const b = streamBlock(k++, Math.min(BLOCK, left));
          left -= b.length;
          if (!req.write(b)) { req.once('drain', pump); return; }
        }
        req.end();
      };
      pump();
    });
  }

  test(`a 1 GiB Content-Length upload streams through in bounded memory (${RSS_BOUND >> 20} MiB)`, { timeout: 180000 }, async (t) => {
    const rss = rssSampler(gh);
    const r = await upload(GiB, { chunked: false }).finally(() => rss.stop());
    assert.equal(r.status, 200, r.body.slice(0, 300));
    const e = JSON.parse(r.body);
    assert.equal(e.bodyLength, GiB);
    assert.equal(e.bodySha256, streamSha256(GiB));
    checkRss(t, gh, rss, '1 GiB upload');
  });

  test('a 256 MiB chunked upload streams through in bounded memory', { timeout: 120000 }, async (t) => {
    const rss = rssSampler(gh);
    const r = await upload(256 << 20, { chunked: true }).finally(() => rss.stop());
    assert.equal(r.status, 200, r.body.slice(0, 300));
    const e = JSON.parse(r.body);
    assert.equal(e.bodyLength, 256 << 20);
    assert.equal(e.bodySha256, streamSha256(256 << 20));
    checkRss(t, gh, rss, '256 MiB chunked upload');
  });

  test(`a 1 GiB download streams through in bounded memory (${RSS_BOUND >> 20} MiB), a slow reader holds it back`, { timeout: 180000 }, async (t) => {
    const rss = rssSampler(gh);
    const r = await new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: gh.port, path: `/stream/${GiB}`, agent: false, timeout: 30000 }, (res) => {
        const h = crypto.createHash('sha256');
        let n = 0; let paused = false;
        res.on('data', (d) => {
          h.update(d);
          n += d.length;
          // A reader that stops for 1.5 s: gatehouse must not read ahead.
          if (!paused && n > (1 << 20)) {
            paused = true;
            res.pause();
            setTimeout(() => res.resume(), 1500);
          }
        });
        res.on('end', () => resolve({ status: res.statusCode, n, sha: h.digest('hex') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('download stalled for 30 s')));
      req.on('error', reject);
    }).finally(() => rss.stop());
    assert.equal(r.status, 200);
    assert.equal(r.n, GiB);
    assert.equal(r.sha, streamSha256(GiB));
    checkRss(t, gh, rss, '1 GiB download');
  });
});

// --- X-Forwarded-* from trusted and untrusted proxies --------------------

describe('reverse_proxy', { timeout: 60000 }, () => {
  let A; let trusted; let untrusted;
  const forged = 'GET /rp?m=1 HTTP/1.1\r\nHost: app.example\r\nX-Forwarded-For: 1.2.3.4\r\n'
    + 'X-Forwarded-Proto: https\r\nX-Forwarded-Host: front.example\r\nX-Real-IP: 9.9.9.9\r\n'
    + 'User-Agent: rp-agent\r\nConnection: close\r\n\r\n';
  before(async () => {
    A = await startUpstream({ name: 'A' });
    // trusted_proxy_ips unset: loopback is trusted.
    trusted = await startGh({ upstreams: [`${A.url}/`], skip_auth_routes: ['^/'], reverse_proxy: true });
    untrusted = await startGh({
      upstreams: [`${A.url}/`], skip_auth_routes: ['^/'], reverse_proxy: true, trusted_proxy_ips: ['10.0.0.0/8'],
    });
  });
  after(async () => { await trusted?.stop(); await untrusted?.stop(); await A?.stop(); });

  test('a trusted peer\'s X-Forwarded-* are believed and X-Forwarded-For is appended to', async () => {
    const r = await rawRequest(trusted.port, forged);
    assert.equal(r.response?.status, 200, r.data.toString().slice(0, 300));
    const e = JSON.parse(r.response.text);
    assert.equal(headerValues(e, 'x-forwarded-for').join(', ').replace(/\s+/g, ' '), '1.2.3.4, 127.0.0.1');
    assert.deepEqual(headerValues(e, 'x-forwarded-proto'), ['https']);
    assert.deepEqual(headerValues(e, 'x-forwarded-host'), ['front.example']);
    assert.equal(headerValues(e, 'x-forwarded-uri').length, 1);
    // The real client (X-Real-IP, real_client_ip_header's default) is logged.
    await until(() => /9\.9\.9\.9 - .*\/rp\?m=1/.test(trusted.log), { timeout: 3000, what: 'access log with the real client' });
  });

  test('an untrusted peer\'s X-Forwarded-* are ignored', async () => {
    const r = await rawRequest(untrusted.port, forged);
    assert.equal(r.response?.status, 200, r.data.toString().slice(0, 300));
    const e = JSON.parse(r.response.text);
    assert.deepEqual(headerValues(e, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(headerValues(e, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(headerValues(e, 'x-forwarded-host'), ['app.example']);
    await until(() => /127\.0\.0\.1 - .*\/rp\?m=1/.test(untrusted.log), { timeout: 3000, what: 'access log with the peer' });
    assert.doesNotMatch(untrusted.log, /9\.9\.9\.9 - /);
  });
});

describe('pass_host_header = false', { timeout: 60000 }, () => {
  let A; let gh;
  before(async () => {
    A = await startUpstream({ name: 'A' });
    gh = await startGh({ upstreams: [`${A.url}/`], skip_auth_routes: ['^/'], pass_host_header: false });
  });
  after(async () => { await gh?.stop(); await A?.stop(); });

  test('the upstream gets its own host:port as Host', async () => {
    const e = await echo(gh.port, '/h', { headers: { Host: 'app.example:8080' } });
    assert.deepEqual(headerValues(e, 'host'), [`127.0.0.1:${A.port}`]);
    assert.deepEqual(headerValues(e, 'x-forwarded-host'), ['app.example:8080']);
  });
});

// --- upstream failures ---------------------------------------------------

describe('upstream timeouts and failures', { timeout: 60000 }, () => {
  let A; let gh;
  before(async () => {
    A = await startUpstream({ name: 'A' });
    const closed = await freePort();   // nothing listens there
    gh = await startGh({
      upstreams: [`${A.url}/`, `http://127.0.0.1:${closed}/down/`],
      skip_auth_routes: ['^/'],
      upstream_timeout: '1s',
    });
  });
  after(async () => { await gh?.stop(); await A?.stop(); });

  test('no response head within upstream_timeout: 504 with a short page', async () => {
    const t0 = Date.now();
    const r = await get(gh.port, '/slow-head/3000');
    const ms = Date.now() - t0;
    assert.equal(r.status, 504);
    assert.ok(ms >= 900 && ms < 2900, `504 after ${ms} ms`);
    assert.ok(r.body.length > 0 && r.body.length < 1024, `a short page (${r.body.length} bytes)`);
    // The late answer must not be taken for the next request's.
    await sleep(2500);
    const e = await echo(gh.port, '/after-timeout');
    assert.equal(e.url, '/after-timeout');
  });

  test('an upstream that refuses connections: 502 with a short page', async () => {
    const t0 = Date.now();
    const r = await get(gh.port, '/down/x');
    assert.equal(r.status, 502);
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(r.body.length > 0 && r.body.length < 1024, `a short page (${r.body.length} bytes)`);
    assert.equal((await echo(gh.port, '/still-up')).server, 'A');
  });
});

// --- upstreams answered by gatehouse itself -----------------------------

describe('static:// and file:// upstreams', { timeout: 60000 }, () => {
  let gh; let dir; let www;
  const secret = `TOP-SECRET-${crypto.randomBytes(8).toString('hex')}`;
  const big = crypto.randomBytes(1 << 20);
  before(async () => {
    dir = scratch();
    www = path.join(dir, 'www');
    mkdirSync(path.join(www, 'sub'), { recursive: true });
    chmodSync(www, 0o755);
    chmodSync(path.join(www, 'sub'), 0o755);
    writeFileSync(path.join(www, 'hello.txt'), 'hello file\n', { mode: 0o644 });
    writeFileSync(path.join(www, 'sub', 'inner.txt'), 'inner\n', { mode: 0o644 });
    writeFileSync(path.join(www, 'big.bin'), big, { mode: 0o644 });
    // Outside the served dir, readable by anyone: only the server's
    // path handling keeps it in.
    writeFileSync(path.join(dir, 'secret.txt'), secret, { mode: 0o644 });
    symlinkSync('../secret.txt', path.join(www, 'link-out'));
    symlinkSync(path.join(dir, 'secret.txt'), path.join(www, 'abs-link'));
    symlinkSync('..', path.join(www, 'dir-out'));
    gh = await startGh({ upstreams: ['static://202', `file://${www}/#/files/`], skip_auth_routes: ['^/'] });
  });
  after(async () => { await gh?.stop(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  test('static://202 answers 202 "Authenticated" to anything', async () => {
    for (const [m, p] of [['GET', '/'], ['GET', '/any/path?x=1'], ['POST', '/form']]) {
      const r = await get(gh.port, p, { method: m, body: m === 'POST' ? 'a=1' : undefined });
      assert.equal(r.status, 202, `${m} ${p}`);
      assert.equal(r.text, 'Authenticated');
    }
  });

  test('file:// serves the directory\'s files', async () => {
    const r = await get(gh.port, '/files/hello.txt');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'hello file\n');
    assert.equal((await get(gh.port, '/files/sub/inner.txt')).text, 'inner\n');
    const b = await get(gh.port, '/files/big.bin');
    assert.equal(b.status, 200);
    assert.equal(sha256(b.body), sha256(big));
    assert.equal((await get(gh.port, '/files/missing.txt')).status, 404);
  });

  const escapes = [
    '/files/../secret.txt', '/files/%2e%2e/secret.txt', '/files/%2E%2E/secret.txt', '/files/.%2e/secret.txt',
    '/files/..%2fsecret.txt', '/files/..%2Fsecret.txt', '/files/%2e%2e%2fsecret.txt',
    '/files/sub/../../secret.txt', '/files/sub/%2e%2e/%2e%2e/secret.txt', '/files/sub%2f..%2f..%2fsecret.txt',
    '/files/..%5csecret.txt', '/files/%5c..%5csecret.txt', '/files/..%00/secret.txt',
    '/files/link-out', '/files/abs-link', '/files/dir-out/secret.txt', '/files/dir-out/www/../secret.txt',
    '/files/%2e%2e', '/files/..', '/files//etc/passwd', `/files/${'../'.repeat(20)}etc/passwd`,
  ];
  test('file:// refuses every way out of its directory', async () => {
    for (const p of escapes) {
      const r = await rawRequest(gh.port, `GET ${p} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
      const res = r.response;
      assert.ok(res, `${p}: some answer`);
      assert.notEqual(res.status, 200, `${p}: 200`);
      assert.ok(!res.text.includes(secret), `${p}: the secret leaked`);
      assert.ok(!res.text.includes('root:x:0:0'), `${p}: /etc/passwd leaked`);
    }
  });
});

// --- TLS ---------------------------------------------------------------

describe('TLS listener', { timeout: 60000 }, () => {
  let A; let gh; let dir; let httpsPort; let pem;
  before(async () => {
    dir = scratch();
    const c = selfSigned(dir);
    pem = readFileSync(c.cert);
    A = await startUpstream({ name: 'A' });
    httpsPort = await freePort();
    const target = { port: httpsPort, https: true, ca: pem };
    gh = await startGh({
      upstreams: [`${A.url}/`], skip_auth_routes: ['^/'],
      https_address: `127.0.0.1:${httpsPort}`, tls_cert_file: c.cert, tls_key_file: c.key,
    }, { ready: async () => (await get(target, '/ready', { timeout: 1000 })).status === 200 });
  });
  after(async () => { await gh?.stop(); await A?.stop(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  test('https works with the configured certificate, and offers http/1.1 by ALPN', async () => {
    const t = { port: httpsPort, https: true, ca: pem };
    assert.equal((await get(t, '/ping')).text, 'OK');
    const e = await echo(t, '/over-tls');
    assert.deepEqual(headerValues(e, 'x-forwarded-proto'), ['https']);
    const s = tls.connect({ host: '127.0.0.1', port: httpsPort, ca: pem, servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'] });
    await once(s, 'secureConnect');
    assert.equal(s.alpnProtocol, 'http/1.1');
    assert.ok(s.authorized, String(s.authorizationError));
    s.destroy();
  });

  test('with tls_cert_file set, the plain http listener is off', async () => {
    await assert.rejects(get(gh.port, '/ping', { timeout: 1000 }), /ECONNREFUSED/);
  });
});

describe('https upstreams', { timeout: 60000 }, () => {
  let dir; let good; let wrongName; const ghs = [];
  let routes;
  before(async () => {
    dir = scratch();
    const ca = makeCa(dir);
    good = await startUpstream({ name: 'tls-good', tls: ca.leaf('IP:127.0.0.1') });
    wrongName = await startUpstream({ name: 'tls-wrong-name', tls: ca.leaf('DNS:other.example') });
    routes = [`${good.url}/`, `${wrongName.url}/wrongname/`];
    const base = { upstreams: routes, skip_auth_routes: ['^/'] };
    ghs.push(await startGh({ ...base, upstream_ca_files: [ca.ca] }));
    ghs.push(await startGh(base));
    ghs.push(await startGh({ ...base, ssl_upstream_insecure_skip_verify: true }));
  });
  after(async () => {
    for (const g of ghs) await g.stop();
    await good?.stop(); await wrongName?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('upstream_ca_files: verified, host name checked', async () => {
    assert.equal((await echo(ghs[0].port, '/x')).server, 'tls-good');
    assert.equal((await get(ghs[0].port, '/wrongname/x')).status, 502);
  });

  test('an upstream certificate nobody vouches for: 502', async () => {
    good.reset();
    assert.equal((await get(ghs[1].port, '/x')).status, 502);
    assert.equal(good.requests.length, 0, 'no request sent over an unverified connection');
  });

  test('ssl_upstream_insecure_skip_verify: accepted', async () => {
    assert.equal((await echo(ghs[2].port, '/x')).server, 'tls-good');
    assert.equal((await echo(ghs[2].port, '/wrongname/x')).server, 'tls-wrong-name');
  });
});

describe('unix socket listener', { timeout: 60000 }, () => {
  let A; let gh; let dir; let sock;
  before(async () => {
    dir = scratch();
    sock = path.join(dir, 'gh.sock');
    A = await startUpstream({ name: 'A' });
    gh = await startGh({ upstreams: [`${A.url}/`], skip_auth_routes: ['^/'], http_address: `unix://${sock}` },
      { ready: async () => (await get({ socketPath: sock }, '/ready', { timeout: 1000 })).status === 200 });
  });
  after(async () => { await gh?.stop(); await A?.stop(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  test('requests over the unix socket are proxied', async () => {
    assert.equal((await get({ socketPath: sock }, '/ping')).text, 'OK');
    const e = await echo({ socketPath: sock }, '/via-unix?x=1');
    assert.equal(e.url, '/via-unix?x=1');
    assert.equal(e.server, 'A');
  });

  test('no TCP listener on the default address', async () => {
    await assert.rejects(get(gh.port, '/ping', { timeout: 1000 }), /ECONNREFUSED/);
  });

  test('a unix:// upstream is reached from the worker\'s chroot', async () => {
    const app = http.createServer((q, r) => r.end(`unix ${q.url}`));
    const up = path.join(dir, 'app.sock');
    await new Promise((r) => app.listen(up, r));
    chmodSync(up, 0o777);
    const g = await startGh({ upstreams: [`unix://${up}`], skip_auth_routes: ['^/'] });
    try {
      const r = await get(g.port, '/over/unix');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'unix /over/unix');
    } finally { await g.stop(); app.close(); }
  });
});

// --- no session yet: the sign-in page (403), and the routes that skip it ---

describe('authentication required', { timeout: 60000 }, () => {
  let A; let plain; let preflight; let methods;
  before(async () => {
    A = await startUpstream({ name: 'A' });
    plain = await startGh({ upstreams: [`${A.url}/`] });
    preflight = await startGh({ upstreams: [`${A.url}/`], skip_auth_preflight: true });
    methods = await startGh({ upstreams: [`${A.url}/`], skip_auth_routes: ['GET=^/public/', 'POST=^/hook$', 'PUT!=^/private/'] });
  });
  after(async () => { await plain?.stop(); await preflight?.stop(); await methods?.stop(); await A?.stop(); });

  test('without skip_auth_routes every request gets the sign-in page (403) and nothing goes upstream', async () => {
    A.reset();
    for (const [m, p] of [['GET', '/'], ['GET', '/x?y=1'], ['POST', '/x'], ['OPTIONS', '/x'], ['DELETE', '/api/1']]) {
      assert.equal((await get(plain.port, p, { method: m, body: m === 'POST' ? 'a' : undefined })).status, 403, `${m} ${p}`);
    }
    assert.equal(A.requests.length, 0);
    assert.equal((await get(plain.port, '/ping')).status, 200);
  });

  test('skip_auth_preflight lets OPTIONS through, nothing else', async () => {
    const e = await echo(preflight.port, '/cors', {
      method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(e.method, 'OPTIONS');
    assert.equal((await get(preflight.port, '/cors')).status, 403);
    assert.equal((await get(plain.port, '/cors', { method: 'OPTIONS' })).status, 403);
  });

  test('METHOD=regex and METHOD!=regex routes', async () => {
    const cases = [
      ['GET', '/public/a', 200], ['HEAD', '/public/a', 403], ['POST', '/public/a', 403],
      ['POST', '/hook', 200], ['POST', '/hook/x', 403], ['GET', '/hook', 403],
      ['PUT', '/anything', 200], ['PUT', '/private/x', 403], ['GET', '/anything', 403],
    ];
    for (const [m, p, want] of cases) {
      const r = await get(methods.port, p, { method: m, body: m === 'GET' || m === 'HEAD' ? undefined : 'x' });
      assert.equal(r.status, want, `${m} ${p}: ${r.status}`);
      if (want === 200) assert.equal(r.json().method, m);
    }
  });
});

// --- the request log -----------------------------------------------------

describe('request log', { timeout: 60000 }, () => {
  let A; let dflt; let quiet; let off;
  before(async () => {
    A = await startUpstream({ name: 'A' });
    dflt = await startGh({ upstreams: [`${A.url}/`], skip_auth_routes: ['^/'] });
    quiet = await startGh({
      upstreams: [`${A.url}/`], skip_auth_routes: ['^/'],
      exclude_logging_paths: ['/excluded'], silence_ping_logging: true,
    });
    off = await startGh({ upstreams: [`${A.url}/`], skip_auth_routes: ['^/'], request_logging: false });
  });
  after(async () => { await dflt?.stop(); await quiet?.stop(); await off?.stop(); await A?.stop(); });

  const lines = (gh, marker) => gh.log.split('\n').filter((l) => l.includes(marker));

  test('one line per request in oauth2-proxy\'s default format', async () => {
    await echo(dflt.port, '/log/one?x=1', { headers: { Host: 'app.example', 'User-Agent': 'gh-test-agent/1.0', 'X-Request-Id': '0badcafe-0001' } });
    await get(dflt.port, '/status/418', { headers: { Host: 'app.example', 'X-Request-Id': '0badcafe-0002' } });
    await until(() => lines(dflt, '0badcafe-0002').length > 0, { timeout: 3000, what: 'access log line' });
    const one = lines(dflt, '/log/one');
    assert.equal(one.length, 1, one.join('\n'));
    // {{.Client}} - {{.RequestID}} - {{.Username}} [{{.Timestamp}}] {{.Host}} {{.RequestMethod}}
    // {{.Upstream}} {{.RequestURI}} {{.Protocol}} {{.UserAgent}} {{.StatusCode}} {{.ResponseSize}} {{.RequestDuration}}
    assert.match(one[0], /127\.0\.0\.1 - 0badcafe-0001 - - \[[^\]]+\] app\.example GET \S+ "?\/log\/one\?x=1"? HTTP\/1\.1 "?gh-test-agent\/1\.0"? 200 [1-9]\d* \d+\.\d+/);
    assert.match(lines(dflt, '0badcafe-0002')[0], / GET \S+ "?\/status\/418"? HTTP\/1\.1 .* 418 \d+ \d+\.\d+/);
    await get(dflt.port, '/ping');
    await until(() => lines(dflt, '"/ping"').length + lines(dflt, ' /ping ').length > 0, { timeout: 3000, what: '/ping logged' });
  });

  test('exclude_logging_paths and silence_ping_logging drop lines', async () => {
    await get(quiet.port, '/excluded?m=1');
    await get(quiet.port, '/excluded');
    await get(quiet.port, '/ping');
    await echo(quiet.port, '/logged-after');
    await until(() => lines(quiet, '/logged-after').length === 1, { timeout: 3000, what: 'the line after' });
    await sleep(200);
    assert.deepEqual(lines(quiet, '/excluded'), []);
    assert.deepEqual(lines(quiet, '/ping'), []);
  });

  test('request_logging = false: no lines', async () => {
    await echo(off.port, '/not-logged');
    await sleep(500);
    assert.deepEqual(lines(off, '/not-logged'), []);
  });
});
