//! Attachments: the personal data in the files a site publishes (rule: 发布内容泄露个人隐私).
//!
//! Lists of names with 身份证号 in an XLS or a PDF are where leaks happen; the integrity probe
//! reads only pages. The crawler fetches each attachment on the site's own hosts (a link to
//! `.xls .xlsx .et .doc .docx .wps .pdf .ods .odt .csv .txt`, or a page URL answering with a
//! document's Content-Type) and hands its bytes here while they are at hand ([`Probe::attachment`]);
//! [`read`] takes its text out, bounded, and the integrity probe's privacy rules run on it:
//! resident ID numbers valid by date and GB 11643 check digit, mobile numbers, and bank card
//! numbers (Luhn, beside a word such as 卡号 or 银行账号). Numbers are masked in every excerpt,
//! value and message: never the full number in the report or the database.
//!
//! Codes:
//! - `attachment.read` (fact, per attachment): its format, size, how much was read or why not.
//! - `attachment.summary` (fact): the site's attachments read and not read, by reason.
//! - `privacy.attachment` (finding): an attachment publishing unmasked personal numbers, with
//!   the file, the sheet or page and a masked excerpt; deduct when ID or bank card numbers, warn
//!   when only mobile numbers (as the page rules).
//!
//! A missing attachment is a broken link (`link.broken*`, "附件无法下载"), judged by the links probe.

pub mod read;

use crate::integrity::privacy::{
    card_re, has_digit_run, id_re, luhn, mask_card, mask_digit_runs, mask_id, mask_phone, phone_re,
    valid_id_number,
};
use crate::{Probe, ProbeInput, ProbeOutput, Scan};
use govwatch_config::AttachmentRules;
use govwatch_model::{Fact, FetchRecord, Finding, Link, Page, Severity, Timestamp};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `attachment.read` (fact).
    pub const READ: &str = "attachment.read";
    /// `attachment.summary` (fact).
    pub const SUMMARY: &str = "attachment.summary";
    /// `privacy.attachment` (finding).
    pub const PRIVACY: &str = "privacy.attachment";
    /// Every code above.
    pub const ALL: &[&str] = &[READ, SUMMARY, PRIVACY];
}

pub struct Attachments {
    pub rules: AttachmentRules,
}

/// One personal number found in an attachment (masked).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// `id_number`, `bank_card` or `phone`.
    pub kind: &'static str,
    pub masked: String,
    /// The sheet or page it is on.
    pub unit: String,
    /// The text around it, every number in it masked.
    pub excerpt: String,
}

/// What the probe read of one attachment.
#[derive(Debug, Clone)]
pub struct AttachmentScan {
    pub url: String,
    pub status: Option<u16>,
    pub bytes: u64,
    pub content_type: Option<String>,
    pub content_hash: Option<String>,
    pub at: Timestamp,
    pub format: &'static str,
    pub format_zh: &'static str,
    /// Why it was not read, with the detail (`too_large` when the crawler left it unread).
    pub not_read: Option<(&'static str, String)>,
    pub cut: Option<&'static str>,
    pub parts: usize,
    pub units: usize,
    pub chars: usize,
    pub unpacked: u64,
    /// Distinct numbers of each kind.
    pub counts: BTreeMap<&'static str, usize>,
    /// The first hits (at most [`MAX_HITS`]), ID numbers first.
    pub hits: Vec<Hit>,
}

/// Most hits kept per attachment (all are counted).
const MAX_HITS: usize = 20;
/// Most linking pages listed in a finding.
const MAX_FROM: usize = 20;

fn kind_rank(k: &str) -> u8 {
    match k {
        "id_number" => 0,
        "bank_card" => 1,
        _ => 2,
    }
}

fn kind_zh(k: &str) -> &'static str {
    match k {
        "id_number" => "公民身份证号码",
        "bank_card" => "银行卡号",
        _ => "个人手机号码",
    }
}

/// The line of `text` around byte `at`, at most `radius` characters either side, with `number`
/// replaced by `masked` and every other long digit run masked.
fn excerpt(text: &str, at: usize, number: &str, masked: &str, radius: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let before: String = {
        let b: Vec<char> = text[line_start..at].chars().collect();
        b[b.len().saturating_sub(radius)..].iter().collect()
    };
    let after: String = text[at + number.len()..line_end]
        .chars()
        .take(radius)
        .collect();
    let s = format!("{before}{masked}{after}");
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    mask_digit_runs(&s)
}

impl Attachments {
    /// The personal numbers in one part of an attachment.
    fn numbers(&self, unit: &read::Unit, seen: &mut BTreeSet<String>, hits: &mut Vec<Hit>) {
        let text = unit.text.as_str();
        if !has_digit_run(text, 11) {
            return;
        }
        let header = text.lines().next().unwrap_or("");
        let mut ids: BTreeSet<String> = BTreeSet::new();
        for c in id_re().captures_iter(text) {
            let m = c.get(1).expect("group 1");
            if !valid_id_number(m.as_str()) {
                continue;
            }
            ids.insert(m.as_str().to_string());
            if seen.insert(m.as_str().to_string()) {
                let masked = mask_id(m.as_str());
                hits.push(Hit {
                    kind: "id_number",
                    excerpt: excerpt(text, m.start(), m.as_str(), &masked, 24),
                    masked,
                    unit: unit.label.clone(),
                });
            }
        }
        for c in card_re().captures_iter(text) {
            let m = c.get(1).expect("group 1");
            let n = m.as_str();
            if ids.contains(n) || valid_id_number(n) || !luhn(n) {
                continue;
            }
            let line_start = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[m.end()..]
                .find('\n')
                .map_or(text.len(), |i| m.end() + i);
            let line = &text[line_start..line_end];
            let beside = |s: &str| {
                self.rules
                    .bank_card_words
                    .iter()
                    .any(|w| !w.is_empty() && s.contains(w.as_str()))
            };
            if !(beside(line) || beside(header)) {
                continue;
            }
            if seen.insert(n.to_string()) {
                let masked = mask_card(n);
                hits.push(Hit {
                    kind: "bank_card",
                    excerpt: excerpt(text, m.start(), n, &masked, 24),
                    masked,
                    unit: unit.label.clone(),
                });
            }
        }
        for c in phone_re().captures_iter(text) {
            let m = c.get(1).expect("group 1");
            let p = m.as_str();
            if ids.iter().any(|id| id.contains(p)) {
                continue;
            }
            if seen.insert(p.to_string()) {
                let masked = mask_phone(p);
                hits.push(Hit {
                    kind: "phone",
                    excerpt: excerpt(text, m.start(), p, &masked, 24),
                    masked,
                    unit: unit.label.clone(),
                });
            }
        }
    }

    /// Reads one attachment and finds the personal numbers in it.
    pub fn read_one(&self, rec: &FetchRecord, body: Option<&[u8]>) -> AttachmentScan {
        let mut scan = AttachmentScan {
            url: rec.url.clone(),
            status: rec.status,
            bytes: rec.bytes,
            content_type: rec.content_type.clone(),
            content_hash: rec.content_hash.clone(),
            at: rec.started_at,
            format: read::Format::Unknown.as_str(),
            format_zh: read::Format::Unknown.zh(),
            not_read: None,
            cut: None,
            parts: 0,
            units: 0,
            chars: 0,
            unpacked: 0,
            counts: BTreeMap::new(),
            hits: Vec::new(),
        };
        let Some(body) = body else {
            scan.not_read = Some(("too_large", format!("{} 字节", rec.bytes)));
            return scan;
        };
        let out = read::read(&rec.url, rec.content_type.as_deref(), body, &self.rules);
        scan.format = out.format.as_str();
        scan.format_zh = out.format.zh();
        scan.not_read = out.not_read.clone();
        scan.cut = out.cut;
        scan.parts = out.parts;
        scan.units = out.units.len();
        scan.chars = out.chars();
        scan.unpacked = out.unpacked;
        let mut seen = BTreeSet::new();
        let mut hits = Vec::new();
        for u in &out.units {
            self.numbers(u, &mut seen, &mut hits);
        }
        for h in &hits {
            *scan.counts.entry(h.kind).or_default() += 1;
        }
        hits.sort_by_key(|h| kind_rank(h.kind));
        hits.truncate(MAX_HITS);
        scan.hits = hits;
        scan
    }
}

/// The file name of an attachment's URL, for messages.
fn file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.is_empty() {
        url.to_string()
    } else {
        name.to_string()
    }
}

impl Probe for Attachments {
    fn name(&self) -> &'static str {
        "attachments"
    }

    fn slot(&self) -> Option<usize> {
        Some(6)
    }

    fn attachment(&self, rec: &FetchRecord, body: Option<&[u8]>) -> Option<Scan> {
        Some(Box::new(self.read_one(rec, body)))
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        let scans: Vec<&AttachmentScan> = input.attachment_scans::<AttachmentScan>(self);
        let Some(home) = input.home() else {
            return out;
        };
        let from = if scans.iter().any(|s| !s.hits.is_empty()) {
            linking_pages(input)
        } else {
            BTreeMap::new()
        };
        let mut not_read: BTreeMap<&str, usize> = BTreeMap::new();
        let (mut read_n, mut bytes, mut with_data) = (0usize, 0u64, 0usize);
        for s in &scans {
            bytes += s.bytes;
            match &s.not_read {
                Some((why, _)) => *not_read.entry(why).or_default() += 1,
                None => read_n += 1,
            }
            out.facts.push(self.read_fact(s));
            if s.hits.is_empty() {
                continue;
            }
            with_data += 1;
            let linking = input
                .normalized(&s.url)
                .and_then(|k| from.get(&k))
                .map_or(&[][..], Vec::as_slice);
            out.findings.push(self.privacy_finding(s, linking));
        }
        if !scans.is_empty() {
            out.facts.push(Fact {
                probe: self.name().into(),
                code: codes::SUMMARY.into(),
                url: Some(home.fetch.url.clone()),
                value: json!({
                    "attachments": scans.len(),
                    "read": read_n,
                    "not_read": not_read,
                    "bytes": bytes,
                    "with_personal_data": with_data,
                }),
                observed_at: home.fetch.started_at,
            });
        }
        out
    }
}

/// A page and its link to an attachment.
type Linking<'a> = (&'a Page, &'a Link);

/// The pages linking to each attachment (by normalized URL), each page once.
fn linking_pages<'a>(input: &'a ProbeInput) -> BTreeMap<String, Vec<Linking<'a>>> {
    let mut from: BTreeMap<String, Vec<Linking>> = BTreeMap::new();
    for page in input.pages().iter().filter(|p| p.is_html) {
        for link in &page.links {
            if let Some(k) = input.normalized(&link.url) {
                let v = from.entry(k).or_default();
                if !v.iter().any(|(p, _)| std::ptr::eq(*p, page)) {
                    v.push((page, link));
                }
            }
        }
    }
    from
}

impl Attachments {
    /// The `attachments.read` fact of one attachment: how it was read, what it holds.
    fn read_fact(&self, s: &AttachmentScan) -> Fact {
        Fact {
            probe: self.name().into(),
            code: codes::READ.into(),
            url: Some(s.url.clone()),
            value: json!({
                "format": s.format,
                "bytes": s.bytes,
                "content_type": s.content_type,
                "read": s.not_read.is_none(),
                "reason": s.not_read.as_ref().map(|(w, _)| *w),
                "detail": s.not_read.as_ref().map(|(_, d)| d.clone()),
                "parts": s.parts,
                "units_read": s.units,
                "chars": s.chars,
                "unpacked": s.unpacked,
                "cut": s.cut,
                "id_numbers": s.counts.get("id_number").copied().unwrap_or(0),
                "bank_cards": s.counts.get("bank_card").copied().unwrap_or(0),
                "phones": s.counts.get("phone").copied().unwrap_or(0),
            }),
            observed_at: s.at,
        }
    }

    /// The privacy finding of an attachment holding personal data, with the pages linking to
    /// it (the first one's copy as the evidence).
    fn privacy_finding(&self, s: &AttachmentScan, linking: &[Linking]) -> Finding {
        let first = &s.hits[0];
        let worst = first.kind;
        let severity = if worst == "phone" {
            Severity::Warn
        } else {
            Severity::Deduct
        };
        let counts: Vec<String> = ["id_number", "bank_card", "phone"]
            .iter()
            .filter_map(|k| s.counts.get(k).map(|n| format!("{n} 个{}", kind_zh(k))))
            .collect();
        let units: BTreeSet<&str> = s.hits.iter().map(|h| h.unit.as_str()).collect();
        let units: Vec<&str> = units.into_iter().take(10).collect();
        let name = file_name(&s.url);
        let page = linking.first().map(|(p, _)| *p);
        let anchor = linking
            .first()
            .map(|(_, l)| l.text.clone())
            .unwrap_or_default();
        let shown = if anchor.is_empty() {
            name.clone()
        } else {
            anchor.clone()
        };
        let message = match page {
            Some(p) => format!(
                "附件“{shown}”（{}）公开了{}（{}；所在页面 {}）",
                s.format_zh,
                counts.join("、"),
                units.join("、"),
                p.fetch.url
            ),
            None => format!(
                "附件“{shown}”（{}）公开了{}（{}）",
                s.format_zh,
                counts.join("、"),
                units.join("、")
            ),
        };
        let from_urls: Vec<&str> = linking
            .iter()
            .take(MAX_FROM)
            .map(|(p, _)| p.fetch.url.as_str())
            .collect();
        crate::evidence::finding(self.name(), codes::PRIVACY, severity, s.at)
            .url(s.url.clone())
            .value(json!({
                "attachment": s.url,
                "file": name,
                "format": s.format,
                "worst": worst,
                "id_numbers": s.counts.get("id_number").copied().unwrap_or(0),
                "bank_cards": s.counts.get("bank_card").copied().unwrap_or(0),
                "phones": s.counts.get("phone").copied().unwrap_or(0),
                "masked": s.hits.iter().map(|h| h.masked.clone()).collect::<Vec<_>>(),
                "units": units,
                "from": from_urls,
                "from_count": linking.len(),
            }))
            .message(message)
            .excerpt(format!("{}：{}", first.unit, first.excerpt))
            .status(s.status)
            .archived(page.map(|p| p.fetch.url.clone()))
            .body_hash(page.and_then(|p| p.fetch.content_hash.clone()))
            .extra(json!({
                "unit": first.unit,
                "linking_page": page.map(|p| p.fetch.url.clone()),
                "anchor": anchor,
                "attachment_hash": s.content_hash,
            }))
            .build()
    }
}

#[cfg(test)]
mod tests;
