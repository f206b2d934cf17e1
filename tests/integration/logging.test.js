// Per-process log files, JSON lines, and SIGUSR1 reopening them.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Gatehouse, ensureUsers, until, tmpdir } from './lib/gatehouse.js';

const logdir = tmpdir();
let gh;

const file = (name) => path.join(logdir, `${name}.log`);
const read = (name) => (existsSync(file(name)) ? readFileSync(file(name), 'utf8') : '');

// A request the worker refuses, so the worker logs a line.
function badRequest(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.end('GARBAGE\r\n\r\n'));
    s.on('close', resolve);
    s.on('error', resolve);
    s.resume();
  });
}

before(async () => {
  ensureUsers();
  gh = await new Gatehouse({
    config: { log_target: 'file', log_file: path.join(logdir, '%s.log'), log_format: 'json', workers: 1 },
  }).start();
});
after(async () => {
  await gh?.stop();
  rmSync(logdir, { recursive: true, force: true });
});

test('each process logs JSON lines to its own file', async () => {
  await badRequest(gh.port);
  await until(() => read('gatehouse-proxy').includes('400'), { what: 'proxy log line' });
  for (const name of ['gatehouse', 'gatehouse-proxy']) {
    const lines = read(name).trim().split('\n');
    assert.ok(lines.length > 0, `${name} has lines`);
    for (const l of lines) {
      const rec = JSON.parse(l);
      assert.equal(rec.process, name);
      assert.equal(typeof rec.pid, 'number');
      assert.match(rec.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(['error', 'warn', 'info', 'debug', 'audit'].includes(rec.level));
    }
  }
});

test('SIGUSR1 reopens the log files of the parent and the children', async () => {
  for (const name of ['gatehouse', 'gatehouse-proxy']) renameSync(file(name), `${file(name)}.1`);
  gh.kill('SIGUSR1');
  await until(() => read('gatehouse').includes('reopened'), { what: 'parent log reopened' });
  await until(async () => { await badRequest(gh.port); return read('gatehouse-proxy').includes('400'); },
    { what: 'worker writes to the new file' });
});
