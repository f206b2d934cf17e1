// Sessions in Redis (session_store_type = "redis"), with real
// redis-server processes: the cookie is only a ticket, Redis holds
// nothing readable, two instances share sessions and sign-outs, one
// refresh among instances, and Redis going away fails closed.
import test, { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Gatehouse, ensureUsers, freePort, until, sleep, tmpdir } from './lib/gatehouse.js';
import { startIdp } from './lib/idp.js';
import { signIn, httpRequest, formatTrace } from './lib/login.js';
import { startRedis, cli } from './lib/redis.js';
import { makeCa } from './lib/certs.js';

const ALICE = { user: 'alice', password: 'alice-password' };

// n gatehouse instances sharing one IdP and the same config.
async function startInstances(n, config, idpOpts = {}) {
  const ports = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const idp = await startIdp({ redirectUris: ports.map((p) => `http://127.0.0.1:${p}/oauth2/callback`), ...idpOpts });
  const ghs = [];
  for (const port of ports) {
    ghs.push(await new Gatehouse({
      port,
      config: {
        workers: 1, skip_oidc_discovery: false, oidc_issuer_url: idp.issuer, cookie_secure: false,
        email_domains: ['*'], session_store_type: 'redis', session_cache_ttl: '0s', ...config,
      },
    }).start());
  }
  return { idp, ghs, bases: ports.map((p) => `http://127.0.0.1:${p}`) };
}

async function stopInstances(s) {
  for (const gh of s?.ghs ?? []) await gh.stop();
  await s?.idp.stop();
}

// The session cookie of jar, sent to any instance (the jar keeps cookies
// per host:port; a browser would send it to every port of the host).
function cookieOf(jar) {
  return jar.all().filter((c) => c.name.startsWith('_oauth2_proxy')).map((c) => `${c.name}=${c.value}`).join('; ');
}
const auth = (base, jar) => httpRequest(`${base}/oauth2/auth`, { headers: { Cookie: cookieOf(jar) } });

before(() => ensureUsers());

describe('two instances sharing one Redis (password)', { timeout: 90000 }, () => {
  let redis; let s;
  before(async () => {
    // Persistent, so that sessions outlive a restart of Redis.
    redis = await startRedis({ password: 'redis-pass-7a1c', args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    s = await startInstances(2, { redis_connection_url: redis.url, set_xauthrequest: true });
  });
  after(async () => { await stopInstances(s); await redis?.destroy(); });

  test('the cookie is a small ticket; Redis holds nothing readable', async () => {
    const r = await signIn(s.bases[0], { ...ALICE, rd: '/' });
    assert.equal(r.status, 302, formatTrace(r.trace));
    const c = r.jar.get('_oauth2_proxy');
    assert.ok(c.value.length < 200, `cookie of ${c.value.length} bytes`);
    const dump = redis.dump();
    const keys = Object.keys(dump);
    assert.ok(keys.some((k) => k.startsWith('gatehouse:s:')), keys.join(' '));
    for (const [k, v] of Object.entries(dump)) {
      for (const secret of ['alice', 'example.com', 'eyJ', 'admins']) {
        assert.ok(!k.includes(secret) && !v.includes(secret), `${k} shows ${secret}`);
      }
    }
  });

  test('signed in through one, the session works through the other; sign-out on it ends it on both', async () => {
    const r = await signIn(s.bases[0], { ...ALICE, rd: '/' });
    const copy = r.jar.clone();
    assert.equal((await auth(s.bases[0], r.jar)).status, 202);
    const other = await auth(s.bases[1], r.jar);
    assert.equal(other.status, 202);
    assert.equal(other.headers['x-auth-request-email'], 'alice@example.com');
    const out = await httpRequest(`${s.bases[1]}/oauth2/sign_out`, { headers: { Cookie: cookieOf(r.jar) } });
    assert.equal(out.status, 302);
    // The copied cookie is dead everywhere.
    assert.equal((await auth(s.bases[0], copy)).status, 401);
    assert.equal((await auth(s.bases[1], copy)).status, 401);
  });

  test('sign_out?all=1 ends every session of the user', async () => {
    const one = await signIn(s.bases[0], { ...ALICE, rd: '/' });
    const two = await signIn(s.bases[1], { ...ALICE, rd: '/' });
    assert.equal((await auth(s.bases[0], two.jar)).status, 202);
    const out = await httpRequest(`${s.bases[0]}/oauth2/sign_out?all=1`, { headers: { Cookie: cookieOf(one.jar) } });
    assert.equal(out.status, 302);
    assert.equal((await auth(s.bases[0], two.jar)).status, 401);
    assert.equal((await auth(s.bases[1], two.jar)).status, 401);
  });

  test('Redis stopped under requests: never a 202, no crash; started again: sessions work, no restart', async () => {
    const r = await signIn(s.bases[0], { ...ALICE, rd: '/' });
    assert.equal((await auth(s.bases[0], r.jar)).status, 202);
    await redis.stop();
    const seen = new Set();
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      const a = await auth(s.bases[0], r.jar);
      seen.add(a.status);
    }
    assert.ok(!seen.has(202), `statuses while down: ${[...seen]}`);
    assert.equal((await httpRequest(`${s.bases[0]}/ready`, {})).status, 503);
    for (const gh of s.ghs) assert.equal(gh.childrenNamed('gatehouse-sessiond').length, 1);
    await redis.start();
    await until(async () => (await auth(s.bases[0], r.jar)).status === 202,
      { timeout: 15000, what: 'the session back with Redis' });
    // Each instance reconnects on its own backoff (at most 5 s).
    for (const b of s.bases) {
      await until(async () => (await httpRequest(`${b}/ready`, {})).status === 200,
        { timeout: 15000, what: `${b} ready again` });
    }
    const again = await signIn(s.bases[1], { ...ALICE, rd: '/' });
    assert.equal(again.status, 302, formatTrace(again.trace));
    assert.equal((await auth(s.bases[0], again.jar)).status, 202);
  });
});

describe('one refresh among instances', { timeout: 60000 }, () => {
  let redis; let s;
  before(async () => {
    redis = await startRedis({});
    s = await startInstances(2, { redis_connection_url: redis.url, cookie_refresh: '1s' }, { accessTokenTTL: 60 });
  });
  after(async () => { await stopInstances(s); await redis?.destroy(); });

  test('a session due on both instances is refreshed once', async () => {
    const r = await signIn(s.bases[0], { ...ALICE, rd: '/' });
    await sleep(1500);
    const before = await s.idp.count('token', { grant_type: 'refresh_token' });
    const answers = await Promise.all([0, 1, 0, 1, 0, 1].map((i) => auth(s.bases[i], r.jar)));
    for (const a of answers) assert.equal(a.status, 202);
    assert.equal(await s.idp.count('token', { grant_type: 'refresh_token' }), before + 1);
  });
});

describe('ACL user, unix socket, TLS', { timeout: 90000 }, () => {
  test('an ACL user named in the URL and by redis_username/redis_password', async () => {
    const redis = await startRedis({});
    cli(['ACL', 'SETUSER', 'gh', 'on', '>gh-pass-19', '~gatehouse:*', '+@all'], { port: redis.port });
    const s = await startInstances(1, { redis_connection_url: `redis://gh:gh-pass-19@127.0.0.1:${redis.port}/2` });
    const t = await startInstances(1, {
      redis_connection_url: `redis://127.0.0.1:${redis.port}`, redis_username: 'gh', redis_password: 'gh-pass-19',
    });
    try {
      for (const x of [s, t]) {
        const r = await signIn(x.bases[0], { ...ALICE, rd: '/' });
        assert.equal(r.status, 302, formatTrace(r.trace));
        assert.equal((await auth(x.bases[0], r.jar)).status, 202);
      }
      assert.match(cli(['-n', '2', 'DBSIZE'], { port: redis.port }), /[1-9]/);
    } finally { await stopInstances(s); await stopInstances(t); await redis.destroy(); }
  });

  test('a unix socket', async () => {
    const redis = await startRedis({ unixsocket: true });
    const s = await startInstances(1, { redis_connection_url: `unix://${redis.unixPath}` });
    try {
      const r = await signIn(s.bases[0], { ...ALICE, rd: '/' });
      assert.equal(r.status, 302, formatTrace(r.trace));
      assert.equal((await auth(s.bases[0], r.jar)).status, 202);
    } finally { await stopInstances(s); await redis.destroy(); }
  });

  test('TLS: the test CA is trusted through redis_ca_path; another CA is refused', async () => {
    const ca = makeCa(tmpdir());
    const leaf = ca.leaf('IP:127.0.0.1,DNS:localhost');
    const dir = tmpdir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/server.key`, leaf.key);
    writeFileSync(`${dir}/server.pem`, leaf.cert);
    const redis = await startRedis({ tls: { cert: `${dir}/server.pem`, key: `${dir}/server.key`, ca: ca.ca } });
    const other = makeCa(tmpdir());
    const good = await startInstances(1, { redis_connection_url: `rediss://127.0.0.1:${redis.port}`, redis_ca_path: ca.ca });
    const bad = await new Gatehouse({
      config: { workers: 1, session_store_type: 'redis', redis_connection_url: `rediss://127.0.0.1:${redis.port}`, redis_ca_path: other.ca },
    }).start({ waitReady: false });
    try {
      const r = await signIn(good.bases[0], { ...ALICE, rd: '/' });
      assert.equal(r.status, 302, formatTrace(r.trace));
      assert.equal((await auth(good.bases[0], r.jar)).status, 202);
      await sleep(1500);
      assert.equal((await httpRequest(`http://127.0.0.1:${bad.port}/ready`, {})).status, 503);
      assert.match(bad.log, /redis.*(certificate|verify|TLS|SSL)/i);
    } finally { await stopInstances(good); await bad.stop(); await redis.destroy(); }
  });
});

describe('Sentinel: a failover without a restart', { timeout: 120000 }, () => {
  test('sessions made before the master dies still open after the replica takes over', async () => {
    const { startSentinels } = await import('./lib/redis.js');
    const set = await startSentinels({});
    const s = await startInstances(1, {
      redis_use_sentinel: true, redis_sentinel_master_name: set.name, redis_sentinel_connection_urls: set.urls,
    });
    try {
      const r = await signIn(s.bases[0], { ...ALICE, rd: '/' });
      assert.equal(r.status, 302, formatTrace(r.trace));
      assert.equal((await auth(s.bases[0], r.jar)).status, 202);
      // Replicated before the master goes (WAIT in redis-cli would only
      // wait for redis-cli's own writes).
      const keys = set.master.cli(['DBSIZE']).trim();
      await until(() => set.replica.cli(['DBSIZE']).trim() === keys,
        { timeout: 15000, what: 'the replica to hold the session' });
      const before = set.masterPort();
      set.master.proc.kill('SIGKILL');
      await until(() => { try { return set.masterPort() !== before; } catch { return false; } },
        { timeout: 30000, what: 'the sentinels to promote the replica' });
      const seen = [];
      await until(async () => {
        const st = (await auth(s.bases[0], r.jar)).status;
        seen.push(st);
        return st === 202;
      }, { timeout: 20000, what: () => `the old session through the new master (answers ${[...new Set(seen)]}; `
        + `keys on the new master: ${set.replica.cli(['--scan']).replace(/\n/g, ' ')})` });
      const again = await signIn(s.bases[0], { ...ALICE, rd: '/' });
      assert.equal(again.status, 302, formatTrace(again.trace));
      assert.equal((await auth(s.bases[0], again.jar)).status, 202);
    } finally { await stopInstances(s); await set.stop(); }
  });
});

describe('Cluster: sessions over three masters, MOVED followed', { timeout: 120000 }, () => {
  test('sessions spread over the slots, and one whose slot moved still opens', async () => {
    const { startCluster } = await import('./lib/redis.js');
    const cluster = await startCluster({});
    const s = await startInstances(1, { redis_use_cluster: true, redis_cluster_connection_urls: cluster.urls });
    try {
      const jars = [];
      for (let i = 0; i < 6; i++) {
        const r = await signIn(s.bases[0], { ...ALICE, rd: '/' });
        assert.equal(r.status, 302, formatTrace(r.trace));
        jars.push(r.jar);
      }
      for (const j of jars) assert.equal((await auth(s.bases[0], j)).status, 202);
      const sizes = cluster.nodes.map((n) => Number(n.cli(['DBSIZE']).trim()));
      assert.ok(sizes.filter((n) => n > 0).length >= 2, `keys per node: ${sizes}`);
      // Move the slot of one session key to another node.
      const owner = cluster.nodes.find((n) => Number(n.cli(['DBSIZE']).trim()) > 0);
      const key = owner.cli(['--scan', '--pattern', 'gatehouse:s:*']).split('\n').filter(Boolean)[0];
      const slot = Number(owner.cli(['CLUSTER', 'KEYSLOT', key]).trim());
      const target = cluster.nodes.find((n) => n !== owner);
      const id = (n) => n.cli(['CLUSTER', 'MYID']).trim();
      target.cli(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', id(owner)]);
      owner.cli(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', id(target)]);
      owner.cli(['MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', key]);
      for (const n of cluster.nodes) n.cli(['CLUSTER', 'SETSLOT', String(slot), 'NODE', id(target)]);
      for (const j of jars) assert.equal((await auth(s.bases[0], j)).status, 202);
    } finally { await stopInstances(s); await cluster.stop(); }
  });
});
