// <smsotp-verify> in headless Chromium (Playwright, Debian's Chromium) against the worker on
// workerd: the pages come from another origin (127.0.0.1, another port), so every request of
// the widget is a real cross-origin request of the browser API. PINs come from the dev inbox
// (the console provider's SMS). Each behaviour is checked as a person or a screen reader
// meets it: controls by role and name, messages in live regions, focus, the form's data.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AsYouType, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import {
  startApi, startPages, launchChromium, pinOf, backendCheck, freshUkNumber, shot, assertAccessible, eventually,
  PK, MAX_ATTEMPTS, RESEND_AFTER, TTL, TURNSTILE_SITE_KEY, TURNSTILE_TOKEN, SHOTS,
} from './support.mjs';
import {
  controls, waitState, stateOf, assertState, accessibleOf, isFocused, liveTexts, events, nthEvent,
  wrongPin, arabicIndic,
} from './page-helpers.mjs';

let api;
let pages;
let browser;
before(async () => {
  api = await startApi();
  pages = await startPages(api);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await pages?.close();
  await api?.dispose();
});

const CHECK_PATH = /^\/v1\/browser\/otp\/[^/]+$/;

/**
 * A fresh context (its own storage, colour scheme, init script, clock) on a test page;
 * resolves once the element is in its phone step with a usable phone field.
 * `requests`: every request the page made to the API (method, path, JSON body).
 */
async function open({ page: name = 'form', params = {}, colorScheme = 'light', init, clock, permissions, route, waitFor = 'phone' } = {}) {
  const context = await browser.newContext({ colorScheme, locale: 'en-US', viewport: { width: 640, height: 900 } });
  if (permissions) await context.grantPermissions(permissions, { origin: pages.url });
  if (route) await route(context);
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  // Waits are for states; nothing here takes seconds, so a stuck step fails fast.
  page.setDefaultTimeout(8_000);
  const requests = [];
  const problems = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(api.url)) return;
    let body = null;
    try {
      body = r.postData() ? JSON.parse(r.postData()) : null;
    } catch {
      body = r.postData();
    }
    requests.push({ method: r.method(), path: new URL(r.url()).pathname, body });
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  if (clock) await page.clock.install({ time: clock });
  await page.goto(pages.page(name, params));
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 15_000 });
  const w = controls(page);
  if (waitFor) await ready(page, waitFor);
  return {
    context,
    page,
    w,
    requests,
    problems,
    /** The POST /v1/browser/otp requests (start). */
    starts: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/browser/otp'),
    /** The POST /v1/browser/otp/{id} requests (check a PIN). */
    checks: () => requests.filter((r) => r.method === 'POST' && CHECK_PATH.test(r.path)),
    close: () => context.close(),
  };
}

/**
 * Waits for the element's `state` with its phone step usable: the phone field visible and
 * the country list loaded (the picker shows a country).
 */
async function ready(page, state = 'phone') {
  await waitState(page, state);
  await page.waitForFunction(() => {
    const combo = document.querySelector('smsotp-verify [role="combobox"]');
    const tel = document.querySelector('smsotp-verify input[type="tel"]');
    return combo?.value && tel?.checkVisibility();
  }, null, { polling: 50 });
}

/**
 * Enters `number` (international form) into the phone field, sends, and waits for the code
 * step; returns the smsotp-sent event's detail.
 */
async function sendTo(s, number, { n = 1 } = {}) {
  await s.w.phone.fill(number);
  await s.w.send.click();
  await waitState(s.page, 'code');
  return (await nthEvent(s.page, 'smsotp-sent', n)).detail;
}

/** The page's form data (what a submit would post). */
const formData = (page) => page.evaluate(() => Object.fromEntries(new FormData(document.getElementById('signup'))));

/** Lets whatever the last input started reach the network (two frames), before counting. */
const settle = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** `+44 7400 123456` for an E.164 UK number, as libphonenumber-js writes it. */
const international = (e164) => parsePhoneNumberFromString(e164).formatInternational();

describe('the full flow', () => {
  test('country by keyboard, as-you-type formatting, an invalid number sends nothing, send, focus on the code, the PIN from the SMS → verified: event, token the backend accepts, form value, :state(verified)', async () => {
    const s = await open();
    const { page, w } = s;
    try {
      // The inputs a browser's autofill and password managers look for are in the light DOM.
      const light = await w.host.evaluate((el) => ({
        tel: el.querySelectorAll('input[type="tel"][autocomplete="tel"]').length,
        form: customElements.get('smsotp-verify').formAssociated === true,
      }));
      assert.deepEqual(light, { tel: 1, form: true });
      assert.ok(await w.phone.evaluate((el) => el.matches('input[type="tel"][autocomplete="tel"]') && el.getRootNode() === document), 'the Phone number textbox is the light-DOM tel input');

      // The country, by keyboard only: focus, type part of the name, arrows, Enter.
      // (Tabbing into a field selects its text; focus() does not, hence the select-all.)
      await w.country.focus();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('United Kin');
      const activeOption = () => w.country.evaluate((el) => {
        const id = el.getAttribute('aria-activedescendant');
        return (id && el.getRootNode().getElementById(id)?.textContent) || '';
      });
      let active = await activeOption();
      for (let i = 0; i < 6 && !/United Kingdom/.test(active); i++) {
        await page.keyboard.press('ArrowDown');
        active = await activeOption();
      }
      assert.match(active, /United Kingdom.*\+44/, 'the active option (aria-activedescendant) reaches "United Kingdom +44"');
      assert.equal(await w.country.getAttribute('aria-expanded'), 'true');
      await page.keyboard.press('Enter');
      assert.equal(await w.country.getAttribute('aria-expanded'), 'false');

      // Too short: an error tied to the field, and no request.
      await w.phone.pressSequentially('740012');
      await w.send.click();
      const invalid = 'Enter a valid phone number.';
      await page.getByText(invalid).waitFor();
      assert.ok((await accessibleOf(w.phone)).description.includes(invalid), 'the error is the phone field\'s description (aria-describedby)');
      assert.ok((await liveTexts(page)).some((t) => t.includes(invalid)), 'the error is in a live region');
      await page.keyboard.press('Enter');
      await settle(page);
      assert.equal(s.starts().length, 0, 'no request for an invalid number (button or Enter)');
      assert.equal(await page.evaluate(() => window.__submitted), undefined, 'Enter in the phone field does not submit the page\'s form');
      assert.equal(await stateOf(page), 'phone');

      // The rest of a valid national number, typed: formatted as libphonenumber formats it.
      const number = freshUkNumber();
      const national = number.slice(3);
      await w.phone.fill('');
      await w.phone.pressSequentially(national);
      const expected = new AsYouType('GB').input(national);
      assert.equal(await w.phone.inputValue(), expected, 'as-you-type formatting');

      await w.send.click();
      await waitState(page, 'code');
      const sent = (await nthEvent(page, 'smsotp-sent')).detail;
      assert.equal(sent.phoneNumber, number, 'the national number with the chosen country, in E.164');
      assert.equal(sent.resendAfter, RESEND_AFTER);
      assert.match(sent.otpId, /^[0-9a-f-]{36}$/);
      const [sentEvent] = await events(page, 'smsotp-sent');
      assert.deepEqual([sentEvent.bubbles, sentEvent.composed], [true, true]);
      assert.deepEqual(s.starts().map((r) => r.body.phoneNumber), [number]);

      // Focus moves to the one code input; the hint says where the code went.
      await w.code.waitFor();
      assert.ok(await isFocused(w.code), 'focus is on the code input after sending');
      const code = await w.code.evaluate((el) => ({
        autocomplete: el.getAttribute('autocomplete'),
        inputmode: el.getAttribute('inputmode'),
        maxlength: el.getAttribute('maxlength'),
        light: el.getRootNode() === document,
        others: el.closest('smsotp-verify').querySelectorAll('input[autocomplete="one-time-code"]').length,
      }));
      assert.deepEqual(code, { autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: null, light: true, others: 1 });
      const hint = `We sent a code to ${international(number)}.`;
      assert.ok((await accessibleOf(w.code)).description.includes(hint), `the code input is described by "${hint}"`);

      // The PIN from the SMS.
      const pin = await pinOf(api, sent.otpId);
      await w.code.pressSequentially(pin);
      await waitState(page, 'verified');
      await assertState(page, 'verified');
      const verified = (await nthEvent(page, 'smsotp-verified')).detail;
      assert.equal(verified.phoneNumber, number);
      const claims = await backendCheck(api, verified.token);
      assert.deepEqual([claims.sub, claims.phone_number_verified, claims.otp_id, claims.aud], [number, true, sent.otpId, 'acme']);
      await page.getByText('Phone number verified.').waitFor();
      assert.ok((await liveTexts(page)).some((t) => t.includes('Phone number verified.')));

      // The form: valid now, its value is the token; a submit posts it.
      assert.equal(await w.host.evaluate((el) => el.checkValidity()), true);
      assert.deepEqual(await formData(page), { phone_token: verified.token });
      await page.getByRole('button', { name: 'Create account' }).click();
      assert.equal((await page.evaluate(() => window.__submitted)).phone_token, verified.token);

      await settle(page);
      assert.equal(s.checks().length, 1, 'one check request');
      // Without `preview` the full wasm entry is never fetched.
      assert.ok(!pages.requests.some((p) => p === '/pkg/index.js' || p === '/pkg/smsotp_bg.wasm'), `fetched: ${pages.requests.join(', ')}`);
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('pasting "+44 7400 123456" into the phone field selects United Kingdom and leaves one dial code', async () => {
    const s = await open({ permissions: ['clipboard-read', 'clipboard-write'] });
    const { page, w } = s;
    try {
      const number = freshUkNumber();
      const pasted = international(number);
      await page.evaluate((t) => navigator.clipboard.writeText(t), pasted);
      await w.phone.focus();
      await page.keyboard.press('ControlOrMeta+V');
      await settle(page);
      // The picker follows the number once the pasted country's metadata is in (loaded on
      // demand: a loaded machine takes more than two frames — CI failed 2026-12-05 with the
      // picker still on the default); then it is checked.
      await page.waitForFunction(
        (el) => /United Kingdom/.test(el.value),
        await w.country.elementHandle(),
        { timeout: 10000 },
      ).catch(() => {});
      const country = await w.country.inputValue();
      const phone = await w.phone.inputValue();
      assert.match(country, /United Kingdom/, `the country picker shows the pasted number's country (${JSON.stringify(country)})`);
      const dialCodes = `${country} ${phone}`.match(/\+\s*44/g) ?? [];
      assert.ok(dialCodes.length <= 1, `one +44 in the country and the field: ${JSON.stringify({ country, phone })}`);
      assert.ok(!/^\+?\s*44\D*44/.test(phone.trim()), `no doubled dial code in ${JSON.stringify(phone)}`);
      assert.equal(parsePhoneNumberFromString(phone, 'GB')?.number, number, `the field holds the number (${JSON.stringify(phone)})`);
      await w.send.click();
      await waitState(page, 'code');
      assert.deepEqual(s.starts().map((r) => r.body.phoneNumber), [number]);
    } finally {
      await s.close();
    }
  });

  test('a country attribute sets the default; the tenant\'s allowedCountries alone are listed, its defaultCountry used', async () => {
    const fr = await open({ params: { attrs: 'country="FR"' } });
    try {
      assert.match(await fr.w.country.inputValue(), /France/);
      const number = '+33612' + String(100000 + (process.pid % 800000)).slice(0, 6);
      await fr.w.phone.pressSequentially(number.slice(3));
      await fr.w.send.click();
      await waitState(fr.page, 'code');
      assert.deepEqual(fr.starts().map((r) => r.body.phoneNumber), [number]);
    } finally {
      await fr.close();
    }
    const nordic = await open({ params: { pk: PK.nordic } });
    try {
      assert.match(await nordic.w.country.inputValue(), /Sweden/, 'the tenant\'s defaultCountry');
      await nordic.w.country.focus();
      await nordic.page.keyboard.press('ArrowDown');
      await nordic.w.countries.waitFor();
      const options = (await nordic.w.countries.getByRole('option').allTextContents()).map((t) => t.trim()).sort();
      assert.equal(options.length, 3, JSON.stringify(options));
      assert.deepEqual(options.map((o) => o.match(/\+\d+/)?.[0]).sort(), ['+44', '+46', '+47']);
    } finally {
      await nordic.close();
    }
  });
});

describe('a code arrives: exactly one check request, whatever the way', () => {
  const type = (text) => async ({ w }) => w.code.pressSequentially(text);
  const fill = (text) => async ({ w }) => w.code.fill(text);
  const paste = (text) => async ({ w, page }) => {
    await page.evaluate((t) => navigator.clipboard.writeText(t), text);
    await w.code.focus();
    await page.keyboard.press('ControlOrMeta+V');
  };
  const script = (text, inputType) => async ({ w }) =>
    w.code.evaluate((el, [t, it]) => {
      el.value = t;
      el.dispatchEvent(it ? new InputEvent('input', { bubbles: true, inputType: it }) : new Event('input', { bubbles: true }));
      if (it) el.dispatchEvent(new Event('change', { bubbles: true }));
    }, [text, inputType]);
  const ways = [
    ['typed digit by digit', (pin) => type(pin)],
    ['pasted (clipboard, Ctrl+V)', (pin) => paste(pin)],
    ['autofilled: one input event with the whole value (then change)', (pin) => script(pin, 'insertReplacementText')],
    ['set by script + an input event', (pin) => script(pin)],
    ['"123 456" (a space)', (pin) => fill(`${pin.slice(0, 3)} ${pin.slice(3)}`)],
    ['"123-456" (a dash), typed', (pin) => type(`${pin.slice(0, 3)}-${pin.slice(3)}`)],
    ['"Your code is 424242", pasted', (pin) => paste(`Your code is ${pin}`)],
    ['Arabic-Indic digits (٤٢٤٢٤٢)', (pin) => fill(arabicIndic(pin))],
    ['Extended Arabic-Indic digits (۴۲۴۲۴۲), pasted', (pin) => paste(arabicIndic(pin, 0x06f0))],
  ];
  for (const [what, way] of ways) {
    test(what, async () => {
      const s = await open({ permissions: ['clipboard-read', 'clipboard-write'] });
      try {
        const number = freshUkNumber();
        const { otpId } = await sendTo(s, number);
        const pin = await pinOf(api, otpId);
        await way(pin)(s);
        await waitState(s.page, 'verified');
        await settle(s.page);
        assert.deepEqual(s.checks().map((r) => r.body), [{ pin }], 'one check, with the digits');
        assert.equal((await events(s.page, 'smsotp-verified')).length, 1);
      } finally {
        await s.close();
      }
    });
  }
});

// WebOTP stubbed: `OTPCredential` defined (what the widget feature-detects) and
// `navigator.credentials.get` recording its options and handing back `{ code, type: 'otp' }`
// when the test says so; each call's signal is kept to see when it is aborted.
const WEBOTP_STUB = () => {
  window.OTPCredential = class OTPCredential {};
  const calls = [];
  window.__webotp = { calls, deliver: null };
  const get = (options = {}) => {
    const call = { otp: options.otp ? JSON.parse(JSON.stringify(options.otp)) : null, hasSignal: !!options.signal, aborted: false, signal: options.signal };
    calls.push(call);
    return new Promise((resolve, reject) => {
      window.__webotp.deliver = (code) => resolve({ code, type: 'otp', id: '' });
      options.signal?.addEventListener('abort', () => {
        call.aborted = true;
        reject(new DOMException('The operation was aborted.', 'AbortError'));
      });
    });
  };
  if (navigator.credentials) navigator.credentials.get = get;
  else Object.defineProperty(navigator, 'credentials', { value: { get }, configurable: true });
};
const webotpCalls = (page) => page.evaluate(() => window.__webotp.calls.map(({ otp, hasSignal, signal }) => ({ otp, hasSignal, aborted: signal?.aborted ?? false })));

describe('WebOTP', () => {
  test('asked for with transport sms and a signal; the code it returns is checked once → verified', async () => {
    const s = await open({ init: WEBOTP_STUB });
    try {
      const { otpId } = await sendTo(s, freshUkNumber());
      await s.page.waitForFunction(() => window.__webotp.calls.length >= 1);
      const [call] = await webotpCalls(s.page);
      assert.deepEqual([call.otp, call.hasSignal], [{ transport: ['sms'] }, true]);
      const pin = await pinOf(api, otpId);
      await s.page.evaluate((p) => window.__webotp.deliver(p), pin);
      await waitState(s.page, 'verified');
      await settle(s.page);
      assert.deepEqual(s.checks().map((r) => r.body), [{ pin }]);
    } finally {
      await s.close();
    }
  });

  test('aborted on "Change number", on success by a typed code, and when the element leaves the page', async () => {
    const s = await open({ init: WEBOTP_STUB });
    const { page, w } = s;
    try {
      await sendTo(s, freshUkNumber());
      await page.waitForFunction(() => window.__webotp.calls.length === 1);
      await w.back.click();
      await waitState(page, 'phone');
      assert.equal((await webotpCalls(page))[0].aborted, true, 'Change number aborts the pending WebOTP request');

      const { otpId } = await sendTo(s, freshUkNumber(), { n: 2 });
      await page.waitForFunction(() => window.__webotp.calls.length === 2);
      assert.equal((await webotpCalls(page))[1].aborted, false);
      await w.code.pressSequentially(await pinOf(api, otpId));
      await waitState(page, 'verified');
      assert.equal((await webotpCalls(page))[1].aborted, true, 'success aborts the pending WebOTP request');

      // Taken off the page while waiting for the SMS (a single-page app's route change).
      await page.evaluate(() => document.getElementById('signup').reset());
      await waitState(page, 'phone');
      await sendTo(s, freshUkNumber(), { n: 3 });
      await page.waitForFunction(() => window.__webotp.calls.length === 3);
      await page.evaluate(() => document.querySelector('smsotp-verify').remove());
      assert.equal((await webotpCalls(page))[2].aborted, true, 'disconnecting aborts the pending WebOTP request');
    } finally {
      await s.close();
    }
  });

  test('without OTPCredential (a browser with no WebOTP), navigator.credentials.get is not called', async () => {
    const s = await open({
      init: () => {
        delete window.OTPCredential;
        window.__credentialsGets = 0;
        if (navigator.credentials) {
          const orig = navigator.credentials.get.bind(navigator.credentials);
          navigator.credentials.get = (...a) => {
            window.__credentialsGets++;
            return orig(...a);
          };
        }
      },
    });
    try {
      assert.equal(await s.page.evaluate(() => 'OTPCredential' in window), false);
      await sendTo(s, freshUkNumber());
      await settle(s.page);
      assert.equal(await s.page.evaluate(() => window.__credentialsGets), 0);
    } finally {
      await s.close();
    }
  });
});

describe('wrong codes, lock, expiry, resend, change number', () => {
  test(`a wrong code says how many attempts are left, counting down; after ${MAX_ATTEMPTS} the OTP is locked`, async () => {
    const s = await open();
    const { page, w } = s;
    try {
      const { otpId } = await sendTo(s, freshUkNumber());
      // Each wrong code a different one (the same wrong code twice is not sent again).
      const pin = await pinOf(api, otpId);
      for (let left = MAX_ATTEMPTS - 1; left >= 1; left--) {
        const message = `Wrong code. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`;
        await w.code.fill(wrongPin(pin, MAX_ATTEMPTS - left));
        await page.getByText(message).waitFor();
        await waitState(page, 'code');
        assert.ok((await liveTexts(page)).some((t) => t.includes(message)), `"${message}" in a live region`);
        assert.ok((await accessibleOf(w.code)).description.includes(message), 'and describes the code input');
        assert.ok(await isFocused(w.code), 'focus stays on the code input');
        assert.ok((await events(page, 'smsotp-error')).some((e) => e.detail.code === 2029), 'smsotp-error with 2029');
      }
      await w.code.fill(wrongPin(pin, MAX_ATTEMPTS));
      await waitState(page, 'locked');
      await assertState(page, 'locked');
      await page.getByText('Too many wrong codes.').waitFor();
      assert.ok((await liveTexts(page)).some((t) => t.includes('Too many wrong codes.')));
      assert.equal(s.checks().length, MAX_ATTEMPTS);
      const last = (await events(page, 'smsotp-error')).at(-1).detail;
      assert.ok(typeof last.code === 'number' && typeof last.type === 'string' && typeof last.message === 'string', JSON.stringify(last));
      assert.equal(await w.host.evaluate((el) => el.checkValidity()), false);
    } finally {
      await s.close();
    }
  });

  test('resend waits for the server\'s resendAfter (a countdown, not announced), expiry → expired with "Send a new code" (page.clock)', async () => {
    const s = await open({ clock: new Date() });
    const { page, w } = s;
    try {
      // Paused a second ahead of the page's own (fake) clock, whatever the load took.
      await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
      await sendTo(s, freshUkNumber());
      await w.resend.waitFor();
      assert.equal(await w.resend.isDisabled(), true, 'resend disabled at first');
      const countdown = page.getByText(/You can resend in \d+:\d\d/);
      await countdown.waitFor();
      assert.match(await countdown.textContent(), new RegExp(`0:(${RESEND_AFTER}|${RESEND_AFTER - 1})\\b`));
      const announced = await countdown.evaluate((el) => {
        for (let n = el; n; n = n.parentElement ?? n.getRootNode().host) {
          const live = n.getAttribute?.('aria-live');
          if ((live && live !== 'off') || ['status', 'alert', 'log'].includes(n.getAttribute?.('role'))) return true;
        }
        return false;
      });
      assert.equal(announced, false, 'the countdown is not in a live region (not re-announced every second)');

      await page.clock.runFor(10_000);
      assert.match(await countdown.textContent(), new RegExp(`0:(${RESEND_AFTER - 10}|${RESEND_AFTER - 11})\\b`));
      assert.equal(await w.resend.isDisabled(), true);
      await page.clock.runFor((RESEND_AFTER - 10) * 1000 + 1000);
      assert.equal(await w.resend.isDisabled(), false, `resend enabled after ${RESEND_AFTER} s`);
      assert.equal(await stateOf(page), 'code');

      await page.clock.runFor((TTL - RESEND_AFTER) * 1000 + 1000);
      await waitState(page, 'expired');
      await assertState(page, 'expired');
      await page.getByText('This code has expired.').waitFor();
      // (Clicking it would ask the server, whose clock did not move: not here.)
      assert.equal(await w.newCode.isEnabled(), true, '"Send a new code" offered');
      assert.equal(await w.code.count(), 0, 'no code input once expired');
    } finally {
      await s.close();
    }
  });

  test('"Change number" goes back to the phone step; the same wrong code typed twice is sent once', async () => {
    const s = await open();
    try {
      const number = freshUkNumber();
      const { otpId } = await sendTo(s, number);
      const wrong = wrongPin(await pinOf(api, otpId));
      await s.w.code.fill(wrong);
      await s.page.getByText(/Wrong code\./).waitFor();
      await s.w.code.fill(wrong);
      await settle(s.page);
      assert.equal(s.checks().length, 1, 'the same wrong code is not checked twice');
      await s.w.back.click();
      await waitState(s.page, 'phone');
      await s.w.phone.waitFor();
      assert.equal(await s.w.code.count(), 0, 'no code input on the phone step');
    } finally {
      await s.close();
    }
  });

  test('an API that cannot be reached: error state, smsotp-error, "Try again" then works', async () => {
    const s = await open();
    const { page, w } = s;
    try {
      await page.route(`${api.url}/v1/browser/otp`, (route) => route.abort('connectionfailed'));
      await w.phone.fill(freshUkNumber());
      await w.send.click();
      await waitState(page, 'error');
      await assertState(page, 'error');
      const [err] = await events(page, 'smsotp-error');
      assert.ok(err && typeof err.detail.message === 'string', JSON.stringify(err));
      await page.unroute(`${api.url}/v1/browser/otp`);
      await w.retry.click();
      if ((await waitState(page, ['phone', 'code', 'sending'])) === 'phone') await w.send.click();
      await waitState(page, 'code');
    } finally {
      await s.close();
    }
  });
});

describe('languages and direction', () => {
  test('RTL page (ar): the phone number and the code stay left-to-right', async () => {
    const s = await open({ params: { lang: 'ar', dir: 'rtl' } });
    const { page, w } = s;
    try {
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).direction), 'rtl');
      assert.equal(await w.phone.evaluate((el) => getComputedStyle(el).direction), 'ltr');
      await shot(page, 'rtl-phone');
      const number = freshUkNumber();
      await sendTo(s, number);
      assert.equal(await w.code.evaluate((el) => getComputedStyle(el).direction), 'ltr');
      // The number in the "We sent a code to …" hint is isolated left-to-right too.
      const shown = page.getByText(international(number), { exact: true });
      assert.equal(await shown.evaluate((el) => getComputedStyle(el).direction), 'ltr');
      await shot(page, 'rtl-code');
    } finally {
      await s.close();
    }
  });

  test('French from the page\'s lang, Swedish from the element\'s: labels, country names (Intl.DisplayNames), messages', async () => {
    for (const [lang, params, words] of [
      ['fr', { lang: 'fr' }, { phone: /Numéro de téléphone/i, send: /Envoyer/i, uk: 'Royaume-Uni', invalid: /numéro de téléphone valide/i }],
      ['sv', { lang: 'en', attrs: 'lang="sv"' }, { phone: /Telefonnummer/i, send: /Skicka/i, uk: 'Storbritannien', invalid: /giltigt telefonnummer/i }],
    ]) {
      const s = await open({ params });
      const { page } = s;
      try {
        const phone = page.getByRole('textbox', { name: words.phone });
        await phone.waitFor();
        const send = page.getByRole('button', { name: words.send });
        await send.waitFor();
        assert.equal(await page.getByRole('button', { name: 'Send code', exact: true }).count(), 0, `${lang}: no English button`);
        assert.equal(new Intl.DisplayNames([lang], { type: 'region' }).of('GB'), words.uk);
        const combobox = page.getByRole('combobox').first();
        await combobox.focus();
        await page.keyboard.press('ControlOrMeta+A');
        await page.keyboard.type(words.uk.slice(0, 6));
        await page.getByRole('option', { name: new RegExp(`${words.uk}.*\\+44`) }).first().waitFor();
        await page.keyboard.press('Escape');
        // An invalid number: the message is not the English one.
        await phone.fill('12');
        await send.click();
        await page.waitForFunction(() => {
          const texts = [];
          const walk = (root) => root.querySelectorAll('*').forEach((el) => {
            if (el.getAttribute('role') === 'status' || el.getAttribute('role') === 'alert' || (el.getAttribute('aria-live') ?? 'off') !== 'off') texts.push(el.textContent.trim());
            if (el.shadowRoot) walk(el.shadowRoot);
          });
          walk(document);
          return texts.some(Boolean);
        });
        const said = (await liveTexts(page)).join(' | ');
        assert.match(said, words.invalid, `${lang}: ${said}`);
        await shot(page, `phone-invalid-${lang}`);
      } finally {
        await s.close();
      }
    }
  });
});

describe('every language the issue names', () => {
  test('the phone field is labelled in en, fr, de, es, it, bg, sv (lang set on the element, live); another language falls back to English', async () => {
    const s = await open();
    const { page, w } = s;
    try {
      const labels = {
        fr: 'Numéro de téléphone', de: 'Telefonnummer', es: 'Número de teléfono', it: 'Numero di telefono',
        bg: 'Телефонен номер', sv: 'Telefonnummer', en: 'Phone number', pt: 'Phone number',
      };
      for (const [lang, label] of Object.entries(labels)) {
        await w.host.evaluate((el, l) => el.setAttribute('lang', l), lang);
        await page.getByRole('textbox', { name: label, exact: true }).waitFor();
        // The country names follow, from Intl.DisplayNames.
        const uk = new Intl.DisplayNames([lang], { type: 'region' }).of('GB');
        assert.equal(await page.getByRole('option', { name: new RegExp(`^${uk} \\+44$`), includeHidden: true }).count(), 1, `${lang}: ${uk}`);
      }
      // Read-only: a page cannot set the state or the value.
      await w.host.evaluate((el) => {
        try { el.state = 'verified'; } catch {}
        try { el.value = 'forged'; } catch {}
      });
      assert.deepEqual(await w.host.evaluate((el) => [el.state, el.value]), ['phone', '']);
    } finally {
      await s.close();
    }
  });
});

describe('theming', () => {
  test('--smsotp-* custom properties and ::part() restyle it', async () => {
    const s = await open();
    try {
      const before = await s.w.send.evaluate((el) => getComputedStyle(el).backgroundColor);
      await s.page.addStyleTag({ content: 'smsotp-verify { --smsotp-accent: rgb(128, 0, 64); } smsotp-verify::part(container) { border-width: 5px; }' });
      const after = await s.w.send.evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.notEqual(before, after);
      assert.equal(after, 'rgb(128, 0, 64)', 'the primary button takes --smsotp-accent');
      const borders = await s.page.evaluate(() => [...document.querySelector('smsotp-verify').shadowRoot.querySelectorAll('[part]')].map((el) => getComputedStyle(el).borderTopWidth));
      assert.ok(borders.includes('5px'), `a ::part(container) rule applies (${borders})`);
    } finally {
      await s.close();
    }
  });
});

describe('form association', () => {
  test('checkValidity() false before; a disabled fieldset disables it; form.reset() returns to the phone step and clears the value', async () => {
    const s = await open();
    const { page, w } = s;
    try {
      assert.deepEqual(await page.evaluate(() => {
        const el = document.querySelector('smsotp-verify');
        return [el.checkValidity(), el.form?.id, document.getElementById('signup').checkValidity()];
      }), [false, 'signup', false]);

      await page.evaluate(() => (document.getElementById('phone-fieldset').disabled = true));
      assert.equal(await w.phone.isDisabled(), true, 'phone input disabled');
      assert.equal(await w.send.isDisabled(), true, 'send disabled');
      assert.equal(await w.country.isDisabled(), true, 'country disabled');
      await page.evaluate(() => (document.getElementById('phone-fieldset').disabled = false));
      assert.equal(await w.phone.isDisabled(), false);
      assert.equal(await w.send.isDisabled(), false);

      const { otpId } = await sendTo(s, freshUkNumber());
      await w.code.pressSequentially(await pinOf(api, otpId));
      await waitState(page, 'verified');
      assert.ok((await formData(page)).phone_token);
      await page.evaluate(() => document.getElementById('signup').reset());
      await waitState(page, 'phone');
      assert.deepEqual(await formData(page), {}, 'no value after reset');
      assert.equal(await w.host.evaluate((el) => el.checkValidity()), false);
    } finally {
      await s.close();
    }
  });

  test('importing the module twice is safe', async () => {
    const s = await open();
    try {
      const same = await s.page.evaluate(async () => {
        const before = customElements.get('smsotp-verify');
        await import('/pkg/widget.js?again');
        return customElements.get('smsotp-verify') === before;
      });
      assert.equal(same, true);
    } finally {
      await s.close();
    }
  });
});

describe('Turnstile, preview, loading', () => {
  test('a tenant with a Turnstile site key: the widget renders it (the script from turnstile-script); the start and a resend each carry a token; the resent PIN verifies', async () => {
    const s = await open({ params: { pk: PK.turnstile } });
    const { page, w } = s;
    try {
      await page.waitForFunction(() => window.__turnstileStandin?.renders.length >= 1, null, { timeout: 10_000 });
      const log = await page.evaluate(() => window.__turnstileStandin);
      assert.equal(log.renders[0].sitekey, TURNSTILE_SITE_KEY);
      assert.ok(await page.getByRole('group', { name: 'Security check' }).evaluate((el) => !!el.closest('smsotp-verify')), 'rendered inside the element');
      assert.ok(pages.requests.includes('/turnstile-standin.js'));
      await shot(page, 'turnstile-phone');
      const before = api.siteverify.received.length;
      await sendTo(s, freshUkNumber());
      assert.equal(s.starts()[0].body.turnstileToken, TURNSTILE_TOKEN);
      assert.equal(api.siteverify.received[before]?.response, TURNSTILE_TOKEN, 'the worker asked siteverify');
      await assertAccessible(page, 'turnstile, code step');

      // A resend needs a token of its own: the widget reset the challenge and sends its new token.
      assert.ok((await page.evaluate(() => window.__turnstileStandin.resets)) >= 1, 'the spent challenge was reset');
      await w.resend.click(); // (waits until the 1 s cooldown has enabled it)
      const again = (await nthEvent(page, 'smsotp-sent', 2)).detail;
      const resends = s.requests.filter((r) => r.path.endsWith('/resend'));
      assert.deepEqual(resends.map((r) => r.body.turnstileToken), [TURNSTILE_TOKEN]);
      await page.getByText(/We sent a new code to/).first().waitFor();
      assert.ok(api.siteverify.received.length >= before + 2, 'siteverify asked again');
      await w.code.pressSequentially(await pinOf(api, again.otpId));
      await waitState(page, 'verified');
    } finally {
      await s.close();
    }
  });

  test('preview: the SMS the person will get (their language, the PIN masked, encoding and parts); the full wasm only then', async () => {
    for (const [lang, text, encoding] of [['en', 'Your Acme code:', /GSM-7/], ['bg', 'Вашият код за Acme:', /UCS-2/]]) {
      const fetchedBefore = pages.requests.length;
      const s = await open({ params: { lang, attrs: 'preview' } });
      const { page } = s;
      try {
        const preview = page.getByText(text).first();
        await preview.waitFor();
        const shown = await preview.evaluate((el) => (el.closest('[part]') ?? el.parentElement).textContent);
        assert.ok(!/\d{6}/.test(shown), `no PIN digits in the preview: ${shown}`);
        const whole = await page.locator('smsotp-verify').evaluate((el) => el.shadowRoot?.textContent + el.textContent);
        assert.match(whole, encoding);
        assert.match(whole, /\b1\b/, 'its parts');
        assert.ok(pages.requests.slice(fetchedBefore).includes('/pkg/smsotp_bg.wasm'), 'the full wasm is loaded with preview');
        await shot(page, `preview-${lang}`);
      } finally {
        await s.close();
      }
    }
  });

  test('before the wasm arrives, the country list and the number field take input; the default region\'s metadata is fetched meanwhile; the number is formatted once the wasm is in', async () => {
    const fetchedBefore = pages.requests.length;
    let release;
    const released = new Promise((resolve) => (release = resolve));
    // The phone wasm is held until the test lets it through: what the person can do before
    // it arrives is checked without any timing.
    const hold = (context) => context.route('**/smsotp_phone_bg.wasm', async (r) => {
      await released;
      await r.continue();
    });
    const s = await open({ route: hold });
    const { page, w } = s;
    try {
      const early = pages.requests.slice(fetchedBefore);
      assert.ok(!early.includes('/pkg/smsotp_phone_bg.wasm'), 'the wasm has not arrived');
      assert.ok(early.includes('/pkg/phone-data.js'), early.join(', '));
      // en-US: the default region is the US, its metadata fetched while the wasm is held.
      await eventually(() => pages.requests.slice(fetchedBefore).includes('/pkg/phone-data/US.txt'), 'US metadata fetched');
      await w.country.fill('Fran');
      await w.country.press('Enter');
      assert.match(await w.country.inputValue(), /^France/);
      await w.phone.fill('0612345678');
      assert.equal(await w.phone.inputValue(), '0612345678', 'kept as typed until the wasm is in');
      await eventually(() => pages.requests.slice(fetchedBefore).includes('/pkg/phone-data/FR.txt'), 'FR metadata fetched when picked');
      release();
      await page.waitForFunction(() => document.querySelector('smsotp-verify input[type="tel"]').value === '06 12 34 56 78', null, { timeout: 8_000 });
      assert.deepEqual(s.problems, []);
    } finally {
      release();
      await s.close();
    }
  });

  test('the phone wasm is not fetched before an element is on the page', async () => {
    const fetchedBefore = pages.requests.length;
    const s = await open({ page: 'lazy', waitFor: null });
    const { page } = s;
    try {
      await page.waitForLoadState('networkidle');
      const early = pages.requests.slice(fetchedBefore);
      assert.ok(early.includes('/pkg/widget.js'), early.join(', '));
      assert.ok(!early.some((p) => p.endsWith('.wasm')), `no wasm before the element: ${early.join(', ')}`);
      await page.getByRole('button', { name: 'Verify my phone' }).click();
      await waitState(page, 'phone');
      await controls(page).phone.waitFor();
      const later = pages.requests.slice(fetchedBefore);
      assert.ok(later.includes('/pkg/smsotp_phone_bg.wasm'), later.join(', '));
      assert.ok(!later.includes('/pkg/smsotp_bg.wasm'), 'not the full wasm');
    } finally {
      await s.close();
    }
  });
});

describe('every state, light and dark: axe-core finds nothing; screenshots', () => {
  // The documented screenshots (docs/browser.md): compared with docs/screenshots (support.mjs, compareWithReadme;
  // written there instead with SMSOTP_UPDATE_SCREENSHOTS=1).
  const README = new Set(['phone', 'code', 'wrong-code', 'verified', 'locked', 'expired', 'error']);
  // What differs from run to run by design, left out of the comparison: the number the code
  // went to (a new one per run), the expiry time (the clock's) and the resend countdown (a
  // second more or less, by how long the steps took: 0:28 vs 0:29 measured, 41 pixels).
  const VARYING = (page) => [page.getByText(/^We sent a (new )?code to /), page.getByText(/^The code is valid until /), page.getByText(/^You can resend in /), page.getByText(/^\+44 7400 /)];
  const failures = [];
  /** Screenshot and axe of the current state in both colour schemes. */
  async function look(page, name) {
    const area = page.locator('main');
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await settle(page);
      try {
        // Compared with the documented ones (docs/screenshots): a difference is collected, not
        // thrown, so that every state is looked at.
        await shot(area, `widget-${name}-${scheme}`, { readme: README.has(name) ? `widget-${name}-${scheme}` : undefined, mask: VARYING(page) });
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
  }

  test('phone, phone with an invalid number, error, code, wrong code, expired; locked; verified', async () => {
    const a = await open({ clock: new Date() });
    try {
      await look(a.page, 'phone');
      await a.w.phone.fill('+44 7400 12');
      await a.w.send.click();
      await a.page.getByText('Enter a valid phone number.').waitFor();
      await look(a.page, 'phone-invalid');
      await a.page.route(`${api.url}/v1/browser/otp`, (route) => route.abort('connectionfailed'));
      await a.w.phone.fill(freshUkNumber());
      await a.w.send.click();
      await waitState(a.page, 'error');
      await look(a.page, 'error');
      await a.page.unroute(`${api.url}/v1/browser/otp`);
      await a.w.retry.click();
      if ((await waitState(a.page, ['phone', 'code', 'sending'])) === 'phone') await a.w.send.click();
      await waitState(a.page, 'code');
      await a.w.code.waitFor();
      await look(a.page, 'code');
      await a.w.code.fill('000000');
      await a.page.getByText(/Wrong code\./).waitFor();
      await look(a.page, 'wrong-code');
      await a.page.clock.fastForward((TTL + 1) * 1000);
      await waitState(a.page, 'expired');
      await look(a.page, 'expired');
    } finally {
      await a.close();
    }

    const b = await open();
    try {
      const { otpId } = await sendTo(b, freshUkNumber());
      const pin = await pinOf(api, otpId);
      for (let i = 0; i < MAX_ATTEMPTS; i++) {
        await b.w.code.fill(wrongPin(pin, i + 1));
        await b.page.waitForFunction((k) => window.__events.filter((e) => e.type === 'smsotp-error').length >= k, i + 1);
      }
      await waitState(b.page, 'locked');
      await look(b.page, 'locked');
    } finally {
      await b.close();
    }

    const c = await open();
    try {
      const { otpId } = await sendTo(c, freshUkNumber());
      await c.w.code.fill(await pinOf(api, otpId));
      await waitState(c.page, 'verified');
      await look(c.page, 'verified');
    } finally {
      await c.close();
    }
    console.log(`screenshots of every state: ${SHOTS}`);
    assert.deepEqual(failures, [], failures.join('\n\n'));
  });
});
