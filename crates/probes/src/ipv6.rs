//! IPv6 (function-design indicator: IPv6 support; the Anhui notice names 75 sites "not yet
//! reachable over IPv6"). Judges the facts the crawler gathered (`Ipv6Gathered`); it measures
//! what China's IPv6 metrics and internet.nl measure, not just an AAAA record.
//!
//! Facts:
//! - `ipv6.aaaa`: `{host, cname_chain, a, aaaa_raw, aaaa, dns_error}`.
//! - `ipv6.reachability`: `{addresses: [{addr, tcp_ok, tcp_ms, tcp_error, http_status, http_error}], reachable, total}`.
//! - `ipv6.same_content`: `{v4_addr, v6_addr, v4_status, v6_status, diff, max_diff}`.
//! - `ipv6.ns`: `{zone, servers: [{name, aaaa, answers_v6, error}], with_aaaa, answering_v6}`.
//! - `ipv6.link_support`: `{level2: {...}, level3: {...}, total, with_aaaa, ok_v6, aaaa_ratio, ok_ratio, not_tried}`.
//! - `ipv6.success_rate`: `{samples, ok, rate}` of home page samples over IPv6.
//!
//! Findings (all `deduct`):
//! - `ipv6.no_aaaa`: the home host has no usable AAAA (IPv4-mapped and useless addresses do not count).
//! - `ipv6.unreachable`: AAAA exists but no address answers; `ipv6.partial`: some addresses fail (named).
//! - `ipv6.status_mismatch`: the home page answers another status over IPv6 than over IPv4.
//! - `ipv6.content_mismatch`: same status, but the pages differ by more than `max_content_diff`
//!   after per-request noise (nonces, `__VIEWSTATE`, CSRF tokens, timestamps) is removed.
//!   A host without IPv4 is not judged on either.
//! - `ipv6.ns_no_v6`: fewer than two of the zone's authoritative name servers have AAAA and answer
//!   over IPv6.
//! - `ipv6.low_link_support`: the share of level-2/3 internal links that resolve to AAAA and answer
//!   over IPv6 is below `min_link_support` (not raised when the home host itself has no AAAA:
//!   `ipv6.no_aaaa` already says so).

use crate::{Probe, ProbeInput, ProbeOutput};
use govwatch_config::Ipv6Rules;
use govwatch_model::{Fact, Ipv6Gathered, LinkV6, Severity, Timestamp};
use regex::Regex;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `ipv6.aaaa` (fact).
    pub const AAAA: &str = "ipv6.aaaa";
    /// `ipv6.reachability` (fact).
    pub const REACHABILITY: &str = "ipv6.reachability";
    /// `ipv6.same_content` (fact).
    pub const SAME_CONTENT: &str = "ipv6.same_content";
    /// `ipv6.ns` (fact).
    pub const NS: &str = "ipv6.ns";
    /// `ipv6.link_support` (fact).
    pub const LINK_SUPPORT: &str = "ipv6.link_support";
    /// `ipv6.success_rate` (fact).
    pub const SUCCESS_RATE: &str = "ipv6.success_rate";
    /// `ipv6.no_aaaa` (finding).
    pub const NO_AAAA: &str = "ipv6.no_aaaa";
    /// `ipv6.unreachable` (finding).
    pub const UNREACHABLE: &str = "ipv6.unreachable";
    /// `ipv6.partial` (finding).
    pub const PARTIAL: &str = "ipv6.partial";
    /// `ipv6.status_mismatch` (finding).
    pub const STATUS_MISMATCH: &str = "ipv6.status_mismatch";
    /// `ipv6.content_mismatch` (finding).
    pub const CONTENT_MISMATCH: &str = "ipv6.content_mismatch";
    /// `ipv6.ns_no_v6` (finding).
    pub const NS_NO_V6: &str = "ipv6.ns_no_v6";
    /// `ipv6.low_link_support` (finding).
    pub const LOW_LINK_SUPPORT: &str = "ipv6.low_link_support";
    /// Every code above.
    pub const ALL: &[&str] = &[
        AAAA,
        REACHABILITY,
        SAME_CONTENT,
        NS,
        LINK_SUPPORT,
        SUCCESS_RATE,
        NO_AAAA,
        UNREACHABLE,
        PARTIAL,
        STATUS_MISMATCH,
        CONTENT_MISMATCH,
        NS_NO_V6,
        LOW_LINK_SUPPORT,
    ];
}

pub struct Ipv6 {
    pub rules: Ipv6Rules,
}

/// Patterns of per-request noise, replaced before the v4/v6 comparison.
fn noise() -> &'static [(Regex, &'static str)] {
    static N: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    N.get_or_init(|| {
        [
            // ASP.NET state and validation fields
            (r#"(?i)(name="__(?:VIEWSTATE|VIEWSTATEGENERATOR|EVENTVALIDATION|REQUESTDIGEST)"[^>]*?value=")[^"]*""#, "${1}\""),
            (r#"(?i)(id="__(?:VIEWSTATE|VIEWSTATEGENERATOR|EVENTVALIDATION)"[^>]*?value=")[^"]*""#, "${1}\""),
            // CSRF tokens in inputs and meta tags
            (r#"(?i)(name="[^"]*(?:csrf|xsrf|_token|authenticity_token)[^"]*"[^>]*?(?:value|content)=")[^"]*""#, "${1}\""),
            // CSP nonces
            (r#"(?i)\bnonce="[^"]*""#, "nonce=\"\""),
            // dates with times, times, and unix timestamps (10 or 13 digits)
            (r"\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?[ T]?\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?", "<TIME>"),
            (r"\b\d{1,2}:\d{2}:\d{2}\b", "<TIME>"),
            (r"\b1\d{9}(?:\d{3})?\b", "<TS>"),
            // cache busters and session ids in URLs
            (r"(?i)([?&;](?:v|t|_|ts|timestamp|rnd|random|r|jsessionid|sid|sessionid)=)[0-9A-Za-z._-]+", "${1}"),
            // long random-looking tokens
            (r"\b[0-9a-fA-F]{24,}\b", "<HEX>"),
        ]
        .into_iter()
        .map(|(p, r)| (Regex::new(p).expect("valid noise pattern"), r))
        .collect()
    })
}

/// The page with per-request noise removed.
pub fn denoise(html: &str) -> String {
    let mut s = html.to_string();
    for (re, rep) in noise() {
        s = re.replace_all(&s, *rep).into_owned();
    }
    s
}

/// Share (0..=1) of the two pages that differs after noise removal, compared tag by tag.
pub fn content_diff(a: &str, b: &str) -> f64 {
    let (a, b) = (denoise(a), denoise(b));
    if a == b {
        return 0.0;
    }
    let split = |s: &str| -> String { s.replace('>', ">\n") };
    let (a, b) = (split(&a), split(&b));
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(&a, &b);
    1.0 - diff.ratio() as f64
}

fn level_stats(links: &[&LinkV6]) -> Value {
    let total = links.len();
    let with_aaaa = links.iter().filter(|l| l.has_aaaa).count();
    let ok = links.iter().filter(|l| l.ok_v6 == Some(true)).count();
    json!({
        "total": total,
        "with_aaaa": with_aaaa,
        "ok_v6": ok,
        "aaaa_ratio": ratio(with_aaaa, total),
        "ok_ratio": ratio(ok, total),
    })
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| ((n as f64 / d as f64) * 10_000.0).round() / 10_000.0)
}

struct Out<'a> {
    out: ProbeOutput,
    url: String,
    at: Timestamp,
    g: &'a Ipv6Gathered,
}

impl Out<'_> {
    fn fact(&mut self, code: &str, value: Value) {
        self.out.facts.push(Fact {
            probe: "ipv6".into(),
            code: code.into(),
            url: Some(self.url.clone()),
            value,
            observed_at: self.at,
        });
    }

    fn finding(
        &mut self,
        code: &str,
        value: Value,
        message: String,
        excerpt: String,
        status: Option<u16>,
    ) {
        self.out.findings.push(
            crate::evidence::finding("ipv6", code, Severity::Deduct, self.at)
                .url(self.url.clone())
                .value(value)
                .message(message)
                .excerpt(excerpt)
                .status(status)
                .extra(json!({ "host": self.g.host }))
                .build(),
        );
    }
}

impl Probe for Ipv6 {
    fn name(&self) -> &'static str {
        "ipv6"
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let Some(g) = &input.crawl.ipv6 else {
            return ProbeOutput::default();
        };
        let at = input
            .home()
            .map(|h| h.fetch.started_at)
            .unwrap_or(input.as_of);
        let mut o = Out {
            out: ProbeOutput::default(),
            url: input.crawl.site.home.to_string(),
            at,
            g,
        };
        aaaa(&mut o);
        reachability(&mut o);
        same_content(&mut o, &self.rules);
        name_servers(&mut o);
        link_support(&mut o, &self.rules);
        success_rate(&mut o);
        // A site whose home page could not be reached at all, over any family, gives no IPv6
        // finding: nothing was measured but the failure, which availability reports.
        let home_reached = input.home().is_some_and(|h| h.fetch.status.is_some());
        let reached_v6 = g.addresses.iter().any(|a| a.reachable());
        if !home_reached && !reached_v6 {
            o.out.findings.clear();
        }
        o.out
    }
}

/// The AAAA fact, and `ipv6.no_aaaa` when the home host has no usable AAAA.
fn aaaa(o: &mut Out) {
    let g = o.g;
    let host = &g.host;
    o.fact(
        codes::AAAA,
        json!({ "host": host, "cname_chain": g.cname_chain, "a": g.a, "aaaa_raw": g.aaaa_raw, "aaaa": g.aaaa, "dns_error": g.dns_error }),
    );
    // a lookup that failed (rather than answering "no record") measured nothing
    let aaaa_failed = g
        .dns_error
        .as_deref()
        .is_some_and(|e| e.starts_with("AAAA "));
    if g.aaaa.is_empty() && !aaaa_failed {
        let why = if g.aaaa_raw.is_empty() {
            format!("AAAA {host}：无记录")
        } else {
            format!(
                "AAAA {host}：仅有 {}（IPv4 映射地址或不可用的地址）",
                g.aaaa_raw.join(", ")
            )
        };
        let why = match &g.dns_error {
            Some(e) => format!("{why}；{e}"),
            None => why,
        };
        o.finding(
            codes::NO_AAAA,
            json!({ "host": host, "aaaa_raw": g.aaaa_raw, "cname_chain": g.cname_chain }),
            format!("{host} 没有可用的 IPv6 地址（AAAA 记录），首页不支持 IPv6 访问"),
            why,
            None,
        );
    }
}

/// Reachability of every address: `ipv6.unreachable` or `ipv6.partial`.
fn reachability(o: &mut Out) {
    let g = o.g;
    let host = &g.host;
    if !g.addresses.is_empty() {
        let reachable: Vec<&str> = g
            .addresses
            .iter()
            .filter(|a| a.reachable())
            .map(|a| a.addr.as_str())
            .collect();
        let failing: Vec<String> = g
            .addresses
            .iter()
            .filter(|a| !a.reachable())
            .map(|a| {
                format!(
                    "[{}]:{} {}",
                    a.addr,
                    g.port,
                    a.tcp_error
                        .clone()
                        .or(a.http_error.clone())
                        .unwrap_or_default()
                )
            })
            .collect();
        let addrs: Vec<Value> = g
            .addresses
            .iter()
            .map(|a| json!({ "addr": a.addr, "tcp_ok": a.tcp_ok, "tcp_ms": a.tcp_ms, "tcp_error": a.tcp_error, "http_status": a.http_status, "http_error": a.http_error }))
            .collect();
        o.fact(
            codes::REACHABILITY,
            json!({ "addresses": addrs, "reachable": reachable.len(), "total": g.addresses.len() }),
        );
        let failing_addrs: Vec<&str> = g
            .addresses
            .iter()
            .filter(|a| !a.reachable())
            .map(|a| a.addr.as_str())
            .collect();
        if reachable.is_empty() {
            o.finding(
                codes::UNREACHABLE,
                json!({ "failing": failing_addrs }),
                format!(
                    "{host} 的 IPv6 地址均无法访问（{}）",
                    failing_addrs.join(", ")
                ),
                failing.join("; "),
                None,
            );
        } else if !failing.is_empty() {
            o.finding(
                codes::PARTIAL,
                json!({ "failing": failing_addrs, "reachable": reachable }),
                format!(
                    "{host} 的 {} 个 IPv6 地址（共 {} 个）无法访问（{}）",
                    failing.len(),
                    g.addresses.len(),
                    failing_addrs.join(", ")
                ),
                failing.join("; "),
                None,
            );
        }
    }
}

/// The same site on both families: `ipv6.status_mismatch`, `ipv6.content_mismatch`.
fn same_content(o: &mut Out, rules: &Ipv6Rules) {
    let g = o.g;
    let host = &g.host;
    if let (Some(v4), Some(v6)) = (&g.v4_get, &g.v6_get) {
        let diff = if v4.status == v6.status {
            Some(content_diff(&v4.body, &v6.body))
        } else {
            None
        };
        let max = rules.max_content_diff;
        o.fact(
            codes::SAME_CONTENT,
            json!({ "v4_addr": v4.addr, "v6_addr": v6.addr, "v4_status": v4.status, "v6_status": v6.status, "diff": diff.map(|d| (d * 10_000.0).round() / 10_000.0), "max_diff": max }),
        );
        if v4.status != v6.status {
            let s = |x: Option<u16>| {
                x.map(|v| v.to_string())
                    .unwrap_or_else(|| "no answer".into())
            };
            o.finding(
                codes::STATUS_MISMATCH,
                json!({ "v4_status": v4.status, "v6_status": v6.status, "v4_addr": v4.addr, "v6_addr": v6.addr }),
                format!("{host} 经 IPv4 访问返回 {}，经 IPv6 访问返回 {}，两者不一致", s(v4.status), s(v6.status)),
                format!("IPv4 {} → {}; IPv6 [{}] → {}", v4.addr, s(v4.status), v6.addr, s(v6.status)),
                v6.status,
            );
        } else if let Some(d) = diff.filter(|d| *d > max) {
            o.finding(
                codes::CONTENT_MISMATCH,
                json!({ "diff": (d * 10_000.0).round() / 10_000.0, "max_diff": max, "v4_addr": v4.addr, "v6_addr": v6.addr }),
                format!("{host} 经 IPv6 访问的首页与 IPv4 首页内容相差 {:.0}%（超过 {:.0}%）", d * 100.0, max * 100.0),
                first_difference(&v4.body, &v6.body),
                v6.status,
            );
        }
    }
}

/// The authoritative name servers: `ipv6.ns_no_v6` under two answering over IPv6.
fn name_servers(o: &mut Out) {
    let g = o.g;
    let host = &g.host;
    if g.ns_zone.is_some() || g.ns_error.is_some() {
        let with_aaaa = g.ns.iter().filter(|n| !n.aaaa.is_empty()).count();
        let answering = g.ns.iter().filter(|n| n.answers_v6).count();
        let servers: Vec<Value> = g
            .ns
            .iter()
            .map(|n| json!({ "name": n.name, "aaaa": n.aaaa, "answers_v6": n.answers_v6, "error": n.error }))
            .collect();
        o.fact(
            codes::NS,
            json!({ "zone": g.ns_zone, "servers": servers, "with_aaaa": with_aaaa, "answering_v6": answering, "error": g.ns_error }),
        );
        if answering < 2 {
            let detail: Vec<String> =
                g.ns.iter()
                    .map(|n| {
                        if n.aaaa.is_empty() {
                            format!("{}: no AAAA", n.name)
                        } else if n.answers_v6 {
                            format!("{}: answers over IPv6", n.name)
                        } else {
                            format!(
                                "{}: {}",
                                n.name,
                                n.error
                                    .clone()
                                    .unwrap_or_else(|| "no answer over IPv6".into())
                            )
                        }
                    })
                    .collect();
            let zone = g.ns_zone.clone().unwrap_or_else(|| host.clone());
            o.finding(
                codes::NS_NO_V6,
                json!({ "zone": zone, "with_aaaa": with_aaaa, "answering_v6": answering, "servers": g.ns.iter().map(|n| &n.name).collect::<Vec<_>>() }),
                format!("{zone} 的权威域名服务器中只有 {answering} 个可经 IPv6 解析（至少需要 2 个）"),
                if detail.is_empty() { g.ns_error.clone().unwrap_or_default() } else { detail.join("; ") },
                None,
            );
        }
    }
}

/// Level-2/3 internal links: `ipv6.low_link_support` under `min_link_support`.
fn link_support(o: &mut Out, rules: &Ipv6Rules) {
    let g = o.g;
    let host = &g.host;
    let l2: Vec<&LinkV6> = g.links.iter().filter(|l| l.level == 2).collect();
    let l3: Vec<&LinkV6> = g.links.iter().filter(|l| l.level == 3).collect();
    let total = g.links.len();
    if total > 0 {
        let with_aaaa = g.links.iter().filter(|l| l.has_aaaa).count();
        let ok = g.links.iter().filter(|l| l.ok_v6 == Some(true)).count();
        let ok_ratio = ok as f64 / total as f64;
        o.fact(
            codes::LINK_SUPPORT,
            json!({
                "level2": level_stats(&l2), "level3": level_stats(&l3),
                "total": total, "with_aaaa": with_aaaa, "ok_v6": ok,
                "aaaa_ratio": ratio(with_aaaa, total), "ok_ratio": ratio(ok, total),
                "not_tried": g.links_not_tried,
            }),
        );
        if !g.aaaa.is_empty() && ok_ratio < rules.min_link_support {
            let bad: Vec<String> = g
                .links
                .iter()
                .filter(|l| l.ok_v6 != Some(true))
                .take(10)
                .map(|l| {
                    let why = if !l.has_aaaa {
                        "no AAAA".to_string()
                    } else {
                        l.error
                            .clone()
                            .unwrap_or_else(|| format!("HTTP {}", l.status.unwrap_or(0)))
                    };
                    format!("{} ({why})", l.url)
                })
                .collect();
            o.finding(
                codes::LOW_LINK_SUPPORT,
                json!({ "ok_ratio": ratio(ok, total), "aaaa_ratio": ratio(with_aaaa, total), "min": rules.min_link_support, "total": total, "ok_v6": ok }),
                format!(
                    "{host} 的二、三级链接中 {ok} 个（共 {total} 个）可经 IPv6 访问，支持率 {:.1}%，低于 {:.0}%",
                    ok_ratio * 100.0,
                    rules.min_link_support * 100.0
                ),
                bad.join("; "),
                None,
            );
        }
    }
}

/// The success rate of home page samples over IPv6.
fn success_rate(o: &mut Out) {
    let g = o.g;
    if !g.v6_samples.is_empty() {
        let ok = g.v6_samples.iter().filter(|s| s.ok).count();
        o.fact(
            codes::SUCCESS_RATE,
            json!({ "samples": g.v6_samples.len(), "ok": ok, "rate": ratio(ok, g.v6_samples.len()) }),
        );
    }
}
/// About 120 characters around the first place where the denoised pages part.
fn first_difference(a: &str, b: &str) -> String {
    let (a, b) = (denoise(a), denoise(b));
    let i = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let cut = |s: &str| -> String {
        let c: Vec<char> = s.chars().collect();
        let from = i.saturating_sub(40);
        c[from.min(c.len())..(i + 80).min(c.len())]
            .iter()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("IPv4: …{}… | IPv6: …{}…", cut(&a), cut(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><meta name="csrf-token" content="8f3a9c2e7b1d4f6a"><script nonce="r4nd0m">var t=1732752000123;</script></head>
<body><form><input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKLTI2NjY3ODk5OWRk"><input type="hidden" name="_token" value="abc123xyz"></form>
<div class="top">今天是 2026年11月28日 10:15:32 星期六</div><ul class="list">
<li><a href="/xwzx/1.html">县政府召开常务会议</a><span>2026-11-27</span></li>
<li><a href="/xwzx/2.html">关于做好冬季安全生产工作的通知</a><span>2026-11-26</span></li>
<li><a href="/xwzx/3.html">全县项目建设推进会召开</a><span>2026-11-25</span></li></ul>
<script src="/js/app.js?v=20261128101532"></script><div>页面生成时间：2026-11-28 10:15:32</div></body></html>"#;

    #[test]
    fn pages_differing_only_in_noise_are_the_same() {
        let other = PAGE
            .replace("8f3a9c2e7b1d4f6a", "0011aabbccddeeff")
            .replace("r4nd0m", "qqq999")
            .replace("1732752000123", "1732752004567")
            .replace("/wEPDwUKLTI2NjY3ODk5OWRk", "/wEPDwUKMTExMTExMTExMWRk")
            .replace("abc123xyz", "zzz987")
            .replace("10:15:32", "10:15:36")
            .replace("20261128101532", "20261128101536");
        assert_ne!(PAGE, other);
        assert_eq!(content_diff(PAGE, &other), 0.0);
    }

    #[test]
    fn really_different_pages_differ() {
        let other = r#"<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed.</p></body></html>"#;
        assert!(content_diff(PAGE, other) > 0.10);
        // three changed news titles are measured, but stay within the 10% a cache may lag by
        let changed = PAGE
            .replace("县政府召开常务会议", "测试页面")
            .replace("关于做好冬季安全生产工作的通知", "测试页面二")
            .replace("全县项目建设推进会召开", "测试页面三");
        let d = content_diff(PAGE, &changed);
        assert!(d > 0.0 && d < 0.10, "{d}");
    }
}
