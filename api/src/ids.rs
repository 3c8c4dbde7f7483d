//! Record ids: random UUIDs (version 4), fresh for every record so that creating one never
//! races with anyone, and checked wherever one arrives from a client.

use crate::problem::Problem;
use crate::router::Params;

/// `N` random bytes from the platform (`wasi:random`).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Problem> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        Problem::new(
            500,
            "randomness-unavailable",
            "Randomness unavailable",
            format!("The platform's random number generator failed: {e}."),
        )
    })?;
    Ok(bytes)
}

/// A new random id, e.g. `0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c`.
pub fn new_id() -> Result<String, Problem> {
    random_bytes::<16>().map(format_uuid_v4)
}

fn format_uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Whether `text` is a UUID (`8-4-4-4-12` hex digits, either case).
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The UUID in path parameter `name`, lowercased; 400 naming the parameter otherwise.
pub fn path_id(params: &Params, name: &str) -> Result<String, Problem> {
    let value = params.get(name).unwrap_or_default();
    checked(name, value)
}

/// `value` as an id, lowercased; 400 naming `name` otherwise. The value is not quoted:
/// clients do paste credentials into the wrong place.
pub fn checked(name: &str, value: &str) -> Result<String, Problem> {
    if is_uuid(value) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Problem::bad_request(format!(
            "'{name}' must be a UUID such as 0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_v4_uuids_and_differ() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert_ne!(a, b);
        assert!(is_uuid(&a), "{a}");
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(
            format_uuid_v4([0; 16]),
            "00000000-0000-4000-8000-000000000000"
        );
    }

    #[test]
    fn checks_ids() {
        assert!(is_uuid("0B5E0F5E-8f59-4b5e-9c3a-1d2e3f4a5b6c"));
        assert_eq!(
            checked("gitTokenId", "0B5E0F5E-8f59-4b5e-9c3a-1d2e3f4a5b6c").unwrap(),
            "0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6c"
        );
        for bad in [
            "",
            "x",
            "0b5e0f5e:8f59-4b5e-9c3a-1d2e3f4a5b6c",
            "0b5e0f5e-8f59-4b5e-9c3a-1d2e3f4a5b6cc",
        ] {
            let problem = checked("gitTokenId", bad).unwrap_err();
            assert_eq!(problem.status(), 400, "{bad}");
            assert!(problem.detail().starts_with("'gitTokenId' must be a UUID"));
        }
    }
}
