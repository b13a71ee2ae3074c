//! The nightly job: crawl every registered site, run every probe, store the results.
//!
//! - [`inspect_site`]: one site, start to finish, no storage (`govwatch probe` uses it directly).
//! - [`run`]: many sites in parallel (politeness is the crawler's business), each site's result
//!   committed in one transaction through the store's writer thread, so a run stopped at any point
//!   (Ctrl-C, SIGTERM, kill -9) leaves whole sites or nothing, and `resume` finishes the rest.
//! - [`media`]: after the sites, the feeds of the registered new-media accounts (政务新媒体),
//!   each account committed in one transaction like a site.

pub mod demo;
pub mod media;

use futures::StreamExt;
pub use govwatch_config::ProbeRules;
use govwatch_crawler::site::build_page;
use govwatch_crawler::{Crawler, FetchSpec};
use govwatch_model::{Fact, SearchAttempt, Site, SiteCrawl, SiteResult, Timestamp};
pub use govwatch_probes::Previous;
use govwatch_store::{RunStatus, Store, StoreError, spawn_writer};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no unfinished run to resume in the database")]
    NothingToResume,
    #[error("unknown site id(s): {0}")]
    UnknownSites(String),
    #[error("the store writer stopped unexpectedly")]
    WriterGone,
}

/// Options of one run.
pub struct RunOptions {
    /// The monitoring time point (recorded in the run).
    pub as_of: Timestamp,
    /// Only these site ids (all when `None`).
    pub only: Option<Vec<String>>,
    /// Continue the newest unfinished run instead of starting one.
    pub resume: bool,
    /// Settings recorded with the run.
    pub settings: serde_json::Value,
    /// Probe thresholds (`config/probes.toml`).
    pub rules: ProbeRules,
    /// The new-media account registry (`config/accounts.toml`); the run reads the accounts of
    /// the sites it inspects.
    pub accounts: Vec<govwatch_model::Account>,
}

/// Progress events, for a progress bar or log lines.
pub enum Progress<'a> {
    Started {
        run_id: i64,
        total: usize,
        already_done: usize,
    },
    SiteDone {
        site: &'a Site,
        pages: usize,
        findings: usize,
    },
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: i64,
    pub as_of: Timestamp,
    pub sites: usize,
    /// Sites already committed before this invocation (resume).
    pub already_done: usize,
    pub pages: usize,
    pub findings: usize,
    pub interrupted: bool,
    /// New-media accounts of the run, and those recorded by this invocation.
    pub accounts: usize,
    pub accounts_done: usize,
    /// Findings of the accounts recorded by this invocation.
    pub account_findings: usize,
}

/// Crawls one site, runs every probe and gathers the result (nothing stored).
pub async fn inspect_site(
    crawler: &Crawler,
    site: &Site,
    as_of: Timestamp,
    rules: &ProbeRules,
    previous: Option<&Previous>,
) -> SiteResult {
    let started_at = chrono::Local::now().fixed_offset();
    let mut crawl = crawler.crawl_site(site).await;
    search_io(crawler, &mut crawl).await;
    let crawl = Arc::new(crawl);
    let c2 = crawl.clone();
    // Parsing and probing are CPU work: keep them off the async workers.
    let rules = rules.clone();
    let previous = previous.cloned();
    let out = tokio::task::spawn_blocking(move || {
        govwatch_probes::run_all(&c2, as_of, &rules, previous.as_ref())
    })
    .await
    .expect("probes do not panic");
    let crawl = Arc::try_unwrap(crawl).unwrap_or_else(|a| (*a).clone());
    let mut facts = vec![crawl_summary(&crawl, started_at)];
    facts.extend(out.facts);
    let mut pages = crawl.pages;
    pages.extend(crawl.search_pages);
    pages.extend(crawl.searches.into_iter().map(|s| s.result));
    SiteResult {
        site: crawl.site,
        started_at,
        finished_at: chrono::Local::now().fixed_offset(),
        fetches: crawl.fetches,
        pages,
        samples: crawl.samples,
        facts,
        findings: out.findings,
    }
}

/// The search probe's network part, done by the crawler: fetch search pages on other hosts of
/// the site, then submit the planned searches (GET; POST only where the site allows it; never
/// any other form).
async fn search_io(crawler: &Crawler, crawl: &mut SiteCrawl) {
    for u in govwatch_probes::search::discovery_links(crawl) {
        let Ok(url) = url::Url::parse(&u) else {
            continue;
        };
        let f = crawler.fetch(&url, FetchSpec::PAGE).await;
        crawl.fetches.extend(f.attempts.iter().cloned());
        crawl.search_pages.push(build_page(&f, 1));
    }
    for plan in govwatch_probes::search::plan(crawl) {
        let Ok(url) = url::Url::parse(&plan.url) else {
            continue;
        };
        let f = match (&plan.method[..], &plan.body) {
            ("POST", Some(body)) => crawler.post_search_form(&url, body).await,
            _ => crawler.fetch(&url, FetchSpec::PAGE).await,
        };
        crawl.fetches.extend(f.attempts.iter().cloned());
        crawl.searches.push(SearchAttempt {
            plan,
            result: build_page(&f, 1),
        });
    }
}

/// The crawler's own fact about a site: what was fetched and what was left out.
fn crawl_summary(c: &SiteCrawl, at: Timestamp) -> Fact {
    let html = c.pages.iter().filter(|p| p.is_html).count();
    let bytes: u64 = c.fetches.iter().map(|f| f.bytes).sum();
    let errors = c.fetches.iter().filter(|f| f.error.is_some()).count();
    Fact {
        probe: "crawler".into(),
        code: "crawl.summary".into(),
        url: Some(c.site.home.to_string()),
        value: json!({
            "pages": c.pages.len(),
            "html_pages": html,
            "fetches": c.fetches.len(),
            "fetch_errors": errors,
            "bytes": bytes,
            "link_checks": c.link_checks.len(),
            "robots_blocked": c.robots_blocked,
            "skipped": c.skipped,
        }),
        observed_at: at,
    }
}

/// The availability window of `site` over the stored samples of the `window_days` before
/// `until`, as the `avail.window` fact and, when the rule is met, the `avail.unreachable` veto.
pub fn availability_verdict(
    store: &Store,
    site: &Site,
    until: Timestamp,
    rules: &govwatch_config::AvailabilityRules,
) -> Result<(Fact, Option<govwatch_model::Finding>), StoreError> {
    use govwatch_probes::availability::{judge_window, window};
    let from = until - chrono::Duration::days(i64::from(rules.window_days));
    let samples = store.samples(&site.id, from, until)?;
    let main = window(
        &samples,
        until,
        rules.window_days,
        rules.min_per_day,
        rules.family_filter(),
    );
    let v6 = window(
        &samples,
        until,
        rules.window_days,
        rules.min_per_day,
        Some(6),
    );
    Ok(judge_window(
        &main,
        Some(&v6),
        rules,
        site.home.as_str(),
        until,
    ))
}

/// Runs (or resumes) the nightly job over `sites`. Stops early, leaving a resumable run, when
/// `stop` resolves (Ctrl-C, SIGTERM).
pub async fn run(
    crawler: Arc<Crawler>,
    mut store: Store,
    sites: Vec<Site>,
    opts: RunOptions,
    stop: impl std::future::Future<Output = ()>,
    mut progress: impl FnMut(Progress),
) -> Result<(RunReport, Store), RunError> {
    let sites: Vec<Site> = match &opts.only {
        None => sites,
        Some(ids) => {
            let known: HashSet<&str> = sites.iter().map(|s| s.id.as_str()).collect();
            let unknown: Vec<&str> = ids
                .iter()
                .map(|s| s.as_str())
                .filter(|i| !known.contains(i))
                .collect();
            if !unknown.is_empty() {
                return Err(RunError::UnknownSites(unknown.join(", ")));
            }
            sites.into_iter().filter(|s| ids.contains(&s.id)).collect()
        }
    };
    store.upsert_sites(&sites)?;
    let (run_id, as_of) = if opts.resume {
        let row = store
            .latest_unfinished_run()?
            .ok_or(RunError::NothingToResume)?;
        let row = store.resume_run(row.id)?;
        let as_of = chrono::DateTime::parse_from_rfc3339(&row.as_of).unwrap_or(opts.as_of);
        (row.id, as_of)
    } else {
        (store.begin_run(opts.as_of, &opts.settings)?, opts.as_of)
    };
    // The accounts of the sites the run inspects, and the inspectors' observations.
    let accounts = media::accounts_of_run(&opts.accounts, &sites);
    store.upsert_accounts(&accounts)?;
    let accounts_done = store.accounts_done(run_id)?;
    let accounts_todo: Vec<govwatch_model::Account> = accounts
        .iter()
        .filter(|a| !accounts_done.contains(&a.key()))
        .cloned()
        .collect();
    let manual = store.manual_findings()?;
    let done = store.sites_done(run_id)?;
    let todo: Vec<Site> = sites
        .iter()
        .filter(|s| !done.contains(&s.id))
        .cloned()
        .collect();
    // What the last run saw of each site, for the probes that compare runs (backdated items).
    let mut previous: std::collections::HashMap<String, Previous> =
        std::collections::HashMap::new();
    for s in &todo {
        for prefix in ["column.items", "integrity.home_profile"] {
            if let Some((as_of, facts)) = store.previous_facts(&s.id, run_id, prefix)? {
                let p = previous.entry(s.id.clone()).or_insert_with(|| Previous {
                    as_of: Some(as_of),
                    facts: vec![],
                });
                p.facts.extend(facts);
            }
        }
    }
    let previous = &previous;
    // The availability window of each site: the stored samples of the week before the monitoring
    // time (the daemon's and earlier runs'), judged by the veto rule.
    let mut windows: std::collections::HashMap<String, (Fact, Option<govwatch_model::Finding>)> =
        std::collections::HashMap::new();
    for s in &todo {
        windows.insert(
            s.id.clone(),
            availability_verdict(&store, s, as_of, &opts.rules.availability)?,
        );
    }
    let windows = &windows;
    let already_done = sites.len() - todo.len();
    progress(Progress::Started {
        run_id,
        total: sites.len(),
        already_done,
    });
    tracing::info!(run_id, sites = sites.len(), already_done, %as_of, "run started");

    let (writer, handle) = spawn_writer(store);
    let concurrency = crawler.settings().site_concurrency.max(1) as usize;
    let rules = &opts.rules;
    let mut results = futures::stream::iter(todo)
        .map(|site| {
            let crawler = crawler.clone();
            let writer = writer.clone();
            async move {
                let mut result =
                    inspect_site(&crawler, &site, as_of, rules, previous.get(&site.id)).await;
                if let Some((fact, finding)) = windows.get(&site.id) {
                    result.facts.push(fact.clone());
                    result.findings.extend(finding.clone());
                }
                let (pages, findings) = (result.pages.len(), result.findings.len());
                writer
                    .write_site(run_id, result)
                    .await
                    .map(|_| (site, pages, findings))
            }
        })
        .buffer_unordered(concurrency);
    let (mut pages, mut findings, mut interrupted) = (0, 0, false);
    let mut first_error: Option<StoreError> = None;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            next = results.next() => match next {
                None => break,
                Some(Ok((site, p, f))) => {
                    pages += p;
                    findings += f;
                    progress(Progress::SiteDone { site: &site, pages: p, findings: f });
                }
                Some(Err(e)) => {
                    tracing::error!(error = %e, "could not store a site's result");
                    first_error.get_or_insert(e);
                }
            },
            _ = &mut stop => {
                tracing::warn!(run_id, "stop requested: abandoning sites in flight; committed sites are kept");
                interrupted = true;
                break;
            }
        }
    }
    drop(results);
    let mut media_done = media::AccountsDone::default();
    if !interrupted && first_error.is_none() && !accounts_todo.is_empty() {
        tracing::info!(
            run_id,
            accounts = accounts_todo.len(),
            "reading new-media accounts"
        );
        media_done = media::run_accounts(
            &crawler,
            &writer,
            run_id,
            accounts_todo,
            &opts.accounts,
            &manual,
            as_of,
            rules,
            &mut stop,
        )
        .await;
        interrupted = media_done.interrupted;
        if let Some(e) = media_done.error.take() {
            first_error.get_or_insert(e);
        }
    }
    drop(writer);
    let mut store = handle.join().map_err(|_| RunError::WriterGone)??;
    if let Some(e) = first_error {
        store.finish_run(run_id, RunStatus::Failed, Some(&e.to_string()))?;
        return Err(e.into());
    }
    if interrupted {
        store.mark_interrupted(run_id)?;
    } else {
        store.finish_run(run_id, RunStatus::Done, None)?;
    }
    let report = RunReport {
        run_id,
        as_of,
        sites: sites.len(),
        already_done,
        pages,
        findings,
        interrupted,
        accounts: accounts.len(),
        accounts_done: media_done.accounts,
        account_findings: media_done.findings,
    };
    Ok((report, store))
}
