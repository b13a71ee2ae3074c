//! `govwatch serve` as a command: it refuses a non-loopback listener without a token (before
//! binding anything), serves a database on loopback, and stops cleanly (exit 0) on SIGTERM. The
//! pages themselves are tested in `crates/web/tests/web.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::Command;

fn config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

fn empty_db(name: &str) -> (PathBuf, String) {
    let dir = crate::common::scratch("serve", name);
    let db = dir.join("govwatch.db");
    drop(govwatch_store::Store::open(&db).unwrap());
    (dir, db.to_str().unwrap().to_string())
}

#[test]
fn serve_refuses_a_non_loopback_listener_without_a_token() {
    let (dir, db) = empty_db("refuse");
    let cfg = config();
    let cfg = cfg.to_str().unwrap();
    let out = crate::common::govwatch(
        &dir,
        &[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--db",
            &db,
            "--config",
            cfg,
        ],
    )
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not a loopback address, so a token is required"),
        "{err}"
    );
    let out = crate::common::govwatch(
        &dir,
        &[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--token",
            "short",
            "--db",
            &db,
        ],
    )
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at least 16 characters"), "{err}");
    let out = crate::common::govwatch(&dir, &["serve", "--db", "missing.db", "--config", cfg])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("missing.db: no such database"), "{err}");
}

#[test]
fn serve_answers_on_loopback_and_stops_on_sigterm() {
    let (dir, db) = empty_db("loopback");
    let cfg = config();
    let mut child = crate::common::govwatch(
        &dir,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            &db,
            "--config",
            cfg.to_str().unwrap(),
        ],
    )
    .spawn()
    .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    // "govwatch serve: http://127.0.0.1:PORT/ over … (read-only, …); Ctrl-C stops"
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("数据库中尚无检查批次"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-security-policy: default-src 'none'")
    );
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "SIGTERM stops it cleanly");
}
