//! The `govwatch` binary itself: stopped by SIGTERM or killed with SIGKILL in the middle of a run,
//! then `govwatch run --resume` finishes the same run with exactly the findings of the fixtures.

use crate::common::govwatch;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::{FixtureSite, load_fixture_sites};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn write_config(dir: &Path, net: &TestNet, sites: &[FixtureSite]) {
    crate::common::write_config(dir, net, sites, "rate = 5.0\nsite_concurrency = 1");
}

/// Sites whose result is committed, read straight from the database.
fn sites_done(db: &Path) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM run_sites", [], |r| r.get(0))
        .unwrap_or(0)
}

/// Waits (polling, with a generous deadline) until at least one site is committed.
fn wait_for_first_site(child: &mut Child, db: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while sites_done(db) < 1 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "govwatch ended before it was stopped"
        );
        assert!(Instant::now() < deadline, "no site committed in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn expected(sites: &[FixtureSite]) -> BTreeSet<(String, String, String)> {
    sites
        .iter()
        .flat_map(|f| {
            f.expected
                .finding
                .iter()
                .map(|e| (f.site.id.clone(), e.code.clone(), e.url.clone()))
        })
        .collect()
}

fn stop_and_resume(signal: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = govwatch_testutil::fixtures_sites_dir();
    let net = rt.block_on(TestNet::start(&root)).unwrap();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    let dir = crate::common::scratch("cli", signal);
    write_config(&dir, &net, &sites);
    let db = dir.join("govwatch.db");

    let mut child = govwatch(&dir, &["run", "--as-of", "2026-11-28"])
        .spawn()
        .unwrap();
    wait_for_first_site(&mut child, &db);
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    if signal == "-TERM" {
        assert_eq!(
            out.status.code(),
            Some(3),
            "interrupted exit code; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let done = sites_done(&db);
    assert!(
        done >= 1 && done < sites.len() as i64,
        "stopped part way: {done}"
    );

    let out = govwatch(&dir, &["run", "--resume"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings present; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (runs, status): (i64, String) = conn
        .query_row("SELECT count(*), max(status) FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((runs, status.as_str()), (1, "done"), "one run, finished");
    assert_eq!(sites_done(&db), sites.len() as i64);
    assert_eq!(
        crate::common::stored_findings(&db, net.http.port()),
        expected(&sites),
        "no finding missing or duplicated"
    );
    let dup: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT site_id, code, url FROM findings GROUP BY 1, 2, 3 HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dup, 0);
}

#[test]
fn sigterm_mid_run_then_resume() {
    stop_and_resume("-TERM");
}

#[test]
fn kill_9_mid_run_then_resume() {
    stop_and_resume("-KILL");
}

/// `govwatch probe` shows the IPv6 section in its human output and the ipv6 codes in `--json`.
#[test]
fn probe_shows_the_ipv6_section() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = govwatch_testutil::workspace_root().join("fixtures/ipv6");
    let net = rt.block_on(TestNet::start(&root)).unwrap();
    if !govwatch_testutil::require::ipv6(
        "probe_shows_the_ipv6_section",
        net.http.has_v6(),
        "the fixture server's [::1] listener",
    ) {
        return;
    }
    let dir = crate::common::scratch("cli", "probe");
    std::fs::write(
        dir.join("config/crawl.toml"),
        format!(
            "rate = 20.0\nallow_private = true\ndns_servers = [\"{}\"]\ndns_port = {}\n",
            net.dns.addr(),
            net.dns.addr().port()
        ),
    )
    .unwrap();
    let dual = net.http.url("dual.ipv6.test", "/").to_string();
    let out = govwatch(&dir, &["probe", &dual]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // IPv6 is clean there; the fixture site has no consultation channel, which is a finding.
    assert_eq!(out.status.code(), Some(1), "stdout: {text}");
    assert!(text.contains("message.channel_missing"), "{text}");
    assert!(
        !text.contains("(ipv6."),
        "no IPv6 finding on a dual-stack site: {text}"
    );
    assert!(text.contains("IPv6："), "{text}");
    assert!(text.contains("AAAA 记录       ::1"), "{text}");
    assert!(text.contains("可达地址        1 个（共 1 个）"), "{text}");
    assert!(
        text.contains("区 test：2 个有 AAAA 记录，2 个可经 IPv6 应答"),
        "{text}"
    );
    let bad = crate::common::chinese::not_chinese("probe", &text);
    assert!(bad.is_empty(), "{bad:#?}");
    // the folder has only crawl.toml: the other rule files are the shipped ones, said once
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("按内置的规则检查").count(), 1, "{err}");
    assert!(
        err.contains("中没有 walls.toml、probes.toml、columns.toml"),
        "{err}"
    );
    assert!(!err.contains("crawl.toml"), "{err}");

    let v4only = net.http.url("v4only.ipv6.test", "/").to_string();
    let out = govwatch(&dir, &["probe", &v4only, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "findings present");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let aaaa = lines
        .iter()
        .find(|l| l["type"] == "fact" && l["code"] == "ipv6.aaaa")
        .unwrap();
    assert_eq!(aaaa["value"]["aaaa"], serde_json::json!([]));
    let f = lines
        .iter()
        .find(|l| l["type"] == "finding" && l["code"] == "ipv6.no_aaaa")
        .unwrap();
    assert_eq!(f["severity"], "deduct");
    assert!(
        f["evidence"]["excerpt"]
            .as_str()
            .unwrap()
            .contains("无记录")
    );
}
