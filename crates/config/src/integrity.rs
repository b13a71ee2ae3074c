//! Integrity rules (`config/integrity.toml`): spam word lists, link-farm thresholds, allowed
//! script hosts and defacement markers, each with its source in the file.

use crate::error::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HiddenLinkRules {
    pub min_spam_words: usize,
    pub min_outbound_hosts: usize,
    pub max_government_share: f64,
    pub government_suffixes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpamKeywordRules {
    pub min_in_title_meta: usize,
    pub min_in_text: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptRules {
    pub allowed_hosts: Vec<String>,
    /// Search engines a hijack script compares the visitor's referrer with (a script reading
    /// `document.referrer` for statistics or an error-report link is no hijack); a file without
    /// the key takes the shipped list.
    #[serde(default = "shipped_hijack_engines")]
    pub hijack_engines: Vec<String>,
}

/// The shipped `hijack_engines` list (for an `integrity.toml` written before the key existed).
fn shipped_hijack_engines() -> Vec<String> {
    IntegrityRules::default().scripts.hijack_engines
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefacementRules {
    pub max_similarity: f64,
    pub markers: Vec<String>,
}

/// Everything the integrity probe matches against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrityRules {
    /// Spam words by category (gambling, porn, medical, diploma, money…).
    pub spam: BTreeMap<String, Vec<String>>,
    pub hidden_links: HiddenLinkRules,
    pub spam_keywords: SpamKeywordRules,
    pub scripts: ScriptRules,
    pub defacement: DefacementRules,
}

impl Default for IntegrityRules {
    /// The rules as shipped in `config/integrity.toml`.
    fn default() -> Self {
        toml::from_str(crate::shipped::INTEGRITY).expect("shipped integrity.toml is valid")
    }
}

/// Reads `integrity.toml`; a missing file gives the shipped rules.
pub fn load_integrity_rules(path: &Path) -> Result<IntegrityRules, ConfigError> {
    crate::load_toml_or_default(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load() {
        let r = IntegrityRules::default();
        assert!(r.spam["gambling"].iter().any(|w| w == "时时彩"));
        assert!(r.scripts.allowed_hosts.iter().any(|h| h == "hm.baidu.com"));
    }
}
