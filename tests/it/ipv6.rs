//! The IPv6 probe end to end: fixture hosts in the test DNS cover every case the probe judges;
//! each site is crawled by the real crawler and its IPv6 facts and findings are asserted exactly.

use crate::common::{Comparison, assert_fixture_hosts, expected_list};
use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_model::SiteResult;
use govwatch_testutil::fixtures::{FixtureSite, load_fixture_sites, strip_port};
use govwatch_testutil::{DnsRecord, DnsServer, FixtureServer, site_dns_records};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Every IPv6 fixture site, by name.
const HOSTS: &[&str] = &[
    "alias.ipv6.test",
    "deadv6.ipv6.test",
    "dual.ipv6.test",
    "mapped.ipv6.test",
    "twoaaaa.ipv6.test",
    "v4only.ipv6.test",
    "v6diff.ipv6.test",
    "v6status.ipv6.test",
    "www.nov6ns.example",
];

struct Net {
    http: FixtureServer,
    http4: FixtureServer,
    dns: DnsServer,
    sites: Vec<FixtureSite>,
}

async fn start() -> Option<Net> {
    let root = govwatch_testutil::workspace_root().join("fixtures/ipv6");
    let http = FixtureServer::start(&root).await.unwrap();
    if !govwatch_testutil::require::ipv6(
        "the IPv6 end-to-end tests",
        http.has_v6(),
        "the fixture server's [::1] listener",
    ) {
        return None;
    }
    // deadv6 is served by a server with nothing on [::1]:port, so its AAAA answers nowhere.
    let http4 = FixtureServer::start_v4_only(&root).await.unwrap();
    let mut records = site_dns_records(&root, true).unwrap();
    // The zone `example.` has one name server, with no AAAA.
    records.push(DnsRecord::Ns("example".into(), "ns1.example".into()));
    records.push(DnsRecord::A("ns1.example".into(), Ipv4Addr::LOCALHOST));
    let dns = DnsServer::start(records).await.unwrap();
    let sites = load_fixture_sites(&root, |h| {
        if h == "deadv6.ipv6.test" {
            http4.url(h, "/")
        } else {
            http.url(h, "/")
        }
    })
    .unwrap();
    assert_fixture_hosts("fixtures/ipv6", &sites, HOSTS);
    Some(Net {
        http,
        http4,
        dns,
        sites,
    })
}

fn settings(net: &Net) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        rate: 20.0,
        retries: 0,
        ..CrawlSettings::default()
    }
}

fn fact<'a>(r: &'a SiteResult, code: &str) -> Option<&'a Value> {
    r.facts.iter().find(|f| f.code == code).map(|f| &f.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ipv6_case_gives_exactly_its_facts_and_findings() {
    let Some(net) = start().await else { return };
    let crawler = Crawler::new(settings(&net)).unwrap();
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap();
    let mut results: BTreeMap<String, SiteResult> = BTreeMap::new();
    for fx in &net.sites {
        let r = govwatch_runner::inspect_site(
            &crawler,
            &fx.site,
            as_of,
            &crate::common::fixture_rules(),
            None,
        )
        .await;
        results.insert(fx.host.clone(), r);
    }
    let (p, p4) = (net.http.port(), net.http4.port());
    let mut cmp = Comparison::new("fixtures/ipv6", HOSTS);
    for fx in &net.sites {
        let r = &results[&fx.host];
        // every probe's findings, not the IPv6 probe's alone
        let mut got: Vec<(String, String)> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.code.clone(),
                    strip_port(&strip_port(f.url.as_deref().unwrap_or(""), p), p4),
                )
            })
            .collect();
        got.sort();
        cmp.check(&fx.host, got, expected_list(fx));
    }
    cmp.finish();
    check_v4only_and_dual_stack(&results);
    check_dead_and_partial_aaaa(&results);
    check_mismatches_mapped_alias_and_ns(&results);
}

/// A v4-only site (nothing tried over IPv6) and a dual-stack one (identical content, every
/// measure full).
fn check_v4only_and_dual_stack(results: &BTreeMap<String, SiteResult>) {
    let r = |h: &str| &results[h];
    // v4-only: no AAAA, nothing tried over IPv6.
    let aaaa = fact(r("v4only.ipv6.test"), "ipv6.aaaa").unwrap();
    assert_eq!(
        (&aaaa["aaaa"], &aaaa["aaaa_raw"], &aaaa["a"]),
        (&json!([]), &json!([]), &json!(["127.0.0.1"]))
    );
    assert!(fact(r("v4only.ipv6.test"), "ipv6.reachability").is_none());

    // dual-stack and identical.
    let d = r("dual.ipv6.test");
    assert_eq!(fact(d, "ipv6.aaaa").unwrap()["aaaa"], json!(["::1"]));
    let re = fact(d, "ipv6.reachability").unwrap();
    assert_eq!(
        (re["reachable"].as_u64(), re["total"].as_u64()),
        (Some(1), Some(1))
    );
    let sc = fact(d, "ipv6.same_content").unwrap();
    assert_eq!(
        (
            sc["v4_status"].as_u64(),
            sc["v6_status"].as_u64(),
            sc["diff"].as_f64()
        ),
        (Some(200), Some(200), Some(0.0))
    );
    let ns = fact(d, "ipv6.ns").unwrap();
    assert_eq!(
        (
            ns["zone"].as_str(),
            ns["with_aaaa"].as_u64(),
            ns["answering_v6"].as_u64()
        ),
        (Some("test"), Some(2), Some(2))
    );
    let ls = fact(d, "ipv6.link_support").unwrap();
    assert_eq!(
        (
            ls["total"].as_u64(),
            ls["ok_v6"].as_u64(),
            ls["ok_ratio"].as_f64()
        ),
        (Some(5), Some(5), Some(1.0))
    );
    assert_eq!(
        (
            ls["level2"]["total"].as_u64(),
            ls["level3"]["total"].as_u64()
        ),
        (Some(4), Some(1))
    );
    assert_eq!(
        fact(d, "ipv6.success_rate").unwrap(),
        &json!({"samples": 1, "ok": 1, "rate": 1.0})
    );
}

/// An AAAA nothing answers on, and two AAAA of which one fails (named in the finding).
fn check_dead_and_partial_aaaa(results: &BTreeMap<String, SiteResult>) {
    let r = |h: &str| &results[h];
    // AAAA that nothing answers on.
    let dead = r("deadv6.ipv6.test");
    let re = fact(dead, "ipv6.reachability").unwrap();
    assert_eq!(
        (
            re["reachable"].as_u64(),
            re["addresses"][0]["tcp_ok"].as_bool()
        ),
        (Some(0), Some(false))
    );
    assert!(
        re["addresses"][0]["tcp_error"]
            .as_str()
            .unwrap()
            .starts_with("connect:"),
        "{re}"
    );
    assert!(
        fact(dead, "ipv6.same_content").is_none(),
        "nothing to compare"
    );
    assert_eq!(
        fact(dead, "ipv6.link_support").unwrap()["ok_v6"].as_u64(),
        Some(0)
    );
    assert_eq!(
        fact(dead, "ipv6.success_rate"),
        None,
        "no sample: TCP never connected"
    );

    // Two AAAA, one failing: named in the finding.
    let two = r("twoaaaa.ipv6.test");
    let re = fact(two, "ipv6.reachability").unwrap();
    assert_eq!(
        (re["reachable"].as_u64(), re["total"].as_u64()),
        (Some(1), Some(2))
    );
    let f = two
        .findings
        .iter()
        .find(|f| f.code == "ipv6.partial")
        .unwrap();
    assert_eq!(f.value["failing"], json!(["2001:db8::1"]));
    assert_eq!(
        fact(two, "ipv6.link_support").unwrap()["ok_ratio"].as_f64(),
        Some(1.0),
        "links go to the address that answers"
    );
}

/// Different content or status over IPv6, an IPv4-mapped AAAA alone, a CNAME chain to a
/// dual-stack host, name servers without IPv6.
fn check_mismatches_mapped_alias_and_ns(results: &BTreeMap<String, SiteResult>) {
    let r = |h: &str| &results[h];
    // Different content over IPv6.
    let f = r("v6diff.ipv6.test")
        .findings
        .iter()
        .find(|f| f.code == "ipv6.content_mismatch")
        .unwrap();
    assert!(f.value["diff"].as_f64().unwrap() > 0.10);
    assert!(f.evidence.excerpt.as_deref().unwrap().contains("IPv6:"));

    // Different status over IPv6.
    let f = r("v6status.ipv6.test")
        .findings
        .iter()
        .find(|f| f.code == "ipv6.status_mismatch")
        .unwrap();
    assert_eq!(
        (f.value["v4_status"].as_u64(), f.value["v6_status"].as_u64()),
        (Some(200), Some(503))
    );

    // Only an IPv4-mapped AAAA: it does not count.
    let aaaa = fact(r("mapped.ipv6.test"), "ipv6.aaaa").unwrap();
    assert_eq!(
        (&aaaa["aaaa"], &aaaa["aaaa_raw"]),
        (&json!([]), &json!(["::ffff:127.0.0.1"]))
    );

    // CNAME chain to a dual-stack host.
    let al = r("alias.ipv6.test");
    assert_eq!(
        fact(al, "ipv6.aaaa").unwrap()["cname_chain"],
        json!(["dual.ipv6.test"])
    );
    assert_eq!(
        fact(al, "ipv6.reachability").unwrap()["reachable"].as_u64(),
        Some(1)
    );

    // Name servers without IPv6.
    let ns = fact(r("www.nov6ns.example"), "ipv6.ns").unwrap();
    assert_eq!(
        (
            ns["zone"].as_str(),
            ns["with_aaaa"].as_u64(),
            ns["answering_v6"].as_u64()
        ),
        (Some("example"), Some(0), Some(0))
    );
}
