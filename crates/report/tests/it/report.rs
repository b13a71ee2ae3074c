//! Reports from a stored, scored run: hostile site content escaped in HTML, the XLSX read back
//! with calamine, the WARC read back member by member, CSV/JSON/Markdown, rectification.

use calamine::{Data, Reader, Xlsx, open_workbook};
use flate2::read::GzDecoder;
use govwatch_model::{
    Evidence, FetchRecord, Finding, Page, Purpose, Severity, Site, SiteKind, SiteOverrides,
    SiteResult, Timestamp,
};
use govwatch_report::{
    Format, ReportData, html::render_html, json::render_json, md::render_md, warc, write,
};
use govwatch_score::{score_run, shipped_rules};
use govwatch_store::{Store, text_hash};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

const HOSTILE: &str = "<script>alert('x')</script>县人民政府";
/// A site name that a spreadsheet would run as a formula (CSV injection).
const FORMULA: &str = "=HYPERLINK(\"http://evil.test/\",\"乙县人民政府\")";

fn ts(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn site(id: &str, name: &str, region: &str, kind: SiteKind) -> Site {
    Site {
        id: id.into(),
        name: name.into(),
        home: format!("http://{id}.gov.test/").parse().unwrap(),
        org: format!("{name}办公室"),
        region: region.into(),
        kind,
        overrides: SiteOverrides::default(),
    }
}

fn page(url: &str, body: &str) -> Page {
    Page {
        fetch: FetchRecord {
            url: url.into(),
            final_url: url.into(),
            method: "GET".into(),
            purpose: Purpose::Page,
            status: Some(200),
            started_at: ts("2020-03-30T02:00:01+08:00"),
            elapsed_ms: 10,
            queue_ms: 0,
            bytes: body.len() as u64,
            content_type: Some("text/html; charset=GBK".into()),
            content_hash: Some(text_hash(body)),
            remote_addr: Some("127.0.0.1:80".into()),
            family: Some(4),
            error: None,
            error_message: None,
            redirects: vec![],
            attempt: 1,
        },
        depth: 0,
        text: body.into(),
        charset: Some("GBK".into()),
        charset_source: None,
        title: None,
        links: vec![],
        is_html: true,
    }
}

fn finding(
    code: &str,
    severity: Severity,
    url: &str,
    excerpt: &str,
    value: serde_json::Value,
) -> Finding {
    Finding {
        probe: "test".into(),
        code: code.into(),
        severity,
        url: Some(url.into()),
        value,
        message: format!("{code}: {excerpt}"),
        evidence: Evidence {
            status: Some(200),
            excerpt: Some(excerpt.into()),
            archived: Some(url.to_string()),
            ..Default::default()
        },
        observed_at: ts("2020-03-30T02:00:02+08:00"),
    }
}

fn result(site: &Site, pages: Vec<Page>, findings: Vec<Finding>) -> SiteResult {
    SiteResult {
        site: site.clone(),
        started_at: ts("2020-03-30T02:00:00+08:00"),
        finished_at: ts("2020-03-30T02:01:00+08:00"),
        fetches: pages.iter().map(|p| p.fetch.clone()).collect(),
        pages,
        samples: vec![],
        facts: vec![],
        findings,
    }
}

/// Two runs of three sites: a hostile portal that fails by veto, a department with broken links,
/// a clean portal; in the second run one broken link is fixed and a new one appears.
fn fixture(dir: &std::path::Path) -> (Store, i64, i64) {
    let mut store = Store::open(dir.join("govwatch.db")).unwrap();
    let a = site("3400000001", HOSTILE, "甲县", SiteKind::Portal);
    let b = site(
        "3400000002",
        "乙县发展和改革委员会",
        "乙县",
        SiteKind::Department,
    );
    let c = site("3400000003", FORMULA, "乙县", SiteKind::Portal);
    let a_home = a.home.to_string();
    let b_home = b.home.to_string();
    let hostile_body =
        format!("<html><head><title>{HOSTILE}</title></head><body>首页</body></html>");
    let mut runs = Vec::new();
    for (as_of, b_links) in [
        (
            "2020-03-30T02:00:00+08:00",
            vec!["gone-1.html", "gone-2.html"],
        ),
        (
            "2020-06-29T02:00:00+08:00",
            vec!["gone-2.html", "gone-3.html"],
        ),
    ] {
        let run = store.begin_run(ts(as_of), &json!({})).unwrap();
        store
            .write_site_result(
                run,
                &result(
                    &a,
                    vec![page(&a_home, &hostile_body)],
                    vec![finding(
                        "home.stale",
                        Severity::Veto,
                        &a_home,
                        "<script>document.location='http://evil.test/'</script>",
                        json!({"latest": "2020-01-01", "hub": false, "window_days": 14}),
                    )],
                ),
            )
            .unwrap();
        let mut fb = Vec::new();
        for l in &b_links {
            fb.push(finding(
                "link.broken_home",
                Severity::Deduct,
                &format!("{b_home}{l}"),
                "<a href=\"x\">x</a>",
                json!({"status": 404, "anchor": "政策文件", "from": [b_home.clone()], "from_count": 1}),
            ));
        }
        store
            .write_site_result(run, &result(&b, vec![page(&b_home, "<html>乙</html>")], fb))
            .unwrap();
        store
            .write_site_result(
                run,
                &result(&c, vec![page(c.home.as_ref(), "<html>丙</html>")], vec![]),
            )
            .unwrap();
        store
            .finish_run(run, govwatch_store::RunStatus::Done, None)
            .unwrap();
        runs.push(run);
    }
    let rules = shipped_rules();
    for r in &runs {
        let set = score_run(&store, *r, &rules).unwrap();
        store.write_scores(&set).unwrap();
    }
    (store, runs[0], runs[1])
}

#[test]
fn reports_escape_site_content_and_read_back() {
    let dir = scratch("all");
    let (mut store, first, second) = fixture(&dir);
    let rules = shipped_rules();
    let (warc_path, records) = warc::write_run_warc(&mut store, second, &dir).unwrap();
    assert_eq!(records.len(), 3);
    let d = ReportData::load(&store, second, &rules, "2020年第二季度".into(), Some(first)).unwrap();
    check_figures(&d);
    check_html(&d);
    check_rectification(&d);
    check_no_accounts(&d);
    check_xlsx(&d, &dir);
    check_csv_json_md(&d, &dir);
    check_warc(&warc_path, &records);
}

/// Verdicts and figures of the second run.
fn check_figures(d: &ReportData) {
    // verdicts and figures
    assert_eq!(d.figures.overall.sites, 3);
    assert_eq!(d.figures.overall.passed, 2);
    assert_eq!(d.figures.overall.pass_rate, Some(66.67));
    assert_eq!(d.figures.portals, 2);
    assert_eq!(
        d.figures.bonus_scored, 1,
        "the clean portal enters bonus scoring"
    );
    assert_eq!(d.figures.bonus_share, Some(50.0));
    let b = d.score("3400000002").unwrap();
    assert_eq!(b.score, Some(98.0));
}

/// HTML: one file, no script of any kind, the hostile title and excerpt escaped, the veto's evidence linked to its archived record.
fn check_html(d: &ReportData) {
    // HTML: one file, no script of any kind, the hostile title and excerpt escaped
    let html = render_html(d);
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "no script element"
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;县人民政府"));
    assert!(
        html.contains("&lt;script&gt;document.location=&#39;http://evil.test/&#39;&lt;/script&gt;")
    );
    assert!(!html.contains("src=\"http"), "no outside resource");
    assert!(html.contains("<svg"), "inline charts");
    assert_eq!(
        html.matches("<table class=\"annex\">").count(),
        7,
        "5 annexes + 表述问题 + rectification"
    );
    // the veto's evidence links to its archived record
    let veto = d
        .findings
        .iter()
        .find(|f| f.finding.code == "home.stale")
        .unwrap();
    let rec = d.archived(veto).expect("archived");
    assert!(html.contains(&rec.record_id.replace('<', "&lt;").replace('>', "&gt;")));
    assert!(html.contains(&format!("href=\"#f-{}\"", veto.id)));
}

/// Rectification: gone-1 fixed, gone-2 open, gone-3 new; the veto is still open.
fn check_rectification(d: &ReportData) {
    // rectification: gone-1 fixed, gone-2 open, gone-3 new; the veto is still open
    let r = d.since.as_ref().unwrap();
    let urls = |v: &Vec<govwatch_report::RectItem>| -> Vec<String> {
        v.iter().map(|i| i.url.clone()).collect()
    };
    assert_eq!(
        urls(&r.fixed),
        vec!["http://3400000002.gov.test/gone-1.html"]
    );
    assert_eq!(r.open.len(), 2);
    assert_eq!(urls(&r.new), vec!["http://3400000002.gov.test/gone-3.html"]);
    assert_eq!(
        r.deadline.to_string(),
        "2020-04-14",
        "first run's date + 15 days"
    );
}

/// No new-media account in this run: annex 4 says so, the summary says nothing of accounts.
fn check_no_accounts(d: &ReportData) {
    // no new-media account in this run: annex 4 says so, the summary says nothing of accounts
    let a4 = govwatch_report::annexes(d)
        .into_iter()
        .find(|t| t.key == "附件4")
        .unwrap();
    assert!(a4.rows.is_empty());
    assert_eq!(
        a4.note.as_deref(),
        Some("本次未检查政务新媒体账号（config/accounts.toml 未登记账号）。")
    );
    assert!(!govwatch_report::summary(d).contains("政务新媒体"));
}

/// XLSX read back with calamine: the sheets, 问题明细, the print setup, the annexes' cells.
fn check_xlsx(d: &ReportData, dir: &Path) {
    // XLSX read back with calamine
    let xlsx = dir.join("report.xlsx");
    assert_eq!(write(Format::Xlsx, d, dir).unwrap(), vec![xlsx.clone()]);
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec![
            "附件1",
            "附件2",
            "附件3",
            "附件4",
            "附件5",
            "整改情况",
            "表述问题",
            "问题明细"
        ]
    );
    // 问题明细: one row per finding, site owners' columns, China time to the second
    let details = wb.worksheet_range("问题明细").unwrap();
    let header: Vec<String> = (0..15)
        .map(|c| details.get_value((1, c)).unwrap().to_string())
        .collect();
    assert_eq!(
        header,
        [
            "序号",
            "地区",
            "网站名称",
            "网站标识码",
            "指标",
            "问题代码",
            "严重程度",
            "问题页面",
            "上级页面",
            "链接文字",
            "HTTP状态",
            "监测时间",
            "问题说明",
            "证据摘录",
            "存档记录"
        ]
    );
    assert_eq!(details.height(), 2 + d.findings.len());
    let rows: Vec<Vec<String>> = (2..details.height() as u32)
        .map(|r| {
            (0..15u32)
                .map(|c| {
                    details
                        .get_value((r, c))
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    let veto_row = rows
        .iter()
        .find(|r| r[5] == "home.stale")
        .expect("the veto's row");
    assert_eq!(veto_row[2], HOSTILE);
    assert_eq!(veto_row[6], "单项否决");
    assert_eq!(veto_row[4], "首页不更新");
    let broken = rows
        .iter()
        .find(|r| r[5].starts_with("link.broken"))
        .expect("a broken link's row");
    assert_eq!(broken[6], "扣分");
    assert_eq!(
        broken[8], "http://3400000002.gov.test/",
        "the page linking to it: {broken:?}"
    );
    assert_eq!(broken[9], "政策文件", "the link's text");
    assert!(
        rows.iter()
            .all(|r| r[11].len() == 19 && r[11].as_bytes()[10] == b' '),
        "YYYY-MM-DD HH:MM:SS: {rows:?}"
    );
    check_xlsx_print_setup(&xlsx);
    let s1 = wb.worksheet_range("附件1").unwrap();
    assert_eq!(
        s1.get_value((0, 0)),
        Some(&Data::String("附件1 各地区政府网站检查情况".into()))
    );
    assert_eq!(s1.get_value((1, 1)), Some(&Data::String("地区".into())));
    assert_eq!(s1.get_value((1, 5)), Some(&Data::String("合格率".into())));
    // regions sorted: 甲县 (1 site, failed), 乙县 (2 sites, passed)
    let region_rows: BTreeMap<String, (f64, f64, String)> = (2..4)
        .map(|r| {
            let text = |c| s1.get_value((r, c)).unwrap().to_string();
            let num = |c| match s1.get_value((r, c)).unwrap() {
                Data::Float(x) => *x,
                other => panic!("{other:?}"),
            };
            // the pass rate is a number (a fraction shown as a percentage), not text
            (text(1), (num(2), num(3), format!("{}%", num(5) * 100.0)))
        })
        .collect();
    assert_eq!(region_rows["甲县"], (1.0, 0.0, "0%".into()));
    assert_eq!(region_rows["乙县"], (2.0, 2.0, "100%".into()));
    assert_eq!(s1.get_value((4, 1)), Some(&Data::String("合计".into())));
    let s3 = wb.worksheet_range("附件3").unwrap();
    assert_eq!(s3.get_value((2, 2)), Some(&Data::String(HOSTILE.into())));
    assert!(
        s3.get_value((2, 5))
            .unwrap()
            .to_string()
            .contains("首页不更新")
    );
}

/// The print setup of every sheet: A4 landscape, one page wide, title and header rows repeated.
fn check_xlsx_print_setup(xlsx: &Path) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(xlsx).unwrap()).unwrap();
    let mut part = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    for n in 1..=8 {
        let sheet = part(&format!("xl/worksheets/sheet{n}.xml"));
        assert!(
            sheet.contains("<pageSetUpPr fitToPage=\"1\"/>"),
            "sheet{n}: {sheet}"
        );
        assert!(sheet.contains("orientation=\"landscape\""), "sheet{n}");
        assert!(sheet.contains("paperSize=\"9\""), "sheet{n}");
        assert!(sheet.contains("fitToHeight=\"0\""), "sheet{n}");
        assert!(sheet.contains("第 &amp;P 页"), "sheet{n}");
    }
    let workbook = part("xl/workbook.xml");
    assert_eq!(
        workbook.matches("_xlnm.Print_Titles").count(),
        8,
        "{workbook}"
    );
    assert!(workbook.contains("问题明细!$1:$2"), "{workbook}");
}

/// CSV (formula cells as text), JSON and Markdown (site content as text).
fn check_csv_json_md(d: &ReportData, dir: &Path) {
    // CSV, JSON, Markdown
    let csvs = write(Format::Csv, d, dir).unwrap();
    assert_eq!(csvs.len(), 7, "5 annexes, rectification, 表述问题");
    let a3 = std::fs::read_to_string(dir.join("附件3.csv")).unwrap();
    assert!(a3.starts_with("\u{feff}序号,地区,网站名称"));
    assert!(a3.contains(HOSTILE));
    // a cell a spreadsheet would run as a formula is written as text (a leading apostrophe)
    let mut cells: Vec<String> = Vec::new();
    for f in &csvs {
        let text = std::fs::read_to_string(f).unwrap();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for rec in r.records() {
            cells.extend(rec.unwrap().iter().map(String::from));
        }
    }
    assert!(cells.contains(&format!("'{FORMULA}")), "{cells:?}");
    assert!(
        !cells.iter().any(|c| c.starts_with(['=', '+', '@'])),
        "no cell starts a formula: {cells:?}"
    );
    let j = render_json(d);
    assert_eq!(j["figures"]["overall"]["failed"], 1);
    assert_eq!(j["annexes"].as_array().unwrap().len(), 5);
    let md = render_md(d);
    assert!(
        md.contains("共检查政府网站3个，合格2个，不合格1个，合格率66.67%"),
        "{md}"
    );
    // site content in Markdown is text: no HTML, no link a renderer would make
    assert!(!md.to_ascii_lowercase().contains("<script"), "{md}");
    assert!(
        md.contains("&lt;script&gt;alert('x')&lt;/script&gt;县人民政府"),
        "{md}"
    );
    assert!(!md.contains("](http"), "{md}");
}

/// The WARC read back member by member at the recorded offsets, as one gzip stream, and by warcio when installed.
fn check_warc(warc_path: &Path, records: &[govwatch_store::ArchiveRecord]) {
    // WARC read back member by member at the recorded offsets
    let bytes = std::fs::read(warc_path).unwrap();
    let read_member = |offset: u64, length: u64| -> String {
        let slice = &bytes[offset as usize..(offset + length) as usize];
        let mut s = String::new();
        GzDecoder::new(slice).read_to_string(&mut s).unwrap();
        s
    };
    let first_len = records[0].offset;
    let info = read_member(0, first_len);
    assert!(
        info.starts_with("WARC/1.1\r\nWARC-Type: warcinfo\r\n"),
        "{info}"
    );
    for rec in records {
        let text = read_member(rec.offset, rec.length);
        let (head, rest) = text.split_once("\r\n\r\n").unwrap();
        let headers: BTreeMap<&str, &str> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(": "))
            .collect();
        assert!(head.starts_with("WARC/1.1\r\n"));
        assert_eq!(headers["WARC-Type"], "resource");
        assert_eq!(headers["WARC-Record-ID"], rec.record_id);
        assert_eq!(headers["WARC-Target-URI"], rec.url);
        assert_eq!(headers["WARC-Date"], "2020-03-29T18:00:01Z");
        assert_eq!(headers["govwatch-Original-Charset"], "GBK");
        let len: usize = headers["Content-Length"].parse().unwrap();
        let body = &rest.as_bytes()[..len];
        assert_eq!(&rest.as_bytes()[len..], b"\r\n\r\n");
        assert_eq!(headers["WARC-Payload-Digest"], warc::digest(body));
        if rec.url.starts_with("http://3400000001") {
            assert!(String::from_utf8_lossy(body).contains(HOSTILE));
        }
    }
    // the whole file is a valid multi-member gzip stream
    let mut all = String::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_string(&mut all)
        .unwrap();
    assert_eq!(all.matches("WARC/1.1\r\n").count(), 4);

    // and a web-archive tool reads it: warcio (PyPI) checks every record's digest
    match which("warcio") {
        Some(warcio) => {
            let out = std::process::Command::new(warcio)
                .args(["check", "-v"])
                .arg(warc_path)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "warcio check: {text}");
            assert_eq!(text.matches("digest pass").count(), 3, "{text}");
        }
        None => eprintln!(
            "\n!!!!!!!! warcio not on PATH: the WARC was checked by this test only \
             (pip install warcio) !!!!!!!!\n"
        ),
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[test]
fn a_run_without_scores_under_the_rules_is_refused_with_the_command_to_run() {
    let dir = scratch("unscored");
    let (store, _, second) = fixture(&dir);
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/indicators.toml"),
    )
    .unwrap()
    .replacen("per = 0.1", "per = 0.2", 1);
    let other = govwatch_score::parse_rules(&text, std::path::Path::new("x.toml")).unwrap();
    let e = ReportData::load(&store, second, &other, "t".into(), None).unwrap_err();
    assert!(e.to_string().contains("govwatch score --run"), "{e}");
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

fn run_chromium(
    bin: &std::path::Path,
    profile: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new("timeout")
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
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

/// The HTML report opens in headless Chromium: the DOM it builds holds the six tables and the
/// per-site sections, the hostile title is text (no script element), and a screenshot is taken.
/// Skipped, loudly, when Chromium is not installed; `.ci/run` installs it and sets
/// GOVWATCH_REQUIRE_CHROMIUM=1 so that CI never skips.
#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var_os("GOVWATCH_REQUIRE_CHROMIUM").is_none(),
            "GOVWATCH_REQUIRE_CHROMIUM is set but no chromium on PATH"
        );
        {
            // straight to stderr: libtest captures eprintln!, and a skip must show
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! SKIPPED html_report_renders_in_headless_chromium: no chromium on PATH \
             (apt-get install chromium) !!!!!!!!\n"
            );
        };
        return;
    };
    let dir = scratch("chromium");
    let (mut store, first, second) = fixture(&dir);
    let rules = shipped_rules();
    warc::write_run_warc(&mut store, second, &dir).unwrap();
    let d = ReportData::load(&store, second, &rules, "2020年第二季度".into(), Some(first)).unwrap();
    let html_path = dir.join("report.html");
    std::fs::write(&html_path, render_html(&d)).unwrap();
    let url = format!("file://{}", html_path.display());
    let profile = dir.join("profile");

    let out = run_chromium(&bin, &profile, &["--dump-dom", &url]);
    assert!(
        out.status.success(),
        "chromium --dump-dom: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_eq!(dom.matches("<table class=\"annex\">").count(), 7, "{dom}");
    assert_eq!(dom.matches("<section class=\"site\"").count(), 3);
    assert!(dom.contains("附件1 各地区政府网站检查情况"));
    assert!(dom.contains("<svg"));
    assert!(!dom.contains("<script"), "the hostile title stayed text");
    assert!(dom.contains("&lt;script&gt;alert('x')&lt;/script&gt;县人民政府"));

    let shot = dir.join("report.png");
    let out = run_chromium(
        &bin,
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
            "--hide-scrollbars",
            &url,
        ],
    );
    assert!(
        out.status.success(),
        "chromium --screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // width and height from the IHDR chunk
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (1280, 2000));
    eprintln!("screenshot: {} ({} bytes)", shot.display(), png.len());
}

/// Annex 5: letters marked 已回复 without a published reply date are answered, shown apart, and
/// left out of the shares (their latency is unknown); the totals pool the same way.
#[test]
fn annex5_shows_answers_without_a_reply_date_apart() {
    let dir = scratch("annex5");
    let mut store = Store::open(dir.join("govwatch.db")).unwrap();
    let a = site("3400000011", "丁县人民政府", "丁县", SiteKind::Portal);
    let b = site("3400000012", "戊县人民政府", "戊县", SiteKind::Portal);
    let run = store
        .begin_run(ts("2020-03-30T02:00:00+08:00"), &json!({}))
        .unwrap();
    let latency = |v: serde_json::Value, s: &Site| govwatch_model::Fact {
        probe: "interaction".into(),
        code: "message.latency".into(),
        url: Some(s.home.to_string()),
        value: v,
        observed_at: ts("2020-03-30T02:00:02+08:00"),
    };
    // 丁县: 3 letters, all answered, one without a reply date; of the 2 dated: 1 within 1 day,
    // 2 within 5 → 50% and 100%
    let mut ra = result(&a, vec![page(a.home.as_ref(), "<html>丁</html>")], vec![]);
    ra.facts.push(latency(
        json!({"letters": 3, "answered": 3, "answered_undated": 1, "within_1": 1, "within_5": 2,
               "share_1": 0.5, "share_5": 1.0, "median_days": 1.5, "last_reply": "2020-03-20"}),
        &a,
    ));
    // 戊县: 2 letters, both marked 已回复 with no date anywhere: no share can be given
    let mut rb = result(&b, vec![page(b.home.as_ref(), "<html>戊</html>")], vec![]);
    rb.facts.push(latency(
        json!({"letters": 2, "answered": 2, "answered_undated": 2, "within_1": 0, "within_5": 0,
               "share_1": null, "share_5": null, "median_days": null, "last_reply": null}),
        &b,
    ));
    store.write_site_result(run, &ra).unwrap();
    store.write_site_result(run, &rb).unwrap();
    store
        .finish_run(run, govwatch_store::RunStatus::Done, None)
        .unwrap();
    let rules = shipped_rules();
    let set = score_run(&store, run, &rules).unwrap();
    store.write_scores(&set).unwrap();
    let d = ReportData::load(&store, run, &rules, "2020年第一季度".into(), None).unwrap();
    let a5 = govwatch_report::annexes(&d)
        .into_iter()
        .find(|t| t.key == "附件5")
        .unwrap();
    assert_eq!(a5.headers[4..6], ["已答复数", "其中未注明答复日期"]);
    let text = |r: &Vec<govwatch_report::Cell>| r.iter().map(|c| c.text()).collect::<Vec<_>>();
    let rows: Vec<Vec<String>> = a5.rows.iter().map(text).collect();
    let row = |name: &str| rows.iter().find(|r| r[2] == name).unwrap().clone();
    assert_eq!(
        row("丁县人民政府")[3..],
        ["3", "3", "1", "1", "2", "50%", "100%", "2020-03-20"]
    );
    assert_eq!(
        row("戊县人民政府")[3..],
        ["2", "2", "2", "0", "0", "—", "—", "—"]
    );
    // totals: 5 letters, 5 answered, 3 without a date; shares over the 2 dated answers
    let total = rows.iter().find(|r| r[1] == "合计").unwrap();
    assert_eq!(total[3..9], ["5", "5", "3", "1", "2", "50%"]);
    assert_eq!(total[9], "100%");
    assert_eq!(d.figures.replies.answered_undated, 3);
    assert!(a5.note.as_deref().unwrap().contains("未注明答复日期"));
}

/// A text longer than an Excel cell (an inspector's long observations, an imported message) is
/// cut at Excel's limit with a note in the workbook — which is written, with every other file —
/// and stays whole in report.json.
#[test]
fn cells_over_excel_limit_are_cut_with_a_note_and_json_keeps_them_whole() {
    let dir = scratch("long-cells");
    let (store, first, second) = fixture(&dir);
    let rules = shipped_rules();
    let mut d =
        ReportData::load(&store, second, &rules, "2020年第二季度".into(), Some(first)).unwrap();
    // 120 observations of ~290 characters, as one message
    let long: String = (0..120)
        .map(|i| format!("第{i}条：{}。", "留言长期未回复，评论区已关闭".repeat(20)))
        .collect::<Vec<_>>()
        .join("");
    assert!(long.chars().count() > 32_767);
    let i = d
        .findings
        .iter()
        .position(|f| f.finding.code == "home.stale")
        .unwrap();
    d.findings[i].finding.message = long.clone();
    let xlsx = dir.join("report.xlsx");
    assert_eq!(write(Format::Xlsx, &d, &dir).unwrap(), vec![xlsx.clone()]);
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let details = wb.worksheet_range("问题明细").unwrap();
    let cell = (2..details.height() as u32)
        .map(|r| details.get_value((r, 12)).unwrap().to_string())
        .find(|m| m.starts_with("第0条"))
        .unwrap();
    assert!(cell.encode_utf16().count() <= 32_767);
    let note = format!(
        "…（全文 {} 字，超出 Excel 单元格上限，已截断；全文见 report.json）",
        long.chars().count()
    );
    assert!(cell.ends_with(&note), "{}", &cell[cell.len() - 200..]);
    assert!(long.starts_with(cell.strip_suffix(&note).unwrap()));
    // the JSON keeps the whole text
    let json = serde_json::to_string(&render_json(&d)).unwrap();
    assert!(json.contains(&long));
}

/// Links a report emits are http(s) or relative: an archive record whose file is a `javascript:`
/// URL (a hostile shard can bring one in) is shown as text, never as a link.
#[test]
fn report_links_are_http_or_relative_only() {
    let dir = scratch("links");
    let (mut store, first, second) = fixture(&dir);
    let rules = shipped_rules();
    warc::write_run_warc(&mut store, second, &dir).unwrap();
    let mut d =
        ReportData::load(&store, second, &rules, "2020年第二季度".into(), Some(first)).unwrap();
    assert!(!d.archive.is_empty());
    let hostile = [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/run.warc.gz",
        "\\\\evil.example\\share\\run.warc.gz",
        "file:///etc/passwd",
    ];
    for (i, a) in d.archive.iter_mut().enumerate() {
        a.file = hostile[i % hostile.len()].into();
    }
    let html = render_html(&d);
    for h in hostile {
        let escaped = govwatch_report::html::esc(h);
        assert!(
            !html.contains(&format!("href=\"{escaped}\"")),
            "{h} became a link"
        );
    }
    for href in html.split("href=\"").skip(1) {
        let url = &href[..href.find('"').unwrap()];
        assert!(
            url.starts_with('#')
                || url.starts_with("http://")
                || url.starts_with("https://")
                || (!url.contains(':') && !url.starts_with("//") && !url.contains('\\')),
            "{url}"
        );
    }
}
