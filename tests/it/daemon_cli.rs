//! `govwatch daemon`, the real binary: it runs the missed nightly crawl at start; stopped with
//! SIGTERM (exit 0) and killed with SIGKILL in the middle of it, and started again each time, it
//! resumes the same run, which then records
//! per site exactly the pages, fetches and findings of a run that was never killed. SIGTERM
//! stops it with exit 0. `govwatch status --json` reports the sites.

use crate::common::govwatch;
use govwatch_testutil::TestNet;
use govwatch_testutil::fixtures::{FixtureSite, load_fixture_sites};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn write_config(dir: &Path, net: &TestNet, sites: &[FixtureSite]) {
    crate::common::write_config(
        dir,
        net,
        sites,
        "rate = 20.0\nretries = 0\nipv6 = false\nsite_concurrency = 1",
    );
    // The nightly slot (00:00 UTC) has always passed today: the run is due at the first start.
    // Samples every 10 hours: only the first site is sampled during the test.
    std::fs::write(
        dir.join("config/daemon.toml"),
        "interval_minutes = 600.0\njitter_minutes = 0.0\nnightly_at = \"00:00\"\ntimezone = \"UTC\"\nshutdown_grace_secs = 5.0\n",
    )
    .unwrap();
}

fn query_i64(db: &Path, sql: &str) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

fn wait_until(child: &mut Child, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while !cond() {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("govwatch daemon ended ({st}) before {what}");
        }
        assert!(Instant::now() < deadline, "{what}: not in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, sig: &str) {
    assert!(
        Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

/// (site, pages, fetches, findings) of every site of a run.
/// Per site of a run: pages, the site's own page and robots.txt requests, the URLs it checked
/// (its own requests or answers shared within the run), findings. A link check answered by
/// another site's request in the same invocation costs no request of its own, so the raw request
/// count of a resumed run legitimately differs from an unkilled one; what it checked does not.
fn run_counts(db: &Path, run_id: i64) -> Vec<(String, i64, i64, i64, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare(
            "SELECT r.site_id, r.pages,
                    (SELECT count(*) FROM fetches f WHERE f.run_id = r.run_id AND f.site_id = r.site_id
                        AND f.purpose IN ('page', 'robots')),
                    (SELECT json_extract(value, '$.checked') FROM facts x WHERE x.run_id = r.run_id
                        AND x.site_id = r.site_id AND x.code = 'link.summary'),
                    r.findings
             FROM run_sites r WHERE r.run_id = ?1 ORDER BY r.site_id",
        )
        .unwrap();
    st.query_map([run_id], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get::<_, Option<i64>>(3)?.unwrap_or(-1),
            r.get(4)?,
        ))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

#[test]
fn daemon_killed_mid_crawl_resumes_and_matches_an_unkilled_run() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = govwatch_testutil::fixtures_sites_dir();
    let net = rt.block_on(TestNet::start(&root)).unwrap();
    // every fixture site but the one whose robots.txt asks for a 2-second Crawl-delay (slow)
    let all: Vec<FixtureSite> = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    crate::common::assert_fixture_hosts("fixtures/sites", &all, crate::common::SITES_HOSTS);
    let sites: Vec<FixtureSite> = all
        .into_iter()
        .filter(|f| f.host != "www.sjj.anping.gov.test")
        .collect();
    assert_eq!(sites.len(), crate::common::SITES_HOSTS.len() - 1);
    let total = sites.len() as i64;
    let dir = crate::common::scratch("dcli", "kill");
    write_config(&dir, &net, &sites);

    // One page of the third site answers after 3 s, so its crawl is long enough to be stopped
    // in (the reference run below waits the same).
    let slow = "www.fgw.anping.gov.test";
    net.http.set_fault(
        slow,
        "/jgzn/",
        govwatch_testutil::Fault::Delay(Duration::from_secs(3)),
    );
    stop_after_the_first_site(&dir, total);
    let samples_before = kill_on_the_slow_site(&dir, &net, slow, total);
    resume_to_the_end(&dir, total, samples_before);
    check_same_as_an_unkilled_run(&dir, &net, &sites);
    check_status_json(&dir, &sites);
}

/// The daemon's command line in the scratch folder.
const DAEMON: [&str; 5] = ["daemon", "--config", "config", "--db", "govwatch.db"];

/// The missed nightly run starts at once; SIGTERM after the first site is committed: exit 0, the
/// run interrupted with its committed sites kept.
fn stop_after_the_first_site(dir: &Path, total: i64) {
    let (db, args) = (dir.join("govwatch.db"), DAEMON);
    // 1. the missed nightly run starts at once; SIGTERM after the first site is committed:
    // exit 0, the run interrupted with its committed sites kept
    let mut child = govwatch(dir, &args).spawn().unwrap();
    wait_until(&mut child, "the first site committed", || {
        query_i64(&db, "SELECT count(*) FROM run_sites") >= 1
    });
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "SIGTERM exits 0; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = query_i64(&db, "SELECT count(*) FROM run_sites");
    assert!(
        done >= 1 && done < total,
        "stopped part way: {done} of {total}"
    );
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM runs WHERE status = 'interrupted'"
        ),
        1
    );
}

/// Started again, the daemon resumes the run; killed (SIGKILL) while it crawls the slow site.
/// Returns the number of the daemon's own samples then.
fn kill_on_the_slow_site(dir: &Path, net: &TestNet, slow: &str, total: i64) -> i64 {
    let (db, args) = (dir.join("govwatch.db"), DAEMON);
    // 2. started again, it resumes the run; kill -9 while it crawls the slow site
    let before = net.http.requests_for(slow).len();
    let mut child = govwatch(dir, &args).spawn().unwrap();
    wait_until(&mut child, "the slow site being crawled", || {
        net.http.requests_for(slow).len() > before
    });
    signal(&child, "-KILL");
    child.wait().unwrap();
    let done = query_i64(&db, "SELECT count(*) FROM run_sites");
    assert!(
        done >= 1 && done < total,
        "killed part way: {done} of {total}"
    );
    query_i64(&db, "SELECT count(*) FROM samples WHERE run_id IS NULL")
}

/// Started a third time, the same run is resumed and finished; SIGTERM stops it cleanly. One
/// run, every site, the daemon's samples kept, none twice.
fn resume_to_the_end(dir: &Path, total: i64, samples_before: i64) {
    let (db, args) = (dir.join("govwatch.db"), DAEMON);
    // 3. started a third time: the same run is resumed and finished
    let mut child = govwatch(dir, &args).spawn().unwrap();
    wait_until(&mut child, "the run finished", || {
        query_i64(&db, "SELECT count(*) FROM runs WHERE status = 'done'") == 1
    });
    // SIGTERM: a clean stop, exit 0
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM runs"),
        1,
        "one run, resumed"
    );
    assert_eq!(query_i64(&db, "SELECT count(*) FROM run_sites"), total);
    assert!(
        query_i64(&db, "SELECT count(*) FROM samples WHERE run_id IS NULL") >= samples_before,
        "daemon samples kept"
    );
    let dup = query_i64(
        &db,
        "SELECT count(*) FROM (SELECT site_id, url, at, family FROM samples GROUP BY 1, 2, 3, 4 HAVING count(*) > 1)",
    );
    assert_eq!(dup, 0, "no sample stored twice");
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM daemon_state WHERE key = 'nightly.status' AND value = 'done'"
        ),
        1
    );
}

/// The same run, never killed, at the same monitoring time, records per site what the resumed
/// one did.
fn check_same_as_an_unkilled_run(dir: &Path, net: &TestNet, sites: &[FixtureSite]) {
    let db = dir.join("govwatch.db");
    // 4. the same run, never killed, at the same monitoring time
    let as_of: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT as_of FROM runs WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    let ref_dir = crate::common::scratch("dcli", "reference");
    write_config(&ref_dir, net, sites);
    let out = govwatch(&ref_dir, &["run", "--as-of", &as_of])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings present; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ref_db = ref_dir.join("govwatch.db");
    assert_eq!(run_counts(&db, 1), run_counts(&ref_db, 1));
    assert_eq!(
        crate::common::stored_findings(&db, net.http.port()),
        crate::common::stored_findings(&ref_db, net.http.port())
    );
}

/// `status --json`: every site with its last crawl, sample and warnings; the first site sampled
/// by the daemon, which computed its window.
fn check_status_json(dir: &Path, sites: &[FixtureSite]) {
    // 5. status --json
    let out = govwatch(dir, &["status", "--json", "--db", "govwatch.db"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), sites.len());
    for (row, fx) in rows.iter().zip(sites) {
        assert_eq!(row["id"], fx.site.id.as_str());
        assert_eq!(row["last_crawl"]["run_id"], 1, "{row}");
        assert!(row["warnings"].is_array());
        // every site has at least the run's own home page sample
        assert!(row["last_sample"]["at"].is_string(), "{row}");
    }
    // the first site was sampled by the daemon, which computed its window
    let first = &rows[0];
    assert!(
        first["availability"]["samples"].as_u64().unwrap() >= 1,
        "{first}"
    );
    assert_eq!(first["availability"]["unreachable"], false);
    let open: Vec<(&str, &str)> = rows
        .iter()
        .flat_map(|r| {
            r["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| (r["id"].as_str().unwrap(), w["code"].as_str().unwrap()))
        })
        .collect();
    assert_eq!(out.status.code(), Some(if open.is_empty() { 0 } else { 1 }));
    eprintln!("open warnings: {open:?}");
}
