//! Query strings and `application/x-www-form-urlencoded` bodies, without a dependency: the
//! [`QueryMap`] extractor and the form codec the mocks share.

use std::collections::BTreeMap;
use std::convert::Infallible;

use axum::{extract::FromRequestParts, http::request::Parts};

/// The request's query parameters, decoded (`+` is a space; the last repeat wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryMap(pub BTreeMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parse(parts.uri.query().unwrap_or_default())))
    }
}

/// Decodes `a=1&b=x+y` into a map.
pub fn parse(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// Percent-encodes a form or query component (unreserved characters stay).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+`; invalid escapes stay as they are.
pub fn decode(value: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_round_trips() {
        let value = "https://ga.example.com/cb?x=1&y=a b";
        assert_eq!(decode(&encode(value)), value);
        assert_eq!(decode("a+b%21"), "a b!");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        let map = parse("per_page=100&page=2&affiliation=owner%2Ccollaborator&flag");
        assert_eq!(map["per_page"], "100");
        assert_eq!(map["affiliation"], "owner,collaborator");
        assert_eq!(map["flag"], "");
    }
}
