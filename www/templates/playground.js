// The template playground: every figure on the page comes from the smsotp package's wasm core
// (validateOtpRequest, renderMessage, countSegments, countries, generatePin), so what it shows
// is what the API would send. No request leaves the page.

const $ = (id) => document.getElementById(id);
const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Language codes offered when adding a translation (any ISO 639-1 code may be typed). */
const SUGGESTED_LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'bg', 'sv', 'nl', 'pt', 'pl', 'ro', 'el', 'ru', 'uk', 'cs', 'hu', 'tr', 'ar', 'he', 'zh', 'ja', 'ko', 'hi', 'rm'];
/** The recipients shown at first: one-language and several-language countries, Latin and not. */
const PRESET_COUNTRIES = ['US', 'GB', 'FR', 'BE', 'CH', 'DE', 'BG', 'BR', 'JP'];
/**
 * Look-alike GSM-7 replacements for the characters that most often slip into templates from
 * word processors. Only a writing hint: whether a character is GSM-7 comes from the core.
 */
const GSM_SUGGESTIONS = {
  '\u2019': "'", '\u2018': "'", '\u201C': '"', '\u201D': '"', '\u2013': '-', '\u2014': '-',
  '\u2026': '...', '\u00A0': 'a normal space', '\u2022': '*', '\u00E7': '\u00C7',
};

const state = {
  variants: new Map([
    ['fr', 'Votre code Acme : {{pin}}. Il expire dans {{ttl}} min \u2014 ne le communiquez \u00e0 personne.'],
    ['de', 'Ihr Acme-Code: {{pin}}. G\u00fcltig f\u00fcr {{ttl}} Minuten.'],
    ['bg', '\u0412\u0430\u0448\u0438\u044f\u0442 \u043a\u043e\u0434 \u0437\u0430 Acme: {{pin}}'],
  ]),
  recipients: [...PRESET_COUNTRIES],
  samplePin: null,
};

// The page's forms only act through this script: no navigation, even before the core loads.
document.addEventListener('submit', (event) => event.preventDefault());

let core;
try {
  core = await import('../pkg/index.js');
  // Recipients may be added from any country: every region's phone metadata (245 small
  // assets, fetched once), as a tool page can afford.
  await core.loadAllCountries();
} catch (e) {
  const loading = $('loading');
  loading.className = 'notice error';
  loading.textContent = `The WebAssembly core could not be loaded (${e.message}). The playground needs ../pkg/index.js from the built package.`;
  throw e;
}
$('loading').remove();

const countryInfo = new Map(core.countries().map((c) => [c.countryIso, c]));

function languageLabel(code) {
  try {
    const name = languageNames.of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code; // not a well-formed language tag: the validation lists it
  }
}
const regionLabel = (iso) => regionNames.of(iso) ?? iso;

// ---------- building the request ----------

const settingIds = ['pinType', 'pinLength', 'ttl', 'from', 'amount', 'payee', 'language', 'webOtpDomain'];

/** The `POST /otp` body for one recipient, as a tenant's configuration would send it. */
function requestFor(phoneNumber, { only } = {}) {
  const request = { phoneNumber };
  if (only !== undefined) {
    request.template = only;
  } else {
    request.template = $('template').value;
    for (const [code, text] of state.variants) request[`template_${code}`] = text;
  }
  const templateLanguage = $('templateLanguage').value.trim();
  if (templateLanguage) request.templateLanguage = templateLanguage;
  for (const id of settingIds) {
    if (only !== undefined && id === 'language') continue;
    const value = $(id).value.trim();
    // An empty field means "the default", as an omitted field does in the API.
    if (value !== '') request[id] = value;
  }
  return request;
}

/** Keys of a tenant's `browser` record that this page edits (per-request ones excluded). */
const CONFIG_KEYS = ['templateLanguage', 'pinType', 'pinLength', 'ttl', 'from', 'webOtpDomain'];
const NUMERIC_KEYS = new Set(['pinLength', 'ttl']);

/** The templates and settings as the tenant record's `browser` object. */
function configuration() {
  const config = { template: $('template').value };
  for (const [code, text] of state.variants) config[`template_${code}`] = text;
  for (const key of CONFIG_KEYS) {
    const value = $(key).value.trim();
    if (value === '') continue;
    config[key] = NUMERIC_KEYS.has(key) && /^\d+$/.test(value) ? Number(value) : value;
  }
  return config;
}

function newSamplePin() {
  try {
    state.samplePin = core.generatePin($('pinType').value, Number($('pinLength').value));
  } catch {
    state.samplePin = null; // an invalid type or length: the validation reports it
  }
}

// ---------- rendering one text ----------

const ucs2Cache = new Map();
/** True when this grapheme alone makes the core count a text as UCS-2. */
function forcesUcs2(g) {
  let v = ucs2Cache.get(g);
  if (v === undefined) {
    v = core.countSegments(g).encoding === 'UCS-2';
    ucs2Cache.set(g, v);
  }
  return v;
}

/** Appends `text` to `parent`, each character that forces UCS-2 in a <mark>. */
function appendMarked(parent, text, nonGsm) {
  let plain = '';
  const flush = () => {
    if (plain) parent.append(plain);
    plain = '';
  };
  for (const { segment } of graphemes.segment(text)) {
    if (nonGsm.has(segment) || forcesUcs2(segment)) {
      flush();
      const mark = document.createElement('mark');
      mark.className = 'ucs2';
      mark.title = `${codePoints(segment)}: not in GSM-7, forces UCS-2`;
      mark.textContent = segment;
      parent.append(mark);
    } else {
      plain += segment;
    }
  }
  flush();
}

/** The SMS bubble: the text with its UCS-2 characters marked and the PIN shown or masked. */
function smsBubble(message, pin, masked) {
  const p = document.createElement('p');
  p.className = 'sms';
  p.lang = message.language;
  const nonGsm = new Set(message.nonGsmCharacters);
  const text = message.text;
  let at = 0;
  // The PIN is the sample one the core rendered with; masking is display only, so the
  // counts above stay those of a real PIN.
  while (pin && masked) {
    const i = text.indexOf(pin, at);
    if (i < 0) break;
    appendMarked(p, text.slice(at, i), nonGsm);
    const mask = document.createElement('span');
    mask.className = 'pin-mask';
    mask.setAttribute('role', 'img');
    mask.setAttribute('aria-label', `the ${pin.length}-character PIN`);
    mask.textContent = '\u2022'.repeat(pin.length);
    p.append(mask);
    at = i + pin.length;
  }
  appendMarked(p, text.slice(at), nonGsm);
  return p;
}

const codePoints = (s) => [...s].map((c) => `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`).join(' ');

function fact(dl, term, value) {
  // A <div> per pair (allowed in <dl>) so the pairs can sit side by side.
  const pair = document.createElement('div');
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  if (value instanceof Node) dd.append(value);
  else dd.textContent = value;
  pair.append(dt, dd);
  dl.append(pair);
}

function encodingBadge(encoding) {
  const span = document.createElement('span');
  span.className = `badge ${encoding === 'GSM-7' ? 'ok' : 'warn'}`;
  span.textContent = encoding;
  return span;
}

// ---------- the page ----------

function renderVariants() {
  const box = $('variants');
  box.replaceChildren();
  for (const [code, text] of state.variants) {
    const id = `template_${code}`;
    const div = document.createElement('div');
    div.className = 'field variant';
    const head = document.createElement('div');
    head.className = 'variant-head';
    const label = document.createElement('label');
    label.htmlFor = id;
    label.append(`${languageLabel(code)} `);
    const c = document.createElement('code');
    c.textContent = id;
    label.append(c);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'secondary small';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', `Remove the ${languageLabel(code)} template`);
    remove.addEventListener('click', () => {
      state.variants.delete(code);
      renderVariants();
      update();
      $('add-variant-msg').textContent = `Removed the ${languageLabel(code)} template.`;
      $('new-language').focus();
    });
    head.append(label, remove);
    const area = document.createElement('textarea');
    area.id = id;
    area.rows = 3;
    area.lang = code;
    area.value = text;
    area.setAttribute('aria-describedby', `${id}-count`);
    area.addEventListener('input', () => {
      state.variants.set(code, area.value);
      schedule();
    });
    const count = document.createElement('p');
    count.className = 'hint count';
    count.id = `${id}-count`;
    div.append(head, area, count);
    box.append(div);
  }
  renderLanguageOptions();
}

function renderLanguageOptions() {
  const select = $('language');
  const current = select.value;
  const codes = [...new Set([$('templateLanguage').value.trim().toLowerCase(), ...state.variants.keys()].filter(Boolean))];
  select.replaceChildren(select.options[0]);
  for (const code of codes) select.append(new Option(languageLabel(code), code));
  select.value = codes.includes(current) ? current : '';
}

function renderRecipients() {
  const list = $('recipient-list');
  list.replaceChildren();
  state.recipients.forEach((iso, index) => {
    const li = document.createElement('li');
    li.append(regionLabel(iso));
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = '\u00d7';
    remove.setAttribute('aria-label', `Remove ${regionLabel(iso)}`);
    remove.addEventListener('click', () => {
      state.recipients.splice(index, 1);
      renderRecipients();
      update();
      // Focus stays in the list (the next chip's button), else goes to the country picker.
      const buttons = list.querySelectorAll('button');
      (buttons[Math.min(index, buttons.length - 1)] ?? $('new-country')).focus();
    });
    li.append(remove);
    list.append(li);
  });
  const select = $('new-country');
  const current = select.value;
  const options = [...countryInfo.values()]
    .filter((c) => !state.recipients.includes(c.countryIso))
    .map((c) => ({ iso: c.countryIso, label: `${regionLabel(c.countryIso)} +${c.callingCode}` }))
    .sort((a, b) => a.label.localeCompare(b.label, 'en'));
  select.replaceChildren(...options.map((o) => new Option(o.label, o.iso)));
  if (options.some((o) => o.iso === current)) select.value = current;
}

/** One line under a template: what it alone costs, rendered with the sample PIN. */
function templateCount(el, text) {
  try {
    const message = core.renderMessage(requestFor(firstNumber(), { only: text }), { pin: state.samplePin ?? undefined });
    el.textContent = `${message.encoding}, ${message.parts} ${message.parts === 1 ? 'part' : 'parts'}, ${message.units} ${message.encoding === 'GSM-7' ? 'septets' : 'UTF-16 units'} with a sample PIN${message.nonGsmCharacters.length ? ` (UCS-2 because of ${message.nonGsmCharacters.join(' ')})` : ''}.`;
  } catch {
    el.textContent = 'Not counted: see the validation errors.';
  }
}

const firstNumber = () => countryInfo.get(state.recipients[0] ?? 'US')?.exampleNumber ?? '+12015550123';

/** Redraws every result from the current inputs. */
function render() {
  const masked = document.querySelector('input[name="pinShow"]:checked').value === 'masked';
  if (state.samplePin === null) newSamplePin();

  templateCount($('template-count'), $('template').value);
  for (const [code, text] of state.variants) templateCount($(`template_${code}-count`), text);

  const errors = new Map();
  const results = $('results');
  results.replaceChildren();
  if (state.recipients.length === 0) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = 'No recipients: add a country.';
    results.append(p);
  }
  for (const iso of state.recipients) {
    try {
      renderRecipient(iso, masked, errors, results);
    } catch (e) {
      // A bug here must not blank the whole page: say which recipient failed.
      const p = document.createElement('p');
      p.className = 'notice error';
      p.textContent = `${regionLabel(iso)}: not rendered (${e.message}).`;
      results.append(p);
    }
  }
  renderErrors(errors);
}

/** One recipient's card: language, encoding, parts, units, the text, or why nothing is sent. */
function renderRecipient(iso, masked, errors, results) {
  const info = countryInfo.get(iso);
  const request = requestFor(info.exampleNumber);
  const validation = core.validateOtpRequest(request);
  const article = document.createElement('article');
  article.className = 'card result';
  article.setAttribute('aria-labelledby', `r-${iso}`);
  const header = document.createElement('header');
  const h3 = document.createElement('h3');
  h3.id = `r-${iso}`;
  h3.textContent = regionLabel(iso);
  const number = document.createElement('span');
  number.className = 'number mono';
  number.dir = 'ltr';
  number.textContent = core.formatPhoneNumber(info.exampleNumber, undefined, 'INTERNATIONAL');
  header.append(h3, number);
  article.append(header);
  if (!validation.ok) {
    for (const e of validation.errors) errors.set(`${e.field}|${e.code}|${e.message}`, e);
    const p = document.createElement('p');
    p.className = 'notice error';
    p.textContent = 'Nothing sent: the request is not valid (see Validation).';
    article.append(p);
    results.append(article);
    return;
  }
  const message = core.renderMessage(request, { pin: state.samplePin ?? undefined });
  const dl = document.createElement('dl');
  dl.className = 'facts';
  fact(dl, 'Language', languageLabel(message.language));
  fact(dl, 'Encoding', encodingBadge(message.encoding));
  fact(dl, 'Parts', String(message.parts));
  fact(dl, 'Units', `${message.units} ${message.encoding === 'GSM-7' ? 'septets' : 'UTF-16 code units'}`);
  article.append(dl, smsBubble(message, state.samplePin, masked));
  if (message.nonGsmCharacters.length) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = `Characters that force UCS-2 (${message.nonGsmCharacters.length}):`;
    const ul = document.createElement('ul');
    ul.className = 'forcing';
    for (const ch of message.nonGsmCharacters) {
      const li = document.createElement('li');
      const mark = document.createElement('mark');
      mark.className = 'ucs2 glyph';
      mark.textContent = ch;
      const suggestion = GSM_SUGGESTIONS[ch];
      li.append(mark, ` ${codePoints(ch)}${suggestion ? ` \u2014 GSM-7 alternative: ${suggestion}` : ''}`);
      ul.append(li);
    }
    article.append(p, ul);
  }
  results.append(article);
}

/** The export and the validation list (errors of every recipient, each once). */
function renderErrors(errors) {
  $('export').textContent = JSON.stringify(configuration(), null, 2);

  const list = $('errors');
  list.replaceChildren();
  for (const e of errors.values()) {
    const li = document.createElement('li');
    const code = document.createElement('code');
    code.textContent = String(e.code);
    li.append(code, ` ${e.type}${e.field ? ` (${e.field})` : ''}: ${e.message}`);
    list.append(li);
  }
  const summary = $('errors-summary');
  summary.className = errors.size ? 'bad' : 'ok';
  summary.textContent = errors.size
    ? `${errors.size} ${errors.size === 1 ? 'error' : 'errors'}: the API would refuse this configuration.`
    : 'Valid: the API accepts these templates and settings.';
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    update();
  });
}

// ---------- wiring ----------

$('language-codes').replaceChildren(...SUGGESTED_LANGUAGES.map((c) => new Option(languageLabel(c), c)));
for (const id of ['template', 'templateLanguage', ...settingIds]) $(id).addEventListener('input', schedule);
$('templateLanguage').addEventListener('input', renderLanguageOptions);
for (const id of ['pinType', 'pinLength']) $(id).addEventListener('input', () => { state.samplePin = null; });
for (const radio of document.querySelectorAll('input[name="pinShow"]')) radio.addEventListener('change', schedule);
$('new-pin').addEventListener('click', () => { newSamplePin(); update(); });

$('add-variant').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('new-language');
  const msg = $('add-variant-msg');
  const code = input.value.trim().toLowerCase();
  if (!code) {
    msg.textContent = 'Type a language code first, e.g. de.';
    return;
  }
  if (state.variants.has(code)) {
    msg.textContent = `There is already a ${languageLabel(code)} template.`;
    $(`template_${code}`).focus();
    return;
  }
  // A new translation starts from the default text, for the writer to translate.
  state.variants.set(code, $('template').value);
  input.value = '';
  msg.textContent = `Added the ${languageLabel(code)} template.`;
  renderVariants();
  update();
  $(`template_${code}`).focus();
});

$('add-recipient').addEventListener('submit', (event) => {
  event.preventDefault();
  const iso = $('new-country').value;
  if (!iso || state.recipients.includes(iso)) return;
  state.recipients.push(iso);
  renderRecipients();
  update();
  $('new-country').focus();
});

$('copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText($('export').textContent);
    $('copy-msg').textContent = 'Copied.';
  } catch {
    $('copy-msg').textContent = 'Could not copy: select the text and copy it.';
  }
});

// ---------- the page's state in its address, to share a draft ----------

/** Everything edited, as a URL fragment (nothing leaves the browser until the link is shared). */
function saveToHash() {
  const draft = {
    template: $('template').value,
    templateLanguage: $('templateLanguage').value,
    variants: Object.fromEntries(state.variants),
    settings: Object.fromEntries(settingIds.map((id) => [id, $(id).value])),
    recipients: state.recipients,
    masked: document.querySelector('input[name="pinShow"]:checked').value === 'masked',
  };
  history.replaceState(null, '', `#${encodeURIComponent(JSON.stringify(draft))}`);
}

/** Restores a draft from the fragment; a damaged one is ignored (the defaults stay). */
function loadFromHash() {
  if (location.hash.length < 2) return;
  let draft;
  try {
    draft = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  } catch {
    return;
  }
  if (!draft || typeof draft !== 'object') return;
  const text = (v) => (typeof v === 'string' ? v : null);
  if (text(draft.template) !== null) $('template').value = draft.template;
  if (text(draft.templateLanguage) !== null) $('templateLanguage').value = draft.templateLanguage;
  if (draft.variants && typeof draft.variants === 'object') {
    state.variants = new Map(Object.entries(draft.variants).filter(([, v]) => typeof v === 'string'));
  }
  if (draft.settings && typeof draft.settings === 'object') {
    for (const id of settingIds) {
      if (text(draft.settings[id]) === null) continue;
      if (id === 'language') state.pendingLanguage = draft.settings[id]; // its options come with the variants
      else $(id).value = draft.settings[id];
    }
  }
  if (Array.isArray(draft.recipients)) state.recipients = draft.recipients.filter((iso) => countryInfo.has(iso));
  if (draft.masked) document.querySelector('input[name="pinShow"][value="masked"]').checked = true;
}

let saveTimer;
/** Redraws, then saves the draft to the address a moment later (not on every keystroke). */
function update() {
  render();
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveToHash, 300);
}

loadFromHash();
renderVariants();
if (state.pendingLanguage) $('language').value = state.pendingLanguage;
renderRecipients();
update();
