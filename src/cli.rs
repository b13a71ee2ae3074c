//! The command line: every flag and subcommand of `govwatch` (clap derive), in one place.
//!
//! Main types: [`Cli`] (global flags), [`Cmd`] (the subcommands), one `…Args` struct per
//! subcommand and [`SitesCmd`], [`AccountsCmd`], [`MediaCmd`] for the nested ones.

use clap::{Arg, ArgAction, Args, Command, CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

// The types carry plain comments, not doc comments: clap turns a type's doc comment into help text.
// Help text is Chinese, one line per doc comment (clap joins the lines of a paragraph with a space,
// which would split a Chinese sentence); option names and values stay as they are.

/// Exit codes and examples, shown after the options of `govwatch --help`.
const AFTER_HELP: &str = "\
退出码 (exit codes)：
  0  已运行：没有发现问题，或只有提示 (info) 级的问题
  1  已运行：发现了问题（有网站或账号不合格，或有其他问题）
  2  无法运行（输入有误、没有数据库、端口已被占用……）：出错信息会说明原因
  3  被中断 (Ctrl-C / SIGTERM)；`govwatch run --resume` 继续这次检查

示例：
  govwatch demo                         在本机回环地址上运行演示网站，结果写入 govwatch.db 和 demo-out/
  govwatch init /srv/govwatch           新建带注释的配置，从这里开始
  govwatch sites import 名录.csv         把全国政府网站名录的 CSV 导入 config/sites.toml
  govwatch run --as-of 2026-11-28       每晚的检查：检查全部登记的网站
  govwatch score                        最近一次检查的检查结果表（合格/不合格）
  govwatch report --quarter 2026Q4      季度报告（md、html、csv、xlsx、json），写入 report/
  govwatch report --run 2 --since 1     附整改情况（已整改/仍未整改/新发现）
  govwatch findings --code link.broken_home
  govwatch show 17                      一个问题的证据和存档页面
  govwatch review 17 --dismiss --reason 原文引用   检查人员复核（或 --confirm）
  govwatch probe https://www.example.gov.cn/ -v
  govwatch codes                        每个问题代码的中文名称和所属指标
  govwatch status                       每个网站：最近一次采样、7 天可用率、未解除的预警

时间按北京时间 (+08:00) 显示；没有写时区的日期按北京时间理解。
`govwatch 命令 --help` 说明该命令的每个选项。";

/// The help of a command with subcommands (clap's own headings are English and end in an ASCII
/// colon, so every command gets a template with Chinese headings; see [`chinese_help`]).
const TEMPLATE_COMMANDS: &str = "\
{about-with-newline}
用法：{usage}

命令：
{subcommands}

选项：
{options}{after-help}";

/// The help of a command with arguments (positionals) and options.
const TEMPLATE_ARGUMENTS: &str = "\
{about-with-newline}
用法：{usage}

参数：
{positionals}

选项：
{options}{after-help}";

/// The help of a command with options only.
const TEMPLATE_OPTIONS: &str = "\
{about-with-newline}
用法：{usage}

选项：
{options}{after-help}";

/// The help of clap's own `help` subcommand (an argument, no options).
const TEMPLATE_HELP: &str = "\
{about-with-newline}
用法：{usage}

参数：
{positionals}";

/// What clap's own `help` subcommand does, in words.
const HELP_ABOUT: &str = "显示本帮助，或所给命令的帮助";

// The whole command line: global flags and one subcommand. `Parser` and `CommandFactory` are
// written out (not derived) so that the command line is [`chinese_help`]'s.
#[derive(Args)]
pub(crate) struct Cli {
    /// 输出更多日志（-v 一般信息，-vv 调试信息）
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

impl CommandFactory for Cli {
    fn command() -> Command {
        chinese_help(Self::augment_args(top_command()))
    }

    fn command_for_update() -> Command {
        chinese_help(Self::augment_args_for_update(top_command()))
    }
}

impl Parser for Cli {}

/// `govwatch` itself, before its flags and subcommands: our own `-h`/`--help` and `-V`/`--version`
/// (clap's say "Print help" and "Print version").
/// Both listed last, as clap lists its own.
fn top_command() -> Command {
    Command::new("govwatch")
        .version(env!("CARGO_PKG_VERSION"))
        .about("按国家检查指标检查政府网站和政务新媒体账号")
        .after_help(AFTER_HELP)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .global(true)
                .display_order(LAST)
                .help("显示帮助"),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .display_order(LAST)
                .help("显示版本号"),
        )
}

/// The display order of `-h` and `-V`: after every option of every command.
const LAST: usize = 10_000;

/// The command line with its help in Chinese: every command's template (Chinese headings), every
/// option's default and possible values in Chinese words after its description (clap writes
/// `[default: …]`), and clap's `help` subcommands described in Chinese. clap adds a `help`
/// subcommand only when it builds a command, so the commands that have subcommands are built here
/// (as parsing would build them) and their `help` is described afterwards.
pub(crate) fn chinese_help(cmd: Command) -> Command {
    describe_help_subcommands(with_templates(cmd))
}

/// `cmd` and its subcommands with the template that fits each, their options annotated.
fn with_templates(cmd: Command) -> Command {
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let template = if !subcommands.is_empty() {
        TEMPLATE_COMMANDS
    } else if cmd.get_positionals().any(|a| !a.is_hide_set()) {
        TEMPLATE_ARGUMENTS
    } else {
        TEMPLATE_OPTIONS
    };
    let args: Vec<clap::Id> = cmd.get_arguments().map(|a| a.get_id().clone()).collect();
    let mut cmd = cmd.help_template(template);
    for id in args {
        cmd = cmd.mut_arg(id, with_values_in_words);
    }
    for name in subcommands {
        cmd = cmd.mut_subcommand(name, with_templates);
    }
    cmd
}

/// The argument with its default and possible values said after its description, in Chinese
/// (`（默认：config）`, `（可选：a、b）`), in place of clap's English `[default: …]`.
fn with_values_in_words(a: Arg) -> Arg {
    if a.is_hide_set() || !a.get_action().takes_values() {
        return a;
    }
    let mut notes = Vec::new();
    if !a.is_hide_default_value_set() && !a.get_default_values().is_empty() {
        let values: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        notes.push(format!("默认：{}", values.join(",")));
    }
    let possible: Vec<String> = a
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !a.is_hide_possible_values_set() && !possible.is_empty() {
        notes.push(format!("可选：{}", possible.join("、")));
    }
    if notes.is_empty() {
        return a;
    }
    let notes = notes.join("；");
    // inside the description's closing parenthesis when it ends in one
    let with_notes = |h: &clap::builder::StyledStr| {
        let h = h.to_string();
        match h.strip_suffix('）') {
            Some(open) => format!("{open}；{notes}）"),
            None => format!("{h}（{notes}）"),
        }
    };
    let help = a.get_help().map(with_notes);
    let long = a.get_long_help().map(with_notes);
    let mut a = a.hide_default_value(true).hide_possible_values(true);
    if let Some(h) = help {
        a = a.help(h);
    }
    if let Some(h) = long {
        a = a.long_help(h);
    }
    a
}

/// `cmd` (built, when it has subcommands) with clap's `help` subcommand described in Chinese, and
/// so for its subcommands.
fn describe_help_subcommands(mut cmd: Command) -> Command {
    if !cmd.has_subcommands() {
        return cmd;
    }
    // builds `cmd` as parsing would (the same call clap's own `render_usage` makes), which adds
    // clap's `help` subcommand
    cmd.render_usage();
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    if cmd.find_subcommand("help").is_some() {
        cmd = cmd.mut_subcommand("help", |h| {
            h.about(HELP_ABOUT)
                .help_template(TEMPLATE_HELP)
                .mut_arg("subcommand", |a| a.help("要看帮助的命令"))
        });
    }
    for name in subcommands {
        cmd = cmd.mut_subcommand(name, describe_help_subcommands);
    }
    cmd
}

// The subcommands, one file each under `src/commands/`.
#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// 每晚的检查：抓取每个登记的网站，运行全部检查，保存结果
    Run(RunArgs),
    /// 立即检查一个网站（名录中的网站标识码或任意网址），输出监测记录和问题
    Probe(ProbeArgs),
    /// 网站名录 (config/sites.toml)
    Sites {
        #[command(subcommand)]
        cmd: SitesCmd,
    },
    /// 政务新媒体账号名录 (config/accounts.toml)
    Accounts {
        #[command(subcommand)]
        cmd: AccountsCmd,
    },
    /// 政务新媒体账号：检查人员发现的问题（关闭评论、留言从不回复……）
    Media {
        #[command(subcommand)]
        cmd: MediaCmd,
    },
    /// 在本机回环地址上运行自带的演示网站，并对它们做一次每晚的检查
    Demo(DemoArgs),
    /// 持续运行：每小时对每个首页采样（IPv4 和 IPv6），每晚检查，发出预警；SIGTERM 或 Ctrl-C 使它正常停止（退出码 0）
    Daemon(DaemonArgs),
    /// 每个网站：最近一次采样、7 天可用率、最近一次检查、未解除的预警
    Status(StatusArgs),
    /// 按 config/indicators.toml 给一次检查评分，输出检查结果表（合格/不合格）
    Score(ScoreArgs),
    /// 一次已评分检查的季度报告：附件表格、总体情况、证据、整改情况
    Report(ReportArgs),
    /// 数据库的只读网页视图：检查批次、网站、问题、存档页面、下载
    Serve(ServeArgs),
    /// 把分片数据库（`run --shard K/N`）合并为 NIGHT.db 中的一次检查
    Merge(crate::commands::merge::MergeArgs),
    /// 新建工作文件夹：在 DIR/config/ 中写入自带的规则文件（带注释，取默认值）和示例名录 sites.toml、accounts.toml；已有的文件保留
    Init(InitArgs),
    /// 每个监测记录代码和问题代码的中文名称，以及用到它的指标
    Codes(CodesArgs),
    /// 一次检查的问题（默认为最近一次完成的检查），按网站和代码列出
    Findings(FindingsArgs),
    /// 一个问题：它的证据、对其网址的抓取记录和存档页面的位置
    Show(ShowArgs),
    /// 检查人员复核一个问题：--confirm（疑似问题随后按确定计入单项否决）或 --dismiss --reason 理由（连同复核人和理由保留，不计入评分和报告的统计，同一页面上同样的文字不再报出）
    Review(ReviewArgs),
}

// `govwatch review`.
#[derive(Args)]
pub(crate) struct ReviewArgs {
    /// 问题编号（`govwatch findings` 输出中 # 后的数字）
    pub(crate) finding: i64,
    /// 问题属实（疑似问题随后按确定计入单项否决）
    #[arg(long, conflicts_with = "dismiss", required_unless_present = "dismiss")]
    pub(crate) confirm: bool,
    /// 问题不成立：连同复核人和理由保留，不计入评分和报告的统计
    #[arg(long, requires = "reason")]
    pub(crate) dismiss: bool,
    /// 理由（用 --dismiss 时必填）
    #[arg(long)]
    pub(crate) reason: Option<String>,
    /// 复核人（默认为登录名）
    #[arg(long)]
    pub(crate) by: Option<String>,
    /// 配置文件夹（indicators.toml，用于重新评分）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite 数据库
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
}

// `govwatch init`.
#[derive(Args)]
pub(crate) struct InitArgs {
    /// 要建立的文件夹（不存在则新建）；配置写入 DIR/config/
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

// `govwatch codes`.
#[derive(Args)]
pub(crate) struct CodesArgs {
    /// 只列出这一类代码：fact 为监测记录，finding 为问题，warning 为预警
    #[arg(long, value_parser = ["fact", "finding", "warning"], hide_possible_values = true)]
    pub(crate) kind: Option<String>,
    /// 配置文件夹（读其中的 indicators.toml，没有时用内置规则）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// 每行输出一个 JSON 对象
    #[arg(long)]
    pub(crate) json: bool,
}

// `govwatch findings`.
#[derive(Args)]
pub(crate) struct FindingsArgs {
    /// 哪一次检查（默认为最近一次完成的检查）
    #[arg(long)]
    pub(crate) run: Option<i64>,
    /// 只看这个网站（它的网站标识码）
    #[arg(long)]
    pub(crate) site: Option<String>,
    /// 只看这个代码（如 link.broken_home），或不带点的一类代码（如 link）
    #[arg(long)]
    pub(crate) code: Option<String>,
    /// SQLite 数据库（只读）
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// 每行输出一个 JSON 对象
    #[arg(long)]
    pub(crate) json: bool,
}

// `govwatch show`.
#[derive(Args)]
pub(crate) struct ShowArgs {
    /// 问题编号（`govwatch findings` 输出中 # 后的数字）
    pub(crate) finding: i64,
    /// SQLite 数据库（只读）
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
}

// `govwatch serve`.
#[derive(Args)]
pub(crate) struct ServeArgs {
    /// SQLite 数据库
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// 配置文件夹（indicators.toml）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// 监听地址；回环地址以外须设访问令牌
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: std::net::SocketAddr,
    /// 访问令牌（用 Authorization: Bearer 或登录表单提交）；本机其他用户能在进程列表里看到它，最好改用 --token-file
    #[arg(long, conflicts_with = "token_file")]
    pub(crate) token: Option<String>,
    /// 第一行为访问令牌的文件
    #[arg(long)]
    pub(crate) token_file: Option<PathBuf>,
}

// `govwatch daemon`.
#[derive(Args)]
pub(crate) struct DaemonArgs {
    /// 配置文件夹（sites.toml、crawl.toml、probes.toml、daemon.toml、warnings.toml……）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite 数据库
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
}

// `govwatch status`.
#[derive(Args)]
pub(crate) struct StatusArgs {
    /// 配置文件夹（缺少的规则文件用内置规则）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite 数据库
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// 输出一个 JSON 文档（网站的数组）
    #[arg(long)]
    pub(crate) json: bool,
    /// 按这个时间判断状态（默认为现在），如 2026-11-28 或 2026-11-28T10:00+08:00
    #[arg(long)]
    pub(crate) as_of: Option<String>,
}

// `govwatch score`.
#[derive(Args)]
pub(crate) struct ScoreArgs {
    /// 要评分的检查（默认为最近一次完成的检查）
    #[arg(long, conflicts_with = "as_of")]
    pub(crate) run: Option<i64>,
    /// 给监测时间点在这一日期或之前的最近一次完成的检查评分
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// 配置文件夹（indicators.toml）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite 数据库
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// 每个网站输出一个 JSON 对象，而不是表格
    #[arg(long)]
    pub(crate) json: bool,
}

// `govwatch report`.
#[derive(Args)]
pub(crate) struct ReportArgs {
    /// 季度，如 2020Q1：取该季度内最近一次完成的检查（按北京时间的监测时间点）
    #[arg(long, conflicts_with = "run")]
    pub(crate) quarter: Option<String>,
    /// 哪一次检查（默认为最近一次完成的检查）
    #[arg(long)]
    pub(crate) run: Option<i64>,
    /// 与这一次较早的检查比较：已整改、仍未整改和新发现的问题（整改情况）
    #[arg(long)]
    pub(crate) since: Option<i64>,
    /// 输出格式，多个时用英文逗号隔开：md、html、csv、xlsx、json
    #[arg(long, value_delimiter = ',', default_value = "md,html,csv,xlsx,json")]
    pub(crate) format: Vec<String>,
    /// 写入的文件夹（不存在则新建）
    #[arg(long, default_value = "report")]
    pub(crate) out: PathBuf,
    /// 配置文件夹（缺少的规则文件用内置规则）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite 数据库
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
}

// `govwatch run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// 配置文件夹（sites.toml、crawl.toml）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// SQLite 数据库
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// 监测时间点：2026-11-28、"2026-11-28 02:00"（北京时间）或 RFC 3339 格式；默认为现在
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// 只检查这些网站（网站标识码，用英文逗号隔开）
    #[arg(long, value_delimiter = ',')]
    pub(crate) sites: Option<Vec<String>>,
    /// 继续最近一次未完成的检查
    #[arg(long)]
    pub(crate) resume: bool,
    /// 只检查名录的第 K 个分片，共 N 片（K 从 0 起：0/3、1/3、2/3），按网站标识码划分
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<govwatch_config::Shard>,
}

// `govwatch probe`.
#[derive(Args)]
pub(crate) struct ProbeArgs {
    /// 名录中的网站标识码，或一个网址（作为临时网站检查）
    pub(crate) target: String,
    /// 配置文件夹（缺少的规则文件用内置规则）
    #[arg(long, default_value = "config")]
    pub(crate) config: PathBuf,
    /// 监测时间点：2026-11-28、"2026-11-28 02:00"（北京时间）或 RFC 3339 格式；默认为现在
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// 最多抓取的 HTML 页面数
    #[arg(long)]
    pub(crate) max_pages: Option<usize>,
    /// 允许私有、回环和链路本地地址（本机的测试网站）
    #[arg(long)]
    pub(crate) allow_private: bool,
    /// 代替系统设置的 DNS 服务器 (IP:PORT)
    #[arg(long)]
    pub(crate) dns: Option<String>,
    /// 每行输出一个 JSON 对象
    #[arg(long)]
    pub(crate) json: bool,
}

// `govwatch sites …`.
#[derive(Subcommand)]
pub(crate) enum SitesCmd {
    /// 把全国政府网站名录的 CSV（UTF-8 或 GBK 编码）合并导入 sites.toml。按表头识别的列：网站标识码、网站名称、首页网址、主办单位（必填），地区、网站类型（门户/部门）
    Import {
        /// 要导入的 CSV 文件
        csv: PathBuf,
        /// 配置文件夹（缺少的规则文件用内置规则）
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
    /// 检查 sites.toml：列出每处问题及其文件和行号
    Check {
        /// 配置文件夹（缺少的规则文件用内置规则）
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
}

// `govwatch accounts …`.
#[derive(Subcommand)]
pub(crate) enum AccountsCmd {
    /// 把账号清单 CSV（UTF-8 或 GBK 编码）合并导入 accounts.toml
    Import {
        /// 要导入的 CSV 文件
        csv: PathBuf,
        /// 配置文件夹（缺少的规则文件用内置规则）
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
    /// 对照 sites.toml 检查 accounts.toml：列出每处问题及其文件和行号
    Check {
        /// 配置文件夹（缺少的规则文件用内置规则）
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
}

// `govwatch media …`.
#[derive(Subcommand)]
pub(crate) enum MediaCmd {
    /// 导入检查人员对账号发现的问题（CSV 的列：账号、问题代码、日期、说明、证据网址）；之后的每次检查都计入，加 --run 时也立即计入那一次检查
    ImportFindings {
        /// 要导入的 CSV 文件
        csv: PathBuf,
        /// 配置文件夹（缺少的规则文件用内置规则）
        #[arg(long, default_value = "config")]
        config: PathBuf,
        /// SQLite 数据库
        #[arg(long, default_value = "govwatch.db")]
        db: PathBuf,
        /// 同时立即计入这一次（已完成的）检查的账号
        #[arg(long)]
        run: Option<i64>,
    },
}

// `govwatch demo`.
#[derive(Args)]
pub(crate) struct DemoArgs {
    /// 保存演示检查的 SQLite 数据库（保留下来，演示之后在同一文件夹中可用 `status`、`score` 和 `report`）
    #[arg(long, default_value = "govwatch.db")]
    pub(crate) db: PathBuf,
    /// 改用这个文件夹中的演示网站，而不是 govwatch 内置的
    #[arg(long)]
    pub(crate) fixtures: Option<PathBuf>,
    /// 监测时间点（默认为演示网站所针对的时间，因此每次演示的问题相同）
    #[arg(long, default_value = govwatch_runner::demo::DEMO_AS_OF)]
    pub(crate) as_of: String,
    /// 演示网站在 127.0.0.1 和 [::1] 上的端口（固定端口使两次演示的网址相同；0 表示任取空闲端口）
    #[arg(long, default_value_t = govwatch_runner::demo::DEMO_PORT)]
    pub(crate) port: u16,
    /// 演示报告（report.html、report.xlsx）和 WARC 存档的文件夹（不存在则新建）
    #[arg(long, default_value = govwatch_runner::demo::DEMO_OUT)]
    pub(crate) out: PathBuf,
}
