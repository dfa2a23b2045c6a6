// <smsotp-verify> with delivery channels (issue 20), in headless Chromium (Playwright, axe-core)
// and Firefox ESR (WebDriver), against one worker on workerd: SMS to UK numbers goes to a
// local webhook provider (SMS_ROUTES `*`: webhook), whose delivery reports the test posts
// back signed, and the console stands in for voice and WhatsApp (it is named in SMS_ROUTES
// for SE, so the deployment offers every channel). Tenants: `channels` (SMS, voice and
// WhatsApp, a 3 s resend cooldown), `reports` (the same with a 30 s cooldown: a report comes
// before the countdown ends) and `smsonly` (support.mjs, CHANNEL_TENANTS).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Builder, Key } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { standardWebhookSignature } from '../worker/standins.mjs';
import {
  startApi, startPages, launchChromium, pinOf, freshUkNumber, shot, assertAccessible, eventually, PK, RESEND_AFTER,
  SHORT_RESEND_AFTER, SHOTS,
} from './support.mjs';
import { controls, waitState, stateOf, accessibleOf, isFocused, liveTexts, events, nthEvent } from './page-helpers.mjs';

const SMS_WEBHOOK_SECRET = `whsec_${Buffer.from('widget-channels-test-webhook-secret').toString('base64')}`;

/** The webhook provider's stand-in: takes every message (200), `received` lists their bodies. */
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

let hook;
let api;
let pages;
before(async () => {
  hook = await startWebhook();
  api = await startApi({
    SMS_PROVIDER: undefined,
    SMS_ROUTES: JSON.stringify({ '*': ['webhook'], SE: ['console'] }),
    SMS_WEBHOOK_URL: hook.url,
    SMS_WEBHOOK_SECRET,
  }, { channels: true });
  pages = await startPages(api);
});
after(async () => {
  await pages?.close();
  await api?.dispose();
  await hook?.close();
});

/**
 * Posts the provider's delivery report of `otpId`'s latest SMS to the worker's report route,
 * signed as the webhook provider signs (Standard Webhooks).
 */
async function report(otpId, status = 'undelivered') {
  const sms = await eventually(() => hook.received.findLast((m) => m.otpId === otpId), `the SMS of ${otpId} at the webhook`);
  assert.equal(sms.channel, 'sms');
  const body = JSON.stringify({ otpId, messageId: sms.messageId, status, errorCode: '30003', errorText: 'Unreachable' });
  const id = `msg_${randomUUID()}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const r = await fetch(`${api.url}/v1/delivery/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': standardWebhookSignature(SMS_WEBHOOK_SECRET, id, timestamp, body) },
    body,
  });
  assert.equal(r.status, 200, await r.text());
}

/** The worker's `sms.sent` log lines of `otpId` (channel, provider). */
const sentLogs = (otpId) => api.logs.filter((l) => l.includes('"sms.sent"') && l.includes(otpId)).map((l) => JSON.parse(l.slice(l.indexOf('{'))));

const international = (e164) => parsePhoneNumberFromString(e164).formatInternational();
const STATUS_PATH = /^\/v1\/browser\/otp\/[^/]+$/;

describe('Chromium', () => {
  let browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  /**
   * A fresh context on the test page (`pk`, `lang`, `dir`; `clock`: the page's fake clock);
   * resolves in the phone step. `requests`: the API requests (method, path, JSON body);
   * `resends()`: the resend answers' bodies.
   */
  async function open({ params = {}, clock, colorScheme = 'light', init } = {}) {
    const context = await browser.newContext({ colorScheme, locale: 'en-US', viewport: { width: 640, height: 900 } });
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    page.setDefaultTimeout(8_000);
    const requests = [];
    const answers = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(api.url)) return;
      requests.push({ method: r.method(), path: new URL(r.url()).pathname, body: r.postData() ? JSON.parse(r.postData()) : null });
    });
    page.on('pageerror', (e) => console.log('page error:', e.message));
    page.on('response', async (r) => {
      if (/\/resend$/.test(new URL(r.url()).pathname)) answers.push({ status: r.status(), body: await r.json().catch(() => null) });
    });
    if (clock) await page.clock.install({ time: clock });
    await page.goto(pages.page('form', params));
    await page.waitForFunction(() => window.__ready === true, null, { timeout: 15_000 });
    await waitState(page, 'phone');
    await page.waitForFunction(() => document.querySelector('smsotp-verify [role="combobox"]')?.value, null, { polling: 50 });
    const w = controls(page);
    const role = (name) => page.getByRole('button', { name, exact: true });
    Object.assign(w, { voice: role('Call me instead'), whatsapp: role('Send on WhatsApp'), sms: role('Send by SMS') });
    return {
      page,
      w,
      requests,
      answers,
      /** The delivery checks (GET /v1/browser/otp/{id}). */
      statusChecks: () => requests.filter((r) => r.method === 'GET' && STATUS_PATH.test(r.path)),
      resends: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/resend')),
      close: () => context.close(),
    };
  }

  async function sendTo(s, number, n = 1) {
    await s.w.phone.fill(number);
    await s.w.send.click();
    await waitState(s.page, 'code');
    return (await nthEvent(s.page, 'smsotp-sent', n)).detail;
  }

  // What differs from run to run: the number (in the hint, as its own span, and in the
  // announcement of a call), the expiry time, the countdown.
  const VARYING = (page) => [page.getByText(/^\+44 7400 /), page.getByText(/^We're calling /), page.getByText(/^The code is valid until /), page.getByText(/^You can resend in /)];
  const failures = [];
  /**
   * Screenshots and axe of the current state, light and dark; `readme`: a documented one.
   * `paused`: the page's fake clock is paused, and runs meanwhile (axe-core waits on timers),
   * paused again after.
   */
  async function look(page, name, { readme = false, paused = false } = {}) {
    if (paused) await page.clock.resume();
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      // A real wait for the repaint (the page's requestAnimationFrame may be a paused fake clock's).
      await new Promise((r) => setTimeout(r, 150));
      try {
        await shot(page.locator('main'), `widget-${name}-${scheme}`, { readme: readme ? `widget-${name}-${scheme}` : undefined, mask: VARYING(page) });
      } catch (e) {
        failures.push(e.message);
      }
      try {
        await assertAccessible(page, `${name}, ${scheme}`);
      } catch (e) {
        failures.push(e.message);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    if (paused) await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  }
  after(() => {
    console.log(`screenshots: ${SHOTS}`);
  });

  test('SMS, voice and WhatsApp: the other channels appear when the countdown ends; keyboard only, "Call me instead" → a resend through voice (the worker sent a call), the hint and the live region say "We\'re calling"; the PIN of the call verifies', async () => {
    const s = await open({ params: { pk: PK.channels } });
    const { page, w } = s;
    try {
      const number = freshUkNumber();
      const sent = await sendTo(s, number);
      assert.equal(sent.channel, 'sms');
      assert.equal(sent.resendAfter, SHORT_RESEND_AFTER);
      assert.ok((await accessibleOf(w.code)).description.includes(`We sent a code to ${international(number)}.`));
      // During the countdown: "Resend code" disabled, no other channel offered yet.
      assert.equal(await w.resend.isDisabled(), true);
      assert.deepEqual([await w.voice.count(), await w.whatsapp.count(), await w.sms.count()], [0, 0, 0], 'no channel buttons during the countdown');

      await w.voice.waitFor({ timeout: (SHORT_RESEND_AFTER + 3) * 1000 });
      assert.equal(await w.resend.isEnabled(), true);
      assert.equal(await w.whatsapp.isEnabled(), true);
      assert.equal(await w.voice.isEnabled(), true);
      assert.equal(await w.sms.count(), 0, '"Send by SMS" is not offered after an SMS');
      await look(page, 'channels', { readme: true });

      // Keyboard only, from the code input (focused after sending): Tab to "Call me instead".
      assert.ok(await isFocused(w.code));
      const order = [];
      const focusedName = () => page.evaluate(() => {
        let a = document.activeElement;
        while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
        return a?.textContent || a?.getAttribute('aria-label') || a?.id || '';
      });
      for (let i = 0; i < 8 && order.at(-1) !== 'Call me instead'; i++) {
        await page.keyboard.press('Tab');
        order.push(await focusedName());
      }
      assert.deepEqual(order.slice(-2), ['Resend code', 'Call me instead'], `Tab order: ${order.join(' → ')}`);
      assert.ok(await isFocused(w.voice));
      await page.keyboard.press('Enter');

      const again = (await nthEvent(page, 'smsotp-sent', 2)).detail;
      assert.equal(again.channel, 'voice');
      assert.equal(again.otpId, sent.otpId);
      assert.deepEqual(s.resends().map((r) => r.body), [{ channel: 'voice' }]);
      await eventually(() => s.answers.length, 'the resend\'s answer');
      assert.equal(s.answers[0].status, 200);
      assert.equal(s.answers[0].body.delivery?.channel, 'voice', JSON.stringify(s.answers[0].body));
      const calls = await eventually(() => sentLogs(sent.otpId).filter((l) => l.channel === 'voice').length && sentLogs(sent.otpId), 'the worker\'s log of the call');
      assert.deepEqual(calls.map((l) => l.channel), ['sms', 'voice'], 'the worker sent an SMS, then a call');

      // Where the code went, said in the hint (the input's description) and announced.
      const calling = `We're calling ${international(number)} with your code.`;
      await page.waitForFunction((t) => document.querySelector('smsotp-verify [role="status"]')?.textContent === t, calling);
      assert.ok((await liveTexts(page)).includes(calling), 'announced in the live region');
      assert.ok((await accessibleOf(w.code)).description.includes(calling), 'the code input\'s hint');
      assert.ok(await isFocused(w.code), 'focus back on the code input');
      assert.equal(await w.voice.count(), 0, '"Call me instead" is gone once calling');

      // The next countdown: then WhatsApp and SMS are offered, not voice.
      await w.sms.waitFor({ timeout: (SHORT_RESEND_AFTER + 3) * 1000 });
      assert.equal(await w.whatsapp.isEnabled(), true);
      assert.equal(await w.voice.count(), 0);
      await look(page, 'channels-voice', { readme: true });

      // The console carried the call: its PIN verifies.
      await w.code.pressSequentially(await pinOf(api, sent.otpId));
      await waitState(page, 'verified');
    } finally {
      await s.close();
    }
  });

  test('a report says undelivered: the next delivery check (10 s, page.clock) shows "The code could not be delivered" politely, the resend buttons enabled before the countdown ends, smsotp-undelivered; a call then goes out at once (an undelivered message lifts the server\'s cooldown)', async () => {
    const s = await open({ params: { pk: PK.reports }, clock: new Date() });
    const { page, w } = s;
    try {
      await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
      const number = freshUkNumber();
      const { otpId } = await sendTo(s, number);
      await report(otpId);
      assert.equal(s.statusChecks().length, 0, 'nothing asked before 10 s');
      await page.clock.runFor(9_000);
      assert.equal(s.statusChecks().length, 0);
      assert.equal(await w.resend.isDisabled(), true);

      await page.clock.runFor(1_500);
      const text = 'The code could not be delivered.';
      await page.getByText(text).waitFor();
      assert.equal(s.statusChecks().length, 1, 'one check at 10 s');
      const region = await page.locator('smsotp-verify [role="status"]').evaluate((el) => ({ text: el.textContent, live: el.getAttribute('aria-live') }));
      assert.equal(region.text, text);
      assert.notEqual(region.live, 'assertive', 'role=status: polite');
      assert.ok((await liveTexts(page)).includes(text));
      assert.ok((await accessibleOf(w.code)).description.includes(text), 'the code input is described by it');
      assert.ok(await isFocused(w.code), 'the focus stays on the code input');
      const undelivered = (await nthEvent(page, 'smsotp-undelivered')).detail;
      assert.deepEqual(undelivered, { otpId, status: 'undelivered' });
      // 10.5 s of a 30 s countdown: enabled anyway, the countdown gone.
      assert.equal(await w.resend.isEnabled(), true);
      assert.equal(await w.voice.isEnabled(), true);
      assert.equal(await w.whatsapp.isEnabled(), true);
      assert.equal(await page.getByText(/You can resend in/).count(), 0);
      await look(page, 'undelivered', { readme: true, paused: true });

      // A message reported undelivered lifts the server's cooldown (docs/delivery.md): the
      // call goes out at once, the code step goes on with its hint.
      await w.voice.click();
      await page.getByText(/We're calling/).first().waitFor();
      assert.equal(await stateOf(page), 'code');
      // The new message is checked in its turn, 10 s after it.
      await page.clock.runFor(11_000);
      assert.equal(s.statusChecks().length, 2);
    } finally {
      await s.close();
    }
  });

  test('hidden at 10 s: no check then; visible again: one check at once', async () => {
    // The page's visibility as the test says (headless pages are always visible).
    const init = () => {
      window.__hidden = false;
      Object.defineProperty(document, 'hidden', { get: () => window.__hidden, configurable: true });
      Object.defineProperty(document, 'visibilityState', { get: () => (window.__hidden ? 'hidden' : 'visible'), configurable: true });
    };
    const s = await open({ params: { pk: PK.reports }, clock: new Date(), init });
    const { page } = s;
    try {
      await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
      const { otpId } = await sendTo(s, freshUkNumber());
      await report(otpId, 'failed');
      await page.evaluate(() => {
        window.__hidden = true;
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await page.clock.runFor(12_000);
      assert.equal(s.statusChecks().length, 0, 'hidden: not asked');
      await page.evaluate(() => {
        window.__hidden = false;
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await page.getByText('The code could not be delivered.').waitFor();
      assert.equal(s.statusChecks().length, 1);
      assert.deepEqual((await nthEvent(page, 'smsotp-undelivered')).detail, { otpId, status: 'failed' });
    } finally {
      await s.close();
    }
  });

  test('RTL (ar): the channel buttons and the undelivered message; axe, light and dark', async () => {
    const s = await open({ params: { pk: PK.reports, lang: 'ar', dir: 'rtl' }, clock: new Date() });
    const { page, w } = s;
    try {
      await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
      const { otpId } = await sendTo(s, freshUkNumber());
      await report(otpId);
      await page.clock.runFor(10_500);
      await page.getByText('The code could not be delivered.').waitFor();
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).direction), 'rtl');
      assert.equal(await w.voice.isEnabled(), true);
      await look(page, 'undelivered-rtl', { readme: true, paused: true });
    } finally {
      await s.close();
    }
  });

  test('an SMS-only tenant: after the countdown only "Resend code", whose request names no channel', async () => {
    const s = await open({ params: { pk: PK.smsonly } });
    const { page, w } = s;
    try {
      const sent = await sendTo(s, freshUkNumber());
      assert.equal(sent.channel, 'sms');
      await page.waitForFunction(() => {
        const b = document.querySelector('smsotp-verify').shadowRoot.querySelector('[data-a=resend]');
        return b && !b.disabled;
      }, null, { timeout: (SHORT_RESEND_AFTER + 3) * 1000 });
      assert.deepEqual([await w.voice.count(), await w.whatsapp.count(), await w.sms.count()], [0, 0, 0]);
      const hidden = await page.evaluate(() => [...document.querySelector('smsotp-verify').shadowRoot.querySelectorAll('[data-a^=via]')].map((b) => b.hidden));
      assert.deepEqual(hidden, [true, true, true], 'hidden, not just disabled');
      await w.resend.click();
      await nthEvent(page, 'smsotp-sent', 2);
      assert.deepEqual(s.resends().map((r) => r.body), [{}], 'the resend\'s body as before channels');
      assert.equal(await w.voice.count(), 0);
    } finally {
      await s.close();
    }
  });

  test('screenshots and axe: no differences, no violations', () => {
    assert.deepEqual(failures, [], failures.join('\n\n'));
  });
});

describe('Firefox', () => {
  const GECKODRIVER = process.env.GECKODRIVER ?? join(homedir(), '.cargo/bin/geckodriver');
  const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
  let driver;
  before(async () => {
    assert.ok(existsSync(GECKODRIVER), `geckodriver at ${GECKODRIVER} (scripts/setup.sh firefox installs it)`);
    assert.ok(existsSync(FIREFOX), `Firefox at ${FIREFOX}`);
    driver = await new Builder()
      .forBrowser('firefox')
      .setFirefoxService(new firefox.ServiceBuilder(GECKODRIVER))
      .setFirefoxOptions(new firefox.Options().addArguments('-headless').setBinary(FIREFOX))
      .build();
  });
  after(async () => {
    await driver?.quit();
  });

  async function until(fn, what, timeout = 20_000) {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        last = await fn();
        if (last) return last;
      } catch (e) {
        last = e.message;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const waitState = (s) => until(async () => (await driver.executeScript('return document.querySelector("smsotp-verify")?.state')) === s, `state ${s}`);
  /** The visible controls with ARIA role `role` and accessible name `name` (Firefox's). */
  async function allByRole(role, name) {
    const candidates = await driver.executeScript(`
      const out = [];
      const walk = (root) => {
        for (const el of root.querySelectorAll('input, button, [role]')) {
          if (el.getClientRects().length > 0 && el.getAttribute('role') !== 'option') out.push(el);
        }
        for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
      };
      walk(document);
      return out;`);
    const found = [];
    for (const el of candidates) {
      if ((await el.getAriaRole()) === role && (await el.getAccessibleName()) === name) found.push(el);
    }
    return found;
  }
  const byRole = (role, name, timeout) => until(async () => (await allByRole(role, name))[0], `${role} "${name}"`, timeout);
  const eventsOf = (type) => driver.executeScript('return window.__events.filter((e) => e.type === arguments[0]).map((e) => e.detail)', type);
  /** The name of the focused control (through shadow roots). */
  const focusedName = () => driver.executeScript('let a = document.activeElement; while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement; return a?.textContent || a?.id || "";');

  async function sendTo(pk) {
    await driver.get(pages.page('form', { pk }));
    await until(() => driver.executeScript('return window.__ready === true'), 'the page');
    await waitState('phone');
    const country = await byRole('combobox', 'Country');
    await until(async () => (await country.getAttribute('value')) !== '', 'the country list');
    const number = freshUkNumber();
    // International: the number selects United Kingdom.
    await (await byRole('textbox', 'Phone number')).sendKeys(number);
    await (await byRole('button', 'Send code')).click();
    await waitState('code');
    const [sent] = await until(async () => (await eventsOf('smsotp-sent')).length && eventsOf('smsotp-sent'), 'smsotp-sent');
    return { number, ...sent };
  }

  test('Firefox: the other channels once the countdown ends; keyboard only, "Call me instead" → a call, the hint says so', async () => {
    const sent = await sendTo(PK.channels);
    assert.equal(sent.channel, 'sms');
    assert.equal((await allByRole('button', 'Call me instead')).length, 0, 'not during the countdown');
    await byRole('button', 'Call me instead', (SHORT_RESEND_AFTER + 5) * 1000);
    assert.equal((await allByRole('button', 'Send on WhatsApp')).length, 1);
    assert.equal((await allByRole('button', 'Send by SMS')).length, 0);
    const order = [];
    for (let i = 0; i < 8 && order.at(-1) !== 'Call me instead'; i++) {
      await driver.actions().sendKeys(Key.TAB).perform();
      order.push(await focusedName());
    }
    assert.deepEqual(order.slice(-2), ['Resend code', 'Call me instead'], `Tab order: ${order.join(' → ')}`);
    await driver.actions().sendKeys(Key.ENTER).perform();
    const [, again] = await until(async () => (await eventsOf('smsotp-sent')).length >= 2 && eventsOf('smsotp-sent'), 'the second smsotp-sent');
    assert.equal(again.channel, 'voice');
    await until(() => sentLogs(sent.otpId).some((l) => l.channel === 'voice'), 'the worker\'s log of the call');
    const calling = `We're calling ${international(sent.number)} with your code.`;
    await until(async () => (await driver.executeScript('return document.querySelector("smsotp-verify [role=status]").textContent')) === calling, 'the announcement');
    const code = await byRole('textbox', 'Verification code');
    assert.ok((await driver.executeScript('return document.getElementById(arguments[0].getAttribute("aria-describedby").split(" ")[0]).textContent', code)) === calling, 'the hint');
  });

  test('Firefox: a report says undelivered → at the 10 s check the message, announced; the resend buttons enabled before the countdown ends', async () => {
    const sent = await sendTo(PK.reports);
    await report(sent.otpId);
    const text = 'The code could not be delivered.';
    const status = await until(async () => {
      const t = await driver.executeScript('return document.querySelector("smsotp-verify [role=status]").textContent');
      return t === text && t;
    }, 'the undelivered message', 20_000);
    assert.equal(status, text);
    const [undelivered] = await eventsOf('smsotp-undelivered');
    assert.deepEqual(undelivered, { otpId: sent.otpId, status: 'undelivered' });
    const resend = await byRole('button', 'Resend code');
    assert.equal(await resend.isEnabled(), true, `enabled ${RESEND_AFTER} s cooldown or not`);
    const voice = await byRole('button', 'Call me instead');
    assert.equal(await voice.isEnabled(), true);
  });

  test('Firefox: an SMS-only tenant shows no channel buttons', async () => {
    await sendTo(PK.smsonly);
    const resend = await byRole('button', 'Resend code');
    await until(() => resend.isEnabled(), 'Resend code enabled', (SHORT_RESEND_AFTER + 5) * 1000);
    for (const name of ['Call me instead', 'Send on WhatsApp', 'Send by SMS']) assert.equal((await allByRole('button', name)).length, 0, name);
  });
});
