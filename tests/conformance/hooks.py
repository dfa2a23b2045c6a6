"""Schemathesis hooks for the smsotp conformance run (tests/conformance/schemathesis.toml).

The document can say that `phoneNumber` is a string, not which strings are numbers a
phone network would route: generated strings are nearly all refused (2020), so almost no
OTP would exist and the stateful phase (create -> verify/status/cancel/resend) would only
meet 404s. These hooks make half of the generated create bodies use a valid number — a
French mobile number, or the tenant's test number, whose PIN is fixed (123456) — and a
third of the generated PINs that test PIN, so that some checks succeed (VERIFIED, then
2023). The other half of the bodies stay as generated, so the parsers still see anything.
"""

import json
import os

import schemathesis
from hypothesis import strategies as st

TEST_NUMBER = "+15005550006"
TEST_PIN = "123456"

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
