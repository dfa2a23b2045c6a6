// <smsotp-verify> in Firefox ESR (Debian) through WebDriver (selenium-webdriver + geckodriver
// built from crates.io): the full flow once, driven by keyboard and clicks on the controls
// found by their computed ARIA role and accessible name (WebDriver's computedrole /
// computedlabel, Firefox's own accessibility engine).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Builder, Key } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { AsYouType } from 'libphonenumber-js/max';
import { startApi, startPages, pinOf, backendCheck, freshUkNumber } from './support.mjs';

const GECKODRIVER = process.env.GECKODRIVER ?? join(homedir(), '.cargo/bin/geckodriver');
const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

let api;
let pages;
let driver;
before(async () => {
  assert.ok(existsSync(GECKODRIVER), `geckodriver at ${GECKODRIVER} (scripts/setup.sh firefox installs it)`);
  assert.ok(existsSync(FIREFOX), `Firefox at ${FIREFOX}`);
  api = await startApi();
  pages = await startPages(api);
  // The driver's path is given, so Selenium Manager never tries to download one (offline).
  driver = await new Builder()
    .forBrowser('firefox')
    .setFirefoxService(new firefox.ServiceBuilder(GECKODRIVER))
    .setFirefoxOptions(new firefox.Options().addArguments('-headless').setBinary(FIREFOX))
    .build();
});
after(async () => {
  await driver?.quit();
  await pages?.close();
  await api?.dispose();
});

/** Polls `fn` (async) until truthy, at most `timeout` ms; the error names `what`. */
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
    if (Date.now() > end) {
      const now = await driver.executeScript('return document.querySelector("smsotp-verify")?.state').catch(() => '?');
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)}; widget state ${now})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const state = () => driver.executeScript('return document.querySelector("smsotp-verify")?.state');
const waitState = (s) => until(async () => (await state()) === s, `state ${s}`);

/**
 * The visible control with ARIA role `role` and accessible name `name`, as Firefox computes
 * them, among the inputs, buttons and role-bearing elements of the page and its shadow roots.
 */
async function byRole(role, name) {
  return until(async () => {
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
    for (const el of candidates) {
      if ((await el.getAriaRole()) === role && (await el.getAccessibleName()) === name) return el;
    }
    return null;
  }, `${role} "${name}"`);
}

test('Firefox: country by keyboard, number, send, the PIN from the dev inbox, typed → verified, the event, the form value', async () => {
  await driver.get(pages.page('form'));
  await until(() => driver.executeScript('return window.__ready === true'), 'the page');
  await waitState('phone');

  const country = await byRole('combobox', 'Country');
  // Ready: the tenant's countries are loaded once the picker shows one.
  await until(async () => (await country.getAttribute('value')) !== '', 'the country list');
  await country.click();
  // Select what the picker shows, then type over it (two calls: in one, Firefox lost the text).
  await country.sendKeys(Key.chord(Key.CONTROL, 'a'));
  await country.sendKeys('United Kin');
  const activeOption = () => driver.executeScript(
    'const el = arguments[0]; const id = el.getAttribute("aria-activedescendant"); return (id && el.getRootNode().getElementById(id)?.textContent) || "";',
    country,
  );
  let active = await activeOption();
  for (let i = 0; i < 6 && !/United Kingdom/.test(active); i++) {
    await country.sendKeys(Key.ARROW_DOWN);
    active = await activeOption();
    }
  assert.match(active, /United Kingdom.*\+44/);
  await country.sendKeys(Key.ENTER);

  const number = freshUkNumber();
  const phone = await byRole('textbox', 'Phone number');
  await phone.sendKeys(number.slice(3));
  assert.equal(await phone.getAttribute('value'), new AsYouType('GB').input(number.slice(3)));
  await (await byRole('button', 'Send code')).click();
  await waitState('code');

  const sent = await until(() => driver.executeScript('return window.__events.find((e) => e.type === "smsotp-sent")?.detail'), 'smsotp-sent');
  assert.equal(sent.phoneNumber, number);
  const code = await byRole('textbox', 'Verification code');
  const focused = await driver.executeScript('let a = document.activeElement; while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement; return a === arguments[0];', code);
  assert.equal(focused, true, 'focus on the code input');
  await code.sendKeys(await pinOf(api, sent.otpId));
  await waitState('verified');
  assert.equal(await driver.executeScript('return document.querySelector("smsotp-verify").matches(":state(verified)")'), true);
  const verified = await until(() => driver.executeScript('return window.__events.find((e) => e.type === "smsotp-verified")?.detail'), 'smsotp-verified');
  assert.equal((await backendCheck(api, verified.token)).sub, number);
  const form = await driver.executeScript('return Object.fromEntries(new FormData(document.getElementById("signup")))');
  assert.deepEqual(form, { phone_token: verified.token });
  const checks = await driver.executeScript('return performance.getEntriesByType("resource").filter((e) => /\\/v1\\/browser\\/otp\\/[^/]+$/.test(new URL(e.name).pathname)).length');
  assert.equal(checks, 1, 'one check request');
});
