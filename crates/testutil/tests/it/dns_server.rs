//! Tests of the test DNS server with hickory-resolver, and of TestNet.

use crate::common::resolver;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use govwatch_testutil::{DnsRecord, DnsServer, TestNet};
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};

fn records() -> Vec<DnsRecord> {
    vec![
        DnsRecord::A("www.a.gov.test".into(), Ipv4Addr::new(127, 0, 0, 1)),
        DnsRecord::Aaaa("www.a.gov.test".into(), Ipv6Addr::LOCALHOST),
        DnsRecord::A("multi.gov.test".into(), Ipv4Addr::new(127, 0, 0, 2)),
        DnsRecord::A("multi.gov.test".into(), Ipv4Addr::new(127, 0, 0, 3)),
        DnsRecord::Cname("alias.a.gov.test".into(), "mid.a.gov.test".into()),
        DnsRecord::Cname("mid.a.gov.test".into(), "www.a.gov.test.".into()),
        DnsRecord::A("WWW.Example.CN".into(), Ipv4Addr::new(127, 0, 0, 9)),
        DnsRecord::Ns("cn".into(), "ns1.example.cn".into()),
    ]
}

fn ips(lookup: &hickory_resolver::lookup_ip::LookupIp) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = lookup.iter().collect();
    v.sort();
    v
}

#[tokio::test]
async fn resolves_a_aaaa_cname_and_nxdomain() {
    let dns = DnsServer::start(records()).await.unwrap();
    assert!(dns.addr().ip().is_loopback());
    for tcp in [false, true] {
        let r = resolver(dns.addr(), tcp);

        let got = r.lookup_ip("www.a.gov.test").await.unwrap();
        assert_eq!(
            ips(&got),
            vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::from(Ipv6Addr::LOCALHOST)
            ]
        );

        let got = r.lookup_ip("multi.gov.test.").await.unwrap();
        assert_eq!(
            ips(&got),
            vec![IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 3])]
        );

        // Case-insensitive names.
        let got = r.lookup_ip("www.example.cn").await.unwrap();
        assert_eq!(ips(&got), vec![IpAddr::from([127, 0, 0, 9])]);

        // A CNAME chain comes back in one answer: alias -> mid -> www -> A.
        let a = r.lookup("alias.a.gov.test.", RecordType::A).await.unwrap();
        let types: Vec<RecordType> = a.answers().iter().map(|rec| rec.record_type()).collect();
        assert_eq!(
            types,
            vec![RecordType::CNAME, RecordType::CNAME, RecordType::A],
            "{:?}",
            a.answers()
        );
        let got = r.lookup_ip("alias.a.gov.test").await.unwrap();
        assert!(ips(&got).contains(&IpAddr::from([127, 0, 0, 1])));

        let c = r
            .lookup("alias.a.gov.test.", RecordType::CNAME)
            .await
            .unwrap();
        match &c.answers()[0].data {
            RData::CNAME(t) => assert_eq!(t.0.to_ascii(), "mid.a.gov.test."),
            other => panic!("not a CNAME: {other:?}"),
        }

        // Names in a zone without records: NXDOMAIN.
        let err = r.lookup_ip("nx.a.gov.test").await.unwrap_err();
        assert!(err.is_nx_domain(), "{err:?}");
        // Existing name without that type: no records, but not NXDOMAIN.
        let err = r
            .lookup("multi.gov.test.", RecordType::AAAA)
            .await
            .unwrap_err();
        assert!(err.is_no_records_found() && !err.is_nx_domain(), "{err:?}");
        // Outside every zone: REFUSED (an error, never an answer).
        let err = r.lookup_ip("www.example.com").await.unwrap_err();
        assert!(
            matches!(
                err,
                NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused))
            ),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn zones_have_soa_and_ns() {
    let dns = DnsServer::start(records()).await.unwrap();
    let r = resolver(dns.addr(), false);
    let soa = r.lookup("test.", RecordType::SOA).await.unwrap();
    assert_eq!(soa.answers().len(), 1);
    // Two synthesized name servers for `test.`.
    let ns = r.lookup("test.", RecordType::NS).await.unwrap();
    let mut hosts: Vec<String> = ns
        .answers()
        .iter()
        .filter_map(|rec| match &rec.data {
            RData::NS(n) => Some(n.0.to_ascii()),
            _ => None,
        })
        .collect();
    hosts.sort();
    assert_eq!(
        hosts,
        vec!["ns1.fixture-dns.test.", "ns2.fixture-dns.test."]
    );
    // Given NS for `cn.` replaces the synthesized one.
    let ns = r.lookup("cn.", RecordType::NS).await.unwrap();
    let hosts: Vec<String> = ns
        .answers()
        .iter()
        .filter_map(|rec| match &rec.data {
            RData::NS(n) => Some(n.0.to_ascii()),
            _ => None,
        })
        .collect();
    assert_eq!(hosts, vec!["ns1.example.cn.".to_string()]);
}

#[tokio::test]
async fn add_records_at_run_time() {
    let dns = DnsServer::start(records()).await.unwrap();
    dns.add(DnsRecord::A(
        "late.a.gov.test".into(),
        Ipv4Addr::new(127, 0, 0, 5),
    ))
    .await
    .unwrap();
    // A brand new zone too.
    dns.add(DnsRecord::A(
        "www.new.org".into(),
        Ipv4Addr::new(127, 0, 0, 6),
    ))
    .await
    .unwrap();
    let r = resolver(dns.addr(), false);
    assert_eq!(
        ips(&r.lookup_ip("late.a.gov.test").await.unwrap()),
        vec![IpAddr::from([127, 0, 0, 5])]
    );
    assert_eq!(
        ips(&r.lookup_ip("www.new.org").await.unwrap()),
        vec![IpAddr::from([127, 0, 0, 6])]
    );
    // A CNAME cannot share a name with other records.
    let err = dns
        .add(DnsRecord::Cname("www.new.org".into(), "x.new.org".into()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        dns.add(DnsRecord::A("bad..name".into(), Ipv4Addr::LOCALHOST))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn testnet_resolves_site_dirs_to_loopback() {
    let dir = tempfile::tempdir().unwrap();
    for host in ["www.a.gov.test", "www.b.gov.test"] {
        std::fs::create_dir_all(dir.path().join(host)).unwrap();
        std::fs::write(dir.path().join(host).join("index.html"), host).unwrap();
    }
    std::fs::write(dir.path().join("README.txt"), "not a host").unwrap();
    let extra = vec![DnsRecord::Cname(
        "alias.gov.test".into(),
        "www.b.gov.test".into(),
    )];
    let net = TestNet::start_with(dir.path(), extra).await.unwrap();
    let r = resolver(net.dns.addr(), false);
    let mut want = vec![IpAddr::from([127, 0, 0, 1])];
    if net.http.has_v6() {
        want.push(IpAddr::from(Ipv6Addr::LOCALHOST));
    }
    assert_eq!(ips(&r.lookup_ip("www.a.gov.test").await.unwrap()), want);
    assert_eq!(ips(&r.lookup_ip("alias.gov.test").await.unwrap()), want);
    assert!(
        r.lookup_ip("www.c.gov.test")
            .await
            .unwrap_err()
            .is_nx_domain()
    );

    let plain = TestNet::start(dir.path()).await.unwrap();
    let r = resolver(plain.dns.addr(), false);
    assert_eq!(ips(&r.lookup_ip("www.b.gov.test").await.unwrap()), want);
}

#[test]
fn paths_point_into_the_workspace() {
    let root = govwatch_testutil::workspace_root();
    assert!(root.join("Cargo.toml").is_file());
    assert!(root.join("crates").join("testutil").is_dir());
    assert_eq!(
        govwatch_testutil::fixtures_sites_dir(),
        root.join("fixtures").join("sites")
    );
}

#[test]
fn servers_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<DnsServer>();
    check::<TestNet>();
    check::<govwatch_testutil::FixtureServer>();
}
