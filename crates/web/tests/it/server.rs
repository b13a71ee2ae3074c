//! The listener under hostile visitors (issue 27), on an empty database over real sockets: idle
//! and slow (slowloris) connections are cut off after the header-read limit; past the connection
//! limit a connection is answered 503 at once and the view answers again as soon as the idle ones
//! are gone; a request body sent too slowly is answered 503; a client that stops reading is cut
//! off; the login goes back only to a local path; a new-media account's findings have their
//! evidence page and are listed on the run's accounts page.

use crate::common::rules;
use govwatch_store::Store;
use govwatch_web::access::{Token, access_policy};
use govwatch_web::server::{Limits, serve_on};
use govwatch_web::{App, router};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "server-token-0123456789";

fn empty_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-server-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("govwatch.db");
    drop(Store::open(&db).unwrap());
    db
}

/// Short limits, so that the tests wait seconds, not minutes.
fn quick() -> Limits {
    Limits {
        header_read: Duration::from_millis(800),
        write_stall: Duration::from_millis(800),
        request: Duration::from_millis(1500),
        max_connections: 4,
        page_tasks: 2,
        shutdown_grace: Duration::from_secs(1),
    }
}

/// The view on 127.0.0.1 (with a token when `token`), served on a thread of its own.
fn start(name: &str, limits: Limits, token: bool) -> SocketAddr {
    start_on(empty_db(name), limits, token)
}

fn start_on(db: PathBuf, limits: Limits, token: bool) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listen: SocketAddr = if token { "0.0.0.0:0" } else { "127.0.0.1:0" }
                .parse()
                .unwrap();
            let t = token.then(|| Token::new(TOKEN, "test").unwrap());
            let access = access_policy(listen, t).unwrap();
            let app = Arc::new(App::with_limits(db, rules(), access, &limits));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            serve_on(listener, router(app), limits, std::future::pending())
                .await
                .unwrap();
        });
    });
    rx.recv().unwrap()
}

/// Reads until the server closes the connection (or `wait` passes): what arrived, and whether
/// it was closed.
fn read_until_closed(s: &mut TcpStream, wait: Duration) -> (String, bool) {
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < wait {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), false)
}

fn get(addr: SocketAddr, path: &str, extra: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    // a server answering 503 at once may have closed before the request is written: what it
    // answered is read all the same
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    );
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(20));
    assert!(closed, "{answer}");
    answer
}

#[test]
fn idle_and_slow_connections_are_cut_off() {
    let addr = start("idle", quick(), false);
    // connected, nothing sent
    let mut idle = TcpStream::connect(addr).unwrap();
    let (got, closed) = read_until_closed(&mut idle, Duration::from_secs(10));
    assert!(closed && got.is_empty(), "{got:?}");
    // a head sent a byte at a time, slower than the limit allows in total
    let mut slow = TcpStream::connect(addr).unwrap();
    let head = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n");
    let start = Instant::now();
    let mut cut = false;
    for b in head.bytes() {
        if slow.write_all(&[b]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (got, closed) = read_until_closed(&mut slow, Duration::from_secs(10));
    assert!(cut || closed, "still open after {:?}", start.elapsed());
    assert!(!got.contains("200 OK"), "{got}");
    // a kept-alive connection is closed once idle
    let mut kept = TcpStream::connect(addr).unwrap();
    write!(kept, "GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let (got, closed) = read_until_closed(&mut kept, Duration::from_secs(10));
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");
    assert!(closed, "the idle kept-alive connection was not closed");
    // and the view still answers
    assert!(get(addr, "/", "").starts_with("HTTP/1.1 200 OK"));
}

#[test]
fn past_the_connection_limit_the_answer_is_503_and_the_view_comes_back() {
    let limits = Limits {
        header_read: Duration::from_secs(3),
        ..quick()
    };
    let addr = start("limit", limits, false);
    let idle: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(addr).unwrap()).collect();
    // the four slots are taken (the server has accepted them once one more is answered 503)
    let mut busy = String::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        busy = get(addr, "/", "");
        if busy.starts_with("HTTP/1.1 503") {
            break;
        }
    }
    assert!(
        busy.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{busy}"
    );
    assert!(busy.contains("Retry-After: 10"), "{busy}");
    assert!(busy.contains("too many connections"), "{busy}");
    // the idle ones are cut off after the header-read limit; then the view answers again
    let start = Instant::now();
    let mut answer = String::new();
    while start.elapsed() < Duration::from_secs(20) {
        answer = get(addr, "/", "");
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    drop(idle);
}

#[test]
fn a_body_sent_too_slowly_is_answered_503() {
    let addr = start("body", quick(), true);
    let mut s = TcpStream::connect(addr).unwrap();
    let body = format!("token={TOKEN}&next=%2F");
    write!(
        s,
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // two bytes, then nothing
    s.write_all(&body.as_bytes()[..2]).unwrap();
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(10));
    assert!(closed, "{answer}");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("request timed out"), "{answer}");
}

#[test]
fn the_login_goes_back_only_to_a_local_path() {
    let addr = start("next", quick(), true);
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    for (next, want) in [
        ("/%09/evil.example/", "/"),
        ("/%0a/evil.example/", "/"),
        ("/%5C/evil.example/", "/"),
        ("%2F%2Fevil.example%2F", "/"),
        ("%2Fruns%2F2%3Fkind%3Dportal", "/runs/2?kind=portal"),
    ] {
        // the form carries only a local path
        let form = get(addr, &format!("/login?next={next}"), &auth);
        assert!(form.starts_with("HTTP/1.1 200"), "{form}");
        assert!(
            form.contains(&format!("name=\"next\" value=\"{want}\"")),
            "{next}: {form}"
        );
        // and the right token goes there
        let body = format!("token={TOKEN}&next={next}");
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let (answer, _) = read_until_closed(&mut s, Duration::from_secs(10));
        assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
        let location = answer
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .unwrap_or_else(|| panic!("{answer}"));
        assert_eq!(location, want, "{next}");
    }
}

/// A run with one site and one new-media account whose feed is stale (a `media.stale` finding)
/// and another whose feed could not be read: every finding has its page, and the accounts page
/// lists them.
#[test]
fn media_findings_have_their_pages() {
    use govwatch_model::{
        Account, AccountResult, Evidence, Fact, FeedFailure, FeedRead, Finding, Platform, Severity,
        Site, SiteKind,
    };
    let db = empty_db("media");
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    let site = Site {
        id: "1310000001".into(),
        name: "安平县人民政府".into(),
        home: "http://www.anping.gov.test/".parse().unwrap(),
        org: "安平县人民政府办公室".into(),
        region: "安平县".into(),
        kind: SiteKind::Portal,
        overrides: Default::default(),
    };
    let account = |id: &str| Account {
        platform: Platform::Weibo,
        id: id.into(),
        name: format!("安平发布{id}"),
        org: "安平县人民政府办公室".into(),
        region: "安平县".into(),
        site: site.id.clone(),
        feed: format!("http://rsshub.test/weibo/user/{id}")
            .parse()
            .unwrap(),
    };
    let result = |a: &Account, measured: bool| AccountResult {
        account: a.clone(),
        started_at: at,
        finished_at: at,
        feed: FeedRead {
            url: a.feed.to_string(),
            fetches: vec![],
            page: None,
            format: measured.then(|| "rss2".into()),
            title: None,
            posts: vec![],
            failure: (!measured).then(|| (FeedFailure::Fetch, "HTTP 503".into())),
            over_budget: 0,
        },
        facts: vec![Fact {
            probe: "media".into(),
            code: if measured {
                "media.feed"
            } else {
                "media.not_measured"
            }
            .into(),
            url: Some(a.feed.to_string()),
            value: serde_json::json!({"account": a.key(), "reason": "fetch", "error": "HTTP 503"}),
            observed_at: at,
        }],
        findings: if measured {
            vec![Finding {
                probe: "media".into(),
                code: "media.stale".into(),
                severity: Severity::Veto,
                url: Some(a.feed.to_string()),
                value: serde_json::json!({"account": a.key(), "latest": "2026-11-01", "days": 27}),
                message: "账号「安平发布1」监测时间点前14天内无更新".into(),
                evidence: Evidence {
                    status: Some(200),
                    excerpt: Some("2026-11-01 《通知》".into()),
                    ..Default::default()
                },
                observed_at: at,
            }]
        } else {
            vec![]
        },
    };
    let (run, finding) = {
        let mut store = Store::open(&db).unwrap();
        store.upsert_sites(std::slice::from_ref(&site)).unwrap();
        let (a, b) = (account("1"), account("2"));
        store.upsert_accounts(&[a.clone(), b.clone()]).unwrap();
        let run = store.begin_run(at, &serde_json::json!({})).unwrap();
        store.write_account_result(run, &result(&a, true)).unwrap();
        store.write_account_result(run, &result(&b, false)).unwrap();
        store
            .finish_run(run, govwatch_store::RunStatus::Done, None)
            .unwrap();
        let f = store.account_findings(run).unwrap()[0].stored.id;
        (run, f)
    };
    let addr = start_on(db, Limits::default(), false);
    let page = get(addr, &format!("/findings/{finding}"), "");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("media.stale") && page.contains("weibo:1"),
        "{page}"
    );
    assert!(page.contains("监测时间点前14天内无更新"));
    let accounts = get(addr, &format!("/runs/{run}/accounts"), "");
    assert!(accounts.starts_with("HTTP/1.1 200"), "{accounts}");
    assert!(
        accounts.contains(&format!("href=\"/findings/{finding}\"")),
        "{accounts}"
    );
    assert!(
        accounts.contains("不合格") && accounts.contains("未监测"),
        "{accounts}"
    );
    assert!(accounts.contains("订阅源无法读取：HTTP 503"), "{accounts}");
    let run_page = get(addr, &format!("/runs/{run}"), "");
    assert!(
        run_page.contains(&format!("href=\"/runs/{run}/accounts\"")),
        "{run_page}"
    );
}
