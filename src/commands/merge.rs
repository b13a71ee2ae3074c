//! Sharded nights: the `--shard K/N` of `govwatch run` ([`shard_sites`]) and
//! `govwatch merge SHARD.db... --into NIGHT.db` ([`cmd_merge`]).
//!
//! - [`MergeArgs`]: the merge command's arguments.
//! - [`shard_sites`]: the registry cut to one shard, and the run's settings with the shard and
//!   the rules digest recorded (the merge compares them; written by `govwatch_runner::settings`,
//!   as the daemon's nightly runs write theirs).
//!
//! The split itself is `govwatch_config::Shard` (SHA-256 of the site id, modulo N); the copy is
//! `govwatch_store::Store::merge_shards`.

use anyhow::{Result, anyhow};
use clap::Args;
use govwatch_config::{ConfigDir, CrawlSettings, Shard};
use govwatch_model::Site;
use govwatch_runner::settings;
use govwatch_store::{MergeError, RunStatus};
use std::path::PathBuf;

// `govwatch merge` (a plain comment: clap would take a doc comment for the command's help).
#[derive(Args)]
pub struct MergeArgs {
    /// 分片数据库，每个由 `govwatch run --shard K/N --db FILE` 写出（合并其中最近一次检查，它必须已完成）
    #[arg(required = true, value_name = "SHARD.db")]
    pub shards: Vec<PathBuf>,
    /// 接收合并结果（作为一次检查）的数据库（不存在则新建；已有同一监测时间点的检查则补全它，已合并过的分片跳过）
    #[arg(long, value_name = "NIGHT.db")]
    pub into: PathBuf,
}

/// The sites of `shard` (all when `None`), and the settings the run records: `crawl` with the
/// digest of `dir`'s rule files and the shard ([`govwatch_runner::settings::recorded`]). `only`
/// (`--sites`) must name sites of the shard.
pub fn shard_sites(
    shard: Option<Shard>,
    sites: Vec<Site>,
    crawl: &CrawlSettings,
    dir: &ConfigDir,
    only: Option<&[String]>,
) -> Result<(Vec<Site>, serde_json::Value)> {
    let rules = settings::rules_digest(dir)?;
    let Some(shard) = shard else {
        return Ok((sites, settings::recorded(crawl, &rules, None)?));
    };
    if let Some(ids) = only
        && let Some(out) = ids.iter().find(|id| !shard.contains(id))
    {
        let theirs = govwatch_config::shard_of(out, shard.count);
        return Err(anyhow!(
            "--sites {out}：这个网站在分片 {theirs}/{n} 中，不在分片 {shard} 中",
            n = shard.count
        ));
    }
    let total = sites.len();
    let sites = shard.select(sites);
    eprintln!(
        "govwatch：分片 {shard} (shard {shard})：登记的 {total} 个网站中的 {} 个",
        sites.len()
    );
    Ok((sites, settings::recorded(crawl, &rules, Some(shard))?))
}

/// `govwatch merge`: exit 0 when the night is complete (every shard merged, now or before),
/// 2 when an input is refused (the message names the file), 3 when shards are still missing.
pub fn cmd_merge(a: MergeArgs) -> Result<u8> {
    let existed = a.into.exists();
    let report = match govwatch_store::merge_into(&a.into, &a.shards) {
        Ok(r) => r,
        Err(MergeError::Refused { path, why }) => {
            let after = if existed {
                format!("{} 未改动", a.into.display())
            } else {
                format!("{} 未创建", a.into.display())
            };
            return Err(anyhow!("{}：不能合并（{why}）；{after}", path.display()));
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "合并到 {} 失败（未写入任何内容）",
                a.into.display()
            )));
        }
    };
    for m in &report.merged {
        outln!(
            "已合并 {} → 第 {} 次检查：分片 {}，{} 个网站（分片文件中的第 {} 次检查）",
            m.file,
            report.run_id,
            m.shard.as_deref().unwrap_or("-"),
            m.sites,
            m.source_run
        );
    }
    for p in &report.already {
        outln!(
            "已合并过 {} → 第 {} 次检查：未复制任何内容",
            p.display(),
            report.run_id
        );
    }
    if report.status == RunStatus::Done {
        outln!(
            "{} 中的第 {} 次检查：已完成，所有分片均已合并；下一步：govwatch score --db {} --run {}",
            a.into.display(),
            report.run_id,
            a.into.display(),
            report.run_id
        );
    } else {
        let missing: Vec<String> = report.missing.iter().map(|k| k.to_string()).collect();
        outln!(
            "{} 中的第 {} 次检查：等待分片 {}（合并完之前它保持 `running` 状态）",
            a.into.display(),
            report.run_id,
            missing.join("、")
        );
        return Ok(3);
    }
    Ok(0)
}
