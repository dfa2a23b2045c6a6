// The widget's messages (crates/web/js/widget/messages/): every language complete, with the
// placeholders of English; every message used by the widget (a message nothing shows is dead
// weight in every page's download: seven "Checking…" translations were, until this test);
// the language picked, placeholders filled, times and waits written out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { MESSAGES, clockText, durationText, message, messageLanguage } from '../../crates/web/js/widget/messages/index.js';

const WIDGET = new URL('../../crates/web/js/widget/', import.meta.url);
const { en } = MESSAGES;
const placeholders = (text) => [...text.matchAll(/\{(\w)\}/g)].map((m) => m[1]).sort();

test('the seven languages of the widget, one file each, each registered', () => {
  assert.deepEqual(Object.keys(MESSAGES).sort(), ['bg', 'de', 'en', 'es', 'fr', 'it', 'sv']);
  const files = readdirSync(new URL('messages/', WIDGET)).filter((f) => f !== 'index.js').map((f) => f.replace(/\.js$/, ''));
  assert.deepEqual(files.sort(), Object.keys(MESSAGES).sort());
});

test('every language has exactly the keys of English, with the same placeholders', () => {
  for (const [lang, messages] of Object.entries(MESSAGES)) {
    assert.deepEqual(Object.keys(messages), Object.keys(en), `${lang}: the keys of en.js, in its order`);
    for (const [key, text] of Object.entries(messages)) {
      assert.equal(typeof text, 'string', `${lang}.${key}`);
      assert.ok(text.trim(), `${lang}.${key} is empty`);
      assert.deepEqual(placeholders(text), placeholders(en[key]), `${lang}.${key}: ${text}`);
    }
  }
});

test('every message is used by the widget (named in its sources)', () => {
  const sources = ['element.js', 'outcomes.js', 'states.js', 'channels.js'].map((f) => readFileSync(new URL(f, WIDGET), 'utf8')).join('\n');
  // As a string ('verified') or as a key of the element's BUTTONS (`newCode: 'button primary'`).
  const unused = Object.keys(en).filter((key) => !sources.includes(`'${key}'`) && !new RegExp(`\\b${key}: 'button`).test(sources));
  assert.deepEqual(unused, []);
});

test('the messages\' language: the tag when there are messages for its language, else English', () => {
  assert.equal(messageLanguage('fr'), 'fr');
  assert.equal(messageLanguage('fr-CA'), 'fr-CA');
  assert.equal(messageLanguage('SV-se'), 'SV-se');
  assert.equal(messageLanguage('pt-BR'), 'en');
  assert.equal(messageLanguage('ar'), 'en');
});

test('a message, placeholders filled, in the language of a tag', () => {
  assert.equal(message('en', 'wrongCode', { n: 3 }), 'Wrong code. 3 attempts left.');
  assert.equal(message('fr-CA', 'wrongCode', { n: 3 }), 'Code erroné. Encore 3 essais.');
  assert.equal(message('de', 'sent', { n: '+44 7400 123456' }), 'Wir haben einen Code an +44 7400 123456 gesendet.');
  assert.equal(message('en', 'previewInfo', { e: 'GSM-7', n: 1 }), 'GSM-7, 1 SMS');
  assert.equal(message('sv', 'send'), 'Skicka kod');
});

test('the resend countdown reads m:ss', () => {
  assert.equal(clockText(5), '0:05');
  assert.equal(clockText(30), '0:30');
  assert.equal(clockText(65), '1:05');
  assert.equal(clockText(600), '10:00');
});

test('a wait in words, rounded up to seconds below 2 minutes, minutes below 2 hours, else hours', () => {
  assert.equal(durationText(1, 'en'), '1 second');
  assert.equal(durationText(45, 'en'), '45 seconds');
  assert.equal(durationText(119, 'en'), '119 seconds');
  assert.equal(durationText(120, 'en'), '2 minutes');
  assert.equal(durationText(121, 'en'), '3 minutes');
  assert.equal(durationText(7199, 'en'), '120 minutes');
  assert.equal(durationText(7200, 'en'), '2 hours');
  assert.equal(durationText(86400, 'en'), '24 hours');
  // In the language's own spacing (French puts a no-break space between number and unit).
  assert.equal(durationText(60, 'fr').replace(/\s/g, ' '), '60 secondes');
  assert.equal(durationText(600, 'de'), '10 Minuten');
});
