//! The settings a run records with it (the run's `settings`): the crawl settings, the digest of
//! the rule files it judged by (`rules_sha256`) and, for one shard of a night, the shard. Built
//! here alike for `govwatch run`, the daemon's nightly runs and each shard, so the merge of a
//! night's shards can refuse shards judged by other rules.

use govwatch_config::{ConfigDir, ConfigError, CrawlSettings, Shard};

/// Why a run's settings could not be written down.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A rule file could not be read for its digest.
    #[error("无法读取规则文件来记录它们的摘要")]
    Rules(#[source] ConfigError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// The SHA-256 digest of the rule files of `dir` (each file's name and bytes, an absent file
/// as absent), as recorded under `rules_sha256`.
pub fn rules_digest(dir: &ConfigDir) -> Result<String, SettingsError> {
    dir.rules_sha256().map_err(SettingsError::Rules)
}

/// The settings a run records: the crawl settings, with `rules_sha256` (the digest of the rule
/// files, [`rules_digest`]) and, for a shard of a night, `shard` added.
pub fn recorded(
    crawl: &CrawlSettings,
    rules_sha256: &str,
    shard: Option<Shard>,
) -> Result<serde_json::Value, SettingsError> {
    let mut settings = match serde_json::to_value(crawl)? {
        serde_json::Value::Object(m) => m,
        other => {
            let mut m = serde_json::Map::new();
            m.insert("crawl".into(), other);
            m
        }
    };
    settings.insert("rules_sha256".into(), rules_sha256.into());
    if let Some(shard) = shard {
        settings.insert("shard".into(), shard.to_json());
    }
    Ok(settings.into())
}
