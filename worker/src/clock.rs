//! The worker's clock: `Date.now()`, except where a test drives it.
//!
//! The adaptive guard's rules span hours, days and a tenant's first week
//! (docs/guard.md); its test replays a simulated week on workerd in minutes. In
//! development only (`ENVIRONMENT=development`: `wrangler dev`, never a deployment), a
//! request may carry `X-Smsotp-Test-Now: <unix ms>`: the worker then reads that instant
//! as now, and every Durable Object call it makes carries the header on, so the objects
//! read it as now too. Each isolate keeps the difference from the real clock of the last
//! request it was given (a request without the header sets it back to 0; a call to an
//! object never sets a driven clock back: [`follow_call`]), so an object's
//! alarm that fires later reads the same shifted clock. Alarms are set by a delay from
//! now (`setAlarm` with a `Duration`), which a shift leaves unchanged; but a driven clock
//! jumps (an hour between two requests), so an alarm that is overdue by it is rung at
//! once when a request finds it so (the shard's statistics reach the guard on the next
//! request, not 5 real seconds later).
//!
//! Everything that reads the time goes through [`now`]; a duration measured for a log
//! (how long a request took) reads the real clock.

use std::cell::Cell;

use worker::{Date, Headers, Request};

/// The header a test sets (development only) and the worker passes to its objects.
pub const TEST_NOW_HEADER: &str = "X-Smsotp-Test-Now";

thread_local! {
    /// Milliseconds added to the real clock: 0 unless a test drives it.
    static OFFSET: Cell<i64> = const { Cell::new(0) };
}

fn real() -> i64 {
    Date::now().as_millis() as i64
}

/// Now, in unix milliseconds.
pub fn now() -> u64 {
    (real() + OFFSET.with(Cell::get)).max(0) as u64
}

/// A real instant (an alarm's time as the platform reports it) on this clock.
pub fn from_real(real_ms: u64) -> u64 {
    (real_ms as i64 + OFFSET.with(Cell::get)).max(0) as u64
}

fn follow(headers: &Headers) {
    let offset = headers
        .get(TEST_NOW_HEADER)
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(0, |at| at as i64 - real());
    OFFSET.with(|o| o.set(offset));
}

/// The worker's side: in development, follows the request's `X-Smsotp-Test-Now` (or the
/// real clock without one); elsewhere the header is ignored and the clock is real.
pub fn follow_request(req: &Request, development: bool) {
    if development {
        follow(req.headers());
    } else {
        OFFSET.with(|o| o.set(0));
    }
}

/// An object's side: follows the header of a call from the worker (only the worker calls
/// its objects, and it sets the header only in development), but never back while a test
/// drives the clock. The worker and its objects share the isolate, and so the offset: an
/// alarm rung by one request may run while the test's next request is being handled, and
/// its call (a shard's statistics to the limiter) carries the earlier instant, which would
/// set that request's clock back (an OTP created "minutes ago", expired before its PIN
/// is typed).
pub fn follow_call(req: &Request) {
    let driven_now = driven().then(now);
    follow(req.headers());
    if let Some(before) = driven_now.filter(|&before| driven() && now() < before) {
        OFFSET.with(|o| o.set(before as i64 - real()));
    }
}

/// Whether a test drives the clock (the last request said so).
pub fn driven() -> bool {
    OFFSET.with(Cell::get) != 0
}

/// The header to put on a call to an object: `Some(now)` while a test drives the clock.
pub fn test_now() -> Option<u64> {
    (OFFSET.with(Cell::get) != 0).then(now)
}
