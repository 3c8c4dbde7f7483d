//! Webhook authenticity: HMAC-SHA256 signatures and shared-token comparison, in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::ProviderError;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature is not hexadecimal.
    #[error("the signature is not hexadecimal")]
    NotHex,
    /// The signature has the wrong length for HMAC-SHA256.
    #[error("the signature is not 64 hexadecimal digits long")]
    WrongLength,
    /// The signature does not match the body and secret.
    #[error("the signature does not match the body and the webhook secret")]
    Mismatch,
}

impl From<SignatureError> for ProviderError {
    fn from(error: SignatureError) -> Self {
        ProviderError::Unauthorized(format!("webhook signature rejected: {error}"))
    }
}

/// Lowercase hex of HMAC-SHA256(`secret`, `message`).
pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    hex::encode(mac(secret, message).finalize().into_bytes())
}

/// Checks a hex HMAC-SHA256 signature of `message` under `secret` in constant time.
///
/// Upper- and lowercase hex are both accepted; strip any `sha256=` prefix first.
pub fn verify_hmac_sha256_hex(
    secret: &[u8],
    message: &[u8],
    signature_hex: &str,
) -> Result<(), SignatureError> {
    let expected = hex::decode(signature_hex.trim()).map_err(|_| SignatureError::NotHex)?;
    if expected.len() != 32 {
        return Err(SignatureError::WrongLength);
    }
    mac(secret, message)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn mac(secret: &[u8], message: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this constructor cannot fail.
    let mut mac = <HmacSha256 as hmac::digest::KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS_SIGNATURE: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn github_docs_vector() {
        let secret = b"It's a Secret to Everybody";
        assert_eq!(hmac_sha256_hex(secret, b"Hello, World!"), DOCS_SIGNATURE);
        assert_eq!(
            verify_hmac_sha256_hex(secret, b"Hello, World!", DOCS_SIGNATURE),
            Ok(())
        );
        assert_eq!(
            verify_hmac_sha256_hex(secret, b"Hello, World!", &DOCS_SIGNATURE.to_uppercase()),
            Ok(())
        );
    }

    #[test]
    fn rejects_wrong_signatures() {
        let secret = b"It's a Secret to Everybody";
        assert_eq!(
            verify_hmac_sha256_hex(secret, b"Hello, World?", DOCS_SIGNATURE),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_hmac_sha256_hex(b"other", b"Hello, World!", DOCS_SIGNATURE),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_hmac_sha256_hex(secret, b"Hello, World!", "zz"),
            Err(SignatureError::NotHex)
        );
        assert_eq!(
            verify_hmac_sha256_hex(secret, b"Hello, World!", &DOCS_SIGNATURE[..62]),
            Err(SignatureError::WrongLength)
        );
        assert!(matches!(
            ProviderError::from(SignatureError::Mismatch),
            ProviderError::Unauthorized(_)
        ));
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"topsecret", b"topsecret"));
        assert!(!constant_time_eq(b"topsecret", b"void"));
        assert!(!constant_time_eq(b"topsecret", b""));
    }
}
