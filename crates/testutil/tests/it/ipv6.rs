//! Tests of the IPv6 knobs: v4-only fixture server, `_v6/` overlay, `family` routes
//! and faults, DNS on [::1], synthesized name servers with AAAA, `_dns.toml`.
//!
//! Tests that need the IPv6 loopback skip themselves (with a note on stderr) when
//! the host has none.

use crate::common::{resolver, write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use govwatch_testutil::{DnsRecord, DnsServer, Fault, FixtureServer, TestNet};
use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::{RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Upper bound for any single network operation in these tests (never reached normally).
const LIMIT: Duration = Duration::from_secs(20);

const HOST: &str = "www.a.gov.test";

/// True if this host can bind the IPv6 loopback.
fn ipv6_available() -> bool {
    let ok = std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok();
    if !ok {
        eprintln!("IPv6 loopback unavailable; IPv6 checks skipped");
    }
    ok
}

#[derive(Debug)]
struct Resp {
    status: u16,
    content_type: Option<String>,
    body: String,
}

/// `GET path` with `Connection: close` on a fresh connection to `addr`; `None` if the
/// connection was reset or closed without an answer.
async fn try_get(addr: SocketAddr, path: &str) -> Option<Resp> {
    tokio::time::timeout(LIMIT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        if stream.read_to_end(&mut buf).await.is_err() || buf.is_empty() {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        let len = match parsed.parse(&buf).expect("valid response head") {
            httparse::Status::Complete(len) => len,
            httparse::Status::Partial => panic!("truncated response head"),
        };
        let content_type = parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-type"))
            .map(|h| String::from_utf8_lossy(h.value).into_owned());
        Some(Resp {
            status: parsed.code.unwrap(),
            content_type,
            body: String::from_utf8_lossy(&buf[len..]).into_owned(),
        })
    })
    .await
    .expect("request timed out")
}

async fn get(addr: SocketAddr, path: &str) -> Resp {
    try_get(addr, path)
        .await
        .unwrap_or_else(|| panic!("no answer from {addr} for {path}"))
}

/// (status, body) over IPv4 and over IPv6.
async fn both(server: &FixtureServer, path: &str) -> ((u16, String), (u16, String)) {
    let v4 = get(server.addr_v4(), path).await;
    let v6 = get(server.addr_v6().expect("v6"), path).await;
    ((v4.status, v4.body), (v6.status, v6.body))
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "www.a.gov.test/index.html", b"home v4 {{PORT}}");
    write(r, "www.a.gov.test/_v6/index.html", b"home v6 {{PORT}}");
    write(r, "www.a.gov.test/same.html", b"same on both");
    write(r, "www.a.gov.test/style.css", b"v4 css");
    write(r, "www.a.gov.test/_v6/style.css", b"v6 css");
    write(r, "www.a.gov.test/sub/index.html", b"sub v4");
    write(r, "www.a.gov.test/_v6/sub/index.html", b"sub v6");
    write(r, "www.a.gov.test/_v6/only-v6.html", b"only over v6");
    write(r, "www.a.gov.test/x.html", b"x file");
    write(
        r,
        "www.a.gov.test/_server.toml",
        br#"
[[route]]
path = "/down6.html"
status = 503
family = 6

[[route]]
path = "/fam.html"
body = "fam v4"
family = 4

[[route]]
path = "/fam.html"
body = "fam v6"
family = 6

[[route]]
path = "/x.html"
head_status = 405
"#,
    );
    write(r, "www.a.gov.test/down6.html", b"down6 file");
    dir
}

#[tokio::test]
async fn v4_only_server_refuses_on_ipv6() {
    let dir = site();
    let server = FixtureServer::start_v4_only(dir.path()).await.unwrap();
    assert!(!server.has_v6());
    assert_eq!(server.addr_v6(), None);
    let r = get(server.addr_v4(), "/same.html").await;
    assert_eq!((r.status, r.body.as_str()), (200, "same on both"));
    if !ipv6_available() {
        return;
    }
    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, server.port()));
    let err = TcpStream::connect(v6).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    // Nothing else can listen on [::1]:PORT while the server runs.
    let err = std::net::TcpListener::bind(v6).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    // Still refused after a few tries (no listener appears).
    for _ in 0..3 {
        assert!(TcpStream::connect(v6).await.is_err());
    }
}

#[tokio::test]
async fn v6_overlay_is_served_only_to_v6_peers() {
    if !ipv6_available() {
        return;
    }
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let port = server.port();
    let (v4, v6) = both(&server, "/").await;
    assert_eq!(v4, (200, format!("home v4 {port}")));
    assert_eq!(v6, (200, format!("home v6 {port}")));
    assert_eq!(
        both(&server, "/index.html").await.1,
        (200, format!("home v6 {port}"))
    );

    // Without an overlay file, both get the normal file.
    let (v4, v6) = both(&server, "/same.html").await;
    assert_eq!(v4, (200, "same on both".to_string()));
    assert_eq!(v6, v4);

    // Content types follow the served file's extension; index.html for a subdirectory.
    let r = get(server.addr_v6().unwrap(), "/style.css").await;
    assert_eq!(
        (r.status, r.content_type.as_deref(), r.body.as_str()),
        (200, Some("text/css"), "v6 css")
    );
    let (v4, v6) = both(&server, "/sub/").await;
    assert_eq!(v4, (200, "sub v4".to_string()));
    assert_eq!(v6, (200, "sub v6".to_string()));

    // A file only in the overlay exists only over v6.
    let (v4, v6) = both(&server, "/only-v6.html").await;
    assert_eq!((v4.0, v6), (404, (200, "only over v6".to_string())));

    // `_v6` is never served directly.
    for path in ["/_v6/index.html", "/_v6/only-v6.html", "/_v6/", "/_v6"] {
        let (v4, v6) = both(&server, path).await;
        assert_eq!((v4.0, v6.0), (404, 404), "{path}");
    }

    let log = server.requests();
    assert!(log.iter().any(|r| r.peer.is_ipv6()));
    assert!(log.iter().any(|r| r.peer.is_ipv4()));
}

#[tokio::test]
async fn server_toml_routes_can_be_family_restricted() {
    if !ipv6_available() {
        return;
    }
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let (v4, v6) = both(&server, "/down6.html").await;
    assert_eq!(v4, (200, "down6 file".to_string()));
    assert_eq!(v6.0, 503);
    let (v4, v6) = both(&server, "/fam.html").await;
    assert_eq!(v4, (200, "fam v4".to_string()));
    assert_eq!(v6, (200, "fam v6".to_string()));
    // Routes without family still apply to both.
    let (v4, v6) = both(&server, "/x.html").await;
    assert_eq!(v4, (200, "x file".to_string()));
    assert_eq!(v6, v4);

    // A family other than 4 or 6 makes the route file invalid.
    write(
        dir.path(),
        "www.a.gov.test/_server.toml",
        b"[[route]]\npath = \"/\"\nstatus = 503\nfamily = 5\n",
    );
    let r = get(server.addr_v4(), "/").await;
    assert_eq!(r.status, 500);
    assert!(r.body.contains("family must be 4 or 6"), "{}", r.body);
}

#[tokio::test]
async fn faults_can_target_one_family() {
    if !ipv6_available() {
        return;
    }
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    let v4 = server.addr_v4();
    let v6 = server.addr_v6().unwrap();

    server.set_fault_for_family(HOST, "/", 6, Fault::Status(503));
    assert_eq!(get(v4, "/same.html").await.status, 200);
    assert_eq!(get(v6, "/same.html").await.status, 503);

    // A fault for both families on the same prefix: the family one still wins on v6.
    server.set_fault(HOST, "/", Fault::Status(404));
    assert_eq!(get(v4, "/same.html").await.status, 404);
    assert_eq!(get(v6, "/same.html").await.status, 503);

    server.clear_fault_for_family(HOST, "/", 6);
    assert_eq!(get(v6, "/same.html").await.status, 404);
    server.clear_fault(HOST, "/");
    assert_eq!(get(v4, "/same.html").await.status, 200);
    assert_eq!(get(v6, "/same.html").await.status, 200);

    // A v4-only reset: v4 gets no answer, v6 is served.
    server.set_fault_for_family(HOST, "/same.html", 4, Fault::Reset);
    assert!(try_get(v4, "/same.html").await.is_none());
    assert_eq!(get(v6, "/same.html").await.body, "same on both");

    // clear_fault removes every family for the (host, prefix).
    server.set_fault_for_family(HOST, "/same.html", 6, Fault::Status(500));
    server.clear_fault(HOST, "/same.html");
    assert_eq!(both(&server, "/same.html").await.0.0, 200);
    assert_eq!(both(&server, "/same.html").await.1.0, 200);

    // FailTimes counts only the requests of its family.
    server.set_fault_for_family(
        HOST,
        "/same.html",
        6,
        Fault::FailTimes {
            times: 1,
            status: 502,
        },
    );
    assert_eq!(get(v4, "/same.html").await.status, 200);
    assert_eq!(get(v6, "/same.html").await.status, 502);
    assert_eq!(get(v6, "/same.html").await.status, 200);
}

#[tokio::test]
#[should_panic(expected = "must be 4 or 6")]
async fn fault_family_must_be_4_or_6() {
    let dir = site();
    let server = FixtureServer::start(dir.path()).await.unwrap();
    server.set_fault_for_family(HOST, "/", 5, Fault::Status(500));
}

/// The record data of the answers for (name, type), sorted by their text form.
async fn answers(r: &TokioResolver, name: &str, rtype: RecordType) -> Vec<RData> {
    let mut v: Vec<RData> = r
        .lookup(name, rtype)
        .await
        .unwrap_or_else(|e| panic!("{name} {rtype}: {e}"))
        .answers()
        .iter()
        .map(|rec| rec.data.clone())
        .collect();
    v.sort_by_key(|d| d.to_string());
    v
}

fn ns_hosts(data: &[RData]) -> Vec<String> {
    data.iter()
        .filter_map(|d| match d {
            RData::NS(n) => Some(n.0.to_ascii()),
            _ => None,
        })
        .collect()
}

fn aaaa(data: &[RData]) -> Vec<Ipv6Addr> {
    data.iter()
        .filter_map(|d| match d {
            RData::AAAA(a) => Some(a.0),
            _ => None,
        })
        .collect()
}

fn a(data: &[RData]) -> Vec<Ipv4Addr> {
    data.iter()
        .filter_map(|d| match d {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn dns_answers_on_ipv6_loopback() {
    let dns = DnsServer::start(vec![DnsRecord::A(HOST.into(), Ipv4Addr::LOCALHOST)])
        .await
        .unwrap();
    if !ipv6_available() {
        assert_eq!(dns.addr_v6(), None);
        return;
    }
    assert!(dns.has_v6());
    let v6 = dns.addr_v6().expect("DNS on [::1]");
    assert_eq!(v6.ip(), IpAddr::from(Ipv6Addr::LOCALHOST));
    assert_eq!(v6.port(), dns.addr().port());
    for tcp in [false, true] {
        let r = resolver(v6, tcp);
        let got = answers(&r, "www.a.gov.test.", RecordType::A).await;
        assert_eq!(a(&got), vec![Ipv4Addr::LOCALHOST], "tcp={tcp}");
    }
}

#[tokio::test]
async fn zones_get_two_name_servers_with_aaaa() {
    let dns = DnsServer::start(vec![
        DnsRecord::A(HOST.into(), Ipv4Addr::LOCALHOST),
        DnsRecord::Ns("cn".into(), "ns1.example.cn".into()),
        DnsRecord::Ns("cn".into(), "ns2.example.cn".into()),
        DnsRecord::A("ns1.example.cn".into(), Ipv4Addr::new(127, 0, 0, 53)),
        DnsRecord::Aaaa("ns2.example.cn".into(), "2001:db8::53".parse().unwrap()),
    ])
    .await
    .unwrap();
    let v6 = dns.has_v6();
    assert_eq!(v6, ipv6_available());
    let mut servers = vec![dns.addr()];
    servers.extend(dns.addr_v6());
    for addr in servers {
        let r = resolver(addr, false);
        let ns = answers(&r, "test.", RecordType::NS).await;
        assert_eq!(
            ns_hosts(&ns),
            vec!["ns1.fixture-dns.test.", "ns2.fixture-dns.test."]
        );
        for host in ["ns1.fixture-dns.test.", "ns2.fixture-dns.test."] {
            assert_eq!(
                a(&answers(&r, host, RecordType::A).await),
                vec![Ipv4Addr::LOCALHOST]
            );
            if v6 {
                assert_eq!(
                    aaaa(&answers(&r, host, RecordType::AAAA).await),
                    vec![Ipv6Addr::LOCALHOST]
                );
            }
        }
        let soa = answers(&r, "test.", RecordType::SOA).await;
        match &soa[0] {
            RData::SOA(s) => assert_eq!(s.mname.to_ascii(), "ns1.fixture-dns.test."),
            other => panic!("not a SOA: {other:?}"),
        }

        // Given NS records replace the synthesized ones; their addresses are as given.
        let ns = answers(&r, "cn.", RecordType::NS).await;
        assert_eq!(ns_hosts(&ns), vec!["ns1.example.cn.", "ns2.example.cn."]);
        assert_eq!(
            a(&answers(&r, "ns1.example.cn.", RecordType::A).await),
            vec![Ipv4Addr::new(127, 0, 0, 53)]
        );
        let err = r
            .lookup("ns1.example.cn.", RecordType::AAAA)
            .await
            .unwrap_err();
        assert!(err.is_no_records_found() && !err.is_nx_domain(), "{err:?}");
        assert_eq!(
            aaaa(&answers(&r, "ns2.example.cn.", RecordType::AAAA).await),
            vec!["2001:db8::53".parse::<Ipv6Addr>().unwrap()]
        );
        let err = r
            .lookup("ns1.fixture-dns.cn.", RecordType::A)
            .await
            .unwrap_err();
        assert!(err.is_nx_domain(), "{err:?}");
    }

    // A zone created at run time gets the two name servers too.
    dns.add(DnsRecord::A("www.new.org".into(), Ipv4Addr::LOCALHOST))
        .await
        .unwrap();
    let r = resolver(dns.addr(), true);
    let ns = answers(&r, "org.", RecordType::NS).await;
    assert_eq!(
        ns_hosts(&ns),
        vec!["ns1.fixture-dns.org.", "ns2.fixture-dns.org."]
    );
    if v6 {
        assert_eq!(
            aaaa(&answers(&r, "ns2.fixture-dns.org.", RecordType::AAAA).await),
            vec![Ipv6Addr::LOCALHOST]
        );
    }
}

/// Sites with and without `_dns.toml`.
fn dns_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "www.plain.gov.test/index.html", b"plain");
    write(r, "www.noaaaa.gov.test/index.html", b"no aaaa");
    write(r, "www.noaaaa.gov.test/_dns.toml", b"aaaa = []\n");
    write(r, "www.alias.gov.test/index.html", b"alias");
    write(
        r,
        "www.alias.gov.test/_dns.toml",
        b"cname = \"www.plain.gov.test\"\n",
    );
    write(r, "www.mapped.gov.test/index.html", b"mapped");
    write(
        r,
        "www.mapped.gov.test/_dns.toml",
        b"# a v4-mapped and a documentation address\n\
          a = [\"127.0.0.2\", \"127.0.0.3\"]\n\
          aaaa = [\"::ffff:127.0.0.1\", \"2001:db8::1\"]\n",
    );
    dir
}

#[tokio::test]
async fn dns_toml_sets_the_records_of_a_host() {
    let dir = dns_site();
    let net = TestNet::start(dir.path()).await.unwrap();
    let v6 = net.http.has_v6();
    let r = resolver(net.dns.addr(), false);

    // No _dns.toml: the defaults.
    assert_eq!(
        a(&answers(&r, "www.plain.gov.test.", RecordType::A).await),
        vec![Ipv4Addr::LOCALHOST]
    );
    if v6 {
        assert_eq!(
            aaaa(&answers(&r, "www.plain.gov.test.", RecordType::AAAA).await),
            vec![Ipv6Addr::LOCALHOST]
        );
    }

    // aaaa = []: A as default, no AAAA (the name exists, so not NXDOMAIN).
    assert_eq!(
        a(&answers(&r, "www.noaaaa.gov.test.", RecordType::A).await),
        vec![Ipv4Addr::LOCALHOST]
    );
    let err = r
        .lookup("www.noaaaa.gov.test.", RecordType::AAAA)
        .await
        .unwrap_err();
    assert!(err.is_no_records_found() && !err.is_nx_domain(), "{err:?}");

    // cname: the answer is the chain, then the target's records.
    let lookup = r
        .lookup("www.alias.gov.test.", RecordType::A)
        .await
        .unwrap();
    let chain: Vec<String> = lookup
        .answers()
        .iter()
        .map(|rec| format!("{} {}", rec.record_type(), rec.data))
        .collect();
    assert_eq!(
        chain,
        vec![
            "CNAME www.plain.gov.test.".to_string(),
            "A 127.0.0.1".to_string()
        ]
    );
    if v6 {
        let got = answers(&r, "www.alias.gov.test.", RecordType::AAAA).await;
        assert_eq!(aaaa(&got), vec![Ipv6Addr::LOCALHOST]);
        assert!(got.iter().any(|d| matches!(d, RData::CNAME(_))), "{got:?}");
    }

    // Addresses come back exactly as given, v4-mapped included.
    assert_eq!(
        a(&answers(&r, "www.mapped.gov.test.", RecordType::A).await),
        vec![Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::new(127, 0, 0, 3)]
    );
    let mut got = aaaa(&answers(&r, "www.mapped.gov.test.", RecordType::AAAA).await);
    got.sort();
    let mut want: Vec<Ipv6Addr> = vec![
        "::ffff:127.0.0.1".parse().unwrap(),
        "2001:db8::1".parse().unwrap(),
    ];
    want.sort();
    assert_eq!(got, want);

    // The file itself is not served over HTTP.
    let r = get(net.http.addr_v4(), "/_dns.toml").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn dns_toml_errors_name_the_file() {
    for (text, needle) in [
        ("aaaa = []\nmx = \"x\"\n", "mx"),
        ("cname = \"x.gov.test\"\na = [\"127.0.0.1\"]\n", "cname"),
        ("a = [\"not an ip\"]\n", "a"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "www.bad.gov.test/index.html", b"bad");
        write(dir.path(), "www.bad.gov.test/_dns.toml", text.as_bytes());
        let err = TestNet::start(dir.path()).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        let msg = err.to_string();
        let file = dir.path().join("www.bad.gov.test").join("_dns.toml");
        assert!(msg.contains(&file.display().to_string()), "{msg}");
        assert!(msg.contains(needle), "{msg}");
    }
}

#[tokio::test]
async fn testnet_with_a_v4_only_server() {
    let dir = dns_site();
    write(
        dir.path(),
        "www.dual.gov.test/_dns.toml",
        b"aaaa = [\"::1\"]\n",
    );
    let http = FixtureServer::start_v4_only(dir.path()).await.unwrap();
    let extra = vec![DnsRecord::A(
        "extra.gov.test".into(),
        Ipv4Addr::new(127, 0, 0, 7),
    )];
    let net = TestNet::with_server(http, extra).await.unwrap();
    let r = resolver(net.dns.addr(), false);
    // The default has no AAAA for a v4-only server...
    let err = r
        .lookup("www.plain.gov.test.", RecordType::AAAA)
        .await
        .unwrap_err();
    assert!(err.is_no_records_found(), "{err:?}");
    // ...but _dns.toml can announce one that nothing answers on.
    assert_eq!(
        aaaa(&answers(&r, "www.dual.gov.test.", RecordType::AAAA).await),
        vec![Ipv6Addr::LOCALHOST]
    );
    assert_eq!(
        a(&answers(&r, "extra.gov.test.", RecordType::A).await),
        vec![Ipv4Addr::new(127, 0, 0, 7)]
    );
}
