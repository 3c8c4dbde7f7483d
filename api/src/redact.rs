//! Keeps credential values out of responses and logs.
//!
//! Request parsing never echoes a token, but text that comes back from a provider plugin
//! (error messages, warnings) is not under our control. Before a response that followed a
//! call made with a token is rendered, every occurrence of that token is replaced by
//! [`MARK`]. Values shorter than [`MIN_LEN`] are left alone: they cannot be real
//! credentials, and replacing them would garble ordinary words.

use serde_json::Value;

/// What a secret is replaced with.
pub const MARK: &str = "[redacted]";

/// Shortest value treated as a secret.
pub const MIN_LEN: usize = 8;

/// `text` with every occurrence of `secret` replaced.
pub fn text(text: &str, secret: &str) -> String {
    if secret.len() < MIN_LEN {
        return text.to_owned();
    }
    text.replace(secret, MARK)
}

/// Replaces `secret` in every string (and object key) inside `value`.
pub fn value(value: &mut Value, secret: &str) {
    if secret.len() < MIN_LEN {
        return;
    }
    match value {
        Value::String(s) if s.contains(secret) => *s = text(s, secret),
        Value::Array(items) => items.iter_mut().for_each(|item| self::value(item, secret)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                self::value(&mut item, secret);
                map.insert(text(&key, secret), item);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "glpat-abcdefghijklmnop";

    #[test]
    fn replaces_in_nested_values_and_keys() {
        let mut v = json!({
            "a": format!("x{SECRET}y"),
            "list": [SECRET, 1, null],
            SECRET: {"deep": SECRET},
        });
        value(&mut v, SECRET);
        let rendered = v.to_string();
        assert!(!rendered.contains(SECRET), "{rendered}");
        assert_eq!(v["a"], "x[redacted]y");
        assert_eq!(v["[redacted]"]["deep"], MARK);
    }

    #[test]
    fn short_values_are_not_treated_as_secrets() {
        assert_eq!(text("account", "a"), "account");
        let mut v = json!({"account": "a"});
        value(&mut v, "a");
        assert_eq!(v, json!({"account": "a"}));
    }
}
