// Twilio's own Node SDK (npm `twilio`, pinned in package.json) against the worker's
// Twilio Verify v2 API on workerd, through the README's migration recipe (recipe.mjs, the
// README's code block byte for byte: scripts/check-docs.mjs): services created, listed page
// by page, fetched, updated, removed; a verification sent by SMS (through a local stand-in
// that keeps each message), checked wrong then right, fetched, canceled, resent; the
// limits (5 checks, 5 sends), the fraud refusals, another account's SIDs, bad and API-key
// credentials. What is asserted is what a user of the SDK sees: resolved instances (dates
// as Date objects) or a `twilio.RestException` with Twilio's status and code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { SmsotpRequestClient } from './recipe.mjs';
import { ACME, GLOBEX, INITECH, codeOf, startTwilioWorker, wrongCode } from './worker.mjs';

let worker;
before(async () => {
  worker = await startTwilioWorker();
});
after(async () => {
  await worker?.dispose();
});

/** A Twilio client of the SDK pointed at the worker by the recipe. */
const clientOf = (sid, secret, options = {}) => twilio(sid, secret, { ...options, httpClient: new SmsotpRequestClient(worker.url) });
const acme = () => clientOf(ACME.accountSid, ACME.authToken);
const acmeService = (sid = ACME.serviceSid) => acme().verify.v2.services(sid);

let counter = 0;
/** A UK mobile number no other test of this file uses (each in its own number range): the
 * message is then in English, the language of the recipient's country. */
const freshNumber = () => `+44740${String(100 + counter++).padStart(3, '0')}0001`;

const SID = { VA: /^VA[0-9a-f]{32}$/, VE: /^VE[0-9a-f]{32}$/, VL: /^VL[0-9a-f]{32}$/ };
const DAY_MS = 24 * 3600 * 1000;

/** A date the SDK parsed: a Date (Twilio's `YYYY-MM-DDTHH:MM:SSZ`), within a day of now. */
function assertDate(value, what) {
  assert.ok(value instanceof Date, `${what} is ${typeof value} ${JSON.stringify(value)}, not a Date: the SDK parses only YYYY-MM-DDTHH:MM:SSZ`);
  assert.ok(Math.abs(value.getTime() - Date.now()) < DAY_MS, `${what} ${value.toISOString()} is not today`);
}

/**
 * The promise rejects with a twilio.RestException of this HTTP status and Twilio code (and
 * this message, when given).
 */
async function assertRest(promise, status, code, message) {
  let error;
  try {
    const value = await promise;
    assert.fail(`resolved (${JSON.stringify(value?.toJSON?.() ?? value)}), expected a RestException ${status} ${code}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.ok(error instanceof twilio.RestException, `${error?.constructor?.name}: ${error?.message} is not a twilio.RestException`);
  assert.deepEqual([error.status, error.code], [status, code], error.message);
  assert.equal(error.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, 'the exception has a message');
  if (message !== undefined) assert.equal(error.message, message);
  return error;
}

/** The SMS texts to `to` once there are `count` (waiting for them up to 10 s), exactly `count`. */
async function smsCount(to, count) {
  const end = Date.now() + 10_000;
  while (worker.smsTo(to).length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const texts = worker.smsTo(to);
  assert.equal(texts.length, count, `SMS to ${to}: ${JSON.stringify(texts)}`);
  return texts;
}

/** Starts a verification by SMS to `to`; returns it with the code and text of its one new SMS. */
async function startVerification(service, to) {
  const before = worker.smsTo(to).length;
  const verification = await service.verifications.create({ to, channel: 'sms' });
  const texts = await smsCount(to, before + 1);
  return { verification, code: codeOf(texts.at(-1)), text: texts.at(-1) };
}

describe('services', () => {
  test('create: 201, a VA sid of the account, the defaults, dates as Date; fetch gives it back', async () => {
    const created = await acme().verify.v2.services.create({ friendlyName: 'My App' });
    assert.match(created.sid, SID.VA);
    assert.equal(created.accountSid, ACME.accountSid);
    assert.equal(created.friendlyName, 'My App');
    assert.equal(created.codeLength, 6);
    assert.equal(created.customCodeEnabled, false);
    assert.equal(created.doNotShareWarningEnabled, false);
    assert.equal(created.lookupEnabled, false);
    assertDate(created.dateCreated, 'dateCreated');
    assertDate(created.dateUpdated, 'dateUpdated');
    assert.equal(created.url, `${worker.url}/v2/Services/${created.sid}`);
    assert.equal(created.links.verifications, `${worker.url}/v2/Services/${created.sid}/Verifications`);
    assert.equal(created.links.verification_checks, `${worker.url}/v2/Services/${created.sid}/VerificationCheck`);

    const fetched = await acmeService(created.sid).fetch();
    assert.deepEqual(
      [fetched.sid, fetched.friendlyName, fetched.codeLength, fetched.dateCreated.getTime()],
      [created.sid, 'My App', 6, created.dateCreated.getTime()],
    );
    // The imported service of the tenant's record is there too.
    const imported = await acmeService().fetch();
    assert.deepEqual([imported.sid, imported.friendlyName, imported.accountSid], [ACME.serviceSid, ACME.serviceName, ACME.accountSid]);
    assertDate(imported.dateCreated, 'the imported service\'s dateCreated');
  });

  test('update: the name and the code length change what the SMS says', async () => {
    const service = await acme().verify.v2.services.create({ friendlyName: 'Before' });
    const updated = await acmeService(service.sid).update({ friendlyName: 'Shop', codeLength: 8, doNotShareWarningEnabled: true });
    assert.deepEqual([updated.sid, updated.friendlyName, updated.codeLength, updated.doNotShareWarningEnabled], [service.sid, 'Shop', 8, true]);
    assertDate(updated.dateUpdated, 'dateUpdated');
    assert.equal((await acmeService(service.sid).fetch()).codeLength, 8);

    const to = freshNumber();
    const { code, text } = await startVerification(acmeService(service.sid), to);
    assert.match(code, /^\d{8}$/);
    assert.equal(text, `Your Shop verification code is: ${code} Don't share this code with anyone; our employees will never ask for the code.`);
  });

  test('a code length outside 4–10 or a custom code setting is refused with Twilio\'s codes', async () => {
    const services = acme().verify.v2.services;
    await assertRest(services.create({ friendlyName: 'Too short', codeLength: 3 }), 400, 60200, 'Invalid parameter: CodeLength');
    await assertRest(services.create({ friendlyName: 'Too long', codeLength: 11 }), 400, 60200, 'Invalid parameter: CodeLength');
    await assertRest(services.create({ friendlyName: 'Custom', customCodeEnabled: true }), 403, 60204);
  });

  test('list with PageSize 1: one service per page across every page; list and each see them all once', async () => {
    const services = acme().verify.v2.services;
    const mine = [];
    for (const name of ['Paged A', 'Paged B']) mine.push((await services.create({ friendlyName: name })).sid);

    const all = await services.list({ pageSize: 1 });
    const sids = all.map((s) => s.sid);
    assert.equal(new Set(sids).size, sids.length, `no service twice: ${sids}`);
    for (const sid of [ACME.serviceSid, ...mine]) assert.ok(sids.includes(sid), `${sid} listed`);
    for (const s of all) {
      assert.equal(s.accountSid, ACME.accountSid);
      assertDate(s.dateCreated, `${s.sid} dateCreated`);
    }

    // Page by page, following next_page_url (absolute, through the recipe's client too).
    let page = await services.page({ pageSize: 1 });
    const paged = [];
    for (;;) {
      assert.equal(page.instances.length, 1, 'one service per page');
      paged.push(page.instances[0].sid);
      const next = await page.nextPage();
      if (!next) break;
      page = next;
    }
    assert.deepEqual(paged, sids, 'the pages hold the services list() gave, in the same order');
    assert.ok(paged.length >= 3);

    const each = [];
    await services.each({ pageSize: 1 }, (s) => each.push(s.sid));
    assert.deepEqual(each, sids);

    // A limit stops early.
    assert.deepEqual((await services.list({ pageSize: 1, limit: 2 })).map((s) => s.sid), sids.slice(0, 2));
  });

  test('remove: true; then the service answers 404 20404 and is no longer listed', async () => {
    const service = await acme().verify.v2.services.create({ friendlyName: 'Short-lived' });
    assert.equal(await acmeService(service.sid).remove(), true);
    await assertRest(acmeService(service.sid).fetch(), 404, 20404);
    await assertRest(acmeService(service.sid).verifications.create({ to: freshNumber(), channel: 'sms' }), 404, 20404);
    const sids = (await acme().verify.v2.services.list()).map((s) => s.sid);
    assert.ok(!sids.includes(service.sid));
  });
});

describe('verifications', () => {
  test('create: 201 pending, a VE sid, one send attempt, one SMS with the code in the service\'s words', async () => {
    const to = freshNumber();
    const { verification: v, code, text } = await startVerification(acmeService(), to);
    assert.match(v.sid, SID.VE);
    assert.deepEqual(
      [v.serviceSid, v.accountSid, v.to, v.channel, v.status, v.valid],
      [ACME.serviceSid, ACME.accountSid, to, 'sms', 'pending', false],
    );
    assert.equal(v.sendCodeAttempts.length, 1);
    assert.match(v.sendCodeAttempts[0].attempt_sid, SID.VL);
    assert.equal(String(v.sendCodeAttempts[0].channel).toLowerCase(), 'sms');
    assertDate(v.dateCreated, 'dateCreated');
    assertDate(v.dateUpdated, 'dateUpdated');
    assert.equal(v.url, `${worker.url}/v2/Services/${ACME.serviceSid}/Verifications/${v.sid}`);
    assert.match(code, /^\d{6}$/);
    assert.equal(text, `Your Acme verification code is: ${code}`);
  });

  test('check: a wrong code is pending and not valid; the right one approved; then the verification is gone (404 20404)', async () => {
    const to = freshNumber();
    const service = acmeService();
    const { verification, code } = await startVerification(service, to);

    const wrong = await service.verificationChecks.create({ to, code: wrongCode(code) });
    assert.deepEqual([wrong.sid, wrong.status, wrong.valid, wrong.to, wrong.channel], [verification.sid, 'pending', false, to, 'sms']);
    assertDate(wrong.dateCreated, 'dateCreated');

    const right = await service.verificationChecks.create({ to, code });
    assert.deepEqual([right.sid, right.serviceSid, right.accountSid, right.status, right.valid], [verification.sid, ACME.serviceSid, ACME.accountSid, 'approved', true]);
    assertDate(right.dateUpdated, 'dateUpdated');

    // Approved verifications are deleted, as Twilio's are.
    await assertRest(service.verifications(verification.sid).fetch(), 404, 20404);
    await assertRest(service.verificationChecks.create({ to, code }), 404, 20404);
  });

  test('check by VerificationSid approves too', async () => {
    const to = freshNumber();
    const service = acmeService();
    const { verification, code } = await startVerification(service, to);
    const right = await service.verificationChecks.create({ verificationSid: verification.sid, code });
    assert.deepEqual([right.sid, right.to, right.status, right.valid], [verification.sid, to, 'approved', true]);
  });

  test('fetch a pending verification by its sid and by its To', async () => {
    const to = freshNumber();
    const service = acmeService();
    const { verification } = await startVerification(service, to);
    for (const key of [verification.sid, to]) {
      const fetched = await service.verifications(key).fetch();
      assert.deepEqual([fetched.sid, fetched.to, fetched.status, fetched.valid, fetched.channel], [verification.sid, to, 'pending', false, 'sms'], key);
      assertDate(fetched.dateCreated, 'dateCreated');
      assert.equal(fetched.dateCreated.getTime(), verification.dateCreated.getTime());
    }
  });

  test('cancel: status canceled; its code no longer works and it is gone; another verification is untouched', async () => {
    const service = acmeService();
    const [keep, drop] = [freshNumber(), freshNumber()];
    const kept = await startVerification(service, keep);
    const dropped = await startVerification(service, drop);

    const canceled = await service.verifications(dropped.verification.sid).update({ status: 'canceled' });
    assert.deepEqual([canceled.sid, canceled.status, canceled.valid], [dropped.verification.sid, 'canceled', false]);
    await assertRest(service.verifications(dropped.verification.sid).fetch(), 404, 20404);
    await assertRest(service.verificationChecks.create({ to: drop, code: dropped.code }), 404, 20404);

    assert.equal((await service.verifications(kept.verification.sid).fetch()).status, 'pending');
    assert.equal((await service.verificationChecks.create({ to: keep, code: kept.code })).status, 'approved');
  });

  test('update with Status approved approves it', async () => {
    const service = acmeService();
    const { verification } = await startVerification(service, freshNumber());
    const approved = await service.verifications(verification.sid).update({ status: 'approved' });
    assert.deepEqual([approved.sid, approved.status, approved.valid], [verification.sid, 'approved', true]);
  });

  test('a create for a pending To is a resend: the same sid, a second attempt, a new SMS whose code replaces the first', async () => {
    const to = freshNumber();
    const service = acmeService();
    const first = await startVerification(service, to);
    const second = await startVerification(service, to);
    assert.equal(second.verification.sid, first.verification.sid);
    assert.equal(second.verification.status, 'pending');
    assert.equal(second.verification.sendCodeAttempts.length, 2);
    assert.notEqual(second.verification.sendCodeAttempts[1].attempt_sid, second.verification.sendCodeAttempts[0].attempt_sid);
    if (first.code !== second.code) {
      const old = await service.verificationChecks.create({ to, code: first.code });
      assert.deepEqual([old.status, old.valid], ['pending', false], 'the first code no longer works');
    }
    assert.equal((await service.verificationChecks.create({ to, code: second.code })).status, 'approved');
  });

  test('5 wrong checks: the 5th is max_attempts_reached; then 429 60202, even with the right code', async () => {
    const to = freshNumber();
    const service = acmeService();
    const { code } = await startVerification(service, to);
    const bad = wrongCode(code);
    for (let i = 1; i <= 4; i++) {
      const check = await service.verificationChecks.create({ to, code: bad });
      assert.deepEqual([check.status, check.valid], ['pending', false], `wrong check ${i}`);
    }
    const fifth = await service.verificationChecks.create({ to, code: bad });
    assert.deepEqual([fifth.status, fifth.valid], ['max_attempts_reached', false]);
    await assertRest(service.verificationChecks.create({ to, code: bad }), 429, 60202);
    await assertRest(service.verificationChecks.create({ to, code }), 429, 60202);
  });

  test('5 sends per verification: the 6th create for the same To is 429 60203 and sends nothing', async () => {
    const to = freshNumber();
    const service = acmeService();
    const { verification } = await startVerification(service, to);
    for (let i = 2; i <= 5; i++) {
      const resent = (await startVerification(service, to)).verification;
      assert.deepEqual([resent.sid, resent.sendCodeAttempts.length], [verification.sid, i]);
    }
    await assertRest(service.verifications.create({ to, channel: 'sms' }), 429, 60203);
    const texts = await smsCount(to, 5); // five SMS, no sixth
    // The last code still works.
    const code = codeOf(texts.at(-1));
    assert.equal((await service.verificationChecks.create({ to, code })).status, 'approved');
  });

  test('parameters: an unknown channel, a To that is not E.164, a custom code: Twilio\'s errors, no SMS', async () => {
    const service = acmeService();
    const to = freshNumber();
    // The SDK itself requires To and Channel; these reach the worker.
    await assertRest(service.verifications.create({ to, channel: 'pigeon' }), 400, 60200, 'Invalid parameter: Channel');
    await assertRest(service.verifications.create({ to: '0612345678', channel: 'sms' }), 400, 60200, 'Invalid parameter: To');
    await assertRest(service.verifications.create({ to, channel: 'email' }), 400, 60223);
    await assertRest(service.verifications.create({ to, channel: 'sms', customCode: '123456' }), 403, 60204);
    assert.equal(worker.smsTo(to).length, 0);
  });
});

describe('refusals of the tenant\'s policy', () => {
  const initech = () => clientOf(INITECH.accountSid, INITECH.authToken).verify.v2.services;

  test('a number range past its unverified SMS per hour is blocked: 403 60410, no SMS', async () => {
    const service = await initech().create({ friendlyName: 'Initech' });
    const s = initech()(service.sid);
    const range = ['+33698760001', '+33698760002', '+33698760003', '+33698760004'];
    for (const to of range.slice(0, 2)) await startVerification(s, to);
    for (const to of range.slice(2)) {
      await assertRest(s.verifications.create({ to, channel: 'sms' }), 403, 60410);
      assert.equal(worker.smsTo(to).length, 0, to);
    }
    // Another range is not blocked.
    await startVerification(s, '+33698770001');
  });

  test('a resend within the tenant\'s cooldown: 429 20429, no SMS; the first code still works', async () => {
    const service = await initech().create({ friendlyName: 'Initech Cooldown' });
    const s = initech()(service.sid);
    const to = '+33698780001';
    const { code } = await startVerification(s, to);
    await assertRest(s.verifications.create({ to, channel: 'sms' }), 429, 20429);
    await smsCount(to, 1);
    assert.equal((await s.verificationChecks.create({ to, code })).status, 'approved');
  });

  test('a country the tenant does not send to: 403 60605, no SMS', async () => {
    const service = await initech().create({ friendlyName: 'Initech US' });
    const to = '+4915123456789';
    await assertRest(initech()(service.sid).verifications.create({ to, channel: 'sms' }), 403, 60605);
    assert.equal(worker.smsTo(to).length, 0);
  });
});

describe('accounts and credentials', () => {
  test('another account\'s service and verification SIDs do not exist for it: 404 20404, nothing sent or changed', async () => {
    const to = freshNumber();
    const { verification, code } = await startVerification(acmeService(), to);
    const globex = clientOf(GLOBEX.accountSid, GLOBEX.authToken).verify.v2.services;
    await assertRest(globex(ACME.serviceSid).fetch(), 404, 20404);
    await assertRest(globex(ACME.serviceSid).update({ friendlyName: 'Taken' }), 404, 20404);
    await assertRest(globex(ACME.serviceSid).remove(), 404, 20404);
    await assertRest(globex(ACME.serviceSid).verifications(verification.sid).fetch(), 404, 20404);
    await assertRest(globex(ACME.serviceSid).verifications(verification.sid).update({ status: 'canceled' }), 404, 20404);
    await assertRest(globex(ACME.serviceSid).verificationChecks.create({ to, code }), 404, 20404);
    await assertRest(globex(ACME.serviceSid).verifications.create({ to, channel: 'sms' }), 404, 20404);
    assert.ok(!(await globex.list()).some((s) => s.sid === ACME.serviceSid), 'not in the other account\'s list');

    // Its own service, with acme's VE sid: still not found.
    const own = await globex.create({ friendlyName: 'Globex' });
    await assertRest(globex(own.sid).verifications(verification.sid).fetch(), 404, 20404);

    assert.equal(worker.smsTo(to).length, 1, 'no SMS sent for the other account');
    assert.equal((await acmeService().fetch()).friendlyName, ACME.serviceName);
    assert.equal((await acmeService().verificationChecks.create({ to, code })).status, 'approved');
  });

  test('wrong credentials: 401 20003', async () => {
    const attempts = [
      clientOf(ACME.accountSid, 'not-the-auth-token-0123456789abcdefgh'),
      clientOf(ACME.accountSid, GLOBEX.authToken),
      clientOf('AC00000000000000000000000000000000', ACME.authToken),
      clientOf(ACME.apiKeySid, 'not-the-api-key-secret-0123456789', { accountSid: ACME.accountSid }),
    ];
    for (const client of attempts) {
      await assertRest(client.verify.v2.services(ACME.serviceSid).fetch(), 401, 20003);
      await assertRest(client.verify.v2.services.list(), 401, 20003);
    }
  });

  test('an API key (SK sid and secret) works as the account\'s token does', async () => {
    const client = clientOf(ACME.apiKeySid, ACME.apiKeySecret, { accountSid: ACME.accountSid });
    const service = await client.verify.v2.services(ACME.serviceSid).fetch();
    assert.deepEqual([service.sid, service.accountSid], [ACME.serviceSid, ACME.accountSid]);
    const to = freshNumber();
    const { verification, code } = await startVerification(client.verify.v2.services(ACME.serviceSid), to);
    assert.equal(verification.accountSid, ACME.accountSid);
    assert.equal((await client.verify.v2.services(ACME.serviceSid).verificationChecks.create({ to, code })).status, 'approved');
  });
});
