//! The identity marks, the accessibility baseline and the soft-404 phrases over pages of unlike
//! markup (written here, each a way real sites write them).

use crate::common;
use govwatch_config::ProbeRules;

use govwatch_model::{Link, LinkKind, Page, SiteCrawl};
use govwatch_probes::accessibility::Accessibility;
use govwatch_probes::identity::Identity;
use govwatch_probes::{Probe, ProbeInput};

fn page(url: &str, depth: u32, html: &str, links: Vec<Link>) -> Page {
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap();
    common::html_page(url, html.into(), depth, links, t)
}

fn link(url: &str, text: &str, kind: LinkKind) -> Link {
    Link {
        url: url.into(),
        raw: url.into(),
        text: text.into(),
        kind,
    }
}

fn crawl(id: &str, org: &str, pages: Vec<Page>) -> SiteCrawl {
    let mut c = common::crawl_of_pages("测试", pages);
    c.site.id = id.into();
    c.site.org = org.into();
    c
}

fn identity_codes(id: &str, org: &str, html: &str, links: Vec<Link>) -> Vec<String> {
    let c = crawl(id, org, vec![page("http://a.gov.test/", 0, html, links)]);
    let probe = Identity::new(ProbeRules::default().identity);
    let out = probe.run(&ProbeInput::new(&c, c.pages[0].fetch.started_at));
    let mut v: Vec<String> = out.findings.iter().map(|f| f.code.clone()).collect();
    v.sort();
    v
}

fn marks_links() -> Vec<Link> {
    vec![
        link(
            "http://bszs.conac.cn/sitename?method=show&id=1",
            "党政机关",
            LinkKind::Anchor,
        ),
        link(
            "https://zfwzgl.www.gov.cn/exposure/jiucuo.js",
            "",
            LinkKind::Script,
        ),
    ]
}

#[test]
fn a_complete_footer_in_a_table_gives_nothing() {
    let html = r#"<html><body><table><tr><td>主办单位：清河县人民政府办公室</td><td>网站标识码:1301000001</td></tr>
        <tr><td>冀ICP备05002528号-1 冀公网安备13052102000101号</td></tr></table></body></html>"#;
    assert!(identity_codes("1301000001", "清河县人民政府办公室", html, marks_links()).is_empty());
}

#[test]
fn a_department_code_with_letters_and_the_sponsor_before_主办() {
    let html = r#"<div class="foot"><p>国家统计局 主办 版权所有</p><p>网站标识码 bm36000002</p>
        <p>京ICP备05034670号 京公网安备 11040102700068号</p></div>"#;
    assert!(identity_codes("bm36000002", "国家统计局", html, marks_links()).is_empty());
}

#[test]
fn a_wrong_code_a_foreign_sponsor_and_a_bare_icp() {
    let html = r#"<footer>主办单位：清河县数据局 网站标识码：1301000009 ICP备05002528号</footer>"#;
    assert_eq!(
        identity_codes("1301000001", "清河县人民政府办公室", html, vec![]),
        [
            "identity.conac_missing",
            "identity.error_report_missing",
            "identity.icp_malformed",
            "identity.org_mismatch",
            "identity.psb_missing",
            "identity.site_code_mismatch"
        ]
    );
}

#[test]
fn the_psb_filing_as_公安备案_or_as_its_record_link_and_a_proxied_conac_badge() {
    let entry = link(
        "https://zfwzgl.www.gov.cn/exposure/jiucuo.js",
        "",
        LinkKind::Script,
    );
    // "公安备案" instead of "公网安备", and the badge's code with its script on an IPv6 proxy host
    let html = r#"<div class="footer"><p>主办单位：清河县人民政府办公室 网站标识码：1301000001 冀ICP备05002528号</p>
        <p><a href="//www.beian.gov.cn/portal/registerSystemInfo?recordcode=13052102000101"><img src="/i/ga.png" alt="">
        <span>冀公安备案 13052102000101号</span></a></p>
        <script>document.write(unescape("%3Cspan id='_ideConac' %3E%3C/span%3E%3Cscript src='http://qh.ipv6proxy.test/js/CA130521000000000001.js'%3E%3C/script%3E"));</script></div>"#;
    assert!(
        identity_codes(
            "1301000001",
            "清河县人民政府办公室",
            html,
            vec![entry.clone()]
        )
        .is_empty()
    );
    // only the record link (its text an image): the filing is there
    let html = r#"<table><tr><td>主办单位：清河县人民政府办公室</td><td>网站标识码：1301000001</td><td>冀ICP备05002528号</td>
        <td><a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=13052102000101"><img src="/i/ga.png"></a></td></tr></table>"#;
    let mut links = vec![entry.clone(), marks_links()[0].clone()];
    links.push(link(
        "http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=13052102000101",
        "",
        LinkKind::Anchor,
    ));
    assert!(identity_codes("1301000001", "清河县人民政府办公室", html, links).is_empty());
    // the ICP record's link is no 公安 filing, and a 公安 word without a number is none
    let html = r#"<p>主办单位：清河县人民政府办公室 网站标识码：1301000001 <a href="https://beian.miit.gov.cn/">冀ICP备05002528号</a> 公安备案号：</p>"#;
    let links = vec![
        entry,
        marks_links()[0].clone(),
        link(
            "https://beian.miit.gov.cn/?recordcode=13052102000101",
            "冀ICP备05002528号",
            LinkKind::Anchor,
        ),
    ];
    assert_eq!(
        identity_codes("1301000001", "清河县人民政府办公室", html, links),
        ["identity.psb_missing"]
    );
}

#[test]
fn a_footer_drawn_by_script_is_unverified_and_an_adhoc_probe_compares_nothing() {
    let html =
        r#"<html><body><div id="footer"></div><script src="/js/footer.js"></script></body></html>"#;
    assert!(identity_codes("1301000001", "清河县人民政府办公室", html, vec![]).is_empty());
    // `govwatch probe URL`: no registry id or sponsor to compare with
    let html = r#"<p>主办：某某县人民政府 网站标识码：1301000009 冀ICP备05002528号 冀公网安备13052102000101号</p>"#;
    assert!(identity_codes("adhoc", "", html, marks_links()).is_empty());
    // the entry as words beside a picture link, the code missing
    let html = r#"<p>主办：某某县人民政府 冀ICP备05002528号 冀公网安备13052102000101号 <a href="/jc/"><img src="/i/jc.png"></a>我为政府网站找错</p>"#;
    assert_eq!(
        identity_codes(
            "1301000001",
            "某某县人民政府",
            html,
            vec![marks_links()[0].clone()]
        ),
        ["identity.site_code_missing"]
    );
}

fn a11y(pages: Vec<Page>) -> (Vec<String>, serde_json::Value) {
    let c = crawl("1301000001", "", pages);
    let probe = Accessibility::new(ProbeRules::default().accessibility);
    let out = probe.run(&ProbeInput::new(&c, c.pages[0].fetch.started_at));
    let mut v: Vec<String> = out.findings.iter().map(|f| f.code.clone()).collect();
    v.sort();
    (v, out.facts[0].value.clone())
}

#[test]
fn accessibility_over_unlike_markup() {
    let imgs: String = (0..12)
        .map(|i| format!("<img src=\"/i/{i}.jpg\">"))
        .collect();
    // a toolbar button by class, labelled fields of every kind, decorative images with alt=""
    let good = format!(
        r#"<html lang="zh-CN"><body><span class="wza-btn" onclick="aria.start()">辅助</span>
        <form><label for="kw">搜索</label><input id="kw" name="q"><label>姓名<input name="n"></label>
        <input name="t" title="电话"><input placeholder="请输入关键词"><select aria-label="栏目"></select>
        <input type="hidden" name="x"><input type="submit" value="搜索"><button>提交</button></form>
        {}<img src="/px.gif" width="1" height="1"></body></html>"#,
        (0..12)
            .map(|i| format!("<img src=\"/i/{i}.jpg\" alt=\"\">"))
            .collect::<String>()
    );
    let (codes, v) = a11y(vec![page("http://a.gov.test/", 0, &good, vec![])]);
    assert!(codes.is_empty(), "{codes:?}");
    assert_eq!(
        (v["images"].as_u64(), v["inputs"].as_u64()),
        (Some(12), Some(5))
    );
    // no entry, no lang, images without alt, a bare field
    let bad = format!(
        r#"<html><body><a href="/news/1.html">我市推进无障碍环境建设取得新进展</a><input name="q">{imgs}</body></html>"#
    );
    let (codes, v) = a11y(vec![page("http://a.gov.test/", 0, &bad, vec![])]);
    assert_eq!(
        codes,
        [
            "a11y.entry_missing",
            "a11y.images_no_alt",
            "a11y.inputs_no_label",
            "a11y.lang_missing"
        ]
    );
    assert_eq!(v["images_no_alt"].as_u64(), Some(12));
    // the entry as the common toolbar's script
    let html = r#"<html lang="zh"><body><script src="https://wza.a.gov.test/cniil/assist.js"></script></body></html>"#;
    let l = vec![link(
        "https://wza.a.gov.test/cniil/assist.js",
        "",
        LinkKind::Script,
    )];
    let (codes, _) = a11y(vec![page("http://a.gov.test/", 0, html, l)]);
    assert!(codes.is_empty(), "{codes:?}");
}
