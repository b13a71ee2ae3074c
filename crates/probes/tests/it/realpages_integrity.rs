//! The integrity probe on real pages from `../shared/realpages` (SKIPPED without a page on a
//! developer's machine, failing in CI under `GOVWATCH_REQUIRE_SHARED`): the hacked 道真
//! homepage carries a hidden link farm; the same homepage before the injection and the 山西 article
//! page (294 legitimate `display:none` blocks) carry none.

use crate::common;

use govwatch_model::SiteCrawl;
use govwatch_probes::integrity::Integrity;
use govwatch_probes::{Probe, ProbeInput};

fn crawl_of(test: &str, name: &str, url: &str) -> Option<SiteCrawl> {
    let text = govwatch_testutil::require::realpage_text(test, name)?;
    let t = chrono::DateTime::parse_from_rfc3339("2021-04-08T02:00:00+08:00").unwrap();
    Some(common::single_page_crawl(url, text, t))
}

fn codes(c: &SiteCrawl) -> Vec<(String, serde_json::Value)> {
    let probe = Integrity::new(Default::default());
    let input = ProbeInput::new(c, c.pages[0].fetch.started_at);
    probe
        .run(&input)
        .findings
        .into_iter()
        .map(|f| (f.code, f.value))
        .collect()
}

#[test]
fn hacked_daozhen_homepage_has_a_hidden_link_farm() {
    let Some(c) = crawl_of(
        "hacked_daozhen_homepage_has_a_hidden_link_farm",
        "gzdzhrss.com-daozhen-hrss__e-homepage-hidden-linkfarm__1.html",
        "http://www.gzdzhrss.com/",
    ) else {
        return;
    };
    let f = codes(&c);
    let farm = f
        .iter()
        .find(|(c, _)| c == "integrity.hidden_links")
        .expect("hidden link farm found");
    // one display:none block of 40 links to 37 hosts, one of them the site's own home: 39
    // outbound links to 36 hosts, with three spam words in their text (晋城男科医院, 自考毕业证,
    // 实战彩票网)
    assert_eq!(farm.1["blocks"], 1, "{}", farm.1);
    assert_eq!(farm.1["links"], 39, "{}", farm.1);
    let hosts: Vec<&str> = farm.1["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(hosts.len(), 36, "{hosts:?}");
    assert!(!hosts.contains(&"www.gzdzhrss.com"), "{hosts:?}");
    for h in [
        "www.chaoji007.com",
        "www.seo007.cn",
        "www.lgedu.net",
        "www.zjgztb.com",
    ] {
        assert!(hosts.contains(&h), "{h} in {hosts:?}");
    }
    assert_eq!(
        farm.1["words"],
        serde_json::json!(["毕业证", "彩票网", "男科医院"]),
        "{}",
        farm.1
    );
    // the rest of the page: its external kb.js script, and no HTTPS; nothing else
    let codes: Vec<&str> = f.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        [
            "integrity.hidden_links",
            "integrity.external_script",
            "security.no_https"
        ]
    );
}

#[test]
fn daozhen_homepage_before_injection_has_none() {
    let Some(c) = crawl_of(
        "daozhen_homepage_before_injection_has_none",
        "gzdzhrss.com-daozhen-hrss__d-homepage-before-injection__2.html",
        "http://www.gzdzhrss.com/",
    ) else {
        return;
    };
    let f = codes(&c);
    // no link farm yet; its external kb.js script is already there, and no HTTPS; nothing else
    let codes: Vec<&str> = f.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        ["integrity.external_script", "security.no_https"],
        "{f:?}"
    );
    assert_eq!(f[0].1["hosts"], serde_json::json!(["hnci.net.cn"]), "{f:?}");
}

#[test]
fn shanxi_article_with_hundreds_of_hidden_menus_has_none() {
    let Some(c) = crawl_of(
        "shanxi_article_with_hundreds_of_hidden_menus_has_none",
        "shanxi.gov.cn__b-article-with-sitesearch__1.html",
        "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190912_1.shtml",
    ) else {
        return;
    };
    let f = codes(&c);
    // 294 legitimate display:none blocks: no link farm, no spam; only the page's lack of HTTPS
    let codes: Vec<&str> = f.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["security.no_https"], "{f:?}");
}
