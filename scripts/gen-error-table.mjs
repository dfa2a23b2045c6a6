// The error table of docs/api.md, generated from the core's `ErrorCode::ALL`
// (`cargo run -q -p smsotp-core --example error_codes`): the HTTP status, the code, the type
// and the default message come from the core; the "when" column comes from WHEN below, keyed
// by code, which must name every code of the core and no other. The table sits between
// `<!-- error-codes:begin -->` and `<!-- error-codes:end -->`.
//
//   node scripts/gen-error-table.mjs           rewrites the table in docs/api.md (npm run gen)
//   node scripts/gen-error-table.mjs --check   fails when the committed table differs from
//                                              the generated one (npm run check)
//   --json FILE                                reads the codes from FILE instead of cargo
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const DOC = new URL('docs/api.md', root);
const BEGIN = '<!-- error-codes:begin -->';
const END = '<!-- error-codes:end -->';

// The SMS.cx OTP API v1 defines codes 2001–2031, and the types (not the codes) of its 401
// and 429 answers; every other code is an smsotp extension, marked so in the table.
const CONTRACT_CODES = { first: 2001, last: 2031 };
const CONTRACT_TYPES_ONLY = new Set([401, 429]);

// When each code is answered. One entry per code of `ErrorCode::ALL`, checked both ways.
const WHEN = {
  2001: '`phoneNumber` empty or missing',
  2002: '`countryIso` missing for a national-format number',
  2003: '`countryIso` invalid (not a string, or not a known region)',
  2004: '`from` empty, or missing with no default',
  2005: '`from` invalid (3–15 characters; an alphanumeric sender at most 11 of `A–Z a–z 0–9` and space, with a letter)',
  2006: 'a template missing, not a string, longer than 1,600 characters, without `{{pin}}`, or with an unknown placeholder; a `template_xx` whose `xx` is not ISO 639-1; `amount`/`payee` missing while a template uses them',
  2007: '`ttl` not a number',
  2008: '`ttl` below 60',
  2009: '`ttl` above 1800',
  2010: '`maxAttempts` not a number',
  2011: '`maxAttempts` below 1',
  2012: '`maxAttempts` above 10',
  2013: '`pinType` empty',
  2014: '`pinType` not `numbers`, `letters` or `alphanumeric`',
  2015: '`pinLength` not a number',
  2016: '`pinLength` below 4',
  2017: '`pinLength` above 10',
  2018: '`trackId` not a UUID of version 1–5',
  2019: '`otpCallbackUrl` not a valid URL, not `https`, or not a public host (loopback `http` allowed in development; see "Status callbacks")',
  2020: 'phone number invalid (the message says why)',
  2021: 'OTP not found: never issued, another tenant\'s, or cleared 24 h after it ended',
  2022: 'verify: `pin` empty or missing (not counted as an attempt)',
  2023: 'verify: the OTP is already verified',
  2024: 'verify: the OTP was cancelled',
  2025: 'verify: the OTP had expired',
  2026: 'verify: the OTP failed earlier (attempts used up, or its SMS could not be sent)',
  2027: 'verify: this wrong PIN used the last attempt; the OTP is now `FAILED` (`attemptsLeft`: 0)',
  2028: 'verify: the TTL passed before this check; the OTP is now `EXPIRED`',
  2029: 'verify: wrong PIN, attempts remain (`attemptsLeft`)',
  2030: 'cancel: the OTP is already cancelled',
  2031: 'cancel: the OTP is not pending',
  2101: '`language` not an ISO 639-1 code',
  2102: '`webOtpDomain` not a domain name',
  2103: '`appHash` not an 11-character hash, or sent with `webOtpDomain`',
  2104: '`amount` invalid (more than 32 characters, or control characters)',
  2105: '`payee` invalid (more than 64 characters, or control characters)',
  2106: 'a template renders to more than `maxParts` SMS parts',
  2107: '`templateLanguage` not an ISO 639-1 code',
  2108: 'too many SMS to this number (in 10 minutes / 24 hours)',
  2109: 'another SMS for the number\'s pending OTP before its cooldown; on the browser API also a start while someone else\'s OTP for the number is pending',
  2110: 'the number is locked after consecutive wrong PINs (on the browser API: for the client that typed them)',
  2111: 'the OTP has had as many SMS as allowed',
  2112: 'SMS to this country are not enabled for the tenant (`allowedCountries`)',
  2113: 'SMS to this type of number are not allowed (`blockedNumberTypes`: premium-rate, toll-free, … by default; the message names the type)',
  2114: 'too many SMS for this end-user IP (`X-End-User-IP`) in the last hour',
  2115: 'too many unverified SMS to this number range (E.164 without its last 4 digits); the range is blocked for a while',
  2116: 'the tenant\'s daily SMS cap is reached (until midnight UTC)',
  2117: 'this `Idempotency-Key` was used with another request body',
  2118: 'a request with this `Idempotency-Key` is still being handled',
  2119: '`Idempotency-Key` empty, longer than 255 characters or not visible ASCII',
  2120: '`X-End-User-IP` is not an IP address',
  2121: 'browser API: a field the browser may not set (template, ttl, callback, PIN settings, amount, …) or an unknown one',
  2122: 'browser API: the tenant requires Turnstile and `turnstileToken` is missing',
  2123: 'browser API: Turnstile refused the token (failed, expired, already spent, or for another host or action)',
  2124: 'browser API: the page\'s `Origin` is not one of the publishable key\'s origins (answered without CORS headers)',
  2125: 'a publishable key (`pk_…`) on the server API, or a secret key on the browser API',
  2126: 'browser API: Turnstile could not be checked (siteverify failed or took over 5 s, or the tenant\'s secret is wrong): fails closed',
  2130: 'browser API: resend or check without the OTP\'s client secret (`X-Client-Secret`), or with another\'s',
  2131: 'browser API: the tenant\'s daily cap of SMS started from browsers (`limits.browserDailySendCap`)',
  2132: 'browser API: the tenant\'s record does not decide the bot check and the countries, or the deployment has no token signing key; nothing is counted or sent',
  2133: '100 wrong PINs in a row on the number; refused until the tenant unlocks it (`DELETE /v1/numbers/{phoneNumber}/lock`)',
  2134: 'browser API: the connecting IP\'s budget (60 requests a minute)',
  2135: '`channel` not `sms`, `whatsapp` or `voice` (create, resend, browser start and resend)',
  2136: 'the `channel` asked for is not in the tenant\'s `channels`, or this deployment has no provider for it (the message says which); nothing is sent',
  2137: 'the adaptive guard refuses SMS to this destination country for its cool-down: the tenant\'s unverified SMS there passed the country\'s threshold ([guard.md](guard.md); `enforce` mode only); nothing is sent',
  2138: 'the adaptive guard refuses SMS to this number range (E.164 without its last 4 digits) for its cool-down ([guard.md](guard.md); `enforce` mode only); nothing is sent',
  2139: 'the adaptive guard refuses SMS for this end-user IP (`X-End-User-IP`, IPv6 per /64) for its cool-down: SMS to more than 3 countries in an hour ([guard.md](guard.md); `enforce` mode only); nothing is sent',
  401: 'missing or unknown API key',
  429: 'the tenant\'s requests per minute are used up; see `Retry-After`, `X-Rate-Limit-Reset`',
  400: 'the body is not JSON, not a JSON object, or not UTF-8',
  413: 'the body is larger than the route takes (64 KiB; the browser API 8 KiB): refused unread when its `Content-Length` says so, else the stream is cancelled once it passes the cap',
  404: 'no such route',
  405: 'the method is not allowed on this route (`Allow` lists the route\'s methods)',
  502: 'no provider of the tenant\'s plan could send the message (each tried in order, fallback channels included: an error or a timeout each); the OTP is `FAILED`',
  503: 'the tenant store (KV) failed and nothing cached could stand in; see `Retry-After`',
  500: 'a fault of ours, or a setting or tenant record with problems; details only in the worker\'s log',
};

const args = process.argv.slice(2);
const check = args.includes('--check');
const jsonAt = args.indexOf('--json');
const codes = JSON.parse(
  jsonAt >= 0
    ? readFileSync(args[jsonAt + 1], 'utf8')
    : execFileSync('cargo', ['run', '-q', '-p', 'smsotp-core', '--example', 'error_codes'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
);

const fail = (message) => {
  console.error(`gen-error-table: ${message}`);
  process.exit(1);
};

const known = new Set(codes.map((c) => c.code));
const missing = [...known].filter((code) => !(code in WHEN));
const extra = Object.keys(WHEN).map(Number).filter((code) => !known.has(code));
if (missing.length || extra.length) {
  fail(
    [
      missing.length ? `no "when" text in scripts/gen-error-table.mjs for ${missing.join(', ')} (new in ErrorCode::ALL)` : '',
      extra.length ? `a "when" text for ${extra.join(', ')}, which ErrorCode::ALL does not have` : '',
    ]
      .filter(Boolean)
      .join('; '),
  );
}

const isContract = (code) => code >= CONTRACT_CODES.first && code <= CONTRACT_CODES.last;
const cell = (text) => String(text).replaceAll('|', '\\|');
const rows = codes.map((c) => {
  const origin = isContract(c.code) ? '' : CONTRACT_TYPES_ONLY.has(c.code) ? ' (the contract\'s type, no contract code)' : '';
  const when = isContract(c.code) || CONTRACT_TYPES_ONLY.has(c.code) ? WHEN[c.code] + origin : `**extension**: ${WHEN[c.code]}`;
  return `| ${c.status} | <a id="${c.code}"></a>${c.code} | ${c.type} | ${cell(when)} | ${cell(c.message)} |`;
});

// The sentence above the table, from the same data.
const extensionCodes = codes.map((c) => c.code).filter((code) => code > CONTRACT_CODES.last);
const httpCodes = codes.map((c) => c.code).filter((code) => code < 1000 && !CONTRACT_TYPES_ONLY.has(code)).sort((a, b) => a - b);
const list = (items) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : String(items[0]));
const block = [
  BEGIN,
  `<!-- generated by scripts/gen-error-table.mjs from the core's ErrorCode::ALL (npm run gen); edit the "when" texts there -->`,
  '',
  `${codes.length} codes. Codes ${CONTRACT_CODES.first}–${CONTRACT_CODES.last} and the types of ${list([...CONTRACT_TYPES_ONLY])} are the contract's.`,
  `Codes ${Math.min(...extensionCodes)}–${Math.max(...extensionCodes)} are smsotp extensions, as are ${list(httpCodes)} as codes.`,
  'The message is the default one; an answer may say more (why a number is invalid, which field).',
  '',
  '| HTTP | code | type | when | message |',
  '|---|---|---|---|---|',
  ...rows,
  END,
].join('\n');

const doc = readFileSync(DOC, 'utf8');
const from = doc.indexOf(BEGIN);
const to = doc.indexOf(END);
if (from < 0 || to < from) fail(`docs/api.md lacks the markers ${BEGIN} … ${END}`);
const generated = doc.slice(0, from) + block + doc.slice(to + END.length);

if (!check) {
  if (generated !== doc) writeFileSync(DOC, generated);
  console.log(`docs/api.md: error table of ${codes.length} codes ${generated === doc ? 'already up to date' : 'rewritten'}`);
} else if (generated !== doc) {
  const committed = doc.slice(from, to + END.length).split('\n');
  const wanted = block.split('\n');
  const differing = [];
  for (let i = 0; i < Math.max(committed.length, wanted.length); i++) {
    if (committed[i] !== wanted[i]) differing.push(`  committed: ${committed[i] ?? '(none)'}\n  generated: ${wanted[i] ?? '(none)'}`);
  }
  console.error(differing.slice(0, 10).join('\n'));
  fail(`the error table in docs/api.md differs from ErrorCode::ALL (${differing.length} line${differing.length === 1 ? '' : 's'}; the first above): run 'npm run gen' and commit docs/api.md`);
} else {
  console.log(`docs/api.md: the error table matches ErrorCode::ALL (${codes.length} codes)`);
}
