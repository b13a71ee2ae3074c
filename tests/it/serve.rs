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

/// The address a started `govwatch serve` prints on its first line ("govwatch serve:
/// http://127.0.0.1:PORT/ over … (read-only, …); Ctrl-C stops"), and the rest of its stderr.
fn address_of(child: &mut std::process::Child) -> (String, BufReader<std::process::ChildStderr>) {
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (addr, stderr)
}

/// SIGTERM, then the exit code.
fn terminate(child: &mut std::process::Child) -> Option<i32> {
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    child.wait().unwrap().code()
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
    let (addr, _stderr) = address_of(&mut child);
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
    assert_eq!(terminate(&mut child), Some(0), "SIGTERM stops it cleanly");
}

/// Under a 256-descriptor limit, 300 idle connections neither stop the view nor exhaust its
/// descriptors (issue 27): past the connection limit it answers 503 at once, and once the idle
/// ones are cut off (the header-read limit) it answers pages again; SIGTERM still stops it.
#[test]
fn serve_outlasts_idle_connections_under_a_small_descriptor_limit() {
    let (dir, db) = empty_db("descriptors");
    let cfg = config();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_govwatch"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            &db,
            "--config",
            cfg.to_str().unwrap(),
        ])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, mut stderr) = address_of(&mut child);
    let idle: Vec<std::net::TcpStream> = (0..300)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    let ask = || -> String {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let _ = write!(
            s,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        );
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    };
    // an answer at once: the page or 503, never a hang
    let first = ask();
    assert!(
        first.starts_with("HTTP/1.1 200") || first.starts_with("HTTP/1.1 503"),
        "{first:?}"
    );
    // the page again once the idle connections are cut off
    let started = std::time::Instant::now();
    let mut answer = String::new();
    while started.elapsed() < std::time::Duration::from_secs(60) {
        answer = ask();
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(answer.contains("数据库中尚无检查批次"), "{answer:?}");
    drop(idle);
    assert_eq!(terminate(&mut child), Some(0));
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert!(!rest.contains("Too many open files"), "{rest}");
}
