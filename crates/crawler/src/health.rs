//! The monitoring machine's own network, as the crawler sees it.
//!
//! A finding is only as true as the crawl under it: when the machine running govwatch has lost
//! its network, every site "fails" and none of it is the sites' doing. [`NetHealth`] counts what
//! the requests show — answers (any HTTP status, or a TLS handshake: the network carried us to a
//! server) and transport failures (DNS, connect, time-out) in a row — so the run can refuse to
//! record findings until the network has been seen working, and notice when it stops working.
//! [`crate::Crawler::check_references`] asks the configured always-up hosts.

use govwatch_model::{FetchError, FetchRecord};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::watch;

/// Counters of answers and transport failures over every request of the crawler.
pub struct NetHealth {
    answers: watch::Sender<u64>,
    streak: AtomicU64,
}

impl Default for NetHealth {
    fn default() -> Self {
        NetHealth {
            answers: watch::Sender::new(0),
            streak: AtomicU64::new(0),
        }
    }
}

/// What one attempt says about our own network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A server answered (or a TLS handshake happened): the network works.
    Answered,
    /// Nothing reached a server (name, connection or time-out).
    Unreached,
    /// Says nothing about the network (refused by our guard, robots.txt, a bad URL).
    Neutral,
}

/// What an attempt's record says about the network.
pub fn evidence(rec: &FetchRecord) -> Evidence {
    if rec.status.is_some() {
        return Evidence::Answered;
    }
    match rec.error {
        Some(FetchError::Tls | FetchError::Body | FetchError::TooLarge) => Evidence::Answered,
        Some(FetchError::Dns | FetchError::Connect | FetchError::Timeout) => Evidence::Unreached,
        _ => Evidence::Neutral,
    }
}

impl NetHealth {
    pub(crate) fn observe(&self, rec: &FetchRecord) {
        match evidence(rec) {
            Evidence::Answered => {
                self.streak.store(0, Ordering::Relaxed);
                self.answers.send_modify(|n| *n += 1);
            }
            Evidence::Unreached => {
                self.streak.fetch_add(1, Ordering::Relaxed);
            }
            Evidence::Neutral => {}
        }
    }

    /// Answers seen so far (every request the network carried to a server).
    pub fn answers(&self) -> u64 {
        *self.answers.borrow()
    }

    /// A receiver that wakes on every answer.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.answers.subscribe()
    }

    /// Transport failures in a row since the last answer, over every host.
    pub fn failure_streak(&self) -> u64 {
        self.streak.load(Ordering::Relaxed)
    }
}
