//! Anti-bot walls (`config/walls.toml`): the signatures — HTTP statuses and body markers — of
//! the challenge pages walls answer a crawler with, each with its source. The crawler applies
//! them to every answer it reads ([`WallRules::detect`]); the answer is then a challenge, not the
//! site's page (`page.challenged`, never a failure of the site).

use crate::error::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One wall's signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wall {
    /// Stable id (stored in facts): `ruishu`, `jiasule` …
    pub id: String,
    /// The name people know it by.
    pub name: String,
    /// HTTP statuses the wall answers with; empty: any.
    #[serde(default)]
    pub statuses: Vec<u16>,
    /// Markers that must all appear in the body.
    #[serde(default)]
    pub all: Vec<String>,
    /// Markers of which one must appear (empty: none needed).
    #[serde(default)]
    pub any: Vec<String>,
    /// Largest body that can be the wall's challenge page.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: usize,
    pub source: String,
}

fn default_max_bytes() -> usize {
    65536
}

/// What matched: the wall and the markers found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WallHit {
    pub id: String,
    pub name: String,
    pub markers: Vec<String>,
}

/// Every wall of `walls.toml`, in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallRules {
    #[serde(default, rename = "wall")]
    pub walls: Vec<Wall>,
}

impl Default for WallRules {
    /// The shipped `config/walls.toml`.
    fn default() -> Self {
        crate::parse_toml(crate::shipped::WALLS, Path::new("config/walls.toml"))
            .expect("the shipped walls.toml parses")
    }
}

impl WallRules {
    /// The first wall whose status and markers match an answer (`body`: the decoded text of the
    /// answer, or as much of it as was read); `None` for an ordinary page.
    pub fn detect(&self, status: u16, body: &str) -> Option<WallHit> {
        self.walls.iter().find_map(|w| {
            if !w.statuses.is_empty() && !w.statuses.contains(&status) {
                return None;
            }
            if body.len() > w.max_bytes || (w.all.is_empty() && w.any.is_empty()) {
                return None;
            }
            if !w.all.iter().all(|m| body.contains(m.as_str())) {
                return None;
            }
            let any: Vec<&String> = w.any.iter().filter(|m| body.contains(m.as_str())).collect();
            if !w.any.is_empty() && any.is_empty() {
                return None;
            }
            Some(WallHit {
                id: w.id.clone(),
                name: w.name.clone(),
                markers: w.all.iter().chain(any).cloned().collect(),
            })
        })
    }

    /// Whether some wall could match an answer, read on its raw bytes before any decoding: the
    /// status and size fit, and its markers are in the bytes (as UTF-8, or as GBK for a marker
    /// in Chinese). [`WallRules::detect`] then decides on the decoded text; an ordinary page
    /// (no marker in it) is not decoded twice. A UTF-16 answer (its byte order mark) cannot be
    /// read so and may always match.
    pub fn may_match(&self, status: u16, raw: &[u8]) -> bool {
        if raw.starts_with(&[0xFF, 0xFE]) || raw.starts_with(&[0xFE, 0xFF]) {
            return true;
        }
        let found = |m: &String| {
            memchr::memmem::find(raw, m.as_bytes()).is_some()
                || (!m.is_ascii()
                    && memchr::memmem::find(raw, &encoding_rs::GBK.encode(m).0).is_some())
        };
        self.walls.iter().any(|w| {
            (w.statuses.is_empty() || w.statuses.contains(&status))
                && raw.len() <= w.max_bytes
                && !(w.all.is_empty() && w.any.is_empty())
                && w.all.iter().all(found)
                && (w.any.is_empty() || w.any.iter().any(found))
        })
    }

    /// The wall of this id.
    pub fn get(&self, id: &str) -> Option<&Wall> {
        self.walls.iter().find(|w| w.id == id)
    }

    /// The largest body any wall reads.
    pub fn max_bytes(&self) -> usize {
        self.walls.iter().map(|w| w.max_bytes).max().unwrap_or(0)
    }

    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for w in &self.walls {
            if w.id.trim().is_empty() {
                p.push("a [[wall]] has an empty id".to_string());
            } else if !seen.insert(w.id.as_str()) {
                p.push(format!("wall `{}` is listed twice", w.id));
            }
            if w.all.iter().chain(&w.any).all(|m| m.is_empty()) {
                p.push(format!("wall `{}` has no marker (all/any)", w.id));
            }
            if w.source.trim().is_empty() {
                p.push(format!("wall `{}` names no source", w.id));
            }
        }
        p
    }
}

/// Reads `walls.toml`; a missing file gives the shipped walls, a bad one an error naming it.
pub fn load_walls(path: &Path) -> Result<WallRules, ConfigError> {
    let rules: WallRules = crate::load_toml_or_default(path)?;
    let problems = rules.problems();
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(ConfigError::Invalid(
            problems
                .into_iter()
                .map(|m| crate::Diagnostic::new(path, 0, 0, m))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_walls_are_valid_and_named() {
        let w = WallRules::default();
        assert!(w.problems().is_empty(), "{:?}", w.problems());
        let ids: Vec<&str> = w.walls.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ruishu",
                "jiasule",
                "aliyun",
                "cloudflare",
                "safeline",
                "slider"
            ]
        );
    }

    #[test]
    fn each_wall_by_its_status_and_markers() {
        let w = WallRules::default();
        let hit = |status, body: &str| w.detect(status, body).map(|h| h.id);
        // Ruishu: 412, $_ts and a script r="m"
        assert_eq!(
            hit(412, r#"<html><head><script>$_ts=window['$_ts'];$_ts.nsd=1</script><script r="m" src="/x1a2/b.js"></script></head></html>"#).as_deref(),
            Some("ruishu")
        );
        // the same markers in a 200 page are a page that talks about them (status not the wall's)
        assert_eq!(
            hit(200, r#"<script>$_ts.nsd=1</script><script r="m"></script>"#),
            None
        );
        // Jiasule: 521 and the clearance cookie script
        assert_eq!(
            hit(521, "<script>document.cookie=('_')+('_jsl_clearance_s=16')+';max-age=3600';location.href=location.pathname</script>").as_deref(),
            Some("jiasule")
        );
        // a plain 521 (origin down, Cloudflare's own error) is no challenge
        assert_eq!(hit(521, "<h1>Web server is down</h1>"), None);
        // Aliyun: any status, acw_sc__v2 computed from arg1
        assert_eq!(
            hit(
                200,
                "<html><script>var arg1='3F1A';…document.cookie='acw_sc__v2='+x</script></html>"
            )
            .as_deref(),
            Some("aliyun")
        );
        // Cloudflare
        assert_eq!(
            hit(
                403,
                "<title>Just a moment...</title><script>window._cf_chl_opt={}</script>"
            )
            .as_deref(),
            Some("cloudflare")
        );
        // a slider page, and a long real page that mentions 滑动验证 in an article
        assert_eq!(
            hit(
                200,
                "<div id=nc></div><script>/* 请拖动滑块完成验证 */</script>"
            )
            .as_deref(),
            Some("slider")
        );
        let long = format!(
            "<script></script><p>滑动验证</p>{}",
            "政务公开".repeat(20_000)
        );
        assert_eq!(hit(200, &long), None);
        // an ordinary 404 and an ordinary page
        assert_eq!(hit(404, "<h1>404 Not Found</h1>"), None);
        assert_eq!(
            hit(200, "<html><body><ul><li>通知</li></ul></body></html>"),
            None
        );
    }

    #[test]
    fn the_raw_bytes_tell_which_answers_need_decoding() {
        let w = WallRules::default();
        // every challenge detect finds passes the byte check, in UTF-8 and in GBK
        let slider = "<div id=nc></div><script>/* 请拖动滑块完成验证 */</script>";
        assert!(w.may_match(200, slider.as_bytes()));
        assert!(w.may_match(200, &encoding_rs::GBK.encode(slider).0));
        assert!(w.may_match(
            521,
            b"<script>document.cookie=('_')+('_jsl_clearance_s=16')</script>"
        ));
        assert!(w.may_match(
            412,
            br#"<script>$_ts=window['$_ts'];</script><script r="m"></script>"#
        ));
        // ordinary pages and errors are not decoded for it
        let page = "<html><script>var a=1</script><ul><li>通知公告 2026-11-20</li></ul></html>";
        assert!(!w.may_match(200, page.as_bytes()));
        assert!(!w.may_match(200, &encoding_rs::GBK.encode(page).0));
        assert!(!w.may_match(404, b"<h1>404 Not Found</h1>"));
        assert!(
            !w.may_match(412, b"<script>$_ts</script>"),
            "Ruishu needs one of its any markers too"
        );
        // UTF-16 cannot be read on its bytes
        assert!(w.may_match(200, &[0xFF, 0xFE, b'<', 0]));
    }
}
