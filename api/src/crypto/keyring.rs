//! The encryption keys: the current one (`encryption_key`) and optionally the previous one
//! (`encryption_key_previous`), each base64 of 32 random bytes (`openssl rand -base64 32`).
//!
//! A key's id is derived from the key itself (the first 8 bytes of
//! SHA-256(`git-access/key-id/v1` ‖ key), in hex), so operators never have to keep ids
//! and keys in step, and an id reveals nothing useful about its key.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::sealed::{Sealed, ALGORITHM};
use crate::ids::random_bytes;
use crate::problem::Problem;

/// Spin variable holding the current key.
pub const CURRENT_VARIABLE: &str = "encryption_key";
/// Spin variable holding the previous key during a rotation (empty otherwise).
pub const PREVIOUS_VARIABLE: &str = "encryption_key_previous";

/// Why a sealed value cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Sealed under a key that is neither the current nor the previous one.
    #[error("it was encrypted under key '{0}', which is neither encryption_key nor encryption_key_previous")]
    UnknownKey(String),
    /// The envelope is malformed, or the ciphertext or its context was altered.
    #[error("it does not decrypt (altered, or moved from another record)")]
    Corrupt,
}

/// One AES-256 key and its id.
struct Key {
    id: String,
    cipher: Aes256Gcm,
}

/// The keys in use.
pub struct Keyring {
    current: Key,
    previous: Option<Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field("previous", &self.previous.as_ref().map(|k| &k.id))
            .finish()
    }
}

impl Keyring {
    /// Reads both keys from the Spin variables; 500 naming the variable when the current
    /// key is missing or malformed (never quoting it).
    pub fn from_variables() -> Result<Self, Problem> {
        let read = |name: &str| spin_sdk::variables::get(name).unwrap_or_default();
        Self::from_base64(&read(CURRENT_VARIABLE), &read(PREVIOUS_VARIABLE))
            .map_err(Problem::configuration)
    }

    /// Builds the keyring from base64 text; an empty `previous` means none.
    pub fn from_base64(current: &str, previous: &str) -> Result<Self, String> {
        let current = parse_key(CURRENT_VARIABLE, current)?.ok_or_else(|| {
            format!(
                "The Spin variable '{CURRENT_VARIABLE}' is empty; set it to base64 of 32 random \
                     bytes (e.g. `openssl rand -base64 32`) to store Git tokens."
            )
        })?;
        let previous = parse_key(PREVIOUS_VARIABLE, previous)?;
        Ok(Self { current, previous })
    }

    /// Id of the key new values are sealed under.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Encrypts `plaintext` under the current key. `context` names the record it belongs
    /// to and is authenticated, so a ciphertext copied into another record fails to open.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Sealed, Problem> {
        let nonce = random_bytes::<12>()?;
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                Problem::new(
                    500,
                    "encryption-failed",
                    "Encryption failed",
                    "Encrypting a secret failed.",
                )
            })?;
        Ok(Sealed {
            alg: ALGORITHM.to_owned(),
            kid: self.current.id.clone(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        })
    }

    /// Decrypts a value sealed by [`Keyring::seal`] with the same `context`.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<Vec<u8>, OpenError> {
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|key| key.id == sealed.kid)
            .ok_or_else(|| OpenError::UnknownKey(sealed.kid.clone()))?;
        if sealed.alg != ALGORITHM {
            return Err(OpenError::Corrupt);
        }
        let nonce = STANDARD
            .decode(&sealed.nonce)
            .map_err(|_| OpenError::Corrupt)?;
        let ciphertext = STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| OpenError::Corrupt)?;
        if nonce.len() != 12 {
            return Err(OpenError::Corrupt);
        }
        key.cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Corrupt)
    }
}

/// A key from its variable's text; `None` when blank.
fn parse_key(variable: &str, text: &str) -> Result<Option<Key>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| format!("The Spin variable '{variable}' is not valid base64."))?;
    let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| {
        format!(
            "The Spin variable '{variable}' decodes to {} bytes; AES-256 needs exactly 32.",
            bytes.len()
        )
    })?;
    let digest = Sha256::new()
        .chain_update(b"git-access/key-id/v1")
        .chain_update(&bytes)
        .finalize();
    let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(Key { id, cipher }))
}

/// Keys for unit tests (never use them for anything else).
#[cfg(test)]
pub mod test_keys {
    /// Bytes 0..32.
    pub const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    /// Bytes 32..64.
    pub const KEY_B: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
}

#[cfg(test)]
mod tests {
    use super::test_keys::*;
    use super::*;

    #[test]
    fn seals_and_opens_with_its_context_only() {
        let ring = Keyring::from_base64(KEY_A, "").unwrap();
        let sealed = ring.seal(b"ghp_secret_value", "org:o:gittoken:t").unwrap();
        assert_eq!(sealed.kid, ring.current_id());
        assert!(!sealed.ciphertext.contains("ghp_"));
        assert_eq!(
            ring.open(&sealed, "org:o:gittoken:t").unwrap(),
            b"ghp_secret_value"
        );
        assert_eq!(
            ring.open(&sealed, "org:o:gittoken:other"),
            Err(OpenError::Corrupt)
        );
        let mut altered = sealed.clone();
        altered.ciphertext = STANDARD.encode(b"0123456789abcdef0123456789abcdef");
        assert_eq!(
            ring.open(&altered, "org:o:gittoken:t"),
            Err(OpenError::Corrupt)
        );
        // Fresh nonce every time.
        assert_ne!(
            ring.seal(b"x", "c").unwrap().nonce,
            ring.seal(b"x", "c").unwrap().nonce
        );
    }

    #[test]
    fn previous_key_still_opens_during_rotation() {
        let old = Keyring::from_base64(KEY_A, "").unwrap();
        let sealed = old.seal(b"value", "ctx").unwrap();
        let rotated = Keyring::from_base64(KEY_B, KEY_A).unwrap();
        assert_ne!(rotated.current_id(), old.current_id());
        assert_eq!(rotated.open(&sealed, "ctx").unwrap(), b"value");
        let finished = Keyring::from_base64(KEY_B, "").unwrap();
        assert_eq!(
            finished.open(&sealed, "ctx"),
            Err(OpenError::UnknownKey(old.current_id().to_owned()))
        );
    }

    #[test]
    fn key_ids_are_stable_16_hex_digits() {
        let a = Keyring::from_base64(KEY_A, "").unwrap();
        let again = Keyring::from_base64(&format!(" {KEY_A}\n"), "").unwrap();
        assert_eq!(a.current_id(), again.current_id());
        assert_eq!(a.current_id().len(), 16);
        assert!(a.current_id().bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!format!("{a:?}").contains(KEY_A));
    }

    #[test]
    fn bad_keys_name_the_variable_without_quoting_it() {
        let err = Keyring::from_base64("", "").unwrap_err();
        assert!(err.contains("'encryption_key' is empty"), "{err}");
        let err = Keyring::from_base64("c2hvcnQ=", "").unwrap_err();
        assert_eq!(
            err,
            "The Spin variable 'encryption_key' decodes to 5 bytes; AES-256 needs exactly 32."
        );
        let err = Keyring::from_base64(KEY_A, "not base64!").unwrap_err();
        assert_eq!(
            err,
            "The Spin variable 'encryption_key_previous' is not valid base64."
        );
    }
}
