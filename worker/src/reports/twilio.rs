//! Twilio's status callbacks, for messages and for calls: a form POST to the
//! `StatusCallback` URL given on the send (ours carries `?otp={otpId}`).
//!
//! - Messages: `MessageSid`, `MessageStatus` (accepted, scheduled, queued, sending, sent,
//!   delivered, read, undelivered, failed, canceled), `ErrorCode` on a failure
//!   (<https://www.twilio.com/docs/messaging/guides/track-outbound-message-status>).
//! - Calls: `CallSid`, `CallStatus` (queued, initiated, ringing, in-progress, completed,
//!   busy, no-answer, failed, canceled)
//!   (<https://www.twilio.com/docs/voice/api/call-resource#statuscallback>).
//!
//! Signed with `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with the account's auth
//! token, of the full URL Twilio called followed by every POST parameter's name and value,
//! sorted by name, with no separators (<https://www.twilio.com/docs/usage/webhooks/webhooks-security>).
//! Twilio's libraries accept the URL with and without its default port (`:443`), as
//! Twilio's own signing is not consistent about it; so do we.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use smsotp_core::DeliveryStatus;

use super::{form_pairs, param, query_pairs, redacted, same, Inbound, Refusal, Report};

/// The `X-Twilio-Signature` of a POST to `url` with `params`.
fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `url` with its scheme's default port added when it has none, or removed when it has it;
/// `None` when the URL is not http(s) or has another port.
fn port_toggled(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    let toggled = match authority[host_end..].rsplit_once(':') {
        Some((_, port)) if port == default => {
            authority[..host_end + authority[host_end..].rfind(':')?].to_owned()
        }
        Some(_) => return None,
        None => format!("{authority}:{default}"),
    };
    Some(format!("{scheme}://{toggled}{tail}"))
}

/// Twilio's status word for a message, in ours (`None`: not one we map).
fn message_status(word: &str) -> Option<DeliveryStatus> {
    Some(match word {
        "accepted" | "scheduled" | "queued" => DeliveryStatus::Queued,
        "sending" | "sent" => DeliveryStatus::Sent,
        "delivered" | "read" => DeliveryStatus::Delivered,
        "undelivered" => DeliveryStatus::Undelivered,
        "failed" | "canceled" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// Twilio's status word for a call, in ours (`None`: not one we map).
fn call_status(word: &str) -> Option<DeliveryStatus> {
    Some(match word {
        "queued" | "initiated" | "ringing" | "in-progress" => DeliveryStatus::Sent,
        "completed" => DeliveryStatus::Delivered,
        "busy" | "no-answer" => DeliveryStatus::Undelivered,
        "failed" | "canceled" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// The report in a Twilio status callback.
pub fn read(inbound: &Inbound, auth_token: Option<&str>) -> Result<Vec<Report>, Refusal> {
    let auth_token = auth_token.ok_or(Refusal::Signature("TWILIO_AUTH_TOKEN is not set"))?;
    let given = (inbound.header)("x-twilio-signature")
        .ok_or(Refusal::Signature("no X-Twilio-Signature"))?;
    let params = form_pairs(inbound.body).ok_or(Refusal::Signature("body is not a form"))?;
    let urls = std::iter::once(inbound.url.to_owned()).chain(port_toggled(inbound.url));
    let mut valid = false;
    for url in urls {
        valid |= same(
            signature(auth_token, &url, &params).as_bytes(),
            given.trim().as_bytes(),
        );
    }
    if !valid {
        return Err(Refusal::Signature("X-Twilio-Signature does not match"));
    }
    let otp_id = query_pairs(inbound.url)
        .and_then(|query| param(&query, "otp").map(str::to_owned))
        .filter(|otp| !otp.is_empty());
    let (sid, status) = if let Some(sid) = param(&params, "MessageSid") {
        let word = param(&params, "MessageStatus")
            .ok_or_else(|| Refusal::Malformed("no MessageStatus".into()))?;
        (sid, message_status(word))
    } else if let Some(sid) = param(&params, "CallSid") {
        let word = param(&params, "CallStatus")
            .ok_or_else(|| Refusal::Malformed("no CallStatus".into()))?;
        (sid, call_status(word))
    } else {
        return Err(Refusal::Malformed("neither MessageSid nor CallSid".into()));
    };
    let Some(status) = status else {
        return Ok(Vec::new());
    };
    Ok(vec![Report {
        otp_id,
        message_id: sid.to_owned(),
        status,
        error_code: param(&params, "ErrorCode")
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        error_text: param(&params, "ErrorMessage").and_then(redacted),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tw-token";
    const URL: &str = "https://otp.example/v1/delivery/twilio?otp=id-1";

    fn pairs(body: &str) -> Vec<(String, String)> {
        form_pairs(body).unwrap()
    }

    fn run(
        url: &str,
        body: &str,
        signature: Option<&str>,
        token: Option<&str>,
    ) -> Result<Vec<Report>, Refusal> {
        let signature = signature.map(str::to_owned);
        let header = move |name: &str| (name == "x-twilio-signature").then(|| signature.clone())?;
        let inbound = Inbound {
            url,
            header: &header,
            body,
            now_ms: 0,
        };
        read(&inbound, token)
    }

    /// A correctly signed callback to URL.
    fn signed(body: &str) -> Result<Vec<Report>, Refusal> {
        let sig = signature(TOKEN, URL, &pairs(body));
        run(URL, body, Some(&sig), Some(TOKEN))
    }

    fn report(sid: &str, status: DeliveryStatus, code: Option<&str>) -> Report {
        Report {
            otp_id: Some("id-1".into()),
            message_id: sid.into(),
            status,
            error_code: code.map(str::to_owned),
            error_text: None,
        }
    }

    #[test]
    fn twilios_documented_example_signature() {
        // The worked example of Twilio's webhook security documentation (auth token 12345).
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let body = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234\
                    &From=%2B14158675309&To=%2B18005551212";
        assert_eq!(
            signature("12345", url, &pairs(body)),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        // The order of the form's fields does not matter.
        let shuffled = "To=%2B18005551212&Digits=1234&CallSid=CA1234567890ABCDE\
                        &From=%2B14158675309&Caller=%2B14158675309";
        assert_eq!(
            signature("12345", url, &pairs(shuffled)),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        // Checked, then refused as unreadable: a call without CallStatus.
        assert_eq!(
            run(
                url,
                body,
                Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="),
                Some("12345")
            ),
            Err(Refusal::Malformed("no CallStatus".into()))
        );
        // With the default port written out, as Twilio sometimes signs.
        assert_eq!(
            run(
                "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                body,
                Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="),
                Some("12345")
            ),
            Err(Refusal::Malformed("no CallStatus".into()))
        );
    }

    /// URL, body, X-Twilio-Signature, auth token, refusal.
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, Refusal);

    #[test]
    fn signatures_are_checked() {
        let body = "MessageSid=SM1&MessageStatus=delivered";
        let good = signature(TOKEN, URL, &pairs(body));
        let cases: Vec<Case> = vec![
            (
                URL,
                body,
                None,
                Some(TOKEN),
                Refusal::Signature("no X-Twilio-Signature"),
            ),
            (
                URL,
                body,
                Some(&good),
                None,
                Refusal::Signature("TWILIO_AUTH_TOKEN is not set"),
            ),
            (
                URL,
                body,
                Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="),
                Some(TOKEN),
                Refusal::Signature("X-Twilio-Signature does not match"),
            ),
            (
                URL,
                body,
                Some(&good),
                Some("other-token"),
                Refusal::Signature("X-Twilio-Signature does not match"),
            ),
            // Another OTP's URL, or a changed field: not what Twilio signed.
            (
                "https://otp.example/v1/delivery/twilio?otp=id-2",
                body,
                Some(&good),
                Some(TOKEN),
                Refusal::Signature("X-Twilio-Signature does not match"),
            ),
            (
                URL,
                "MessageSid=SM1&MessageStatus=failed",
                Some(&good),
                Some(TOKEN),
                Refusal::Signature("X-Twilio-Signature does not match"),
            ),
            (
                URL,
                "MessageSid=%ZZ",
                Some(&good),
                Some(TOKEN),
                Refusal::Signature("body is not a form"),
            ),
        ];
        for (url, body, sig, token, refusal) in cases {
            assert_eq!(
                run(url, body, sig, token),
                Err(refusal),
                "{url} {body} {sig:?}"
            );
        }
        assert_eq!(
            run(URL, body, Some(&good), Some(TOKEN)),
            Ok(vec![report("SM1", DeliveryStatus::Delivered, None)])
        );
    }

    #[test]
    fn message_statuses() {
        use DeliveryStatus::*;
        let cases = [
            ("accepted", Some(Queued)),
            ("scheduled", Some(Queued)),
            ("queued", Some(Queued)),
            ("sending", Some(Sent)),
            ("sent", Some(Sent)),
            ("delivered", Some(Delivered)),
            ("read", Some(Delivered)),
            ("undelivered", Some(Undelivered)),
            ("failed", Some(Failed)),
            ("canceled", Some(Failed)),
            ("receiving", None),
            ("partially_delivered", None),
        ];
        for (word, status) in cases {
            let body = format!(
                "AccountSid=AC1&From=%2B15550100&MessageSid=SM9&MessageStatus={word}&To=%2B33612345678"
            );
            let expected: Vec<Report> =
                status.map(|s| report("SM9", s, None)).into_iter().collect();
            assert_eq!(signed(&body), Ok(expected), "{word}");
        }
    }

    #[test]
    fn call_statuses() {
        use DeliveryStatus::*;
        let cases = [
            ("queued", Some(Sent)),
            ("initiated", Some(Sent)),
            ("ringing", Some(Sent)),
            ("in-progress", Some(Sent)),
            ("completed", Some(Delivered)),
            ("busy", Some(Undelivered)),
            ("no-answer", Some(Undelivered)),
            ("failed", Some(Failed)),
            ("canceled", Some(Failed)),
            ("answered", None),
        ];
        for (word, status) in cases {
            let body = format!("CallSid=CA7&CallStatus={word}&Direction=outbound-api");
            let expected: Vec<Report> =
                status.map(|s| report("CA7", s, None)).into_iter().collect();
            assert_eq!(signed(&body), Ok(expected), "{word}");
        }
    }

    #[test]
    fn errors_and_malformed_bodies() {
        assert_eq!(
            signed("MessageSid=SM2&MessageStatus=undelivered&ErrorCode=30003"),
            Ok(vec![report(
                "SM2",
                DeliveryStatus::Undelivered,
                Some("30003")
            )])
        );
        let with_text = signed(
            "MessageSid=SM3&MessageStatus=failed&ErrorCode=30005\
             &ErrorMessage=Unknown+destination+%2B33612345678",
        )
        .unwrap();
        assert_eq!(
            with_text[0].error_text.as_deref(),
            Some("Unknown destination +3********78")
        );
        assert_eq!(
            signed("MessageSid=SM2&ErrorCode="),
            Err(Refusal::Malformed("no MessageStatus".into()))
        );
        assert_eq!(
            signed("AccountSid=AC1"),
            Err(Refusal::Malformed("neither MessageSid nor CallSid".into()))
        );
        assert_eq!(
            signed(""),
            Err(Refusal::Malformed("neither MessageSid nor CallSid".into()))
        );
        // No `otp` in the URL: a report all the same, without the OTP.
        let url = "https://otp.example/v1/delivery/twilio";
        let body = "MessageSid=SM4&MessageStatus=sent";
        let sig = signature(TOKEN, url, &pairs(body));
        let reports = run(url, body, Some(&sig), Some(TOKEN)).unwrap();
        assert_eq!(reports[0].otp_id, None);
    }

    #[test]
    fn default_ports() {
        let cases = [
            (
                "https://a.example/p?q=1",
                Some("https://a.example:443/p?q=1"),
            ),
            ("https://a.example:443/p", Some("https://a.example/p")),
            ("http://a.example", Some("http://a.example:80")),
            ("http://a.example:80?x", Some("http://a.example?x")),
            ("https://a.example:8443/p", None),
            ("https://[::1]/p", Some("https://[::1]:443/p")),
            ("ftp://a.example/", None),
            ("not a url", None),
        ];
        for (url, expected) in cases {
            assert_eq!(port_toggled(url).as_deref(), expected, "{url}");
        }
    }
}
