// Scratch driver (not a test): opens the scratch page in headless Chromium, walks the flow,
// takes screenshots into /tmp/smsotp-widget-shots. Usage: node drive.mjs [page URL] [scheme]
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const base = process.argv[2] ?? 'http://127.0.0.1:8600/';
const scheme = process.argv[3] ?? 'light';
const out = '/tmp/smsotp-widget-shots';
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ colorScheme: scheme, viewport: { width: 520, height: 640 } });
page.on('console', (m) => console.log('console:', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
const requests = [];
page.on('request', (r) => r.url().includes('/v1/') && requests.push(`${r.method()} ${new URL(r.url()).pathname} ${r.postData() ?? ''}`));
const shot = (n) => page.screenshot({ path: `${out}/${scheme}-${n}.png`, fullPage: true });
await page.goto(base + (process.argv[4] ?? ''));
await page.getByRole('textbox', { name: 'Phone number' }).waitFor();
await page.waitForFunction(() => document.querySelector('smsotp-verify').shadowRoot.querySelector('[data-a=send]').disabled === false);
await shot('1-phone');
const tel = page.getByRole('textbox', { name: 'Phone number' });
await tel.click();
await page.evaluate(() => navigator.clipboard?.writeText?.('x').catch(() => {}));
await tel.fill('');
await tel.pressSequentially('+44 7400 123456');
console.log('tel value', await tel.inputValue(), 'country', await page.getByRole('combobox', { name: 'Country' }).inputValue());
await shot('2-typed');
await page.getByRole('button', { name: 'Send code' }).click();
const code = page.getByRole('textbox', { name: 'Verification code' });
await code.waitFor();
await page.waitForTimeout(300);
console.log('focused code?', await code.evaluate((e) => document.activeElement === e));
await shot('3-code');
await code.fill('000000');
await page.waitForTimeout(500);
console.log('status after wrong:', await page.getByRole('status').textContent());
await shot('4-wrong');
const pins = await (await fetch(new URL('/pins', base))).text();
const otpId = await page.evaluate(() => document.querySelector('smsotp-verify').otpId);
const line = pins.split('\n').filter((l) => l.includes(otpId)).pop();
const pin = line.match(/"text":"[^"]*?(\d{4,10})[^"\d]*"/)[1];
console.log('pin', pin);
await code.fill(`Your code is ${pin}`);
await page.waitForTimeout(800);
console.log('state', await page.evaluate(() => document.querySelector('smsotp-verify').state), 'value', (await page.evaluate(() => document.querySelector('smsotp-verify').value)).slice(0, 20));
console.log('form data', await page.evaluate(() => [...new FormData(document.getElementById('f'))].map(([k, v]) => `${k}=${String(v).slice(0, 12)}`)));
await shot('5-verified');
console.log(requests.join('\n'));
console.log(await page.locator('#log').textContent());
await browser.close();
