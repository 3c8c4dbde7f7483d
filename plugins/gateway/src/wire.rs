//! JSON ("wire") mirrors of the contract's types, and conversions to and from the
//! wit-bindgen types.
//!
//! Mapping (README): record → object with `_` field names; `option` → `null` or the value
//! (a missing member reads as `null`); enum case → `"snake_case"` string; variant →
//! `{"type": case}` or `{"type": case, "value": payload}`; `list<u8>` → padded standard
//! base64; other lists → arrays.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::bindings::types as wit;

/// Conversion between a wire type and its WIT twin (both directions are implemented).
pub trait Convert<T> {
    /// Converts.
    fn convert(self) -> T;
}

macro_rules! identity {
    ($($t:ty),*) => {$(
        impl Convert<$t> for $t {
            fn convert(self) -> $t {
                self
            }
        }
    )*};
}
identity!(String, bool, u32, u64);

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(Convert::convert)
    }
}

/// A record whose fields have the same names on both sides.
macro_rules! record {
    ($name:ident = $wit:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        #[doc = concat!("JSON form of the WIT `", stringify!($wit), "` record.")]
        #[derive(Serialize, Deserialize)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        impl Convert<wit::$wit> for $name {
            fn convert(self) -> wit::$wit {
                wit::$wit { $($field: self.$field.convert(),)* }
            }
        }

        impl Convert<$name> for wit::$wit {
            fn convert(self) -> $name {
                $name { $($field: self.$field.convert(),)* }
            }
        }
    };
}

/// An enum, as `snake_case` strings.
macro_rules! enumeration {
    ($name:ident = $wit:ident { $($case:ident),* $(,)? }) => {
        #[doc = concat!("JSON form of the WIT `", stringify!($wit), "` enum.")]
        #[derive(Serialize, Deserialize, Clone, Copy)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($case,)*
        }

        impl Convert<wit::$wit> for $name {
            fn convert(self) -> wit::$wit {
                match self {
                    $($name::$case => wit::$wit::$case,)*
                }
            }
        }

        impl Convert<$name> for wit::$wit {
            fn convert(self) -> $name {
                match self {
                    $(wit::$wit::$case => $name::$case,)*
                }
            }
        }
    };
}

/// A variant, as `{"type": case, "value": payload}` (no `value` for cases without payload).
macro_rules! variant {
    ($name:ident = $wit:ident {
        $($case:ident($payload:ty)),* $(,)?
        $(; $($unit:ident),* $(,)?)?
    }) => {
        #[doc = concat!("JSON form of the WIT `", stringify!($wit), "` variant.")]
        #[derive(Serialize, Deserialize)]
        #[serde(tag = "type", content = "value", rename_all = "snake_case")]
        pub enum $name {
            $($case($payload),)*
            $($($unit,)*)?
        }

        impl Convert<wit::$wit> for $name {
            fn convert(self) -> wit::$wit {
                match self {
                    $($name::$case(value) => wit::$wit::$case(value.convert()),)*
                    $($($name::$unit => wit::$wit::$unit,)*)?
                }
            }
        }

        impl Convert<$name> for wit::$wit {
            fn convert(self) -> $name {
                match self {
                    $(wit::$wit::$case(value) => $name::$case(value.convert()),)*
                    $($(wit::$wit::$unit => $name::$unit,)*)?
                }
            }
        }
    };
}

/// `list<u8>` as padded standard base64.
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        BASE64.decode(text.as_bytes()).map(Bytes).map_err(|e| {
            serde::de::Error::custom(format!("invalid base64 (standard, padded): {e}"))
        })
    }
}

impl Convert<Vec<u8>> for Bytes {
    fn convert(self) -> Vec<u8> {
        self.0
    }
}

impl Convert<Bytes> for Vec<u8> {
    fn convert(self) -> Bytes {
        Bytes(self)
    }
}

record!(Connection = Connection {
    api_url: String,
    token: String,
    workspace: Option<String>,
});

enumeration!(
    TokenKind = TokenKind {
        ClassicPat,
        FineGrainedPat,
        PersonalToken,
        ProjectToken,
        RepositoryToken,
        GroupToken,
        WorkspaceToken,
        OauthToken,
        AppToken,
        Unknown,
    }
);

record!(
    PermissionCheck = PermissionCheck {
        name: String,
        reason: String,
        status: PermissionStatus,
    }
);

enumeration!(
    PermissionStatus = PermissionStatus {
        Granted,
        Missing,
        Unverified
    }
);

record!(TokenReport = TokenReport {
    account: String,
    account_name: Option<String>,
    kind: TokenKind,
    scopes: Vec<String>,
    permissions: Vec<PermissionCheck>,
    missing: Vec<String>,
    expires_at: Option<String>,
    workspace: Option<String>,
    warnings: Vec<String>,
});

enumeration!(
    Visibility = Visibility {
        Public,
        Private,
        Internal
    }
);

record!(Repository = Repository {
    id: String,
    owner: String,
    name: String,
    full_name: String,
    html_url: String,
    clone_url: String,
    default_branch: Option<String>,
    visibility: Visibility,
    can_admin_hooks: bool,
    updated_at: Option<String>,
});

record!(RepositoryPage = RepositoryPage {
    items: Vec<Repository>,
    next: Option<String>,
});

record!(PageRequest = PageRequest {
    cursor: Option<String>,
    per_page: u32,
    search: Option<String>,
});

record!(
    RepositoryRef = RepositoryRef {
        owner: String,
        name: String
    }
);

record!(
    Branch = Branch {
        name: String,
        commit_sha: String,
        protected: bool,
    }
);

record!(BranchPage = BranchPage {
    items: Vec<Branch>,
    next: Option<String>,
});

enumeration!(
    WebhookEventKind = WebhookEventKind {
        Push,
        TagPush,
        PullRequest
    }
);

record!(WebhookSpec = WebhookSpec {
    url: String,
    secret: String,
    events: Vec<WebhookEventKind>,
    description: String,
});

record!(Webhook = Webhook {
    id: String,
    url: String,
    active: bool,
    events: Vec<WebhookEventKind>,
    other_events: Vec<String>,
    has_secret: bool,
});

record!(
    Header = Header {
        name: String,
        value: String
    }
);

record!(Delivery = Delivery {
    headers: Vec<Header>,
    body: Bytes,
});

record!(Commit = Commit {
    sha: String,
    message: String,
    author_name: String,
    author_email: Option<String>,
    url: Option<String>,
    timestamp: Option<String>,
});

/// JSON form of the WIT `push-event` record (`ref` is a Rust keyword, so written by hand).
#[derive(Serialize, Deserialize)]
pub struct PushEvent {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub ref_name: String,
    pub before: String,
    pub after: String,
    pub created: bool,
    pub deleted: bool,
    pub head_commit: Option<Commit>,
    pub commit_count: u32,
}

impl Convert<wit::PushEvent> for PushEvent {
    fn convert(self) -> wit::PushEvent {
        wit::PushEvent {
            ref_: self.git_ref,
            ref_name: self.ref_name,
            before: self.before,
            after: self.after,
            created: self.created,
            deleted: self.deleted,
            head_commit: self.head_commit.convert(),
            commit_count: self.commit_count,
        }
    }
}

impl Convert<PushEvent> for wit::PushEvent {
    fn convert(self) -> PushEvent {
        PushEvent {
            git_ref: self.ref_,
            ref_name: self.ref_name,
            before: self.before,
            after: self.after,
            created: self.created,
            deleted: self.deleted,
            head_commit: self.head_commit.convert(),
            commit_count: self.commit_count,
        }
    }
}

enumeration!(
    PullRequestAction = PullRequestAction {
        Opened,
        Synchronized,
        Closed,
        Merged,
        Reopened,
        Edited,
        Other,
    }
);

record!(PullRequestEvent = PullRequestEvent {
    number: u64,
    action: PullRequestAction,
    provider_action: String,
    title: String,
    url: String,
    source_branch: String,
    target_branch: String,
    head_sha: String,
    source_repository: Option<String>,
});

variant!(EventDetail = EventDetail {
    Push(PushEvent),
    PullRequest(PullRequestEvent),
    Ignored(String);
    Ping,
});

record!(GitEvent = GitEvent {
    delivery_id: String,
    provider_event: String,
    repository: String,
    repository_id: Option<String>,
    sender: String,
    detail: EventDetail,
});

record!(CloneAccess = CloneAccess {
    url: String,
    username: String,
    password: String,
    url_with_credentials: String,
    expires_at: Option<String>,
});

record!(
    OauthClient = OauthClient {
        client_id: String,
        client_secret: String,
        redirect_uri: String,
        web_url: String,
    }
);

record!(AuthorizeRequest = AuthorizeRequest {
    client: OauthClient,
    state: String,
    code_challenge: Option<String>,
    scopes: Vec<String>,
});

record!(ExchangeRequest = ExchangeRequest {
    client: OauthClient,
    code: String,
    code_verifier: Option<String>,
});

#[cfg(not(feature = "contract-v0-1"))]
record!(
    RefreshRequest = RefreshRequest {
        client: OauthClient,
        refresh_token: String,
    }
);

record!(OauthTokens = OauthTokens {
    access_token: String,
    refresh_token: Option<String>,
    expires_at: Option<String>,
    scopes: Vec<String>,
});

record!(
    Installation = Installation {
        id: String,
        account: String,
        repository_selection: String,
        html_url: String,
        suspended: bool,
    }
);

record!(
    AppCredentials = AppCredentials {
        app_id: String,
        private_key_pem: String,
        api_url: String,
    }
);

enumeration!(
    Capability = Capability {
        ValidateToken,
        Repositories,
        Webhooks,
        VerifyWebhook,
        CloneCredentials,
        Oauth,
        AppInstallations,
        SelfManaged,
    }
);

record!(TokenKindInfo = TokenKindInfo {
    kind: TokenKind,
    label: String,
    required_permissions: Vec<String>,
});

record!(ProviderInfo = ProviderInfo {
    id: String,
    name: String,
    version: String,
    default_api_url: String,
    default_web_url: String,
    needs_workspace: bool,
    token_kinds: Vec<TokenKindInfo>,
    capabilities: Vec<Capability>,
    webhook_events: Vec<WebhookEventKind>,
});

record!(ForbiddenDetail = ForbiddenDetail {
    message: String,
    missing: Vec<String>,
});

record!(RetryDetail = RetryDetail {
    message: String,
    retry_after: Option<u32>,
});

variant!(ProviderError = ProviderError {
    Unauthorized(String),
    Forbidden(ForbiddenDetail),
    NotFound(String),
    RateLimited(RetryDetail),
    InvalidInput(String),
    Unavailable(RetryDetail),
    Unsupported(String),
    Other(String),
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enums_and_variants_use_the_readme_names() {
        let detail: EventDetail = wit::EventDetail::Ping.convert();
        assert_eq!(
            serde_json::to_value(detail).unwrap(),
            json!({"type": "ping"})
        );
        let error: ProviderError = wit::ProviderError::Forbidden(wit::ForbiddenDetail {
            message: "no".into(),
            missing: vec!["admin:repo_hook".into()],
        })
        .convert();
        assert_eq!(
            serde_json::to_value(error).unwrap(),
            json!({"type": "forbidden", "value": {"message": "no", "missing": ["admin:repo_hook"]}})
        );
        let error: ProviderError = wit::ProviderError::NotFound("gone".into()).convert();
        assert_eq!(
            serde_json::to_value(error).unwrap(),
            json!({"type": "not_found", "value": "gone"})
        );
        let kind: TokenKind = wit::TokenKind::FineGrainedPat.convert();
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            json!("fine_grained_pat")
        );
        let kind: WebhookEventKind = wit::WebhookEventKind::TagPush.convert();
        assert_eq!(serde_json::to_value(kind).unwrap(), json!("tag_push"));
    }

    #[test]
    fn records_options_and_bytes() {
        let conn: Connection =
            serde_json::from_value(json!({"api_url": "", "token": "t"})).unwrap();
        let conn: wit::Connection = conn.convert();
        assert_eq!(conn.workspace, None);

        let delivery: Delivery = serde_json::from_value(json!({
            "headers": [{"name": "X-GitHub-Event", "value": "ping"}],
            "body": "SGVsbG8sIFdvcmxkIQ=="
        }))
        .unwrap();
        let delivery: wit::Delivery = delivery.convert();
        assert_eq!(delivery.body, b"Hello, World!");
        assert!(
            serde_json::from_value::<Delivery>(json!({"headers": [], "body": "SGVsbG8"})).is_err()
        );

        let push = wit::PushEvent {
            ref_: "refs/heads/main".into(),
            ref_name: "main".into(),
            before: "a".into(),
            after: "b".into(),
            created: false,
            deleted: false,
            head_commit: None,
            commit_count: 0,
        };
        let push: PushEvent = push.convert();
        let value = serde_json::to_value(push).unwrap();
        assert_eq!(value["ref"], "refs/heads/main");
        assert_eq!(value["head_commit"], serde_json::Value::Null);
    }
}
