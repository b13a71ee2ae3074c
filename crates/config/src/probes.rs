//! Probe rules: thresholds the probes apply (`config/probes.toml`), each with its source.

use crate::error::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// All probe thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProbeRules {
    pub ipv6: Ipv6Rules,
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
}

impl Default for ProbeRules {
    /// The shipped rules of every file.
    fn default() -> Self {
        ProbeRules {
            ipv6: Ipv6Rules::default(),
            columns: crate::ColumnRules::default(),
            integrity: crate::IntegrityRules::default(),
            interaction: crate::InteractionRules::default(),
            calendar: crate::WorkCalendar::shipped(),
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

/// Reads `probes.toml`; a missing file gives the defaults, an unknown key or bad value an error
/// naming file and line.
pub fn load_probe_rules(path: &Path) -> Result<ProbeRules, ConfigError> {
    let rules: ProbeRules = crate::load_toml_or_default(path)?;
    for (key, v) in [
        ("ipv6.max_content_diff", rules.ipv6.max_content_diff),
        ("ipv6.min_link_support", rules.ipv6.min_link_support),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(ConfigError::Settings(vec![format!(
                "{}: {key} must be between 0 and 1 (got {v})",
                path.display()
            )]));
        }
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
