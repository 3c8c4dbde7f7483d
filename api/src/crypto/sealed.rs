//! A sealed secret as stored: `{alg, kid, nonce, ciphertext}` with base64 fields. The
//! ciphertext includes GCM's 16-byte tag; `kid` names the key (see `keyring`).

use serde::{Deserialize, Serialize};

/// The only algorithm: AES-256-GCM with a 96-bit random nonce.
pub const ALGORITHM: &str = "A256GCM";

/// An encrypted value and what is needed to open it (except the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// Always [`ALGORITHM`].
    pub alg: String,
    /// Id of the key it was sealed under.
    pub kid: String,
    /// Nonce, base64.
    pub nonce: String,
    /// Ciphertext and tag, base64.
    pub ciphertext: String,
}
