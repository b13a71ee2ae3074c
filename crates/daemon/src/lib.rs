//! `govwatch daemon`: the long-running process of an inspection office.
//!
//! - **Sampling.** Every registered site's home page is sampled every `interval_minutes`
//!   (default 60, so ≥ 24 a day), over IPv4 and over IPv6 ([`Crawler::sample_home`]), through
//!   the crawler's own gates, address guard and 15-second limit. The first samples are spread
//!   evenly across one interval and every next one is moved by a random jitter, so sites are not
//!   probed together. Samples go to the `samples` table without a run (`run_id` NULL); its unique
//!   index makes a sample stored twice count once.
//! - **Availability.** After each sample the site's rolling window (7 days, `probes.toml
//!   [availability]`) is recomputed up to now and kept in the `availability` table (the
//!   `avail.window` fact value, with `unreachable` when the veto rule is met). The nightly run
//!   records the same window — up to its monitoring time — as its `avail.window` fact and, when
//!   met, the `avail.unreachable` veto finding (see `govwatch_runner::availability_verdict`).
//! - **Nightly crawl.** The full run (`govwatch_runner::run`) at `nightly_at` in `timezone`
//!   (Asia/Shanghai, a fixed UTC+08:00). A slot missed while the daemon was down is run at start;
//!   a run the daemon left unfinished (stopped, killed) is resumed at start.
//! - **Early warnings** (`config/warnings.toml`): after each sample (availability) and each
//!   nightly run (home page, columns, letters), see [`warnings`]; open warnings are delivered
//!   once to each sink ([`sinks`]).
//! - **Shutdown.** When `stop` resolves (SIGTERM, Ctrl-C) nothing new is scheduled; samples in
//!   flight get `shutdown_grace_secs` to finish and are then abandoned; the nightly run stops
//!   with its committed sites kept (resumable); every write is committed before returning.
//!
//! State kept in SQLite (`daemon_state`): `nightly.date` (the slot date of the newest nightly
//! run started), `nightly.run_id`, `nightly.status` (`running` until the run returns, then
//! `done`, `interrupted` or `failed`).

pub mod schedule;
pub mod sinks;
pub mod status;
pub mod warnings;

use chrono::{Local, NaiveDate};
use govwatch_config::{CrawlSettings, DaemonConfig, ProbeRules, WarningConfig, WarningMetric};
use govwatch_crawler::Crawler;
use govwatch_model::{Site, Timestamp};
use govwatch_runner::{Progress, RunOptions, availability_verdict};
use govwatch_store::{AvailabilityRow, RunStatus, Store, StoreError};
use sinks::{Notice, Sink};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use warnings::{Outcome, RunData};

/// Why the daemon could not start, or a step of it failed.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Another run (or daemon) holds the database.
    #[error(transparent)]
    Locked(#[from] govwatch_store::lock::LockError),
    #[error(transparent)]
    Crawler(#[from] govwatch_crawler::CrawlerError),
    #[error("opening {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A warning sink or the nightly schedule that cannot be used, in words.
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Settings(#[from] govwatch_runner::settings::SettingsError),
    #[error(transparent)]
    Run(#[from] govwatch_runner::RunError),
    /// A task of the daemon panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
}

/// What the daemon's steps return.
pub type Result<T, E = DaemonError> = std::result::Result<T, E>;

/// `daemon_state` keys.
pub const STATE_NIGHTLY_DATE: &str = "nightly.date";
pub const STATE_NIGHTLY_RUN: &str = "nightly.run_id";
pub const STATE_NIGHTLY_STATUS: &str = "nightly.status";

/// Everything the daemon is configured with.
pub struct DaemonSetup {
    pub sites: Vec<Site>,
    /// The new-media account registry: the nightly run reads their feeds after the sites.
    pub accounts: Vec<govwatch_model::Account>,
    pub settings: CrawlSettings,
    pub rules: ProbeRules,
    /// The digest of the rule files `rules` was read from
    /// ([`govwatch_runner::settings::rules_digest`]), recorded with each nightly run as
    /// `govwatch run` records it.
    pub rules_sha256: String,
    pub config: DaemonConfig,
    pub warnings: WarningConfig,
    pub db: PathBuf,
}

/// What a daemon did before it stopped.
#[derive(Debug, Default, Clone)]
pub struct DaemonReport {
    /// Samples stored.
    pub samples: u64,
    /// Nightly runs finished (run ids), resumed ones included.
    pub nightly_runs: Vec<i64>,
    /// Samples abandoned at shutdown.
    pub abandoned: usize,
}

/// The daemon (see the crate documentation).
pub struct Daemon {
    /// The database's writer lock, held for the daemon's life (its nightly runs share it).
    _lock: govwatch_store::lock::RunLock,
    crawler: Arc<Crawler>,
    sites: Vec<Site>,
    accounts: Vec<govwatch_model::Account>,
    rules: ProbeRules,
    config: DaemonConfig,
    warnings: WarningConfig,
    sinks: Vec<Sink>,
    db: PathBuf,
    settings_json: serde_json::Value,
    store: Arc<Mutex<Store>>,
    deliver_lock: tokio::sync::Mutex<()>,
}

/// What one finished nightly task reports.
type NightlyOutcome = Result<govwatch_runner::RunReport>;

impl Daemon {
    /// Opens the database (its own connection; the nightly run opens another) and records the
    /// registry.
    pub fn new(setup: DaemonSetup) -> Result<Arc<Daemon>> {
        let lock = govwatch_store::lock::RunLock::acquire(&setup.db, "govwatch daemon")?;
        let crawler = Arc::new(Crawler::new(setup.settings.clone())?);
        let mut store = Store::open(&setup.db).map_err(|source| DaemonError::Open {
            path: setup.db.clone(),
            source,
        })?;
        store.upsert_sites(&setup.sites)?;
        let sinks = setup
            .warnings
            .sinks
            .iter()
            .cloned()
            .map(Sink::new)
            .collect::<Result<Vec<_>, String>>()
            .map_err(DaemonError::Config)?;
        let settings_json =
            govwatch_runner::settings::recorded(&setup.settings, &setup.rules_sha256, None)?;
        Ok(Arc::new(Daemon {
            _lock: lock,
            crawler,
            sites: setup.sites,
            accounts: setup.accounts,
            rules: setup.rules,
            config: setup.config,
            warnings: setup.warnings,
            sinks,
            settings_json,
            db: setup.db,
            store: Arc::new(Mutex::new(store)),
            deliver_lock: tokio::sync::Mutex::new(()),
        }))
    }

    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// Runs `f` on the daemon's connection on a blocking thread.
    async fn db<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        let r = tokio::task::spawn_blocking(move || {
            let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut s)
        })
        .await?;
        Ok(r?)
    }

    /// Direct access to the daemon's connection (tests, status).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut s = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }

    /// Takes one sample round of site `idx` (IPv4 and IPv6), stores it, recomputes the site's
    /// availability and its warning, and delivers what opened. Returns the samples stored.
    pub async fn sample_site(&self, idx: usize) -> Result<usize> {
        let site = self.sites[idx].clone();
        let taken = self.crawler.sample_home(&site.home).await;
        for s in &taken {
            tracing::debug!(site = %site.id, family = ?s.sample.family, ok = s.sample.ok,
                status = ?s.sample.status, error = ?s.sample.error, "sample");
        }
        let samples: Vec<_> = taken.into_iter().map(|s| s.sample).collect();
        let id = site.id.clone();
        let n = self
            .db(move |st| st.insert_samples(None, &id, &samples))
            .await?;
        let now = Local::now().fixed_offset();
        let (site2, rules, warn) = (site.clone(), self.rules.clone(), self.warnings.clone());
        self.db(move |st| refresh_availability(st, &site2, now, &rules, &warn))
            .await?;
        Box::pin(self.deliver()).await?;
        Ok(n)
    }

    /// Sends every open warning not yet delivered to each sink (one pass; failures are recorded
    /// and tried again next time). Returns the deliveries made.
    pub async fn deliver(&self) -> Result<usize> {
        let _one_at_a_time = self.deliver_lock.lock().await;
        let mut sent = 0;
        for sink in &self.sinks {
            let name = sink.name().to_string();
            let todo = self.db(move |st| st.undelivered(&name)).await?;
            for w in todo {
                let site = self.sites.iter().find(|s| s.id == w.site_id);
                let notice = Notice {
                    warning: &w,
                    site_name: site.map(|s| s.name.as_str()).unwrap_or(""),
                    site_home: site.map(|s| s.home.as_str()).unwrap_or(""),
                };
                // boxed: the SMTP and HTTP futures are large
                let r = Box::pin(sink.send(&notice)).await;
                if let Err(e) = &r {
                    tracing::error!(sink = sink.name(), warning = w.id, error = %e, "warning not delivered");
                }
                sent += usize::from(r.is_ok());
                let (name, id, err) = (sink.name().to_string(), w.id, r.err());
                let at = Local::now().fixed_offset();
                self.db(move |st| st.record_delivery(id, &name, at, err.as_deref()))
                    .await?;
            }
        }
        Ok(sent)
    }

    /// Evaluates the run-based warnings of every site from its newest run, then delivers.
    pub async fn evaluate_run_warnings(&self) -> Result<()> {
        let (sites, warn) = (self.sites.clone(), self.warnings.clone());
        self.db(move |st| {
            for s in &sites {
                run_warnings(st, &s.id, &warn)?;
            }
            Ok(())
        })
        .await?;
        Box::pin(self.deliver()).await?;
        Ok(())
    }

    /// One nightly run (or the resumption of the daemon's unfinished one).
    async fn nightly(
        self: Arc<Self>,
        slot: NaiveDate,
        resume: bool,
        mut stop: watch::Receiver<bool>,
    ) -> NightlyOutcome {
        // The monitoring time: now in the configured time zone (Asia/Shanghai), to the second,
        // as `govwatch run` records it.
        let as_of = {
            let now = match self.config.offset() {
                Ok(tz) => chrono::Utc::now().with_timezone(&tz),
                Err(_) => Local::now().fixed_offset(),
            };
            chrono::Timelike::with_nanosecond(&now, 0).unwrap_or(now)
        };
        if !resume {
            let d = slot.to_string();
            self.db(move |st| {
                st.set_daemon_state(STATE_NIGHTLY_DATE, &d)?;
                st.set_daemon_state(STATE_NIGHTLY_STATUS, "running")
            })
            .await?;
        }
        tracing::info!(%slot, resume, "nightly run starting");
        let store = Store::open(&self.db)?;
        let opts = RunOptions {
            as_of,
            only: None,
            resume,
            settings: self.settings_json.clone(),
            rules: self.rules.clone(),
            accounts: self.accounts.clone(),
        };
        let state = self.store.clone();
        let stop_fut = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let out = govwatch_runner::run(
            self.crawler.clone(),
            store,
            self.sites.clone(),
            opts,
            stop_fut,
            move |p| {
                if let Progress::Started { run_id, .. } = p {
                    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                    if let Err(e) = st.set_daemon_state(STATE_NIGHTLY_RUN, &run_id.to_string()) {
                        tracing::error!(error = %e, "cannot record the nightly run id");
                    }
                }
            },
        )
        .await;
        let status = match &out {
            Ok((r, _)) if r.interrupted => RunStatus::Interrupted,
            Ok(_) => RunStatus::Done,
            Err(_) => RunStatus::Failed,
        };
        self.db(move |st| st.set_daemon_state(STATE_NIGHTLY_STATUS, status.as_str()))
            .await?;
        let (report, _) = out?;
        tracing::info!(run_id = report.run_id, %status, pages = report.pages, findings = report.findings, "nightly run ended");
        if status == RunStatus::Done {
            self.evaluate_run_warnings().await?;
        }
        Ok(report)
    }

    /// What to do about the nightly run at start: `Some((slot, resume))`.
    async fn startup_nightly(&self, now: Timestamp) -> Result<Option<(NaiveDate, bool)>> {
        let (status, run_id, date) = self
            .db(|st| {
                Ok((
                    st.daemon_state(STATE_NIGHTLY_STATUS)?,
                    st.daemon_state(STATE_NIGHTLY_RUN)?,
                    st.daemon_state(STATE_NIGHTLY_DATE)?,
                ))
            })
            .await?;
        let date = date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        if matches!(status.as_deref(), Some("running") | Some("interrupted")) {
            let ours = run_id.and_then(|r| r.parse::<i64>().ok());
            let open = self.db(|st| st.latest_unfinished_run()).await?;
            match (ours, open) {
                (Some(id), Some(run)) if run.id == id => {
                    tracing::info!(run_id = id, "resuming the unfinished nightly run");
                    return Ok(Some((date.unwrap_or_else(|| now.date_naive()), true)));
                }
                _ => tracing::warn!(
                    "the daemon's last nightly run is not resumable; starting afresh when due"
                ),
            }
        }
        let (at, tz) = self.slot_config()?;
        if self.config.run_missed_nightly {
            Ok(schedule::due_slot(now, date, at, tz).map(|d| (d, false)))
        } else {
            Ok(None)
        }
    }

    fn slot_config(&self) -> Result<(chrono::NaiveTime, chrono::FixedOffset)> {
        Ok((
            self.config.nightly_time().map_err(DaemonError::Config)?,
            self.config.offset().map_err(DaemonError::Config)?,
        ))
    }

    /// Runs until `stop` resolves (see the crate documentation).
    pub async fn run(
        self: Arc<Self>,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<DaemonReport> {
        let mut report = DaemonReport::default();
        let (at, tz) = self.slot_config()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let conc = self.config.sample_concurrency.max(1) as usize;
        let t0 = Instant::now();
        let mut heap: SampleQueue = schedule::spread(self.sites.len(), self.config.interval())
            .into_iter()
            .enumerate()
            .map(|(i, off)| Reverse((t0 + off, i)))
            .collect();
        let mut samplers: Samplers = JoinSet::new();
        let now = Local::now().fixed_offset();
        // The newest slot served; a newer slot becomes due. A run resumed for an older night is
        // followed by tonight's when it has passed (and missed nights are to be run).
        let mut served: Option<NaiveDate> = Some(schedule::last_slot(now, at, tz).date_naive());
        let mut nightly: Option<tokio::task::JoinHandle<NightlyOutcome>> = None;
        if let Some((slot, resume)) = self.startup_nightly(now).await? {
            if !resume {
                tracing::info!(%slot, "nightly run missed while down: running it now");
            }
            if self.config.run_missed_nightly {
                served = Some(slot);
            }
            nightly = Some(tokio::spawn(self.clone().nightly(
                slot,
                resume,
                stop_rx.clone(),
            )));
        }
        tracing::info!(sites = self.sites.len(), interval_min = self.config.interval_minutes,
            nightly_at = %self.config.nightly_at, timezone = %self.config.timezone, "daemon started");
        tokio::pin!(stop);
        loop {
            let now_i = Instant::now();
            self.start_due_samples(&mut heap, &mut samplers, conc, now_i);
            let now = Local::now().fixed_offset();
            if nightly.is_none() {
                let slot = schedule::last_slot(now, at, tz).date_naive();
                if served.is_none_or(|s| slot > s) {
                    served = Some(slot);
                    nightly = Some(tokio::spawn(self.clone().nightly(
                        slot,
                        false,
                        stop_rx.clone(),
                    )));
                }
            }
            let to_slot = (schedule::next_slot(now, at, tz) - now)
                .to_std()
                .unwrap_or_default();
            let mut wake = now_i + to_slot.min(std::time::Duration::from_secs(60));
            if samplers.len() < conc
                && let Some(Reverse((due, _))) = heap.peek()
            {
                wake = wake.min(*due);
            }
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep_until(wake) => {}
                Some(done) = samplers.join_next(), if !samplers.is_empty() => {
                    match done {
                        Ok((_, Ok(n))) => report.samples += n as u64,
                        Ok((idx, Err(e))) => tracing::error!(site = %self.sites[idx].id, error = %e, "sampling failed"),
                        Err(e) => tracing::error!(error = %e, "a sampling task failed"),
                    }
                }
                done = async { nightly.as_mut().expect("guarded").await }, if nightly.is_some() => {
                    nightly = None;
                    match done {
                        Ok(Ok(r)) => report.nightly_runs.push(r.run_id),
                        Ok(Err(e)) => tracing::error!(error = %e, "nightly run failed"),
                        Err(e) => tracing::error!(error = %e, "the nightly task failed"),
                    }
                }
            }
        }
        self.shut_down(stop_tx, samplers, nightly, &mut report)
            .await;
        Ok(report)
    }

    /// Starts the samples due by `now_i`, `conc` at most in flight, each site put back in the
    /// queue one (jittered) interval later.
    fn start_due_samples(
        self: &Arc<Self>,
        heap: &mut SampleQueue,
        samplers: &mut Samplers,
        conc: usize,
        now_i: Instant,
    ) {
        let (interval, jitter) = (self.config.interval(), self.config.jitter());
        while samplers.len() < conc {
            let Some(Reverse((due, idx))) = heap.peek().copied() else {
                break;
            };
            if due > now_i {
                break;
            }
            heap.pop();
            // the next sample one (jittered) interval after this one was due, but never in
            // the past (after a stall, sampling goes on from now)
            let next = (due + schedule::jittered(interval, jitter)).max(now_i);
            heap.push(Reverse((next, idx)));
            let me = self.clone();
            samplers.spawn(async move { (idx, me.sample_site(idx).await) });
        }
    }

    /// Shutdown: nothing new (the stop sent through `stop_tx`); the samples and the nightly run
    /// in flight get the grace period, then what is left is abandoned.
    async fn shut_down(
        &self,
        stop_tx: watch::Sender<bool>,
        mut samplers: Samplers,
        nightly: Option<tokio::task::JoinHandle<NightlyOutcome>>,
        report: &mut DaemonReport,
    ) {
        tracing::info!(
            in_flight = samplers.len(),
            nightly = nightly.is_some(),
            "stopping"
        );
        let _ = stop_tx.send(true);
        let deadline = Instant::now() + self.config.shutdown_grace();
        while let Ok(Some(done)) = tokio::time::timeout_at(deadline, samplers.join_next()).await {
            if let Ok((_, Ok(n))) = done {
                report.samples += n as u64;
            }
        }
        report.abandoned = samplers.len();
        samplers.abort_all();
        while samplers.join_next().await.is_some() {}
        if let Some(h) = nightly {
            match tokio::time::timeout_at(deadline, h).await {
                Ok(Ok(Ok(r))) if !r.interrupted => report.nightly_runs.push(r.run_id),
                Ok(Ok(Ok(r))) => tracing::info!(
                    run_id = r.run_id,
                    "nightly run stopped; it resumes at the next start"
                ),
                Ok(Ok(Err(e))) => tracing::error!(error = %e, "nightly run failed"),
                Ok(Err(e)) => tracing::error!(error = %e, "the nightly task failed"),
                Err(_) => tracing::warn!(
                    "the nightly run did not stop within the grace period; committed sites are kept and it resumes at the next start"
                ),
            }
        }
        tracing::info!(
            samples = report.samples,
            abandoned = report.abandoned,
            "daemon stopped"
        );
    }
}

/// The sites to sample, by when each is due (earliest first), by index.
type SampleQueue = BinaryHeap<Reverse<(Instant, usize)>>;

/// The samples in flight: each site's index with the samples it stored.
type Samplers = JoinSet<(usize, Result<usize>)>;

/// Recomputes the site's availability window up to `now`, stores it, and applies the
/// availability warnings. Returns the warnings' outcomes.
pub fn refresh_availability(
    store: &mut Store,
    site: &Site,
    now: Timestamp,
    rules: &ProbeRules,
    warn: &WarningConfig,
) -> Result<Vec<Outcome>, StoreError> {
    let (fact, _) = availability_verdict(store, site, now, &rules.availability)?;
    let v = &fact.value;
    let samples = v["samples"].as_u64().unwrap_or(0);
    let ratio = v["ratio"].as_f64().unwrap_or(0.0);
    store.set_availability(&AvailabilityRow {
        site_id: site.id.clone(),
        computed_at: now.to_rfc3339(),
        samples,
        failed: v["failed"].as_u64().unwrap_or(0),
        ratio,
        complete: v["complete"].as_bool().unwrap_or(false),
        value: v.clone(),
    })?;
    let mut out = Vec::new();
    for rule in warn
        .warnings
        .iter()
        .filter(|w| w.metric == WarningMetric::AvailabilityRatio)
    {
        let value = (samples >= u64::from(rule.min_samples) && samples > 0).then_some(ratio);
        out.push(warnings::apply(
            store,
            &site.id,
            rule,
            value,
            v.clone(),
            now,
        )?);
    }
    Ok(out)
}

/// Applies the run-based warnings of a site from its newest finished run.
pub fn run_warnings(
    store: &mut Store,
    site_id: &str,
    warn: &WarningConfig,
) -> Result<Vec<Outcome>, StoreError> {
    let Some(run) = store.last_site_run(site_id)? else {
        return Ok(vec![]);
    };
    let as_of = govwatch_store::parse_time(&run.as_of)?;
    let facts = store.facts(run.run_id, Some(site_id))?;
    let findings = store.findings(run.run_id, Some(site_id))?;
    let data = RunData {
        as_of,
        facts: &facts,
        findings: &findings,
    };
    let mut out = Vec::new();
    for rule in warn
        .warnings
        .iter()
        .filter(|w| w.metric != WarningMetric::AvailabilityRatio)
    {
        let value = warnings::measure_run(rule.metric, &data);
        let detail = serde_json::json!({"run_id": run.run_id, "as_of": run.as_of});
        out.push(warnings::apply(store, site_id, rule, value, detail, as_of)?);
    }
    Ok(out)
}
