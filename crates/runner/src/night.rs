//! The night: [`run`] (or resume) the job over many sites in parallel (politeness is the
//! crawler's business), each site's result committed in one transaction through the store's
//! writer thread, so a run stopped at any point (Ctrl-C, SIGTERM, kill -9) leaves whole sites or
//! nothing and `resume` finishes the rest; then the registered new-media accounts. A shard of a
//! night is a run over the shard's sites (the shard is recorded in its settings,
//! [`crate::settings`]).

use crate::sink::HomeBoard;
use crate::site::{InspectError, Stored, availability_verdict, inspect};
use crate::{media, memory, network, plan};
use futures::StreamExt;
use govwatch_config::ProbeRules;
use govwatch_crawler::Crawler;
use govwatch_crawler::cache::RunCache;
use govwatch_model::{Account, Fact, Finding, ManualFinding, Site, Timestamp};
use govwatch_probes::{Previous, Probe};
use govwatch_store::{RunStatus, Store, StoreError, StoreWriter, spawn_writer};
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
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
    /// The monitoring machine's own network is down: nothing about the sites was recorded.
    #[error(
        "本机网络不通，未检查任何网站 (the monitoring machine cannot reach the network; no site was inspected): {0}"
    )]
    NetworkDown(String),
    /// Another run (or the daemon) holds the database: exit 2, naming it.
    #[error(transparent)]
    Locked(#[from] govwatch_store::lock::LockError),
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
    /// The run's plan, before the first request.
    Planned(&'a plan::Plan),
    /// The plan again, once the home pages of the first sites in flight are read: a first run's
    /// estimate of requests then comes from what those home pages link to
    /// ([`plan::estimate_from_home`]) instead of the page budget.
    Replanned(&'a plan::Plan),
    /// Every second: requests sent so far in this run.
    Tick { requests: u64 },
    /// Every second while the memory budget holds sites back: resident memory, the budget, the
    /// sites in flight and those waiting to start.
    MemoryHeld {
        resident_mb: u64,
        budget_mb: u64,
        in_flight: usize,
        waiting: usize,
    },
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
    /// Why the run stopped when the monitoring machine's network went down (the run is left
    /// interrupted, resumable; sites recorded before are kept).
    pub network_down: Option<String>,
    /// The run's plan (for this invocation's sites).
    pub plan: plan::Plan,
    /// Wall time of this invocation.
    pub wall: std::time::Duration,
    /// Requests this invocation sent.
    pub requests: u64,
    /// The host that took the most requests in this invocation, with how many, and the least
    /// time they needed at its rate (the politeness bound the run actually met).
    pub busiest_host: Option<(String, u64, std::time::Duration)>,
    /// The server address that took the most requests in this invocation (every host on it),
    /// with how many, and the least time they needed at `address_rate`.
    pub busiest_address: Option<(std::net::IpAddr, u64, std::time::Duration)>,
    /// Peak resident memory seen by the run's budget checks, in MiB (`None` where the system
    /// does not say), and the seconds new sites were held back for it.
    pub peak_resident_mb: Option<u64>,
    pub memory_held_secs: u64,
    /// New-media accounts of the run, and those recorded by this invocation.
    pub accounts: usize,
    pub accounts_done: usize,
    /// Findings of the accounts recorded by this invocation.
    pub account_findings: usize,
    /// What headless Chromium did in this process (`None`: no browser, or `render = "off"`):
    /// pages rendered, browsers started, their CPU and peak memory.
    pub render: Option<govwatch_crawler::render::RenderStats>,
    /// Sites this invocation could not inspect or record (`id: error`); the run goes on without
    /// them and its note names them.
    pub failed_sites: Vec<String>,
}

/// Runs (or resumes) the nightly job over `sites`. Stops early, leaving a resumable run, when
/// `stop` resolves (Ctrl-C, SIGTERM).
pub async fn run(
    crawler: Arc<Crawler>,
    store: Store,
    sites: Vec<Site>,
    opts: RunOptions,
    stop: impl Future<Output = ()>,
    progress: impl FnMut(Progress),
) -> Result<(RunReport, Store), RunError> {
    let probes = govwatch_probes::all(&opts.rules);
    run_with_probes(crawler, store, sites, opts, probes, stop, progress).await
}

/// [`run`] with these probes instead of every probe of `opts.rules` (tests put a probe that
/// fails beside the others).
pub async fn run_with_probes(
    crawler: Arc<Crawler>,
    mut store: Store,
    sites: Vec<Site>,
    opts: RunOptions,
    probes: Vec<Box<dyn Probe>>,
    stop: impl Future<Output = ()>,
    mut progress: impl FnMut(Progress),
) -> Result<(RunReport, Store), RunError> {
    let sites = only_sites(sites, opts.only.as_deref())?;
    let _lock = lock_database(&store, opts.resume)?;
    // our own network first: with no reference host answering, no site can be judged
    network::preflight(&crawler)
        .await
        .map_err(RunError::NetworkDown)?;
    store.upsert_sites(&sites)?;
    let (run_id, as_of) = open_run(&mut store, &opts)?;
    let mut todo = Todo::gather(&mut store, &sites, run_id, as_of, &opts)?;
    let (the_plan, addresses) = first_plan(&crawler, &todo).await;
    progress(Progress::Planned(&the_plan));
    let already_done = sites.len() - todo.sites.len();
    progress(Progress::Started {
        run_id,
        total: sites.len(),
        already_done,
    });
    tracing::info!(run_id, sites = sites.len(), already_done, %as_of, "run started");

    let (writer, handle) = spawn_writer(store);
    let concurrency = the_plan.in_flight.max(1);
    let gate = Arc::new(network::NetGate::new(
        &crawler,
        concurrency.min(todo.sites.len()),
    ));
    let watcher = tokio::spawn(
        gate.clone()
            .watch(crawler.clone(), std::time::Duration::from_secs(10)),
    );
    let start = Counters::now(&crawler);
    tokio::pin!(stop);
    let accounts_todo = std::mem::take(&mut todo.accounts_todo);
    let night = Night {
        crawler: &crawler,
        writer: &writer,
        gate: &gate,
        run_id,
        as_of,
        todo: &todo,
        addresses: &addresses,
        concurrency,
        requests_at_start: start.requests,
        // every probe, built once for the run (their word matchers are not small)
        probes: Arc::new(probes),
    };
    let mut tally = night.sites(&mut stop, &mut progress).await;
    let media_done = night
        .accounts(accounts_todo, &opts, &mut tally, &mut stop)
        .await;
    watcher.abort();
    drop(writer);
    let mut store = handle.join().map_err(|_| RunError::WriterGone)??;
    close_run(&mut store, run_id, &mut tally)?;
    let busiest_host = crawler.gates().busiest_since(&start.gates);
    let busiest_address = crawler.address_gates().busiest_since(&start.addresses);
    let report = RunReport {
        run_id,
        as_of,
        sites: sites.len(),
        already_done,
        pages: tally.pages,
        findings: tally.findings,
        interrupted: tally.interrupted || tally.network_down.is_some(),
        network_down: tally.network_down,
        plan: the_plan,
        wall: start.at.elapsed(),
        requests: crawler.requests_sent() - start.requests,
        busiest_host,
        busiest_address,
        peak_resident_mb: tally.peak_resident.max(memory::resident_mb()),
        memory_held_secs: tally.held_secs,
        accounts: todo.accounts.len(),
        accounts_done: media_done.accounts,
        account_findings: media_done.findings,
        render: crawler.renderer().map(|r| r.stats()),
        failed_sites: tally.failed_sites,
    };
    log_finished(&report);
    Ok((report, store))
}

/// The sites of `only` (`--sites`; all when `None`), refusing an id that is not registered.
fn only_sites(sites: Vec<Site>, only: Option<&[String]>) -> Result<Vec<Site>, RunError> {
    let Some(ids) = only else {
        return Ok(sites);
    };
    let known: HashSet<&str> = sites.iter().map(|s| s.id.as_str()).collect();
    let unknown: Vec<&str> = ids
        .iter()
        .map(|s| s.as_str())
        .filter(|i| !known.contains(i))
        .collect();
    if !unknown.is_empty() {
        return Err(RunError::UnknownSites(unknown.join(", ")));
    }
    Ok(sites.into_iter().filter(|s| ids.contains(&s.id)).collect())
}

/// One writer run per database: a second run, or a resume of a live one, stops here (a database
/// in memory is this process's alone).
fn lock_database(
    store: &Store,
    resume: bool,
) -> Result<Option<govwatch_store::lock::RunLock>, RunError> {
    if store.path() == std::path::Path::new(":memory:") {
        return Ok(None);
    }
    let holder = if resume {
        "govwatch run --resume"
    } else {
        "govwatch run"
    };
    Ok(Some(govwatch_store::lock::RunLock::acquire(
        store.path(),
        holder,
    )?))
}

/// The run of this invocation, with its monitoring time: the newest unfinished one (resume, at
/// its recorded time) or a new one recording the options' time and settings.
fn open_run(store: &mut Store, opts: &RunOptions) -> Result<(i64, Timestamp), RunError> {
    if opts.resume {
        let row = store
            .latest_unfinished_run()?
            .ok_or(RunError::NothingToResume)?;
        let row = store.resume_run(row.id)?;
        let as_of = chrono::DateTime::parse_from_rfc3339(&row.as_of).unwrap_or(opts.as_of);
        Ok((row.id, as_of))
    } else {
        Ok((store.begin_run(opts.as_of, &opts.settings)?, opts.as_of))
    }
}

/// What this invocation has to do, read from the store before the first request.
struct Todo {
    /// The run's sites not yet recorded.
    sites: Vec<Site>,
    /// The accounts of the sites the run inspects, and those not yet recorded.
    accounts: Vec<Account>,
    accounts_todo: Vec<Account>,
    /// The inspectors' observations of accounts.
    manual: Vec<ManualFinding>,
    /// What the last run saw of each site, for the probes that compare runs.
    previous: HashMap<String, Previous>,
    /// The availability window of each site ([`availability_verdict`]).
    windows: HashMap<String, (Fact, Option<Finding>)>,
    /// Each site's requests in its last recorded run.
    history: HashMap<String, u64>,
}

impl Todo {
    /// Reads what run `run_id` still has to do over `sites` (recording the accounts of the run).
    fn gather(
        store: &mut Store,
        sites: &[Site],
        run_id: i64,
        as_of: Timestamp,
        opts: &RunOptions,
    ) -> Result<Todo, RunError> {
        // the accounts of the sites the run inspects, and the inspectors' observations
        let accounts = media::accounts_of_run(&opts.accounts, sites);
        store.upsert_accounts(&accounts)?;
        let accounts_done = store.accounts_done(run_id)?;
        let accounts_todo: Vec<Account> = accounts
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
        let previous = previous_runs(store, &todo, run_id)?;
        // The availability window of each site: the stored samples of the week before the
        // monitoring time (the daemon's and earlier runs'), judged by the veto rule.
        let mut windows = HashMap::new();
        for s in &todo {
            windows.insert(
                s.id.clone(),
                availability_verdict(store, s, as_of, &opts.rules.availability)?,
            );
        }
        Ok(Todo {
            sites: todo,
            accounts,
            accounts_todo,
            manual,
            previous,
            windows,
            history: store.recent_site_fetches()?,
        })
    }
}

/// What the last run saw of each site, for the probes that compare runs (backdated items).
fn previous_runs(
    store: &Store,
    todo: &[Site],
    run_id: i64,
) -> Result<HashMap<String, Previous>, StoreError> {
    let mut previous: HashMap<String, Previous> = HashMap::new();
    for s in todo {
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
    Ok(previous)
}

/// The run's first plan, with the server address of every home host it used (resolved once;
/// the requests use the same answers), for the bound per server.
async fn first_plan(crawler: &Crawler, todo: &Todo) -> (plan::Plan, HashMap<String, IpAddr>) {
    let hosts: Vec<String> = todo
        .sites
        .iter()
        .filter_map(|s| s.home.host_str().map(str::to_ascii_lowercase))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let addresses = crawler.server_addresses(&hosts).await;
    let the_plan = plan::plan_with(
        &todo.sites,
        crawler.settings(),
        &plan::Known {
            history: &todo.history,
            addresses: &addresses,
            ..Default::default()
        },
        chrono::Utc::now().with_timezone(&govwatch_model::time::CHINA_TZ),
    );
    (the_plan, addresses)
}

/// The crawler's counters when the sites start, for what this invocation did.
struct Counters {
    requests: u64,
    gates: HashMap<String, u64>,
    addresses: HashMap<IpAddr, u64>,
    at: std::time::Instant,
}

impl Counters {
    fn now(crawler: &Crawler) -> Counters {
        Counters {
            requests: crawler.requests_sent(),
            gates: crawler.gates().request_counts(),
            addresses: crawler.address_gates().request_counts(),
            at: std::time::Instant::now(),
        }
    }
}

/// What the sites and accounts of this invocation came to.
#[derive(Default)]
struct Tally {
    pages: usize,
    findings: usize,
    interrupted: bool,
    first_error: Option<StoreError>,
    failed_sites: Vec<String>,
    network_down: Option<String>,
    peak_resident: Option<u64>,
    held_secs: u64,
}

/// One site's outcome, as the run's sites finish.
type SiteOutcome = (Site, Result<(usize, usize), InspectError>);

impl Tally {
    /// Counts a finished site (`None`: none left); `false` when the night must stop here (no
    /// site left, or the monitoring machine's network is down).
    fn site_done(
        &mut self,
        done: Option<SiteOutcome>,
        progress: &mut impl FnMut(Progress),
    ) -> bool {
        match done {
            None => return false,
            Some((site, Ok((p, f)))) => {
                self.pages += p;
                self.findings += f;
                progress(Progress::SiteDone {
                    site: &site,
                    pages: p,
                    findings: f,
                });
            }
            Some((_, Err(InspectError::NetworkDown(why)))) => {
                self.network_down = Some(why);
                return false;
            }
            Some((site, Err(InspectError::Store(e)))) => {
                tracing::error!(site = %site.id, error = %e, "could not store a site's result");
                self.first_error.get_or_insert(e);
            }
            Some((site, Err(e))) => {
                // this site is left unrecorded (resumable); the night goes on
                tracing::error!(site = %site.id, error = %e, "could not inspect a site");
                self.failed_sites.push(format!("{}: {e}", site.id));
            }
        }
        true
    }
}

/// What the sites in flight share: the run's answers, its slots, its estimates from home pages.
struct Slots {
    /// One answer per URL for the whole run, shared by every site.
    cache: Arc<RunCache>,
    /// Sites between the end of their crawl and their commit: each holds its pages' texts and
    /// parsed pages while it is probed, so only a few at a time (one per core, plus one
    /// loading).
    probe: tokio::sync::Semaphore,
    /// Results waiting for the store's writer (written together, in one transaction).
    write: tokio::sync::Semaphore,
    homes: Arc<HomeBoard>,
}

impl Slots {
    fn new() -> Slots {
        Slots {
            cache: Arc::new(RunCache::new()),
            probe: tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
                    + 1,
            ),
            write: tokio::sync::Semaphore::new(16),
            homes: Arc::new(HomeBoard::default()),
        }
    }
}

/// What the sites of an invocation share while they are inspected.
struct Night<'a> {
    crawler: &'a Arc<Crawler>,
    writer: &'a StoreWriter,
    gate: &'a Arc<network::NetGate>,
    run_id: i64,
    as_of: Timestamp,
    todo: &'a Todo,
    addresses: &'a HashMap<String, IpAddr>,
    /// Sites in flight at most.
    concurrency: usize,
    /// Requests the crawler had sent when the sites started.
    requests_at_start: u64,
    probes: Arc<Vec<Box<dyn Probe>>>,
}

impl Night<'_> {
    /// Inspects and records the sites to do, until done, stopped, or the monitoring machine's
    /// network is down.
    async fn sites<S: Future<Output = ()>>(
        &self,
        stop: &mut Pin<&mut S>,
        progress: &mut impl FnMut(Progress),
    ) -> Tally {
        let (crawler, todo, run_id) = (self.crawler, self.todo, self.run_id);
        let slots = Slots::new();
        // Sites start as they fit: at most `concurrency` in flight, and none while the process
        // is near its memory budget (at least one always goes on).
        let budget_mb = crawler.settings().memory_budget_mb;
        let first_wave = self.concurrency.min(todo.sites.len());
        let mut waiting: VecDeque<Site> = todo.sites.iter().cloned().collect();
        let mut results = futures::stream::FuturesUnordered::new();
        let mut tally = Tally::default();
        let mut finished = 0usize;
        let mut replanned = todo
            .sites
            .iter()
            .all(|s| todo.history.get(&s.id).is_some_and(|&n| n > 0));
        let mut down_rx = self.gate.subscribe_down();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            let resident = memory::resident_mb();
            tally.peak_resident = tally.peak_resident.max(resident);
            let mut held = false;
            while results.len() < self.concurrency && !waiting.is_empty() {
                if !memory::may_start(resident, budget_mb, results.len()) {
                    held = true;
                    break;
                }
                let site = waiting.pop_front().expect("not empty");
                results.push(self.one_site(&slots, site));
            }
            tokio::select! {
                _ = tick.tick() => {
                    progress(Progress::Tick { requests: crawler.requests_sent() - self.requests_at_start });
                    if held {
                        tally.held_secs += 1;
                        progress(Progress::MemoryHeld {
                            resident_mb: resident.unwrap_or(0),
                            budget_mb,
                            in_flight: results.len(),
                            waiting: waiting.len(),
                        });
                    }
                    // a first run plans again once the first sites' home pages are read
                    if !replanned {
                        let home = slots.homes.estimates();
                        // every site of the first wave read its home page, or finished without one
                        if home.len() + finished >= first_wave {
                            replanned = true;
                            self.replan(&home, progress);
                        }
                    }
                }
                _ = down_rx.changed() => {
                    if let Some(why) = self.gate.down() {
                        tracing::error!(run_id, %why, "the monitoring machine's network is down: stopping the run");
                        tally.network_down = Some(why);
                        break;
                    }
                }
                next = results.next() => {
                    finished += usize::from(next.is_some());
                    if !tally.site_done(next, progress) {
                        break;
                    }
                }
                _ = stop.as_mut() => {
                    tracing::warn!(run_id, "stop requested: abandoning sites in flight; committed sites are kept");
                    tally.interrupted = true;
                    break;
                }
            }
        }
        tally
    }

    /// One site of the run, inspected and recorded with the run's `slots`.
    async fn one_site(&self, slots: &Slots, site: Site) -> SiteOutcome {
        let r = self.inspect_and_write(slots, &site).await;
        (site, r)
    }

    /// One site of the run: inspected with the run's cache, its page texts streamed to the
    /// store, then probed and committed while holding one of the run's probe slots; its pages
    /// and findings counted.
    async fn inspect_and_write(
        &self,
        slots: &Slots,
        site: &Site,
    ) -> Result<(usize, usize), InspectError> {
        let stored = Stored {
            cache: slots.cache.clone(),
            bodies: self.writer.clone(),
            slots: &slots.probe,
            gate: self.gate,
            homes: slots.homes.clone(),
        };
        let previous = self.todo.previous.get(&site.id);
        let (mut result, slot) = inspect(
            self.crawler,
            site,
            self.as_of,
            &self.probes,
            previous,
            Some(stored),
        )
        .await?;
        if let Some((fact, finding)) = self.todo.windows.get(&site.id) {
            result.facts.push(fact.clone());
            result.findings.extend(finding.clone());
        }
        let (pages, findings) = (result.pages.len(), result.findings.len());
        if let Some(why) = self.gate.down() {
            return Err(InspectError::NetworkDown(why));
        }
        let t_write = std::time::Instant::now();
        // the JSON columns are written out on a CPU worker: the store's one writer only inserts
        let prepared = self
            .crawler
            .cpu(move || govwatch_store::prepare_site(result, true))
            .await
            .map_err(|e| InspectError::Probes(e.to_string()))??;
        // the next site may be probed while this one waits for the writer, which writes the
        // sites waiting together (a few results, small now, wait at once)
        let _write_slot = slots
            .write
            .acquire()
            .await
            .expect("write slots never close");
        drop(slot);
        self.writer.write_prepared(self.run_id, prepared).await?;
        tracing::debug!(site = %site.id, write_ms = t_write.elapsed().as_millis() as u64, "site written");
        Ok((pages, findings))
    }

    /// The plan again, with the estimates from the home pages read so far.
    fn replan(&self, home: &HashMap<String, u64>, progress: &mut impl FnMut(Progress)) {
        let again = plan::plan_with(
            &self.todo.sites,
            self.crawler.settings(),
            &plan::Known {
                history: &self.todo.history,
                home,
                addresses: self.addresses,
            },
            chrono::Utc::now().with_timezone(&govwatch_model::time::CHINA_TZ),
        );
        tracing::info!(
            run_id = self.run_id,
            replanned_requests = again.requests,
            from_home = again.from_home,
            bound_ms = again.bound.as_millis() as u64,
            "plan updated"
        );
        progress(Progress::Replanned(&again));
    }

    /// After the sites, the new-media accounts not yet recorded (`todo`), when the sites ended
    /// well; a stop or a store error is counted in `tally`.
    async fn accounts<S: Future<Output = ()>>(
        &self,
        todo: Vec<Account>,
        opts: &RunOptions,
        tally: &mut Tally,
        stop: &mut Pin<&mut S>,
    ) -> media::AccountsDone {
        let ended_well =
            !tally.interrupted && tally.network_down.is_none() && tally.first_error.is_none();
        if !ended_well || todo.is_empty() {
            return media::AccountsDone::default();
        }
        tracing::info!(
            run_id = self.run_id,
            accounts = todo.len(),
            "reading new-media accounts"
        );
        let mut done = media::run_accounts(
            self.crawler,
            self.writer,
            self.run_id,
            todo,
            &opts.accounts,
            &self.todo.manual,
            self.as_of,
            &opts.rules,
            stop,
        )
        .await;
        tally.interrupted = done.interrupted;
        if let Some(e) = done.error.take() {
            tally.first_error.get_or_insert(e);
        }
        done
    }
}

/// Records how run `run_id` ended: failed (the first store error, returned), interrupted (the
/// network down, or a stop), or done (naming the sites that could not be inspected).
fn close_run(store: &mut Store, run_id: i64, tally: &mut Tally) -> Result<(), RunError> {
    if let Some(e) = tally.first_error.take() {
        store.finish_run(run_id, RunStatus::Failed, Some(&e.to_string()))?;
        return Err(e.into());
    }
    if let Some(why) = &tally.network_down {
        let note = format!(
            "stopped: the monitoring machine cannot reach the network ({why}); sites recorded \
             before are kept, none after; resume when the network is back"
        );
        store.finish_run(run_id, RunStatus::Interrupted, Some(&note))?;
    } else if tally.interrupted {
        store.mark_interrupted(run_id)?;
    } else if tally.failed_sites.is_empty() {
        store.finish_run(run_id, RunStatus::Done, None)?;
    } else {
        let note = format!(
            "{} site(s) could not be inspected: {}",
            tally.failed_sites.len(),
            tally.failed_sites.join("; ")
        );
        store.finish_run(run_id, RunStatus::Done, Some(&note))?;
    }
    Ok(())
}

/// One line for tools that measure runs (the benchmark reads it): the bound the run met.
fn log_finished(report: &RunReport) {
    let ms = |d: std::time::Duration| d.as_millis() as u64;
    tracing::info!(
        run_id = report.run_id,
        wall_ms = ms(report.wall),
        requests = report.requests,
        planned_requests = report.plan.requests,
        busiest_host = report.busiest_host.as_ref().map(|b| b.0.as_str()).unwrap_or(""),
        busiest_host_requests = report.busiest_host.as_ref().map(|b| b.1).unwrap_or(0),
        host_bound_ms = report.busiest_host.as_ref().map(|b| ms(b.2)).unwrap_or(0),
        busiest_address = %report.busiest_address.map(|b| b.0.to_string()).unwrap_or_default(),
        busiest_address_requests = report.busiest_address.map(|b| b.1).unwrap_or(0),
        address_bound_ms = report.busiest_address.map(|b| ms(b.2)).unwrap_or(0),
        peak_resident_mb = report.peak_resident_mb.unwrap_or(0),
        memory_held_secs = report.memory_held_secs,
        rendered_pages = report.render.map(|r| r.pages).unwrap_or(0),
        render_launches = report.render.map(|r| r.launches).unwrap_or(0),
        render_ms = report.render.map(|r| r.total_ms).unwrap_or(0),
        render_cpu_ms = report.render.map(|r| r.cpu_ms).unwrap_or(0),
        render_peak_mb = report.render.map(|r| r.peak_rss_kib / 1024).unwrap_or(0),
        "run finished"
    );
}
