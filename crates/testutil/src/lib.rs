//! Test utilities for govwatch: a fixture HTTP server and a test DNS server.
//!
//! This crate is a normal library (not test-only): every test uses it, and so do
//! `govwatch demo` and the benchmark, which crawl the fixture sites under
//! `fixtures/sites/` instead of the internet.
//!
//! - [`FixtureServer`] ([`http`] module): a hand-written HTTP/1.1 server that serves
//!   `root/<host>/<path>` on 127.0.0.1 and [::1] (same port; or 127.0.0.1 only with
//!   [`FixtureServer::start_v4_only`]), routed by the `Host` header, with `{{PORT}}`
//!   substitution, per-host `_server.toml` routes and site searches, routes added at
//!   run time, fault injection ([`Fault`]), a request log ([`LoggedRequest`]) and
//!   IPv6-only variations (`_v6/` overlay, `family` routes, per-family faults).
//! - [`DnsServer`] ([`dns`] module): an authoritative DNS server (UDP+TCP on
//!   127.0.0.1 and [::1]) holding [`DnsRecord`]s, so resolvers used by the crawler
//!   and the probes can be pointed at fixture names.
//! - [`TestNet`]: both together, with an A (and AAAA) record for every host
//!   directory of the fixture root, or the records of its `_dns.toml`
//!   ([`site_dns_records`]).
//! - [`require`]: the real pages and the IPv6 loopback a test needs, required in CI
//!   (`GOVWATCH_REQUIRE_SHARED`, `GOVWATCH_REQUIRE_IPV6`), skipped loudly elsewhere.
//! - [`receivers`]: a webhook receiver and a minimal SMTP server for the daemon's warning sinks
//!   (test-only, hand-written).

pub mod dns;
pub mod fixtures;
pub mod http;
pub mod receivers;
pub mod require;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use dns::{DnsRecord, DnsServer};
pub use http::{
    Fault, FixtureServer, LoggedRequest, RouteResponse, content_type_for_ext, substitute_port,
};

/// The workspace root directory (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.to_path_buf())
}

/// The fixture sites directory, `<workspace>/fixtures/sites`.
pub fn fixtures_sites_dir() -> PathBuf {
    workspace_root().join("fixtures").join("sites")
}

/// The host names of a fixture root: the names of its subdirectories (lowercased, sorted).
pub fn site_hosts(root: &Path) -> io::Result<Vec<String>> {
    let mut hosts = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let Some(name) = entry.file_name().to_str().map(str::to_ascii_lowercase) else {
            continue;
        };
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        hosts.push(name);
    }
    hosts.sort();
    Ok(hosts)
}

/// Name of the optional per-host DNS data file.
pub const HOST_DNS_FILE: &str = "_dns.toml";

/// `root/<host>/_dns.toml`: the DNS records of one fixture host.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostDnsFile {
    a: Option<Vec<Ipv4Addr>>,
    aaaa: Option<Vec<Ipv6Addr>>,
    cname: Option<String>,
}

/// The DNS records of one fixture host directory `root/<host>`.
///
/// Without `root/<host>/_dns.toml`: A 127.0.0.1 and, if `v6`, AAAA ::1. With it:
///
/// ```toml
/// a = ["127.0.0.1"]              # A records (default ["127.0.0.1"] when absent)
/// aaaa = []                      # AAAA records (default ["::1"] when absent and `v6`)
/// cname = "www.other.gov.test"   # optional: the host is a CNAME (then no a/aaaa)
/// ```
///
/// Addresses are used as given (`"::ffff:127.0.0.1"`, `"2001:db8::1"`, ...).
///
/// # Errors
/// An unreadable or invalid file (unknown key, bad address, `cname` together with
/// `a`/`aaaa`) gives an [`io::ErrorKind::InvalidData`] error naming the file.
pub fn host_dns_records(root: &Path, host: &str, v6: bool) -> io::Result<Vec<DnsRecord>> {
    let path = root.join(host).join(HOST_DNS_FILE);
    let bad = |msg: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {msg}", path.display()),
        )
    };
    let spec = match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str::<HostDnsFile>(&text).map_err(|e| bad(e.to_string()))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => HostDnsFile {
            a: None,
            aaaa: None,
            cname: None,
        },
        Err(e) => return Err(bad(e.to_string())),
    };
    if let Some(target) = spec.cname {
        if spec.a.is_some() || spec.aaaa.is_some() {
            return Err(bad("`cname` excludes `a` and `aaaa`".to_string()));
        }
        return Ok(vec![DnsRecord::Cname(host.to_string(), target)]);
    }
    let a = spec.a.unwrap_or_else(|| vec![Ipv4Addr::LOCALHOST]);
    let aaaa = spec.aaaa.unwrap_or_else(|| {
        if v6 {
            vec![Ipv6Addr::LOCALHOST]
        } else {
            Vec::new()
        }
    });
    let mut records = Vec::with_capacity(a.len() + aaaa.len());
    records.extend(
        aaaa.into_iter()
            .map(|ip| DnsRecord::Aaaa(host.to_string(), ip)),
    );
    records.extend(a.into_iter().map(|ip| DnsRecord::A(host.to_string(), ip)));
    Ok(records)
}

/// The DNS records of every host directory of `root` ([`site_hosts`]), as
/// [`host_dns_records`] gives them; `v6` says whether the default includes AAAA ::1.
pub fn site_dns_records(root: &Path, v6: bool) -> io::Result<Vec<DnsRecord>> {
    let mut records = Vec::new();
    for host in site_hosts(root)? {
        records.extend(host_dns_records(root, &host, v6)?);
    }
    Ok(records)
}

/// A fixture HTTP server plus a DNS server resolving every fixture host to it.
#[derive(Debug)]
pub struct TestNet {
    /// The fixture HTTP server.
    pub http: FixtureServer,
    /// The DNS server: every host directory → A 127.0.0.1 (and AAAA ::1 if the HTTP
    /// server has v6), or the records of its `_dns.toml` ([`host_dns_records`]).
    pub dns: DnsServer,
}

impl TestNet {
    /// Starts both servers for the sites under `root`.
    pub async fn start(root: impl Into<PathBuf>) -> io::Result<TestNet> {
        Self::start_with(root, Vec::new()).await
    }

    /// Like [`start`](Self::start), the HTTP server on the fixed `port` ([`FixtureServer::start_on`]).
    pub async fn start_on(root: impl Into<PathBuf>, port: u16) -> io::Result<TestNet> {
        let http = FixtureServer::start_on(root, port).await?;
        Self::with_server(http, Vec::new()).await
    }

    /// Like [`start`](Self::start), with `extra` records added to the DNS server.
    pub async fn start_with(
        root: impl Into<PathBuf>,
        extra: Vec<DnsRecord>,
    ) -> io::Result<TestNet> {
        let http = FixtureServer::start(root).await?;
        Self::with_server(http, extra).await
    }

    /// Starts a DNS server for an already started HTTP server (e.g. one from
    /// [`FixtureServer::start_v4_only`]): the records of [`site_dns_records`] for its
    /// root (AAAA ::1 by default only if it has v6), then `extra`.
    pub async fn with_server(http: FixtureServer, extra: Vec<DnsRecord>) -> io::Result<TestNet> {
        let mut records = site_dns_records(http.root(), http.has_v6())?;
        records.extend(extra);
        let dns = DnsServer::start(records).await?;
        Ok(TestNet { http, dns })
    }
}
