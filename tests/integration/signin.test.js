// Sign-in through a real OpenID Provider (npm oidc-provider, lib/idp.js):
// P/start, the IdP's login form, P/callback, the session on protected
// requests and P/auth; CSRF and state attacks, replays, redirect targets,
// unverified emails, the login policy, refresh, sign-out, and an IdP
// that is late, down or talks garbage.
import test, { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Gatehouse, ensureUsers, freePort, until, sleep, tmpdir, BUILD, COOKIE_SECRET } from './lib/gatehouse.js';
import { startIdp } from './lib/idp.js';
import { signIn, httpRequest, CookieJar, formatTrace, follow, loginForm, postLogin } from './lib/login.js';
import { startUpstream, headerValues } from './lib/upstream.js';
import { makeCa } from './lib/certs.js';
import { startPair } from './lib/pair.js';

const ALICE = { user: 'alice', password: 'alice-password' };
const BOB = { user: 'bob', password: 'bob-password' };
const MALLORY = { user: 'mallory', password: 'mallory-password' };

// A sign-in up to (not including) the callback: its URL, and the CSRF
// cookie the browser holds for it.
async function toCallback(base, { user, password }, rd = '/') {
  const jar = new CookieJar();
  const start = await httpRequest(`${base}/oauth2/start?rd=${encodeURIComponent(rd)}`, { jar });
  assert.equal(start.status, 302);
  const csrf = jar.get('_oauth2_proxy_csrf').value;
  const onBase = (u) => u.startsWith(base);
  let r = await follow(start.location, { jar, until: onBase });
  if (!(r.location && onBase(r.location))) {
    r = await postLogin(loginForm(r.body, r.url), { user, password, jar });
    if (!onBase(r.location)) r = await follow(r.location, { jar, until: onBase });
  }
  assert.ok(r.location?.includes('/oauth2/callback'), `at ${r.location}`);
  return { url: r.location, csrf: `_oauth2_proxy_csrf=${csrf}` };
}

function audits(gh, event) {
  return gh.log.split('\n').filter((l) => l.includes(`audit: event=${event}`));
}

before(() => ensureUsers());

describe('sign-in with the generic OIDC provider', { timeout: 120000 }, () => {
  let up; let p;
  before(async () => {
    up = await startUpstream({ name: 'app' });
    p = await startPair({ up, config: { set_xauthrequest: true, email_domains: ['example.com'], whitelist_domains: ['.trusted.test:8443'] } });
  });
  after(async () => { await p?.gh.stop(); await p?.idp.stop(); await up?.stop(); });

  test('alice signs in and lands on rd; the upstream sees who she is', async () => {
    const r = await signIn(p.base, { ...ALICE, rd: '/app/page?x=1' });
    assert.equal(r.status, 302, formatTrace(r.trace));
    assert.equal(r.location, `${p.base}/app/page?x=1`);
    const c = r.jar.get('_oauth2_proxy');
    assert.ok(c, 'a session cookie');
    assert.equal(c.httpOnly, true);
    assert.equal(c.path, '/');
    assert.match(c.raw, /Max-Age=604800/);
    assert.equal(r.jar.get('_oauth2_proxy_csrf'), undefined, 'the CSRF cookie is spent');
    const a = await httpRequest(`${p.base}/app/page?x=1`, { jar: r.jar });
    assert.equal(a.status, 200);
    const echo = JSON.parse(a.body);
    assert.equal(echo.url, '/app/page?x=1');
    assert.deepEqual(headerValues(echo, 'x-forwarded-email'), ['alice@example.com']);
    assert.deepEqual(headerValues(echo, 'x-forwarded-groups'), ['admins,staff']);
    assert.deepEqual(headerValues(echo, 'x-forwarded-preferred-username'), ['alice']);
    const auth = await httpRequest(`${p.base}/oauth2/auth`, { jar: r.jar });
    assert.equal(auth.status, 202);
    assert.equal(auth.headers['x-auth-request-email'], 'alice@example.com');
    assert.equal(audits(p.gh, 'login').length >= 1, true);
  });

  test('the authorization request carries state, nonce and PKCE S256, and a CSRF cookie is set', async () => {
    const jar = new CookieJar();
    const r = await httpRequest(`${p.base}/oauth2/start?rd=%2F`, { jar });
    assert.equal(r.status, 302);
    const u = new URL(r.location);
    assert.equal(u.origin, p.idp.issuer);
    const q = u.searchParams;
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), 'gatehouse-test');
    assert.equal(q.get('redirect_uri'), `${p.base}/oauth2/callback`);
    assert.equal(q.get('scope'), 'openid email profile');
    assert.match(q.get('state'), /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.get('nonce'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    const csrf = jar.get('_oauth2_proxy_csrf');
    assert.ok(csrf);
    assert.match(csrf.raw, /Max-Age=900/);
    assert.doesNotMatch(csrf.value, new RegExp(q.get('state')), 'the state is sealed, not readable');
  });

  test('a callback without the CSRF cookie, or with another sign-in\'s, is refused before the code is redeemed', async () => {
    const tokens = await p.idp.count('token');
    const one = await toCallback(p.base, ALICE, '/one');
    const two = await toCallback(p.base, ALICE, '/two');
    const none = await httpRequest(one.url, {});
    assert.equal(none.status, 403);
    assert.match(none.body, /CSRF token/);
    const crossed = await httpRequest(one.url, { headers: { Cookie: two.csrf } });
    assert.equal(crossed.status, 403);
    assert.match(crossed.body, /mismatch/);
    const forged = await httpRequest(one.url, { headers: { Cookie: `${one.csrf.slice(0, -6)}AAAAAA` } });
    assert.equal(forged.status, 403);
    assert.equal(await p.idp.count('token'), tokens, 'no code was redeemed');
    assert.ok(audits(p.gh, 'login_failed').some((l) => l.includes('state mismatch')));
    // The right cookie still works once.
    const ok = await httpRequest(one.url, { headers: { Cookie: one.csrf } });
    assert.equal(ok.status, 302);
    assert.equal(ok.location, `${p.base}/one`);
  });

  test('a replayed callback (same code, state and cookie) is refused without asking the IdP', async () => {
    const cb = await toCallback(p.base, ALICE, '/');
    assert.equal((await httpRequest(cb.url, { headers: { Cookie: cb.csrf } })).status, 302);
    const tokens = await p.idp.count('token');
    const replay = await httpRequest(cb.url, { headers: { Cookie: cb.csrf } });
    assert.equal(replay.status, 403);
    assert.equal(await p.idp.count('token'), tokens);
  });

  test('an error from the IdP is shown, escaped, with 403', async () => {
    const r = await httpRequest(`${p.base}/oauth2/callback?error=access_denied%3Cscript%3E&state=x`, {});
    assert.equal(r.status, 403);
    assert.match(r.body, /access_denied&lt;script&gt;/);
    assert.doesNotMatch(r.body, /<script>/);
  });

  for (const [rd, want] of [
    ['/ok/path', '/ok/path'], ['//evil.test/', '/'], ['/\\evil.test', '/'], ['https://evil.test/', '/'],
    ['/%2F%2Fevil.test', '/'], ['/\t/evil.test', '/'], ['javascript:alert(1)', '/'],
    ['https://app.trusted.test:8443/x', 'https://app.trusted.test:8443/x'], ['https://app.trusted.test/x', '/'],
  ]) {
    test(`rd=${JSON.stringify(rd)} ends at ${want}`, async () => {
      const r = await signIn(p.base, { ...ALICE, rd });
      assert.equal(r.status, 302, formatTrace(r.trace));
      assert.equal(r.location, want.startsWith('/') ? `${p.base}${want}` : want);
    });
  }

  test('bob (example.org) is outside email_domains: 403 at the callback, no session, an audit event', async () => {
    const r = await signIn(p.base, { ...BOB, rd: '/' });
    assert.equal(r.status, 403, formatTrace(r.trace));
    assert.match(r.body, /unauthorized/);
    assert.equal(r.jar.get('_oauth2_proxy'), undefined);
    assert.ok(audits(p.gh, 'login_denied').some((l) => l.includes('bob@example.org')));
  });

  test('mallory\'s email is not verified: 403, no session', async () => {
    const r = await signIn(p.base, { ...MALLORY, rd: '/' });
    assert.equal(r.status, 403, formatTrace(r.trace));
    assert.match(r.body, /validation failed/);
    assert.equal(r.jar.get('_oauth2_proxy'), undefined);
  });

  test('sign-out clears the session and goes to rd', async () => {
    const r = await signIn(p.base, { ...ALICE, rd: '/' });
    const out = await httpRequest(`${p.base}/oauth2/sign_out?rd=%2Fbye`, { jar: r.jar });
    assert.equal(out.status, 302);
    assert.equal(out.location, `${p.base}/bye`);
    assert.equal(r.jar.get('_oauth2_proxy'), undefined);
    assert.equal((await httpRequest(`${p.base}/oauth2/auth`, { jar: r.jar })).status, 401);
    assert.ok(audits(p.gh, 'sign_out').some((l) => l.includes('alice@example.com')));
  });

  test('the sign-in page, robots.txt and the static files', async () => {
    const page = await httpRequest(`${p.base}/oauth2/sign_in?rd=%2Fback`, {});
    assert.equal(page.status, 200);
    assert.match(page.body, /action="\/oauth2\/start"/);
    assert.match(page.body, /value="\/back"/);
    assert.match(page.body, /Authenticate using example\.com/);
    const robots = await httpRequest(`${p.base}/robots.txt`, {});
    assert.equal(robots.status, 200);
    assert.equal(robots.body, 'User-agent: *\nDisallow: /\n');
    const css = await httpRequest(`${p.base}/oauth2/static/gatehouse.css`, {});
    assert.equal(css.status, 200);
    assert.match(css.headers['content-type'], /text\/css/);
    assert.equal((await httpRequest(`${p.base}/oauth2/static/nope.css`, {})).status, 404);
  });
});

describe('claims only from userinfo, issuer named localhost', { timeout: 60000 }, () => {
  let p;
  before(async () => {
    p = await startPair({ idpOpts: { host: 'localhost', claimsInIdToken: false }, config: { set_xauthrequest: true, email_domains: ['*'] } });
  });
  after(async () => { await p?.gh.stop(); await p?.idp.stop(); });

  test('authd resolves localhost in its sandbox and asks userinfo for email and groups', async () => {
    assert.match(p.idp.issuer, /^http:\/\/localhost:/);
    const r = await signIn(p.base, { ...ALICE, rd: '/' });
    assert.equal(r.status, 302, `${formatTrace(r.trace)}\n${p.gh.log.slice(-2000)}`);
    const auth = await httpRequest(`${p.base}/oauth2/auth`, { jar: r.jar });
    assert.equal(auth.status, 202);
    assert.equal(auth.headers['x-auth-request-email'], 'alice@example.com');
    assert.equal(auth.headers['x-auth-request-groups'], 'admins,staff');
    assert.ok(await p.idp.count('userinfo') >= 1);
  });
});

describe('authenticated_emails_file, and key rotation across a reload', { timeout: 60000 }, () => {
  let p;
  const NEW = 'a-brand-new-secret-0123456789abc';
  before(async () => {
    const file = `${tmpdir()}/emails`;
    writeFileSync(file, 'alice@example.com\n  BOB@example.org\n');
    p = await startPair({
      idpOpts: { users: { dave: { sub: 'dave-1', password: 'dave-password', email: 'dave@example.com', email_verified: true, groups: [] } } },
      config: { email_domains: ['nowhere.test'], authenticated_emails_file: file },
    });
  });
  after(async () => { await p?.gh.stop(); await p?.idp.stop(); });

  test('addresses in the file pass whatever their domain; others do not', async () => {
    assert.equal((await signIn(p.base, { ...BOB, rd: '/' })).status, 302);
    assert.equal((await signIn(p.base, { ...ALICE, rd: '/' })).status, 302);
    const dave = await signIn(p.base, { user: 'dave', password: 'dave-password', rd: '/' });
    assert.equal(dave.status, 403, formatTrace(dave.trace));
    assert.match(dave.body, /unauthorized/);
    const page = await httpRequest(`${p.base}/oauth2/sign_in`, {});
    assert.doesNotMatch(page.body, /Authenticate using/, 'no domain banner with an emails file');
  });

  test('a new first cookie secret: old cookies still open, new ones need the new key', async () => {
    const old = await signIn(p.base, { ...ALICE, rd: '/' });
    const reloaded = async (config) => {
      const mark = p.gh.log.length;
      p.gh.rewrite(config);
      p.gh.kill('SIGHUP');
      await until(() => p.gh.log.slice(mark).includes('event=config_reload '), { what: 'config_reload' });
      await p.gh.waitReady();
    };
    await reloaded({ cookie_secret: NEW, cookie_secrets: [COOKIE_SECRET] });
    assert.equal((await httpRequest(`${p.base}/oauth2/auth`, { jar: old.jar })).status, 202);
    const fresh = await signIn(p.base, { ...ALICE, rd: '/' });
    assert.equal(fresh.status, 302);
    await reloaded({ cookie_secret: NEW, cookie_secrets: [] });
    assert.equal((await httpRequest(`${p.base}/oauth2/auth`, { jar: fresh.jar })).status, 202);
    assert.equal((await httpRequest(`${p.base}/oauth2/auth`, { jar: old.jar })).status, 401);
  });
});

describe('allowed_roles: Keycloak\'s realm and client roles', { timeout: 60000 }, () => {
  let p;
  before(async () => {
    p = await startPair({
      idpOpts: {
        users: {
          alice: { realm_access: { roles: ['viewer'] }, resource_access: { app: { roles: ['editor'] } } },
          bob: { realm_access: { roles: ['viewer'] } },
        },
      },
      config: { email_domains: ['*'], allowed_roles: ['app:editor'], set_xauthrequest: true },
    });
  });
  after(async () => { await p?.gh.stop(); await p?.idp.stop(); });

  test('a client role named in allowed_roles lets alice in; bob has only a realm role', async () => {
    const a = await signIn(p.base, { ...ALICE, rd: '/' });
    assert.equal(a.status, 302, formatTrace(a.trace));
    const auth = await httpRequest(`${p.base}/oauth2/auth`, { jar: a.jar });
    assert.equal(auth.status, 202);
    assert.match(auth.headers['x-auth-request-groups'], /(^|,)role:viewer(,|$)/);
    assert.match(auth.headers['x-auth-request-groups'], /(^|,)role:app:editor(,|$)/);
    const b = await signIn(p.base, { ...BOB, rd: '/' });
    assert.equal(b.status, 403, formatTrace(b.trace));
  });
});

describe('refresh', { timeout: 60000 }, () => {
  let p;
  before(async () => {
    p = await startPair({ idpOpts: { accessTokenTTL: 2 }, config: { cookie_refresh: '1s', email_domains: ['*'] } });
  });
  after(async () => { await p?.gh.stop(); await p?.idp.stop(); });

  test('a session past cookie_refresh is refreshed once, even by concurrent requests', async () => {
    const r = await signIn(p.base, { ...ALICE, rd: '/' });
    assert.equal(r.status, 302);
    const cookie = r.jar.get('_oauth2_proxy').value;
    await sleep(2200);
    const before = await p.idp.count('token', { grant_type: 'refresh_token' });
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() =>
      httpRequest(`${p.base}/oauth2/auth`, { headers: { Cookie: `_oauth2_proxy=${cookie}` } })));
    for (const a of answers) assert.equal(a.status, 202);
    assert.equal(await p.idp.count('token', { grant_type: 'refresh_token' }), before + 1);
    const fresh = answers.map((a) => [].concat(a.headers['set-cookie'] ?? []).find((c) => c.startsWith('_oauth2_proxy=')));
    assert.ok(fresh.every(Boolean), 'every answer carries the refreshed cookie');
    const next = fresh[0].split(';')[0].slice('_oauth2_proxy='.length);
    assert.notEqual(next, cookie);
    // The new cookie is not due yet: no further refresh.
    assert.equal((await httpRequest(`${p.base}/oauth2/auth`, { headers: { Cookie: `_oauth2_proxy=${next}` } })).status, 202);
    assert.equal(await p.idp.count('token', { grant_type: 'refresh_token' }), before + 1);
  });

  test('a session without a refresh token is sealed again but keeps its age', async () => {
    const minted = spawnSync(path.join(BUILD, 'tests/mint-session'), ['--secret', COOKIE_SECRET, '--name', '_oauth2_proxy',
      '--expires-in', '600', '--refresh-in', '1', '--user', 'carol', '--email', 'carol@example.com'], { encoding: 'utf8' });
    assert.equal(minted.status, 0, minted.stderr);
    const born = Math.floor(Date.now() / 1000);
    await sleep(3200);
    const tokens = await p.idp.count('token');
    const a = await httpRequest(`${p.base}/oauth2/auth`, { headers: { Cookie: `_oauth2_proxy=${minted.stdout.trim()}` } });
    assert.equal(a.status, 202);
    assert.equal(await p.idp.count('token'), tokens, 'nothing to ask the IdP');
    const set = [].concat(a.headers['set-cookie'] ?? []).find((c) => c.startsWith('_oauth2_proxy='));
    assert.ok(set, 'sealed again');
    const sealedUntil = Number(set.slice('_oauth2_proxy='.length).split('.')[0]);
    // cookie_expire (168 h) from the sign-in, not from now.
    assert.ok(Math.abs(sealedUntil - (born + 604800)) <= 1, `sealed until ${sealedUntil}, born ${born}`);
  });
});

describe('an IdP that is down, late or broken', { timeout: 90000 }, () => {
  test('/ready is 503 until discovery succeeds, then sign-in works', async () => {
    const port = await freePort();
    const idpPort = await freePort();
    const gh = await new Gatehouse({
      port, config: { workers: 1, skip_oidc_discovery: false, oidc_issuer_url: `http://127.0.0.1:${idpPort}`, cookie_secure: false },
    }).start({ waitReady: false });
    try {
      await until(async () => gh.log.includes('discovery:'), { what: 'a discovery attempt' });
      assert.equal((await httpRequest(`http://127.0.0.1:${port}/ready`, {})).status, 503);
      const start = await httpRequest(`http://127.0.0.1:${port}/oauth2/start`, {});
      assert.equal(start.status, 503);
      const idp = await startIdp({ port: idpPort, redirectUris: [`http://127.0.0.1:${port}/oauth2/callback`] });
      try {
        await gh.waitReady(20000);
        const r = await signIn(`http://127.0.0.1:${port}`, { ...ALICE, rd: '/' });
        assert.equal(r.status, 302, formatTrace(r.trace));
      } finally { await idp.stop(); }
    } finally { await gh.stop(); }
  });

  test('garbage from the IdP: not ready, the reason logged, no crash', async () => {
    const srv = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"issuer": 12, "nonsense'); });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    const gh = await new Gatehouse({
      config: { workers: 1, skip_oidc_discovery: false, oidc_issuer_url: `http://127.0.0.1:${srv.address().port}` },
    }).start({ waitReady: false });
    try {
      await until(async () => /discovery: bad document/.test(gh.log), { what: 'the discovery error' });
      assert.equal((await httpRequest(`http://127.0.0.1:${gh.port}/ready`, {})).status, 503);
      assert.equal(gh.proc.exitCode, null);
      assert.equal(gh.childrenNamed('gatehouse-authd').length, 1);
    } finally { await gh.stop(); srv.close(); }
  });

  test('the IdP stops between start and callback: a clear 503, and the next try works', async () => {
    const p = await startPair({ config: { email_domains: ['*'] } });
    try {
      const jar = new CookieJar();
      const start = await httpRequest(`${p.base}/oauth2/start?rd=%2F`, { jar });
      assert.equal(start.status, 302);
      await p.idp.stop();
      const cb = await httpRequest(`${p.base}/oauth2/callback?code=abc&state=${new URL(start.location).searchParams.get('state')}`, { jar, timeout: 20000 });
      assert.equal(cb.status, 503);
      assert.match(cb.body, /not available/);
      await p.idp.start();
      const r = await signIn(p.base, { ...ALICE, rd: '/' });
      assert.equal(r.status, 302, formatTrace(r.trace));
    } finally { await p.gh.stop(); await p.idp.stop(); }
  });

  test('an IdP that stops answering: the callback ends with 503 after authd\'s timeout, not a hang', async () => {
    const p = await startPair({ config: { email_domains: ['*'] } });
    try {
      const cb = await toCallback(p.base, ALICE, '/');
      p.idp.freeze();
      const t0 = Date.now();
      const r = await httpRequest(cb.url, { headers: { Cookie: cb.csrf }, timeout: 30000 });
      assert.equal(r.status, 503);
      assert.ok(Date.now() - t0 < 16000, `took ${Date.now() - t0} ms`);
      p.idp.thaw();
    } finally { p.idp.thaw(); await p.gh.stop(); await p.idp.stop(); }
  });

  test('sessiond killed in the middle of a sign-in: a clear answer, and the next sign-in works', async () => {
    const p = await startPair({ config: { email_domains: ['*'] } });
    try {
      const cb = await toCallback(p.base, ALICE, '/');
      const [sd] = p.gh.childrenNamed('gatehouse-sessiond');
      process.kill(sd.pid, 'SIGKILL');
      const r = await httpRequest(cb.url, { headers: { Cookie: cb.csrf }, timeout: 20000 });
      assert.ok([302, 503].includes(r.status), `status ${r.status}`);
      await until(async () => (await httpRequest(`${p.base}/ready`, {})).status === 200, { what: 'sessiond back' });
      const again = await signIn(p.base, { ...ALICE, rd: '/' });
      assert.equal(again.status, 302, formatTrace(again.trace));
    } finally { await p.gh.stop(); await p.idp.stop(); }
  });

  test('authd killed in the middle of a sign-in: the callback fails clearly, the next sign-in works', async () => {
    const p = await startPair({ config: { email_domains: ['*'] } });
    try {
      const jar = new CookieJar();
      const start = await httpRequest(`${p.base}/oauth2/start?rd=%2F`, { jar });
      assert.equal(start.status, 302);
      const [authd] = p.gh.childrenNamed('gatehouse-authd');
      process.kill(authd.pid, 'SIGKILL');
      const cb = await httpRequest(`${p.base}/oauth2/callback?code=abc&state=x`, { jar, timeout: 20000 });
      assert.ok([403, 503].includes(cb.status), `status ${cb.status}`);
      await until(async () => (await httpRequest(`${p.base}/ready`, {})).status === 200, { what: 'authd back' });
      const r = await signIn(p.base, { ...ALICE, rd: '/' });
      assert.equal(r.status, 302, formatTrace(r.trace));
    } finally { await p.gh.stop(); await p.idp.stop(); }
  });
});

describe('skip_jwt_bearer_tokens', { timeout: 90000 }, () => {
  let up; let p; let other;
  // The ID token gatehouse passes upstream (pass_authorization_header),
  // as the echo upstream saw it.
  async function idToken(pair) {
    const r = await signIn(pair.base, { ...ALICE, rd: '/echo' });
    assert.equal(r.status, 302, formatTrace(r.trace));
    const echo = JSON.parse((await httpRequest(`${pair.base}/echo`, { jar: r.jar })).body);
    const [auth] = headerValues(echo, 'authorization');
    assert.match(auth, /^Bearer ey/);
    return auth.slice(7);
  }
  before(async () => {
    up = await startUpstream({ name: 'app' });
    other = await startPair({ up, config: { pass_authorization_header: true, email_domains: ['*'] } });
    p = await startPair({
      up,
      config: {
        pass_authorization_header: true, skip_jwt_bearer_tokens: true, email_domains: ['example.com'],
        extra_jwt_issuers: [`${other.idp.issuer}=gatehouse-test`], set_xauthrequest: true,
      },
    });
  });
  after(async () => {
    await p?.gh.stop(); await p?.idp.stop(); await other?.gh.stop(); await other?.idp.stop(); await up?.stop();
  });

  test('the provider\'s own ID token as a bearer token is a session for that request', async () => {
    const t = await idToken(p);
    const r = await httpRequest(`${p.base}/oauth2/auth`, { headers: { Authorization: `Bearer ${t}` } });
    assert.equal(r.status, 202);
    assert.equal(r.headers['x-auth-request-email'], 'alice@example.com');
    const a = await httpRequest(`${p.base}/api/x`, { headers: { Authorization: `Bearer ${t}` } });
    assert.equal(a.status, 200);
    assert.deepEqual(headerValues(JSON.parse(a.body), 'x-forwarded-email'), ['alice@example.com']);
  });

  test('a token of an extra_jwt_issuers issuer passes; a tampered or foreign one falls back to sign-in', async () => {
    const t = await idToken(other);
    assert.equal((await httpRequest(`${p.base}/oauth2/auth`, { headers: { Authorization: `Bearer ${t}` } })).status, 202);
    const [h, b, s] = t.split('.');
    const claims = JSON.parse(Buffer.from(b, 'base64url'));
    claims.email = 'mallory@example.com';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    assert.equal((await httpRequest(`${p.base}/oauth2/auth`, { headers: { Authorization: `Bearer ${forged}` } })).status, 401);
    const page = await httpRequest(`${p.base}/api/x`, { headers: { Authorization: `Bearer ${forged}` } });
    assert.equal(page.status, 403);
    assert.match(page.body, /oauth2\/start/);
  });

  test('with bearer_token_login_fallback = false a bad token is 403, even with a good cookie', async () => {
    const strict = await startPair({
      up, config: { skip_jwt_bearer_tokens: true, bearer_token_login_fallback: false, email_domains: ['*'] },
    });
    try {
      const r = await signIn(strict.base, { ...ALICE, rd: '/' });
      const bad = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
      const a = await httpRequest(`${strict.base}/oauth2/auth`, { jar: r.jar, headers: { Authorization: `Bearer ${bad}` } });
      assert.equal(a.status, 403);
      assert.equal((await httpRequest(`${strict.base}/oauth2/auth`, { jar: r.jar })).status, 202);
    } finally { await strict.gh.stop(); await strict.idp.stop(); }
  });
});

describe('provider_ca_files: an IdP over https', { timeout: 60000 }, () => {
  test('trusted through provider_ca_files; refused with the system bundle alone', async () => {
    const ca = makeCa(tmpdir());
    const leaf = ca.leaf('DNS:localhost,IP:127.0.0.1');
    let issuer;
    const srv = https.createServer(leaf, (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(req.url.endsWith('/openid-configuration') ? JSON.stringify({
        issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'],
        subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
      }) : '{"keys":[]}');
    });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    issuer = `https://localhost:${srv.address().port}`;
    const trusting = await new Gatehouse({
      config: { workers: 1, skip_oidc_discovery: false, oidc_issuer_url: issuer, provider_ca_files: [ca.ca] },
    }).start({ waitReady: false });
    const stranger = await new Gatehouse({
      config: { workers: 1, skip_oidc_discovery: false, oidc_issuer_url: issuer },
    }).start({ waitReady: false });
    try {
      await trusting.waitReady();
      assert.match(trusting.log, new RegExp(`discovery: issuer ${issuer}`));
      await until(() => /discovery: .*(SSL|certificate)/i.test(stranger.log), { what: 'a certificate error' });
      assert.equal((await httpRequest(`http://127.0.0.1:${stranger.port}/ready`, {})).status, 503);
    } finally { await trusting.stop(); await stranger.stop(); srv.close(); }
  });
});

describe('large sessions, parallel sign-ins, backend_logout_url', { timeout: 60000 }, () => {
  let up; let p;
  const many = Array.from({ length: 60 }, (_, i) => `group-with-a-long-name-${i}`);
  before(async () => {
    up = await startUpstream({ name: 'app' });
    p = await startPair({
      up,
      idpOpts: { users: { alice: { groups: many } } },
      config: {
        email_domains: ['*'], cookie_csrf_per_request: true,
        backend_logout_url: `${up.url}/logout?token={id_token}`,
      },
    });
  });
  after(async () => { await p?.gh.stop(); await p?.idp.stop(); await up?.stop(); });

  test('a session too large for one cookie is split into _0, _1, ... and joined back', async () => {
    const r = await signIn(p.base, { ...ALICE, rd: '/' });
    assert.equal(r.status, 302, formatTrace(r.trace));
    const parts = r.jar.all(p.base).filter((c) => /^_oauth2_proxy_\d+$/.test(c.name));
    assert.ok(parts.length >= 2, `parts: ${parts.map((c) => c.name)}`);
    assert.equal(r.jar.get('_oauth2_proxy'), undefined);
    for (const c of parts) assert.ok(c.raw.length <= 4000, `${c.name}: ${c.raw.length} bytes`);
    const a = await httpRequest(`${p.base}/x`, { jar: r.jar });
    assert.equal(a.status, 200);
    assert.equal(headerValues(JSON.parse(a.body), "x-forwarded-groups")[0].split(",").length, 60);
  });

  test('cookie_csrf_per_request: two sign-ins started together both finish', async () => {
    const jar = new CookieJar();
    const one = await httpRequest(`${p.base}/oauth2/start?rd=%2Fone`, { jar });
    const two = await httpRequest(`${p.base}/oauth2/start?rd=%2Ftwo`, { jar });
    const names = jar.all(p.base).map((c) => c.name).filter((n) => n.endsWith('_csrf'));
    assert.equal(names.length, 2, names.join(' '));
    for (const n of names) assert.match(n, /^_oauth2_proxy_[A-Za-z0-9_-]{8}_csrf$/);
    // Finish the second first, then the first, in the same browser.
    for (const [start, rd] of [[two, '/two'], [one, '/one']]) {
      let r = await follow(start.location, { jar, until: (u) => u.startsWith(p.base) });
      if (!(r.location && r.location.startsWith(p.base))) {
        r = await postLogin(loginForm(r.body, r.url), { ...ALICE, jar });
        if (!r.location.startsWith(p.base)) r = await follow(r.location, { jar, until: (u) => u.startsWith(p.base) });
      }
      const cb = await httpRequest(r.location, { jar });
      assert.equal(cb.status, 302);
      assert.equal(cb.location, `${p.base}${rd}`);
    }
  });

  test('sign-out calls backend_logout_url with the ID token', async () => {
    const r = await signIn(p.base, { ...ALICE, rd: '/' });
    up.reset();
    const out = await httpRequest(`${p.base}/oauth2/sign_out`, { jar: r.jar });
    assert.equal(out.status, 302);
    await until(() => up.requests.some((q) => q.url.startsWith('/logout?token=ey')),
      { what: 'the backend logout request' });
    assert.match(p.gh.log, /backend_logout_url: HTTP 200/);
  });
});
