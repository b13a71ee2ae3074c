//! The crawler: every socket govwatch opens is opened here.
//!
//! Architecture:
//! - [`dns`]: hickory-resolver, plugged into reqwest, with the address guard ([`guard`]).
//! - [`gate`]: per-host politeness (rate limit, one connection, Crawl-delay), shared by all sites,
//!   and per-address politeness (every host on one server address).
//! - [`robots`]: robots.txt per origin, RFC 9309 failure rules.
//! - [`fetch`]: one bounded fetch (timeouts, manual redirects, body cap, retries, error causes).
//! - [`budget`]: a page's shape (nesting, elements) read before parsing, for the parse budget.
//! - [`decode`]: charset decision (BOM, header, meta, chardetng) and decoding.
//! - [`extract`]: links and title from the parsed page.
//! - [`frontier`]: URL normalisation, de-duplication, budgets and trap guards.
//! - [`site`]: a whole site: breadth-first crawl in one lane per host, then a check of every link
//!   and resource; pages parsed on CPU workers and handed to a [`site::PageSink`].
//! - [`cache`]: the run's shared answers, so a URL linked from many sites is asked once a run.
//! - [`health`]: what the requests say about the monitoring machine's own network.
//! - [`ipv6`]: the IPv6 facts of a site (AAAA, every address, v4/v6 content, name servers, links).
//! - [`sample`]: one availability sample of a home page over IPv4 and over IPv6 (the daemon's).
//! - [`feed`]: a new-media account's feed (RSS, Atom, JSON Feed) fetched and read into posts.
//!
//! [`Crawler`] ties them together; build one per process and share it, so politeness holds across
//! every site crawled at once.

pub mod budget;
pub mod cache;
pub mod challenge;
pub mod cookies;
pub mod decode;
pub mod dns;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod frontier;
pub mod gate;
pub mod guard;
pub mod health;
pub mod ipv6;
pub mod render;
pub mod robots;
pub mod sample;
pub mod search_io;
pub mod site;

pub use fetch::{BodyMode, FetchSpec, Fetched};
pub use govwatch_config::CrawlSettings;

use dns::{Dns, GuardedResolver};
use gate::{AddressGates, AddressPolicy, HostGates, HostPolicy};
use robots::RobotsCache;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Why a crawler could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CrawlerError {
    #[error("bad DNS server address {0:?} in crawl settings (want IP:PORT)")]
    BadDnsServer(String),
    #[error("bad address {0:?} in allow_addresses (want an IP address)")]
    BadAddress(String),
    #[error("cannot set up DNS: {0}")]
    Dns(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("cannot use the browser: {0}")]
    Render(String),
}

/// Makes *ring* the process's TLS crypto provider (reqwest is built without one); later calls do
/// nothing. `ClientConfig::builder()` installs the provider rustls's crate features name (ring
/// alone in this workspace), so no call of `ring::default_provider` is needed (deprecated since
/// rustls 0.23.48, which `cargo install` without `--locked` may pick).
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(rustls::ClientConfig::builder()));
}

/// The shared crawling machinery of one process.
pub struct Crawler {
    client: reqwest::Client,
    dns: Arc<Dns>,
    gates: HostGates,
    addresses: AddressGates,
    robots: RobotsCache,
    global: Semaphore,
    settings: CrawlSettings,
    user_agent: String,
    /// The product token robots.txt groups are matched against.
    agent_token: String,
    /// Clients pinned to one address of one host (the IPv6 checks), built once and reused:
    /// building a TLS client costs far more than a request.
    pinned: std::sync::Mutex<std::collections::HashMap<(String, SocketAddr), reqwest::Client>>,
    /// Clients that connect over one address family only (availability samples over IPv4 and
    /// over IPv6), built on first use.
    family_clients: [std::sync::OnceLock<reqwest::Client>; 2],
    /// CPU workers: parsing and probing run on the blocking pool, this many at once (the
    /// machine's cores), so CPU work never stalls the network tasks and never piles up.
    cpu: Arc<Semaphore>,
    /// Attachments being downloaded and read at once over the run (`attachments_in_flight`).
    attachments: Semaphore,
    /// Requests sent so far (every attempt that left our queues), for progress and figures.
    sent: std::sync::atomic::AtomicU64,
    /// How far the crawler's clock is from the machine's, in milliseconds ([`Crawler::set_clock`]).
    clock_offset_ms: std::sync::atomic::AtomicI64,
    /// What the requests say about our own network.
    health: health::NetHealth,
    /// Cookies earned by passing anti-bot walls, per host.
    cookies: cookies::CookieJar,
    /// Headless Chromium for pages built by script and anti-bot challenges (`render`).
    renderer: Option<render::Renderer>,
    /// When each host's anti-bot wall was last tried in the browser.
    walls_tried: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl Crawler {
    /// The crawler's clock, which every time it records (fetches, samples) is read from: the
    /// machine's time, moved by what [`Crawler::set_clock`] set (nothing unless it was called).
    pub fn now(&self) -> govwatch_model::Timestamp {
        let offset = self
            .clock_offset_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        chrono::Local::now().fixed_offset() + chrono::Duration::milliseconds(offset)
    }

    /// Sets the crawler's clock to read `at` now and run on from there: `govwatch demo` crawls
    /// its fixture sites at the monitoring time they are written for, so its samples and fetches
    /// are dated where its run is judged.
    pub fn set_clock(&self, at: govwatch_model::Timestamp) {
        let offset = at.signed_duration_since(chrono::Local::now().fixed_offset());
        self.clock_offset_ms.store(
            offset.num_milliseconds(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

/// A CPU task that panicked (its message), instead of taking the run down.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CpuPanic(pub String);

/// The crawler's HTTP client: no automatic redirects, the guarded resolver, the time limits;
/// bound to `local` (`0.0.0.0` or `::`) it connects over that address family only.
fn build_client(
    settings: &CrawlSettings,
    dns: &Arc<Dns>,
    local: Option<std::net::IpAddr>,
) -> Result<reqwest::Client, CrawlerError> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver(dns.clone())))
        .connect_timeout(Duration::from_secs_f64(settings.connect_timeout_secs))
        .timeout(Duration::from_secs_f64(settings.timeout_secs))
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(settings.host_concurrency.max(1) as usize)
        .no_proxy();
    if let Some(ip) = local {
        b = b.local_address(ip);
    }
    b.build().map_err(|e| CrawlerError::Client(e.to_string()))
}

impl Crawler {
    pub fn new(settings: CrawlSettings) -> Result<Crawler, CrawlerError> {
        install_tls_provider();
        let servers = settings
            .dns_servers
            .iter()
            .map(|s| {
                s.parse::<SocketAddr>()
                    .map_err(|_| CrawlerError::BadDnsServer(s.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let allowed = settings
            .allow_addresses
            .iter()
            .map(|s| {
                s.parse::<std::net::IpAddr>()
                    .map_err(|_| CrawlerError::BadAddress(s.clone()))
            })
            .collect::<Result<_, _>>()?;
        let guard = guard::AddressGuard {
            allow_private: settings.allow_private,
            allowed,
        };
        let dns = Arc::new(Dns::new(&servers, guard).map_err(CrawlerError::Dns)?);
        let client = build_client(&settings, &dns, None)?;
        let policy = HostPolicy {
            rate: settings.rate,
            burst: settings.burst,
            concurrency: settings.host_concurrency,
        };
        let renderer = render::Renderer::from_settings(&settings).map_err(CrawlerError::Render)?;
        Ok(Crawler {
            renderer,
            walls_tried: Default::default(),
            client,
            dns,
            gates: HostGates::new(policy),
            addresses: AddressGates::new(AddressPolicy {
                rate: settings.address_rate,
                concurrency: settings.address_concurrency,
            }),
            robots: RobotsCache::default(),
            global: Semaphore::new(settings.global_concurrency.max(1) as usize),
            user_agent: settings.user_agent(),
            agent_token: "govwatch".to_string(),
            pinned: Default::default(),
            family_clients: Default::default(),
            cpu: Arc::new(Semaphore::new(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2),
            )),
            attachments: Semaphore::new(settings.attachments_in_flight.max(1) as usize),
            sent: Default::default(),
            clock_offset_ms: Default::default(),
            health: Default::default(),
            cookies: Default::default(),
            settings,
        })
    }

    pub fn settings(&self) -> &CrawlSettings {
        &self.settings
    }

    /// The resolver the crawler uses (the IPv6 probe's facts are gathered through it).
    pub fn dns(&self) -> &Arc<Dns> {
        &self.dns
    }

    /// The User-Agent sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    pub fn gates(&self) -> &HostGates {
        &self.gates
    }

    /// The per-address gates (every host on one server address shares one).
    pub fn address_gates(&self) -> &AddressGates {
        &self.addresses
    }

    /// The server address of each of `hosts` (an IP literal's own, else the address its gate is
    /// keyed by, resolved now if need be, a few at a time); hosts that do not resolve to an
    /// allowed address are left out. For the run's plan: the bound per server address.
    pub async fn server_addresses(
        &self,
        hosts: &[String],
    ) -> std::collections::HashMap<String, std::net::IpAddr> {
        use futures::StreamExt;
        futures::stream::iter(hosts.iter().cloned())
            .map(|h| async move {
                let literal = url::Host::parse(&h).ok().and_then(|x| match x {
                    url::Host::Ipv4(a) => Some(std::net::IpAddr::V4(a)),
                    url::Host::Ipv6(a) => Some(std::net::IpAddr::V6(a)),
                    url::Host::Domain(_) => None,
                });
                if let Some(ip) = literal {
                    return Some((h, ip));
                }
                self.address_gate(&h, None).await?;
                let ip = self.addresses.address_of(&h)?;
                Some((h, ip))
            })
            .buffer_unordered(32)
            .filter_map(|x| async move { x })
            .collect()
            .await
    }

    /// The gate of the server address `host` is on: an IP literal's own, else the address the
    /// host resolved to (resolved once; `None` when it does not resolve to an allowed address,
    /// and the request then fails at its connection as before).
    pub(crate) async fn address_gate(
        &self,
        host: &str,
        literal: Option<std::net::IpAddr>,
    ) -> Option<Arc<gate::AddressGate>> {
        if let Some(ip) = literal {
            return Some(self.addresses.get(ip));
        }
        if let Some(ip) = self.addresses.address_of(host) {
            return Some(self.addresses.get(ip));
        }
        let ips = self.dns.lookup_allowed(host).await.ok()?;
        self.addresses.for_host(host, &ips)
    }

    /// The cookies earned by passing anti-bot walls (sent with every request to their host).
    pub fn cookies(&self) -> &cookies::CookieJar {
        &self.cookies
    }

    /// What the requests so far say about the monitoring machine's own network.
    pub fn health(&self) -> &health::NetHealth {
        &self.health
    }

    /// Asks each of the configured reference URLs (hosts that are always up) once, without
    /// robots.txt and without retries: the URLs that answered (any HTTP status) and, for the
    /// others, why not. Used to tell our own network failing from the sites failing.
    pub async fn check_references(&self) -> (Vec<String>, Vec<String>) {
        let spec = FetchSpec {
            method: "HEAD",
            purpose: govwatch_model::Purpose::Robots,
            body: BodyMode::None,
            robots: false,
            retry: false,
            family: None,
        };
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for u in &self.settings.reference_urls {
            let Ok(url) = url::Url::parse(u) else {
                failed.push(format!("{u}: not a URL"));
                continue;
            };
            let f = self.fetch(&url, spec).await;
            let last = f.last();
            if health::evidence(last) == health::Evidence::Answered {
                ok.push(u.clone());
            } else {
                failed.push(format!(
                    "{u}: {}",
                    last.failure().unwrap_or_else(|| "no answer".into())
                ));
            }
        }
        (ok, failed)
    }

    /// Requests sent so far by this crawler (every attempt, retries included).
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn count_sent(&self) {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Runs CPU work (parsing, probing) on a worker thread, at most one per core at once. A panic
    /// in `f` comes back as [`CpuPanic`] instead of ending the process.
    pub async fn cpu<F, R>(&self, f: F) -> Result<R, CpuPanic>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let _permit = self
            .cpu
            .acquire()
            .await
            .expect("cpu semaphore never closes");
        tokio::task::spawn_blocking(f).await.map_err(|e| {
            let msg = match e.try_into_panic() {
                Ok(p) => p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into()),
                Err(e) => e.to_string(),
            };
            CpuPanic(msg)
        })
    }

    /// The client for requests over `family` (`Some(4)`, `Some(6)`) or over either (`None`).
    /// A family client binds its sockets to the unspecified address of that family, so the
    /// connector tries only that family's addresses of the name.
    pub(crate) fn client_for(&self, family: Option<u8>) -> &reqwest::Client {
        let (slot, local) = match family {
            Some(4) => (&self.family_clients[0], std::net::IpAddr::from([0u8; 4])),
            Some(6) => (&self.family_clients[1], std::net::IpAddr::from([0u16; 8])),
            _ => return &self.client,
        };
        slot.get_or_init(|| {
            build_client(&self.settings, &self.dns, Some(local)).unwrap_or_else(|e| {
                tracing::warn!(error = %e, family, "cannot build a single-family client; using the default");
                self.client.clone()
            })
        })
    }
}

/// Locks a mutex, recovering it when a thread panicked while holding it (the data a panic left
/// half-written is still the best there is; one site's panic never stops the others' crawl).
pub(crate) fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
