// Oracle for crates/core/tests/callback_url.rs: what Node's WHATWG `URL` (the parser behind
// its `fetch`) makes of callback URLs. One JSON string per stdin line (the input); one JSON
// object per stdout line: { ok: false } when `new URL` throws, else
//   host  the host `fetch` connects to (`URL.hostname`: IPv6 in brackets)
//   port  the port (`URL.port`, or the scheme's default when empty)
//   href  the URL serialized
import { createInterface } from 'node:readline';

// The special schemes' default ports (URL Standard).
const DEFAULT_PORT = { 'ftp:': 21, 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const input = JSON.parse(line);
  let out;
  try {
    const u = new URL(input);
    out = { ok: true, host: u.hostname, port: u.port === '' ? (DEFAULT_PORT[u.protocol] ?? null) : Number(u.port), href: u.href };
  } catch {
    out = { ok: false };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
