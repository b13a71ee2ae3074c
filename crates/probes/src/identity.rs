//! The site's identity marks on its home page (国办发〔2017〕47号《政府网站发展指引》: the footer
//! shows the 党政机关网站标识, the 网站标识码, the ICP 备案编号, the 公安机关备案标识 and the
//! 主办单位; 国办秘函〔2019〕19号 功能设计: 域名和标识, the 我为政府网站找错 entry).
//!
//! Read from the home page as fetched (static HTML): the visible text for the site code
//! (`网站标识码：3413220004`), the ICP number (`皖ICP备05002528号-1`), the public-security filing
//! (`皖公网安备 34132202000123号`) and the sponsor (`主办单位：…`, `… 主办`); the links, images and
//! scripts for the conac badge (a `conac.cn` host) and the error-report entry (its words, or the
//! national platform's `jiucuo.js`); `<meta name="SiteIDCode">` and the `jiucuo.js` script's
//! `sitecode` beside the shown code. A home page whose static HTML has no footer words at all
//! draws its footer by script or frame: its marks are unverified (`footer_seen: false`), never
//! missing. The site code and the sponsor are compared with the registry only when the registry
//! has them (an ad-hoc probe has neither).
//!
//! Codes: `identity.marks` (fact); findings `identity.site_code_missing`,
//! `identity.site_code_mismatch`, `identity.icp_missing`, `identity.icp_malformed`,
//! `identity.psb_missing`, `identity.conac_missing`, `identity.org_missing`,
//! `identity.org_mismatch`, `identity.error_report_missing`, all `info` (提示): the points of
//! 功能设计 域名和标识 are not known to us (../shared/DOMAIN.md: partial), so `indicators.toml`
//! scores none of them until the office adds a rule (the file shows one, commented out).

use crate::{Probe, ProbeInput, ProbeOutput, Scan, ScanCx};
use govwatch_config::IdentityRules;
use govwatch_model::{Fact, Link, LinkKind, Page, Severity, Site};
use regex::Regex;
use scraper::{Html, Selector};
use serde_json::json;
use std::sync::OnceLock;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    pub const MARKS: &str = "identity.marks";
    pub const SITE_CODE_MISSING: &str = "identity.site_code_missing";
    pub const SITE_CODE_MISMATCH: &str = "identity.site_code_mismatch";
    pub const ICP_MISSING: &str = "identity.icp_missing";
    pub const ICP_MALFORMED: &str = "identity.icp_malformed";
    pub const PSB_MISSING: &str = "identity.psb_missing";
    pub const CONAC_MISSING: &str = "identity.conac_missing";
    pub const ORG_MISSING: &str = "identity.org_missing";
    pub const ORG_MISMATCH: &str = "identity.org_mismatch";
    pub const ERROR_REPORT_MISSING: &str = "identity.error_report_missing";
    /// Every code above.
    pub const ALL: &[&str] = &[
        MARKS,
        SITE_CODE_MISSING,
        SITE_CODE_MISMATCH,
        ICP_MISSING,
        ICP_MALFORMED,
        PSB_MISSING,
        CONAC_MISSING,
        ORG_MISSING,
        ORG_MISMATCH,
        ERROR_REPORT_MISSING,
    ];
}

pub struct Identity {
    rules: IdentityRules,
}

impl Identity {
    pub fn new(rules: IdentityRules) -> Identity {
        Identity { rules }
    }
}

/// What the home page shows of the site's identity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityScan {
    pub footer_seen: bool,
    /// Site codes shown after 网站标识码.
    pub site_codes: Vec<String>,
    pub meta_code: Option<String>,
    /// The `sitecode` of the error-report script.
    pub script_code: Option<String>,
    /// ICP numbers shown, as written, with whether each is in the format.
    pub icp: Vec<(String, bool)>,
    /// 公网安备 numbers shown, as written.
    pub psb: Vec<String>,
    /// How the conac badge is there (its URL).
    pub conac: Option<String>,
    /// The sponsor a 主办 statement names.
    pub org_stated: Option<String>,
    /// The registry's sponsor is named on the page.
    pub org_named: bool,
    /// How the error-report entry is there (its words or URL).
    pub error_report: Option<String>,
    /// Around the 网站标识码 (or the footer), for the evidence.
    pub excerpt: Option<String>,
}

fn site_code_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"网站(?:标识|识别)码\s*[:：]?\s*([0-9A-Za-z]{10})(?:[^0-9A-Za-z]|$)").unwrap()
    })
}

fn icp_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"([\p{Han}]?)\s*ICP\s*备\s*(\d*)\s*(号?)(?:\s*-\s*\d+)?").unwrap())
}

fn psb_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"[\p{Han}]?\s*(?:公网安备|公安备案|公安机关备案)\s*(?:号\s*)?[:：]?\s*(\d*)\s*号?",
        )
        .unwrap()
    })
}

fn org_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r"主办(?:单位)?\s*[:：]\s*([\p{Han}（）()]{2,40})|([\p{Han}（）()]{2,40})\s*主办(?:[^单]|$)",
        )
        .unwrap()
    })
}

fn folded(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// About 30 characters either side of `at` in `text`.
fn around(text: &str, at: usize, len: usize) -> String {
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(29)
        .map_or(0, |(i, _)| i);
    let end = text[at + len..]
        .char_indices()
        .nth(30)
        .map_or(text.len(), |(i, _)| at + len + i);
    text[start..end].to_string()
}

impl Identity {
    /// Everything the home page shows of the site's identity.
    fn read_home(&self, page: &Page, doc: &Html, cx: &ScanCx) -> IdentityScan {
        let text = cx.visible_text(doc);
        let mut scan = IdentityScan {
            footer_seen: self
                .rules
                .footer_words
                .iter()
                .any(|w| !w.is_empty() && text.contains(w.as_str())),
            ..Default::default()
        };
        read_numbers(text, &mut scan);
        read_tag_codes(doc, &mut scan);
        for l in &page.links {
            self.read_link(l, &mut scan);
        }
        self.read_scripted(page, text, &mut scan);
        read_org(&cx.site.org, text, &mut scan);
        if scan.excerpt.is_none() {
            // the footer's first word, for the evidence of what is missing
            if let Some(at) = self
                .rules
                .footer_words
                .iter()
                .filter_map(|w| text.find(w.as_str()).map(|i| (i, w.len())))
                .min()
            {
                scan.excerpt = Some(around(text, at.0, at.1));
            }
        }
        scan
    }

    /// One link of the home page: the 公安 filing's record, the conac badge, the error-report
    /// entry.
    fn read_link(&self, l: &Link, scan: &mut IdentityScan) {
        let url = l.url.to_ascii_lowercase();
        // the 公安 filing's link to its registration record (the badge often an image)
        if let Some(code) = url::Url::parse(&l.url)
            .ok()
            .filter(|u| {
                self.rules
                    .psb_hosts
                    .iter()
                    .any(|h| u.host_str().is_some_and(|x| x.eq_ignore_ascii_case(h)))
            })
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k.eq_ignore_ascii_case("recordcode"))
                    .map(|(_, v)| v.trim().to_string())
                    .filter(|v| v.len() >= 10 && v.chars().all(|c| c.is_ascii_digit()))
            })
            && !scan.psb.iter().any(|p| p.contains(code.as_str()))
        {
            scan.psb.push(format!("recordcode={code}"));
        }
        let host = url::Url::parse(&l.url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()))
            .unwrap_or_default();
        if scan.conac.is_none()
            && self
                .rules
                .conac_hosts
                .iter()
                .any(|h| host == *h || host.ends_with(&format!(".{h}")))
        {
            scan.conac = Some(l.url.clone());
        }
        if scan.error_report.is_none() {
            let by_url = self
                .rules
                .error_report_urls
                .iter()
                .any(|u| !u.is_empty() && url.contains(u.as_str()));
            let by_words = matches!(l.kind, LinkKind::Anchor | LinkKind::Image)
                && self
                    .rules
                    .error_report_words
                    .iter()
                    .any(|w| !w.is_empty() && l.text.contains(w.as_str()));
            if by_url || by_words {
                scan.error_report = Some(if by_words {
                    l.text.clone()
                } else {
                    l.url.clone()
                });
            }
        }
    }

    /// The badge and the entry no link showed: written by a script, or drawn as text.
    fn read_scripted(&self, page: &Page, text: &str, scan: &mut IdentityScan) {
        // the badge and the entry are often written by an inline script (`document.write`), the
        // badge's script from a mirror host (an IPv6 proxy) beside its placeholder element
        let raw = page.text.to_ascii_lowercase();
        if scan.conac.is_none()
            && let Some(h) = self
                .rules
                .conac_hosts
                .iter()
                .chain(&self.rules.conac_markers)
                .find(|h| !h.is_empty() && raw.contains(h.to_ascii_lowercase().as_str()))
        {
            scan.conac = Some(h.clone());
        }
        if scan.error_report.is_none()
            && let Some(u) = self
                .rules
                .error_report_urls
                .iter()
                .find(|u| !u.is_empty() && raw.contains(u.as_str()))
        {
            scan.error_report = Some(u.clone());
        }
        if scan.error_report.is_none()
            && let Some(w) = self
                .rules
                .error_report_words
                .iter()
                .find(|w| w.chars().count() > 2 && text.contains(w.as_str()))
        {
            // an entry drawn as text beside a picture link
            scan.error_report = Some(w.clone());
        }
    }

    /// The `identity.marks` fact: everything read, beside what the registry expects.
    fn marks_fact(&self, home: &Page, s: &IdentityScan, site: &Site, expected: &Check) -> Fact {
        Fact {
            probe: self.name().into(),
            code: codes::MARKS.into(),
            url: Some(home.fetch.url.clone()),
            value: json!({
                "footer_seen": s.footer_seen,
                "site_code": s.site_codes,
                "site_code_expected": expected.code,
                "site_code_ok": expected.code_ok,
                "meta_site_code": s.meta_code,
                "script_site_code": s.script_code,
                "icp": s.icp.iter().map(|(t, _)| t).collect::<Vec<_>>(),
                "icp_valid": s.icp.iter().any(|(_, ok)| *ok),
                "psb": s.psb,
                "conac": s.conac,
                "org_stated": s.org_stated,
                "org_named": s.org_named,
                "org_expected": (!site.org.is_empty()).then(|| site.org.clone()),
                "error_report": s.error_report,
            }),
            observed_at: home.fetch.started_at,
        }
    }

    /// The findings of a home page whose footer was seen: each mark missing or wrong.
    fn mark_findings(
        &self,
        home: &Page,
        s: &IdentityScan,
        site: &Site,
        expected: &Check,
        out: &mut ProbeOutput,
    ) {
        let url = home.fetch.url.clone();
        let mut push = |code: &str, sev: Severity, value: serde_json::Value, message: String| {
            out.findings.push(
                crate::evidence::finding(self.name(), code, sev, home.fetch.started_at)
                    .url(url.clone())
                    .value(value)
                    .message(message)
                    .excerpt(s.excerpt.clone())
                    .page(Some(home))
                    .build(),
            );
        };
        if s.site_codes.is_empty() {
            push(
                codes::SITE_CODE_MISSING,
                Severity::Info,
                json!({ "expected": expected.code, "meta": s.meta_code }),
                "首页底部未显示网站标识码".into(),
            );
        } else if let (Some(e), Some(false)) = (&expected.code, expected.code_ok) {
            push(
                codes::SITE_CODE_MISMATCH,
                Severity::Info,
                json!({ "shown": s.site_codes, "expected": e }),
                format!(
                    "首页显示的网站标识码 {} 与名录中的 {e} 不一致",
                    s.site_codes.join("、")
                ),
            );
        }
        if s.icp.is_empty() {
            push(
                codes::ICP_MISSING,
                Severity::Info,
                json!({}),
                "首页底部未显示 ICP 备案编号".into(),
            );
        } else if !s.icp.iter().any(|(_, ok)| *ok) {
            let shown: Vec<&str> = s.icp.iter().map(|(t, _)| t.as_str()).collect();
            push(
                codes::ICP_MALFORMED,
                Severity::Info,
                json!({ "shown": shown }),
                format!(
                    "首页的 ICP 备案编号 {} 不符合“省份简称 + ICP备 + 数字 + 号”的格式",
                    shown.join("、")
                ),
            );
        }
        if s.psb.is_empty() {
            push(
                codes::PSB_MISSING,
                Severity::Info,
                json!({}),
                "首页底部未显示公安机关备案号".into(),
            );
        }
        if s.conac.is_none() {
            push(
                codes::CONAC_MISSING,
                Severity::Info,
                json!({}),
                "首页未显示党政机关网站标识".into(),
            );
        }
        if !site.org.is_empty() && !s.org_named {
            match &s.org_stated {
                None => push(
                    codes::ORG_MISSING,
                    Severity::Info,
                    json!({ "expected": site.org }),
                    format!("首页未标明主办单位（名录中为 {}）", site.org),
                ),
                Some(stated) => {
                    let (a, b) = (folded(stated), folded(&site.org));
                    if !a.contains(&b) && !b.contains(&a) {
                        push(
                            codes::ORG_MISMATCH,
                            Severity::Info,
                            json!({ "stated": stated, "expected": site.org }),
                            format!("首页标明的主办单位“{stated}”与名录中的“{}”不一致", site.org),
                        );
                    }
                }
            }
        }
        if s.error_report.is_none() {
            push(
                codes::ERROR_REPORT_MISSING,
                Severity::Info,
                json!({}),
                "首页未设置“我为政府网站找错”入口".into(),
            );
        }
    }
}

/// The registry's site code, when the site has one, and whether the page shows it.
struct Check {
    code: Option<String>,
    code_ok: Option<bool>,
}

/// The numbers of the visible text: site codes (with the first one's surroundings), ICP
/// numbers, 公网安备 numbers.
fn read_numbers(text: &str, scan: &mut IdentityScan) {
    for c in site_code_re().captures_iter(text) {
        let code = c[1].to_string();
        if scan.excerpt.is_none() {
            let m = c.get(0).expect("match");
            scan.excerpt = Some(around(text, m.start(), m.len()));
        }
        if !scan.site_codes.contains(&code) {
            scan.site_codes.push(code);
        }
    }
    for c in icp_re().captures_iter(text) {
        let prov = &c[1];
        let digits = &c[2];
        if digits.is_empty() {
            continue;
        }
        let ok = !prov.is_empty() && (6..=10).contains(&digits.len());
        let shown = folded(c.get(0).expect("match").as_str());
        if !scan.icp.iter().any(|(s, _)| *s == shown) {
            scan.icp.push((shown, ok));
        }
    }
    for c in psb_re().captures_iter(text) {
        if c[1].is_empty() {
            continue;
        }
        let shown = folded(c.get(0).expect("match").as_str());
        if !scan.psb.contains(&shown) {
            scan.psb.push(shown);
        }
    }
}

/// The site codes of the markup: `<meta name="SiteIDCode">` and the error-report script's
/// `sitecode`.
fn read_tag_codes(doc: &Html, scan: &mut IdentityScan) {
    static SEL: OnceLock<(Selector, Selector)> = OnceLock::new();
    let (meta, script) = SEL.get_or_init(|| {
        (
            Selector::parse(
                r#"meta[name="SiteIDCode"], meta[name="siteidcode"], meta[name="SiteIdCode"]"#,
            )
            .expect("valid selector"),
            Selector::parse("script[sitecode], script[siteCode]").expect("valid selector"),
        )
    });
    scan.meta_code = doc
        .select(meta)
        .filter_map(|m| m.value().attr("content"))
        .map(|c| c.trim().to_string())
        .find(|c| !c.is_empty());
    scan.script_code = doc
        .select(script)
        .filter_map(|s| s.value().attr("sitecode"))
        .map(|c| c.trim().to_string())
        .find(|c| !c.is_empty());
}

/// The sponsor: whether the registry's `org` is named, and what a 主办 statement names.
fn read_org(org: &str, text: &str, scan: &mut IdentityScan) {
    let org = folded(org);
    let plain = folded(text);
    scan.org_named = !org.is_empty() && plain.contains(&org);
    if let Some(c) = org_re().captures(text) {
        scan.org_stated = c.get(1).or(c.get(2)).map(|m| {
            // a footer written without spaces runs on into the next mark
            let mut s = m.as_str();
            for stop in [
                "网站标识码",
                "地址",
                "电话",
                "承办",
                "版权",
                "备案",
                "技术支持",
                "邮编",
            ] {
                if let Some(i) = s.find(stop).filter(|i| *i > 0) {
                    s = &s[..i];
                }
            }
            s.to_string()
        });
    }
}

impl Probe for Identity {
    fn name(&self) -> &'static str {
        "identity"
    }

    fn slot(&self) -> Option<usize> {
        Some(7)
    }

    fn scan(&self, page: &Page, doc: &Html, cx: &ScanCx) -> Option<Scan> {
        if page.depth != 0 || !page.is_html || !page.fetch.ok() {
            return None;
        }
        Some(Box::new(self.read_home(page, doc, cx)))
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        let Some(hi) = input.pages().iter().position(|p| p.depth == 0) else {
            return out;
        };
        let home = &input.pages()[hi];
        let Some(s) = input.scan::<IdentityScan>(self, hi) else {
            return out;
        };
        let site = &input.crawl.site;
        // a registry id is 10 letters or digits (an ad-hoc probe has none)
        let code = (site.id.len() == 10 && site.id.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| site.id.clone());
        let code_ok = code
            .as_ref()
            .map(|e| s.site_codes.iter().any(|c| c.eq_ignore_ascii_case(e)));
        let expected = Check { code, code_ok };
        out.facts.push(self.marks_fact(home, s, site, &expected));
        if !s.footer_seen {
            // the footer is drawn by a script or a frame: what it shows is unverified
            return out;
        }
        self.mark_findings(home, s, site, &expected, &mut out);
        out
    }
}
