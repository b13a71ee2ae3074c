//! The decoder and link extractor on real government pages from `../shared/realpages` (not part
//! of the repository). Without a page a test says SKIPPED on a developer's machine and fails in CI
//! (`GOVWATCH_REQUIRE_SHARED`).

use govwatch_crawler::{decode::decode_html, extract};
use govwatch_model::{CharsetSource, LinkKind};

fn realpage(test: &str, name: &str) -> Option<Vec<u8>> {
    govwatch_testutil::require::realpage(test, name)
}

#[test]
fn gb2312_declared_homepage_decodes_as_gbk() {
    let _turn = crate::common::shared_blocking();
    let Some(bytes) = realpage(
        "gb2312_declared_homepage_decodes_as_gbk",
        "ahyx.gov.cn-yuexi__d-homepage-GB2312-TRUNCATED__1.html",
    ) else {
        return;
    };
    let d = decode_html(&bytes, Some("text/html"));
    assert_eq!(d.source, CharsetSource::Meta);
    assert_eq!(d.encoding.name(), "GBK");
    assert!(!d.had_errors);
    assert!(d.text.contains("岳西"));
    let doc = scraper::Html::parse_document(&d.text);
    let links = extract::links(&doc, &url::Url::parse("http://www.ahyx.gov.cn/").unwrap());
    let anchors: Vec<&str> = links
        .iter()
        .filter(|l| l.kind == LinkKind::Anchor)
        .map(|l| l.url.as_str())
        .collect();
    // every <a href> of the truncated page (56, all distinct), none lost to the GBK decoding
    assert_eq!(anchors.len(), 56, "{anchors:?}");
    assert_eq!(
        anchors
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        56
    );
    assert_eq!(
        anchors[0],
        "http://www.xinhuanet.com/politics/2018lh/index.htm"
    );
    assert_eq!(
        anchors[55],
        "http://xiangzhen.ahyx.gov.cn/xiangzhen/maojianshan/Index.html"
    );
}

#[test]
fn utf8_homepage_links_and_title() {
    let _turn = crate::common::shared_blocking();
    let Some(bytes) = realpage(
        "utf8_homepage_links_and_title",
        "zhecheng.gov.cn__d-homepage-modified__7.html",
    ) else {
        return;
    };
    let d = decode_html(&bytes, None);
    assert_eq!(d.encoding.name(), "UTF-8");
    let doc = scraper::Html::parse_document(&d.text);
    let links = extract::links(
        &doc,
        &url::Url::parse("http://www.zhecheng.gov.cn/").unwrap(),
    );
    assert!(links.iter().all(|l| l.url.starts_with("http")));
    assert!(links.iter().all(|l| !l.url.contains('#')));
    // every reference of the page, counted by kind: 145 <a href> (138 distinct), 21 <img src>,
    // 8 stylesheets (<link href>), 8 <script src>
    let count = |k: LinkKind| links.iter().filter(|l| l.kind == k).count();
    assert_eq!(
        (
            count(LinkKind::Anchor),
            count(LinkKind::Image),
            count(LinkKind::Stylesheet),
            count(LinkKind::Script)
        ),
        (145, 21, 8, 8),
        "{links:?}"
    );
    assert_eq!(links.len(), 182);
}
