//! `govwatch probe` as a person meets it (issue 17, item 8 of issue 16): a private address without
//! `--allow-private` is refused with exit 2 naming the option; a bare host name gets the URL to
//! give; findings come first in Chinese with the code beside each, facts only with `-v`; log lines
//! carry no ANSI colours into a pipe.

use crate::common::govwatch;
use govwatch_testutil::TestNet;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_private_address_without_allow_private_is_refused() {
    let dir = crate::common::scratch("probe", "private");
    let out = govwatch(&dir, &["probe", "http://127.0.0.1:8765/"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-private"), "{stderr}");
    assert_eq!(text(&out.stdout), "", "no finding printed");
}

#[test]
fn a_host_name_gets_the_url_to_give() {
    let dir = crate::common::scratch("probe", "host");
    let out = govwatch(&dir, &["probe", "www.ahxx.gov.cn"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("govwatch probe https://www.ahxx.gov.cn/"),
        "{stderr}"
    );
}

#[test]
fn findings_first_in_chinese_facts_only_with_v() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = govwatch_testutil::fixtures_sites_dir();
    let net = rt.block_on(TestNet::start(&root)).unwrap();
    let dir = crate::common::scratch("probe", "zh");
    let dns = format!(
        "dns_servers = [\"{}\"]\ndns_port = {}\nrate = 20.0\nipv6 = false\n",
        net.dns.addr(),
        net.dns.addr().port()
    );
    let url = net.http.url("www.down.anping.gov.test", "/").to_string();

    // a host name resolving to loopback, without allow_private: refused after resolving
    std::fs::write(dir.join("config/crawl.toml"), &dns).unwrap();
    let out = govwatch(&dir, &["probe", &url]).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-private"), "{stderr}");
    assert_eq!(text(&out.stdout), "");

    std::fs::write(
        dir.join("config/crawl.toml"),
        format!("{dns}allow_private = true\n"),
    )
    .unwrap();
    let out = govwatch(&dir, &["probe", &url]).output().unwrap();
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[1].starts_with("问题："), "{stdout}");
    assert!(
        lines[2].starts_with("  ["),
        "a finding right after: {stdout}"
    );
    assert!(stdout.contains("(avail.sample_failed)"), "{stdout}");
    assert!(
        !stdout.contains("(deduct)") && !stdout.contains("[veto]"),
        "{stdout}"
    );
    assert!(!stdout.contains("监测记录 (facts)："), "{stdout}");
    assert!(stderr.contains("正在检查"), "progress on stderr: {stderr}");
    // the site answers, with an error: it is the site's failure, not a wrong address
    assert!(!stderr.contains("没有任何服务应答"), "{stderr}");
    let bad = crate::common::chinese::not_chinese("probe", &format!("{stdout}\n{stderr}"));
    assert!(bad.is_empty(), "{bad:#?}");

    // nothing listens at all: said apart from a site answering with an error
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}/", closed.local_addr().unwrap().port());
    drop(closed);
    let out = govwatch(&dir, &["probe", &dead, "--allow-private"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("上没有任何服务应答（连接被拒绝或无法建立连接）")
            && stderr.contains("请先确认网址和端口是否写对"),
        "{stderr}"
    );

    let out = govwatch(&dir, &["-v", "probe", &url])
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(stdout.contains("监测记录 (facts)："), "{stdout}");
    assert!(stderr.contains("DEBUG"), "logs: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no ANSI colours in a pipe: {stderr}"
    );
}
