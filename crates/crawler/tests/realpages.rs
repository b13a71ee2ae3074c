//! The decoder and link extractor on real government pages from `../shared/realpages`, when that
//! folder is present (it is not part of the repository; without it each test says SKIPPED in the
//! test output and checks nothing).

use govwatch_crawler::{decode::decode_html, extract};
use govwatch_model::{CharsetSource, LinkKind};
use std::path::PathBuf;

fn realpage(name: &str) -> Option<Vec<u8>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/realpages")
        .join(name);
    let bytes = std::fs::read(&p).ok();
    if bytes.is_none() {
        // straight to stderr: libtest captures eprintln!, and a skip must show
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: real page {} is missing",
            p.display()
        );
    }
    bytes
}

#[test]
fn gb2312_declared_homepage_decodes_as_gbk() {
    let Some(bytes) = realpage("ahyx.gov.cn-yuexi__d-homepage-GB2312-TRUNCATED__1.html") else {
        return;
    };
    let d = decode_html(&bytes, Some("text/html"));
    assert_eq!(d.source, CharsetSource::Meta);
    assert_eq!(d.encoding.name(), "GBK");
    assert!(!d.had_errors);
    assert!(d.text.contains("岳西"));
    let doc = scraper::Html::parse_document(&d.text);
    let links = extract::links(&doc, &url::Url::parse("http://www.ahyx.gov.cn/").unwrap());
    assert!(links.iter().filter(|l| l.kind == LinkKind::Anchor).count() > 20);
}

#[test]
fn utf8_homepage_links_and_title() {
    let Some(bytes) = realpage("zhecheng.gov.cn__d-homepage-modified__7.html") else {
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
    assert!(links.len() > 50, "{}", links.len());
}
