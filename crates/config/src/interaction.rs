//! Interaction probe rules (`config/interaction.toml`): form-limit thresholds, reply windows,
//! channel words and commercial phrases, each with its source in the file.

use crate::error::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitRules {
    pub min_length_above: u32,
    pub max_length_below: u32,
    pub daily_cap_at_most: u32,
    pub open_hours_below: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRules {
    pub unanswered_months: u32,
    pub lookback_months: u32,
    pub no_recent_reply_months: u32,
    pub invalid_status: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyRules {
    pub months: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelWords {
    pub error_report: Vec<String>,
    pub discipline: Vec<String>,
    pub petition: Vec<String>,
    pub interview: Vec<String>,
    pub survey: Vec<String>,
    pub consultation: Vec<String>,
    pub hub: Vec<String>,
    pub lookup: Vec<String>,
    pub public_list: Vec<String>,
    pub login: Vec<String>,
    pub return_params: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdRules {
    pub shop_hosts: Vec<String>,
    pub strong: Vec<String>,
    pub weak: Vec<String>,
}

/// Everything the interaction probe applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionRules {
    pub limits: LimitRules,
    pub replies: ReplyRules,
    pub surveys: SurveyRules,
    pub channels: ChannelWords,
    pub ads: AdRules,
}

impl Default for InteractionRules {
    /// The rules as shipped in `config/interaction.toml`.
    fn default() -> Self {
        toml::from_str(crate::shipped::INTERACTION).expect("shipped interaction.toml is valid")
    }
}

/// Reads `interaction.toml`; a missing file gives the shipped rules.
pub fn load_interaction_rules(path: &Path) -> Result<InteractionRules, ConfigError> {
    crate::load_toml_or_default(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load() {
        let r = InteractionRules::default();
        assert_eq!(r.limits.min_length_above, 10);
        assert_eq!(r.replies.unanswered_months, 3);
        assert!(r.channels.consultation.iter().any(|w| w == "信箱"));
    }
}
