//! The host's runtime behaviour, through the real binary: manifest features, Spin and WASI
//! imports, both key-value backends, the sandbox limits, and `plugin check`.
//!
//! Apps here are small manifests written into a temp dir around the `sandbox-probe`
//! test component, or the plain wasi:http `hello-world` one (both built by `cargo xtask
//! build`).

use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_tests::{components_dir, host_bin, HarnessError, Host, HostConfig};

fn probe_app(dir: &Path, extra: &str) -> PathBuf {
    let probe = components_dir().join("sandbox_probe.wasm");
    let manifest = dir.join("spin.toml");
    std::fs::write(
        &manifest,
        format!(
            r#"spin_manifest_version = 2
[application]
name = "probe"
[variables]
greeting = {{ default = "hello" }}
secret_value = {{ required = true, secret = true }}
[[trigger.http]]
route = "/..."
component = "probe"
[[trigger.http]]
route = {{ private = true }}
component = "backend"
[component.probe]
source = "{probe}"
key_value_stores = ["default"]
allowed_outbound_hosts = ["http://*.spin.internal"]
[component.probe.variables]
greeting = "{{{{ greeting }}}}"
[component.backend]
source = "{probe}"
{extra}
"#,
            probe = probe.display()
        ),
    )
    .unwrap();
    manifest
}

/// The host logs before it answers, but its stderr reaches the harness through a pipe
/// and a reader thread: give the line a moment to arrive.
fn log_contains(host: &Host, needle: &str) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if host.stderr().contains(needle) {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Writes `manifest` as `<dir>/spin.toml` and serves it, with state under `<dir>/state`.
fn start_manifest(dir: &Path, manifest: &str) -> Host {
    let path = dir.join("spin.toml");
    std::fs::write(&path, manifest).unwrap();
    let mut config = HostConfig::new(dir.join("state"));
    config.manifest = path;
    Host::start(config).unwrap()
}

/// Serves `component` alone on every path; `settings` ends its manifest block.
fn start_alone(dir: &Path, component: &Path, settings: &str) -> Host {
    start_manifest(
        dir,
        &format!(
            r#"spin_manifest_version = 2
[application]
name = "alone"
[[trigger.http]]
route = "/..."
component = "alone"
[component.alone]
source = "{}"
{settings}
"#,
            component.display()
        ),
    )
}

fn start(dir: &Path, args: &[&str]) -> Result<Host, HarnessError> {
    let mut config = HostConfig::new(dir.join("state")).variable("secret_value", "s3cr3t-v4lue");
    config.manifest = probe_app(dir, "");
    config.args = args.iter().map(|s| s.to_string()).collect();
    Host::start(config)
}

#[test]
fn a_misbehaving_request_fails_alone_and_the_host_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let host = start(
        dir.path(),
        &["--request-timeout-secs", "1", "--max-memory-mib", "64"],
    )
    .unwrap();
    assert_eq!(host.get("/ok").unwrap().status, 200);
    for (path, reason) in [
        ("/trap", "the guest panicked"),
        ("/loop", "the request deadline passed"),
        ("/alloc", "the guest exceeded its memory limit"),
    ] {
        let reply = host.get(path).unwrap();
        assert_eq!(reply.status, 500, "{path}: {}", reply.body);
        assert!(
            log_contains(&host, reason),
            "{path}: log should say '{reason}':\n{}",
            host.stderr()
        );
        assert_eq!(host.get("/ok").unwrap().status, 200, "after {path}");
    }
}

#[test]
fn a_looping_guest_does_not_hold_up_other_requests_on_its_worker() {
    let dir = tempfile::tempdir().unwrap();
    // One worker thread: every connection shares it with the looping guest.
    let host = start(
        dir.path(),
        &["--request-timeout-secs", "3", "--workers", "1"],
    )
    .unwrap();
    std::thread::scope(|scope| {
        let looping = scope.spawn(|| host.get("/loop").unwrap().status);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let started = std::time::Instant::now();
        assert_eq!(host.get("/ok").unwrap().status, 200);
        let waited = started.elapsed();
        assert!(
            waited < std::time::Duration::from_millis(1500),
            "/ok took {waited:?} while a guest looped"
        );
        assert!(!looping.is_finished(), "the loop ends only at its deadline");
        assert_eq!(looping.join().unwrap(), 500);
    });
    assert!(log_contains(&host, "the request deadline passed"));
}

#[test]
fn outbound_requests_follow_the_allow_list_and_chaining_reaches_private_components() {
    let dir = tempfile::tempdir().unwrap();
    let host = start(dir.path(), &[]).unwrap();
    // The private component answers through service chaining...
    let reply = host
        .get("/fetch?url=http://backend.spin.internal/ok")
        .unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "status 200"));
    // ...an unknown component does not exist...
    let reply = host
        .get("/fetch?url=http://nobody.spin.internal/ok")
        .unwrap();
    assert_eq!(reply.status, 502, "{}", reply.body);
    // ...and anything off the allow-list is refused, loopback included.
    let reply = host
        .get(&format!("/fetch?url={}/ok", host.base_url()))
        .unwrap();
    assert_eq!(reply.status, 502);
    assert!(reply.body.contains("HttpRequestDenied"), "{}", reply.body);
    assert!(log_contains(&host, "outbound request denied"));
}

#[test]
fn no_file_system_and_only_declared_variables() {
    let dir = tempfile::tempdir().unwrap();
    let host = start(dir.path(), &[]).unwrap();
    assert_eq!(host.get("/file").unwrap().status, 403);
    let reply = host.get("/var/greeting").unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello"));
    // `secret_value` is an app variable the component did not map: not visible.
    assert_eq!(host.get("/var/secret_value").unwrap().status, 404);
    let logs = host.stderr();
    assert!(!logs.contains("s3cr3t-v4lue"), "a secret reached the logs");
}

#[test]
fn compare_and_swap_loses_no_update_under_concurrency_and_state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let host = start(dir.path(), &[]).unwrap();
    let url = host.url("/cas/race");
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                for _ in 0..10 {
                    let status = agent.get(&url).call().unwrap().status();
                    assert_eq!(status, 200);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(host.get("/increment/n").unwrap().body, "1");
    let host = host.restart().unwrap();
    assert_eq!(host.get("/increment/n").unwrap().body, "2");
    // 80 appends of one byte each: the value is 80 bytes long if no update was lost.
    let db = rusqlite::Connection::open(dir.path().join("state/sqlite_key_value.db")).unwrap();
    let len: i64 = db
        .query_row(
            "SELECT length(value) FROM spin_key_value WHERE store = 'default' AND key = 'race'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(len, 80);
}

#[test]
fn redis_backend_from_a_runtime_config() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let host = start_on_redis(dir.path(), &redis);
    assert_eq!(host.get("/increment/r").unwrap().body, "1");
    assert_eq!(host.get("/increment/r").unwrap().body, "2");
    assert_eq!(host.get("/cas/c").unwrap().status, 200);
    let host = host.restart().unwrap();
    assert_eq!(host.get("/increment/r").unwrap().body, "3");
    // The value lives in Redis, not in the SQLite file.
    assert!(
        !dir.path().join("state/sqlite_key_value.db").exists()
            || rusqlite::Connection::open(dir.path().join("state/sqlite_key_value.db"))
                .unwrap()
                .query_row(
                    "SELECT count(*) FROM spin_key_value WHERE key = 'r'",
                    [],
                    |r| r.get::<_, i64>(0)
                )
                .unwrap()
                == 0
    );
}

#[test]
fn the_redis_backend_reconnects_when_the_server_comes_back() {
    let Some(redis) = RedisServer::start_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let host = start_on_redis(dir.path(), &redis);
    // A few requests, so that every worker thread has its connection.
    for expected in 1..=4 {
        assert_eq!(host.get("/increment/r").unwrap().body, expected.to_string());
    }
    let port = redis.port;
    drop(redis);
    let down = host.get("/increment/r").unwrap();
    assert_eq!(down.status, 500, "{}", down.body);
    assert!(down.body.contains("redis"), "{}", down.body);

    let _redis = RedisServer::start_on(port).expect("redis-server restarts on its port");
    // The server starts empty. A worker whose connection broke drops it on its first
    // command and connects again on the next, so within a few requests all succeed.
    let replies: Vec<_> = (0..8).map(|_| host.get("/increment/r").unwrap()).collect();
    let counted: Vec<&str> = replies
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body.as_str())
        .collect();
    assert!(replies[4..].iter().all(|r| r.status == 200), "{replies:?}");
    assert_eq!(counted.first(), Some(&"1"), "{replies:?}");
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_the_host_exits() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    // An upstream that answers one request a second after it arrives.
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream_port = upstream.local_addr().unwrap().port();
    let (arrived, request_arrived) = std::sync::mpsc::channel();
    let slow = std::thread::spawn(move || {
        let (mut conn, _) = upstream.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        arrived.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(1));
        conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\nslow")
            .unwrap();
    });

    let dir = tempfile::tempdir().unwrap();
    let host = start_alone(
        dir.path(),
        &components_dir().join("sandbox_probe.wasm"),
        &format!(r#"allowed_outbound_hosts = ["http://127.0.0.1:{upstream_port}"]"#),
    );
    let authority = host.base_url().trim_start_matches("http://").to_owned();
    let client = {
        let authority = authority.clone();
        std::thread::spawn(move || {
            let mut conn = TcpStream::connect(&authority).unwrap();
            write!(
                conn,
                "GET /fetch?url=http://127.0.0.1:{upstream_port}/slow HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n\r\n"
            )
            .unwrap();
            let mut reply = String::new();
            conn.read_to_string(&mut reply).unwrap();
            reply
        })
    };
    request_arrived
        .recv_timeout(Duration::from_secs(30))
        .expect("the request reached the upstream");

    // SIGTERM while the guest waits on its upstream: the host stops accepting, lets the
    // request finish and exits cleanly.
    let status = host.stop().unwrap();
    assert!(status.success(), "exit status {status:?}");
    let reply = client.join().unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\r\nstatus 200\r\n"), "{reply}");
    slow.join().unwrap();
    assert!(
        TcpStream::connect(&authority).is_err(),
        "the host still accepts connections after it exited"
    );
}

#[test]
fn manifest_errors_name_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = probe_app(dir.path(), "key_value_storez = [\"default\"]");
    let out = Command::new(host_bin())
        .args(["up", "--listen", "127.0.0.1:0", "--manifest"])
        .arg(&manifest)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .env("SPIN_VARIABLE_SECRET_VALUE", "x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("spin.toml:") && stderr.contains("key_value_storez"),
        "{stderr}"
    );

    // A required variable without a value is named with the environment variable to set.
    let manifest = probe_app(dir.path(), "");
    let out = Command::new(host_bin())
        .args(["up", "--listen", "127.0.0.1:0", "--manifest"])
        .arg(&manifest)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .env_remove("SPIN_VARIABLE_SECRET_VALUE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SPIN_VARIABLE_SECRET_VALUE"), "{stderr}");
}

#[test]
fn json_logs_carry_component_route_status_and_duration() {
    let dir = tempfile::tempdir().unwrap();
    let host = start(dir.path(), &["--log-format", "json"]).unwrap();
    assert_eq!(host.get("/ok").unwrap().status, 200);
    assert!(
        log_contains(&host, "\"message\":\"request\""),
        "{}",
        host.stderr()
    );
    let stderr = host.stderr();
    let line = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "request")
        .unwrap_or_else(|| panic!("no JSON request log line in:\n{stderr}"));
    assert_eq!(line["fields"]["component"], "probe");
    assert_eq!(line["fields"]["status"], 200);
    assert_eq!(line["fields"]["path"], "/ok");
    assert!(line["fields"]["duration_ms"].is_number());
}

#[test]
fn plugin_check_accepts_the_github_plugin_and_explains_what_is_wrong_with_a_broken_one() {
    let check = |file: &str| {
        Command::new(host_bin())
            .args(["plugin", "check"])
            .arg(components_dir().join(file))
            .output()
            .unwrap()
    };
    let good = check("git_access_github.wasm");
    let text = String::from_utf8_lossy(&good.stdout);
    assert!(good.status.success(), "{text}");
    assert!(text.contains("the plugin conforms"), "{text}");

    let broken = check("broken_plugin.wasm");
    let text = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{text}");
    for expected in [
        "validate-token with a credential the provider rejects: the plugin trapped",
        "verify-webhook with a forged signature: succeeded, but it must fail",
        "list-repositories with a rejected credential: returned unsupported",
        "does NOT conform",
    ] {
        assert!(text.contains(expected), "missing '{expected}' in:\n{text}");
    }

    let not_a_plugin = check("sandbox_probe.wasm");
    let text = String::from_utf8_lossy(&not_a_plugin.stdout);
    assert_eq!(not_a_plugin.status.code(), Some(1));
    assert!(
        text.contains(
            "does not export git-access:provider/provider@0.2.0 or \
             git-access:provider/provider@0.1.0"
        ),
        "{text}"
    );
}

#[test]
fn a_plugin_built_against_contract_0_1_is_checked_composed_and_served() {
    let plugin = components_dir().join("legacy_plugin.wasm");
    let check = Command::new(host_bin())
        .args(["plugin", "check"])
        .arg(&plugin)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}");
    for expected in [
        "exports git-access:provider/provider@0.1.0",
        "verify-webhook with a forged signature: unauthorized",
        "the plugin conforms",
    ] {
        assert!(text.contains(expected), "missing '{expected}' in:\n{text}");
    }
    // The newest contract's own check is not asked of it.
    assert!(!text.contains("oauth-refresh-token"), "{text}");

    // Without --gateway, compose picks the gateway of the plugin's contract version.
    let dir = tempfile::tempdir().unwrap();
    let provider = dir.path().join("provider-legacy.wasm");
    let compose = Command::new(host_bin())
        .current_dir(e2e_tests::workspace_root())
        .args(["plugin", "compose", "--plugin"])
        .arg(&plugin)
        .arg("-o")
        .arg(&provider)
        .output()
        .unwrap();
    assert!(
        compose.status.success(),
        "{}",
        String::from_utf8_lossy(&compose.stderr)
    );

    let host = start_alone(dir.path(), &provider, "");
    let info = host.get("/info").unwrap();
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.json().unwrap()["id"], "legacy");
    let signed = |token: &str| {
        host.send(
            "POST",
            "/verify-webhook",
            &[(
                "content-type".to_owned(),
                "application/vnd.git-access.raw-delivery".to_owned(),
            )],
            Some(
                format!(
                    "{{\"secret\":\"hook-token\",\"delivery\":{{\"headers\":[\
                     {{\"name\":\"X-Legacy-Token\",\"value\":\"{token}\"}},\
                     {{\"name\":\"X-Legacy-Delivery\",\"value\":\"d-1\"}}]}}}}\n{{}}"
                )
                .as_bytes(),
            ),
        )
        .unwrap()
    };
    let verified = signed("hook-token");
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.json().unwrap()["delivery_id"], "d-1");
    assert_eq!(signed("forged").status, 401);

    // A function of a newer contract answers like a capability the plugin lacks.
    let refresh = host
        .post_json(
            "/oauth-refresh-token",
            &serde_json::json!({"req": {"client": {}, "refresh_token": "r"}}),
        )
        .unwrap();
    assert_eq!(refresh.status, 501, "{}", refresh.body);
    let error = &refresh.json().unwrap()["error"];
    assert_eq!(error["type"], "unsupported");
    assert!(
        error["value"].as_str().unwrap().contains("contract 0.1.0"),
        "{error}"
    );
}

/// The probe app with its `default` store on `redis` (through a runtime config).
fn start_on_redis(dir: &Path, redis: &RedisServer) -> Host {
    let config_file = dir.join("runtime-config.toml");
    std::fs::write(
        &config_file,
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{}\"\n",
            redis.port
        ),
    )
    .unwrap();
    start(
        dir,
        &["--runtime-config-file", config_file.to_str().unwrap()],
    )
    .unwrap()
}

/// A throwaway `redis-server` on a free port, stopped on drop.
struct RedisServer {
    child: std::process::Child,
    port: u16,
}

impl RedisServer {
    /// [`Self::start`], or `None` after saying the test is skipped.
    fn start_or_skip() -> Option<Self> {
        let started = Self::start();
        if started.is_none() {
            eprintln!("SKIPPED: redis-server is not installed (CI installs it from Debian)");
        }
        started
    }

    fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        Self::start_on(port)
    }

    fn start_on(port: u16) -> Option<Self> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(Self { child, port })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn exact_routes_beat_wildcards_and_components_see_only_their_files_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/hello.txt"), "mounted read-only").unwrap();
    let probe = components_dir().join("sandbox_probe.wasm");
    let host = start_manifest(
        dir.path(),
        &format!(
            r#"spin_manifest_version = 2
[application]
name = "routes"
[[trigger.http]]
route = "/..."
component = "probe"
[[trigger.http]]
route = "/env/WHO"
component = "backend"
[[trigger.http]]
route = "/file/..."
component = "backend"
[component.probe]
source = "{probe}"
environment = {{ WHO = "probe" }}
[component.backend]
source = "{probe}"
environment = {{ WHO = "backend" }}
files = [{{ source = "data", destination = "/data" }}]
"#,
            probe = probe.display()
        ),
    );
    assert_eq!(host.get("/env/WHO").unwrap().body, "backend");
    let reply = host.get("/file?path=/data/hello.txt").unwrap();
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "mounted read-only")
    );
    // The same file is invisible to the component that was not given it.
    assert_eq!(host.get("/env/WHO2").unwrap().status, 404);
    let reply = host.get("/fetch?url=http://x").unwrap();
    assert_eq!(reply.status, 502, "no allow-list entry: {}", reply.body);
    let probe_file = host.get("/x/../file?path=/data/hello.txt").unwrap();
    assert_ne!(probe_file.body, "mounted read-only");
}

#[test]
fn a_plain_wasi_http_component_without_spin_imports_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let host = start_alone(dir.path(), &components_dir().join("hello_world.wasm"), "");
    for path in ["/", "/any/path?q=1"] {
        let reply = host.get(path).unwrap();
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok"), "{path}");
        assert_eq!(reply.header("content-length"), Some("2"));
        assert_eq!(reply.header("content-type"), Some("text/plain"));
    }
}
