//! Secrets at rest: AES-256-GCM under keys from secret Spin variables ([`keyring`]), each
//! ciphertext stored with the id of its key ([`sealed`]) so keys can be rotated.
//!
//! Rotation: set `encryption_key_previous` to the old key and `encryption_key` to a new
//! one, restart, then call `POST /organization/{id}/admin/reencrypt` for each
//! organization (owner only). New and re-encrypted values use the new key; values under the
//! previous key stay readable meanwhile. When every organization reports nothing left
//! under the old key, clear `encryption_key_previous`.

pub mod keyring;
pub mod sealed;

pub use keyring::Keyring;
pub use sealed::Sealed;

use sha2::{Digest, Sha256};

/// SHA-256 of `text`, lowercase hex: the form under which API keys, sessions and sign-in
/// states are looked up, so the secrets themselves are never stored.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
