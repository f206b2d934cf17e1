// Session cookies on every protected request: the worker has sessiond open
// them (it holds no cookie key), applies email_domains and allowed_groups,
// and answers P/auth (nginx auth_request) or proxies with identity headers.
// Cookies are minted by tests/mint-session exactly as sessiond seals them.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Gatehouse, BUILD, ensureUsers, until, request, COOKIE_SECRET } from './lib/gatehouse.js';
import { startUpstream } from './lib/upstream.js';

const OLD_SECRET = 'an-older-secret-0123456789abcdef';
let gh;
let up;

function mint(args, secrets = [COOKIE_SECRET]) {
  const r = spawnSync(path.join(BUILD, 'tests/mint-session'),
    [...secrets.flatMap((s) => ['--secret', s]), '--name', '_oauth2_proxy', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const ALICE = ['--expires-in', '3600', '--user', 'alice', '--email', 'alice@example.com',
  '--preferred-username', 'Alice', '--group', 'admins', '--group', 'dev'];

function get(p, cookie, headers = {}) {
  return request(gh.port, p, { headers: { ...(cookie ? { Cookie: `_oauth2_proxy=${cookie}` } : {}), ...headers } });
}

before(async () => {
  ensureUsers();
  up = await startUpstream({ name: 'app' });
  gh = await new Gatehouse({
    config: {
      workers: 1, upstreams: [`${up.url}/`], email_domains: ['example.com'],
      set_xauthrequest: true, cookie_secrets: [OLD_SECRET], session_cache_ttl: '30s',
    },
  }).start();
});
after(async () => { await gh?.stop(); await up?.stop(); });

test('P/auth: 401 without a cookie, 202 with identity headers with one', async () => {
  assert.equal((await get('/oauth2/auth')).status, 401);
  const r = await get('/oauth2/auth', mint(ALICE));
  assert.equal(r.status, 202);
  assert.equal(r.headers['x-auth-request-user'], 'alice');
  assert.equal(r.headers['x-auth-request-email'], 'alice@example.com');
  assert.equal(r.headers['x-auth-request-preferred-username'], 'Alice');
  assert.equal(r.headers['x-auth-request-groups'], 'admins,dev');
  assert.equal(r.headers['gap-auth'], 'alice@example.com');
});

test('P/auth: tampered, truncated, expired, foreign-key and renamed cookies are refused', async () => {
  const good = mint(ALICE);
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const bad = [
    flip(good, good.length - 5), flip(good, good.indexOf('.') + 3), good.slice(0, -10),
    `${Number(good.split('.')[0]) + 100}${good.slice(good.indexOf('.'))}`,
    mint([...ALICE, '--expired']), mint(ALICE, ['some-other-secret-0123456789abcd']),
    'garbage', '',
  ];
  for (const cookie of bad) {
    const r = await get('/oauth2/auth', cookie);
    assert.equal(r.status, 401, `cookie ${cookie.slice(0, 40)} got ${r.status}`);
  }
  // The same sealed value under another name does not open either.
  const r = await request(gh.port, '/oauth2/auth', { headers: { Cookie: `_other=${good}` } });
  assert.equal(r.status, 401);
});

test('key rotation: a cookie sealed with the older secret still opens', async () => {
  const old = mint(ALICE, [OLD_SECRET]);
  assert.equal((await get('/oauth2/auth', old)).status, 202);
});

test('policy: an email outside email_domains gets 401 from P/auth and 403 when proxied', async () => {
  const eve = mint(['--expires-in', '3600', '--user', 'eve', '--email', 'eve@evil.example.org']);
  assert.equal((await get('/oauth2/auth', eve)).status, 401);
  assert.equal((await get('/app', eve)).status, 403);
  // Two "@" are not an address of example.com.
  const tricky = mint(['--expires-in', '3600', '--email', 'eve@evil.org@example.com']);
  assert.equal((await get('/oauth2/auth', tricky)).status, 401);
});

test('P/auth query constraints: groups, emails, email domains: 403 when unmet', async () => {
  const c = mint(ALICE);
  const cases = [
    ['allowed_groups=admins', 202], ['allowed_groups=ops', 403], ['allowed_groups=ops,dev', 202],
    ['allowed_groups=ops&allowed_groups=dev', 202], ['allowed_emails=alice@example.com', 202],
    ['allowed_emails=bob@example.com', 403], ['allowed_email_domains=example.com', 202],
    ['allowed_email_domains=.example.com', 202], ['allowed_email_domains=other.com', 403],
    ['allowed_groups=admins&allowed_emails=bob@example.com', 403],
  ];
  for (const [q, want] of cases) {
    assert.equal((await get(`/oauth2/auth?${q}`, c)).status, want, q);
  }
});

test('proxied: identity headers reach the upstream, forged ones never do', async () => {
  up.reset?.();
  const r = await get('/app', mint(ALICE), {
    'X-Forwarded-User': 'mallory', 'X_Forwarded_Email': 'm@evil', 'X-Auth-Request-User': 'm',
  });
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body);
  // The echo upstream lists headers as [name, value] pairs, as received.
  const h = (name) => seen.headers
    .filter(([n]) => n.toLowerCase().replace(/_/g, '-') === name).map(([, v]) => v);
  assert.deepEqual(h('x-forwarded-user'), ['alice']);
  assert.deepEqual(h('x-forwarded-email'), ['alice@example.com']);
  assert.deepEqual(h('x-forwarded-groups'), ['admins,dev']);
  assert.deepEqual(h('x-auth-request-user'), []);
  assert.equal(r.headers['gap-auth'], 'alice@example.com');
});

test('without a session a protected path gets the sign-in page (403), API clients 401 {}', async () => {
  const r = await get('/app?x=1');
  assert.equal(r.status, 403);
  assert.match(r.headers['content-type'], /^text\/html/);
  assert.match(r.body, /action="\/oauth2\/start"/);
  assert.match(r.body, /value="\/app\?x=1"/);
  assert.match(r.headers['content-security-policy'], /default-src 'none'/);
  const j = await get('/app', null, { Accept: 'text/html, application/json;q=0.9' });
  assert.equal(j.status, 401);
  assert.equal(j.body, '{}');
  assert.equal(j.headers['content-type'], 'application/json');
});

test('P/userinfo: the session as JSON', async () => {
  const r = await get('/oauth2/userinfo', mint(ALICE));
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), {
    user: 'alice', email: 'alice@example.com', groups: ['admins', 'dev'], preferredUsername: 'Alice',
  });
  assert.equal((await get('/oauth2/userinfo')).status, 401);
});

test('a claim with a line break never becomes a header', async () => {
  const c = mint(['--expires-in', '3600', '--user', 'a\r\nX-Injected: 1', '--email', 'a@example.com']);
  const r = await get('/oauth2/auth', c);
  assert.equal(r.status, 202);
  assert.equal(r.headers['x-injected'], undefined);
  assert.equal(r.headers['x-auth-request-user'], undefined);
});

test('sessiond gone: protected requests fail closed (never 202), then recover', async () => {
  const c = mint(ALICE);
  const sd = gh.childrenNamed('gatehouse-sessiond')[0];
  process.kill(sd.pid, 'SIGSTOP');
  try {
    const r = await get('/oauth2/auth', c);
    assert.notEqual(r.status, 202);
    assert.ok(r.status === 401 || r.status >= 500, `status ${r.status}`);
  } finally {
    process.kill(sd.pid, 'SIGCONT');
  }
  await until(async () => (await get('/oauth2/auth', c)).status === 202, { what: '202 again' });
});

test('the request log names the signed-in user', async () => {
  const before = gh.log.length;
  assert.equal((await get('/app?logged=1', mint(ALICE))).status, 200);
  await until(() => /- alice@example\.com \[.*"\/app\?logged=1"/.test(gh.log.slice(before)),
    { what: `a log line with the user\n${gh.log.slice(before)}` });
});

test('the worker\'s session cache never outlives the cookie\'s sealed expiry', async () => {
  const short = mint(['--expires-in', '2', '--user', 'alice', '--email', 'alice@example.com']);
  assert.equal((await get('/oauth2/auth', short)).status, 202);
  assert.equal((await get('/oauth2/auth', short)).status, 202);
  await new Promise((r) => setTimeout(r, 3100));
  assert.equal((await get('/oauth2/auth', short)).status, 401);
});
