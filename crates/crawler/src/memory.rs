//! The memory budget on the crawl's side (`crawl.toml` `memory_budget_mb`): resident memory read
//! from the operating system, and a hold on page fetches while the process is near the budget.
//!
//! When the CPU falls behind the network (a busy machine, large pages), fetched pages wait for a
//! CPU worker with their bodies in memory. Near the budget, a page fetch waits before it is sent
//! until memory is back under it or few pages are waiting; the pages already fetched are parsed
//! and their texts go to the store, so the hold never stops the crawl, it only slows it to what
//! the CPU keeps up with. The run holds new sites at the same mark.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Share of the budget at which pages (and new sites) are held.
pub const HOLD_AT: f64 = 0.9;

/// Pages between fetch and parse that always go on, even near the budget.
pub const ALWAYS_IN_FLIGHT: usize = 32;

/// How stale a resident-memory reading may be.
const READ_EVERY: Duration = Duration::from_millis(100);

/// Resident memory of this process in MiB (Linux `/proc/self/status` `VmRSS`); `None` where the
/// system does not say (the budget is then not applied).
pub fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let kb: u64 = l
            .strip_prefix("VmRSS:")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024)
    })
}

/// Whether `resident` MiB is near a budget of `budget` MiB.
pub fn near_budget(resident: Option<u64>, budget: u64) -> bool {
    resident.is_some_and(|r| r as f64 >= budget as f64 * HOLD_AT)
}

/// The crawler's side of the budget: pages in flight between fetch and parse, and a recent
/// reading of resident memory.
pub struct MemoryGate {
    budget_mb: u64,
    pages: AtomicUsize,
    last: Mutex<Option<(Instant, Option<u64>)>>,
}

/// A page between its fetch and the end of its parse.
pub struct PageHold<'a>(&'a MemoryGate);

impl Drop for PageHold<'_> {
    fn drop(&mut self) {
        self.0.pages.fetch_sub(1, Ordering::SeqCst);
    }
}

impl MemoryGate {
    pub fn new(budget_mb: u64) -> MemoryGate {
        MemoryGate {
            budget_mb,
            pages: AtomicUsize::new(0),
            last: Mutex::new(None),
        }
    }

    /// Resident memory, read at most every 100 ms.
    pub fn resident(&self) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match *last {
            Some((at, r)) if at.elapsed() < READ_EVERY => r,
            _ => {
                let r = resident_mb();
                *last = Some((Instant::now(), r));
                r
            }
        }
    }

    /// Pages between fetch and parse now.
    pub fn pages(&self) -> usize {
        self.pages.load(Ordering::SeqCst)
    }

    /// Waits until a page may be fetched: at once under the budget, or when fewer than
    /// [`ALWAYS_IN_FLIGHT`] pages are between fetch and parse.
    pub async fn page(&self) -> PageHold<'_> {
        while self.pages() >= ALWAYS_IN_FLIGHT && near_budget(self.resident(), self.budget_mb) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.pages.fetch_add(1, Ordering::SeqCst);
        PageHold(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_the_budget() {
        assert!(!near_budget(Some(269), 300));
        assert!(near_budget(Some(270), 300));
        assert!(!near_budget(None, 300), "no reading, no hold");
    }

    #[tokio::test]
    async fn pages_pass_under_the_budget_and_a_few_always() {
        let roomy = MemoryGate::new(1_000_000);
        let holds: Vec<_> = futures::future::join_all((0..100).map(|_| roomy.page())).await;
        assert_eq!(roomy.pages(), 100);
        drop(holds);
        assert_eq!(roomy.pages(), 0);
        if resident_mb().is_some() {
            // a budget this process is already over: the first 32 pages still go
            let tight = MemoryGate::new(1);
            let mut holds = Vec::new();
            for _ in 0..ALWAYS_IN_FLIGHT {
                holds.push(tight.page().await);
            }
            let more = tokio::time::timeout(Duration::from_millis(200), tight.page()).await;
            assert!(more.is_err(), "the 33rd waits");
            holds.pop();
            let more = tokio::time::timeout(Duration::from_secs(5), tight.page()).await;
            assert!(more.is_ok(), "one parsed, the next goes");
        }
    }
}
