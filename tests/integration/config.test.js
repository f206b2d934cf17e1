// `gatehouse -n`: the config check, on the shipped example and on bad input.
import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { run, SRC, tmpdir, CLIENT_SECRET, COOKIE_SECRET } from './lib/gatehouse.js';

const dir = tmpdir();
test.after(() => rmSync(dir, { recursive: true, force: true }));

function conf(name, text) {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const GOOD = `provider = "oidc"\noidc_issuer_url = "https://idp.example"\nclient_id = "x"\nclient_secret = "${CLIENT_SECRET}"\ncookie_secret = "${COOKIE_SECRET}"\nemail_domains = ["*"]\n`;

test('the shipped example config is valid', () => {
  const r = run(['-n', '-c', path.join(SRC, 'etc/gatehouse.conf.example')]);
  assert.equal(r.code, 0, r.stderr);
});

test('--config-test is the long form of -n', () => {
  const r = run(['--config-test', '--config', conf('good.conf', GOOD)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /valid/);
});

test('--version prints the version and exits 0', () => {
  const r = run(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^gatehouse \d+\.\d+\.\d+/);
});

const BAD = [
  ['unterminated string', `${GOOD}cookie_name = "abc\n`, /bad\.conf:7/],
  ['unknown key', `${GOOD}no_such_key = "x"\n`, /bad\.conf:7.*no_such_key/],
  ['not supported yet', `${GOOD}metrics_address = ":9100"\n`, /metrics_address.*not supported yet/],
  ['wrong type', `${GOOD}workers = "two"\n`, /bad\.conf:7.*workers/],
  ['duplicate key', `${GOOD}client_id = "y"\n`, /bad\.conf:7.*client_id/],
  ['bare-number duration', `${GOOD}shutdown_timeout = "30"\n`, /shutdown_timeout.*unit/],
  ['cookie secret of the wrong length', GOOD.replace(COOKIE_SECRET, 'short'), /cookie_secret.*16, 24 or 32/],
];
for (const [what, text, re] of BAD) {
  test(`-n refuses ${what} with file, line and key`, () => {
    const r = run(['-n', '-c', conf('bad.conf', text)]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, new RegExp(CLIENT_SECRET));
  });
}

test('a flag beats the environment, which beats the file', () => {
  // The file says 1 and the flag 2, both valid; the environment's 999 is
  // over the limit, so the check fails exactly when the environment wins.
  const p = conf('prec.conf', `${GOOD}workers = 1\n`);
  let r = run(['-n', '-c', p, '--workers=2'], { env: { OAUTH2_PROXY_WORKERS: '999' } });
  assert.equal(r.code, 0, r.stderr);
  r = run(['-n', '-c', p], { env: { OAUTH2_PROXY_WORKERS: '999' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /workers/);
  r = run(['-n', '-c', conf('prec2.conf', `${GOOD}workers = 999\n`)], { env: { OAUTH2_PROXY_WORKERS: '2' } });
  assert.equal(r.code, 0, r.stderr);
});

test('-n checks custom templates with the workers\' code: a construct outside the subset is refused', () => {
  const tdir = path.join(dir, 'templates');
  mkdirSync(tdir, { recursive: true });
  writeFileSync(path.join(tdir, 'sign_in.html'), '<p>\n{{range .Items}}x{{end}}\n</p>\n');
  const r = run(['-n', '-c', conf('tpl.conf', `${GOOD}custom_templates_dir = "${tdir}"\n`)]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /sign_in\.html:2/);
  writeFileSync(path.join(tdir, 'sign_in.html'), '<p>{{.ProviderName}}</p>\n');
  assert.equal(run(['-n', '-c', conf('tpl.conf', `${GOOD}custom_templates_dir = "${tdir}"\n`)]).code, 0);
});

test('-n checks what the helpers would only find later: cookie attributes, whitelist entries, CA files', () => {
  const r = run(['-n', '-c', conf('late.conf', `${GOOD}cookie_path = "/a;b"\nwhitelist_domains = ["ok.example:443", "bad:port:x:"]\n`
    + `provider_ca_files = ["/nonexistent/ca.pem"]\n`)]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /cookie_path: .*"\/a;b"/);
  assert.match(r.stderr, /whitelist_domains: "bad:port:x:"/);
  assert.doesNotMatch(r.stderr, /ok\.example/);
  assert.match(r.stderr, /provider_ca_files: \/nonexistent\/ca\.pem/);
});

test('-n checks Redis URLs with sessiond\'s parser, and never shows their password', () => {
  const r = run(['-n', '-c', conf('redis.conf', `${GOOD}session_store_type = "redis"\n`
    + `redis_connection_url = "http://:pw-never-shown@redis.example:6379"\n`)]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /redis_connection_url: unsupported scheme "http"/);
  assert.doesNotMatch(r.stderr, /pw-never-shown/);
});
