//! The web view over a demo-like database: the fixture sites of `fixtures/sites` and the hostile
//! site of `fixtures/web` (a hijacked site whose registered name, page title and link text carry
//! `<script>` and `"><img onerror>`) crawled by the real crawler twice — the second run with one
//! broken link fixed and a new one — the first run scored and archived (WARC) as the demo does, the
//! second left unscored (the view scores it in memory). Then every page is read over HTTP from
//! the real server, the answers checked against the database with plain SQL; the archived page is
//! replayed in headless Chromium (screenshots, DOM, console) and its scripts must not run; and a
//! listener configured as non-loopback answers 401 without the token.

use crate::common::rules;
use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_runner::{RunOptions, run};
use govwatch_store::Store;
use govwatch_testutil::fixtures::{FixtureSite, load_fixture_sites, strip_port};
use govwatch_testutil::{RouteResponse, TestNet, substitute_port, workspace_root};
use govwatch_web::access::{Access, Token, access_policy};
use govwatch_web::replay::REPLAY_CSP;
use govwatch_web::{App, ServeOptions, WebError, router};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

const HOSTILE: &str = "1390000001";
const HOSTILE_HOST: &str = "www.hostile.web.test";
const FGW: &str = "1310000002";
const RUN1_AS_OF: &str = "2026-11-28T02:00:00+08:00";
const RUN2_AS_OF: &str = "2026-11-29T02:00:00+08:00";
const TOKEN: &str = "test-token-0123456789abcdef";

/// The database, the fixture network that was crawled, and the two servers of the view.
struct Demo {
    dir: PathBuf,
    db: PathBuf,
    net: Arc<TestNet>,
    fixtures: Vec<FixtureSite>,
    run1: i64,
    run2: i64,
    /// The view on a loopback listener without a token.
    open: String,
    /// The view configured as a non-loopback listener (token required), bound on 127.0.0.1.
    guarded: String,
}

static DEMO: OnceLock<Demo> = OnceLock::new();

/// Built once for all the tests of this file, on a runtime of its own that keeps the fixture
/// network and the servers running until the test process ends.
fn demo() -> &'static Demo {
    DEMO.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                tx.send(build().await).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().expect("the demo database was built")
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

async fn build() -> Demo {
    let dir = std::env::temp_dir().join(format!("govwatch-web-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // one fixture root: the demo's sites and the hostile site
    let root = dir.join("fixtures");
    for set in ["sites", "web"] {
        for e in std::fs::read_dir(workspace_root().join("fixtures").join(set)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &root.join(e.file_name()));
            }
        }
    }
    let net = Arc::new(TestNet::start(&root).await.unwrap());
    let fixtures = load_fixture_sites(&root, |h| net.http.url(h, "/")).unwrap();
    let sites: Vec<_> = fixtures.iter().map(|f| f.site.clone()).collect();
    // the demo's settings, faster: 20 requests/s, no retries, Crawl-delay capped
    let settings = CrawlSettings {
        rate: 20.0,
        retries: 0,
        max_crawl_delay_secs: 0.05,
        ..govwatch_runner::demo::demo_settings(net.dns.addr())
    };
    let db = dir.join("govwatch.db");
    let crawl = |as_of: &str| {
        let crawler = Arc::new(Crawler::new(settings.clone()).unwrap());
        let opts = RunOptions {
            as_of: chrono::DateTime::parse_from_rfc3339(as_of).unwrap(),
            only: None,
            resume: false,
            settings: serde_json::Value::Null,
            rules: Default::default(),
            accounts: Vec::new(),
        };
        run(
            crawler,
            Store::open(&db).unwrap(),
            sites.clone(),
            opts,
            std::future::pending(),
            |_| {},
        )
    };
    // run 1, scored and archived as `govwatch demo` does
    let (r1, mut store) = crawl(RUN1_AS_OF).await.unwrap();
    let set = govwatch_score::score_run(&store, r1.run_id, &rules()).unwrap();
    store.write_scores(&set).unwrap();
    govwatch_report::warc::write_run_warc(&mut store, r1.run_id, &dir).unwrap();
    drop(store);
    // run 2: the hostile site replaced its broken link by another one
    let body = std::fs::read(root.join(HOSTILE_HOST).join("_run2/index.html")).unwrap();
    net.http.add_route(
        HOSTILE_HOST,
        "/",
        RouteResponse::html(substitute_port(&body, net.http.port())),
    );
    let (r2, store) = crawl(RUN2_AS_OF).await.unwrap();
    drop(store);
    net.http.clear_log();

    let serve = |access: Access| {
        let app = Arc::new(App::new(db.clone(), rules(), access));
        async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                govwatch_web::server::serve_on(
                    listener,
                    router(app),
                    Default::default(),
                    std::future::pending(),
                )
                .await
                .unwrap()
            });
            format!("http://{addr}")
        }
    };
    let open = serve(access_policy("127.0.0.1:8080".parse().unwrap(), None).unwrap()).await;
    let token = Token::new(TOKEN, "test").unwrap();
    let guarded = serve(access_policy("0.0.0.0:8080".parse().unwrap(), Some(token)).unwrap()).await;
    Demo {
        dir,
        db,
        net,
        fixtures,
        run1: r1.run_id,
        run2: r2.run_id,
        open,
        guarded,
    }
}

fn client() -> reqwest::Client {
    govwatch_crawler::install_tls_provider();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// GET on the open server: (status, headers, body).
async fn get(path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = client()
        .get(format!("{}{path}", demo().open))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

/// GET that must answer 200; the body.
async fn page(path: &str) -> String {
    let (status, _, body) = get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn sql<T: rusqlite::types::FromSql>(q: &str, p: impl rusqlite::Params) -> T {
    let conn = rusqlite::Connection::open(&demo().db).unwrap();
    conn.query_row(q, p, |r| r.get(0)).unwrap()
}

fn sql_rows(q: &str, p: impl rusqlite::Params) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(&demo().db).unwrap();
    let mut st = conn.prepare(q).unwrap();
    st.query_map(p, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// The id of the finding of `run` on `site` with this code whose URL ends with `suffix`.
fn finding_id(run: i64, site: &str, code: &str, suffix: &str) -> i64 {
    sql(
        "SELECT id FROM findings WHERE run_id = ?1 AND site_id = ?2 AND code = ?3 AND url LIKE '%' || ?4",
        rusqlite::params![run, site, code, suffix],
    )
}

/// The text of the element with this id (tags dropped), for count checks.
fn text_of(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let from = start + html[start..].find('>').unwrap() + 1;
    let to = from + html[from..].find("</").unwrap();
    html[from..to].to_string()
}

/// The site ids in the order the sites table lists them.
fn listed_sites(html: &str) -> Vec<String> {
    html.split("<td><a href=\"/runs/")
        .skip(1)
        .filter_map(|s| {
            let s = s.split('"').next()?;
            s.split_once("/sites/").map(|(_, id)| id.to_string())
        })
        .collect()
}

#[test]
fn the_hostile_fixture_gives_its_expected_findings() {
    let d = demo();
    let fx = d
        .fixtures
        .iter()
        .find(|f| f.site.id == HOSTILE)
        .unwrap_or_else(|| panic!("the hostile fixture site ({HOSTILE}) is missing"));
    let port = d.net.http.port();
    // every finding of every probe, duplicates kept
    let mut got: Vec<(String, String)> = sql_rows(
        "SELECT code, url, site_id FROM findings WHERE run_id = ?1 AND site_id = ?2",
        rusqlite::params![d.run1, HOSTILE],
    )
    .into_iter()
    .map(|(c, u, _)| (c, strip_port(&u, port)))
    .collect();
    got.sort();
    let mut want: Vec<(String, String)> = fx
        .expected
        .finding
        .iter()
        .map(|f| (f.code.clone(), f.url.clone()))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_answers_with_its_headings_and_counts() {
    let d = demo();
    let (r1, r2) = (d.run1, d.run2);
    let sites: i64 = sql("SELECT count(*) FROM run_sites WHERE run_id = ?1", [r1]);
    assert_eq!(sites, 5);
    let failed1: i64 = sql(
        "SELECT count(*) FROM scores WHERE run_id = ?1 AND verdict = 'fail'",
        [r1],
    );
    assert!(failed1 >= 2, "the hostile and sjj sites fail");
    check_runs_page(failed1).await;
    check_run_pages(r1, r2, failed1).await;
    check_site_list(d, r1, r2, failed1).await;
    let gone1 = check_site_pages(r1, r2).await;
    check_finding_page(r1, gone1).await;
    check_downloads(d, r1, r2).await;
    check_not_found(d, r1).await;
}

/// The list of runs: monitoring times in China time to the second, sites, 合格率.
async fn check_runs_page(failed1: i64) {
    // runs: monitoring times in China time to the second, sites, 合格率
    let runs = page("/").await;
    assert!(runs.contains("<h1>检查批次</h1>"), "{runs}");
    assert!(runs.contains("共 2 次检查"));
    assert!(runs.contains("2026-11-28 02:00:00") && runs.contains("2026-11-29 02:00:00"));
    let rate = format!(
        "{}%",
        govwatch_report::fmt_num(((5 - failed1) as f64 * 10000.0 / 5.0).round() / 100.0)
    );
    assert!(
        runs.contains(&format!("<td class=\"num\">{rate}</td>")),
        "{rate}: {runs}"
    );
    assert!(runs.contains("测试县 0%（0/1）"), "by region: {runs}");
    assert!(runs.contains("未评分"), "run 2 was not scored: {runs}");
    assert!(runs.contains("<svg"), "pass-rate chart");
}

/// One run: summary, charts, tables by region and kind, failed sites, downloads; run 2 compared with run 1 (fixed, open and new counted by plain SQL).
async fn check_run_pages(r1: i64, r2: i64, failed1: i64) {
    // one run: summary, charts, tables by region and kind, failed sites, downloads
    let run1 = page(&format!("/runs/{r1}")).await;
    assert!(run1.contains(&format!("<h1>第 {r1} 次检查</h1>")));
    assert!(run1.contains(&format!(
        "共检查政府网站5个，合格{}个，不合格{failed1}个",
        5 - failed1
    )));
    for h in [
        "按地区",
        "按类型",
        "不合格网站",
        "整改情况",
        "下载报告文件",
        "各地区合格率",
    ] {
        assert!(run1.contains(h), "{h}");
    }
    assert!(run1.contains(&format!("不合格网站（{failed1} 个）")));
    assert_eq!(run1.matches("<svg").count(), 4);
    assert!(run1.contains("这是第一次完成的检查"));
    for f in [
        "report.html",
        "report.xlsx",
        "annex-1.csv",
        &format!("run-{r1}.warc.gz"),
    ] {
        assert!(run1.contains(&format!("/runs/{r1}/files/{f}\"")), "{f}");
    }

    // run 2 is compared with run 1: fixed, open and new counted by plain SQL
    let costly = |run: i64| -> BTreeSet<(String, String, String)> {
        sql_rows(
            "SELECT site_id, code, coalesce(url, '') FROM findings WHERE run_id = ?1 AND severity != 'info'",
            [run],
        )
        .into_iter()
        .collect()
    };
    let (before, now) = (costly(r1), costly(r2));
    let fixed = before.difference(&now).count();
    let new = now.difference(&before).count();
    let open = now.intersection(&before).count();
    assert!(fixed >= 1 && new >= 1 && open >= 1);
    let run2 = page(&format!("/runs/{r2}")).await;
    assert!(run2.contains(&format!(
        "已整改 <strong class=\"state-fixed\">{fixed}</strong> 个，仍未整改 <strong class=\"state-open\">{open}</strong> 个，新发现 <strong class=\"state-new\">{new}</strong> 个；整改期限 <strong>2026-12-13</strong>"
    )), "{run2}");
    assert!(run2.contains("即时计算"), "run 2 scored in memory");
    assert!(run2.contains(&format!("/runs/{r2}/files/rectification.csv")));
}

/// The sites of a run: filters and sort.
async fn check_site_list(d: &Demo, r1: i64, r2: i64, failed1: i64) {
    // the sites of a run: filters and sort
    let list = page(&format!("/runs/{r1}/sites")).await;
    assert!(list.contains("<h1>网站列表</h1>"));
    assert_eq!(text_of(&list, "shown"), "5");
    let by_score: Vec<String> = {
        let conn = rusqlite::Connection::open(&d.db).unwrap();
        let mut st = conn
            .prepare("SELECT site_id FROM scores WHERE run_id = ?1 ORDER BY coalesce(score, -1e9) DESC, site_id")
            .unwrap();
        st.query_map([r1], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(listed_sites(&list), by_score);
    let asc = page(&format!("/runs/{r1}/sites?sort=score_asc")).await;
    let scores: BTreeMap<String, Option<f64>> = {
        let conn = rusqlite::Connection::open(&d.db).unwrap();
        let mut st = conn
            .prepare("SELECT site_id, score FROM scores WHERE run_id = ?1")
            .unwrap();
        st.query_map([r1], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let asc_ids = listed_sites(&asc);
    let asc_scores: Vec<f64> = asc_ids
        .iter()
        .map(|id| scores[id].unwrap_or(f64::NEG_INFINITY))
        .collect();
    assert!(asc_scores.windows(2).all(|w| w[0] <= w[1]), "{asc_ids:?}");
    for (query, want) in [
        ("verdict=fail", failed1),
        ("region=%E6%B5%8B%E8%AF%95%E5%8E%BF", 1), // 测试县
        (
            "kind=portal",
            sql(
                "SELECT count(*) FROM run_sites rs JOIN sites s ON s.id = rs.site_id WHERE rs.run_id = ?1 AND s.kind = 'portal'",
                [r1],
            ),
        ),
        (
            "code=link.broken_home",
            sql(
                "SELECT count(DISTINCT site_id) FROM findings WHERE run_id = ?1 AND code = 'link.broken_home'",
                [r1],
            ),
        ),
        (
            "indicator=veto",
            sql(
                "SELECT count(DISTINCT s.site_id) FROM scores s JOIN score_items i ON i.score_id = s.id WHERE s.run_id = ?1 AND i.indicator = 'veto' AND i.part != 'note'",
                [r1],
            ),
        ),
        (
            "verdict=pass&kind=department&sort=id",
            sql(
                "SELECT count(*) FROM scores s JOIN sites t ON t.id = s.site_id WHERE s.run_id = ?1 AND s.verdict = 'pass' AND t.kind = 'department'",
                [r1],
            ),
        ),
    ] {
        let html = page(&format!("/runs/{r1}/sites?{query}")).await;
        assert_eq!(text_of(&html, "shown"), want.to_string(), "{query}");
        assert_eq!(listed_sites(&html).len() as i64, want, "{query}");
    }
    let latest = page("/sites").await;
    assert!(
        latest.contains(&format!("第 {r2} 次检查")),
        "/sites shows the newest run"
    );
}

/// One site: verdict, items with points, findings with evidence, history, 整改; the id of the hostile site's first broken home link.
async fn check_site_pages(r1: i64, r2: i64) -> i64 {
    // one site: verdict, items with points, findings with evidence, history, 整改
    let fgw = page(&format!("/runs/{r1}/sites/{FGW}")).await;
    for h in ["检查结果", "扣分明细", "历次检查", "整改情况"] {
        assert!(fgw.contains(h), "{h}");
    }
    let n: i64 = sql(
        "SELECT count(*) FROM findings WHERE run_id = ?1 AND site_id = ?2",
        rusqlite::params![r1, FGW],
    );
    assert!(fgw.contains(&format!("发现的问题及证据（{n} 条）")));
    assert!(
        fgw.contains("首页错链、断链</td><td class=\"num\">-3</td>"),
        "{fgw}"
    );
    assert!(fgw.contains("（本项 -3 分，依据 3 条）"));
    assert!(fgw.contains("得分：<strong>96.8</strong>"));
    let hostile = page(&format!("/runs/{r2}/sites/{HOSTILE}")).await;
    let n: i64 = sql(
        "SELECT count(*) FROM findings WHERE run_id = ?1 AND site_id = ?2",
        rusqlite::params![r2, HOSTILE],
    );
    assert!(hostile.contains(&format!("发现的问题及证据（{n} 条）")));
    assert_eq!(
        hostile.matches(&format!("/sites/{HOSTILE}\">第 ")).count(),
        2,
        "two runs in the history"
    );
    assert!(hostile.contains("整改期限 <strong>2026-12-13</strong>，本次监测时尚未到期"));
    let gone1 = finding_id(r1, HOSTILE, "link.broken_home", "/gone.html");
    let gone2 = finding_id(r2, HOSTILE, "link.broken_home", "/gone-2.html");
    let section = |title: &str| -> String {
        let at = hostile.find(title).unwrap();
        hostile[at..].split("<h3>").next().unwrap().to_string()
    };
    assert!(section("已整改</span>（1）").contains(&format!("/findings/{gone1}\"")));
    assert!(section("新发现</span>（1）").contains(&format!("/findings/{gone2}\"")));
    assert!(hostile.contains("单项否决「"), "the hijack is a veto");
    gone1
}

/// One finding: evidence, fetch records, archived page in a sandboxed frame.
async fn check_finding_page(r1: i64, gone1: i64) {
    // one finding: evidence, fetch records, archived page in a sandboxed frame
    let f = page(&format!("/findings/{gone1}")).await;
    for h in [
        "<h2 id=\"evidence\">证据</h2>",
        "抓取记录",
        "存档页面",
        "页面源代码（证据摘录已标出）",
    ] {
        assert!(f.contains(h), "{h}");
    }
    assert!(f.contains(&format!(
        "<iframe class=\"replay\" sandbox=\"\" referrerpolicy=\"no-referrer\" title=\"存档页面（已禁用脚本）\" src=\"/findings/{gone1}/archive#govwatch-excerpt\">"
    )), "{f}");
    assert!(f.contains("证据摘录已在存档页面中以黄色标出"));
    let fetches: i64 = sql(
        "SELECT count(*) FROM fetches WHERE run_id = ?1 AND site_id = ?2 AND (url LIKE '%/gone.html' OR final_url LIKE '%/gone.html' OR url = (SELECT json_extract(evidence, '$.archived') FROM findings WHERE id = ?3))",
        rusqlite::params![r1, HOSTILE, gone1],
    );
    assert!(f.contains(&format!("抓取记录（{fetches} 条）")), "{f}");
    let record: String = sql(
        "SELECT a.record_id FROM archive_records a JOIN pages p ON p.id = a.page_id WHERE a.run_id = ?1 AND p.site_id = ?2 AND p.depth = 0",
        rusqlite::params![r1, HOSTILE],
    );
    assert!(
        f.contains(&record.replace('<', "&lt;").replace('>', "&gt;")),
        "the WARC record"
    );
}

/// Downloads, made by the report crate.
async fn check_downloads(d: &Demo, r1: i64, r2: i64) {
    // downloads, made by the report crate
    let get_bytes = |path: String| async move {
        let r = client()
            .get(format!("{}{path}", d.open))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let cd = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        (cd, r.bytes().await.unwrap().to_vec())
    };
    let (cd, xlsx) = get_bytes(format!("/runs/{r1}/files/report.xlsx")).await;
    assert!(cd.starts_with("attachment; filename=\"report.xlsx\""));
    assert_eq!(&xlsx[..2], b"PK");
    let (cd, csv) = get_bytes(format!("/runs/{r1}/files/annex-1.csv")).await;
    assert!(
        cd.ends_with("filename*=UTF-8''%E9%99%84%E4%BB%B61%2Ecsv"),
        "{cd}"
    ); // 附件1.csv
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("\u{feff}序号,地区,检查网站数"));
    assert!(csv.contains("测试县,1,0,1,0%"), "{csv}");
    let (_, rect) = get_bytes(format!("/runs/{r2}/files/rectification.csv")).await;
    assert!(String::from_utf8(rect).unwrap().contains("已整改"));
    let (_, html) = get_bytes(format!("/runs/{r1}/files/report.html")).await;
    assert!(
        String::from_utf8(html)
            .unwrap()
            .contains("附件1 各地区政府网站检查情况")
    );
    let (_, warc) = get_bytes(format!("/runs/{r1}/files/run-{r1}.warc.gz")).await;
    assert_eq!(
        warc,
        std::fs::read(d.dir.join(format!("run-{r1}.warc.gz"))).unwrap(),
        "the same bytes as `govwatch report` writes"
    );
}

/// Not found, not allowed, not a loopback name.
async fn check_not_found(d: &Demo, r1: i64) {
    // not found, not allowed
    for p in [
        "/runs/99",
        "/findings/999999",
        "/runs/1/sites/0000000000",
        "/runs/1/files/x.txt",
        "/nope",
    ] {
        let (status, _, body) = get(p).await;
        assert_eq!(status, 404, "{p}");
        assert!(body.contains("未找到"), "{p}");
    }
    let r = client()
        .post(format!("{}/runs/{r1}", d.open))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = client()
        .get(format!("{}/", d.open))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "a loopback view answers only to loopback names"
    );
}

/// Every page the view has for the demo database.
fn all_pages(d: &Demo) -> Vec<String> {
    let mut v = vec!["/".to_string(), "/sites".into()];
    for run in [d.run1, d.run2] {
        v.push(format!("/runs/{run}"));
        v.push(format!("/runs/{run}/sites"));
        v.push(format!(
            "/runs/{run}/sites?region=%E6%B5%8B%E8%AF%95%E5%8E%BF"
        ));
        for s in &d.fixtures {
            v.push(format!("/runs/{run}/sites/{}", s.site.id));
        }
    }
    let conn = rusqlite::Connection::open(&d.db).unwrap();
    let mut st = conn
        .prepare("SELECT id FROM findings WHERE site_id = ?1 ORDER BY id")
        .unwrap();
    for id in st.query_map([HOSTILE], |r| r.get::<_, i64>(0)).unwrap() {
        v.push(format!("/findings/{}", id.unwrap()));
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_site_content_is_escaped_everywhere() {
    let d = demo();
    for path in all_pages(d) {
        let (status, headers, body) = get(&path).await;
        assert_eq!(status, 200, "{path}");
        let lower = body.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{path}: a script element");
        assert!(!lower.contains("<img"), "{path}: an img element");
        // `onerror` only ever appears as escaped text
        assert_eq!(
            lower.matches("onerror").count(),
            lower.matches("&lt;img src=x onerror").count(),
            "{path}: {body}"
        );
        assert_eq!(
            headers["content-security-policy"],
            govwatch_web::access::PAGE_CSP,
            "{path}"
        );
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
    // the hostile name, escaped, where it is shown
    let name = "&lt;script&gt;alert('站名')&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;测试县信访局";
    for path in [
        format!("/runs/{}/sites", d.run1),
        format!("/runs/{}", d.run1),
        format!("/runs/{}/sites/{HOSTILE}", d.run1),
    ] {
        assert!(page(&path).await.contains(name), "{path}");
    }
    // the hostile excerpt (the link's title breaks out of its attribute), escaped
    let gone1 = finding_id(d.run1, HOSTILE, "link.broken_home", "/gone.html");
    let f = page(&format!("/findings/{gone1}")).await;
    assert!(
        f.contains(
            "title=&quot;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&gt;旧版信访指南"
        ),
        "{f}"
    );
    // the page title with its script, in the escaped source view
    assert!(f.contains(
        "&lt;title&gt;&lt;script&gt;alert('标题')&lt;/script&gt;测试县信访局&lt;/title&gt;"
    ));
    // the report files carry it escaped too
    let r = client()
        .get(format!("{}/runs/{}/files/report.html", d.open, d.run1))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(html.contains("&lt;script&gt;alert(&#39;站名&#39;)&lt;/script&gt;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replay_is_the_archived_page_with_the_excerpt_marked_under_a_no_script_csp() {
    let d = demo();
    let gone1 = finding_id(d.run1, HOSTILE, "link.broken_home", "/gone.html");
    let (status, headers, body) = get(&format!("/findings/{gone1}/archive")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-security-policy"], REPLAY_CSP);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["x-frame-options"], "SAMEORIGIN");
    // the archived bytes, plus the marks around the excerpt's text
    let open = "<mark id=\"govwatch-excerpt\" style=\"background:#ffe14d;outline:3px solid #d00\">";
    // the excerpt (80 characters either side of the link) is marked where it is text: the date
    // before it, the label, and the link text after the injected <img>; never inside a tag
    let marked: Vec<&str> = body
        .split("<mark")
        .skip(1)
        .map(|m| {
            m.split_once('>')
                .unwrap()
                .1
                .split("</mark>")
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        marked,
        ["2026-11-25", "相关链接：", "\">旧版信访指南"],
        "{body}"
    );
    assert_eq!(
        body.matches(open).count(),
        1,
        "the first mark is the frame's target"
    );
    let stored: String = {
        let store = Store::open_read_only(&d.db).unwrap();
        let hash: String = sql(
            "SELECT p.body_hash FROM pages p WHERE p.run_id = ?1 AND p.site_id = ?2 AND p.depth = 0",
            rusqlite::params![d.run1, HOSTILE],
        );
        store.page_body(&hash).unwrap().unwrap()
    };
    let unmarked = body
        .replace(open, "")
        .replace(
            "<mark style=\"background:#ffe14d;outline:3px solid #d00\">",
            "",
        )
        .replace("</mark>", "");
    assert_eq!(unmarked, stored);
    // the archive of a finding that does not exist
    let (status, _, _) = get("/findings/999999/archive").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_loopback_listener_answers_401_without_the_token() {
    let d = demo();
    let c = client();
    let gone1 = finding_id(d.run1, HOSTILE, "link.broken_home", "/gone.html");
    for path in [
        "/".to_string(),
        format!("/runs/{}", d.run1),
        format!("/findings/{gone1}"),
        format!("/findings/{gone1}/archive"),
        format!("/runs/{}/files/report.xlsx", d.run1),
    ] {
        let r = c.get(format!("{}{path}", d.guarded)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"govwatch\"");
        let body = r.text().await.unwrap();
        assert!(body.contains("<form class=\"login\" method=\"post\" action=\"/login\">"));
        assert!(!body.contains("测试县"), "no content without the token");
        let r = c
            .get(format!("{}{path}", d.guarded))
            .header("Authorization", "Bearer wrong-token-0123456789")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let r = c
            .get(format!("{}{path}", d.guarded))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // the login form: a wrong token gives 401, the right one an HttpOnly cookie
    let r = c
        .post(format!("{}/login", d.guarded))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("token=nope&next=%2Fruns%2F1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());
    let r = c
        .post(format!("{}/login", d.guarded))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("token={TOKEN}&next=%2Fruns%2F1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/runs/1");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(
        !cookie.contains(TOKEN),
        "the cookie does not hold the token"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let r = c
        .get(format!("{}/runs/{}", d.guarded, d.run1))
        .header("Cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // the login form and the stylesheet are reachable without it; nothing else is writable
    let r = c.get(format!("{}/login", d.guarded)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .delete(format!("{}/runs/1", d.guarded))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);

    // the server itself refuses a non-loopback listener without a token, before binding anything
    let opts = ServeOptions {
        db: d.db.clone(),
        config: workspace_root().join("config"),
        listen: "0.0.0.0:0".parse().unwrap(),
        token: None,
        token_file: None,
        limits: Default::default(),
    };
    let e = govwatch_web::serve(opts.clone(), std::future::ready(()))
        .await
        .unwrap_err();
    assert!(matches!(e, WebError::TokenRequired { .. }), "{e}");
    let short = ServeOptions {
        token: Some("short".into()),
        ..opts
    };
    let e = govwatch_web::serve(short, std::future::ready(()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("令牌至少要 16 个字符"), "{e}");
}

/// The Chromium binary: `GOVWATCH_CHROMIUM`, else `chromium` / `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("GOVWATCH_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| [d.join("chromium"), d.join("chromium-browser")])
        .find(|p| p.is_file())
}

/// What headless Chromium printed: the DOM (with `--dump-dom`) and the console messages as
/// (message, source URL).
struct Browsed {
    dom: String,
    console: Vec<(String, String)>,
}

/// Runs headless Chromium once. `*.test` names resolve to 127.0.0.1 (the fixture server), so
/// anything the archived page tried to load from its site would reach the server's request log.
fn browse(bin: &Path, profile: &Path, args: &[&str]) -> Browsed {
    let out = std::process::Command::new("timeout")
        .arg("120")
        .arg(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
            "--host-resolver-rules=MAP *.test 127.0.0.1",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium {args:?}: {stderr}");
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(|l| {
            let msg = l.split_once("] ").map(|x| x.1).unwrap_or(l);
            match msg.rsplit_once(", source: ") {
                Some((m, src)) => (m.to_string(), src.to_string()),
                None => (msg.to_string(), String::new()),
            }
        })
        .collect();
    Browsed {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
    }
}

/// Width and height of a PNG file (from its IHDR chunk).
fn png_size(path: &Path) -> (u32, u32) {
    let png = std::fs::read(path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    )
}

/// What a sandboxed page without scripts may log: scripts, the refresh and loads refused.
fn refused(msg: &str) -> bool {
    msg.contains("Blocked script execution")
        || msg.contains("violates the following Content Security Policy directive")
        || msg.contains("Refused to execute the redirect")
}

/// The archived page in headless Chromium: opened as a plain file its scripts run and it loads its
/// image, stylesheet and frame from the fixture server (the control); replayed by the view, and
/// framed in the finding page, nothing runs and nothing is requested. The site page and the
/// finding page log nothing to the console; screenshots of both and of the replay are taken.
/// Skipped, loudly, without Chromium; `.ci/run` sets GOVWATCH_REQUIRE_CHROMIUM=1 so CI never skips.
#[test]
fn the_archived_page_runs_no_script_in_chromium() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let d = demo();
    let dir = d.dir.join("chromium");
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("profile");
    let gone1 = finding_id(d.run1, HOSTILE, "link.broken_home", "/gone.html");
    let stored: String = {
        let hash: String = sql(
            "SELECT body_hash FROM pages WHERE run_id = ?1 AND site_id = ?2 AND depth = 0",
            rusqlite::params![d.run1, HOSTILE],
        );
        Store::open_read_only(&d.db)
            .unwrap()
            .page_body(&hash)
            .unwrap()
            .unwrap()
    };
    let hostile_requests = || d.net.http.requests_for(HOSTILE_HOST).len();

    check_control(d, &bin, &profile, &dir, &stored);

    // replayed by the view: the page as archived, the excerpt marked, no script run
    d.net.http.clear_log();
    let replay_url = format!("{}/findings/{gone1}/archive", d.open);
    let b = browse(&bin, &profile, &["--dump-dom", &replay_url]);
    assert!(
        b.dom
            .contains("<p id=\"state\">原始页面：测试县信访局首页。</p>"),
        "{}",
        b.dom
    );
    assert!(!b.dom.contains("<p id=\"state\">页面已被脚本改写</p>"));
    assert_eq!(b.dom.matches(INJECTED).count(), 1, "only the script's text");
    assert!(!b.dom.contains("data-hijacked=\"yes\""));
    assert!(b.dom.contains("<mark id=\"govwatch-excerpt\""));
    assert!(
        b.console
            .iter()
            .any(|(m, _)| m.contains("Blocked script execution")),
        "{:?}",
        b.console
    );
    for (m, src) in &b.console {
        // (Chromium names no source for a refused frame)
        assert!(
            (src.starts_with(&replay_url) || src.trim().is_empty()) && refused(m),
            "{m} ({src})"
        );
    }

    // the finding page frames it: the page itself logs nothing, the frame only its refusals
    let finding_url = format!("{}/findings/{gone1}", d.open);
    let b = browse(&bin, &profile, &["--dump-dom", &finding_url]);
    assert!(b.dom.contains("<h2 id=\"archive\">存档页面</h2>"));
    assert!(b.dom.contains("<iframe class=\"replay\" sandbox=\"\""));
    assert!(!b.dom.to_ascii_lowercase().contains("<script"));
    assert!(
        b.console
            .iter()
            .any(|(m, _)| m.contains("Blocked script execution")),
        "{:?}",
        b.console
    );
    for (m, src) in &b.console {
        // (Chromium names no source for a refused frame)
        assert!(
            (src.starts_with(&replay_url) || src.trim().is_empty()) && refused(m),
            "{m} ({src})"
        );
    }

    check_site_page_and_screenshots(d, &bin, &profile, &dir, [&replay_url, &finding_url]);
    assert_eq!(
        hostile_requests(),
        0,
        "nothing was loaded from the archived page's site"
    );
}

/// Chromium, or `None` after saying on stderr that the test is skipped (a failure instead when
/// `GOVWATCH_REQUIRE_CHROMIUM` is set).
fn chromium_or_skip() -> Option<PathBuf> {
    let bin = chromium();
    if bin.is_none() {
        assert!(
            std::env::var_os("GOVWATCH_REQUIRE_CHROMIUM").is_none(),
            "GOVWATCH_REQUIRE_CHROMIUM is set but no chromium on PATH"
        );
        {
            // straight to stderr: libtest captures eprintln!, and a skip must show
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! SKIPPED the_archived_page_runs_no_script_in_chromium: no chromium on PATH \
             (apt-get install chromium) !!!!!!!!\n"
            );
        };
    }
    bin
}

/// What the archived page's script injects (its text holds it once; running it adds a copy).
const INJECTED: &str = "<p id=\"injected\">注入内容</p>";

/// The control: the archived page opened as a file runs its scripts and loads from its site.
fn check_control(d: &Demo, bin: &Path, profile: &Path, dir: &Path, stored: &str) {
    let hostile_requests = || d.net.http.requests_for(HOSTILE_HOST).len();
    // the control: the archived page opened as a file runs its scripts and loads from its site
    // (alert() is stubbed: headless Chromium would wait on the dialog of the injected onerror)
    let control = dir.join("control.html");
    std::fs::write(
        &control,
        stored.replacen(
            "<head>",
            "<head><script>window.alert = function () {};</script>",
            1,
        ),
    )
    .unwrap();
    d.net.http.clear_log();
    let b = browse(
        bin,
        profile,
        &["--dump-dom", &format!("file://{}", control.display())],
    );
    // (the scripts' own text holds these strings once; what they did adds a second copy)
    assert!(
        b.dom.contains("<p id=\"state\">页面已被脚本改写</p>"),
        "{}",
        b.dom
    );
    assert_eq!(b.dom.matches(INJECTED).count(), 2);
    assert!(b.dom.contains("data-hijacked=\"yes\""));
    assert!(
        hostile_requests() > 0,
        "the control loads its image, stylesheet and frame"
    );
}

/// The site page (the hostile name is text, nothing logged), and the screenshots of it, of the
/// finding page (`urls[1]`) and of the replay (`urls[0]`).
fn check_site_page_and_screenshots(
    d: &Demo,
    bin: &Path,
    profile: &Path,
    dir: &Path,
    [replay_url, finding_url]: [&String; 2],
) {
    // the site page: the hostile name is text, nothing logged
    let site_url = format!("{}/runs/{}/sites/{HOSTILE}", d.open, d.run2);
    let b = browse(bin, profile, &["--dump-dom", &site_url]);
    assert!(b.dom.contains("发现的问题及证据"));
    assert!(b.dom.contains("&lt;script&gt;alert('站名')&lt;/script&gt;\"&gt;&lt;img src=x onerror=alert(2)&gt;测试县信访局"));
    let lower = b.dom.to_ascii_lowercase();
    assert!(
        !lower.contains("<script") && !lower.contains("<img"),
        "no element from site text"
    );
    assert!(b.console.is_empty(), "{:?}", b.console);

    // screenshots (look at them: Chinese text, tables, the framed archived page)
    for (name, url, h) in [
        ("site.png", &site_url, 2400),
        ("finding.png", finding_url, 2400),
        ("replay.png", replay_url, 900),
    ] {
        let shot = dir.join(name);
        browse(
            bin,
            profile,
            &[
                &format!("--screenshot={}", shot.display()),
                &format!("--window-size=1280,{h}"),
                "--hide-scrollbars",
                url,
            ],
        );
        assert_eq!(png_size(&shot), (1280, h));
        eprintln!("screenshot: {}", shot.display());
    }
}
