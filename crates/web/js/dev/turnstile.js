// A stand-in for Cloudflare Turnstile's api.js (scratch page only): renders a box and hands
// out a token at once, and a new one after each reset.
let n = 0;
const widgets = new Map();
window.turnstile = {
  render(el, opts) {
    const id = `w${++n}`;
    el.textContent = 'Turnstile stand-in';
    widgets.set(id, opts);
    setTimeout(() => opts.callback(`token-${id}-${Date.now()}`), 0);
    return id;
  },
  reset(id) {
    const opts = widgets.get(id);
    setTimeout(() => opts?.callback(`token-${id}-${Date.now()}`), 0);
  },
};
