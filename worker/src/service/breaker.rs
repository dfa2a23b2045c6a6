//! The circuit breaker: a provider that failed 5 times in a row is skipped for 60 s while
//! another step of the plan remains.
//!
//! **Per isolate, on purpose.** Its state is a map in this isolate's memory (each worker
//! isolate, and each Durable Object's, has its own). Shared state would put a Durable
//! Object call (or a KV write, limited to one a second per key) on the path of every send,
//! to save at most 5 failed tries per isolate — each costing only the time to fail, as the
//! request moves to the next provider at once. An isolate learns on its own within 5 sends;
//! a provider that recovers is tried again after 60 s (one try: a failure opens it again).

use std::cell::RefCell;
use std::collections::HashMap;

/// Failures in a row that open the circuit.
pub const FAILURES_TO_OPEN: u32 = 5;
/// How long an open circuit skips the provider, unless development's `CIRCUIT_OPEN_MS`
/// says otherwise.
pub const OPEN_MS: u64 = 60_000;

#[derive(Default, Clone, Copy)]
struct Circuit {
    failures: u32,
    open_until: u64,
}

thread_local! {
    static CIRCUITS: RefCell<HashMap<String, Circuit>> = RefCell::new(HashMap::new());
    static OPEN_FOR: std::cell::Cell<u64> = const { std::cell::Cell::new(OPEN_MS) };
}

/// Sets how long a circuit stays open (the settings' `CIRCUIT_OPEN_MS`).
pub fn set_open_ms(ms: u64) {
    OPEN_FOR.with(|o| o.set(ms));
}

/// Is `provider` skipped at `now`?
pub fn is_open(provider: &str, now: u64) -> bool {
    CIRCUITS.with(|c| c.borrow().get(provider).is_some_and(|c| c.open_until > now))
}

/// A send through `provider` failed at `now`: the 5th in a row opens its circuit (and a
/// failure after it reopened opens it again). `Some(ms)` when this failure opened it (for
/// the caller's `provider.circuit_open` line): for how long.
pub fn failed(provider: &str, now: u64) -> Option<u64> {
    let open_for = OPEN_FOR.with(std::cell::Cell::get);
    CIRCUITS.with(|c| {
        let mut circuits = c.borrow_mut();
        let circuit = circuits.entry(provider.to_owned()).or_default();
        circuit.failures += 1;
        if circuit.failures < FAILURES_TO_OPEN {
            return None;
        }
        // Already open (a send started before it opened, failing now): it stays open
        // until the time set when it opened, not longer.
        if circuit.open_until > now {
            return None;
        }
        circuit.open_until = now + open_for;
        Some(open_for)
    })
}

/// A send through `provider` succeeded: its count starts over, its circuit closes.
pub fn succeeded(provider: &str) {
    CIRCUITS.with(|c| {
        c.borrow_mut().remove(provider);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_in_a_row_open_it_for_a_minute() {
        for i in 0..4 {
            assert_eq!(failed("p", 1000 + i), None);
        }
        assert!(!is_open("p", 1004));
        assert_eq!(failed("p", 1005), Some(OPEN_MS));
        assert!(is_open("p", 1006));
        assert!(is_open("p", 1005 + OPEN_MS - 1));
        assert!(!is_open("p", 1005 + OPEN_MS));
        assert!(!is_open("other", 1006));
        // Half-open: one more failure opens it again at once.
        assert_eq!(failed("p", 1005 + OPEN_MS), Some(OPEN_MS));
        // Failing while open (a send that started before it opened) neither reopens it nor
        // makes it last longer.
        assert_eq!(failed("p", 1006 + OPEN_MS), None);
        assert!(!is_open("p", 1005 + 2 * OPEN_MS));
        assert_eq!(failed("p", 1005 + 2 * OPEN_MS), Some(OPEN_MS));
        assert!(is_open("p", 1006 + OPEN_MS));
        // A success closes it and starts the count over.
        succeeded("p");
        assert!(!is_open("p", 1006 + OPEN_MS));
        for i in 0..4 {
            failed("p", 2000 + i);
        }
        succeeded("p");
        failed("p", 3000);
        assert!(!is_open("p", 3001));
    }
}
