//! Outgoing HTTP with a timeout (SMS providers, callbacks).

use std::time::Duration;

use futures_util::future::{select, Either};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

/// A response's status and body text.
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Why a request got no HTTP answer.
#[derive(Debug)]
pub enum Failure {
    /// Nothing within the timeout (the request was aborted).
    Timeout(Duration),
    /// The request could not be built or sent (the runtime's error text).
    Transport(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout(t) => write!(f, "no answer within {} ms", t.as_millis()),
            Failure::Transport(why) => f.write_str(why),
        }
    }
}

/// POSTs `body` to `url`; errors are transport failures and timeouts.
pub async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: String,
    timeout: Duration,
) -> Result<Reply, Failure> {
    let transport = |e: worker::Error| Failure::Transport(e.to_string());
    let h = Headers::new();
    for (name, value) in headers {
        h.set(name, value).map_err(transport)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(h)
        .with_body(Some(body.into()));
    let request = Request::new_with_init(url, &init).map_err(transport)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let send = Box::pin(async move {
        let mut response = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = response.status_code();
        let body = response.text().await?;
        Ok::<Reply, worker::Error>(Reply { status, body })
    });
    let timer = Box::pin(Delay::from(timeout));
    match select(send, timer).await {
        Either::Left((result, _)) => result.map_err(transport),
        Either::Right(_) => {
            controller.abort();
            Err(Failure::Timeout(timeout))
        }
    }
}

/// `application/x-www-form-urlencoded`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}
