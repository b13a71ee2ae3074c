//! Availability samples (rule 站点无法访问, 国办秘函〔2019〕19号 single veto 2): the home page
//! fetched once over IPv4 and once over IPv6, each judged by the 15-second limit.
//!
//! A sample is one GET of the home page through the crawler's own machinery — the address guard,
//! the host's gate (rate limit, one connection, Crawl-delay) and the global cap — with the total
//! time limit of the crawl settings (15 s by default), redirects followed, the body read to the
//! end, and **no retry** (the rule judges the first try). robots.txt is not consulted: like the
//! crawl's home page request, the sample is the inspection's mandated check and reads one page.
//!
//! The families are decided by DNS: a sample over IPv4 when the host has an A record, one over
//! IPv6 when it has a usable AAAA record (the connection then goes to an IPv6 address only). A
//! host with neither (or whose name does not resolve) gets one sample, which fails with the DNS
//! error and whose family is unknown (`None`), so it counts against every family.

use crate::Crawler;
use crate::fetch::{BodyMode, FetchSpec, refused_record};
use crate::ipv6::{lookup, usable_aaaa};
use crate::site::sample_of;
use govwatch_model::{FetchRecord, Purpose, Sample};
use hickory_resolver::proto::rr::RecordType;
use std::net::IpAddr;
use url::{Host, Url};

/// One sample and the request that made it.
#[derive(Debug, Clone)]
pub struct HomeSample {
    pub sample: Sample,
    pub fetch: FetchRecord,
}

/// The fetch of one sample over `family`.
pub const SAMPLE_SPEC: FetchSpec = FetchSpec {
    method: "GET",
    purpose: Purpose::Sample,
    body: BodyMode::Html,
    robots: false,
    retry: false,
    family: None,
};

impl Crawler {
    /// The address families a sample of `home` is taken over: `[4]`, `[6]`, `[4, 6]`, or `[]`
    /// when the name has no usable address (or does not resolve).
    pub async fn sample_families(&self, home: &Url) -> Vec<u8> {
        match home.host() {
            Some(Host::Ipv4(_)) => vec![4],
            Some(Host::Ipv6(_)) => vec![6],
            Some(Host::Domain(name)) => {
                let resolver = self.dns.resolver();
                let (a, aaaa) = futures::join!(
                    lookup(resolver, name, RecordType::A),
                    lookup(resolver, name, RecordType::AAAA)
                );
                let mut fams = Vec::new();
                if a.is_ok_and(|(ips, _)| ips.iter().any(IpAddr::is_ipv4)) {
                    fams.push(4);
                }
                if aaaa.is_ok_and(|(ips, _)| {
                    ips.iter().any(|ip| match ip {
                        IpAddr::V6(v6) => usable_aaaa(v6),
                        IpAddr::V4(_) => false,
                    })
                }) {
                    fams.push(6);
                }
                fams
            }
            None => vec![],
        }
    }

    /// Takes one availability sample of `home` over each family it has (see the module
    /// documentation); none while the host refuses the crawl (a request not sent measures
    /// nothing). Samples over one family carry that family even when no connection was
    /// made, so a failed IPv6 connection never counts against IPv4.
    pub async fn sample_home(&self, home: &Url) -> Vec<HomeSample> {
        let families = self.sample_families(home).await;
        if families.is_empty() {
            let f = self.fetch(home, SAMPLE_SPEC).await;
            let rec = f.first().clone();
            if refused_record(&rec) {
                return Vec::new();
            }
            return vec![HomeSample {
                sample: sample_of(&rec),
                fetch: rec,
            }];
        }
        let mut out = Vec::new();
        for fam in families {
            let spec = FetchSpec {
                family: Some(fam),
                ..SAMPLE_SPEC
            };
            let f = self.fetch(home, spec).await;
            let rec = f.first().clone();
            if refused_record(&rec) {
                // not sent: the host asked us to stay away (Retry-After); nothing was measured
                continue;
            }
            let mut sample = sample_of(&rec);
            sample.family = Some(fam);
            out.push(HomeSample { sample, fetch: rec });
        }
        out
    }
}
