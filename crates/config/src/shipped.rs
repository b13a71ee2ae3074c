//! The rule files shipped in the project's `config/` folder, compiled into the binary: the one
//! place that embeds them. Each constant is a file's text, used when the file is missing from the
//! configuration directory (and by the `Default` of each rule set); other crates ask here instead
//! of reaching into `config/` themselves.
//!
//! The operator's copies in `--config` always win; these are the fallback and the reference the
//! tests check the shipped files against.

/// `config/columns.toml`: column kinds and the home-page rule.
pub const COLUMNS: &str = include_str!("../../../config/columns.toml");
/// `config/holidays.toml`: the State Council's holiday and make-up work-day calendar.
pub const HOLIDAYS: &str = include_str!("../../../config/holidays.toml");
/// `config/indicators.toml`: the scoring indicators (vetoes, deductions, bonuses).
pub const INDICATORS: &str = include_str!("../../../config/indicators.toml");
/// `config/integrity.toml`: hidden links, spam words, scripts, privacy, defacement.
pub const INTEGRITY: &str = include_str!("../../../config/integrity.toml");
/// `config/interaction.toml`: interaction channels, replies, surveys and the ad rule.
pub const INTERACTION: &str = include_str!("../../../config/interaction.toml");
/// `config/media.toml`: the new-media account rules.
pub const MEDIA: &str = include_str!("../../../config/media.toml");
/// `config/warnings.toml`: the daemon's early-warning rules.
pub const WARNINGS: &str = include_str!("../../../config/warnings.toml");
