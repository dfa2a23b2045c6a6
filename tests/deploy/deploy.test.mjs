// `npm run deploy` (scripts/deploy.mjs) end to end against a local stand-in of the Cloudflare
// API (cf-api-standin.mjs): the real wrangler 4.164 with CLOUDFLARE_API_BASE_URL pointed at
// it, on a temporary copy of the worker (wrangler.toml with its placeholder KV id, the built
// worker, an assets folder). The stand-in also stands in for the deployed worker's
// workers.dev URL: it runs what was uploaded, with the secrets that were set, on workerd, so
// the deployed GET /health is the uploaded worker's own answer (`--health-url` points the
// script at it: the real URL, https://smsotp.<subdomain>.workers.dev, is not local).
//
// The runs share one account and go in order: refusals that must change nothing, a first
// deploy in a terminal (answers typed into a pseudo-terminal made by util-linux `script`),
// a second run that changes nothing, a changed build, and `wrangler deploy --dry-run`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCfApiStandin } from './cf-api-standin.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = join(root, 'scripts', 'deploy.mjs');
const PLACEHOLDER = '00000000000000000000000000000000';
const SUBDOMAIN = 'smsotp-test';
// The first deploy is answered in a pseudo-terminal made by util-linux `script`; the runs
// after it build on it. Without it they are skipped, unless SMSOTP_REQUIRE_ORACLES=1 (as
// `npm test` sets): then a missing tool fails the file (before).
const hasScript = spawnSync('script', ['--version']).status === 0;
const noTerminal = hasScript ? false : 'missing tool: script (util-linux), for a pseudo-terminal';

let standin;
let dir; // the temporary worker folder
let home; // HOME of every run: wrangler's logs and caches land there, not in the user's
let config;
let originalToml;

before(async () => {
  assert.ok(hasScript || process.env.SMSOTP_REQUIRE_ORACLES !== '1', 'util-linux `script` is missing (SMSOTP_REQUIRE_ORACLES=1): install util-linux');
  const built = join(root, 'worker', 'build', 'index.js');
  assert.ok(existsSync(built), 'worker/build/index.js is missing: build the worker first (npm run test:worker builds it)');
  standin = await startCfApiStandin({ subdomain: SUBDOMAIN });
  dir = mkdtempSync(join(tmpdir(), 'smsotp-deploy-test-'));
  home = mkdtempSync(join(tmpdir(), 'smsotp-deploy-home-'));
  // The committed wrangler.toml (the working tree's may hold a real deployment's id and
  // PUBLIC_URL, written by npm run deploy), else the working tree's.
  const committed = spawnSync('git', ['show', 'HEAD:worker/wrangler.toml'], { cwd: root, encoding: 'utf8' });
  if (committed.status === 0) writeFileSync(join(dir, 'wrangler.toml'), committed.stdout);
  else cpSync(join(root, 'worker', 'wrangler.toml'), join(dir, 'wrangler.toml'));
  cpSync(join(root, 'worker', 'build'), join(dir, 'build'), { recursive: true });
  mkdirSync(join(dir, 'public'));
  writeFileSync(join(dir, 'public', 'README.md'), 'the assets folder (a stand-in for the demo pages)\n');
  config = join(dir, 'wrangler.toml');
  originalToml = readFileSync(config, 'utf8');
  assert.match(originalToml, new RegExp(`^id = "${PLACEHOLDER}"`, 'm'), 'the committed wrangler.toml has the placeholder id');
});
after(async () => {
  await standin?.close();
  for (const d of [dir, home]) if (d) rmSync(d, { recursive: true, force: true });
});

/** The environment of a run: only what it needs (no variable of the developer's shell). */
function envOf(extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    CLOUDFLARE_API_BASE_URL: standin.apiBase,
    CLOUDFLARE_API_TOKEN: standin.token,
    ...extra,
  };
}
const argsOf = (args) => [script, '--config', config, '--no-build', '--health-url', standin.workersDevUrl, '--health-timeout', '60', ...args];

/**
 * Runs the script without a terminal (stdin a pipe, closed): { status, out }. A run still
 * going after `timeoutMs` is ended, its whole process group (wrangler, workerd), and its
 * status is 'timed out'.
 */
function run(args = [], extraEnv = {}, { timeoutMs = 180_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argsOf(args), { cwd: root, env: envOf(extraEnv), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdin.end();
    let out = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status: timedOut ? 'timed out' : status, out: timedOut ? `${out}\n[ended after ${timeoutMs / 1000} s]` : out });
    });
  });
}

const shellQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
/**
 * Runs the script in a pseudo-terminal (`script -qec`), answering each question when its
 * prompt appears: `answers` is [[regex, text], …] in order. { status, out } (the terminal's
 * output: what a person would see, typed answers echoed or not).
 */
function runInTerminal(args, answers, extraEnv = {}, { timeoutMs = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, ...argsOf(args)].map(shellQuote).join(' ');
    // Its own process group, so that a run stuck at an unexpected question is ended whole.
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: root, env: envOf({ TERM: 'dumb', ...extraEnv }), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    let out = '';
    let from = 0;
    const pending = [...answers];
    const onData = (d) => {
      out += d;
      // The prompts compared without escape sequences (a terminal's readline moves the
      // cursor after writing a prompt).
      while (pending.length && pending[0][0].test(out.slice(from).replace(/\x1b\[[?0-9;]*[@-~]/g, ''))) {
        const [, answer] = pending.shift();
        from = out.length;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      child.stdin.end();
      if (timedOut) out += `\n[ended after ${timeoutMs / 1000} s, waiting for: ${pending.map(([re]) => String(re)).join(', ') || 'nothing'}]`;
      resolve({ status: timedOut ? 'timed out' : status, out, unanswered: pending.map(([re]) => String(re)) });
    });
  });
}

/**
 * What a terminal shows after `out`: its lines, as text. Enough of a terminal for readline's
 * output: \r, \n, backspace, cursor to column n (ESC[nG), cursor moves (ESC[nA/B/C/D), and
 * clearing (ESC[J, ESC[K); other escape sequences are ignored.
 */
function screenOf(out) {
  const lines = [''];
  let row = 0;
  let col = 0;
  const put = (ch) => {
    const line = lines[row].padEnd(col, ' ');
    lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col += 1;
  };
  for (let i = 0; i < out.length; i++) {
    const ch = out[i];
    if (ch === '\x1b') {
      const csi = /^\x1b\[([?0-9;]*)([@-~])/.exec(out.slice(i));
      if (!csi) {
        i += 1; // ESC and one character (ESC 7, ESC =, …)
        continue;
      }
      i += csi[0].length - 1;
      const n = csi[1] === '' || csi[1].startsWith('?') ? null : Number(csi[1].split(';')[0]);
      switch (csi[2]) {
        case 'G': col = Math.max((n ?? 1) - 1, 0); break;
        case 'C': col += n || 1; break;
        case 'D': col = Math.max(col - (n || 1), 0); break;
        case 'A': row = Math.max(row - (n || 1), 0); break;
        case 'B': row += n || 1; while (lines.length <= row) lines.push(''); break;
        case 'J': if (!n) { lines[row] = lines[row].slice(0, col); lines.length = row + 1; } break;
        case 'K': if (!n) lines[row] = lines[row].slice(0, col); break;
        default: break;
      }
    } else if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      if (lines.length <= row) lines.push('');
    } else if (ch === '\b') col = Math.max(col - 1, 0);
    else if (ch >= ' ' || ch === '\t') put(ch);
  }
  return lines.map((l) => l.trimEnd());
}

/** The requests that change something (every method but GET), from index `from` on. */
const changesSince = (from) => standin.requests.slice(from).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
const smsotp = () => standin.state.scripts.get('smsotp');
/** Every file under `d`, as text. */
const textsUnder = (d) => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? textsUnder(join(d, n)) : [readFileSync(join(d, n), 'latin1')])) : []);

test('not logged in (a token the API refuses): stops at the login check, nothing asked of the account', async () => {
  const from = standin.requests.length;
  const r = await run(['--yes'], { CLOUDFLARE_API_TOKEN: 'not-the-token' });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /not logged in to Cloudflare: run `npx wrangler login`/);
  assert.deepEqual(changesSince(from), []);
  assert.ok(standin.requests.slice(from).every((q) => q.path.startsWith('/user') || q.path === '/accounts' || q.path === '/memberships'), 'only the login check');
  assert.equal(readFileSync(config, 'utf8'), originalToml);
});

test('without a terminal and without the provider\'s secrets: fails naming them, before any change', async () => {
  const from = standin.requests.length;
  const r = await run([]);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /without questions/);
  assert.match(r.out, /missing secrets for the SMS provider, not set on the worker: TWILIO_ACCOUNT_SID \(twilio\), TWILIO_AUTH_TOKEN \(twilio\)/);
  assert.match(r.out, /TWILIO_ACCOUNT_SID=… npm run deploy -- --yes/);
  assert.match(r.out, /Nothing was changed/);
  assert.doesNotMatch(r.out, /not shown\)/, 'no question asked');
  assert.deepEqual(changesSince(from), [], 'no namespace created, no secret set, no upload');
  assert.equal(standin.state.namespaces.size, 0);
  assert.equal(standin.state.scripts.size, 0);
  assert.equal(readFileSync(config, 'utf8'), originalToml, 'wrangler.toml untouched');
});

test('a bad setting fails the configuration check (the built worker\'s own /health, run locally) before any change or upload', async () => {
  const twilio = { TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`, TWILIO_AUTH_TOKEN: `tok-${randomBytes(16).toString('hex')}` };
  // A var of wrangler.toml.
  writeFileSync(config, originalToml.replace('RATE_LIMIT_PER_MINUTE = "600"', 'RATE_LIMIT_PER_MINUTE = "lots"'));
  try {
    const from = standin.requests.length;
    const r = await run(['--yes'], twilio);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /the configuration has 1 problem \(GET \/health of the built worker, run locally with these settings\):\n {2}- RATE_LIMIT_PER_MINUTE: "lots" is not a whole number/);
    assert.match(r.out, /Nothing was changed or uploaded/);
    assert.deepEqual(changesSince(from), []);
    assert.ok(!r.out.includes(twilio.TWILIO_AUTH_TOKEN), 'the secret from the environment is not printed');
  } finally {
    writeFileSync(config, originalToml);
  }
  // A secret of this run: --provider webhook with a signing secret too short. The provider
  // is not written into wrangler.toml either (nothing is, before the check passes).
  const from = standin.requests.length;
  const short = `whsec_${Buffer.from('short').toString('base64')}`;
  const r = await run(['--yes', '--provider', 'webhook'], { SMS_WEBHOOK_URL: 'https://hooks.example/sms', SMS_WEBHOOK_SECRET: short });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /- SMS_WEBHOOK_SECRET: decodes to 5 bytes, fewer than 16/);
  assert.ok(!r.out.includes(short));
  assert.deepEqual(changesSince(from), []);
  assert.equal(readFileSync(config, 'utf8'), originalToml);
  assert.equal(standin.state.namespaces.size, 0);
});

test('first deploy, in a terminal: asks for the provider\'s secrets (not echoed), creates the namespace and writes its id, generates the keys, uploads, /health 200', { skip: noTerminal }, async () => {
  const sid = `AC${randomBytes(16).toString('hex')}`;
  const token = randomBytes(16).toString('hex');
  const from = standin.requests.length;
  // A real terminal type: readline then clears the line before each prompt (with TERM=dumb
  // it does not), so this also checks the questions stay on the screen.
  const r = await runInTerminal([], [
    [/SMS provider \(twilio, vonage, smscx, webhook\) \[twilio\]: $/, ''],
    [/TWILIO_ACCOUNT_SID — .*\(not shown\): $/, sid],
    [/TWILIO_AUTH_TOKEN — .*\(not shown\): $/, token],
    [new RegExp(`The deployment's public URL \\[https://smsotp\\.${SUBDOMAIN}\\.workers\\.dev\\]: $`), ''],
    [/Go ahead\? \[Y\/n\] $/, 'y'],
  ], { TERM: 'xterm-256color' });
  assert.equal(r.status, 0, r.out);
  assert.deepEqual(r.unanswered, [], 'every question was asked');
  // What the person saw: every question on the screen, each once, the visible answers
  // after theirs, the secret ones not.
  const screen = screenOf(r.out);
  for (const q of [
    'SMS provider (twilio, vonage, smscx, webhook) [twilio]: ',
    'TWILIO_ACCOUNT_SID — ',
    'TWILIO_AUTH_TOKEN — ',
    `The deployment's public URL [https://smsotp.${SUBDOMAIN}.workers.dev]: `,
    'Go ahead? [Y/n] y',
  ]) assert.equal(screen.filter((l) => l.startsWith(q.trimEnd())).length, 1, `on the screen once: ${q}\n${screen.join('\n')}`);
  for (const l of screen.filter((l) => /^TWILIO_\w+ — /.test(l))) assert.match(l, /\(not shown\):$/, 'nothing typed shows after a secret question');

  // The namespace: created once, under the worker's name; its id replaces the placeholder,
  // and PUBLIC_URL (the workers.dev URL) is added to [vars]: nothing else of the file moved.
  const created = standin.calls('POST', /\/storage\/kv\/namespaces$/);
  assert.equal(created.length, 1);
  assert.deepEqual(created[0].json, { title: 'smsotp-TENANTS' });
  const [ns] = standin.state.namespaces.values();
  const publicUrl = `https://smsotp.${SUBDOMAIN}.workers.dev`;
  assert.equal(
    readFileSync(config, 'utf8'),
    originalToml.replace(`id = "${PLACEHOLDER}"`, `id = "${ns.id}"`).replace('[vars]\n', `[vars]\nPUBLIC_URL = "${publicUrl}"\n`),
  );

  // The secrets: sent with the upload, as one version (secret_text bindings of the one PUT;
  // no secret set on its own, so no draft Worker and no secret going live before the code),
  // the generated keys and the typed ones.
  assert.deepEqual(changesSince(from).filter((c) => /secrets/.test(c)), [], 'no separate secret request');
  const puts = standin.calls('PUT', /\/workers\/scripts\/smsotp$/).filter((q) => standin.requests.indexOf(q) >= from);
  assert.equal(puts.length, 1, 'one upload');
  assert.deepEqual(smsotp().upload.metadata.bindings.filter((b) => b.type === 'secret_text').map((b) => b.name).sort(), ['PIN_HASH_KEY', 'TOKEN_SIGNING_KEYS', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']);
  assert.equal(smsotp().deployments.length, 1, 'one deployment: the code and its secrets together');
  const secrets = Object.fromEntries([...smsotp().secrets.values()].map((s) => [s.name, s.text]));
  assert.equal(secrets.TWILIO_ACCOUNT_SID, sid);
  assert.equal(secrets.TWILIO_AUTH_TOKEN, token);
  assert.ok(Buffer.from(secrets.PIN_HASH_KEY, 'base64url').length >= 32, 'PIN_HASH_KEY: 32 random bytes');
  const jwks = JSON.parse(secrets.TOKEN_SIGNING_KEYS);
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].kty, 'OKP');
  assert.equal(jwks.keys[0].crv, 'Ed25519');
  assert.equal(Buffer.from(jwks.keys[0].d, 'base64url').length, 32, 'a private key');

  // Never shown: not in the terminal, not in wrangler's logs under HOME.
  const never = [sid, token, secrets.PIN_HASH_KEY, secrets.TOKEN_SIGNING_KEYS, jwks.keys[0].d];
  for (const v of never) assert.ok(!r.out.includes(v), `a secret value was printed: ${v.slice(0, 6)}…`);
  for (const text of textsUnder(home)) for (const v of never) assert.ok(!text.includes(v), 'a secret value is in a file under HOME');
  assert.match(r.out, /to generate: PIN_HASH_KEY, TOKEN_SIGNING_KEYS \(set on the worker, never shown\)/);

  // The upload: the TENANTS binding to the new namespace, PUBLIC_URL, the three Durable
  // Objects with every migration, tagged with the build's fingerprint.
  const { metadata } = smsotp().upload;
  const bindings = Object.fromEntries(metadata.bindings.map((b) => [b.name, b]));
  assert.equal(bindings.TENANTS.type, 'kv_namespace');
  assert.equal(bindings.TENANTS.namespace_id, ns.id);
  assert.deepEqual([bindings.PUBLIC_URL.type, bindings.PUBLIC_URL.text], ['plain_text', publicUrl]);
  assert.deepEqual([bindings.SMS_PROVIDER.type, bindings.SMS_PROVIDER.text], ['plain_text', 'twilio']);
  assert.deepEqual(['OTP_SHARD', 'TENANT_LIMITER', 'DEV_INBOX'].map((n) => bindings[n]?.type), Array(3).fill('durable_object_namespace'));
  assert.equal(bindings.BROWSER_IP_LIMITER.type, 'ratelimit');
  assert.equal(smsotp().migrationTag, 'v3');
  // The build's fingerprint is the version's tag (wrangler deploy --tag), which the next run
  // reads back (GET …/versions/{id}); the deployment carries no tag.
  const served = smsotp().versions.find((v) => v.id === smsotp().deployments[0].versions[0].version_id);
  assert.match(served.annotations['workers/tag'], /^smsotp-[0-9a-f]{20}$/);
  assert.equal(smsotp().deployments[0].annotations['workers/tag'], undefined);
  assert.equal(smsotp().workersDev, true);

  // Then GET /health of what was deployed: the stand-in runs the upload with the secrets.
  assert.match(r.out, /GET http:\/\/127\.0\.0\.1:\d+\/health: 200 — the deployed configuration is good/);
  const health = await fetch(`${standin.workersDevUrl}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  assert.match(r.out, /npm run tenant -- create acme --from Acme --countries US,FR/);
  assert.deepEqual(standin.unhandled(), [], 'every request wrangler made was one the stand-in implements');
  assert.ok(changesSince(from).includes('PUT /accounts/' + standin.accountId + '/workers/scripts/smsotp'));
});

test('a second run changes nothing and says so', { skip: noTerminal }, async () => {
  const from = standin.requests.length;
  const toml = readFileSync(config, 'utf8');
  const secretsBefore = JSON.stringify([...smsotp().secrets.values()]);
  const r = await run(['--yes']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /kept: smsotp-TENANTS \([0-9a-f]{32}\), wrangler\.toml's/);
  assert.match(r.out, /kept: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN/);
  assert.match(r.out, /the deployed worker is this build already \([0-9a-f]{20}\): not uploaded/);
  assert.match(r.out, /Nothing changed: the KV namespace, wrangler\.toml, the secrets and the deployed build were as this run wanted them\./);
  assert.match(r.out, /\/health: 200/);
  assert.deepEqual(changesSince(from), [], 'nothing but reads');
  assert.equal(readFileSync(config, 'utf8'), toml);
  assert.equal(JSON.stringify([...smsotp().secrets.values()]), secretsBefore);
  assert.equal(standin.state.namespaces.size, 1);
});

test('a changed build is uploaded as a new version of the existing worker, secrets and namespace kept', { skip: noTerminal }, async () => {
  writeFileSync(join(dir, 'public', 'README.md'), 'the assets folder, changed\n');
  const from = standin.requests.length;
  const deploymentsBefore = smsotp().deployments.length;
  const toml = readFileSync(config, 'utf8');
  const r = await run(['--yes']);
  assert.equal(r.status, 0, r.out);
  const changed = changesSince(from);
  const a = `/accounts/${standin.accountId}`;
  assert.ok(changed.includes(`POST ${a}/workers/scripts/smsotp/versions`), changed.join('\n'));
  assert.ok(changed.includes(`POST ${a}/workers/scripts/smsotp/deployments`), changed.join('\n'));
  assert.ok(!changed.some((c) => /secrets|storage\/kv|PUT /.test(c)), changed.join('\n'));
  assert.deepEqual(smsotp().upload.metadata.bindings.filter((b) => b.type === 'secret_text'), [], 'no secret sent with it');
  assert.equal(smsotp().deployments.length, deploymentsBefore + 1);
  assert.equal(readFileSync(config, 'utf8'), toml);
  assert.match(r.out, /Changed:\n {2}- uploaded and deployed smsotp, version [0-9a-f-]{36}/);
  const health = await fetch(`${standin.workersDevUrl}/health`);
  assert.equal(health.status, 200, 'the new version runs with the secrets set before');
  assert.deepEqual(standin.unhandled(), []);
});

test('a fresh checkout (the placeholder id again) finds the account\'s smsotp-TENANTS instead of making a second one; the keys are not generated again', { skip: noTerminal }, async () => {
  writeFileSync(config, originalToml);
  const [ns] = standin.state.namespaces.values();
  const pinHashKey = smsotp().secrets.get('PIN_HASH_KEY').text;
  const from = standin.requests.length;
  const r = await run(['--yes']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, new RegExp(`the deployed worker uses smsotp-TENANTS \\(${ns.id}\\): its id goes into wrangler\\.toml`));
  assert.match(r.out, /https:\/\/smsotp\.smsotp-test\.workers\.dev \(the deployed worker's, written into wrangler\.toml's \[vars\]\)/);
  assert.match(r.out, /Commit \S*wrangler\.toml/);
  assert.equal(standin.state.namespaces.size, 1);
  assert.deepEqual(standin.calls('POST', /\/storage\/kv\/namespaces$/).filter((q) => standin.requests.indexOf(q) >= from), []);
  assert.ok(!changesSince(from).some((c) => /secrets/.test(c)), 'no secret set');
  assert.deepEqual(smsotp().upload.metadata.bindings.filter((b) => b.type === 'secret_text'), [], 'no secret sent with the upload');
  assert.equal(smsotp().secrets.get('PIN_HASH_KEY').text, pinHashKey);
  assert.equal(
    readFileSync(config, 'utf8'),
    originalToml.replace(`id = "${PLACEHOLDER}"`, `id = "${ns.id}"`).replace('[vars]\n', `[vars]\nPUBLIC_URL = "https://smsotp.${SUBDOMAIN}.workers.dev"\n`),
  );
  assert.match(r.out, /\/health: 200/);
});

/** A KV namespace made in the stand-in's account (through its API, as wrangler would). */
async function makeNamespace(title) {
  const res = await fetch(`${standin.apiBase}/accounts/${standin.accountId}/storage/kv/namespaces`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${standin.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  const { result } = await res.json();
  assert.ok(result?.id, `namespace ${title} made`);
  return result.id;
}

test('a checkout whose TENANTS id is not the deployed worker\'s is refused (nothing changed) unless --repoint-tenants', { skip: noTerminal }, async () => {
  const deployedId = smsotp().upload.metadata.bindings.find((b) => b.name === 'TENANTS').namespace_id;
  const otherId = await makeNamespace('smsotp-TENANTS-other');
  const toml = originalToml.replace(`id = "${PLACEHOLDER}"`, `id = "${otherId}"`);
  writeFileSync(config, toml);
  try {
    const from = standin.requests.length;
    const r = await run(['--yes']);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, new RegExp(`wrangler\\.toml's TENANTS id ${otherId} \\(smsotp-TENANTS-other\\) is not the namespace the deployed worker smsotp uses: ${deployedId} \\(smsotp-TENANTS\\)`));
    assert.match(r.out, /pass --repoint-tenants to repoint it\. Nothing was changed\./);
    assert.deepEqual(changesSince(from), []);
    assert.equal(readFileSync(config, 'utf8'), toml);
  } finally {
    writeFileSync(config, originalToml.replace(`id = "${PLACEHOLDER}"`, `id = "${deployedId}"`).replace('[vars]\n', `[vars]\nPUBLIC_URL = "https://smsotp.${SUBDOMAIN}.workers.dev"\n`));
  }
});

test('a fresh checkout takes the deployed worker\'s PUBLIC_URL (a custom one), not the workers.dev URL again', { skip: noTerminal }, async () => {
  const custom = 'https://otp.acme.test';
  let r = await run(['--yes', '--public-url', custom]);
  assert.equal(r.status, 0, r.out);
  assert.equal(smsotp().upload.metadata.bindings.find((b) => b.name === 'PUBLIC_URL').text, custom);
  writeFileSync(config, originalToml);
  const from = standin.requests.length;
  r = await run(['--yes']);
  assert.equal(r.status, 0, r.out);
  assert.match(readFileSync(config, 'utf8'), new RegExp(`^PUBLIC_URL = "${custom.replace(/\./g, '\\.')}"$`, 'm'));
  assert.equal(smsotp().upload.metadata.bindings.find((b) => b.name === 'PUBLIC_URL').text, custom, 'the deployed issuer is unchanged');
  assert.match(r.out, /https:\/\/otp\.acme\.test \(the deployed worker's, written into wrangler\.toml's \[vars\]\)/);
  assert.deepEqual(changesSince(from).filter((c) => /storage\/kv/.test(c)), []);
});

test('only the top-level TENANTS binding\'s placeholder is replaced (not an [env.*] one above it), and the file is replaced whole (a rename)', { skip: noTerminal }, async () => {
  const deployedId = smsotp().upload.metadata.bindings.find((b) => b.name === 'TENANTS').namespace_id;
  const publicUrl = smsotp().upload.metadata.bindings.find((b) => b.name === 'PUBLIC_URL').text;
  const envBlock = `[[env.staging.kv_namespaces]]\nbinding = "TENANTS"\nid = "${PLACEHOLDER}"\n\n`;
  const toml = originalToml.replace('[[kv_namespaces]]\n', `${envBlock}[[kv_namespaces]]\n`);
  assert.notEqual(toml, originalToml);
  writeFileSync(config, toml);
  const inode = statSync(config).ino;
  const r = await run(['--yes']);
  assert.equal(r.status, 0, r.out);
  const expected = originalToml
    .replace(`id = "${PLACEHOLDER}"`, `id = "${deployedId}"`)
    .replace('[[kv_namespaces]]\n', `${envBlock}[[kv_namespaces]]\n`)
    .replace('[vars]\n', `[vars]\nPUBLIC_URL = "${publicUrl}"\n`);
  assert.equal(readFileSync(config, 'utf8'), expected);
  assert.notEqual(statSync(config).ino, inode, 'written to a temporary file and renamed over it');
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
});

test('a namespace titled TENANTS (the manual steps\' name) is taken when there is no <name>-TENANTS and no deployed worker', async () => {
  const manualId = await makeNamespace('TENANTS');
  const toml = readFileSync(config, 'utf8');
  const other = join(dir, 'other.toml');
  writeFileSync(other, originalToml.replace(/^name = "smsotp"$/m, 'name = "smsotp-fresh"'));
  try {
    const from = standin.requests.length;
    // No terminal, no provider secrets: it stops at step 4, after step 3 chose.
    const r = await new Promise((resolve) => {
      const child = spawn(process.execPath, [script, '--config', other, '--no-build'], { cwd: root, env: envOf(), stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.end();
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (status) => resolve({ status, out }));
    });
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, new RegExp(`found TENANTS \\(${manualId}\\): its id goes into wrangler\\.toml`));
    assert.match(r.out, /the worker smsotp-fresh does not exist yet/);
    assert.deepEqual(changesSince(from), []);
  } finally {
    rmSync(other, { force: true });
    standin.state.namespaces.delete(manualId);
  }
  assert.equal(readFileSync(config, 'utf8'), toml);
});

test('in a terminal, provider secrets found in the environment are asked about first (the name only; "n" asks for the value); "n" at Go ahead changes nothing', { skip: noTerminal }, async () => {
  const other = join(dir, 'fresh2.toml');
  writeFileSync(other, originalToml.replace(/^name = "smsotp"$/m, 'name = "smsotp-fresh2"'));
  const envSid = `AC${randomBytes(16).toString('hex')}`;
  const envToken = `tok-${randomBytes(16).toString('hex')}`;
  try {
    const from = standin.requests.length;
    const r = await runInTerminal(['--config', other], [
      [/SMS provider \(twilio, vonage, smscx, webhook\) \[twilio\]: $/, ''],
      [/TWILIO_ACCOUNT_SID is set in this shell's environment: upload it to the deployed worker\? \[Y\/n\] $/, 'n'],
      [/TWILIO_ACCOUNT_SID — .*\(not shown\): $/, `AC${randomBytes(16).toString('hex')}`],
      [/TWILIO_AUTH_TOKEN is set in this shell's environment: upload it to the deployed worker\? \[Y\/n\] $/, 'y'],
      [/The deployment's public URL \[.*\]: $/, ''],
      [/Go ahead\? \[Y\/n\] $/, 'n'],
    ], { TWILIO_ACCOUNT_SID: envSid, TWILIO_AUTH_TOKEN: envToken, TERM: 'xterm-256color' });
    assert.equal(r.status, 1, r.out);
    assert.deepEqual(r.unanswered, [], 'every question was asked');
    assert.match(r.out, /taken from this run's environment variables \(to be set on the worker\): TWILIO_AUTH_TOKEN\r?\n/);
    assert.doesNotMatch(r.out, /TWILIO_AUTH_TOKEN — /, 'the token taken from the environment is not asked for');
    assert.match(r.out, /stopped: nothing was changed/);
    for (const v of [envSid, envToken]) assert.ok(!r.out.includes(v), 'no value printed');
    assert.deepEqual(changesSince(from), []);
    assert.equal(standin.state.scripts.has('smsotp-fresh2'), false);
  } finally {
    rmSync(other, { force: true });
  }
});

test('the worker counts as missing only on 404 with error 10007: another failure reading its settings stops the run, and no key is generated over the live ones', { skip: noTerminal }, async () => {
  const pinHashKey = smsotp().secrets.get('PIN_HASH_KEY').text;
  standin.failNext('GET', /\/workers\/scripts\/smsotp\/settings$/, 500, 10013, 'Internal error: the script was not found in the cache');
  const from = standin.requests.length;
  const r = await run(['--yes']);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /cannot read the worker smsotp's deployed settings: Internal error: the script was not found in the cache \[10013\]/);
  assert.doesNotMatch(r.out, /to generate/);
  assert.deepEqual(changesSince(from), []);
  assert.equal(smsotp().secrets.get('PIN_HASH_KEY').text, pinHashKey);
});

test('a failure reading the workers.dev subdomain other than 10007 is shown as it is, not as "no subdomain"', async () => {
  const other = join(dir, 'fresh3.toml');
  writeFileSync(other, originalToml.replace(/^name = "smsotp"$/m, 'name = "smsotp-fresh3"'));
  standin.failNext('GET', /\/workers\/subdomain$/, 403, 10000, 'Authentication error');
  try {
    const from = standin.requests.length;
    const r = await run(['--yes', '--config', other], { TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`, TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex') });
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /cannot read the account's workers\.dev subdomain: Authentication error \[10000\]/);
    assert.doesNotMatch(r.out, /has no workers\.dev subdomain/);
    assert.deepEqual(changesSince(from), []);
  } finally {
    rmSync(other, { force: true });
  }
});

test('PUBLIC_URL that cannot be derived or set is refused before any change: workers_dev = false without --public-url; --public-url over a PUBLIC_URL secret', { skip: noTerminal }, async () => {
  const twilio = { TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`, TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex') };
  const other = join(dir, 'routes.toml');
  writeFileSync(other, originalToml.replace(/^name = "smsotp"$/m, 'name = "smsotp-routes"\nworkers_dev = false'));
  try {
    const from = standin.requests.length;
    const r = await run(['--yes', '--config', other], twilio);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /wrangler\.toml sets workers_dev = false: the worker will not answer at a workers\.dev URL\. Pass --public-url/);
    assert.deepEqual(changesSince(from), []);
    assert.equal(standin.calls('GET', /\/workers\/subdomain$/).filter((q) => standin.requests.indexOf(q) >= from).length, 0, 'no workers.dev URL looked up');
  } finally {
    rmSync(other, { force: true });
  }
  // PUBLIC_URL set on the deployed worker as a secret (by hand): a var of that name would clash.
  smsotp().secrets.set('PUBLIC_URL', { name: 'PUBLIC_URL', type: 'secret_text', text: 'https://otp.secret.test' });
  try {
    const from = standin.requests.length;
    const r = await run(['--yes', '--public-url', 'https://otp.other.test']);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /PUBLIC_URL is set on the worker as a secret: --public-url would add a var of the same name/);
    assert.deepEqual(changesSince(from), []);
  } finally {
    smsotp().secrets.delete('PUBLIC_URL');
  }
});

test('a run that fails half-way (the upload refused) leaves the deployed worker as it was; the rerun completes it without generating a key again; the run after changes nothing', { skip: noTerminal }, async () => {
  const deployed = (name) => smsotp().upload.metadata.bindings.find((b) => b.name === name)?.text;
  const secretOf = (name) => smsotp().secrets.get(name)?.text;
  const keys = { PIN_HASH_KEY: secretOf('PIN_HASH_KEY'), TOKEN_SIGNING_KEYS: secretOf('TOKEN_SIGNING_KEYS') };
  assert.ok(keys.PIN_HASH_KEY && keys.TOKEN_SIGNING_KEYS);
  assert.equal(deployed('SMS_PROVIDER'), 'twilio');
  const deployments = smsotp().deployments.length;
  const namespaces = standin.state.namespaces.size;
  const vonage = { VONAGE_API_KEY: `key${randomBytes(6).toString('hex')}`, VONAGE_API_SECRET: `secret-${randomBytes(12).toString('hex')}` };

  // A switch to Vonage, whose upload (the new version, with its secrets) is refused once.
  standin.failNext('POST', /\/workers\/scripts\/smsotp\/versions$/, 400, 10013, 'stand-in: the upload is refused once');
  let from = standin.requests.length;
  let r = await run(['--yes', '--provider', 'vonage'], vonage);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /`wrangler deploy` failed[\s\S]*the upload is refused once/);
  assert.match(r.out, /The deployed worker is unchanged \(its secrets too: they go up with the upload\); run npm run deploy again\./);
  for (const v of Object.values(vonage)) assert.ok(!r.out.includes(v), 'no secret value printed');
  const a = `/accounts/${standin.accountId}/workers/scripts/smsotp`;
  assert.deepEqual(changesSince(from), [`POST ${a}/assets-upload-session`, `POST ${a}/versions`], 'the assets check and the refused upload only');
  assert.equal(smsotp().deployments.length, deployments, 'no new deployment');
  assert.equal(deployed('SMS_PROVIDER'), 'twilio', 'the deployed worker is as it was');
  assert.equal(secretOf('VONAGE_API_KEY'), undefined, 'no secret set without its code');
  assert.deepEqual({ PIN_HASH_KEY: secretOf('PIN_HASH_KEY'), TOKEN_SIGNING_KEYS: secretOf('TOKEN_SIGNING_KEYS') }, keys);
  assert.equal((await fetch(`${standin.workersDevUrl}/health`)).status, 200, 'still serving');
  assert.match(readFileSync(config, 'utf8'), /^SMS_PROVIDER = "vonage"$/m, 'wrangler.toml holds what the run meant to deploy');

  // The rerun (same command): uploads the Vonage configuration with its secrets, as one
  // version; the keys set before are kept, nothing is created twice.
  from = standin.requests.length;
  r = await run(['--yes', '--provider', 'vonage'], vonage);
  assert.equal(r.status, 0, r.out);
  assert.doesNotMatch(r.out, /to generate/);
  assert.match(r.out, /taken from this run's environment variables \(to be set on the worker\): VONAGE_API_KEY, VONAGE_API_SECRET/);
  assert.ok(!changesSince(from).some((c) => /storage\/kv|PUT /.test(c)), changesSince(from).join('\n'));
  assert.equal(standin.state.namespaces.size, namespaces);
  assert.equal(smsotp().deployments.length, deployments + 1);
  assert.equal(deployed('SMS_PROVIDER'), 'vonage');
  assert.deepEqual([secretOf('VONAGE_API_KEY'), secretOf('VONAGE_API_SECRET')], [vonage.VONAGE_API_KEY, vonage.VONAGE_API_SECRET]);
  assert.deepEqual({ PIN_HASH_KEY: secretOf('PIN_HASH_KEY'), TOKEN_SIGNING_KEYS: secretOf('TOKEN_SIGNING_KEYS') }, keys, 'no key generated again');
  assert.match(r.out, /\/health: 200/);

  // And the next run finds everything as wanted: wrangler.toml, the secrets and the build.
  from = standin.requests.length;
  r = await run(['--yes']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /kept: VONAGE_API_KEY, VONAGE_API_SECRET/);
  assert.match(r.out, /Nothing changed/);
  assert.deepEqual(changesSince(from), []);
});

test('wrangler deploy --dry-run still bundles the worker, offline: no API call', async () => {
  const out = mkdtempSync(join(tmpdir(), 'smsotp-dry-run-'));
  try {
    const from = standin.requests.length;
    const r = await new Promise((resolve) => {
      const child = spawn(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', out, '--config', config], {
        cwd: dir,
        env: envOf({ PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}`, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (text += d));
      child.on('close', (status) => resolve({ status, out: text }));
    });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /Total Upload: [\d.]+ KiB/);
    assert.match(r.out, /--dry-run: exiting now\./);
    assert.ok(existsSync(join(out, 'index.js')), 'the bundle is written');
    assert.equal(standin.requests.length, from, 'no request to the API');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the stand-in implements exactly the endpoints wrangler called: none missing, none unused', { skip: noTerminal }, () => {
  assert.deepEqual(standin.unhandled(), []);
  assert.deepEqual(standin.unused(), []);
});

test('the script refuses unknown flags and providers (usage, exit 2)', () => {
  let r = spawnSync(process.execPath, [script, '--provider', 'carrier-pigeon'], { encoding: 'utf8', env: envOf() });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--provider: "carrier-pigeon" is not one of twilio, vonage, smscx, webhook/);
  assert.match(r.stderr, /usage: npm run deploy/);
  // --force meant two things; it is --redeploy or --repoint-tenants now.
  r = spawnSync(process.execPath, [script, '--force'], { encoding: 'utf8', env: envOf() });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown argument --force/);
  assert.match(r.stderr, /--redeploy .*\n[\s\S]*--repoint-tenants /);
});
