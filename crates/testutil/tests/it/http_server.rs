//! Tests of the fixture HTTP server with a raw HTTP/1.1 client over TcpStream.

use crate::common::write;
use std::io::Read as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use govwatch_testutil::{Fault, FixtureServer, RouteResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Upper bound for any single network operation in these tests (never reached normally).
const LIMIT: Duration = Duration::from_secs(20);

const HOST: &str = "www.a.gov.test";

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response from `stream` (body framed by Content-Length; none for HEAD).
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    head: bool,
) -> std::io::Result<Resp> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(len) = parsed.parse(buf).expect("valid response head") {
            let status = parsed.code.unwrap();
            let headers: Vec<(String, String)> = parsed
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            buf.drain(..len);
            let resp_len: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .expect("content-length always sent");
            let want = if head { 0 } else { resp_len };
            while buf.len() < want {
                if stream.read_buf(buf).await? == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            }
            let body: Vec<u8> = buf.drain(..want).collect();
            return Ok(Resp {
                status,
                headers,
                body,
            });
        }
        if stream.read_buf(buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
}

fn request_text(method: &str, host: &str, path: &str, extra: &[(&str, &str)]) -> String {
    let mut s = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (n, v) in extra {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s
}

/// One request on a fresh connection.
async fn send(
    addr: SocketAddr,
    method: &str,
    host: &str,
    path: &str,
    extra: &[(&str, &str)],
) -> Resp {
    tokio::time::timeout(LIMIT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let req = request_text(method, host, path, extra);
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        read_response(&mut stream, &mut buf, method == "HEAD")
            .await
            .unwrap()
    })
    .await
    .expect("request timed out")
}

async fn get(server: &FixtureServer, host: &str, path: &str) -> Resp {
    send(
        server.addr_v4(),
        "GET",
        &format!("{host}:{}", server.port()),
        path,
        &[],
    )
    .await
}

/// A small site tree used by most tests.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "www.a.gov.test/index.html",
        b"<html><body><a href=\"http://www.b.gov.test:{{PORT}}/\">b</a> {{PORT}}</body></html>",
    );
    write(r, "www.a.gov.test/sub/page.htm", b"<p>sub page</p>");
    write(r, "www.a.gov.test/sub/index.html", b"<p>sub index</p>");
    write(
        r,
        "www.a.gov.test/style.css",
        b"body { background: url(http://x:{{PORT}}/a.png) }",
    );
    write(r, "www.a.gov.test/app.js", b"var p = '{{PORT}}';");
    write(
        r,
        "www.a.gov.test/robots.txt",
        b"User-agent: *\nDisallow:\n",
    );
    write(r, "www.a.gov.test/img.png", b"\x89PNG{{PORT}}");
    write(r, "www.a.gov.test/file.pdf", b"%PDF-1.4");
    write(r, "www.a.gov.test/data.bin", b"\x00\x01");
    write(r, "www.a.gov.test/_private.html", b"secret");
    write(r, "www.a.gov.test/expected.toml", b"secret = true");
    write(r, "www.a.gov.test/new.html", b"<p>new page</p>");
    write(r, "www.a.gov.test/both.html", b"<p>both</p>");
    write(r, "www.a.gov.test/中.html", b"<p>zh</p>");
    // GBK: "<meta charset=gbk>" + 中文 (D6D0 CEC4) + {{PORT}}
    let mut gbk = b"<html><head><meta charset=\"gbk\"></head><body>".to_vec();
    gbk.extend_from_slice(&[0xD6, 0xD0, 0xCE, 0xC4]);
    gbk.extend_from_slice(b" {{PORT}}</body></html>");
    write(r, "www.a.gov.test/gbk.html", &gbk);
    write(
        r,
        "www.a.gov.test/_server.toml",
        br#"
[[route]]
path = "/old.html"
status = 301
location = "http://www.a.gov.test:{{PORT}}/new.html"

[[route]]
path = "/busy.html"
status = 503
retry_after = 7
body = "busy {{PORT}}"

[[route]]
path = "/both.html"
head_status = 405

[[route]]
path = "/plain"
body = "plain text"
content_type = "text/plain"
headers = { "X-Fixture" = "yes" }
"#,
    );
    write(r, "www.b.gov.test/index.html", b"<p>site b</p>");
    dir
}

#[tokio::test]
async fn serves_files_with_content_types_and_port_substitution() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let port = server.port().to_string();

    let r = get(&server, HOST, "/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("server"), Some("govwatch-fixture"));
    assert_eq!(
        r.text(),
        format!("<html><body><a href=\"http://www.b.gov.test:{port}/\">b</a> {port}</body></html>")
    );
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );

    let r = get(&server, HOST, "/sub/page.htm").await;
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("text/html"))
    );
    assert_eq!(r.text(), "<p>sub page</p>");
    let r = get(&server, HOST, "/sub/").await;
    assert_eq!(r.text(), "<p>sub index</p>");

    let r = get(&server, HOST, "/style.css").await;
    assert_eq!(r.header("content-type"), Some("text/css"));
    assert!(r.text().contains(&format!("x:{port}/")));
    let r = get(&server, HOST, "/app.js").await;
    assert_eq!(r.header("content-type"), Some("application/javascript"));
    assert_eq!(r.text(), format!("var p = '{port}';"));
    let r = get(&server, HOST, "/robots.txt").await;
    assert_eq!(r.header("content-type"), Some("text/plain"));
    // Binary files are served untouched.
    let r = get(&server, HOST, "/img.png").await;
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.body, b"\x89PNG{{PORT}}");
    let r = get(&server, HOST, "/file.pdf").await;
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let r = get(&server, HOST, "/data.bin").await;
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));

    // Percent-decoded path, host matched case-insensitively.
    let r = get(&server, "WWW.A.GOV.TEST", "/%E4%B8%AD.html").await;
    assert_eq!((r.status, r.text().as_str()), (200, "<p>zh</p>"));

    // Routing by host.
    let r = get(&server, "www.b.gov.test", "/").await;
    assert_eq!(r.text(), "<p>site b</p>");

    // Directory without slash redirects to the slash form.
    let r = get(&server, HOST, "/sub?x=1").await;
    assert_eq!((r.status, r.header("location")), (301, Some("/sub/?x=1")));
}

#[tokio::test]
async fn gbk_bytes_survive_port_substitution() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let r = get(&server, HOST, "/gbk.html").await;
    assert_eq!(r.header("content-type"), Some("text/html"));
    let mut want = b"<html><head><meta charset=\"gbk\"></head><body>".to_vec();
    want.extend_from_slice(&[0xD6, 0xD0, 0xCE, 0xC4]);
    want.extend_from_slice(format!(" {}</body></html>", server.port()).as_bytes());
    assert_eq!(r.body, want);
}

#[tokio::test]
async fn hidden_missing_and_unknown_are_404() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    for path in [
        "/_server.toml",
        "/_private.html",
        "/expected.toml",
        "/missing.html",
        "/nodir/x.html",
    ] {
        let r = get(&server, HOST, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("content-type"), Some("text/html"));
        assert!(r.text().contains("404"));
    }
    let r = get(&server, "www.unknown.gov.test", "/").await;
    assert_eq!(r.status, 404);
    // Raw `..` is refused, encoded too.
    assert_eq!(
        get(&server, HOST, "/../www.b.gov.test/index.html")
            .await
            .status,
        403
    );
    assert_eq!(get(&server, HOST, "/sub/%2e%2e/%2e%2e/x").await.status, 403);
    // Other methods.
    // The request body is skipped and the connection stays usable.
    let mut stream = TcpStream::connect(server.addr_v4()).await.unwrap();
    let two = request_text("POST", HOST, "/", &[("Content-Length", "3")])
        + "abc"
        + &request_text("GET", HOST, "/new.html", &[]);
    stream.write_all(two.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let r = tokio::time::timeout(LIMIT, read_response(&mut stream, &mut buf, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let r = tokio::time::timeout(LIMIT, read_response(&mut stream, &mut buf, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.status, r.text().as_str()), (200, "<p>new page</p>"));
}

#[tokio::test]
async fn server_toml_routes() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let port = server.port();

    let r = get(&server, HOST, "/old.html").await;
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location"),
        Some(format!("http://www.a.gov.test:{port}/new.html").as_str())
    );
    // The query does not prevent the match.
    assert_eq!(get(&server, HOST, "/old.html?a=b").await.status, 301);

    let r = get(&server, HOST, "/busy.html").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.text(), format!("busy {port}"));

    // head_status: HEAD gets 405, GET the file.
    let addr = server.addr_v4();
    let r = send(addr, "HEAD", HOST, "/both.html", &[]).await;
    assert_eq!(r.status, 405);
    let r = send(addr, "GET", HOST, "/both.html", &[]).await;
    assert_eq!((r.status, r.text().as_str()), (200, "<p>both</p>"));
    assert_eq!(r.header("content-type"), Some("text/html"));

    let r = get(&server, HOST, "/plain").await;
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("x-fixture"), Some("yes"));
    assert_eq!(r.text(), "plain text");
}

#[tokio::test]
async fn head_sends_headers_only_with_get_length() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let addr = server.addr_v4();
    let got = send(addr, "GET", HOST, "/", &[]).await;
    // Send HEAD then GET on one connection: if HEAD leaked a body the GET would misparse.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let two = request_text("HEAD", HOST, "/", &[]) + &request_text("GET", HOST, "/new.html", &[]);
    stream.write_all(two.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let head = tokio::time::timeout(LIMIT, read_response(&mut stream, &mut buf, true))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(got.body.len().to_string().as_str())
    );
    let next = tokio::time::timeout(LIMIT, read_response(&mut stream, &mut buf, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.text(), "<p>new page</p>");
}

#[tokio::test]
async fn keep_alive_and_connection_close() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let mut stream = TcpStream::connect(server.addr_v4()).await.unwrap();
    let mut buf = Vec::new();
    for _ in 0..3 {
        stream
            .write_all(request_text("GET", HOST, "/new.html", &[]).as_bytes())
            .await
            .unwrap();
        let r = tokio::time::timeout(LIMIT, read_response(&mut stream, &mut buf, false))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
    stream
        .write_all(request_text("GET", HOST, "/new.html", &[("Connection", "close")]).as_bytes())
        .await
        .unwrap();
    let r = tokio::time::timeout(LIMIT, read_response(&mut stream, &mut buf, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.header("connection"), Some("close"));
    let mut rest = Vec::new();
    let n = tokio::time::timeout(LIMIT, stream.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 0, "server closes after Connection: close");
    // All four came in over one connection.
    let peers: std::collections::HashSet<_> = server.requests().iter().map(|r| r.peer).collect();
    assert_eq!(peers.len(), 1);
}

#[tokio::test]
async fn request_log_records_requests() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let host_port = format!("WWW.A.GOV.TEST:{}", server.port());
    let before = Instant::now();
    send(
        server.addr_v4(),
        "GET",
        &host_port,
        "/new.html?q=1",
        &[("User-Agent", "govwatch-test/1.0")],
    )
    .await;
    send(server.addr_v4(), "HEAD", "www.b.gov.test", "/missing", &[]).await;
    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].host, "www.a.gov.test");
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/new.html?q=1");
    assert_eq!(log[0].user_agent.as_deref(), Some("govwatch-test/1.0"));
    assert_eq!(log[0].status, 200);
    assert!(log[0].peer.ip().is_loopback());
    assert!(log[0].at >= before && log[1].at >= log[0].at);
    assert_eq!(
        (
            log[1].method.as_str(),
            log[1].status,
            log[1].user_agent.clone()
        ),
        ("HEAD", 404, None)
    );
    let b = server.requests_for("www.B.gov.test:80");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].path, "/missing");
    server.clear_log();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn answers_on_ipv6_when_available() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let Some(v6) = server.addr_v6() else {
        eprintln!("IPv6 loopback unavailable; v6 check skipped");
        return;
    };
    assert!(server.has_v6());
    assert_eq!(v6.port(), server.port());
    let r = send(v6, "GET", HOST, "/new.html", &[]).await;
    assert_eq!(r.text(), "<p>new page</p>");
    let log = server.requests();
    assert!(log[0].peer.is_ipv6(), "{:?}", log[0].peer);
}

#[tokio::test]
async fn url_and_dynamic_routes() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let u = server.url("www.a.gov.test", "/x/y.html?z=1");
    assert_eq!(
        u.as_str(),
        format!("http://www.a.gov.test:{}/x/y.html?z=1", server.port())
    );
    assert_eq!(server.url("a.test", "p").path(), "/p");
    assert_eq!(server.root(), dir.path());

    server.add_route(
        "dyn.gov.test",
        "/hello",
        RouteResponse::new(202, b"hi".to_vec()).with_header("X-Test", "1"),
    );
    // The host needs no directory; the query is ignored when matching.
    let r = get(&server, "dyn.gov.test", "/hello?x").await;
    assert_eq!(
        (r.status, r.text().as_str(), r.header("x-test")),
        (202, "hi", Some("1"))
    );
    // Dynamic routes override files.
    server.add_route(HOST, "/new.html", RouteResponse::html("override"));
    let r = get(&server, HOST, "/new.html").await;
    assert_eq!(
        (r.text().as_str(), r.header("content-type")),
        ("override", Some("text/html"))
    );
    server.clear_routes();
    assert_eq!(
        get(&server, HOST, "/new.html").await.text(),
        "<p>new page</p>"
    );
}

#[tokio::test]
async fn fault_delay_status_and_precedence() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    server.set_fault(HOST, "/", Fault::Status(500));
    server.set_fault(HOST, "/sub/", Fault::Delay(Duration::from_millis(200)));
    let r = get(&server, HOST, "/new.html").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("text/html"));
    let started = Instant::now();
    let r = get(&server, HOST, "/sub/page.htm").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!((r.status, r.text().as_str()), (200, "<p>sub page</p>"));
    // Other hosts are unaffected; a wildcard host applies to all.
    assert_eq!(get(&server, "www.b.gov.test", "/").await.status, 200);
    server.set_fault("*", "/", Fault::Status(418));
    assert_eq!(get(&server, "www.b.gov.test", "/").await.status, 418);
    assert_eq!(
        get(&server, HOST, "/").await.status,
        500,
        "exact host beats *"
    );
    server.clear_faults();
    assert_eq!(get(&server, HOST, "/new.html").await.status, 200);
}

#[tokio::test]
async fn fault_reset_closes_without_answer() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    server.set_fault(HOST, "/new", Fault::Reset);
    let mut stream = TcpStream::connect(server.addr_v4()).await.unwrap();
    stream
        .write_all(request_text("GET", HOST, "/new.html", &[]).as_bytes())
        .await
        .unwrap();
    let mut got = Vec::new();
    let res = tokio::time::timeout(LIMIT, stream.read_to_end(&mut got))
        .await
        .unwrap();
    // Either a reset error or EOF, and never any response bytes.
    match res {
        Ok(n) => assert_eq!(n, 0),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    assert!(got.is_empty());
    let log = server.requests();
    assert_eq!((log.len(), log[0].status), (1, 0));
}

#[tokio::test]
async fn fault_slow_body_drips_full_body() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    server.set_fault(
        HOST,
        "/new.html",
        Fault::SlowBody {
            chunk: 4,
            interval: Duration::from_millis(20),
        },
    );
    let started = Instant::now();
    let r = get(&server, HOST, "/new.html").await;
    // 15 bytes in 4 chunks, so at least 3 pauses.
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert_eq!(r.header("content-length"), Some("15"));
    assert_eq!(r.text(), "<p>new page</p>");
}

#[tokio::test]
async fn fault_huge_body_is_streamed() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let size: u64 = 5 * 1024 * 1024 + 17;
    server.set_fault(HOST, "/huge", Fault::HugeBody(size));
    let r = get(&server, HOST, "/huge").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.body.len() as u64, size);
    assert!(r.body.starts_with(b"<!DOCTYPE html>"));
    // Tiny sizes are exact too, and HEAD has no body.
    server.set_fault(HOST, "/tiny", Fault::HugeBody(3));
    assert_eq!(get(&server, HOST, "/tiny").await.body, b"<!D");
    let h = send(server.addr_v4(), "HEAD", HOST, "/huge", &[]).await;
    assert_eq!(h.header("content-length"), Some(size.to_string().as_str()));
}

#[tokio::test]
async fn fault_redirects() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    server.set_fault(HOST, "/a", Fault::RedirectLoop);
    let r = get(&server, HOST, "/a").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/a?loop=1")));
    let r = get(&server, HOST, "/a?loop=1").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/a")));

    server.set_fault(
        HOST,
        "/go",
        Fault::Redirect {
            status: 307,
            location: "http://www.b.gov.test:{{PORT}}/".into(),
        },
    );
    let r = get(&server, HOST, "/go").await;
    assert_eq!(r.status, 307);
    assert_eq!(
        r.header("location"),
        Some(format!("http://www.b.gov.test:{}/", server.port()).as_str())
    );
}

#[tokio::test]
async fn fault_gzip_compresses_normal_body() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let plain = get(&server, HOST, "/").await;
    server.set_fault(HOST, "/", Fault::Gzip);
    let r = get(&server, HOST, "/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some("text/html"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, plain.body);
}

#[tokio::test]
async fn fault_fail_times_then_normal() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    server.set_fault(
        HOST,
        "/new.html",
        Fault::FailTimes {
            times: 2,
            status: 503,
        },
    );
    let statuses = [
        get(&server, HOST, "/new.html").await.status,
        get(&server, HOST, "/new.html").await.status,
        get(&server, HOST, "/new.html").await.status,
        get(&server, HOST, "/new.html").await.status,
    ];
    assert_eq!(statuses, [503, 503, 200, 200]);
    let logged: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(logged, statuses);
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let addr = server.addr_v4();
    assert_eq!(send(addr, "GET", HOST, "/", &[]).await.status, 200);
    drop(server);
    // The accept task is aborted; give the runtime a moment to drop the listener.
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "listener still open after drop");
}
