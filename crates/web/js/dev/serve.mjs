// Scratch dev server for the widget (not shipped, not a test): the built worker on workerd
// with the example tenant acme (publishable key pk_acme_demo_0123456789, origins
// http://127.0.0.1:*), and a static server for crates/web/pkg (/pkg/) and this folder (/).
// Prints both URLs; the PINs are in the worker's log (`sms.console` lines), served at /pins.
// Usage: node crates/web/js/dev/serve.mjs [port]
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from '../../../../tests/worker/harness.mjs';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const { privateKey } = generateKeyPairSync('ed25519');
const { d, x } = privateKey.export({ format: 'jwk' });
const tenants = JSON.parse(readFileSync(`${root}worker/tenants.example.json`, 'utf8'));
if (process.env.TURNSTILE) tenants[0].turnstileSiteKey = '1x00000000000000000000AA';
const w = await startWorker(
  {
    TOKEN_SIGNING_KEYS: JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', d, x, kid: 'dev', use: 'sig', alg: 'EdDSA' }] }),
    PUBLIC_URL: 'https://otp.example',
    RATE_LIMIT_PER_MINUTE: '1000',
    // LIMITS=1: the default per-number limits (resend cooldowns), else none.
    NUMBER_LIMITS: process.env.LIMITS ? undefined : 'off',
  },
  { tenants },
);
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/pins') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end(w.logs.filter((l) => l.includes('sms.console')).join('\n'));
  }
  if (url.pathname === '/api') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end(w.url);
  }
  const file = url.pathname.startsWith('/pkg/')
    ? `${root}crates/web/pkg/${url.pathname.slice(5)}`
    : `${root}crates/web/js/dev${url.pathname === '/' ? '/index.html' : url.pathname}`;
  if (!existsSync(file) || statSync(file).isDirectory()) {
    res.writeHead(404);
    return res.end('not found');
  }
  res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
  res.end(readFileSync(file));
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`api ${w.url}`);
  console.log(`page http://127.0.0.1:${server.address().port}/`);
});
