// A real OpenID Provider for the tests: npm oidc-provider (OpenID
// Certified) in a child node process on loopback, with a password login
// form, three users and one confidential client, gatehouse-test.
//
//   const idp = await startIdp({ redirectUris: [`http://127.0.0.1:${port}/oauth2/callback`] });
//   idp.issuer            'http://127.0.0.1:PORT' (or http://localhost:PORT)
//   await idp.count('token', { grant_type: 'refresh_token' })   -> 1
//   await idp.stop(); ...; await idp.start();   // "IdP down", same port
//
// The child is this same file (run with GH_IDP_CHILD=1).  What the IdP
// stores (sessions, grants, codes, tokens) lives in the parent, reached
// over the IPC channel, so a stopped and restarted IdP still knows the
// refresh tokens it issued; the signing keys and cookie keys also come
// from the parent and survive a restart (rotateKeys() changes them).
//
// Options (all optional but redirectUris):
//   redirectUris            the client's redirect_uris
//   postLogoutRedirectUris  the client's post_logout_redirect_uris ([])
//   authMethod              token_endpoint_auth_method ('client_secret_basic';
//                           'none' makes a public client, no secret)
//   host                    '127.0.0.1' (default) or 'localhost': the issuer's
//                           host.  It listens on 127.0.0.1, and with
//                           'localhost' also on ::1 when localhost resolves
//                           to it, so the issuer works whichever is tried.
//   port                    a fixed port (default: a free one, kept across
//                           stop()/start())
//   issuerPath              e.g. '/realms/test': the issuer and every
//                           endpoint then live under that path ('')
//   claimsInIdToken         true (default): the ID token carries email,
//                           email_verified, groups, preferred_username, name
//                           (oidc-provider's conformIdTokenClaims: false);
//                           false: the ID token has sub and the protocol
//                           claims only, the rest comes from userinfo
//   accessTokenTTL, idTokenTTL, refreshTokenTTL   seconds (3600, 3600, 14 d)
//   rotateRefreshTokens     true/false: always/never a new refresh token on
//                           refresh; undefined: oidc-provider's policy (new
//                           one after 70% of its lifetime)
//   requirePkce             PKCE required for this client (false; S256 is
//                           always supported and advertised)
//   keys                    signing algorithms, ['RS256'] (add 'ES256')
//   idTokenAlg              id_token_signed_response_alg ('RS256')
//   users                   { name: {...} } merged over USERS (null removes)
//   debug                   copy the child's output to stderr (also
//                           GH_IDP_DEBUG=1)
//
// Scopes: openid, email (email, email_verified), profile (name,
// preferred_username, groups), groups (groups alone), offline_access.  A
// refresh token is issued for every code grant, with or without
// offline_access.  Consent is never asked: the requested scopes are
// granted at once (and an explicit prompt=consent is answered by itself).
//
// Events (await idp.eventList(), idp.count()): one per request the
// provider answered, { n, time, type, method, path, status, grant_type,
// client_id, account, error, authScheme }, where type is oidc-provider's
// route name: discovery, jwks, authorization, resume, token, userinfo,
// end_session, end_session_confirm, end_session_success, revocation,
// introspection; plus { type: 'login', user, ok } for each login form
// post, 'login_form' for each form shown, 'consent' for an auto-consent,
// and { type: 'fault', ... } for each injected fault.  idp.events is the
// raw list, which may be a message behind; eventList() and count() first
// make sure every event the child sent has arrived.
//
// The login form (GET <issuer>/interaction/UID) posts username and
// password to <issuer>/interaction/UID/login; a wrong password shows the
// form again (200) with "Invalid username or password.".  The IdP session
// (cookie _session) makes later authorizations silent until it ends
// (forgetSessions(), or RP-initiated logout, whose confirmation page
// submits itself with logout=yes).  Over http no cookie is Secure.
//
// Other knobs: set(), setUser(), fault(), clearFaults(), revokeAll(),
// forgetSessions(), rotateKeys(), freeze()/thaw(), stop({ kill }),
// store.entries(model); idp.log holds the child's output.
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import dns from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLIENT_ID = 'gatehouse-test';
export const CLIENT_SECRET = 'client-secret-4f1d2e9a7c3b5d60';

// sub is opaque on purpose (not the user name), as at most real IdPs.
export const USERS = {
  alice: {
    sub: 'alice-7f3a21', password: 'alice-password',
    email: 'alice@example.com', email_verified: true,
    groups: ['admins', 'staff'], preferred_username: 'alice', name: 'Alice Example',
  },
  bob: {
    sub: 'bob-2c9d45', password: 'bob-password',
    email: 'bob@example.org', email_verified: true,
    groups: ['staff'], preferred_username: 'bob', name: 'Bob Example',
  },
  mallory: {
    sub: 'mallory-e81b07', password: 'mallory-password',
    email: 'mallory@example.com', email_verified: false,
    groups: [], preferred_username: 'mallory', name: 'Mallory Example',
  },
};

const SELF = fileURLToPath(import.meta.url);
const RESTART_KEYS = ['claimsInIdToken', 'redirectUris', 'postLogoutRedirectUris', 'authMethod', 'idTokenAlg'];
const DAY = 24 * 3600;

// --- parent side -------------------------------------------------------

function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// Signing keys as private JWKs, newest first.
function makeKey(alg) {
  const pair = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = pair.privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}` };
}

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

// The provider's storage (its adapter API, per model name), kept here so
// that it outlives the child.
class Store {
  constructor() { this.map = new Map(); }

  key(model, id) { return `${model}:${id}`; }

  get(model, id) {
    const e = this.map.get(this.key(model, id));
    if (!e) return undefined;
    if (e.exp !== null && e.exp <= Date.now()) {
      this.map.delete(this.key(model, id));
      return undefined;
    }
    return e;
  }

  upsert(model, id, payload, expiresIn) {
    const exp = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
    this.map.set(this.key(model, id), { model, id, payload, exp });
  }

  find(model, id) { return this.get(model, id)?.payload; }

  findBy(model, field, value) {
    for (const e of this.map.values()) {
      if (e.model === model && e.payload[field] === value) return this.find(model, e.id);
    }
    return undefined;
  }

  consume(model, id) {
    const e = this.get(model, id);
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }

  destroy(model, id) { this.map.delete(this.key(model, id)); }

  // Revoking a grant takes every token and code issued under it.
  revokeByGrantId(grantId) {
    for (const [k, e] of this.map) {
      if (GRANTABLE.has(e.model) && e.payload.grantId === grantId) this.map.delete(k);
    }
  }

  call(op, [model, ...args]) {
    switch (op) {
      case 'upsert': return this.upsert(model, ...args);
      case 'find': return this.find(model, args[0]);
      case 'findByUid': return this.findBy(model, 'uid', args[0]);
      case 'findByUserCode': return this.findBy(model, 'userCode', args[0]);
      case 'consume': return this.consume(model, args[0]);
      case 'destroy': return this.destroy(model, args[0]);
      case 'revokeByGrantId': return this.revokeByGrantId(args[0]);
      default: throw new Error(`idp store: unknown op ${op}`);
    }
  }

  // What a test may want to look at or take away.
  entries(model) {
    return [...this.map.values()].filter((e) => !model || e.model === model)
      .filter((e) => this.get(e.model, e.id)).map((e) => ({ id: e.id, ...e.payload }));
  }
}

function matches(ev, type, match) {
  if (type && ev.type !== type) return false;
  if (typeof match === 'function') return match(ev);
  return Object.entries(match ?? {}).every(([k, v]) => ev[k] === v);
}

export class Idp {
  constructor(opts = {}) {
    this.opts = {
      redirectUris: [],
      postLogoutRedirectUris: [],
      authMethod: 'client_secret_basic',
      host: '127.0.0.1',
      issuerPath: '',
      claimsInIdToken: true,
      accessTokenTTL: 3600,
      idTokenTTL: 3600,
      refreshTokenTTL: 14 * DAY,
      rotateRefreshTokens: undefined,
      requirePkce: false,
      keys: ['RS256'],
      idTokenAlg: 'RS256',
      ...opts,
    };
    if (!['127.0.0.1', 'localhost'].includes(this.opts.host)) throw new Error(`idp: host must be 127.0.0.1 or localhost, not ${this.opts.host}`);
    this.users = structuredClone(USERS);
    for (const [name, u] of Object.entries(opts.users ?? {})) {
      if (u === null) delete this.users[name];
      else this.users[name] = { ...this.users[name], ...u };
    }
    this.keys = this.opts.keys.map(makeKey);
    this.cookieKeys = [crypto.randomBytes(32).toString('hex')];
    this.store = new Store();
    this.events = [];
    this.faults = [];
    this.log = '';
    this.seq = 0;
    this.waiting = new Map();
    this.port = opts.port;
  }

  get issuer() { return `http://${this.opts.host}:${this.port}${this.opts.issuerPath}`; }

  get discoveryUrl() { return `${this.issuer}/.well-known/openid-configuration`; }

  // The public half of the signing keys, as the jwks endpoint serves them.
  get jwks() {
    return {
      keys: this.keys.map(({ kty, crv, x, y, n, e, alg, use, kid }) => ({ kty, crv, x, y, n, e, alg, use, kid })),
    };
  }

  // Starts the child (again, after stop(): same port, same state).
  async start() {
    if (this.child) return this;
    const fixed = this.port !== undefined;
    for (let attempt = 0; ; attempt++) {
      if (!fixed) this.port = await freePort();
      try {
        await this.spawn();
        return this;
      } catch (e) {
        if (fixed || attempt >= 4 || !/EADDRINUSE/.test(String(e.message))) throw e;
        this.port = undefined;
      }
    }
  }

  async spawn() {
    const addresses = ['127.0.0.1'];
    if (this.opts.host === 'localhost') {
      const found = await dns.lookup('localhost', { all: true }).catch(() => []);
      if (found.some((a) => a.address === '::1')) addresses.push('::1');
    }
    const config = {
      issuer: this.issuer,
      port: this.port,
      addresses,
      prefix: this.opts.issuerPath,
      opts: { ...this.opts, users: undefined },
      users: this.users,
      keys: this.keys,
      cookieKeys: this.cookieKeys,
      faults: this.faults,
    };
    const child = fork(SELF, [], {
      env: { ...process.env, GH_IDP_CHILD: '1', GH_IDP_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    });
    const debug = this.opts.debug || process.env.GH_IDP_DEBUG === '1';
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (d) => {
        this.log += d;
        if (debug) process.stderr.write(`[idp] ${d}`);
      });
    }
    this.child = child;
    this.exited = once(child, 'exit').then(([code, signal]) => {
      if (this.child === child) this.child = null;
      for (const w of this.waiting.values()) w.reject(new Error('idp: exited'));
      this.waiting.clear();
      return { code, signal };
    });
    child.on('message', (m) => this.onMessage(m));
    // The child does not keep the test process alive by itself: a test
    // that forgets stop() still ends (and the child, on disconnect, too).
    // The channel is held only while an answer is awaited.
    child.unref();
    child.stdout.unref();
    child.stderr.unref();
    this.holds = 1;
    const ready = new Promise((resolve) => { this.onReady = resolve; });
    const r = await Promise.race([
      ready.then(() => null),
      this.exited.then((x) => new Error(`idp: child exited (${x.code ?? x.signal}) before ready: ${this.failure ?? ''}\n${this.log}`)),
      new Promise((resolve) => setTimeout(() => resolve(new Error(`idp: not ready after 10 s\n${this.log}`)), 10000).unref()),
    ]);
    if (r) {
      child.kill('SIGKILL');
      await this.exited;
      throw r;
    }
    this.release();
  }

  hold() {
    if (this.holds++ === 0) this.child?.channel?.ref();
  }

  release() {
    if (--this.holds === 0) this.child?.channel?.unref();
  }

  onMessage(m) {
    switch (m.t) {
      case 'ready': this.onReady(); break;
      case 'fail': this.failure = m.error; break;
      case 'event':
        this.events.push({ n: this.events.length + 1, ...m.ev });
        if (m.ev.type === 'fault' && this.faults[m.ev.fault]?.times) this.faults[m.ev.fault].times -= 1;
        break;
      case 'rpc': {
        let result;
        let error;
        try { result = this.store.call(m.op, m.args); } catch (e) { error = String(e); }
        this.child?.send({ t: 'rpc', id: m.id, result, error });
        break;
      }
      case 'ack': {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.resolve();
        break;
      }
      default: break;
    }
  }

  // Sends a message that the child answers with an ack: once it is back,
  // every event the child sent before it has arrived here too.
  request(msg) {
    if (!this.child) return Promise.resolve();
    const id = ++this.seq;
    this.hold();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...msg, id });
    }).finally(() => this.release());
  }

  sync() { return this.request({ t: 'sync' }); }

  // The events so far, optionally of one type and matching a partial
  // object or a predicate.
  async eventList(type, match) {
    await this.sync();
    return this.events.filter((ev) => matches(ev, type, match));
  }

  async count(type, match) {
    return (await this.eventList(type, match)).length;
  }

  clearEvents() { this.events.length = 0; }

  // Changes knobs of the running IdP (and of later starts).  These take
  // effect at once: accessTokenTTL, idTokenTTL, refreshTokenTTL,
  // rotateRefreshTokens, requirePkce; the client's metadata and
  // claimsInIdToken restart the child (state kept).
  async set(patch) {
    Object.assign(this.opts, patch);
    if (Object.keys(patch).some((k) => RESTART_KEYS.includes(k)) && this.child) {
      await this.stop();
      await this.start();
      return;
    }
    await this.request({ t: 'set', opts: patch });
  }

  // Changes a user's claims or password (null: the user is gone, so its
  // tokens stop refreshing and userinfo fails).
  async setUser(name, patch) {
    if (patch === null) delete this.users[name];
    else this.users[name] = { ...this.users[name], ...patch };
    await this.request({ t: 'users', users: this.users });
  }

  // Makes requests whose path (below the issuer path) starts with `path`
  // fail: answered `status` with `body` after `delay` ms, or, with
  // drop: true, the connection closed without an answer.  times: how many
  // requests (default 1; Infinity until clearFaults()).
  async fault({ path, status = 500, body = '', delay = 0, drop = false, times = 1 }) {
    this.faults.push({ path, status, body, delay, drop, times: times === Infinity ? null : times });
    await this.request({ t: 'faults', faults: this.faults });
  }

  async clearFaults() {
    this.faults.length = 0;
    await this.request({ t: 'faults', faults: this.faults });
  }

  // Revokes every grant: all its refresh and access tokens stop working,
  // sessions stay (the next authorization is silent).
  revokeAll() {
    for (const g of this.store.entries('Grant')) this.store.revokeByGrantId(g.id);
    for (const g of this.store.entries('Grant')) this.store.destroy('Grant', g.id);
  }

  // Forgets the IdP sessions: the next authorization asks for the
  // password again.
  forgetSessions() {
    for (const s of this.store.entries('Session')) this.store.destroy('Session', s.id);
  }

  // A new signing key (first in the JWKS, used from now on); the old ones
  // stay published unless keepOld is false.  Restarts the child.
  async rotateKeys({ keepOld = true } = {}) {
    const fresh = this.opts.keys.map(makeKey);
    this.keys = keepOld ? [...fresh, ...this.keys] : fresh;
    if (this.child) {
      await this.stop();
      await this.start();
    }
  }

  // SIGSTOP: the port still accepts connections, nothing answers.
  freeze() {
    if (this.child && !this.frozen) {
      this.child.kill('SIGSTOP');
      this.frozen = true;
    }
  }

  thaw() {
    if (this.child && this.frozen) {
      this.child.kill('SIGCONT');
      this.frozen = false;
    }
  }

  // kill: SIGKILL instead of a clean stop.
  async stop({ kill = false } = {}) {
    const { child } = this;
    if (!child) return undefined;
    if (kill) {
      child.kill('SIGKILL');
    } else {
      if (this.frozen) child.kill('SIGCONT');
      child.kill('SIGTERM');
    }
    this.frozen = false;
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

export async function startIdp(opts) {
  return new Idp(opts).start();
}

// --- child side ----------------------------------------------------------

function page(title, body) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:sans-serif;margin:3em auto;max-width:24em}label{display:block;margin:.6em 0}
input{display:block;width:100%}.error{color:#a00}</style></head>
<body><h1>${title}</h1>
${body}
</body></html>
`;
}

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
      if (body.length > limit) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

async function runChild() {
  const { default: Provider, errors } = await import('oidc-provider');
  const cfg = JSON.parse(process.env.GH_IDP_CONFIG);
  delete process.env.GH_IDP_CONFIG;
  const { opts, prefix } = cfg;
  let { users, faults } = cfg;
  const send = (m) => { if (process.connected) process.send(m); };
  const event = (ev) => send({ t: 'event', ev: { time: Date.now(), ...ev } });

  // The adapter: every call goes to the parent's Store.
  const pending = new Map();
  let rpcSeq = 0;
  const rpc = (op, args) => new Promise((resolve, reject) => {
    const id = ++rpcSeq;
    pending.set(id, { resolve, reject });
    send({ t: 'rpc', id, op, args });
  });
  class ParentAdapter {
    constructor(model) { this.model = model; }
    upsert(id, payload, expiresIn) { return rpc('upsert', [this.model, id, payload, expiresIn]); }
    find(id) { return rpc('find', [this.model, id]); }
    findByUid(uid) { return rpc('findByUid', [this.model, uid]); }
    findByUserCode(code) { return rpc('findByUserCode', [this.model, code]); }
    consume(id) { return rpc('consume', [this.model, id]); }
    destroy(id) { return rpc('destroy', [this.model, id]); }
    revokeByGrantId(grantId) { return rpc('revokeByGrantId', [this.model, grantId]); }
  }

  process.on('message', (m) => {
    if (m.t === 'rpc') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result ?? undefined);
      return;
    }
    if (m.t === 'set') Object.assign(opts, m.opts);
    if (m.t === 'users') users = m.users;
    if (m.t === 'faults') faults = m.faults;
    send({ t: 'ack', id: m.id });
  });
  process.on('disconnect', () => process.exit(0));

  const userBySub = (sub) => Object.values(users).find((u) => u.sub === sub);

  const client = {
    client_id: CLIENT_ID,
    redirect_uris: opts.redirectUris,
    post_logout_redirect_uris: opts.postLogoutRedirectUris,
    token_endpoint_auth_method: opts.authMethod,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: opts.idTokenAlg,
  };
  if (opts.authMethod !== 'none') client.client_secret = CLIENT_SECRET;

  const provider = new Provider(cfg.issuer, {
    adapter: ParentAdapter,
    clients: [client],
    jwks: { keys: cfg.keys },
    cookies: { keys: cfg.cookieKeys },
    claims: {
      acr: null, sid: null, auth_time: null, iss: null,
      openid: ['sub'],
      email: ['email', 'email_verified'],
      // realm_access and resource_access: Keycloak's roles, for users
      // that have them.
      profile: ['name', 'preferred_username', 'groups', 'realm_access', 'resource_access'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access'],
    conformIdTokenClaims: !opts.claimsInIdToken,
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The confirmation page: a form that also says logout=yes (end the
        // whole IdP session); a browser submits it by itself.
        async logoutSource(ctx, form) {
          const full = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/>'
            + '<button type="submit">Yes, sign me out</button></form>');
          ctx.body = page('Sign out', `${full}\n<script>document.forms[0].submit()</script>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    pkce: { required: () => Boolean(opts.requirePkce) },
    issueRefreshToken: async (ctx, c) => c.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: (ctx) => {
      if (opts.rotateRefreshTokens !== undefined && opts.rotateRefreshTokens !== null) return opts.rotateRefreshTokens;
      return ctx.oidc.entities.RefreshToken.ttlPercentagePassed() >= 70;
    },
    ttl: {
      AccessToken: () => opts.accessTokenTTL,
      IdToken: () => opts.idTokenTTL,
      RefreshToken: () => opts.refreshTokenTTL,
      AuthorizationCode: 60,
      Interaction: 3600,
      Session: 14 * DAY,
      Grant: 14 * DAY,
    },
    interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const u = userBySub(sub);
      if (!u) return undefined;
      return {
        accountId: sub,
        async claims() {
          const { password, ...claims } = u;
          return claims;
        },
      };
    },
    // First-party client: whatever it asks for is granted, no consent page.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const id = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
      let grant = id ? await oidc.provider.Grant.find(id) : undefined;
      grant ??= new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
      if (oidc.requestParamClaims.size) grant.addOIDCClaims([...oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', Object.entries(out).map(([k, v]) => `<p><b>${esc(k)}</b>: ${esc(v)}</p>`).join('\n'));
    },
  });
  provider.on('server_error', (ctx, err) => console.error('idp server_error:', err));

  // One event per request the provider answered.
  provider.use(async (ctx, next) => {
    await next();
    const { oidc } = ctx;
    const ev = {
      type: oidc?.route ?? 'unknown',
      method: ctx.method,
      path: ctx.req.originalUrl?.split('?')[0] ?? ctx.path,
      status: ctx.status,
    };
    try { ev.grant_type = oidc?.params?.grant_type; } catch { /* none */ }
    try { ev.client_id = oidc?.client?.clientId; } catch { /* none */ }
    try { ev.account = oidc?.account?.accountId; } catch { /* none */ }
    if (ctx.body && typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body) && ctx.body.error) ev.error = ctx.body.error;
    const auth = ctx.get('authorization');
    if (auth) ev.authScheme = auth.split(' ')[0];
    event(ev);
  });

  const loginForm = (uid, params, { error, username } = {}) => page('Sign in', `
${error ? `<p class="error">${esc(error)}</p>` : ''}
<form method="post" action="${prefix}/interaction/${esc(uid)}/login" autocomplete="off">
<label>Username <input type="text" name="username" value="${esc(username ?? params.login_hint ?? '')}" autofocus></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button>
</form>`);

  const html = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  };

  // Grants what the consent prompt says is missing, without asking.
  async function autoConsent(req, res, interaction) {
    const { prompt: { details }, params, session } = interaction;
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    event({ type: 'consent', account: session.accountId });
    await provider.interactionFinished(req, res, { consent: interaction.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true });
  }

  async function interactions(req, res, rest) {
    const interaction = await provider.interactionDetails(req, res);
    const { uid, prompt, params } = interaction;
    if (req.method === 'GET' && rest === uid) {
      if (prompt.name === 'consent') return autoConsent(req, res, interaction);
      event({ type: 'login_form' });
      return html(res, 200, loginForm(uid, params));
    }
    if (req.method === 'POST' && rest === `${uid}/login`) {
      const form = new URLSearchParams(await readBody(req));
      const name = form.get('username') ?? '';
      const u = Object.hasOwn(users, name) ? users[name] : undefined;
      const given = Buffer.from(form.get('password') ?? '');
      const ok = Boolean(u) && given.length === Buffer.byteLength(u.password)
        && crypto.timingSafeEqual(given, Buffer.from(u.password));
      event({ type: 'login', user: name, ok });
      if (!ok) return html(res, 200, loginForm(uid, params, { error: 'Invalid username or password.', username: name }));
      return provider.interactionFinished(req, res, { login: { accountId: u.sub } },
        { mergeWithLastSubmission: false });
    }
    return html(res, 404, page('Not found', ''));
  }

  const callback = provider.callback();
  const issuerHost = new URL(cfg.issuer).host;

  async function handle(req, res) {
    const url = new URL(req.url, 'http://x');
    if (prefix && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
      return html(res, 404, page('Not found', ''));
    }
    const rest = url.pathname.slice(prefix.length) || '/';
    const i = faults.findIndex((x) => rest.startsWith(x.path) && (x.times === null || x.times > 0));
    if (i !== -1) {
      const f = faults[i];
      if (f.times !== null) f.times -= 1;
      event({ type: 'fault', fault: i, method: req.method, path: url.pathname, status: f.drop ? 0 : f.status });
      if (f.delay) await new Promise((r) => setTimeout(r, f.delay));
      if (f.drop) return req.socket.destroy();
      res.writeHead(f.status, { 'Content-Type': 'text/plain' });
      return res.end(f.body);
    }
    if (rest.startsWith('/interaction/')) {
      try {
        return await interactions(req, res, rest.slice('/interaction/'.length));
      } catch (e) {
        const status = e instanceof errors.SessionNotFound ? 400 : 500;
        if (status === 500) console.error('idp interaction:', e);
        return html(res, status, page('Error', `<p>${esc(e.message)}</p>`));
      }
    }
    // Every URL the provider writes is the issuer's, whichever address the
    // client connected to (as behind a configured public URL).
    req.headers.host = issuerHost;
    if (prefix) {
      req.originalUrl = req.url;
      req.url = req.url.slice(prefix.length) || '/';
    }
    return callback(req, res);
  }

  const servers = [];
  for (const address of cfg.addresses) {
    const s = http.createServer((req, res) => {
      handle(req, res).catch((e) => {
        console.error('idp:', e);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    s.keepAliveTimeout = 5000;
    servers.push(s);
    try {
      s.listen(cfg.port, address);
      await once(s, 'listening');
    } catch (e) {
      send({ t: 'fail', error: `${address}:${cfg.port}: ${e.code ?? e.message}` });
      process.exit(1);
    }
  }
  const shutdown = () => {
    for (const s of servers) {
      s.close();
      s.closeAllConnections();
    }
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  send({ t: 'ready' });
}

if (process.env.GH_IDP_CHILD === '1' && process.argv[1] === SELF) {
  runChild().catch((e) => {
    console.error('idp child:', e);
    if (process.connected) process.send({ t: 'fail', error: String(e) });
    process.exit(1);
  });
}
