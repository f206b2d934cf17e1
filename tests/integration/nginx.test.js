// gatehouse behind a real nginx in auth_request mode, with the example
// the project ships (etc/nginx/gatehouse.conf) as it is, addresses aside:
// nginx asks P/auth for every request, shows gatehouse's sign-in page
// when it says 401, and passes the X-Auth-Request-* identity on.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Gatehouse, ensureUsers, freePort } from './lib/gatehouse.js';
import { startIdp } from './lib/idp.js';
import { startNginx } from './lib/nginx.js';
import { signIn, httpRequest, parseForms, formatTrace } from './lib/login.js';
import { startUpstream, headerValues } from './lib/upstream.js';

let app; let idp; let gh; let nginx; let base;

before(async () => {
  ensureUsers();
  app = await startUpstream({ name: 'app' });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startIdp({ redirectUris: [`${base}/oauth2/callback`] });
  gh = await new Gatehouse({
    config: {
      workers: 1, skip_oidc_discovery: false, oidc_issuer_url: idp.issuer, cookie_secure: false,
      reverse_proxy: true, trusted_proxy_ips: ['127.0.0.1/32'], set_xauthrequest: true,
      upstreams: ['static://202'], email_domains: ['example.com'],
    },
  }).start();
  nginx = await startNginx({ mode: 'authrequest', port, gatehouse: `127.0.0.1:${gh.port}`, upstream: `127.0.0.1:${app.port}` });
});
after(async () => { await nginx?.stop(); await gh?.stop(); await idp?.stop(); await app?.stop(); });

test('not signed in: nginx shows gatehouse\'s sign-in page, which leads back to the page asked for', async () => {
  app.reset?.();
  const r = await httpRequest(`${base}/app/x?y=1`, {});
  assert.equal(r.status, 403, nginx.errorLog());
  const [form] = parseForms(r.body, r.url);
  assert.equal(new URL(form.action).pathname, '/oauth2/start');
  assert.equal(form.fields.rd, '/app/x?y=1');
});

test('signed in through nginx: the app gets the identity, a forged one is overwritten', async () => {
  const r = await signIn(base, { user: 'alice', password: 'alice-password', rd: '/app/x?y=1' });
  assert.equal(r.status, 302, formatTrace(r.trace));
  assert.equal(r.location, `${base}/app/x?y=1`);
  const a = await httpRequest(`${base}/app/x?y=1`, { jar: r.jar, headers: { 'X-Email': 'mallory@example.com' } });
  assert.equal(a.status, 200, nginx.errorLog());
  const echo = JSON.parse(a.body);
  assert.deepEqual(headerValues(echo, 'x-email'), ['alice@example.com']);
  assert.equal(headerValues(echo, 'x-user').length, 1);
  assert.match(headerValues(echo, 'x-user')[0], /^alice/);
  assert.deepEqual(headerValues(echo, 'x-groups'), ['admins,staff']);
  // Signed out, nginx asks for a sign-in again.
  const out = await httpRequest(`${base}/oauth2/sign_out`, { jar: r.jar });
  assert.equal(out.status, 302);
  assert.equal((await httpRequest(`${base}/app/x?y=1`, { jar: r.jar })).status, 403);
});

test('a user outside email_domains signs in at the IdP but never reaches the app', async () => {
  const r = await signIn(base, { user: 'bob', password: 'bob-password', rd: '/app/' });
  assert.equal(r.status, 403, formatTrace(r.trace));
  assert.equal((await httpRequest(`${base}/app/`, { jar: r.jar })).status, 403);
});
