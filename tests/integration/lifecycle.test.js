// Supervision, reload, stop, and where the secrets live.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readSync, readFileSync, closeSync } from 'node:fs';
import {
  Gatehouse, ensureUsers, until, request, sleep, CLIENT_SECRET, COOKIE_SECRET, OLDER_SECRETS,
} from './lib/gatehouse.js';

let gh;

before(async () => {
  ensureUsers();
  gh = await new Gatehouse({ config: { cookie_secrets: OLDER_SECRETS } }).start();
});
after(async () => { await gh?.stop(); });

test('/ping answers 200 OK; anything else needs a session: the sign-in page, 403', async () => {
  const r = await request(gh.port, '/ping');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'OK');
  assert.equal((await request(gh.port, '/nothing-here')).status, 403);
});

for (const role of ['gatehouse-proxy', 'gatehouse-authd', 'gatehouse-sessiond']) {
  test(`kill -9 of ${role}: it comes back and /ready is 200 again`, async () => {
    const victim = gh.childrenNamed(role)[0];
    const before = gh.log.length;
    process.kill(victim.pid, 'SIGKILL');
    await until(() => gh.log.slice(before).includes(`event=child_exit role="${role}"`),
      { what: 'child_exit audit' });
    assert.match(gh.log.slice(before), new RegExp(`child_exit role="${role}".*status="signal 9"`));
    assert.doesNotMatch(gh.log.slice(before), /sandbox_violation/);
    await until(() => gh.childrenNamed(role).some((k) => k.pid !== victim.pid),
      { what: `new ${role}` });
    await gh.waitReady();
  });
}

test('/ready is 503 while authd does not answer, 200 once it does', async () => {
  const authd = gh.childrenNamed('gatehouse-authd')[0];
  process.kill(authd.pid, 'SIGSTOP');
  try {
    const r = await request(gh.port, '/ready');
    assert.equal(r.status, 503);
  } finally {
    process.kill(authd.pid, 'SIGCONT');
  }
  await gh.waitReady();
});

// Reads every readable mapping of a process, as root may; past 1 GiB a
// mapping is a sanitizer's shadow memory, which holds no program data.
const MAX_MAPPING = 1 << 30;
function memoryOf(pid) {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n');
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const chunks = [];
  try {
    for (const line of maps) {
      const [range, perms, , , , file = ''] = line.split(/\s+/);
      if (!perms.startsWith('r') || file === '[vvar]' || file === '[vsyscall]') continue;
      const [lo, hi] = range.split('-').map((h) => parseInt(h, 16));
      if (hi - lo > MAX_MAPPING) continue;
      const buf = Buffer.alloc(hi - lo);
      try { readSync(fd, buf, 0, buf.length, lo); chunks.push(buf); } catch { /* unreadable */ }
    }
  } finally { closeSync(fd); }
  return Buffer.concat(chunks);
}

// The client secret found in authd shows the scan reads what a process
// holds.  The cookie secret is in no child: sessiond keeps only the keys
// it derived from it, and wiped the text.
test('the client secret is only in authd; no child keeps the cookie secret', () => {
  for (const k of gh.children()) {
    const mem = memoryOf(k.pid);
    assert.ok(mem.length > 0, `read memory of ${k.name}`);
    assert.equal(mem.includes(CLIENT_SECRET), k.name === 'gatehouse-authd',
      `client secret in ${k.name}: ${mem.includes(CLIENT_SECRET)}`);
    for (const secret of [COOKIE_SECRET, ...OLDER_SECRETS])
      assert.equal(mem.includes(secret), false, `a cookie secret in ${k.name}`);
  }
});

test('SIGHUP with an invalid config logs why and changes nothing', async () => {
  const pids = gh.children().map((k) => k.pid).sort();
  const before = gh.log.length;
  gh.rewrite({ workers: 'three' });
  gh.kill('SIGHUP');
  await until(() => gh.log.slice(before).includes('event=config_reload_failed'),
    { what: 'config_reload_failed' });
  assert.match(gh.log.slice(before), /workers/);
  await sleep(300);
  assert.deepEqual(gh.children().map((k) => k.pid).sort(), pids);
  assert.equal((await request(gh.port, '/ready')).status, 200);
});

test('SIGHUP with a changed config starts new children and drains the old', async () => {
  const old = new Set(gh.children().map((k) => k.pid));
  const before = gh.log.length;
  gh.rewrite({ workers: 3 });
  gh.kill('SIGHUP');
  await until(() => gh.log.slice(before).includes('event=config_reload'),
    { what: 'config_reload' });
  await until(() => {
    const kids = gh.children();
    return kids.length === 5 && kids.every((k) => !old.has(k.pid));
  }, { what: 'three new workers and no old child' });
  assert.equal(gh.childrenNamed('gatehouse-proxy').length, 3);
  await gh.waitReady();
});

test('SIGTERM stops every child and exits 0', async () => {
  const kids = gh.children().map((k) => k.pid);
  gh.kill('SIGTERM');
  const { code } = await gh.exited;
  assert.equal(code, 0);
  for (const pid of kids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  assert.match(gh.log, /stopped/);
});
