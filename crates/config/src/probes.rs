//! Probe rules: thresholds the probes apply (`config/probes.toml`), each with its source.

use crate::error::{ConfigError, Diagnostic};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// All probe thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProbeRules {
    pub ipv6: Ipv6Rules,
    pub availability: AvailabilityRules,
    pub attachments: AttachmentRules,
    pub soft_404: Soft404Rules,
    pub identity: IdentityRules,
    pub accessibility: AccessibilityRules,
    /// Column kinds and windows, from `columns.toml` (not part of `probes.toml`).
    #[serde(skip)]
    pub columns: crate::ColumnRules,
    /// Integrity rules, from `integrity.toml` (not part of `probes.toml`).
    #[serde(skip)]
    pub integrity: crate::IntegrityRules,
    /// Interaction rules, from `interaction.toml` (not part of `probes.toml`).
    #[serde(skip)]
    pub interaction: crate::InteractionRules,
    /// Working-day calendar, from `holidays.toml` (not part of `probes.toml`).
    #[serde(skip, default = "crate::WorkCalendar::shipped")]
    pub calendar: crate::WorkCalendar,
    /// New-media rules, from `media.toml` (not part of `probes.toml`).
    #[serde(skip)]
    pub media: crate::MediaRules,
    /// Wording rules (严重表述错误), from `wording.toml` (not part of `probes.toml`).
    #[serde(skip)]
    pub wording: crate::WordingRules,
}

impl Default for ProbeRules {
    /// The shipped rules of every file.
    fn default() -> Self {
        ProbeRules {
            ipv6: Ipv6Rules::default(),
            availability: AvailabilityRules::default(),
            attachments: AttachmentRules::default(),
            soft_404: Soft404Rules::default(),
            identity: IdentityRules::default(),
            accessibility: AccessibilityRules::default(),
            columns: crate::ColumnRules::default(),
            integrity: crate::IntegrityRules::default(),
            interaction: crate::InteractionRules::default(),
            calendar: crate::WorkCalendar::shipped(),
            media: crate::MediaRules::default(),
            wording: crate::WordingRules::default(),
        }
    }
}

/// Thresholds of the IPv6 probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ipv6Rules {
    /// Largest share of the first 500 kB allowed to differ between the v4 and v6 home pages after
    /// per-request noise is removed (internet.nl: 10%).
    pub max_content_diff: f64,
    /// Smallest share of level-2/3 internal links that must resolve to AAAA and answer over IPv6
    /// (national target for county-and-above portals: 85%).
    pub min_link_support: f64,
}

impl Default for Ipv6Rules {
    fn default() -> Self {
        Ipv6Rules {
            max_content_diff: 0.10,
            min_link_support: 0.85,
        }
    }
}

/// The availability verdict over a rolling window of samples (veto 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AvailabilityRules {
    /// Days of the window, counted back from the monitoring time (the rule monitors one week).
    pub window_days: u32,
    /// Samples each day must hold for the window to be complete (the rule: ≥ 20 a day).
    pub min_per_day: u32,
    /// Failed share at which the site is unreachable (inclusive; the rule: 5%).
    pub veto_ratio: f64,
    /// Which samples count: `ipv4`, `ipv6` or `any` (a sample that never got an address counts
    /// for every family).
    pub family: String,
    /// The veto is given only over a complete window (every day with `min_per_day` samples).
    pub require_complete: bool,
}

impl Default for AvailabilityRules {
    fn default() -> Self {
        AvailabilityRules {
            window_days: 7,
            min_per_day: 20,
            veto_ratio: 0.05,
            family: "ipv4".into(),
            require_complete: true,
        }
    }
}

impl AvailabilityRules {
    /// `family` as the window function takes it (`Some(4)`, `Some(6)`, `None` for any).
    pub fn family_filter(&self) -> Option<u8> {
        match self.family.as_str() {
            "ipv4" => Some(4),
            "ipv6" => Some(6),
            _ => None,
        }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// How attachments are read (bounds, so a hostile file costs bounded work) and which numbers in
/// them are personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentRules {
    /// Most bytes a zip container (xlsx, docx, ods, odt) or a PDF's compressed streams may unpack
    /// to, counted while unpacking (declared sizes are not trusted): past it, the file is a zip
    /// bomb for our purpose and is not read.
    pub max_unpacked_bytes: u64,
    /// Most entries of a zip container.
    pub max_zip_entries: usize,
    /// Most PDF pages read (the rest is not read, and the fact says so).
    pub max_pages: usize,
    /// Most sheets of a workbook read.
    pub max_sheets: usize,
    /// Most cells read over a workbook.
    pub max_cells: usize,
    /// Most characters of text kept from one attachment.
    pub max_chars: usize,
    /// Words that make a 16–19 digit number passing the Luhn check a bank card number when they
    /// stand in its row, its column's heading or just before it.
    pub bank_card_words: Vec<String>,
}

impl Default for AttachmentRules {
    fn default() -> Self {
        AttachmentRules {
            max_unpacked_bytes: 32 * 1024 * 1024,
            max_zip_entries: 2000,
            max_pages: 300,
            max_sheets: 50,
            max_cells: 1_000_000,
            max_chars: 4_000_000,
            bank_card_words: strings(&[
                "银行卡",
                "卡号",
                "账号",
                "帐号",
                "银行账户",
                "开户",
                "存折",
                "社保卡",
            ]),
        }
    }
}

/// What makes a page that answers 200 a "not found" page (link.soft_404).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Soft404Rules {
    /// Phrases that, in a page's title or its first heading, say the page is not there.
    pub phrases: Vec<String>,
    /// A heading or title part longer than this (characters) is a sentence about something
    /// else (a news headline that mentions 找不到), not a not-found notice.
    pub max_heading_chars: usize,
    /// Share of the page's own text (outside the home page's template) that must be the
    /// not-found page's for it to be the same page.
    pub min_similarity: f64,
    /// When more than this share of the crawled pages look like the not-found page, its content
    /// tells nothing apart (a site answering every path with a generic page): not judged by
    /// content.
    pub max_share: f64,
}

impl Default for Soft404Rules {
    fn default() -> Self {
        Soft404Rules {
            phrases: strings(&[
                "页面不存在",
                "网页不存在",
                "页面未找到",
                "找不到页面",
                "找不到网页",
                "找不到该页面",
                "找不到您要访问的页面",
                "您访问的页面不存在",
                "您所访问的页面不存在",
                "信息不存在或已删除",
                "页面已删除",
                "404",
                "not found",
            ]),
            max_heading_chars: 30,
            min_similarity: 0.8,
            max_share: 0.5,
        }
    }
}

/// The site's identity marks on its home page (国办发〔2017〕47号《政府网站发展指引》).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityRules {
    /// Words of a home page's footer: when none of them is in the static page, its footer is
    /// drawn by a script or a frame, and the marks are unverified rather than missing.
    pub footer_words: Vec<String>,
    /// Words of the 我为政府网站找错 entry (link text, image alt or title).
    pub error_report_words: Vec<String>,
    /// URL parts of the 我为政府网站找错 entry (the national platform's script or page).
    pub error_report_urls: Vec<String>,
    /// Host suffixes of the 党政机关网站标识 (the conac badge: its link, image or script).
    pub conac_hosts: Vec<String>,
    /// Marks of the conac badge's code in the page's markup (its placeholder element's id), for a
    /// badge whose script is served from another host (an IPv6 proxy of conac's).
    pub conac_markers: Vec<String>,
    /// Hosts of the 公安 filing's registration record (a link with `recordcode=` is the filing).
    pub psb_hosts: Vec<String>,
}

impl Default for IdentityRules {
    fn default() -> Self {
        IdentityRules {
            footer_words: strings(&[
                "网站标识码",
                "ICP备",
                "公网安备",
                "主办单位",
                "主办：",
                "主办:",
                "版权所有",
                "承办单位",
                "技术支持",
                "联系我们",
            ]),
            error_report_words: strings(&["我为政府网站找错", "政府网站找错", "找错"]),
            error_report_urls: strings(&["jiucuo", "zfwzzc.www.gov.cn", "zfwzgl.www.gov.cn"]),
            conac_hosts: strings(&["conac.cn"]),
            conac_markers: strings(&["_ideConac"]),
            psb_hosts: strings(&["www.beian.gov.cn", "beian.gov.cn"]),
        }
    }
}

/// The accessibility baseline (GB/T 37668-2019; 工业和信息化部 互联网应用适老化及无障碍改造专项行动方案,
/// 工信部信管〔2020〕200号).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessibilityRules {
    /// Words of an accessible-mode entry on the home page (link text, title, alt, or the id or
    /// class of its element).
    pub entry_words: Vec<String>,
    /// Share of images without `alt` over the site at which `a11y.images_no_alt` is given
    /// (inclusive).
    pub max_images_no_alt: f64,
    /// Fewest images over the site for the share to be judged.
    pub min_images: usize,
    /// Form inputs without a label over the site at which `a11y.inputs_no_label` is given.
    pub max_inputs_no_label: usize,
}

impl Default for AccessibilityRules {
    fn default() -> Self {
        AccessibilityRules {
            entry_words: strings(&[
                "无障碍",
                "长者模式",
                "长者版",
                "关怀版",
                "关怀模式",
                "适老化",
                "老年模式",
                "读屏",
                "wza",
                "cniil",
            ]),
            max_images_no_alt: 0.5,
            min_images: 10,
            max_inputs_no_label: 1,
        }
    }
}

/// Reads `probes.toml`; a missing file gives the defaults, an unknown key or bad value an error
/// naming file and line.
pub fn load_probe_rules(path: &Path) -> Result<ProbeRules, ConfigError> {
    let rules: ProbeRules = crate::load_toml_or_default(path)?;
    for (key, v) in [
        ("ipv6.max_content_diff", rules.ipv6.max_content_diff),
        ("ipv6.min_link_support", rules.ipv6.min_link_support),
        ("soft_404.min_similarity", rules.soft_404.min_similarity),
        ("soft_404.max_share", rules.soft_404.max_share),
        (
            "accessibility.max_images_no_alt",
            rules.accessibility.max_images_no_alt,
        ),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(ConfigError::Invalid(vec![Diagnostic::new(
                path,
                0,
                0,
                format!("{key} 应在 0 到 1 之间（现为 {v}）"),
            )]));
        }
    }
    let a = &rules.availability;
    let mut errs = Vec::new();
    if !(0.0..=1.0).contains(&a.veto_ratio) {
        errs.push(format!(
            "availability.veto_ratio 应在 0 到 1 之间（现为 {}）",
            a.veto_ratio
        ));
    }
    if !matches!(a.family.as_str(), "ipv4" | "ipv6" | "any") {
        errs.push(format!(
            "availability.family 应为 ipv4、ipv6 或 any（现为 {:?}）",
            a.family
        ));
    }
    if a.window_days == 0 {
        errs.push("availability.window_days 至少应为 1".to_string());
    }
    if !errs.is_empty() {
        return Err(ConfigError::Invalid(
            errs.into_iter()
                .map(|m| Diagnostic::new(path, 0, 0, m))
                .collect(),
        ));
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_loads_and_matches_defaults() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/probes.toml");
        assert_eq!(load_probe_rules(&p).unwrap(), ProbeRules::default());
    }
}
