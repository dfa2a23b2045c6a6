// The account's policy (`GET /v1/account`), read-only: countries and number types, limits,
// the pumping guard's settings, delivery, the browser API's settings, test numbers and the
// message defaults. Each value
// is named in words with its record key beside it (what `npm run tenant` and the tenant
// record call it: docs/operations.md, "Tenants"); a key this page does not know yet is
// still shown, by its key. The answer holds no secret (the API leaves them out).
import { el, fill, int, dec } from './dom.js';

/** Limits: record key → words, and whether 0 means "no limit" (docs/operations.md, "Abuse controls"). */
const LIMITS = {
  sendsPer10Minutes: ['SMS per number in any 10 minutes'],
  sendsPerDay: ['SMS per number in any 24 hours'],
  sendsPerOtp: ['SMS per OTP, the first included'],
  resendCooldowns: ['Seconds before each resend'],
  failuresBeforeLock: ['Wrong PINs in a row that lock a number'],
  lockSeconds: ['Seconds a lock lasts'],
  ipSendsPerHour: ['SMS per end-user IP address in any hour', true],
  ipv6Net48SendsPerHour: ['SMS per end-user IPv6 /48 in any hour', true],
  prefixUnverifiedPerHour: ['Unverified SMS per number range in any hour', true],
  prefixBlockSeconds: ['Seconds a number range stays blocked'],
  dailySendCap: ['SMS per UTC day, whole account', true],
  browserDailySendCap: ['SMS per UTC day from the browser API', true],
};

/** `NUMBER_LIMITS=off` (development) sets the per-number limits to the largest u32. */
const UNLIMITED = 4_294_967_295;

const code = (text) => el('code', {}, text);
const list = (items) => (items.length ? items.join(', ') : 'none');
/** A `<dt>` (words and the record keys it shows, one or several) and its `<dd>`. */
const item = (words, key, value) => [el('dt', {}, words, [].concat(key ?? []).flatMap((k) => [' ', code(k)])), el('dd', {}, value)];

/** A titled group of items. */
const group = (title, items) => el('section', { className: 'policy-group' }, el('h3', {}, title), el('dl', {}, items.flat()));

function limitValue(key, v) {
  if (Array.isArray(v)) return v.map((n) => int(n)).join(', ');
  // 0 is "no limit" for the counts that say so; the largest u32 is what NUMBER_LIMITS=off sets.
  if (typeof v === 'number') return (v === 0 && LIMITS[key]?.[1]) || v >= UNLIMITED ? 'no limit' : int(v);
  return JSON.stringify(v);
}

/** A per-minute budget (0: none, `RATE_LIMIT_PER_MINUTE` and its browser twin). */
const perMinute = (n) => (n === 0 ? 'no limit' : int(n ?? 0));

const hours = (n) => `${int(n)} ${n === 1 ? 'hour' : 'hours'}`;
/** `3,600 (1 hour)`: seconds, and in hours or minutes when whole. */
const seconds = (n) => int(n) + (n % 3600 === 0 ? ` (${hours(n / 3600)})` : n % 60 === 0 ? ` (${int(n / 60)} minutes)` : '');

/** The settings of `guard` this page words (docs/guard.md, "Settings"); any other is shown by its key. */
const GUARD_KEYS = ['mode', 'dailyRatio', 'hourlyRatio', 'rangeRatio', 'dailyFloor', 'dailyWindowHours', 'hourlyFloor', 'hourlyWindowHours',
  'countryBlockFactor', 'rangeFloor', 'ipCountries', 'ipWindowMinutes', 'cooldownSeconds', 'allowNumbers', 'allowRanges', 'eventsUrl'];

/**
 * The pumping guard's settings in words: each threshold as the rule computes it (the
 * greatest of a floor and ratios of the country's verified OTPs), with the record keys
 * that set it, so an operator sees both what it does and what to change.
 */
function guardItems(s) {
  const k = (...keys) => keys.map((key) => `guard.${key}`);
  const modes = {
    enforce: 'enforce: pauses what trips a rule, refusing its SMS',
    record: 'record: reports what it would pause, refuses nothing',
    off: 'off: counts and pauses nothing',
  };
  return [
    item('Mode', k('mode'), s.mode == null ? 'not set: record for the account\'s first week, then enforce' : modes[s.mode] ?? s.mode),
    item(`A country is suspect when its unverified SMS in ${hours(s.hourlyWindowHours)} pass`, k('hourlyFloor', 'hourlyRatio', 'hourlyWindowHours'),
      `the greatest of ${int(s.hourlyFloor)}, ${dec(s.hourlyRatio)} × its verified OTPs in that time, and ${dec(s.hourlyRatio)} × its best day's verified OTPs (last 15 days) ÷ 6`),
    item(`…or when its unverified SMS in ${hours(s.dailyWindowHours)} pass`, k('dailyFloor', 'dailyRatio', 'dailyWindowHours'),
      `the greatest of ${int(s.dailyFloor)}, ${dec(s.dailyRatio)} × its verified OTPs in that time, and ${dec(s.dailyRatio)} × its best day's verified OTPs (last 15 days)`),
    item('A suspect country is paused whole past', k('countryBlockFactor'), s.countryBlockFactor === 0
      ? 'never: only its number ranges that trip are paused'
      : `${dec(s.countryBlockFactor)} × its threshold (below that, only its number ranges that trip)`),
    item('In a suspect country, a number range (a number but its last 4 digits) is paused when its unverified SMS in the hour pass', k('rangeFloor', 'rangeRatio'),
      `the greater of ${int(s.rangeFloor)} and ${dec(s.rangeRatio)} × its verified OTPs`),
    item(`An end-user IP is paused when it asks SMS for more countries in ${int(s.ipWindowMinutes)} minutes than`, k('ipCountries', 'ipWindowMinutes'),
      int(s.ipCountries)),
    item('Seconds a pause lasts (cool-down)', k('cooldownSeconds'), seconds(s.cooldownSeconds)),
    item('Numbers never paused (still counted)', k('allowNumbers'), list(s.allowNumbers ?? [])),
    item('Number prefixes never paused (still counted)', k('allowRanges'), list(s.allowRanges ?? [])),
    item('Where each event is posted (signed, as the status callbacks)', k('eventsUrl'),
      s.eventsUrl ?? 'nowhere: events are logged and listed under Pumping guard'),
    ...Object.entries(s).filter(([key]) => !GUARD_KEYS.includes(key)).map(([key, v]) => item(key, `guard.${key}`, JSON.stringify(v))),
  ];
}

/** Renders `account` into `target`. */
export function renderPolicy(target, account) {
  const countries = account.allowedCountries === '*' ? 'every country' : list(account.allowedCountries);
  const limits = Object.entries(account.limits ?? {})
    .sort(([a], [b]) => (a in LIMITS ? Object.keys(LIMITS).indexOf(a) : 99) - (b in LIMITS ? Object.keys(LIMITS).indexOf(b) : 99))
    .map(([k, v]) => item(LIMITS[k]?.[0] ?? k, k, limitValue(k, v)));
  const d = account.delivery ?? {};
  const routes = Object.entries(d.routes ?? {}).map(([country, providers]) => `${country === '*' ? 'other countries' : country}: ${providers.join(' then ')}`);
  const timeouts = Object.entries(d.deliveryTimeout ?? {}).map(([country, s]) => `${country === '*' ? 'other countries' : country}: ${int(s)} s`);
  const b = account.browser ?? {};
  const origins = (b.publishableKeys ?? []).map((k, i) => `key ${i + 1}: ${list(k.origins)}`);
  const defaults = account.defaults ?? {};
  fill(target,
    group('Destinations', [
      item('Countries SMS may go to', 'allowedCountries', countries),
      item('Number types refused', 'blockedNumberTypes', list(account.blockedNumberTypes ?? [])),
    ]),
    group('Limits', [
      ...limits,
      item('Server API requests per minute', null, perMinute(account.requestsPerMinute?.server)),
      item('Browser API requests per minute', null, perMinute(account.requestsPerMinute?.browser)),
    ]),
    ...(account.guard?.settings ? [group('Pumping guard', guardItems(account.guard.settings))] : []),
    group('Delivery', [
      item('Channels', 'channels', list(d.channels ?? [])),
      item('Fallback order', 'fallback', list(d.fallback ?? [])),
      item(`SMS routes (${d.routesFrom === 'tenant' ? "the account's own" : "the deployment's"})`, 'routes', list(routes)),
      item('Seconds a delivery report may take', 'deliveryTimeout', list(timeouts)),
      item('Failovers per OTP at most', 'maxFailovers', int(d.maxFailovers ?? 0)),
      item('Delivery callbacks', 'deliveryCallbacks', d.deliveryCallbacks ? 'on' : 'off'),
    ]),
    group('Browser API', [
      item('Publishable keys (origins only)', 'publishableKeys', origins.length ? list(origins) : 'none'),
      item('Turnstile bot check', null, b.turnstile ? 'on' : 'off'),
      item('Browser OTP settings', 'browser', Object.keys(b.settings ?? {}).length
        ? Object.entries(b.settings).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ') : 'the defaults'),
      ...(b.problems?.length ? [item('Problems (the browser API refuses requests until fixed)', null, list(b.problems))] : []),
    ]),
    group('Messages', [
      item('Sender', 'defaults.from', defaults.from ?? 'none: each request gives one'),
      item('Template', 'defaults.template', defaults.template ?? 'none: each request gives one'),
      item('Code', null, `${int(defaults.pinLength ?? 0)} ${defaults.pinType ?? ''}, valid ${int(defaults.ttl ?? 0)} s, ${int(defaults.maxAttempts ?? 0)} tries`),
      item('Longest message, in SMS parts', null, int(account.maxParts ?? 0)),
      item('Test numbers (fixed PIN, no SMS)', 'testNumbers', list(account.testNumbers ?? [])),
    ]),
  );
}
