// The demo pages (www/, served by the worker at /demo/ through its ASSETS binding, built by
// scripts/build-demo.sh): served in development only, the dev inbox likewise; the sign-up
// page end to end as a visitor uses it (the PIN read from the page's own dev-inbox panel);
// the template playground (UCS-2 text, a validation error code). Screenshots of both pages.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startApi, launchChromium, backendCheck, freshUkNumber, shot, assertAccessible, ASSETS, PK } from './support.mjs';
import { controls, waitState } from './page-helpers.mjs';

let dev;
let browser;
before(async () => {
  assert.ok(existsSync(join(ASSETS, 'demo/index.html')), `${ASSETS}/demo (bash scripts/build-demo.sh)`);
  dev = await startApi();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await dev?.dispose();
});

describe('development only', () => {
  test('/demo/ and /dev/inbox answer in development; 404 with ENVIRONMENT=production', async () => {
    const page = await dev.fetch('/demo/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(await page.text(), /<smsotp-verify/);
    const widget = await dev.fetch('/demo/pkg/widget.js');
    assert.equal(widget.status, 200);
    assert.match(widget.headers.get('content-type'), /javascript/);
    await widget.text();
    const inbox = await dev.fetch('/dev/inbox');
    assert.equal(inbox.status, 200);
    assert.ok(Array.isArray((await inbox.json()).messages));

    const prod = await startApi({ ENVIRONMENT: 'production', SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms' });
    try {
      for (const path of ['/demo/', '/demo/index.html', '/demo/templates/', '/demo/pkg/widget.js', '/dev/inbox']) {
        const r = await prod.fetch(path);
        assert.equal(r.status, 404, `${path} in production`);
        const body = await r.text();
        assert.ok(!body.includes('<smsotp-verify'), `${path}: no demo content`);
      }
      const del = await prod.fetch('/dev/inbox', { method: 'DELETE' });
      assert.equal(del.status, 404);
      await del.text();
    } finally {
      await prod.dispose();
    }
  });
});

describe('same origin', () => {
  test('the browser API from a page on its own origin: a GET without Origin counts as that origin only when Sec-Fetch-Site says same-origin', async () => {
    const config = (headers) => dev.fetch('/v1/browser/config', { headers: { Authorization: `Bearer ${PK.acme}`, ...headers } });
    const same = await config({ 'Sec-Fetch-Site': 'same-origin' });
    assert.equal(same.status, 200, await same.clone().text());
    assert.equal((await same.json()).tenant, 'acme');
    for (const site of [undefined, 'cross-site', 'same-site', 'none']) {
      const r = await config(site ? { 'Sec-Fetch-Site': site } : {});
      assert.deepEqual([r.status, (await r.json()).error?.code], [403, 2124], `Sec-Fetch-Site: ${site}`);
    }
  });
});

describe('the sign-up page', () => {
  test('a visitor signs up: number, the SMS in the dev inbox panel, its code typed → verified, the token decoded and its signature valid, the form sent', async () => {
    for (const scheme of ['light', 'dark']) {
      const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1200, height: 1000 } });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const problems = [];
      page.on('pageerror', (e) => problems.push(e.message));
      try {
        await page.goto(`${dev.url}/demo/`);
        const w = controls(page);
        await waitState(page, 'phone');
        await page.waitForFunction(() => document.querySelector('smsotp-verify [role="combobox"]')?.value);
        // The example number appears once the country's metadata has loaded (lazily): on a
        // loaded machine that can come after the country does.
        await page.waitForFunction(() => document.querySelector('smsotp-verify input[type="tel"]')?.placeholder);
        // The dev inbox's SMS (number, time, PIN: new each run) are left out of the comparison.
        const inboxSms = page.getByRole('region', { name: /Dev inbox/ }).getByRole('listitem');
        if (scheme === 'light') await shot(page, 'demo-light', { readme: 'demo-light', mask: [inboxSms] });
        await assertAccessible(page, `demo, ${scheme}, phone step`);
        if (scheme === 'dark') {
          await shot(page, 'demo-dark', { readme: 'demo-dark', mask: [inboxSms] });
          continue;
        }

        await page.getByLabel('Full name').fill('Ada Lovelace');
        await page.getByLabel('Email').fill('ada@example.com');
        await page.getByLabel('Password').fill('correct horse battery');
        const number = freshUkNumber();
        await w.phone.fill(number);
        await w.send.click();
        await waitState(page, 'code');

        // The dev inbox panel shows the SMS (it polls): the code is read from the page.
        const inbox = page.getByRole('region', { name: /Dev inbox/ });
        const sms = inbox.getByRole('listitem').filter({ hasText: number }).first();
        await sms.waitFor();
        const pin = (await sms.textContent()).match(/(\d{6})\D*$/)?.[1];
        assert.ok(pin, await sms.textContent());
        await w.code.pressSequentially(pin);
        await waitState(page, 'verified');

        const tokenPanel = page.getByRole('region', { name: /Verification token/ });
        await tokenPanel.getByText(/Signature valid/).waitFor();
        assert.match(await tokenPanel.textContent(), new RegExp(number.replace('+', '\\+')));
        const token = await page.evaluate(() => new FormData(document.getElementById('signup')).get('phoneToken'));
        assert.equal((await backendCheck(dev, token)).sub, number);

        await page.getByLabel(/I accept the terms/).check();
        await page.getByRole('button', { name: 'Create account' }).click();
        await page.locator('#created').waitFor();
        await shot(page, 'demo-verified-light');
        await assertAccessible(page, 'demo, verified');
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    }
  });
});

describe('the template playground', () => {
  test('a Cyrillic template is UCS-2; a template without {{pin}} shows error 2006', async () => {
    for (const scheme of ['light', 'dark']) {
      const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1200, height: 1100 } });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      try {
        await page.goto(`${dev.url}/demo/templates/`);
        await page.getByText('Loading the WebAssembly core…').waitFor({ state: 'hidden' });
        const template = page.getByLabel(/Default template/);
        await template.fill('Ваш код за Acme: {{pin}}');
        const results = page.locator('#results');
        await results.getByText(/UCS-2/).first().waitFor();
        // The SMS bubbles carry a random sample PIN: left out of the comparison.
        await shot(page, `templates-${scheme}`, { readme: `templates-${scheme}`, mask: [page.locator('#results p.sms')] });
        await assertAccessible(page, `templates, ${scheme}`);
        if (scheme === 'dark') continue;

        await template.fill('Your Acme code, without the placeholder');
        const validation = page.getByRole('region', { name: /Validation/ });
        await validation.getByText(/2006/).first().waitFor();
        await shot(page, 'templates-error-light');
      } finally {
        await context.close();
      }
    }
  });
});
