// The answers of `GET /v1/stats` shaped for the page: hourly series with the empty hours
// filled, totals, rows per country, refusals by code with their names, delivery outcomes.
// Pure functions over the API's JSON (docs/api.md, "Statistics"), no DOM: the page's
// sections draw what these return. A group has only the dimension fields it was grouped
// by; every count field is summed as it comes.

/** The count fields of a group, summed by `sum`. */
export const COUNTS = ['attempts', 'converted', 'unconverted', 'sent', 'delivered', 'undelivered',
  'deliveryFailed', 'failedMaxAttempts', 'expired', 'parts', 'cost'];

/**
 * The groups of an answer summed into one: `refused` and `wouldRefuse` (what the guard let
 * go in record mode that enforce would have refused) merged by code.
 */
export function sum(groups) {
  const total = Object.fromEntries(COUNTS.map((k) => [k, 0]));
  total.refused = {};
  total.wouldRefuse = {};
  for (const g of groups ?? []) {
    for (const k of COUNTS) total[k] += Number(g[k] ?? 0);
    for (const map of ['refused', 'wouldRefuse']) {
      for (const [code, n] of Object.entries(g[map] ?? {})) total[map][code] = (total[map][code] ?? 0) + n;
    }
  }
  total.conversionRate = rate(total.converted, total.attempts);
  return total;
}

/** `converted / attempts` in percent, `null` without attempts (as the API answers it). */
export const rate = (converted, attempts) => (attempts > 0 ? (converted / attempts) * 100 : null);

/**
 * The hourly answer (`groupBy=hour`) as uPlot's columns over `hours` (unix ms, from
 * range.js): `{ hours, x (unix s), sent, attempts, converted, cost }`, 0 where the API had
 * no group for the hour.
 */
export function hourly(answer, hours) {
  const byHour = new Map((answer.groups ?? []).map((g) => [Date.parse(g.hour), g]));
  const col = (k) => hours.map((h) => Number(byHour.get(h)?.[k] ?? 0));
  return { hours, x: hours.map((h) => h / 1000), sent: col('sent'), attempts: col('attempts'), converted: col('converted'), cost: col('cost') };
}

/** The per-country answer (`groupBy=country`) as rows, most OTPs first, then by country. */
export function countries(answer) {
  return (answer.groups ?? [])
    .map((g) => ({ ...sum([g]), country: g.country ?? '' }))
    // `ZZ`: the request named no country the API could tell.
    .map((r) => (r.country === 'ZZ' ? { ...r, country: '' } : r))
    .sort((a, b) => b.attempts - a.attempts || b.sent - a.sent || a.country.localeCompare(b.country));
}

/**
 * Refusals by code, most first: `{ code, count, name, message }`, the name and message from
 * the API's error codes (`refusals.js`, generated from the core's); a code the page does
 * not know keeps its number only.
 */
export function refusals(refused, known) {
  return Object.entries(refused ?? {})
    .map(([code, count]) => ({ code: Number(code), count, name: known[code]?.name ?? '', message: known[code]?.message ?? '' }))
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.code - b.code);
}

/**
 * What became of the messages sent: delivered, undelivered (the carrier could not), failed
 * (the provider could not send it), and those without a final report yet (sent minus the
 * three; never below 0).
 */
export function delivery(total) {
  const reported = total.delivered + total.undelivered + total.deliveryFailed;
  return [
    { key: 'delivered', label: 'Delivered', count: total.delivered },
    { key: 'undelivered', label: 'Undelivered (the carrier could not deliver it)', count: total.undelivered },
    { key: 'failed', label: 'Failed (the provider could not send it)', count: total.deliveryFailed },
    { key: 'pending', label: 'No final report yet', count: Math.max(0, total.sent - reported) },
  ];
}
