// Scratch (not a test): every state of the widget in one browser, light or dark, with axe
// and a screenshot each. Usage: node look.mjs <scheme> [query]
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';

const base = 'http://127.0.0.1:8600/';
const scheme = process.argv[2] ?? 'light';
const query = process.argv[3] ?? '';
const tag = `${scheme}${query ? `-${query.replace(/[^a-z0-9]+/gi, '_')}` : ''}`;
const out = '/tmp/smsotp-widget-shots';
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const ctx = await browser.newContext({ colorScheme: scheme, viewport: { width: 520, height: 700 } });
const page = await ctx.newPage();
page.on('pageerror', (e) => console.log('pageerror:', e.message));
let checks = 0;
page.on('request', (r) => /\/v1\/browser\/otp\/[^/]+$/.test(r.url()) && checks++);
const fresh = () => `0612${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
const w = () => page.locator('smsotp-verify');
const state = () => w().evaluate((e) => e.state);
async function look(name) {
  await page.waitForTimeout(150);
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']).analyze();
  await page.screenshot({ path: `${out}/${tag}-${name}.png`, fullPage: true });
  console.log(`${name}: state=${await state()} axe violations=${r.violations.length} ${r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
}
const pinOf = async (otpId) => {
  const pins = await (await fetch(new URL('/pins', base))).text();
  return pins.split('\n').filter((l) => l.includes(otpId)).pop().match(/"text":"[^"]*?(\d{4,10})[^"\d]*"/)[1];
};
await page.clock.install();
await page.goto(base + (query ? `?${query}` : ''));
await page.waitForFunction(() => document.querySelector('smsotp-verify')?.shadowRoot?.querySelector('[data-a=send]')?.disabled === false);
await look('1-phone');
const combo = page.getByRole('combobox');
await combo.click();
await combo.fill('fra');
await look('2-list');
await combo.press('Enter');
console.log('country now', await combo.inputValue());
const tel = page.locator('input[type=tel]');
await tel.fill('0612');
await page.locator('smsotp-verify').getByRole('button').first().click();
await look('3-invalid');
await tel.fill('');
await tel.pressSequentially(fresh());
console.log('typed', await tel.inputValue());
await page.locator('smsotp-verify').getByRole('button').first().click();
const code = page.locator('input[autocomplete=one-time-code]');
await page.waitForFunction(() => document.querySelector('smsotp-verify').state === 'code');
await code.pressSequentially('12');
await look('4-code');
await code.fill('');
const wrong = async () => {
  await code.fill('000000');
  await page.waitForFunction(() => document.querySelector('smsotp-verify').state !== 'checking');
};
await wrong();
await look('5-wrong');
await page.clock.runFor(20000);
await look('5b-countdown');
const otpId = await w().evaluate((e) => e.otpId);
for (let i = 0; i < 3; i++) {
  await code.fill(`00000${i + 1}`);
  await page.waitForFunction(() => document.querySelector('smsotp-verify').state !== 'checking');
}
await code.fill('000009');
await page.waitForFunction(() => document.querySelector('smsotp-verify').state !== 'checking');
await look('6-locked');
// Expired: a new number, then the clock past the ttl.
await page.locator('smsotp-verify').getByRole('button', { name: /./ }).last().click();
await tel.fill('');
await tel.pressSequentially(fresh());
await page.locator('smsotp-verify').getByRole('button').first().click();
await page.waitForFunction(() => document.querySelector('smsotp-verify').state === 'code');
await page.clock.runFor(11 * 60 * 1000);
await look('7-expired');
await page.locator('smsotp-verify').getByRole('button').first().click();
await page.waitForFunction(() => document.querySelector('smsotp-verify').state !== 'sending');
if ((await state()) === 'error') {
  await look('7b-error-new-code');
  console.log(await page.getByRole('status').textContent());
  await browser.close();
  process.exit(0);
}
const id2 = await w().evaluate((e) => e.otpId);
const before = checks;
await code.evaluate((e, pin) => {
  e.value = pin;
  e.dispatchEvent(new Event('input', { bubbles: true }));
  e.dispatchEvent(new Event('change', { bubbles: true }));
}, await pinOf(id2));
await page.waitForFunction(() => document.querySelector('smsotp-verify').state !== 'checking');
console.log('check requests for a scripted value:', checks - before);
await look('8-verified');
// Error: a rate limit answered to the next start.
await page.route('**/v1/browser/otp', (r) => r.fulfill({ status: 429, contentType: 'application/json', headers: { 'Retry-After': '600', 'Access-Control-Allow-Origin': '*' }, body: JSON.stringify({ error: { code: 2108, type: 'rate_limit', message: 'too many', retryAfter: 600 } }) }));
await page.evaluate(() => document.getElementById('f').reset());
console.log('after reset', await state(), 'valid?', await w().evaluate((e) => e.checkValidity()));
await tel.pressSequentially(`+33${fresh().slice(1)}`);
await page.locator('smsotp-verify').getByRole('button').first().click();
await page.waitForFunction(() => document.querySelector('smsotp-verify').state === 'error');
await look('9-error');
await page.evaluate(() => (document.getElementById('fs').disabled = true));
console.log('disabled fieldset: tel disabled?', await tel.isDisabled());
await browser.close();
