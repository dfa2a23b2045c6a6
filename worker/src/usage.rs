//! What one request used of what Cloudflare bills, for its log line (`usage`): Durable
//! Object requests, the SQLite rows they read and wrote, KV reads (the worker writes no
//! KV) and subrequests.
//! `npm run bench:worker` sums these per operation and prices them (`worker/bench/prices.json`).

use std::cell::Cell;

use serde_json::{json, Value};

use crate::durable::RowUsage;

/// A request's usage so far (single-threaded: one per request, passed down).
#[derive(Default)]
pub struct Usage {
    do_calls: Cell<u32>,
    rows_read: Cell<u64>,
    rows_written: Cell<u64>,
    kv_reads: Cell<u32>,
    subrequests: Cell<u32>,
    /// Of the above, the tenant limiter's calls and rows written (the rest are the
    /// shards'), so the bench can price each object's part.
    limiter_calls: Cell<u32>,
    limiter_rows_written: Cell<u64>,
}

impl Usage {
    /// One Durable Object request, with the rows it read and wrote.
    pub fn durable_object_call(&self, rows: RowUsage) {
        self.do_calls.set(self.do_calls.get() + 1);
        self.rows_read.set(self.rows_read.get() + rows.rows_read);
        self.rows_written
            .set(self.rows_written.get() + rows.rows_written);
    }

    /// One call to the tenant's limiter (a Durable Object request), with its rows.
    pub fn limiter_call(&self, rows: RowUsage) {
        self.durable_object_call(rows);
        self.limiter_calls.set(self.limiter_calls.get() + 1);
        self.limiter_rows_written
            .set(self.limiter_rows_written.get() + rows.rows_written);
    }

    /// One KV read (a tenant lookup that missed the isolate's cache).
    pub fn kv_read(&self) {
        self.kv_reads.set(self.kv_reads.get() + 1);
    }

    /// One outgoing HTTP request (an SMS provider).
    pub fn subrequest(&self) {
        self.subrequests.set(self.subrequests.get() + 1);
    }

    /// The log line's `usage` object.
    pub fn to_json(&self) -> Value {
        json!({
            "doCalls": self.do_calls.get(),
            "rowsRead": self.rows_read.get(),
            "rowsWritten": self.rows_written.get(),
            "kvReads": self.kv_reads.get(),
            "subrequests": self.subrequests.get(),
            "limiterCalls": self.limiter_calls.get(),
            "limiterRowsWritten": self.limiter_rows_written.get(),
        })
    }
}
