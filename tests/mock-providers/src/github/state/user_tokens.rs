//! The user tokens GitHub's OAuth token endpoint issues: `gho_` for OAuth apps, `ghu_` for
//! GitHub Apps. When the client has expiring user tokens they work for eight hours (or the
//! lifetime a test sets) and come with a `ghr_` refresh token that works for six months.
//! A refresh rotates: the refresh token and the access token issued with it stop working,
//! and a new pair is issued.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::{GitHubState, OAuthClient, Token};
use crate::github::seed::TokenKind;
use crate::token_endpoint::new_token;

/// How long an expiring user token works unless a test sets another (GitHub: eight hours).
const USER_TOKEN_SECONDS: i64 = 28_800;
/// How long a refresh token works (GitHub: six months, its `refresh_token_expires_in`).
const REFRESH_TOKEN_SECONDS: i64 = 15_897_600;

/// A refresh token (the value is the map key).
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    /// The OAuth app or GitHub App it was issued to.
    pub client_id: String,
    /// The user who signed in.
    pub login: String,
    /// OAuth apps: the scopes granted, which refreshed tokens keep.
    pub scopes: Vec<String>,
    /// The access token issued with it, revoked when it is used.
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// What the token endpoint answers.
#[derive(Debug, Clone)]
pub(crate) struct UserTokens {
    pub access_token: String,
    /// `scope`: an OAuth app's scopes, comma-separated; empty for a GitHub App.
    pub scope: String,
    /// With expiring user tokens only.
    pub refresh: Option<Refresh>,
}

/// The expiry and refresh token of an expiring user token.
#[derive(Debug, Clone)]
pub(crate) struct Refresh {
    /// `expires_in`: seconds the access token works.
    pub expires_in: i64,
    pub refresh_token: String,
    /// `refresh_token_expires_in`.
    pub refresh_token_expires_in: i64,
}

impl GitHubState {
    /// Issues a user token of `login` to `client` (with `scopes` for an OAuth app; a GitHub
    /// App's has the app's permissions), expiring and with a refresh token when the client
    /// has expiring user tokens. `None` for an unknown user or app.
    pub fn issue_user_tokens(
        &mut self,
        client: &OAuthClient,
        login: &str,
        scopes: Vec<String>,
        now: DateTime<Utc>,
    ) -> Option<UserTokens> {
        self.issue(client, login, scopes, client.expiring_user_tokens, now)
    }

    /// The `refresh_token` grant of `client`: new tokens for the refresh token `value`,
    /// which is used up along with the access token issued with it. `None` for an
    /// unknown, used, revoked or expired refresh token, or another client's.
    pub fn refresh_user_tokens(
        &mut self,
        value: &str,
        client: &OAuthClient,
        now: DateTime<Utc>,
    ) -> Option<UserTokens> {
        let grant = self
            .refresh_tokens
            .get(value)
            .filter(|g| !g.revoked && g.client_id == client.client_id && g.expires_at > now)?
            .clone();
        let issued = self.issue(client, &grant.login, grant.scopes, true, now)?;
        self.refresh_tokens.remove(value);
        if let Some(previous) = self.tokens.get_mut(&grant.access_token) {
            previous.revoked = true;
        }
        self.refresh_grants += 1;
        Some(issued)
    }

    /// Turns expiring user tokens on or off for the OAuth app or GitHub App `client_id`
    /// (tokens issued from now on). Returns whether the client exists.
    pub fn set_expiring_user_tokens(&mut self, client_id: &str, enabled: bool) -> bool {
        if self.oauth_client(client_id).is_none() {
            return false;
        }
        if enabled {
            self.expiring_clients.insert(client_id.to_owned());
        } else {
            self.expiring_clients.remove(client_id);
        }
        true
    }

    /// Sets how many seconds expiring user tokens issued from now on work.
    pub fn set_user_token_seconds(&mut self, seconds: i64) {
        self.user_token_seconds = Some(seconds);
    }

    /// Ends every user token the token endpoint issued so far at `now`; refresh tokens
    /// stay usable.
    pub fn expire_user_tokens(&mut self, now: DateTime<Utc>) {
        for token in self.tokens.values_mut().filter(|t| t.issued) {
            token.expires_at = Some(token.expires_at.map_or(now, |at| at.min(now)));
        }
    }

    /// Revokes every user token and refresh token the token endpoint issued so far.
    pub fn revoke_user_grants(&mut self) {
        for token in self.tokens.values_mut().filter(|t| t.issued) {
            token.revoked = true;
        }
        for grant in self.refresh_tokens.values_mut() {
            grant.revoked = true;
        }
    }

    /// How many refresh grants the token endpoint served.
    pub fn refresh_grants(&self) -> usize {
        self.refresh_grants
    }

    fn issue(
        &mut self,
        client: &OAuthClient,
        login: &str,
        scopes: Vec<String>,
        expiring: bool,
        now: DateTime<Utc>,
    ) -> Option<UserTokens> {
        let (access_token, scope) = match client.app_id {
            Some(app_id) => (self.mint_app_user_token(app_id, login)?, String::new()),
            None => {
                let owner = self.user(login)?.login.clone();
                let value = new_token("gho_");
                let scope = scopes.join(",");
                self.tokens.insert(
                    value.clone(),
                    Token {
                        kind: TokenKind::Oauth,
                        scopes: scopes.clone(),
                        permissions: BTreeMap::new(),
                        repositories: None,
                        expires_at: None,
                        owner,
                        revoked: false,
                        installation: None,
                        app: None,
                        issued: true,
                    },
                );
                (value, scope)
            }
        };
        if !expiring {
            return Some(UserTokens {
                access_token,
                scope,
                refresh: None,
            });
        }
        let expires_in = self.user_token_seconds.unwrap_or(USER_TOKEN_SECONDS);
        if let Some(token) = self.tokens.get_mut(&access_token) {
            token.expires_at = Some(now + Duration::seconds(expires_in));
        }
        let refresh_token = new_token("ghr_");
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: client.client_id.clone(),
                login: login.to_owned(),
                scopes,
                access_token: access_token.clone(),
                expires_at: now + Duration::seconds(REFRESH_TOKEN_SECONDS),
                revoked: false,
            },
        );
        Some(UserTokens {
            access_token,
            scope,
            refresh: Some(Refresh {
                expires_in,
                refresh_token,
                refresh_token_expires_in: REFRESH_TOKEN_SECONDS,
            }),
        })
    }
}
