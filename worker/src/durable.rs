//! What the worker's two Durable Objects (`OtpShard`, `TenantLimiter`) share: the call from
//! the worker (a typed request as JSON, its typed reply back with the SQLite rows the object
//! read and wrote for it, counted in the request's usage), the object's side of it, and
//! the counted SQL cursor through which each object reads and writes its storage.

use std::cell::Cell;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use smsotp_core::ApiError;
use worker::{Method, Request, RequestInit, Response, Result, SqlCursor, SqlStorage};
use worker::{SqlStorageValue, Stub};

use crate::usage::Usage;

/// A request to one of the worker's Durable Objects (its JSON is the request's body), and
/// the type of its reply.
pub trait Message: Serialize + DeserializeOwned {
    type Reply: Serialize + DeserializeOwned;
    /// The URL the request is made to (the object reads only the body).
    const URL: &'static str;
    /// Counts one call, with the rows the object read and wrote for it, in the request's
    /// usage.
    fn count(usage: &Usage, rows: RowUsage);
}

/// A reply as it crosses the boundary: the typed reply and the rows behind it.
#[derive(Serialize, Deserialize)]
struct Envelope<R> {
    reply: R,
    usage: RowUsage,
}

/// Sends `message` to the object behind `stub` and decodes its typed reply, counting the
/// call (and its rows) in `usage`.
pub async fn call<M: Message>(stub: &Stub, message: &M, usage: &Usage) -> Result<M::Reply> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(message)?.into()));
    if let Some(at) = crate::clock::test_now() {
        let headers = worker::Headers::new();
        headers.set(crate::clock::TEST_NOW_HEADER, &at.to_string())?;
        init.with_headers(headers);
    }
    let req = Request::new_with_init(M::URL, &init)?;
    let mut res = stub.fetch_with_request(req).await?;
    let envelope: Envelope<M::Reply> = res.json().await?;
    M::count(usage, envelope.usage);
    Ok(envelope.reply)
}

/// The object's side: the request it was sent.
pub async fn received<M: Message>(mut req: Request) -> Result<M> {
    crate::clock::follow_call(&req);
    req.json().await
}

/// The object's side: its reply, with the rows the request read and wrote.
pub fn reply<M: Message>(reply: M::Reply, usage: RowUsage) -> Result<Response> {
    Response::from_json(&Envelope { reply, usage })
}

/// SQLite rows read and written (what Cloudflare bills for SQLite-backed objects).
#[derive(Serialize, Deserialize, Clone, Copy, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RowUsage {
    pub rows_read: u64,
    pub rows_written: u64,
}

/// Counts a `setAlarm` in `usage`: Cloudflare bills each as one row written (Durable
/// Objects pricing, SQLite storage).
pub fn alarm_set(usage: &Cell<RowUsage>) {
    let mut u = usage.get();
    u.rows_written += 1;
    usage.set(u);
}

/// An `ApiError` across the Durable Object boundary.
#[derive(Serialize, Deserialize)]
pub struct WireError {
    pub code: u16,
    pub message: String,
    pub attempts_left: Option<u8>,
    pub retry_after: Option<u32>,
}

impl WireError {
    /// The core's error, for the wire.
    pub fn from_api(e: &ApiError) -> Self {
        WireError {
            code: e.code.code(),
            message: e.message.clone(),
            attempts_left: e.attempts_left,
            retry_after: e.retry_after,
        }
    }

    /// Back to the core's error.
    pub fn into_api(self) -> ApiError {
        let code = smsotp_core::ErrorCode::from_code(self.code)
            .unwrap_or(smsotp_core::ErrorCode::Internal);
        let mut e = ApiError::with_message(code, self.message);
        e.attempts_left = self.attempts_left;
        e.retry_after = self.retry_after;
        e
    }
}

/// SQLite statements of one request (or alarm), counted.
pub struct Sql<'a> {
    storage: SqlStorage,
    usage: &'a Cell<RowUsage>,
}

impl<'a> Sql<'a> {
    /// The object's SQLite, counting the rows each statement reads and writes (billed by
    /// Cloudflare per row) into `usage`.
    pub fn new(storage: SqlStorage, usage: &'a Cell<RowUsage>) -> Self {
        Sql { storage, usage }
    }

    pub fn exec(
        &self,
        query: &str,
        bindings: impl Into<Option<Vec<SqlStorageValue>>>,
    ) -> Result<Counted<'a>> {
        Ok(Counted {
            cursor: self.storage.exec(query, bindings)?,
            usage: self.usage,
        })
    }
}

/// A cursor whose rows read and written are added to the usage when it is dropped (after
/// its rows were read, or at once for a write).
pub struct Counted<'a> {
    cursor: SqlCursor,
    usage: &'a Cell<RowUsage>,
}

impl Counted<'_> {
    pub fn to_array<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.cursor.to_array()
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        let mut u = self.usage.get();
        u.rows_read += self.cursor.rows_read() as u64;
        u.rows_written += self.cursor.rows_written() as u64;
        self.usage.set(u);
    }
}

/// JS numbers hold integers exactly up to 2^53: times in milliseconds fit.
pub fn int(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(v.min(i64::MAX as u64) as i64)
}

pub fn text(v: &str) -> SqlStorageValue {
    SqlStorageValue::String(v.to_owned())
}
