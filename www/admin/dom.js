// Small DOM helpers for the dashboard: elements from a tag, properties and children (text
// is always set as text, never parsed as HTML), tables with a header row, numbers in the
// page's locale. No `innerHTML` and no `style` attribute anywhere: the page's CSP allows
// neither inline styles nor anything but its own scripts.

/** `el('td', { className: 'num' }, '12')`: properties are set as properties, `data-*` and `aria-*` as attributes. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'scope' || k === 'colspan') node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

/** Replaces `target`'s children. */
export const fill = (target, ...children) => target.replaceChildren(...children.flat());

/**
 * A table: `columns` are `{ label, num?: true }` (numeric columns align to the end);
 * `rows` are arrays of cells (text, a node, or `{ text, th: true }` for a row header).
 * `caption` names it for assistive technology.
 */
export function table(caption, columns, rows) {
  return el('table', {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', className: c.num ? 'num' : '' }, c.label)))),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((cell, i) => {
      const cls = columns[i]?.num ? 'num' : '';
      if (cell && typeof cell === 'object' && 'th' in cell) return el('th', { scope: 'row', className: cls }, cell.text);
      return el('td', { className: cls }, cell);
    })))),
  );
}

/** A paragraph saying there is nothing to show. */
export const empty = (text) => el('p', { className: 'empty' }, text);

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });
const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4, minimumFractionDigits: 2 });

/** `1,234` */
export const int = (n) => integer.format(n);
/** `7.5`: a number with up to 3 decimals, as the API gives the guard's ratios and counts (exact thousandths). */
export const dec = (n) => decimal.format(n);
/** `75.0 %`, or `—` when there is no rate (no OTP). */
export const pct = (n) => (n === null || n === undefined ? '—' : `${percent.format(n)} %`);
/** A cost in the deployment's unit (`PRICE_PER_PART` has none): `0.105`. */
export const cost = (n) => money.format(n);
