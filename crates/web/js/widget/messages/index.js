// The widget's languages and how a message is picked, filled and formatted. Pure (no DOM),
// unit-tested in tests/widget-unit/messages.test.mjs.
//
// Every language is bundled into widget.js (the seven are 11.2 KB minified, 3.9 KB gzipped
// on their own, of a widget.js of 15.0 KB gzipped: esbuild 0.28, 2026-12-05, with the channel
// messages of issue 20) rather than fetched when needed: the widget stays one request, and
// shows in the page's language at once, with no flash of English.
//
// Imported in the order that bundles smallest (gzip's matches reach back 32 KB; measured: 20
// bytes less than alphabetical).
import bg from './bg.js';
import es from './es.js';
import fr from './fr.js';
import it from './it.js';
import en from './en.js';
import de from './de.js';
import sv from './sv.js';

/** The messages by primary language subtag. */
export const MESSAGES = { en, fr, de, es, it, bg, sv };

/**
 * The language the messages are in for a widget language tag (`fr-CA`): the tag itself when
 * there are messages for its primary subtag, else `en`. Dates and numbers are formatted in
 * it too, so that a sentence does not mix two languages.
 */
export const messageLanguage = (lang) => (MESSAGES[lang.slice(0, 2).toLowerCase()] ? lang : 'en');

/**
 * The message `key` in `lang` (a `messageLanguage`), its placeholders (`{n}`, `{t}`, `{e}`)
 * filled from `vars`; a key a translation lacks is taken from English.
 */
export function message(lang, key, vars = {}) {
  return (MESSAGES[lang.slice(0, 2).toLowerCase()][key] ?? en[key]).replace(/\{(\w)\}/g, (_, k) => vars[k]);
}

/** A countdown in seconds as `m:ss` (the resend countdown: digits read the same in every language). */
export const clockText = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

/**
 * A wait in seconds (a rate limit's `retryAfter`) in words, rounded up to a unit a person
 * thinks in: "45 seconds" below 2 minutes, "3 minutes" below 2 hours, else hours.
 */
export function durationText(seconds, lang) {
  const unit = seconds < 120 ? 'second' : seconds < 7200 ? 'minute' : 'hour';
  const value = Math.ceil(seconds / { second: 1, minute: 60, hour: 3600 }[unit]);
  return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}
