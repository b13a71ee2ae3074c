//! New-media rules (`config/media.toml`): the stale window, the post window, the repost rule, stop
//! announcements, off-topic words, the one-account-per-platform rule and the codes inspectors may
//! import, each with its source in the file.

use crate::error::{ConfigError, Diagnostic};
use govwatch_model::{Platform, Severity};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `[stale]`: no post within this many days before the monitoring time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaleRules {
    pub window_days: u32,
}

/// `[posts]`: the window of posts judged for reposts, ads and off-topic content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostWindow {
    pub months: u32,
}

/// `[repost]`: what makes a post a repost, and the share that makes an account repost-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepostRules {
    pub share_above: f64,
    pub min_posts: u32,
    pub categories: Vec<String>,
    pub prefixes: Vec<String>,
    pub markers: Vec<String>,
}

/// `[zombie]`: what a stop announcement says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZombieRules {
    pub phrases: Vec<String>,
    pub exclude: Vec<String>,
}

/// `[off_topic]`: words no government unit's duties cover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffTopicRules {
    pub min_words: u32,
    pub words: Vec<String>,
}

/// `[duplicates]`: platforms on which one unit should have one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRules {
    pub platforms: Vec<Platform>,
}

/// One code an inspector may import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualCode {
    pub code: String,
    pub severity: Severity,
    /// Chinese name, for messages and reports.
    pub name: String,
}

/// `[manual]`: imported observations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualRules {
    /// An observation counts for runs monitored within this many months after its day.
    pub months: u32,
    #[serde(rename = "code")]
    pub codes: Vec<ManualCode>,
}

impl ManualRules {
    /// The rule of an importable code.
    pub fn code(&self, code: &str) -> Option<&ManualCode> {
        self.codes.iter().find(|c| c.code == code)
    }
}

/// Everything the media probe applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaRules {
    pub stale: StaleRules,
    pub posts: PostWindow,
    pub repost: RepostRules,
    pub zombie: ZombieRules,
    pub off_topic: OffTopicRules,
    pub duplicates: DuplicateRules,
    pub manual: ManualRules,
}

impl Default for MediaRules {
    /// The rules as shipped in `config/media.toml`.
    fn default() -> Self {
        toml::from_str(crate::shipped::MEDIA).expect("shipped media.toml is valid")
    }
}

/// Reads `media.toml`; a missing file gives the shipped rules. Besides TOML errors, impossible
/// values (a window of 0, a share outside 0–1, an importable code outside `media.`, the same code
/// twice) are refused with the line of their key.
pub fn load_media_rules(path: &Path) -> Result<MediaRules, ConfigError> {
    let rules: MediaRules = crate::load_toml_or_default(path)?;
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let problems = check(&rules, path, &text);
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(ConfigError::Invalid(problems))
    }
}

/// Line (1-based) of the first line of `text` that starts with `key` (0 when absent).
fn line_of(text: &str, key: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            l.starts_with(key)
                && l[key.len()..]
                    .trim_start()
                    .starts_with(['=', '"'].as_slice())
        })
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or(0)
}

fn check(r: &MediaRules, path: &Path, text: &str) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    let mut at = |key: &str, nth: usize, msg: String| {
        d.push(Diagnostic::new(path, line_of(text, key, nth), 0, msg));
    };
    if r.stale.window_days == 0 {
        at("window_days", 0, "[stale] window_days 至少应为 1".into());
    }
    if r.posts.months == 0 {
        at("months", 0, "[posts] months 至少应为 1".into());
    }
    if !(r.repost.share_above >= 0.0 && r.repost.share_above < 1.0) {
        at(
            "share_above",
            0,
            format!(
                "[repost] share_above 应不小于 0 且小于 1（现为 {}）",
                r.repost.share_above
            ),
        );
    }
    if r.repost.min_posts == 0 {
        at("min_posts", 0, "[repost] min_posts 至少应为 1".into());
    }
    for (name, list) in [
        ("phrases", &r.zombie.phrases),
        ("words", &r.off_topic.words),
        ("markers", &r.repost.markers),
        ("prefixes", &r.repost.prefixes),
        ("categories", &r.repost.categories),
    ] {
        if list.iter().any(|w| w.trim().is_empty()) {
            at(name, 0, format!("`{name}` 中不能有空词"));
        }
    }
    if r.zombie.phrases.is_empty() {
        at("phrases", 0, "[zombie] phrases 不能为空".into());
    }
    if r.off_topic.min_words == 0 {
        at("min_words", 0, "[off_topic] min_words 至少应为 1".into());
    }
    if r.manual.months == 0 {
        at("months", 1, "[manual] months 至少应为 1".into());
    }
    let mut seen = std::collections::HashSet::new();
    for (i, c) in r.manual.codes.iter().enumerate() {
        if !c.code.starts_with("media.") || c.code.len() <= "media.".len() {
            at(
                "code",
                i,
                format!(
                    "[[manual.code]] `{}` 不是政务新媒体问题代码（应以 media. 开头）",
                    c.code
                ),
            );
        }
        if !seen.insert(c.code.as_str()) {
            at("code", i, format!("[[manual.code]] `{}` 列了两次", c.code));
        }
        if c.name.trim().is_empty() {
            at(
                "name",
                i,
                format!("[[manual.code]] `{}` 缺少名称 (name)", c.code),
            );
        }
    }
    d.sort_by_key(|x| x.line);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load_and_check() {
        let r = MediaRules::default();
        assert_eq!(r.stale.window_days, 14);
        assert_eq!(r.posts.months, 3);
        assert!(r.repost.markers.iter().any(|m| m == "//@"));
        assert!(r.zombie.phrases.iter().any(|m| m == "停止更新"));
        assert_eq!(
            r.manual.code("media.comments_closed").map(|c| c.severity),
            Some(Severity::Veto)
        );
        assert!(!r.duplicates.platforms.contains(&Platform::Other));
        let text = crate::shipped::MEDIA;
        assert!(check(&r, Path::new("media.toml"), text).is_empty());
    }

    #[test]
    fn bad_values_are_refused_with_their_line() {
        let text = crate::shipped::MEDIA
            .replace("share_above = 0.8", "share_above = 1.5")
            .replace("code = \"media.unanswered\"", "code = \"unanswered\"");
        let dir = std::env::temp_dir().join(format!("govwatch-media-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("media.toml");
        std::fs::write(&path, &text).unwrap();
        let e = load_media_rules(&path).unwrap_err().to_string();
        let line = |needle: &str| text[..text.find(needle).unwrap()].matches('\n').count() + 1;
        assert!(
            e.contains(&format!(
                "media.toml 第 {} 行：[repost] share_above",
                line("share_above = 1.5")
            )),
            "{e}"
        );
        assert!(
            e.contains(&format!(
                "media.toml 第 {} 行：[[manual.code]] `unanswered`",
                line("code = \"unanswered\"")
            )),
            "{e}"
        );
        // an unknown key, with its line and column
        std::fs::write(&path, text.replace("min_posts = 5", "min_post = 5")).unwrap();
        let e = load_media_rules(&path).unwrap_err().to_string();
        assert!(e.contains("min_post"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
