// The dashboard's guard module on its source (www/admin/guard.js): the mode in force and
// why, the events as the section's rows, what record mode let through — from the shapes
// `GET /v1/account` and `GET /v1/stats` answer (docs/guard.md, docs/api.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modeOf, eventRows, scopeText, ruleText, wouldRefuse } from '../../www/admin/guard.js';

const until = '2026-12-12T10:00:00+00:00';

test('modeOf: set by the tenant, or the first week\'s record until its end (or its unknown start), then enforce', () => {
  assert.deepEqual(modeOf({ mode: 'enforce', modeSet: 'enforce', recordUntil: null }),
    { mode: 'enforce', name: 'Enforce', does: 'pauses what trips a rule, refusing its SMS until the cool-down ends', why: 'set', recordUntil: null });
  assert.equal(modeOf({ mode: 'record', modeSet: 'record', recordUntil: null }).why, 'set');
  assert.equal(modeOf({ mode: 'off', modeSet: 'off', recordUntil: null }).name, 'Off');
  const first = modeOf({ mode: 'record', modeSet: null, recordUntil: until });
  assert.deepEqual([first.why, first.recordUntil], ['first-week', Date.parse('2026-12-12T10:00:00Z')]);
  assert.equal(modeOf({ mode: 'record', modeSet: null, recordUntil: null }).why, 'first-week-unstarted');
  assert.equal(modeOf({ mode: 'enforce', modeSet: null, recordUntil: until }).why, 'after-first-week');
  // A mode this page does not know keeps its wire name.
  assert.equal(modeOf({ mode: 'shadow', modeSet: 'shadow' }).name, 'shadow');
});

test('scopeText and ruleText: what tripped, and what the rule counted, in words; unknown ones by their wire names', () => {
  assert.equal(scopeText({ kind: 'country', value: 'FR' }), 'Country FR');
  assert.equal(scopeText({ kind: 'range', value: '+3361234' }), 'Number range +3361234xxxx');
  assert.equal(scopeText({ kind: 'ip', value: '2001:db8::/64' }), 'End-user IP 2001:db8::/64');
  assert.equal(scopeText({ kind: 'asn', value: '64500' }), 'asn 64500');
  assert.equal(ruleText('country_hourly', 'FR'), 'Hourly country rule: unverified SMS to FR');
  assert.equal(ruleText('country_daily', 'DE'), 'Daily country rule: unverified SMS to DE');
  assert.equal(ruleText('ip_countries', 'BR'), 'IP rule: countries this IP asked SMS for (the last: BR)');
  assert.equal(ruleText('range_hourly', 'FR'), 'range_hourly');
});

test('eventRows: in the API\'s order; enforce paused with its scope\'s code (in force until its cool-down ends), record only recorded', () => {
  const now = Date.parse('2026-12-05T12:30:00Z');
  const rows = eventRows([
    { mode: 'enforce', rule: 'country_hourly', scope: { kind: 'country', value: 'FR' }, country: 'FR', observed: 7.5, threshold: 3, at: '2026-12-05T12:10:00+00:00', until: '2026-12-05T13:10:00+00:00' },
    { mode: 'enforce', rule: 'ip_countries', scope: { kind: 'ip', value: '203.0.113.7' }, country: 'DE', observed: 4, threshold: 3, at: '2026-12-05T10:00:00+00:00', until: '2026-12-05T11:00:00+00:00' },
    { mode: 'record', rule: 'country_daily', scope: { kind: 'range', value: '+3361234' }, country: 'FR', observed: 21, threshold: 20, at: '2026-12-04T09:00:00+00:00', until: '2026-12-04T10:00:00+00:00' },
  ], now);
  assert.deepEqual(rows.map((r) => [r.what, r.paused, r.active, r.code]), [
    ['Country FR', true, true, 2137],
    ['End-user IP 203.0.113.7', true, false, 2139],
    ['Number range +3361234xxxx', false, false, 2138],
  ]);
  assert.deepEqual([rows[0].at, rows[0].until, rows[0].observed, rows[0].threshold],
    [Date.parse('2026-12-05T12:10:00Z'), Date.parse('2026-12-05T13:10:00Z'), 7.5, 3]);
  assert.equal(rows[1].rule, 'IP rule: countries this IP asked SMS for (the last: DE)');
  // A recorded event whose cool-down is not over paused nothing.
  assert.equal(eventRows([{ mode: 'record', rule: 'country_hourly', scope: { kind: 'country', value: 'FR' }, country: 'FR', observed: 3, threshold: 1, at: '2026-12-05T12:10:00Z', until: '2026-12-05T13:10:00Z' }], now)[0].active, false);
  assert.deepEqual(eventRows(undefined, now), []);
});

test('wouldRefuse: the total and its kinds in code order; zero counts left out', () => {
  assert.deepEqual(wouldRefuse({ 2139: 1, 2137: 4, 2138: 0 }), { count: 5, byKind: [['to a paused country', 4], ['for a paused end-user IP', 1]] });
  assert.deepEqual(wouldRefuse({}), { count: 0, byKind: [] });
  assert.deepEqual(wouldRefuse(undefined), { count: 0, byKind: [] });
  assert.deepEqual(wouldRefuse({ 2140: 2 }).byKind, [['code 2140', 2]]);
});
