// `npm run bench` (widget part): `<smsotp-verify>` on a throttled connection — Chrome's
// "Fast 3G" profile (Puppeteer's PredefinedNetworkConditions: 1.6 Mbit/s down × 0.9,
// 750 kbit/s up × 0.9, 562.5 ms latency), empty cache — in headless Chromium against the
// built worker on workerd (the widget test harness, tests/widget/support.mjs). When, after
// navigation starts, the element is painted, the country list and the number field accept
// input, the phone wasm has arrived, and a number typed at the first moment is formatted.
// A measurement, not a test: figures vary with the machine; compare within one run.
// Usage: node crates/web/bench/fast3g.mjs [runs]   (after npm run build, the worker built)
import { startApi, startPages, launchChromium } from '../../../tests/widget/support.mjs';

const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1000 * 1000 / 8) * 0.9, uploadThroughput: (750 * 1000 / 8) * 0.9 };
const runs = Number(process.argv[2]) || 3;

/** In the page: resolves with performance.now() at the first animation frame where `test()` holds. */
const when = (page, test) => page.evaluate(`new Promise((resolve) => {
  const step = () => ((${test})() ? resolve(performance.now()) : requestAnimationFrame(step));
  step();
})`);

const api = await startApi();
const pages = await startPages(api);
const browser = await launchChromium();
const rows = [];
try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', FAST_3G);
    await page.goto(pages.page('form'), { waitUntil: 'commit' });
    const tel = "document.querySelector('smsotp-verify input[type=\"tel\"]')";
    const combo = "document.querySelector('smsotp-verify [role=\"combobox\"]')";
    const painted = await when(page, `() => ${tel}?.checkVisibility()`);
    const usable = await when(page, `() => ${combo}?.value && !${tel}.disabled && document.querySelector('smsotp-verify').state === 'phone'`);
    // Typed at the first moment it is accepted: kept as typed, formatted once the wasm is in.
    await page.locator('smsotp-verify input[type="tel"]').pressSequentially('2015550123');
    const formatted = await when(page, `() => ${tel}.value === '(201) 555-0123'`);
    const wasm = await page.evaluate(() => performance.getEntriesByType('resource').find((e) => e.name.endsWith('smsotp_phone_bg.wasm'))?.responseEnd);
    const region = await page.evaluate(() => performance.getEntriesByType('resource').find((e) => /phone-data\/US\.txt/.test(e.name))?.responseEnd);
    rows.push({ painted, usable, region, wasm, formatted });
    await context.close();
  }
} finally {
  await browser.close();
  await pages.close();
  await api.dispose();
}
const median = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
console.log(`\n== <smsotp-verify> on "Fast 3G" (Chromium, empty cache), ms after navigation start, median of ${runs}`);
console.table([
  { milestone: 'painted (phone field visible)', ms: median('painted').toFixed(0) },
  { milestone: 'usable: country list and number field accept input', ms: median('usable').toFixed(0) },
  { milestone: "default country's metadata (US.txt) arrived", ms: median('region').toFixed(0) },
  { milestone: 'phone wasm arrived', ms: median('wasm').toFixed(0) },
  { milestone: 'a number typed when usable is formatted', ms: median('formatted').toFixed(0) },
]);
console.log(`usable ${(median('wasm') - median('usable')).toFixed(0)} ms before the wasm arrived`);
