//! The run's guard against its own network: a failure of the monitoring machine's network is
//! never a site's finding.
//!
//! - Before a run, the configured reference URLs (hosts that are always up) are asked; when none
//!   answers, the run does not start ([`preflight`]).
//! - No site's result is recorded before some server has answered a request of this run
//!   ([`NetGate::pass`]); when every site in flight has finished crawling without a single answer
//!   (no DNS, no connection, nothing), the network is down and the run stops with nothing recorded.
//! - While the run goes on, a long streak of transport failures over every host makes the run ask
//!   the reference URLs again (when configured); when none answers, the network is down and the
//!   run stops, keeping the sites recorded before ([`NetGate::watch`]).

use govwatch_crawler::Crawler;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// Transport failures in a row (no answer from any server in between) that make the run ask its
/// reference URLs whether the network is still there.
pub const SUSPECT_STREAK: u64 = 30;

/// Asks the reference URLs; `Err` with the reasons when there are some and none answered.
pub async fn preflight(crawler: &Crawler) -> Result<(), String> {
    if crawler.settings().reference_urls.is_empty() {
        return Ok(());
    }
    let (ok, failed) = crawler.check_references().await;
    if ok.is_empty() {
        return Err(format!(
            "none of the reference URLs answered ({})",
            failed.join("; ")
        ));
    }
    Ok(())
}

/// Holds site results until the network has been seen working, and says when it is down.
pub struct NetGate {
    start: u64,
    answers: watch::Receiver<u64>,
    held: AtomicUsize,
    /// Sites that can be held at once (those in flight): when all are, nothing will answer.
    capacity: usize,
    down: watch::Sender<Option<String>>,
}

impl NetGate {
    /// A gate for a run with `capacity` sites in flight, counting answers from now on.
    pub fn new(crawler: &Crawler, capacity: usize) -> NetGate {
        NetGate {
            start: crawler.health().answers(),
            answers: crawler.health().subscribe(),
            held: AtomicUsize::new(0),
            capacity: capacity.max(1),
            down: watch::Sender::new(None),
        }
    }

    fn answered(&self, rx: &watch::Receiver<u64>) -> bool {
        *rx.borrow() > self.start
    }

    /// A receiver that wakes when the network is found down.
    pub fn subscribe_down(&self) -> watch::Receiver<Option<String>> {
        self.down.subscribe()
    }

    /// Why the network is down, once it is.
    pub fn down(&self) -> Option<String> {
        self.down.borrow().clone()
    }

    fn set_down(&self, why: String) {
        self.down.send_if_modified(|d| {
            if d.is_none() {
                *d = Some(why);
                true
            } else {
                false
            }
        });
    }

    /// Waits until a site that finished crawling may be recorded: `Ok` once any server has
    /// answered in this run, `Err` (why) when the network is down.
    pub async fn pass(&self) -> Result<(), String> {
        let mut answers = self.answers.clone();
        let mut down = self.down.subscribe();
        if let Some(why) = down.borrow().clone() {
            return Err(why);
        }
        if self.answered(&answers) {
            return Ok(());
        }
        let held = self.held.fetch_add(1, Ordering::SeqCst) + 1;
        if held >= self.capacity {
            self.set_down(format!(
                "none of the {held} sites crawled so far got an answer from any server \
                 (no name resolved, no connection made)"
            ));
        }
        let r = loop {
            if let Some(why) = down.borrow().clone() {
                break Err(why);
            }
            if self.answered(&answers) {
                break Ok(());
            }
            tokio::select! {
                r = answers.changed() => if r.is_err() { break Err("the crawler stopped".into()) },
                r = down.changed() => if r.is_err() { break Err("the run stopped".into()) },
            }
        };
        self.held.fetch_sub(1, Ordering::SeqCst);
        r
    }

    /// Watches the run's requests: after a streak of transport failures over every host, asks the
    /// reference URLs (at most every `every`); when none answers, the network is down. Runs until
    /// dropped; does nothing without reference URLs.
    pub async fn watch(self: Arc<Self>, crawler: Arc<Crawler>, every: Duration) {
        if crawler.settings().reference_urls.is_empty() {
            return std::future::pending().await;
        }
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut last_check: Option<tokio::time::Instant> = None;
        loop {
            tick.tick().await;
            if self.down().is_some() {
                return std::future::pending().await;
            }
            let streak = crawler.health().failure_streak();
            if streak < SUSPECT_STREAK || last_check.is_some_and(|t| t.elapsed() < every) {
                continue;
            }
            last_check = Some(tokio::time::Instant::now());
            let (ok, failed) = crawler.check_references().await;
            if ok.is_empty() {
                self.set_down(format!(
                    "{streak} requests in a row failed to reach any server and none of the \
                     reference URLs answered ({})",
                    failed.join("; ")
                ));
            }
        }
    }
}
