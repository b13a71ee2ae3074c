//! Hostile sites (issue 16) against the fixture server: what the crawl does and what a person
//! sees of it (the notes that become facts, the requests the server got).
//!
//! Memory is measured by a counting allocator (the peak of live heap bytes), CPU by the process's
//! CPU time (`/proc/self/stat`); the tests of this file run one at a time, with no other test of
//! the binary beside them ([`crate::common::alone`]), so each measures itself.

use govwatch_crawler::{CrawlSettings, Crawler, FetchSpec};
use govwatch_model::{CrawlNote, FetchError, Site, SiteCrawl};
use govwatch_testutil::{Fault, RouteResponse, TestNet};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// CPU time (user + system) of the whole process, from `/proc/self/stat` (Linux).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// A fixture root of its own: `files` are `(host, path, content)`.
fn root(name: &str, files: &[(&str, &str, &[u8])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (host, path, content) in files {
        let p = dir.join(host).join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

fn settings(net: &TestNet) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        rate: 50.0,
        retries: 0,
        ipv6: false,
        check_external: false,
        ..CrawlSettings::default()
    }
}

fn site(net: &TestNet, host: &str) -> Site {
    Site {
        id: "3400000016".into(),
        name: "测试网站".into(),
        home: net.http.url(host, "/"),
        org: String::new(),
        region: String::new(),
        kind: govwatch_model::SiteKind::Department,
        overrides: Default::default(),
    }
}

fn note<'a>(c: &'a SiteCrawl, code: &str) -> Option<&'a CrawlNote> {
    c.notes.iter().find(|n| n.code == code)
}

fn codes(c: &SiteCrawl) -> Vec<&str> {
    c.notes.iter().map(|n| n.code.as_str()).collect()
}

const HOME: &[u8] = b"<html><head><title>home</title></head><body>\
    <a href=\"/a.html\">news a</a> <a href=\"/b.html\">news b</a></body></html>";
const PAGE: &[u8] = b"<html><body><p>page</p></body></html>";

#[tokio::test]
async fn a_robots_bomb_is_read_to_500_kib_and_not_compiled() {
    let _serial = crate::common::alone().await;
    // 100,000 wildcard rules (2.3 MB): the old crawler compiled one pattern per rule
    let mut bomb = String::from("User-agent: *\n");
    for i in 0..100_000 {
        bomb.push_str(&format!("Disallow: /x{i}/*.htm$\n"));
    }
    let host = "www.bomb.gov.test";
    let net = TestNet::start(root(
        "bomb",
        &[
            (host, "index.html", HOME),
            (host, "a.html", PAGE),
            (host, "b.html", PAGE),
            (host, "robots.txt", bomb.as_bytes()),
        ],
    ))
    .await
    .unwrap();
    let c = Crawler::new(settings(&net)).unwrap();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let crawl = c.crawl_site(&site(&net, host)).await;
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    // the 526 KB file once took 451 MB; the limit here is the bounded read and no compiling
    assert!(peak < 48 << 20, "peak heap during the crawl: {peak} bytes");
    let robots = crawl
        .fetches
        .iter()
        .find(|f| f.url.ends_with("/robots.txt"))
        .expect("robots.txt fetched");
    assert_eq!(robots.status, Some(200));
    assert!(robots.bytes <= 512_000, "read {} bytes", robots.bytes);
    let n = note(&crawl, "robots.too_many_rules").expect("the refusal is noted");
    assert_eq!(n.value["max_rules"], 2000);
    assert!(n.value["rules"].as_u64().unwrap() > 20_000);
    assert!(n.value["bytes_read"].as_u64().unwrap() <= 512_000);
    // a file we cannot read forbids the crawl: the home page only (the mandated check)
    assert_eq!(crawl.pages.len(), 1);
    assert!(crawl.robots_blocked.iter().any(|u| u.ends_with("/a.html")));
    let asked: Vec<String> = net
        .http
        .requests_for(host)
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(asked, ["/robots.txt", "/"]);
}

#[tokio::test]
async fn an_oversized_robots_txt_starting_disallow_all_forbids_all() {
    let _serial = crate::common::alone().await;
    let mut big = String::from("User-agent: *\nDisallow: /\n");
    while big.len() < 3 << 20 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    let host = "www.bigrobots.gov.test";
    let net = TestNet::start(root(
        "bigrobots",
        &[
            (host, "index.html", HOME),
            (host, "a.html", PAGE),
            (host, "b.html", PAGE),
            (host, "robots.txt", big.as_bytes()),
        ],
    ))
    .await
    .unwrap();
    let c = Crawler::new(settings(&net)).unwrap();
    let crawl = c.crawl_site(&site(&net, host)).await;
    assert_eq!(crawl.pages.len(), 1, "only the mandated home page");
    assert!(crawl.robots_blocked.iter().any(|u| u.ends_with("/a.html")));
    assert!(note(&crawl, "robots.too_many_rules").is_none());
    assert!(note(&crawl, "site.not_inspected").is_none());
    let asked: Vec<String> = net
        .http
        .requests_for(host)
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(asked, ["/robots.txt", "/"]);
}

#[tokio::test]
async fn nesting_bombs_stay_within_a_cpu_budget() {
    let _serial = crate::common::alone().await;
    let divs = format!(
        "<html><body>{}<a href=\"/x.html\">x</a></body></html>",
        "<div>".repeat(100_000)
    );
    let tables = format!(
        "<html><body>{}<a href=\"/art/1.html\">关于开展专项检查的通知</a> 2026-11-20{}</body></html>",
        "<table><tr><td>".repeat(30_000),
        "</td></tr></table>".repeat(30_000)
    );
    let host = "www.nest.gov.test";
    let bomb_home = "www.nesthome.gov.test";
    let net = TestNet::start(root(
        "nest",
        &[
            (host, "index.html", HOME),
            (host, "a.html", divs.as_bytes()),
            (host, "b.html", tables.as_bytes()),
            (bomb_home, "index.html", divs.as_bytes()),
        ],
    ))
    .await
    .unwrap();
    let c = Crawler::new(settings(&net)).unwrap();
    let before = process_cpu();
    let crawl = c.crawl_site(&site(&net, host)).await;
    let home_bomb = c.crawl_site(&site(&net, bomb_home)).await;
    let after = process_cpu();
    if let (Some(b), Some(a)) = (before, after) {
        // 100,000 nested <div> once took 80 s, 30,000 nested tables 215 s
        assert!(a - b < Duration::from_secs(10), "CPU used: {:?}", a - b);
    }
    // the two pages are kept (fetched, hashed) but not parsed, and a person sees why
    let over: Vec<&CrawlNote> = crawl
        .notes
        .iter()
        .filter(|n| n.code == "page.budget_exceeded")
        .collect();
    assert_eq!(over.len(), 2, "{:?}", codes(&crawl));
    for n in &over {
        assert_eq!(n.value["max_depth"], 1000);
        assert_eq!(n.value["depth"], 1001, "stopped just past the limit");
        let url = n.url.as_deref().unwrap();
        let page = crawl.pages.iter().find(|p| p.fetch.url == url).unwrap();
        assert!(!page.is_html && page.links.is_empty());
        assert!(page.fetch.content_hash.is_some());
        assert!(!page.text.is_empty(), "kept as evidence");
    }
    assert!(note(&crawl, "site.not_inspected").is_none());
    // a home page over the budget: the site was not inspected
    let n = note(&home_bomb, "site.not_inspected").expect("not inspected");
    assert_eq!(n.value["reason"], "page_budget");
}

#[tokio::test]
async fn a_crawl_delay_within_the_cap_is_honoured_and_beyond_it_refuses() {
    let _serial = crate::common::alone().await;
    let slow = "www.slow.gov.test";
    let refusing = "www.refusing.gov.test";
    let net = TestNet::start(root(
        "delay",
        &[
            (slow, "index.html", HOME),
            (slow, "a.html", PAGE),
            (slow, "b.html", PAGE),
            (slow, "robots.txt", b"User-agent: *\nCrawl-delay: 1.5\n"),
            (refusing, "index.html", HOME),
            (
                refusing,
                "robots.txt",
                b"User-agent: *\nCrawl-delay: 3600\n",
            ),
        ],
    ))
    .await
    .unwrap();
    let mut s = settings(&net);
    s.check_links = false;
    let c = Crawler::new(s).unwrap();
    let crawl = c.crawl_site(&site(&net, slow)).await;
    assert_eq!(crawl.pages.len(), 3, "every page fetched");
    assert_eq!(crawl.samples.len(), 1);
    assert!(crawl.notes.is_empty(), "{:?}", codes(&crawl));
    let log = net.http.requests_for(slow);
    for w in log.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(1400), "gap {gap:?}");
    }
    // Crawl-delay: 3600, beyond the 30 s honoured: the home page is never asked
    let crawl = c.crawl_site(&site(&net, refusing)).await;
    let asked: Vec<String> = net
        .http
        .requests_for(refusing)
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(asked, ["/robots.txt"]);
    assert!(
        crawl.samples.is_empty(),
        "no availability sample of a request not made"
    );
    let n = note(&crawl, "site.not_inspected").expect("not inspected");
    assert_eq!(n.value["reason"], "crawl_refused");
    assert!(
        n.value["detail"]
            .as_str()
            .unwrap()
            .contains("Crawl-delay 3600")
    );
    let h = note(&crawl, "host.crawl_refused").expect("the host is named");
    assert_eq!(h.value["host"], refusing);
}

#[tokio::test]
async fn redirect_loops_and_long_chains_leave_the_site_not_inspected() {
    let _serial = crate::common::alone().await;
    let looping = "www.loop.gov.test";
    let chain = "www.chain.gov.test";
    let net = TestNet::start(root(
        "redirects",
        &[(looping, "index.html", HOME), (chain, "index.html", HOME)],
    ))
    .await
    .unwrap();
    net.http.set_fault(looping, "/", Fault::RedirectLoop);
    for i in 0..50 {
        let path = if i == 0 {
            "/".to_string()
        } else {
            format!("/r{i}")
        };
        net.http.add_route(
            chain,
            &path,
            RouteResponse::new(302, "").with_header("Location", format!("/r{}", i + 1)),
        );
    }
    let c = Crawler::new(settings(&net)).unwrap();
    let crawl = c.crawl_site(&site(&net, looping)).await;
    assert_eq!(crawl.pages[0].fetch.error, Some(FetchError::RedirectLoop));
    let n = note(&crawl, "site.not_inspected").expect("not inspected");
    assert_eq!(n.value["reason"], "redirects");
    let crawl = c.crawl_site(&site(&net, chain)).await;
    assert_eq!(
        crawl.pages[0].fetch.error,
        Some(FetchError::TooManyRedirects)
    );
    let n = note(&crawl, "site.not_inspected").expect("not inspected");
    assert_eq!(n.value["reason"], "redirects");
    assert_eq!(n.value["redirects"], 11);
}

#[tokio::test]
async fn retry_after_pauses_the_host_and_beyond_the_cap_refuses() {
    let _serial = crate::common::alone().await;
    let busy = "www.busy.gov.test";
    let closed = "www.closed.gov.test";
    let net = TestNet::start(root(
        "retry",
        &[
            (busy, "index.html", HOME),
            (busy, "a.html", PAGE),
            (busy, "b.html", PAGE),
            (closed, "index.html", HOME),
            (closed, "a.html", PAGE),
        ],
    ))
    .await
    .unwrap();
    // a.html answers 429 once, asking 2 s; every other request must wait those 2 s too
    net.http.add_route(
        busy,
        "/a.html",
        RouteResponse::new(429, "slow down").with_header("Retry-After", "2"),
    );
    let mut s = settings(&net);
    s.check_links = false;
    s.retries = 1;
    let c = Crawler::new(s).unwrap();
    let crawl = c.crawl_site(&site(&net, busy)).await;
    let log = net.http.requests_for(busy);
    let i = log.iter().position(|r| r.status == 429).expect("a 429");
    assert!(log.len() > i + 1, "requests after the 429: {log:?}");
    for r in &log[i + 1..] {
        assert!(
            r.at - log[i].at >= Duration::from_millis(1900),
            "{} asked {:?} after the 429",
            r.path,
            r.at - log[i].at
        );
    }
    assert!(note(&crawl, "host.crawl_refused").is_none());

    // every page 429 with Retry-After: 3600 (over the 60 s honoured): asked once, then left
    net.http.add_route(
        closed,
        "/",
        RouteResponse::new(429, "go away").with_header("Retry-After", "3600"),
    );
    let crawl = c.crawl_site(&site(&net, closed)).await;
    let asked: Vec<String> = net
        .http
        .requests_for(closed)
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p != "/robots.txt")
        .collect();
    assert_eq!(asked, ["/"], "one request, no retry, nothing after it");
    let h = note(&crawl, "host.crawl_refused").expect("the host is named");
    assert!(
        h.value["reason"]
            .as_str()
            .unwrap()
            .contains("Retry-After 3600")
    );
    let n = note(&crawl, "site.not_inspected").expect("not inspected");
    assert_eq!(n.value["reason"], "crawl_refused");
}

#[tokio::test]
async fn a_lying_charset_is_passed_over_and_noted() {
    let _serial = crate::common::alone().await;
    let host = "www.liar.gov.test";
    let body = "<html><head><meta charset=\"gb2312\"><title>首页</title></head><body>\
        <a href=\"/hd/xx.html\">领导信箱</a> <a href=\"/hd/ly.html\">在线留言</a></body></html>";
    let net = TestNet::start(root("liar", &[(host, "index.html", b"x")]))
        .await
        .unwrap();
    net.http.add_route(
        host,
        "/",
        RouteResponse::new(200, body.as_bytes())
            .with_header("Content-Type", "text/html; charset=gb2312"),
    );
    let mut s = settings(&net);
    s.check_links = false;
    s.max_depth = 0;
    let c = Crawler::new(s).unwrap();
    let crawl = c.crawl_site(&site(&net, host)).await;
    let home = &crawl.pages[0];
    assert_eq!(home.charset.as_deref(), Some("UTF-8"));
    assert_eq!(home.title.as_deref(), Some("首页"));
    let anchors: Vec<&str> = home.links.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(anchors, ["领导信箱", "在线留言"]);
    let n = note(&crawl, "page.charset_overridden").expect("noted");
    assert_eq!(n.value["declared"], "GBK");
    assert_eq!(n.value["declared_in"], "header");
    assert_eq!(n.value["used"], "UTF-8");
}

#[tokio::test]
async fn a_site_time_budget_stops_the_crawl_and_says_so() {
    let _serial = crate::common::alone().await;
    let host = "www.big.gov.test";
    let mut home = String::from("<html><body>");
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..40 {
        home.push_str(&format!("<a href=\"/p{i}.html\">page {i}</a>"));
        files.push((format!("p{i}.html"), PAGE.to_vec()));
    }
    files.push(("index.html".into(), home.into_bytes()));
    let refs: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(p, b)| (host, p.as_str(), b.as_slice()))
        .collect();
    let net = TestNet::start(root("budget", &refs)).await.unwrap();
    let mut s = settings(&net);
    s.rate = 4.0; // 40 pages take 10 s at this pace
    s.max_site_secs = 1.0;
    let c = Crawler::new(s).unwrap();
    let crawl = c.crawl_site(&site(&net, host)).await;
    let n = note(&crawl, "site.budget_exceeded").expect("noted");
    assert_eq!(n.value["max_site_secs"], 1.0);
    assert_eq!(n.value["stage"], "pages");
    let left = n.value["left"].as_u64().unwrap();
    assert!(left > 0);
    assert!(
        crawl.pages.len() < 41,
        "stopped early: {}",
        crawl.pages.len()
    );
    assert_eq!(crawl.skipped.get("site_budget"), Some(&left));
    assert!(
        note(&crawl, "site.not_inspected").is_none(),
        "the home page was read"
    );
}

#[tokio::test]
async fn a_6to4_address_of_loopback_is_refused() {
    let _serial = crate::common::alone().await;
    let net = TestNet::start(root("sixtofour", &[("www.x.gov.test", "index.html", HOME)]))
        .await
        .unwrap();
    let mut s = settings(&net);
    s.allow_private = false;
    let c = Crawler::new(s).unwrap();
    let u = url::Url::parse(&format!("http://[2002:7f00:1::1]:{}/", net.http.port())).unwrap();
    let f = c.fetch(&u, FetchSpec::PAGE).await;
    assert_eq!(f.last().error, Some(FetchError::BlockedAddress));
    assert!(
        f.last()
            .error_message
            .as_deref()
            .unwrap()
            .contains("2002:7f00:1::1")
    );
}
