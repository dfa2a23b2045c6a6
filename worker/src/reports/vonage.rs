//! Vonage SMS API delivery receipts, posted to the message's `callback` URL (or the
//! account's default), as JSON, as a form, or as query parameters (GET), as the account's
//! webhook settings say: `messageId`, `status` (accepted, buffered, delivered, expired,
//! failed, rejected, unknown), `err-code` ("0": none), `client-ref` (our OTP id), `msisdn`,
//! `to`, `network-code`, `price`, `scts`, `message-timestamp`
//! (<https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts> and
//! <https://api.support.vonage.com/hc/en-us/articles/360018438551-DLR-Statuses>).
//!
//! Signed when the account has signed webhooks (enabled by Vonage's support): the request
//! carries `timestamp` (unix seconds) and `sig`. The signed string is every other parameter
//! sorted by name as `&name=value` (a leading `&`), with `&` and `=` in names and values
//! replaced by `_`; `sig` is, by the method chosen in the dashboard, the hex MD5 of that
//! string followed by the signature secret (`md5hash`, the default), or the hex HMAC of the
//! string keyed with the secret (`md5`, `sha1`, `sha256`, `sha512`)
//! (<https://developer.vonage.com/en/getting-started/concepts/signing-messages>). Hex is
//! compared without regard to case, and a `timestamp` more than 5 minutes from now is
//! refused, as Vonage's own libraries do. Vonage's Java library leaves parameters with an
//! empty value out of the signed string; the documentation does not, so both are accepted.
//!
//! Statuses: accepted and buffered are intermediate (sent); delivered is delivered;
//! expired and failed are the carrier's word that it could not deliver (undelivered);
//! rejected (refused up front by the carrier) and unknown (Vonage cannot tell) are failed,
//! so a failover treats them as the route's failure rather than the number's.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use smsotp_core::DeliveryStatus;

use super::{
    form_pairs, fresh, hex, json_text, param, query_pairs, same, Inbound, Refusal, Report,
};

/// How Vonage signs (`VONAGE_SIGNATURE_METHOD`, the dashboard's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VonageMethod {
    /// MD5 of the string and the secret (`md5hash`): Vonage's default.
    #[default]
    Md5Hash,
    /// HMAC-MD5 (`md5`).
    HmacMd5,
    /// HMAC-SHA1 (`sha1`).
    HmacSha1,
    /// HMAC-SHA256 (`sha256`).
    HmacSha256,
    /// HMAC-SHA512 (`sha512`).
    HmacSha512,
}

impl VonageMethod {
    /// The method a setting names (the names of Vonage's libraries: `md5hash`, `md5`,
    /// `sha1`, `sha256`, `sha512`; case-insensitive).
    pub fn parse(name: &str) -> Option<VonageMethod> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "md5hash" => VonageMethod::Md5Hash,
            "md5" => VonageMethod::HmacMd5,
            "sha1" => VonageMethod::HmacSha1,
            "sha256" => VonageMethod::HmacSha256,
            "sha512" => VonageMethod::HmacSha512,
            _ => return None,
        })
    }

    /// The lower-case hex signature of `signed` with `secret`.
    fn sign(self, secret: &str, signed: &str) -> String {
        fn hmac<M: Mac + hmac::digest::KeyInit>(secret: &str, signed: &str) -> String {
            let mut mac = <M as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
            mac.update(signed.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        match self {
            VonageMethod::Md5Hash => hex(&Md5::new()
                .chain_update(signed)
                .chain_update(secret)
                .finalize()),
            VonageMethod::HmacMd5 => hmac::<Hmac<Md5>>(secret, signed),
            VonageMethod::HmacSha1 => hmac::<Hmac<Sha1>>(secret, signed),
            VonageMethod::HmacSha256 => hmac::<Hmac<Sha256>>(secret, signed),
            VonageMethod::HmacSha512 => hmac::<Hmac<Sha512>>(secret, signed),
        }
    }
}

/// The string Vonage signs: `&name=value` for each parameter but `sig`, sorted by name
/// (the first of repeated names), `&` and `=` replaced by `_`; without the empty values
/// when `skip_empty`.
fn signed_string(params: &[(String, String)], skip_empty: bool) -> String {
    let mut sorted: std::collections::BTreeMap<&str, &str> = Default::default();
    for (name, value) in params {
        if name != "sig" && !(skip_empty && value.trim().is_empty()) {
            sorted.entry(name).or_insert(value);
        }
    }
    let clean = |s: &str| s.replace(['&', '='], "_");
    sorted
        .iter()
        .map(|(name, value)| format!("&{}={}", clean(name), clean(value)))
        .collect()
}

/// The receipt's parameters: a JSON object's members, a form's fields, or, with no body,
/// the URL's query.
fn parameters(inbound: &Inbound) -> Option<Vec<(String, String)>> {
    let is_json =
        (inbound.header)("content-type").is_some_and(|t| t.to_ascii_lowercase().contains("json"));
    if is_json {
        let value: serde_json::Value = serde_json::from_str(inbound.body).ok()?;
        let object = value.as_object()?;
        Some(
            object
                .iter()
                .map(|(k, v)| (k.clone(), json_text(v).unwrap_or_default()))
                .collect(),
        )
    } else if !inbound.body.trim().is_empty() {
        form_pairs(inbound.body.trim())
    } else {
        query_pairs(inbound.url)
    }
}

/// Vonage's status word, in ours (`None`: not one we map).
fn status(word: &str) -> Option<DeliveryStatus> {
    Some(match word.to_ascii_lowercase().as_str() {
        "accepted" | "buffered" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "expired" | "failed" => DeliveryStatus::Undelivered,
        "rejected" | "unknown" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// The report in a Vonage delivery receipt.
pub fn read(
    inbound: &Inbound,
    secret: Option<&str>,
    method: VonageMethod,
) -> Result<Vec<Report>, Refusal> {
    let secret = secret.ok_or(Refusal::Signature("VONAGE_SIGNATURE_SECRET is not set"))?;
    let params = parameters(inbound).ok_or(Refusal::Signature("unreadable parameters"))?;
    let given = param(&params, "sig")
        .filter(|s| !s.is_empty())
        .ok_or(Refusal::Signature("no sig"))?
        .to_ascii_lowercase();
    let timestamp = param(&params, "timestamp")
        .and_then(|t| t.trim().parse::<u64>().ok())
        .ok_or(Refusal::Signature("no timestamp"))?;
    if !fresh(timestamp.saturating_mul(1000), inbound.now_ms) {
        return Err(Refusal::Signature("timestamp not within 5 minutes"));
    }
    let mut valid = false;
    for skip_empty in [false, true] {
        let expected = method.sign(secret, &signed_string(&params, skip_empty));
        valid |= same(expected.as_bytes(), given.as_bytes());
    }
    if !valid {
        return Err(Refusal::Signature("sig does not match"));
    }
    let message_id = param(&params, "messageId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Refusal::Malformed("no messageId".into()))?;
    let word = param(&params, "status").ok_or_else(|| Refusal::Malformed("no status".into()))?;
    let Some(status) = status(word) else {
        return Ok(Vec::new());
    };
    Ok(vec![Report {
        otp_id: param(&params, "client-ref")
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        message_id: message_id.to_owned(),
        status,
        error_code: param(&params, "err-code")
            .filter(|c| !c.is_empty() && *c != "0")
            .map(str::to_owned),
        error_text: None,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "vonage-secret";
    const NOW_MS: u64 = 1_800_000_000_000;

    fn run(
        content_type: Option<&str>,
        url: &str,
        body: &str,
        secret: Option<&str>,
        method: VonageMethod,
    ) -> Result<Vec<Report>, Refusal> {
        let content_type = content_type.map(str::to_owned);
        let header = move |name: &str| (name == "content-type").then(|| content_type.clone())?;
        let inbound = Inbound {
            url,
            header: &header,
            body,
            now_ms: NOW_MS,
        };
        read(&inbound, secret, method)
    }

    /// A form receipt with `fields`, `timestamp` now, signed with `method`.
    fn signed_form(fields: &str, method: VonageMethod) -> String {
        let body = format!("{fields}&timestamp={}", NOW_MS / 1000);
        let sig = method.sign(SECRET, &signed_string(&form_pairs(&body).unwrap(), false));
        format!("{body}&sig={sig}")
    }

    fn form(fields: &str) -> Result<Vec<Report>, Refusal> {
        let body = signed_form(fields, VonageMethod::Md5Hash);
        run(
            Some("application/x-www-form-urlencoded"),
            "https://otp.example/v1/delivery/vonage",
            &body,
            Some(SECRET),
            VonageMethod::Md5Hash,
        )
    }

    #[test]
    fn signatures_match_independent_computations() {
        // Expected values computed with Python's hashlib and hmac over the string built by
        // hand per Vonage's "Signing messages" steps.
        let params = form_pairs(
            "messageId=0B00000127FDBC63&status=delivered&err-code=0&client-ref=id-1\
             &text=a%26b%3Dc&timestamp=1800000000&sig=ignored",
        )
        .unwrap();
        let signed = signed_string(&params, false);
        assert_eq!(
            signed,
            "&client-ref=id-1&err-code=0&messageId=0B00000127FDBC63&status=delivered\
             &text=a_b_c&timestamp=1800000000"
        );
        let cases = [
            (VonageMethod::Md5Hash, "cab84a7878df2171263aaa0cab1120a0"),
            (VonageMethod::HmacMd5, "0c4eca77ba7e1de5313b1577cb2f9638"),
            (VonageMethod::HmacSha1, "a2b407d8cf7e450ad866fee307c437e0d6af78f4"),
            (VonageMethod::HmacSha256, "ccd4d26c4f23ea35bb7fc0b6cc90be7a41b8fb3aa03f3534534797b674aecdb1"),
            (VonageMethod::HmacSha512, "a326c0232b5565cdf825ffdc7706ac07b0fc1f731ea3afa079403ff2ef615defbd94a34e9b2c363e6328e40c48a961438d29813ee3369376a7115256e6fc59a2"),
        ];
        for (method, expected) in cases {
            assert_eq!(method.sign(SECRET, &signed), expected, "{method:?}");
        }
    }

    #[test]
    fn methods_parse() {
        for (name, method) in [
            ("md5hash", Some(VonageMethod::Md5Hash)),
            ("md5", Some(VonageMethod::HmacMd5)),
            ("SHA1", Some(VonageMethod::HmacSha1)),
            (" sha256 ", Some(VonageMethod::HmacSha256)),
            ("sha512", Some(VonageMethod::HmacSha512)),
            ("sha384", None),
            ("", None),
        ] {
            assert_eq!(VonageMethod::parse(name), method, "{name:?}");
        }
    }

    #[test]
    fn statuses() {
        use DeliveryStatus::*;
        let cases = [
            ("accepted", Some(Sent)),
            ("buffered", Some(Sent)),
            ("delivered", Some(Delivered)),
            ("expired", Some(Undelivered)),
            ("failed", Some(Undelivered)),
            ("rejected", Some(Failed)),
            ("unknown", Some(Failed)),
            ("deleted", None),
        ];
        for (word, expected) in cases {
            let reports = form(&format!(
                "msisdn=447700900000&to=Acme&messageId=0B1&status={word}&err-code=0&client-ref=id-1"
            ))
            .unwrap();
            let expected: Vec<Report> = expected
                .map(|status| Report {
                    otp_id: Some("id-1".into()),
                    message_id: "0B1".into(),
                    status,
                    error_code: None,
                    error_text: None,
                })
                .into_iter()
                .collect();
            assert_eq!(reports, expected, "{word}");
        }
        let failed = form("messageId=0B2&status=failed&err-code=6").unwrap();
        assert_eq!(failed[0].error_code.as_deref(), Some("6"));
        assert_eq!(failed[0].otp_id, None);
    }

    #[test]
    fn json_query_and_every_method() {
        let methods = [
            VonageMethod::Md5Hash,
            VonageMethod::HmacMd5,
            VonageMethod::HmacSha1,
            VonageMethod::HmacSha256,
            VonageMethod::HmacSha512,
        ];
        for method in methods {
            let body = signed_form("messageId=0B3&status=delivered&client-ref=id-1", method);
            let pairs = form_pairs(&body).unwrap();
            let object: serde_json::Map<String, serde_json::Value> = pairs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            let json = serde_json::Value::Object(object).to_string();
            let url = format!("https://otp.example/v1/delivery/vonage?{body}");
            let upper = body.replace(
                pairs.iter().find(|(k, _)| k == "sig").unwrap().1.as_str(),
                &pairs
                    .iter()
                    .find(|(k, _)| k == "sig")
                    .unwrap()
                    .1
                    .to_uppercase(),
            );
            for (content_type, url, body) in [
                (
                    Some("application/json"),
                    "https://otp.example/d",
                    json.as_str(),
                ),
                (None, url.as_str(), ""),
                (
                    Some("application/x-www-form-urlencoded"),
                    "https://otp.example/d",
                    &upper,
                ),
            ] {
                let reports = run(content_type, url, body, Some(SECRET), method)
                    .unwrap_or_else(|e| panic!("{method:?} {content_type:?}: {e:?}"));
                assert_eq!(reports.len(), 1);
                assert_eq!(reports[0].status, DeliveryStatus::Delivered);
                assert_eq!(reports[0].otp_id.as_deref(), Some("id-1"));
            }
            // Signed with another method: refused.
            let other = if method == VonageMethod::Md5Hash {
                VonageMethod::HmacSha256
            } else {
                VonageMethod::Md5Hash
            };
            assert_eq!(
                run(None, "https://d", &body, Some(SECRET), other),
                Err(Refusal::Signature("sig does not match"))
            );
        }
    }

    #[test]
    fn refusals() {
        let url = "https://otp.example/v1/delivery/vonage";
        let form_type = Some("application/x-www-form-urlencoded");
        let good = signed_form("messageId=0B4&status=delivered", VonageMethod::Md5Hash);
        let stale = {
            let body = format!(
                "messageId=0B4&status=delivered&timestamp={}",
                NOW_MS / 1000 - 301
            );
            let sig = VonageMethod::Md5Hash
                .sign(SECRET, &signed_string(&form_pairs(&body).unwrap(), false));
            format!("{body}&sig={sig}")
        };
        let md5 = VonageMethod::Md5Hash;
        let cases: Vec<(Option<&str>, String, Option<&str>, Refusal)> = vec![
            (
                form_type,
                good.clone(),
                None,
                Refusal::Signature("VONAGE_SIGNATURE_SECRET is not set"),
            ),
            (
                form_type,
                good.replace("status=delivered", "status=failed"),
                Some(SECRET),
                Refusal::Signature("sig does not match"),
            ),
            (
                form_type,
                good.clone(),
                Some("other"),
                Refusal::Signature("sig does not match"),
            ),
            (
                form_type,
                "messageId=0B4&status=delivered&timestamp=1800000000".into(),
                Some(SECRET),
                Refusal::Signature("no sig"),
            ),
            (
                form_type,
                "messageId=0B4&status=delivered&sig=abc".into(),
                Some(SECRET),
                Refusal::Signature("no timestamp"),
            ),
            (
                form_type,
                stale,
                Some(SECRET),
                Refusal::Signature("timestamp not within 5 minutes"),
            ),
            (
                Some("application/json"),
                "[1]".into(),
                Some(SECRET),
                Refusal::Signature("unreadable parameters"),
            ),
            (
                Some("application/json"),
                "{not json".into(),
                Some(SECRET),
                Refusal::Signature("unreadable parameters"),
            ),
            (
                form_type,
                signed_form("status=delivered", md5),
                Some(SECRET),
                Refusal::Malformed("no messageId".into()),
            ),
            (
                form_type,
                signed_form("messageId=0B5", md5),
                Some(SECRET),
                Refusal::Malformed("no status".into()),
            ),
        ];
        for (content_type, body, secret, refusal) in cases {
            assert_eq!(
                run(content_type, url, &body, secret, md5),
                Err(refusal),
                "{body}"
            );
        }
        assert!(run(form_type, url, &good, Some(SECRET), md5).is_ok());
    }

    #[test]
    fn empty_values_signed_either_way() {
        // Java's library leaves empty values out of the signed string; the documentation
        // keeps them: both are accepted.
        let body = format!(
            "messageId=0B6&status=delivered&client-ref=&timestamp={}",
            NOW_MS / 1000
        );
        let pairs = form_pairs(&body).unwrap();
        for skip_empty in [false, true] {
            let sig = VonageMethod::Md5Hash.sign(SECRET, &signed_string(&pairs, skip_empty));
            let reports = run(
                None,
                "https://d",
                &format!("{body}&sig={sig}"),
                Some(SECRET),
                VonageMethod::Md5Hash,
            )
            .unwrap();
            assert_eq!(reports[0].otp_id, None);
        }
    }
}
