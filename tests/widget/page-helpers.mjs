// Driving <smsotp-verify> in Playwright as a person would: controls found by role and
// accessible name (the contract's English names), states read from the element, and what
// assistive technology gets (the browser's own accessibility tree, through CDP).
import assert from 'node:assert/strict';

/** The widget's controls, by role and exact accessible name (English). */
export function controls(page) {
  const role = (r, name) => page.getByRole(r, { name, exact: true });
  return {
    host: page.locator('smsotp-verify'),
    country: role('combobox', 'Country'),
    countries: role('listbox', 'Countries'),
    phone: role('textbox', 'Phone number'),
    send: role('button', 'Send code'),
    code: role('textbox', 'Verification code'),
    resend: role('button', 'Resend code'),
    back: role('button', 'Change number'),
    newCode: role('button', 'Send a new code'),
    retry: role('button', 'Try again'),
  };
}

/** The element's `state` property. */
export const stateOf = (page) => page.evaluate(() => document.querySelector('smsotp-verify')?.state);

/** Every text the page's live regions hold now (role status/alert/log or aria-live), shadow roots included. */
export function liveTexts(page) {
  return page.evaluate(() => {
    const out = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        const live = el.getAttribute('aria-live');
        const role = el.getAttribute('role');
        if ((live && live !== 'off') || ['status', 'alert', 'log'].includes(role)) {
          const text = el.textContent.trim();
          if (text) out.push(text);
        }
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return out;
  });
}

/**
 * Waits until the element's state is `state` (one of several when given a list); on timeout
 * the error says which state it was in and what its live regions said.
 */
export async function waitState(page, state, timeout = 15_000) {
  const wanted = [state].flat();
  try {
    await page.waitForFunction((w) => w.includes(document.querySelector('smsotp-verify')?.state), wanted, { timeout, polling: 50 });
  } catch (e) {
    const now = await stateOf(page).catch(() => '?');
    const said = await liveTexts(page).catch(() => []);
    throw new Error(`widget state ${JSON.stringify(now)}, wanted ${wanted.join(' or ')} (live regions: ${JSON.stringify(said)}): ${e.message.split('\n')[0]}`);
  }
  return stateOf(page);
}

/** Whether the element matches `:state(name)` (the CustomStateSet pages style with). */
export const matchesState = (page, name) => page.evaluate((n) => document.querySelector('smsotp-verify').matches(`:state(${n})`), name);

/** Asserts the element's state property and `:state()` agree on `name`. */
export async function assertState(page, name) {
  assert.equal(await stateOf(page), name);
  assert.ok(await matchesState(page, name), `:state(${name}) matches`);
}

/**
 * The browser's accessibility-tree node of `locator` (Chromium, CDP): `{ role, name,
 * description }` as a screen reader gets them — so a description reaches the input only if
 * `aria-describedby` really resolves (ids do not cross shadow roots).
 */
export async function accessibleOf(locator) {
  const page = locator.page();
  const probe = `p${Math.random().toString(36).slice(2)}`;
  await locator.evaluate((el, p) => el.setAttribute('data-ax-probe', p), probe);
  const cdp = await page.context().newCDPSession(page);
  try {
    const { result } = await cdp.send('Runtime.evaluate', {
      expression: `(() => { const find = (root) => { const hit = root.querySelector('[data-ax-probe="${probe}"]'); if (hit) return hit; for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) { const h = find(el.shadowRoot); if (h) return h; } } return null; }; return find(document); })()`,
    });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { objectId: result.objectId, fetchRelatives: false });
    const node = nodes[0];
    return { role: node.role?.value, name: node.name?.value ?? '', description: node.description?.value ?? '' };
  } finally {
    await cdp.detach();
    await locator.evaluate((el) => el.removeAttribute('data-ax-probe')).catch(() => {});
  }
}

/** Whether `locator`'s element has focus (through shadow roots). */
export const isFocused = (locator) =>
  locator.evaluate((el) => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a === el;
  });

/** The events the page recorded (`window.__events`), of `type` when given. */
export const events = async (page, type) => (await page.evaluate(() => window.__events)).filter((e) => !type || e.type === type);

/** Waits for the `n`th (1-based) event of `type`; returns its record. */
export async function nthEvent(page, type, n = 1) {
  await page.waitForFunction(([t, k]) => window.__events.filter((e) => e.type === t).length >= k, [type, n], { timeout: 15_000, polling: 50 });
  return (await events(page, type))[n - 1];
}

/** The `k`th (1, 2, …) wrong code of the same length as `pin`. */
export const wrongPin = (pin, k = 1) => String((Number(pin) + k) % 10 ** pin.length).padStart(pin.length, '0');

/** `pin` in Arabic-Indic digits (U+0660…) or Extended Arabic-Indic (Persian, U+06F0…). */
export const arabicIndic = (pin, base = 0x0660) => [...pin].map((d) => String.fromCharCode(base + Number(d))).join('');
