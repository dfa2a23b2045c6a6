//! THE route table: every route of the API, one row each, declaring what the pipeline
//! (`pipeline/mod.rs`) does before its handler runs — the method, who may call it (the
//! handler's kind: no key, a secret key, a publishable key), which budgets it spends and
//! when, and whether browsers may call it from other origins (CORS).
//!
//! Adding a route family is a row here per route and one handler file in `handlers/`.
//! Nothing else dispatches: the path is matched here once, and the log line names the
//! route by its pattern.
//!
//! Modelled on supabase/auth's `internal/api/api.go`, where the limits and the captcha of a
//! route are declared next to it rather than inside the handler.

use std::future::Future;
use std::pin::Pin;

use worker::{Env, Method};

use crate::error::AppResult;
use crate::handlers::{account, browser, delivery, meta, numbers, otp, stats, twilio};
use crate::limiter::Budget;
use crate::tenant::Tenant;

use super::answer::Answer;
use super::context::{Configuration, Ctx, TwilioCaller, Visitor};

/// What a handler returns: its answer, later.
pub type Reply<'a> = Pin<Box<dyn Future<Output = AppResult<Answer>> + 'a>>;

/// A route's handler, by who may call it. The pipeline authenticates before calling it, so
/// a handler is given what its kind of caller proves: nothing, a tenant, or a visitor (a
/// tenant's publishable key, from one of its origins).
pub enum Handler {
    /// No key, whatever the deployment's settings (the health check reports them; the
    /// OpenAPI document needs none): runs before the settings are checked.
    Open(for<'a> fn(&'a Env, &'a Configuration) -> Reply<'a>),
    /// No key, settings valid.
    Public(for<'a> fn(&'a mut Ctx) -> Reply<'a>),
    /// A tenant's secret key (`X-API-KEY` or `Authorization: Bearer`).
    SecretKey(for<'a> fn(&'a mut Ctx, &'a Tenant) -> Reply<'a>),
    /// A tenant's publishable key (`pk_…`), from an origin of that key, with the tenant's
    /// browser settings safe (`handlers/browser.rs`).
    PublishableKey(for<'a> fn(&'a mut Ctx, &'a Visitor) -> Reply<'a>),
    /// Twilio Verify credentials (HTTP Basic: an account SID and its auth token, or an API
    /// key and its secret); errors in Twilio's envelope. The handler spends the tenant's
    /// minute itself, in the same Durable Object call that reads the service
    /// (`handlers/twilio.rs`).
    TwilioAccount(for<'a> fn(&'a mut Ctx, &'a TwilioCaller) -> Reply<'a>),
}

/// What the tenant's limiter counts for a route, and when (`pipeline/budget.rs`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TenantSpend {
    /// Nothing of the tenant's.
    Nothing,
    /// One request of the tenant's minute of this budget, before the handler runs.
    Minute(Budget),
    /// The request's minute of this budget together with its SMS (the day's cap, the
    /// end-user IP's hour, the idempotency key), in the one limiter call the handler
    /// makes once the request is checked; a request refused before that call still spends
    /// its minute (`budget::refused`).
    MinuteWithSms(Budget),
}

/// One route: a method on a path pattern (`{name}` matches one non-empty segment).
pub struct Route {
    pub method: Method,
    /// The path pattern; also the route's name in logs.
    pub path: &'static str,
    /// The connecting IP's minute (`BROWSER_IP_LIMITER`), spent first: before any KV read
    /// or Durable Object call, so a flood costs nothing.
    pub ip_minute: bool,
    pub tenant_spends: TenantSpend,
    /// Callable from other origins: the preflight (`OPTIONS`) is answered for the path, and
    /// the answer echoes the visitor's allowed origin.
    pub cors: bool,
    pub handler: Handler,
}

use Budget::{Browser, Server};
use TenantSpend::{MinuteWithSms, Nothing};

/// Every route. The SMS.cx OTP API (`docs/api.md`), then smsotp's extensions, then the
/// Twilio Verify v2 API (`docs/twilio.md`).
pub static ROUTES: &[Route] = &[
    // The service itself: no key.
    Route {
        method: Method::Get,
        path: "/health",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::Open(|env, configuration| Box::pin(meta::health(env, configuration))),
    },
    Route {
        method: Method::Get,
        path: "/openapi.json",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::Open(|_, _| Box::pin(meta::openapi())),
    },
    Route {
        method: Method::Get,
        path: "/.well-known/jwks.json",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::Public(|cx| Box::pin(meta::jwks(cx))),
    },
    // The SMS.cx OTP API (secret key).
    Route {
        method: Method::Post,
        path: "/otp",
        ip_minute: false,
        tenant_spends: MinuteWithSms(Server),
        cors: false,
        handler: Handler::SecretKey(|cx, t| Box::pin(otp::create(cx, t))),
    },
    Route {
        method: Method::Post,
        path: "/otp/{otpId}",
        ip_minute: false,
        tenant_spends: TenantSpend::Minute(Server),
        cors: false,
        handler: Handler::SecretKey(|cx, t| Box::pin(otp::verify(cx, t))),
    },
    Route {
        method: Method::Get,
        path: "/otp/{otpId}",
        ip_minute: false,
        tenant_spends: TenantSpend::Minute(Server),
        cors: false,
        handler: Handler::SecretKey(|cx, t| Box::pin(otp::status(cx, t))),
    },
    Route {
        method: Method::Delete,
        path: "/otp/{otpId}",
        ip_minute: false,
        tenant_spends: TenantSpend::Minute(Server),
        cors: false,
        handler: Handler::SecretKey(|cx, t| Box::pin(otp::cancel(cx, t))),
    },
    Route {
        method: Method::Post,
        path: "/otp/{otpId}/resend",
        ip_minute: false,
        tenant_spends: MinuteWithSms(Server),
        cors: false,
        handler: Handler::SecretKey(|cx, t| Box::pin(otp::resend(cx, t))),
    },
    Route {
        method: Method::Delete,
        path: "/v1/numbers/{phoneNumber}/lock",
        ip_minute: false,
        tenant_spends: TenantSpend::Minute(Server),
        cors: false,
        handler: Handler::SecretKey(|cx, t| Box::pin(numbers::unlock(cx, t))),
    },
    Route {
        method: Method::Get,
        path: "/v1/stats",
        ip_minute: false,
        tenant_spends: TenantSpend::Minute(Server),
        cors: false,
        handler: Handler::SecretKey(|cx, t| Box::pin(stats::get(cx, t))),
    },
    Route {
        method: Method::Get,
        path: "/v1/account",
        ip_minute: false,
        tenant_spends: TenantSpend::Minute(Server),
        cors: false,
        handler: Handler::SecretKey(|cx, t| Box::pin(account::account(cx, t))),
    },
    // The browser API (publishable key, from the key's origins).
    Route {
        method: Method::Get,
        path: "/v1/browser/config",
        // Served from the isolate's cached tenant: only the IP's minute.
        ip_minute: true,
        tenant_spends: Nothing,
        cors: true,
        handler: Handler::PublishableKey(|cx, v| Box::pin(browser::config(cx, v))),
    },
    Route {
        method: Method::Post,
        path: "/v1/browser/otp",
        ip_minute: true,
        tenant_spends: MinuteWithSms(Browser),
        cors: true,
        handler: Handler::PublishableKey(|cx, v| Box::pin(browser::start(cx, v))),
    },
    Route {
        method: Method::Post,
        path: "/v1/browser/otp/{otpId}",
        ip_minute: true,
        tenant_spends: TenantSpend::Minute(Browser),
        cors: true,
        handler: Handler::PublishableKey(|cx, v| Box::pin(browser::check(cx, v))),
    },
    // Delivery reports: no key, each provider's own signature (handlers/delivery.rs).
    Route {
        method: Method::Post,
        path: "/v1/delivery/{provider}",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::Public(|cx| Box::pin(delivery::report(cx))),
    },
    Route {
        method: Method::Get,
        path: "/v1/delivery/{provider}",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::Public(|cx| Box::pin(delivery::subscribe(cx))),
    },
    Route {
        method: Method::Get,
        path: "/v1/browser/otp/{otpId}",
        ip_minute: true,
        tenant_spends: TenantSpend::Minute(Browser),
        cors: true,
        handler: Handler::PublishableKey(|cx, v| Box::pin(browser::status(cx, v))),
    },
    Route {
        method: Method::Post,
        path: "/v1/browser/otp/{otpId}/resend",
        ip_minute: true,
        tenant_spends: MinuteWithSms(Browser),
        cors: true,
        handler: Handler::PublishableKey(|cx, v| Box::pin(browser::resend(cx, v))),
    },
    // The Twilio Verify v2 API (HTTP Basic with Twilio credentials; docs/twilio.md).
    Route {
        method: Method::Post,
        path: "/v2/Services",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::create_service(cx, a))),
    },
    Route {
        method: Method::Get,
        path: "/v2/Services",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::list_services(cx, a))),
    },
    Route {
        method: Method::Get,
        path: "/v2/Services/{ServiceSid}",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::fetch_service(cx, a))),
    },
    Route {
        method: Method::Post,
        path: "/v2/Services/{ServiceSid}",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::update_service(cx, a))),
    },
    Route {
        method: Method::Delete,
        path: "/v2/Services/{ServiceSid}",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::delete_service(cx, a))),
    },
    Route {
        method: Method::Post,
        path: "/v2/Services/{ServiceSid}/Verifications",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::start_verification(cx, a))),
    },
    Route {
        method: Method::Get,
        path: "/v2/Services/{ServiceSid}/Verifications/{Sid}",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::fetch_verification(cx, a))),
    },
    Route {
        method: Method::Post,
        path: "/v2/Services/{ServiceSid}/Verifications/{Sid}",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::update_verification(cx, a))),
    },
    Route {
        method: Method::Post,
        path: "/v2/Services/{ServiceSid}/VerificationCheck",
        ip_minute: false,
        tenant_spends: Nothing,
        cors: false,
        handler: Handler::TwilioAccount(|cx, a| Box::pin(twilio::check_verification(cx, a))),
    },
];

/// The routes whose pattern a path matches (one per method), and the path's parameters
/// (`{otpId}`, `{ServiceSid}`, …) in order, as the client wrote them.
pub fn find(path: &str) -> (Vec<&'static Route>, Vec<String>) {
    // A trailing slash is the same route (`/otp/` is `/otp`).
    let path = path.trim_end_matches('/');
    let mut found = Vec::new();
    let mut params = Vec::new();
    for route in ROUTES {
        if let Some(p) = matches(route.path, path) {
            found.push(route);
            params = p;
        }
    }
    (found, params)
}

/// Whether `path` matches `pattern`: `Some(its parameters)` if so (empty for a pattern
/// without any). A parameter is one whole segment, never empty.
fn matches(pattern: &str, path: &str) -> Option<Vec<String>> {
    let mut params = Vec::new();
    let mut segments = path.split('/');
    for expected in pattern.split('/') {
        let got = segments.next()?;
        if expected.starts_with('{') {
            if got.is_empty() {
                return None;
            }
            params.push(got.to_owned());
        } else if expected != got {
            return None;
        }
    }
    segments.next().is_none().then_some(params)
}

/// The methods a path answers, for the `Allow` header of its 405s (RFC 9110 §15.5.6), in
/// the order GET, POST, PUT, PATCH, DELETE, OPTIONS; `OPTIONS` when browsers may call it.
pub fn allow(routes: &[&'static Route]) -> String {
    let answers = |m: &Method| {
        routes.iter().any(|r| r.method == *m) || (*m == Method::Options && cors(routes))
    };
    [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ]
    .into_iter()
    .filter(answers)
    .map(|m| m.to_string())
    .collect::<Vec<_>>()
    .join(", ")
}

/// Whether browsers may call the path from other origins.
pub fn cors(routes: &[&'static Route]) -> bool {
    routes.iter().any(|r| r.cors)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path, and the route pattern it matches with its parameter (`None`: no route).
    type Case<'a> = (&'a str, Option<(&'a str, Option<&'a str>)>);

    /// Every path the old hand-written matcher took, and what it answered.
    #[test]
    fn paths_to_routes() {
        let cases: &[Case] = &[
            ("/health", Some(("/health", None))),
            ("/health/", Some(("/health", None))),
            ("/otp", Some(("/otp", None))),
            ("/otp/", Some(("/otp", None))),
            ("/otp/abc", Some(("/otp/{otpId}", Some("abc")))),
            ("/otp/abc/", Some(("/otp/{otpId}", Some("abc")))),
            (
                "/otp/abc/resend",
                Some(("/otp/{otpId}/resend", Some("abc"))),
            ),
            ("/otp//resend", None),
            ("/otp/abc/other", None),
            ("/otp/a/b/c", None),
            ("//otp", None),
            ("/", None),
            ("", None),
            (
                "/v1/numbers/%2B33612345678/lock",
                Some(("/v1/numbers/{phoneNumber}/lock", Some("%2B33612345678"))),
            ),
            ("/v1/numbers//lock", None),
            ("/v1/numbers/+336/x/lock", None),
            ("/v1/account", Some(("/v1/account", None))),
            ("/v1/account/", Some(("/v1/account", None))),
            ("/v1/account/x", None),
            ("/v1/browser/config", Some(("/v1/browser/config", None))),
            ("/v1/browser/otp", Some(("/v1/browser/otp", None))),
            (
                "/v1/browser/otp/id1",
                Some(("/v1/browser/otp/{otpId}", Some("id1"))),
            ),
            (
                "/v1/browser/otp/id1/resend",
                Some(("/v1/browser/otp/{otpId}/resend", Some("id1"))),
            ),
            ("/v1/browser/otp/id1/x", None),
            (
                "/.well-known/jwks.json",
                Some(("/.well-known/jwks.json", None)),
            ),
            ("/openapi.json", Some(("/openapi.json", None))),
            ("/OTP", None),
            ("/v2/Services", Some(("/v2/Services", None))),
            (
                "/v2/Services/VA1",
                Some(("/v2/Services/{ServiceSid}", Some("VA1"))),
            ),
            (
                "/v2/Services/VA1/Verifications/+15005550006",
                Some((
                    "/v2/Services/{ServiceSid}/Verifications/{Sid}",
                    Some("+15005550006"),
                )),
            ),
            (
                "/v2/Services/VA1/VerificationCheck",
                Some(("/v2/Services/{ServiceSid}/VerificationCheck", Some("VA1"))),
            ),
            ("/v2/Services/VA1/Verifications/VE1/x", None),
            ("/v2/services", None),
        ];
        for (path, expected) in cases {
            let (routes, params) = find(path);
            let got = routes
                .first()
                .map(|r| (r.path, params.last().map(String::as_str)));
            assert_eq!(got, *expected, "{path}");
        }
    }

    #[test]
    fn allow_lists_a_paths_methods() {
        let allow_of = |p: &str| allow(&find(p).0);
        assert_eq!(allow_of("/otp/x"), "GET, POST, DELETE");
        assert_eq!(allow_of("/otp"), "POST");
        assert_eq!(allow_of("/v1/browser/config"), "GET, OPTIONS");
        assert_eq!(allow_of("/v1/browser/otp/x"), "GET, POST, OPTIONS");
        assert_eq!(allow_of("/v1/delivery/twilio"), "GET, POST");
        assert_eq!(allow_of("/v1/numbers/x/lock"), "DELETE");
        assert_eq!(allow_of("/v1/account"), "GET");
        assert_eq!(allow_of("/v2/Services"), "GET, POST");
        assert_eq!(allow_of("/v2/Services/VA1"), "GET, POST, DELETE");
        assert_eq!(allow_of("/v2/Services/VA1/Verifications/VE1"), "GET, POST");
    }

    #[test]
    fn two_parameters_are_both_found_in_order() {
        let (_, params) = find("/v2/Services/VA1/Verifications/VE2");
        assert_eq!(params, ["VA1", "VE2"]);
    }

    #[test]
    fn one_row_per_method_and_pattern() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {}",
                    a.method,
                    a.path
                );
            }
            // A browser route spends the IP's minute first and is callable cross-origin;
            // no other route is.
            let browser = matches!(a.handler, Handler::PublishableKey(_));
            assert_eq!((a.ip_minute, a.cors), (browser, browser), "{}", a.path);
        }
    }
}
