// The sign-up demo: sets up <smsotp-verify> (key and API overridable with ?key=…&api=…),
// gates the submit button on the form's validity, decodes and checks the token once the
// number is verified, and shows the development inbox. Plain module, no build step.

const $ = (id) => document.getElementById(id);
const verify = $('verify');
const form = $('signup');
const submit = $('submit');

// ---------- key and API: same origin unless the query says otherwise ----------
// Runs before ./pkg/widget.js defines the element (document order), so the element starts
// with these attributes.
const params = new URLSearchParams(location.search);
const notices = [];
let api = location.origin;
const apiParam = params.get('api');
if (apiParam !== null) {
  try {
    const url = new URL(apiParam);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    api = url.origin + url.pathname.replace(/\/+$/, '');
    notices.push(`Using the API at ${api} (from ?api=).`);
  } catch {
    notices.push(`Ignored ?api=${apiParam}: not an http(s) URL; using ${api}.`);
  }
}
verify.setAttribute('api', api);
/** The inbox and the JWKS are read by this page itself: another origin must allow it (CORS). */
const crossOrigin = new URL(api).origin !== location.origin;
const keyParam = params.get('key');
if (keyParam) {
  verify.setAttribute('publishable-key', keyParam);
  notices.push(`Using the publishable key ${keyParam} (from ?key=).`);
}
const langParam = params.get('lang');
if (langParam && /^[a-z]{2}$/.test(langParam)) verify.setAttribute('lang', langParam);
if (params.has('preview')) verify.setAttribute('preview', '');
if (notices.length) {
  $('config-notice').textContent = notices.join(' ');
  $('config-notice').hidden = false;
}

// ---------- demo options: attributes the element reacts to ----------
const optLang = $('opt-lang');
optLang.value = verify.getAttribute('lang') ?? '';
optLang.addEventListener('change', () => {
  if (optLang.value) verify.setAttribute('lang', optLang.value);
  else verify.removeAttribute('lang');
});
const optPreview = $('opt-preview');
optPreview.checked = verify.hasAttribute('preview');
optPreview.addEventListener('change', () => verify.toggleAttribute('preview', optPreview.checked));

// ---------- the submit button follows the form's validity ----------
// The button stays focusable (aria-disabled, not disabled) so keyboard and screen-reader
// users find it and hear why it does nothing yet; the browser's own validation still blocks
// a submission while the form is invalid.
function refreshSubmit() {
  const verified = verify.matches(':defined') && verify.state === 'verified';
  const valid = form.checkValidity();
  submit.setAttribute('aria-disabled', String(!valid));
  const hint = valid
    ? 'Ready: the form will send the verification token with your details.'
    : verified
      ? 'Fill in the remaining fields to create the account.'
      : 'Verify your phone number to create the account.';
  if ($('submit-hint').textContent !== hint) $('submit-hint').textContent = hint;
}
for (const type of ['input', 'change', 'smsotp-sent', 'smsotp-verified', 'smsotp-error']) {
  form.addEventListener(type, () => queueMicrotask(refreshSubmit));
}
form.addEventListener('reset', () => {
  // After the reset algorithm has run (the event fires before it).
  setTimeout(() => {
    clearToken();
    $('created').hidden = true;
    refreshSubmit();
  });
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!form.checkValidity()) {
    form.reportValidity();
    return;
  }
  const data = new FormData(form);
  const token = String(data.get('phoneToken') ?? '');
  const created = $('created');
  created.textContent = `Account created for ${data.get('name')} (a demo: nothing is stored). The form sent phoneToken = ${token.slice(0, 24)}… (${token.length} characters), which the backend verifies before trusting the number.`;
  created.hidden = false;
});
refreshSubmit();

// The element's script is loaded separately; say so if it never arrives.
const defined = customElements.whenDefined('smsotp-verify');
defined.then(refreshSubmit);
setTimeout(() => {
  if (!customElements.get('smsotp-verify')) $('widget-missing').hidden = false;
}, 5000);

// ---------- the token: decoded, and its signature checked against the JWKS ----------

/** Bytes of a base64url string (JWS segments). */
function base64urlBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
const decodeJson = (segment) => JSON.parse(new TextDecoder().decode(base64urlBytes(segment)));

function clearToken() {
  $('token-body').hidden = true;
  $('token-empty').hidden = false;
}

/** The WebCrypto algorithm for a JWS `alg` and JWK; null when unknown. */
function algorithmFor(alg, jwk) {
  if (alg === 'EdDSA' && jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    return { importAlg: { name: 'Ed25519' }, verifyAlg: { name: 'Ed25519' } };
  }
  if (alg === 'ES256' && jwk.kty === 'EC' && jwk.crv === 'P-256') {
    return { importAlg: { name: 'ECDSA', namedCurve: 'P-256' }, verifyAlg: { name: 'ECDSA', hash: 'SHA-256' } };
  }
  return null;
}

/**
 * Checks the token's signature with the API's published keys, in this browser.
 * Returns { ok: true|false|null, text }: null when it could not be checked here.
 */
async function checkSignature(token, header) {
  const [h, p, s] = token.split('.');
  let jwks;
  try {
    const response = await fetch(`${api}/.well-known/jwks.json`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    jwks = await response.json();
  } catch (e) {
    const cors = crossOrigin ? '; the API is on another origin, which must allow this page with CORS' : '';
    return { ok: null, text: `Signature not checked: ${api}/.well-known/jwks.json could not be read (${e.message}${cors}).` };
  }
  const keys = Array.isArray(jwks.keys) ? jwks.keys : [];
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) return { ok: false, text: `Signature not valid: no key "${header.kid}" in /.well-known/jwks.json.` };
  const algorithm = algorithmFor(header.alg, jwk);
  if (!algorithm) return { ok: null, text: `Signature not checked: this page does not know the algorithm ${header.alg} (${jwk.kty} ${jwk.crv}).` };
  let key;
  try {
    key = await crypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, algorithm.importAlg, false, ['verify']);
  } catch (e) {
    return {
      ok: null,
      text: `Signature not checked: this browser's WebCrypto does not support ${algorithm.importAlg.name} (${e.name}). Decoding below is not verification; your backend must check it.`,
    };
  }
  const valid = await crypto.subtle.verify(algorithm.verifyAlg, key, base64urlBytes(s), new TextEncoder().encode(`${h}.${p}`));
  return valid
    ? { ok: true, text: `Signature valid: checked in this browser with WebCrypto ${algorithm.importAlg.name} against key "${jwk.kid}" of ${api}/.well-known/jwks.json.` }
    : { ok: false, text: `Signature NOT valid for key "${jwk.kid}" of /.well-known/jwks.json.` };
}

const dateTime = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' });

function fact(term, value) {
  const div = document.createElement('div');
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  div.append(dt, dd);
  $('token-facts').append(div);
}

async function showToken(token) {
  $('token-empty').hidden = true;
  $('token-body').hidden = false;
  $('token-raw').textContent = token;
  $('token-facts').replaceChildren();
  const signature = $('token-signature');
  const parts = token.split('.');
  let header;
  let claims;
  try {
    if (parts.length !== 3) throw new Error(`${parts.length} segments instead of 3`);
    header = decodeJson(parts[0]);
    claims = decodeJson(parts[1]);
  } catch (e) {
    signature.className = 'notice error';
    signature.textContent = `This is not a readable JWT (${e.message}).`;
    $('token-header').textContent = '';
    $('token-claims').textContent = '';
    return;
  }
  $('token-header').textContent = JSON.stringify(header, null, 2);
  $('token-claims').textContent = JSON.stringify(claims, null, 2);
  if (claims.sub) fact('Phone number (sub)', claims.sub);
  if (claims.aud) fact('Tenant (aud)', Array.isArray(claims.aud) ? claims.aud.join(', ') : claims.aud);
  if (claims.iss) fact('Issuer (iss)', claims.iss);
  if (typeof claims.iat === 'number') fact('Issued (iat)', dateTime.format(claims.iat * 1000));
  if (typeof claims.exp === 'number') {
    const left = Math.round(claims.exp - Date.now() / 1000);
    fact('Expires (exp)', `${dateTime.format(claims.exp * 1000)} (${left > 0 ? `in ${Math.ceil(left / 60)} min` : 'expired'})`);
  }
  signature.className = 'notice warn';
  signature.textContent = 'Checking the signature…';
  const result = await checkSignature(token, header);
  // A newer token (or a reset) may have replaced this one meanwhile.
  if ($('token-raw').textContent !== token || $('token-body').hidden) return;
  signature.className = `notice ${result.ok === true ? 'ok' : result.ok === false ? 'error' : 'warn'}`;
  signature.textContent = result.text;
}

verify.addEventListener('smsotp-verified', (event) => {
  showToken(event.detail.token);
});

// ---------- the dev inbox ----------

const timeFormat = new Intl.DateTimeFormat('en', { timeStyle: 'medium' });
let lastInbox = '';
let inboxTimer = null;
let announcedNewest = null;

function setInboxStatus(text) {
  const status = $('inbox-status');
  if (status.textContent !== text) status.textContent = text;
}

/** Most SMS listed; the endpoint keeps 50, and the newest are the ones being waited for. */
const INBOX_SHOWN = 10;

function renderInbox(messages) {
  const list = $('inbox-list');
  list.replaceChildren();
  for (const m of messages.slice(0, INBOX_SHOWN)) {
    const li = document.createElement('li');
    const meta = document.createElement('p');
    meta.className = 'meta';
    const to = document.createElement('bdi');
    to.dir = 'ltr';
    to.className = 'mono';
    to.textContent = m.to;
    const time = document.createElement('time');
    time.dateTime = m.sentAt;
    const sent = new Date(m.sentAt);
    time.textContent = Number.isNaN(sent.getTime()) ? m.sentAt : timeFormat.format(sent);
    meta.append('To ', to, ' at ', time);
    const text = document.createElement('p');
    text.className = 'sms';
    text.textContent = m.text;
    li.append(meta, text);
    list.append(li);
  }
  const more = $('inbox-more');
  more.hidden = messages.length <= INBOX_SHOWN;
  more.textContent = `And ${messages.length - INBOX_SHOWN} older (the inbox keeps the last 50).`;
}

let polling = false;
async function pollInbox() {
  clearTimeout(inboxTimer);
  inboxTimer = null;
  if (polling) return; // one request at a time; the running one schedules the next
  polling = true;
  let next = 2000;
  try {
    const response = await fetch(`${api}/dev/inbox`, { cache: 'no-store' });
    if (response.status === 404) {
      setInboxStatus('No dev inbox here: it exists only in a development deployment (ENVIRONMENT=development with the console SMS provider). Real SMS are sent instead.');
      renderInbox([]);
      lastInbox = '';
      $('inbox-clear').hidden = true;
      next = 30000; // the deployment will not change its mind soon: look again rarely
    } else if (!response.ok) {
      setInboxStatus(`The dev inbox answered HTTP ${response.status}.`);
    } else {
      const { messages = [] } = await response.json();
      $('inbox-clear').hidden = false;
      const raw = JSON.stringify(messages);
      // Redraw only on change: no flicker, and the list is not re-read by screen readers.
      if (raw !== lastInbox) {
        lastInbox = raw;
        renderInbox(messages);
      }
      const newest = messages[0];
      if (!newest) setInboxStatus('No SMS yet. Send a code to any number (not the test number) and it appears here.');
      else if (announcedNewest !== null && newest.sentAt + newest.to !== announcedNewest) {
        setInboxStatus(`New SMS to ${newest.to}: ${newest.text}`);
      } else if (announcedNewest === null) {
        setInboxStatus(`${messages.length} SMS in the inbox.`);
      }
      announcedNewest = newest ? newest.sentAt + newest.to : '';
    }
  } catch (e) {
    setInboxStatus(`Could not reach the dev inbox at ${api} (${e.message}${crossOrigin ? '; the API is on another origin, which must allow this page with CORS' : ''}); trying again.`);
  }
  polling = false;
  schedulePoll(next);
}

function schedulePoll(ms) {
  clearTimeout(inboxTimer);
  // No polling from a hidden tab; it resumes when the page is shown again.
  if (document.hidden) return;
  inboxTimer = setTimeout(pollInbox, ms);
}
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && inboxTimer === null) pollInbox();
  else if (document.hidden) {
    clearTimeout(inboxTimer);
    inboxTimer = null;
  }
});

$('inbox-clear').addEventListener('click', async () => {
  try {
    const response = await fetch(`${api}/dev/inbox`, { method: 'DELETE' });
    setInboxStatus(response.ok ? 'Inbox emptied.' : `Could not empty the inbox (HTTP ${response.status}).`);
  } catch (e) {
    setInboxStatus(`Could not empty the inbox (${e.message}).`);
  }
  announcedNewest = null;
  pollInbox();
});

pollInbox();
