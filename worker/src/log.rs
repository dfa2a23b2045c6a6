//! Structured JSON logs. Never a PIN (the console provider aside, by design), never a full
//! phone number (masked), never a key.

use serde_json::{json, Value};

pub fn event(level: &str, event: &str, fields: Value) {
    let mut line = json!({"level": level, "event": event});
    if let (Some(obj), Value::Object(extra)) = (line.as_object_mut(), fields) {
        obj.extend(extra);
    }
    if level == "error" {
        worker::console_error!("{line}");
    } else {
        worker::console_log!("{line}");
    }
}
