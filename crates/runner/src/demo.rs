//! `govwatch demo`: the project's fixture sites served on loopback with a local DNS server, crawled
//! by the real crawler (private addresses allowed for this alone), stored like a nightly run. The
//! fixture root's `accounts.toml` (feed URLs with `{{PORT}}`) registers the demo's new-media
//! accounts, whose feeds a fixture host serves.

use crate::{Progress, RunError, RunOptions, RunReport, run};
use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_model::Site;
use govwatch_store::{SiteSummary, Store};
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::load_fixture_sites;
use std::path::Path;
use std::sync::Arc;

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot start the fixture sites from {dir}: {source}")]
    Net { dir: String, source: std::io::Error },
    #[error("cannot build the crawler: {0}")]
    Crawler(#[from] govwatch_crawler::CrawlerError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Store(#[from] govwatch_store::StoreError),
    #[error(transparent)]
    Config(#[from] govwatch_config::ConfigError),
}

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
/// pointed at the test server.
pub fn demo_settings(net: &TestNet) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        ..CrawlSettings::default()
    }
}

/// Runs the demo into `db`; returns the run report and the per-site summary.
pub async fn run_demo(
    fixtures: &Path,
    db: &Path,
    as_of: govwatch_model::Timestamp,
    progress: impl FnMut(Progress),
) -> Result<(RunReport, Vec<SiteSummary>), DemoError> {
    let net = TestNet::start(fixtures)
        .await
        .map_err(|source| DemoError::Net {
            dir: fixtures.display().to_string(),
            source,
        })?;
    let sites: Vec<Site> = load_fixture_sites(fixtures, |h| net.http.url(h, "/"))
        .map_err(|source| DemoError::Net {
            dir: fixtures.display().to_string(),
            source,
        })?
        .into_iter()
        .map(|f| f.site)
        .collect();
    let accounts = demo_accounts(fixtures, net.http.port(), &sites)?;
    let settings = demo_settings(&net);
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
