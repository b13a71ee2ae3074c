//! Gathering the IPv6 facts of a site (the IPv6 probe judges them; see `govwatch-probes::ipv6`).
//!
//! Everything here is network I/O, so it lives in the crawler and goes through the same resolver,
//! address guard and host gates as every other request:
//! 1. AAAA (and A) of the home host through the crawler's hickory resolver, CNAMEs followed and
//!    recorded; IPv4-mapped, IPv4-compatible, unspecified, multicast and link-local AAAA do not count.
//! 2. Every usable AAAA address: a TCP connect within 4 s on the URL's port, then an HTTP GET of
//!    the home page pinned to that address (Host and SNI stay the site's name) within 10 s.
//! 3. The home page pinned to an IPv4 address, for the same-content check (first 500 kB of each).
//! 4. The zone's authoritative name servers (NS found by walking up the host's labels): their
//!    AAAA, and whether each answers a SOA query sent to it over IPv6.
//! 5. Level-2 (linked from the home page) and level-3 (linked from level-2 pages) internal links:
//!    whether their host has AAAA and whether they answer over IPv6 with a status below 500 (a 404
//!    is the link's own fault, reported by the links probe); a capped sample per level.

use crate::decode::decode_html;
use crate::{Crawler, locked};
use govwatch_model::{AddrProbe, FamilyGet, Ipv6Gathered, LinkV6, NsProbe, Page, Sample, Site};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use reqwest::header::USER_AGENT;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::time::Instant;
use url::{Host, Url};

/// Whether an AAAA address can carry a website at all.
pub fn usable_aaaa(a: &Ipv6Addr) -> bool {
    let s = a.segments();
    !(a.is_unspecified()
        || a.is_multicast()
        || a.to_ipv4_mapped().is_some()
        // ::/96 IPv4-compatible (deprecated), but ::1 is a real (loopback) address
        || (s[0..6] == [0, 0, 0, 0, 0, 0] && !a.is_loopback())
        // fe80::/10 link-local: meaningless outside one link
        || (s[0] & 0xffc0) == 0xfe80)
}

fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

/// AAAA/A records of a name with the CNAME chain; `Err` only for a failure (not for "no records").
pub(crate) async fn lookup(
    resolver: &TokioResolver,
    name: &str,
    rtype: RecordType,
) -> Result<(Vec<IpAddr>, Vec<String>), String> {
    match resolver.lookup(fqdn(name).as_str(), rtype).await {
        Ok(l) => {
            let mut ips = Vec::new();
            let mut chain = Vec::new();
            for r in l.answers() {
                match &r.data {
                    RData::AAAA(a) => ips.push(IpAddr::V6(a.0)),
                    RData::A(a) => ips.push(IpAddr::V4(a.0)),
                    RData::CNAME(c) => chain.push(c.to_string().trim_end_matches('.').to_string()),
                    _ => {}
                }
            }
            Ok((ips, chain))
        }
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok((vec![], vec![])),
        Err(e) => Err(e.to_string()),
    }
}

impl Crawler {
    /// A client whose requests to `host` all go to `addr` (Host header and SNI unchanged),
    /// built once per host and address. Timeouts are set per request.
    fn pinned_client(&self, host: &str, addr: SocketAddr) -> Result<reqwest::Client, String> {
        let key = (host.to_string(), addr);
        if let Some(c) = locked(&self.pinned).get(&key) {
            return Ok(c.clone());
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve(host, addr)
            .connect_timeout(Duration::from_secs_f64(
                self.settings.ipv6_connect_timeout_secs,
            ))
            .pool_max_idle_per_host(1)
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        locked(&self.pinned).insert(key, client.clone());
        Ok(client)
    }

    /// [`Self::pinned_get`], recording the request as a fetch (purpose `link_check`).
    async fn pinned_get_recorded(
        &self,
        url: &Url,
        addr: IpAddr,
        max_body: usize,
        g: &mut Ipv6Gathered,
    ) -> FamilyGet {
        let t0 = Instant::now();
        let (got, sent) = self.pinned_get(url, addr, max_body).await;
        let started_at = sent.map(|(at, _)| at).unwrap_or_else(|| self.now());
        let (elapsed, queued) = match sent {
            Some((_, sent_at)) => (sent_at.elapsed(), sent_at - t0),
            None => (t0.elapsed(), Duration::ZERO),
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let error = got.error.as_deref().map(|e| {
            let kind = e.split(':').next().unwrap_or("");
            govwatch_model::FetchError::parse(kind).unwrap_or(govwatch_model::FetchError::Other)
        });
        g.fetches.push(govwatch_model::FetchRecord {
            url: url.to_string(),
            final_url: url.to_string(),
            method: "GET".into(),
            purpose: govwatch_model::Purpose::LinkCheck,
            status: got.status,
            started_at,
            elapsed_ms: elapsed.as_millis() as u64,
            queue_ms: queued.as_millis() as u64,
            bytes: got.bytes,
            content_type: None,
            content_hash: None,
            remote_addr: Some(SocketAddr::new(addr, port).to_string()),
            family: Some(if addr.is_ipv4() { 4 } else { 6 }),
            error,
            error_message: got.error.clone(),
            redirects: vec![],
            attempt: 1,
        });
        got
    }

    /// One GET pinned to `addr`, politely, reading at most `max_body` bytes; with when it was sent
    /// (after the host's gate), when it was sent at all. Its time limit runs from that moment.
    async fn pinned_get(
        &self,
        url: &Url,
        addr: IpAddr,
        max_body: usize,
    ) -> (FamilyGet, Option<(govwatch_model::Timestamp, Instant)>) {
        let mut sent = None;
        let host = url.host_str().unwrap_or("").to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let sock = SocketAddr::new(addr, port);
        let mut out = FamilyGet {
            addr: addr.to_string(),
            status: None,
            error: None,
            body: String::new(),
            bytes: 0,
        };
        if self.dns.guard().refuses(addr) {
            out.error = Some(format!(
                "blocked_address: refused non-public address {addr}"
            ));
            return (out, sent);
        }
        let timeout = Duration::from_secs_f64(self.settings.ipv6_get_timeout_secs);
        let client = match self.pinned_client(&host, sock) {
            Ok(c) => c,
            Err(e) => {
                out.error = Some(e);
                return (out, sent);
            }
        };
        let gate = self.gates.get(&host);
        let _permit = gate.acquire().await;
        let now = Instant::now();
        self.count_sent();
        sent = Some((self.now(), now));
        let deadline = now + timeout;
        let resp = match tokio::time::timeout_at(
            deadline,
            client
                .get(url.clone())
                .header(USER_AGENT, &self.user_agent)
                .timeout(timeout)
                .send(),
        )
        .await
        {
            Err(_) => {
                out.error = Some("timeout: no answer in time".into());
                return (out, sent);
            }
            Ok(Err(e)) => {
                let (kind, msg) = crate::fetch::classify(&e);
                out.error = Some(format!("{}: {msg}", kind.as_str()));
                return (out, sent);
            }
            Ok(Ok(r)) => r,
        };
        out.status = Some(resp.status().as_u16());
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if max_body == 0 {
            return (out, sent);
        }
        let mut resp = resp;
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, resp.chunk()).await {
                Ok(Ok(Some(c))) => {
                    body.extend_from_slice(&c);
                    if body.len() >= max_body {
                        body.truncate(max_body);
                        break;
                    }
                }
                Ok(Ok(None)) => break,
                Ok(Err(e)) => {
                    out.error = Some(format!("body: {e}"));
                    break;
                }
                Err(_) => {
                    out.error = Some("timeout: body not complete in time".into());
                    break;
                }
            }
        }
        out.bytes = body.len() as u64;
        out.body = decode_html(&body, ct.as_deref()).text;
        (out, sent)
    }

    /// Gathers every IPv6 fact of the site. `levels` are the internal links of the home page
    /// (level 2) and of level-2 pages (level 3), in the order found; `pages` are the pages crawled
    /// (a level-2/3 page already fetched over IPv6 is not asked again).
    pub async fn gather_ipv6(
        &self,
        site: &Site,
        pages: &[Page],
        levels: &[Vec<String>; 2],
    ) -> Ipv6Gathered {
        let home = &site.home;
        let host = home.host_str().unwrap_or("").to_ascii_lowercase();
        let port = home.port_or_known_default().unwrap_or(80);
        let mut g = Ipv6Gathered {
            host: host.clone(),
            port,
            ..Default::default()
        };
        let resolver = self.dns.resolver();
        // 1. AAAA and A.
        let (v6, v4): (Vec<IpAddr>, Vec<IpAddr>) = match home.host() {
            Some(Host::Ipv6(a)) => (vec![IpAddr::V6(a)], vec![]),
            Some(Host::Ipv4(a)) => (vec![], vec![IpAddr::V4(a)]),
            _ => {
                let aaaa = lookup(resolver, &host, RecordType::AAAA).await;
                let a = lookup(resolver, &host, RecordType::A).await;
                let mut v6 = Vec::new();
                match aaaa {
                    Ok((ips, chain)) => {
                        v6 = ips;
                        g.cname_chain = chain;
                    }
                    Err(e) => g.dns_error = Some(format!("AAAA {host}: {e}")),
                }
                let mut v4 = Vec::new();
                match a {
                    Ok((ips, chain)) => {
                        v4 = ips;
                        if g.cname_chain.is_empty() {
                            g.cname_chain = chain;
                        }
                    }
                    Err(e) => {
                        g.dns_error.get_or_insert(format!("A {host}: {e}"));
                    }
                }
                (v6, v4)
            }
        };
        g.a = v4.iter().map(|i| i.to_string()).collect();
        g.aaaa_raw = v6.iter().map(|i| i.to_string()).collect();
        let usable: Vec<Ipv6Addr> = v6
            .iter()
            .filter_map(|i| match i {
                IpAddr::V6(a) if usable_aaaa(a) => Some(*a),
                _ => None,
            })
            .collect();
        g.aaaa = usable.iter().map(|a| a.to_string()).collect();

        // 2. Every usable address: TCP connect, then a pinned GET of the home page.
        let compare = self.settings.ipv6_compare_bytes;
        let connect_limit = Duration::from_secs_f64(self.settings.ipv6_connect_timeout_secs);
        for a in &usable {
            let ip = IpAddr::V6(*a);
            let mut p = AddrProbe {
                addr: a.to_string(),
                tcp_ok: false,
                tcp_ms: 0,
                tcp_error: None,
                http_status: None,
                http_error: None,
                http_ms: 0,
            };
            if self.dns.guard().refuses(ip) {
                p.tcp_error = Some(format!("blocked_address: refused non-public address {a}"));
                g.addresses.push(p);
                continue;
            }
            let t0 = Instant::now();
            match tokio::time::timeout(
                connect_limit,
                tokio::net::TcpStream::connect(SocketAddr::new(ip, port)),
            )
            .await
            {
                Ok(Ok(_stream)) => p.tcp_ok = true,
                Ok(Err(e)) => p.tcp_error = Some(format!("connect: {e}")),
                Err(_) => {
                    p.tcp_error = Some(format!(
                        "timeout: no TCP connection within {connect_limit:?}"
                    ))
                }
            }
            p.tcp_ms = t0.elapsed().as_millis() as u64;
            if p.tcp_ok {
                let started = self.now();
                let t1 = Instant::now();
                let get = self.pinned_get_recorded(home, ip, compare, &mut g).await;
                p.http_ms = t1.elapsed().as_millis() as u64;
                p.http_status = get.status;
                p.http_error = get.error.clone();
                g.v6_samples.push(Sample {
                    url: home.to_string(),
                    at: started,
                    family: Some(6),
                    ok: get.error.is_none() && get.status.is_some_and(|s| (200..400).contains(&s)),
                    status: get.status,
                    error: None,
                    elapsed_ms: p.http_ms,
                });
                if g.v6_get.is_none() && get.status.is_some() {
                    g.v6_get = Some(get);
                }
            }
            g.addresses.push(p);
        }

        // 3. The home page over IPv4, when there is IPv4 and something answered over IPv6.
        if g.v6_get.is_some()
            && let Some(ip) = v4.iter().find(|ip| !self.dns.guard().refuses(**ip))
        {
            g.v4_get = Some(self.pinned_get_recorded(home, *ip, compare, &mut g).await);
        }

        // 4. Authoritative name servers.
        if matches!(home.host(), Some(Host::Domain(_))) {
            self.gather_ns(&host, &mut g).await;
        }

        // 5. Level-2 and level-3 internal links.
        self.gather_links_v6(pages, levels, &mut g).await;
        g
    }

    async fn gather_ns(&self, host: &str, g: &mut Ipv6Gathered) {
        let resolver = self.dns.resolver();
        let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
        let mut found: Option<(String, Vec<String>)> = None;
        for i in 0..labels.len() {
            let zone = labels[i..].join(".");
            match resolver.lookup(fqdn(&zone).as_str(), RecordType::NS).await {
                Ok(l) => {
                    let names: Vec<String> = l
                        .answers()
                        .iter()
                        .filter_map(|r| match &r.data {
                            RData::NS(n) => Some(n.to_string().trim_end_matches('.').to_string()),
                            _ => None,
                        })
                        .collect();
                    if !names.is_empty() {
                        found = Some((zone, names));
                        break;
                    }
                }
                Err(e) if e.is_no_records_found() || e.is_nx_domain() => continue,
                Err(e) => {
                    g.ns_error = Some(format!("NS {zone}: {e}"));
                    return;
                }
            }
        }
        let Some((zone, mut names)) = found else {
            g.ns_error = Some(format!("no NS records found for {host} or its parents"));
            return;
        };
        names.sort();
        names.dedup();
        g.ns_zone = Some(zone.clone());
        for name in names {
            let mut ns = NsProbe {
                name: name.clone(),
                aaaa: vec![],
                answers_v6: false,
                error: None,
            };
            match lookup(resolver, &name, RecordType::AAAA).await {
                Ok((ips, _)) => {
                    ns.aaaa = ips
                        .iter()
                        .filter(|i| matches!(i, IpAddr::V6(a) if usable_aaaa(a)))
                        .map(|i| i.to_string())
                        .collect()
                }
                Err(e) => ns.error = Some(e),
            }
            if let Some(addr) = ns.aaaa.first().and_then(|a| a.parse::<IpAddr>().ok()) {
                match self.ask_soa_over(addr, &zone).await {
                    Ok(()) => ns.answers_v6 = true,
                    Err(e) => ns.error = Some(e),
                }
            }
            g.ns.push(ns);
        }
    }

    /// Sends one SOA query for `zone` to the name server at `addr` (port `dns_port`).
    async fn ask_soa_over(&self, addr: IpAddr, zone: &str) -> Result<(), String> {
        if self.dns.guard().refuses(addr) {
            return Err(format!(
                "blocked_address: refused non-public address {addr}"
            ));
        }
        let mut ns = NameServerConfig::udp(addr);
        for c in ns.connections.iter_mut() {
            c.port = self.settings.dns_port;
        }
        let mut opts = ResolverOpts::default();
        opts.timeout = Duration::from_secs_f64(self.settings.ipv6_connect_timeout_secs);
        opts.attempts = 1;
        opts.cache_size = 0;
        let r = TokioResolver::builder_with_config(
            ResolverConfig::from_parts(None, vec![], vec![ns]),
            TokioRuntimeProvider::default(),
        )
        .with_options(opts)
        .build()
        .map_err(|e| e.to_string())?;
        match r.lookup(fqdn(zone).as_str(), RecordType::SOA).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_no_records_found() => Ok(()), // it answered, even if without a SOA
            Err(e) => Err(format!("no answer over IPv6 from {addr}: {e}")),
        }
    }

    async fn gather_links_v6(
        &self,
        pages: &[Page],
        levels: &[Vec<String>; 2],
        g: &mut Ipv6Gathered,
    ) {
        // pages the crawl already fetched over IPv6 answer for themselves
        let over_v6: HashMap<&str, &Page> = pages
            .iter()
            .filter(|p| p.fetch.family == Some(6))
            .map(|p| (p.fetch.url.as_str(), p))
            .collect();
        let cap = self.settings.ipv6_link_sample;
        let mut aaaa_cache: BTreeMap<String, Option<IpAddr>> = BTreeMap::new();
        // Links on the home host go to an address that answered (else the first usable one), so
        // the ratio measures the links, not which of several addresses came first.
        let home_addr = g
            .addresses
            .iter()
            .find(|a| a.reachable())
            .or(g.addresses.first())
            .and_then(|a| a.addr.parse::<IpAddr>().ok());
        aaaa_cache.insert(g.host.clone(), home_addr);
        for (i, urls) in levels.iter().enumerate() {
            g.links_not_tried += urls.len().saturating_sub(cap) as u64;
            for u in urls.iter().take(cap) {
                let url = match Url::parse(u) {
                    Ok(u) => u,
                    Err(_) => continue,
                };
                let h = url.host_str().unwrap_or("").to_ascii_lowercase();
                if !aaaa_cache.contains_key(&h) {
                    let first = match url.host() {
                        Some(Host::Ipv6(a)) => Some(IpAddr::V6(a)),
                        Some(Host::Ipv4(_)) => None,
                        _ => lookup(self.dns.resolver(), &h, RecordType::AAAA)
                            .await
                            .ok()
                            .and_then(|(ips, _)| {
                                ips.into_iter()
                                    .find(|i| matches!(i, IpAddr::V6(a) if usable_aaaa(a)))
                            }),
                    };
                    aaaa_cache.insert(h.clone(), first);
                }
                let addr = aaaa_cache[&h];
                let mut l = LinkV6 {
                    url: u.clone(),
                    level: (i + 2) as u8,
                    has_aaaa: addr.is_some(),
                    ok_v6: None,
                    status: None,
                    error: None,
                };
                if let Some(p) = over_v6.get(u.as_str()) {
                    l.status = p.fetch.status;
                    l.error = p.fetch.failure().filter(|_| p.fetch.error.is_some());
                    l.ok_v6 = Some(p.fetch.error.is_none() && l.status.is_some_and(|s| s < 500));
                } else if let Some(addr) = addr {
                    let get = self.pinned_get_recorded(&url, addr, 0, g).await;
                    l.status = get.status;
                    l.error = get.error;
                    // An answer below 500 means IPv6 works; a 404 is the link's own fault, reported by
                    // the links probe, not an IPv6 failure.
                    l.ok_v6 = Some(l.error.is_none() && l.status.is_some_and(|s| s < 500));
                }
                g.links.push(l);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_and_useless_aaaa_do_not_count() {
        for bad in [
            "::ffff:127.0.0.1",
            "::ffff:202.1.2.3",
            "::",
            "ff02::1",
            "fe80::1",
            "::10.0.0.1",
        ] {
            assert!(!usable_aaaa(&bad.parse().unwrap()), "{bad}");
        }
        for good in ["::1", "2400:da00::6666", "2001:db8::1"] {
            assert!(usable_aaaa(&good.parse().unwrap()), "{good}");
        }
    }
}
