//! `govwatch demo` as a new user meets it (issue 17): in a scratch folder with no `config/`, the
//! demo stores its run in `govwatch.db` and writes its report into `demo-out/`; after it `status`,
//! `score` and `report` work in the same folder (the database's sites, the shipped rules); a second
//! demo gives the same findings, so `report --since` shows nothing fixed and nothing new. Also:
//! `score`/`report` without a database, a taken demo port, an OS error printed once.

use crate::common::chinese::{help_commands, html_text, not_chinese};
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
    check_status_score_report(&dir, &sites);
    check_findings_and_show(&dir);
    check_second_demo(&dir, port);
}

/// After the demo: `status` lists its sites in China time, `score` uses the shipped rules,
/// `report` writes into `report/`.
fn check_status_score_report(dir: &Path, sites: &[govwatch_testutil::fixtures::FixtureSite]) {
    // status: the demo's four sites, times in China time to the second with the zone
    let (code, stdout, stderr) = run(dir, &["status"]);
    assert!(matches!(code, Some(0) | Some(1)), "status: {stderr}");
    assert!(!stderr.contains("No such file"), "{stderr}");
    for fx in sites {
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
    let (code, stdout, stderr) = run(dir, &["score"]);
    assert_eq!(code, Some(1), "score: {stdout}\n{stderr}");
    assert!(stderr.contains("内置的评分规则"), "{stderr}");
    assert!(stdout.contains("合格 "), "{stdout}");

    // report: the default formats into report/
    let (code, stdout, stderr) = run(dir, &["report", "--format", "md,json"]);
    assert_eq!(code, Some(0), "report: {stdout}\n{stderr}");
    assert!(dir.join("report/report.md").is_file());
}

/// After the demo: `findings` by code and by site, `show` of one finding with its evidence and
/// archive record, `show` of a finding that does not exist.
fn check_findings_and_show(dir: &Path) {
    // findings and show: the home page's broken links, one with its evidence and archive record
    let (code, stdout, stderr) = run(dir, &["findings", "--code", "link.broken_home"]);
    assert_eq!(code, Some(1), "findings: {stdout}\n{stderr}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    assert!(
        rows.iter()
            .all(|l| l.contains("[扣分] 首页错链、死链 (link.broken_home)")),
        "{stdout}"
    );
    let (code, stdout, _) = run(dir, &["findings", "--site", "1310000003", "--json"]);
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
    let (code, stdout, stderr) = run(dir, &["show", &id.to_string()]);
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
    let (code, _, stderr) = run(dir, &["show", "999999"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("没有第 #999999 号问题"), "{stderr}");
}

/// A second demo on the same port gives the same findings: `report --since` shows nothing fixed
/// and nothing new.
fn check_second_demo(dir: &Path, port: u16) {
    // a second demo on the same port: the same findings, nothing fixed, nothing new
    let (code, stdout, stderr) = demo(dir, port);
    assert_eq!(code, Some(0), "second demo: {stdout}\n{stderr}");
    let db = dir.join("govwatch.db");
    let first = run_findings(&db, 1);
    assert!(first.len() >= 8, "{first:?}");
    assert_eq!(first, run_findings(&db, 2));
    let (code, stdout, stderr) = run(
        dir,
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
    bad.extend(walk_every_help(dir));
    bad.extend(walk_config_errors(dir, &walk));
    std::fs::remove_dir_all(&walk).unwrap();
    bad
}

/// Every command's help as a person asks for it: `govwatch` alone, `--help`, `-h`, `-V`, `help`,
/// and `COMMAND --help`, `COMMAND -h`, `COMMAND SUB --help`, `COMMAND help` for every command the
/// help lists (issue 28). Returns the lines that are not Chinese.
fn walk_every_help(dir: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let (code, top, _) = run(dir, &["--help"]);
    assert_eq!(code, Some(0));
    let commands = help_commands(&top);
    assert!(commands.len() >= 16, "{commands:?}");
    let mut calls: Vec<Vec<String>> = [
        &[][..],
        &["--help"],
        &["-h"],
        &["-V"],
        &["help"],
        &["help", "help"],
        &["help", "run"],
    ]
    .iter()
    .map(|a| a.iter().map(|s| s.to_string()).collect())
    .collect();
    let mut nested_seen = 0;
    for c in &commands {
        calls.push(vec![c.clone(), "--help".into()]);
        calls.push(vec![c.clone(), "-h".into()]);
        let (_, help, _) = run(dir, &[c, "--help"]);
        for n in help_commands(&help) {
            calls.push(vec![c.clone(), n.clone(), "--help".into()]);
            calls.push(vec![c.clone(), "help".into(), n]);
            nested_seen += 1;
        }
    }
    // sites import|check, accounts import|check, media import-findings
    assert!(nested_seen >= 5, "{calls:?}");
    for args in &calls {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(dir, &args);
        let what = format!("govwatch {}", args.join(" "));
        if args.is_empty() {
            assert_eq!(code, Some(2), "{what}: {stderr}");
        } else {
            assert_eq!(code, Some(0), "{what}: {stdout}\n{stderr}");
        }
        let text = format!("{stdout}\n{stderr}");
        if args != ["-V"] {
            assert!(text.contains("用法："), "{what}: {text}");
        }
        bad.extend(not_chinese(&what, &text));
    }
    bad
}

/// How a case of [`walk_config_errors`] breaks its folder: one file written anew, or a piece of
/// the file `init` wrote replaced (once).
enum Break {
    Write(&'static str, &'static str),
    Replace(&'static str, &'static str, &'static str),
}

/// A case of [`walk_config_errors`]: its name, what breaks, the command (`{cfg}`: the folder),
/// its exit code, what its message must say.
type Case = (
    &'static str,
    Break,
    &'static [&'static str],
    i32,
    &'static [&'static str],
);

/// A site registry with one mistake of each kind (and a site registered twice).
const BAD_SITES: &str = r#"title = "x"
[[site]]
id = "short"
name = ""
home = "nowhere"
org = "x"
region = ""
kind = "agency"
colour = "red"
rate = 0
hosts = ["a/b", 3]
max_pages = 0

[[site]]
name = "no id"
home = "ftp://a.gov.cn/"
org = "x"
region = 3
kind = "portal"
columns = { "政务公开" = "zwgk/", "政策" = 4 }
column_kinds = { "政务公开" = 3 }

[[site]]
id = "1310000009"
name = "甲"
home = "http://127.0.0.1:1/"
org = "甲"
region = ""
kind = "portal"
hosts = "a.test"

[[site]]
id = "1310000009"
name = "甲"
home = "http://127.0.0.1:1/"
org = "甲"
region = ""
kind = "portal"
"#;

/// An account registry with one mistake of each kind (the sites are [`GOOD_SITES`]).
const BAD_ACCOUNTS: &str = r#"colour = 1
[feeds]
weibo = "http://rsshub.test/weibo/user/"
tiktok = "http://x.test/{id}"
toutiao = 5

[[account]]
platform = "weibo"
id = "1"
name = "甲"
org = "甲"
region = ""
site = "1310000009"

[[account]]
platform = "weixin"
id = "has space"
name = ""
org = ""
region = 3
site = "9999999999"
feed = "ftp://x/feed"
size = 1

[[account]]
platform = "douyin"
id = "3"
name = "乙"
org = "乙"
site = "131000000"

[[account]]
platform = "wechat"
id = "w"
name = "丙"
org = "丙"
region = ""
site = "1310000009"
feed = "http://x.test/w"

[[account]]
platform = "wechat"
id = "w"
name = "丙"
org = "丙"
region = ""
site = "1310000009"
feed = "http://x.test/w"
"#;

/// One site on a loopback port where nothing listens: were a broken file ever accepted, the
/// run would end at once (and the case fail on its exit code), never reach the internet.
const GOOD_SITES: &str = "[[site]]\nid = \"1310000009\"\nname = \"甲\"\nhome = \"http://127.0.0.1:1/\"\n\
                          org = \"甲\"\nregion = \"\"\nkind = \"portal\"\n";
/// A contact of our own (the example contact stops a run before any rule file is read).
const GOOD_CRAWL: &str = "contact = \"office@inspect.test\"\nallow_private = true\nretries = 0\n";

/// The messages a user meets when a file of the configuration is wrong (issue 28): `sites check`
/// and `accounts check` of registries with every kind of mistake, `run` and `daemon` stopped by
/// each rule file gone wrong (syntax, unknown key, wrong type, impossible value), the CSV imports'
/// skipped rows and missing columns, a missing folder. Each must fail as before (exit code),
/// name its file (and line where the mistake has one), and read in Chinese, the parser's own
/// words in parentheses. Returns the lines that are not Chinese.
fn walk_config_errors(dir: &Path, walk: &Path) -> Vec<String> {
    let shipped = walk.join("config");
    let mut cases = registry_cases();
    cases.extend(crawl_rule_cases());
    cases.extend(calendar_media_daemon_cases());
    cases.extend(import_cases());
    let mut bad = Vec::new();
    for case in cases {
        bad.extend(run_config_case(dir, walk, &shipped, case));
    }
    bad
}

/// The registries' cases of [`walk_config_errors`]: `sites check`, `accounts check` and `run` on
/// broken `sites.toml` and `accounts.toml`.
fn registry_cases() -> Vec<Case> {
    use Break::Write;
    vec![
        (
            "sites",
            Write("sites.toml", BAD_SITES),
            &["sites", "check", "--config", "{cfg}"],
            2,
            &[
                "sites.toml 第 1 行第 1 列：不认识的键 `title`",
                "sites.toml 第 3 行第 1 列：网站标识码 `short` 应为 10 位英文字母或数字",
                "sites.toml 第 14 行第 1 列：[[site]] 缺少必填的键 `id`",
                "网站标识码 1310000009 重复（第一次出现在第 24 行）",
                "sites.toml 有 ",
            ],
        ),
        (
            "sites-syntax",
            Write("sites.toml", "[[site]\nid = 1\n"),
            &["sites", "check", "--config", "{cfg}"],
            2,
            &["sites.toml 第 1 行第 8 列：不是正确的 TOML 写法（"],
        ),
        (
            "sites-syntax-run",
            Write("sites.toml", "[[site]]\nid = \"1310000009\nname = 1\n"),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["sites.toml 第 2 行"],
        ),
        (
            "accounts",
            Write("accounts.toml", BAD_ACCOUNTS),
            &["accounts", "check", "--config", "{cfg}"],
            2,
            &[
                "accounts.toml 第 1 行第 1 列：不认识的键 `colour`",
                "[feeds] 中的平台 `tiktok` 不认识",
                "site `9999999999` 不在网站名录 (sites.toml) 中",
                "账号 wechat:w 重复（第一次出现在第 34 行）",
            ],
        ),
        (
            "accounts-syntax",
            Write("accounts.toml", "[[account]\n"),
            &["accounts", "check", "--config", "{cfg}"],
            2,
            &["accounts.toml 第 1 行"],
        ),
    ]
}

/// The crawl and probe rule files' cases of [`walk_config_errors`]: `run` stopped by each.
fn crawl_rule_cases() -> Vec<Case> {
    use Break::{Replace, Write};
    vec![
        (
            "crawl-values",
            Write(
                "crawl.toml",
                "contact = \"x\"\nrate = 0\nconnect_timeout_secs = 20.0\ndns_servers = [\"8.8.8.8\"]\n\
                 night_end = \"6 am\"\nreference_urls = [\"www.gov.cn\"]\nallow_addresses = [\"x\"]\n\
                 user_agent = \"\"\nmax_robots_bytes = 1\n",
            ),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &[
                "crawl.toml 第 1 行第 1 列：contact `x` 不是电子邮件地址",
                "crawl.toml 第 9 行",
            ],
        ),
        (
            "crawl-key",
            Write(
                "crawl.toml",
                "contact = \"office@inspect.test\"\nrat = 1.0\n",
            ),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["crawl.toml 第 2 行第 1 列：没有 `rat` 这个键"],
        ),
        (
            "crawl-type",
            Write(
                "crawl.toml",
                "contact = \"office@inspect.test\"\nburst = \"two\"\n",
            ),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["crawl.toml 第 2 行第 9 列：值的类型不对"],
        ),
        (
            "probes",
            Write(
                "probes.toml",
                "[availability]\nfamily = \"ipv5\"\nveto_ratio = 2.0\n",
            ),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["probes.toml：availability.family 应为 ipv4、ipv6 或 any"],
        ),
        (
            "columns",
            Replace(
                "columns.toml",
                "[kinds.news]\nwindow_days",
                "[kinds.news]\nwindow_dayz",
            ),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["columns.toml 第 ", "没有 `window_dayz` 这个键"],
        ),
        (
            "interaction",
            Replace(
                "interaction.toml",
                "replied_status = [",
                "replied_statuses = [",
            ),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["interaction.toml 第 "],
        ),
    ]
}

/// The holidays, media, daemon and warnings files' cases of [`walk_config_errors`].
fn calendar_media_daemon_cases() -> Vec<Case> {
    use Break::{Replace, Write};
    vec![
        (
            "holidays-date",
            Write(
                "holidays.toml",
                "[[year]]\nyear = 2020\nsource = \"x\"\noff = [\"2020-13-01\"]\n",
            ),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["holidays.toml 第 4 行第 8 列：\"2020-13-01\" 不是 YYYY-MM-DD 形式的日期"],
        ),
        (
            "holidays-weekday",
            Write(
                "holidays.toml",
                "[[year]]\nyear = 2020\nsource = \"x\"\noff = []\nwork = [\"2020-01-20\"]\n",
            ),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["holidays.toml 第 5 行", "2020-01-20 是周一"],
        ),
        (
            "media",
            Replace("media.toml", "share_above = 0.8", "share_above = 1.5"),
            &["run", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &[
                "media.toml 第 ",
                "[repost] share_above 应不小于 0 且小于 1（现为 1.5）",
            ],
        ),
        (
            "daemon",
            Write(
                "daemon.toml",
                "nightly_at = \"25:00\"\ninterval_minutes = 0\ntimezone = \"Mars\"\n",
            ),
            &["daemon", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &[
                "daemon.toml：",
                "nightly_at \"25:00\" 应为 HH:MM 形式的时间",
            ],
        ),
        (
            "warnings",
            Write(
                "warnings.toml",
                "[[warning]]\ncode = \"x\"\nmetric = \"blank_columns\"\nopen_at = 1\nclear_below = 2\n\
                 source = \"\"\nmessage = \"m\"\n\n[[sink]]\nname = \"h\"\nkind = \"smtp\"\nhost = \"h\"\n\
                 from = \"nobody\"\nto = []\n",
            ),
            &["daemon", "--config", "{cfg}", "--db", "walk/x.db"],
            2,
            &["warnings.toml：", "clear_below 不能大于 open_at"],
        ),
    ]
}

/// The CSV imports' and a missing folder's cases of [`walk_config_errors`].
fn import_cases() -> Vec<Case> {
    use Break::Write;
    vec![
        (
            "sites-import",
            Write(
                "../bad-sites.csv",
                "网站标识码,网站名称,首页网址,主办单位,地区,网站类型\n\
                 34132200,短标识码,https://a.gov.cn/,某单位,某地,门户\n\
                 3413000002,,https://b.gov.cn/,某单位,某地,门户\n\
                 3413000003,无网址,,某单位,某地,门户\n\
                 3413000004,坏网址,ftp://c.gov.cn/,某单位,某地,门户\n\
                 3413000005,怪类型,https://d.gov.cn/,某单位,某地,新媒体\n\
                 3413000006,好的,https://f.gov.cn/,某单位,,\n\
                 3413000006,重复,https://f.gov.cn/,某单位,,\n",
            ),
            &[
                "sites",
                "import",
                "{cfg}/../bad-sites.csv",
                "--config",
                "{cfg}",
            ],
            1,
            &[
                "bad-sites.csv 第 2 行：网站标识码 `34132200`",
                "bad-sites.csv 第 8 行：网站标识码 3413000006 重复",
            ],
        ),
        (
            "sites-import-column",
            Write(
                "../no-column.csv",
                "网站名称,首页网址\n甲,https://a.gov.cn/\n",
            ),
            &[
                "sites",
                "import",
                "{cfg}/../no-column.csv",
                "--config",
                "{cfg}",
            ],
            2,
            &["no-column.csv 第 1 行：缺少必需的列 "],
        ),
        (
            "accounts-import",
            Write(
                "../bad-accounts.csv",
                "账号名称,平台,账号ID,主办单位,网站标识码,订阅地址\n\
                 ,微博,1,甲,1310000009,http://x.test/1\n\
                 乙,脸书,2,甲,1310000009,http://x.test/2\n\
                 丙,微博,has space,甲,1310000009,http://x.test/3\n\
                 丁,微博,4,某不存在的局,,http://x.test/4\n\
                 戊,微博,5,甲,9999999999,ftp://x.test/5\n\
                 己,抖音,6,甲,1310000009,\n",
            ),
            &[
                "accounts",
                "import",
                "{cfg}/../bad-accounts.csv",
                "--config",
                "{cfg}",
            ],
            1,
            &[
                "bad-accounts.csv 第 3 行：平台 `脸书` 不认识",
                "bad-accounts.csv 第 7 行",
            ],
        ),
        (
            "nowhere",
            Write("../nothing-here", ""),
            &["sites", "check", "--config", "{cfg}/../nowhere"],
            2,
            &["sites.toml：文件或文件夹不存在（"],
        ),
    ]
}

/// Runs one case of [`walk_config_errors`] in a copy of the shipped `config/` broken as it says,
/// checks its exit code and message, and returns its lines that are not Chinese.
fn run_config_case(dir: &Path, walk: &Path, shipped: &Path, case: Case) -> Vec<String> {
    use Break::{Replace, Write};
    let (name, how, args, code, says) = case;
    let cfg = walk.join(name).join("config");
    std::fs::create_dir_all(&cfg).unwrap();
    for e in std::fs::read_dir(shipped).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), cfg.join(e.file_name())).unwrap();
    }
    std::fs::write(cfg.join("sites.toml"), GOOD_SITES).unwrap();
    std::fs::write(cfg.join("crawl.toml"), GOOD_CRAWL).unwrap();
    match how {
        Write(file, text) => std::fs::write(cfg.join(file), text).unwrap(),
        Replace(file, from, to) => {
            let text = std::fs::read_to_string(cfg.join(file)).unwrap();
            assert!(text.contains(from), "{name}: {file} has no {from}");
            std::fs::write(cfg.join(file), text.replacen(from, to, 1)).unwrap();
        }
    }
    let cfg = cfg.to_str().unwrap();
    let args: Vec<String> = args.iter().map(|a| a.replace("{cfg}", cfg)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (got, stdout, stderr) = run(dir, &args);
    assert_eq!(got, Some(code), "{name}: {stdout}\n{stderr}");
    for s in says {
        assert!(stderr.contains(s), "{name}: no {s:?} in\n{stderr}");
    }
    not_chinese(
        &format!("{name}: govwatch {}", args.join(" ")),
        &format!("{stdout}\n{stderr}"),
    )
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
