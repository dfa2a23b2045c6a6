// The operator's dashboard (/admin/, www/admin/) in Chromium against the real worker on
// workerd, with real statistics: OTPs created through the server API to three countries,
// sent through a local webhook SMS provider whose signed delivery reports the test posts
// (delivered, undelivered, failed), some verified, one failed on wrong PINs, requests
// refused by the per-number controls and by the number-type policy, a price per part —
// then the page must show what `GET /v1/stats` and `GET /v1/account` answer (the pumping
// guard's section with events: admin-guard.test.mjs). Also: sign-in errors (a wrong key, a publishable key), nothing
// in storage or cookies after sign-in and the key gone on sign-out, no CSP violation,
// axe-core 0 violations light and dark, keyboard only, and the screenshots of
// docs/admin.md (written to docs/screenshots/ with SMSOTP_UPDATE_SCREENSHOTS=1, else
// compared with them, the areas that follow the clock masked: the range's dates, the
// chart, the guard's first-week date).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { standardWebhookSignature } from '../worker/standins.mjs';
import { startApi, launchChromium, shot, assertAccessible, eventually, freshUkNumber, ASSETS, PK } from './support.mjs';

const KEY = 'acme-test-key-0123456789';
const OTHER_KEY = 'nordic-test-key-0123456789';

const SMS_WEBHOOK_SECRET = `whsec_${Buffer.from('admin-dashboard-test-webhook-secret').toString('base64')}`;

let hook;
let api;
let browser;
/** The statistics the traffic below produced, as the API answers them (the last 24 hours). */
let expected;

/** A server-API call with acme's secret key. */
async function call(method, path, body) {
  const r = await api.fetch(path, {
    method,
    headers: { 'X-API-KEY': KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

/** The webhook provider's stand-in: takes every message (200); `received` lists their bodies. */
async function startWebhook() {
  const received = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      received.push(JSON.parse(raw));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/sms`,
    received,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/** The message of `otpId` the webhook provider took. */
const smsOf = (otpId) => eventually(() => hook.received.findLast((m) => m.otpId === otpId), `the SMS of ${otpId}`);
/** Its PIN. */
const pinOf = async (otpId) => (await smsOf(otpId)).text.match(/(\d{6})\D*$/)[1];

/** Posts the provider's signed delivery report of `otpId`'s message (Standard Webhooks). */
async function report(otpId, status) {
  const sms = await smsOf(otpId);
  const body = JSON.stringify({ otpId, messageId: sms.messageId, status, ...(status === 'delivered' ? {} : { errorCode: '30003', errorText: 'Unreachable' }) });
  const id = `msg_${randomUUID()}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const r = await fetch(`${api.url}/v1/delivery/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': standardWebhookSignature(SMS_WEBHOOK_SECRET, id, timestamp, body) },
    body,
  });
  assert.equal(r.status, 200, await r.text());
}

/** Creates an OTP to `phoneNumber`; returns its id. */
async function create(phoneNumber) {
  const r = await call('POST', '/otp', { phoneNumber, maxAttempts: 3 });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.otpId;
}

/**
 * The traffic: FR 3 OTPs (2 verified, 1 failed on 3 wrong PINs), GB 2 (1 verified), DE 1
 * (pending); reports: 4 delivered, 1 undelivered, 1 failed; refusals 2109 twice, 2113 once.
 */
async function makeTraffic() {
  const verify = async (id) => assert.equal((await call('POST', `/otp/${id}`, { pin: await pinOf(id) })).status, 200);
  const fr = [await create('+33612345601'), await create('+33612345602'), await create('+33612345603')];
  await verify(fr[0]);
  await verify(fr[1]);
  const pin = await pinOf(fr[2]);
  for (let k = 1; k <= 3; k++) {
    const wrong = String((Number(pin) + k) % 1e6).padStart(6, '0');
    assert.ok([400, 403, 410, 422].includes((await call('POST', `/otp/${fr[2]}`, { pin: wrong })).status));
  }
  const gb = [await create(freshUkNumber()), await create(freshUkNumber())];
  await verify(gb[0]);
  const de = await create('+4915112345601');
  // Refused by the controls: a resend inside the cooldown (2109), twice; a premium-rate number (2113).
  for (let i = 0; i < 2; i++) assert.equal((await call('POST', `/otp/${gb[1]}/resend`)).status, 429);
  assert.equal((await call('POST', '/otp', { phoneNumber: '+33891234567' })).status, 403);
  // Reports after the resends: an undelivered message lifts the number's cooldown.
  for (const id of [...fr, gb[0]]) await report(id, 'delivered');
  await report(gb[1], 'undelivered');
  await report(de, 'failed');
}

/** `GET /v1/stats` with acme's key over the page's 24-hour range. */
async function stats(query) {
  const r = await call('GET', `/v1/stats?${new URLSearchParams(query)}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

before(async () => {
  assert.ok(existsSync(join(ASSETS, 'admin/index.html')), `${ASSETS}/admin (bash scripts/build-admin.sh)`);
  hook = await startWebhook();
  // The webhook provider for every SMS, a price per part, and the deployment's default
  // per-number limits (the harness turns them off in development otherwise).
  api = await startApi({
    SMS_PROVIDER: undefined,
    SMS_ROUTES: JSON.stringify({ '*': ['webhook'] }),
    SMS_WEBHOOK_URL: hook.url,
    SMS_WEBHOOK_SECRET,
    PRICE_PER_PART: '0.0075',
    NUMBER_LIMITS: undefined,
  });
  browser = await launchChromium();
  await makeTraffic();
  // Statistics are written at checkpoints (a few seconds): wait until the API counts it all.
  const hour = 3_600_000;
  const to = new Date(Math.floor(Date.now() / hour) * hour + hour).toISOString().replace('.000Z', 'Z');
  const from = new Date(Date.parse(to) - 24 * hour).toISOString().replace('.000Z', 'Z');
  const total = await eventually(async () => {
    const t = (await stats({ from, to })).groups?.[0];
    const reported = t ? t.delivered + t.undelivered + t.deliveryFailed : 0;
    return t && t.attempts >= 6 && t.converted >= 3 && reported >= 6 && Object.keys(t.refused ?? {}).length >= 2 ? t : null;
  }, 'the statistics of the traffic', 30_000);
  expected = {
    total,
    countries: (await stats({ from, to, groupBy: 'country' })).groups,
    hourly: (await stats({ from, to, groupBy: 'hour' })).groups,
  };
  assert.equal(total.attempts, 6, JSON.stringify(total));
  assert.equal(total.converted, 3, JSON.stringify(total));
  assert.deepEqual([total.delivered, total.undelivered, total.deliveryFailed], [4, 1, 1], JSON.stringify(total));
  assert.deepEqual(total.refused, { 2109: 2, 2113: 1 }, JSON.stringify(total));
});
after(async () => {
  await browser?.close();
  await api?.dispose();
  await hook?.close();
});

/** A page of a new context (axe needs one) with `colorScheme`, recording CSP violations and page errors. */
async function open(colorScheme = 'light', viewport = { width: 1200, height: 900 }) {
  const context = await browser.newContext({ colorScheme, viewport, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp = window.__csp ?? [];
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(`${api.url}/admin/`);
  return { context, page, problems };
}

/** Signs in with `key` through the form; waits for the dashboard's numbers, or the error. */
async function signIn(page, key) {
  await page.getByLabel('Secret key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const dashboardReady = (page) => page.waitForFunction(() => /^Showing /.test(document.getElementById('status')?.textContent ?? ''));

/** Asserts no CSP violation and no page error happened. */
async function assertClean(page, problems) {
  assert.deepEqual(await page.evaluate(() => window.__csp ?? []), [], 'CSP violations');
  assert.deepEqual(problems.filter((p) => !p.includes('401') && !p.includes('Failed to load resource')), [], 'page errors');
}

/** Every cell of a table in `region`, row by row, as text. */
const tableOf = (page, id) => page.locator(`#${id} table`).evaluate((t) => [...t.rows].map((r) => [...r.cells].map((c) => c.textContent.trim())));

describe('sign-in', () => {
  test('a wrong key and a publishable key are refused with a clear error; the right key signs in; nothing is stored; sign-out forgets the key', async () => {
    const { context, page, problems } = await open();
    try {
      await signIn(page, 'acme-test-key-0123456780');
      await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'not a secret key of any account' }).waitFor());
      assert.equal(await page.getByLabel('Secret key').getAttribute('aria-invalid'), 'true');
      await signIn(page, PK.acme);
      await page.getByRole('alert').filter({ hasText: 'publishable key' }).waitFor();
      assert.ok(await page.locator('#dashboard').isHidden());

      await signIn(page, KEY);
      await dashboardReady(page);
      assert.equal(await page.locator('#account-id').textContent(), 'acme');
      assert.equal(await page.getByLabel('Secret key').inputValue(), '', 'the field is emptied');
      // Nothing in storage, cookies or the URL: the key is in the module's memory only.
      const kept = await page.evaluate(() => ({
        local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, url: location.href,
      }));
      assert.deepEqual(kept, { local: 0, session: 0, cookie: '', url: `${api.url}/admin/` });
      assert.deepEqual(await context.cookies(), []);
      const state = await context.storageState();
      assert.deepEqual(state.origins.flatMap((o) => o.localStorage), []);
      assert.ok(!(await page.content()).includes(KEY), 'the key is not in the document');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await page.getByRole('status').filter({ visible: true }).textContent(), 'Signed out: the key is forgotten.');
      assert.ok(await page.getByLabel('Secret key').evaluate((el) => el === document.activeElement), 'focus back on the key field');
      assert.ok(await page.locator('#dashboard').isHidden());
      assert.equal(await page.locator('#policy').textContent(), '', 'what was shown is gone');
      // Another tenant's key then sees its own account.
      await signIn(page, OTHER_KEY);
      await dashboardReady(page);
      assert.equal(await page.locator('#account-id').textContent(), 'nordic');
      await assertClean(page, problems);
    } finally {
      await context.close();
    }
  });
});

describe('the dashboard shows what the API answers', () => {
  test('totals, per hour (chart and table), by country, refusals by code with their names, delivery outcomes, cost, the pumping guard, the policy', async () => {
    const { context, page, problems } = await open();
    try {
      await signIn(page, KEY);
      await dashboardReady(page);
      const t = expected.total;
      const totals = await page.locator('#totals').evaluate((dl) => Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
      assert.equal(totals['OTPs created'], String(t.attempts));
      assert.equal(totals.Verified, String(t.converted));
      assert.equal(totals['SMS sent'], String(t.sent));
      assert.equal(totals['Too many wrong PINs'], String(t.failedMaxAttempts));
      assert.equal(totals['Requests refused'], String(Object.values(t.refused).reduce((a, b) => a + b, 0)));
      assert.equal(totals.Conversion, `${(t.conversionRate).toFixed(1)} %`);

      // The chart: a canvas drawn by uPlot, named by its summary; the table has the hours with traffic.
      const chart = page.getByRole('img', { name: /^Line chart of SMS sent/ });
      assert.match(await chart.getAttribute('aria-label'), new RegExp(`${t.sent} SMS sent, ${t.attempts} OTPs created, ${t.converted} verified`));
      assert.equal(await page.locator('#hourly-chart canvas').count(), 1);
      await page.getByText('The numbers, hour by hour (UTC)').click();
      const hours = await tableOf(page, 'hourly-table');
      const busy = expected.hourly.filter((g) => g.sent || g.attempts || g.converted);
      assert.equal(hours.length - 1, busy.length);
      assert.deepEqual(hours.slice(1).map((r) => Number(r[2])).reduce((a, b) => a + b, 0), t.attempts);

      // By country: FR, GB, DE, most OTPs first.
      const countries = await tableOf(page, 'countries-table');
      assert.deepEqual(countries.slice(1).map((r) => r[0]), ['FR', 'GB', 'DE']);
      assert.deepEqual(countries[1].slice(1, 4), ['3', '2', '66.7 %']);
      assert.deepEqual(countries[2].slice(1, 4), ['2', '1', '50.0 %']);
      assert.deepEqual(countries[3].slice(1, 4), ['1', '0', '0.0 %']);

      // Refusals: each code the API counted, with its name and message from the API's error codes.
      const refusals = await tableOf(page, 'refusals-table');
      const codes = Object.keys(t.refused).map(Number).sort((a, b) => t.refused[b] - t.refused[a] || a - b);
      assert.deepEqual(refusals.slice(1).map((r) => Number(r[0])), codes);
      const names = { 2109: ['ResendTooSoon', 'A new SMS to this phone number is not allowed yet'], 2113: ['NumberTypeBlocked', 'SMS to this type of number'] };
      for (const row of refusals.slice(1)) {
        assert.equal(Number(row[3]), t.refused[row[0]]);
        if (names[row[0]]) {
          assert.equal(row[1], names[row[0]][0]);
          assert.ok(row[2].startsWith(names[row[0]][1]), row[2]);
        }
      }

      // Delivery outcomes: as reported (4 delivered, 1 undelivered, 1 failed), none left without a report.
      const delivery = await tableOf(page, 'delivery-table');
      assert.deepEqual(delivery.slice(1).map((r) => Number(r[1])),
        [t.delivered, t.undelivered, t.deliveryFailed, t.sent - t.delivered - t.undelivered - t.deliveryFailed]);
      assert.match(await page.locator('#delivery-bar').getAttribute('aria-label'), new RegExp(`^Delivery outcomes of ${t.sent} SMS`));

      // Cost: per country and the total row.
      const cost = await tableOf(page, 'cost-table');
      assert.equal(cost.at(-1)[0], 'Total');
      assert.equal(Number(cost.at(-1)[1]), t.sent);
      assert.equal(Number(cost.at(-1)[2]), t.parts);
      assert.equal(Number(cost.at(-1)[3]), t.cost);
      assert.ok(t.cost > 0, 'PRICE_PER_PART priced the parts');

      // The policy from /v1/account: acme's record (test number, every country, 30 s cooldown).
      const policy = await page.locator('#policy').textContent();
      for (const text of ['every country', '+15005550006', 'Seconds before each resend', '30', 'webhook']) assert.ok(policy.includes(text), text);
      assert.ok(!policy.includes('123456'), 'no test PIN');

      // The pumping guard: acme's first week (no mode set) records; its traffic tripped
      // nothing (tests/widget/admin-guard.test.mjs has events), and the section says what the
      // guard does instead of an empty table.
      const guard = await page.locator('#guard-mode').evaluate((dl) => Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
      assert.equal(guard['Mode now'], 'Record — reports what it would pause and refuses nothing');
      assert.match(guard['Why this mode'], /^The default for a new account: record for its first week, until \d{4}-\d\d-\d\d \d\d:\d\d UTC, then enforce\.$/);
      assert.equal(guard['SMS sent in the last 24 hours that enforce would have refused'], '0');
      assert.equal(await page.locator('#guard-table table').count(), 0);
      assert.match(await page.locator('#guard-table').textContent(), /^No events\. The guard counts each country's unverified SMS/);

      // Another range: 7 days (the same traffic, a longer table range).
      await page.getByRole('button', { name: 'Last 7 days' }).click();
      await page.waitForFunction(() => document.getElementById('status').textContent === 'Showing the last 7 days.');
      assert.equal(await page.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed'), 'true');
      assert.equal(await page.getByRole('button', { name: 'Last 24 hours' }).getAttribute('aria-pressed'), 'false');
      await assertClean(page, problems);
    } finally {
      await context.close();
    }
  });
});

describe('accessibility', () => {
  test('axe-core: 0 violations signed out and signed in, light and dark; screenshots', async () => {
    for (const scheme of ['light', 'dark']) {
      const { context, page, problems } = await open(scheme, { width: 1200, height: 900 });
      try {
        await assertAccessible(page, `sign-in, ${scheme}`);
        await signIn(page, 'not-a-key-of-anyone-0123');
        await page.getByRole('alert').filter({ hasText: 'not a secret key' }).waitFor();
        await assertAccessible(page, `sign-in error, ${scheme}`);
        await shot(page, `admin-sign-in-${scheme}`, { readme: scheme === 'light' ? 'admin-sign-in-light' : undefined });
        await signIn(page, KEY);
        await dashboardReady(page);
        await page.getByText('The numbers, hour by hour (UTC)').click();
        await assertAccessible(page, `dashboard, ${scheme}`);
        await page.getByText('The numbers, hour by hour (UTC)').click();
        // Light: the whole page; dark: its first screen (the same page, half the bytes). The
        // range's dates and the hourly chart's axis follow the clock (the last 24 hours up to
        // this one): masked in the comparison, which a run in another hour would fail.
        const moving = [page.locator('.range-text'), page.locator('#hourly-chart'), page.locator('#guard-mode time')];
        await shot(scheme === 'light' ? page.locator('body') : page, `admin-${scheme}`, { readme: `admin-${scheme}`, mask: moving });
        // The theme button overrides the system's: the other theme, still 0 violations.
        await page.getByRole('button', { name: /^Theme/ }).click();
        if (scheme === 'light') await page.getByRole('button', { name: /^Theme/ }).click();
        assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), scheme === 'light' ? 'dark' : 'light');
        await assertAccessible(page, `dashboard, ${scheme} system, other theme`);
        await assertClean(page, problems);
      } finally {
        await context.close();
      }
    }
  });

  test('keyboard only: Tab to the key, type it, Enter; Tab through the ranges (Enter picks one) and the tables; focus always visible', async () => {
    const { context, page, problems } = await open();
    try {
      const focused = () => page.evaluate(() => {
        const a = document.activeElement;
        return { id: a.id, text: a.textContent.trim().slice(0, 40), tag: a.tagName, outline: getComputedStyle(a).outlineStyle };
      });
      let f;
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press('Tab');
        f = await focused();
        // The document itself (before the first control, after the last) has no ring.
        if (f.tag === 'BODY') continue;
        assert.notEqual(f.outline, 'none', `focus visible on ${f.tag} ${f.id}`);
        if (f.id === 'key') break;
      }
      assert.equal(f.id, 'key', 'Tab reaches the key field');
      await page.keyboard.type(KEY);
      await page.keyboard.press('Enter');
      await dashboardReady(page);
      // Focus moved to the dashboard's heading; Tab goes on through the ranges, in order.
      assert.equal((await focused()).id, 'dashboard-h');
      const seen = [];
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab');
        f = await focused();
        if (f.tag === 'BODY') break; // past the last control
        assert.notEqual(f.outline, 'none', `focus visible on ${f.tag} ${f.id} ${f.text}`);
        seen.push(f.id || f.text);
        if (f.text === 'Last 7 days') {
          await page.keyboard.press('Enter');
          await page.waitForFunction(() => document.getElementById('status').textContent === 'Showing the last 7 days.');
        }
      }
      assert.deepEqual(seen.slice(0, 3), ['Last 24 hours', 'Last 7 days', 'Last 30 days']);
      assert.equal(await page.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed'), 'true');
      // Then the hourly table's disclosure and the tables' scrollable regions, in the page's order.
      const after = seen.slice(3);
      assert.equal(after[0], 'The numbers, hour by hour (UTC)');
      for (const id of ['countries-table', 'refusals-table', 'delivery-table', 'cost-table', 'guard-table']) assert.ok(after.includes(id), `${id} in ${after}`);
      assert.ok(after.indexOf('countries-table') < after.indexOf('refusals-table') && after.indexOf('delivery-table') < after.indexOf('cost-table'));
      assert.ok(after.indexOf('cost-table') < after.indexOf('guard-table'), 'the guard\'s events after the cost');
      await assertClean(page, problems);
    } finally {
      await context.close();
    }
  });
});
