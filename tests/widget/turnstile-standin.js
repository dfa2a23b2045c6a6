// A local stand-in for Cloudflare Turnstile's api.js (these machines are offline): the same
// global API — `turnstile.render(container, { sitekey, callback, 'error-callback',
// 'expired-callback', … })` → a widget id, `reset`, `remove`, `getResponse`, `isExpired`,
// `execute`, `ready` — and the same loading contract (`?onload=<global function>`, implicit
// rendering of `.cf-turnstile` elements unless `?render=explicit`). Instead of a challenge it
// draws a small box and hands the callback Cloudflare's dummy token for test site keys,
// `XXXX.DUMMY.TOKEN.XXXX`. It records what it was asked in `window.__turnstileStandin`.
(() => {
  const TOKEN = 'XXXX.DUMMY.TOKEN.XXXX';
  const script = document.currentScript;
  const params = new URL(script?.src ?? location.href).searchParams;
  const log = (window.__turnstileStandin = { renders: [], resets: 0, removes: 0, loadedWith: script?.src ?? null });
  const widgets = new Map();
  let next = 0;

  const resolve = (container) => (typeof container === 'string' ? document.querySelector(container) : container);
  function solve(id) {
    const w = widgets.get(id);
    if (!w) return;
    // Asynchronous, like the real challenge.
    setTimeout(() => {
      if (!widgets.has(id)) return;
      w.response = TOKEN;
      w.box.textContent = 'Success! (Turnstile stand-in)';
      if (typeof w.params.callback === 'function') w.params.callback(TOKEN);
      else if (typeof window[w.params.callback] === 'function') window[w.params.callback](TOKEN);
    }, 30);
  }

  const turnstile = {
    render(container, renderParams = {}) {
      const el = resolve(container);
      if (!el) throw new Error('[Turnstile stand-in] render: container not found');
      if (!renderParams.sitekey) throw new Error('[Turnstile stand-in] render: sitekey required');
      const id = `cf-standin-${next++}`;
      const box = document.createElement('div');
      box.id = id;
      box.setAttribute('role', 'group');
      box.setAttribute('aria-label', 'Security check');
      box.style.cssText = 'display:inline-block;min-width:280px;padding:12px;border:1px solid #767676;border-radius:4px;font:14px system-ui,sans-serif;background:#fafafa;color:#222';
      box.textContent = 'Verifying… (Turnstile stand-in)';
      el.appendChild(box);
      log.renders.push({ sitekey: renderParams.sitekey, action: renderParams.action ?? null, theme: renderParams.theme ?? null, language: renderParams.language ?? null, inShadowRoot: el.getRootNode() instanceof ShadowRoot });
      widgets.set(id, { params: renderParams, box, response: undefined });
      solve(id);
      return id;
    },
    reset(id) {
      log.resets++;
      const ids = id === undefined ? [...widgets.keys()] : [id];
      for (const i of ids) {
        const w = widgets.get(i);
        if (!w) continue;
        w.response = undefined;
        w.box.textContent = 'Verifying… (Turnstile stand-in)';
        solve(i);
      }
    },
    remove(id) {
      log.removes++;
      const ids = id === undefined ? [...widgets.keys()] : [id];
      for (const i of ids) {
        widgets.get(i)?.box.remove();
        widgets.delete(i);
      }
    },
    getResponse(id) {
      return widgets.get(id ?? [...widgets.keys()][0])?.response;
    },
    isExpired() {
      return false;
    },
    execute(container, renderParams) {
      return turnstile.render(container, renderParams);
    },
    ready(callback) {
      callback();
    },
  };
  window.turnstile = turnstile;

  if (params.get('render') !== 'explicit') {
    for (const el of document.querySelectorAll('.cf-turnstile')) {
      turnstile.render(el, { sitekey: el.dataset.sitekey, callback: el.dataset.callback, action: el.dataset.action });
    }
  }
  const onload = params.get('onload');
  if (onload && typeof window[onload] === 'function') setTimeout(() => window[onload](), 0);
})();
