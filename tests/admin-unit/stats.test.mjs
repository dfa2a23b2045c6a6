// The dashboard's pure modules on their sources (www/admin/range.js, stats.js; guard.js in guard.test.mjs): the time
// ranges the page asks for, and how `/v1/stats` answers are shaped for its sections. No
// browser and no build: they run in a second, before the browser tests (test-widget.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastHours, iso, hourText } from '../../www/admin/range.js';
import { sum, rate, hourly, countries, refusals, delivery } from '../../www/admin/stats.js';

const HOUR = 3_600_000;
const at = Date.parse('2026-12-05T09:41:07.123Z');

test('lastHours: whole UTC hours, the current one included, `to` exclusive; every hour listed', () => {
  const r = lastHours(24, at);
  assert.equal(r.to, '2026-12-05T10:00:00Z');
  assert.equal(r.from, '2026-12-04T10:00:00Z');
  assert.equal(r.hours.length, 24);
  assert.equal(iso(r.hours[0]), r.from);
  assert.equal(iso(r.hours.at(-1)), '2026-12-05T09:00:00Z');
  // On the hour exactly: that hour is the current one.
  assert.equal(lastHours(1, Date.parse('2026-12-05T09:00:00Z')).from, '2026-12-05T09:00:00Z');
  assert.equal(lastHours(720, at).hours.length, 720);
  assert.equal(hourText(r.hours[0]), '2026-12-04 10:00');
});

const group = (extra) => ({
  attempts: 12, converted: 9, unconverted: 3, conversionRate: 75, sent: 14, delivered: 11, undelivered: 1,
  deliveryFailed: 0, failedMaxAttempts: 1, expired: 2, refused: { 2115: 3, 2114: 1 }, parts: 14, cost: 0.105, ...extra,
});

test('sum: counts added, refusals and would-be refusals merged by code, the rate recomputed (null without attempts)', () => {
  const t = sum([group({}), group({ attempts: 4, converted: 1, refused: { 2115: 2, 2109: 5 } })]);
  assert.equal(t.attempts, 16);
  assert.equal(t.converted, 10);
  assert.deepEqual(t.refused, { 2115: 5, 2114: 1, 2109: 5 });
  assert.equal(t.conversionRate, 62.5);
  assert.ok(Math.abs(t.cost - 0.21) < 1e-12);
  assert.equal(sum([]).conversionRate, null);
  // What record mode let through, by the code enforce would have answered; none when no group has it.
  assert.deepEqual(sum([group({ wouldRefuse: { 2137: 4 } }), group({ wouldRefuse: { 2137: 1, 2139: 2 } }), group({})]).wouldRefuse, { 2137: 5, 2139: 2 });
  assert.deepEqual(t.wouldRefuse, {});
  assert.equal(sum(undefined).attempts, 0);
  assert.equal(rate(0, 0), null);
});

test('hourly: the API\'s hours (either offset spelling) on the page\'s list, 0 where there was no group', () => {
  const { hours } = lastHours(3, at);
  const s = hourly({ groups: [
    group({ hour: '2026-12-05T09:00:00Z', sent: 7 }),
    group({ hour: '2026-12-05T07:00:00+00:00', sent: 2, attempts: 1 }),
  ] }, hours);
  assert.deepEqual(s.x, hours.map((h) => h / 1000));
  assert.deepEqual(s.sent, [2, 0, 7]);
  assert.deepEqual(s.attempts, [1, 0, 12]);
  assert.deepEqual(hourly({ groups: [] }, hours).converted, [0, 0, 0]);
});

test('countries: most OTPs first, then by country; ZZ (no country) has no name', () => {
  const rows = countries({ groups: [
    group({ country: 'DE', attempts: 1 }), group({ country: 'ZZ', attempts: 5 }), group({ country: 'FR', attempts: 5 }), group({ country: 'AT', attempts: 1 }),
  ] });
  assert.deepEqual(rows.map((r) => r.country), ['', 'FR', 'AT', 'DE']);
  assert.equal(rows[1].conversionRate, 180, 'recomputed from its own counts');
});

test('refusals: by count then code, named from the error codes; an unknown code keeps its number', () => {
  const known = { 2115: { name: 'PrefixBlocked', message: 'Too many unverified SMS' } };
  assert.deepEqual(refusals({ 2109: 2, 2115: 3, 2999: 2, 2114: 0 }, known), [
    { code: 2115, count: 3, name: 'PrefixBlocked', message: 'Too many unverified SMS' },
    { code: 2109, count: 2, name: '', message: '' },
    { code: 2999, count: 2, name: '', message: '' },
  ]);
});

test('delivery: delivered, undelivered, failed and the rest of `sent` without a final report (never below 0)', () => {
  assert.deepEqual(delivery(sum([group({})])).map((o) => [o.key, o.count]), [['delivered', 11], ['undelivered', 1], ['failed', 0], ['pending', 2]]);
  assert.equal(delivery(sum([group({ sent: 1 })]))[3].count, 0);
});
