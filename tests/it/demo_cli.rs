//! `govwatch demo` as a new user meets it (issue 17): in a scratch folder with no `config/`, the
//! demo stores its run in `govwatch.db` and writes its report into `demo-out/`; after it `status`,
//! `score` and `report` work in the same folder (the database's sites, the shipped rules); a second
//! demo gives the same findings, so `report --since` shows nothing fixed and nothing new. Also:
//! `score`/`report` without a database, a taken demo port, an OS error printed once.

use crate::common::chinese::{html_text, not_chinese};
use crate::common::govwatch;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A scratch folder with nothing in it (no `config/`).
fn empty_scratch(name: &str) -> PathBuf {
    let dir = crate::common::scratch("demo", name);
    std::fs::remove_dir_all(dir.join("config")).unwrap();
    dir
}

/// A port free on 127.0.0.1 at the time of asking.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out: Output = govwatch(dir, args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo as an installed binary runs it: the fixture sites built into it, no `--fixtures`.
fn demo(dir: &Path, port: u16) -> (Option<i32>, String, String) {
    run(dir, &["demo", "--port", &port.to_string()])
}

/// (site, code, url) of one run's findings, straight from the database.
fn run_findings(db: &Path, run: i64) -> BTreeSet<(String, String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare("SELECT site_id, code, url FROM findings WHERE run_id = ?1")
        .unwrap();
    st.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn after_the_demo_status_score_and_report_work_and_a_second_demo_changes_nothing() {
    let dir = empty_scratch("after");
    let port = free_port();
    let (code, stdout, stderr) = demo(&dir, port);
    assert_eq!(code, Some(0), "demo: {stdout}\n{stderr}");
    let mut bad = not_chinese("demo", &format!("{stdout}\n{stderr}"));
    bad.extend(walk_every_command(&dir));
    assert!(bad.is_empty(), "not Chinese:\n{}", bad.join("\n"));
    // the output goes into demo-out/, nothing else beside the database
    for f in ["report.html", "report.xlsx", "run-1.warc.gz"] {
        assert!(dir.join("demo-out").join(f).is_file(), "demo-out/{f}");
    }
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("govwatch.db"))
        .collect();
    left.sort();
    assert_eq!(left, ["demo-out"]);
    let fixtures = govwatch_testutil::fixtures_sites_dir();
    let sites = govwatch_testutil::fixtures::load_fixture_sites(&fixtures, |h| {
        url::Url::parse(&format!("http://{h}/")).unwrap()
    })
    .unwrap();
    assert_eq!(sites.len(), 4);

    // status: the demo's four sites, times in China time to the second with the zone
    let (code, stdout, stderr) = run(&dir, &["status"]);
    assert!(matches!(code, Some(0) | Some(1)), "status: {stderr}");
    assert!(!stderr.contains("No such file"), "{stderr}");
    for fx in &sites {
        assert!(stdout.contains(&fx.site.id), "{}: {stdout}", fx.site.id);
        assert!(stdout.contains(&fx.site.name), "{}: {stdout}", fx.site.name);
    }
    assert_eq!(stdout.lines().count(), 1 + sites.len(), "{stdout}");
    let crawl_line = stdout.lines().nth(1).unwrap();
    assert!(
        crawl_line.contains("第1次 ") && crawl_line.contains(" +08:00"),
        "{crawl_line}"
    );

    // score: the shipped rules, the fixtures' verdicts (the run is at the fixtures' time)
    let (code, stdout, stderr) = run(&dir, &["score"]);
    assert_eq!(code, Some(1), "score: {stdout}\n{stderr}");
    assert!(stderr.contains("内置的评分规则"), "{stderr}");
    assert!(stdout.contains("合格 "), "{stdout}");

    // report: the default formats into report/
    let (code, stdout, stderr) = run(&dir, &["report", "--format", "md,json"]);
    assert_eq!(code, Some(0), "report: {stdout}\n{stderr}");
    assert!(dir.join("report/report.md").is_file());

    // findings and show: the home page's broken links, one with its evidence and archive record
    let (code, stdout, stderr) = run(&dir, &["findings", "--code", "link.broken_home"]);
    assert_eq!(code, Some(1), "findings: {stdout}\n{stderr}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    assert!(
        rows.iter()
            .all(|l| l.contains("[扣分] 首页错链、死链 (link.broken_home)")),
        "{stdout}"
    );
    let (code, stdout, _) = run(&dir, &["findings", "--site", "1310000003", "--json"]);
    assert_eq!(code, Some(1));
    let codes: BTreeSet<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["severity"] != "info")
        .map(|v| v["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        ["ipv6.no_aaaa", "message.channel_missing", "search.missing"]
            .map(String::from)
            .into()
    );
    let conn = rusqlite::Connection::open(dir.join("govwatch.db")).unwrap();
    let id: i64 = conn
        .query_row(
            "SELECT id FROM findings WHERE code = 'link.broken_home' AND url LIKE '%banner_20261115.jpg'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let (code, stdout, stderr) = run(&dir, &["show", &id.to_string()]);
    assert_eq!(code, Some(0), "show: {stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("问题 #{id}：首页错链、死链 (link.broken_home)")),
        "{stdout}"
    );
    assert!(stdout.contains("HTTP 404"), "the fetch: {stdout}");
    assert!(stdout.contains("+08:00"), "{stdout}");
    assert!(
        stdout.contains("存档：run-1.warc.gz 记录 <urn:uuid:"),
        "the archived home page: {stdout}"
    );
    let (code, _, stderr) = run(&dir, &["show", "999999"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("没有第 #999999 号问题"), "{stderr}");

    // a second demo on the same port: the same findings, nothing fixed, nothing new
    let (code, stdout, stderr) = demo(&dir, port);
    assert_eq!(code, Some(0), "second demo: {stdout}\n{stderr}");
    let db = dir.join("govwatch.db");
    let first = run_findings(&db, 1);
    assert!(first.len() >= 8, "{first:?}");
    assert_eq!(first, run_findings(&db, 2));
    let (code, stdout, stderr) = run(
        &dir,
        &[
            "report", "--run", "2", "--since", "1", "--format", "json", "--out", "since",
        ],
    );
    assert_eq!(code, Some(0), "report --since: {stdout}\n{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("since/report.json")).unwrap())
            .unwrap();
    let rect = &json["rectification"];
    assert_eq!(rect["fixed"], serde_json::json!([]), "{rect}");
    assert_eq!(rect["new"], serde_json::json!([]), "{rect}");
    assert!(!rect["open"].as_array().unwrap().is_empty(), "{rect}");
}

#[test]
fn score_and_report_without_a_database_say_so_and_create_none() {
    let dir = empty_scratch("nodb");
    for args in [&["score"][..], &["report"], &["status"]] {
        let (code, stdout, stderr) = run(&dir, args);
        assert_eq!(code, Some(2), "{args:?}: {stdout}\n{stderr}");
        assert!(stderr.contains("没有数据库"), "{args:?}: {stderr}");
        assert!(
            !dir.join("govwatch.db").exists(),
            "{args:?} created a database"
        );
    }
}

#[test]
fn a_taken_demo_port_is_a_clear_error() {
    let dir = empty_scratch("port");
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let (code, stdout, stderr) = demo(&dir, port);
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{port} 已被占用")) && stderr.contains("--port"),
        "{stderr}"
    );
    assert!(!dir.join("govwatch.db").exists());
}

#[test]
fn an_os_error_is_printed_once() {
    let dir = empty_scratch("oserr");
    let (code, _, stderr) = run(&dir, &["sites", "check", "--config", "nowhere"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

#[test]
fn codes_lists_every_code_with_its_title_and_indicator() {
    let dir = empty_scratch("codes");
    let (code, stdout, stderr) = run(&dir, &["codes"]);
    assert_eq!(code, Some(0), "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("link.broken_home "))
        .unwrap();
    assert!(line.contains("首页错链、死链"), "{line}");
    assert!(line.contains("问题"), "{line}");
    let veto = stdout
        .lines()
        .find(|l| l.starts_with("home.stale "))
        .unwrap();
    assert!(veto.contains("单项否决："), "{veto}");
    let (code, stdout, _) = run(&dir, &["codes", "--kind", "finding", "--json"]);
    assert_eq!(code, Some(0));
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() > 40);
    for r in &rows {
        assert_eq!(r["kind"], "finding");
        assert!(!r["title"].as_str().unwrap().is_empty(), "{r}");
    }
}

/// Every command's output after the demo, the report's pages and the web view's pages, checked
/// for English sentences outside parentheses and evidence and for ASCII punctuation in Chinese
/// text (issue 28). Returns the lines that break the rule. Leaves the folder as it found it but
/// for `walk/` (scratch files of the commands that write).
fn walk_every_command(dir: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let mut check = |what: &str, text: &str| bad.extend(not_chinese(what, text));
    let conn = rusqlite::Connection::open(dir.join("govwatch.db")).unwrap();
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM findings ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let sites: Vec<String> = conn
        .prepare("SELECT id FROM sites ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    drop(conn);
    assert!(ids.len() > 10, "{ids:?}");
    let walk = dir.join("walk");
    let w = walk.to_str().unwrap();
    let cfg = walk.join("config");
    let cfg = cfg.to_str().unwrap();
    let mut commands: Vec<Vec<String>> = [
        &["status"][..],
        &["status", "--as-of", "2026-12-01"],
        &["score"],
        &["findings"],
        &["codes"],
        &["codes", "--kind", "warning"],
        &[
            "report",
            "--format",
            "md,html,csv,xlsx,json",
            "--out",
            "walk/report",
        ],
        &["init", w],
        &["sites", "check", "--config", cfg],
        &["accounts", "check", "--config", cfg],
        &["run", "--config", cfg, "--db", "walk/run.db"],
        &["show", "999999"],
        &["score", "--db", "walk/none.db"],
    ]
    .iter()
    .map(|a| a.iter().map(|s| s.to_string()).collect())
    .collect();
    commands.extend(ids.iter().map(|id| vec!["show".into(), id.to_string()]));
    for args in &commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, stdout, stderr) = run(dir, &args);
        check(&args.join(" "), &format!("{stdout}\n{stderr}"));
    }
    for f in ["report.md", "附件1.csv", "附件3.csv", "附件4.csv"] {
        let text = std::fs::read_to_string(walk.join("report").join(f)).unwrap();
        check(f, &text);
    }
    let html = std::fs::read_to_string(walk.join("report/report.html")).unwrap();
    check("report.html", &html_text(&html));

    // the web view: every page of the run, its sites and its findings
    let mut child = govwatch(dir, &["serve", "--listen", "127.0.0.1:0"])
        .spawn()
        .unwrap();
    let (line, addr) = crate::common::serve_start_line(&mut child);
    check("serve", &line);
    let mut pages: Vec<String> = ["/", "/runs/1", "/runs/1/sites", "/sites", "/nowhere"]
        .map(String::from)
        .to_vec();
    pages.extend(sites.iter().map(|s| format!("/runs/1/sites/{s}")));
    pages.extend(ids.iter().map(|id| format!("/findings/{id}")));
    for p in &pages {
        let page = http_get(&addr, p);
        check(&format!("web {p}"), &html_text(&page));
    }
    crate::common::stop_serve(child);
    std::fs::remove_dir_all(&walk).unwrap();
    bad
}

/// The body of `GET path` on the web view at `addr`.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or(answer)
}
