//! DNS through hickory-resolver, shared by reqwest (as its resolver) and by probes' network facts.
//!
//! - [`Dns`]: a hickory `TokioResolver` pointed at the system's servers or at configured ones (tests
//!   and the demo point it at the local test DNS server), with the address guard applied.
//! - [`GuardedResolver`]: the `reqwest::dns::Resolve` adapter; it refuses answers that hold only
//!   forbidden addresses, so a DNS answer cannot steer the crawler into a private network.

use crate::guard::AddressGuard;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{LookupIpStrategy, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The name did not resolve (no such name, no address, or no answer).
#[derive(Debug, Clone)]
pub struct DnsFailure(pub String);

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DNS lookup failed: {}", self.0)
    }
}
impl std::error::Error for DnsFailure {}

/// Every address of the name is private/loopback/link-local and the configuration forbids them.
#[derive(Debug, Clone)]
pub struct BlockedAddress(pub String);

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused non-public address {}", self.0)
    }
}
impl std::error::Error for BlockedAddress {}

/// A resolver with the address guard.
#[derive(Clone)]
pub struct Dns {
    resolver: TokioResolver,
    guard: AddressGuard,
}

impl Dns {
    /// `servers` empty: the system configuration (`/etc/resolv.conf`); else these `IP:PORT` servers.
    pub fn new(servers: &[SocketAddr], guard: AddressGuard) -> Result<Dns, String> {
        let mut opts = ResolverOpts::default();
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        opts.timeout = Duration::from_secs(5);
        opts.attempts = 2;
        let resolver = if servers.is_empty() {
            let mut b = TokioResolver::builder_tokio()
                .map_err(|e| format!("cannot read the system DNS configuration: {e}"))?;
            *b.options_mut() = opts;
            b.build().map_err(|e| e.to_string())?
        } else {
            let ns = servers
                .iter()
                .map(|s| {
                    let mut ns = NameServerConfig::udp_and_tcp(s.ip());
                    for c in ns.connections.iter_mut() {
                        c.port = s.port();
                    }
                    ns
                })
                .collect();
            let cfg = ResolverConfig::from_parts(None, vec![], ns);
            TokioResolver::builder_with_config(cfg, TokioRuntimeProvider::default())
                .with_options(opts)
                .build()
                .map_err(|e| e.to_string())?
        };
        Ok(Dns { resolver, guard })
    }

    /// The underlying hickory resolver (for AAAA, NS and CNAME facts).
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }

    pub fn guard(&self) -> &AddressGuard {
        &self.guard
    }

    /// All addresses of `host` (A and AAAA), before the guard.
    pub async fn lookup_all(&self, host: &str) -> Result<Vec<IpAddr>, DnsFailure> {
        let fqdn = if host.ends_with('.') {
            host.to_string()
        } else {
            format!("{host}.")
        };
        match self.resolver.lookup_ip(fqdn.as_str()).await {
            Ok(l) => {
                let ips: Vec<IpAddr> = l.iter().collect();
                if ips.is_empty() {
                    Err(DnsFailure(format!("{host}: no address")))
                } else {
                    Ok(ips)
                }
            }
            Err(e) => Err(DnsFailure(format!("{host}: {e}"))),
        }
    }

    /// Addresses of `host` that the guard lets through.
    pub async fn lookup_allowed(
        &self,
        host: &str,
    ) -> Result<Vec<IpAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let all = self.lookup_all(host).await?;
        let ok: Vec<IpAddr> = all
            .iter()
            .copied()
            .filter(|ip| !self.guard.refuses(*ip))
            .collect();
        if ok.is_empty() {
            let list: Vec<String> = all.iter().map(|i| i.to_string()).collect();
            return Err(Box::new(BlockedAddress(format!(
                "{host} -> {}",
                list.join(", ")
            ))));
        }
        Ok(ok)
    }
}

/// reqwest's resolver: hickory with the guard.
pub struct GuardedResolver(pub Arc<Dns>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let dns = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let ips = dns.lookup_allowed(&host).await?;
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
