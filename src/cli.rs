//! The command line: every flag and subcommand of `govwatch` (clap derive), in one place.
//!
//! Main types: [`Cli`] (global flags), [`Cmd`] (the subcommands), one `…Args` struct per
//! subcommand and [`SitesCmd`], [`AccountsCmd`], [`MediaCmd`] for the nested ones.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

// The types carry plain comments, not doc comments: clap turns a type's doc comment into help text.

/// Exit codes and examples, shown after the options of `govwatch --help`.
const AFTER_HELP: &str = "\
Exit codes (退出码):
  0  ran; nothing found, or only 提示 (info) findings
  1  ran; findings present (a site or account 不合格, or problems found)
  2  could not run (bad input, no database, a taken port …): the message says why
  3  interrupted (Ctrl-C / SIGTERM); `govwatch run --resume` continues the run

Examples (示例):
  govwatch demo                         the fixture sites on loopback, into govwatch.db and demo-out/
  govwatch init /srv/govwatch           a commented configuration skeleton to start from
  govwatch sites import 名录.csv         the national registry's CSV into config/sites.toml
  govwatch run --as-of 2026-11-28       the nightly job over every registered site
  govwatch score                        the verdict table of the newest run (合格/不合格)
  govwatch report --quarter 2026Q4      the quarterly report (md, html, csv, xlsx, json) in report/
  govwatch report --run 2 --since 1     with the rectification (已整改/仍未整改/新发现)
  govwatch findings --code link.broken_home
  govwatch show 17                      one finding's evidence and archived page
  govwatch review 17 --dismiss --reason 原文引用   an inspector's review (or --confirm)
  govwatch probe https://www.example.gov.cn/ -v
  govwatch codes                        every finding code with its Chinese title and indicator
  govwatch status                       per site: last sample, 7-day availability, open warnings

Times are shown in China time (+08:00); dates given without a zone are China time.
`govwatch <command> --help` describes each command's options.";

// The whole command line: global flags and one subcommand.
#[derive(Parser)]
#[command(
    name = "govwatch",
    version,
    about = "Inspects government websites by the official indicators",
    after_help = AFTER_HELP
)]
pub(crate) struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

// The subcommands, one file each under `src/commands/`.
#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// The nightly job: crawl every registered site, run every probe, store the results.
    Run(RunArgs),
    /// Inspect one site now (a registered id or any URL) and print facts and findings.
    Probe(ProbeArgs),
    /// The site registry (config/sites.toml).
    Sites {
        #[command(subcommand)]
        cmd: SitesCmd,
    },
    /// The new-media account registry (config/accounts.toml).
    Accounts {
        #[command(subcommand)]
        cmd: AccountsCmd,
    },
    /// New-media accounts: inspectors' findings (comments closed, messages never answered …).
    Media {
        #[command(subcommand)]
        cmd: MediaCmd,
    },
    /// Serve the bundled fixture sites on loopback and run the nightly job on them.
    Demo(DemoArgs),
    /// Run continuously: sample every home page hourly (IPv4 and IPv6), crawl nightly, raise
    /// early warnings. SIGTERM or Ctrl-C stops it cleanly (exit 0).
    Daemon(DaemonArgs),
    /// Per site: last sample, 7-day availability, last crawl, open warnings.
    Status(StatusArgs),
    /// Score a run by config/indicators.toml and print the verdict table (合格/不合格).
    Score(ScoreArgs),
    /// The quarterly report of a scored run: annex tables, summary, evidence, rectification.
    Report(ReportArgs),
    /// A read-only web view of the database: runs, sites, findings, archived pages, downloads.
    Serve(ServeArgs),
    /// Merge shard databases (`run --shard K/N`) into one run of NIGHT.db.
    Merge(crate::commands::merge::MergeArgs),
    /// A new working folder: DIR/config/ with the shipped rule files (commented, at their
    /// defaults) and an example sites.toml; existing files are kept.
    Init(InitArgs),
    /// Every fact and finding code with its Chinese title and the indicators that read it.
    Codes(CodesArgs),
    /// A run's findings (default: the newest finished run), by site and code.
    Findings(FindingsArgs),
    /// One finding: its evidence, the fetches of its URL and where the archived page is.
    Show(ShowArgs),
    /// An inspector's review of one finding: --confirm (a 疑似 finding then counts as 确定) or
    /// --dismiss --reason TEXT (kept with who and why, left out of the score and the report's
    /// counts, and not raised again for the same words on the same page).
    Review(ReviewArgs),
}

// `govwatch review`.
#[derive(Args)]
pub(crate) struct ReviewArgs {
    /// The finding's number (the `#` column of `govwatch findings`).
    pub(crate) finding: i64,
    /// The finding is right (a 疑似 finding then counts as 确定 for the veto).
    #[arg(long, conflicts_with = "dismiss", required_unless_present = "dismiss")]
    pub(crate) confirm: bool,
    /// The finding is wrong: kept with who and why, out of the score and the report's counts.
    #[arg(long, requires = "reason")]
    pub(crate) dismiss: bool,
    /// Why (required with --dismiss).
    #[arg(long)]
    pub(crate) reason: Option<String>,
    /// Who reviews (default: the login name).
    #[arg(long)]
    pub(crate) by: Option<String>,
    /// Configuration directory (indicators.toml, to score the run again).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
}

// `govwatch init`.
#[derive(Args)]
pub(crate) struct InitArgs {
    /// The folder to set up (created if missing); the configuration goes into DIR/config/.
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

// `govwatch codes`.
#[derive(Args)]
pub(crate) struct CodesArgs {
    /// Only codes of this kind.
    #[arg(long, value_parser = ["fact", "finding", "warning"])]
    pub(crate) kind: Option<String>,
    /// Configuration directory (indicators.toml; the shipped rules when it is missing).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// One JSON object per line.
    #[arg(long)]
    pub(crate) json: bool,
}

// `govwatch findings`.
#[derive(Args)]
pub(crate) struct FindingsArgs {
    /// The run (default: the newest finished run).
    #[arg(long)]
    pub(crate) run: Option<i64>,
    /// Only this site (its 网站标识码).
    #[arg(long)]
    pub(crate) site: Option<String>,
    /// Only this code (e.g. link.broken_home), or a family without the dot (e.g. link).
    #[arg(long)]
    pub(crate) code: Option<String>,
    /// SQLite database (read only).
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// One JSON object per line.
    #[arg(long)]
    pub(crate) json: bool,
}

// `govwatch show`.
#[derive(Args)]
pub(crate) struct ShowArgs {
    /// The finding's number (the `#` column of `govwatch findings`).
    pub(crate) finding: i64,
    /// SQLite database (read only).
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
}

// `govwatch serve`.
#[derive(Args)]
pub(crate) struct ServeArgs {
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// Configuration directory (indicators.toml).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// Address to listen on; beyond loopback a token is required.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: std::net::SocketAddr,
    /// Access token (Authorization: Bearer, or the login form); visible to other local users in
    /// the process list, so prefer --token-file.
    #[arg(long, conflicts_with = "token_file")]
    pub(crate) token: Option<String>,
    /// File whose first line is the access token.
    #[arg(long)]
    pub(crate) token_file: Option<PathBuf>,
}

// `govwatch daemon`.
#[derive(Args)]
pub(crate) struct DaemonArgs {
    /// Configuration directory (sites.toml, crawl.toml, probes.toml, daemon.toml, warnings.toml …).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
}

// `govwatch status`.
#[derive(Args)]
pub(crate) struct StatusArgs {
    /// Configuration directory (a missing rule file means the shipped rules).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// One JSON document (an array of sites).
    #[arg(long)]
    pub(crate) json: bool,
    /// The time the status is judged at (default: now), e.g. 2026-11-28 or 2026-11-28T10:00+08:00.
    #[arg(long)]
    pub(crate) as_of: Option<String>,
}

// `govwatch score`.
#[derive(Args)]
pub(crate) struct ScoreArgs {
    /// The run to score (default: the newest finished run).
    #[arg(long, conflicts_with = "as_of")]
    pub(crate) run: Option<i64>,
    /// Score the newest finished run whose monitoring time is on or before this date.
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// Configuration directory (indicators.toml).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// One JSON object per site instead of the table.
    #[arg(long)]
    pub(crate) json: bool,
}

// `govwatch report`.
#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The quarter, e.g. 2020Q1: its newest finished run (monitoring time in the quarter, +08:00).
    #[arg(long, conflicts_with = "run")]
    pub(crate) quarter: Option<String>,
    /// The run (default: the newest finished run).
    #[arg(long)]
    pub(crate) run: Option<i64>,
    /// Compare with this earlier run: findings fixed, still open and new (整改).
    #[arg(long)]
    pub(crate) since: Option<i64>,
    /// Formats, comma-separated: md, html, csv, xlsx, json.
    #[arg(long, value_delimiter = ',', default_value = "md,html,csv,xlsx,json")]
    pub(crate) format: Vec<String>,
    /// Directory to write into (created if missing).
    #[arg(long, default_value = "report")]
    pub(crate) out: PathBuf,
    /// Configuration directory (a missing rule file means the shipped rules).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
}

// `govwatch run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// Configuration directory (sites.toml, crawl.toml).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite database.
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// Monitoring time point: 2026-11-28, "2026-11-28 02:00" (Asia/Shanghai) or RFC 3339. Default: now.
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// Only these site ids, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub(crate) sites: Option<Vec<String>>,
    /// Continue the newest unfinished run.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Only shard K of N of the registry (K from 0: 0/3, 1/3, 2/3), split by site id.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<govwatch_config::Shard>,
}

// `govwatch probe`.
#[derive(Args)]
pub(crate) struct ProbeArgs {
    /// A site id from the registry, or a URL (probed as an ad-hoc site).
    pub(crate) target: String,
    /// Configuration directory (a missing rule file means the shipped rules).
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// Monitoring time point: 2026-11-28, "2026-11-28 02:00" (China time) or RFC 3339. Default: now.
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// Most HTML pages to crawl.
    #[arg(long)]
    pub(crate) max_pages: Option<usize>,
    /// Allow private, loopback and link-local addresses (local test sites).
    #[arg(long)]
    pub(crate) allow_private: bool,
    /// DNS server to use instead of the system's (IP:PORT).
    #[arg(long)]
    pub(crate) dns: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    pub(crate) json: bool,
}

// `govwatch sites …`.
#[derive(Subcommand)]
pub(crate) enum SitesCmd {
    /// Import the national registry's CSV (UTF-8 or GBK) into sites.toml, merging. Columns, by
    /// their header: 网站标识码, 网站名称, 首页网址, 主办单位 (required), 地区, 网站类型 (门户/部门).
    Import {
        /// The CSV file to import.
        csv: PathBuf,
        /// Configuration directory (a missing rule file means the shipped rules).
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
    /// Validate sites.toml: every problem with its file and line.
    Check {
        /// Configuration directory (a missing rule file means the shipped rules).
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
}

// `govwatch accounts …`.
#[derive(Subcommand)]
pub(crate) enum AccountsCmd {
    /// Import an account list CSV (UTF-8 or GBK) into accounts.toml, merging.
    Import {
        /// The CSV file to import.
        csv: PathBuf,
        /// Configuration directory (a missing rule file means the shipped rules).
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
    /// Validate accounts.toml against sites.toml: every problem with its file and line.
    Check {
        /// Configuration directory (a missing rule file means the shipped rules).
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
}

// `govwatch media …`.
#[derive(Subcommand)]
pub(crate) enum MediaCmd {
    /// Import inspectors' findings on accounts (CSV: 账号, 问题代码, 日期, 说明, 证据网址); they
    /// enter every later run, and with --run that run at once.
    ImportFindings {
        /// The CSV file to import.
        csv: PathBuf,
        /// Configuration directory (a missing rule file means the shipped rules).
        #[arg(long, default_value = "config")]
        config: PathBuf,
        /// SQLite database.
        #[arg(long, default_value = "govwatch.db")]
        db: PathBuf,
        /// Also add them to this (finished) run's accounts now.
        #[arg(long)]
        run: Option<i64>,
    },
}

// `govwatch demo`.
#[derive(Args)]
pub(crate) struct DemoArgs {
    /// SQLite database to store the demo's run in (kept, so `status`, `score` and `report` work
    /// after the demo in the same folder).
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// Serve the fixture sites of this folder instead of the ones built into govwatch.
    #[arg(long)]
    pub(crate) fixtures: Option<PathBuf>,
    /// Monitoring time point; the default is the one the fixture sites are written for, so every
    /// demo gives the same findings.
    #[arg(long, default_value = govwatch_runner::demo::DEMO_AS_OF)]
    pub(crate) as_of: String,
    /// Port of the fixture web server on 127.0.0.1 and [::1] (fixed, so two demos give the same
    /// URLs; 0 takes any free port).
    #[arg(long, default_value_t = govwatch_runner::demo::DEMO_PORT)]
    pub(crate) port: u16,
    /// Folder for the demo's report (report.html, report.xlsx) and WARC (created if missing).
    #[arg(long, default_value = govwatch_runner::demo::DEMO_OUT)]
    pub(crate) out: PathBuf,
}
