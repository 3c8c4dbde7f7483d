//! The GitLab provider under the conformance suite, against the mock GitLab (a
//! self-managed shape: API under `/api/v4`).

use mock_providers::gitlab::{
    delivery_request, AccessLevel, GitLabSeed, GroupSeed, MockGitLab, ProjectSeed, TokenSeed,
    UserSeed,
};
use mock_providers::Fault;
use serde_json::json;

use super::provider_env::ProviderEnv;
use super::ProviderFixture;
use crate::{HarnessError, ProviderGateway};

/// Seeded users, groups, projects and tokens.
pub mod seeded {
    /// The person who owns the group.
    pub const USER: &str = "jsmith";
    /// The group whose projects the suite lists.
    pub const GROUP: &str = "acme";
    /// Namespace of the administered project (a subgroup).
    pub const NAMESPACE: &str = "acme/platform";
    /// The administered project.
    pub const PROJECT: &str = "api";
    /// Its branches.
    pub const BRANCHES: &[&str] = &["main", "develop", "release/1.0"];
    /// Projects of the group besides the administered one (`service-000`…).
    pub const GROUP_PROJECTS: usize = 120;

    /// Group token, Maintainer, `api` and `read_repository`.
    pub const GROUP_MAINTAINER: &str = "glpat-conformanceGroupMaintainer01";
    /// Project token of the administered project, Developer, all scopes.
    pub const PROJECT_DEVELOPER: &str = "glpat-conformanceProjectDeveloper2";
    /// Group token, Maintainer, `api` only.
    pub const NO_READ_REPOSITORY: &str = "glpat-conformanceNoReadRepository3";
    /// Group token, Maintainer, `read_repository` only.
    pub const NO_API: &str = "glpat-conformanceNoApiScope0000004";
    /// Group token, Developer, `read_api` and `read_repository`.
    pub const READ_API_DEVELOPER: &str = "glpat-conformanceReadApiDeveloper5";
    /// Personal token that expired in 2020.
    pub const EXPIRED: &str = "glpat-conformanceExpired000000006";
    /// Group token its owner revoked.
    pub const REVOKED: &str = "glpat-conformanceRevoked000000007";
}

/// The seed the suite runs against.
pub fn seed() -> GitLabSeed {
    use seeded::*;
    let all = ["api", "read_repository"];
    let expired = TokenSeed::personal(EXPIRED, USER, &all);
    let expired = match "2020-01-01".parse() {
        Ok(day) => expired.expiring(day),
        Err(_) => expired,
    };
    GitLabSeed {
        users: vec![UserSeed::new(USER)],
        groups: vec![
            GroupSeed::new(GROUP, &[(USER, AccessLevel::Owner)]),
            GroupSeed::new(NAMESPACE, &[]),
        ],
        projects: vec![ProjectSeed::private(NAMESPACE, PROJECT).with_branches(BRANCHES)],
        tokens: vec![
            TokenSeed::group(GROUP_MAINTAINER, GROUP, AccessLevel::Maintainer, &all),
            TokenSeed::project(
                PROJECT_DEVELOPER,
                &format!("{NAMESPACE}/{PROJECT}"),
                AccessLevel::Developer,
                &all,
            ),
            TokenSeed::group(NO_READ_REPOSITORY, GROUP, AccessLevel::Maintainer, &["api"]),
            TokenSeed::group(NO_API, GROUP, AccessLevel::Maintainer, &["read_repository"]),
            TokenSeed::group(
                READ_API_DEVELOPER,
                GROUP,
                AccessLevel::Developer,
                &["read_api", "read_repository"],
            ),
            expired,
            TokenSeed::group(REVOKED, GROUP, AccessLevel::Maintainer, &all).revoked(),
        ],
        oauth_apps: Vec::new(),
    }
    .with_many_projects(GROUP, "service", GROUP_PROJECTS)
}

/// The GitLab plugin's gateway against a mock GitLab.
pub struct GitLabFixture {
    env: ProviderEnv<MockGitLab>,
}

impl GitLabFixture {
    /// Starts the mock holding [`seed`] and the gateway.
    pub fn start() -> Result<Self, HarnessError> {
        Self::start_with(seed())
    }

    /// Starts the mock holding `seed` and the gateway.
    pub fn start_with(seed: GitLabSeed) -> Result<Self, HarnessError> {
        Ok(Self {
            env: ProviderEnv::start("gitlab", || MockGitLab::start(seed))?,
        })
    }

    /// The environment (mock GitLab, gateway, state directory).
    pub fn env(&self) -> &ProviderEnv<MockGitLab> {
        &self.env
    }
}

impl ProviderFixture for GitLabFixture {
    fn id(&self) -> &str {
        "gitlab"
    }

    fn gateway(&self) -> &ProviderGateway {
        self.env.gateway()
    }

    fn good_token(&self) -> String {
        seeded::GROUP_MAINTAINER.to_owned()
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
            case(PROJECT_DEVELOPER, &["maintainer"]),
            case(NO_READ_REPOSITORY, &["read_repository"]),
            // Without `api` nor `read_api` the role cannot be read: it is unverified.
            case(NO_API, &["api"]),
            case(READ_API_DEVELOPER, &["api", "maintainer"]),
        ]
    }

    fn expired_token(&self) -> String {
        seeded::EXPIRED.to_owned()
    }

    fn revoked_token(&self) -> String {
        seeded::REVOKED.to_owned()
    }

    fn repository_count(&self) -> usize {
        seeded::GROUP_PROJECTS + 1
    }

    fn search(&self) -> (String, Vec<String>) {
        // `service-110` … `service-119`; the suite searches in upper case.
        let expected = (110..120)
            .map(|i| format!("{}/service-{i}", seeded::GROUP))
            .collect();
        ("service-11".to_owned(), expected)
    }

    fn repository(&self) -> (String, String) {
        (seeded::NAMESPACE.to_owned(), seeded::PROJECT.to_owned())
    }

    fn branches(&self) -> Vec<String> {
        seeded::BRANCHES.iter().map(|b| (*b).to_owned()).collect()
    }

    fn signed_delivery(&self, secret: &str) -> (Vec<(String, String)>, Vec<u8>) {
        let payload = json!({
            "object_kind": "push",
            "event_name": "push",
            "ref": "refs/heads/main",
            "before": "a".repeat(40),
            "after": "b".repeat(40),
            "checkout_sha": "b".repeat(40),
            "user_username": seeded::USER,
            "project_id": 1,
            "project": {"id": 1, "path_with_namespace": format!("{}/{}", seeded::NAMESPACE, seeded::PROJECT)},
            "commits": [],
            "total_commits_count": 0,
        });
        delivery_request(
            "Push Hook",
            "7e3f9b1c-0000-4000-8000-000000000001",
            "0a1b2c3d-0000-4000-8000-000000000002",
            &self.env.web_url(),
            Some(secret),
            &payload,
        )
    }

    fn signature_header(&self) -> &str {
        "X-Gitlab-Token"
    }

    fn signs_body(&self) -> bool {
        // GitLab sends the secret token back; it does not sign the body.
        false
    }

    fn hook_urls(&self) -> Vec<String> {
        self.env
            .provider()
            .hooks(&format!("{}/{}", seeded::NAMESPACE, seeded::PROJECT))
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
