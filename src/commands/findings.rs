//! `govwatch findings` lists a run's findings (by site and code), and `govwatch show ID` prints one
//! finding with its evidence, the fetches of its URL and where the archived page is (the WARC
//! record, once `govwatch report` or the demo wrote the run's WARC). Both only read the database.

use super::{EXIT_CLEAN, EXIT_FAILED, EXIT_FINDINGS, newest_run, pad, severity_zh};
use crate::cli::{FindingsArgs, ShowArgs};
use anyhow::{Result, anyhow};
use govwatch_model::Finding;
use govwatch_score::codes::titled;
use govwatch_store::Store;

/// A time of the database in China time to the second.
fn china(t: &govwatch_model::Timestamp) -> String {
    govwatch_model::time::display(t)
}

/// Runs `govwatch findings`.
pub(crate) fn cmd_findings(a: FindingsArgs) -> Result<u8> {
    let store = Store::open_read_only(super::existing_db(&a.db)?)?;
    let run_id = match a.run {
        Some(id) => id,
        None => newest_run(&store, |_| true)?,
    };
    if store.run(run_id)?.is_none() {
        return Err(anyhow!("{} 中没有第 {run_id} 次检查", a.db.display()));
    }
    let sites = store.run_sites(run_id)?;
    let reviews = store.reviews(run_id)?;
    let found: Vec<_> = store
        .findings(run_id, a.site.as_deref())?
        .into_iter()
        .filter(|f| {
            a.code
                .as_deref()
                .is_none_or(|c| code_matches(&f.finding.code, c))
        })
        .collect();
    if a.json {
        for f in &found {
            outln!(
                "{}",
                serde_json::json!({
                    "id": f.id, "run": run_id, "site": f.site_id, "code": f.finding.code,
                    "title": govwatch_score::codes::zh_title(&f.finding.code),
                    "severity": f.finding.severity.as_str(), "url": f.finding.url,
                    "message": f.finding.message,
                    "observed_at": f.finding.observed_at.to_rfc3339(),
                    "review": reviews.get(&f.id),
                })
            );
        }
    } else {
        outln!("第 {run_id} 次检查：{} 个问题", found.len());
        for f in &found {
            let name = sites
                .iter()
                .find(|s| s.id == f.site_id)
                .map(|s| s.name.as_str())
                .unwrap_or("");
            outln!(
                "#{:<6} {:<12} {} [{}] {}",
                f.id,
                f.site_id,
                pad(name, 24),
                severity_zh(f.finding.severity),
                titled(&f.finding.code)
            );
            outln!(
                "        {}  {}",
                f.finding.url.as_deref().unwrap_or("—"),
                f.finding.message
            );
            if let Some(r) = reviews.get(&f.id) {
                outln!("        审核：{}", r.describe());
            }
        }
        if !found.is_empty() {
            outln!(
                "（govwatch show ID 显示一个问题的证据和存档位置；govwatch review ID --confirm 或 --dismiss --reason 原因 审核一个问题）"
            );
        }
    }
    Ok(if found.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

/// `--code link.broken` matches that code; `--code link` (no dot) every `link.*` code.
fn code_matches(code: &str, wanted: &str) -> bool {
    code == wanted || (!wanted.contains('.') && code.split('.').next() == Some(wanted))
}

/// Runs `govwatch show`.
pub(crate) fn cmd_show(a: ShowArgs) -> Result<u8> {
    let store = Store::open_read_only(super::existing_db(&a.db)?)?;
    let id = a.finding;
    let Some((run_id, site_id)) = store.finding_location(id)? else {
        eprintln!(
            "govwatch：{} 中没有第 #{id} 号问题（govwatch findings 列出所有问题的编号）",
            a.db.display()
        );
        return Ok(EXIT_FAILED);
    };
    // a site's finding, or one of an account of the site
    let site_finding = store
        .findings(run_id, Some(&site_id))?
        .into_iter()
        .find(|f| f.id == id);
    let (f, account) = match site_finding {
        Some(f) => (f, None),
        None => {
            let af = store
                .account_findings(run_id)?
                .into_iter()
                .find(|f| f.stored.id == id)
                .ok_or_else(|| anyhow!("读取时第 #{id} 号问题已不在数据库中"))?;
            (af.stored, Some(af.account_key))
        }
    };
    let x = &f.finding;
    print_finding(&store, id, run_id, &site_id, account.as_deref(), x)?;
    print_fetches(&store, run_id, &site_id, x)?;
    print_archive(&store, run_id, &site_id, x)?;
    Ok(EXIT_CLEAN)
}

/// Prints a finding of `govwatch show`: what, where, when, its review and its evidence.
fn print_finding(
    store: &Store,
    id: i64,
    run_id: i64,
    site_id: &str,
    account: Option<&str>,
    x: &Finding,
) -> Result<()> {
    let site = store.site(site_id)?;
    outln!("问题 #{id}：{}", titled(&x.code));
    outln!("性质：{}", severity_zh(x.severity));
    outln!(
        "网站：{} {}",
        site_id,
        site.as_ref().map(|s| s.name.as_str()).unwrap_or("")
    );
    if let Some(key) = account {
        outln!("政务新媒体账号：{key}");
    }
    outln!("检查：第 {run_id} 次");
    outln!("网址：{}", x.url.as_deref().unwrap_or("—"));
    outln!("说明：{}", x.message);
    outln!("发现时间：{}", china(&x.observed_at));
    if let Some(r) = store.review_of(id)? {
        outln!("审核：{}", r.describe());
    }
    outln!("证据：");
    if let Some(st) = x.evidence.status {
        outln!("  HTTP 状态：{st}");
    }
    if let Some(e) = &x.evidence.excerpt {
        for line in e.lines() {
            outln!("  | {line}");
        }
    }
    if let Some(from) = x.value["from"].as_array().filter(|a| !a.is_empty()) {
        let from: Vec<&str> = from.iter().filter_map(|v| v.as_str()).collect();
        outln!("  链接所在页面：{}", from.join("，"));
    }
    if !x.evidence.extra.is_null() {
        outln!("  附加证据：{}", x.evidence.extra);
    }
    Ok(())
}

/// Prints the fetches of a finding's URL (and of its archived page), in the order they were made.
fn print_fetches(store: &Store, run_id: i64, site_id: &str, x: &Finding) -> Result<()> {
    // the fetches of the finding's URL (and of the archived page, when it is another)
    let mut urls: Vec<&str> = x.url.iter().map(String::as_str).collect();
    if let Some(a) = x.evidence.archived.as_deref()
        && !urls.contains(&a)
    {
        urls.push(a);
    }
    let mut fetches = store.fetches_for(run_id, site_id, &urls)?;
    // in the order they were made, whichever URL they were for
    fetches.sort_by_key(|sf| sf.fetch.started_at);
    if !fetches.is_empty() {
        outln!("请求记录：");
    }
    for sf in &fetches {
        let fe = &sf.fetch;
        let outcome = match (fe.status, &fe.error) {
            (Some(st), _) => format!("HTTP {st}"),
            (None, Some(e)) => format!("失败：{}", e.zh()),
            (None, None) => "无应答".into(),
        };
        outln!(
            "  {} {} {} → {}（{} 毫秒，第 {} 次尝试{}）",
            china(&fe.started_at),
            fe.method,
            fe.url,
            outcome,
            fe.elapsed_ms,
            fe.attempt,
            fe.remote_addr
                .as_deref()
                .map(|r| format!("，{r}"))
                .unwrap_or_default()
        );
        // the library's own words, as evidence
        if fe.status.is_none()
            && let Some(m) = fe.error_message.as_deref().filter(|m| !m.is_empty())
        {
            outln!("    原始错误：{m}");
        }
    }
    Ok(())
}

/// Prints where the archived copy of a finding's page is (its WARC record), or why there is none.
fn print_archive(store: &Store, run_id: i64, site_id: &str, x: &Finding) -> Result<()> {
    // where the archived copy is
    let page = [x.evidence.archived.as_deref(), x.url.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|u| store.page_for(run_id, site_id, u).transpose())
        .transpose()?;
    match page {
        Some(p) => match store.archive_record(run_id, p.id)? {
            Some(r) => outln!(
                "存档：{} 记录 {}（偏移 {}，{} 字节），页面 {}",
                r.file,
                r.record_id,
                r.offset,
                r.length,
                r.url
            ),
            None if p.body_hash.is_none() => outln!(
                "存档：页面 {}{} 的正文没有保存，所以证据存档中没有它",
                p.url,
                p.status
                    .map(|s| format!("（答复 HTTP {s}）"))
                    .unwrap_or_default()
            ),
            None if store.archive_records(run_id)?.is_empty() => outln!(
                "存档：页面 {} 已保存在数据库中（正文摘要 {}）；证据存档尚未写出：\
                 govwatch report --run {run_id} 写出 run-{run_id}.warc.gz",
                p.url,
                p.body_hash.as_deref().unwrap_or("—")
            ),
            None => outln!(
                "存档：页面 {} 已保存在数据库中（正文摘要 {}），但 run-{run_id}.warc.gz 中没有它的记录：\
                 govwatch report --run {run_id} 重新写出证据存档",
                p.url,
                p.body_hash.as_deref().unwrap_or("—")
            ),
        },
        None => outln!("存档：无（该网址没有可存档的页面，例如链接目标或无法访问的首页）"),
    }
    Ok(())
}
