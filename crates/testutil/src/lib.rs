//! Test utilities for govwatch: a fixture HTTP server and a test DNS server.
//!
//! This crate is a normal library (not test-only): every test uses it, and so do
//! `govwatch demo` and the benchmark, which crawl the fixture sites under
//! `fixtures/sites/` instead of the internet.
//!
//! - [`FixtureServer`] ([`http`] module): a hand-written HTTP/1.1 server that serves
//!   `root/<host>/<path>` on 127.0.0.1 and [::1] (same port), routed by the `Host`
//!   header, with `{{PORT}}` substitution, per-host `_server.toml` routes, routes
//!   added at run time, fault injection ([`Fault`]) and a request log
//!   ([`LoggedRequest`]).
//! - [`DnsServer`] ([`dns`] module): an authoritative DNS server (UDP+TCP on
//!   127.0.0.1) holding [`DnsRecord`]s, so resolvers used by the crawler and the
//!   probes can be pointed at fixture names.
//! - [`TestNet`]: both together, with an A (and AAAA) record for every host
//!   directory of the fixture root.

pub mod dns;
pub mod fixtures;
pub mod http;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

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

/// A fixture HTTP server plus a DNS server resolving every fixture host to it.
#[derive(Debug)]
pub struct TestNet {
    /// The fixture HTTP server.
    pub http: FixtureServer,
    /// The DNS server: every host directory → A 127.0.0.1 (and AAAA ::1 if the HTTP server has v6).
    pub dns: DnsServer,
}

impl TestNet {
    /// Starts both servers for the sites under `root`.
    pub async fn start(root: impl Into<PathBuf>) -> io::Result<TestNet> {
        Self::start_with(root, Vec::new()).await
    }

    /// Like [`start`](Self::start), with `extra` records added to the DNS server.
    pub async fn start_with(
        root: impl Into<PathBuf>,
        extra: Vec<DnsRecord>,
    ) -> io::Result<TestNet> {
        let root = root.into();
        let hosts = site_hosts(&root)?;
        let http = FixtureServer::start(root).await?;
        let mut records = Vec::with_capacity(hosts.len() * 2 + extra.len());
        for host in hosts {
            if http.has_v6() {
                records.push(DnsRecord::Aaaa(host.clone(), Ipv6Addr::LOCALHOST));
            }
            records.push(DnsRecord::A(host, Ipv4Addr::LOCALHOST));
        }
        records.extend(extra);
        let dns = DnsServer::start(records).await?;
        Ok(TestNet { http, dns })
    }
}
