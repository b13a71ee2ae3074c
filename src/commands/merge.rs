//! Sharded nights: the `--shard K/N` of `govwatch run` ([`shard_sites`]) and
//! `govwatch merge SHARD.db... --into NIGHT.db` ([`cmd_merge`]).
//!
//! - [`MergeArgs`]: the merge command's arguments.
//! - [`shard_sites`]: the registry cut to one shard, and the run's settings with the shard and
//!   the rules digest recorded (the merge compares them).
//!
//! The split itself is `govwatch_config::Shard` (SHA-256 of the site id, modulo N); the copy is
//! `govwatch_store::Store::merge_shards`.

use anyhow::{Context, Result, anyhow};
use clap::Args;
use govwatch_config::{ConfigDir, Shard};
use govwatch_model::Site;
use govwatch_store::{MergeError, RunStatus};
use std::path::PathBuf;

/// `govwatch merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// Shard databases, each written by `govwatch run --shard K/N --db FILE` (its newest run,
    /// which must be finished, is merged).
    #[arg(required = true, value_name = "SHARD.db")]
    pub shards: Vec<PathBuf>,
    /// The database that receives the night as one run (created if missing; a night already
    /// there with the same monitoring time is completed, a shard already merged is skipped).
    #[arg(long, value_name = "NIGHT.db")]
    pub into: PathBuf,
}

/// The sites of `shard` (all when `None`), and `settings` (the crawl settings as JSON) with
/// `shard` and `rules_sha256` added. `only` (`--sites`) must name sites of the shard.
pub fn shard_sites(
    shard: Option<Shard>,
    sites: Vec<Site>,
    settings: serde_json::Value,
    dir: &ConfigDir,
    only: Option<&[String]>,
) -> Result<(Vec<Site>, serde_json::Value)> {
    let mut settings = match settings {
        serde_json::Value::Object(m) => m,
        other => {
            let mut m = serde_json::Map::new();
            m.insert("crawl".into(), other);
            m
        }
    };
    settings.insert(
        "rules_sha256".into(),
        dir.rules_sha256()
            .context("reading the rule files to record their digest")?
            .into(),
    );
    let Some(shard) = shard else {
        return Ok((sites, settings.into()));
    };
    if let Some(ids) = only
        && let Some(out) = ids.iter().find(|id| !shard.contains(id))
    {
        let theirs = govwatch_config::shard_of(out, shard.count);
        return Err(anyhow!(
            "--sites {out}: that site is in shard {theirs}/{n}, not {shard}",
            n = shard.count
        ));
    }
    settings.insert("shard".into(), shard.to_json());
    let total = sites.len();
    let sites = shard.select(sites);
    eprintln!(
        "govwatch：分片 {shard} (shard {shard})：登记的 {total} 个网站中的 {} 个",
        sites.len()
    );
    Ok((sites, settings.into()))
}

/// `govwatch merge`: exit 0 when the night is complete (every shard merged, now or before),
/// 2 when an input is refused (the message names the file), 3 when shards are still missing.
pub fn cmd_merge(a: MergeArgs) -> Result<u8> {
    let existed = a.into.exists();
    let report = match govwatch_store::merge_into(&a.into, &a.shards) {
        Ok(r) => r,
        Err(MergeError::Refused { path, why }) => {
            let after = if existed {
                format!("{} is unchanged", a.into.display())
            } else {
                format!("{} was not created", a.into.display())
            };
            return Err(anyhow!(
                "{}: 不能合并 (cannot merge): {why}; {after}",
                path.display()
            ));
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "merging into {} (nothing was written)",
                a.into.display()
            )));
        }
    };
    for m in &report.merged {
        outln!(
            "已合并 (merged) {} → run {}: shard {}, {} sites (run {} of the shard file)",
            m.file,
            report.run_id,
            m.shard.as_deref().unwrap_or("-"),
            m.sites,
            m.source_run
        );
    }
    for p in &report.already {
        outln!(
            "已合并过 (already merged) {} → run {}: nothing copied",
            p.display(),
            report.run_id
        );
    }
    if report.status == RunStatus::Done {
        outln!(
            "run {} in {}: done, every shard merged; next: govwatch score --db {} --run {}",
            report.run_id,
            a.into.display(),
            a.into.display(),
            report.run_id
        );
    } else {
        let missing: Vec<String> = report.missing.iter().map(|k| k.to_string()).collect();
        outln!(
            "run {} in {}: waiting for shard(s) {} (it stays `running` until they are merged)",
            report.run_id,
            a.into.display(),
            missing.join(", ")
        );
        return Ok(3);
    }
    Ok(0)
}
