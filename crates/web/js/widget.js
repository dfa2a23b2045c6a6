// `<smsotp-verify>`: a framework-free custom element that walks a person through phone
// verification with the smsotp browser API (`import 'smsotp/widget'`). Phone step (country
// list, number formatted as typed by `smsotp/phone`'s wasm), code step (one input, submitted
// exactly once), verified: the form value is the signed token the site's backend checks.
//
// The inputs, their labels, hints and the live region are in the light DOM (ARIA references
// cannot cross a shadow root, and password managers / SMS autofill look there); the layout,
// the buttons, the code boxes and the preview are in a shadow root, styled with `::part()`.
// The wasm is loaded the first time an element is connected, never at import.
import { BrowserClient } from './otp-client.js';

const TAG = 'smsotp-verify';
const TURNSTILE = 'https://challenges.cloudflare.com/turnstile/v0/api.js';
const STATES = ['phone', 'sending', 'code', 'checking', 'verified', 'error', 'locked', 'expired'];

// Messages. {n}: a number or phone number, {t}: a time or duration. Missing keys fall back
// to English.
const M = {
  en: {
    c: 'Country', cs: 'Countries', none: 'No country found', p: 'Phone number', ph: 'We will send you a code by SMS.',
    s: 'Send code', k: 'Verification code', sent: 'We sent a code to {n}.', resent: 'We sent a new code to {n}.',
    until: 'The code is valid until {t}.', r: 'Resend code', rin: 'You can resend in {t}', ch: 'Change number',
    nc: 'Send a new code', tr: 'Try again', inv: 'Enter a valid phone number.', na: 'SMS cannot be sent to this number.',
    wr: 'Wrong code. {n} attempts left.', wr1: 'Wrong code. 1 attempt left.', lk: 'Too many wrong codes.',
    ex: 'This code has expired.', ok: 'Phone number verified.', rl: 'Too many attempts. Try again in {t}.',
    rl0: 'Too many attempts. Try again later.', net: 'The verification service cannot be reached. Check your connection.',
    err: 'Something went wrong.', ts: 'Complete the security check first.', wait: 'Sending…',
    pv: 'Your SMS', pt: '{e}, {n} SMS', req: 'Verify your phone number',
  },
  fr: {
    c: 'Pays', cs: 'Pays', none: 'Aucun pays trouvé', p: 'Numéro de téléphone', ph: 'Nous vous enverrons un code par SMS.',
    s: 'Envoyer le code', k: 'Code de vérification', sent: 'Nous avons envoyé un code au {n}.', resent: 'Nous avons envoyé un nouveau code au {n}.',
    until: 'Le code est valable jusqu’à {t}.', r: 'Renvoyer le code', rin: 'Nouvel envoi possible dans {t}', ch: 'Changer de numéro',
    nc: 'Envoyer un nouveau code', tr: 'Réessayer', inv: 'Saisissez un numéro de téléphone valide.', na: 'Impossible d’envoyer un SMS à ce numéro.',
    wr: 'Code erroné. Encore {n} essais.', wr1: 'Code erroné. Encore 1 essai.', lk: 'Trop de codes erronés.',
    ex: 'Ce code a expiré.', ok: 'Numéro de téléphone vérifié.', rl: 'Trop de tentatives. Réessayez dans {t}.',
    rl0: 'Trop de tentatives. Réessayez plus tard.', net: 'Le service de vérification est injoignable. Vérifiez votre connexion.',
    err: 'Une erreur est survenue.', ts: 'Effectuez d’abord la vérification de sécurité.', wait: 'Envoi…',
    pv: 'Votre SMS', pt: '{e}, {n} SMS', req: 'Vérifiez votre numéro de téléphone',
  },
  de: {
    c: 'Land', cs: 'Länder', none: 'Kein Land gefunden', p: 'Telefonnummer', ph: 'Wir senden Ihnen einen Code per SMS.',
    s: 'Code senden', k: 'Bestätigungscode', sent: 'Wir haben einen Code an {n} gesendet.', resent: 'Wir haben einen neuen Code an {n} gesendet.',
    until: 'Der Code ist bis {t} gültig.', r: 'Code erneut senden', rin: 'Erneut senden in {t}', ch: 'Nummer ändern',
    nc: 'Neuen Code senden', tr: 'Erneut versuchen', inv: 'Geben Sie eine gültige Telefonnummer ein.', na: 'An diese Nummer kann keine SMS gesendet werden.',
    wr: 'Falscher Code. Noch {n} Versuche.', wr1: 'Falscher Code. Noch 1 Versuch.', lk: 'Zu viele falsche Codes.',
    ex: 'Dieser Code ist abgelaufen.', ok: 'Telefonnummer bestätigt.', rl: 'Zu viele Versuche. Versuchen Sie es in {t} erneut.',
    rl0: 'Zu viele Versuche. Versuchen Sie es später erneut.', net: 'Der Bestätigungsdienst ist nicht erreichbar. Prüfen Sie Ihre Verbindung.',
    err: 'Etwas ist schiefgelaufen.', ts: 'Schließen Sie zuerst die Sicherheitsprüfung ab.', wait: 'Wird gesendet…',
    pv: 'Ihre SMS', pt: '{e}, {n} SMS', req: 'Bestätigen Sie Ihre Telefonnummer',
  },
  es: {
    c: 'País', cs: 'Países', none: 'Ningún país encontrado', p: 'Número de teléfono', ph: 'Te enviaremos un código por SMS.',
    s: 'Enviar código', k: 'Código de verificación', sent: 'Hemos enviado un código al {n}.', resent: 'Hemos enviado un código nuevo al {n}.',
    until: 'El código es válido hasta las {t}.', r: 'Reenviar código', rin: 'Puedes reenviarlo en {t}', ch: 'Cambiar número',
    nc: 'Enviar un código nuevo', tr: 'Reintentar', inv: 'Introduce un número de teléfono válido.', na: 'No se pueden enviar SMS a este número.',
    wr: 'Código incorrecto. Quedan {n} intentos.', wr1: 'Código incorrecto. Queda 1 intento.', lk: 'Demasiados códigos incorrectos.',
    ex: 'Este código ha caducado.', ok: 'Número de teléfono verificado.', rl: 'Demasiados intentos. Reinténtalo en {t}.',
    rl0: 'Demasiados intentos. Reinténtalo más tarde.', net: 'No se puede contactar con el servicio de verificación. Revisa tu conexión.',
    err: 'Algo ha fallado.', ts: 'Completa primero la comprobación de seguridad.', wait: 'Enviando…',
    pv: 'Tu SMS', pt: '{e}, {n} SMS', req: 'Verifica tu número de teléfono',
  },
  it: {
    c: 'Paese', cs: 'Paesi', none: 'Nessun paese trovato', p: 'Numero di telefono', ph: 'Ti invieremo un codice via SMS.',
    s: 'Invia codice', k: 'Codice di verifica', sent: 'Abbiamo inviato un codice al {n}.', resent: 'Abbiamo inviato un nuovo codice al {n}.',
    until: 'Il codice è valido fino alle {t}.', r: 'Invia di nuovo il codice', rin: 'Puoi inviarlo di nuovo tra {t}', ch: 'Cambia numero',
    nc: 'Invia un nuovo codice', tr: 'Riprova', inv: 'Inserisci un numero di telefono valido.', na: 'Impossibile inviare SMS a questo numero.',
    wr: 'Codice errato. Restano {n} tentativi.', wr1: 'Codice errato. Resta 1 tentativo.', lk: 'Troppi codici errati.',
    ex: 'Questo codice è scaduto.', ok: 'Numero di telefono verificato.', rl: 'Troppi tentativi. Riprova tra {t}.',
    rl0: 'Troppi tentativi. Riprova più tardi.', net: 'Il servizio di verifica non è raggiungibile. Controlla la connessione.',
    err: 'Si è verificato un errore.', ts: 'Completa prima il controllo di sicurezza.', wait: 'Invio…',
    pv: 'Il tuo SMS', pt: '{e}, {n} SMS', req: 'Verifica il tuo numero di telefono',
  },
  bg: {
    c: 'Държава', cs: 'Държави', none: 'Няма намерена държава', p: 'Телефонен номер', ph: 'Ще ви изпратим код по SMS.',
    s: 'Изпрати код', k: 'Код за потвърждение', sent: 'Изпратихме код на {n}.', resent: 'Изпратихме нов код на {n}.',
    until: 'Кодът е валиден до {t}.', r: 'Изпрати кода отново', rin: 'Можете да изпратите отново след {t}', ch: 'Смяна на номера',
    nc: 'Изпрати нов код', tr: 'Опитай отново', inv: 'Въведете валиден телефонен номер.', na: 'Не може да се изпрати SMS до този номер.',
    wr: 'Грешен код. Остават {n} опита.', wr1: 'Грешен код. Остава 1 опит.', lk: 'Твърде много грешни кодове.',
    ex: 'Този код е изтекъл.', ok: 'Телефонният номер е потвърден.', rl: 'Твърде много опити. Опитайте отново след {t}.',
    rl0: 'Твърде много опити. Опитайте отново по-късно.', net: 'Услугата за потвърждение е недостъпна. Проверете връзката си.',
    err: 'Нещо се обърка.', ts: 'Първо преминете проверката за сигурност.', wait: 'Изпращане…',
    pv: 'Вашият SMS', pt: '{e}, {n} SMS', req: 'Потвърдете телефонния си номер',
  },
  sv: {
    c: 'Land', cs: 'Länder', none: 'Inget land hittades', p: 'Telefonnummer', ph: 'Vi skickar en kod till dig via sms.',
    s: 'Skicka kod', k: 'Verifieringskod', sent: 'Vi har skickat en kod till {n}.', resent: 'Vi har skickat en ny kod till {n}.',
    until: 'Koden gäller till {t}.', r: 'Skicka koden igen', rin: 'Du kan skicka igen om {t}', ch: 'Byt nummer',
    nc: 'Skicka en ny kod', tr: 'Försök igen', inv: 'Ange ett giltigt telefonnummer.', na: 'Det går inte att skicka sms till det här numret.',
    wr: 'Fel kod. {n} försök kvar.', wr1: 'Fel kod. 1 försök kvar.', lk: 'För många felaktiga koder.',
    ex: 'Koden har gått ut.', ok: 'Telefonnumret är verifierat.', rl: 'För många försök. Försök igen om {t}.',
    rl0: 'För många försök. Försök igen senare.', net: 'Verifieringstjänsten kan inte nås. Kontrollera din anslutning.',
    err: 'Något gick fel.', ts: 'Slutför säkerhetskontrollen först.', wait: 'Skickar…',
    pv: 'Ditt sms', pt: '{e}, {n} sms', req: 'Verifiera ditt telefonnummer',
  },
};

// Light-DOM styles (scoped by the tag name; a page may override them) and the shadow's.
const LIGHT_CSS = `
${TAG}{display:block;color:var(--_text);font:var(--_font)}
${TAG} .smsotp-label{display:block;font-weight:600;margin:0 0 .25rem}
${TAG} .smsotp-hint{display:block;color:var(--_muted);font-size:.875em;margin:.25rem 0 0}
${TAG} .smsotp-field{position:relative;margin:0 0 .75rem}
${TAG} .smsotp-input{box-sizing:border-box;width:100%;font:inherit;color:var(--_text);background:var(--_bg);border:1px solid var(--_border);border-radius:var(--_radius);padding:.5rem .625rem;min-height:2.75rem}
${TAG} .smsotp-input:focus{outline:2px solid var(--_accent);outline-offset:1px}
${TAG} .smsotp-input[aria-invalid=true]{border-color:var(--_error)}
${TAG} .smsotp-list{position:absolute;z-index:10;left:0;right:0;top:100%;margin:.25rem 0 0;padding:.25rem 0;list-style:none;max-height:16rem;overflow:auto;background:var(--_bg);color:var(--_text);border:1px solid var(--_border);border-radius:var(--_radius);box-shadow:0 4px 16px #0004}
${TAG} .smsotp-list[hidden]{display:none}
${TAG} .smsotp-list li{padding:.375rem .625rem;cursor:pointer}
${TAG} .smsotp-list li[data-current]{font-weight:600;box-shadow:inset 3px 0 var(--_accent)}
${TAG} .smsotp-list li[aria-selected=true]{background:var(--_accent);color:var(--_on-accent)}
${TAG} .smsotp-code{box-sizing:content-box;font:600 1.5rem/1 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:1.4ch;padding:0 0 0 .7ch;margin:0;height:3rem;border:0;background:transparent;color:var(--_text);outline:none;display:block}
${TAG} .smsotp-code[readonly]{color:var(--_muted)}
${TAG} .smsotp-status{margin:0;min-height:1.25em}
${TAG} .smsotp-status[data-kind=error]{color:var(--_error)}
${TAG} .smsotp-status[data-kind=ok]{color:var(--_success);font-weight:600}
`;
const SHADOW_CSS = `
:host{display:block;--_accent:var(--smsotp-accent,#0b57d0);--_on-accent:var(--smsotp-accent-text,#fff);--_bg:var(--smsotp-background,#fff);--_text:var(--smsotp-text,#1f1f1f);--_muted:var(--smsotp-muted,#54575b);--_border:var(--smsotp-border,#767676);--_error:var(--smsotp-error,#b3261e);--_success:var(--smsotp-success,#146c2e);--_radius:var(--smsotp-radius,.5rem);--_font:var(--smsotp-font,inherit)}
@media (prefers-color-scheme:dark){:host{--_accent:var(--smsotp-accent,#a8c7fa);--_on-accent:var(--smsotp-accent-text,#062e6f);--_bg:var(--smsotp-background,#1f1f1f);--_text:var(--smsotp-text,#e3e3e3);--_muted:var(--smsotp-muted,#c4c7c5);--_border:var(--smsotp-border,#8e918f);--_error:var(--smsotp-error,#f2b8b5);--_success:var(--smsotp-success,#6dd58c)}}
:host([hidden]){display:none}
[part~=container]{background:var(--_bg);color:var(--_text);border:1px solid var(--_border);border-radius:var(--_radius);padding:1rem;max-width:24rem}
.s{display:none}
[data-s=phone] .p,[data-s=sending] .p,[data-s=code] .k,[data-s=checking] .k,[data-s=verified] .v{display:block}
[part~=summary]{margin:0;font-weight:600;text-align:start}
[data-s=verified] slot[name=turnstile],[data-s=locked] slot[name=turnstile]{display:none}
.w{position:relative;display:inline-block;direction:ltr;margin:.25rem 0}
[part~=boxes]{position:absolute;inset:0;display:flex;font:600 1.5rem/1 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;pointer-events:none}
[part~=box]{box-sizing:border-box;width:2.1ch;margin:0 .15ch;border:1px solid var(--_border);border-radius:var(--_radius);background:var(--_bg)}
.f [part~=box].a{border:2px solid var(--_accent)}
.w ::slotted(input){position:relative}
[part~=preview]{margin:0 0 .75rem;padding:.5rem .625rem;border-left:3px solid var(--_accent);font-size:.875em}
[part~=preview] p{margin:0 0 .25rem;white-space:pre-wrap}
[part~=preview] small{color:var(--_muted)}
.a2{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0 0}
[part~=button]{font:inherit;font-weight:600;min-height:2.75rem;padding:.5rem 1rem;border-radius:var(--_radius);border:1px solid var(--_accent);background:var(--_bg);color:var(--_text);cursor:pointer}
[part~=primary]{background:var(--_accent);color:var(--_on-accent)}
[part~=button]:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
[part~=button]:disabled{opacity:.6;cursor:default}
[part~=button][aria-disabled=true]{cursor:progress}
[part~=button][hidden]{display:none}
[part~=message]{margin:.5rem 0 0}
`;

let ids = 0;
const configs = new Map();
let phoneModule;
let fullModule;
let turnstileLoad;

// The wasm entries, imported once (a failed import is tried again next time).
function loadPhone() {
  phoneModule ??= import('./phone.js').catch((err) => {
    phoneModule = undefined;
    throw err;
  });
  return phoneModule;
}
function loadFull() {
  fullModule ??= import('./index.js').catch((err) => {
    fullModule = undefined;
    throw err;
  });
  return fullModule;
}

/** The tenant's browser config, fetched once per (api, key); a failure is not cached. */
function configOf(client) {
  const key = `${client.api}\n${client.publishableKey}`;
  if (!configs.has(key)) {
    const p = client.config();
    p.catch(() => configs.delete(key));
    configs.set(key, p);
  }
  return configs.get(key);
}

/** Arabic-Indic and Extended Arabic-Indic digits as ASCII (full-width ones by NFKC). */
const asciiDigits = (s) =>
  s.normalize('NFKC').replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) => String.fromCharCode(d.charCodeAt(0) - (d.charCodeAt(0) >= 0x6f0 ? 0x6c0 : 0x630)));

/**
 * The code in what arrived (typing, paste, autofill, an SMS's text): digits (or letters for
 * letter PINs) with separators between them dropped; a run of exactly `n` preferred.
 */
export function sanitizeCode(text, n, letters = false) {
  const s = asciiDigits(String(text ?? ''));
  const ch = letters ? '[0-9A-Za-z]' : '\\d';
  const compact = s.replace(new RegExp(`(${ch})[\\s\\-.·]+(?=${ch})`, 'g'), '$1');
  const runs = compact.match(new RegExp(`${ch}+`, 'g')) ?? [];
  const exact = runs.find((r) => r.length === n);
  const code = (exact ?? runs.join('')).slice(0, n);
  return letters ? code.toUpperCase() : code;
}

/** A name as the country search compares it: no accents, lower case. */
const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const clockText = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
const Base = globalThis.HTMLElement ?? class {};

/** `<smsotp-verify>`: see the package README ("Widget"). */
export class SmsotpVerify extends Base {
  static formAssociated = true;
  static observedAttributes = ['lang', 'country', 'preview', 'api', 'publishable-key'];

  #i = this.attachInternals?.();
  #root;
  #id = `smsotp-${++ids}`;
  #e = {};
  #state = 'phone';
  #built = false;
  #ready = false;
  #client;
  #cfg;
  #ph;
  #regions = [];
  /** The regions by ISO code, with their folded names (`search`), for the list's filter. */
  #byIso = new Map();
  #country = '';
  #active = -1;
  #otp = null;
  #e164 = '';
  #token = '';
  #tried = new Set();
  #skew = 0;
  #expires = 0;
  #resendAt = 0;
  #timer = 0;
  #webotp = null;
  #back = 'phone';
  #ts = null;
  #tsToken = '';
  #disabled = false;
  #resending = false;
  #gen = 0;
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
    return this.#i?.form ?? null;
  }
  get name() {
    return this.getAttribute('name');
  }
  get validity() {
    return this.#i?.validity;
  }
  get validationMessage() {
    return this.#i?.validationMessage ?? '';
  }
  get willValidate() {
    return this.#i?.willValidate ?? false;
  }
  checkValidity() {
    return this.#i?.checkValidity() ?? !!this.#token;
  }
  reportValidity() {
    return this.#i?.reportValidity() ?? !!this.#token;
  }

  connectedCallback() {
    if (!this.#built) this.#build();
    if (!this.#ready) this.#init();
    else if (this.#state === 'code') {
      this.#tick();
      this.#webOtp();
    }
  }

  disconnectedCallback() {
    this.#stopWebOtp();
    clearInterval(this.#timer);
    this.#timer = 0;
  }

  attributeChangedCallback(name, old, value) {
    if (!this.#built || old === value) return;
    if (name === 'lang') this.#texts();
    else if (name === 'country' && this.#ready && value) this.#pick(value.toUpperCase(), false);
    else if (name === 'preview') this.#preview();
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
    if (!this.#built) return;
    this.#flow++;
    this.#stopWebOtp();
    this.#e.tel.value = '';
    this.#e.code.value = '';
    this.#otp = null;
    this.#e164 = '';
    this.#tried.clear();
    this.#setToken('');
    this.#say('');
    this.#e.tel.removeAttribute('aria-invalid');
    if (this.#ready) this.#pick(this.#defaultCountry(), false);
    this.#go('phone');
  }

  // ---- building -------------------------------------------------------------------------

  #build() {
    this.#built = true;
    const id = this.#id;
    const root = (this.#root = this.attachShadow({ mode: 'open' }));
    root.innerHTML = `<style>${SHADOW_CSS}</style><div part="container" data-s="phone">
<div class="s p"><slot name="country"></slot><slot name="tel"></slot><div part="preview" hidden></div></div>
<div class="s k"><slot name="code-label"></slot><div class="w"><div part="boxes" aria-hidden="true"></div><slot name="code"></slot></div><slot name="code-hint"></slot></div>
<p class="s v" part="summary" dir="ltr"></p><slot name="turnstile"></slot><div part="message"><slot name="status"></slot></div>
<div class="a2"><button type="button" part="button primary" data-a="send"></button><button type="button" part="button primary" data-a="new"></button><button type="button" part="button primary" data-a="retry"></button><button type="button" part="button" data-a="resend"></button><button type="button" part="button secondary" data-a="change"></button></div></div>`;
    const $ = (s) => root.querySelector(s);
    Object.assign(this.#e, {
      box: $('[part~=container]'), sum: $('[part~=summary]'), boxes: $('[part~=boxes]'), pv: $('[part~=preview]'),
      send: $('[data-a=send]'), new: $('[data-a=new]'), retry: $('[data-a=retry]'), resend: $('[data-a=resend]'), change: $('[data-a=change]'),
    });
    const light = document.createElement('div');
    light.innerHTML = `<style>${LIGHT_CSS}</style>
<div slot="country" class="smsotp-field"><label class="smsotp-label" for="${id}-c"></label><input id="${id}-c" class="smsotp-input" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="${id}-l" autocomplete="off" spellcheck="false" dir="auto"><ul id="${id}-l" class="smsotp-list" role="listbox" hidden></ul></div>
<div slot="tel" class="smsotp-field"><label class="smsotp-label" for="${id}-t"></label><input id="${id}-t" class="smsotp-input" type="tel" autocomplete="tel" dir="ltr" aria-describedby="${id}-th ${id}-s"><span id="${id}-th" class="smsotp-hint"></span></div>
<label slot="code-label" class="smsotp-label" for="${id}-k"></label>
<input slot="code" id="${id}-k" class="smsotp-code" autocomplete="one-time-code" inputmode="numeric" dir="ltr" spellcheck="false" aria-describedby="${id}-kh ${id}-kx ${id}-s">
<div slot="code-hint"><span id="${id}-kh" class="smsotp-hint"></span><span id="${id}-kx" class="smsotp-hint"></span><span class="smsotp-hint" data-countdown></span></div>
<div slot="turnstile" class="smsotp-turnstile"></div>
<p slot="status" id="${id}-s" class="smsotp-status" role="status"></p>`;
    const g = (s) => light.querySelector(s);
    Object.assign(this.#e, {
      cLabel: g(`[for=${id}-c]`), combo: g(`#${id}-c`), list: g(`#${id}-l`), telLabel: g(`[for=${id}-t]`), tel: g(`#${id}-t`), telHint: g(`#${id}-th`),
      codeLabel: g(`[for=${id}-k]`), code: g(`#${id}-k`), codeHint: g(`#${id}-kh`), expiry: g(`#${id}-kx`), countdown: g('[data-countdown]'), ts: g('.smsotp-turnstile'), status: g(`#${id}-s`),
    });
    this.append(...light.childNodes);
    const e = this.#e;
    e.send.onclick = () => this.#send();
    e.new.onclick = () => this.#send(true);
    e.retry.onclick = () => (this.#ready ? this.#retry() : this.#init());
    e.resend.onclick = () => this.#resend();
    e.change.onclick = () => this.#change();
    e.tel.addEventListener('input', (ev) => this.#onTel(ev));
    e.tel.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this.#send();
      }
    });
    for (const t of ['input', 'change']) e.code.addEventListener(t, () => this.#onCode());
    e.code.addEventListener('keydown', (ev) => ev.key === 'Enter' && ev.preventDefault());
    e.code.addEventListener('focus', () => e.boxes.classList.add('f'));
    e.code.addEventListener('blur', () => e.boxes.classList.remove('f'));
    e.combo.addEventListener('input', () => this.#filter(true));
    e.combo.addEventListener('keydown', (ev) => this.#comboKey(ev));
    e.combo.addEventListener('click', () => (e.list.hidden ? this.#filter(false) : this.#close()));
    e.combo.addEventListener('blur', () => this.#close());
    e.list.addEventListener('mousedown', (ev) => ev.preventDefault());
    e.list.addEventListener('click', (ev) => {
      const li = ev.target.closest('li[data-c]');
      if (li) this.#pick(li.dataset.c, true);
    });
    this.#texts();
    this.#go('phone');
  }

  /** The widget's language: `lang`, else the nearest `lang` in the page, else the browser's. */
  #lang() {
    return (this.closest('[lang]')?.lang || globalThis.navigator?.language || 'en').trim() || 'en';
  }
  /** The messages' language: the widget's when there are messages in it, else English. */
  #ml() {
    return M[this.#lang().slice(0, 2).toLowerCase()] ? this.#lang() : 'en';
  }
  #t(key, vars = {}) {
    const l = this.#ml().slice(0, 2).toLowerCase();
    return (M[l][key] ?? M.en[key]).replace(/\{(\w)\}/g, (_, k) => vars[k]);
  }

  /** Every static text, in the current language. */
  #texts() {
    const e = this.#e;
    // Messages in English for a language without its own: marked so (direction, speech).
    const own = this.#ml() !== 'en' || this.#lang().startsWith('en');
    for (const x of [e.box, e.cLabel, e.telLabel, e.telHint, e.codeLabel, e.codeHint.parentNode, e.status]) {
      for (const [a, v] of [['lang', 'en'], ['dir', 'ltr']]) {
        if (own) x.removeAttribute(a);
        else x.setAttribute(a, v);
      }
    }
    e.cLabel.textContent = this.#t('c');
    e.list.setAttribute('aria-label', this.#t('cs'));
    e.telLabel.textContent = this.#t('p');
    e.telHint.textContent = this.#t('ph');
    e.codeLabel.textContent = this.#t('k');
    for (const a of ['send', 'new', 'retry', 'resend', 'change']) e[a].textContent = this.#t({ send: 's', new: 'nc', retry: 'tr', resend: 'r', change: 'ch' }[a]);
    if (this.#ready) {
      this.#names();
      this.#preview();
    }
    this.#validity();
  }

  // ---- loading --------------------------------------------------------------------------

  /** Starts loading once the attributes set in the same task are all there. */
  #init() {
    const gen = ++this.#gen;
    queueMicrotask(() => gen === this.#gen && this.#load(gen));
  }

  async #load(gen) {
    const api = this.getAttribute('api') || globalThis.location?.origin;
    const key = this.getAttribute('publishable-key');
    if (!key || !api) return;
    this.#go('phone');
    this.#sync();
    try {
      this.#client = new BrowserClient({ api, publishableKey: key });
      // With `preview` the full entry is needed anyway, and it has the phone functions too:
      // one wasm instead of two.
      const [ph, cfg] = await Promise.all([this.hasAttribute('preview') ? loadFull() : loadPhone(), configOf(this.#client)]);
      if (gen !== this.#gen) return;
      this.#ph = ph;
      this.#cfg = cfg;
    } catch (err) {
      if (gen !== this.#gen) return;
      // For the page's developer: a wrong key, an origin not listed for it (no CORS), …
      console.warn(`<${TAG}>: ${err.message}`);
      this.#fail(err, 'init');
      return;
    }
    const all = this.#ph.countries().map((r) => ({ ...r }));
    const allowed = this.#cfg.allowedCountries;
    this.#regions = Array.isArray(allowed) ? all.filter((r) => allowed.includes(r.countryIso)) : all;
    this.#ready = true;
    // What was typed in the country field while the wasm loaded: filtered below.
    const typed = this.#e.combo.matches(':focus') && this.#e.combo.value;
    this.#names();
    this.#pick(this.#defaultCountry(), false);
    if (this.#cfg.turnstileSiteKey) this.#turnstile();
    this.#e.code.inputMode = this.#cfg.pinType === 'numbers' || !this.#cfg.pinType ? 'numeric' : 'text';
    this.#boxes();
    this.#go('phone');
    if (typed) {
      this.#e.combo.value = typed;
      this.#filter(true);
    }
    // A number typed while the wasm loaded: formatted now.
    if (this.#e.tel.value) this.#onTel({});
    this.#preview();
  }

  #defaultCountry() {
    const has = (c) => c && this.#regions.some((r) => r.countryIso === c);
    const region = (tag) => tag?.split('-')[1]?.toUpperCase();
    for (const c of [this.getAttribute('country')?.toUpperCase(), this.#cfg?.defaultCountry, region(this.#lang()), region(globalThis.navigator?.language), 'US']) if (has(c)) return c;
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
    const dn = names(lang);
    const en = names('en');
    // The English name is searchable too (a Latin keyboard on a page in another script).
    for (const r of this.#regions) {
      r.name = dn.of(r.countryIso) ?? r.countryIso;
      r.en = en.of(r.countryIso) ?? '';
      // Folded once here, not for every region at every keystroke.
      r.search = [fold(r.name), fold(r.en)];
    }
    this.#byIso = new Map(this.#regions.map((r) => [r.countryIso, r]));
    this.#regions.sort((a, b) => a.name.localeCompare(b.name, lang));
    this.#e.list.innerHTML = '';
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
      this.#e.list.append(li);
    }
    this.#close();
  }

  // ---- the country combobox ----------------------------------------------------------------

  #label(c) {
    const r = this.#regions.find((x) => x.countryIso === c);
    // In the input's plain text, the same isolation by Unicode's isolate marks (only after a
    // right-to-left name: the accessible names stay plain text elsewhere).
    if (!r) return '';
    const code = /[\u0590-\u08ff]/.test(r.name) ? `\u2066+${r.callingCode}\u2069` : `+${r.callingCode}`;
    return `${r.name} ${code}`;
  }

  #visible() {
    return [...this.#e.list.children].filter((li) => !li.hidden && li.dataset.c);
  }

  /** Opens the list, filtered by what was typed when `typed` (name, ISO code or +code). */
  #filter(typed) {
    const e = this.#e;
    const q = typed ? fold(e.combo.value.trim()) : '';
    const digits = q.replace(/^\+/, '');
    for (const li of e.list.children) {
      if (!li.dataset.c) continue;
      const r = this.#byIso.get(li.dataset.c);
      li.hidden = !!q && !(r.search.some((name) => name.includes(q)) || r.countryIso.toLowerCase() === q || (/^\d+$/.test(digits) && String(r.callingCode).startsWith(digits)));
    }
    e.list.querySelector('[data-none]')?.remove();
    const shown = this.#visible();
    if (!shown.length) {
      const li = document.createElement('li');
      li.dataset.none = '';
      li.setAttribute('aria-disabled', 'true');
      li.setAttribute('role', 'option');
      li.textContent = this.#t('none');
      e.list.append(li);
    }
    e.list.hidden = false;
    e.combo.setAttribute('aria-expanded', 'true');
    const at = typed ? 0 : shown.findIndex((li) => li.dataset.c === this.#country);
    this.#activate(at);
  }

  #activate(i) {
    const shown = this.#visible();
    for (const li of this.#e.list.children) li.setAttribute('aria-selected', 'false');
    this.#active = shown.length ? Math.max(0, Math.min(i, shown.length - 1)) : -1;
    const li = shown[this.#active];
    if (li) {
      li.setAttribute('aria-selected', 'true');
      this.#e.combo.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView?.({ block: 'nearest' });
    } else this.#e.combo.removeAttribute('aria-activedescendant');
  }

  #close() {
    const e = this.#e;
    e.list.hidden = true;
    e.combo.setAttribute('aria-expanded', 'false');
    e.combo.removeAttribute('aria-activedescendant');
    e.combo.value = this.#label(this.#country);
  }

  #comboKey(ev) {
    const open = !this.#e.list.hidden;
    const move = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[ev.key];
    if (move) {
      ev.preventDefault();
      if (!open) this.#filter(false);
      else this.#activate(this.#active + move);
    } else if (ev.key === 'Enter' && open) {
      ev.preventDefault();
      const li = this.#visible()[this.#active];
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
    if (!this.#regions.some((r) => r.countryIso === c)) return;
    this.#country = c;
    for (const li of this.#e.list.children) li.toggleAttribute('data-current', li.dataset.c === c);
    this.#close();
    if (user) {
      const v = this.#e.tel.value;
      if (v && !v.trim().startsWith('+')) this.#e.tel.value = new this.#ph.AsYouType(c).input(asciiDigits(v).replace(/\D/g, ''));
      this.#e.tel.removeAttribute('aria-invalid');
    }
    this.#e.tel.placeholder = this.#example();
    this.#preview();
  }

  #example() {
    const r = this.#regions.find((x) => x.countryIso === this.#country);
    try {
      return r ? this.#ph.formatPhoneNumber(r.exampleNumber, r.countryIso, 'NATIONAL') : '';
    } catch {
      return '';
    }
  }

  // ---- the phone number ------------------------------------------------------------------

  /** Formats the number as typed; an international number selects its country. */
  #onTel(ev) {
    if (!this.#ready) return;
    const tel = this.#e.tel;
    if (tel.getAttribute('aria-invalid')) {
      tel.removeAttribute('aria-invalid');
      this.#say('');
    }
    if (ev.inputType?.startsWith('delete')) return this.#preview();
    const raw = asciiDigits(tel.value);
    const caret = tel.selectionStart ?? raw.length;
    const atEnd = caret >= raw.length;
    const before = raw.slice(0, caret).replace(/\D/g, '').length;
    let intl = raw.trim().replace(/^00/, '+');
    let text;
    if (intl.startsWith('+')) {
      intl = `+${intl.replace(/\D/g, '')}`;
      const p = this.#ph.parsePhoneNumber(intl);
      if (p.valid && this.#regions.some((r) => r.countryIso === p.countryIso)) {
        // One dial code: the country list shows it, the field keeps the national number.
        this.#pick(p.countryIso, false);
        text = this.#ph.formatPhoneNumber(p.e164, p.countryIso, 'NATIONAL');
      } else {
        const f = new this.#ph.AsYouType();
        text = f.input(intl);
        const c = f.getCountry();
        if (c && c !== this.#country) this.#pick(c, false);
      }
    } else {
      text = new this.#ph.AsYouType(this.#country).input(raw.replace(/\D/g, ''));
    }
    if (text !== tel.value) {
      tel.value = text;
      if (!atEnd) {
        let i = 0;
        for (let n = 0; i < text.length && n < before; i++) if (/\d/.test(text[i])) n++;
        tel.setSelectionRange(i, i);
      }
    }
    this.#preview();
  }

  /** The typed number, parsed with the selected country: `PhoneCheck`. */
  #number() {
    const v = asciiDigits(this.#e.tel.value).trim();
    return this.#ph.parsePhoneNumber(v.replace(/^00/, '+'), this.#country);
  }

  // ---- preview -----------------------------------------------------------------------------

  /** The SMS the person will get, PIN masked, with its encoding and parts (`preview` only). */
  async #preview() {
    const pv = this.#e.pv;
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
    const c = this.#cfg;
    const n = Number(c.pinLength) || 6;
    const pin = (c.pinType === 'letters' ? 'K' : '7').repeat(n);
    const p = this.#number();
    const r = this.#regions.find((x) => x.countryIso === this.#country);
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
    pv.children[0].textContent = this.#t('pv');
    pv.children[1].textContent = m.text.split(pin).join('•'.repeat(n));
    pv.children[1].lang = m.language;
    pv.children[2].textContent = this.#t('pt', { e: m.encoding, n: m.parts });
    pv.hidden = false;
  }

  // ---- Turnstile ---------------------------------------------------------------------------

  async #turnstile() {
    const src = this.getAttribute('turnstile-script') || TURNSTILE;
    turnstileLoad ??= new Promise((resolve, reject) => {
      if (globalThis.turnstile) return resolve();
      const s = document.createElement('script');
      s.src = src;
      s.async = true;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error('Turnstile script failed to load'));
      document.head.append(s);
    });
    try {
      await turnstileLoad;
      this.#ts = globalThis.turnstile.render(this.#e.ts, {
        sitekey: this.#cfg.turnstileSiteKey,
        // The edge refuses a token solved for another action (a login form's on the same site).
        action: 'smsotp',
        language: this.#lang(),
        callback: (token) => (this.#tsToken = token),
        'expired-callback': () => (this.#tsToken = ''),
      });
    } catch (err) {
      turnstileLoad = undefined;
      this.#fail({ code: 0, type: 'turnstile_error', message: err.message }, 'phone');
    }
  }

  /** The Turnstile token for one request (spent by it), or null when one is needed but missing. */
  #spendTurnstile(body) {
    if (!this.#cfg.turnstileSiteKey) return body;
    if (!this.#tsToken) return null;
    body.turnstileToken = this.#tsToken;
    this.#tsToken = '';
    try {
      globalThis.turnstile?.reset(this.#ts);
    } catch {}
    return body;
  }

  // ---- sending and checking ----------------------------------------------------------------

  async #send(again = false) {
    if (!this.#ready || this.#disabled || this.#state === 'sending' || this.#state === 'checking') return;
    let e164 = this.#e164;
    if (!again) {
      const p = this.#number();
      if (!p.valid) return this.#fieldError({ code: 2020, type: 'invalid_param' }, 'inv');
      if (!this.#regions.some((r) => r.countryIso === p.countryIso)) return this.#fieldError({ code: 2112, type: 'access_denied' }, 'na');
      e164 = p.e164;
    }
    const body = this.#spendTurnstile({ phoneNumber: e164, language: this.#lang().slice(0, 2).toLowerCase() });
    if (!body) return this.#fieldError({ code: 2122, type: 'access_denied' }, 'ts', again ? 'expired' : 'phone');
    this.#back = again ? 'expired' : 'phone';
    this.#go('sending');
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
    this.#tried.clear();
    this.#e.code.value = '';
    this.#e.code.removeAttribute('aria-invalid');
    this.#say('');
    this.#go('code');
    this.#timing(r);
    this.#boxes();
    this.#sentHint('sent');
    this.#e.code.focus();
    this.#webOtp();
    this.#emit('smsotp-sent', { otpId: r.otpId, phoneNumber: r.phoneNumber, resendAfter: r.resendAfter ?? null });
  }

  async #resend() {
    if (this.#state !== 'code' || !this.#otp || this.#disabled || this.#resending || Date.now() < this.#resendAt) return;
    const body = this.#spendTurnstile({});
    if (!body) return this.#fieldError({ code: 2122, type: 'access_denied' }, 'ts', 'code');
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
    this.#tried.clear();
    this.#timing(r);
    this.#e.code.value = '';
    this.#boxes();
    this.#sentHint('sent');
    this.#say(this.#t('resent', { n: this.#shownNumber() }));
    this.#e.code.focus();
    this.#emit('smsotp-sent', { otpId: this.#otp.otpId, phoneNumber: this.#e164, resendAfter: r.resendAfter ?? null });
  }

  /** A code input event: the code, sanitised; a complete new code is checked once. */
  #onCode() {
    const e = this.#e;
    const n = Number(this.#cfg?.pinLength) || 6;
    const code = sanitizeCode(e.code.value, n, this.#cfg?.pinType && this.#cfg.pinType !== 'numbers');
    if (this.#state !== 'code') {
      if (this.#state === 'checking' && e.code.value !== this.#checking) e.code.value = this.#checking;
      return;
    }
    if (e.code.value !== code) e.code.value = code;
    if (code.length < n && e.code.getAttribute('aria-invalid')) e.code.removeAttribute('aria-invalid');
    this.#boxes();
    if (code.length !== n) return;
    const key = `${this.#otp.otpId}\n${code}`;
    if (this.#tried.has(key)) return;
    this.#tried.add(key);
    this.#check(code);
  }

  #checking = '';
  async #check(code) {
    this.#checking = code;
    this.#back = 'code';
    this.#go('checking');
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
    this.#e.sum.textContent = this.#shownNumber();
    this.#say(this.#t('ok'), 'ok');
    this.#go('verified');
    this.#emit('smsotp-verified', { token: r.token, phoneNumber: this.#e164 });
  }

  // ---- WebOTP --------------------------------------------------------------------------

  #webOtp() {
    if (this.#webotp || !('OTPCredential' in globalThis) || !navigator.credentials?.get) return;
    const ac = (this.#webotp = new AbortController());
    navigator.credentials
      .get({ otp: { transport: ['sms'] }, signal: ac.signal })
      .then((cred) => {
        if (this.#webotp === ac) this.#webotp = null;
        if (cred?.code && this.#state === 'code') {
          this.#e.code.value = cred.code;
          this.#onCode();
        }
      })
      .catch(() => {
        if (this.#webotp === ac) this.#webotp = null;
      });
  }

  #stopWebOtp() {
    this.#webotp?.abort();
    this.#webotp = null;
  }

  // ---- timers ----------------------------------------------------------------------------

  /** Expiry and resend time from a start's or resend's answer, on this page's clock. */
  #timing(r) {
    const now = Date.now();
    const at = Date.parse(r.expiresAt);
    if (!Number.isNaN(at)) {
      // The server's clock may differ from the page's: a fresh OTP was created "now" with the
      // tenant's ttl, which gives the offset; a resend keeps it.
      if (r.phoneNumber && Number(this.#cfg.ttl) > 0) this.#skew = at - Number(this.#cfg.ttl) * 1000 - now;
      this.#expires = at - this.#skew;
    } else this.#expires = 0;
    const wait = r.resendAfter ?? this.#cfg.resendCooldowns?.[0] ?? 30;
    this.#resendAt = now + Number(wait) * 1000;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#tick();
  }

  /** Once a second in the code step: the resend countdown (plain text) and the expiry. */
  #tick() {
    if (!['code', 'checking'].includes(this.#state)) {
      clearInterval(this.#timer);
      this.#timer = 0;
      return;
    }
    if (!this.#timer) this.#timer = setInterval(() => this.#tick(), 1000);
    const now = Date.now();
    if (this.#expires && now >= this.#expires && this.#state === 'code') {
      this.#stopWebOtp();
      this.#say(this.#t('ex'), 'error');
      this.#go('expired');
      this.#emit('smsotp-error', { code: 2025, type: 'otp_expired', message: this.#t('ex') });
      return;
    }
    const left = Math.ceil((this.#resendAt - now) / 1000);
    this.#e.countdown.textContent = left > 0 ? this.#t('rin', { t: clockText(left) }) : '';
    this.#sync();
  }

  // ---- states, messages, errors ------------------------------------------------------------

  #go(state) {
    // A focused control the new state hides: focus goes to the state's own control instead
    // of falling to the page (and being lost for keyboard and screen-reader users).
    const focused = this.#root.activeElement ?? (this.contains(document.activeElement) ? document.activeElement : null);
    this.#state = state;
    this.#e.box.dataset.s = state;
    const states = this.#i?.states;
    if (states) {
      for (const s of STATES) {
        try {
          states.delete(s);
        } catch {}
      }
      try {
        states.add(state);
      } catch {}
    }
    if (state !== 'code' && state !== 'checking') {
      clearInterval(this.#timer);
      this.#timer = 0;
      this.#e.countdown.textContent = '';
    }
    this.#e.code.readOnly = state === 'checking';
    this.#e.code.toggleAttribute('aria-busy', state === 'checking');
    this.#sync();
    this.#validity();
    const e = this.#e;
    if (focused && focused.checkVisibility?.() === false) ({ error: e.retry, locked: e.change, expired: e.new, phone: e.tel, code: e.code })[state]?.focus();
  }

  /** Which buttons show and which controls are enabled, for the state. */
  #sync() {
    if (!this.#built) return;
    const e = this.#e;
    const s = this.#state;
    const show = { send: ['phone', 'sending'], resend: ['code', 'checking'], change: ['code', 'checking', 'locked', 'expired'], new: ['expired'], retry: ['error'] };
    for (const [a, in_] of Object.entries(show)) e[a].hidden = !in_.includes(s) && !(a === 'change' && s === 'error' && this.#back === 'code');
    const off = this.#disabled;
    // While a request runs its button stays focusable (aria-disabled): disabling it would
    // drop the focus to the page.
    e.send.disabled = off || !this.#ready;
    e.send.ariaDisabled = s === 'sending' ? 'true' : null;
    e.send.textContent = this.#t(s === 'sending' ? 'wait' : 's');
    e.resend.disabled = off || !['code', 'checking'].includes(s) || Date.now() < this.#resendAt;
    e.resend.ariaDisabled = this.#resending || s === 'checking' ? 'true' : null;
    for (const b of [e.new, e.retry, e.change]) b.disabled = off;
    for (const i of [e.combo, e.tel, e.code]) i.disabled = off;
    e.tel.readOnly = s === 'sending';
  }

  #validity() {
    const i = this.#i;
    if (!i?.setValidity) return;
    if (this.#token) i.setValidity({});
    else {
      const anchor = ['code', 'checking'].includes(this.#state) ? this.#e.code : this.#e.tel;
      try {
        i.setValidity({ valueMissing: true }, this.#t('req'), anchor);
      } catch {
        i.setValidity({ valueMissing: true }, this.#t('req'));
      }
    }
  }

  #setToken(token) {
    this.#token = token;
    this.#i?.setFormValue(token || null);
    this.#validity();
  }

  /** The live region: errors and outcomes, announced without moving focus. */
  #say(text, kind = '') {
    this.#e.status.textContent = text;
    if (kind) this.#e.status.dataset.kind = kind;
    else delete this.#e.status.dataset.kind;
  }

  #shownNumber() {
    try {
      return this.#ph.formatPhoneNumber(this.#e164, undefined, 'INTERNATIONAL');
    } catch {
      return this.#e164;
    }
  }

  #sentHint(key) {
    const h = this.#e.codeHint;
    const [a, b] = this.#t(key, { n: '\u0000' }).split('\u0000');
    const num = document.createElement('span');
    num.dir = 'ltr';
    num.textContent = this.#shownNumber();
    h.replaceChildren(a, num, b);
    const t = this.#expires && new Intl.DateTimeFormat(this.#ml(), { hour: 'numeric', minute: '2-digit' }).format(new Date(this.#expires));
    this.#e.expiry.textContent = t ? this.#t('until', { t }) : '';
  }

  #boxes() {
    const n = Number(this.#cfg?.pinLength) || 6;
    const b = this.#e.boxes;
    if (b.children.length !== n) b.innerHTML = '<span part="box"></span>'.repeat(n);
    const len = this.#e.code.value.length;
    [...b.children].forEach((x, i) => x.classList.toggle('a', i === Math.min(len, n - 1)));
    this.#e.code.style.width = `${n * 2.4}ch`;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /** An error shown in the phone (or given) step without leaving it. */
  #fieldError({ code, type }, key, stay = 'phone') {
    const message = this.#t(key);
    this.#say(message, 'error');
    if (stay === 'phone') this.#e.tel.setAttribute('aria-invalid', 'true');
    this.#emit('smsotp-error', { code, type, message });
  }

  /** An error of the API (or of the network) during `step`: the state and message it leads to. */
  #fail(err, step) {
    const code = err?.code ?? 0;
    const type = err?.type ?? 'error';
    let key = 'err';
    let state = 'error';
    let vars = {};
    if (code === 2029) {
      const n = err.attemptsLeft;
      key = n === 1 ? 'wr1' : 'wr';
      vars = { n };
      state = 'code';
    } else if ([2026, 2027, 2110].includes(code)) {
      key = 'lk';
      state = 'locked';
    } else if (code === 2025 || code === 2028) {
      key = 'ex';
      state = 'expired';
    } else if (step === 'phone' && [2020, 2112, 2113].includes(code)) {
      this.#go('phone');
      return this.#fieldError({ code, type }, code === 2020 ? 'inv' : 'na');
    } else if (err?.status === 429 || type === 'rate_limit') {
      const s = Number(err.retryAfter);
      if (s > 0) {
        const unit = s < 120 ? 'second' : s < 7200 ? 'minute' : 'hour';
        const v = Math.ceil(s / { second: 1, minute: 60, hour: 3600 }[unit]);
        key = 'rl';
        vars = { t: new Intl.NumberFormat(this.#ml(), { style: 'unit', unit, unitDisplay: 'long' }).format(v) };
      } else key = 'rl0';
    } else if (code === 2122 || code === 2123) key = 'ts';
    else if (type === 'network_error') key = 'net';
    const message = this.#t(key, vars);
    if (state !== 'code') this.#stopWebOtp();
    if (state === 'error') this.#back = step;
    this.#say(message, 'error');
    this.#go(state);
    if (state === 'code') {
      this.#e.code.value = '';
      this.#e.code.setAttribute('aria-invalid', 'true');
      this.#boxes();
      this.#tick();
    }
    this.#emit('smsotp-error', { code, type, message });
  }

  /** "Try again": back to the step the error interrupted. */
  #retry() {
    this.#say('');
    const back = this.#back === 'code' && this.#otp ? 'code' : this.#back === 'expired' ? 'expired' : 'phone';
    this.#go(back);
    if (back === 'code') {
      this.#e.code.value = '';
      this.#boxes();
      this.#tick();
      this.#e.code.focus();
    } else if (back === 'phone') this.#e.tel.focus();
    else this.#e.new.focus();
  }

  /** "Change number": back to the phone step, the number kept for editing. */
  #change() {
    this.#flow++;
    this.#stopWebOtp();
    this.#otp = null;
    this.#e164 = '';
    this.#tried.clear();
    this.#e.code.value = '';
    this.#e.code.removeAttribute('aria-invalid');
    this.#say('');
    this.#go('phone');
    this.#e.tel.focus();
  }
}

/** Defines `<smsotp-verify>` once (a second import, or a second call, does nothing). */
export function defineSmsotpVerify() {
  const ce = globalThis.customElements;
  if (ce && !ce.get(TAG)) ce.define(TAG, SmsotpVerify);
}
defineSmsotpVerify();
