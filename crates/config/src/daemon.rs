//! The daemon's schedule (`config/daemon.toml`) and the early warnings with their sinks
//! (`config/warnings.toml`).

use crate::error::{ConfigError, Diagnostic};
use chrono::{FixedOffset, NaiveTime};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// When the daemon samples and crawls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Minutes between two availability samples of one site (veto 2 needs ≥ 20 spaced probes a
    /// day: 60 gives 24).
    pub interval_minutes: f64,
    /// Each sample is moved by a random amount up to ± this many minutes, so that sites drift
    /// apart; the first samples are also spread evenly across one interval.
    pub jitter_minutes: f64,
    /// Local time of the nightly crawl, `HH:MM`.
    pub nightly_at: String,
    /// Time zone of `nightly_at`: `Asia/Shanghai` (UTC+08:00; China has had no daylight saving
    /// time since 1991), `UTC`, or a fixed offset like `+08:00`.
    pub timezone: String,
    /// A nightly run missed while the daemon was down is run at start.
    pub run_missed_nightly: bool,
    /// Seconds given to requests in flight after SIGTERM/Ctrl-C before they are abandoned.
    pub shutdown_grace_secs: f64,
    /// Sites sampled at the same time at most (each host still goes through its own gate).
    pub sample_concurrency: u32,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            interval_minutes: 60.0,
            jitter_minutes: 5.0,
            nightly_at: "02:00".into(),
            timezone: "Asia/Shanghai".into(),
            run_missed_nightly: true,
            shutdown_grace_secs: 20.0,
            sample_concurrency: 8,
        }
    }
}

impl DaemonConfig {
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.interval_minutes * 60.0)
    }

    pub fn jitter(&self) -> Duration {
        Duration::from_secs_f64(self.jitter_minutes * 60.0)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs_f64(self.shutdown_grace_secs)
    }

    /// The nightly time (validated by [`load_daemon_config`]).
    pub fn nightly_time(&self) -> Result<NaiveTime, String> {
        NaiveTime::parse_from_str(&self.nightly_at, "%H:%M")
            .map_err(|_| format!("nightly_at {:?} 应为 HH:MM 形式的时间", self.nightly_at))
    }

    /// The offset of `timezone`.
    pub fn offset(&self) -> Result<FixedOffset, String> {
        parse_timezone(&self.timezone)
    }
}

/// `Asia/Shanghai` (and the other zones of China, all UTC+8 without DST), `UTC`, or `±HH:MM`.
pub fn parse_timezone(s: &str) -> Result<FixedOffset, String> {
    let t = s.trim();
    match t {
        "Asia/Shanghai" | "Asia/Chongqing" | "Asia/Harbin" | "Asia/Urumqi" | "PRC" | "CST" => {
            return Ok(govwatch_model::time::CHINA_TZ);
        }
        "UTC" | "Etc/UTC" | "Z" => return Ok(FixedOffset::east_opt(0).expect("valid")),
        _ => {}
    }
    let bad = || format!("timezone {s:?} 应为 Asia/Shanghai、UTC 或 +08:00 这样的固定时差");
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(bad)
}

fn invalid(path: &Path, errs: Vec<String>) -> ConfigError {
    ConfigError::Invalid(
        errs.into_iter()
            .map(|m| Diagnostic::new(path, 0, 0, m))
            .collect(),
    )
}

/// Reads `daemon.toml` (defaults when missing) and checks its values.
pub fn load_daemon_config(path: &Path) -> Result<DaemonConfig, ConfigError> {
    let c: DaemonConfig = crate::load_toml_or_default(path)?;
    let mut errs = Vec::new();
    if !(c.interval_minutes.is_finite() && c.interval_minutes > 0.0) {
        errs.push("interval_minutes 应大于 0".to_string());
    }
    if !(c.jitter_minutes.is_finite()
        && c.jitter_minutes >= 0.0
        && c.jitter_minutes * 2.0 < c.interval_minutes)
    {
        errs.push("jitter_minutes 不能小于 0，且应小于 interval_minutes 的一半".to_string());
    }
    if let Err(e) = c.nightly_time() {
        errs.push(e);
    }
    if let Err(e) = c.offset() {
        errs.push(e);
    }
    if !(c.shutdown_grace_secs.is_finite() && c.shutdown_grace_secs >= 0.0) {
        errs.push("shutdown_grace_secs 不能小于 0".to_string());
    }
    if c.sample_concurrency == 0 {
        errs.push("sample_concurrency 至少应为 1".to_string());
    }
    if errs.is_empty() {
        Ok(c)
    } else {
        Err(invalid(path, errs))
    }
}

/// What an early warning measures. Each is computed by the daemon from stored data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningMetric {
    /// Failed share of the availability samples in the rolling window (as the `avail.window`
    /// fact, over the family of `probes.toml [availability]`).
    AvailabilityRatio,
    /// Days from the newest dated home page item (fact `home.latest`) to the monitoring time of
    /// the site's newest run; a home page with no dated item that is not a navigation hub counts
    /// as never updated.
    HomeDaysStale,
    /// Blank columns (`column.blank` findings) of the site's newest run.
    BlankColumns,
    /// Stale columns (`column.stale` findings) of the site's newest run.
    StaleColumns,
    /// Days the oldest unanswered published letter (fact `message.letter`, status not
    /// `replied`) has waited since it was sent, at the newest run's monitoring time.
    LetterDaysUnanswered,
}

impl WarningMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningMetric::AvailabilityRatio => "availability_ratio",
            WarningMetric::HomeDaysStale => "home_days_stale",
            WarningMetric::BlankColumns => "blank_columns",
            WarningMetric::StaleColumns => "stale_columns",
            WarningMetric::LetterDaysUnanswered => "letter_days_unanswered",
        }
    }
}

/// One early warning rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningRule {
    /// The warning's code (documented in `docs/codes.md`).
    pub code: String,
    pub metric: WarningMetric,
    /// The warning opens when the metric is at least this (inclusive).
    pub open_at: f64,
    /// It closes when the metric falls below this (hysteresis, so a value hovering at the
    /// threshold does not open and close it again and again). Default: `open_at`.
    #[serde(default)]
    pub clear_below: Option<f64>,
    /// Availability only: the window must hold at least this many samples to be judged.
    #[serde(default)]
    pub min_samples: u32,
    /// Where the threshold comes from.
    pub source: String,
    /// Text of the warning (Chinese, fit for a notice); `{value}` is replaced by the metric.
    pub message: String,
}

impl WarningRule {
    pub fn clear_below(&self) -> f64 {
        self.clear_below.unwrap_or(self.open_at)
    }
}

/// Where warnings are sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SinkConfig {
    /// A log line (tracing, level WARN) on stderr / the journal.
    Log { name: String },
    /// An HTTP POST of the warning as JSON.
    Webhook {
        name: String,
        url: String,
        #[serde(default = "default_sink_timeout")]
        timeout_secs: f64,
    },
    /// An e-mail through an SMTP server.
    Smtp {
        name: String,
        host: String,
        #[serde(default = "default_smtp_port")]
        port: u16,
        /// Upgrade the connection with STARTTLS (required when set).
        #[serde(default)]
        starttls: bool,
        #[serde(default)]
        username: Option<String>,
        /// Name of the environment variable holding the password (never the password itself).
        #[serde(default)]
        password_env: Option<String>,
        from: String,
        to: Vec<String>,
        #[serde(default = "default_sink_timeout")]
        timeout_secs: f64,
    },
}

fn default_sink_timeout() -> f64 {
    10.0
}

fn default_smtp_port() -> u16 {
    25
}

impl SinkConfig {
    pub fn name(&self) -> &str {
        match self {
            SinkConfig::Log { name }
            | SinkConfig::Webhook { name, .. }
            | SinkConfig::Smtp { name, .. } => name,
        }
    }
}

/// `warnings.toml`: the rules and the sinks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningConfig {
    #[serde(rename = "warning", default)]
    pub warnings: Vec<WarningRule>,
    #[serde(rename = "sink", default)]
    pub sinks: Vec<SinkConfig>,
}

impl Default for WarningConfig {
    /// The shipped rules (`config/warnings.toml`) and a log sink.
    fn default() -> Self {
        toml::from_str(SHIPPED_WARNINGS).expect("the shipped warnings.toml parses")
    }
}

/// The shipped `config/warnings.toml`, used when the file is missing.
pub const SHIPPED_WARNINGS: &str = crate::shipped::WARNINGS;

/// Reads `warnings.toml` (the shipped rules when missing) and checks it.
pub fn load_warning_config(path: &Path) -> Result<WarningConfig, ConfigError> {
    let c: WarningConfig = crate::load_toml_or_default(path)?;
    let mut errs = Vec::new();
    let mut codes = std::collections::HashSet::new();
    for w in &c.warnings {
        if !codes.insert(w.code.as_str()) {
            errs.push(format!("预警 {:?} 定义了两次", w.code));
        }
        if !w.open_at.is_finite() || w.clear_below() > w.open_at {
            errs.push(format!("预警 {:?} 的 clear_below 不能大于 open_at", w.code));
        }
        if w.source.trim().is_empty() {
            errs.push(format!("预警 {:?} 没有写依据 (source)", w.code));
        }
    }
    let mut names = std::collections::HashSet::new();
    for s in &c.sinks {
        if !names.insert(s.name()) {
            errs.push(format!("发送渠道 (sink) {:?} 定义了两次", s.name()));
        }
        match s {
            SinkConfig::Webhook { url, .. } => {
                if url::Url::parse(url).is_err() {
                    errs.push(format!(
                        "发送渠道 (sink) {:?} 的网址 {url:?} 有误",
                        s.name()
                    ));
                }
            }
            SinkConfig::Smtp { to, from, .. } => {
                if to.is_empty() {
                    errs.push(format!(
                        "发送渠道 (sink) {:?} 的 `to` 中没有收件人",
                        s.name()
                    ));
                }
                if !from.contains('@') {
                    errs.push(format!(
                        "发送渠道 (sink) {:?} 的 `from` {from:?} 有误",
                        s.name()
                    ));
                }
            }
            SinkConfig::Log { .. } => {}
        }
    }
    if errs.is_empty() {
        Ok(c)
    } else {
        Err(invalid(path, errs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        let d = load_daemon_config(&root.join("daemon.toml")).unwrap();
        assert_eq!(d, DaemonConfig::default());
        let w = load_warning_config(&root.join("warnings.toml")).unwrap();
        assert_eq!(w, WarningConfig::default());
        let codes: Vec<&str> = w.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "warn.availability",
                "warn.home_stale",
                "warn.columns_blank",
                "warn.columns_stale",
                "warn.letter_unanswered"
            ]
        );
    }

    #[test]
    fn timezones() {
        assert_eq!(
            parse_timezone("Asia/Shanghai").unwrap().local_minus_utc(),
            8 * 3600
        );
        assert_eq!(
            parse_timezone("-05:30").unwrap().local_minus_utc(),
            -(5 * 3600 + 1800)
        );
        assert!(parse_timezone("Europe/Paris").is_err());
    }

    #[test]
    fn bad_values_are_named() {
        let dir = std::env::temp_dir().join(format!("gw-daemon-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("daemon.toml");
        std::fs::write(&p, "nightly_at = \"25:00\"\ninterval_minutes = 0\n").unwrap();
        let e = load_daemon_config(&p).unwrap_err().to_string();
        assert!(
            e.contains("nightly_at") && e.contains("interval_minutes"),
            "{e}"
        );
        std::fs::write(&p, "intervall = 3\n").unwrap();
        let e = load_daemon_config(&p).unwrap_err().to_string();
        assert!(
            e.contains("daemon.toml 第 1 行第 1 列：没有 `intervall` 这个键"),
            "{e}"
        );
        let w = dir.join("warnings.toml");
        std::fs::write(
            &w,
            "[[warning]]\ncode = \"x\"\nmetric = \"availability\"\nopen_at = 1\nsource = \"s\"\nmessage = \"m\"\n",
        )
        .unwrap();
        let e = load_warning_config(&w).unwrap_err().to_string();
        assert!(e.contains("warnings.toml 第 3 行第 10 列"), "{e}");
        std::fs::write(
            &w,
            "[[warning]]\ncode = \"x\"\nmetric = \"blank_columns\"\nopen_at = 1\nclear_below = 2\nsource = \"s\"\nmessage = \"m\"\n\n[[sink]]\nname = \"h\"\nkind = \"smtp\"\nhost = \"h\"\nfrom = \"nobody\"\nto = []\n",
        )
        .unwrap();
        let e = load_warning_config(&w).unwrap_err().to_string();
        assert!(e.contains("clear_below 不能大于 open_at"), "{e}");
        assert!(
            e.contains("`to` 中没有收件人") && e.contains("`from` \"nobody\" 有误"),
            "{e}"
        );
    }
}
