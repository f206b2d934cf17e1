// A real browser for the tests: Debian's chromium (tests/install-deps)
// driven by npm playwright-core, headless, kept on loopback.
//
//   test('...', { skip: browserSkip() }, async () => {
//     const b = await launchBrowser();
//     try {
//       const page = await b.newPage();
//       await browserSignIn(page, base, { user: 'alice', password: 'alice-password', path: '/x' });
//     } finally { await b.close(); }
//   });
//
// Without /usr/bin/chromium the tests skip, except in CI (CI=true), where
// launchBrowser() fails instead.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.GATEHOUSE_CHROMIUM ?? '/usr/bin/chromium';

// For `test(name, { skip: browserSkip() }, fn)`: a reason, or false.
export function browserSkip() {
  if (existsSync(CHROMIUM) || process.env.CI === 'true') return false;
  return `${CHROMIUM} not installed (tests/install-deps installs chromium)`;
}

// Returns { browser, newPage(), close() }.  Each newPage() has its own
// context (its own cookies).  Any host name but localhost resolves to
// nothing, so a page cannot reach past loopback.
export async function launchBrowser({ headless = true, args = [] } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`browser: ${CHROMIUM} is missing (run tests/install-deps)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]',
      '--no-proxy-server',
      '--disable-component-update',
      '--disable-domain-reliability',
      '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
      ...args,
    ],
    timeout: 30000,
  });
  const contexts = [];
  return {
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext(options);
      contexts.push(context);
      return context.newPage();
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
    },
  };
}

function originOf(url) {
  return new URL(url).origin;
}

// Runs `act` and waits for the main frame's next navigation to commit
// and load (a redirect chain commits once, at its end).
async function navigation(page, act, timeout) {
  const committed = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout });
  await act();
  await committed;
  await page.waitForLoadState('load', { timeout });
}

// Opens `${base}${path}`; clicks gatehouse's sign-in button if its page
// is shown (a form whose action ends with /oauth2/start); fills and
// submits the IdP's login form if it asks (no form: an IdP session
// answers at once); checks that the page is then back on base, past
// /oauth2/callback.  Returns the page's final URL; throws with the page's
// URL and text when the sign-in stops elsewhere (a wrong password: the
// IdP's form again; an error page).
export async function browserSignIn(page, base, { user, password, path = '/', timeout = 15000 } = {}) {
  const origin = originOf(base);
  const atBase = (u) => originOf(u) === origin;
  await page.goto(`${base}${path}`, { timeout });

  const start = page.locator('form[action$="/oauth2/start"]');
  if (atBase(page.url()) && await start.count()) {
    const button = start.first().locator('button, input[type=submit]').first();
    await navigation(page, async () => {
      if (await button.count()) await button.click();
      else await start.first().evaluate((f) => f.submit());
    }, timeout);
  }

  if (!atBase(page.url())) {
    const form = page.locator('form:has(input[type=password])').first();
    if (await form.count()) {
      await form.locator('input[type=text], input[type=email], input:not([type])').first().fill(user);
      await form.locator('input[type=password]').fill(password);
      const submit = form.locator('button[type=submit], button:not([type]), input[type=submit]').first();
      await navigation(page, () => submit.click(), timeout);
    }
  }

  const url = page.url();
  if (!atBase(url) || new URL(url).pathname.endsWith('/oauth2/callback')) {
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(`browserSignIn: not back on ${origin}, at ${url}\n${text}`);
  }
  return url;
}
