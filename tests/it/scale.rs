//! A site of realistic size at the politeness limit: 60 pages, 1 request/s, its host's requests
//! queued behind each other and behind four other sites, a global cap of two requests in flight,
//! slow answers on some pages. Queue time must never turn into a time-out, and the findings must
//! be exactly the ones planted. (A four-page fixture site proves little about a crawler.)
//!
//! The site, 大屯县人民政府 at `www.big.scale.test`, is written by this test into a scratch folder
//! beside a copy of the demo's fixture sites:
//! - home page: a search form (the fixture server's search engine answers it), navigation to six
//!   columns, ten dated news items, a broken link (`/missing.html`) and a logo;
//! - 工作动态 (20 articles) and 通知公告 (14) updated within the last days; 政策文件 (10) last
//!   updated 2025-03-10: stale by the six-month rule; 政务公开 (4) and 办事服务 (3), fresh;
//! - 互动交流 → 县长信箱 (a message form, no limits) and 信件查询 (a lookup form);
//! - 15 articles carry a PDF attachment; one links a PDF that is gone (`/files/gone.pdf`);
//! - DNS publishes no AAAA for the host, and it is served over plain http.
//!
//! Planted findings, and nothing else: `link.broken_home` /missing.html, `link.broken`
//! /files/gone.pdf, `column.stale` /zcwj/, `ipv6.no_aaaa`, `security.no_https`.

use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_runner::{RunOptions, run};
use govwatch_store::Store;
use govwatch_testutil::fixtures::{FixtureSite, load_fixture_sites, strip_port};
use govwatch_testutil::{Fault, TestNet};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const HOST: &str = "www.big.scale.test";

fn as_of() -> govwatch_model::Timestamp {
    chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap()
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title} - 大屯县人民政府</title></head>\n\
         <body><div class=\"head\"><a href=\"/\">大屯县人民政府</a></div>\n{body}\n\
         <div class=\"footer\">大屯县人民政府办公室 主办</div></body></html>\n"
    )
}

/// One column's articles: (path, title, date).
fn articles(
    dir: &str,
    name: &str,
    n: usize,
    date: impl Fn(usize) -> String,
) -> Vec<(String, String, String)> {
    (1..=n)
        .map(|i| {
            (
                format!("/{dir}/t{i}.html"),
                format!("{name}第{i}期工作情况"),
                date(i),
            )
        })
        .collect()
}

fn list(items: &[(String, String, String)]) -> String {
    let mut s = String::from("<ul class=\"list\">");
    for (path, title, date) in items {
        let _ = write!(
            s,
            "<li><a href=\"{path}\">{title}</a><span>{date}</span></li>"
        );
    }
    s.push_str("</ul>");
    s
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(HOST).join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Writes the 60-page site; returns its pages' paths.
fn write_site(root: &Path) -> Vec<String> {
    let day = |d: u32| format!("2026-11-{d:02}");
    let gzdt = articles("gzdt", "工作动态", 20, |i| day(27 - (i as u32 % 20)));
    let tzgg = articles("tzgg", "通知公告", 14, |i| {
        format!("2026-{:02}-15", 10 - i % 6)
    });
    let zcwj = articles("zcwj", "政策文件", 10, |i| {
        format!("2025-03-{:02}", 11 - i)
    });
    let zwgk = articles("zwgk", "政务公开", 4, |i| day(20 - i as u32));
    let bsfw = articles("bsfw", "办事服务", 3, |i| day(10 - i as u32));
    let mut pages = vec!["/".to_string()];
    let nav = "<ul class=\"nav\"><li><a href=\"/gzdt/\">工作动态</a></li><li><a href=\"/tzgg/\">通知公告</a></li>\
               <li><a href=\"/zcwj/\">政策文件</a></li><li><a href=\"/zwgk/\">政务公开</a></li>\
               <li><a href=\"/bsfw/\">办事服务</a></li><li><a href=\"/hdjl/\">互动交流</a></li></ul>";
    let home = format!(
        "<form action=\"/search/\" method=\"get\"><input type=\"text\" name=\"q\"><input type=\"submit\" value=\"搜索\"></form>\n\
         {nav}\n<div class=\"news\"><h2>工作动态</h2>{}</div>\n\
         <div class=\"zt\"><a href=\"/missing.html\">专题专栏</a></div><img src=\"/images/logo.png\" alt=\"标识\">",
        list(&gzdt[..10])
    );
    write(root, "/index.html", &page("首页", &home));
    for (dir, name, items) in [
        ("gzdt", "工作动态", &gzdt),
        ("tzgg", "通知公告", &tzgg),
        ("zcwj", "政策文件", &zcwj),
        ("zwgk", "政务公开", &zwgk),
        ("bsfw", "办事服务", &bsfw),
    ] {
        let listing = list(items);
        write(
            root,
            &format!("/{dir}/index.html"),
            &page(name, &format!("{nav}<h1>{name}</h1>{listing}")),
        );
        pages.push(format!("/{dir}/"));
    }
    let mut attachments = 0;
    for (n, (path, title, date)) in gzdt
        .iter()
        .chain(&tzgg)
        .chain(&zcwj)
        .chain(&zwgk)
        .chain(&bsfw)
        .enumerate()
    {
        let mut body = format!("<h1>{title}</h1><div class=\"info\">发布时间：{date}</div>");
        body.push_str(
            &"<p>为进一步做好有关工作，现将具体事项说明如下，请各单位认真贯彻落实。</p>".repeat(8),
        );
        if n % 3 == 0 && attachments < 15 {
            attachments += 1;
            let _ = write!(
                body,
                "<p><a href=\"/files/a{attachments}.pdf\">附件{attachments}</a></p>"
            );
            write(
                root,
                &format!("/files/a{attachments}.pdf"),
                "%PDF-1.4 fixture\n",
            );
        }
        if path == "/zcwj/t3.html" {
            body.push_str("<p><a href=\"/files/gone.pdf\">原文件下载</a></p>");
        }
        body.push_str("<img src=\"/images/logo.png\" alt=\"标识\">");
        write(root, path, &page(title, &body));
        pages.push(path.clone());
    }
    write(
        root,
        "/hdjl/index.html",
        &page(
            "互动交流",
            &format!(
                "{nav}<h1>互动交流</h1><ul><li><a href=\"/hdjl/xzxx/\">县长信箱</a></li><li><a href=\"/hdjl/cx.html\">信件查询</a></li></ul>"
            ),
        ),
    );
    write(
        root,
        "/hdjl/xzxx/index.html",
        &page(
            "县长信箱",
            "<h1>县长信箱</h1><form action=\"/hdjl/xzxx/submit\" method=\"post\"><p>标题：<input type=\"text\" name=\"title\"></p>\
             <p>内容：<textarea name=\"content\"></textarea></p><p><input type=\"submit\" value=\"提交\"></p></form>",
        ),
    );
    write(
        root,
        "/hdjl/cx.html",
        &page(
            "信件查询",
            "<h1>信件查询</h1><form action=\"/hdjl/cx.html\" method=\"get\"><p>查询码：<input type=\"text\" name=\"code\"></p><p><input type=\"submit\" value=\"查询\"></p></form>",
        ),
    );
    pages.extend([
        "/hdjl/".to_string(),
        "/hdjl/xzxx/".into(),
        "/hdjl/cx.html".into(),
    ]);
    write(root, "/images/logo.png", "\u{89}PNG fixture");
    write(root, "/robots.txt", "User-agent: *\nDisallow: /admin/\n");
    write(root, "/_dns.toml", "a = [\"127.0.0.1\"]\naaaa = []\n");
    write(
        root,
        "/_server.toml",
        "[[search]]\npath = \"/search/\"\nparam = \"q\"\n",
    );
    write(
        root,
        "/expected.toml",
        "[site]\nid = \"1310000060\"\nname = \"大屯县人民政府\"\norg = \"大屯县人民政府办公室\"\nregion = \"大屯县\"\nkind = \"portal\"\n",
    );
    pages
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_pages_at_one_request_a_second_never_time_out_and_find_what_was_planted() {
    let dir = crate::common::scratch("scale", "farm");
    let root = dir.join("sites");
    copy_dir(&govwatch_testutil::fixtures_sites_dir(), &root);
    let paths = write_site(&root);
    assert_eq!(paths.len(), 60, "the site has 60 pages");
    let net = TestNet::start(&root).await.unwrap();
    // slow answers, well within the 15-second rule
    for p in ["/gzdt/t5.html", "/tzgg/t3.html", "/zcwj/t2.html"] {
        net.http
            .set_fault(HOST, p, Fault::Delay(Duration::from_secs(3)));
    }
    let fixtures = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    assert_eq!(fixtures.len(), 5);
    let settings = CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        // every site at once, two requests in flight in all: requests wait in our own queues
        global_concurrency: 2,
        ..CrawlSettings::default()
    };
    assert_eq!(settings.rate, 1.0);
    let crawler = Arc::new(Crawler::new(settings.clone()).unwrap());
    let store = Store::open(dir.join("govwatch.db")).unwrap();
    let opts = RunOptions {
        as_of: as_of(),
        only: None,
        resume: false,
        settings: serde_json::to_value(&settings).unwrap(),
        rules: Default::default(),
        accounts: Vec::new(),
    };
    let sites = fixtures.iter().map(|f| f.site.clone()).collect();
    let (report, store) = run(crawler, store, sites, opts, std::future::pending(), |_| {})
        .await
        .unwrap();
    assert!(!report.interrupted);
    assert_eq!(report.plan.in_flight, 5, "every site at once");
    let port = net.http.port();
    let big = fixtures.iter().find(|f| f.host == HOST).unwrap();
    check_pages_and_fetches(&dir.join("govwatch.db"), &big.site.id);
    check_one_request_a_second(&net);
    check_planted_findings(&store, report.run_id, &big.site.id, port);
    check_other_sites_findings(&store, report.run_id, &fixtures, port);
    eprintln!(
        "60-page site: wall {:.1} s, busiest host {:?}",
        report.wall.as_secs_f64(),
        report.busiest_host
    );
}

/// Every page of the big site crawled, one search submitted, nothing timed out or retried; the
/// time waited in our own queues recorded apart from the slow pages' server time.
fn check_pages_and_fetches(db: &Path, site_id: &str) {
    // every page crawled, none timed out, none asked twice
    let conn = rusqlite::Connection::open(db).unwrap();
    let q = |sql: &str| -> i64 { conn.query_row(sql, [site_id], |r| r.get(0)).unwrap() };
    assert_eq!(
        q(
            "SELECT count(*) FROM pages WHERE run_id = 1 AND site_id = ?1 AND status = 200 \
           AND url NOT LIKE '%/search/?%'"
        ),
        60
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM pages WHERE run_id = 1 AND site_id = ?1 AND url LIKE '%/search/?q=%'"
        ),
        1,
        "one search submitted"
    );
    assert_eq!(
        q(
            "SELECT count(*) FROM fetches WHERE run_id = 1 AND site_id = ?1 AND error_kind = 'timeout'"
        ),
        0,
        "queue time is never a time-out"
    );
    assert_eq!(
        q("SELECT count(*) FROM fetches WHERE run_id = 1 AND site_id = ?1 AND attempt > 1"),
        0,
        "nothing needed a retry"
    );
    assert!(
        q("SELECT count(*) FROM fetches WHERE run_id = 1 AND site_id = ?1 AND queue_ms >= 500")
            > 30,
        "requests waited in our own queues (host gate, global cap), and it was recorded apart"
    );
    assert!(
        q("SELECT max(elapsed_ms) FROM fetches WHERE run_id = 1 AND site_id = ?1") >= 3000,
        "the slow pages' server time is recorded"
    );
}

/// No request to the big site made twice, and one a second.
fn check_one_request_a_second(net: &TestNet) {
    let log = net.http.requests_for(HOST);
    let asked: Vec<(String, String)> = log
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let distinct: BTreeSet<&(String, String)> = asked.iter().collect();
    assert_eq!(
        distinct.len(),
        asked.len(),
        "no request made twice: {asked:?}"
    );
    for w in log.windows(2) {
        assert!(
            w[1].at.duration_since(w[0].at) >= Duration::from_millis(950),
            "one request a second: {} then {}",
            w[0].path,
            w[1].path
        );
    }
}

/// The big site's findings are exactly the planted ones.
fn check_planted_findings(store: &Store, run_id: i64, site_id: &str, port: u16) {
    // exactly the planted findings
    let got: BTreeSet<(String, String)> = store
        .findings(run_id, Some(site_id))
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.finding.code.clone(),
                strip_port(f.finding.url.as_deref().unwrap_or(""), port),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("link.broken_home", "http://www.big.scale.test/missing.html"),
        ("link.broken", "http://www.big.scale.test/files/gone.pdf"),
        ("column.stale", "http://www.big.scale.test/zcwj/"),
        ("ipv6.no_aaaa", "http://www.big.scale.test/"),
        ("security.no_https", "http://www.big.scale.test/"),
        // no accessible-mode entry, no lang, the search box without a label (提示)
        ("a11y.entry_missing", "http://www.big.scale.test/"),
        ("a11y.lang_missing", "http://www.big.scale.test/"),
        ("a11y.inputs_no_label", "http://www.big.scale.test/"),
    ]
    .iter()
    .map(|(c, u)| (c.to_string(), u.to_string()))
    .collect();
    assert_eq!(got, want);
}

/// The other sites in flight still give exactly their expected findings.
fn check_other_sites_findings(store: &Store, run_id: i64, fixtures: &[FixtureSite], port: u16) {
    // the other sites in flight still give exactly their expected findings
    for fx in fixtures.iter().filter(|f| f.host != HOST) {
        let want: BTreeSet<(String, String)> = fx
            .expected
            .finding
            .iter()
            .map(|f| (f.code.clone(), f.url.clone()))
            .collect();
        let got: BTreeSet<(String, String)> = store
            .findings(run_id, Some(&fx.site.id))
            .unwrap()
            .into_iter()
            .map(|f| {
                (
                    f.finding.code.clone(),
                    strip_port(f.finding.url.as_deref().unwrap_or(""), port),
                )
            })
            .collect();
        assert_eq!(got, want, "findings of {}", fx.host);
    }
}
