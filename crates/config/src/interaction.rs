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
    /// Statuses that mean a letter is not a valid message.
    pub invalid_status: Vec<String>,
    /// Status words of a letter not answered yet (a file without the key takes the shipped list).
    #[serde(default = "shipped_unanswered")]
    pub unanswered_status: Vec<String>,
    /// Status words of a letter being handled.
    #[serde(default = "shipped_processing")]
    pub processing_status: Vec<String>,
    /// Status words of an answered letter.
    #[serde(default = "shipped_replied")]
    pub replied_status: Vec<String>,
}

fn shipped_unanswered() -> Vec<String> {
    InteractionRules::default().replies.unanswered_status
}

fn shipped_processing() -> Vec<String> {
    InteractionRules::default().replies.processing_status
}

fn shipped_replied() -> Vec<String> {
    InteractionRules::default().replies.replied_status
}

fn shipped_application() -> Vec<String> {
    InteractionRules::default().channels.application
}

fn shipped_letter_context() -> Vec<String> {
    InteractionRules::default().channels.letter_context
}

fn shipped_write() -> Vec<String> {
    InteractionRules::default().channels.write
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
    /// 依申请公开: the government-information application channel (a file without the key takes
    /// the shipped list).
    #[serde(default = "shipped_application")]
    pub application: Vec<String>,
    /// Words that make a page, link or title about letters or messages (a file without the key
    /// takes the shipped list).
    #[serde(default = "shipped_letter_context")]
    pub letter_context: Vec<String>,
    /// Link texts that lead to a write page (我要写信 …).
    #[serde(default = "shipped_write")]
    pub write: Vec<String>,
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
        assert!(r.replies.replied_status.iter().any(|w| w == "已办结"));
        assert!(r.replies.unanswered_status.iter().any(|w| w == "未办结"));
        assert!(r.replies.processing_status.iter().any(|w| w == "办理中"));
        assert!(r.channels.application.iter().any(|w| w == "依申请公开"));
    }

    #[test]
    fn word_lists_default_to_the_shipped_lists_and_unknown_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("govwatch-interaction-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let shipped = include_str!("../../../config/interaction.toml");
        let without: String = shipped
            .lines()
            .filter(|l| !l.contains("_status = [") || l.starts_with("invalid_status"))
            .filter(|l| {
                !["application = [", "letter_context = [", "write = ["]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let p = dir.join("interaction.toml");
        std::fs::write(&p, &without).unwrap();
        assert_eq!(
            load_interaction_rules(&p).unwrap(),
            InteractionRules::default()
        );
        let typo = shipped.replace("replied_status = [", "replied_statuses = [");
        let line = 1 + typo
            .lines()
            .position(|l| l.starts_with("replied_statuses"))
            .unwrap();
        std::fs::write(&p, typo).unwrap();
        let err = load_interaction_rules(&p).unwrap_err().to_string();
        assert!(
            err.contains(&format!("interaction.toml 第 {line} 行")),
            "{err}"
        );
    }
}
