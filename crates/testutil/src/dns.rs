//! Test DNS server.
//!
//! An authoritative DNS server (hickory-server with in-memory zones) on
//! `127.0.0.1:P` and `[::1]:P` (when IPv6 works), UDP and TCP on the same port,
//! holding the records a test gives it. Tests and the demo point a resolver at
//! [`DnsServer::addr`] (or [`DnsServer::addr_v6`]) so that the
//! fixture host names (`www.example.gov.test`, ...) resolve to the loopback
//! fixture HTTP server, and so that DNS probes (A/AAAA/CNAME/NS, NXDOMAIN) can be
//! checked without the internet.
//!
//! Zones: one per distinct last label of the record names (`test.`, `cn.`, ...),
//! each with a synthesized SOA and, unless a [`DnsRecord::Ns`] is given for the
//! zone apex, two synthesized name servers `ns1.fixture-dns.<zone>` and
//! `ns2.fixture-dns.<zone>`, each with A 127.0.0.1 and (when the server listens on
//! `[::1]`) AAAA ::1. When NS records are given for the apex, only those are served
//! and their addresses are whatever A/AAAA records were given for them. Names
//! inside a zone without records answer NXDOMAIN, names outside
//! every zone REFUSED; A/AAAA queries for a CNAME name get the chain and the
//! target's records in the same answer (when the target is in the same zone).

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::rr::rdata::{A, AAAA, CNAME, NS, SOA};
use hickory_proto::rr::{LowerName, Name, RData, Record};
use hickory_server::Server;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::RwLock;

/// TTL of the records the server answers.
const RECORD_TTL: u32 = 60;
/// SOA minimum, i.e. how long resolvers cache negative answers.
const NEGATIVE_TTL: u32 = 5;
/// Serial of every synthesized SOA.
const SERIAL: u32 = 1;
/// Labels prepended to the zone to name the synthesized name servers.
const NS_LABELS: [&str; 2] = ["ns1.fixture-dns", "ns2.fixture-dns"];
/// How many times `start` tries to find a port free for UDP+TCP on 127.0.0.1 and [::1].
const BIND_ATTEMPTS: usize = 20;

/// One record for the test DNS server; names are plain host names (no trailing dot needed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DnsRecord {
    /// `name A addr`.
    A(String, Ipv4Addr),
    /// `name AAAA addr`.
    Aaaa(String, Ipv6Addr),
    /// `name CNAME target`.
    Cname(String, String),
    /// `zone NS ns-host`.
    Ns(String, String),
}

impl DnsRecord {
    /// The owner name of the record.
    pub fn name(&self) -> &str {
        match self {
            DnsRecord::A(n, _)
            | DnsRecord::Aaaa(n, _)
            | DnsRecord::Cname(n, _)
            | DnsRecord::Ns(n, _) => n,
        }
    }

    fn to_record(&self) -> io::Result<Record> {
        let name = parse_name(self.name())?;
        let data = match self {
            DnsRecord::A(_, ip) => RData::A(A(*ip)),
            DnsRecord::Aaaa(_, ip) => RData::AAAA(AAAA(*ip)),
            DnsRecord::Cname(_, target) => RData::CNAME(CNAME(parse_name(target)?)),
            DnsRecord::Ns(_, host) => RData::NS(NS(parse_name(host)?)),
        };
        Ok(Record::from_rdata(name, RECORD_TTL, data))
    }
}

/// A catalog that can gain zones while the server runs.
struct SharedCatalog(Arc<RwLock<Catalog>>);

#[async_trait::async_trait]
impl RequestHandler for SharedCatalog {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        let catalog = self.0.read().await;
        catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

/// The test DNS server; see the module docs. Dropping it stops it.
pub struct DnsServer {
    addr: SocketAddr,
    addr_v6: Option<SocketAddr>,
    catalog: Arc<RwLock<Catalog>>,
    zones: Mutex<HashMap<LowerName, Arc<InMemoryZoneHandler<TokioRuntimeProvider>>>>,
    server: Server<SharedCatalog>,
}

impl DnsServer {
    /// Starts a server on 127.0.0.1 and, if IPv6 works, [::1] (UDP and TCP, the same
    /// random port on all four) answering `records`.
    pub async fn start(records: Vec<DnsRecord>) -> io::Result<DnsServer> {
        let (udp, tcp, v6) = bind_sockets().await?;
        let addr = udp.local_addr()?;
        let addr_v6 = match &v6 {
            Some((udp6, _)) => Some(udp6.local_addr()?),
            None => None,
        };
        let has_v6 = addr_v6.is_some();

        let mut by_zone: HashMap<String, Vec<Record>> = HashMap::new();
        // Zone -> the first NS host given for its apex.
        let mut apex_ns: HashMap<String, String> = HashMap::new();
        for rec in &records {
            let zone = zone_of(rec.name())?;
            if let DnsRecord::Ns(name, host) = rec
                && normalize(name) == zone
            {
                apex_ns.entry(zone.clone()).or_insert_with(|| host.clone());
            }
            by_zone.entry(zone).or_default().push(rec.to_record()?);
        }

        let mut catalog = Catalog::new();
        let mut zones = HashMap::new();
        for (zone, recs) in by_zone {
            let ns = match apex_ns.get(&zone) {
                Some(host) => ZoneNs::Given(parse_name(host)?),
                None => ZoneNs::Synthesized { v6: has_v6 },
            };
            let mut handler = new_zone(&zone, ns)?;
            for r in recs {
                let desc = r.to_string();
                if !handler.upsert_mut(r, SERIAL) {
                    return Err(invalid(format!("record rejected by zone {zone}: {desc}")));
                }
            }
            let origin = LowerName::new(&parse_name(&zone)?);
            let handler = Arc::new(handler);
            catalog.upsert(
                origin.clone(),
                vec![handler.clone() as Arc<dyn ZoneHandler>],
            );
            zones.insert(origin, handler);
        }

        let catalog = Arc::new(RwLock::new(catalog));
        let mut server = Server::new(SharedCatalog(catalog.clone()));
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 32);
        if let Some((udp6, tcp6)) = v6 {
            server.register_socket(udp6);
            server.register_listener(tcp6, Duration::from_secs(5), 32);
        }
        tracing::debug!(%addr, ?addr_v6, "test DNS server started");
        Ok(DnsServer {
            addr,
            addr_v6,
            catalog,
            zones: Mutex::new(zones),
            server,
        })
    }

    /// The address (127.0.0.1:port) the server answers on, over UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The IPv6 address ([::1]:port, the same port as [`addr`](Self::addr)) the server
    /// answers on over UDP and TCP; `None` if IPv6 was unavailable.
    pub fn addr_v6(&self) -> Option<SocketAddr> {
        self.addr_v6
    }

    /// Whether the server also answers on [::1] (then the synthesized name servers have AAAA ::1).
    pub fn has_v6(&self) -> bool {
        self.addr_v6.is_some()
    }

    /// Adds a record while the server runs (creating its zone if needed).
    pub async fn add(&self, rec: DnsRecord) -> io::Result<()> {
        let zone = zone_of(rec.name())?;
        let origin = LowerName::new(&parse_name(&zone)?);
        let record = rec.to_record()?;
        let existing = self
            .zones
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&origin)
            .cloned();
        let handler = match existing {
            Some(h) => h,
            None => {
                let ns = match &rec {
                    DnsRecord::Ns(n, host) if normalize(n) == zone => {
                        ZoneNs::Given(parse_name(host)?)
                    }
                    _ => ZoneNs::Synthesized { v6: self.has_v6() },
                };
                let h = Arc::new(new_zone(&zone, ns)?);
                let mut catalog = self.catalog.write().await;
                // Re-check under the catalog lock: another add may have created it.
                let h = {
                    let mut zones = self.zones.lock().unwrap_or_else(|e| e.into_inner());
                    zones.entry(origin.clone()).or_insert(h).clone()
                };
                catalog.upsert(origin, vec![h.clone() as Arc<dyn ZoneHandler>]);
                h
            }
        };
        let desc = record.to_string();
        if handler.upsert(record, SERIAL).await {
            Ok(())
        } else {
            Err(invalid(format!("record rejected by zone {zone}: {desc}")))
        }
    }

    /// Stops the server (also done on drop).
    pub fn shutdown(&self) {
        self.server.shutdown_token().cancel();
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for DnsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsServer")
            .field("addr", &self.addr)
            .field("addr_v6", &self.addr_v6)
            .finish()
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Lowercase, no trailing dot.
fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The zone (last label, no trailing dot) a name belongs to.
fn zone_of(name: &str) -> io::Result<String> {
    let n = normalize(name);
    match n.rsplit('.').next() {
        Some(last) if !last.is_empty() => Ok(last.to_string()),
        _ => Err(invalid(format!("bad DNS name {name:?}"))),
    }
}

/// A fully qualified [`Name`] from a plain host name.
fn parse_name(name: &str) -> io::Result<Name> {
    let n = normalize(name);
    Name::from_ascii(format!("{n}.")).map_err(|e| invalid(format!("bad DNS name {name:?}: {e}")))
}

/// The name servers of a new zone.
enum ZoneNs {
    /// `ns1`/`ns2.fixture-dns.<zone>` with A 127.0.0.1 and, if `v6`, AAAA ::1.
    Synthesized { v6: bool },
    /// NS records are given by the caller; this one is the SOA's primary server.
    Given(Name),
}

/// An empty primary zone with its SOA and, for [`ZoneNs::Synthesized`], its two
/// name servers (NS records plus their A/AAAA).
fn new_zone(zone: &str, ns: ZoneNs) -> io::Result<InMemoryZoneHandler<TokioRuntimeProvider>> {
    let origin = parse_name(zone)?;
    let synth_hosts = NS_LABELS
        .iter()
        .map(|label| parse_name(&format!("{label}.{zone}")))
        .collect::<io::Result<Vec<Name>>>()?;
    let mname = match &ns {
        ZoneNs::Given(host) => host.clone(),
        ZoneNs::Synthesized { .. } => synth_hosts[0].clone(),
    };
    let hostmaster = parse_name(&format!("hostmaster.{zone}"))?;
    let mut handler = InMemoryZoneHandler::<TokioRuntimeProvider>::empty(
        origin.clone(),
        ZoneType::Primary,
        AxfrPolicy::Deny,
    );
    let soa = SOA::new(mname, hostmaster, SERIAL, 3600, 600, 86400, NEGATIVE_TTL);
    let mut ok = handler.upsert_mut(
        Record::from_rdata(origin.clone(), RECORD_TTL, RData::SOA(soa)),
        SERIAL,
    );
    if let ZoneNs::Synthesized { v6 } = ns {
        for host in synth_hosts {
            ok &= handler.upsert_mut(
                Record::from_rdata(origin.clone(), RECORD_TTL, RData::NS(NS(host.clone()))),
                SERIAL,
            );
            ok &= handler.upsert_mut(
                Record::from_rdata(host.clone(), RECORD_TTL, RData::A(A(Ipv4Addr::LOCALHOST))),
                SERIAL,
            );
            if v6 {
                ok &= handler.upsert_mut(
                    Record::from_rdata(host, RECORD_TTL, RData::AAAA(AAAA(Ipv6Addr::LOCALHOST))),
                    SERIAL,
                );
            }
        }
    }
    if ok {
        Ok(handler)
    } else {
        Err(invalid(format!("could not build zone {zone}")))
    }
}

type V6Sockets = Option<(UdpSocket, TcpListener)>;

/// Binds UDP+TCP on 127.0.0.1:P and, if IPv6 works, UDP+TCP on [::1]:P (same port P).
///
/// A port taken on [::1] means another try with a new port ([`BIND_ATTEMPTS`] in all);
/// IPv6 unavailable (or no such port found) means v4 only.
async fn bind_sockets() -> io::Result<(UdpSocket, TcpListener, V6Sockets)> {
    for _ in 0..BIND_ATTEMPTS {
        let (udp, tcp) = bind_v4().await?;
        let port = udp.local_addr()?.port();
        let v6 = async {
            let udp6 = UdpSocket::bind((Ipv6Addr::LOCALHOST, port)).await?;
            let tcp6 = TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await?;
            io::Result::Ok((udp6, tcp6))
        };
        match v6.await {
            Ok(pair) => return Ok((udp, tcp, Some(pair))),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(e) => {
                tracing::info!(error = %e, "IPv6 loopback unavailable; test DNS runs v4-only");
                return Ok((udp, tcp, None));
            }
        }
    }
    tracing::warn!("no port free on both 127.0.0.1 and [::1]; test DNS runs v4-only");
    let (udp, tcp) = bind_v4().await?;
    Ok((udp, tcp, None))
}

/// Binds UDP 127.0.0.1:P and TCP 127.0.0.1:P on the same random port.
async fn bind_v4() -> io::Result<(UdpSocket, TcpListener)> {
    let mut last_err = None;
    for _ in 0..BIND_ATTEMPTS {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = udp.local_addr()?.port();
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no free port for DNS")))
}
