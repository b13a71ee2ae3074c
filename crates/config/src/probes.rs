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

/// Reads `probes.toml`; a missing file gives the defaults, an unknown key or bad value an error
/// naming file and line.
pub fn load_probe_rules(path: &Path) -> Result<ProbeRules, ConfigError> {
    let rules: ProbeRules = crate::load_toml_or_default(path)?;
    for (key, v) in [
        ("ipv6.max_content_diff", rules.ipv6.max_content_diff),
        ("ipv6.min_link_support", rules.ipv6.min_link_support),
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
