//! `govwatch demo`'s nightly run: the project's fixture sites, served on loopback with a local DNS
//! server by the binary (its `demo` feature owns the fixture server, so it never ships in the
//! product), crawled by the real crawler (private addresses allowed for this alone), stored like a
//! nightly run. The fixture root's `accounts.toml` (feed URLs with `{{PORT}}`) registers the demo's
//! new-media accounts, whose feeds a fixture host serves.
//!
//! Main items: [`run_demo`], [`demo_settings`], [`demo_accounts`], [`DemoError`]; the defaults
//! [`DEMO_AS_OF`], [`DEMO_PORT`] and [`DEMO_OUT`].

use crate::{Progress, RunError, RunOptions, RunReport, run};
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

/// Runs the demo on the fixture network `net` into `db`; returns the run report and the per-site
/// summary.
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
    let store = Store::open(db)?;
    let opts = RunOptions {
        as_of,
        only: None,
        resume: false,
        settings: serde_json::to_value(&settings).unwrap_or_default(),
        rules: crate::ProbeRules::default(),
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
