"""Twilio's own Python SDK (PyPI `twilio`, pinned in scripts/setup.sh) against the worker's
Twilio Verify v2 API, through the README's migration recipe (recipe.py, the README's code
block byte for byte). Run by python-sdk.test.mjs, which starts the worker and passes, in
SMSOTP_TWILIO_TEST (JSON): `url` (the worker), `inbox` (GET ?to=<E.164> -> the texts of the SMS
sent to that number), and the tenants' credentials `acme`, `globex`, `initech`.

Each scenario prints one JSON line, {"name", "ok", "error"}: the wrapper reports each as a
test of its own. `--list` prints the scenarios' names (a JSON array) without running them.
Scenarios are independent of each other (each uses numbers of its own).
"""

import json
import os
import re
import sys
import time
import traceback
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from recipe import SmsotpHttpClient

SCENARIOS = []


def scenario(name):
    def add(fn):
        SCENARIOS.append((name, fn))
        return fn

    return add


VA = re.compile(r"^VA[0-9a-f]{32}$")
VE = re.compile(r"^VE[0-9a-f]{32}$")
VL = re.compile(r"^VL[0-9a-f]{32}$")


class Ctx:
    def __init__(self, settings):
        self.url = settings["url"]
        self.inbox = settings["inbox"]
        self.acme = settings["acme"]
        self.globex = settings["globex"]
        self.initech = settings["initech"]
        self.counter = 0

    def client(self, username, password, **kwargs):
        """A client of the SDK pointed at the worker by the recipe."""
        # A timeout, so that a worker that never answers fails the scenario rather than hanging it.
        return Client(username, password, http_client=SmsotpHttpClient(self.url, timeout=30), **kwargs)

    def acme_client(self):
        return self.client(self.acme["accountSid"], self.acme["authToken"])

    def acme_service(self, sid=None):
        return self.acme_client().verify.v2.services(sid or self.acme["serviceSid"])

    def fresh_number(self):
        """A French mobile number in a range of its own (not the Node test's: another worker)."""
        self.counter += 1
        return "+44740%03d0001" % (100 + self.counter)

    def sms_to(self, number):
        query = urllib.parse.urlencode({"to": number})
        with urllib.request.urlopen("%s?%s" % (self.inbox, query), timeout=10) as res:
            return json.loads(res.read())

    def sms_count(self, number, count):
        """The texts of the SMS to `number` once there are `count` (waiting up to 10 s), exactly `count`."""
        end = time.monotonic() + 10
        texts = self.sms_to(number)
        while len(texts) < count and time.monotonic() < end:
            time.sleep(0.05)
            texts = self.sms_to(number)
        eq(len(texts), count, "SMS to %s: %r" % (number, texts))
        return texts

    def start(self, service, to):
        """Starts a verification by SMS to `to`: (the verification, its code, the SMS text)."""
        before = len(self.sms_to(to))
        verification = service.verifications.create(to=to, channel="sms")
        text = self.sms_count(to, before + 1)[-1]
        return verification, code_of(text), text


def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError("%s: %r != %r" % (what or "values differ", actual, expected))


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def code_of(text):
    # The first run of 4 to 10 digits: the message's language follows the recipient's
    # country (a French number's is French), and the names used here have no digits.
    m = re.search(r"(?<![\d.])(\d{4,10})(?![\d.])", text)
    check(m is not None, "no verification code in the SMS %r" % text)
    return m.group(1)


def wrong_code(code):
    return "".join(str((int(d) + 1) % 10) for d in code)


def assert_date(value, what):
    """A date the SDK parsed: a datetime in UTC (Twilio's YYYY-MM-DDTHH:MM:SSZ), within a day of now."""
    check(
        isinstance(value, datetime),
        "%s is %s %r, not a datetime: the SDK parses only YYYY-MM-DDTHH:MM:SSZ" % (what, type(value).__name__, value),
    )
    eq(value.tzinfo, timezone.utc, "%s's time zone" % what)
    check(abs(datetime.now(timezone.utc) - value) < timedelta(days=1), "%s %s is not today" % (what, value))


def assert_rest(fn, status, code, message=None):
    """fn() raises a TwilioRestException of this HTTP status and Twilio code (and message)."""
    try:
        value = fn()
    except TwilioRestException as e:
        eq((e.status, e.code), (status, code), "status and code of %r" % e.msg)
        check(isinstance(e.msg, str) and e.msg, "the exception has a message")
        if message is not None:
            # The SDK prefixes the API's message ("Unable to create record: ...").
            check(e.msg.endswith(": " + message), "message %r does not end with %r" % (e.msg, message))
        return e
    except Exception as e:  # another exception class (e.g. TwilioServiceException) is a failure
        raise AssertionError("%s: %s is not a TwilioRestException" % (type(e).__name__, e)) from e
    raise AssertionError("returned %r, expected a TwilioRestException %d %d" % (value, status, code))


# ---- services -------------------------------------------------------------------------


@scenario("services: create (201, a VA sid of the account, the defaults, dates as datetime); fetch gives it back")
def services_create(ctx):
    created = ctx.acme_client().verify.v2.services.create(friendly_name="My App")
    check(VA.match(created.sid), created.sid)
    eq(created.account_sid, ctx.acme["accountSid"], "account_sid")
    eq(created.friendly_name, "My App", "friendly_name (sent as My+App)")
    eq(created.code_length, 6, "code_length")
    eq(created.custom_code_enabled, False, "custom_code_enabled")
    eq(created.do_not_share_warning_enabled, False, "do_not_share_warning_enabled")
    assert_date(created.date_created, "date_created")
    assert_date(created.date_updated, "date_updated")
    eq(created.url, "%s/v2/Services/%s" % (ctx.url, created.sid), "url")
    eq(created.links["verifications"], "%s/v2/Services/%s/Verifications" % (ctx.url, created.sid), "links.verifications")

    fetched = ctx.acme_service(created.sid).fetch()
    eq(
        (fetched.sid, fetched.friendly_name, fetched.code_length, fetched.date_created),
        (created.sid, "My App", 6, created.date_created),
        "fetched",
    )
    imported = ctx.acme_service().fetch()
    eq((imported.sid, imported.friendly_name), (ctx.acme["serviceSid"], ctx.acme["serviceName"]), "imported service")
    assert_date(imported.date_created, "the imported service's date_created")


@scenario("services: update (name, code length, warning) changes what the SMS says")
def services_update(ctx):
    service = ctx.acme_client().verify.v2.services.create(friendly_name="Before")
    updated = ctx.acme_service(service.sid).update(
        friendly_name="Corner Shop", code_length=8, do_not_share_warning_enabled=True
    )
    eq(
        (updated.sid, updated.friendly_name, updated.code_length, updated.do_not_share_warning_enabled),
        (service.sid, "Corner Shop", 8, True),
        "updated",
    )
    assert_date(updated.date_updated, "date_updated")
    to = ctx.fresh_number()
    _, code, text = ctx.start(ctx.acme_service(service.sid), to)
    check(re.fullmatch(r"\d{8}", code), "an 8-digit code: %r" % code)
    eq(
        text,
        "Your Corner Shop verification code is: %s Don't share this code with anyone; "
        "our employees will never ask for the code." % code,
        "SMS text",
    )


@scenario("services: a code length outside 4-10 or a custom code setting is refused with Twilio's codes")
def services_invalid(ctx):
    services = ctx.acme_client().verify.v2.services
    assert_rest(lambda: services.create(friendly_name="Short", code_length=3), 400, 60200, "Invalid parameter: CodeLength")
    assert_rest(lambda: services.create(friendly_name="Long", code_length=11), 400, 60200, "Invalid parameter: CodeLength")
    assert_rest(lambda: services.create(friendly_name="Custom", custom_code_enabled=True), 403, 60204)


@scenario("services: list with page_size=1 pages through every service; stream and page agree")
def services_list(ctx):
    services = ctx.acme_client().verify.v2.services
    mine = [services.create(friendly_name=name).sid for name in ("Paged A", "Paged B")]
    sids = [s.sid for s in services.list(page_size=1)]
    eq(len(set(sids)), len(sids), "no service twice in %r" % sids)
    for sid in [ctx.acme["serviceSid"]] + mine:
        check(sid in sids, "%s listed" % sid)

    page = services.page(page_size=1)
    paged = []
    while page is not None:
        records = list(page)
        eq(len(records), 1, "services on a page")
        assert_date(records[0].date_created, "date_created")
        paged.append(records[0].sid)
        page = page.next_page()
    eq(paged, sids, "the pages hold what list() gave, in the same order")
    check(len(paged) >= 3, "at least 3 pages")
    eq([s.sid for s in services.stream(page_size=1)], sids, "stream")
    eq([s.sid for s in services.list(page_size=1, limit=2)], sids[:2], "list with limit=2")


@scenario("services: delete returns True; then 404 20404, and the service is no longer listed")
def services_delete(ctx):
    service = ctx.acme_client().verify.v2.services.create(friendly_name="Short-lived")
    eq(ctx.acme_service(service.sid).delete(), True, "delete")
    assert_rest(lambda: ctx.acme_service(service.sid).fetch(), 404, 20404)
    check(service.sid not in [s.sid for s in ctx.acme_client().verify.v2.services.list()], "not listed")


# ---- verifications --------------------------------------------------------------------


@scenario("verifications: create (pending, a VE sid, one send attempt, one SMS in the service's words)")
def verification_create(ctx):
    to = ctx.fresh_number()
    v, code, text = ctx.start(ctx.acme_service(), to)
    check(VE.match(v.sid), v.sid)
    eq(
        (v.service_sid, v.account_sid, v.to, v.channel, v.status, v.valid),
        (ctx.acme["serviceSid"], ctx.acme["accountSid"], to, "sms", "pending", False),
        "verification",
    )
    eq(len(v.send_code_attempts), 1, "send_code_attempts")
    check(VL.match(v.send_code_attempts[0]["attempt_sid"]), "attempt_sid %r" % v.send_code_attempts[0])
    assert_date(v.date_created, "date_created")
    assert_date(v.date_updated, "date_updated")
    eq(v.url, "%s/v2/Services/%s/Verifications/%s" % (ctx.url, ctx.acme["serviceSid"], v.sid), "url")
    check(re.fullmatch(r"\d{6}", code), "a 6-digit code: %r" % code)
    eq(text, "Your %s verification code is: %s" % (ctx.acme["serviceName"], code), "SMS text")


@scenario("verifications: a wrong code is pending and not valid; the right one approved; then 404 20404")
def verification_check(ctx):
    to = ctx.fresh_number()
    service = ctx.acme_service()
    v, code, _ = ctx.start(service, to)
    wrong = service.verification_checks.create(to=to, code=wrong_code(code))
    eq((wrong.sid, wrong.status, wrong.valid, wrong.to, wrong.channel), (v.sid, "pending", False, to, "sms"), "wrong check")
    assert_date(wrong.date_created, "date_created")
    right = service.verification_checks.create(to=to, code=code)
    eq((right.sid, right.status, right.valid), (v.sid, "approved", True), "right check")
    assert_date(right.date_updated, "date_updated")
    assert_rest(lambda: service.verifications(v.sid).fetch(), 404, 20404)
    assert_rest(lambda: service.verification_checks.create(to=to, code=code), 404, 20404)


@scenario("verifications: a check by verification_sid approves too")
def verification_check_by_sid(ctx):
    to = ctx.fresh_number()
    service = ctx.acme_service()
    v, code, _ = ctx.start(service, to)
    right = service.verification_checks.create(verification_sid=v.sid, code=code)
    eq((right.sid, right.to, right.status, right.valid), (v.sid, to, "approved", True), "check by sid")


@scenario("verifications: fetch a pending one by its sid and by its To")
def verification_fetch(ctx):
    to = ctx.fresh_number()
    service = ctx.acme_service()
    v, _, _ = ctx.start(service, to)
    for key in (v.sid, to):
        fetched = service.verifications(key).fetch()
        eq((fetched.sid, fetched.to, fetched.status, fetched.valid), (v.sid, to, "pending", False), "fetch %s" % key)
        assert_date(fetched.date_created, "date_created")
        eq(fetched.date_created, v.date_created, "date_created")


@scenario("verifications: cancel (status canceled); its code no longer works; another one is untouched")
def verification_cancel(ctx):
    service = ctx.acme_service()
    keep, drop = ctx.fresh_number(), ctx.fresh_number()
    kept, kept_code, _ = ctx.start(service, keep)
    dropped, dropped_code, _ = ctx.start(service, drop)
    canceled = service.verifications(dropped.sid).update(status="canceled")
    eq((canceled.sid, canceled.status, canceled.valid), (dropped.sid, "canceled", False), "canceled")
    assert_rest(lambda: service.verifications(dropped.sid).fetch(), 404, 20404)
    assert_rest(lambda: service.verification_checks.create(to=drop, code=dropped_code), 404, 20404)
    eq(service.verifications(kept.sid).fetch().status, "pending", "the other one")
    eq(service.verification_checks.create(to=keep, code=kept_code).status, "approved", "the other one's check")


@scenario("verifications: update status=approved approves it")
def verification_approve(ctx):
    service = ctx.acme_service()
    v, _, _ = ctx.start(service, ctx.fresh_number())
    approved = service.verifications(v.sid).update(status="approved")
    eq((approved.sid, approved.status, approved.valid), (v.sid, "approved", True), "approved")


@scenario("verifications: a create for a pending To is a resend (same sid, 2 attempts, a new code)")
def verification_resend(ctx):
    to = ctx.fresh_number()
    service = ctx.acme_service()
    first, first_code, _ = ctx.start(service, to)
    second, second_code, _ = ctx.start(service, to)
    eq((second.sid, second.status, len(second.send_code_attempts)), (first.sid, "pending", 2), "resent")
    if first_code != second_code:
        old = service.verification_checks.create(to=to, code=first_code)
        eq((old.status, old.valid), ("pending", False), "the first code no longer works")
    eq(service.verification_checks.create(to=to, code=second_code).status, "approved", "the new code")


@scenario("verifications: 5 wrong checks, the 5th max_attempts_reached; then 429 60202, even with the right code")
def verification_max_attempts(ctx):
    to = ctx.fresh_number()
    service = ctx.acme_service()
    _, code, _ = ctx.start(service, to)
    bad = wrong_code(code)
    for i in range(1, 5):
        c = service.verification_checks.create(to=to, code=bad)
        eq((c.status, c.valid), ("pending", False), "wrong check %d" % i)
    fifth = service.verification_checks.create(to=to, code=bad)
    eq((fifth.status, fifth.valid), ("max_attempts_reached", False), "5th wrong check")
    assert_rest(lambda: service.verification_checks.create(to=to, code=bad), 429, 60202)
    assert_rest(lambda: service.verification_checks.create(to=to, code=code), 429, 60202)


@scenario("verifications: the 6th create for the same To is 429 60203 and sends nothing")
def verification_max_sends(ctx):
    to = ctx.fresh_number()
    service = ctx.acme_service()
    v, _, _ = ctx.start(service, to)
    for i in range(2, 6):
        resent, _, _ = ctx.start(service, to)
        eq((resent.sid, len(resent.send_code_attempts)), (v.sid, i), "send %d" % i)
    assert_rest(lambda: service.verifications.create(to=to, channel="sms"), 429, 60203)
    texts = ctx.sms_count(to, 5)
    eq(service.verification_checks.create(to=to, code=code_of(texts[-1])).status, "approved", "the last code")


@scenario("verifications: an unknown channel, a To not in E.164, email, a custom code: Twilio's errors, no SMS")
def verification_invalid(ctx):
    service = ctx.acme_service()
    to = ctx.fresh_number()
    create = service.verifications.create
    assert_rest(lambda: create(to=to, channel="pigeon"), 400, 60200, "Invalid parameter: Channel")
    assert_rest(lambda: create(to="0612345678", channel="sms"), 400, 60200, "Invalid parameter: To")
    assert_rest(lambda: create(to=to, channel="email"), 400, 60223)
    assert_rest(lambda: create(to=to, channel="sms", custom_code="123456"), 403, 60204)
    eq(ctx.sms_to(to), [], "SMS")


# ---- refusals of the tenant's policy ------------------------------------------------


def initech(ctx):
    return ctx.client(ctx.initech["accountSid"], ctx.initech["authToken"]).verify.v2.services


@scenario("fraud: a number range past its unverified SMS per hour is blocked: 403 60410, no SMS")
def fraud_prefix(ctx):
    sid = initech(ctx).create(friendly_name="Initech").sid
    service = initech(ctx)(sid)
    # Not the Node test's range (another worker, but the same rule).
    numbers = ["+33698860001", "+33698860002", "+33698860003", "+33698860004"]
    for to in numbers[:2]:
        ctx.start(service, to)
    for to in numbers[2:]:
        assert_rest(lambda: service.verifications.create(to=to, channel="sms"), 403, 60410)
        eq(ctx.sms_to(to), [], "SMS to %s" % to)
    ctx.start(service, "+33698870001")


@scenario("policy: a resend within the tenant's cooldown is 429 20429, no SMS; the first code still works")
def resend_cooldown(ctx):
    sid = initech(ctx).create(friendly_name="Initech Cooldown").sid
    service = initech(ctx)(sid)
    to = "+33698880001"
    _, code, _ = ctx.start(service, to)
    assert_rest(lambda: service.verifications.create(to=to, channel="sms"), 429, 20429)
    ctx.sms_count(to, 1)
    eq(service.verification_checks.create(to=to, code=code).status, "approved", "the first code")


@scenario("fraud: a country the account does not send to: 403 60605, no SMS")
def fraud_country(ctx):
    sid = initech(ctx).create(friendly_name="Initech DE").sid
    to = "+4915123456789"
    assert_rest(lambda: initech(ctx)(sid).verifications.create(to=to, channel="sms"), 403, 60605)
    eq(ctx.sms_to(to), [], "SMS")


# ---- accounts and credentials ---------------------------------------------------------


@scenario("accounts: another account's service and verification SIDs are 404 20404; nothing sent or changed")
def other_account(ctx):
    to = ctx.fresh_number()
    v, code, _ = ctx.start(ctx.acme_service(), to)
    globex = ctx.client(ctx.globex["accountSid"], ctx.globex["authToken"]).verify.v2.services
    theirs = globex(ctx.acme["serviceSid"])
    assert_rest(lambda: theirs.fetch(), 404, 20404)
    assert_rest(lambda: theirs.update(friendly_name="Taken"), 404, 20404)
    assert_rest(lambda: theirs.delete(), 404, 20404)
    assert_rest(lambda: theirs.verifications(v.sid).fetch(), 404, 20404)
    assert_rest(lambda: theirs.verifications(v.sid).update(status="canceled"), 404, 20404)
    assert_rest(lambda: theirs.verification_checks.create(to=to, code=code), 404, 20404)
    assert_rest(lambda: theirs.verifications.create(to=to, channel="sms"), 404, 20404)
    check(ctx.acme["serviceSid"] not in [s.sid for s in globex.list()], "not in the other account's list")
    own = globex.create(friendly_name="Globex")
    assert_rest(lambda: globex(own.sid).verifications(v.sid).fetch(), 404, 20404)
    eq(len(ctx.sms_to(to)), 1, "SMS to %s" % to)
    eq(ctx.acme_service().fetch().friendly_name, ctx.acme["serviceName"], "acme's service name")
    eq(ctx.acme_service().verification_checks.create(to=to, code=code).status, "approved", "acme's check")


@scenario("credentials: wrong ones are 401 20003 (a list page: TwilioException with the 401 response)")
def bad_credentials(ctx):
    a = ctx.acme
    clients = [
        ctx.client(a["accountSid"], "not-the-auth-token-0123456789abcdefgh"),
        ctx.client(a["accountSid"], ctx.globex["authToken"]),
        ctx.client("AC00000000000000000000000000000000", a["authToken"]),
        ctx.client(a["apiKeySid"], "not-the-api-key-secret-0123456789", account_sid=a["accountSid"]),
    ]
    for client in clients:
        assert_rest(lambda: client.verify.v2.services(a["serviceSid"]).fetch(), 401, 20003)
        try:
            client.verify.v2.services.list()
        except TwilioRestException as e:
            raise AssertionError("a list page raised TwilioRestException %s (the SDK raises TwilioException for pages)" % e)
        except TwilioException as e:
            eq(e.args[0], "Unable to fetch page", "the page error")
            eq(e.args[1].status_code, 401, "the page's status")
            eq(json.loads(e.args[1].text)["code"], 20003, "the page's code")
        else:
            raise AssertionError("list() with wrong credentials returned")


@scenario("credentials: an API key (SK sid and secret) works as the account's token does")
def api_key(ctx):
    a = ctx.acme
    client = ctx.client(a["apiKeySid"], a["apiKeySecret"], account_sid=a["accountSid"])
    service = client.verify.v2.services(a["serviceSid"])
    fetched = service.fetch()
    eq((fetched.sid, fetched.account_sid), (a["serviceSid"], a["accountSid"]), "fetched with the API key")
    to = ctx.fresh_number()
    v, code, _ = ctx.start(service, to)
    eq(v.account_sid, a["accountSid"], "account_sid")
    eq(service.verification_checks.create(to=to, code=code).status, "approved", "check")


def main():
    if sys.argv[1:] == ["--list"]:
        print(json.dumps([name for name, _ in SCENARIOS]))
        return
    ctx = Ctx(json.loads(os.environ["SMSOTP_TWILIO_TEST"]))
    for name, fn in SCENARIOS:
        try:
            fn(ctx)
            result = {"name": name, "ok": True}
        except Exception:
            result = {"name": name, "ok": False, "error": traceback.format_exc()}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
