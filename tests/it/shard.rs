//! Sharded nights (issue 19), through the real binary: the fixture sites (with their new-media
//! accounts) crawled as 3 shards (`govwatch run --shard K/3`, one SQLite file each) and merged
//! (`govwatch merge … --into`) give the same findings, facts, scores and rectification report as
//! one unsharded run; merging a shard again changes nothing; shards of another monitoring time,
//! other rules or a site merged twice are refused with exit 2 naming the file, leaving the
//! target unchanged. Then the contrib/ manifests (Kubernetes Indexed Job, Slurm array) are parsed
//! as YAML / checked as shell and compared with the README's commands.

use crate::common;

use common::govwatch;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::{load_fixture_sites, strip_port};
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

const NIGHT1: &str = "2026-11-28T02:00:00+08:00";
const NIGHT2: &str = "2026-11-29T02:00:00+08:00";

fn out(o: Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn gw(dir: &Path, args: &[&str]) -> (i32, String, String) {
    out(govwatch(dir, args).output().unwrap())
}

/// `govwatch run` that must succeed (0 clean, 1 findings present).
fn crawl(dir: &Path, args: &[&str]) {
    let (code, stdout, stderr) = gw(dir, args);
    assert!(
        code == 0 || code == 1,
        "{args:?}: {code}\n{stdout}\n{stderr}"
    );
}

fn db(dir: &Path, name: &str) -> Connection {
    Connection::open(dir.join(name)).unwrap()
}

fn rows<T: rusqlite::types::FromSql + Ord>(c: &Connection, sql: &str, run: i64) -> Vec<Vec<T>> {
    let mut st = c.prepare(sql).unwrap();
    let n = st.column_count();
    let mut v: Vec<Vec<T>> = st
        .query_map([run], |r| (0..n).map(|i| r.get::<_, T>(i)).collect())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    v.sort();
    v
}

/// Everything a run learned, ids aside (URLs without the fixture port). Not the number of
/// fetches: a run answers a URL once for all its sites (a link from one fixture site to another
/// is checked once), so shards fetch a few URLs that one run fetches once.
#[derive(Debug, PartialEq)]
struct Learned {
    sites: Vec<Vec<String>>,
    findings: Vec<Vec<String>>,
    facts: Vec<Vec<String>>,
    per_site: Vec<Vec<String>>,
    accounts: Vec<Vec<String>>,
    posts: Vec<Vec<String>>,
}

fn learned(c: &Connection, run: i64, port: u16) -> Learned {
    let p = |v: Vec<Vec<String>>| -> Vec<Vec<String>> {
        let mut v: Vec<Vec<String>> = v
            .into_iter()
            .map(|r| r.into_iter().map(|s| strip_port(&s, port)).collect())
            .collect();
        v.sort();
        v
    };
    Learned {
        sites: rows(
            c,
            "SELECT site_id, CAST(pages AS TEXT), CAST(findings AS TEXT) FROM run_sites \
             WHERE run_id = ?1",
            run,
        ),
        findings: p(rows(
            c,
            "SELECT site_id, ifnull(account_key, ''), probe, code, severity, ifnull(url, ''), \
             message FROM findings WHERE run_id = ?1",
            run,
        )),
        facts: p(rows(
            c,
            "SELECT site_id, ifnull(account_key, ''), probe, code, ifnull(url, '') \
             FROM facts WHERE run_id = ?1",
            run,
        )),
        per_site: rows(
            c,
            "SELECT site_id, \
               CAST((SELECT count(*) FROM pages p WHERE p.run_id = ?1 AND p.site_id = s.site_id) AS TEXT), \
               CAST((SELECT count(*) FROM samples m WHERE m.run_id = ?1 AND m.site_id = s.site_id) AS TEXT), \
               (SELECT group_concat(body_hash) FROM (SELECT body_hash FROM pages p \
                  WHERE p.run_id = ?1 AND p.site_id = s.site_id ORDER BY body_hash)) \
             FROM run_sites s WHERE run_id = ?1",
            run,
        ),
        accounts: rows(
            c,
            "SELECT account_key, CAST(measured AS TEXT), CAST(posts AS TEXT), \
             CAST(findings AS TEXT) FROM run_accounts WHERE run_id = ?1",
            run,
        ),
        posts: rows(
            c,
            "SELECT account_key, guid, title FROM posts WHERE run_id = ?1",
            run,
        ),
    }
}

/// Row counts of every table of a database (to see that a refused or repeated merge wrote nothing).
fn counts(c: &Connection) -> BTreeMap<String, i64> {
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut m: BTreeMap<String, i64> = tables
        .into_iter()
        .map(|t| {
            let n = c
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect();
    let settings: String = c
        .query_row(
            "SELECT group_concat(settings || status, '|') FROM runs",
            [],
            |r| r.get::<_, Option<String>>(0),
        )
        .unwrap()
        .unwrap_or_default();
    m.insert(format!("runs.settings {settings}"), 0);
    m
}

/// The id of the run whose monitoring time is `as_of`.
fn run_at(c: &Connection, as_of: &str) -> i64 {
    c.query_row(
        "SELECT id FROM runs WHERE unixepoch(as_of) = unixepoch(?1) AND status = 'done'",
        [as_of],
        |r| r.get(0),
    )
    .unwrap()
}

/// `govwatch score --json`: (site, verdict, score, deducted, bonus, vetoed, rules hit) per site.
fn scores(dir: &Path, file: &str, run: i64) -> BTreeSet<String> {
    let (code, stdout, stderr) = gw(
        dir,
        &["score", "--json", "--db", file, "--run", &run.to_string()],
    );
    assert!(code == 0 || code == 1, "{code}: {stderr}");
    let set: BTreeSet<String> = stdout
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            let s = v.get("score")?;
            let site = s.get("site_id")?.as_str()?;
            let mut rules: Vec<String> = s
                .get("items")
                .and_then(|i| i.as_array())
                .map(|items| {
                    items
                        .iter()
                        .map(|i| format!("{}:{}:{}", i["part"], i["rule"], i["points"]))
                        .collect()
                })
                .unwrap_or_default();
            rules.sort();
            Some(format!(
                "{site} {} {} {} {} {} {}",
                s["verdict"],
                s["score"],
                s["deducted"],
                s["bonus"],
                s["vetoed"],
                rules.join(",")
            ))
        })
        .collect();
    assert!(!set.is_empty(), "no scores in: {stdout}");
    set
}

/// `report.json` of a run with `--since`, with run ids, ports, times and ids blanked.
fn report_json(dir: &Path, file: &str, run: i64, since: i64, out: &str, port: u16) -> String {
    let (code, _, stderr) = gw(
        dir,
        &[
            "report",
            "--db",
            file,
            "--run",
            &run.to_string(),
            "--since",
            &since.to_string(),
            "--format",
            "json",
            "--out",
            out,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(dir.join(out).join("report.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&strip_port(&text, port)).unwrap();
    // the run's own record (its ids, times and, for the merged run, the shards it came from)
    v.as_object_mut().unwrap().remove("run");
    blank(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

/// Blanks what differs between two databases holding the same inspection: ids, times, run
/// numbers and titles, measured durations, and the order of records listed by id (a run writes
/// its sites as they finish; a merge writes shard after shard). Maps keyed by id become lists.
fn blank(v: &mut serde_json::Value) {
    if let serde_json::Value::Object(m) = v
        && !m.is_empty()
        && m.keys().all(|k| k.bytes().all(|b| b.is_ascii_digit()))
    {
        *v = serde_json::Value::Array(m.values().cloned().collect());
    }
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let volatile = k == "id"
                    || k.ends_with("_id")
                    || k.ends_with("_ids")
                    || k.ends_with("_at")
                    || k.ends_with("_ms")
                    || k == "run"
                    || k == "since"
                    || k == "title"
                    || k == "record_id"
                    || k == "offset"
                    || k == "length"
                    || k == "file"
                    || k == "warc";
                if volatile && !x.is_object() {
                    *x = serde_json::Value::Null;
                } else {
                    blank(x);
                }
            }
        }
        serde_json::Value::Array(a) => {
            a.iter_mut().for_each(blank);
            if a.iter().all(|x| x.is_object()) {
                a.sort_by_cached_key(|x| x.to_string());
            }
        }
        _ => {}
    }
}

#[test]
fn three_shards_merged_are_one_run() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = govwatch_testutil::fixtures_sites_dir();
    let net = rt.block_on(TestNet::start(&root)).unwrap();
    let port = net.http.port();
    let sites = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    let dir = common::scratch("shard", "night");
    common::write_config(
        &dir,
        &net,
        &sites,
        "rate = 20.0\nretries = 0\nmax_crawl_delay_secs = 0.05",
    );
    let accounts = std::fs::read_to_string(root.join("accounts.toml"))
        .unwrap()
        .replace("{{PORT}}", &port.to_string());
    std::fs::write(dir.join("config/accounts.toml"), accounts).unwrap();
    std::fs::copy(
        govwatch_testutil::workspace_root().join("config/indicators.toml"),
        dir.join("config/indicators.toml"),
    )
    .unwrap();
    crawl_two_nights_in_shards(&dir);
    let night = check_refused_and_repeated_merges(&dir);
    check_site_in_two_shards_and_other_rules(&dir, &night);
    check_merged_nights_match_full_runs(&dir, &night, port, sites.len());
    check_rows_arrived_once(&dir, &night);
    check_rectification_report(&dir, &night, port);
}

/// Both nights crawled whole (`full.db`) and as 3 shards (`s1-K.db`, `s2-K.db`); a shard number
/// out of range is refused; a shard's run records its shard and rules digest.
fn crawl_two_nights_in_shards(dir: &Path) {
    // the fixture ids 1310000001…4 fall in shards 1, 2, 2, 1 of 3: shard 0 is empty
    let (code, _, stderr) = gw(dir, &["run", "--shard", "3/3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("分片从 0 数起"), "{stderr}");

    for (night, full, shard) in [(NIGHT1, "full.db", "s1"), (NIGHT2, "full.db", "s2")] {
        crawl(dir, &["run", "--as-of", night, "--db", full]);
        for k in 0..3 {
            let file = format!("{shard}-{k}.db");
            let shard_arg = format!("{k}/3");
            crawl(
                dir,
                &[
                    "run", "--as-of", night, "--db", &file, "--shard", &shard_arg,
                ],
            );
        }
    }
    let c = db(dir, "s1-2.db");
    let (shard_json, rules): (String, String) = c
        .query_row(
            "SELECT settings ->> '$.shard.text', settings ->> '$.rules_sha256' FROM runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(shard_json, "2/3", "the run records its shard");
    assert_eq!(rules.len(), 64);
    let shard_sites: Vec<Vec<String>> =
        rows(&c, "SELECT site_id FROM run_sites WHERE run_id = ?1", 1);
    assert_eq!(
        shard_sites,
        [
            vec!["1310000002".to_string()],
            vec!["1310000003".to_string()]
        ]
    );
}

/// Merges refused (another monitoring time, a shard into itself) and repeated (a shard merged
/// twice) change nothing; the nights merged shard by shard. Returns the merged `night.db`.
fn check_refused_and_repeated_merges(dir: &Path) -> Connection {
    // another monitoring time among the inputs: refused, naming the file; nothing written
    let (code, _, stderr) = gw(
        dir,
        &[
            "merge", "s1-0.db", "s1-1.db", "s2-2.db", "--into", "night.db",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("s2-2.db") && stderr.contains("monitoring time"),
        "{stderr}"
    );
    assert!(stderr.contains("night.db 未创建"), "{stderr}");
    assert!(
        !dir.join("night.db").exists(),
        "a refused merge creates nothing"
    );

    // the first night, then a shard merged twice (alone and with the others): nothing changes
    let (code, stdout, stderr) = gw(
        dir,
        &[
            "merge", "s1-0.db", "s1-1.db", "s1-2.db", "--into", "night.db",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("已完成，所有分片均已合并"), "{stdout}");
    let night = db(dir, "night.db");
    let before = counts(&night);
    let (code, stdout, stderr) = gw(dir, &["merge", "s1-1.db", "--into", "night.db"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("已合并过 "), "{stdout}");
    let (code, _, stderr) = gw(
        dir,
        &[
            "merge", "s1-2.db", "s1-0.db", "s1-1.db", "--into", "night.db",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(counts(&night), before, "merging again changes nothing");
    // a shard merged into itself, however the target names it: refused, nothing doubled
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let shard_before = counts(&db(dir, "s1-1.db"));
    for target in ["sub/../s1-1.db", "./s1-1.db"] {
        let (code, _, stderr) = gw(dir, &["merge", "s1-1.db", "--into", target]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("the target database itself"), "{stderr}");
    }
    assert_eq!(counts(&db(dir, "s1-1.db")), shard_before);

    // the second night, one shard at a time: `running` until the last shard is in
    let (code, stdout, _) = gw(dir, &["merge", "s2-1.db", "--into", "night.db"]);
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.contains("等待分片 0、2"), "{stdout}");
    let (code, stdout, stderr) = gw(dir, &["merge", "s2-2.db", "s2-0.db", "--into", "night.db"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    night
}

/// A site in two shards (within one merge or across merges) and a shard of other rules are
/// refused, naming the files, writing nothing.
fn check_site_in_two_shards_and_other_rules(dir: &Path, night: &Connection) {
    // one site crawled again (another run) and merged: a site in two shards
    crawl(
        dir,
        &[
            "run",
            "--as-of",
            NIGHT1,
            "--db",
            "again.db",
            "--sites",
            "1310000002",
        ],
    );
    let before = counts(night);
    let (code, _, stderr) = gw(dir, &["merge", "again.db", "--into", "night.db"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("again.db") && stderr.contains("1310000002"),
        "{stderr}"
    );
    assert_eq!(counts(night), before, "a refused merge writes nothing");
    assert!(stderr.contains("night.db 未改动"), "{stderr}");
    // …and within one merge
    let (code, _, stderr) = gw(dir, &["merge", "s1-2.db", "again.db", "--into", "other.db"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("again.db") && stderr.contains("s1-2.db"),
        "{stderr}"
    );
    assert!(!dir.join("other.db").exists());

    // other rules: refused (a copy of a shard whose run recorded another rules digest)
    std::fs::copy(dir.join("s1-2.db"), dir.join("odd.db")).unwrap();
    db(dir, "odd.db")
        .execute(
            "UPDATE runs SET settings = json_set(settings, '$.rules_sha256', 'other')",
            [],
        )
        .unwrap();
    let (code, _, stderr) = gw(dir, &["merge", "s1-1.db", "odd.db", "--into", "other.db"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("odd.db") && stderr.contains("rules"),
        "{stderr}"
    );
}

/// The merged nights hold what the unsharded runs hold (ids aside), scores included.
fn check_merged_nights_match_full_runs(dir: &Path, night: &Connection, port: u16, sites: usize) {
    // the merged nights hold what the unsharded runs hold, ids aside
    let full = db(dir, "full.db");
    for as_of in [NIGHT1, NIGHT2] {
        let (a, b) = (run_at(&full, as_of), run_at(night, as_of));
        let (want, got) = (learned(&full, a, port), learned(night, b, port));
        assert_eq!(got.sites.len(), sites);
        assert!(!got.findings.is_empty() && !got.facts.is_empty() && !got.posts.is_empty());
        assert_eq!(got.accounts.len(), 4, "{:?}", got.accounts);
        assert_eq!(got.sites, want.sites, "{as_of}");
        assert_eq!(got.findings, want.findings, "{as_of}");
        assert_eq!(got.facts, want.facts, "{as_of}");
        assert_eq!(got.per_site, want.per_site, "{as_of}");
        assert_eq!(got.accounts, want.accounts, "{as_of}");
        assert_eq!(got.posts, want.posts, "{as_of}");
        assert_eq!(scores(dir, "night.db", b), scores(dir, "full.db", a));
    }
}

/// Every row of the first night's shards arrived in the merged run, once, and its references
/// (pages to fetches, findings and pages to bodies, foreign keys) survive the remapping.
fn check_rows_arrived_once(dir: &Path, night: &Connection) {
    // every row of the shards' runs arrived, once
    let b1 = run_at(night, NIGHT1);
    for table in [
        "run_sites",
        "fetches",
        "pages",
        "samples",
        "facts",
        "findings",
        "posts",
        "run_accounts",
    ] {
        let n = |c: &Connection, run: i64| -> i64 {
            c.query_row(
                &format!("SELECT count(*) FROM {table} WHERE run_id = ?1"),
                [run],
                |r| r.get(0),
            )
            .unwrap()
        };
        let shards: i64 = (0..3).map(|k| n(&db(dir, &format!("s1-{k}.db")), 1)).sum();
        assert_eq!(n(night, b1), shards, "{table}");
    }
    // references survive the remapping
    let dangling: i64 = night
        .query_row(
            "SELECT (SELECT count(*) FROM pages p LEFT JOIN fetches f ON f.id = p.fetch_id \
               WHERE f.id IS NULL OR f.run_id != p.run_id OR f.site_id != p.site_id OR f.url != p.url) \
             + (SELECT count(*) FROM findings WHERE evidence ->> '$.body_hash' IS NOT NULL \
               AND evidence ->> '$.body_hash' NOT IN (SELECT hash FROM bodies)) \
             + (SELECT count(*) FROM pages WHERE body_hash IS NOT NULL \
               AND body_hash NOT IN (SELECT hash FROM bodies))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dangling, 0);
    assert_eq!(
        night
            .query_row("PRAGMA foreign_key_check", [], |_| Ok(()))
            .ok(),
        None,
        "no foreign key broken"
    );
}

/// The rectification report (`report --since`) of the merged file is that of the full runs, and
/// its WARC records point at the merged run's pages.
fn check_rectification_report(dir: &Path, night: &Connection, port: u16) {
    // the rectification report (report --since) is the same on the merged file
    let full = db(dir, "full.db");
    let (a1, a2) = (run_at(&full, NIGHT1), run_at(&full, NIGHT2));
    let (b1, b2) = (run_at(night, NIGHT1), run_at(night, NIGHT2));
    let want = report_json(dir, "full.db", a2, a1, "rep-full", port);
    let got = report_json(dir, "night.db", b2, b1, "rep-night", port);
    // kept for `diff` when they differ
    std::fs::write(dir.join("report-full.json"), &want).unwrap();
    std::fs::write(dir.join("report-night.json"), &got).unwrap();
    assert!(
        got == want,
        "report.json differs: diff {0}/report-full.json {0}/report-night.json",
        dir.display()
    );
    // the report's WARC records point at the merged run's pages
    let records: i64 = night
        .query_row(
            "SELECT count(*) FROM archive_records a JOIN pages p ON p.id = a.page_id \
             WHERE a.run_id = ?1 AND p.run_id = ?1",
            [b2],
            |r| r.get(0),
        )
        .unwrap();
    assert!(records > 0);
}

/// The Kubernetes manifests as YAML, against the fields the Job API requires.
fn job(path: &str) -> yaml_rust2::Yaml {
    let text = std::fs::read_to_string(govwatch_testutil::workspace_root().join(path)).unwrap();
    let mut docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(docs.len(), 1, "{path}: one document");
    let d = docs.remove(0);
    assert_eq!(d["apiVersion"].as_str(), Some("batch/v1"), "{path}");
    assert_eq!(d["kind"].as_str(), Some("Job"), "{path}");
    assert!(d["metadata"]["name"].as_str().is_some(), "{path}");
    let spec = &d["spec"];
    let pod = &spec["template"]["spec"];
    assert!(
        matches!(pod["restartPolicy"].as_str(), Some("Never" | "OnFailure")),
        "{path}: a Job's pods restart Never or OnFailure"
    );
    let containers = pod["containers"].as_vec().expect("containers");
    assert!(!containers.is_empty());
    for c in containers {
        assert!(c["name"].as_str().is_some() && c["image"].as_str().is_some());
        assert!(c["command"].as_vec().is_some(), "{path}: command");
        assert!(c["args"].as_vec().is_some(), "{path}: args");
    }
    // every mounted volume is declared
    let declared: BTreeSet<&str> = pod["volumes"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    for c in containers {
        for m in c["volumeMounts"].as_vec().unwrap() {
            assert!(declared.contains(m["name"].as_str().unwrap()), "{path}");
        }
    }
    d
}

/// The script a container runs (`sh -c SCRIPT`).
fn script(d: &yaml_rust2::Yaml) -> String {
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let cmd: Vec<&str> = c["command"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(cmd, ["/bin/sh", "-c"]);
    c["args"][0].as_str().unwrap().to_string()
}

/// The `govwatch …` command lines of a script.
fn commands(script: &str) -> Vec<String> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("govwatch "))
        .map(str::to_string)
        .collect()
}

/// `sh -n` (syntax only) on a script.
fn sh_syntax_ok(script: &str) {
    let mut c = std::process::Command::new("sh")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(c.wait().unwrap().success(), "sh -n: {script}");
}

#[test]
fn contrib_manifests_are_valid_and_match_the_readme() {
    // the page of the documentation for running at scale (the README links it)
    let readme =
        std::fs::read_to_string(govwatch_testutil::workspace_root().join("docs/scale.md")).unwrap();
    let section = readme.split("## Benchmark").next().expect("docs/scale.md");

    let shards = job("contrib/k8s/shard-job.yaml");
    let spec = &shards["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let n = spec["completions"].as_i64().expect("completions");
    assert!(n >= 1 && spec["parallelism"].as_i64().is_some_and(|p| p >= 1));
    let s = script(&shards);
    sh_syntax_ok(&s);
    let run = commands(&s);
    assert_eq!(run.len(), 1, "{s}");
    // the completion index is the shard, and N is the Job's completions
    assert!(
        run[0].contains(&format!("--shard \"$JOB_COMPLETION_INDEX/{n}\"")),
        "{}",
        run[0]
    );
    let merge = job("contrib/k8s/merge-job.yaml");
    assert_eq!(merge["spec"]["completions"].as_i64(), Some(1));
    let env = merge["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_vec()
        .unwrap();
    let shards_env = env
        .iter()
        .find(|e| e["name"].as_str() == Some("SHARDS"))
        .unwrap();
    assert_eq!(shards_env["value"].as_str(), Some(n.to_string().as_str()));
    let m = script(&merge);
    sh_syntax_ok(&m);
    let merge_cmds = commands(&m);
    assert!(merge_cmds[0].starts_with("govwatch merge "), "{m}");
    for c in run.iter().chain(&merge_cmds) {
        assert!(section.contains(c.as_str()), "README lacks `{c}`");
    }
    for c in [
        "kubectl apply -f -",
        "kubectl wait --for=condition=complete job/govwatch-shards",
        "contrib/k8s/shard-job.yaml",
        "contrib/k8s/merge-job.yaml",
    ] {
        assert!(section.contains(c), "README lacks `{c}`");
    }

    // Slurm: an array of shard runs, a merge that waits for every task (afterok)
    let slurm = govwatch_testutil::workspace_root().join("contrib/slurm");
    let sub = std::fs::read_to_string(slurm.join("submit.sh")).unwrap();
    sh_syntax_ok(&sub);
    assert!(sub.contains("--array=0-$((SHARDS - 1))"), "{sub}");
    assert!(sub.contains("--dependency=afterok:"), "{sub}");
    let task = std::fs::read_to_string(slurm.join("shard.sbatch")).unwrap();
    let after = std::fs::read_to_string(slurm.join("merge.sbatch")).unwrap();
    for s in [&task, &after] {
        sh_syntax_ok(s);
        assert!(s.starts_with("#!/bin/sh\n") && s.contains("#SBATCH --job-name="));
    }
    let slurm_cmds: Vec<String> = commands(&task)
        .into_iter()
        .chain(commands(&after))
        .collect();
    assert!(
        slurm_cmds[0].contains("--shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\""),
        "{slurm_cmds:?}"
    );
    assert!(slurm_cmds.iter().any(|c| c.starts_with("govwatch merge ")));
    for c in &slurm_cmds {
        assert!(section.contains(c.as_str()), "README lacks `{c}`");
    }
    assert!(section.contains("contrib/slurm/submit.sh"));
    assert!(section.contains("--dependency=afterok"));
}
