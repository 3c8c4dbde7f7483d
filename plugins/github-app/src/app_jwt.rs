//! The GitHub App's JSON Web Token, which authenticates the app itself: reading and
//! deleting its installations and minting their access tokens.
//!
//! GitHub's rules: RS256 (PKCS#1 v1.5 with SHA-256), header `{"alg":"RS256","typ":"JWT"}`,
//! claims `iat` (set a minute in the past, for clocks that run ahead of GitHub's), `exp`
//! (at most ten minutes later) and `iss` (the app id). The private key is the PEM file
//! GitHub generates for the app (PKCS#1, `BEGIN RSA PRIVATE KEY`), or the same key as
//! PKCS#8 (`BEGIN PRIVATE KEY`). Errors describe what is wrong with a key and never quote it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use git_access_plugin_sdk::ProviderError;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::rand_core::OsRng;
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::RsaPrivateKey;

/// Seconds `iat` lies in the past.
pub const ISSUED_BEFORE: i64 = 60;

/// Seconds from now to `exp`: ten minutes after `iat`, less a minute of margin.
pub const EXPIRES_AFTER: i64 = 540;

/// The JOSE header of every app token.
const HEADER: &str = r#"{"alg":"RS256","typ":"JWT"}"#;

/// A token for the app `app_id`, signed with `private_key_pem`, issued at `now` (Unix
/// seconds).
pub fn app_jwt(app_id: &str, private_key_pem: &str, now: i64) -> Result<String, ProviderError> {
    let app_id = checked_app_id(app_id)?;
    let key = SigningKey::<Sha256>::new(parse_private_key(private_key_pem)?);
    let claims = serde_json::json!({
        "iat": now - ISSUED_BEFORE,
        "exp": now + EXPIRES_AFTER,
        "iss": app_id,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // Randomized only in its blinding of the RSA operation (against timing attacks); a
    // PKCS#1 v1.5 signature itself is deterministic.
    let signature = key
        .try_sign_with_rng(&mut OsRng, signing_input.as_bytes())
        .map_err(|_| {
            ProviderError::Other("the GitHub App private key could not sign a token".to_string())
        })?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

/// The app id, trimmed. It is not quoted in errors: a mix-up of form fields could have put
/// the key there.
fn checked_app_id(app_id: &str) -> Result<&str, ProviderError> {
    let app_id = app_id.trim();
    if app_id.is_empty() {
        return Err(ProviderError::InvalidInput(
            "the GitHub App id is required (the App ID on the app's settings page)".to_string(),
        ));
    }
    if !app_id.bytes().all(|b| b.is_ascii_graphic()) || app_id.len() > 100 {
        return Err(ProviderError::InvalidInput(
            "the GitHub App id must be the App ID on the app's settings page, a number".to_string(),
        ));
    }
    Ok(app_id)
}

/// Reads an RSA private key from PEM, PKCS#1 or PKCS#8.
fn parse_private_key(pem: &str) -> Result<RsaPrivateKey, ProviderError> {
    let invalid =
        |what: String| ProviderError::InvalidInput(format!("the GitHub App private key {what}"));
    // Keys pasted into environment variables or JSON often arrive with `\n` escapes or
    // CRLF line ends, and exported ones with attribute lines before the key.
    let pem = pem.replace("\\n", "\n").replace("\r\n", "\n");
    let pem = pem.trim();
    if pem.is_empty() {
        return Err(invalid(
            "is required: the PEM file GitHub generated for the app".to_string(),
        ));
    }
    let Some(start) = pem.find("-----BEGIN ") else {
        return Err(invalid(
            "is not in PEM form: it must start with -----BEGIN RSA PRIVATE KEY-----".to_string(),
        ));
    };
    let pem = &pem[start..];
    let label = pem
        .lines()
        .next()
        .and_then(|line| line.trim().strip_prefix("-----BEGIN "))
        .and_then(|rest| rest.strip_suffix("-----"))
        .unwrap_or_default();
    match label {
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(pem)
            .map_err(|e| invalid(format!("is not a readable PKCS#1 RSA private key ({e})"))),
        "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| {
            invalid(format!(
                "is not a readable PKCS#8 RSA private key ({e}); GitHub App keys are RSA"
            ))
        }),
        "ENCRYPTED PRIVATE KEY" => Err(invalid(
            "is encrypted: use the unencrypted PEM file GitHub generated for the app".to_string(),
        )),
        // A label is a few capital words, never key material; anything else is not named.
        other if other.len() <= 40 && other.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') => {
            Err(invalid(format!(
                "is a PEM `{other}`, not an RSA private key: use the PEM file GitHub generated for the app (BEGIN RSA PRIVATE KEY)"
            )))
        }
        _ => Err(invalid(
            "has a malformed PEM header: it must start with -----BEGIN RSA PRIVATE KEY-----"
                .to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{verified_claims, NOW, TEST_KEY, TEST_KEY_PKCS8, TEST_PUBLIC_KEY};

    #[test]
    fn signs_rs256_with_githubs_claims() {
        let jwt = app_jwt(" 12345 ", TEST_KEY, NOW).unwrap();
        assert!(!jwt.contains('='), "no padding: {jwt}");
        let claims = verified_claims(&jwt);
        assert_eq!(
            claims,
            serde_json::json!({"iat": NOW - 60, "exp": NOW + 540, "iss": "12345"})
        );
        let claims = claims.as_object().unwrap();
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert!(
            lifetime <= 600,
            "GitHub refuses tokens living over 10 minutes"
        );
    }

    #[test]
    fn accepts_pkcs8_and_pasted_forms_of_the_key() {
        let pkcs8 = app_jwt("1", TEST_KEY_PKCS8, NOW).unwrap();
        assert_eq!(verified_claims(&pkcs8)["iss"], "1");
        let escaped = TEST_KEY.trim().replace('\n', "\\n");
        assert_eq!(
            verified_claims(&app_jwt("1", &escaped, NOW).unwrap())["iss"],
            "1"
        );
        let crlf = format!("Bag Attributes\r\n{}", TEST_KEY.replace('\n', "\r\n"));
        assert_eq!(
            verified_claims(&app_jwt("1", &crlf, NOW).unwrap())["iss"],
            "1"
        );
        // PKCS#1 v1.5 is deterministic: both forms of the key sign alike.
        assert_eq!(
            app_jwt("1", TEST_KEY, NOW).unwrap(),
            app_jwt("1", TEST_KEY_PKCS8, NOW).unwrap()
        );
    }

    #[test]
    fn bad_keys_say_what_is_wrong_without_quoting_them() {
        let body_only: String = TEST_KEY
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("\n");
        let corrupted = TEST_KEY.replacen("MII", "MIX", 1);
        let truncated: String = TEST_KEY.lines().take(10).collect::<Vec<_>>().join("\n");
        let cases = [
            ("", "is required"),
            ("   ", "is required"),
            (body_only.as_str(), "is not in PEM form"),
            (
                corrupted.as_str(),
                "is not a readable PKCS#1 RSA private key",
            ),
            (
                truncated.as_str(),
                "is not a readable PKCS#1 RSA private key",
            ),
            (
                TEST_PUBLIC_KEY,
                "is a PEM `PUBLIC KEY`, not an RSA private key",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
                "is encrypted",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
                "is a PEM `OPENSSH PRIVATE KEY`",
            ),
            ("-----BEGIN x9/+-----\nAAAA", "has a malformed PEM header"),
        ];
        let key_lines: Vec<&str> = TEST_KEY
            .lines()
            .chain(TEST_PUBLIC_KEY.lines())
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .collect();
        for (pem, expected) in cases {
            match app_jwt("1", pem, NOW) {
                Err(ProviderError::InvalidInput(message)) => {
                    assert!(
                        message.starts_with("the GitHub App private key ")
                            && message.contains(expected),
                        "{expected}: {message}"
                    );
                    for line in &key_lines {
                        assert!(!message.contains(&line[..16]), "quotes the key: {message}");
                    }
                }
                other => panic!("{expected}: expected invalid-input, got {other:?}"),
            }
        }
    }

    #[test]
    fn the_app_id_is_required_and_never_quoted() {
        for app_id in ["", "  ", "12 34", "a\nb"] {
            match app_jwt(app_id, TEST_KEY, NOW) {
                Err(ProviderError::InvalidInput(message)) => {
                    assert!(message.contains("GitHub App id"), "{message}");
                    assert!(app_id.trim().is_empty() || !message.contains(app_id.trim()));
                }
                other => panic!("{app_id:?}: expected invalid-input, got {other:?}"),
            }
        }
    }
}
