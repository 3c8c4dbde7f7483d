//! What the unit tests share: the test key pair (`fixtures/`), app credentials, and a check
//! that a request carries a valid app token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use git_access_github::bindings::types::AppCredentials;
use git_access_plugin_sdk::HttpRequest;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;

/// A throwaway 2048-bit RSA key made for these tests (PKCS#1, as GitHub issues keys).
pub const TEST_KEY: &str = include_str!("../fixtures/test-app-key.pem");

/// The same key as PKCS#8.
pub const TEST_KEY_PKCS8: &str = include_str!("../fixtures/test-app-key.pkcs8.pem");

/// Its public key.
pub const TEST_PUBLIC_KEY: &str = include_str!("../fixtures/test-app-key.pub.pem");

/// The time tests sign at.
pub const NOW: i64 = 1_780_000_000;

/// Credentials of app `12345` with the test key, against `api_url`.
pub fn app_credentials(api_url: &str) -> AppCredentials {
    AppCredentials {
        app_id: "12345".to_string(),
        private_key_pem: TEST_KEY.to_string(),
        api_url: api_url.to_string(),
    }
}

/// Checks a JWT's header and signature against the test public key; returns its claims.
pub fn verified_claims(jwt: &str) -> serde_json::Value {
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).expect("base64url, no padding");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let public = RsaPublicKey::from_public_key_pem(TEST_PUBLIC_KEY).expect("test public key");
    let signature = Signature::try_from(decode(parts[2]).as_slice()).expect("signature bytes");
    VerifyingKey::<Sha256>::new(public)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the signature verifies with the app's public key");
    let header: serde_json::Value = serde_json::from_slice(&decode(parts[0])).expect("header");
    assert_eq!(header, serde_json::json!({"alg": "RS256", "typ": "JWT"}));
    serde_json::from_slice(&decode(parts[1])).expect("claims")
}

/// Asserts that `request` is authenticated as app `12345`, with a token issued at [`NOW`].
pub fn assert_app_token(request: &HttpRequest) {
    let authorization = request
        .headers()
        .get("authorization")
        .expect("authorization");
    let jwt = authorization
        .strip_prefix("Bearer ")
        .expect("a bearer token");
    let claims = verified_claims(jwt);
    assert_eq!(
        claims,
        serde_json::json!({"iat": NOW - 60, "exp": NOW + 540, "iss": "12345"})
    );
}

/// Asserts that `request` carries `token` and GitHub's API headers.
pub fn assert_token(request: &HttpRequest, token: &str) {
    let headers = request.headers();
    assert_eq!(
        headers.get("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(headers.get("accept"), Some("application/vnd.github+json"));
    assert_eq!(headers.get("x-github-api-version"), Some("2022-11-28"));
}
