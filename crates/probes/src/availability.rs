//! Availability (rule: 站点无法访问, 国办秘函〔2019〕19号 single veto 2).
//!
//! Each fetch of the home page is a sample: it fails when the page is not open within 15 s, or
//! answers an error status, or the name, connection or TLS fails. One failed sample is not yet a
//! veto — the scorer needs ≥ 5% failures over a week of ≥ 20 samples a day — so each failure is a
//! `warn` finding the scorer counts.
//!
//! Codes:
//! - `avail.sample` (fact): one per sample: `{ok, status, error, elapsed_ms, family}`.
//! - `avail.sample_failed` (finding, warn): a failed sample, with the failure as evidence.

use crate::{Probe, ProbeInput, ProbeOutput};
use govwatch_model::{Evidence, Fact, Finding, Severity};
use serde_json::json;

pub struct Availability;

impl Probe for Availability {
    fn name(&self) -> &'static str {
        "availability"
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        for s in &input.crawl.samples {
            let value = json!({
                "ok": s.ok,
                "status": s.status,
                "error": s.error.map(|e| e.as_str()),
                "elapsed_ms": s.elapsed_ms,
                "family": s.family,
            });
            out.facts.push(Fact {
                probe: self.name().into(),
                code: "avail.sample".into(),
                url: Some(s.url.clone()),
                value: value.clone(),
                observed_at: s.at,
            });
            if !s.ok {
                let why = match (s.error, s.status) {
                    (Some(e), _) => {
                        let msg = input
                            .crawl
                            .fetches
                            .iter()
                            .find(|f| f.url == s.url && f.started_at == s.at)
                            .and_then(|f| f.error_message.clone());
                        match msg {
                            Some(m) => format!("{}: {}", e.as_str(), m),
                            None => e.as_str().to_string(),
                        }
                    }
                    (None, Some(st)) => format!("HTTP {st}"),
                    (None, None) => "no answer".into(),
                };
                out.findings.push(Finding {
                    probe: self.name().into(),
                    code: "avail.sample_failed".into(),
                    severity: Severity::Warn,
                    url: Some(s.url.clone()),
                    value,
                    message: format!("home page not available: {why}"),
                    evidence: Evidence {
                        status: s.status,
                        excerpt: Some(why),
                        ..Default::default()
                    },
                    observed_at: s.at,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::tests::{crawl_with, rec};
    use govwatch_model::{FetchError, Sample};

    #[test]
    fn failed_and_ok_samples() {
        let mut c = crawl_with(vec![], vec![]);
        let r = rec("http://a.gov.test/", Some(200), None);
        c.samples = vec![
            Sample {
                url: r.url.clone(),
                at: r.started_at,
                family: Some(4),
                ok: true,
                status: Some(200),
                error: None,
                elapsed_ms: 30,
            },
            Sample {
                url: r.url.clone(),
                at: r.started_at,
                family: None,
                ok: false,
                status: None,
                error: Some(FetchError::Timeout),
                elapsed_ms: 15000,
            },
            Sample {
                url: r.url.clone(),
                at: r.started_at,
                family: Some(4),
                ok: false,
                status: Some(503),
                error: None,
                elapsed_ms: 20,
            },
        ];
        let out = Availability.run(&ProbeInput::new(&c, r.started_at));
        assert_eq!(out.facts.len(), 3);
        let f: Vec<(&str, Option<&str>)> = out
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.evidence.excerpt.as_deref()))
            .collect();
        assert_eq!(
            f,
            vec![
                ("avail.sample_failed", Some("timeout")),
                ("avail.sample_failed", Some("HTTP 503"))
            ]
        );
    }
}
