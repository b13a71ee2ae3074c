//! The repost rule (`config/media.toml [repost]`): a post is a repost when, in this order,
//! 1. one of its feed categories or tags is listed in `categories` (bridges that tag reposts),
//! 2. its title, or else its body, starts with one of `prefixes` (RSSHub titles a 微博 reposted
//!    without comment "转发微博"), or
//! 3. its title or body holds one of `markers` (the `//@` repost chain of 微博 and 头条; RSSHub's
//!    quoted original "- 转发 @作者: …").
//!
//! Bare "转发" is never enough: "转发省政府办公厅关于…的通知" is an official document type.

use govwatch_config::RepostRules;
use govwatch_model::Post;

/// Why `post` is a repost (`category:转发`, `prefix:转发微博`, `marker://@`), or `None`.
pub fn marker(rules: &RepostRules, post: &Post) -> Option<String> {
    for c in &post.categories {
        if rules
            .categories
            .iter()
            .any(|w| c.eq_ignore_ascii_case(w.trim()))
        {
            return Some(format!("category:{c}"));
        }
    }
    for text in [post.title.trim(), post.text.trim()] {
        if let Some(p) = rules.prefixes.iter().find(|p| text.starts_with(p.as_str())) {
            return Some(format!("prefix:{p}"));
        }
    }
    for text in [post.title.as_str(), post.text.as_str()] {
        if let Some(m) = rules.markers.iter().find(|m| text.contains(m.as_str())) {
            return Some(format!("marker:{m}"));
        }
    }
    None
}
