//! `govwatch probe`: inspect one site now and print its findings first, in Chinese with the code
//! beside each, then the IPv6 section read from the probe's facts ([`print_ipv6`]); the other facts
//! only with `-v` (JSON lines of both with `--json`). While it works a line on stderr says what it
//! is doing. A private or loopback address without `--allow-private` is refused (exit 2), and a
//! bare host name is answered with the URL to give instead.

use super::{EXIT_CLEAN, EXIT_FINDINGS, load_rules, monitoring_time};
use crate::cli::ProbeArgs;
use anyhow::{Context, Result, anyhow};
use govwatch_config::{ConfigDir, load_crawl_settings, load_sites};
use govwatch_crawler::Crawler;
use govwatch_model::{Severity, Site, SiteKind, SiteOverrides, SiteResult};
use govwatch_runner::inspect_site;

/// Runs `govwatch probe`; `verbose` (`-v`) adds the facts to the human output.
pub(crate) async fn cmd_probe(a: ProbeArgs, verbose: u8) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    let mut settings = load_crawl_settings(&dir.crawl_path())?;
    if a.allow_private {
        settings.allow_private = true;
    }
    if let Some(d) = a.dns {
        settings.dns_servers = vec![d];
    }
    let site = if a.target.contains("://") {
        let home =
            url::Url::parse(&a.target).with_context(|| format!("“{}”不是有效的网址", a.target))?;
        Site {
            id: "adhoc".into(),
            name: home.host_str().unwrap_or("").to_string(),
            home,
            org: String::new(),
            region: String::new(),
            kind: SiteKind::Portal,
            overrides: SiteOverrides::default(),
        }
    } else if looks_like_host(&a.target) {
        return Err(anyhow!(
            "“{}”不是网站标识码：检查一个网站请给出它的网址，例如 govwatch probe https://{}/",
            a.target,
            a.target.trim_end_matches('/')
        ));
    } else {
        let sites = load_sites(&dir.sites_path())?;
        sites
            .into_iter()
            .find(|s| s.id == a.target)
            .ok_or_else(|| {
                anyhow!(
                    "{} 中没有网站标识码为 {} 的网站",
                    dir.sites_path().display(),
                    a.target
                )
            })?
    };
    let mut site = site;
    if let Some(n) = a.max_pages {
        site.overrides.max_pages = Some(n);
    }
    let as_of = monitoring_time(a.as_of.as_deref())?;
    let rules = load_rules(&dir)?;
    let allow_private = settings.allow_private;
    if !allow_private && private_literal(&site.home) {
        return Err(refuse_private(&site.home));
    }
    let crawler = Crawler::new(settings)?;
    eprintln!(
        "govwatch probe：正在检查 {}（每个主机每秒至多 1 次请求，请稍候）…",
        site.home
    );
    let spinner = crate::progress::spinner("正在抓取和检查页面");
    let result = inspect_site(&crawler, &site, as_of, &rules, None).await;
    spinner.finish_and_clear();
    if !allow_private
        && result.fetches.iter().any(|f| {
            f.error == Some(govwatch_model::FetchError::BlockedAddress)
                && url::Url::parse(&f.url).is_ok_and(|u| u.host_str() == site.home.host_str())
        })
    {
        return Err(refuse_private(&site.home));
    }
    if !a.json
        && let Some(why) = nothing_answers(&result)
    {
        eprintln!(
            "govwatch probe：{} 上没有任何服务应答（{why}）。请先确认网址和端口是否写对；\
             若无误，则该网站确实无法访问",
            site.home
        );
    }
    print_result(&result, a.json, verbose)?;
    let costly = result.findings.iter().any(|f| f.severity != Severity::Info);
    Ok(if costly { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// Why nothing at all answered at the site's host — every request of it failed before any HTTP
/// answer (refused, no such name, no connection in time) — in words; `None` when the host
/// answered anything, even an error status (then the findings say what was wrong with the site).
fn nothing_answers(r: &SiteResult) -> Option<&'static str> {
    use govwatch_model::FetchError;
    let host = r.site.home.host_str()?;
    let mine: Vec<&govwatch_model::FetchRecord> = r
        .fetches
        .iter()
        .filter(|f| url::Url::parse(&f.url).is_ok_and(|u| u.host_str() == Some(host)))
        .collect();
    if mine.is_empty() || mine.iter().any(|f| f.status.is_some()) {
        return None;
    }
    Some(match mine[0].error {
        Some(FetchError::Dns) => "域名无法解析",
        Some(FetchError::Connect) => "连接被拒绝或无法建立连接",
        Some(FetchError::Timeout) => "在时限内没有应答",
        Some(e) => e.zh(),
        None => "没有应答",
    })
}

/// A target without a scheme that looks like a host name (`www.ahxx.gov.cn`), not a site id.
fn looks_like_host(target: &str) -> bool {
    let host = target.split('/').next().unwrap_or("");
    host.contains('.') && host.chars().any(|c| c.is_ascii_alphabetic())
        || host.parse::<std::net::IpAddr>().is_ok()
}

/// Whether the URL's host is a literal private, loopback, link-local or unspecified address.
fn private_literal(home: &url::Url) -> bool {
    use std::net::IpAddr;
    let ip = match home.host() {
        Some(url::Host::Ipv4(a)) => IpAddr::V4(a),
        Some(url::Host::Ipv6(a)) => IpAddr::V6(a),
        Some(url::Host::Domain(d)) => return d.eq_ignore_ascii_case("localhost"),
        None => return false,
    };
    match ip {
        IpAddr::V4(a) => {
            a.is_private() || a.is_loopback() || a.is_link_local() || a.is_unspecified()
        }
        IpAddr::V6(a) => {
            a.is_loopback()
                || a.is_unspecified()
                || a.is_unique_local()
                || a.is_unicast_link_local()
                || a.to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_private() || v4.is_loopback())
        }
    }
}

/// The refusal of a private address (nothing was judged, no finding made).
fn refuse_private(home: &url::Url) -> anyhow::Error {
    anyhow!(
        "{home}：这是内网或本机地址 (a private or loopback address)。政府网站是公开网站，\
         govwatch 不检查这类地址；检查本机的测试网站请加 --allow-private"
    )
}

fn print_result(r: &SiteResult, json: bool, verbose: u8) -> Result<()> {
    if json {
        for f in &r.facts {
            let line = serde_json::json!({
                "type": "fact", "site": r.site.id, "probe": f.probe, "code": f.code, "url": f.url,
                "value": f.value, "observed_at": f.observed_at.to_rfc3339(),
            });
            outln!("{line}");
        }
        for f in &r.findings {
            let line = serde_json::json!({
                "type": "finding", "site": r.site.id, "probe": f.probe, "code": f.code,
                "severity": f.severity.as_str(), "url": f.url, "value": f.value, "message": f.message,
                "evidence": f.evidence, "observed_at": f.observed_at.to_rfc3339(),
            });
            outln!("{line}");
        }
        return Ok(());
    }
    outln!(
        "{} {} — 抓取页面 {} 个，请求 {} 次",
        r.site.id,
        r.site.home,
        r.pages.len(),
        r.fetches.len()
    );
    if r.findings.is_empty() {
        outln!("问题：无");
    } else {
        outln!("问题：{} 个", r.findings.len());
    }
    let mut findings: Vec<&govwatch_model::Finding> = r.findings.iter().collect();
    findings.sort_by_key(|f| f.severity);
    for f in findings {
        outln!(
            "  [{}] {}",
            super::severity_zh(f.severity),
            govwatch_score::codes::titled(&f.code)
        );
        outln!("      说明：{}", f.message);
        if let Some(u) = &f.url {
            outln!("      网址：{u}");
        }
        if let Some(e) = &f.evidence.excerpt {
            outln!("      证据：{e}");
        }
    }
    print_ipv6(r);
    if verbose > 0 {
        outln!("监测记录 (facts)：");
        for f in r.facts.iter().filter(|f| !f.code.starts_with("ipv6.")) {
            outln!(
                "  {:<20} {} {}",
                f.code,
                f.url.as_deref().unwrap_or(""),
                f.value
            );
        }
    } else {
        outln!("（加 -v 显示全部监测记录）");
    }
    Ok(())
}

/// The IPv6 section of the human output.
fn print_ipv6(r: &SiteResult) {
    let fact = |code: &str| r.facts.iter().find(|f| f.code == code).map(|f| &f.value);
    let Some(aaaa) = fact("ipv6.aaaa") else {
        return;
    };
    outln!("IPv6：");
    let list = |v: &serde_json::Value| -> String {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "无".into())
    };
    outln!(
        "  AAAA 记录       {}（DNS 原始应答：{}）",
        list(&aaaa["aaaa"]),
        list(&aaaa["aaaa_raw"])
    );
    if aaaa["cname_chain"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        outln!("  CNAME 链        {}", list(&aaaa["cname_chain"]));
    }
    if let Some(re) = fact("ipv6.reachability") {
        outln!(
            "  可达地址        {} 个（共 {} 个）",
            re["reachable"],
            re["total"]
        );
        for a in re["addresses"].as_array().into_iter().flatten() {
            let how = match (
                a["http_status"].as_u64(),
                a["tcp_error"].as_str(),
                a["http_error"].as_str(),
            ) {
                (Some(st), _, _) => format!("HTTP {st}"),
                (None, Some(e), _) | (None, None, Some(e)) => e.to_string(),
                _ => "无应答".into(),
            };
            outln!("    [{}]  {how}", a["addr"].as_str().unwrap_or(""));
        }
    }
    if let Some(sc) = fact("ipv6.same_content") {
        outln!(
            "  v4 / v6 内容    HTTP {} / {}，差异 {}",
            sc["v4_status"],
            sc["v6_status"],
            sc["diff"]
                .as_f64()
                .map(|d| format!("{:.1}%", d * 100.0))
                .unwrap_or_else(|| "未比较".into())
        );
    }
    if let Some(ns) = fact("ipv6.ns") {
        outln!(
            "  域名服务器      区 {}：{} 个有 AAAA 记录，{} 个可经 IPv6 应答",
            ns["zone"].as_str().unwrap_or("?"),
            ns["with_aaaa"],
            ns["answering_v6"]
        );
    }
    if let Some(ls) = fact("ipv6.link_support") {
        outln!(
            "  二三级链接      {} 个可经 IPv6 访问（共 {} 个；有 AAAA 的比例 {}，未尝试 {} 个）",
            ls["ok_v6"],
            ls["total"],
            ls["aaaa_ratio"],
            ls["not_tried"]
        );
    }
    if let Some(sr) = fact("ipv6.success_rate") {
        outln!(
            "  首页 IPv6 采样  {} 次正常（共 {} 次）",
            sr["ok"],
            sr["samples"]
        );
    }
}
