// An upstream for the proxy tests, and the client-side tools to talk to
// gatehouse with (raw sockets, a response parser, streams of known content).
//
// The upstream (node:http, or node:https with `tls`) answers every path
// not listed below with a JSON echo of what it received:
//   { server, method, url, httpVersion, headers: [[name, value], ...] (as
//     sent: case and duplicates kept), bodyLength, bodySha256, conn, nth }
// where conn is a number per TCP connection and nth counts the requests
// on that connection (1, 2, ...): keep-alive reuse shows as nth > 1.
// `?pause=MS` in the URL stops reading the body for MS after its first
// piece (the proxy in front must then hold back, not buffer).
//
// Routes:
//   /stream/N          N bytes, chunked, in 64 KiB pieces of streamBlock(k)
//                      content, written with backpressure
//   /sse               text/event-stream: "data: k" every 100 ms, k = 1..10
//   /slow-head/MS      waits MS before the response head
//   /close-delimited/N HTTP/1.0-style: no length, the end is the close
//   /status/CODE       that status, body "status CODE"
//   /ws                websocket echo (npm ws); says "welcome" first; the
//                      message "close-me" makes it close (a close frame),
//                      "kill-me" drops the TCP connection
//
// With { record: true } a TCP relay in front of the server keeps every
// byte each connection sent (rawText()), so a test sees exactly what
// reached the upstream, not only what node's parser made of it.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';

export const BLOCK = 64 * 1024;

// Deterministic content: 64 KiB block k is a fixed pseudo-random pattern
// whose first 8 bytes hold k, so a lost, repeated or reordered block
// changes the digest.
const PATTERN = (() => {
  const b = Buffer.alloc(BLOCK);
  let x = 0x12345678;
  for (let i = 0; i < BLOCK; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
})();

export function streamBlock(k, size = BLOCK) {
  const b = Buffer.from(PATTERN.subarray(0, size));
  if (size >= 8) b.writeBigUInt64BE(BigInt(k), 0);
  return b;
}

// The sha256 of the first n bytes of the stream, without holding it.
const digestCache = new Map();
export function streamSha256(n) {
  if (digestCache.has(n)) return digestCache.get(n);
  const h = crypto.createHash('sha256');
  for (let k = 0, left = n; left > 0; k++, left -= BLOCK) h.update(streamBlock(k, Math.min(BLOCK, left)));
  const d = h.digest('hex');
  digestCache.set(n, d);
  return d;
}

export function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Whether a request body was read to its end (false: it was cut off).
function ended(req) {
  return new Promise((resolve) => {
    req.once('end', () => resolve(true));
    req.once('close', () => resolve(req.complete));
  });
}

// Until a stream can take more, or is closed; no listener left behind.
function drained(w) {
  return new Promise((resolve) => {
    const done = () => { w.off('drain', done); w.off('close', done); resolve(); };
    w.on('drain', done);
    w.on('close', done);
  });
}

export class Upstream {
  // name: echoed as `server`, so a test sees which upstream answered.
  // tls: { key, cert } for https.  record: keep raw bytes (see above).
  constructor({ name = 'upstream', tls = null, record = false } = {}) {
    this.name = name;
    this.tls = tls;
    this.record = record;
    this.requests = [];          // { conn, nth, method, url, time }
    this.wsEvents = [];          // { event: 'open'|'message'|'close', ... }
    this.raw = [];               // per relayed connection: Buffer[]
    this.nextConn = 1;
    this.sockets = new Set();
  }

  async start() {
    const handler = (req, res) => this.handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
    this.server = this.tls
      ? https.createServer({ key: this.tls.key, cert: this.tls.cert }, handler)
      : http.createServer(handler);
    this.server.keepAliveTimeout = 30000;
    this.server.headersTimeout = 60000;
    this.server.requestTimeout = 0;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 16 << 20 });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url.startsWith('/ws')) { socket.destroy(); return; }
      const c = this.connOf(socket);
      this.requests.push({ conn: c.id, nth: ++c.nth, method: req.method, url: req.url, time: Date.now() });
      this.wss.handleUpgrade(req, socket, head, (ws) => this.websocket(ws, req));
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.innerPort = this.server.address().port;
    this.port = this.innerPort;
    if (this.record) await this.startRelay();
    return this;
  }

  // The relay: records what arrives, passes both ways, half-closes as
  // the peers do.
  async startRelay() {
    this.relay = net.createServer({ allowHalfOpen: true }, (outer) => {
      const log = [];
      this.raw.push(log);
      this.sockets.add(outer);
      const inner = net.connect({ port: this.innerPort, host: '127.0.0.1', allowHalfOpen: true });
      this.sockets.add(inner);
      outer.on('data', (d) => { log.push(d); if (!inner.write(d)) outer.pause(); });
      inner.on('drain', () => outer.resume());
      outer.on('end', () => inner.end());
      inner.pipe(outer);
      const down = () => { outer.destroy(); inner.destroy(); this.sockets.delete(outer); this.sockets.delete(inner); };
      outer.on('error', down); inner.on('error', down);
      outer.on('close', down); inner.on('close', down);
    });
    this.relay.listen(0, '127.0.0.1');
    await once(this.relay, 'listening');
    this.port = this.relay.address().port;
  }

  get url() { return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`; }

  // Everything the upstream received since the last reset, as latin1.
  rawText() {
    return this.raw.filter((log) => log.length > 0)
      .map((log) => Buffer.concat(log).toString('latin1')).join('\r\n=== next connection ===\r\n');
  }

  // Forget what was received so far (connections stay open).
  reset() {
    this.requests.length = 0;
    this.wsEvents.length = 0;
    for (const log of this.raw) log.length = 0;
  }

  // The id and request count of a (TCP or TLS) connection.
  connOf(sock) {
    if (!sock.gh) sock.gh = { id: this.nextConn++, nth: 0 };
    return sock.gh;
  }

  async handle(req, res) {
    const c = this.connOf(req.socket);
    const info = { conn: c.id, nth: ++c.nth, method: req.method, url: req.url, time: Date.now() };
    this.requests.push(info);
    const u = new URL(req.url, 'http://x');
    let m;
    if ((m = u.pathname.match(/^\/stream\/(\d+)$/))) return this.stream(req, res, Number(m[1]));
    if (u.pathname === '/sse') return this.sse(req, res);
    if ((m = u.pathname.match(/^\/slow-head\/(\d+)$/))) {
      await sleep(Number(m[1]));
      if (res.destroyed || res.socket?.destroyed) return undefined;
      return this.echo(req, res, info, u);
    }
    if ((m = u.pathname.match(/^\/close-delimited(?:\/(\d+))?$/))) return this.closeDelimited(req, res, Number(m[1] ?? 100000));
    if ((m = u.pathname.match(/^\/status\/(\d{3})$/))) {
      req.resume();
      const code = Number(m[1]);
      res.writeHead(code, { 'Content-Type': 'text/plain' });
      res.end(code === 204 || code === 304 ? undefined : `status ${code}`);
      return undefined;
    }
    return this.echo(req, res, info, u);
  }

  async echo(req, res, info, u) {
    const h = crypto.createHash('sha256');
    let length = 0;
    const pause = Number(u.searchParams.get('pause') ?? 0);
    let paused = false;
    req.on('data', (d) => {
      h.update(d);
      length += d.length;
      if (pause > 0 && !paused) {
        paused = true;
        req.pause();
        setTimeout(() => req.resume(), pause);
      }
    });
    if (!await ended(req)) return;
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    const body = JSON.stringify({
      server: this.name,
      method: req.method,
      url: req.url,
      httpVersion: req.httpVersion,
      headers,
      bodyLength: length,
      bodySha256: h.digest('hex'),
      conn: info.conn,
      nth: info.nth,
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': this.name });
    res.end(body);
  }

  async stream(req, res, n) {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    let closed = false;
    res.on('close', () => { closed = true; });
    for (let k = 0, left = n; left > 0 && !closed; k++, left -= BLOCK) {
      if (!res.write(streamBlock(k, Math.min(BLOCK, left)))) await drained(res);
    }
    res.end();
  }

  async sse(req, res) {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    for (let k = 1; k <= 10 && !res.destroyed; k++) {
      res.write(`data: ${k}\n\n`);
      await sleep(100);
    }
    res.end();
  }

  // Takes the socket over: no Content-Length, no chunking, then closes.
  async closeDelimited(req, res, n) {
    req.resume();
    if (!await ended(req)) return;
    const s = req.socket;
    s.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n');
    for (let k = 0, left = n; left > 0; k++, left -= BLOCK) {
      if (s.destroyed) break;
      if (!s.write(streamBlock(k, Math.min(BLOCK, left)))) await drained(s);
      if (k === 0) await sleep(20);
    }
    s.end();
  }

  websocket(ws) {
    this.wsEvents.push({ event: 'open', time: Date.now() });
    ws.send('welcome');
    ws.on('message', (data, isBinary) => {
      this.wsEvents.push({ event: 'message', length: data.length, time: Date.now() });
      if (!isBinary && data.toString() === 'close-me') { ws.close(1000, 'asked to'); return; }
      if (!isBinary && data.toString() === 'kill-me') { ws.terminate(); return; }
      ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code) => this.wsEvents.push({ event: 'close', code, time: Date.now() }));
    ws.on('error', () => {});
  }

  async stop() {
    for (const s of this.sockets) s.destroy();
    for (const c of this.wss?.clients ?? []) c.terminate();
    await Promise.all([
      this.server && new Promise((r) => this.server.close(r)),
      this.relay && new Promise((r) => this.relay.close(r)),
    ]);
  }
}

export async function startUpstream(opts) {
  return new Upstream(opts).start();
}

// --- client side -------------------------------------------------------

// Sends bytes on a fresh connection and collects everything the server
// sends until it closes or `timeout` ms pass.  `chunks` may be a list of
// Buffers/strings written `gap` ms apart.  Returns { data, closed, ms }.
export function rawExchange(target, bytes, { timeout = 3000, gap = 0, endAfter = false } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const chunks = [];
    let done = false;
    const s = typeof target === 'number'
      ? net.connect({ port: target, host: '127.0.0.1' })
      : net.connect(target);
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), timeout);
    s.on('connect', async () => {
      const parts = Array.isArray(bytes) ? bytes : [bytes];
      for (const p of parts) {
        if (done) return;
        s.write(p);
        if (gap) await sleep(gap);
      }
      if (endAfter) s.end();
    });
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}

// Parses the HTTP/1.x responses in a buffer, in order.  Each:
// { status, reason, version, headers: [[name, value]], get(name), body:
// Buffer, complete }.  A response without length runs to the end of data
// (close-delimited).  requests: the methods sent, to know HEAD answers.
export function parseResponses(buf, { methods = [] } = {}) {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = buf.indexOf('\r\n\r\n', pos);
    if (end === -1) { out.push({ status: 0, partial: buf.subarray(pos).toString('latin1'), complete: false }); break; }
    const lines = buf.subarray(pos, end).toString('latin1').split('\r\n');
    const m = lines[0].match(/^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/);
    if (!m) { out.push({ status: 0, partial: buf.subarray(pos).toString('latin1'), complete: false }); break; }
    const headers = lines.slice(1).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i), l.slice(i + 1).trim()];
    });
    const get = (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
    const r = { version: m[1], status: Number(m[2]), reason: m[3] ?? '', headers, get, complete: true };
    pos = end + 4;
    const informational = r.status >= 100 && r.status < 200;
    const head = !informational && methods[out.filter((x) => x.status >= 200).length] === 'HEAD';
    if (informational || head || r.status === 204 || r.status === 304) {
      r.body = Buffer.alloc(0);
    } else if (/chunked/i.test(get('transfer-encoding') ?? '')) {
      const parts = [];
      for (;;) {
        const le = buf.indexOf('\r\n', pos);
        if (le === -1) { r.complete = false; pos = buf.length; break; }
        const size = parseInt(buf.subarray(pos, le).toString('latin1').split(';')[0], 16);
        if (Number.isNaN(size)) { r.complete = false; pos = buf.length; break; }
        pos = le + 2;
        if (size === 0) {
          const te = buf.indexOf('\r\n\r\n', pos - 2);
          if (te === -1) { r.complete = false; pos = buf.length; } else pos = te + 4;
          break;
        }
        if (pos + size + 2 > buf.length) { parts.push(buf.subarray(pos)); r.complete = false; pos = buf.length; break; }
        parts.push(buf.subarray(pos, pos + size));
        pos += size + 2;
      }
      r.body = Buffer.concat(parts);
    } else if (get('content-length') !== undefined) {
      const n = Number(get('content-length'));
      r.body = buf.subarray(pos, pos + n);
      if (r.body.length < n) r.complete = false;
      pos += n;
    } else {
      r.body = buf.subarray(pos);
      pos = buf.length;
    }
    r.text = r.body.toString('latin1');
    out.push(r);
  }
  return out;
}

// One request over a fresh raw connection: the first final response.
export async function rawRequest(target, bytes, opts = {}) {
  const x = await rawExchange(target, bytes, opts);
  const responses = parseResponses(x.data, opts);
  return { ...x, responses, response: responses.find((r) => r.status >= 200) ?? responses[0] };
}

// The echo's headers whose name is `name`, case-insensitively.
export function headerValues(echo, name) {
  return echo.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}
