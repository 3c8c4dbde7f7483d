//! The GitHub provider under the conformance suite, against the mock GitHub (github.com
//! shape, or GitHub Enterprise Server under `/api/v3`).

use mock_providers::github::{
    signed_request, Access, GitHubSeed, OrgRole, RepositorySeed, TokenSeed, UserSeed,
};
use mock_providers::Fault;
use serde_json::json;

use super::ProviderFixture;
use crate::{HarnessError, ProviderGateway, TestEnv};

/// Seeded logins and tokens.
pub mod seeded {
    /// The user every token acts as.
    pub const USER: &str = "octocat";
    /// The organization whose repository the suite administers (the user is an owner).
    pub const ORG: &str = "octo-org";
    /// The administered repository.
    pub const REPOSITORY: &str = "platform";
    /// Its branches.
    pub const BRANCHES: &[&str] = &["main", "develop", "release/1.0"];
    /// Repositories the user owns besides the organization's (`service-000`…).
    pub const OWN_REPOSITORIES: usize = 120;

    /// Classic token with `repo` and `admin:repo_hook`.
    pub const CLASSIC_FULL: &str = "ghp_conformanceFull00000000000000000001";
    /// Classic token with `repo` only.
    pub const CLASSIC_REPO_ONLY: &str = "ghp_conformanceRepoOnly0000000000000002";
    /// Classic token with `read:user` only.
    pub const CLASSIC_NO_SCOPES: &str = "ghp_conformanceReadUser0000000000000003";
    /// Classic token that expired in 2020.
    pub const CLASSIC_EXPIRED: &str = "ghp_conformanceExpired00000000000000004";
    /// Classic token its owner revoked.
    pub const CLASSIC_REVOKED: &str = "ghp_conformanceRevoked00000000000000005";
    /// Fine-grained token without the webhooks permission.
    pub const FINE_NO_WEBHOOKS: &str = "github_pat_conformanceNoWebhooks_0006";
    /// Fine-grained token without the contents permission.
    pub const FINE_NO_CONTENTS: &str = "github_pat_conformanceNoContents_0007";
    /// Fine-grained token without the pull requests permission.
    pub const FINE_NO_PULLS: &str = "github_pat_conformanceNoPulls_000008";
}

/// The seed the suite runs against.
pub fn seed() -> GitHubSeed {
    use seeded::*;
    let everything = [
        ("contents", Access::Read),
        ("webhooks", Access::Write),
        ("pull_requests", Access::Write),
    ];
    let without = |name: &str| -> Vec<(&str, Access)> {
        everything
            .iter()
            .copied()
            .filter(|(p, _)| *p != name)
            .collect()
    };
    let expired = TokenSeed::classic(CLASSIC_EXPIRED, USER, &["repo", "admin:repo_hook"]);
    let expired = match "2020-01-01T00:00:00Z".parse() {
        Ok(at) => expired.expiring(at),
        Err(_) => expired,
    };
    GitHubSeed {
        users: vec![
            UserSeed::user(USER),
            UserSeed::organization(ORG, &[(USER, OrgRole::Admin)]),
        ],
        repositories: vec![RepositorySeed::private(ORG, REPOSITORY).with_branches(BRANCHES)],
        tokens: vec![
            TokenSeed::classic(CLASSIC_FULL, USER, &["repo", "admin:repo_hook"]),
            TokenSeed::classic(CLASSIC_REPO_ONLY, USER, &["repo"]),
            TokenSeed::classic(CLASSIC_NO_SCOPES, USER, &["read:user"]),
            expired,
            TokenSeed::classic(CLASSIC_REVOKED, USER, &["repo", "admin:repo_hook"]).revoked(),
            TokenSeed::fine_grained(FINE_NO_WEBHOOKS, USER, &without("webhooks")),
            TokenSeed::fine_grained(FINE_NO_CONTENTS, USER, &without("contents")),
            TokenSeed::fine_grained(FINE_NO_PULLS, USER, &without("pull_requests")),
        ],
        ..GitHubSeed::default()
    }
    .with_many_repositories(USER, "service", OWN_REPOSITORIES)
}

/// The GitHub plugin's gateway against a mock GitHub holding [`seed`].
pub struct GitHubFixture {
    // The gateway (host) stops before the mock it talks to.
    gateway: ProviderGateway,
    env: TestEnv,
}

impl GitHubFixture {
    /// Starts the mock (`enterprise`: under `/api/v3`) and the gateway.
    pub fn start(enterprise: bool) -> Result<Self, HarnessError> {
        let env = if enterprise {
            TestEnv::start_enterprise(seed())?
        } else {
            TestEnv::start(seed())?
        };
        let gateway = env.github_gateway()?;
        Ok(Self { gateway, env })
    }

    /// The environment (mock GitHub, state directory).
    pub fn env(&self) -> &TestEnv {
        &self.env
    }
}

impl ProviderFixture for GitHubFixture {
    fn id(&self) -> &str {
        "github"
    }

    fn gateway(&self) -> &ProviderGateway {
        &self.gateway
    }

    fn good_token(&self) -> String {
        seeded::CLASSIC_FULL.to_owned()
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
            case(CLASSIC_REPO_ONLY, &["admin:repo_hook"]),
            case(CLASSIC_NO_SCOPES, &["repo", "admin:repo_hook"]),
            case(FINE_NO_WEBHOOKS, &["webhooks:write"]),
            case(FINE_NO_CONTENTS, &["contents:read"]),
            case(FINE_NO_PULLS, &["pull_requests:write"]),
        ]
    }

    fn expired_token(&self) -> String {
        seeded::CLASSIC_EXPIRED.to_owned()
    }

    fn revoked_token(&self) -> String {
        seeded::CLASSIC_REVOKED.to_owned()
    }

    fn repository_count(&self) -> usize {
        seeded::OWN_REPOSITORIES + 1
    }

    fn search(&self) -> (String, Vec<String>) {
        // `service-110` … `service-119`; the suite searches in upper case.
        let expected = (110..120)
            .map(|i| format!("{}/service-{i}", seeded::USER))
            .collect();
        ("service-11".to_owned(), expected)
    }

    fn repository(&self) -> (String, String) {
        (seeded::ORG.to_owned(), seeded::REPOSITORY.to_owned())
    }

    fn branches(&self) -> Vec<String> {
        seeded::BRANCHES.iter().map(|b| (*b).to_owned()).collect()
    }

    fn signed_delivery(&self, secret: &str) -> (Vec<(String, String)>, Vec<u8>) {
        let payload = json!({
            "ref": "refs/heads/main",
            "before": "a".repeat(40),
            "after": "b".repeat(40),
            "created": false,
            "deleted": false,
            "commits": [],
            "head_commit": null,
            "repository": {"id": 1, "full_name": format!("{}/{}", seeded::ORG, seeded::REPOSITORY)},
            "sender": {"login": seeded::USER},
        });
        signed_request(
            "push",
            "6f1c2a4e-0000-4000-8000-000000000001",
            1,
            1,
            false,
            Some(secret),
            &payload,
        )
    }

    fn signature_header(&self) -> &str {
        "X-Hub-Signature-256"
    }

    fn hook_urls(&self) -> Vec<String> {
        self.env
            .github()
            .provider()
            .hooks(&format!("{}/{}", seeded::ORG, seeded::REPOSITORY))
            .into_iter()
            .map(|h| h.url)
            .collect()
    }

    fn throttle_next_call(&self, seconds: u64) {
        self.env.github().provider().inject(
            Fault::SecondaryRateLimit {
                retry_after: seconds,
            },
            1,
        );
    }

    fn fail_next_call(&self) {
        self.env.github().provider().inject(
            Fault::ServerError {
                status: 502,
                retry_after: None,
            },
            1,
        );
    }
}
