//! HTTPS: the home page served over plain http or failing its TLS handshake, and https pages
//! loading resources over plain http (mixed content).

use super::{IntegrityScan, codes, finding};
use crate::ProbeOutput;
use govwatch_model::{FetchError, Page, Severity};
use serde_json::json;
use url::Url;

/// Check 5, on one page: the resources an https page loads over plain http.
pub(super) fn mixed_resources(page: &Page, base: &Url, out: &mut IntegrityScan) {
    // 5. mixed content on https pages
    if base.scheme() == "https" {
        out.mixed = page
            .links
            .iter()
            .filter(|l| l.kind != govwatch_model::LinkKind::Anchor && l.url.starts_with("http://"))
            .map(|l| l.url.clone())
            .collect();
    }
}

/// Check 5, over the site: a finding for the page's mixed content; whether there was any.
pub(super) fn mixed_content(page: &Page, sc: &IntegrityScan, out: &mut ProbeOutput) -> bool {
    if sc.mixed.is_empty() {
        return false;
    }
    let url = page.fetch.url.as_str();
    let http_res = &sc.mixed;
    out.findings.push(finding(
        codes::SECURITY_MIXED_CONTENT,
        Severity::Warn,
        page,
        url,
        json!({ "resources": http_res.iter().take(20).collect::<Vec<_>>(), "count": http_res.len() }),
        format!("HTTPS 页面 {url} 经 http 加载了 {} 个资源", http_res.len()),
        http_res.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
    ));
    true
}

/// Check 7: the home page's TLS failure and plain-http service.
pub(super) fn home_https(home: &Page, out: &mut ProbeOutput) {
    if home.fetch.error == Some(FetchError::Tls) {
        out.findings.push(finding(
            codes::SECURITY_CERT_INVALID,
            Severity::Deduct,
            home,
            &home.fetch.url,
            json!({ "error": home.fetch.error_message }),
            format!("首页 {} 的 HTTPS 证书或加密连接出错", home.fetch.url),
            home.fetch.error_message.clone().unwrap_or_default(),
        ));
    }
    if home.fetch.final_url.starts_with("http://")
        && (home.fetch.ok() || home.fetch.status.is_some())
    {
        out.findings.push(finding(
            codes::SECURITY_NO_HTTPS,
            Severity::Info,
            home,
            &home.fetch.url,
            json!({ "final_url": home.fetch.final_url }),
            format!("首页未使用 HTTPS（{}）", home.fetch.final_url),
            format!(
                "GET {} → HTTP {} over http",
                home.fetch.url,
                home.fetch.status.unwrap_or(0)
            ),
        ));
    }
}
