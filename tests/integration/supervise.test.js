// What the parent checks before it starts, how it behaves without root,
// what it tells systemd, and when it gives up.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import {
  Gatehouse, BUILD, ensureUsers, until, request, run, tmpdir, toml, baseConfig, freePort,
} from './lib/gatehouse.js';

const HELPERS = ['gatehouse-proxy', 'gatehouse-authd', 'gatehouse-sessiond'];

// A private copy of the binaries, to make unsafe on purpose.
function helperDir() {
  const dir = tmpdir();
  chmodSync(dir, 0o755);
  for (const b of ['gatehouse', ...HELPERS]) copyFileSync(path.join(BUILD, b), path.join(dir, b));
  for (const b of ['gatehouse', ...HELPERS]) chmodSync(path.join(dir, b), 0o755);
  return dir;
}

async function startIn(dir, extraArgs = []) {
  const port = await freePort();
  const conf = path.join(dir, 'gatehouse.conf');
  writeFileSync(conf, toml(baseConfig(port, dir)));
  return run(['-c', conf, '--libexec-dir', dir, ...extraArgs]);
}

test('the parent refuses a helper that is missing, not executable, or writable by others', async () => {
  ensureUsers();
  const cases = [
    ['writable by others', (f) => chmodSync(f, 0o757), /must be owned by root and writable only by root/],
    ['writable by the group', (f) => chmodSync(f, 0o775), /must be owned by root and writable only by root/],
    ['not executable', (f) => chmodSync(f, 0o644), /not an executable file/],
    ['missing', (f) => rmSync(f), /No such file/],
  ];
  for (const [what, spoil, re] of cases) {
    const dir = helperDir();
    try {
      spoil(path.join(dir, 'gatehouse-authd'));
      const r = await startIn(dir);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, re, what);
      assert.match(r.stderr, /gatehouse-authd/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('started as a normal user: no uid change, no chroot, one warning each, sandbox still on', async () => {
  const dir = helperDir();
  const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
  const nogroup = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }));
  const port = await freePort();
  const conf = path.join(dir, 'gatehouse.conf');
  writeFileSync(conf, toml({ ...baseConfig(port, dir), workers: 1 }), { mode: 0o644 });
  let log = '';
  const p = spawn(path.join(dir, 'gatehouse'), ['-c', conf, '--libexec-dir', dir],
    { uid: nobody, gid: nogroup, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  p.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => p.on('exit', (code) => r(code)));
  try {
    await until(async () => (await request(port, '/ready')).status === 200, { what: `ready\n${log}` });
    const kids = new Gatehouse();
    kids.proc = p;
    const children = kids.children();
    assert.equal(children.length, 3);
    for (const k of children) {
      assert.deepEqual(k.uids, [nobody, nobody, nobody, nobody], k.name);
      assert.equal(k.noNewPrivs, 1, k.name);
      assert.equal(k.seccomp, 2, k.name);
      assert.equal(k.root, '/', k.name);
    }
    for (const name of HELPERS) {
      const warnings = log.split('\n').filter((l) => l.includes(`${name}[`) && /not root/.test(l));
      assert.equal(warnings.length, 1, `${name}: ${warnings.join('\n')}`);
    }
  } finally {
    p.kill('SIGTERM');
    assert.equal(await exited, 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

// A datagram socket standing in for systemd's notify socket.
function notifyListener(sockPath) {
  const py = spawn('python3', ['-u', '-c', `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("LISTENING", flush=True)
while True:
    print(s.recv(4096).decode(), flush=True)
`, sockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const l = { msgs: '', proc: py };
  py.stdout.on('data', (d) => { l.msgs += d; });
  return l;
}

test('with NOTIFY_SOCKET it tells systemd READY, RELOADING and STOPPING', async () => {
  ensureUsers();
  const dir = tmpdir();
  const sock = path.join(dir, 'notify');
  const l = notifyListener(sock);
  await until(() => l.msgs.includes('LISTENING'), { what: 'notify listener' });
  const gh = await new Gatehouse({ env: { NOTIFY_SOCKET: sock } }).start();
  try {
    await until(() => l.msgs.includes('READY=1'), { what: `READY=1 in ${l.msgs}` });
    gh.kill('SIGHUP');
    await until(() => /RELOADING=1\s+READY=1/.test(l.msgs), { what: `RELOADING then READY in ${l.msgs}` });
    gh.kill('SIGTERM');
    assert.equal((await gh.exited).code, 0);
    await until(() => l.msgs.includes('STOPPING=1'), { what: 'STOPPING=1' });
  } finally {
    await gh.stop();
    l.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM closes idle keep-alive connections and exits 0', async () => {
  ensureUsers();
  const gh = await new Gatehouse({ config: { workers: 1 } }).start();
  const sock = net.connect(gh.port, '127.0.0.1');
  let got = '';
  sock.on('data', (d) => { got += d; });
  const closed = new Promise((r) => sock.on('close', r));
  sock.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => got.includes('\r\n\r\nOK'), { what: 'ping answer' });
  assert.doesNotMatch(got, /Connection: close/);
  gh.kill('SIGTERM');
  await closed;
  assert.equal((await gh.exited).code, 0);
  await gh.stop();
});

test('authd crashing again and again stops gatehouse with exit 1', async () => {
  ensureUsers();
  const gh = await new Gatehouse({ config: { workers: 1 } }).start();
  try {
    const killed = new Set();
    for (let i = 0; i < 5; i++) {
      const authd = await until(() => gh.childrenNamed('gatehouse-authd').find((k) => !killed.has(k.pid)),
        { what: `authd #${i + 1}` });
      killed.add(authd.pid);
      process.kill(authd.pid, 'SIGKILL');
    }
    const { code } = await gh.exited;
    assert.equal(code, 1);
    assert.match(gh.log, /event=crash_loop role="gatehouse-authd"/);
  } finally {
    await gh.stop();
  }
});

test('a worker that sends authd and sessiond garbage is cut off and replaced', async () => {
  ensureUsers();
  const gh = await new Gatehouse({ config: { workers: 1 } }).start();
  try {
    const worker = gh.childrenNamed('gatehouse-proxy')[0];
    const others = gh.children().filter((k) => k.name !== 'gatehouse-proxy').map((k) => k.pid).sort();
    const before = gh.log.length;
    process.kill(worker.pid, 'SIGWINCH');
    await until(() => /event=worker_replaced instance="0" reported_by="gatehouse-(authd|sessiond)"/.test(gh.log.slice(before)),
      { what: `worker_replaced\n${gh.log.slice(before)}` });
    await until(() => gh.childrenNamed('gatehouse-proxy').some((k) => k.pid !== worker.pid), { what: 'a new worker' });
    await gh.waitReady();
    // authd and sessiond went on: they never go down because of a worker.
    assert.deepEqual(gh.children().filter((k) => k.name !== 'gatehouse-proxy').map((k) => k.pid).sort(), others);
  } finally {
    await gh.stop();
  }
});
