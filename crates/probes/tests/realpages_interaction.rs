//! Message-form limits on the real letter forms in `../shared/realpages`, when that folder is
//! present (it is not in the repository; each test passes vacuously without it).

use govwatch_probes::interaction::limits::read_limits;
use scraper::Html;
use std::path::PathBuf;

fn read(name: &str) -> Option<String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/realpages")
        .join(name);
    match std::fs::read(&p) {
        Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Err(_) => {
            {
                // straight to stderr: libtest captures eprintln!, and a skip must show
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: real page {} is missing",
                    p.display()
                );
            };
            None
        }
    }
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
    let Some(html) = read("ahxx.gov.cn-xiaoxian__a-sjxx-write-letter__1.html") else {
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
}

#[test]
fn huilai_template_content_is_at_most_500() {
    let Some(html) = read("huilai.gov.cn-template__a-xzxx-write-letter-JSP__1.jsp.html") else {
        return;
    };
    let doc = Html::parse_document(&html);
    let l = read_limits(&doc, &visible(&doc));
    // the content check (500), not the name (2–10), theme (200) or address (300) checks
    assert_eq!(l.max_len, Some(500), "{l:?}");
    assert_eq!(l.min_len, None, "{l:?}");
}
