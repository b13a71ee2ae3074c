//! `govwatch run`: the nightly job over the registry, with its progress and the per-site summary
//! ([`print_summary`], shared with the demo).

use super::{
    EXIT_CLEAN, EXIT_FAILED, EXIT_FINDINGS, EXIT_INTERRUPTED, load_rules, monitoring_time, pad,
    stop_signal,
};
use crate::cli::RunArgs;
use crate::progress::RunView;
use anyhow::{Context, Result};
use govwatch_config::ConfigDir;
use govwatch_crawler::Crawler;
use govwatch_model::Severity;
use govwatch_runner::{RunOptions, run};
use govwatch_store::Store;
use std::sync::Arc;

/// Why a configuration cannot be run yet, in words (`None` when it can): no site registered, or
/// the example contact address still in `crawl.toml` (it goes to every inspected site in the
/// User-Agent, so a site's administrators must be able to reach the office). An empty shard of a
/// registry with sites runs (the merge needs every shard's run).
fn not_ready(
    dir: &ConfigDir,
    sites: &[govwatch_model::Site],
    settings: &govwatch_config::CrawlSettings,
) -> Option<String> {
    if sites.is_empty() {
        return Some(format!(
            "{} 中没有登记任何网站，无可检查。请先登记网站（编辑该文件，或 govwatch sites import 名录.csv），\
             再运行 govwatch run；只想看看效果请运行 govwatch demo",
            dir.sites_path().display()
        ));
    }
    if settings.contact.trim() == govwatch_config::DEFAULT_CONTACT {
        return Some(format!(
            "{} 中的 contact 仍是示例地址 {}。它随每个请求发给被检查的网站，便于对方联系检查单位：\
             请改为本单位的联系邮箱后再运行",
            dir.crawl_path().display(),
            govwatch_config::DEFAULT_CONTACT
        ));
    }
    None
}

/// Runs `govwatch run`.
pub(crate) async fn cmd_run(a: RunArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    // the configuration's errors name their file and line themselves
    let (sites, settings) = dir.load()?;
    settings.validate()?;
    if let Some(why) = not_ready(&dir, &sites, &settings) {
        eprintln!("govwatch run：{why}");
        return Ok(EXIT_FAILED);
    }
    let as_of = monitoring_time(a.as_of.as_deref())?;
    let crawler = Arc::new(Crawler::new(settings.clone())?);
    let store = Store::open(&a.db).with_context(|| format!("无法打开数据库 {}", a.db.display()))?;
    let rules = load_rules(&dir)?;
    let accounts = dir.accounts(&sites)?;
    let (sites, run_settings) =
        super::merge::shard_sites(a.shard, sites, &settings, &dir, a.sites.as_deref())?;
    let opts = RunOptions {
        as_of,
        only: a.sites,
        resume: a.resume,
        settings: run_settings,
        rules,
        accounts,
    };
    let mut view = RunView::new();
    let (report, store) = run(crawler, store, sites, opts, stop_signal(), |p| view.on(p)).await?;
    view.finish(&report);
    print_summary(&store, report.run_id)?;
    if let Some(why) = &report.network_down {
        eprintln!(
            "govwatch：本机网络不通，已停止检查 (the monitoring machine cannot reach the network)。\
             原始错误：{why}\n此后未记录任何网站的结果 (no site was recorded after this)；\
             网络恢复后继续 (continue when the network is back)：govwatch run --resume"
        );
        return Ok(EXIT_FAILED);
    }
    if report.interrupted {
        eprintln!(
            "第 {id} 次检查已中断，继续：govwatch run --resume (run {id} interrupted; continue it with: govwatch run --resume)",
            id = report.run_id
        );
        return Ok(EXIT_INTERRUPTED);
    }
    if !report.failed_sites.is_empty() {
        eprintln!(
            "govwatch：{} 个网站未能检查或记录 (sites not inspected or not recorded)：",
            report.failed_sites.len()
        );
        for f in &report.failed_sites {
            eprintln!("  {f}");
        }
        // a night that recorded no site at all (a full disk, a broken store) is no clean night
        if store.run_summary(report.run_id)?.is_empty() {
            eprintln!("govwatch：本次检查没有记录任何网站 (no site was recorded)");
            return Ok(EXIT_FAILED);
        }
    }
    // `info` findings (e.g. plain http) cost nothing: they do not make the run "findings present"
    let total: u64 = store
        .run_summary(report.run_id)?
        .iter()
        .map(|s| s.findings - s.by_severity.get(Severity::Info))
        .sum::<u64>()
        + govwatch_runner::media::summary_lines(&store, report.run_id)?.1;
    Ok(if total > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}

pub(crate) fn print_summary(store: &Store, run_id: i64) -> Result<()> {
    print_site_summary(store, run_id)?;
    for line in govwatch_runner::media::summary_lines(store, run_id)?.0 {
        outln!("{line}");
    }
    Ok(())
}

fn print_site_summary(store: &Store, run_id: i64) -> Result<()> {
    let rows = store.run_summary(run_id)?;
    outln!("第 {run_id} 次检查 (run {run_id})：{} 个网站", rows.len());
    outln!(
        "{:<12} {} {} {} {} {} {}  问题代码",
        "网站标识码",
        pad("网站名称", 28),
        pad("页面", 6),
        pad("问题", 6),
        pad("单项否决", 8),
        pad("扣分", 6),
        pad("警示", 5)
    );
    for r in rows {
        let codes: Vec<String> = r.by_code.iter().map(|(c, n)| format!("{c}×{n}")).collect();
        outln!(
            "{:<12} {} {:>6} {:>6} {:>8} {:>6} {:>5}  {}",
            r.site_id,
            pad(&r.name, 28),
            r.pages,
            r.findings,
            r.by_severity.get(Severity::Veto),
            r.by_severity.get(Severity::Deduct),
            r.by_severity.get(Severity::Warn),
            codes.join(" ")
        );
    }
    Ok(())
}
