//! `govwatch`: argument parsing and wiring only; the work is done by the crates under `crates/`.
//!
//! Exit codes: 0 ran, nothing found (or only `info` findings); 1 ran, findings present; 2 could not run; 3 interrupted
//! (the run can be resumed with `govwatch run --resume`).

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike};
use clap::{Args, Parser, Subcommand};
use govwatch_config::{
    ConfigDir, check_accounts, check_sites, import_accounts_csv, import_csv, load_crawl_settings,
    load_daemon_config, load_sites, load_warning_config,
};
use govwatch_crawler::Crawler;
use govwatch_model::{Severity, Site, SiteKind, SiteOverrides, SiteResult};
use govwatch_runner::{Progress, RunOptions, inspect_site, run};
use govwatch_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

mod merge_cmd;

/// Prints a line to stdout; a closed pipe (`govwatch probe … | head`) is not an error.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_FAILED: u8 = 2;
const EXIT_INTERRUPTED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "govwatch",
    version,
    about = "Inspects government websites by the official indicators"
)]
struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The nightly job: crawl every registered site, run every probe, store the results.
    Run(RunArgs),
    /// Inspect one site now (a registered id or any URL) and print facts and findings.
    Probe(ProbeArgs),
    /// The site registry (config/sites.toml).
    Sites {
        #[command(subcommand)]
        cmd: SitesCmd,
    },
    /// The new-media account registry (config/accounts.toml).
    Accounts {
        #[command(subcommand)]
        cmd: AccountsCmd,
    },
    /// New-media accounts: inspectors' findings (comments closed, messages never answered …).
    Media {
        #[command(subcommand)]
        cmd: MediaCmd,
    },
    /// Serve the bundled fixture sites on loopback and run the nightly job on them.
    Demo(DemoArgs),
    /// Run continuously: sample every home page hourly (IPv4 and IPv6), crawl nightly, raise
    /// early warnings. SIGTERM or Ctrl-C stops it cleanly (exit 0).
    Daemon(DaemonArgs),
    /// Per site: last sample, 7-day availability, last crawl, open warnings.
    Status(StatusArgs),
    /// Score a run by config/indicators.toml and print the verdict table (合格/不合格).
    Score(ScoreArgs),
    /// The quarterly report of a scored run: annex tables, summary, evidence, rectification.
    Report(ReportArgs),
    /// A read-only web view of the database: runs, sites, findings, archived pages, downloads.
    Serve(ServeArgs),
    /// Merge shard databases (`run --shard K/N`) into one run of NIGHT.db.
    Merge(merge_cmd::MergeArgs),
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, default_value = "govwatch.db")]
    db: PathBuf,
    /// Configuration directory (indicators.toml).
    #[arg(long, default_value = "config")]
    config: PathBuf,
    /// Address to listen on; beyond loopback a token is required.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Access token (Authorization: Bearer, or the login form); visible to other local users in
    /// the process list, so prefer --token-file.
    #[arg(long, conflicts_with = "token_file")]
    token: Option<String>,
    /// File whose first line is the access token.
    #[arg(long)]
    token_file: Option<PathBuf>,
}

#[derive(Args)]
struct DaemonArgs {
    /// Configuration directory (sites.toml, crawl.toml, probes.toml, daemon.toml, warnings.toml …).
    #[arg(long, default_value = "config")]
    config: PathBuf,
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    db: PathBuf,
}

#[derive(Args)]
struct StatusArgs {
    #[arg(long, default_value = "config")]
    config: PathBuf,
    #[arg(long, default_value = "govwatch.db")]
    db: PathBuf,
    /// One JSON document (an array of sites).
    #[arg(long)]
    json: bool,
    /// The time the status is judged at (default: now), e.g. 2026-11-28 or 2026-11-28T10:00+08:00.
    #[arg(long)]
    as_of: Option<String>,
}

#[derive(Args)]
struct ScoreArgs {
    /// The run to score (default: the newest finished run).
    #[arg(long, conflicts_with = "as_of")]
    run: Option<i64>,
    /// Score the newest finished run whose monitoring time is on or before this date.
    #[arg(long)]
    as_of: Option<String>,
    /// Configuration directory (indicators.toml).
    #[arg(long, default_value = "config")]
    config: PathBuf,
    #[arg(long, default_value = "govwatch.db")]
    db: PathBuf,
    /// One JSON object per site instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ReportArgs {
    /// The quarter, e.g. 2020Q1: its newest finished run (monitoring time in the quarter, +08:00).
    #[arg(long, conflicts_with = "run")]
    quarter: Option<String>,
    /// The run (default: the newest finished run).
    #[arg(long)]
    run: Option<i64>,
    /// Compare with this earlier run: findings fixed, still open and new (整改).
    #[arg(long)]
    since: Option<i64>,
    /// Formats, comma-separated: md, html, csv, xlsx, json.
    #[arg(long, value_delimiter = ',', default_value = "md,html,csv,xlsx,json")]
    format: Vec<String>,
    /// Directory to write into (created if missing).
    #[arg(long, default_value = "report")]
    out: PathBuf,
    #[arg(long, default_value = "config")]
    config: PathBuf,
    #[arg(long, default_value = "govwatch.db")]
    db: PathBuf,
}

#[derive(Args)]
struct RunArgs {
    /// Configuration directory (sites.toml, crawl.toml).
    #[arg(long, default_value = "config")]
    config: PathBuf,
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    db: PathBuf,
    /// Monitoring time point: 2026-11-28, "2026-11-28 02:00" (Asia/Shanghai) or RFC 3339. Default: now.
    #[arg(long)]
    as_of: Option<String>,
    /// Only these site ids, comma-separated.
    #[arg(long, value_delimiter = ',')]
    sites: Option<Vec<String>>,
    /// Continue the newest unfinished run.
    #[arg(long)]
    resume: bool,
    /// Only shard K of N of the registry (K from 0: 0/3, 1/3, 2/3), split by site id.
    #[arg(long, value_name = "K/N")]
    shard: Option<govwatch_config::Shard>,
}

#[derive(Args)]
struct ProbeArgs {
    /// A site id from the registry, or a URL (probed as an ad-hoc site).
    target: String,
    #[arg(long, default_value = "config")]
    config: PathBuf,
    #[arg(long)]
    as_of: Option<String>,
    /// Most HTML pages to crawl.
    #[arg(long)]
    max_pages: Option<usize>,
    /// Allow private, loopback and link-local addresses (local test sites).
    #[arg(long)]
    allow_private: bool,
    /// DNS server to use instead of the system's (IP:PORT).
    #[arg(long)]
    dns: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SitesCmd {
    /// Import the national registry's CSV (UTF-8 or GBK) into sites.toml, merging.
    Import {
        csv: PathBuf,
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
    /// Validate sites.toml: every problem with its file and line.
    Check {
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum AccountsCmd {
    /// Import an account list CSV (UTF-8 or GBK) into accounts.toml, merging.
    Import {
        csv: PathBuf,
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
    /// Validate accounts.toml against sites.toml: every problem with its file and line.
    Check {
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum MediaCmd {
    /// Import inspectors' findings on accounts (CSV: 账号, 问题代码, 日期, 说明, 证据网址); they
    /// enter every later run, and with --run that run at once.
    ImportFindings {
        csv: PathBuf,
        #[arg(long, default_value = "config")]
        config: PathBuf,
        #[arg(long, default_value = "govwatch.db")]
        db: PathBuf,
        /// Also add them to this (finished) run's accounts now.
        #[arg(long)]
        run: Option<i64>,
    },
}

#[derive(Args)]
struct DemoArgs {
    #[arg(long, default_value = "govwatch.db")]
    db: PathBuf,
    /// The fixture sites to serve.
    #[arg(long)]
    fixtures: Option<PathBuf>,
    #[arg(long)]
    as_of: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info,govwatch=info",
        _ => {
            "debug,hyper=info,h2=info,rustls=info,hickory_proto=info,hickory_net=info,hickory_resolver=info"
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("govwatch: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match rt.block_on(dispatch(cli.cmd)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("govwatch: {e:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

async fn dispatch(cmd: Cmd) -> Result<u8> {
    match cmd {
        Cmd::Run(a) => cmd_run(a).await,
        Cmd::Probe(a) => cmd_probe(a).await,
        Cmd::Sites { cmd } => cmd_sites(cmd),
        Cmd::Accounts { cmd } => cmd_accounts(cmd),
        Cmd::Media { cmd } => cmd_media(cmd),
        Cmd::Demo(a) => cmd_demo(a).await,
        Cmd::Daemon(a) => cmd_daemon(a).await,
        Cmd::Status(a) => cmd_status(a),
        Cmd::Score(a) => cmd_score(a),
        Cmd::Report(a) => cmd_report(a),
        Cmd::Merge(a) => merge_cmd::cmd_merge(a),
        Cmd::Serve(a) => {
            let opts = govwatch_web::ServeOptions {
                db: a.db,
                config: a.config,
                listen: a.listen,
                token: a.token,
                token_file: a.token_file,
            };
            govwatch_web::serve(opts, stop_signal()).await?;
            Ok(EXIT_CLEAN)
        }
    }
}

/// Parses `--as-of`; dates without a zone are Asia/Shanghai (+08:00).
fn parse_as_of(s: Option<&str>) -> Result<DateTime<FixedOffset>> {
    let cst = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let Some(s) = s else {
        // Now, in China time (the inspections' clock), to the second.
        let now = chrono::Utc::now().with_timezone(&cst);
        return Ok(now.with_nanosecond(0).unwrap_or(now));
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return cst
                .from_local_datetime(&n)
                .single()
                .ok_or_else(|| anyhow!("--as-of {s:?} is ambiguous"));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let n = d.and_hms_opt(0, 0, 0).expect("midnight exists");
        return cst
            .from_local_datetime(&n)
            .single()
            .ok_or_else(|| anyhow!("--as-of {s:?} is ambiguous"));
    }
    Err(anyhow!(
        "--as-of {s:?}: expected a date like 2026-11-28, \"2026-11-28 02:00\" or RFC 3339"
    ))
}

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} 次请求 (requests), 剩余约 (ETA) {eta} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb
}

/// A duration for people: `1 h 05 min`, `3 min 04 s`, `12.3 s`.
fn human(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A thousands-separated count.
fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Shows a run's progress: the plan before it starts, requests done and the ETA on a terminal,
/// sites done.
struct RunView {
    pb: ProgressBar,
    sites: u64,
    done: u64,
}

impl RunView {
    fn new() -> RunView {
        RunView {
            pb: progress_bar(0),
            sites: 0,
            done: 0,
        }
    }

    fn on(&mut self, p: Progress) {
        match p {
            Progress::Planned(plan) => {
                let night = plan
                    .night_end
                    .map(|t| format!("，夜间截止 (night ends) {}", t.format("%H:%M")))
                    .unwrap_or_default();
                self.pb.suspend(|| {
                    eprintln!(
                        "计划 (plan): {} 个网站 (sites)，同时检查 {} 个 (in flight)，预计 {} 次请求 \
                         (requests; {} 个网站按上次运行估计)，礼貌上限 (politeness bound) {}\
                         （最慢的网站 {}），预计完成 (expected finish) {}{night}",
                        plan.sites,
                        plan.in_flight,
                        count(plan.requests),
                        plan.from_history,
                        human(plan.bound),
                        human(plan.longest_site),
                        plan.expected_finish.format("%Y-%m-%d %H:%M:%S %:z"),
                    )
                });
                self.pb.set_length(plan.requests.max(1));
            }
            Progress::Started {
                total,
                already_done,
                ..
            } => {
                self.sites = total as u64;
                self.done = already_done as u64;
                self.pb
                    .set_message(format!("网站 (sites) {}/{}", self.done, self.sites));
            }
            Progress::Tick { requests } => {
                if requests > self.pb.length().unwrap_or(0) {
                    self.pb.set_length(requests);
                }
                self.pb.set_position(requests);
            }
            Progress::SiteDone { site, findings, .. } => {
                self.done += 1;
                self.pb.set_message(format!(
                    "网站 (sites) {}/{} — {} ({findings} 项发现)",
                    self.done, self.sites, site.name
                ));
            }
        }
    }

    /// The closing lines: wall time against the politeness bound the run met.
    fn finish(&self, r: &govwatch_runner::RunReport) {
        self.pb.finish_and_clear();
        let (bound, busiest) = match &r.busiest_host {
            Some((host, n, d)) => (
                *d,
                format!("；最忙的主机 (busiest host) {host}：{} 次请求", count(*n)),
            ),
            None => (std::time::Duration::ZERO, String::new()),
        };
        let ratio = if bound.as_secs_f64() > 0.0 {
            format!("（{:.2}×）", r.wall.as_secs_f64() / bound.as_secs_f64())
        } else {
            String::new()
        };
        eprintln!(
            "用时 (wall) {}，礼貌上限 (politeness bound) {}{ratio}{busiest}；共 {} 次请求 (requests)",
            human(r.wall),
            human(bound),
            count(r.requests),
        );
    }
}

/// Resolves when Ctrl-C or SIGTERM arrives.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn load_rules(dir: &ConfigDir) -> Result<govwatch_runner::ProbeRules> {
    Ok(dir.probe_rules()?)
}

async fn cmd_daemon(a: DaemonArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    let (sites, settings) = dir
        .load()
        .with_context(|| format!("loading configuration from {}", a.config.display()))?;
    settings.validate()?;
    let accounts = dir.accounts(&sites)?;
    let setup = govwatch_daemon::DaemonSetup {
        sites,
        accounts,
        settings,
        rules: load_rules(&dir)?,
        config: load_daemon_config(&dir.daemon_path())?,
        warnings: load_warning_config(&dir.warnings_path())?,
        db: a.db,
    };
    let daemon = govwatch_daemon::Daemon::new(setup)?;
    let report = daemon.run(stop_signal()).await?;
    eprintln!(
        "govwatch daemon stopped: {} samples stored, {} nightly run(s) finished, {} sample(s) abandoned",
        report.samples,
        report.nightly_runs.len(),
        report.abandoned
    );
    Ok(EXIT_CLEAN)
}

fn cmd_status(a: StatusArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    let sites = load_sites(&dir.sites_path())?;
    if !a.db.exists() {
        return Err(anyhow!("{}: no such database", a.db.display()));
    }
    let store = Store::open(&a.db).with_context(|| format!("opening {}", a.db.display()))?;
    let rules = load_rules(&dir)?;
    let now = parse_as_of(a.as_of.as_deref())?;
    let rows = govwatch_daemon::status::status(&store, &sites, &rules.availability, now)?;
    let open: usize = rows.iter().map(|r| r.warnings.len()).sum();
    let code = if open > 0 { EXIT_FINDINGS } else { EXIT_CLEAN };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(code);
    }
    outln!(
        "{:<12} {} {:<27} {:<22} {:<22}  warnings",
        "site",
        pad("name", 24),
        "last sample",
        "failed (7 days)",
        "last crawl"
    );
    for r in &rows {
        let sample = match &r.last_sample {
            Some(s) => format!(
                "{} {}",
                s.at.get(..16).unwrap_or(&s.at).replace('T', " "),
                if s.ok { "ok" } else { "FAIL" }
            ),
            None => "-".into(),
        };
        let avail = match &r.availability {
            Some(v) => format!(
                "{:.2}% of {}{}{}",
                v.ratio * 100.0,
                v.samples,
                if v.complete { "" } else { " (partial)" },
                if v.unreachable { " VETO" } else { "" }
            ),
            None => "-".into(),
        };
        let crawl = match &r.last_crawl {
            Some(c) => format!(
                "run {} {}",
                c.run_id,
                c.finished_at.get(..10).unwrap_or(&c.finished_at)
            ),
            None => "-".into(),
        };
        let warns: Vec<&str> = r.warnings.iter().map(|w| w.code.as_str()).collect();
        outln!(
            "{:<12} {} {:<27} {:<22} {:<22}  {}",
            r.id,
            pad(&r.name, 24),
            sample,
            avail,
            crawl,
            if warns.is_empty() {
                "-".to_string()
            } else {
                warns.join(" ")
            }
        );
    }
    Ok(code)
}

async fn cmd_run(a: RunArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    let (sites, settings) = dir
        .load()
        .with_context(|| format!("loading configuration from {}", a.config.display()))?;
    settings.validate()?;
    let as_of = parse_as_of(a.as_of.as_deref())?;
    let crawler = Arc::new(Crawler::new(settings.clone())?);
    let store = Store::open(&a.db).with_context(|| format!("opening {}", a.db.display()))?;
    let rules = load_rules(&dir)?;
    let accounts = dir.accounts(&sites)?;
    let (sites, run_settings) = merge_cmd::shard_sites(
        a.shard,
        sites,
        serde_json::to_value(&settings)?,
        &dir,
        a.sites.as_deref(),
    )?;
    let opts = RunOptions {
        as_of,
        only: a.sites,
        resume: a.resume,
        settings: run_settings,
        rules,
        accounts,
    };
    let mut view = RunView::new();
    let (report, store) = run(crawler, store, sites, opts, stop_signal(), |p| view.on(p)).await?;
    view.finish(&report);
    print_summary(&store, report.run_id)?;
    if let Some(why) = &report.network_down {
        eprintln!(
            "govwatch: 本机网络不通，已停止检查 (the monitoring machine cannot reach the network): \
             {why}\n此后未记录任何网站的结果 (no site was recorded after this); \
             网络恢复后继续 (continue when the network is back): govwatch run --resume"
        );
        return Ok(EXIT_FAILED);
    }
    if report.interrupted {
        eprintln!(
            "run {} interrupted; continue it with: govwatch run --resume",
            report.run_id
        );
        return Ok(EXIT_INTERRUPTED);
    }
    // `info` findings (e.g. plain http) cost nothing: they do not make the run "findings present"
    let total: u64 = store
        .run_summary(report.run_id)?
        .iter()
        .map(|s| s.findings - s.by_severity.get(Severity::Info))
        .sum::<u64>()
        + govwatch_runner::media::summary_lines(&store, report.run_id)?.1;
    Ok(if total > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}

fn print_summary(store: &Store, run_id: i64) -> Result<()> {
    print_site_summary(store, run_id)?;
    for line in govwatch_runner::media::summary_lines(store, run_id)?.0 {
        outln!("{line}");
    }
    Ok(())
}

fn print_site_summary(store: &Store, run_id: i64) -> Result<()> {
    let rows = store.run_summary(run_id)?;
    outln!("run {run_id}: {} sites", rows.len());
    outln!(
        "{:<12} {:<28} {:>6} {:>8} {:>5} {:>6} {:>5}  codes",
        "site",
        "name",
        "pages",
        "findings",
        "veto",
        "deduct",
        "warn"
    );
    for r in rows {
        let codes: Vec<String> = r.by_code.iter().map(|(c, n)| format!("{c}×{n}")).collect();
        outln!(
            "{:<12} {} {:>6} {:>8} {:>5} {:>6} {:>5}  {}",
            r.site_id,
            pad(&r.name, 28),
            r.pages,
            r.findings,
            r.by_severity.get(Severity::Veto),
            r.by_severity.get(Severity::Deduct),
            r.by_severity.get(Severity::Warn),
            codes.join(" ")
        );
    }
    Ok(())
}

/// Pads to a display width, counting CJK characters as two terminal columns.
fn pad(s: &str, width: usize) -> String {
    let w: usize = s
        .chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

async fn cmd_probe(a: ProbeArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    let mut settings = load_crawl_settings(&dir.crawl_path())?;
    if a.allow_private {
        settings.allow_private = true;
    }
    if let Some(d) = a.dns {
        settings.dns_servers = vec![d];
    }
    let site = if a.target.contains("://") {
        let home = url::Url::parse(&a.target).with_context(|| format!("bad URL {:?}", a.target))?;
        Site {
            id: "adhoc".into(),
            name: home.host_str().unwrap_or("").to_string(),
            home,
            org: String::new(),
            region: String::new(),
            kind: SiteKind::Portal,
            overrides: SiteOverrides::default(),
        }
    } else {
        let sites = load_sites(&dir.sites_path())?;
        sites
            .into_iter()
            .find(|s| s.id == a.target)
            .ok_or_else(|| {
                anyhow!(
                    "no site with id {} in {}",
                    a.target,
                    dir.sites_path().display()
                )
            })?
    };
    let mut site = site;
    if let Some(n) = a.max_pages {
        site.overrides.max_pages = Some(n);
    }
    let as_of = parse_as_of(a.as_of.as_deref())?;
    let rules = load_rules(&dir)?;
    let crawler = Crawler::new(settings)?;
    let result = inspect_site(&crawler, &site, as_of, &rules, None).await;
    print_result(&result, a.json)?;
    let costly = result.findings.iter().any(|f| f.severity != Severity::Info);
    Ok(if costly { EXIT_FINDINGS } else { EXIT_CLEAN })
}

fn print_result(r: &SiteResult, json: bool) -> Result<()> {
    if json {
        for f in &r.facts {
            let line = serde_json::json!({
                "type": "fact", "site": r.site.id, "probe": f.probe, "code": f.code, "url": f.url,
                "value": f.value, "observed_at": f.observed_at.to_rfc3339(),
            });
            outln!("{line}");
        }
        for f in &r.findings {
            let line = serde_json::json!({
                "type": "finding", "site": r.site.id, "probe": f.probe, "code": f.code,
                "severity": f.severity.as_str(), "url": f.url, "value": f.value, "message": f.message,
                "evidence": f.evidence, "observed_at": f.observed_at.to_rfc3339(),
            });
            outln!("{line}");
        }
        return Ok(());
    }
    outln!(
        "{} {} — {} pages, {} fetches",
        r.site.id,
        r.site.home,
        r.pages.len(),
        r.fetches.len()
    );
    outln!("facts:");
    for f in r.facts.iter().filter(|f| !f.code.starts_with("ipv6.")) {
        outln!(
            "  {:<20} {} {}",
            f.code,
            f.url.as_deref().unwrap_or(""),
            f.value
        );
    }
    print_ipv6(r);
    outln!("findings: {}", r.findings.len());
    for f in &r.findings {
        outln!("  [{}] {:<18} {}", f.severity.as_str(), f.code, f.message);
        if let Some(e) = &f.evidence.excerpt {
            outln!("      evidence: {e}");
        }
    }
    Ok(())
}

/// The IPv6 section of the human output.
fn print_ipv6(r: &SiteResult) {
    let fact = |code: &str| r.facts.iter().find(|f| f.code == code).map(|f| &f.value);
    let Some(aaaa) = fact("ipv6.aaaa") else {
        return;
    };
    outln!("IPv6:");
    let list = |v: &serde_json::Value| -> String {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "none".into())
    };
    outln!(
        "  AAAA            {} (as answered: {})",
        list(&aaaa["aaaa"]),
        list(&aaaa["aaaa_raw"])
    );
    if aaaa["cname_chain"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        outln!("  CNAME chain     {}", list(&aaaa["cname_chain"]));
    }
    if let Some(re) = fact("ipv6.reachability") {
        outln!(
            "  reachable       {} of {} addresses",
            re["reachable"],
            re["total"]
        );
        for a in re["addresses"].as_array().into_iter().flatten() {
            let how = match (
                a["http_status"].as_u64(),
                a["tcp_error"].as_str(),
                a["http_error"].as_str(),
            ) {
                (Some(st), _, _) => format!("HTTP {st}"),
                (None, Some(e), _) | (None, None, Some(e)) => e.to_string(),
                _ => "no answer".into(),
            };
            outln!("    [{}]  {how}", a["addr"].as_str().unwrap_or(""));
        }
    }
    if let Some(sc) = fact("ipv6.same_content") {
        outln!(
            "  v4 / v6         HTTP {} / {}, difference {}",
            sc["v4_status"],
            sc["v6_status"],
            sc["diff"]
                .as_f64()
                .map(|d| format!("{:.1}%", d * 100.0))
                .unwrap_or_else(|| "not compared".into())
        );
    }
    if let Some(ns) = fact("ipv6.ns") {
        outln!(
            "  name servers    zone {}: {} with AAAA, {} answering over IPv6",
            ns["zone"].as_str().unwrap_or("?"),
            ns["with_aaaa"],
            ns["answering_v6"]
        );
    }
    if let Some(ls) = fact("ipv6.link_support") {
        outln!(
            "  link support    {} of {} level-2/3 links work over IPv6 (AAAA share {}, not tried {})",
            ls["ok_v6"],
            ls["total"],
            ls["aaaa_ratio"],
            ls["not_tried"]
        );
    }
    if let Some(sr) = fact("ipv6.success_rate") {
        outln!(
            "  home samples    {} of {} ok over IPv6",
            sr["ok"],
            sr["samples"]
        );
    }
}

fn cmd_sites(cmd: SitesCmd) -> Result<u8> {
    match cmd {
        SitesCmd::Import { csv, config } => {
            let dir = ConfigDir::new(&config);
            let rep = import_csv(&csv, &dir.sites_path())?;
            for d in &rep.diagnostics {
                eprintln!("{d}");
            }
            outln!(
                "{}: {} added, {} updated, {} unchanged, {} skipped",
                dir.sites_path().display(),
                rep.added,
                rep.updated,
                rep.unchanged,
                rep.skipped
            );
            Ok(if rep.diagnostics.is_empty() {
                EXIT_CLEAN
            } else {
                EXIT_FINDINGS
            })
        }
        SitesCmd::Check { config } => {
            let dir = ConfigDir::new(&config);
            let diags = check_sites(&dir.sites_path());
            for d in &diags {
                eprintln!("{d}");
            }
            if diags.is_empty() {
                let n = load_sites(&dir.sites_path())?.len();
                outln!("{}: {n} sites, no problems", dir.sites_path().display());
                Ok(EXIT_CLEAN)
            } else {
                Err(anyhow!(
                    "{} problem(s) in {}",
                    diags.len(),
                    dir.sites_path().display()
                ))
            }
        }
    }
}

fn cmd_accounts(cmd: AccountsCmd) -> Result<u8> {
    match cmd {
        AccountsCmd::Import { csv, config } => {
            let dir = ConfigDir::new(&config);
            let sites = load_sites(&dir.sites_path())?;
            let rep = import_accounts_csv(&csv, &dir.accounts_path(), &sites)?;
            for d in &rep.diagnostics {
                eprintln!("{d}");
            }
            outln!(
                "{}: {} added, {} updated, {} unchanged, {} skipped",
                dir.accounts_path().display(),
                rep.added,
                rep.updated,
                rep.unchanged,
                rep.skipped
            );
            Ok(if rep.diagnostics.is_empty() {
                EXIT_CLEAN
            } else {
                EXIT_FINDINGS
            })
        }
        AccountsCmd::Check { config } => {
            let dir = ConfigDir::new(&config);
            let sites = load_sites(&dir.sites_path())?;
            let diags = check_accounts(&dir.accounts_path(), Some(&sites));
            for d in &diags {
                eprintln!("{d}");
            }
            if diags.is_empty() {
                let n = dir.accounts(&sites)?.len();
                outln!(
                    "{}: {n} accounts, no problems",
                    dir.accounts_path().display()
                );
                Ok(EXIT_CLEAN)
            } else {
                Err(anyhow!(
                    "{} problem(s) in {}",
                    diags.len(),
                    dir.accounts_path().display()
                ))
            }
        }
    }
}

fn cmd_media(cmd: MediaCmd) -> Result<u8> {
    let MediaCmd::ImportFindings {
        csv,
        config,
        db,
        run,
    } = cmd;
    let dir = ConfigDir::new(&config);
    let sites = load_sites(&dir.sites_path())?;
    let accounts = dir.accounts(&sites)?;
    let rules = load_rules(&dir)?.media;
    let read = govwatch_config::read_manual_findings(&csv, &accounts, &rules.manual)?;
    for d in &read.diagnostics {
        eprintln!("{d}");
    }
    let mut store = Store::open(&db).with_context(|| format!("opening {}", db.display()))?;
    let done = govwatch_runner::media::import_findings(
        &mut store, &sites, &accounts, &read.rows, &rules, run,
    )?;
    outln!(
        "{}: {} new, {} already stored, {} skipped{}",
        csv.display(),
        done.stored,
        done.known,
        read.diagnostics.len(),
        run.map(|r| format!("; {} added to run {r}", done.added_to_run))
            .unwrap_or_default()
    );
    Ok(if read.diagnostics.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

async fn cmd_demo(a: DemoArgs) -> Result<u8> {
    let fixtures = a.fixtures.unwrap_or_else(|| {
        let local = PathBuf::from("fixtures/sites");
        if local.is_dir() {
            local
        } else {
            govwatch_testutil::fixtures_sites_dir()
        }
    });
    let as_of = parse_as_of(a.as_of.as_deref())?;
    eprintln!(
        "govwatch demo: serving {} on loopback, crawling politely (1 request/s per host)…",
        fixtures.display()
    );
    let mut view = RunView::new();
    let (report, _) =
        govwatch_runner::demo::run_demo(&fixtures, &a.db, as_of, |p| view.on(p)).await?;
    view.finish(&report);
    let mut store = Store::open(&a.db)?;
    print_summary(&store, report.run_id)?;
    outln!(
        "stored in {} (run {}); findings: {} on sites, {} on new-media accounts",
        a.db.display(),
        report.run_id,
        report.findings,
        report.account_findings
    );
    let indicators = PathBuf::from("config").join(govwatch_score::INDICATORS_FILE);
    let rules = if indicators.is_file() {
        govwatch_score::load_rules(&indicators)?
    } else {
        govwatch_score::shipped_rules()
    };
    let set = govwatch_score::score_run(&store, report.run_id, &rules)?;
    store.write_scores(&set)?;
    print_verdicts(&store, &set)?;
    print_account_verdicts(&store, report.run_id, &rules, false)?;
    let dir = match a.db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let title = run_title(&store, report.run_id)?;
    let written = write_report(
        &mut store,
        report.run_id,
        &rules,
        title,
        None,
        &["html".into(), "xlsx".into()],
        &dir,
    )?;
    for p in written {
        outln!("report: {}", absolute(&p).display());
    }
    Ok(EXIT_CLEAN)
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The newest finished run (or, when none finished, the newest run).
fn newest_run(store: &Store, pick: impl Fn(&govwatch_store::RunRow) -> bool) -> Result<i64> {
    let runs = store.runs()?;
    runs.iter()
        .rev()
        .find(|r| r.status == govwatch_store::RunStatus::Done && pick(r))
        .map(|r| r.id)
        .ok_or_else(|| anyhow!("no finished run matches in {}", store.path().display()))
}

fn run_as_of(r: &govwatch_store::RunRow) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(&r.as_of).ok()
}

fn cmd_score(a: ScoreArgs) -> Result<u8> {
    let rules = govwatch_score::load_rules(&a.config.join(govwatch_score::INDICATORS_FILE))?;
    let mut store = Store::open(&a.db).with_context(|| format!("opening {}", a.db.display()))?;
    let run_id = match (a.run, a.as_of.as_deref()) {
        (Some(id), _) => id,
        (None, Some(d)) => {
            let until = parse_as_of(Some(d))?;
            // a date alone means the whole day
            let until = if d.len() == 10 {
                until + chrono::Duration::days(1)
            } else {
                until + chrono::Duration::seconds(1)
            };
            newest_run(&store, |r| run_as_of(r).is_some_and(|t| t < until))?
        }
        (None, None) => newest_run(&store, |_| true)?,
    };
    let set = govwatch_score::score_run(&store, run_id, &rules)?;
    store.write_scores(&set)?;
    if a.json {
        for s in &set.scores {
            outln!(
                "{}",
                serde_json::json!({"run": run_id, "rules": rules.version, "score": s})
            );
        }
    } else {
        print_verdicts(&store, &set)?;
    }
    let failed = set.scores.iter().any(|s| s.verdict != govwatch_score::PASS);
    let accounts_failed = print_account_verdicts(&store, run_id, &rules, a.json)?;
    Ok(if failed || accounts_failed {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// The run's new-media accounts by the media vetoes (one JSON object per account with `--json`);
/// returns whether one failed.
fn print_account_verdicts(
    store: &Store,
    run_id: i64,
    rules: &govwatch_score::Rules,
    json: bool,
) -> Result<bool> {
    let verdicts = govwatch_score::score_accounts(store, run_id, rules)?;
    if verdicts.is_empty() {
        return Ok(false);
    }
    let accounts = store.run_accounts(run_id)?;
    if json {
        for v in &verdicts {
            outln!(
                "{}",
                serde_json::json!({"run": run_id, "rules": rules.version, "account": v})
            );
        }
    } else {
        let f = govwatch_score::account_figures(&verdicts);
        outln!(
            "new-media accounts: {} judged, {} 合格, {} 不合格, {} 未监测, 合格率 {}",
            f.passed + f.failed,
            f.passed,
            f.failed,
            f.not_measured,
            f.pass_rate
                .map(|x| format!("{}%", govwatch_report::fmt_num(x)))
                .unwrap_or_else(|| "—".into())
        );
        for v in &verdicts {
            let a = accounts.iter().find(|a| a.key == v.key);
            let vetoes: Vec<&str> = v.items.iter().map(|i| i.name.as_str()).collect();
            outln!(
                "{:<36} {} {} {}  {}",
                v.key,
                pad(a.map(|a| a.name.as_str()).unwrap_or(""), 20),
                pad(a.map(|a| a.platform_zh()).unwrap_or(""), 12),
                pad(govwatch_score::account_verdict_zh(&v.verdict), 7),
                vetoes.join("；")
            );
        }
    }
    Ok(verdicts.iter().any(|v| v.verdict == govwatch_score::FAIL))
}

fn print_verdicts(store: &Store, set: &govwatch_store::ScoreSet) -> Result<()> {
    let sites = store.run_sites(set.run_id)?;
    outln!(
        "run {} scored under rules {} (as of {}): {} sites",
        set.run_id,
        set.rules_version,
        set.as_of,
        set.scores.len()
    );
    outln!(
        "{:<12} {} {} {:<10} {:<6} {:>7} {:>6} {:>5}  problems",
        "site",
        pad("name", 28),
        pad("region", 12),
        "kind",
        "verdict",
        "score",
        "deduct",
        "bonus"
    );
    for s in &set.scores {
        let site = sites.iter().find(|x| x.id == s.site_id);
        let problems = govwatch_report::problems_of(s);
        let incomplete = if s.complete {
            ""
        } else {
            " [监测未满周期]"
        };
        outln!(
            "{:<12} {} {} {:<10} {} {:>7} {:>6} {:>5}  {}{}",
            s.site_id,
            pad(site.map(|x| x.name.as_str()).unwrap_or(""), 28),
            pad(site.map(|x| x.region.as_str()).unwrap_or(""), 12),
            site.map(|x| x.kind.as_str()).unwrap_or(""),
            pad(govwatch_score::verdict_zh(&s.verdict), 7),
            s.score
                .map(govwatch_report::fmt_num)
                .unwrap_or_else(|| "veto".into()),
            govwatch_report::fmt_num(s.deducted),
            govwatch_report::fmt_num(s.bonus),
            problems,
            incomplete
        );
    }
    let passed = set
        .scores
        .iter()
        .filter(|s| s.verdict == govwatch_score::PASS)
        .count();
    let n = set.scores.len();
    outln!(
        "合格 {passed} / {n}, 不合格 {}, 合格率 {}",
        n - passed,
        if n > 0 {
            format!(
                "{}%",
                govwatch_report::fmt_num(passed as f64 * 100.0 / n as f64)
            )
        } else {
            "—".into()
        }
    );
    Ok(())
}

/// `2020Q1` → its first instant and the first instant of the next quarter (+08:00).
fn quarter_bounds(q: &str) -> Result<(DateTime<FixedOffset>, DateTime<FixedOffset>, String)> {
    let bad = || anyhow!("--quarter {q:?}: expected YEARQn, e.g. 2020Q1");
    let (y, n) = q
        .to_ascii_uppercase()
        .split_once('Q')
        .map(|(y, n)| (y.to_string(), n.to_string()))
        .ok_or_else(bad)?;
    let y: i32 = y.parse().map_err(|_| bad())?;
    let n: u32 = n.parse().map_err(|_| bad())?;
    if !(1..=4).contains(&n) {
        return Err(bad());
    }
    let cst = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let start = |y: i32, m: u32| {
        cst.from_local_datetime(
            &NaiveDate::from_ymd_opt(y, m, 1)
                .expect("valid")
                .and_hms_opt(0, 0, 0)
                .expect("valid"),
        )
        .single()
        .expect("fixed offset")
    };
    let from = start(y, (n - 1) * 3 + 1);
    let until = if n == 4 {
        start(y + 1, 1)
    } else {
        start(y, n * 3 + 1)
    };
    let names = ["一", "二", "三", "四"];
    Ok((from, until, format!("{y}年第{}季度", names[n as usize - 1])))
}

fn run_title(store: &Store, run_id: i64) -> Result<String> {
    let run = store
        .run(run_id)?
        .ok_or_else(|| anyhow!("run {run_id} does not exist"))?;
    let day = run_as_of(&run)
        .map(|t| t.format("%Y年%-m月%-d日").to_string())
        .unwrap_or_default();
    Ok(format!("第 {run_id} 次检查，监测时间点 {day}"))
}

/// Scores the run if it has no scoring under these rules, writes the WARC and the formats.
fn write_report(
    store: &mut Store,
    run_id: i64,
    rules: &govwatch_score::Rules,
    title: String,
    since: Option<i64>,
    formats: &[String],
    out: &std::path::Path,
) -> Result<Vec<PathBuf>> {
    for f in formats {
        if !["md", "html", "csv", "xlsx", "json"].contains(&f.as_str()) {
            return Err(anyhow!(
                "--format {f:?}: expected md, html, csv, xlsx or json"
            ));
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    if store.scores(run_id, Some(&rules.hash))?.is_none() {
        let set = govwatch_score::score_run(store, run_id, rules)?;
        store.write_scores(&set)?;
        eprintln!("run {run_id} scored under rules {}", rules.version);
    }
    let (warc, _) = govwatch_report::warc::write_run_warc(store, run_id, out)?;
    let mut written = vec![warc];
    let d = govwatch_report::ReportData::load(store, run_id, rules, title, since)?;
    for f in formats {
        match f.as_str() {
            "md" => written.push(govwatch_report::write_file(
                out,
                "report.md",
                &govwatch_report::render_md(&d),
            )?),
            "html" => written.push(govwatch_report::write_file(
                out,
                "report.html",
                &govwatch_report::html::render_html(&d),
            )?),
            "json" => written.push(govwatch_report::write_file(
                out,
                "report.json",
                &serde_json::to_string_pretty(&govwatch_report::render_json(&d))?,
            )?),
            "csv" => written.extend(govwatch_report::write_csv(&d, out)?),
            "xlsx" => {
                let p = out.join("report.xlsx");
                govwatch_report::xlsx::write_xlsx(&d, &p)?;
                written.push(p);
            }
            _ => unreachable!("checked above"),
        }
    }
    Ok(written)
}

fn cmd_report(a: ReportArgs) -> Result<u8> {
    let rules = govwatch_score::load_rules(&a.config.join(govwatch_score::INDICATORS_FILE))?;
    let mut store = Store::open(&a.db).with_context(|| format!("opening {}", a.db.display()))?;
    let (run_id, title) = match (a.run, a.quarter.as_deref()) {
        (Some(id), _) => (id, run_title(&store, id)?),
        (None, Some(q)) => {
            let (from, until, name) = quarter_bounds(q)?;
            let id = newest_run(&store, |r| {
                run_as_of(r).is_some_and(|t| t >= from && t < until)
            })
            .with_context(|| format!("no finished run with a monitoring time in {q}"))?;
            (id, name)
        }
        (None, None) => {
            let id = newest_run(&store, |_| true)?;
            (id, run_title(&store, id)?)
        }
    };
    let written = write_report(
        &mut store, run_id, &rules, title, a.since, &a.format, &a.out,
    )?;
    for p in written {
        outln!("{}", p.display());
    }
    Ok(EXIT_CLEAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_are_bounded_in_china_time() {
        let (from, until, name) = quarter_bounds("2020Q1").unwrap();
        assert_eq!(from.to_rfc3339(), "2020-01-01T00:00:00+08:00");
        assert_eq!(until.to_rfc3339(), "2020-04-01T00:00:00+08:00");
        assert_eq!(name, "2020年第一季度");
        let (from, until, name) = quarter_bounds("2019q4").unwrap();
        assert_eq!(from.to_rfc3339(), "2019-10-01T00:00:00+08:00");
        assert_eq!(until.to_rfc3339(), "2020-01-01T00:00:00+08:00");
        assert_eq!(name, "2019年第四季度");
        for bad in ["2020Q5", "2020Q0", "Q1", "2020", "20x0Q1"] {
            assert!(quarter_bounds(bad).is_err(), "{bad}");
        }
    }
}
