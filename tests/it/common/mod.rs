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

/// The rules the fixture suites run with: the shipped rules, with the fixtures' test domain
/// `.gov.test` counted as a government domain and an allowed script host (fixture sites link to
/// made-up `*.gov.test` government sites, as real ones link to `*.gov.cn`). The shipped
/// `config/*.toml` name no test domain (a test in crates/config checks it).
pub fn fixture_rules() -> govwatch_config::ProbeRules {
    let mut r = govwatch_config::ProbeRules::default();
    r.integrity
        .hidden_links
        .government_suffixes
        .push(".gov.test".into());
    r.integrity.scripts.allowed_hosts.push(".gov.test".into());
    r
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

/// (code, url without the fixture port) of every finding, sorted, duplicates kept: a stray finding
/// of any probe, or one given twice, shows.
pub fn finding_list<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    port: u16,
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = findings
        .into_iter()
        .map(|f| {
            (
                f.code.clone(),
                strip_port(f.url.as_deref().unwrap_or(""), port),
            )
        })
        .collect();
    v.sort();
    v
}

/// (code, url) of the findings an `expected.toml` lists, sorted.
pub fn expected_list(fx: &FixtureSite) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = fx
        .expected
        .finding
        .iter()
        .map(|f| (f.code.clone(), f.url.clone()))
        .collect();
    v.sort();
    v
}

/// Every site of `fixtures/sites` (the demo's), by name (rsshub.anping.gov.test is no site: the
/// feed service the media probe reads).
pub const SITES_HOSTS: &[&str] = &[
    "www.anping.gov.test",
    "www.down.anping.gov.test",
    "www.fgw.anping.gov.test",
    "www.sjj.anping.gov.test",
];

/// The fixture sites of a suite are exactly `hosts`: a site missing from the folder (or one added
/// without being named here) fails with its name.
pub fn assert_fixture_hosts(suite: &str, sites: &[FixtureSite], hosts: &[&str]) {
    let got: BTreeSet<&str> = sites.iter().map(|f| f.host.as_str()).collect();
    let want: BTreeSet<&str> = hosts.iter().copied().collect();
    let missing: Vec<&&str> = want.difference(&got).collect();
    let unnamed: Vec<&&str> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && unnamed.is_empty(),
        "{suite}: fixture sites missing (a host folder or its expected.toml): {missing:?}; \
         fixture sites not named in the suite's list: {unnamed:?}"
    );
    assert_eq!(
        got.len(),
        sites.len(),
        "{suite}: a fixture site loaded twice"
    );
}

/// Compares the whole finding list of every site of a suite with its `expected.toml` and fails
/// naming every site that differs (each with what is missing and what is extra), and every site
/// of `hosts` that was not run.
pub struct Comparison {
    suite: String,
    hosts: Vec<String>,
    ran: BTreeSet<String>,
    diffs: Vec<String>,
}

impl Comparison {
    pub fn new(suite: &str, hosts: &[&str]) -> Comparison {
        Comparison {
            suite: suite.to_string(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ran: BTreeSet::new(),
            diffs: Vec::new(),
        }
    }

    /// Records `host`'s findings against `want`.
    pub fn check(&mut self, host: &str, got: Vec<(String, String)>, want: Vec<(String, String)>) {
        assert!(
            self.ran.insert(host.to_string()),
            "{}: {host} run twice",
            self.suite
        );
        if got != want {
            let mut missing = want.clone();
            let mut extra = Vec::new();
            for g in got {
                if let Some(i) = missing.iter().position(|w| *w == g) {
                    missing.remove(i);
                } else {
                    extra.push(g);
                }
            }
            self.diffs.push(format!(
                "{host}:\n    missing {missing:?}\n    extra   {extra:?}"
            ));
        }
    }

    /// Fails with every difference, and with every listed site that was not run.
    pub fn finish(self) {
        let not_run: Vec<&String> = self
            .hosts
            .iter()
            .filter(|h| !self.ran.contains(*h))
            .collect();
        assert!(
            self.diffs.is_empty() && not_run.is_empty(),
            "{}: findings differ from expected.toml on {} site(s):\n{}\nsites not run: {not_run:?}",
            self.suite,
            self.diffs.len(),
            self.diffs.join("\n")
        );
    }
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
        rules: fixture_rules(),
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
