//! The monitoring machine's own network: a run on a machine that reaches nothing (its DNS server
//! does not answer) stops with exit 2, names the cause, and records no finding about any site;
//! with reference URLs configured and none answering, the run does not even start.

use crate::common::govwatch;
use std::path::Path;

/// A UDP port on loopback with nobody listening (bound, then closed).
fn dead_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

fn write_config(dir: &Path, crawl_extra: &str) {
    let mut sites = String::new();
    for (i, host) in [
        "www.a.offline.test",
        "www.b.offline.test",
        "www.c.offline.test",
    ]
    .iter()
    .enumerate()
    {
        sites.push_str(&format!(
            "[[site]]\nid = \"131000009{i}\"\nname = \"离线测试网站{i}\"\nhome = \"http://{host}/\"\n\
             org = \"测试单位\"\nregion = \"测试县\"\nkind = \"portal\"\n\n"
        ));
    }
    std::fs::write(dir.join("config/sites.toml"), sites).unwrap();
    std::fs::write(
        dir.join("config/crawl.toml"),
        format!(
            "dns_servers = [\"127.0.0.1:{}\"]\nretries = 0\ntimeout_secs = 3.0\nconnect_timeout_secs = 2.0\n{}\n{crawl_extra}\n",
            dead_port(),
            crate::common::TEST_CONTACT
        ),
    )
    .unwrap();
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_machine_without_network_records_nothing_and_exits_2() {
    let dir = crate::common::scratch("offline", "nodns");
    write_config(&dir, "");
    let out = govwatch(&dir, &["run", "--as-of", "2026-11-28"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("本机网络不通"), "stderr: {stderr}");
    assert!(
        stderr.contains("none of the 3 sites crawled so far got an answer from any server"),
        "the cause is named: {stderr}"
    );
    let db = dir.join("govwatch.db");
    assert_eq!(count(&db, "SELECT count(*) FROM findings"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM facts"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM run_sites"), 0);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM runs WHERE status = 'interrupted' AND note LIKE '%cannot reach the network%'"
        ),
        1,
        "the run is left resumable, with the reason"
    );
}

#[test]
fn a_reference_url_that_does_not_answer_stops_the_run_before_it_starts() {
    let dir = crate::common::scratch("offline", "reference");
    write_config(
        &dir,
        "reference_urls = [\"https://www.reference.offline.test/\"]",
    );
    let out = govwatch(&dir, &["run", "--as-of", "2026-11-28"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("本机网络不通"), "stderr: {stderr}");
    assert!(
        stderr
            .contains("none of the reference URLs answered (https://www.reference.offline.test/: "),
        "the cause is named: {stderr}"
    );
    let db = dir.join("govwatch.db");
    if db.exists() {
        assert_eq!(
            count(&db, "SELECT count(*) FROM runs"),
            0,
            "no run was begun"
        );
        assert_eq!(count(&db, "SELECT count(*) FROM findings"), 0);
    }
}
