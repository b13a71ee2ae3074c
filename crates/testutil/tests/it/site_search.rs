//! Tests of the `[[search]]` site search of `_server.toml`, with a raw HTTP/1.1 client.

use crate::common::write;
use std::net::SocketAddr;
use std::time::Duration;

use govwatch_testutil::FixtureServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Upper bound for one request in these tests (never reached normally).
const LIMIT: Duration = Duration::from_secs(20);

const HOST: &str = "www.x.gov.test";
/// `数字政府`, percent-encoded as UTF-8.
const TERM_Q: &str = "%E6%95%B0%E5%AD%97%E6%94%BF%E5%BA%9C";

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `<li>` results, in page order.
    fn results(&self) -> Vec<&str> {
        self.body
            .split("<li>")
            .skip(1)
            .map(|s| s.split("</li>").next().unwrap())
            .collect()
    }
}

/// One request with `Connection: close` on a fresh connection; the body is what
/// comes after the head until EOF.
async fn send(addr: SocketAddr, method: &str, host: &str, target: &str, body: &[u8]) -> Resp {
    tokio::time::timeout(LIMIT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut req =
            format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        if !body.is_empty() {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).await.unwrap();
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.unwrap();
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(len) = parsed.parse(&buf).unwrap() else {
            panic!("incomplete response head");
        };
        Resp {
            status: parsed.code.unwrap(),
            headers: parsed
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            body: String::from_utf8(buf[len..].to_vec()).expect("UTF-8 result page"),
        }
    })
    .await
    .expect("request timed out")
}

async fn get(server: &FixtureServer, host: &str, target: &str) -> Resp {
    let host = format!("{host}:{}", server.port());
    send(server.addr_v4(), "GET", &host, target, b"").await
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "www.x.gov.test/index.html",
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>首页</title></head>\
         <body><p>欢迎访问本站</p><a href=\"/news/a.html\">要闻</a></body></html>"
            .as_bytes(),
    );
    write(
        r,
        "www.x.gov.test/news/a.html",
        "<html><head><title>数字政府 &amp; 建设通知</title>\
         <script>var x = 'nothing to see';</script></head>\
         <body><div class=\"main\"><p>本县大力推进<b>数字</b>政府建设，端口 {{PORT}}。</p>\
         <p>Digital\n   Government in  Anping</p></div></body></html>"
            .as_bytes(),
    );
    // Skipped: files and directories starting with `_`, and non-html files.
    write(
        r,
        "www.x.gov.test/_private.html",
        "<p>数字政府</p>".as_bytes(),
    );
    write(
        r,
        "www.x.gov.test/_v6/news/b.html",
        "<p>数字政府</p>".as_bytes(),
    );
    write(r, "www.x.gov.test/notes.txt", "数字政府".as_bytes());
    write(
        r,
        "www.x.gov.test/_server.toml",
        br#"
[[search]]
path = "/search/"
param = "q"

[[search]]
path = "/nothing/"
empty = true

[[search]]
path = "/post/"
method = "POST"
param = "kw"

[[search]]
path = "/gbk/"
index_host = "WWW.GBK.gov.test"

[[search]]
path = "/many"
index_host = "www.many.gov.test"
"#,
    );
    // A separate search host whose index is www.x.gov.test.
    write(
        r,
        "search.x.gov.test/_server.toml",
        br#"
[[search]]
path = "/s"
param = "wd"
index_host = "www.x.gov.test"
"#,
    );
    // A GBK site: one page declaring gb2312, one (without the term) declaring gbk.
    let (gbk_page, _, _) = encoding_rs::GBK.encode(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\" />\
         <title>安平县数字政府</title></head><body><p>县长王喆主持推进数字政府建设。</p></body></html>",
    );
    write(r, "www.gbk.gov.test/index.html", &gbk_page);
    let (other, _, _) = encoding_rs::GBK.encode(
        "<html><head><meta charset=\"gbk\"><title>其他</title></head><body>其他</body></html>",
    );
    write(r, "www.gbk.gov.test/other.htm", &other);
    // 55 matching pages.
    for i in 0..55 {
        write(
            r,
            &format!("www.many.gov.test/p{i:02}.html"),
            format!("<title>通知{i:02}</title><p>通知 {i}</p>").as_bytes(),
        );
    }
    dir
}

fn assert_no_results(r: &Resp, term: &str) {
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains(&format!(
            "<div class=\"search-info\">搜索“{term}”，共找到0条结果</div>"
        )),
        "{}",
        r.body
    );
    assert!(r.body.contains("没有找到相关结果"), "{}", r.body);
    assert!(r.results().is_empty());
}

#[tokio::test]
async fn search_finds_the_page_with_the_term() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let port = server.port();
    let r = get(&server, HOST, &format!("/search/?q={TERM_Q}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.body.starts_with(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>搜索结果</title></head><body>\n\
         <div class=\"search-info\">搜索“数字政府”，共找到1条结果</div>\n\
         <ul class=\"search-results\"><li>"
    ));
    assert!(!r.body.contains("没有找到相关结果"));
    let results = r.results();
    assert_eq!(results.len(), 1, "{}", r.body);
    assert!(
        results[0].starts_with(&format!(
            "<a href=\"http://www.x.gov.test:{port}/news/a.html\">数字政府 &amp; 建设通知</a><p>"
        )),
        "{}",
        results[0]
    );
    // The excerpt: text around the first occurrence (the title), port substituted.
    assert!(
        results[0].contains(&format!("本县大力推进数字政府建设，端口 {port}。")),
        "{}",
        results[0]
    );
    assert!(r.body.ends_with("</ul></body></html>\n"));

    // The same through HEAD: headers only, same length.
    let h = send(
        server.addr_v4(),
        "HEAD",
        HOST,
        &format!("/search/?q={TERM_Q}"),
        b"",
    )
    .await;
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    assert_eq!(
        h.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
}

#[tokio::test]
async fn plus_percent_decoding_and_case() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let port = server.port();
    let link = format!("<a href=\"http://www.x.gov.test:{port}/news/a.html\">");
    // `+` is a space, ASCII case is ignored, whitespace runs in the text collapse.
    for target in [
        "/search/?q=digital+GOVERNMENT",
        "/search/?q=Digital%20government&x=1",
        "/search/?a=b&q=%64igital++government",
        "/search/?q=%E6%95%B0%E5%AD%97%E6%94%BF%E5%BA%9C%E5%BB%BA%E8%AE%BE", // 数字政府建设
    ] {
        let r = get(&server, HOST, target).await;
        assert!(r.body.contains("共找到1条结果"), "{target}: {}", r.body);
        assert!(r.results()[0].starts_with(&link), "{target}");
    }
    let r = get(&server, HOST, "/search/?q=digital+GOVERNMENT").await;
    assert!(r.body.contains("搜索“digital GOVERNMENT”"));
    // The term is HTML-escaped; tags are not searchable text.
    let r = get(&server, HOST, "/search/?q=%3Cb%3E%22").await;
    assert!(r.body.contains("搜索“&lt;b&gt;&quot;”，共找到0条结果"));
    // Words in a script, and skipped files, are not found.
    assert_no_results(
        &get(&server, HOST, "/search/?q=nothing+to+see").await,
        "nothing to see",
    );
    let r = get(&server, HOST, "/search/?q=%E6%AC%A2%E8%BF%8E").await; // 欢迎
    assert_eq!(r.results().len(), 1);
    assert!(r.results()[0].contains(&format!(
        "http://www.x.gov.test:{port}/index.html\">首页</a>"
    )));
}

#[tokio::test]
async fn empty_search_and_missing_term() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    assert_no_results(
        &get(&server, HOST, &format!("/nothing/?q={TERM_Q}")).await,
        "数字政府",
    );
    assert_no_results(&get(&server, HOST, "/search/").await, "");
    assert_no_results(&get(&server, HOST, "/search/?x=1").await, "");
    assert_no_results(&get(&server, HOST, "/search/?q=").await, "");
    assert_no_results(&get(&server, HOST, "/search/?q=+++").await, "   ");
    assert_no_results(
        &get(&server, HOST, "/search/?q=%E6%97%A0%E6%AD%A4%E8%AF%8D").await,
        "无此词",
    );
    // The search path matches exactly; other paths are the file tree.
    assert_eq!(get(&server, HOST, "/search/x?q=1").await.status, 404);
    assert_eq!(get(&server, HOST, "/search").await.status, 404);
}

#[tokio::test]
async fn index_host_and_separate_search_host() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let port = server.port();
    let r = get(&server, "search.x.gov.test", &format!("/s?wd={TERM_Q}")).await;
    assert_eq!(r.status, 200);
    let results = r.results();
    assert_eq!(results.len(), 1, "{}", r.body);
    assert!(results[0].starts_with(&format!(
        "<a href=\"http://www.x.gov.test:{port}/news/a.html\">"
    )));
    // The search host's own name is not a parameter of the other host's entry.
    assert_no_results(
        &get(&server, "search.x.gov.test", &format!("/s?q={TERM_Q}")).await,
        "",
    );
}

#[tokio::test]
async fn gbk_pages_are_searched() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let port = server.port();
    let r = get(&server, HOST, &format!("/gbk/?q={TERM_Q}")).await;
    let results = r.results();
    assert_eq!(results.len(), 1, "{}", r.body);
    assert!(
        results[0].starts_with(&format!(
            "<a href=\"http://www.gbk.gov.test:{port}/index.html\">安平县数字政府</a>"
        )),
        "{}",
        results[0]
    );
    // 喆 is GBK but not GB2312: the gb2312 label decodes as GBK.
    assert!(results[0].contains("县长王喆主持推进数字政府建设。"));
    // The `.htm` page declaring gbk.
    let r = get(&server, HOST, "/gbk/?q=%E5%85%B6%E4%BB%96").await; // 其他
    assert_eq!(r.results().len(), 1);
    assert!(r.results()[0].contains(&format!(
        "http://www.gbk.gov.test:{port}/other.htm\">其他</a>"
    )));
}

#[tokio::test]
async fn at_most_fifty_results_sorted_by_path() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let port = server.port();
    let r = get(&server, HOST, "/many?q=%E9%80%9A%E7%9F%A5").await; // 通知
    assert!(r.body.contains("共找到55条结果"));
    let results = r.results();
    assert_eq!(results.len(), 50);
    for (i, li) in results.iter().enumerate() {
        assert!(
            li.starts_with(&format!(
                "<a href=\"http://www.many.gov.test:{port}/p{i:02}.html\">通知{i:02}</a>"
            )),
            "{li}"
        );
    }
}

#[tokio::test]
async fn post_search_reads_the_form_body() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let addr = server.addr_v4();
    let body = format!("x=1&kw={TERM_Q}");
    let r = send(addr, "POST", HOST, "/post/", body.as_bytes()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.results().len(), 1, "{}", r.body);
    // The term comes from the body only.
    let r = send(addr, "POST", HOST, &format!("/post/?kw={TERM_Q}"), b"").await;
    assert_no_results(&r, "");
    // GET of a POST search falls through to the file tree; POST elsewhere is 405.
    assert_eq!(
        get(&server, HOST, &format!("/post/?kw={TERM_Q}"))
            .await
            .status,
        404
    );
    let r = send(
        addr,
        "POST",
        HOST,
        "/search/",
        format!("q={TERM_Q}").as_bytes(),
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    // The log keeps the posted form.
    let log = server.requests_for(HOST);
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/post/");
    assert_eq!(log[0].body, body.as_bytes());
    assert_eq!(log[0].status, 200);
}

#[tokio::test]
async fn request_log_records_the_query() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    get(&server, HOST, &format!("/search/?q={TERM_Q}")).await;
    get(&server, "search.x.gov.test", "/s?wd=digital+government").await;
    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].host.as_str(), log[0].method.as_str()),
        (HOST, "GET")
    );
    assert_eq!(log[0].path, format!("/search/?q={TERM_Q}"));
    assert_eq!(log[0].status, 200);
    assert!(log[0].body.is_empty());
    assert_eq!(log[1].host, "search.x.gov.test");
    assert_eq!(log[1].path, "/s?wd=digital+government");
}

#[tokio::test]
async fn bad_search_entries_and_precedence() {
    let dir = site();
    let r = dir.path();
    write(
        r,
        "bad.gov.test/_server.toml",
        b"[[search]]\npath = \"/s\"\nmethod = \"PUT\"\n",
    );
    write(
        r,
        "typo.gov.test/_server.toml",
        b"[[search]]\npath = \"/s\"\nindex-host = \"x\"\n",
    );
    // A route on the same path wins over the search.
    write(
        r,
        "broken.gov.test/_server.toml",
        b"[[route]]\npath = \"/s\"\nstatus = 500\nbody = \"down\"\n\n[[search]]\npath = \"/s\"\n",
    );
    write(
        r,
        "broken.gov.test/index.html",
        "<p>数字政府</p>".as_bytes(),
    );
    let server = FixtureServer::start(r).await.unwrap();
    let bad = get(&server, "bad.gov.test", "/s?q=a").await;
    assert_eq!(bad.status, 500);
    assert!(bad.body.contains("method must be"), "{}", bad.body);
    assert_eq!(get(&server, "typo.gov.test", "/s?q=a").await.status, 500);
    let broken = get(&server, "broken.gov.test", &format!("/s?q={TERM_Q}")).await;
    assert_eq!((broken.status, broken.body.as_str()), (500, "down"));
    // An index host with no directory finds nothing.
    write(
        r,
        "www.x.gov.test/_server.toml",
        b"[[search]]\npath = \"/s\"\nindex_host = \"nowhere.gov.test\"\n",
    );
    assert_no_results(&get(&server, HOST, "/s?q=a").await, "a");
}

#[tokio::test]
async fn search_answers_over_ipv6_too() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let Some(v6) = server.addr_v6() else {
        eprintln!("IPv6 loopback unavailable; skipping");
        return;
    };
    let r = send(v6, "GET", HOST, &format!("/search/?q={TERM_Q}"), b"").await;
    assert_eq!(r.results().len(), 1, "{}", r.body);
}
