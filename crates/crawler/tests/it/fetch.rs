//! The crawler against the fixture server: decoding, guards, caps, faults, classification.

use govwatch_crawler::{CrawlSettings, Crawler, FetchSpec};
use govwatch_model::{CharsetSource, FetchError};
use govwatch_testutil::{DnsRecord, Fault, FixtureServer, TestNet, fixtures_sites_dir};
use std::net::Ipv4Addr;
use std::time::Duration;

async fn net() -> TestNet {
    TestNet::start(fixtures_sites_dir())
        .await
        .expect("test net")
}

fn settings(net: &TestNet) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        rate: 50.0,
        retries: 0,
        ..CrawlSettings::default()
    }
}

#[tokio::test]
async fn fetches_and_decodes_a_gbk_page() {
    let _turn = crate::common::shared().await;
    let net = net().await;
    let c = Crawler::new(settings(&net)).unwrap();
    let url = net.http.url(
        "www.anping.gov.test",
        "/xwzx/ywdt/202611/t20261120_1024.html",
    );
    let f = tokio::time::timeout(Duration::from_secs(20), c.fetch(&url, FetchSpec::PAGE))
        .await
        .expect("no hang");
    assert_eq!(f.last().status, Some(200), "{:?}", f.last());
    let page = govwatch_crawler::site::build_page(&f, 1);
    assert_eq!(page.charset.as_deref(), Some("GBK"));
    assert_eq!(page.charset_source, Some(CharsetSource::Meta));
    assert!(page.text.contains("王喆"), "GBK-only characters decoded");
    assert!(page.text.contains("刘镕") && page.text.contains("孙堃"));
    assert!(!page.text.contains('\u{FFFD}'));
}

#[tokio::test]
async fn loopback_is_refused_without_allow_private() {
    let _turn = crate::common::shared().await;
    let net = net().await;
    let mut s = settings(&net);
    s.allow_private = false;
    let c = Crawler::new(s).unwrap();
    // a name whose every address (127.0.0.1, ::1) is loopback
    let f = c
        .fetch(&net.http.url("www.anping.gov.test", "/"), FetchSpec::PAGE)
        .await;
    assert_eq!(
        f.last().error,
        Some(FetchError::BlockedAddress),
        "{:?}",
        f.last()
    );
    // an IP literal
    let lit = url::Url::parse(&format!("http://127.0.0.1:{}/", net.http.port())).unwrap();
    let f = c.fetch(&lit, FetchSpec::PAGE).await;
    assert_eq!(f.last().error, Some(FetchError::BlockedAddress));
    assert!(net.http.requests().is_empty(), "nothing reached the server");
}

/// The same refusal over IPv4 alone, so it is tested on every machine: 127.0.0.2 stands for the
/// public server (the one address let through), and it redirects to 127.0.0.1.
#[tokio::test]
async fn redirect_to_127_0_0_1_from_an_allowed_127_0_0_2_is_refused() {
    let _turn = crate::common::shared().await;
    let public = Ipv4Addr::new(127, 0, 0, 2);
    let http =
        FixtureServer::start_on_v4_addrs(fixtures_sites_dir(), &[Ipv4Addr::LOCALHOST, public])
            .await
            .expect("fixture server on 127.0.0.1 and 127.0.0.2");
    // a name of its own, answered with 127.0.0.2 alone
    let host = "jump.public.test";
    let net = TestNet::with_server(http, vec![DnsRecord::A(host.into(), public)])
        .await
        .unwrap();
    let mut s = settings(&net);
    s.allow_private = false;
    s.ipv6 = false;
    s.allow_addresses = vec!["127.0.0.2".into()];
    let c = Crawler::new(s).unwrap();
    net.http.set_fault(
        host,
        "/jump",
        Fault::Redirect {
            status: 302,
            location: format!("http://127.0.0.1:{}/", net.http.port()),
        },
    );
    let f = c.fetch(&net.http.url(host, "/jump"), FetchSpec::PAGE).await;
    let r = f.last();
    assert_eq!(r.error, Some(FetchError::BlockedAddress), "{r:?}");
    assert_eq!(r.redirects.len(), 1);
    let reqs = net.http.requests();
    // its robots.txt and the page, both on the allowed 127.0.0.2; nothing on 127.0.0.1
    assert_eq!(
        reqs.iter()
            .map(|q| (q.local.ip().to_string(), q.path.as_str()))
            .collect::<Vec<_>>(),
        [
            ("127.0.0.2".to_string(), "/robots.txt"),
            ("127.0.0.2".to_string(), "/jump")
        ],
        "only the allowed 127.0.0.2 was contacted"
    );
}

#[tokio::test]
async fn redirect_to_127_0_0_1_is_refused_without_allow_private() {
    let _turn = crate::common::shared().await;
    let net = net().await;
    // the allowed first hop needs [::1]: required in CI on a machine with IPv6
    if !govwatch_testutil::require::ipv6(
        "redirect_to_127_0_0_1_is_refused_without_allow_private",
        net.http.has_v6(),
        "the fixture server's [::1] listener",
    ) {
        return;
    }
    let mut s = settings(&net);
    s.allow_private = false;
    // Only ::1 is let through, standing for a public server; the redirect goes to 127.0.0.1.
    s.allow_addresses = vec!["::1".into()];
    let c = Crawler::new(s).unwrap();
    net.http.set_fault(
        "www.fgw.anping.gov.test",
        "/jump",
        Fault::Redirect {
            status: 302,
            location: format!("http://127.0.0.1:{}/", net.http.port()),
        },
    );
    let f = c
        .fetch(
            &net.http.url("www.fgw.anping.gov.test", "/jump"),
            FetchSpec::PAGE,
        )
        .await;
    let r = f.last();
    assert_eq!(r.error, Some(FetchError::BlockedAddress), "{r:?}");
    assert_eq!(r.redirects.len(), 1);
    let reqs = net.http.requests();
    assert!(
        reqs.iter().all(|q| q.peer.is_ipv6()),
        "only the allowed [::1] was contacted: {reqs:?}"
    );
    assert!(reqs.iter().any(|q| q.path == "/jump"));
}

#[tokio::test]
async fn body_cap_and_redirect_loop() {
    let _turn = crate::common::shared().await;
    let net = net().await;
    let mut s = settings(&net);
    s.max_body_bytes = 64 * 1024;
    let c = Crawler::new(s).unwrap();
    net.http.set_fault(
        "www.fgw.anping.gov.test",
        "/huge",
        Fault::HugeBody(10 * 1024 * 1024),
    );
    let f = c
        .fetch(
            &net.http.url("www.fgw.anping.gov.test", "/huge"),
            FetchSpec::PAGE,
        )
        .await;
    assert_eq!(f.last().error, Some(FetchError::TooLarge), "{:?}", f.last());
    net.http
        .set_fault("www.fgw.anping.gov.test", "/loop", Fault::RedirectLoop);
    let f = c
        .fetch(
            &net.http.url("www.fgw.anping.gov.test", "/loop"),
            FetchSpec::PAGE,
        )
        .await;
    assert_eq!(
        f.last().error,
        Some(FetchError::RedirectLoop),
        "{:?}",
        f.last()
    );
    assert_eq!(f.last().redirects.len(), 2);
}

#[tokio::test]
async fn gzip_body_is_decompressed_and_capped_after_decompression() {
    let _turn = crate::common::shared().await;
    let net = net().await;
    let c = Crawler::new(settings(&net)).unwrap();
    net.http
        .set_fault("www.fgw.anping.gov.test", "/", Fault::Gzip);
    let f = c
        .fetch(
            &net.http.url("www.fgw.anping.gov.test", "/"),
            FetchSpec::PAGE,
        )
        .await;
    assert_eq!(f.last().status, Some(200));
    let page = govwatch_crawler::site::build_page(&f, 0);
    assert!(page.text.contains("发展和改革"), "decompressed text");
}

#[tokio::test]
async fn timeout_is_classified_and_retries_back_off() {
    let _turn = crate::common::shared().await;
    let net = net().await;
    let mut s = settings(&net);
    s.timeout_secs = 1.0;
    s.connect_timeout_secs = 1.0;
    let c = Crawler::new(s).unwrap();
    net.http.set_fault(
        "www.fgw.anping.gov.test",
        "/slow",
        Fault::Delay(Duration::from_secs(3)),
    );
    let f = c
        .fetch(
            &net.http.url("www.fgw.anping.gov.test", "/slow"),
            FetchSpec::PAGE,
        )
        .await;
    assert_eq!(f.last().error, Some(FetchError::Timeout), "{:?}", f.last());

    let mut s = settings(&net);
    s.retries = 2;
    s.backoff_base_ms = 10;
    let c = Crawler::new(s).unwrap();
    net.http.set_fault(
        "www.fgw.anping.gov.test",
        "/flaky",
        Fault::FailTimes {
            times: 2,
            status: 503,
        },
    );
    let f = c
        .fetch(
            &net.http.url("www.fgw.anping.gov.test", "/flaky"),
            FetchSpec::PAGE,
        )
        .await;
    let statuses: Vec<Option<u16>> = f.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![Some(503), Some(503), Some(404)]);
}

#[tokio::test]
async fn unknown_name_is_a_dns_failure() {
    let _turn = crate::common::shared().await;
    let net = net().await;
    let c = Crawler::new(settings(&net)).unwrap();
    let f = c
        .fetch(
            &url::Url::parse("http://www.anping-zsj.test/").unwrap(),
            FetchSpec::PAGE,
        )
        .await;
    assert_eq!(f.last().error, Some(FetchError::Dns), "{:?}", f.last());
}

#[tokio::test]
async fn retry_after_is_honoured_between_attempts() {
    let _turn = crate::common::shared().await;
    let net = net().await;
    let mut s = settings(&net);
    s.retries = 1;
    s.backoff_base_ms = 10; // without Retry-After the retry would come after 10 ms
    let c = Crawler::new(s).unwrap();
    net.http.add_route(
        "www.fgw.anping.gov.test",
        "/busy",
        govwatch_testutil::RouteResponse::new(503, "busy").with_header("Retry-After", "2"),
    );
    let f = c
        .fetch(
            &net.http.url("www.fgw.anping.gov.test", "/busy"),
            FetchSpec::PAGE,
        )
        .await;
    assert_eq!(f.attempts.len(), 2);
    let hits: Vec<_> = net
        .http
        .requests_for("www.fgw.anping.gov.test")
        .into_iter()
        .filter(|r| r.path == "/busy")
        .collect();
    assert_eq!(hits.len(), 2);
    assert!(
        hits[1].at - hits[0].at >= Duration::from_secs(2),
        "waited {:?}",
        hits[1].at - hits[0].at
    );
}
