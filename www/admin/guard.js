// The adaptive guard against SMS pumping (docs/guard.md) in words, for the dashboard's
// "Pumping guard" section: the mode `GET /v1/account` says is in force and why, its events
// as rows, and what `record` mode let through. Pure, no DOM, `now` passed in: the section
// (sections.js) formats and draws what these return, and tests/admin-unit/guard.test.mjs
// checks every wording against the API's values, so a new mode, rule or scope shows up as
// its wire name rather than as a wrong sentence.

/** What each mode does, in a few words (docs/guard.md, "Modes"). */
export const MODES = {
  enforce: ['Enforce', 'pauses what trips a rule, refusing its SMS until the cool-down ends'],
  record: ['Record', 'reports what it would pause and refuses nothing'],
  off: ['Off', 'counts nothing and pauses nothing'],
};

/**
 * The mode in force and why: `{ mode, name, does, why, recordUntil }` from the account's
 * `guard` (`recordUntil` in unix ms or null, for the section to write as a date). `why`
 * is `set` (the tenant's `guard.mode`), `first-week` (the default: record until
 * `recordUntil`), `first-week-unstarted` (the default, and the guard has counted nothing
 * yet: the week starts with its first SMS) or `after-first-week` (the default: enforce
 * since `recordUntil`).
 */
export function modeOf(guard) {
  const mode = guard?.mode ?? 'off';
  const [name, does] = MODES[mode] ?? [mode, ''];
  const recordUntil = guard?.recordUntil ? Date.parse(guard.recordUntil) : null;
  let why = 'set';
  if (!guard?.modeSet) {
    if (mode === 'record') why = recordUntil === null ? 'first-week-unstarted' : 'first-week';
    else why = 'after-first-week';
  }
  return { mode, name, does, why, recordUntil };
}

/** The error each scope's refusal answers (docs/api.md: 403 2137, 2138, 2139). */
export const SCOPE_CODES = { country: 2137, range: 2138, ip: 2139 };

/** What a trip pauses, in words: `Country FR`, `Number range +3361234xxxx`, `End-user IP 203.0.113.7`. */
export function scopeText(scope) {
  const value = scope?.value ?? '';
  switch (scope?.kind) {
    case 'country': return `Country ${value}`;
    // A range is a number without its last 4 digits (docs/guard.md, "Rules").
    case 'range': return `Number range ${value}xxxx`;
    case 'ip': return `End-user IP ${value}`;
    default: return `${scope?.kind ?? 'unknown'} ${value}`.trim();
  }
}

/**
 * The rule that tripped, in words that name what its `observed` and `threshold` count:
 * unverified SMS to the country for the country rules, the countries an IP asked SMS for
 * for the IP rule.
 */
export function ruleText(rule, country) {
  switch (rule) {
    case 'country_hourly': return `Hourly country rule: unverified SMS to ${country}`;
    case 'country_daily': return `Daily country rule: unverified SMS to ${country}`;
    case 'ip_countries': return `IP rule: countries this IP asked SMS for (the last: ${country})`;
    default: return String(rule);
  }
}

/**
 * The events (newest first, as the API lists them) as rows: `{ at, until (unix ms), what,
 * rule, observed, threshold, paused, active, code }`. `paused`: the event was in `enforce`
 * (its scope's SMS were refused with `code`); otherwise it was only recorded. `active`:
 * paused and its cool-down not over at `now`.
 */
export function eventRows(events, now) {
  return (events ?? []).map((e) => {
    const paused = e.mode === 'enforce';
    const until = Date.parse(e.until);
    return {
      at: Date.parse(e.at),
      until,
      what: scopeText(e.scope),
      rule: ruleText(e.rule, e.country),
      observed: e.observed,
      threshold: e.threshold,
      paused,
      active: paused && until > now,
      code: SCOPE_CODES[e.scope?.kind] ?? null,
    };
  });
}

/**
 * SMS the guard let go in `record` mode that `enforce` would have refused (`wouldRefuse`
 * of the range's total, by code): `{ count, byKind: [[words, n]…] }`, the kinds in the
 * codes' order.
 */
export function wouldRefuse(byCode) {
  const words = { 2137: 'to a paused country', 2138: 'to a paused number range', 2139: 'for a paused end-user IP' };
  const entries = Object.entries(byCode ?? {}).filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  return {
    count: entries.reduce((a, [, n]) => a + n, 0),
    byKind: entries.map(([code, n]) => [words[code] ?? `code ${code}`, n]),
  };
}
