//! The results file: machine info, each figure with its baseline, ratio and target.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::load::Stats;

#[derive(Serialize)]
struct Row {
    name: String,
    value: String,
    baseline: String,
    ratio: Option<f64>,
    target: String,
    meets_target: Option<bool>,
}

/// Everything one run measured.
#[derive(Serialize)]
pub struct Report {
    command: String,
    runs_per_figure: usize,
    machine: Machine,
    figures: Vec<Row>,
    raw: Vec<(String, Stats)>,
}

#[derive(Serialize)]
struct Machine {
    cpus: usize,
    cpu_model: String,
    memory_gib: f64,
    kernel: String,
    git_commit: String,
}

impl Report {
    /// An empty report for this machine.
    pub fn new(command: &str, runs: usize) -> Self {
        Self {
            command: command.to_owned(),
            runs_per_figure: runs,
            machine: Machine::read(),
            figures: Vec::new(),
            raw: Vec::new(),
        }
    }

    /// req/s of `value / baseline` with a minimum target.
    pub fn ratio(&mut self, name: &str, value: &Stats, baseline: &Stats, target: f64) {
        let ratio = value.rps / baseline.rps;
        self.figures.push(Row {
            name: name.to_owned(),
            value: format!("{:.0} req/s", value.rps),
            baseline: format!("{:.0} req/s", baseline.rps),
            ratio: Some(ratio),
            target: format!("≥ {target}×"),
            meets_target: Some(ratio >= target),
        });
    }

    /// req/s of `value / baseline`, for context: no target.
    pub fn comparison(&mut self, name: &str, value: &Stats, baseline: &Stats) {
        self.figures.push(Row {
            name: name.to_owned(),
            value: format!("{:.0} req/s", value.rps),
            baseline: format!("{:.0} req/s", baseline.rps),
            ratio: Some(value.rps / baseline.rps),
            target: "—".into(),
            meets_target: None,
        });
    }

    /// CPU time the serving process spends per request, `value`'s against `baseline`'s,
    /// for context: no target. On a machine the load generator shares, this is what the
    /// req/s ratios come from.
    pub fn cpu_per_request(&mut self, name: &str, value: &Stats, baseline: &Stats) {
        let (Some(value), Some(baseline)) = (value.server_cpu_us, baseline.server_cpu_us) else {
            return self.not_measured(name, "no per-process CPU time (/proc)");
        };
        self.figures.push(Row {
            name: name.to_owned(),
            value: format!("{value:.1} µs"),
            baseline: format!("{baseline:.1} µs"),
            ratio: Some(value / baseline),
            target: "—".into(),
            meets_target: None,
        });
    }

    /// Service-chaining overhead: p50 of a chained call minus p50 of a direct one.
    pub fn chaining(&mut self, chained: &Stats, direct: &Stats, target_us: f64) {
        let overhead = chained.p50_us - direct.p50_us;
        self.figures.push(Row {
            name: "service-chaining overhead (p50 chained − p50 direct, 1 conn)".into(),
            value: format!("{overhead:.0} µs"),
            baseline: format!("{:.0} µs direct", direct.p50_us),
            ratio: Some(chained.p50_us / direct.p50_us),
            target: format!("≤ {target_us} µs"),
            meets_target: Some(overhead <= target_us),
        });
    }

    /// `host up` to first 200, empty and warm component cache (medians).
    pub fn cold_start(&mut self, cold: &[Duration], warm: &[Duration], target_ms: f64) {
        let cold = median_ms(cold);
        let warm = median_ms(warm);
        self.figures.push(Row {
            name: "start to first 200, warm component cache".into(),
            value: format!("{warm:.0} ms"),
            baseline: format!("{cold:.0} ms with an empty cache"),
            ratio: Some(warm / cold),
            target: format!("≤ {target_ms} ms"),
            meets_target: Some(warm <= target_ms),
        });
    }

    /// Webhook ingestion under load: req/s against the host's hello-world req/s, with a
    /// minimum ratio and a p99 bound; failed deliveries are shown and fail the target.
    pub fn webhook_ingestion(
        &mut self,
        name: &str,
        webhook: &Stats,
        hello: &Stats,
        min_ratio: f64,
        max_p99_ms: f64,
    ) {
        let ratio = webhook.rps / hello.rps;
        let p99_ms = webhook.p99_us / 1000.0;
        let mut value = format!(
            "{:.0} req/s, p50 {:.1} ms, p99 {p99_ms:.1} ms",
            webhook.rps,
            webhook.p50_us / 1000.0
        );
        if webhook.errors > 0 {
            let statuses: Vec<String> = webhook
                .error_statuses
                .iter()
                .map(|(status, n)| match status {
                    0 => format!("transport error ×{n}"),
                    _ => format!("{status} ×{n}"),
                })
                .collect();
            value.push_str(&format!(
                "; {} failed ({})",
                webhook.errors,
                statuses.join(", ")
            ));
        }
        self.figures.push(Row {
            name: name.to_owned(),
            value,
            baseline: format!("{:.0} req/s host hello-world", hello.rps),
            ratio: Some(ratio),
            target: format!("≥ {min_ratio}×, p99 ≤ {max_p99_ms} ms"),
            meets_target: Some(ratio >= min_ratio && p99_ms <= max_p99_ms && webhook.errors == 0),
        });
    }

    /// A latency that should not grow with data outside the request's scope: p99 with
    /// the extra data against p99 without it, with a maximum ratio.
    pub fn p99_growth(&mut self, name: &str, with: &Stats, without: &Stats, max_ratio: f64) {
        let ratio = with.p99_us / without.p99_us;
        self.figures.push(Row {
            name: name.to_owned(),
            value: format!("p99 {:.0} µs (p50 {:.0} µs)", with.p99_us, with.p50_us),
            baseline: format!(
                "p99 {:.0} µs (p50 {:.0} µs) without",
                without.p99_us, without.p50_us
            ),
            ratio: Some(ratio),
            target: format!("≤ {max_ratio}×"),
            meets_target: Some(ratio <= max_ratio),
        });
    }

    /// A plain value with an optional maximum.
    pub fn value(&mut self, name: &str, value: f64, unit: &str, max: Option<f64>) {
        self.figures.push(Row {
            name: name.to_owned(),
            value: format!("{value:.1} {unit}"),
            baseline: "—".into(),
            ratio: None,
            target: max.map_or("—".into(), |m| format!("≤ {m} {unit}")),
            meets_target: max.map(|m| value <= m),
        });
    }

    /// A figure this build cannot measure yet, and why.
    pub fn not_measured(&mut self, name: &str, why: &str) {
        self.figures.push(Row {
            name: name.to_owned(),
            value: format!("not measured: {why}"),
            baseline: "—".into(),
            ratio: None,
            target: "—".into(),
            meets_target: None,
        });
    }

    /// Keeps a load run's full statistics.
    pub fn raw(&mut self, name: &str, stats: &Stats) {
        self.raw.push((name.to_owned(), stats.clone()));
    }

    /// Writes results.md and results.json into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(
            dir.join("results.json"),
            serde_json::to_string_pretty(self)?,
        )?;
        let mut md = String::from("# git-access benchmark results\n\n");
        md.push_str(&format!(
            "Command: `{}` ({} run(s) per figure, median reported; req/s figures and their baselines run in turns, except webhook ingestion, which runs after; load: closed loop, keep-alive, on loopback).\n\n",
            self.command, self.runs_per_figure
        ));
        let m = &self.machine;
        md.push_str(&format!(
            "Machine: {} CPUs ({}), {:.1} GiB RAM, kernel {}, commit {}.\n\n",
            m.cpus, m.cpu_model, m.memory_gib, m.kernel, m.git_commit
        ));
        md.push_str(
            "| figure | value | baseline | ratio | target | met |\n|---|---|---|---|---|---|\n",
        );
        for row in &self.figures {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                row.name,
                row.value,
                row.baseline,
                row.ratio.map_or("—".into(), |r| format!("{r:.2}")),
                row.target,
                match row.meets_target {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "—",
                }
            ));
        }
        md.push_str("\n## Load runs\n\n| run | ok | errors | req/s | p50 µs | p99 µs | server CPU µs/req |\n|---|---|---|---|---|---|---|\n");
        for (name, s) in &self.raw {
            md.push_str(&format!(
                "| {name} | {} | {} | {:.0} | {:.0} | {:.0} | {} |\n",
                s.ok,
                s.errors,
                s.rps,
                s.p50_us,
                s.p99_us,
                s.server_cpu_us.map_or("—".into(), |us| format!("{us:.1}"))
            ));
        }
        std::fs::write(dir.join("results.md"), md)?;
        Ok(())
    }
}

fn median_ms(samples: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN)
}

impl Machine {
    fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let cmd = |program: &str, args: &[&str]| {
            std::process::Command::new(program)
                .args(args)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpuinfo
                .lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map_or("unknown".into(), |s| s.trim().to_owned()),
            memory_gib: meminfo
                .lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0 / 1024.0),
            kernel: cmd("uname", &["-r"]),
            git_commit: cmd("git", &["rev-parse", "--short", "HEAD"]),
        }
    }
}

/// A manifest serving the hello-world component at `/hello`, and the probe component
/// everywhere else and privately (for chaining).
pub fn probe_manifest(probe: &Path, hello: &Path) -> String {
    format!(
        r#"spin_manifest_version = 2
[application]
name = "bench"
[[trigger.http]]
route = "/hello"
component = "hello"
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
[component.backend]
source = "{probe}"
[component.hello]
source = "{hello}"
"#,
        probe = probe.display(),
        hello = hello.display()
    )
}
