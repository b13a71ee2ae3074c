//! Helpers shared by the end-to-end tests: fast crawl settings for the fixture network, the
//! comparison of findings with an `expected.toml`, and a site crawled in two runs.
#![allow(dead_code)] // each test file uses a part
pub mod chinese;

use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_model::{Finding, Timestamp};
use govwatch_runner::{RunOptions, run};
use govwatch_store::{Store, StoredFinding};
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::{FixtureSite, strip_port};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

pub fn ts(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

/// Crawl settings for a probe's suite: the fixture network, 20 requests/s, no retries, no IPv6.
pub fn fast_settings(net: &TestNet) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        rate: 20.0,
        retries: 0,
        ipv6: false,
        ..CrawlSettings::default()
    }
}

/// (code, url without the fixture port) of the findings whose code `keep` accepts.
pub fn finding_set<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    port: u16,
    keep: impl Fn(&str) -> bool,
) -> BTreeSet<(String, String)> {
    findings
        .into_iter()
        .filter(|f| keep(&f.code))
        .map(|f| {
            (
                f.code.clone(),
                strip_port(f.url.as_deref().unwrap_or(""), port),
            )
        })
        .collect()
}

/// (code, url) of the findings an `expected.toml` lists.
pub fn expected_set(fx: &FixtureSite) -> BTreeSet<(String, String)> {
    fx.expected
        .finding
        .iter()
        .map(|f| (f.code.clone(), f.url.clone()))
        .collect()
}

/// Crawls `fx` into a fresh database at `first`, then serves `second_pages` (request path → file
/// under the fixture root) in place of the site's own files and crawls again at `second`; returns
/// the second run's findings.
pub async fn two_runs(
    net: &TestNet,
    root: &Path,
    fx: &FixtureSite,
    first: &str,
    second: &str,
    second_pages: &[(&str, &str)],
) -> (Vec<StoredFinding>, Vec<StoredFinding>) {
    let dir = std::env::temp_dir().join(format!(
        "govwatch-two-runs-{}-{}",
        std::process::id(),
        fx.host
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("govwatch.db");
    let opts = |as_of: &str| RunOptions {
        as_of: ts(as_of),
        only: None,
        resume: false,
        settings: serde_json::Value::Null,
        rules: Default::default(),
        accounts: Vec::new(),
    };
    let crawl = |db: &Path, as_of: &str| {
        let crawler = Arc::new(Crawler::new(fast_settings(net)).unwrap());
        run(
            crawler,
            Store::open(db).unwrap(),
            vec![fx.site.clone()],
            opts(as_of),
            std::future::pending(),
            |_| {},
        )
    };
    let (r1, store) = crawl(&db, first).await.unwrap();
    let before = store.findings(r1.run_id, None).unwrap();
    drop(store);
    for (path, file) in second_pages {
        let body = std::fs::read(root.join(&fx.host).join(file)).unwrap();
        let body = govwatch_testutil::substitute_port(&body, net.http.port());
        net.http
            .add_route(&fx.host, path, govwatch_testutil::RouteResponse::html(body));
    }
    let (r2, store) = crawl(&db, second).await.unwrap();
    (before, store.findings(r2.run_id, None).unwrap())
}

/// A fresh scratch directory with a `config/` folder, for a test of the real binary.
pub fn scratch(prefix: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("config")).unwrap();
    dir
}

/// Writes `config/sites.toml` for the fixture sites and `config/crawl.toml` pointing at the
/// fixture network, with `crawl_extra` (TOML lines) added.
pub fn write_config(dir: &Path, net: &TestNet, sites: &[FixtureSite], crawl_extra: &str) {
    let mut t = String::new();
    for f in sites {
        let s = &f.site;
        t.push_str(&format!(
            "[[site]]\nid = \"{}\"\nname = \"{}\"\nhome = \"{}\"\norg = \"{}\"\nregion = \"{}\"\nkind = \"{}\"\n\n",
            s.id, s.name, s.home, s.org, s.region, s.kind.as_str()
        ));
    }
    std::fs::write(dir.join("config/sites.toml"), t).unwrap();
    std::fs::write(
        dir.join("config/crawl.toml"),
        format!(
            "{crawl_extra}\n{TEST_CONTACT}\nallow_private = true\ndns_servers = [\"{}\"]\ndns_port = {}\n",
            net.dns.addr(),
            net.dns.addr().port()
        ),
    )
    .unwrap();
}

/// The contact line of the tests' `crawl.toml` (`govwatch run` refuses the example address).
pub const TEST_CONTACT: &str = "contact = \"inspector@anping.gov.test\"";

/// The first line `govwatch serve` writes on stderr (naming its address) and the address in it.
pub fn serve_start_line(child: &mut std::process::Child) -> (String, String) {
    let (line, addr, _) = serve_start(child);
    (line, addr)
}

/// [`serve_start_line`], with the rest of the server's stderr to read.
pub fn serve_start(
    child: &mut std::process::Child,
) -> (
    String,
    String,
    std::io::BufReader<std::process::ChildStderr>,
) {
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (line, addr, stderr)
}

/// Stops a `govwatch serve` with SIGTERM and checks it ends cleanly (exit 0).
pub fn stop_serve(mut child: std::process::Child) {
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(
        child.wait().unwrap().code(),
        Some(0),
        "SIGTERM stops it cleanly"
    );
}

/// The `govwatch` binary run in `dir` with piped output.
pub fn govwatch(dir: &Path, args: &[&str]) -> std::process::Command {
    use std::process::Stdio;
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_govwatch"));
    c.current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Every stored finding as (site, code, URL without the fixture port).
pub fn stored_findings(db: &Path, port: u16) -> BTreeSet<(String, String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare("SELECT site_id, code, url FROM findings")
        .unwrap();
    st.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            strip_port(&r.get::<_, String>(2)?, port),
        ))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}
