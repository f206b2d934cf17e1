// The sandbox facts of every child of a gatehouse started as root, and
// what happens when a child makes a syscall its allowlist lacks.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Gatehouse, ensureUsers, until, request } from './lib/gatehouse.js';

const ROLES = ['gatehouse-proxy', 'gatehouse-authd', 'gatehouse-sessiond'];
let gh;

before(async () => {
  ensureUsers();
  gh = await new Gatehouse().start();
});
after(async () => { await gh?.stop(); });

test('each child has its own uid, no_new_privs, seccomp and the empty chroot', () => {
  const kids = gh.children();
  assert.equal(kids.filter((k) => k.name === 'gatehouse-proxy').length, 2);
  assert.equal(kids.filter((k) => k.name === 'gatehouse-authd').length, 1);
  assert.equal(kids.filter((k) => k.name === 'gatehouse-sessiond').length, 1);
  const uidOf = {};
  for (const k of kids) {
    // Real, effective, saved and filesystem ids are all the one user.
    assert.equal(new Set(k.uids).size, 1, `${k.name} uids ${k.uids}`);
    assert.equal(new Set(k.gids).size, 1, `${k.name} gids ${k.gids}`);
    assert.notEqual(k.uids[0], 0, `${k.name} runs as root`);
    assert.notEqual(k.gids[0], 0, `${k.name} runs with gid 0`);
    assert.equal(k.noNewPrivs, 1, `${k.name} NoNewPrivs`);
    assert.equal(k.seccomp, 2, `${k.name} Seccomp`);
    assert.equal(k.root, gh.config.chroot_dir, `${k.name} root`);
    uidOf[k.name] ??= k.uids[0];
    assert.equal(uidOf[k.name], k.uids[0], 'workers share one uid');
  }
  assert.equal(new Set(Object.values(uidOf)).size, 3, 'three roles, three uids');
});

for (const role of ROLES) {
  test(`a refused syscall kills ${role}; the parent logs it and starts another`, async () => {
    const victim = gh.childrenNamed(role)[0];
    const before = gh.log.length;
    process.kill(victim.pid, 'SIGUSR2');
    await until(() => /event=sandbox_violation role="([^"]+)"/.exec(gh.log.slice(before)),
      { what: `sandbox_violation for ${role}\n${gh.log.slice(before)}` });
    const line = gh.log.slice(before).split('\n').find((l) => l.includes('event=sandbox_violation'));
    assert.match(line, new RegExp(`role="${role}"`));
    assert.match(line, /status="signal 31"/);
    await until(() => gh.childrenNamed(role).some((k) => k.pid !== victim.pid && k.seccomp === 2),
      { what: `a new ${role}` });
    await gh.waitReady();
  });
}

test('sandbox_debug: the child names the syscall it was refused', async () => {
  const dbg = await new Gatehouse({ config: { sandbox_debug: true, workers: 1 } }).start();
  try {
    const authd = dbg.childrenNamed('gatehouse-authd')[0];
    const before = dbg.log.length;
    process.kill(authd.pid, 'SIGUSR2');
    await until(() => /refused syscall mkdir/.test(dbg.log.slice(before)),
      { what: `syscall name in log\n${dbg.log.slice(before)}` });
    await until(() => /event=sandbox_violation role="gatehouse-authd".*status="exit 159"/.test(dbg.log.slice(before)),
      { what: 'sandbox_violation audit' });
    await dbg.waitReady();
    assert.equal((await request(dbg.port, '/ping')).status, 200);
  } finally {
    await dbg.stop();
  }
});
