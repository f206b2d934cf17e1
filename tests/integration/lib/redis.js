// Real redis-server processes (Debian's) for the tests, on 127.0.0.1 and
// free ports, in temp dirs, stopped at the end: a standalone server
// (password, ACL user, unix socket, TLS), a Sentinel set (master,
// replica, three sentinels) and a Cluster (three masters).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
export const REDIS_CLI = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

// redis-cli against a server; returns stdout (throws on failure).
export function cli(args, { port, password, user, tls } = {}) {
  const a = ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning'];
  if (user) a.push('--user', user);
  if (password) a.push('-a', password);
  if (tls) a.push('--tls', '--cacert', tls.ca, ...(tls.cert ? ['--cert', tls.cert, '--key', tls.key] : []));
  const r = spawnSync(REDIS_CLI, [...a, ...args], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export class RedisServer {
  // args: extra redis-server arguments; port: fixed (a restart keeps it).
  constructor({ args = [], port, password, tls, unixsocket = false, dir } = {}) {
    Object.assign(this, { extra: args, fixedPort: port, password, tls, wantUnix: unixsocket });
    this.dir = dir ?? mkdtempSync(path.join(os.tmpdir(), 'gh-redis-'));
    chmodSync(this.dir, 0o755);
  }

  args() {
    const a = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir,
      '--protected-mode', 'no', '--loglevel', 'warning'];
    if (this.tls) {
      a.push('--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.tls.cert,
        '--tls-key-file', this.tls.key, '--tls-ca-cert-file', this.tls.ca, '--tls-auth-clients', 'no');
    } else a.push('--port', String(this.port));
    if (this.password) a.push('--requirepass', this.password);
    if (this.wantUnix) {
      this.unixPath = path.join(this.dir, 'redis.sock');
      a.push('--unixsocket', this.unixPath, '--unixsocketperm', '777');
    }
    return [...a, ...this.extra];
  }

  async start() {
    this.port ??= this.fixedPort ?? await freePort();
    this.log = '';
    this.proc = spawn(REDIS_SERVER, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => { this.log += d; });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    const end = Date.now() + 10000;
    while (Date.now() < end) {
      if (this.proc.exitCode !== null) break;
      try {
        if (this.ping()) return this;
      } catch { /* not yet */ }
      await sleep(50);
    }
    throw new Error(`redis-server did not start\n${this.log}`);
  }

  ping() {
    return cli(['PING'], this.cliOpts()).trim() === 'PONG';
  }

  cliOpts() {
    return { port: this.port, password: this.password, tls: this.tls };
  }

  cli(args) {
    return cli(args, this.cliOpts());
  }

  // Every key and its value (raw bytes as a latin1 string), for scans.
  dump() {
    const out = {};
    for (const k of this.cli(['--scan']).split('\n').filter(Boolean)) {
      const type = this.cli(['TYPE', k]).trim();
      out[k] = type === 'string' ? this.cli(['--no-raw', 'GET', k]) : this.cli(['SMEMBERS', k]);
    }
    return out;
  }

  get url() {
    const auth = this.password ? `:${encodeURIComponent(this.password)}@` : '';
    return `${this.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${this.port}`;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  async destroy() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startRedis(opts) {
  return new RedisServer(opts).start();
}

// A master, a replica of it and three sentinels watching it as `name`.
export async function startSentinels({ name = 'gh-master', password } = {}) {
  // No 5 s wait before the replica's first sync (Redis 7's default).
  const fast = ['--repl-diskless-sync-delay', '0'];
  const master = await startRedis({ password, args: [...fast, ...(password ? ['--masterauth', password] : [])] });
  const replica = await startRedis({
    password,
    args: [...fast, '--replicaof', '127.0.0.1', String(master.port), ...(password ? ['--masterauth', password] : [])],
  });
  const end = Date.now() + 15000;
  while (!/slave0:.*state=online/.test(master.cli(['INFO', 'replication']))) {
    if (Date.now() > end) throw new Error('the replica did not sync');
    await sleep(100);
  }
  const sentinels = [];
  for (let i = 0; i < 3; i++) {
    const s = new RedisServer({});
    s.port = await freePort();
    const conf = path.join(s.dir, 'sentinel.conf');
    writeFileSync(conf, [
      `port ${s.port}`, 'bind 127.0.0.1', `dir ${s.dir}`, 'protected-mode no',
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      ...(password ? [`sentinel auth-pass ${name} ${password}`] : []),
      '',
    ].join('\n'));
    s.args = () => [conf, '--sentinel'];
    await s.start();
    sentinels.push(s);
  }
  return {
    name, master, replica, sentinels,
    urls: sentinels.map((s) => `redis://127.0.0.1:${s.port}`),
    // The master's address the sentinels agree on now.
    masterPort() {
      return Number(sentinels[0].cli(['SENTINEL', 'get-master-addr-by-name', name]).split('\n')[1]);
    },
    async stop() {
      for (const s of [...sentinels, replica, master]) await s.destroy();
    },
  };
}

// Three masters joined with redis-cli --cluster create.
export async function startCluster({ n = 3 } = {}) {
  const nodes = [];
  for (let i = 0; i < n; i++) {
    nodes.push(await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'] }));
  }
  const r = spawnSync(REDIS_CLI, ['--cluster', 'create', ...nodes.map((x) => `127.0.0.1:${x.port}`),
    '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`redis-cli --cluster create: ${r.stderr}${r.stdout}`);
  const end = Date.now() + 15000;
  while (Date.now() < end && !/cluster_state:ok/.test(nodes[0].cli(['CLUSTER', 'INFO']))) await sleep(100);
  return {
    nodes,
    urls: nodes.map((x) => `redis://127.0.0.1:${x.port}`),
    async stop() { for (const x of nodes) await x.destroy(); },
  };
}
