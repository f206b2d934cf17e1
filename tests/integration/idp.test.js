// The test IdP (lib/idp.js) and the sign-in client (lib/login.js), with
// no gatehouse: the test is the relying party.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';
import { startIdp, CLIENT_ID, CLIENT_SECRET, USERS } from './lib/idp.js';
import { CookieJar, httpRequest, follow, loginForm, postLogin, parseForms, submitForm, formatTrace, signIn } from './lib/login.js';
import { launchBrowser, browserSignIn, browserSkip } from './lib/browser.js';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// A relying party's redirect URI: records each query it receives.
async function startRp() {
  const got = [];
  const server = http.createServer((req, res) => {
    got.push(Object.fromEntries(new URL(req.url, 'http://x').searchParams));
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${server.address().port}/cb`;
  return { url, got, stop: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

// A stand-in for gatehouse's sign-in endpoints: a page with a form to
// /oauth2/start, which redirects to the IdP; /oauth2/callback records
// the code, sets a cookie and redirects to rd.
async function startMiniProxy() {
  const mp = { callbacks: [], states: new Map() };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/oauth2/start') {
      const state = crypto.randomBytes(8).toString('hex');
      mp.states.set(state, u.searchParams.get('rd') ?? '/');
      const a = new URL(mp.meta.authorization_endpoint);
      a.search = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: `${mp.base}/oauth2/callback`, scope: 'openid email profile', state });
      res.writeHead(302, { Location: a.href });
      return res.end();
    }
    if (u.pathname === '/oauth2/callback') {
      const q = Object.fromEntries(u.searchParams);
      mp.callbacks.push(q);
      const rd = mp.states.get(q.state);
      if (!q.code || !rd) { res.writeHead(400); return res.end('bad callback'); }
      res.writeHead(302, { Location: rd, 'Set-Cookie': 'mini=signed-in; Path=/; HttpOnly' });
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    if (/(^|; )mini=signed-in/.test(req.headers.cookie ?? '')) return res.end(`<p id="who">signed in at ${u.pathname}</p>`);
    return res.end(`<form method="get" action="/oauth2/start"><input type="hidden" name="rd" value="${u.pathname}"><button type="submit">Sign in</button></form>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  mp.base = `http://127.0.0.1:${server.address().port}`;
  mp.stop = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return mp;
}

async function discover(idp) {
  const r = await httpRequest(idp.discoveryUrl);
  assert.equal(r.status, 200);
  return JSON.parse(r.body);
}

// Verifies a JWT's signature against the IdP's jwks_uri; returns the payload.
async function verifyJwt(jwt, meta) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwks = JSON.parse((await httpRequest(meta.jwks_uri)).body);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} in the JWKS`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const opts = header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
  assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`), opts, Buffer.from(s, 'base64url')), 'signature');
  return { header, payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

// The authorization code flow by hand, up to the code on the redirect URI.
async function authorize(idp, rp, meta, { user = 'alice', password = `${user}-password`, scope = 'openid email profile', jar = new CookieJar(), pkce = true } = {}) {
  const state = b64url(crypto.randomBytes(12));
  const nonce = b64url(crypto.randomBytes(12));
  const verifier = b64url(crypto.randomBytes(32));
  const u = new URL(meta.authorization_endpoint);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: rp.url, scope, state, nonce,
    ...(pkce ? { code_challenge: b64url(crypto.createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256' } : {}),
  });
  const trace = [];
  const atRp = (loc) => loc.startsWith(rp.url);
  let r = await follow(u.href, { jar, trace, until: atRp });
  if (!(r.location && atRp(r.location))) {
    const form = loginForm(r.body, r.url);
    assert.ok(form, `a login form\n${formatTrace(trace)}\n${r.body}`);
    r = await postLogin(form, { user, password, jar, trace });
    if (r.location) r = await follow(r.location, { jar, trace, until: atRp });
  }
  const back = r.location && atRp(r.location) ? r.location : undefined;
  let query;
  if (back) {
    await httpRequest(back);
    query = rp.got.at(-1);
    assert.equal(query.state, state);
  }
  return { r, trace, jar, query, code: query?.code, state, nonce, verifier };
}

async function token(meta, body, { auth = 'basic' } = {}) {
  const headers = {};
  const form = { ...body };
  if (auth === 'basic') {
    const enc = (s) => encodeURIComponent(s);
    headers.Authorization = `Basic ${Buffer.from(`${enc(CLIENT_ID)}:${enc(CLIENT_SECRET)}`).toString('base64')}`;
  } else {
    Object.assign(form, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  }
  const r = await httpRequest(meta.token_endpoint, { method: 'POST', headers, body: form });
  return { status: r.status, json: JSON.parse(r.body) };
}

async function userinfo(meta, accessToken) {
  const r = await httpRequest(meta.userinfo_endpoint, { headers: { Authorization: `Bearer ${accessToken}` } });
  return { status: r.status, json: r.status === 200 ? JSON.parse(r.body) : r.body };
}

let rp;
before(async () => { rp = await startRp(); });
after(async () => { await rp.stop(); });

for (const host of ['127.0.0.1', 'localhost']) {
  test(`discovery and JWKS, issuer host ${host}`, async () => {
    const t0 = Date.now();
    const idp = await startIdp({ host, redirectUris: [rp.url] });
    try {
      assert.ok(Date.now() - t0 < 5000, 'starts in under 5 s');
      assert.equal(idp.issuer, `http://${host}:${idp.port}`);
      const meta = await discover(idp);
      assert.equal(meta.issuer, idp.issuer);
      for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint']) {
        assert.ok(meta[k].startsWith(`${idp.issuer}/`), `${k} ${meta[k]} under the issuer`);
      }
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      for (const s of ['openid', 'email', 'profile', 'offline_access', 'groups']) assert.ok(meta.scopes_supported.includes(s), s);
      assert.ok(meta.claims_supported.includes('groups'));
      const jwks = JSON.parse((await httpRequest(meta.jwks_uri)).body);
      assert.ok(jwks.keys.some((k) => k.alg === 'RS256' && k.kty === 'RSA' && k.n && !k.d), 'a public RS256 key');
      assert.equal(await idp.count('discovery'), 1);
    } finally {
      await idp.stop();
    }
  });
}

test('code flow with PKCE: ID token claims, refresh once, userinfo', async () => {
  const idp = await startIdp({ redirectUris: [rp.url] });
  try {
    const meta = await discover(idp);
    const a = await authorize(idp, rp, meta);
    assert.ok(a.code, `a code\n${formatTrace(a.trace)}`);
    assert.equal(a.query.iss, idp.issuer);
    assert.equal(await idp.count('login', { user: 'alice', ok: true }), 1);

    const t = await token(meta, { grant_type: 'authorization_code', code: a.code, redirect_uri: rp.url, code_verifier: a.verifier });
    assert.equal(t.status, 200, JSON.stringify(t.json));
    assert.equal(t.json.token_type, 'Bearer');
    assert.ok(t.json.refresh_token, 'a refresh token without offline_access');
    assert.equal(t.json.expires_in, 3600);
    const { header, payload } = await verifyJwt(t.json.id_token, meta);
    assert.equal(header.alg, 'RS256');
    assert.equal(payload.iss, idp.issuer);
    assert.equal(payload.aud, CLIENT_ID);
    assert.equal(payload.nonce, a.nonce);
    assert.equal(payload.sub, USERS.alice.sub);
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.email_verified, true);
    assert.deepEqual(payload.groups, ['admins', 'staff']);
    assert.equal(payload.preferred_username, 'alice');
    assert.equal(payload.name, 'Alice Example');

    const u = await userinfo(meta, t.json.access_token);
    assert.equal(u.status, 200, JSON.stringify(u.json));
    assert.equal(u.json.email, 'alice@example.com');

    const rt = await token(meta, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token });
    assert.equal(rt.status, 200, JSON.stringify(rt.json));
    assert.ok(rt.json.id_token && rt.json.access_token);
    assert.equal(rt.json.refresh_token, t.json.refresh_token, 'not rotated by default');
    assert.equal(await idp.count('token', { grant_type: 'refresh_token', status: 200 }), 1);
    assert.equal(await idp.count('token', { grant_type: 'authorization_code', status: 200, authScheme: 'Basic' }), 1);
    assert.equal(await idp.count('userinfo'), 1);

    // The code is single use, and its replay revokes what it gave.
    const again = await token(meta, { grant_type: 'authorization_code', code: a.code, redirect_uri: rp.url, code_verifier: a.verifier });
    assert.equal(again.json.error, 'invalid_grant');
    const revoked = await token(meta, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token });
    assert.equal(revoked.json.error, 'invalid_grant');
  } finally {
    await idp.stop();
  }
});

test('claimsInIdToken false: the claims come from userinfo only', async () => {
  const idp = await startIdp({ redirectUris: [rp.url], claimsInIdToken: false, accessTokenTTL: 120 });
  try {
    const meta = await discover(idp);
    const a = await authorize(idp, rp, meta, { user: 'bob', pkce: false });
    const t = await token(meta, { grant_type: 'authorization_code', code: a.code, redirect_uri: rp.url });
    assert.equal(t.status, 200, JSON.stringify(t.json));
    assert.equal(t.json.expires_in, 120);
    const { payload } = await verifyJwt(t.json.id_token, meta);
    assert.equal(payload.sub, USERS.bob.sub);
    for (const k of ['email', 'email_verified', 'groups', 'preferred_username', 'name']) assert.ok(!(k in payload), `${k} not in the ID token`);
    const u = await userinfo(meta, t.json.access_token);
    assert.equal(u.status, 200);
    assert.deepEqual(u.json, {
      sub: USERS.bob.sub, email: 'bob@example.org', email_verified: true,
      groups: ['staff'], preferred_username: 'bob', name: 'Bob Example',
    });
  } finally {
    await idp.stop();
  }
});

test('a wrong password does not sign in; mallory is unverified', async () => {
  const idp = await startIdp({ redirectUris: [rp.url] });
  try {
    const meta = await discover(idp);
    const bad = await authorize(idp, rp, meta, { user: 'alice', password: 'wrong' });
    assert.equal(bad.code, undefined);
    assert.equal(bad.r.status, 200);
    assert.match(bad.r.body, /Invalid username or password/);
    assert.ok(loginForm(bad.r.body, bad.r.url), 'the form again');
    assert.equal(await idp.count('login', { ok: false }), 1);
    assert.equal(await idp.count('token'), 0);

    const nobody = await authorize(idp, rp, meta, { user: 'eve', password: 'eve-password' });
    assert.equal(nobody.code, undefined);

    const m = await authorize(idp, rp, meta, { user: 'mallory' });
    const t = await token(meta, { grant_type: 'authorization_code', code: m.code, redirect_uri: rp.url, code_verifier: m.verifier });
    const { payload } = await verifyJwt(t.json.id_token, meta);
    assert.equal(payload.email, 'mallory@example.com');
    assert.equal(payload.email_verified, false);
    assert.deepEqual(payload.groups, []);
  } finally {
    await idp.stop();
  }
});

test('IdP session: a second authorization is silent; PKCE can be required', async () => {
  const idp = await startIdp({ redirectUris: [rp.url], requirePkce: true });
  try {
    const meta = await discover(idp);
    const jar = new CookieJar();
    const first = await authorize(idp, rp, meta, { jar });
    assert.ok(first.code);
    const second = await authorize(idp, rp, meta, { jar });
    assert.ok(second.code, 'no form the second time');
    assert.equal(await idp.count('login_form'), 1);
    assert.ok(!jar.all(idp.issuer).some((c) => c.secure), 'no Secure cookies over http');

    const noPkce = await authorize(idp, rp, meta, { jar, pkce: false });
    assert.equal(noPkce.code, undefined);
    assert.equal(noPkce.query.error, 'invalid_request');
  } finally {
    await idp.stop();
  }
});

test('stop and start: same port, refresh tokens still valid; faults; end_session', async () => {
  const idp = await startIdp({ redirectUris: [rp.url], postLogoutRedirectUris: [`${rp.url}/out`] });
  try {
    const meta = await discover(idp);
    const jar = new CookieJar();
    const a = await authorize(idp, rp, meta, { jar });
    const t = await token(meta, { grant_type: 'authorization_code', code: a.code, redirect_uri: rp.url, code_verifier: a.verifier });
    const port = idp.port;
    await idp.stop();
    await assert.rejects(httpRequest(meta.token_endpoint, { method: 'POST', body: {} }), /ECONNREFUSED/);
    await idp.start();
    assert.equal(idp.port, port);
    const rt = await token(meta, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token });
    assert.equal(rt.status, 200, JSON.stringify(rt.json));

    await idp.fault({ path: '/token', status: 503 });
    const f = await token(meta, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token }).catch((e) => e);
    assert.ok(f instanceof SyntaxError, 'a non-JSON 503');
    assert.equal(await idp.count('fault', { status: 503 }), 1);
    assert.equal((await token(meta, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token })).status, 200);

    // RP-initiated logout ends the IdP session and revokes the grant.
    const end = new URL(meta.end_session_endpoint);
    end.search = new URLSearchParams({ id_token_hint: t.json.id_token, post_logout_redirect_uri: `${rp.url}/out`, state: 'bye' });
    const trace = [];
    const page = await follow(end.href, { jar, trace });
    const form = parseForms(page.body, page.url)[0];
    assert.equal(form.fields.logout, 'yes');
    const done = await submitForm(form, {}, { jar });
    assert.equal(done.status, 303);
    assert.equal(done.location, `${rp.url}/out?state=bye`);
    assert.equal(await idp.count('end_session_confirm'), 1);
    const revoked = await token(meta, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token });
    assert.equal(revoked.json.error, 'invalid_grant');
  } finally {
    await idp.stop();
  }
});

test('issuer localhost with a path: the whole flow, ES256 keys, client_secret_post', async () => {
  const idp = await startIdp({ host: 'localhost', issuerPath: '/realms/test', redirectUris: [rp.url], keys: ['RS256', 'ES256'], idTokenAlg: 'ES256', authMethod: 'client_secret_post' });
  try {
    const meta = await discover(idp);
    assert.ok(meta.id_token_signing_alg_values_supported.includes('ES256'));
    const a = await authorize(idp, rp, meta, { user: 'bob' });
    assert.ok(a.code, formatTrace(a.trace));
    assert.ok(a.trace.every((h) => new URL(h.url).hostname === 'localhost' || h.url.startsWith(rp.url)), formatTrace(a.trace));
    const t = await token(meta, { grant_type: 'authorization_code', code: a.code, redirect_uri: rp.url, code_verifier: a.verifier }, { auth: 'post' });
    assert.equal(t.status, 200, JSON.stringify(t.json));
    const [ev] = await idp.eventList('token');
    assert.equal(ev.authScheme, undefined, 'the secret in the body, no Authorization');
    const { header, payload } = await verifyJwt(t.json.id_token, meta);
    assert.equal(header.alg, 'ES256');
    assert.equal(payload.iss, `http://localhost:${idp.port}/realms/test`);
    assert.ok(meta.token_endpoint.startsWith(`${idp.issuer}/`), meta.token_endpoint);
    assert.deepEqual(payload.groups, ['staff']);
  } finally {
    await idp.stop();
  }
});

test('knobs: setUser, set, rotateKeys, freeze', async () => {
  const idp = await startIdp({ redirectUris: [rp.url] });
  try {
    const meta = await discover(idp);
    const a = await authorize(idp, rp, meta);
    const t = await token(meta, { grant_type: 'authorization_code', code: a.code, redirect_uri: rp.url, code_verifier: a.verifier });
    const kid0 = (await verifyJwt(t.json.id_token, meta)).header.kid;

    await idp.setUser('alice', { groups: ['staff'] });
    await idp.set({ accessTokenTTL: 30, rotateRefreshTokens: true });
    const r1 = await token(meta, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token });
    assert.equal(r1.json.expires_in, 30);
    assert.notEqual(r1.json.refresh_token, t.json.refresh_token, 'rotated');
    assert.deepEqual((await verifyJwt(r1.json.id_token, meta)).payload.groups, ['staff']);

    await idp.rotateKeys();
    const r2 = await token(meta, { grant_type: 'refresh_token', refresh_token: r1.json.refresh_token });
    assert.equal(r2.status, 200, JSON.stringify(r2.json));
    const { header } = await verifyJwt(r2.json.id_token, meta);
    assert.notEqual(header.kid, kid0);
    assert.equal(idp.jwks.keys.length, 2, 'the old key stays published');

    await idp.setUser('alice', null);
    const gone = await token(meta, { grant_type: 'refresh_token', refresh_token: r2.json.refresh_token });
    assert.equal(gone.json.error, 'invalid_grant');

    idp.freeze();
    await assert.rejects(httpRequest(idp.discoveryUrl, { timeout: 300 }), /timeout/);
    idp.thaw();
    assert.equal((await httpRequest(idp.discoveryUrl)).status, 200);
  } finally {
    await idp.stop();
  }
});

test('CookieJar: path, Max-Age=0, Domain, per host:port', () => {
  const jar = new CookieJar();
  jar.store('http://127.0.0.1:1000/a/b', ['x=1', 'y=2; Path=/a/c; HttpOnly', 'z=3; Path=/other', 'w=4; Domain=example.com']);
  assert.equal(jar.header('http://127.0.0.1:1000/a/c'), 'y=2; x=1', 'longest path first; x has the default path /a');
  assert.equal(jar.header('http://127.0.0.1:1000/ab'), '');
  assert.equal(jar.header('http://127.0.0.1:1000/'), '');
  assert.equal(jar.header('http://127.0.0.1:1000/other/x'), 'z=3');
  assert.equal(jar.header('http://127.0.0.1:2000/a/c'), '', 'another port');
  jar.store('http://127.0.0.1:1000/a/b', ['y=; Path=/a/c; Max-Age=0']);
  assert.equal(jar.header('http://127.0.0.1:1000/a/c'), 'x=1');
  jar.store('http://localhost:1000/', ['d=5; Domain=localhost; Path=/', 'e=6; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
  assert.equal(jar.header('http://localhost:1000/q'), 'd=5');
  assert.equal(jar.get('x', 'http://127.0.0.1:1000/a/').value, '1');
});

test('signIn() through a stand-in proxy', async () => {
  const mp = await startMiniProxy();
  const idp = await startIdp({ redirectUris: [`${mp.base}/oauth2/callback`] });
  try {
    mp.meta = await discover(idp);
    const r = await signIn(mp.base, { user: 'alice', password: 'alice-password', rd: '/deep/page' });
    assert.equal(r.status, 302, formatTrace(r.trace));
    assert.equal(r.location, `${mp.base}/deep/page`);
    assert.ok(r.reachedCallback);
    assert.equal(r.jar.get('mini', mp.base).value, 'signed-in');
    assert.deepEqual(r.trace.map((h) => h.status), [302, 303, 200, 303, 303, 302]);
    const page = await httpRequest(r.location, { jar: r.jar });
    assert.match(page.body, /signed in at \/deep\/page/);

    const bad = await signIn(mp.base, { user: 'alice', password: 'nope' });
    assert.equal(bad.reachedCallback, false);
    assert.match(bad.body, /Invalid username or password/);
  } finally {
    await idp.stop();
    await mp.stop();
  }
});

for (const host of ['127.0.0.1', 'localhost']) {
  test(`browserSignIn() through a stand-in proxy, IdP at ${host}; logout`, { skip: browserSkip() }, async () => {
    const mp = await startMiniProxy();
    const idp = await startIdp({ host, redirectUris: [`${mp.base}/oauth2/callback`], postLogoutRedirectUris: [`${mp.base}/bye`] });
    let b;
    try {
      b = await launchBrowser();
      mp.meta = await discover(idp);
      const page = await b.newPage();
      const url = await browserSignIn(page, mp.base, { user: 'bob', password: 'bob-password', path: '/app' });
      assert.equal(url, `${mp.base}/app`);
      assert.equal(await page.locator('#who').innerText(), 'signed in at /app');
      assert.equal(await idp.count('login', { user: 'bob', ok: true }), 1);

      // RP-initiated logout: the confirmation page submits itself.
      const end = new URL(mp.meta.end_session_endpoint);
      end.search = new URLSearchParams({ client_id: CLIENT_ID, post_logout_redirect_uri: `${mp.base}/bye` });
      await page.goto(end.href);
      await page.waitForURL(`${mp.base}/bye`, { timeout: 10000 });
      assert.equal(await idp.count('end_session_confirm', { status: 303 }), 1);

      const other = await b.newPage();
      await assert.rejects(browserSignIn(other, mp.base, { user: 'bob', password: 'wrong' }), /Invalid username or password/);
    } finally {
      await b?.close();
      await idp.stop();
      await mp.stop();
    }
  });
}
