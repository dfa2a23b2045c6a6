// Scratch checks (not a test): Turnstile (config rewritten to carry a site key, a local
// stand-in script), WebOTP stubbed, and each way a code arrives making one check request.
import { chromium } from 'playwright-core';

const base = 'http://127.0.0.1:8600/';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const fresh = () => `+33612${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
const pinOf = async (otpId) => {
  const pins = await (await fetch(new URL('/pins', base))).text();
  return pins.split('\n').filter((l) => l.includes(otpId)).pop().match(/"text":"[^"]*?(\d{4,10})[^"\d]*"/)[1];
};

async function flow(name, arrive, { turnstile = false, webotp = false } = {}) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  const bodies = [];
  let checks = 0;
  page.on('request', (r) => {
    if (/\/v1\/browser\/otp\/[^/]+$/.test(r.url())) checks++;
    if (r.method() === 'POST' && /\/v1\/browser\/otp(\/[^/]+\/resend)?$/.test(r.url())) bodies.push(r.postData());
  });
  if (turnstile) {
    await page.route('**/v1/browser/config', async (route) => {
      const res = await route.fetch();
      const json = await res.json();
      await route.fulfill({ response: res, json: { ...json, turnstileSiteKey: '1x00000000000000000000AA' } });
    });
  }
  if (webotp) {
    await page.addInitScript(() => {
      window.OTPCredential = function OTPCredential() {};
      window.__aborted = 0;
      navigator.credentials.get = (opts) =>
        new Promise((resolve, reject) => {
          window.__otp = (code) => resolve({ type: 'otp', code });
          opts.signal?.addEventListener('abort', () => {
            window.__aborted++;
            reject(new DOMException('aborted', 'AbortError'));
          });
        });
    });
  }
  await page.goto(`${base}?${turnstile ? 'turnstile-script=/turnstile.js' : ''}`);
  await page.waitForFunction(() => document.querySelector('smsotp-verify')?.shadowRoot?.querySelector('[data-a=send]')?.disabled === false);
  const tel = page.getByRole('textbox', { name: 'Phone number' });
  await tel.fill(fresh());
  console.log(`[${name}] tel after fill:`, await tel.inputValue(), '| country:', await page.getByRole('combobox', { name: 'Country' }).inputValue());
  if (turnstile) await page.waitForTimeout(100);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.waitForFunction(() => document.querySelector('smsotp-verify').state !== 'sending');
  const w = page.locator('smsotp-verify');
  const otpId = await w.evaluate((e) => e.otpId);
  const pin = await pinOf(otpId);
  const code = page.getByRole('textbox', { name: 'Verification code' });
  await arrive(page, code, pin);
  await page.waitForFunction(() => !['code', 'checking'].includes(document.querySelector('smsotp-verify').state), null, { timeout: 5000 }).catch(() => {});
  await page.waitForTimeout(300);
  console.log(`[${name}] state=${await w.evaluate((e) => e.state)} checks=${checks} bodies=${bodies.join(' ')}`, webotp ? `aborted=${await page.evaluate(() => window.__aborted)}` : '');
  await page.close();
}

await flow('typed', (p, code, pin) => code.pressSequentially(pin, { delay: 30 }));
await flow('typed with spaces', (p, code, pin) => code.pressSequentially(`${pin.slice(0, 3)} ${pin.slice(3)}`, { delay: 30 }));
await flow('insertText "Your code is"', async (p, code, pin) => {
  await code.focus();
  await p.keyboard.insertText(`Your code is ${pin}`);
});
await flow('fill (autofill-like) arabic-indic', (p, code, pin) => code.fill([...pin].map((d) => String.fromCharCode(0x660 + Number(d))).join('')));
await flow('script value + input + change', (p, code, pin) =>
  code.evaluate((e, v) => {
    e.value = v;
    e.dispatchEvent(new Event('input', { bubbles: true }));
    e.dispatchEvent(new Event('change', { bubbles: true }));
    e.dispatchEvent(new Event('input', { bubbles: true }));
  }, pin));
await flow('webotp', (p, code, pin) => p.evaluate((v) => window.__otp(v), pin), { webotp: true });
await flow('turnstile', (p, code, pin) => code.fill(pin), { turnstile: true });
await flow('resend, then the new code', async (p, code, pin) => {
  const otpId = await p.locator('smsotp-verify').evaluate((e) => e.otpId);
  await p.getByRole('button', { name: 'Resend code' }).click();
  let fresh = pin;
  for (let i = 0; i < 50 && fresh === pin; i++) {
    await p.waitForTimeout(100);
    fresh = await pinOf(otpId);
  }
  console.log('  status:', await p.getByRole('status').textContent(), '| focused code?', await code.evaluate((e) => document.activeElement === e));
  await code.fill(fresh);
});
await flow('webotp aborted by Change number', async (p) => {
  await p.getByRole('button', { name: 'Change number' }).click();
  console.log('  aborted:', await p.evaluate(() => window.__aborted), '| state:', await p.locator('smsotp-verify').evaluate((e) => e.state));
}, { webotp: true });
await browser.close();
