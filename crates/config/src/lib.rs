//! Configuration of govwatch: the site registry (`config/sites.toml`) and the crawl settings
//! (`config/crawl.toml`).
//!
//! - [`load_sites`] / [`check_sites`]: read and validate the registry, reporting every problem
//!   with its file, line and column.
//! - [`import_csv`]: merge the national registry's CSV export (UTF-8 or GBK/GB18030) into
//!   `sites.toml`, keeping comments and per-site overrides.
//! - [`load_crawl_settings`] and [`CrawlSettings`]: politeness, limits and time-outs.
//! - [`ConfigDir`] / [`load`]: both files from one directory.
//! - [`load_accounts`] / [`check_accounts`] / [`import_accounts_csv`]: the new-media account
//!   registry (`config/accounts.toml`), [`load_media_rules`] its rules (`config/media.toml`),
//!   [`read_manual_findings`] inspectors' observations of accounts from CSV.
//! - [`Shard`] / [`shard_of`]: the registry split over several machines (`run --shard K/N`).
//! - [`shipped`]: the text of every rule file shipped in `config/`, embedded in one place.

mod accounts;
mod accounts_import;
mod columns;
mod crawl;
mod csv_rows;
mod daemon;
mod error;
mod holidays;
mod import;
mod integrity;
mod interaction;
mod media;
mod media_findings;
mod probes;
mod shard;
pub mod shipped;
mod sites;
pub mod text;
mod toml_check;
mod walls;
mod wording;

pub use accounts::{FEED_ID, check_accounts, feed_from_template, load_accounts, parse_accounts};
pub use accounts_import::import_accounts_csv;
pub use columns::{ColumnKind, ColumnRules, HomeRule, load_column_rules};
pub use crawl::{
    CrawlSettings, DEFAULT_CONTACT, DEFAULT_USER_AGENT, RenderMode, load_crawl_settings,
};
pub use csv_rows::decode_text;
pub use daemon::{
    DaemonConfig, SHIPPED_WARNINGS, SinkConfig, WarningConfig, WarningMetric, WarningRule,
    load_daemon_config, load_warning_config, parse_timezone,
};
pub use error::{ConfigError, Diagnostic, io_zh, place, toml_zh};
pub use holidays::{WorkCalendar, load_work_calendar, parse_calendar};
pub use import::{ImportReport, import_csv};
pub use integrity::{
    DefacementRules, HiddenLinkRules, IntegrityRules, ScriptRules, SpamKeywordRules,
    load_integrity_rules,
};
pub use interaction::{
    AdRules, ChannelWords, InteractionRules, LimitRules, ReplyRules, SurveyRules,
    load_interaction_rules,
};
pub use media::{
    DuplicateRules, ManualCode, ManualRules, MediaRules, OffTopicRules, PostWindow, RepostRules,
    StaleRules, ZombieRules, load_media_rules,
};
pub use media_findings::{ManualImport, parse_day, read_manual_findings};
pub use probes::{
    AccessibilityRules, AttachmentRules, AvailabilityRules, IdentityRules, Ipv6Rules, ProbeRules,
    Soft404Rules, load_probe_rules,
};
pub use shard::{Shard, ShardError, shard_of};
pub use sites::{check_sites, load_sites, parse_sites};
pub use walls::{Wall, WallHit, WallRules, load_walls};
pub use wording::{
    Confidence, HeldTitle, Leader, Phrase, WordingConfidence, WordingMatch, WordingRules,
    WordingWhitelist, WrongForm, load_wording_rules,
};

use govwatch_model::{Account, Site};
use std::path::{Path, PathBuf};

/// File name of the site registry inside a configuration directory.
pub const SITES_FILE: &str = "sites.toml";
/// File name of the crawl settings inside a configuration directory.
pub const CRAWL_FILE: &str = "crawl.toml";
/// File name of the probe thresholds inside a configuration directory.
pub const PROBES_FILE: &str = "probes.toml";
/// File name of the integrity rules inside a configuration directory.
pub const INTEGRITY_FILE: &str = "integrity.toml";
/// File name of the column kinds and windows inside a configuration directory.
pub const COLUMNS_FILE: &str = "columns.toml";
/// File name of the interaction probe rules inside a configuration directory.
pub const INTERACTION_FILE: &str = "interaction.toml";
/// File name of the working-day calendar inside a configuration directory.
pub const HOLIDAYS_FILE: &str = "holidays.toml";
/// File name of the daemon's schedule inside a configuration directory.
pub const DAEMON_FILE: &str = "daemon.toml";
/// File name of the early warnings and their sinks inside a configuration directory.
pub const WARNINGS_FILE: &str = "warnings.toml";
/// File name of the new-media account registry inside a configuration directory.
pub const ACCOUNTS_FILE: &str = "accounts.toml";
/// File name of the new-media rules inside a configuration directory.
pub const MEDIA_FILE: &str = "media.toml";
/// File name of the wording rules (严重表述错误) inside a configuration directory.
pub const WORDING_FILE: &str = "wording.toml";
/// File name of the anti-bot walls' signatures inside a configuration directory (read with
/// `crawl.toml`, beside it).
pub const WALLS_FILE: &str = "walls.toml";

/// A configuration directory holding `sites.toml` and `crawl.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDir {
    pub root: PathBuf,
}

impl Default for ConfigDir {
    /// The `config` directory relative to the working directory.
    fn default() -> Self {
        ConfigDir {
            root: PathBuf::from("config"),
        }
    }
}

impl ConfigDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ConfigDir { root: root.into() }
    }

    /// `ROOT/sites.toml`.
    pub fn sites_path(&self) -> PathBuf {
        self.root.join(SITES_FILE)
    }

    /// `ROOT/crawl.toml`.
    pub fn crawl_path(&self) -> PathBuf {
        self.root.join(CRAWL_FILE)
    }

    /// `ROOT/integrity.toml`.
    pub fn integrity_path(&self) -> PathBuf {
        self.root.join(INTEGRITY_FILE)
    }

    /// `ROOT/columns.toml`.
    pub fn columns_path(&self) -> PathBuf {
        self.root.join(COLUMNS_FILE)
    }

    /// `ROOT/daemon.toml`.
    pub fn daemon_path(&self) -> PathBuf {
        self.root.join(DAEMON_FILE)
    }

    /// `ROOT/warnings.toml`.
    pub fn warnings_path(&self) -> PathBuf {
        self.root.join(WARNINGS_FILE)
    }

    /// `ROOT/probes.toml`.
    pub fn probes_path(&self) -> PathBuf {
        self.root.join(PROBES_FILE)
    }

    /// `ROOT/interaction.toml`.
    pub fn interaction_path(&self) -> PathBuf {
        self.root.join(INTERACTION_FILE)
    }

    /// `ROOT/holidays.toml`.
    pub fn holidays_path(&self) -> PathBuf {
        self.root.join(HOLIDAYS_FILE)
    }

    /// `ROOT/accounts.toml`.
    pub fn accounts_path(&self) -> PathBuf {
        self.root.join(ACCOUNTS_FILE)
    }

    /// `ROOT/media.toml`.
    pub fn media_path(&self) -> PathBuf {
        self.root.join(MEDIA_FILE)
    }

    /// `ROOT/wording.toml`.
    pub fn wording_path(&self) -> PathBuf {
        self.root.join(WORDING_FILE)
    }

    /// Every probe rule file of the directory (`probes.toml`, `columns.toml`, `integrity.toml`,
    /// `interaction.toml`, `holidays.toml`, `media.toml`, `wording.toml`); a missing file gives the shipped rules.
    pub fn probe_rules(&self) -> Result<ProbeRules, ConfigError> {
        let mut rules = load_probe_rules(&self.probes_path())?;
        rules.columns = load_column_rules(&self.columns_path())?;
        rules.integrity = load_integrity_rules(&self.integrity_path())?;
        rules.interaction = load_interaction_rules(&self.interaction_path())?;
        rules.calendar = load_work_calendar(&self.holidays_path())?;
        rules.media = load_media_rules(&self.media_path())?;
        rules.wording = load_wording_rules(&self.wording_path())?;
        Ok(rules)
    }

    /// The rule files a run reads (the crawl settings, the walls' signatures and every probe rule
    /// file) that this directory lacks: each is read as its shipped file.
    pub fn missing_rule_files(&self) -> Vec<&'static str> {
        [
            CRAWL_FILE,
            WALLS_FILE,
            PROBES_FILE,
            COLUMNS_FILE,
            INTEGRITY_FILE,
            INTERACTION_FILE,
            HOLIDAYS_FILE,
            MEDIA_FILE,
            WORDING_FILE,
        ]
        .into_iter()
        .filter(|name| !self.root.join(name).exists())
        .collect()
    }

    /// The new-media account registry, checked against `sites` (no `accounts.toml`: no accounts).
    pub fn accounts(&self, sites: &[Site]) -> Result<Vec<Account>, ConfigError> {
        let path = self.accounts_path();
        if !path.exists() {
            return Ok(Vec::new());
        }
        load_accounts(&path, Some(sites))
    }

    /// Loads the site registry and the crawl settings (see [`load`]).
    pub fn load(&self) -> Result<(Vec<Site>, CrawlSettings), ConfigError> {
        let sites = load_sites(&self.sites_path())?;
        let settings = load_crawl_settings(&self.crawl_path())?;
        Ok((sites, settings))
    }
}

/// Loads `DIR/sites.toml` (required) and `DIR/crawl.toml` (defaults when absent), both validated.
pub fn load(dir: &Path) -> Result<(Vec<Site>, CrawlSettings), ConfigError> {
    ConfigDir::new(dir).load()
}

/// Reads a TOML file of rules: a missing file gives the defaults (the shipped rules), a syntax
/// error, a wrong type or an unknown key an error naming the file, line and column.
pub(crate) fn load_toml_or_default<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
) -> Result<T, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_toml(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(source) => Err(ConfigError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Parses TOML text into `T`; an error names `path` with the line and column.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError::Parse {
            file: path.to_path_buf(),
            line,
            column,
            message: crate::toml_zh(e.message()),
        }
    })
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Where the lines of a text start, for many [`line_col`] look-ups in one text (a registry of
/// 100,000 accounts asks one per account: scanning from the start each time made an import
/// quadratic).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// [`line_col`] of `offset` in `text` (the text the index was made of).
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line - 1];
        (line, text[start..offset].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_rule_file_is_named_and_read_as_shipped() {
        let dir = std::env::temp_dir().join(format!("govwatch-rules-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = ConfigDir::new(&dir);
        assert_eq!(cfg.missing_rule_files().len(), 9);
        for (name, text) in crate::shipped::RULE_FILES {
            std::fs::write(dir.join(name), text).unwrap();
        }
        assert!(cfg.missing_rule_files().is_empty());
        std::fs::remove_file(dir.join(COLUMNS_FILE)).unwrap();
        std::fs::remove_file(dir.join(WALLS_FILE)).unwrap();
        assert_eq!(cfg.missing_rule_files(), vec![WALLS_FILE, COLUMNS_FILE]);
        // the rules still load, the two files as shipped
        let rules = cfg.probe_rules().unwrap();
        assert_eq!(rules.columns, ColumnRules::default());
        let note = crate::shipped::missing_rules_note(&dir, &cfg.missing_rule_files());
        assert!(note.contains("walls.toml、columns.toml"), "{note}");
        assert!(note.contains("按内置的规则检查"), "{note}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_line_index_agrees_with_line_col() {
        let text = "a = 1\n名称 = \"x\"\n\n末行";
        let idx = LineIndex::new(text);
        for offset in 0..=text.len() + 3 {
            assert_eq!(
                idx.line_col(text, offset),
                line_col(text, offset),
                "{offset}"
            );
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let text = "a = 1\n名称 = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        let eq = text.find('=').unwrap();
        assert_eq!(line_col(text, eq), (1, 3));
        let eq2 = text[6..].find('=').unwrap() + 6;
        assert_eq!(line_col(text, eq2), (2, 4));
        // Offsets inside a character and past the end are clamped.
        assert_eq!(line_col(text, 7), (2, 1));
        assert_eq!(line_col(text, 1000), (3, 1));
    }

    #[test]
    fn config_dir_paths() {
        let d = ConfigDir::new("/etc/govwatch");
        assert_eq!(d.sites_path(), Path::new("/etc/govwatch/sites.toml"));
        assert_eq!(d.crawl_path(), Path::new("/etc/govwatch/crawl.toml"));
        assert_eq!(ConfigDir::default().root, Path::new("config"));
    }
}
