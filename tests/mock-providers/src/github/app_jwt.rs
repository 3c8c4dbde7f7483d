//! GitHub App authentication: a JWT signed RS256 with the app's private key, naming the
//! app id in `iss`, with `iat` and `exp` (at most 10 minutes apart, 60 s of clock drift
//! allowed for `iat`), verified against the app's public key. Refusals carry GitHub's
//! messages.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use serde_json::Value;
use sha2::Sha256;

use super::state::GitHubState;

/// Longest lifetime GitHub accepts (`exp - iat`), in seconds.
const MAX_LIFETIME_SECONDS: i64 = 600;
/// How far in the future `iat` may be (clock drift), in seconds.
const MAX_DRIFT_SECONDS: i64 = 60;

/// base64url with or without padding, as JWT libraries write it.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a JWT is refused (always `401`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwtRejection {
    /// Not a JWT, not RS256, unreadable claims, or a signature the app's key does not verify.
    Undecodable,
    /// `iss` names no app.
    UnknownIssuer,
    /// `exp` is missing or past.
    Expired,
    /// `exp` is more than 10 minutes after `iat`.
    TooLong,
    /// `iat` is missing or more than 60 s ahead.
    IssuedInFuture,
}

impl JwtRejection {
    /// GitHub's message for it.
    pub fn message(self) -> &'static str {
        match self {
            JwtRejection::Undecodable => "A JSON web token could not be decoded",
            JwtRejection::UnknownIssuer => "Integration not found",
            JwtRejection::Expired => {
                "'Expiration time' claim ('exp') must be a numeric value representing the \
                 future time at which the assertion expires"
            }
            JwtRejection::TooLong => "'Expiration time' claim ('exp') is too far in the future",
            JwtRejection::IssuedInFuture => {
                "'Issued at' claim ('iat') must be an Integer representing the time that the \
                 assertion was issued"
            }
        }
    }
}

/// The app a JWT authenticates at `now` (Unix seconds).
pub(crate) fn verify(state: &GitHubState, jwt: &str, now: i64) -> Result<u64, JwtRejection> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtRejection::Undecodable);
    };
    let header = decode_json(header)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(JwtRejection::Undecodable);
    }
    let claims = decode_json(claims)?;
    // GitHub takes the app id as a number or a string.
    let issuer = match claims.get("iss") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or(JwtRejection::Undecodable)?;
    let app = state.app(issuer).ok_or(JwtRejection::UnknownIssuer)?;
    let signature = BASE64URL
        .decode(signature)
        .ok()
        .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
        .ok_or(JwtRejection::Undecodable)?;
    let signed = &jwt[..jwt.rfind('.').unwrap_or(0)];
    VerifyingKey::<Sha256>::new(app.public_key.clone())
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| JwtRejection::Undecodable)?;
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    let issued_at = time("iat").ok_or(JwtRejection::IssuedInFuture)?;
    let expires = time("exp").ok_or(JwtRejection::Expired)?;
    if issued_at > now + MAX_DRIFT_SECONDS {
        return Err(JwtRejection::IssuedInFuture);
    }
    if expires <= now {
        return Err(JwtRejection::Expired);
    }
    if expires - issued_at > MAX_LIFETIME_SECONDS {
        return Err(JwtRejection::TooLong);
    }
    Ok(app.id)
}

fn decode_json(part: &str) -> Result<Value, JwtRejection> {
    BASE64URL
        .decode(part)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .filter(Value::is_object)
        .ok_or(JwtRejection::Undecodable)
}
