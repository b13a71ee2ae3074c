//! The daemon's parts against local servers: samples over IPv4 and IPv6 through the crawler,
//! the availability veto (2 of 40 failed samples is 5%, 1 of 40 is not) in a real nightly run,
//! one warning for a flapping site, each sink receiving exactly one message, the daemon loop
//! with short intervals and its clean stop.

use chrono::{DateTime, Duration as CDuration, FixedOffset};
use govwatch_config::{
    AvailabilityRules, CrawlSettings, DaemonConfig, ProbeRules, SinkConfig, WarningConfig,
};
use govwatch_crawler::Crawler;
use govwatch_daemon::warnings::Outcome;
use govwatch_daemon::{Daemon, DaemonSetup, refresh_availability};
use govwatch_model::{FetchError, Sample, Site};
use govwatch_store::Store;
use govwatch_testutil::fixtures::load_fixture_sites;
use govwatch_testutil::receivers::{SmtpReceiver, WebhookReceiver};
use govwatch_testutil::{Fault, TestNet};
use std::path::PathBuf;
use std::sync::Arc;

/// The rules digest the test daemons record with their nightly runs.
const RULES_SHA256: &str = "rules-of-the-daemon-tests";

fn ts(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn fast(net: &TestNet) -> CrawlSettings {
    CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        rate: 50.0,
        retries: 0,
        ipv6: false,
        ..CrawlSettings::default()
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("govwatch-daemon-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn site(id: &str, home: &str) -> Site {
    Site {
        id: id.into(),
        name: "测试网站".into(),
        home: url::Url::parse(home).unwrap(),
        org: String::new(),
        region: String::new(),
        kind: govwatch_model::SiteKind::Portal,
        overrides: Default::default(),
    }
}

fn sample(home: &str, at: DateTime<FixedOffset>, ok: bool) -> Sample {
    Sample {
        url: home.into(),
        at,
        family: Some(4),
        ok,
        status: ok.then_some(200),
        error: (!ok).then_some(FetchError::Timeout),
        elapsed_ms: if ok { 40 } else { 15_000 },
    }
}

/// `n` samples spread evenly over the `days` days before `until`, the first `failed` failing.
fn spread_samples(
    home: &str,
    until: DateTime<FixedOffset>,
    days: i64,
    n: i64,
    failed: i64,
) -> Vec<Sample> {
    let span = days * 86_400_000;
    (0..n)
        .map(|i| {
            let at = until - CDuration::milliseconds(span * (i + 1) / (n + 1));
            sample(home, at, i >= failed)
        })
        .collect()
}

#[tokio::test]
async fn samples_go_over_ipv4_and_ipv6_through_the_crawler() {
    let root = govwatch_testutil::workspace_root().join("fixtures/ipv6");
    let net = TestNet::start(&root).await.unwrap();
    let crawler = Crawler::new(fast(&net)).unwrap();
    let dual = net.http.url("dual.ipv6.test", "/");
    let v4only = net.http.url("v4only.ipv6.test", "/");
    let got = crawler.sample_home(&v4only).await;
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].sample.family, got[0].sample.ok), (Some(4), true));
    assert_eq!(got[0].fetch.purpose, govwatch_model::Purpose::Sample);
    if !govwatch_testutil::require::ipv6(
        "samples_go_over_ipv4_and_ipv6_through_the_crawler",
        net.http.has_v6(),
        "the fixture server's [::1] listener",
    ) {
        return;
    }
    let got = crawler.sample_home(&dual).await;
    let fams: Vec<(Option<u8>, bool)> =
        got.iter().map(|s| (s.sample.family, s.sample.ok)).collect();
    assert_eq!(fams, [(Some(4), true), (Some(6), true)]);
    assert!(
        got[1]
            .fetch
            .remote_addr
            .as_deref()
            .unwrap()
            .starts_with("[::1]")
    );
    // IPv6 broken, IPv4 fine: only the IPv6 sample fails, and it stays an IPv6 sample
    net.http
        .set_fault_for_family("dual.ipv6.test", "/", 6, Fault::Status(503));
    let got = crawler.sample_home(&dual).await;
    let fams: Vec<(Option<u8>, bool, Option<u16>)> = got
        .iter()
        .map(|s| (s.sample.family, s.sample.ok, s.sample.status))
        .collect();
    assert_eq!(
        fams,
        [(Some(4), true, Some(200)), (Some(6), false, Some(503))]
    );
    // one request per family, no retry
    let reqs = net.http.requests_for("dual.ipv6.test");
    assert_eq!(reqs.len(), 4, "{reqs:?}");
}

/// The nightly run's verdict over a 2-day window of 20 samples a day: 2 of 40 failed → 5%, the
/// veto; 1 of 40 → no veto. The same numbers in the daemon's own availability table.
#[tokio::test]
async fn two_of_forty_failed_samples_are_the_veto_one_is_not() {
    // a small site (one page), so the nightly run is quick
    let root = govwatch_testutil::workspace_root().join("fixtures/ipv6");
    let net = TestNet::start(&root).await.unwrap();
    let fx = site("3400000001", net.http.url("v4only.ipv6.test", "/").as_str());
    let as_of = ts("2026-11-20T02:00:00+08:00");
    let rules = ProbeRules {
        availability: AvailabilityRules {
            window_days: 2,
            ..AvailabilityRules::default()
        },
        ..ProbeRules::default()
    };
    for (failed, veto) in [(2, true), (1, false)] {
        let dir = scratch(&format!("veto-{failed}"));
        let mut store = Store::open(dir.join("g.db")).unwrap();
        store.upsert_sites(std::slice::from_ref(&fx)).unwrap();
        let home = fx.home.as_str();
        let n = store
            .insert_samples(None, &fx.id, &spread_samples(home, as_of, 2, 40, failed))
            .unwrap();
        assert_eq!(n, 40);
        // the same samples again (a restart re-sending them): nothing counted twice
        let again = store
            .insert_samples(None, &fx.id, &spread_samples(home, as_of, 2, 40, failed))
            .unwrap();
        assert_eq!(again, 0);
        let opts = govwatch_runner::RunOptions {
            as_of,
            only: None,
            resume: false,
            settings: serde_json::Value::Null,
            rules: rules.clone(),
            accounts: Vec::new(),
        };
        let crawler = Arc::new(Crawler::new(fast(&net)).unwrap());
        let (report, mut store) = govwatch_runner::run(
            crawler,
            store,
            vec![fx.clone()],
            opts,
            std::future::pending(),
            |_| {},
        )
        .await
        .unwrap();
        let facts = store.facts(report.run_id, Some(&fx.id)).unwrap();
        let w = facts
            .iter()
            .find(|f| f.fact.code == "avail.window")
            .expect("avail.window fact");
        assert_eq!(w.fact.value["samples"], 40);
        assert_eq!(w.fact.value["failed"], failed);
        assert_eq!(w.fact.value["complete"], true);
        let findings = store.findings(report.run_id, Some(&fx.id)).unwrap();
        let vetoes: Vec<_> = findings
            .iter()
            .filter(|f| f.finding.code == "avail.unreachable")
            .collect();
        assert_eq!(vetoes.len(), usize::from(veto), "{failed} of 40");
        if veto {
            let f = &vetoes[0].finding;
            assert_eq!(f.severity, govwatch_model::Severity::Veto);
            assert!((f.value["ratio"].as_f64().unwrap() - 0.05).abs() < 1e-12);
            assert!(f.message.contains("5.00%"), "{}", f.message);
        }
        // the daemon's table, judged at the same time
        refresh_availability(&mut store, &fx, as_of, &rules, &WarningConfig::default()).unwrap();
        let a = store.availability(&fx.id).unwrap().unwrap();
        assert_eq!((a.samples, a.failed), (40, failed as u64));
        assert_eq!(a.value["unreachable"], veto);
    }
}

/// One open warning of `site`, to deliver.
fn raise_one(daemon: &Daemon, site: &Site) {
    let at = ts("2026-11-01T00:00:00+08:00");
    daemon.with_store(|st| {
        st.raise_warning(&site.id, "warn.home_stale", at, &serde_json::json!({}), "m")
            .unwrap()
    });
}

fn daemon_with_sinks(
    dir: &std::path::Path,
    sites: Vec<Site>,
    sinks: Vec<SinkConfig>,
    net: &TestNet,
) -> Arc<Daemon> {
    let warnings = WarningConfig {
        sinks,
        ..WarningConfig::default()
    };
    daemon_with(dir, sites, DaemonConfig::default(), warnings, net)
}

/// A daemon of `sites` with fast crawl settings, its database in `dir`.
fn daemon_with(
    dir: &std::path::Path,
    sites: Vec<Site>,
    config: DaemonConfig,
    warnings: WarningConfig,
    net: &TestNet,
) -> Arc<Daemon> {
    Daemon::new(DaemonSetup {
        sites,
        settings: fast(net),
        rules: ProbeRules::default(),
        rules_sha256: RULES_SHA256.into(),
        accounts: Vec::new(),
        config,
        warnings,
        db: dir.join("g.db"),
    })
    .unwrap()
}

/// The daemon's loop in a task, until the sender is used (SIGTERM's stand-in).
fn running(
    daemon: &Arc<Daemon>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<govwatch_daemon::Result<govwatch_daemon::DaemonReport>>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let d2 = daemon.clone();
    let task = tokio::spawn(async move {
        d2.run(async {
            let _ = rx.await;
        })
        .await
    });
    (tx, task)
}

/// A site whose samples flap between good and bad, its failure ratio crossing the 3% line
/// again and again: one warning (hysteresis: it closes only below 2%), delivered once to each
/// sink — a log line, a webhook, an e-mail — and closed when the site recovers.
#[tokio::test]
async fn a_flapping_site_gives_one_warning_sent_once_to_each_sink() {
    let net = TestNet::start(govwatch_testutil::fixtures_sites_dir())
        .await
        .unwrap();
    let hook = WebhookReceiver::start().await.unwrap();
    let smtp = SmtpReceiver::start().await.unwrap();
    let dir = scratch("flap");
    let home = "http://www.flap.gov.test/";
    let s = site("1100000001", home);
    let daemon = daemon_with_sinks(
        &dir,
        vec![s.clone()],
        vec![
            SinkConfig::Log { name: "log".into() },
            SinkConfig::Webhook {
                name: "hook".into(),
                url: hook.url("/warn"),
                timeout_secs: 5.0,
            },
            SinkConfig::Smtp {
                name: "mail".into(),
                host: "127.0.0.1".into(),
                port: smtp.port(),
                starttls: false,
                username: None,
                password_env: None,
                from: "govwatch@example.gov.cn".into(),
                to: vec!["inspection@example.gov.cn".into()],
                timeout_secs: 5.0,
            },
        ],
        &net,
    );
    let rules = ProbeRules::default();
    let warn = WarningConfig::default();
    let start = ts("2026-11-01T00:00:00+08:00");
    // hourly samples for 16 days; one failure every 30 samples (≈ 3.3%, dipping under 3%
    // between failures) for 10 days, then every sample good.
    let (mut above, mut below_open, mut opened) = (0, 0, 0);
    let mut last_ratio = 0.0;
    for i in 0..(24 * 16) {
        let at = start + CDuration::hours(i);
        let ok = !(i < 240 && i % 30 == 7);
        let outcomes = daemon.with_store(|st| {
            st.insert_samples(None, &s.id, &[sample(home, at, ok)])
                .unwrap();
            refresh_availability(st, &s, at + CDuration::seconds(1), &rules, &warn).unwrap()
        });
        let ratio = daemon.with_store(|st| st.availability(&s.id).unwrap().unwrap().ratio);
        if i >= 20 && ratio >= 0.03 && last_ratio < 0.03 {
            above += 1;
        }
        if outcomes == [Outcome::StillOpen(1)] && ratio < 0.03 {
            below_open += 1;
        }
        if matches!(outcomes[..], [Outcome::Opened(_)]) {
            opened += 1;
        }
        last_ratio = ratio;
        daemon.deliver().await.unwrap();
    }
    assert!(above >= 3, "the ratio crossed 3% upwards {above} times");
    assert!(below_open > 0, "the warning stayed open under 3%");
    assert_eq!(opened, 1, "one warning, not one per crossing");
    let all = daemon.with_store(|st| st.warnings(None).unwrap());
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].code, "warn.availability");
    assert!(all[0].closed_at.is_some(), "closed after the recovery");
    assert!(all[0].message.contains('%'), "{}", all[0].message);

    let posts = hook.posts();
    assert_eq!(posts.len(), 1, "the webhook got one message");
    assert_eq!(posts[0].path, "/warn");
    assert_eq!(posts[0].content_type.as_deref(), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&posts[0].body).unwrap();
    assert_eq!(v["code"], "warn.availability");
    assert_eq!(v["site"]["id"], "1100000001");
    assert_eq!(v["value"]["metric"], "availability_ratio");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "one e-mail");
    assert_eq!(mails[0].from, "govwatch@example.gov.cn");
    assert_eq!(mails[0].to, ["inspection@example.gov.cn"]);
    assert!(
        mails[0].data.contains("warn.availability"),
        "{}",
        mails[0].data
    );
    let d = daemon.with_store(|st| st.deliveries(all[0].id).unwrap());
    let sent: Vec<(&str, bool, u32)> = d
        .iter()
        .map(|(s, at, n)| (s.as_str(), at.is_some(), *n))
        .collect();
    assert_eq!(
        sent,
        [("hook", true, 1), ("log", true, 1), ("mail", true, 1)]
    );
}

/// A sink that cannot be reached is tried again at the next pass, and counted once when it
/// finally gets the message.
#[tokio::test]
async fn a_failed_delivery_is_retried_until_it_succeeds() {
    let net = TestNet::start(govwatch_testutil::fixtures_sites_dir())
        .await
        .unwrap();
    let dir = scratch("retry");
    // a port nothing listens on (bound, then closed)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = site("1100000002", "http://www.retry.gov.test/");
    let daemon = daemon_with_sinks(
        &dir,
        vec![s.clone()],
        vec![SinkConfig::Webhook {
            name: "hook".into(),
            url: format!("http://127.0.0.1:{port}/"),
            timeout_secs: 2.0,
        }],
        &net,
    );
    raise_one(&daemon, &s);
    assert_eq!(daemon.deliver().await.unwrap(), 0);
    assert_eq!(daemon.deliver().await.unwrap(), 0);
    let w = daemon.with_store(|st| st.open_warnings(None).unwrap());
    let d = daemon.with_store(|st| st.deliveries(w[0].id).unwrap());
    assert_eq!(d[0].1, None);
    assert_eq!(d[0].2, 2, "two attempts recorded");
}

/// A webhook that answers with a redirect (307 would re-send the warning's body to wherever it
/// points): not followed — a failed delivery, recorded, and nothing reaches the other address.
#[tokio::test]
async fn a_webhook_redirect_is_not_followed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let net = TestNet::start(govwatch_testutil::fixtures_sites_dir())
        .await
        .unwrap();
    let elsewhere = WebhookReceiver::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector = format!("http://{}/hook", listener.local_addr().unwrap());
    let to = elsewhere.url("/stolen");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let to = to.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    let dir = scratch("redirect");
    let s = site("1100000003", "http://www.redirect.gov.test/");
    let daemon = daemon_with_sinks(
        &dir,
        vec![s.clone()],
        vec![SinkConfig::Webhook {
            name: "hook".into(),
            url: redirector,
            timeout_secs: 2.0,
        }],
        &net,
    );
    raise_one(&daemon, &s);
    assert_eq!(daemon.deliver().await.unwrap(), 0, "not delivered");
    assert!(
        elsewhere.posts().is_empty(),
        "nothing sent where the redirect points"
    );
    let w = daemon.with_store(|st| st.open_warnings(None).unwrap());
    let d = daemon.with_store(|st| st.deliveries(w[0].id).unwrap());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].1, None, "failed");
}

/// The loop itself, with a 0.3-second interval: every site is sampled repeatedly (IPv4 and
/// IPv6 where the host has AAAA), then SIGTERM's stand-in stops it cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_samples_every_site_and_stops_cleanly() {
    let root = govwatch_testutil::fixtures_sites_dir();
    let net = TestNet::start(&root).await.unwrap();
    let sites: Vec<Site> = load_fixture_sites(&root, |h| net.http.url(h, "/"))
        .unwrap()
        .into_iter()
        .map(|f| f.site)
        .collect();
    let dir = scratch("loop");
    let now = chrono::Utc::now();
    // the nightly slot 12 hours away, and no catching up: no crawl in this test
    let nightly = (now + CDuration::hours(12)).format("%H:%M").to_string();
    let daemon = daemon_with(
        &dir,
        sites.clone(),
        DaemonConfig {
            interval_minutes: 0.005,
            jitter_minutes: 0.0,
            nightly_at: nightly,
            timezone: "UTC".into(),
            run_missed_nightly: false,
            ..DaemonConfig::default()
        },
        WarningConfig::default(),
        &net,
    );
    let (tx, task) = running(&daemon);
    // IPv4 and IPv6 samples where the machine has IPv6 (required in CI where it has)
    let per_round = if govwatch_testutil::require::ipv6(
        "the_loop_samples_every_site_and_stops_cleanly (its IPv6 samples)",
        net.http.has_v6(),
        "the fixture server's [::1] listener",
    ) {
        2
    } else {
        1
    };
    let enough = |d: &Daemon| {
        d.with_store(|st| {
            sites.iter().all(|s| {
                st.samples(
                    &s.id,
                    ts("2000-01-01T00:00:00Z"),
                    ts("2100-01-01T00:00:00Z"),
                )
                .unwrap()
                .len()
                    >= 3 * per_round
            })
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !enough(&daemon) {
        assert!(std::time::Instant::now() < deadline, "sampling too slow");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tx.send(()).unwrap();
    let report = task.await.unwrap().unwrap();
    assert!(report.samples >= (3 * per_round * sites.len()) as u64);
    assert!(report.nightly_runs.is_empty());
    daemon.with_store(|st| {
        for s in &sites {
            let a = st.availability(&s.id).unwrap().expect("window computed");
            assert!(a.samples >= 3, "{}", s.id);
            assert!(st.last_sample(&s.id).unwrap().is_some());
            assert!(st.latest_run().unwrap().is_none(), "no crawl");
        }
    });
}

/// Shutdown is bounded: a sample stuck on a slow home page is abandoned after the grace period
/// instead of being waited for, and the daemon returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_abandons_requests_in_flight_after_the_grace_period() {
    let root = govwatch_testutil::workspace_root().join("fixtures/ipv6");
    let net = TestNet::start(&root).await.unwrap();
    let host = "v4only.ipv6.test";
    net.http
        .set_fault(host, "/", Fault::Delay(std::time::Duration::from_secs(12)));
    let dir = scratch("grace");
    let now = chrono::Utc::now();
    let daemon = daemon_with(
        &dir,
        vec![site("3400000009", net.http.url(host, "/").as_str())],
        DaemonConfig {
            interval_minutes: 600.0,
            jitter_minutes: 0.0,
            nightly_at: (now + CDuration::hours(12)).format("%H:%M").to_string(),
            timezone: "UTC".into(),
            run_missed_nightly: false,
            shutdown_grace_secs: 0.2,
            ..DaemonConfig::default()
        },
        WarningConfig::default(),
        &net,
    );
    let (tx, task) = running(&daemon);
    // wait until the sample's request reached the (slow) server
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !net.http.requests_for(host).iter().any(|r| r.path == "/") {
        assert!(std::time::Instant::now() < deadline, "no sample started");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let stopped = std::time::Instant::now();
    tx.send(()).unwrap();
    let report = task.await.unwrap().unwrap();
    // returned long before the 12-second answer (the bound is the 0.2 s grace)
    assert!(stopped.elapsed() < std::time::Duration::from_secs(8));
    assert_eq!((report.samples, report.abandoned), (0, 1));
    daemon.with_store(|st| assert!(st.last_sample("3400000009").unwrap().is_none()));
}

/// The daemon's nightly run records the settings `govwatch run` records: the crawl settings with
/// the digest of the rule files (which the merge of a night's shards compares), none else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nightly_run_records_the_settings_of_govwatch_run() {
    // a small site (one page), so the nightly run is quick
    let root = govwatch_testutil::workspace_root().join("fixtures/ipv6");
    let net = TestNet::start(&root).await.unwrap();
    let dir = scratch("settings");
    // the slot (00:00 UTC) has always passed today: the missed run is run at start
    let daemon = daemon_with(
        &dir,
        vec![site(
            "3400000002",
            net.http.url("v4only.ipv6.test", "/").as_str(),
        )],
        DaemonConfig {
            interval_minutes: 600.0,
            jitter_minutes: 0.0,
            nightly_at: "00:00".into(),
            timezone: "UTC".into(),
            run_missed_nightly: true,
            ..DaemonConfig::default()
        },
        WarningConfig::default(),
        &net,
    );
    let (tx, task) = running(&daemon);
    let done = |d: &Daemon| {
        d.with_store(|st| {
            st.daemon_state(govwatch_daemon::STATE_NIGHTLY_STATUS)
                .unwrap()
                .is_some_and(|s| s == "done")
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done(&daemon) {
        assert!(std::time::Instant::now() < deadline, "no nightly run done");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tx.send(()).unwrap();
    let report = task.await.unwrap().unwrap();
    assert_eq!(report.nightly_runs.len(), 1);
    let run = daemon.with_store(|st| st.run(report.nightly_runs[0]).unwrap().unwrap());
    let expected = govwatch_runner::settings::recorded(&fast(&net), RULES_SHA256, None).unwrap();
    assert_eq!(run.settings, expected);
    assert_eq!(run.settings["rules_sha256"], RULES_SHA256);
    assert_eq!(run.settings["rate"], 50.0);
}
