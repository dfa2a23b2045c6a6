// The channels and deliveries of the widget (crates/web/js/widget/channels.js): which other
// channels are offered after a message, the message saying where a code went, which delivery
// statuses let the person ask again at once, and when the delivery is asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHANNEL_BUTTONS, DELIVERY_CHECKS, channelsOf, deliveryFinal, nextDeliveryCheck, notDelivered, otherChannels, sentKey,
} from '../../crates/web/js/widget/channels.js';
import { MESSAGES } from '../../crates/web/js/widget/messages/index.js';

test('the config\'s channels, in button order; SMS when it lists none the widget knows', () => {
  assert.deepEqual(channelsOf({ channels: ['sms', 'voice', 'whatsapp'] }), ['voice', 'whatsapp', 'sms']);
  assert.deepEqual(channelsOf({ channels: ['whatsapp'] }), ['whatsapp']);
  // An older API (no `channels`), an empty or odd list, a channel of a later API.
  for (const config of [{}, undefined, null, { channels: [] }, { channels: 'sms' }, { channels: ['email'] }]) {
    assert.deepEqual(channelsOf(config), ['sms'], JSON.stringify(config));
  }
  assert.deepEqual(channelsOf({ channels: ['email', 'voice'] }), ['voice']);
});

test('the other channels: none for a single-channel tenant (no buttons), never the latest message\'s', () => {
  assert.deepEqual(otherChannels({ channels: ['sms'] }, 'sms'), []);
  assert.deepEqual(otherChannels({}, 'sms'), []);
  assert.deepEqual(otherChannels({ channels: ['sms', 'voice', 'whatsapp'] }, 'sms'), ['voice', 'whatsapp']);
  assert.deepEqual(otherChannels({ channels: ['sms', 'voice', 'whatsapp'] }, 'voice'), ['whatsapp', 'sms']);
  assert.deepEqual(otherChannels({ channels: ['sms', 'voice'] }, 'voice'), ['sms']);
  // A message through a channel the config does not list (a plan's failover): all of them.
  assert.deepEqual(otherChannels({ channels: ['sms', 'voice'] }, 'whatsapp'), ['voice', 'sms']);
});

test('each channel\'s button and sent messages exist in every language', () => {
  const keys = [...Object.values(CHANNEL_BUTTONS), ...['sms', 'voice', 'whatsapp'].flatMap((c) => [sentKey(c, false), sentKey(c, true)])];
  for (const [lang, messages] of Object.entries(MESSAGES)) for (const k of keys) assert.ok(messages[k], `${lang}.${k}`);
  assert.deepEqual(Object.keys(CHANNEL_BUTTONS), ['voice', 'whatsapp', 'sms']);
  assert.equal(MESSAGES.en[CHANNEL_BUTTONS.voice], 'Call me instead');
});

test('where the code went: per channel (by SMS a resend says "a new code"); an unknown channel reads as SMS', () => {
  assert.deepEqual([sentKey('sms', false), sentKey('sms', true)], ['sent', 'resent']);
  assert.deepEqual([sentKey('voice', false), sentKey('voice', true)], ['sentVoice', 'sentVoice']);
  assert.deepEqual([sentKey('whatsapp', false), sentKey('whatsapp', true)], ['sentWhatsapp', 'sentWhatsapp']);
  assert.equal(sentKey('pigeon', true), 'resent');
  assert.equal(sentKey(undefined, false), 'sent');
});

test('not delivered: undelivered, failed, expired; final: those and delivered', () => {
  for (const s of ['undelivered', 'failed', 'expired']) assert.ok(notDelivered(s) && deliveryFinal(s), s);
  assert.ok(!notDelivered('delivered') && deliveryFinal('delivered'));
  for (const s of ['queued', 'sent', undefined, null, '']) assert.ok(!notDelivered(s) && !deliveryFinal(s), String(s));
});

test('the delivery is asked 10, 25 and 45 s after a send, then no more', () => {
  assert.deepEqual(DELIVERY_CHECKS, [10, 25, 45]);
  assert.equal(nextDeliveryCheck(0), 10_000);
  assert.equal(nextDeliveryCheck(3_000), 7_000);
  assert.equal(nextDeliveryCheck(10_000), 15_000, 'at 10 s exactly (the first check ran): the next');
  assert.equal(nextDeliveryCheck(10_050), 14_950);
  assert.equal(nextDeliveryCheck(44_999), 1);
  assert.equal(nextDeliveryCheck(45_000), -1);
  assert.equal(nextDeliveryCheck(600_000), -1);
  // Walking the schedule as the element does: three checks in all.
  let t = 0;
  const at = [];
  for (let wait = nextDeliveryCheck(t); wait >= 0; wait = nextDeliveryCheck(t)) at.push((t += wait + 40) - 40);
  assert.deepEqual(at, [10_000, 25_000, 45_000]);
});
