#!/usr/bin/env node
// `make demo`: gatehouse in front of a small app, signing in at the test
// suite's OpenID Provider, all on 127.0.0.1.
//
//	node tests/demo/run.js [--no-gatehouse]
//
// The IdP (tests/integration/lib/idp.js) listens on 9090 or the first
// free port after it, the app on 9091 (or the next free one), gatehouse
// on 4180.  Users: alice / alice-password, bob / bob-password, mallory /
// mallory-password (unverified email).  GATEHOUSE_BUILD names the build
// directory (default: build).  Ctrl-C stops everything.
//
// Needs `npm ci` in tests/integration (for oidc-provider).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startIdp, CLIENT_ID, CLIENT_SECRET } from '../integration/lib/idp.js';
import { toml } from '../integration/lib/gatehouse.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = path.resolve(ROOT, process.env.GATEHOUSE_BUILD ?? 'build');
const GATEHOUSE_ADDRESS = '127.0.0.1:4180';
const noGatehouse = process.argv.includes('--no-gatehouse');

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function firstFreePort(from, skip = []) {
  for (let p = from; p < from + 100; p++) {
    if (!skip.includes(p) && await portFree(p)) return p;
  }
  throw new Error(`demo: no free port in ${from}..${from + 99}`);
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const IDENTITY = ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-forwarded-preferred-username'];

// The app: a page that shows who gatehouse says is signed in.
function appPage(req) {
  const rows = [];
  for (const name of IDENTITY) rows.push([name, req.headers[name]]);
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-auth-request-')) rows.push([name, value]);
  }
  const auth = req.headers.authorization;
  rows.push(['authorization', auth === undefined ? undefined : `present (${auth.split(' ')[0]} …)`]);
  const cells = rows.map(([n, v]) => `<tr><th>${esc(n)}</th><td>${v === undefined ? '<i>absent</i>' : esc(v)}</td></tr>`);
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>gatehouse demo app</title>
<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em}td,th{border-bottom:1px solid #ddd;padding:.3em}</style>
</head><body>
<h1>Hello from the app behind gatehouse</h1>
<p>${esc(req.method)} ${esc(req.url)}</p>
<table>
${cells.join('\n')}
</table>
<p><a href="/oauth2/sign_out">Sign out</a></p>
</body></html>
`;
}

async function startApp(port) {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(appPage(req));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function startGatehouse(dir, idp, appPort) {
  const bin = path.join(BUILD, 'gatehouse');
  if (!existsSync(bin)) {
    console.error(`demo: ${bin} not found; build it with make (or set GATEHOUSE_BUILD)`);
    return null;
  }
  if (process.getuid?.() === 0) spawnSync(path.join(ROOT, 'tests/make-users'), { stdio: 'inherit' });
  const chroot = path.join(dir, 'empty');
  mkdirSync(chroot, { mode: 0o755 });
  const configPath = path.join(dir, 'gatehouse.conf');
  writeFileSync(configPath, toml({
    http_address: GATEHOUSE_ADDRESS,
    provider: 'oidc',
    oidc_issuer_url: idp.issuer,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    cookie_secret: crypto.randomBytes(24).toString('base64url'),
    cookie_secure: false,
    email_domains: ['*'],
    upstreams: [`http://127.0.0.1:${appPort}/`],
    pass_user_headers: true,
    set_xauthrequest: true,
    chroot_dir: chroot,
  }), { mode: 0o600 });
  return spawn(bin, ['-c', configPath, '--libexec-dir', BUILD], { stdio: 'inherit' });
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-demo-'));
  const idpPort = await firstFreePort(9090);
  const appPort = await firstFreePort(9091, [idpPort]);
  const base = `http://${GATEHOUSE_ADDRESS}`;
  const idp = await startIdp({
    port: idpPort,
    redirectUris: [`${base}/oauth2/callback`],
    postLogoutRedirectUris: [`${base}/`],
  });
  const app = await startApp(appPort);
  console.log(`demo: IdP at ${idp.issuer}, app at http://127.0.0.1:${appPort}/`);

  let gatehouse = null;
  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    if (gatehouse && gatehouse.exitCode === null && gatehouse.signalCode === null) {
      gatehouse.kill('SIGTERM');
      await once(gatehouse, 'exit');
    }
    await idp.stop();
    app.closeAllConnections();
    await new Promise((r) => app.close(r));
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  if (!noGatehouse) {
    gatehouse = startGatehouse(dir, idp, appPort);
    gatehouse?.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`demo: gatehouse exited (${code ?? signal})`);
      stop(code || 1);
    });
  }
  if (gatehouse) console.log(`Open ${base}/ and sign in as alice / alice-password`);
  else console.log(`demo: no gatehouse; the IdP and the app run until Ctrl-C (redirect URI ${base}/oauth2/callback)`);
}

main().catch((e) => {
  console.error('demo:', e);
  process.exit(1);
});
