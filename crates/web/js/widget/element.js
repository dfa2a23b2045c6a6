// `<smsotp-verify>` itself: the custom element class, its DOM and its event handlers. It walks
// a person through phone verification with the smsotp browser API: phone step (country list,
// number formatted as typed by `smsotp/phone`'s wasm), code step (one input, a complete code
// checked exactly once), verified (the form value is the signed token the site's backend
// checks). What it decides is elsewhere, as data or pure functions with their own unit tests:
// where an event leads (states.js), what an API error means (outcomes.js), the words
// (messages/), the code in what was typed (code.js), the country search (country-search.js),
// the caret (caret.js), the channels and deliveries (channels.js); the CSS is in styles.js,
// the loading in load.js.
//
// The inputs, their labels, hints and the live region are in the light DOM (ARIA references
// cannot cross a shadow root, and password managers / SMS autofill look there); the layout,
// the buttons, the code boxes and the preview are in a shadow root, styled with `::part()`.
// The wasm is loaded the first time an element is connected, never at import.
//
// Private fields and methods have readable names: esbuild renames `#private` names when it
// minifies (assemble.mjs), so they cost the shipped widget.js nothing.

// The order of these imports is the order of the modules in the bundled widget.js, chosen
// for its gzipped size: widget.js is ~38 KB and gzip's matches reach back 32 KB at most, so
// the messages are best first and the client next to the element. Measured: 100 bytes less
// gzipped than alphabetical order.
import { clockText, message, messageLanguage } from './messages/index.js';
import { nextState } from './states.js';
import { asciiDigits, sanitizeCode } from './code.js';
import { caretAfterFormatting } from './caret.js';
import { countryLabel, matchesCountry, searchKeys, searchQuery } from './country-search.js';
import { TURNSTILE_SCRIPT, configOf, loadFull, loadPhone, loadPhoneData, withTurnstile } from './load.js';
import { lightStyles, shadowStyles } from './styles.js';
import * as ErrorCode from './error-codes.js';
import { outcomeOf, outcomeVars } from './outcomes.js';
import { CHANNEL_BUTTONS, channelsOf, deliveryFinal, nextDeliveryCheck, notDelivered, otherChannels, sentKey } from './channels.js';
import { BrowserClient } from '../otp-client.js';

export const TAG = 'smsotp-verify';

/** The states of the code step (its input shows, its timers run). */
const CODE_STEP = ['code', 'checking'];
/**
 * The buttons, in their order on the page: their `data-a` (also the key of their label in
 * messages/en.js) and their `part` (`::part(primary)` is the step's main action). The
 * `via…` buttons (channels.js, CHANNEL_BUTTONS) resend through another channel.
 */
const BUTTONS = { send: 'button primary', newCode: 'button primary', retry: 'button primary', resend: 'button', viaVoice: 'button', viaWhatsapp: 'button', viaSms: 'button', change: 'button secondary' };
/**
 * The states each button shows in ("Change number" also in the error state of a code step);
 * the `via…` buttons show with "Resend code" once a resend is allowed (#sync).
 */
const BUTTON_STATES = { send: ['phone', 'sending'], resend: CODE_STEP, change: ['code', 'checking', 'locked', 'expired'], newCode: ['expired'], retry: ['error'] };

let ids = 0;
const Base = globalThis.HTMLElement ?? class {};

/** `<smsotp-verify>`: see the package README ("Widget"). */
export class SmsotpVerify extends Base {
  static formAssociated = true;
  static observedAttributes = ['lang', 'country', 'preview', 'api', 'publishable-key'];

  #internals = this.attachInternals?.();
  /** The shadow root, once built (the first time the element is connected). */
  #shadow;
  #id = `smsotp-${++ids}`;
  // The elements the widget updates, found once by #build. In the shadow root: the
  // container (its `data-s` is the state, which the CSS shows steps by), the verified
  // number, the code boxes, the preview, and the buttons by their `data-a` (BUTTONS).
  // In the light DOM: the labelled inputs, their hints, the Turnstile box, the live region.
  #buttons = {};
  #container;
  #summary;
  #boxes;
  #preview;
  #countryLabel;
  #countryInput;
  #countryList;
  #phoneLabel;
  #phoneInput;
  #phoneHint;
  #codeLabel;
  #codeInput;
  #codeHint;
  #expiry;
  #countdown;
  #turnstileBox;
  #status;
  #state = 'phone';
  #ready = false;
  #client;
  #config;
  /** The loaded wasm entry (`smsotp/phone`, or `smsotp` with a preview). */
  #wasm;
  /** The wasm entry's load (the phone functions), while `#wasm` is not there yet. */
  #wasmLoad;
  #regions = [];
  /** The regions by ISO code, with their folded names (`search`), for the list's filter. */
  #byIso = new Map();
  #country = '';
  #activeOption = -1;
  #otp = null;
  #e164 = '';
  #token = '';
  /** The codes already checked (`otpId\ncode`): the same code is never sent twice. */
  #triedCodes = new Set();
  /** The server's clock minus the page's, in ms (from a start's `expiresAt`). */
  #clockSkew = 0;
  #expiresAt = 0;
  #resendAt = 0;
  #timer = 0;
  #webOtp = null;
  /** The step an error interrupted, where "Try again" returns: `phone`, `code`, `expired` or `init`. */
  #interrupted = 'phone';
  #turnstileWidget = null;
  #turnstileToken = '';
  #disabled = false;
  #resending = false;
  /** The channel of the latest message (`sms`, `voice`, `whatsapp`). */
  #channel = 'sms';
  /** When the latest message went, on the page's clock (its delivery checks count from it). */
  #sentAt = 0;
  #deliveryTimer = 0;
  /** The latest message's delivery is known (delivered or not), or no longer matters. */
  #deliveryKnown = false;
  #lastDeliveryCheck = 0;
  /** The latest message's delivery status when it did not arrive (`failed`, …), else `''`. */
  #undelivered = '';
  /** The page visible again: the delivery asked at once, unless asked (or sent) within 10 s. */
  #onVisible = () => !document.hidden && Date.now() - Math.max(this.#lastDeliveryCheck, this.#sentAt) >= 10_000 && this.#checkDelivery();
  /** The code being checked, kept in the read-only input while its check runs. */
  #checkingCode = '';
  #loadGeneration = 0;
  /** Bumped by "Change number" and reset(): an answer to an earlier request is then ignored. */
  #flow = 0;

  /** The verification token once verified, else `''` (also the form value). */
  get value() {
    return this.#token;
  }
  /** The current state: `phone`, `sending`, `code`, `checking`, `verified`, `error`, `locked` or `expired`. */
  get state() {
    return this.#state;
  }
  /** The E.164 number the code was sent to, else `''`. */
  get phoneNumber() {
    return this.#e164;
  }
  /** The pending OTP's id once a code was sent, else `''`. */
  get otpId() {
    return this.#otp?.otpId ?? '';
  }
  get form() {
    return this.#internals?.form ?? null;
  }
  get name() {
    return this.getAttribute('name');
  }
  get validity() {
    return this.#internals?.validity;
  }
  get validationMessage() {
    return this.#internals?.validationMessage ?? '';
  }
  get willValidate() {
    return this.#internals?.willValidate ?? false;
  }
  checkValidity() {
    return this.#internals?.checkValidity() ?? !!this.#token;
  }
  reportValidity() {
    return this.#internals?.reportValidity() ?? !!this.#token;
  }

  connectedCallback() {
    if (!this.#shadow) this.#build();
    document.addEventListener('visibilitychange', this.#onVisible);
    if (!this.#ready) this.#init();
    else if (this.#state === 'code') {
      this.#tick();
      this.#startWebOtp();
      this.#watchDelivery();
    }
  }

  disconnectedCallback() {
    document.removeEventListener('visibilitychange', this.#onVisible);
    this.#stopWebOtp();
    clearInterval(this.#timer);
    this.#timer = 0;
    clearTimeout(this.#deliveryTimer);
  }

  attributeChangedCallback(name, old, value) {
    if (!this.#shadow || old === value) return;
    if (name === 'lang') this.#texts();
    else if (name === 'country' && this.#ready && value) this.#pick(value.toUpperCase(), false);
    else if (name === 'preview') this.#showPreview();
    else if (!this.#ready) this.#init();
  }

  formDisabledCallback(disabled) {
    this.#disabled = disabled;
    this.#sync();
  }

  formResetCallback() {
    this.reset();
  }

  /** Back to an empty phone step; forgets the token and the pending code. */
  reset() {
    if (!this.#shadow) return;
    this.#abandon();
    this.#phoneInput.value = '';
    this.#phoneInput.removeAttribute('aria-invalid');
    this.#setToken('');
    if (this.#ready) this.#pick(this.#defaultCountry(), false);
    this.#dispatch('reset');
  }

  // ---- building -------------------------------------------------------------------------

  #build() {
    const id = this.#id;
    const root = (this.#shadow = this.attachShadow({ mode: 'open' }));
    root.innerHTML = `<style>${shadowStyles}</style><div part="container" data-s="phone">
<div class="s p"><slot name="country"></slot><slot name="tel"></slot><div part="preview" hidden></div></div>
<div class="s k"><slot name="code-label"></slot><div class="w"><div part="boxes" aria-hidden="true"></div><slot name="code"></slot></div><slot name="code-hint"></slot></div>
<p class="s v" part="summary" dir="ltr"></p><slot name="turnstile"></slot><div part="message"><slot name="status"></slot></div>
<div class="a2">${Object.entries(BUTTONS).map(([a, part]) => `<button type="button" part="${part}" data-a="${a}"></button>`).join('')}</div></div>`;
    const inShadow = (s) => root.querySelector(s);
    this.#container = inShadow('[part~=container]');
    this.#summary = inShadow('[part~=summary]');
    this.#boxes = inShadow('[part~=boxes]');
    this.#preview = inShadow('[part~=preview]');
    for (const a in BUTTONS) this.#buttons[a] = inShadow(`[data-a=${a}]`);
    const light = document.createElement('div');
    light.innerHTML = `<style>${lightStyles(TAG)}</style>
<div slot="country" class="smsotp-field"><label class="smsotp-label" for="${id}-c"></label><input id="${id}-c" class="smsotp-input" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="${id}-l" autocomplete="off" spellcheck="false" dir="auto"><ul id="${id}-l" class="smsotp-list" role="listbox" hidden></ul></div>
<div slot="tel" class="smsotp-field"><label class="smsotp-label" for="${id}-t"></label><input id="${id}-t" class="smsotp-input" type="tel" autocomplete="tel" dir="ltr" aria-describedby="${id}-th ${id}-s"><span id="${id}-th" class="smsotp-hint"></span></div>
<label slot="code-label" class="smsotp-label" for="${id}-k"></label>
<input slot="code" id="${id}-k" class="smsotp-code" autocomplete="one-time-code" inputmode="numeric" dir="ltr" spellcheck="false" aria-describedby="${id}-kh ${id}-kx ${id}-s">
<div slot="code-hint"><span id="${id}-kh" class="smsotp-hint"></span><span id="${id}-kx" class="smsotp-hint"></span><span class="smsotp-hint" data-countdown></span></div>
<div slot="turnstile" class="smsotp-turnstile"></div>
<p slot="status" id="${id}-s" class="smsotp-status" role="status"></p>`;
    // The template's elements in its order (after the <style>).
    const [, country, phone, codeLabel, codeInput, codeHints, turnstileBox, status] = light.children;
    [this.#countryLabel, this.#countryInput, this.#countryList] = country.children;
    [this.#phoneLabel, this.#phoneInput, this.#phoneHint] = phone.children;
    [this.#codeHint, this.#expiry, this.#countdown] = codeHints.children;
    this.#codeLabel = codeLabel;
    this.#codeInput = codeInput;
    this.#turnstileBox = turnstileBox;
    this.#status = status;
    this.append(...light.childNodes);
    this.#buttons.send.onclick = () => this.#send();
    this.#buttons.newCode.onclick = () => this.#send(true);
    this.#buttons.retry.onclick = () => (this.#ready ? this.#retry() : this.#init());
    this.#buttons.resend.onclick = () => this.#resend();
    for (const [channel, a] of Object.entries(CHANNEL_BUTTONS)) this.#buttons[a].onclick = () => this.#resend(channel);
    this.#buttons.change.onclick = () => this.#change();
    this.#phoneInput.addEventListener('input', (ev) => this.#onTel(ev));
    this.#phoneInput.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this.#send();
      }
    });
    for (const t of ['input', 'change']) this.#codeInput.addEventListener(t, () => this.#onCode());
    this.#codeInput.addEventListener('keydown', (ev) => ev.key === 'Enter' && ev.preventDefault());
    this.#codeInput.addEventListener('focus', () => this.#boxes.classList.add('f'));
    this.#codeInput.addEventListener('blur', () => this.#boxes.classList.remove('f'));
    this.#countryInput.addEventListener('input', () => this.#filter(true));
    this.#countryInput.addEventListener('keydown', (ev) => this.#comboKey(ev));
    this.#countryInput.addEventListener('click', () => (this.#countryList.hidden ? this.#filter(false) : this.#close()));
    this.#countryInput.addEventListener('blur', () => this.#close());
    this.#countryList.addEventListener('mousedown', (ev) => ev.preventDefault());
    this.#countryList.addEventListener('click', (ev) => {
      const li = ev.target.closest('li[data-c]');
      if (li) this.#pick(li.dataset.c, true);
    });
    this.#texts();
    this.#render();
  }

  /** The widget's language: `lang`, else the nearest `lang` in the page, else the browser's. */
  #lang() {
    return (this.closest('[lang]')?.lang || globalThis.navigator?.language || 'en').trim() || 'en';
  }
  /** The messages' language: the widget's when there are messages in it, else English. */
  #messageLang() {
    return messageLanguage(this.#lang());
  }
  #text(key, vars) {
    return message(this.#messageLang(), key, vars);
  }

  /** Every static text, in the current language. */
  #texts() {
    // Messages in English for a language without its own: marked so (direction, speech).
    const own = this.#messageLang() !== 'en' || this.#lang().startsWith('en');
    for (const x of [this.#container, this.#countryLabel, this.#phoneLabel, this.#phoneHint, this.#codeLabel, this.#codeHint.parentNode, this.#status]) {
      for (const [a, v] of [['lang', 'en'], ['dir', 'ltr']]) {
        if (own) x.removeAttribute(a);
        else x.setAttribute(a, v);
      }
    }
    this.#countryLabel.textContent = this.#text('country');
    this.#countryList.setAttribute('aria-label', this.#text('countries'));
    this.#phoneLabel.textContent = this.#text('phone');
    this.#phoneHint.textContent = this.#text('phoneHint');
    this.#codeLabel.textContent = this.#text('code');
    for (const a in BUTTONS) this.#buttons[a].textContent = this.#text(a);
    if (this.#ready) {
      this.#names();
      this.#showPreview();
    }
    this.#validity();
  }

  // ---- loading --------------------------------------------------------------------------

  /** Starts loading once the attributes set in the same task are all there. */
  #init() {
    const generation = ++this.#loadGeneration;
    queueMicrotask(() => generation === this.#loadGeneration && this.#load(generation));
  }

  async #load(generation) {
    const api = this.getAttribute('api') || globalThis.location?.origin;
    const key = this.getAttribute('publishable-key');
    if (!key || !api) return;
    this.#dispatch('reset');
    this.#sync();
    let wasm;
    try {
      this.#client = new BrowserClient({ api, publishableKey: key });
      // Three loads in parallel: the phone wasm (with `preview` the full entry, which has the
      // phone functions too: one wasm instead of two), the tenant's config, and the small
      // phone-data.js. The country list and the number field work once the last two are in;
      // the default region's metadata is fetched then, while the wasm still downloads, and
      // numbers are formatted once the wasm and that region are in.
      wasm = this.#wasmLoad = this.hasAttribute('preview') ? loadFull() : loadPhone();
      wasm.catch(() => {});
      const [data, config] = await Promise.all([loadPhoneData(), configOf(this.#client)]);
      if (generation !== this.#loadGeneration) return;
      this.#config = config;
      const allowed = config.allowedCountries;
      const all = data.regionList();
      this.#regions = Array.isArray(allowed) ? all.filter((r) => allowed.includes(r.countryIso)) : all;
      this.#names();
      data.fetchRegion(this.#defaultCountry()).catch(() => {});
    } catch (err) {
      if (generation !== this.#loadGeneration) return;
      // For the page's developer: a wrong key, an origin not listed for it (no CORS), …
      console.warn(`<${TAG}>: ${err.message}`);
      this.#fail(err, 'init');
      return;
    }
    this.#wasm = undefined;
    this.#ready = true;
    // What was typed in the country field meanwhile: filtered below.
    const typed = this.#countryInput.matches(':focus') && this.#countryInput.value;
    this.#pick(this.#defaultCountry(), false);
    if (this.#config.turnstileSiteKey) this.#renderTurnstile();
    this.#codeInput.inputMode = this.#config.pinType === 'numbers' || !this.#config.pinType ? 'numeric' : 'text';
    this.#drawBoxes();
    this.#dispatch('reset');
    if (typed) {
      this.#countryInput.value = typed;
      this.#filter(true);
    }
    this.#showPreview();
    try {
      wasm = await wasm;
      // The default region: already fetched by phone-data.js, now loaded into the wasm. A
      // failure only leaves numbers unformatted until a later call loads it (#phone).
      await wasm.loadCountries([this.#defaultCountry()]).catch(() => {});
    } catch (err) {
      if (generation !== this.#loadGeneration) return;
      console.warn(`<${TAG}>: ${err.message}`);
      this.#fail(err, 'init');
      return;
    }
    if (generation !== this.#loadGeneration) return;
    this.#wasm = wasm;
    const examples = new Map(wasm.countries().map((r) => [r.countryIso, r.exampleNumber]));
    for (const r of this.#regions) r.exampleNumber = examples.get(r.countryIso);
    this.#phoneInput.placeholder = this.#example();
    // A number typed while the wasm loaded: formatted now.
    if (this.#phoneInput.value) this.#onTel({});
  }

  #defaultCountry() {
    const has = (c) => c && this.#byIso.has(c);
    const region = (tag) => tag?.split('-')[1]?.toUpperCase();
    for (const c of [this.getAttribute('country')?.toUpperCase(), this.#config?.defaultCountry, region(this.#lang()), region(globalThis.navigator?.language), 'US']) if (has(c)) return c;
    return this.#regions[0]?.countryIso ?? '';
  }

  /** The country list's option names, in the widget's language, sorted by name. */
  #names() {
    const lang = this.#lang();
    const names = (l) => {
      try {
        return new Intl.DisplayNames([l, 'en'], { type: 'region' });
      } catch {
        return { of: (c) => c };
      }
    };
    const inLang = names(lang);
    const inEnglish = names('en');
    // The English name is searchable too (a Latin keyboard on a page in another script).
    for (const r of this.#regions) {
      r.name = inLang.of(r.countryIso) ?? r.countryIso;
      r.en = inEnglish.of(r.countryIso) ?? '';
      r.search = searchKeys(r.name, r.en);
    }
    this.#byIso = new Map(this.#regions.map((r) => [r.countryIso, r]));
    this.#regions.sort((a, b) => a.name.localeCompare(b.name, lang));
    this.#countryList.innerHTML = '';
    for (const r of this.#regions) {
      const li = document.createElement('li');
      li.setAttribute('role', 'option');
      li.id = `${this.#id}-o-${r.countryIso}`;
      li.dataset.c = r.countryIso;
      li.setAttribute('aria-selected', 'false');
      // The calling code isolated left-to-right: after a right-to-left name, "+44" would
      // otherwise show as "44+".
      const code = document.createElement('bdi');
      code.dir = 'ltr';
      code.textContent = `+${r.callingCode}`;
      li.append(`${r.name} `, code);
      this.#countryList.append(li);
    }
    this.#close();
  }

  // ---- the country combobox ----------------------------------------------------------------

  #visibleOptions() {
    return [...this.#countryList.children].filter((li) => !li.hidden && li.dataset.c);
  }

  /** Opens the list, filtered by what was typed when `typed` (name, ISO code or +code). */
  #filter(typed) {
    const query = typed ? searchQuery(this.#countryInput.value) : '';
    for (const li of this.#countryList.children) {
      if (li.dataset.c) li.hidden = !matchesCountry(this.#byIso.get(li.dataset.c), query);
    }
    this.#countryList.querySelector('[data-none]')?.remove();
    const shown = this.#visibleOptions();
    if (!shown.length) {
      const li = document.createElement('li');
      li.dataset.none = '';
      li.setAttribute('aria-disabled', 'true');
      li.setAttribute('role', 'option');
      li.textContent = this.#text('noCountry');
      this.#countryList.append(li);
    }
    this.#countryList.hidden = false;
    this.#countryInput.setAttribute('aria-expanded', 'true');
    const at = typed ? 0 : shown.findIndex((li) => li.dataset.c === this.#country);
    this.#activate(at);
  }

  #activate(i) {
    const shown = this.#visibleOptions();
    for (const li of this.#countryList.children) li.setAttribute('aria-selected', 'false');
    this.#activeOption = shown.length ? Math.max(0, Math.min(i, shown.length - 1)) : -1;
    const li = shown[this.#activeOption];
    if (li) {
      li.setAttribute('aria-selected', 'true');
      this.#countryInput.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView?.({ block: 'nearest' });
    } else this.#countryInput.removeAttribute('aria-activedescendant');
  }

  #close() {
    this.#countryList.hidden = true;
    this.#countryInput.setAttribute('aria-expanded', 'false');
    this.#countryInput.removeAttribute('aria-activedescendant');
    this.#countryInput.value = countryLabel(this.#byIso.get(this.#country));
  }

  #comboKey(ev) {
    const open = !this.#countryList.hidden;
    const move = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[ev.key];
    if (move) {
      ev.preventDefault();
      if (!open) this.#filter(false);
      else this.#activate(this.#activeOption + move);
    } else if (ev.key === 'Enter' && open) {
      ev.preventDefault();
      const li = this.#visibleOptions()[this.#activeOption];
      if (li) this.#pick(li.dataset.c, true);
    } else if (ev.key === 'Escape' && open) {
      ev.preventDefault();
      this.#close();
    } else if ((ev.key === 'Home' || ev.key === 'End') && open) {
      ev.preventDefault();
      this.#activate(ev.key === 'Home' ? 0 : 1e9);
    }
  }

  /** Selects a country (`user`: chosen in the list, so the number is formatted again). */
  #pick(c, user) {
    if (!this.#byIso.has(c)) return;
    this.#country = c;
    // The region's metadata, as soon as the list names it: into the wasm once it is there,
    // fetched (phone-data.js keeps it for the wasm's load) before.
    if (this.#wasm) this.#wasm.loadCountries([c]).catch(() => {});
    else loadPhoneData().then((d) => d.fetchRegion(c)).catch(() => {});
    for (const li of this.#countryList.children) li.toggleAttribute('data-current', li.dataset.c === c);
    this.#close();
    if (user) {
      const v = this.#phoneInput.value;
      if (v && !v.trim().startsWith('+') && this.#wasm) this.#phoneInput.value = this.#phone(() => new this.#wasm.AsYouType(c).input(asciiDigits(v).replace(/\D/g, '')), v, () => this.#onTel({}));
      this.#phoneInput.removeAttribute('aria-invalid');
    }
    this.#phoneInput.placeholder = this.#example();
    this.#showPreview();
  }

  /**
   * `call()`'s answer; when it needs a region whose phone metadata is not loaded yet
   * (METADATA_MISSING), `fallback` now, and `again()` once the region is loaded: the widget
   * loads a region as soon as the country list or the digits typed name it.
   */
  #phone(call, fallback, again) {
    try {
      return call();
    } catch (err) {
      if (err?.code !== 'METADATA_MISSING') throw err;
      this.#wasm.loadCountries([err.country]).then(() => this.#ready && again(), () => {});
      return fallback;
    }
  }

  #example() {
    const r = this.#byIso.get(this.#country);
    try {
      return r && this.#wasm ? this.#phone(() => this.#wasm.formatPhoneNumber(r.exampleNumber, r.countryIso, 'NATIONAL'), '', () => (this.#phoneInput.placeholder = this.#example())) : '';
    } catch {
      return '';
    }
  }

  // ---- the phone number ------------------------------------------------------------------

  /** Formats the number as typed; an international number selects its country. */
  #onTel(ev) {
    // Before the wasm, what is typed stays as typed (formatted when the wasm is in).
    if (!this.#ready || !this.#wasm) return;
    const tel = this.#phoneInput;
    if (tel.getAttribute('aria-invalid')) {
      tel.removeAttribute('aria-invalid');
      this.#say('');
    }
    if (ev.inputType?.startsWith('delete')) return this.#showPreview();
    const typed = asciiDigits(tel.value);
    const caret = tel.selectionStart ?? typed.length;
    // Unformatted until the region the digits name is loaded, then formatted (#phone).
    const text = this.#phone(() => this.#formatTyped(typed), tel.value, () => this.#onTel({}));
    if (text !== tel.value) {
      tel.value = text;
      const at = caretAfterFormatting(typed, caret, text);
      if (at !== null) tel.setSelectionRange(at, at);
    }
    this.#showPreview();
  }

  /** The typed number formatted; an international number selects its country. */
  #formatTyped(typed) {
    let intl = typed.trim().replace(/^00/, '+');
    let text;
    if (intl.startsWith('+')) {
      intl = `+${intl.replace(/\D/g, '')}`;
      const p = this.#wasm.parsePhoneNumber(intl);
      if (p.valid && this.#byIso.has(p.countryIso)) {
        // One dial code: the country list shows it, the field keeps the national number.
        this.#pick(p.countryIso, false);
        text = this.#wasm.formatPhoneNumber(p.e164, p.countryIso, 'NATIONAL');
      } else {
        const f = new this.#wasm.AsYouType();
        text = f.input(intl);
        const c = f.getCountry();
        if (c && c !== this.#country) this.#pick(c, false);
      }
    } else {
      text = new this.#wasm.AsYouType(this.#country).input(typed.replace(/\D/g, ''));
    }
    return text;
  }

  /**
   * The typed number, parsed with the selected country: `PhoneCheck`, once the regions it
   * needs are loaded (with `wasm`: another entry's instance, the preview's).
   */
  async #number(wasm) {
    wasm ??= this.#wasm ?? (await this.#wasmLoad);
    const v = asciiDigits(this.#phoneInput.value).trim();
    for (;;) {
      try {
        return wasm.parsePhoneNumber(v.replace(/^00/, '+'), this.#country);
      } catch (err) {
        if (err?.code !== 'METADATA_MISSING') throw err;
        await wasm.loadCountries([err.country]);
      }
    }
  }

  // ---- preview -----------------------------------------------------------------------------

  /** The SMS the person will get, PIN masked, with its encoding and parts (`preview` only). */
  async #showPreview() {
    const pv = this.#preview;
    if (!this.hasAttribute('preview') || !this.#ready) {
      pv.hidden = true;
      return;
    }
    let full;
    try {
      full = await loadFull();
    } catch {
      return;
    }
    const c = this.#config;
    const n = Number(c.pinLength) || 6;
    const pin = (c.pinType === 'letters' ? 'K' : '7').repeat(n);
    const p = await this.#number(full).catch(() => ({ valid: false }));
    const r = this.#byIso.get(this.#country);
    // The preview's entry is its own wasm instance: the regions it renders, loaded there.
    await full.loadCountries([p.valid ? p.countryIso : this.#country]).catch(() => {});
    const request = { phoneNumber: p.valid ? p.e164 : r?.exampleNumber ?? '', pinType: c.pinType, pinLength: n, ttl: c.ttl };
    const langs = Object.keys(c.templates ?? {});
    const main = langs.includes('en') ? 'en' : langs[0];
    if (main) Object.assign(request, { template: c.templates[main], templateLanguage: main });
    for (const l of langs) request[`template_${l}`] = c.templates[l];
    let m;
    try {
      m = full.renderMessage(request, { pin, language: this.#lang().slice(0, 2).toLowerCase() });
    } catch {
      pv.hidden = true;
      return;
    }
    pv.innerHTML = '<strong></strong><p dir="auto"></p><small></small>';
    pv.children[0].textContent = this.#text('preview');
    pv.children[1].textContent = m.text.split(pin).join('•'.repeat(n));
    pv.children[1].lang = m.language;
    pv.children[2].textContent = this.#text('previewInfo', { e: m.encoding, n: m.parts });
    pv.hidden = false;
  }

  // ---- Turnstile ---------------------------------------------------------------------------

  async #renderTurnstile() {
    try {
      this.#turnstileWidget = await withTurnstile(this.getAttribute('turnstile-script') || TURNSTILE_SCRIPT, (turnstile) =>
        turnstile.render(this.#turnstileBox, {
          sitekey: this.#config.turnstileSiteKey,
          // The edge refuses a token solved for another action (a login form's on the same site).
          action: 'smsotp',
          language: this.#lang(),
          callback: (token) => (this.#turnstileToken = token),
          'expired-callback': () => (this.#turnstileToken = ''),
        }),
      );
    } catch {
      this.#fail({ code: 0, type: 'turnstile_error' }, 'phone');
    }
  }

  /** The Turnstile token for one request (spent by it), or null when one is needed but missing. */
  #spendTurnstile(body) {
    if (!this.#config.turnstileSiteKey) return body;
    if (!this.#turnstileToken) return null;
    body.turnstileToken = this.#turnstileToken;
    this.#turnstileToken = '';
    try {
      globalThis.turnstile?.reset(this.#turnstileWidget);
    } catch {}
    return body;
  }

  // ---- sending and checking ----------------------------------------------------------------

  async #send(again = false) {
    if (!this.#ready || this.#disabled || !nextState(this.#state, 'send')) return;
    let e164 = this.#e164;
    if (!again) {
      let p;
      try {
        p = await this.#number();
      } catch {
        p = { valid: false };
      }
      if (!p.valid) return this.#fieldError({ code: ErrorCode.PhoneNumberInvalid, type: 'invalid_param' }, 'invalidNumber');
      if (!this.#byIso.has(p.countryIso)) return this.#fieldError({ code: ErrorCode.CountryNotAllowed, type: 'access_denied' }, 'notAllowed');
      e164 = p.e164;
    }
    const body = this.#spendTurnstile({ phoneNumber: e164, language: this.#lang().slice(0, 2).toLowerCase() });
    if (!body) return this.#fieldError({ code: ErrorCode.TurnstileTokenMissing, type: 'access_denied' }, 'securityCheck', again ? 'expired' : 'phone');
    this.#interrupted = again ? 'expired' : 'phone';
    this.#dispatch('send');
    const flow = this.#flow;
    let r;
    try {
      r = await this.#client.start(body);
    } catch (err) {
      return flow === this.#flow && this.#fail(err, again ? 'expired' : 'phone');
    }
    if (flow !== this.#flow) return;
    this.#otp = r;
    this.#e164 = r.phoneNumber;
    this.#channel = r.delivery?.channel ?? 'sms';
    this.#codeInput.removeAttribute('aria-invalid');
    this.#dispatch('sent');
    this.#codeSent(r, '');
    this.#startWebOtp();
    this.#emitSent(r);
  }

  /**
   * "Resend code" (the latest message's channel) or a `via…` button (`channel`). Allowed once
   * the countdown ends, or at once when the message was not delivered (the server still
   * enforces its cooldown: a 429 is shown as any rate limit).
   */
  async #resend(channel = this.#channel) {
    if (this.#state !== 'code' || !this.#otp || this.#disabled || this.#resending || (Date.now() < this.#resendAt && !this.#undelivered)) return;
    // The channel is named only to a tenant that has several (an SMS-only one's body is as before).
    const body = this.#spendTurnstile(channelsOf(this.#config).length > 1 ? { channel } : {});
    if (!body) return this.#fieldError({ code: ErrorCode.TurnstileTokenMissing, type: 'access_denied' }, 'securityCheck', 'code');
    this.#resending = true;
    this.#sync();
    const flow = this.#flow;
    let r;
    try {
      r = await this.#client.resend(this.#otp.otpId, body);
    } catch (err) {
      return flow === this.#flow && this.#fail(err, 'code');
    } finally {
      this.#resending = false;
      this.#sync();
    }
    if (flow !== this.#flow || this.#state !== 'code') return;
    this.#otp = { ...this.#otp, ...r };
    this.#channel = r.delivery?.channel ?? channel;
    this.#codeSent(r, this.#text(sentKey(this.#channel, true), { n: this.#shownNumber() }));
    this.#emitSent(r);
  }

  /**
   * A code went out (`r`: the answer of a start or a resend): the code step starts over —
   * empty input, new expiry and resend times, the hint saying where it went — with `status`
   * in the live region and the focus on the code input.
   */
  #codeSent(r, status) {
    this.#triedCodes.clear();
    this.#codeInput.value = '';
    this.#undelivered = '';
    this.#deliveryKnown = false;
    this.#sentAt = Date.now();
    this.#timing(r);
    this.#watchDelivery();
    this.#drawBoxes();
    this.#sentHint();
    this.#say(status);
    this.#codeInput.focus();
  }

  #emitSent(r) {
    this.#emit('smsotp-sent', { otpId: this.#otp.otpId, phoneNumber: this.#e164, resendAfter: r.resendAfter ?? null, channel: this.#channel });
  }

  // ---- delivery ----------------------------------------------------------------------------

  /** The next delivery check of the latest message (channels.js, DELIVERY_CHECKS), if any. */
  #watchDelivery() {
    clearTimeout(this.#deliveryTimer);
    this.#deliveryTimer = 0;
    if (this.#deliveryKnown || !this.#otp || !CODE_STEP.includes(this.#state)) return;
    const wait = nextDeliveryCheck(Date.now() - this.#sentAt);
    if (wait >= 0) this.#deliveryTimer = setTimeout(() => this.#checkDelivery(), wait);
  }

  /**
   * Asks where the latest message stands (`GET /v1/browser/otp/{otpId}`): at the times of
   * DELIVERY_CHECKS while the page is visible, and when it becomes visible again. Not
   * delivered: said politely, and the resend buttons enabled at once. A failed request is
   * only a check less.
   */
  async #checkDelivery() {
    const otp = this.#otp;
    const sentAt = this.#sentAt;
    if (!otp || this.#deliveryKnown || !CODE_STEP.includes(this.#state)) return;
    // Hidden: asked when visible again (#onVisible). Asked a moment ago (the page became
    // visible): once is enough.
    if (document.hidden || Date.now() - this.#lastDeliveryCheck < 5000) return this.#watchDelivery();
    this.#lastDeliveryCheck = Date.now();
    let r;
    try {
      r = await this.#client.status(otp.otpId);
    } catch {}
    // Another message went meanwhile (or the person changed the number): this answer is old.
    if (otp.otpId !== this.#otp?.otpId || sentAt !== this.#sentAt) return this.#watchDelivery();
    const d = r?.delivery;
    if (r && r.status !== 'PENDING') this.#deliveryKnown = true;
    else if (d) {
      // The message went through another channel than asked (the tenant's plan failed over).
      if (d.channel && d.channel !== this.#channel) {
        this.#channel = d.channel;
        this.#sentHint();
        this.#sync();
      }
      this.#deliveryKnown = deliveryFinal(d.status);
      if (notDelivered(d.status) && CODE_STEP.includes(this.#state)) {
        this.#undelivered = d.status;
        this.#say(this.#text('undelivered'), 'error');
        this.#tick();
        this.#emit('smsotp-undelivered', { otpId: otp.otpId, status: d.status });
      }
    }
    this.#watchDelivery();
  }

  /** A code input event: the code, sanitised; a complete new code is checked once. */
  #onCode() {
    const input = this.#codeInput;
    const n = Number(this.#config?.pinLength) || 6;
    const code = sanitizeCode(input.value, n, this.#config?.pinType && this.#config.pinType !== 'numbers');
    if (this.#state !== 'code') {
      if (this.#state === 'checking' && input.value !== this.#checkingCode) input.value = this.#checkingCode;
      return;
    }
    if (input.value !== code) input.value = code;
    if (code.length < n && input.getAttribute('aria-invalid')) input.removeAttribute('aria-invalid');
    this.#drawBoxes();
    if (code.length !== n) return;
    const key = `${this.#otp.otpId}\n${code}`;
    if (this.#triedCodes.has(key)) return;
    this.#triedCodes.add(key);
    this.#check(code);
  }

  async #check(code) {
    this.#checkingCode = code;
    this.#interrupted = 'code';
    this.#dispatch('check');
    const flow = this.#flow;
    let r;
    try {
      r = await this.#client.check(this.#otp.otpId, code);
    } catch (err) {
      return flow === this.#flow && this.#fail(err, 'code');
    }
    if (flow !== this.#flow) return;
    this.#stopWebOtp();
    this.#setToken(r.token);
    this.#summary.textContent = this.#shownNumber();
    this.#say(this.#text('verified'), 'ok');
    this.#dispatch('verified');
    this.#emit('smsotp-verified', { token: r.token, phoneNumber: this.#e164 });
  }

  // ---- WebOTP --------------------------------------------------------------------------

  #startWebOtp() {
    if (this.#webOtp || !('OTPCredential' in globalThis) || !navigator.credentials?.get) return;
    const ac = (this.#webOtp = new AbortController());
    navigator.credentials
      .get({ otp: { transport: ['sms'] }, signal: ac.signal })
      .then((cred) => {
        if (this.#webOtp === ac) this.#webOtp = null;
        if (cred?.code && this.#state === 'code') {
          this.#codeInput.value = cred.code;
          this.#onCode();
        }
      })
      .catch(() => {
        if (this.#webOtp === ac) this.#webOtp = null;
      });
  }

  #stopWebOtp() {
    this.#webOtp?.abort();
    this.#webOtp = null;
  }

  // ---- timers ----------------------------------------------------------------------------

  /** Expiry and resend time from a start's or resend's answer, on this page's clock. */
  #timing(r) {
    const now = Date.now();
    const at = Date.parse(r.expiresAt);
    if (!Number.isNaN(at)) {
      // The server's clock may differ from the page's: a fresh OTP was created "now" with the
      // tenant's ttl, which gives the offset; a resend keeps it.
      if (r.phoneNumber && Number(this.#config.ttl) > 0) this.#clockSkew = at - Number(this.#config.ttl) * 1000 - now;
      this.#expiresAt = at - this.#clockSkew;
    } else this.#expiresAt = 0;
    const wait = r.resendAfter ?? this.#config.resendCooldowns?.[0] ?? 30;
    this.#resendAt = now + Number(wait) * 1000;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#tick();
  }

  /** Once a second in the code step: the resend countdown (plain text) and the expiry. */
  #tick() {
    if (!CODE_STEP.includes(this.#state)) {
      clearInterval(this.#timer);
      this.#timer = 0;
      return;
    }
    if (!this.#timer) this.#timer = setInterval(() => this.#tick(), 1000);
    const now = Date.now();
    if (this.#expiresAt && now >= this.#expiresAt && this.#state === 'code') {
      this.#stopWebOtp();
      this.#say(this.#text('expired'), 'error');
      this.#dispatch('expired');
      this.#emit('smsotp-error', { code: ErrorCode.Expired, type: 'otp_expired', message: this.#text('expired') });
      return;
    }
    const left = Math.ceil((this.#resendAt - now) / 1000);
    this.#countdown.textContent = left > 0 && !this.#undelivered ? this.#text('resendIn', { t: clockText(left) }) : '';
    this.#sync();
  }

  // ---- states, messages, errors ------------------------------------------------------------

  /** Moves to the state `event` leads to (states.js); nothing changes when it leads nowhere. */
  #dispatch(event) {
    const next = nextState(this.#state, event);
    if (!next) return;
    this.#state = next;
    this.#render();
  }

  /** Shows the current state: its steps and buttons, custom state, timers, focus. */
  #render() {
    const state = this.#state;
    // A focused control the new state hides: focus goes to the state's own control instead
    // of falling to the page (and being lost for keyboard and screen-reader users).
    const focused = this.#shadow.activeElement ?? (this.contains(document.activeElement) ? document.activeElement : null);
    this.#container.dataset.s = state;
    const states = this.#internals?.states;
    if (states) {
      states.clear();
      try {
        states.add(state);
      } catch {}
    }
    if (state !== 'code' && state !== 'checking') {
      clearInterval(this.#timer);
      this.#timer = 0;
      this.#countdown.textContent = '';
      clearTimeout(this.#deliveryTimer);
    }
    this.#codeInput.readOnly = state === 'checking';
    this.#codeInput.toggleAttribute('aria-busy', state === 'checking');
    this.#sync();
    this.#validity();
    if (focused && focused.checkVisibility?.() === false) ({ error: this.#buttons.retry, locked: this.#buttons.change, expired: this.#buttons.newCode, phone: this.#phoneInput, code: this.#codeInput })[state]?.focus();
  }

  /** Which buttons show and which controls are enabled, for the state. */
  #sync() {
    if (!this.#shadow) return;
    const s = this.#state;
    for (const [a, shownIn] of Object.entries(BUTTON_STATES)) this.#buttons[a].hidden = !shownIn.includes(s) && !(a === 'change' && s === 'error' && this.#interrupted === 'code');
    const off = this.#disabled;
    // While a request runs its button stays focusable (aria-disabled): disabling it would
    // drop the focus to the page.
    this.#buttons.send.disabled = off || !this.#ready;
    this.#buttons.send.ariaDisabled = s === 'sending' ? 'true' : null;
    this.#buttons.send.textContent = this.#text(s === 'sending' ? 'sending' : 'send');
    // Resending: once the countdown ends, or at once when the message was not delivered; the
    // other channels then show beside "Resend code" (hidden while only one channel is allowed).
    const mayResend = CODE_STEP.includes(s) && (Date.now() >= this.#resendAt || !!this.#undelivered);
    const others = otherChannels(this.#config, this.#channel);
    for (const [c, a] of [[0, 'resend'], ...Object.entries(CHANNEL_BUTTONS)]) {
      const b = this.#buttons[a];
      if (c) b.hidden = !mayResend || !others.includes(c);
      b.disabled = off || !mayResend;
      b.ariaDisabled = this.#resending || s === 'checking' ? 'true' : null;
    }
    for (const b of [this.#buttons.newCode, this.#buttons.retry, this.#buttons.change]) b.disabled = off;
    for (const i of [this.#countryInput, this.#phoneInput, this.#codeInput]) i.disabled = off;
    this.#phoneInput.readOnly = s === 'sending';
  }

  #validity() {
    const internals = this.#internals;
    if (!internals?.setValidity) return;
    if (this.#token) internals.setValidity({});
    else {
      const anchor = CODE_STEP.includes(this.#state) ? this.#codeInput : this.#phoneInput;
      try {
        internals.setValidity({ valueMissing: true }, this.#text('required'), anchor);
      } catch {
        internals.setValidity({ valueMissing: true }, this.#text('required'));
      }
    }
  }

  #setToken(token) {
    this.#token = token;
    this.#internals?.setFormValue(token || null);
    this.#validity();
  }

  /** The live region: errors and outcomes, announced without moving focus. */
  #say(text, kind = '') {
    this.#status.textContent = text;
    if (kind) this.#status.dataset.kind = kind;
    else delete this.#status.dataset.kind;
  }

  #shownNumber() {
    try {
      return this.#wasm?.formatPhoneNumber(this.#e164, undefined, 'INTERNATIONAL') ?? this.#e164;
    } catch {
      return this.#e164;
    }
  }

  /** The code step's hint: where the code went (the number isolated left-to-right), until when. */
  #sentHint() {
    const hint = this.#codeHint;
    const [a, b] = this.#text(sentKey(this.#channel, false), { n: '\u0000' }).split('\u0000');
    const num = document.createElement('span');
    num.dir = 'ltr';
    num.textContent = this.#shownNumber();
    hint.replaceChildren(a, num, b);
    const t = this.#expiresAt && new Intl.DateTimeFormat(this.#messageLang(), { hour: 'numeric', minute: '2-digit' }).format(new Date(this.#expiresAt));
    this.#expiry.textContent = t ? this.#text('validUntil', { t }) : '';
  }

  #drawBoxes() {
    const n = Number(this.#config?.pinLength) || 6;
    const boxes = this.#boxes;
    if (boxes.children.length !== n) boxes.innerHTML = '<span part="box"></span>'.repeat(n);
    const len = this.#codeInput.value.length;
    [...boxes.children].forEach((x, i) => x.classList.toggle('a', i === Math.min(len, n - 1)));
    this.#codeInput.style.width = `${n * 2.4}ch`;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /** An error shown in the phone (or given) step without leaving it. */
  #fieldError({ code, type }, key, stay = 'phone') {
    const text = this.#text(key);
    this.#say(text, 'error');
    if (stay === 'phone') this.#phoneInput.setAttribute('aria-invalid', 'true');
    this.#emit('smsotp-error', { code, type, message: text });
  }

  /** An error of the API (or of the network) during `step`: its outcome (outcomes.js). */
  #fail(err, step) {
    const code = err?.code ?? 0;
    const type = err?.type ?? 'error';
    const outcome = outcomeOf(err, step);
    const state = nextState(this.#state, outcome);
    if (state === 'phone') {
      // The number is refused: said at the phone field, which the person corrects.
      this.#dispatch(outcome);
      return this.#fieldError({ code, type }, outcome);
    }
    const text = this.#text(outcome, outcomeVars(err, this.#messageLang()));
    if (state !== 'code') this.#stopWebOtp();
    if (state === 'error') this.#interrupted = step;
    this.#say(text, 'error');
    this.#dispatch(outcome);
    if (state === 'code') {
      this.#codeInput.value = '';
      this.#codeInput.setAttribute('aria-invalid', 'true');
      this.#drawBoxes();
      this.#tick();
    }
    this.#emit('smsotp-error', { code, type, message: text });
  }

  /** "Try again": back to the step the error interrupted. */
  #retry() {
    this.#say('');
    const back = this.#interrupted === 'code' && this.#otp ? 'code' : this.#interrupted === 'expired' ? 'expired' : 'phone';
    this.#dispatch({ code: 'retryCode', expired: 'retryExpired', phone: 'retry' }[back]);
    if (back === 'code') {
      this.#codeInput.value = '';
      this.#drawBoxes();
      this.#tick();
      this.#watchDelivery();
      this.#codeInput.focus();
    } else if (back === 'phone') this.#phoneInput.focus();
    else this.#buttons.newCode.focus();
  }

  /**
   * Drops the verification in progress (reset(), "Change number"): the OTP, the codes tried,
   * WebOTP; an answer to a request still running is then ignored (#flow).
   */
  #abandon() {
    this.#flow++;
    this.#stopWebOtp();
    this.#otp = null;
    this.#e164 = '';
    this.#channel = 'sms';
    this.#undelivered = '';
    clearTimeout(this.#deliveryTimer);
    this.#triedCodes.clear();
    this.#codeInput.value = '';
    this.#say('');
  }

  /** "Change number": back to the phone step, the number kept for editing. */
  #change() {
    this.#abandon();
    this.#codeInput.removeAttribute('aria-invalid');
    this.#dispatch('change');
    this.#phoneInput.focus();
  }
}

/** Defines `<smsotp-verify>` once (a second import, or a second call, does nothing). */
export function defineSmsotpVerify() {
  const ce = globalThis.customElements;
  if (ce && !ce.get(TAG)) ce.define(TAG, SmsotpVerify);
}
