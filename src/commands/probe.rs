//! `govwatch probe`: inspect one site now and print its facts and findings (JSON lines with
//! `--json`), the IPv6 section read from the probe's facts ([`print_ipv6`]).

use super::{EXIT_CLEAN, EXIT_FINDINGS, load_rules, monitoring_time};
use crate::cli::ProbeArgs;
use anyhow::{Context, Result, anyhow};
use govwatch_config::{ConfigDir, load_crawl_settings, load_sites};
use govwatch_crawler::Crawler;
use govwatch_model::{Severity, Site, SiteKind, SiteOverrides, SiteResult};
use govwatch_runner::inspect_site;

/// Runs `govwatch probe`.
pub(crate) async fn cmd_probe(a: ProbeArgs) -> Result<u8> {
    let dir = ConfigDir::new(&a.config);
    let mut settings = load_crawl_settings(&dir.crawl_path())?;
    if a.allow_private {
        settings.allow_private = true;
    }
    if let Some(d) = a.dns {
        settings.dns_servers = vec![d];
    }
    let site = if a.target.contains("://") {
        let home = url::Url::parse(&a.target).with_context(|| format!("bad URL {:?}", a.target))?;
        Site {
            id: "adhoc".into(),
            name: home.host_str().unwrap_or("").to_string(),
            home,
            org: String::new(),
            region: String::new(),
            kind: SiteKind::Portal,
            overrides: SiteOverrides::default(),
        }
    } else {
        let sites = load_sites(&dir.sites_path())?;
        sites
            .into_iter()
            .find(|s| s.id == a.target)
            .ok_or_else(|| {
                anyhow!(
                    "no site with id {} in {}",
                    a.target,
                    dir.sites_path().display()
                )
            })?
    };
    let mut site = site;
    if let Some(n) = a.max_pages {
        site.overrides.max_pages = Some(n);
    }
    let as_of = monitoring_time(a.as_of.as_deref())?;
    let rules = load_rules(&dir)?;
    let crawler = Crawler::new(settings)?;
    let result = inspect_site(&crawler, &site, as_of, &rules, None).await;
    print_result(&result, a.json)?;
    let costly = result.findings.iter().any(|f| f.severity != Severity::Info);
    Ok(if costly { EXIT_FINDINGS } else { EXIT_CLEAN })
}

fn print_result(r: &SiteResult, json: bool) -> Result<()> {
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
        "{} {} — {} pages, {} fetches",
        r.site.id,
        r.site.home,
        r.pages.len(),
        r.fetches.len()
    );
    outln!("facts:");
    for f in r.facts.iter().filter(|f| !f.code.starts_with("ipv6.")) {
        outln!(
            "  {:<20} {} {}",
            f.code,
            f.url.as_deref().unwrap_or(""),
            f.value
        );
    }
    print_ipv6(r);
    outln!("findings: {}", r.findings.len());
    for f in &r.findings {
        outln!("  [{}] {:<18} {}", f.severity.as_str(), f.code, f.message);
        if let Some(e) = &f.evidence.excerpt {
            outln!("      evidence: {e}");
        }
    }
    Ok(())
}

/// The IPv6 section of the human output.
fn print_ipv6(r: &SiteResult) {
    let fact = |code: &str| r.facts.iter().find(|f| f.code == code).map(|f| &f.value);
    let Some(aaaa) = fact("ipv6.aaaa") else {
        return;
    };
    outln!("IPv6:");
    let list = |v: &serde_json::Value| -> String {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "none".into())
    };
    outln!(
        "  AAAA            {} (as answered: {})",
        list(&aaaa["aaaa"]),
        list(&aaaa["aaaa_raw"])
    );
    if aaaa["cname_chain"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        outln!("  CNAME chain     {}", list(&aaaa["cname_chain"]));
    }
    if let Some(re) = fact("ipv6.reachability") {
        outln!(
            "  reachable       {} of {} addresses",
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
                _ => "no answer".into(),
            };
            outln!("    [{}]  {how}", a["addr"].as_str().unwrap_or(""));
        }
    }
    if let Some(sc) = fact("ipv6.same_content") {
        outln!(
            "  v4 / v6         HTTP {} / {}, difference {}",
            sc["v4_status"],
            sc["v6_status"],
            sc["diff"]
                .as_f64()
                .map(|d| format!("{:.1}%", d * 100.0))
                .unwrap_or_else(|| "not compared".into())
        );
    }
    if let Some(ns) = fact("ipv6.ns") {
        outln!(
            "  name servers    zone {}: {} with AAAA, {} answering over IPv6",
            ns["zone"].as_str().unwrap_or("?"),
            ns["with_aaaa"],
            ns["answering_v6"]
        );
    }
    if let Some(ls) = fact("ipv6.link_support") {
        outln!(
            "  link support    {} of {} level-2/3 links work over IPv6 (AAAA share {}, not tried {})",
            ls["ok_v6"],
            ls["total"],
            ls["aaaa_ratio"],
            ls["not_tried"]
        );
    }
    if let Some(sr) = fact("ipv6.success_rate") {
        outln!(
            "  home samples    {} of {} ok over IPv6",
            sr["ok"],
            sr["samples"]
        );
    }
}
