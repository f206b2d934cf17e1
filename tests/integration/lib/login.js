// Signing in without a browser: a cookie jar, one-request HTTP (no
// redirect followed unless asked), and the whole sign-in through
// gatehouse and the test IdP (lib/idp.js).
//
//   const r = await signIn(`http://127.0.0.1:${gh.port}`, { user: 'alice', password: 'alice-password', rd: '/x' });
//   r.status === 302, r.location === 'http://127.0.0.1:PORT/x' (what the
//   callback answered); r.jar then carries gatehouse's session cookie:
//   await httpRequest(`${base}/x`, { jar: r.jar })
//
// Only loopback hosts are ever contacted (127.0.0.1, localhost, [::1]);
// 'localhost' is connected to as 127.0.0.1, with Host: localhost:PORT.
import http from 'node:http';
import https from 'node:https';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function checkLoopback(u) {
  if (!LOOPBACK.has(u.hostname)) throw new Error(`login: refusing to contact ${u.host} (loopback only)`);
}

function defaultPath(u) {
  const p = u.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

function pathMatches(reqPath, cookiePath) {
  if (reqPath === cookiePath) return true;
  if (!reqPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || reqPath[cookiePath.length] === '/';
}

// Cookies kept per host:port (not per host, as browsers do: the tests run
// gatehouse and the IdP on one address and keep their cookies apart).
// Secure cookies are kept and sent over plain http, as browsers do for
// loopback; `secure` is recorded so that a test can check the attribute.
export class CookieJar {
  constructor() {
    this.cookies = [];    // { origin, name, value, path, domain, hostOnly, expires, secure, httpOnly, sameSite, raw }
  }

  static origin(u) {
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  }

  // Takes the Set-Cookie headers of a response to `url`.
  store(url, setCookies) {
    const u = new URL(url);
    for (const raw of [].concat(setCookies ?? [])) this.storeOne(u, raw);
  }

  storeOne(u, raw) {
    const [pair, ...attrs] = raw.split(';');
    const eq = pair.indexOf('=');
    if (eq < 1) return;
    const c = {
      origin: CookieJar.origin(u),
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      path: defaultPath(u),
      domain: u.hostname,
      hostOnly: true,
      expires: null,
      secure: false,
      httpOnly: false,
      sameSite: undefined,
      raw,
    };
    let maxAge;
    for (const a of attrs) {
      const i = a.indexOf('=');
      const k = (i === -1 ? a : a.slice(0, i)).trim().toLowerCase();
      const v = i === -1 ? '' : a.slice(i + 1).trim();
      if (k === 'path' && v.startsWith('/')) c.path = v;
      else if (k === 'max-age' && /^-?\d+$/.test(v)) maxAge = Number(v);
      else if (k === 'expires' && maxAge === undefined && !Number.isNaN(Date.parse(v))) c.expires = Date.parse(v);
      else if (k === 'secure') c.secure = true;
      else if (k === 'httponly') c.httpOnly = true;
      else if (k === 'samesite') c.sameSite = v;
      else if (k === 'domain' && v) {
        const d = v.replace(/^\./, '').toLowerCase();
        // A loopback host can only name itself.
        if (d !== u.hostname.toLowerCase()) return;
        c.hostOnly = false;
      }
    }
    if (maxAge !== undefined) c.expires = maxAge <= 0 ? 0 : Date.now() + maxAge * 1000;
    this.cookies = this.cookies.filter((x) => !(x.origin === c.origin && x.name === c.name && x.path === c.path));
    if (c.expires !== null && c.expires <= Date.now()) return;
    this.cookies.push(c);
  }

  // The live cookies that a request to `url` carries, longest path first.
  matching(url) {
    const u = new URL(url);
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === null || c.expires > now);
    return this.cookies
      .filter((c) => c.origin === CookieJar.origin(u) && pathMatches(u.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
  }

  header(url) {
    return this.matching(url).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  // One cookie by name (for `url`'s host:port, or anywhere), or undefined.
  get(name, url) {
    const list = url ? this.matching(url) : this.cookies;
    return list.find((c) => c.name === name);
  }

  // Every cookie, optionally of one host:port ('127.0.0.1:4180') or URL.
  all(where) {
    if (!where) return [...this.cookies];
    const origin = where.includes('://') ? CookieJar.origin(new URL(where)) : where;
    return this.cookies.filter((c) => c.origin === origin);
  }

  set(url, name, value, path = '/') {
    this.storeOne(new URL(url), `${name}=${value}; Path=${path}`);
  }

  delete(name, where) {
    this.cookies = this.cookies.filter((c) => !(c.name === name && (!where || this.all(where).includes(c))));
  }

  clear() { this.cookies = []; }

  clone() {
    const j = new CookieJar();
    j.cookies = this.cookies.map((c) => ({ ...c }));
    return j;
  }
}

// One request; redirects are returned, not followed.  body: a string, a
// Buffer, or an object (sent as a urlencoded form).  Returns { status,
// headers, location (absolute, or undefined), body (string), url }.
export function httpRequest(url, { method = 'GET', headers = {}, body, jar, timeout = 5000, ca, rejectUnauthorized = true } = {}) {
  const u = new URL(url);
  checkLoopback(u);
  const h = { ...headers };
  let payload;
  if (body !== undefined && body !== null) {
    if (typeof body === 'object' && !Buffer.isBuffer(body)) {
      payload = new URLSearchParams(body).toString();
      h['Content-Type'] ??= 'application/x-www-form-urlencoded';
    } else {
      payload = body;
    }
    h['Content-Length'] = Buffer.byteLength(payload);
  }
  if (jar) {
    const cookie = jar.header(url);
    if (cookie && !Object.keys(h).some((k) => k.toLowerCase() === 'cookie')) h.Cookie = cookie;
  }
  const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, '');
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host,
      port: u.port || (u.protocol === 'https:' ? 443 : 80),
      path: `${u.pathname}${u.search}`,
      method,
      headers: { Host: u.host, ...h },
      agent: false,
      timeout,
      servername: u.protocol === 'https:' && u.hostname === 'localhost' ? 'localhost' : undefined,
      ca,
      rejectUnauthorized,
    }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        if (jar) jar.store(url, res.headers['set-cookie']);
        const loc = res.headers.location;
        resolve({
          url,
          status: res.statusCode,
          headers: res.headers,
          location: loc === undefined ? undefined : new URL(loc, url).href,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function attrs(tag) {
  const out = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-\w:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    out[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

function decodeEntities(s) {
  return s.replace(/&(#x[\da-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (all, e) => {
    const k = e.toLowerCase();
    if (k.startsWith('#x')) return String.fromCodePoint(parseInt(k.slice(2), 16));
    if (k.startsWith('#')) return String.fromCodePoint(Number(k.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[k];
  });
}

// The forms of an HTML page: [{ action (absolute), method, fields:
// { name: value } (hidden and prefilled inputs), inputs: [{ name, type,
// value }], buttons: [{ name, value, type }] }].
export function parseForms(html, pageUrl) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const a = attrs(m[1]);
    const inputs = [...m[2].matchAll(/<input\b([^>]*)>/gi)].map((x) => attrs(x[1]))
      .map((x) => ({ name: x.name, type: (x.type ?? 'text').toLowerCase(), value: x.value ?? '' }));
    const buttons = [...m[2].matchAll(/<button\b([^>]*)>/gi)].map((x) => attrs(x[1]))
      .map((x) => ({ name: x.name, value: x.value ?? '', type: (x.type ?? 'submit').toLowerCase() }));
    const fields = {};
    for (const i of inputs) {
      if (!i.name || ['submit', 'button', 'image', 'reset'].includes(i.type)) continue;
      if (['checkbox', 'radio'].includes(i.type)) continue;
      fields[i.name] = i.value;
    }
    forms.push({
      action: new URL(a.action ?? '', pageUrl).href,
      method: (a.method ?? 'get').toUpperCase(),
      id: a.id,
      fields,
      inputs,
      buttons,
    });
  }
  return forms;
}

// Submits a parsed form with `values` over its fields.
export function submitForm(form, values = {}, { jar, headers } = {}) {
  const data = { ...form.fields, ...values };
  if (form.method === 'GET') {
    const u = new URL(form.action);
    for (const [k, v] of Object.entries(data)) u.searchParams.set(k, v);
    return httpRequest(u.href, { jar, headers });
  }
  return httpRequest(form.action, { method: 'POST', body: data, jar, headers });
}

function record(trace, method, url, r) {
  trace.push({ method, url, status: r.status, location: r.location });
}

// Follows redirects from `url` (GET) while `until(nextUrl)` is false;
// returns the last response and the URL it came from.
export async function follow(url, { jar, trace = [], until = () => false, max = 20, headers } = {}) {
  let r = await httpRequest(url, { jar, headers });
  record(trace, 'GET', url, r);
  for (let n = 0; r.location && [301, 302, 303, 307, 308].includes(r.status); n++) {
    if (n >= max) throw new Error(`login: more than ${max} redirects\n${formatTrace(trace)}`);
    if (until(r.location)) break;
    checkLoopback(new URL(r.location));
    const next = r.location;
    r = await httpRequest(next, { jar, headers });
    record(trace, 'GET', next, r);
  }
  return r;
}

export function formatTrace(trace) {
  return trace.map((t) => `${t.method} ${t.url} -> ${t.status}${t.location ? ` ${t.location}` : ''}`).join('\n');
}

// The login form of a page: the one with a password field.
export function loginForm(html, pageUrl) {
  return parseForms(html, pageUrl).find((f) => f.inputs.some((i) => i.type === 'password'));
}

// Fills and posts a login form (the first text/email input gets `user`).
export async function postLogin(form, { user, password, jar, trace = [] }) {
  const userField = form.inputs.find((i) => i.name && ['text', 'email'].includes(i.type));
  const passField = form.inputs.find((i) => i.type === 'password');
  const values = { [passField.name]: password };
  if (userField) values[userField.name] = user;
  const r = await submitForm(form, values, { jar });
  record(trace, form.method, form.action, r);
  return r;
}

// The whole sign-in: /oauth2/start on gatehouse, the IdP (its login
// form when it asks), back to /oauth2/callback.  Returns gatehouse's
// answer to the callback (not followed), or, when the sign-in stops
// before it (a wrong password: the IdP's form again; an error page), that
// last response; with { status, headers, location, body, url, jar, trace,
// reachedCallback }.
export async function signIn(base, { user, password, rd = '/', jar = new CookieJar(), trace = [], startPath = '/oauth2/start' } = {}) {
  const origin = new URL(base).origin;
  const onBase = (loc) => new URL(loc).origin === origin;
  const startUrl = `${base}${startPath}?rd=${encodeURIComponent(rd)}`;
  let r = await httpRequest(startUrl, { jar });
  record(trace, 'GET', startUrl, r);
  const done = (x, reachedCallback) => ({ ...x, jar, trace, reachedCallback });
  if (!r.location || onBase(r.location)) return done(r, false);

  // At the IdP: to its login form, or (a live IdP session) straight back.
  r = await follow(r.location, { jar, trace, until: onBase });
  if (!(r.location && onBase(r.location))) {
    const form = loginForm(r.body, r.url);
    if (!form) return done(r, false);
    r = await postLogin(form, { user, password, jar, trace });
    if (!r.location) return done(r, false);
    if (!onBase(r.location)) r = await follow(r.location, { jar, trace, until: onBase });
    if (!(r.location && onBase(r.location))) return done(r, false);
  }

  const callback = r.location;
  r = await httpRequest(callback, { jar });
  record(trace, 'GET', callback, r);
  return done(r, true);
}
