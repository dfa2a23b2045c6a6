//! Outgoing HTTP with a timeout (SMS providers, callbacks).

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

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

/// How much of an answer a request takes.
#[derive(Clone, Copy)]
pub struct Limits {
    /// The whole try: sending, the answer's status and the part of its body read.
    pub timeout: Duration,
    /// Bytes of the body read at most (the rest is never read: the request is aborted).
    pub max_body: usize,
    /// Follow redirects (else a 3xx is the answer).
    pub follow_redirects: bool,
}

/// POSTs `body` to `url`, reading the whole answer; errors are transport failures and
/// timeouts.
pub async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: String,
    timeout: Duration,
) -> Result<Reply, Failure> {
    let limits = Limits {
        timeout,
        max_body: usize::MAX,
        follow_redirects: true,
    };
    post_with(url, headers, body, limits).await
}

/// POSTs `body` to `url` within `limits`: the body read up to `limits.max_body` bytes (as
/// text, lossily), then the request aborted, so a receiver streaming without end costs
/// nothing more; errors are transport failures and timeouts.
pub async fn post_with(
    url: &str,
    headers: &[(&str, &str)],
    body: String,
    limits: Limits,
) -> Result<Reply, Failure> {
    let timeout = limits.timeout;
    let transport = |e: worker::Error| Failure::Transport(e.to_string());
    let h = Headers::new();
    for (name, value) in headers {
        h.set(name, value).map_err(transport)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(h)
        .with_body(Some(body.into()));
    if !limits.follow_redirects {
        init.with_redirect(RequestRedirect::Manual);
    }
    let request = Request::new_with_init(url, &init).map_err(transport)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let max_body = limits.max_body;
    let send = Box::pin(async move {
        let mut response = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = response.status_code();
        let body = if max_body == usize::MAX {
            response.text().await?
        } else {
            let mut bytes = Vec::new();
            let mut stream = response.stream()?;
            while bytes.len() < max_body {
                match stream.next().await {
                    Some(chunk) => bytes.extend_from_slice(&chunk?),
                    None => break,
                }
            }
            bytes.truncate(max_body);
            String::from_utf8_lossy(&bytes).into_owned()
        };
        Ok::<Reply, worker::Error>(Reply { status, body })
    });
    let timer = Box::pin(Delay::from(timeout));
    let result = match select(send, timer).await {
        Either::Left((result, _)) => result.map_err(transport),
        Either::Right(_) => Err(Failure::Timeout(timeout)),
    };
    // Whatever is left of the answer (a body past the cap, or all of it after a timeout)
    // is dropped with the connection.
    controller.abort();
    result
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
