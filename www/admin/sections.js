// The dashboard's sections, one function each, in the page's order: each takes the shaped
// statistics (stats.js) and fills its own elements of index.html, with a text alternative
// for every chart (a summary as the chart's accessible name, and a table of the same
// numbers). A new section is one more function here, one more `<section>` in index.html,
// and one more entry in SECTIONS (the guard's, the last, also takes the account).
import { el, fill, table, empty, int, dec, pct, cost } from './dom.js';
import { hourText, iso } from './range.js';
import { hourlyChart } from './chart.js';
import { countries, delivery, hourly, refusals } from './stats.js';
import { modeOf, eventRows, wouldRefuse } from './guard.js';
import KNOWN from './refusals.js';

const $ = (id) => document.getElementById(id);
let removeChart = () => {};

/** Totals of the range: OTPs, conversion, SMS, refusals, cost. */
function totals({ total }) {
  const refused = Object.values(total.refused).reduce((a, b) => a + b, 0);
  const item = (term, value) => [el('dt', {}, term), el('dd', {}, value)];
  fill($('totals'),
    item('OTPs created', int(total.attempts)),
    item('Verified', int(total.converted)),
    item('Conversion', pct(total.conversionRate)),
    item('Expired unverified', int(total.expired)),
    item('Too many wrong PINs', int(total.failedMaxAttempts)),
    item('SMS sent', int(total.sent)),
    item('SMS parts', int(total.parts)),
    item('Requests refused', int(refused)),
    item('Cost', cost(total.cost)));
}

/** Sends and verifications per hour: the uPlot chart, its summary, the table. */
function perHour({ hourlyAnswer, range, total }) {
  const s = hourly(hourlyAnswer, range.hours);
  const chart = $('hourly-chart');
  const peak = Math.max(0, ...s.sent);
  const peakAt = peak > 0 ? hourText(s.hours[s.sent.indexOf(peak)]) : null;
  chart.setAttribute('aria-label', `Line chart of SMS sent, OTPs created and verified per hour, UTC, ${range.label}: `
    + `${int(total.sent)} SMS sent, ${int(total.attempts)} OTPs created, ${int(total.converted)} verified`
    + (peakAt ? `; at most ${int(peak)} SMS in one hour (${peakAt}). The table below has every hour.` : '; no SMS in this range.'));
  removeChart();
  removeChart = hourlyChart(chart, s);
  // The table lists the hours with traffic, newest first (a 30-day range has 720 hours).
  const rows = s.hours.map((h, i) => [i, h]).filter(([i]) => s.sent[i] || s.attempts[i] || s.converted[i]).reverse()
    .map(([i, h]) => [{ th: true, text: hourText(h) }, int(s.sent[i]), int(s.attempts[i]), int(s.converted[i]), cost(s.cost[i])]);
  fill($('hourly-table'), rows.length
    ? table(`Per hour, UTC, ${range.label}; hours without traffic left out`, [
      { label: 'Hour (UTC)' }, { label: 'SMS sent', num: true }, { label: 'OTPs created', num: true },
      { label: 'Verified', num: true }, { label: 'Cost', num: true }], rows)
    : empty('No traffic in this range.'));
}

/** Conversion by country: a table with a bar per row. */
function byCountry({ countryAnswer, range }) {
  const rows = countries(countryAnswer);
  fill($('countries-table'), rows.length
    ? table(`Conversion by destination country, ${range.label}`, [
      { label: 'Country' }, { label: 'OTPs created', num: true }, { label: 'Verified', num: true },
      { label: 'Conversion', num: true }, { label: 'Expired', num: true }, { label: 'Too many wrong PINs', num: true }],
    rows.map((r) => [{ th: true, text: r.country || 'unknown' }, int(r.attempts), int(r.converted),
      bar(r.conversionRate, pct(r.conversionRate)), int(r.expired), int(r.failedMaxAttempts)]))
    : empty('No OTPs in this range.'));
}

/** A percentage with a bar under it (its width set through the CSSOM, which the CSP allows). */
function bar(percent, text) {
  const fillEl = el('span', { className: 'bar-fill' });
  fillEl.style.inlineSize = `${Math.max(0, Math.min(100, percent ?? 0))}%`;
  return el('span', { className: 'bar-cell' }, el('span', {}, text), el('span', { className: 'bar', 'aria-hidden': 'true' }, fillEl));
}

/** Refusals by control: each error code with its name and message from the API's codes. */
function byControl({ total, range }) {
  const rows = refusals(total.refused, KNOWN);
  fill($('refusals-table'), rows.length
    ? table(`Requests refused by error code, ${range.label}`, [
      { label: 'Code' }, { label: 'Control' }, { label: 'What the API answers' }, { label: 'Refused', num: true }],
    rows.map((r) => [{ th: true, text: String(r.code) }, el('code', {}, r.name || 'unknown code'), r.message, int(r.count)]))
    : empty('No request was refused in this range.'));
}

/** Delivery outcomes: a stacked bar (its summary as its name) and the table. */
function deliveries({ total, range }) {
  const outcomes = delivery(total);
  const sent = total.sent;
  const barEl = $('delivery-bar');
  barEl.setAttribute('aria-label', sent
    ? `Delivery outcomes of ${int(sent)} SMS, ${range.label}: ${outcomes.map((o) => `${o.label.split(' (')[0].toLowerCase()} ${int(o.count)}`).join(', ')}`
    : `No SMS sent, ${range.label}`);
  fill(barEl, sent ? outcomes.filter((o) => o.count > 0).map((o) => {
    const part = el('span', { className: `part ${o.key}` });
    part.style.flexGrow = String(o.count);
    return part;
  }) : []);
  barEl.hidden = !sent;
  fill($('delivery-table'), sent
    ? table(`Delivery outcomes, ${range.label}`, [{ label: 'Outcome' }, { label: 'SMS', num: true }, { label: 'Share', num: true }],
      outcomes.map((o) => [{ th: true, text: el('span', {}, el('span', { className: `swatch ${o.key}`, 'aria-hidden': 'true' }), o.label) }, int(o.count), pct((o.count / sent) * 100)]))
    : empty('No SMS sent in this range.'));
}

/** Cost: per country, with the parts it is counted from. */
function costs({ countryAnswer, total, range }) {
  const rows = countries(countryAnswer).filter((r) => r.sent > 0 || r.cost > 0).sort((a, b) => b.cost - a.cost);
  fill($('cost-table'), rows.length
    ? table(`Cost by destination country, ${range.label}; total ${cost(total.cost)}`, [
      { label: 'Country' }, { label: 'SMS sent', num: true }, { label: 'Parts', num: true }, { label: 'Cost', num: true }],
    [...rows.map((r) => [{ th: true, text: r.country || 'unknown' }, int(r.sent), int(r.parts), cost(r.cost)]),
      [{ th: true, text: 'Total' }, int(total.sent), int(total.parts), cost(total.cost)]])
    : empty('Nothing was sent in this range.'));
}

/**
 * The pumping guard: the mode in force and why, what record mode let through in the range
 * (the total's `wouldRefuse`: no request of its own), and the events from `/v1/account`.
 * Each event says in words whether it paused anything: no colour carries a meaning.
 */
function pumpingGuard({ account, total, range }) {
  const g = account?.guard;
  const time = (ms) => el('time', { dateTime: iso(ms) }, hourText(ms));
  const item = (term, ...value) => [el('dt', {}, term), el('dd', {}, ...value)];
  if (!g) {
    fill($('guard-mode'), item('Mode now', 'not reported by this deployment'));
    fill($('guard-table'), empty('This deployment reports no guard events.'));
    return;
  }
  const m = modeOf(g);
  const date = m.recordUntil === null ? '' : [time(m.recordUntil), ' UTC'];
  const why = {
    set: ['Set for this account (', el('code', {}, 'guard.mode'), ' in its record).'],
    'first-week': ['The default for a new account: record for its first week, until ', date, ', then enforce.'],
    'first-week-unstarted': ['The default for a new account: record for its first week, which starts with the first SMS the guard counts, then enforce.'],
    'after-first-week': date ? ['The default: the account\'s first week was recorded only, until ', date, '; enforced since.'] : ['The default after an account\'s first week.'],
  }[m.why];
  const missed = wouldRefuse(total.wouldRefuse);
  fill($('guard-mode'),
    item('Mode now', el('strong', {}, m.name), m.does ? ` — ${m.does}` : ''),
    item('Why this mode', ...why),
    m.mode === 'record' || missed.count > 0
      ? item(`SMS sent in ${range.label} that enforce would have refused`, el('strong', { className: 'would-refuse' }, int(missed.count)),
        missed.count ? ` (${missed.byKind.map(([words, n]) => `${int(n)} ${words}`).join(', ')})` : '')
      : []);
  const rows = eventRows(g.events, Date.now());
  fill($('guard-table'), rows.length
    ? table('The guard\'s events, newest first (the account\'s last 50, whatever the time range)', [
      { label: 'When (UTC)' }, { label: 'What tripped' }, { label: 'Rule: what it counted' }, { label: 'Observed', num: true },
      { label: 'Threshold', num: true }, { label: 'Until (UTC)' }, { label: 'Effect' }],
    rows.map((r) => [{ th: true, text: time(r.at) }, r.what, r.rule, dec(r.observed), dec(r.threshold), time(r.until),
      r.paused ? `${r.active ? 'Paused now' : 'Was paused'}: SMS refused${r.code ? ` (${r.code})` : ''}` : 'Recorded only: SMS still sent']))
    : empty('No events. The guard counts each country\'s unverified SMS and the countries each end-user IP asks SMS for; '
      + 'when one goes far past what this account\'s verified traffic explains (suspected SMS pumping), it pauses SMS there '
      + 'for the cool-down (in record mode it only reports it), and the event is listed here.'));
}

/** The sections drawn from the statistics (and the account), in the page's order. */
export const SECTIONS = [totals, perHour, byCountry, byControl, deliveries, costs, pumpingGuard];

/** Removes what a section holds that outlives its elements (the chart), on sign-out. */
export function clear() {
  removeChart();
  removeChart = () => {};
}
