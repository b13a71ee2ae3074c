//! A probe that panics — on one page while the site is crawled, or over a whole site — is caught:
//! the night goes on, every site is recorded with the other probes' findings, and the panic is a
//! `probe.error` fact naming the probe, the message and (for a page) the page.

use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_model::{Page, Site, SiteKind};
use govwatch_probes::{Probe, ProbeInput, ProbeOutput, Scan, ScanCx};
use govwatch_runner::{RunOptions, run_with_probes};
use govwatch_store::Store;
use govwatch_testutil::TestNet;
use scraper::Html;
use std::path::Path;
use std::sync::Arc;

/// Wraps a real probe; its page scan panics on any page whose path holds `/boom`.
struct BoomOnPage(Box<dyn Probe>);

impl Probe for BoomOnPage {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn slot(&self) -> Option<usize> {
        self.0.slot()
    }
    fn scan(&self, page: &Page, doc: &Html, cx: &ScanCx) -> Option<Scan> {
        if page.fetch.url.contains("/boom") {
            panic!("no one foresaw this page");
        }
        self.0.scan(page, doc, cx)
    }
    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        self.0.run(input)
    }
}

/// A probe whose site-wide judgement panics on the site `id`.
struct BoomOnSite(&'static str);

impl Probe for BoomOnSite {
    fn name(&self) -> &'static str {
        "boom"
    }
    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        if input.crawl.site.id == self.0 {
            panic!("index out of bounds: the len is 0 but the index is 0");
        }
        ProbeOutput::default()
    }
}

fn write(root: &Path, host: &str, path: &str, body: &str) {
    let file = root.join(host).join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, body).unwrap();
}

/// A small county site: a home page linking a news list, an article and the page that trips the
/// probe; the article carries a phone number written in full with an ID number (a privacy
/// finding the integrity probe must still give).
fn site_files(root: &Path, host: &str, title: &str) {
    let page = |t: &str, body: &str| {
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
             <body><div class=\"nav\"><a href=\"/\">首页</a> <a href=\"/xwdt/\">新闻动态</a></div>\
             {body}</body></html>"
        )
    };
    write(
        root,
        host,
        "index.html",
        &page(
            title,
            "<ul><li><a href=\"/xwdt/t1.html\">关于开展秋季防火检查的通知</a><span>2026-11-20</span></li>\
             <li><a href=\"/boom/index.html\">专题专栏</a><span>2026-11-19</span></li></ul>",
        ),
    );
    write(
        root,
        host,
        "xwdt/index.html",
        &page(
            "新闻动态",
            "<ul><li><a href=\"/xwdt/t1.html\">关于开展秋季防火检查的通知</a><span>2026-11-20</span></li></ul>",
        ),
    );
    write(
        root,
        host,
        "xwdt/t1.html",
        &page(
            "关于开展秋季防火检查的通知",
            "<p>联系人：张三，身份证号 110101199003074514，电话 13800138000。</p><p>2026-11-20</p>",
        ),
    );
    write(
        root,
        host,
        "boom/index.html",
        &page("专题专栏", "<p>专题内容</p><p>2026-11-19</p>"),
    );
}

/// Every probe of `rules`, the columns probe's page scan panicking on `/boom` pages, and a probe
/// whose site-wide judgement panics on site 1300000002.
fn booming_probes(rules: &govwatch_probes::ProbeRules) -> Vec<Box<dyn Probe>> {
    let mut probes: Vec<Box<dyn Probe>> = govwatch_probes::all(rules)
        .into_iter()
        .map(|p| {
            if p.name() == "columns" {
                Box::new(BoomOnPage(p)) as Box<dyn Probe>
            } else {
                p
            }
        })
        .collect();
    probes.push(Box::new(BoomOnSite("1300000002")));
    probes
}

/// The three county sites of the test, served by `net`.
fn panic_sites(net: &TestNet) -> Vec<Site> {
    let site = |id: &str, host: &str, name: &str| Site {
        id: id.into(),
        name: name.into(),
        home: net.http.url(host, "/"),
        org: name.into(),
        region: "测试县".into(),
        kind: SiteKind::Portal,
        overrides: Default::default(),
    };
    vec![
        site("1300000001", "www.a.panic.test", "甲县人民政府"),
        site("1300000002", "www.b.panic.test", "乙县人民政府"),
        site("1300000003", "www.c.panic.test", "丙县人民政府"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_that_panics_never_ends_the_night() {
    let dir = std::env::temp_dir().join(format!("govwatch-probe-panic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.join("www");
    site_files(&root, "www.a.panic.test", "甲县人民政府");
    site_files(&root, "www.b.panic.test", "乙县人民政府");
    site_files(&root, "www.c.panic.test", "丙县人民政府");
    let net = TestNet::start(&root).await.unwrap();
    let settings = CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        rate: 50.0,
        retries: 0,
        ipv6: false,
        ..CrawlSettings::default()
    };
    let sites = panic_sites(&net);
    let rules = govwatch_probes::ProbeRules::default();
    let probes = booming_probes(&rules);
    let opts = RunOptions {
        as_of: chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap(),
        only: None,
        resume: false,
        settings: serde_json::Value::Null,
        rules,
        accounts: Vec::new(),
    };
    let store = Store::open(dir.join("govwatch.db")).unwrap();
    let crawler = Arc::new(Crawler::new(settings).unwrap());
    let (report, store) = run_with_probes(
        crawler,
        store,
        sites.clone(),
        opts,
        probes,
        std::future::pending(),
        |_| {},
    )
    .await
    .expect("the run finishes");
    assert!(!report.interrupted);
    let run = store.run(report.run_id).unwrap().unwrap();
    assert_eq!(run.status.to_string(), "done", "{run:?}");
    assert_eq!(store.sites_done(report.run_id).unwrap().len(), 3);

    for s in &sites {
        check_site(&store, report.run_id, &net, s);
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What run `run_id` recorded of site `s`: the page scan's panic as one `probe.error` fact on
/// the page, the site-wide panic only on its one site, and the other probes' judgements intact.
fn check_site(store: &Store, run_id: i64, net: &TestNet, s: &Site) {
    let facts = store.facts(run_id, Some(&s.id)).unwrap();
    let errors: Vec<_> = facts
        .iter()
        .filter(|f| f.fact.code == "probe.error")
        .map(|f| &f.fact)
        .collect();
    // the page scan's panic: one fact, naming the page and the probe
    let on_page: Vec<_> = errors.iter().filter(|f| f.probe == "columns").collect();
    assert_eq!(on_page.len(), 1, "{}: {errors:?}", s.id);
    assert_eq!(
        on_page[0].url.as_deref(),
        Some(
            net.http
                .url(s.home.host_str().unwrap(), "/boom/index.html")
                .as_str()
        )
    );
    assert_eq!(on_page[0].value["error"], "no one foresaw this page");
    // the site-wide panic: only on the one site, at its home page
    let on_site: Vec<_> = errors.iter().filter(|f| f.probe == "boom").collect();
    if s.id == "1300000002" {
        assert_eq!(on_site.len(), 1, "{errors:?}");
        assert_eq!(on_site[0].url.as_deref(), Some(s.home.as_str()));
        assert!(
            on_site[0].value["error"]
                .as_str()
                .unwrap()
                .contains("index out of bounds")
        );
    } else {
        assert!(on_site.is_empty(), "{errors:?}");
    }
    // the other probes judged the site as ever: the privacy leak on the article is found
    let findings = store.findings(run_id, Some(&s.id)).unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.finding.code == "privacy.id_number"),
        "{}: {:?}",
        s.id,
        findings.iter().map(|f| &f.finding.code).collect::<Vec<_>>()
    );
    // and the columns probe still read the pages that did not trip it
    assert!(
        facts
            .iter()
            .any(|f| f.fact.probe == "columns" && f.fact.code != "probe.error"),
        "{}: columns facts",
        s.id
    );
}
