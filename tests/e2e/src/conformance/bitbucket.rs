//! The Bitbucket Cloud provider under the conformance suite, against the mock Bitbucket
//! (API under `/2.0`). Every connection names the workspace.

use mock_providers::bitbucket::{
    delivery_request, BitbucketSeed, MockBitbucket, RepositorySeed, TokenSeed, UserSeed,
    WorkspaceRole, WorkspaceSeed,
};
use mock_providers::Fault;
use serde_json::{json, Value};

use super::provider_env::ProviderEnv;
use super::ProviderFixture;
use crate::{HarnessError, ProviderGateway};

/// Seeded accounts, workspaces, repositories and tokens.
pub mod seeded {
    /// The workspace owner.
    pub const USER: &str = "emma";
    /// The workspace every token belongs to.
    pub const WORKSPACE: &str = "acme";
    /// The administered repository.
    pub const REPOSITORY: &str = "api";
    /// Its branches.
    pub const BRANCHES: &[&str] = &["main", "develop", "release-1.0"];
    /// Repositories of the workspace besides the administered one (`service-000`…).
    pub const WORKSPACE_REPOSITORIES: usize = 120;

    /// Workspace token with every scope git-access needs.
    pub const FULL: &str = "ATCTT3xConformanceFull000000000001";
    /// Workspace token without `pullrequest:write`.
    pub const NO_PULL_REQUESTS: &str = "ATCTT3xConformanceNoPullRequests02";
    /// Workspace token without `webhook`.
    pub const NO_WEBHOOK: &str = "ATCTT3xConformanceNoWebhook0000003";
    /// Workspace token with `webhook` only.
    pub const WEBHOOK_ONLY: &str = "ATCTT3xConformanceWebhookOnly00004";
    /// Workspace token that expired in 2020.
    pub const EXPIRED: &str = "ATCTT3xConformanceExpired000000005";
    /// Workspace token that was revoked.
    pub const REVOKED: &str = "ATCTT3xConformanceRevoked000000006";
}

/// The seed the suite runs against.
pub fn seed() -> BitbucketSeed {
    use seeded::*;
    let all = ["repository", "pullrequest:write", "webhook"];
    let expired = TokenSeed::workspace(EXPIRED, WORKSPACE, &all);
    let expired = match "2020-01-01T00:00:00Z".parse() {
        Ok(at) => expired.expiring(at),
        Err(_) => expired,
    };
    BitbucketSeed {
        users: vec![UserSeed::new(USER)],
        workspaces: vec![WorkspaceSeed::new(
            WORKSPACE,
            &[(USER, WorkspaceRole::Owner)],
        )],
        repositories: vec![RepositorySeed::private(WORKSPACE, REPOSITORY).with_branches(BRANCHES)],
        tokens: vec![
            TokenSeed::workspace(FULL, WORKSPACE, &all),
            TokenSeed::workspace(NO_PULL_REQUESTS, WORKSPACE, &["repository", "webhook"]),
            TokenSeed::workspace(NO_WEBHOOK, WORKSPACE, &["repository", "pullrequest:write"]),
            TokenSeed::workspace(WEBHOOK_ONLY, WORKSPACE, &["webhook"]),
            expired,
            TokenSeed::workspace(REVOKED, WORKSPACE, &all).revoked(),
        ],
        oauth_consumers: Vec::new(),
    }
    .with_many_repositories(WORKSPACE, "service", WORKSPACE_REPOSITORIES)
}

/// The Bitbucket plugin's gateway against a mock Bitbucket.
pub struct BitbucketFixture {
    env: ProviderEnv<MockBitbucket>,
}

impl BitbucketFixture {
    /// Starts the mock holding [`seed`] and the gateway.
    pub fn start() -> Result<Self, HarnessError> {
        Self::start_with(seed())
    }

    /// Starts the mock holding `seed` and the gateway.
    pub fn start_with(seed: BitbucketSeed) -> Result<Self, HarnessError> {
        Ok(Self {
            env: ProviderEnv::start("bitbucket", || MockBitbucket::start(seed))?,
        })
    }

    /// The environment (mock Bitbucket, gateway, state directory).
    pub fn env(&self) -> &ProviderEnv<MockBitbucket> {
        &self.env
    }
}

impl ProviderFixture for BitbucketFixture {
    fn id(&self) -> &str {
        "bitbucket"
    }

    fn gateway(&self) -> &ProviderGateway {
        self.env.gateway()
    }

    fn connection(&self, token: &str) -> Value {
        json!({"api_url": "", "token": token, "workspace": seeded::WORKSPACE})
    }

    fn good_token(&self) -> String {
        seeded::FULL.to_owned()
    }

    fn lacking_tokens(&self) -> Vec<(String, Vec<String>)> {
        use seeded::*;
        let case = |token: &str, missing: &[&str]| {
            (
                token.to_owned(),
                missing.iter().map(|m| (*m).to_owned()).collect(),
            )
        };
        vec![
            case(NO_PULL_REQUESTS, &["pullrequest:write"]),
            case(NO_WEBHOOK, &["webhook"]),
            case(WEBHOOK_ONLY, &["repository", "pullrequest:write"]),
        ]
    }

    fn expired_token(&self) -> String {
        seeded::EXPIRED.to_owned()
    }

    fn revoked_token(&self) -> String {
        seeded::REVOKED.to_owned()
    }

    fn repository_count(&self) -> usize {
        seeded::WORKSPACE_REPOSITORIES + 1
    }

    fn search(&self) -> (String, Vec<String>) {
        let expected = (110..120)
            .map(|i| format!("{}/service-{i}", seeded::WORKSPACE))
            .collect();
        ("service-11".to_owned(), expected)
    }

    fn repository(&self) -> (String, String) {
        (seeded::WORKSPACE.to_owned(), seeded::REPOSITORY.to_owned())
    }

    fn branches(&self) -> Vec<String> {
        seeded::BRANCHES.iter().map(|b| (*b).to_owned()).collect()
    }

    fn signed_delivery(&self, secret: &str) -> (Vec<(String, String)>, Vec<u8>) {
        let target = |hash: &str| json!({"type": "commit", "hash": hash, "message": "Fix\n"});
        let payload = json!({
            "actor": {"nickname": seeded::USER, "display_name": "Emma"},
            "repository": {"full_name": format!("{}/{}", seeded::WORKSPACE, seeded::REPOSITORY), "uuid": "{r-1}"},
            "push": {"changes": [{
                "new": {"type": "branch", "name": "main", "target": target(&"b".repeat(40))},
                "old": {"type": "branch", "name": "main", "target": target(&"a".repeat(40))},
                "created": false, "closed": false, "commits": [{"hash": "b".repeat(40)}],
            }]},
        });
        delivery_request(
            "repo:push",
            "4b8e2c1a-0000-4000-8000-000000000001",
            "{5d6e7f80-0000-4000-8000-000000000002}",
            Some(secret),
            &payload,
        )
    }

    fn signature_header(&self) -> &str {
        "X-Hub-Signature"
    }

    fn hook_urls(&self) -> Vec<String> {
        self.env
            .provider()
            .hooks(&format!("{}/{}", seeded::WORKSPACE, seeded::REPOSITORY))
            .into_iter()
            .map(|h| h.url)
            .collect()
    }

    fn throttle_next_call(&self, seconds: u64) {
        self.env.provider().inject(
            Fault::TooManyRequests {
                retry_after: seconds,
            },
            1,
        );
    }

    fn fail_next_call(&self) {
        self.env.provider().inject(
            Fault::ServerError {
                status: 502,
                retry_after: None,
            },
            1,
        );
    }
}
