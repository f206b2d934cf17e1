// Starts the real gatehouse from the test build, on 127.0.0.1 only, and
// reads what the kernel says about its children.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import os from 'node:os';

export const BUILD = process.env.GATEHOUSE_BUILD ?? path.resolve('../../build/test');
export const SRC = process.env.GATEHOUSE_SRC ?? path.resolve('../..');
export const BIN = path.join(BUILD, 'gatehouse');
export const USERS = ['gatehouse-proxy', 'gatehouse-auth', 'gatehouse-session'];

export const CLIENT_SECRET = 'client-secret-4f1d2e9a7c3b5d60';
export const COOKIE_SECRET = 'cookie-secret-0123456789abcdef!!';
export const OLDER_SECRETS = ['older-secret-one-0123456789abcd!', 'older-secret-two-0123456789abcd!'];

// The three system users the sandbox drops to.
export function ensureUsers() {
  const r = spawnSync(path.join(SRC, 'tests/make-users'), { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('tests/make-users failed');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function toml(obj) {
  return Object.entries(obj).map(([k, v]) => {
    if (Array.isArray(v)) return `${k} = [${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    if (typeof v === 'string') return `${k} = ${JSON.stringify(v)}`;
    return `${k} = ${v}`;
  }).join('\n') + '\n';
}

export function tmpdir() {
  return mkdtempSync(path.join(os.tmpdir(), 'gh-test-'));
}

export function baseConfig(port, dir) {
  return {
    http_address: `127.0.0.1:${port}`,
    // An IdP nobody listens to, without discovery: authd is ready at
    // once, and no test that does not sign in depends on an IdP.
    provider: 'oidc',
    oidc_issuer_url: 'http://127.0.0.1:9',
    skip_oidc_discovery: true,
    login_url: 'http://127.0.0.1:9/authorize',
    redeem_url: 'http://127.0.0.1:9/token',
    oidc_jwks_url: 'http://127.0.0.1:9/jwks',
    client_id: 'gatehouse-test',
    client_secret: CLIENT_SECRET,
    cookie_secret: COOKIE_SECRET,
    email_domains: ['*'],
    workers: 2,
    chroot_dir: path.join(dir, 'empty'),
    shutdown_timeout: '5s',
    log_level: 'info',
  };
}

export function request(port, pathname, { timeout = 3000, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: false, timeout, headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value or the deadline passes.
export async function until(fn, { timeout = 10000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = e; }
    await sleep(interval);
  }
  throw new Error(`timed out waiting for ${typeof what === "function" ? what() : what} (last: ${last})`);
}

export class Gatehouse {
  // port: a fixed one, when the test must know it before the start (an
  // IdP's redirect_uris); else a free one.
  constructor({ config = {}, env = {}, args = [], port } = {}) {
    this.fixedPort = port;
    this.extra = config;
    this.env = env;
    this.args = args;
    this.log = '';
  }

  async start({ waitReady = true } = {}) {
    this.dir = tmpdir();
    this.port = this.fixedPort ?? await freePort();
    this.config = { ...baseConfig(this.port, this.dir), ...this.extra };
    this.configPath = path.join(this.dir, 'gatehouse.conf');
    writeFileSync(this.configPath, toml(this.config));
    this.proc = spawn(BIN, ['-c', this.configPath, '--libexec-dir', BUILD, ...this.args], {
      env: { PATH: process.env.PATH, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout.on('data', (d) => { this.log += d; });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    if (waitReady) await this.waitReady();
    return this;
  }

  rewrite(config) {
    this.config = { ...this.config, ...config };
    writeFileSync(this.configPath, toml(this.config));
  }

  async waitReady(timeout = 15000) {
    await until(async () => (await request(this.port, '/ready')).status === 200,
      { timeout, what: `/ready 200\n--- log ---\n${this.log}` });
  }

  // The live children, with what /proc says about each.
  children() {
    const out = [];
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let stat;
      try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(after[1]) !== this.proc.pid || after[0] === 'Z') continue;
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const field = (k) => (status.match(new RegExp(`^${k}:\\s*(.*)$`, 'm')) ?? [])[1];
        const exe = readlinkSync(`/proc/${pid}/exe`);
        out.push({
          pid: Number(pid),
          name: path.basename(exe),
          uids: field('Uid').split(/\s+/).map(Number),
          gids: field('Gid').split(/\s+/).map(Number),
          noNewPrivs: Number(field('NoNewPrivs')),
          seccomp: Number(field('Seccomp')),
          root: readlinkSync(`/proc/${pid}/root`),
        });
      } catch { /* it exited meanwhile */ }
    }
    return out;
  }

  childrenNamed(name) {
    return this.children().filter((c) => c.name === name);
  }

  kill(signal = 'SIGTERM') {
    this.proc.kill(signal);
  }

  async stop() {
    if (!this.proc) return undefined;
    let t;
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      t = setTimeout(() => this.proc.kill('SIGKILL'), 20000);
    }
    const r = await this.exited;
    clearTimeout(t);
    rmSync(this.dir, { recursive: true, force: true });
    return r;
  }
}

// Runs `gatehouse` to completion (for -n, --version).
export function run(args, { env = {} } = {}) {
  const r = spawnSync(BIN, args, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
