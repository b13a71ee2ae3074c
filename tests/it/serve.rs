//! `govwatch serve` as a command: it refuses a non-loopback listener without a token (before
//! binding anything), serves a database on loopback, and stops cleanly (exit 0) on SIGTERM. The
//! pages themselves are tested in `crates/web/tests/it/web.rs`.

use std::io::{Read, Write};
use std::path::PathBuf;

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
    assert!(err.contains("不是本机地址，需要访问令牌"), "{err}");
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
    assert!(err.contains("令牌至少要 16 个字符"), "{err}");
    let out = crate::common::govwatch(&dir, &["serve", "--db", "missing.db", "--config", cfg])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("missing.db：没有这个数据库"), "{err}");
}

/// `serve` in a folder without `config/` (the demo's) takes the shipped rules, as every command
/// does; a taken port says which option changes it.
#[test]
fn serve_takes_the_shipped_rules_and_names_listen_when_the_port_is_taken() {
    let (dir, db) = empty_db("shipped");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let out = crate::common::govwatch(&dir, &["serve", "--listen", &listen, "--db", &db])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("端口 {port} 已被占用")) && err.contains("--listen 127.0.0.1:端口"),
        "{err}"
    );
    drop(taken);
    let mut child =
        crate::common::govwatch(&dir, &["serve", "--listen", "127.0.0.1:0", "--db", &db])
            .spawn()
            .unwrap();
    let (line, _) = crate::common::serve_start_line(&mut child);
    assert!(line.contains("按 内置的评分规则 评分"), "{line}");
    crate::common::stop_serve(child);
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
    // "govwatch serve：请在浏览器中打开 http://127.0.0.1:PORT/（只读查看 …）；按 Ctrl-C 停止"
    let (_, addr) = crate::common::serve_start_line(&mut child);
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
    crate::common::stop_serve(child);
}

/// Under a 256-descriptor limit, 300 idle connections neither stop the view nor exhaust its
/// descriptors (issue 27): past the connection limit it answers 503 at once, and once the idle
/// ones are cut off (the header-read limit) it answers pages again; SIGTERM still stops it.
#[test]
fn serve_outlasts_idle_connections_under_a_small_descriptor_limit() {
    let (dir, db) = empty_db("descriptors");
    let cfg = config();
    let mut child = std::process::Command::new("sh")
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
    let (_, addr, mut stderr) = crate::common::serve_start(&mut child);
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
    let mut rest = String::new();
    crate::common::stop_serve(child);
    let _ = stderr.read_to_string(&mut rest);
    assert!(!rest.contains("Too many open files"), "{rest}");
}
