//! The rule files shipped in the project's `config/` folder, compiled into the binary: the one
//! place that embeds them. Each constant is a file's text, used when the file is missing from the
//! configuration directory (and by the `Default` of each rule set); other crates ask here instead
//! of reaching into `config/` themselves.
//!
//! The operator's copies in `--config` always win; these are the fallback and the reference the
//! tests check the shipped files against.

/// `config/crawl.toml`: crawl settings (politeness, limits, budgets), every key at its default.
pub const CRAWL: &str = include_str!("../../../config/crawl.toml");
/// `config/daemon.toml`: the sampling daemon's schedule.
pub const DAEMON: &str = include_str!("../../../config/daemon.toml");
/// `config/probes.toml`: probe thresholds (availability, IPv6, content).
pub const PROBES: &str = include_str!("../../../config/probes.toml");
/// `config/sites.toml`: the site registry (its comment header documents every key).
const SITES: &str = include_str!("../../../config/sites.toml");

/// Every shipped rule file as (file name, text): what `govwatch init` writes into a new
/// configuration directory.
pub const RULE_FILES: &[(&str, &str)] = &[
    ("columns.toml", COLUMNS),
    ("crawl.toml", CRAWL),
    ("daemon.toml", DAEMON),
    ("holidays.toml", HOLIDAYS),
    ("indicators.toml", INDICATORS),
    ("integrity.toml", INTEGRITY),
    ("interaction.toml", INTERACTION),
    ("media.toml", MEDIA),
    ("probes.toml", PROBES),
    ("walls.toml", WALLS),
    ("warnings.toml", WARNINGS),
    ("wording.toml", WORDING),
];

/// `config/accounts.toml`: the new-media account registry, all comments (every key explained,
/// an example account commented out), so a new folder registers no account until the office adds
/// one.
pub const ACCOUNTS: &str = include_str!("../../../config/accounts.toml");

/// An example `sites.toml` for a new configuration directory: the shipped file's comment header
/// (every key explained) and one example site, commented out so the registry starts empty.
pub fn example_sites() -> String {
    let header: String = SITES
        .lines()
        .take_while(|l| !l.starts_with("[[site]]"))
        .map(|l| format!("{l}\n"))
        .collect();
    format!(
        "{header}# An example (remove the leading `# ` to use it, or import the registry's CSV with\n\
         # `govwatch sites import FILE.csv`):\n\
         #\n\
         # [[site]]\n\
         # id = \"3413220004\"\n\
         # name = \"萧县人民政府\"\n\
         # home = \"https://www.ahxx.gov.cn/\"\n\
         # org = \"萧县人民政府办公室\"\n\
         # region = \"宿州市萧县\"\n\
         # kind = \"portal\"\n"
    )
}

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
/// `config/wording.toml`: leaders' names and titles, formulations, known wrong forms.
pub const WORDING: &str = include_str!("../../../config/wording.toml");
/// `config/walls.toml`: the anti-bot walls' challenge signatures.
pub const WALLS: &str = include_str!("../../../config/walls.toml");

/// The shipped scoring rules as a command names them when it uses them.
pub const SHIPPED_RULES_ZH: &str = "内置的评分规则";

/// Which scoring rules a command uses, in its words: the rule file `file`, or the shipped rules
/// ([`SHIPPED_RULES_ZH`]) when the configuration directory has no such file (`shipped`).
pub fn rules_source(file: &std::path::Path, shipped: bool) -> String {
    if shipped {
        SHIPPED_RULES_ZH.to_string()
    } else {
        file.display().to_string()
    }
}

/// What every command says on stderr, once, when the configuration directory has no `file`
/// (`indicators.toml`) and the shipped rules stand in for it; `serve` says the same in its start
/// line through [`rules_source`]. A missing rule file is never a failure.
pub fn missing_note(file: &std::path::Path) -> String {
    format!(
        "govwatch：没有 {}，按{SHIPPED_RULES_ZH}评分",
        file.display()
    )
}

/// What a command says on stderr, once, when the configuration directory `dir` lacks some of the
/// rule files it reads (`names`, e.g. `columns.toml`) and the shipped files stand in for them: the
/// same behaviour as a missing `indicators.toml` ([`missing_note`]), never a failure.
pub fn missing_rules_note(dir: &std::path::Path, names: &[&str]) -> String {
    format!(
        "govwatch：{} 中没有 {}，按内置的规则检查（govwatch init 可写出这些文件）",
        dir.display(),
        names.join("、")
    )
}
