"""Schemathesis hooks for the smsotp conformance run (tests/conformance/schemathesis.toml).

The document can say that `phoneNumber` is a string, not which strings are numbers a
phone network would route: generated strings are nearly all refused (2020), so almost no
OTP would exist and the stateful phase (create -> verify/status/cancel/resend) would only
meet 404s. These hooks make half of the generated create bodies use a valid number — a
French mobile number, or the tenant's test number, whose PIN is fixed (123456) — and a
third of the generated PINs that test PIN, so that some checks succeed (VERIFIED, then
2023). The other half of the bodies stay as generated, so the parsers still see anything.

The Twilio Verify v2 operations (`/v2/…`) get the same help: half of the verification
creates send `To` a valid number by SMS; a quarter of the checks send the test number and
its code, a quarter the test number and the generated (mostly wrong) code, a quarter only
the test code (the stateful phase's link from a start adds the verification's SID); half
of the path parameters name acme's imported service (a generated `VA…` is nearly always
unknown: 20404), and a third of the fetched verification `Sid`s the test number (fetch
by `To`). Half of the service updates change a second
service of acme's, kept for them, and deletes keep their generated SID, so the first stays
as its record has it for the whole run; updates of a verification keep their generated
`Sid`, so the test number's stays pending.
"""

import json
import os

import schemathesis
from hypothesis import strategies as st

TEST_NUMBER = "+15005550006"
TEST_PIN = "123456"
# acme's imported Twilio services (tests/conformance/worker.mjs): one for verifications,
# one that the generated updates change.
TWILIO_SERVICE = os.environ.get("SMSOTP_TWILIO_SERVICE_SID", "VAac3e00000000000000000000000000c3")
TWILIO_UPDATED_SERVICE = os.environ.get("SMSOTP_TWILIO_UPDATED_SERVICE_SID", "VAac3e00000000000000000000000000c4")

# +336 10..38 followed by 6 digits: valid French mobile numbers (libphonenumber).
valid_numbers = st.one_of(
    st.builds(
        lambda block, rest: f"+336{block}{rest:06d}",
        st.integers(10, 38),
        st.integers(0, 999_999),
    ),
    st.just(TEST_NUMBER),
)


def _with_number(body):
    if not isinstance(body, dict):
        return st.just(body)
    return st.one_of(
        st.just(body),
        valid_numbers.map(lambda number: {**body, "phoneNumber": number}),
    )


def _with_pin(body):
    if not isinstance(body, dict):
        return st.just(body)
    return st.one_of(st.just(body), st.just(body), st.just({**body, "pin": TEST_PIN}))


@schemathesis.hook("flatmap_body").apply_to(method="POST", path="/otp")
def create_body(context, body):
    return _with_number(body)


@schemathesis.hook("flatmap_body").apply_to(method="POST", path="/v1/browser/otp")
def browser_start_body(context, body):
    return _with_number(body)


@schemathesis.hook("flatmap_body").apply_to(method="POST", path="/otp/{otpId}")
def verify_body(context, body):
    return _with_pin(body)


@schemathesis.hook("flatmap_body").apply_to(method="POST", path="/v1/browser/otp/{otpId}")
def browser_check_body(context, body):
    return _with_pin(body)


@schemathesis.hook("flatmap_headers").apply_to(method="POST", path="/otp")
def create_headers(context, headers):
    # Generated keys are short and collide across different bodies (422 2117, which the
    # run also needs); half the time a unique suffix lets the create itself run.
    if not isinstance(headers, dict) or not isinstance(headers.get("Idempotency-Key"), str):
        return st.just(headers)
    return st.one_of(
        st.just(headers),
        st.uuids().map(lambda u: {**headers, "Idempotency-Key": f"{headers['Idempotency-Key'][:200]}-{u}"}),
    )


def _twilio_start(body):
    if not isinstance(body, dict):
        return st.just(body)
    rest = {k: v for k, v in body.items() if k not in ("To", "Channel", "CustomCode")}
    return st.one_of(
        st.just(body),
        valid_numbers.map(lambda number: {**rest, "To": number, "Channel": "sms"}),
    )


def _twilio_check(body):
    if not isinstance(body, dict):
        return st.just(body)
    # Without `Amount`/`Payee`: a check that sends them must match the verification's.
    rest = {k: v for k, v in body.items() if k not in ("To", "VerificationSid", "Code", "Amount", "Payee")}
    code = body.get("Code") if isinstance(body.get("Code"), str) else "000000"
    return st.one_of(
        st.just(body),
        # The test number's verification, by `To`: its code, or (mostly) a wrong one.
        st.just({**rest, "To": TEST_NUMBER, "Code": TEST_PIN}),
        st.just({**rest, "To": TEST_NUMBER, "Code": code}),
        # No target: the stateful phase's link from a start adds its `VerificationSid`.
        st.just({**rest, "Code": TEST_PIN}),
    )


@schemathesis.hook("flatmap_body").apply_to(method="POST", path="/v2/Services/{ServiceSid}/Verifications")
def twilio_start_body(context, body):
    return _twilio_start(body)


@schemathesis.hook("flatmap_body").apply_to(method="POST", path="/v2/Services/{ServiceSid}/VerificationCheck")
def twilio_check_body(context, body):
    return _twilio_check(body)


def _acme_service(params, sid=TWILIO_SERVICE):
    if not isinstance(params, dict) or "ServiceSid" not in params:
        return st.just(params)
    return st.one_of(st.just(params), st.just({**params, "ServiceSid": sid}))


@schemathesis.hook("flatmap_path_parameters").apply_to(method="POST", path="/v2/Services/{ServiceSid}")
def twilio_service_update_path(context, params):
    return _acme_service(params, TWILIO_UPDATED_SERVICE)


@schemathesis.hook("flatmap_path_parameters").apply_to(method="GET", path="/v2/Services/{ServiceSid}")
def twilio_service_path(context, params):
    return _acme_service(params)


@schemathesis.hook("flatmap_path_parameters").apply_to(method="POST", path="/v2/Services/{ServiceSid}/Verifications")
def twilio_start_path(context, params):
    return _acme_service(params)


@schemathesis.hook("flatmap_path_parameters").apply_to(method="POST", path="/v2/Services/{ServiceSid}/VerificationCheck")
def twilio_check_path(context, params):
    return _acme_service(params)


@schemathesis.hook("flatmap_path_parameters").apply_to(method="POST", path="/v2/Services/{ServiceSid}/Verifications/{Sid}")
def twilio_update_path(context, params):
    # acme's service, but the generated `Sid`: a cancel of the test number's verification
    # by `To` would leave the checks above nothing to check.
    return _acme_service(params)


@schemathesis.hook("flatmap_path_parameters").apply_to(method="GET", path="/v2/Services/{ServiceSid}/Verifications/{Sid}")
def twilio_verification_path(context, params):
    if not isinstance(params, dict) or "Sid" not in params:
        return st.just(params)
    return _acme_service(params).flatmap(
        lambda p: st.one_of(st.just(p), st.just(p), st.just({**p, "Sid": TEST_NUMBER}))
    )


# schemathesis runs each phase's operations in path order, the checks (`VerificationCheck`)
# before the starts (`Verifications`): a check of the test number's verification on acme's
# service first makes sure there is one pending (a start, or a resend of the pending one,
# whose 429 within the resend cooldown changes nothing), so that its checks meet a
# verification to approve, wrong codes, the last attempt (`max_attempts_reached`) and 60202
# rather than only 20404. (The test number sends no SMS.)
_BASE_URL = os.environ.get("SMSOTP_URL")
_TWILIO_AUTH = (os.environ.get("SMSOTP_TWILIO_ACCOUNT_SID", ""), os.environ.get("SMSOTP_TWILIO_AUTH_TOKEN", ""))


@schemathesis.hook("before_call").apply_to(method="POST", path="/v2/Services/{ServiceSid}/VerificationCheck")
def twilio_pending_test_number(context, case, **kwargs):
    body = case.body if isinstance(case.body, dict) else {}
    if not _BASE_URL or case.path_parameters.get("ServiceSid") != TWILIO_SERVICE or body.get("To") != TEST_NUMBER:
        return
    import requests

    requests.post(
        f"{_BASE_URL}/v2/Services/{TWILIO_SERVICE}/Verifications",
        data={"To": TEST_NUMBER, "Channel": "sms"},
        auth=_TWILIO_AUTH,
        timeout=15,
    )


# Every 5xx answer schemathesis got, one JSON line each, to $CONFORMANCE_RESPONSES (set by
# scripts/test-conformance.sh): the script then matches each 502 with the one SMS the
# stand-in provider failed on purpose for that OTP (the 502's message names the OTP).
_RESPONSES = os.environ.get("CONFORMANCE_RESPONSES")


@schemathesis.hook
def after_call(context, case, response):
    if not _RESPONSES or response.status_code < 500:
        return
    try:
        body = response.json()
    except Exception:
        body = None
    headers = {k.lower(): v for k, v in response.headers.items()}
    request_id = headers.get("x-request-id")
    if isinstance(request_id, list):
        request_id = request_id[0] if request_id else None
    with open(_RESPONSES, "a", encoding="utf-8") as f:
        f.write(json.dumps({
            "status": response.status_code,
            "method": case.method,
            "path": case.formatted_path if hasattr(case, "formatted_path") else case.path,
            "requestId": request_id,
            "body": body,
        }) + "\n")
