// The limits that keep a hostile client from holding a worker: a head
// trickled in slowly, idle connections, and the connection cap.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Gatehouse, ensureUsers, until, request, sleep } from './lib/gatehouse.js';

let gh;

before(async () => {
  ensureUsers();
  gh = await new Gatehouse({
    config: {
      workers: 1, client_header_timeout: '1s', client_idle_timeout: '1s', max_connections: 5,
    },
  }).start();
});
after(async () => { await gh?.stop(); });

// A connection that records what it gets and when it ends.
function open(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const c = { s, data: '', closedAt: 0 };
    c.closed = new Promise((r) => s.on('close', () => { c.closedAt = Date.now(); r(); }));
    s.on('data', (d) => { c.data += d; });
    s.on('error', () => {});
    s.on('connect', () => resolve(c));
    s.on('error', reject);
  });
}

test('a head trickled in slower than client_header_timeout: 408, closed', async () => {
  const c = await open(gh.port);
  const t0 = Date.now();
  const head = 'GET /ping HTTP/1.1\r\nHost: a\r\nX-Slow: ';
  let i = 0;
  const drip = setInterval(() => { if (!c.s.destroyed) c.s.write(head[i++ % head.length]); }, 100);
  try {
    // Meanwhile the worker serves everybody else.
    assert.equal((await request(gh.port, '/ping')).status, 200);
    await Promise.race([c.closed, sleep(5000)]);
  } finally {
    clearInterval(drip);
  }
  assert.ok(c.closedAt > 0, 'the slow client was not cut off');
  assert.ok(c.closedAt - t0 < 4000, `cut off after ${c.closedAt - t0} ms`);
  assert.match(c.data, /^HTTP\/1\.1 408 /);
});

test('an idle keep-alive connection is closed after client_idle_timeout', async () => {
  const c = await open(gh.port);
  c.s.write('GET /ping HTTP/1.1\r\nHost: a\r\n\r\n');
  await until(() => c.data.includes('\r\n\r\nOK'), { what: 'the answer' });
  const t0 = Date.now();
  await Promise.race([c.closed, sleep(5000)]);
  assert.ok(c.closedAt > 0, 'the idle connection stayed open');
  assert.ok(c.closedAt - t0 >= 800 && c.closedAt - t0 < 4000, `closed after ${c.closedAt - t0} ms`);
});

test('past max_connections a new connection is refused; a freed slot is taken again', async () => {
  const held = [];
  for (let i = 0; i < 5; i++) {
    const c = await open(gh.port);
    c.s.write('GET /ping HTTP/1.1\r\nHost: a\r\n\r\n');
    held.push(c);
  }
  await until(() => held.every((c) => c.data.includes('OK')), { what: 'five answers' });
  const extra = await open(gh.port);
  extra.s.write('GET /ping HTTP/1.1\r\nHost: a\r\n\r\n');
  await Promise.race([extra.closed, sleep(3000)]);
  assert.ok(extra.closedAt > 0, 'a sixth connection was kept');
  assert.equal(extra.data, '');
  held[0].s.destroy();
  await sleep(200);
  assert.equal((await request(gh.port, '/ping')).status, 200);
  for (const c of held) c.s.destroy();
});
