//! The service's own routes, no key: `GET /health` (the configuration check),
//! `GET /openapi.json` (the contract) and `GET /.well-known/jwks.json` (the keys a backend
//! checks the browser API's tokens with).

use serde_json::json;
use worker::Env;

use crate::error::AppResult;
use crate::pipeline::answer::Answer;
use crate::pipeline::context::{Configuration, Ctx};
use crate::tenant;

/// The OpenAPI document of this API (`docs/openapi.json`), compiled in: what is served is
/// what the tests check against the error table and the routes.
const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// `GET /health`, the configuration check: 503 with every problem (settings named, no
/// values), so a deploy or `npm run dev` shows what is wrong without a key. In
/// development it also checks every tenant record in KV (what `npm run dev` loaded).
pub async fn health(env: &Env, configuration: &Configuration) -> AppResult<Answer> {
    let problems = match configuration {
        Ok(s) if s.development => tenant::problems(env, s).await,
        Ok(_) => vec![],
        Err(problems) => problems.clone(),
    };
    Ok(if problems.is_empty() {
        Answer::json(200, json!({"status": "ok"}))
    } else {
        Answer::json(
            503,
            json!({"status": "misconfigured", "problems": problems}),
        )
    })
}

/// `GET /openapi.json`: served byte for byte as committed, even when misconfigured.
pub async fn openapi() -> AppResult<Answer> {
    Ok(Answer {
        raw: Some(OPENAPI),
        ..Answer::json(200, serde_json::Value::Null)
    })
}

/// `GET /.well-known/jwks.json`: every signing key's public half (an empty set when the
/// deployment signs no tokens).
pub async fn jwks(cx: &mut Ctx) -> AppResult<Answer> {
    let body = match &cx.settings.signing_keys {
        Some(keys) => keys.public_jwks(),
        None => json!({ "keys": [] }),
    };
    Ok(Answer::json(200, body))
}
