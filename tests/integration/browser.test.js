// A real browser (Debian's chromium through playwright-core) signs in
// at the test IdP's login page and sees the upstream page with its
// identity: with gatehouse as the reverse proxy, and behind nginx in
// auth_request mode with the shipped example.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Gatehouse, ensureUsers, freePort } from './lib/gatehouse.js';
import { startIdp } from './lib/idp.js';
import { startNginx } from './lib/nginx.js';
import { startUpstream } from './lib/upstream.js';
import { launchBrowser, browserSignIn, browserSkip } from './lib/browser.js';

let app; let b;

before(async () => {
  if (browserSkip()) return;
  ensureUsers();
  app = await startUpstream({ name: 'app' });
  b = await launchBrowser();
});
after(async () => { await b?.close(); await app?.stop(); });

// What the echo upstream says it received, as the browser shows it.
async function echoSeen(page) {
  return JSON.parse(await page.locator('body').innerText());
}

function header(echo, name) {
  return echo.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

test('standalone: sign in with the browser, see the app with identity headers, sign out', { skip: browserSkip(), timeout: 60000 }, async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const idp = await startIdp({ redirectUris: [`${base}/oauth2/callback`] });
  const gh = await new Gatehouse({
    port,
    config: {
      workers: 1, skip_oidc_discovery: false, oidc_issuer_url: idp.issuer, cookie_secure: false,
      upstreams: [`${app.url}/`], email_domains: ['example.com'],
    },
  }).start();
  try {
    const page = await b.newPage();
    const url = await browserSignIn(page, base, { user: 'alice', password: 'alice-password', path: '/app/page?q=1' });
    assert.equal(url, `${base}/app/page?q=1`);
    const echo = await echoSeen(page);
    assert.equal(echo.url, '/app/page?q=1');
    assert.deepEqual(header(echo, 'x-forwarded-email'), ['alice@example.com']);
    assert.deepEqual(header(echo, 'x-forwarded-groups'), ['admins,staff']);
    const cookies = await page.context().cookies(base);
    const session = cookies.find((c) => c.name === '_oauth2_proxy');
    assert.ok(session?.httpOnly, 'HttpOnly session cookie');
    assert.equal(await page.evaluate(() => document.cookie.includes('_oauth2_proxy')), false);
    await page.goto(`${base}/oauth2/sign_out?rd=%2Fapp%2Fpage`);
    // Signed out: the sign-in page, in place of the app.
    assert.equal(await page.locator('form[action$="/oauth2/start"]').count(), 1);
  } finally { await gh.stop(); await idp.stop(); }
});

test('behind nginx (auth_request): sign in with the browser, the app sees the identity', { skip: browserSkip(), timeout: 60000 }, async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const idp = await startIdp({ redirectUris: [`${base}/oauth2/callback`] });
  const gh = await new Gatehouse({
    config: {
      workers: 1, skip_oidc_discovery: false, oidc_issuer_url: idp.issuer, cookie_secure: false,
      reverse_proxy: true, trusted_proxy_ips: ['127.0.0.1/32'], set_xauthrequest: true,
      upstreams: ['static://202'], email_domains: ['example.com'],
    },
  }).start();
  const nginx = await startNginx({ mode: 'authrequest', port, gatehouse: `127.0.0.1:${gh.port}`, upstream: `127.0.0.1:${app.port}` });
  try {
    const page = await b.newPage();
    const url = await browserSignIn(page, base, { user: 'alice', password: 'alice-password', path: '/docs/' });
    assert.equal(url, `${base}/docs/`);
    const echo = await echoSeen(page);
    assert.deepEqual(header(echo, 'x-email'), ['alice@example.com']);
    assert.deepEqual(header(echo, 'x-groups'), ['admins,staff']);
  } finally { await nginx.stop(); await gh.stop(); await idp.stop(); }
});
