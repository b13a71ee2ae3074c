//! Hostile input reaching the command line (issue 27): a hostile site's title, message and
//! excerpt (escape sequences that would retitle, clear or recolour the inspector's terminal) are
//! printed escaped by `show` and `findings`; `init` never writes through a symbolic link, even a
//! dangling one.

use crate::common::{govwatch, scratch};
use govwatch_store::Store;
use rusqlite::params;

const HOSTILE: &str = "首页\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31m红字\u{202e}反向\r覆盖";

#[test]
fn show_and_findings_print_a_hostile_site_escaped() {
    let dir = scratch("hostile-cli", "show");
    let db = dir.join("govwatch.db");
    let run = {
        let mut s = Store::open(&db).unwrap();
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap();
        s.begin_run(t, &serde_json::json!({})).unwrap()
    };
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute(
        "INSERT INTO sites (id, name, home, org, region, kind, updated_at)
         VALUES ('3400000001', ?1, 'http://www.hostile.gov.test/', '单位', '某市', 'portal',
                 '2026-11-01T00:00:00+08:00')",
        [HOSTILE],
    )
    .unwrap();
    c.execute(
        "INSERT INTO run_sites (run_id, site_id, started_at, finished_at, pages, fetches, findings)
         VALUES (?1, '3400000001', '2026-11-28T02:00:00+08:00', '2026-11-28T02:01:00+08:00', 0, 0, 1)",
        [run],
    )
    .unwrap();
    c.execute(
        "INSERT INTO findings (run_id, site_id, probe, code, severity, url, message, evidence,
           observed_at)
         VALUES (?1, '3400000001', 'links', 'link.broken', 'deduct', ?2, ?3, ?4,
                 '2026-11-28T02:00:30+08:00')",
        params![
            run,
            format!("http://www.hostile.gov.test/\u{1b}[2J"),
            format!("失效链接：{HOSTILE}"),
            serde_json::json!({"status": 404, "excerpt": HOSTILE}).to_string()
        ],
    )
    .unwrap();
    c.execute("UPDATE runs SET status = 'done'", []).unwrap();
    let id: i64 = c
        .query_row("SELECT id FROM findings", [], |r| r.get(0))
        .unwrap();
    drop(c);
    let db_arg = db.to_str().unwrap();
    for args in [
        vec!["show", &id.to_string(), "--db", db_arg],
        vec!["findings", "--db", db_arg],
    ] {
        let out = govwatch(
            &dir,
            &args.iter().map(|s| s.as_ref()).collect::<Vec<&str>>(),
        )
        .output()
        .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {stdout}"
        );
        assert!(stdout.contains("失效链接"), "{args:?}: {stdout}");
        assert!(
            !stdout
                .chars()
                .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}'),
            "{args:?}: {stdout:?}"
        );
        assert!(
            stdout.contains("\\u{1b}]0;pwned\\u{7}"),
            "{args:?}: {stdout}"
        );
    }
}

#[test]
fn init_never_writes_through_a_symbolic_link() {
    let dir = scratch("hostile-cli", "init");
    let config = dir.join("site/config");
    std::fs::create_dir_all(&config).unwrap();
    // a dangling link where a rule file goes, and one to an existing file
    let outside = dir.join("outside.toml");
    std::os::unix::fs::symlink(&outside, config.join("crawl.toml")).unwrap();
    let mine = dir.join("mine.toml");
    std::fs::write(&mine, "# mine\n").unwrap();
    std::os::unix::fs::symlink(&mine, config.join("sites.toml")).unwrap();
    let out = govwatch(&dir, &["init", "site"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !outside.exists(),
        "nothing written through the dangling link"
    );
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "# mine\n");
    assert!(stdout.contains("crawl.toml（已存在，未覆盖）"), "{stdout}");
    assert!(stdout.contains("sites.toml（已存在，未覆盖）"), "{stdout}");
    // the other files were written
    assert!(config.join("indicators.toml").is_file());
}
