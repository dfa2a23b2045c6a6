// English messages of `<smsotp-verify>`: the reference language. Every other file in this
// folder has exactly these keys (tests/widget-unit/messages.test.mjs checks it, and that each
// translation keeps the placeholders); a language the widget has no file for is shown in
// English, marked `lang="en"`. Placeholders: {n} a number or a phone number, {t} a time or a
// duration, {e} an SMS encoding. Modelled on shoelace's src/translations/en.ts: one plain
// object per language, so that adding one is adding a file (and a line in index.js).

export default {
  // The country combobox: its label, the list's accessible name, and the list when the
  // search finds nothing.
  country: 'Country',
  countries: 'Countries',
  noCountry: 'No country found',
  // The phone step.
  phone: 'Phone number',
  phoneHint: 'We will send you a code by SMS.',
  send: 'Send code',
  sending: 'Sending…',
  // The code step: label, where the code went ({n}: the number, isolated left-to-right),
  // until when it is valid ({t}: a time of day), the resend countdown ({t}: m:ss).
  code: 'Verification code',
  sent: 'We sent a code to {n}.',
  resent: 'We sent a new code to {n}.',
  // Where the code went through a voice call or WhatsApp (widget/channels.js: the latest
  // message's channel), also announced when a resend went there.
  sentVoice: "We're calling {n} with your code.",
  sentWhatsapp: 'We sent a code on WhatsApp to {n}.',
  validUntil: 'The code is valid until {t}.',
  resend: 'Resend code',
  // Each other channel the tenant allows, offered beside "Resend code" once it is allowed.
  viaVoice: 'Call me instead',
  viaWhatsapp: 'Send on WhatsApp',
  viaSms: 'Send by SMS',
  resendIn: 'You can resend in {t}',
  // The other buttons.
  change: 'Change number',
  newCode: 'Send a new code',
  retry: 'Try again',
  // Outcomes (widget/outcomes.js), announced in the live region.
  invalidNumber: 'Enter a valid phone number.',
  notAllowed: 'SMS cannot be sent to this number.',
  wrongCode: 'Wrong code. {n} attempts left.',
  wrongCodeOneLeft: 'Wrong code. 1 attempt left.',
  locked: 'Too many wrong codes.',
  expired: 'This code has expired.',
  // The latest message's delivery failed (a report from the provider, or none in time).
  undelivered: 'The code could not be delivered.',
  verified: 'Phone number verified.',
  rateLimited: 'Too many attempts. Try again in {t}.',
  rateLimitedLater: 'Too many attempts. Try again later.',
  network: 'The verification service cannot be reached. Check your connection.',
  error: 'Something went wrong.',
  securityCheck: 'Complete the security check first.',
  // The SMS preview (`preview`): its heading, and "GSM-7, 1 SMS".
  preview: 'Your SMS',
  previewInfo: '{e}, {n} SMS',
  // The form's validation message before the number is verified.
  required: 'Verify your phone number',
};
