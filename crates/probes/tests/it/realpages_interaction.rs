//! Message-form limits and the interaction probe's findings on the real letter forms in
//! `../shared/realpages` (not in the repository): without a page a test says SKIPPED on a
//! developer's machine and fails in CI (`GOVWATCH_REQUIRE_SHARED`).

use crate::common;

use govwatch_probes::interaction::Interaction;
use govwatch_probes::interaction::limits::read_limits;
use govwatch_probes::{Probe, ProbeInput};
use scraper::Html;
use serde_json::json;

fn read(test: &str, name: &str) -> Option<String> {
    govwatch_testutil::require::realpage_text(test, name)
}

/// The interaction probe's findings and `message.form` facts on the page `html` at `url`,
/// probed alone as the start page of an ad-hoc site (as `govwatch probe URL --max-pages 1`).
fn probed(url: &str, html: &str, as_of: &str) -> (Vec<(String, String)>, Vec<serde_json::Value>) {
    let t = chrono::DateTime::parse_from_rfc3339(as_of).unwrap();
    let c = common::single_page_crawl(url, html.to_string(), t);
    let probe = Interaction::new(
        govwatch_config::InteractionRules::default(),
        govwatch_config::WorkCalendar::shipped(),
    );
    let out = probe.run(&ProbeInput::new(&c, t));
    let findings = out
        .findings
        .iter()
        .map(|f| (f.code.clone(), f.url.clone().unwrap_or_default()))
        .collect();
    let forms = out
        .facts
        .iter()
        .filter(|f| f.code == "message.form")
        .map(|f| f.value.clone())
        .collect();
    (findings, forms)
}

fn visible(doc: &Html) -> String {
    let mut out = String::new();
    for n in doc.root_element().descendants() {
        if let Some(t) = n.value().as_text()
            && !n.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| matches!(e.name(), "script" | "style" | "head"))
            })
        {
            out.push_str(t);
            out.push(' ');
        }
    }
    out
}

#[test]
fn xiaoxian_letter_form_is_5_to_400_with_captcha() {
    let Some(html) = read(
        "xiaoxian_letter_form_is_5_to_400_with_captcha",
        "ahxx.gov.cn-xiaoxian__a-sjxx-write-letter__1.html",
    ) else {
        return;
    };
    let doc = Html::parse_document(&html);
    let l = read_limits(&doc, &visible(&doc));
    assert_eq!((l.min_len, l.max_len), (Some(5), Some(400)), "{l:?}");
    assert!(l.captcha);
    assert!(l.form_present);
    // 5 is under the default threshold (10): no min-length finding; 400 is over 200: no max one.
    let rules = govwatch_config::InteractionRules::default();
    assert!(l.min_len.unwrap() <= rules.limits.min_length_above);
    assert!(l.max_len.unwrap() >= rules.limits.max_length_below);
    assert_eq!(l.daily_cap, None);
    assert_eq!(l.open, None);
    let (findings, forms) = probed(
        "http://www.ahxx.gov.cn/sjxx/write.html",
        &html,
        "2026-11-28T10:00:00+08:00",
    );
    // the probe on the page: one consultation form read the same way, no finding (5 is under
    // the minimum that counts, 400 over the maximum; no cap, no hours)
    assert_eq!(findings, vec![], "{forms:?}");
    assert_eq!(forms.len(), 1, "{forms:?}");
    let f = &forms[0];
    assert_eq!(
        (
            &f["kind"],
            &f["form_present"],
            &f["min_len"],
            &f["max_len"],
            &f["captcha"],
            &f["daily_cap"],
            &f["open_hours"]
        ),
        (
            &json!("consultation"),
            &json!(true),
            &json!(5),
            &json!(400),
            &json!(true),
            &json!(null),
            &json!(null)
        ),
        "{f}"
    );
}

#[test]
fn huilai_template_content_is_at_most_500() {
    let Some(html) = read(
        "huilai_template_content_is_at_most_500",
        "huilai.gov.cn-template__a-xzxx-write-letter-JSP__1.jsp.html",
    ) else {
        return;
    };
    let doc = Html::parse_document(&html);
    let l = read_limits(&doc, &visible(&doc));
    // the content check (500), not the name (2–10), theme (200) or address (300) checks
    assert_eq!(l.max_len, Some(500), "{l:?}");
    assert_eq!(l.min_len, None, "{l:?}");
    let (findings, forms) = probed(
        "http://www.huilai.gov.cn/xzxx/write.jsp",
        &html,
        "2026-11-28T10:00:00+08:00",
    );
    assert_eq!(findings, vec![], "{forms:?}");
    assert_eq!(forms.len(), 1, "{forms:?}");
    let f = &forms[0];
    assert_eq!(
        (
            &f["kind"],
            &f["min_len"],
            &f["max_len"],
            &f["daily_cap"],
            &f["open_hours"]
        ),
        (
            &json!("consultation"),
            &json!(null),
            &json!(500),
            &json!(null),
            &json!(null)
        ),
        "{f}"
    );
    assert_eq!(f["max_source"]["how"], "script", "{f}");
}
