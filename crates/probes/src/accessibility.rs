//! The accessibility baseline (GB/T 37668-2019; 工信部信管〔2020〕200号 互联网应用适老化及无障碍
//! 改造专项行动: government sites offer an accessible or elderly mode).
//!
//! Per site, over every page read: images without an `alt` attribute (an empty `alt` marks a
//! decorative image and is right; 1×1 pixels are not counted), form fields without a label
//! (a `<label for>`, an enclosing `<label>`, `aria-label`, `aria-labelledby`, `title` or
//! `placeholder`; hidden fields and buttons need none), pages without `lang` on `<html>`; on the
//! home page, an entry to an accessible or elderly mode (无障碍, 长者模式, 关怀版 … in a short link
//! or button, its title, id or class, or the common toolbars' scripts, `wza` / `cniil`).
//!
//! Codes: `a11y.summary` (fact); findings `a11y.entry_missing`, `a11y.images_no_alt`,
//! `a11y.inputs_no_label`, `a11y.lang_missing`, all `info` (提示), thresholds in
//! `config/probes.toml` `[accessibility]`; `indicators.toml` scores none unless the office adds a
//! rule.

use crate::{Probe, ProbeInput, ProbeOutput, Scan, ScanCx};
use govwatch_config::AccessibilityRules;
use govwatch_model::{Fact, Page, Severity};
use scraper::{ElementRef, Html, Selector};
use serde_json::json;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    pub const SUMMARY: &str = "a11y.summary";
    pub const ENTRY_MISSING: &str = "a11y.entry_missing";
    pub const IMAGES_NO_ALT: &str = "a11y.images_no_alt";
    pub const INPUTS_NO_LABEL: &str = "a11y.inputs_no_label";
    pub const LANG_MISSING: &str = "a11y.lang_missing";
    /// Every code above.
    pub const ALL: &[&str] = &[
        SUMMARY,
        ENTRY_MISSING,
        IMAGES_NO_ALT,
        INPUTS_NO_LABEL,
        LANG_MISSING,
    ];
}

pub struct Accessibility {
    rules: AccessibilityRules,
    /// The entry words in lower case (ids, classes and script URLs are matched without case).
    lower: Vec<String>,
}

impl Accessibility {
    pub fn new(rules: AccessibilityRules) -> Accessibility {
        let lower = rules
            .entry_words
            .iter()
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect();
        Accessibility { rules, lower }
    }
}

/// What one page shows of the baseline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct A11yScan {
    pub images: usize,
    pub images_no_alt: usize,
    /// The first image without alt (its `src`), for the evidence.
    pub first_no_alt: Option<String>,
    pub inputs: usize,
    pub inputs_no_label: usize,
    /// The first field without a label (its markup, cut), for the evidence.
    pub first_no_label: Option<String>,
    pub lang: Option<String>,
    /// On the home page: how the accessible-mode entry is there.
    pub entry: Option<String>,
}

/// The elements an accessible-mode entry may be (the home page only).
fn controls() -> &'static Selector {
    static S: OnceLock<Selector> = OnceLock::new();
    S.get_or_init(|| Selector::parse("a, button, [onclick]").expect("valid selector"))
}

fn nonempty(v: Option<&str>) -> bool {
    v.is_some_and(|s| !s.trim().is_empty())
}

/// The start tag of an element, cut, for the evidence.
fn start_tag(e: &ElementRef) -> String {
    let v = e.value();
    let mut s = format!("<{}", v.name());
    for (k, val) in v.attrs() {
        s.push_str(&format!(" {k}=\"{val}\""));
    }
    s.push('>');
    crate::evidence::clip(&s, 120)
}

impl Accessibility {
    fn read(&self, page: &Page, doc: &Html) -> A11yScan {
        let root = doc.root_element();
        let mut scan = A11yScan {
            lang: (root.value().name() == "html")
                .then(|| root.value().attr("lang").or(root.value().attr("xml:lang")))
                .flatten()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
            ..Default::default()
        };
        // one walk over the elements: images, form fields and the labels' targets
        let mut fields: Vec<ElementRef> = Vec::new();
        let mut label_for: HashSet<&str> = HashSet::new();
        for e in root.descendants().filter_map(ElementRef::wrap) {
            let v = e.value();
            match v.name() {
                "img" => {
                    let pixel = |a: &str| {
                        v.attr(a)
                            .is_some_and(|w| matches!(w.trim(), "0" | "1" | "0px" | "1px"))
                    };
                    if pixel("width") || pixel("height") {
                        continue;
                    }
                    scan.images += 1;
                    if v.attr("alt").is_none() {
                        scan.images_no_alt += 1;
                        if scan.first_no_alt.is_none() {
                            scan.first_no_alt = Some(start_tag(&e));
                        }
                    }
                }
                "input" => {
                    let t = v.attr("type").unwrap_or("text").trim().to_ascii_lowercase();
                    if !matches!(
                        t.as_str(),
                        "hidden" | "submit" | "button" | "image" | "reset"
                    ) {
                        fields.push(e);
                    }
                }
                "select" | "textarea" => fields.push(e),
                "label" => {
                    if let Some(f) = v.attr("for") {
                        label_for.insert(f.trim());
                    }
                }
                _ => {}
            }
        }
        for f in &fields {
            let v = f.value();
            scan.inputs += 1;
            let named = ["aria-label", "aria-labelledby", "title", "placeholder"]
                .iter()
                .any(|a| nonempty(v.attr(a)));
            let by_for = v.attr("id").is_some_and(|id| label_for.contains(id.trim()));
            let wrapped = || {
                f.ancestors()
                    .filter_map(ElementRef::wrap)
                    .any(|a| a.value().name() == "label")
            };
            if !(named || by_for || wrapped()) {
                scan.inputs_no_label += 1;
                if scan.first_no_label.is_none() {
                    scan.first_no_label = Some(start_tag(f));
                }
            }
        }
        if page.depth == 0 {
            scan.entry = self.entry(page, doc);
        }
        scan
    }

    /// The accessible-mode entry of the home page, if it has one.
    fn entry(&self, page: &Page, doc: &Html) -> Option<String> {
        let has = |t: &str| {
            let t = t.to_lowercase();
            self.lower.iter().any(|w| t.contains(w.as_str()))
        };
        for c in doc.select(controls()) {
            let v = c.value();
            let text: String = c.text().collect::<String>();
            let text = text.trim();
            if (text.chars().count() <= 12 && has(text))
                || ["title", "id", "class", "onclick", "alt"]
                    .iter()
                    .any(|a| v.attr(a).is_some_and(&has))
            {
                let shown = if text.is_empty() { v.name() } else { text };
                return Some(crate::evidence::clip(shown, 40));
            }
        }
        page.links
            .iter()
            .find(|l| has(&l.url) || (l.text.chars().count() <= 12 && has(&l.text)))
            .map(|l| l.url.clone())
    }
}

impl Probe for Accessibility {
    fn name(&self) -> &'static str {
        "accessibility"
    }

    fn slot(&self) -> Option<usize> {
        Some(8)
    }

    fn scan(&self, page: &Page, doc: &Html, _cx: &ScanCx) -> Option<Scan> {
        if !page.is_html || !page.fetch.ok() {
            return None;
        }
        Some(Box::new(self.read(page, doc)))
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        let Some(hi) = input.pages().iter().position(|p| p.depth == 0) else {
            return out;
        };
        let home = &input.pages()[hi];
        let Some(h) = input.scan::<A11yScan>(self, hi) else {
            return out;
        };
        let (mut images, mut no_alt, mut inputs, mut no_label, mut pages, mut no_lang) =
            (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
        let (mut first_alt, mut first_label) = (None, None);
        for (i, p) in input.pages().iter().enumerate() {
            let Some(s) = input.scan::<A11yScan>(self, i) else {
                continue;
            };
            pages += 1;
            images += s.images;
            no_alt += s.images_no_alt;
            inputs += s.inputs;
            no_label += s.inputs_no_label;
            if s.lang.is_none() {
                no_lang += 1;
            }
            if first_alt.is_none() {
                first_alt = s.first_no_alt.clone().map(|e| (p, e));
            }
            if first_label.is_none() {
                first_label = s.first_no_label.clone().map(|e| (p, e));
            }
        }
        let share = if images > 0 {
            no_alt as f64 / images as f64
        } else {
            0.0
        };
        let at = home.fetch.started_at;
        out.facts.push(Fact {
            probe: self.name().into(),
            code: codes::SUMMARY.into(),
            url: Some(home.fetch.url.clone()),
            value: json!({
                "entry": h.entry,
                "pages": pages,
                "images": images,
                "images_no_alt": no_alt,
                "images_no_alt_share": (share * 1000.0).round() / 1000.0,
                "inputs": inputs,
                "inputs_no_label": no_label,
                "pages_no_lang": no_lang,
                "home_lang": h.lang,
            }),
            observed_at: at,
        });
        let mut push =
            |code: &str, page: &Page, value: serde_json::Value, msg: String, ex: Option<String>| {
                out.findings.push(
                    crate::evidence::finding(self.name(), code, Severity::Info, at)
                        .url(page.fetch.url.clone())
                        .value(value)
                        .message(msg)
                        .excerpt(ex)
                        .page(Some(page))
                        .build(),
                );
            };
        if h.entry.is_none() {
            push(
                codes::ENTRY_MISSING,
                home,
                json!({}),
                "首页未提供无障碍、长者模式或关怀版入口".into(),
                None,
            );
        }
        if images >= self.rules.min_images && share >= self.rules.max_images_no_alt {
            let (p, ex) = first_alt.map_or((home, None), |(p, e)| (p, Some(e)));
            push(
                codes::IMAGES_NO_ALT,
                p,
                json!({ "images": images, "images_no_alt": no_alt, "share": (share * 1000.0).round() / 1000.0, "pages": pages }),
                format!(
                    "{pages} 个页面的 {images} 张图片中有 {no_alt} 张没有替代文本（alt），占 {:.0}%",
                    share * 100.0
                ),
                ex,
            );
        }
        if no_label >= self.rules.max_inputs_no_label.max(1) {
            let (p, ex) = first_label.map_or((home, None), |(p, e)| (p, Some(e)));
            push(
                codes::INPUTS_NO_LABEL,
                p,
                json!({ "inputs": inputs, "inputs_no_label": no_label, "pages": pages }),
                format!("{pages} 个页面的 {inputs} 个表单输入项中有 {no_label} 个没有标签"),
                ex,
            );
        }
        if h.lang.is_none() {
            push(
                codes::LANG_MISSING,
                home,
                json!({}),
                "首页未声明页面语言（html 元素没有 lang 属性）".into(),
                None,
            );
        }
        out
    }
}
