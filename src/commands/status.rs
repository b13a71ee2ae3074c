//! `govwatch status`: per site, the last sample, 7-day availability, last crawl, open warnings.

use super::{EXIT_CLEAN, EXIT_FINDINGS, load_rules, monitoring_time, pad};
use crate::cli::StatusArgs;
use anyhow::{Context, Result};
use govwatch_config::{ConfigDir, load_sites};
use govwatch_store::Store;

/// Runs `govwatch status`.
pub(crate) fn cmd_status(a: StatusArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    let db = super::existing_db(&a.db)?;
    let store = Store::open(db).with_context(|| format!("无法打开数据库 {}", a.db.display()))?;
    let sites = status_sites(&store, &dir)?;
    let rules = load_rules(&dir)?;
    let now = status_time(&store, a.as_of.as_deref())?;
    let rows = govwatch_daemon::status::status(&store, &sites, &rules.availability, now)?;
    let open: usize = rows.iter().map(|r| r.warnings.len()).sum();
    let code = if open > 0 { EXIT_FINDINGS } else { EXIT_CLEAN };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(code);
    }
    outln!(
        "{:<12} {} {} {} {}  预警",
        "网站标识码",
        pad("网站名称", 24),
        pad("最近采样", 32),
        pad("7天失败率", 24),
        pad("最近检查", 36)
    );
    for r in &rows {
        let sample = match &r.last_sample {
            Some(s) => format!(
                "{} {}",
                china_time(&s.at),
                match (s.ok, s.error.as_deref()) {
                    (true, _) => "正常",
                    (false, Some("challenged")) => "被防护墙拦截",
                    _ => "失败",
                }
            ),
            None => "-".into(),
        };
        let avail = match &r.availability {
            Some(v) => format!(
                "{:.2}% ({}次){}{}{}",
                v.ratio * 100.0,
                v.samples,
                if v.challenged > 0 {
                    format!(" 另{}次被防护墙拦截", v.challenged)
                } else {
                    String::new()
                },
                if v.complete { "" } else { " 未满周期" },
                if v.unreachable { " 单项否决" } else { "" }
            ),
            None => "-".into(),
        };
        let crawl = match &r.last_crawl {
            Some(c) => format!("第{}次 {}", c.run_id, china_time(&c.finished_at)),
            None => "-".into(),
        };
        let warns: Vec<String> = r
            .warnings
            .iter()
            .map(|w| govwatch_score::codes::titled(&w.code))
            .collect();
        outln!(
            "{:<12} {} {} {} {}  {}",
            r.id,
            pad(&r.name, 24),
            pad(&sample, 32),
            pad(&avail, 24),
            pad(&crawl, 36),
            if warns.is_empty() {
                "-".to_string()
            } else {
                warns.join("；")
            }
        );
    }
    Ok(code)
}

/// The time `status` judges at: `--as-of`; else, in a database whose newest run ran on the
/// demo's clock, that run's monitoring time (said on stderr), so the 7-day figures count what the
/// demo's run counted; else now.
fn status_time(store: &Store, as_of: Option<&str>) -> Result<govwatch_model::Timestamp> {
    if as_of.is_some() {
        return monitoring_time(as_of);
    }
    let newest = store.runs()?.into_iter().max_by_key(|r| r.id);
    match newest.and_then(|r| govwatch_runner::demo::demo_clock(&r.settings)) {
        Some(at) => {
            eprintln!(
                "govwatch status：这是演示的数据库，按演示的时钟（监测时间点 {}）显示状态；\
                 用 --as-of 可换一个时间点",
                govwatch_model::time::display(&at)
            );
            Ok(at)
        }
        None => monitoring_time(None),
    }
}

/// The sites `status` lists: those the database knows, the registry's (`sites.toml`, when present)
/// first in its order, then the others (e.g. the demo's) by id. Registry sites the database has
/// never seen are left out: it has nothing to say about them.
fn status_sites(store: &Store, dir: &ConfigDir) -> Result<Vec<govwatch_model::Site>> {
    let known = store.known_sites()?;
    let path = dir.sites_path();
    let registry = if path.is_file() {
        load_sites(&path)?
    } else {
        Vec::new()
    };
    let mut out: Vec<govwatch_model::Site> = registry
        .into_iter()
        .filter(|s| known.iter().any(|k| k.id == s.id))
        .collect();
    for k in known {
        if !out.iter().any(|s| s.id == k.id) {
            out.push(k);
        }
    }
    Ok(out)
}

/// An RFC 3339 time of the database shown in China time to the second with the zone (the text
/// as stored when it does not parse).
fn china_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| govwatch_model::time::display(&t))
        .unwrap_or_else(|_| t.to_string())
}
