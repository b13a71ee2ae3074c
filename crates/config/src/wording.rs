//! Wording rules (`config/wording.toml`, 严重表述错误): leaders' names with their titles and the
//! days each was held, canonical formulations, wrong forms known to be wrong, an office's
//! whitelist, the look-alike characters and how sure each kind of finding is. Each entry carries
//! its source in the file.

use crate::error::ConfigError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How near misses are generated and judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordingMatch {
    /// Names shorter than this get only replaced-character near misses.
    pub min_edit_chars: usize,
    /// Phrases shorter than this get only replaced-character near misses.
    pub min_phrase_edit_chars: usize,
    /// Days before a title's start and after its end during which it still counts as held.
    pub grace_days: u32,
    /// How far (characters) from a mention a date is looked for.
    pub date_window_chars: usize,
    /// Words before a near miss that say the page quotes the wrong form.
    pub quote_markers: Vec<String>,
    /// Words before a title that say it was held before (时任 …).
    pub past_markers: Vec<String>,
    /// Groups of look-alike characters, one group per string.
    pub confusables: Vec<String>,
}

/// `serious` (确定) or `suspect` (疑似).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Serious,
    Suspect,
}

/// How sure each kind of finding is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordingConfidence {
    pub known: Confidence,
    pub name: Confidence,
    pub phrase: Confidence,
    pub short_phrase: Confidence,
    pub short_phrase_chars: usize,
    pub title_at_date: Confidence,
}

/// Words never flagged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordingWhitelist {
    pub words: Vec<String>,
}

/// A title and the days it was held (`to` absent: held now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldTitle {
    pub title: String,
    #[serde(default)]
    pub short: Vec<String>,
    pub from: NaiveDate,
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

/// One leader: the name and the titles held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leader {
    pub name: String,
    pub source: String,
    pub titles: Vec<HeldTitle>,
}

/// A canonical formulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phrase {
    pub text: String,
    pub source: String,
}

/// A wrong form known to be wrong, with the right one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrongForm {
    pub text: String,
    pub right: String,
    pub source: String,
}

/// Everything the wording probe matches against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordingRules {
    pub version: String,
    #[serde(rename = "match")]
    pub matching: WordingMatch,
    pub confidence: WordingConfidence,
    #[serde(default)]
    pub whitelist: WordingWhitelist,
    #[serde(default, rename = "leader")]
    pub leaders: Vec<Leader>,
    #[serde(default, rename = "phrase")]
    pub phrases: Vec<Phrase>,
    #[serde(default, rename = "wrong")]
    pub wrong: Vec<WrongForm>,
}

impl Default for WordingRules {
    /// The rules as shipped in `config/wording.toml`.
    fn default() -> Self {
        toml::from_str(crate::shipped::WORDING).expect("shipped wording.toml is valid")
    }
}

/// Reads `wording.toml`; a missing file gives the shipped rules. A title that ends before it
/// starts, an empty name or phrase, or a wrong form equal to its right form is an error naming
/// the file.
pub fn load_wording_rules(path: &Path) -> Result<WordingRules, ConfigError> {
    let rules: WordingRules = crate::load_toml_or_default(path)?;
    let errs = check(&rules, path);
    if errs.is_empty() {
        Ok(rules)
    } else {
        Err(ConfigError::Settings(errs))
    }
}

fn check(rules: &WordingRules, path: &Path) -> Vec<String> {
    let mut errs = Vec::new();
    let p = path.display();
    for l in &rules.leaders {
        if l.name.chars().count() < 2 {
            errs.push(format!(
                "{p}: leader {:?}: a name has at least 2 characters",
                l.name
            ));
        }
        for t in &l.titles {
            if t.title.is_empty() {
                errs.push(format!("{p}: leader {}: a title is empty", l.name));
            }
            if t.to.is_some_and(|to| to < t.from) {
                errs.push(format!(
                    "{p}: leader {}: title {} ends ({}) before it starts ({})",
                    l.name,
                    t.title,
                    t.to.unwrap_or(t.from),
                    t.from
                ));
            }
        }
    }
    for ph in &rules.phrases {
        if ph.text.chars().count() < 3 {
            errs.push(format!("{p}: phrase {:?}: at least 3 characters", ph.text));
        }
    }
    for w in &rules.wrong {
        if w.text.is_empty() || w.text == w.right {
            errs.push(format!(
                "{p}: wrong form {:?}: empty, or the same as its right form",
                w.text
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load_and_check() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/wording.toml");
        let r = load_wording_rules(&p).unwrap();
        assert_eq!(r, WordingRules::default());
        let li = r.leaders.iter().find(|l| l.name == "李强").unwrap();
        assert_eq!(li.titles[0].title, "国务院总理");
        assert_eq!(
            li.titles[0].from,
            NaiveDate::from_ymd_opt(2023, 3, 11).unwrap()
        );
        assert!(r.leaders.iter().all(|l| !l.source.is_empty()));
        assert!(r.phrases.iter().all(|p| !p.source.is_empty()));
        assert!(r.wrong.iter().all(|w| !w.source.is_empty()));
    }

    #[test]
    fn a_title_ending_before_it_starts_is_an_error() {
        let mut r = WordingRules::default();
        r.leaders[0].titles[0].to = NaiveDate::from_ymd_opt(2000, 1, 1);
        let errs = check(&r, Path::new("wording.toml"));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("wording.toml: leader 习近平: title 中共中央总书记 ends"));
    }
}
