// Time ranges: the last N hours as the API's `from`/`to` (whole hours, UTC, `to` exclusive),
// the current hour included; and the list of those hours, so that an hour with no traffic is
// drawn as 0 rather than skipped. Pure: `now` is passed in.

const HOUR = 3_600_000;

/** `{from, to, hours}` for the last `count` hours up to and including `now`'s hour. */
export function lastHours(count, now = Date.now()) {
  const to = Math.floor(now / HOUR) * HOUR + HOUR;
  const from = to - count * HOUR;
  const hours = Array.from({ length: count }, (_, i) => from + i * HOUR);
  return { from: iso(from), to: iso(to), hours };
}

/** An instant as the API writes it: `2026-12-05T09:00:00Z`. */
export const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `2026-12-05 09:00` (UTC), for tables: an hour, or any instant to its minute. */
export const hourText = (ms) => iso(ms).slice(0, 16).replace('T', ' ');
