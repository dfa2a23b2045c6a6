// The channels a code can go through (SMS, a voice call, WhatsApp) and what the widget learns
// of a message's delivery. Pure, unit-tested in tests/widget-unit/channels.test.mjs.
//
// The tenant's browser config lists the channels it allows (`channels`, default `["sms"]`).
// Once a resend is allowed (or the message is known not to have arrived), the code step
// offers each allowed channel but the one the latest message went through, as its own button.
// Where the latest message stands is asked with `GET /v1/browser/otp/{otpId}` a few times
// only, since each request counts against the tenant.

/** Every channel, in the order of their buttons; each button's `data-a` (and message key). */
export const CHANNEL_BUTTONS = { voice: 'viaVoice', whatsapp: 'viaWhatsapp', sms: 'viaSms' };

/** The channels of a config that the widget knows, in button order (`["sms"]` when none). */
export function channelsOf(config) {
  const listed = Array.isArray(config?.channels) ? config.channels : [];
  const known = Object.keys(CHANNEL_BUTTONS).filter((c) => listed.includes(c));
  return known.length ? known : ['sms'];
}

/**
 * The channels to offer besides "Resend code" after a message through `current`: the
 * config's others, none when it has a single channel.
 */
export const otherChannels = (config, current) => channelsOf(config).filter((c) => c !== current);

/** The message keys saying where a code went through a voice call or WhatsApp. */
const SENT = { voice: 'sentVoice', whatsapp: 'sentWhatsapp' };

/**
 * The message key saying where a code went through `channel`: by SMS "We sent a code to …"
 * (`again`: "a new code"); by voice or WhatsApp the same words for a first code and a resend.
 */
export const sentKey = (channel, again) => SENT[channel] ?? (again ? 'resent' : 'sent');

/** A delivery status that means the code will not arrive: the person may ask again at once. */
export const notDelivered = (status) => status === 'undelivered' || status === 'failed' || status === 'expired';

/** A delivery status after which asking again tells nothing new. */
export const deliveryFinal = (status) => status === 'delivered' || notDelivered(status);

/** When the delivery is asked after a send, in seconds (each request costs the tenant one). */
export const DELIVERY_CHECKS = [10, 25, 45];

/**
 * The milliseconds from now to the next delivery check of a message sent `elapsed` ms ago,
 * or -1 when all of DELIVERY_CHECKS have passed.
 */
export function nextDeliveryCheck(elapsed) {
  const at = DELIVERY_CHECKS.find((s) => s * 1000 > elapsed);
  return at === undefined ? -1 : at * 1000 - elapsed;
}
