//! `govwatch demo`'s nightly run: the project's fixture sites, served on loopback with a local DNS
//! server by the binary (its `demo` feature owns the fixture server, so it never ships in the
//! product), crawled by the real crawler (private addresses allowed for this alone), stored like a
//! nightly run. The fixture root's `accounts.toml` (feed URLs with `{{PORT}}`) registers the demo's
//! new-media accounts, whose feeds a fixture host serves.
//!
//! Main items: [`run_demo`], [`demo_settings`], [`demo_accounts`], [`DemoError`]; the defaults
//! [`DEMO_AS_OF`], [`DEMO_PORT`] and [`DEMO_OUT`].

use crate::night::{Progress, RunError, RunOptions, RunReport, run};
use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_model::Site;
use govwatch_store::{SiteSummary, Store};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot build the crawler: {0}")]
    Crawler(#[from] govwatch_crawler::CrawlerError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Store(#[from] govwatch_store::StoreError),
    #[error(transparent)]
    Config(#[from] govwatch_config::ConfigError),
}

/// The demo's monitoring time when `--as-of` is not given: the time the fixture sites' `expected.toml`
/// files and `verdicts.toml` are written for (fixtures/sites/README.md), so every demo judges the
/// same pages the same way whatever day it runs.
pub const DEMO_AS_OF: &str = "2026-11-28";

/// The fixture server's port when `--port` is not given: fixed, so the findings' URLs (which carry
/// the port) are the same in every demo and `report --since` compares like with like.
pub const DEMO_PORT: u16 = 8765;

/// The folder the demo writes its report and WARC into when `--out` is not given (listed in
/// `.gitignore`).
pub const DEMO_OUT: &str = "demo-out";

/// File of the fixture root that registers the demo's new-media accounts.
pub const DEMO_ACCOUNTS: &str = "accounts.toml";

/// The demo's new-media accounts: `root/accounts.toml` with `{{PORT}}` replaced by the fixture
/// server's port, checked against the fixture sites (none when the file is absent).
pub fn demo_accounts(
    root: &Path,
    port: u16,
    sites: &[Site],
) -> Result<Vec<govwatch_model::Account>, govwatch_config::ConfigError> {
    let path = root.join(DEMO_ACCOUNTS);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(govwatch_config::ConfigError::Io { path, source }),
    };
    let text = text.replace("{{PORT}}", &port.to_string());
    govwatch_config::parse_accounts(&path, &text, Some(sites))
}

/// Crawl settings for the local fixture network: defaults, but private addresses allowed and DNS
/// pointed at the fixture network's DNS server `dns`.
pub fn demo_settings(dns: SocketAddr) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![dns.to_string()],
        dns_port: dns.port(),
        ..CrawlSettings::default()
    }
}

/// The fixture network the demo crawls: its sites (home URLs on the fixture server), the fixture
/// root, the HTTP server's port and the DNS server's address.
pub struct DemoNet<'a> {
    /// The fixture sites, their home pages on the fixture server.
    pub sites: Vec<Site>,
    /// The fixture root (holds `accounts.toml`).
    pub root: &'a Path,
    /// Port of the fixture HTTP server (for `{{PORT}}` in `accounts.toml`).
    pub http_port: u16,
    /// Address of the fixture DNS server.
    pub dns: SocketAddr,
}

/// How long before its monitoring time the demo's clock starts: the demo first takes one
/// availability sample of each home page, as the sampling daemon would, in the minute before the
/// monitoring time, so the run's availability window holds them.
pub const DEMO_SAMPLE_LEAD_SECS: i64 = 60;

/// The key of a run's settings that marks a run made on the demo's clock (its value: the
/// monitoring time). `govwatch status` judges such a database at that time, not at the
/// machine's, so it counts the samples the run's availability window counted.
pub const DEMO_CLOCK_KEY: &str = "demo_clock";

/// The monitoring time of a run made on the demo's clock (`None` for any other run).
pub fn demo_clock(settings: &serde_json::Value) -> Option<govwatch_model::Timestamp> {
    settings[DEMO_CLOCK_KEY]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
}

/// Runs the demo on the fixture network `net` into `db` on the demo's own clock: the crawler's
/// clock is set to a minute before `as_of`, one availability sample of each home page is taken
/// and stored (as the daemon stores its samples), then the clock is set to `as_of` and the
/// nightly job runs. So every time the demo records — samples, fetches, the run — is on the
/// fixtures' day, and the 503 home page is judged by the availability rule over its sample.
/// Returns the run report and the per-site summary.
pub async fn run_demo(
    net: DemoNet<'_>,
    db: &Path,
    as_of: govwatch_model::Timestamp,
    progress: impl FnMut(Progress),
) -> Result<(RunReport, Vec<SiteSummary>), DemoError> {
    let sites = net.sites;
    let accounts = demo_accounts(net.root, net.http_port, &sites)?;
    let settings = demo_settings(net.dns);
    let crawler = Arc::new(Crawler::new(settings.clone())?);
    let mut store = Store::open(db)?;
    store.upsert_sites(&sites)?;
    crawler.set_clock(as_of - chrono::Duration::seconds(DEMO_SAMPLE_LEAD_SECS));
    let taken = futures::future::join_all(sites.iter().map(|s| crawler.sample_home(&s.home))).await;
    for (site, samples) in sites.iter().zip(taken) {
        let samples: Vec<_> = samples.into_iter().map(|s| s.sample).collect();
        store.insert_samples(None, &site.id, &samples)?;
    }
    crawler.set_clock(as_of);
    let mut recorded = serde_json::to_value(&settings).unwrap_or_default();
    if let Some(map) = recorded.as_object_mut() {
        map.insert(DEMO_CLOCK_KEY.into(), as_of.to_rfc3339().into());
    }
    let opts = RunOptions {
        as_of,
        only: None,
        resume: false,
        settings: recorded,
        rules: govwatch_config::ProbeRules::default(),
        accounts,
    };
    let (report, store) = run(
        crawler,
        store,
        sites,
        opts,
        std::future::pending(),
        progress,
    )
    .await?;
    let summary = store.run_summary(report.run_id)?;
    Ok((report, summary))
}
