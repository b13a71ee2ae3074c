//! Per-host politeness: the one place that decides when a request may go to a host.
//!
//! Each host has a [`HostGate`]:
//! - a semaphore of `host_concurrency` permits (default 1 connection at a time);
//! - a governor rate limiter with the host's quota (default 1 request/s, burst 1);
//! - a minimum gap counted from the *end* of the previous request (robots `Crawl-delay`, and
//!   `1/rate` when the host has a single connection), so the server never sees two requests closer
//!   than the interval, however the network delays them.
//!
//! - a pause asked by the host itself (`Retry-After` on 429/503), kept by the whole host, not by
//!   one URL, up to `max_retry_after_secs`; a longer one, or a `Crawl-delay` beyond its cap,
//!   makes the gate *refused*: nothing more is asked of the host this run.
//!
//! [`HostGates`] keeps the gates by host name, so every site, link check and sample of one host
//! shares one gate: a host linked from fifty sites is still asked once a second; sites that share
//! a host with a path each (`platform.gov.cn/county1/`, `/county2/`) share its gate too.
//!
//! Beside it, [`AddressGates`] keep one [`AddressGate`] per server address (the IP a host name
//! resolves to): many hosts on one platform (政府网站集约化) share it, so `address_rate` and
//! `address_concurrency` bound what one server sees from us, whatever names it answers to. A
//! request passes its host's gate first, then its address's.

use crate::locked;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// Politeness settings of one host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostPolicy {
    /// Requests per second.
    pub rate: f64,
    pub burst: u32,
    pub concurrency: u32,
}

/// The gate of one host.
pub struct HostGate {
    policy: HostPolicy,
    sem: Semaphore,
    limiter: DefaultDirectRateLimiter,
    state: Mutex<GateState>,
    /// Requests let through so far.
    passed: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct GateState {
    /// Extra gap from robots.txt Crawl-delay.
    crawl_delay: Duration,
    /// When the last request to this host finished.
    last_done: Option<Instant>,
    /// No request before this (the host's `Retry-After`).
    paused_until: Option<Instant>,
    /// Why the host is not asked any more (it refused the crawl), and until when (`None`: for as
    /// long as this crawler lives, e.g. a robots.txt Crawl-delay read once per run).
    refused: Option<(String, Option<Instant>)>,
}

/// Held while a request to the host is in flight; dropping it records the end of the request.
pub struct HostPermit<'a> {
    gate: &'a HostGate,
    _permit: SemaphorePermit<'a>,
}

impl Drop for HostPermit<'_> {
    fn drop(&mut self) {
        let mut st = locked(&self.gate.state);
        st.last_done = Some(Instant::now());
    }
}

fn quota(policy: &HostPolicy) -> Quota {
    let burst = NonZeroU32::new(policy.burst.max(1)).unwrap();
    let rate = if policy.rate.is_finite() && policy.rate > 0.0 {
        policy.rate
    } else {
        1.0
    };
    let period = Duration::from_secs_f64(1.0 / rate);
    Quota::with_period(period.max(Duration::from_nanos(1)))
        .expect("positive period")
        .allow_burst(burst)
}

impl HostGate {
    pub fn new(policy: HostPolicy) -> HostGate {
        HostGate {
            policy,
            sem: Semaphore::new(policy.concurrency.max(1) as usize),
            limiter: RateLimiter::direct(quota(&policy)),
            state: Mutex::new(GateState::default()),
            passed: Default::default(),
        }
    }

    pub fn policy(&self) -> HostPolicy {
        self.policy
    }

    /// The gap kept between the end of one request and the start of the next.
    pub fn min_gap(&self) -> Duration {
        let crawl_delay = locked(&self.state).crawl_delay;
        let rate_gap = if self.policy.concurrency <= 1 {
            Duration::from_secs_f64(1.0 / self.policy.rate.max(1e-6))
        } else {
            Duration::ZERO
        };
        rate_gap.max(crawl_delay)
    }

    /// Applies a robots.txt Crawl-delay (already capped by the caller).
    pub fn set_crawl_delay(&self, delay: Duration) {
        locked(&self.state).crawl_delay = delay;
    }

    /// Keeps every request to the host back for `pause` from now (a `Retry-After` within the cap).
    pub fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut st = locked(&self.state);
        st.paused_until = Some(st.paused_until.map_or(until, |t| t.max(until)));
    }

    /// Marks the host as refusing the crawl, for `time` from now or (`None`) for good; a
    /// refusal in force keeps its reason.
    pub fn refuse(&self, reason: String, time: Option<Duration>) {
        let mut st = locked(&self.state);
        if st.refused.is_none() {
            st.refused = Some((reason, time.map(|t| Instant::now() + t)));
        }
    }

    /// Why the host refuses the crawl, while it does (a daemon's crawler asks again once the
    /// host's own Retry-After has passed).
    pub fn refusal(&self) -> Option<String> {
        let mut st = locked(&self.state);
        match &st.refused {
            Some((_, Some(until))) if *until <= Instant::now() => {
                st.refused = None;
                None
            }
            Some((why, _)) => Some(why.clone()),
            None => None,
        }
    }

    /// Waits until a request may be sent to the host, and holds the host's connection slot.
    pub async fn acquire(&self) -> HostPermit<'_> {
        let permit = self
            .sem
            .acquire()
            .await
            .expect("gate semaphore never closes");
        loop {
            let (last_done, paused) = {
                let st = locked(&self.state);
                (st.last_done, st.paused_until)
            };
            let wait_until = match (last_done.map(|t| t + self.min_gap()), paused) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            match wait_until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => break,
            }
        }
        self.limiter.until_ready().await;
        self.passed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HostPermit {
            gate: self,
            _permit: permit,
        }
    }
}

/// Politeness settings of one server address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AddressPolicy {
    /// Requests per second, over every host on the address.
    pub rate: f64,
    /// Requests in flight at once.
    pub concurrency: u32,
}

/// The gate of one server address: a semaphore of `concurrency` permits and a rate limiter
/// without bursts (requests start at least `1/rate` apart).
pub struct AddressGate {
    policy: AddressPolicy,
    sem: Semaphore,
    limiter: DefaultDirectRateLimiter,
    passed: std::sync::atomic::AtomicU64,
}

/// Held while a request to the address is in flight.
pub struct AddressPermit<'a> {
    _permit: SemaphorePermit<'a>,
}

impl AddressGate {
    pub fn new(policy: AddressPolicy) -> AddressGate {
        AddressGate {
            policy,
            sem: Semaphore::new(policy.concurrency.max(1) as usize),
            limiter: RateLimiter::direct(quota(&HostPolicy {
                rate: policy.rate,
                burst: 1,
                concurrency: policy.concurrency,
            })),
            passed: Default::default(),
        }
    }

    pub fn policy(&self) -> AddressPolicy {
        self.policy
    }

    /// Waits until a request may be sent to the address, and holds one of its connections.
    pub async fn acquire(&self) -> AddressPermit<'_> {
        let permit = self
            .sem
            .acquire()
            .await
            .expect("address semaphore never closes");
        self.limiter.until_ready().await;
        self.passed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        AddressPermit { _permit: permit }
    }
}

/// The address gates, by IP address, and which address each host name was found at.
pub struct AddressGates {
    default: AddressPolicy,
    gates: Mutex<HashMap<std::net::IpAddr, Arc<AddressGate>>>,
    hosts: Mutex<HashMap<String, std::net::IpAddr>>,
}

impl AddressGates {
    pub fn new(default: AddressPolicy) -> AddressGates {
        AddressGates {
            default,
            gates: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// The address `host` was found at before, if it was.
    pub fn address_of(&self, host: &str) -> Option<std::net::IpAddr> {
        locked(&self.hosts).get(host).copied()
    }

    /// The gate of the server `host` resolves to: the least of its `addresses` (IPv4 before
    /// IPv6, so a host's A and AAAA answers and every host sharing that IPv4 address meet at one
    /// gate). The host keeps that address for the run.
    pub fn for_host(&self, host: &str, addresses: &[std::net::IpAddr]) -> Option<Arc<AddressGate>> {
        let known = self.address_of(host);
        let ip = known.or_else(|| addresses.iter().min().copied())?;
        if known.is_none() {
            locked(&self.hosts).insert(host.to_string(), ip);
        }
        Some(self.get(ip))
    }

    /// The gate of `ip`, created with the default policy on first use.
    pub fn get(&self, ip: std::net::IpAddr) -> Arc<AddressGate> {
        let mut map = locked(&self.gates);
        map.entry(ip)
            .or_insert_with(|| Arc::new(AddressGate::new(self.default)))
            .clone()
    }

    /// Requests let through so far, by address.
    pub fn request_counts(&self) -> HashMap<std::net::IpAddr, u64> {
        let map = locked(&self.gates);
        map.iter()
            .map(|(ip, g)| (*ip, g.passed.load(std::sync::atomic::Ordering::Relaxed)))
            .collect()
    }

    /// The address that let through the most requests since `before`, with their number and the
    /// least time they take at the address's rate (the politeness bound per server).
    pub fn busiest_since(
        &self,
        before: &HashMap<std::net::IpAddr, u64>,
    ) -> Option<(std::net::IpAddr, u64, Duration)> {
        let map = locked(&self.gates);
        map.iter()
            .map(|(ip, g)| {
                let n = g
                    .passed
                    .load(std::sync::atomic::Ordering::Relaxed)
                    .saturating_sub(before.get(ip).copied().unwrap_or(0));
                let gap = Duration::from_secs_f64(1.0 / g.policy.rate.max(1e-6));
                (*ip, n, gap * (n as u32))
            })
            .filter(|(_, n, _)| *n > 0)
            .max_by(|a, b| a.2.cmp(&b.2).then(a.1.cmp(&b.1)))
    }
}

/// All host gates, by lower-case host name.
pub struct HostGates {
    default: HostPolicy,
    gates: Mutex<HashMap<String, Arc<HostGate>>>,
}

impl HostGates {
    pub fn new(default: HostPolicy) -> HostGates {
        HostGates {
            default,
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// The gate of `host`, created with the default policy on first use.
    pub fn get(&self, host: &str) -> Arc<HostGate> {
        let key = host.to_ascii_lowercase();
        let mut map = locked(&self.gates);
        map.entry(key)
            .or_insert_with(|| Arc::new(HostGate::new(self.default)))
            .clone()
    }

    /// Requests let through so far, by host.
    pub fn request_counts(&self) -> HashMap<String, u64> {
        let map = locked(&self.gates);
        map.iter()
            .map(|(h, g)| {
                (
                    h.clone(),
                    g.passed.load(std::sync::atomic::Ordering::Relaxed),
                )
            })
            .collect()
    }

    /// The host that let through the most requests since `before` (a [`Self::request_counts`]),
    /// with their number and the least time they take at the host's pace (rate or Crawl-delay):
    /// the politeness bound a crawl of those requests could meet.
    pub fn busiest_since(&self, before: &HashMap<String, u64>) -> Option<(String, u64, Duration)> {
        let map = locked(&self.gates);
        map.iter()
            .map(|(h, g)| {
                let n = g
                    .passed
                    .load(std::sync::atomic::Ordering::Relaxed)
                    .saturating_sub(before.get(h).copied().unwrap_or(0));
                let gap = Duration::from_secs_f64(1.0 / g.policy.rate.max(1e-6))
                    .max(locked(&g.state).crawl_delay);
                let lanes = g.policy.concurrency.max(1);
                (h.clone(), n, gap * (n as u32) / lanes)
            })
            .filter(|(_, n, _)| *n > 0)
            .max_by(|a, b| a.2.cmp(&b.2).then(a.1.cmp(&b.1)))
    }

    /// Gives `host` its own rate (a site's override); only before its first request.
    pub fn configure(&self, host: &str, rate: f64) {
        let key = host.to_ascii_lowercase();
        let mut map = locked(&self.gates);
        let want = HostPolicy {
            rate,
            ..self.default
        };
        match map.get(&key) {
            Some(g) if g.policy() == want => {}
            Some(g) if locked(&g.state).last_done.is_some() => {}
            _ => {
                map.insert(key, Arc::new(HostGate::new(want)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_from_the_end_of_the_previous_one() {
        let gate = HostGate::new(HostPolicy {
            rate: 1.0,
            burst: 1,
            concurrency: 1,
        });
        let t0 = Instant::now();
        {
            let _p = gate.acquire().await;
            tokio::time::sleep(Duration::from_millis(300)).await; // a slow answer
        }
        let _p = gate.acquire().await;
        // next request starts 1 s after the previous one ended, not after it started
        assert_eq!(Instant::now() - t0, Duration::from_millis(1300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_to_the_host() {
        let gate = HostGate::new(HostPolicy {
            rate: 1.0,
            burst: 1,
            concurrency: 1,
        });
        drop(gate.acquire().await);
        let t0 = Instant::now();
        gate.pause(Duration::from_secs(40));
        drop(gate.acquire().await);
        assert_eq!(Instant::now() - t0, Duration::from_secs(40));
        gate.refuse("Retry-After 3600 s".into(), Some(Duration::from_secs(3600)));
        gate.refuse("later".into(), None);
        assert_eq!(gate.refusal().as_deref(), Some("Retry-After 3600 s"));
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(gate.refusal(), None, "the host's own time has passed");
    }

    #[tokio::test]
    async fn an_address_gate_spaces_every_host_on_it() {
        // the rate limiter keeps real time (not tokio's paused clock): a fast rate keeps it short
        let gates = AddressGates::new(AddressPolicy {
            rate: 20.0,
            concurrency: 2,
        });
        let a: std::net::IpAddr = "10.0.0.7".parse().unwrap();
        let v6: std::net::IpAddr = "2001:db8::7".parse().unwrap();
        let g1 = gates.for_host("a.gov.test", &[v6, a]).unwrap();
        let g2 = gates.for_host("b.gov.test", &[a]).unwrap();
        assert!(Arc::ptr_eq(&g1, &g2), "one server, one gate");
        assert_eq!(gates.address_of("a.gov.test"), Some(a));
        let other = gates.for_host("c.gov.test", &[v6]).unwrap();
        assert!(!Arc::ptr_eq(&g1, &other));
        let t0 = std::time::Instant::now();
        for _ in 0..3 {
            drop(g1.acquire().await);
            drop(g2.acquire().await);
        }
        // six requests at 20/s without a burst: the sixth starts at least 250 ms after the first
        assert!(
            t0.elapsed() >= Duration::from_millis(245),
            "{:?}",
            t0.elapsed()
        );
        let (ip, n, bound) = gates.busiest_since(&HashMap::new()).unwrap();
        assert_eq!((ip, n, bound), (a, 6, Duration::from_millis(300)));
        // two connections at most
        let p1 = g1.acquire().await;
        let _p2 = g1.acquire().await;
        assert_eq!(g1.sem.available_permits(), 0);
        drop(p1);
        assert_eq!(g1.sem.available_permits(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn crawl_delay_widens_the_gap() {
        let gate = HostGate::new(HostPolicy {
            rate: 1.0,
            burst: 1,
            concurrency: 1,
        });
        gate.set_crawl_delay(Duration::from_secs(3));
        drop(gate.acquire().await);
        let t0 = Instant::now();
        drop(gate.acquire().await);
        assert_eq!(Instant::now() - t0, Duration::from_secs(3));
    }
}
