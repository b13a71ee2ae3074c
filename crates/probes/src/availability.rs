//! Availability (rule: 站点无法访问, 国办秘函〔2019〕19号 single veto 2).
//!
//! Each fetch of the home page is a sample: it fails when the page is not open within 15 s, or
//! answers an error status, or the name, connection or TLS fails. One failed sample is not yet a
//! veto — the scorer needs ≥ 5% failures over a week of ≥ 20 samples a day — so each failure is a
//! `warn` finding the scorer counts.
//!
//! A sample an anti-bot wall answered with a challenge (error `challenged`, `config/walls.toml`)
//! is neither failed nor ok: a person's browser passes the wall, so it says nothing about whether
//! the site can be opened. It is recorded (`avail.sample` with `challenged: true`), never a
//! failure, and the window counts such samples apart (`challenged`), outside `samples`.
//!
//! Codes:
//! - `avail.sample` (fact): one per sample: `{ok, status, error, elapsed_ms, family}`.
//! - `avail.sample_failed` (finding, warn): a failed sample, with the failure as evidence.
//! - `avail.window` (fact): the rolling window of stored samples before the monitoring time
//!   ([`window`], judged by [`judge_window`]).
//! - `avail.unreachable` (finding, veto): failures ≥ `veto_ratio` (5%, inclusive) of a complete
//!   window (every day with ≥ `min_per_day` samples).

use crate::{Probe, ProbeInput, ProbeOutput};
use govwatch_model::{Fact, Finding, Severity};
use serde_json::json;

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `avail.sample` (fact).
    pub const SAMPLE: &str = "avail.sample";
    /// `avail.sample_failed` (finding).
    pub const SAMPLE_FAILED: &str = "avail.sample_failed";
    /// `avail.window` (fact).
    pub const WINDOW: &str = "avail.window";
    /// `avail.unreachable` (finding).
    pub const UNREACHABLE: &str = "avail.unreachable";
    /// Every code above.
    pub const ALL: &[&str] = &[SAMPLE, SAMPLE_FAILED, WINDOW, UNREACHABLE];
}

pub struct Availability;

impl Probe for Availability {
    fn name(&self) -> &'static str {
        "availability"
    }

    fn run(&self, input: &ProbeInput) -> ProbeOutput {
        let mut out = ProbeOutput::default();
        for s in &input.crawl.samples {
            let mut value = json!({
                "ok": s.ok,
                "status": s.status,
                "error": s.error.map(|e| e.as_str()),
                "elapsed_ms": s.elapsed_ms,
                "family": s.family,
            });
            if s.challenged() {
                // an anti-bot wall answered: neither ok nor failed, never a finding
                value["challenged"] = json!(true);
            }
            out.facts.push(Fact {
                probe: self.name().into(),
                code: codes::SAMPLE.into(),
                url: Some(s.url.clone()),
                value: value.clone(),
                observed_at: s.at,
            });
            if !s.ok && !s.challenged() {
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
                out.findings.push(
                    crate::evidence::finding(
                        self.name(),
                        codes::SAMPLE_FAILED,
                        Severity::Warn,
                        s.at,
                    )
                    .url(s.url.clone())
                    .value(value)
                    .message(format!(
                        "首页访问失败：{}",
                        match (s.error, s.status) {
                            (Some(e), _) => crate::links::fetch_error_zh(e).to_string(),
                            (None, Some(st)) => format!("HTTP {st}"),
                            (None, None) => "无应答".into(),
                        }
                    ))
                    .status(s.status)
                    .excerpt(why)
                    .build(),
                );
            }
        }
        out
    }
}

/// The availability of one site over a rolling window of samples (veto 2: ≥ 5% of ≥ 20 spaced
/// samples a day for a week). Pure: the caller reads the samples from the store.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AvailabilityWindow {
    /// Start (inclusive) and end (exclusive) of the window.
    pub from: govwatch_model::Timestamp,
    pub until: govwatch_model::Timestamp,
    /// Samples that judge the site (ok or failed); challenged ones are not among them.
    pub samples: u32,
    pub failed: u32,
    /// Samples an anti-bot wall answered with a challenge: neither ok nor failed, counted apart.
    #[serde(default)]
    pub challenged: u32,
    /// `failed / samples`, 0 when there are none.
    pub ratio: f64,
    /// Days of the window (counted back from `until` in 24-hour steps).
    pub days: u32,
    /// Days that hold at least `min_per_day` samples.
    pub full_days: u32,
    /// Every day of the window holds at least `min_per_day` samples: the ratio is a verdict, not
    /// an early reading.
    pub complete: bool,
}

/// Computes the window ending at `until` over `days` days from `samples` (any order; samples
/// outside the window are ignored). `family` limits the count to IPv4 (`Some(4)`) or IPv6
/// (`Some(6)`) samples; a sample whose connection never got an address (`family: None`) counts
/// for every family, because the site was not reachable over any.
pub fn window(
    samples: &[govwatch_model::Sample],
    until: govwatch_model::Timestamp,
    days: u32,
    min_per_day: u32,
    family: Option<u8>,
) -> AvailabilityWindow {
    let from = until - chrono::Duration::days(i64::from(days));
    let mut per_day = vec![0u32; days as usize];
    let (mut n, mut failed, mut challenged) = (0u32, 0u32, 0u32);
    for s in samples {
        if s.at < from || s.at >= until {
            continue;
        }
        if let (Some(want), Some(got)) = (family, s.family)
            && want != got
        {
            continue;
        }
        if s.challenged() {
            // a wall answered: the sample neither counts for the site nor against it, and does
            // not fill the day (a week of challenges is no complete window)
            challenged += 1;
            continue;
        }
        n += 1;
        if !s.ok {
            failed += 1;
        }
        let day = ((s.at - from).num_seconds() / 86_400) as usize;
        if let Some(d) = per_day.get_mut(day) {
            *d += 1;
        }
    }
    let full_days = per_day.iter().filter(|&&c| c >= min_per_day).count() as u32;
    AvailabilityWindow {
        from,
        until,
        samples: n,
        failed,
        challenged,
        ratio: if n == 0 {
            0.0
        } else {
            f64::from(failed) / f64::from(n)
        },
        days,
        full_days,
        complete: days > 0 && full_days == days,
    }
}

/// The availability verdict of a site — the one place where the window, its family and the veto
/// rule meet (the run, the daemon, `status` and, through the stored `avail.window` fact, the
/// scorer all use it): the window over the rules' family (`probes.toml [availability] family`,
/// IPv4 by default; IPv6 is judged by its own indicator) and, beside it, the IPv6 window for the
/// record. Returns the `avail.window` fact and, when the rule is met, the `avail.unreachable`
/// veto finding. `samples` may hold any samples; those outside the window are ignored.
pub fn verdict(
    samples: &[govwatch_model::Sample],
    until: govwatch_model::Timestamp,
    rules: &govwatch_config::AvailabilityRules,
    home: &str,
) -> (Fact, Option<Finding>) {
    let main = window(
        samples,
        until,
        rules.window_days,
        rules.min_per_day,
        rules.family_filter(),
    );
    let v6 = window(
        samples,
        until,
        rules.window_days,
        rules.min_per_day,
        Some(6),
    );
    judge_window(&main, Some(&v6), rules, home, until)
}

/// The `avail.window` fact of a site and, when the window shows the site unreachable, the
/// `avail.unreachable` veto finding. `main` is the window over the rules' family, `v6` the one
/// over IPv6 (recorded for the IPv6 success rate), `at` the time of the judgement.
pub fn judge_window(
    main: &AvailabilityWindow,
    v6: Option<&AvailabilityWindow>,
    rules: &govwatch_config::AvailabilityRules,
    home: &str,
    at: govwatch_model::Timestamp,
) -> (Fact, Option<Finding>) {
    let reached = main.samples > 0 && main.ratio >= rules.veto_ratio;
    let unreachable = reached && (main.complete || !rules.require_complete);
    let value = json!({
        "from": main.from.to_rfc3339(),
        "until": main.until.to_rfc3339(),
        "family": rules.family,
        "samples": main.samples,
        "failed": main.failed,
        "challenged": main.challenged,
        "ratio": main.ratio,
        "days": main.days,
        "full_days": main.full_days,
        "min_per_day": rules.min_per_day,
        "complete": main.complete,
        "veto_ratio": rules.veto_ratio,
        "unreachable": unreachable,
        "v6": v6.map(|w| json!({"samples": w.samples, "failed": w.failed, "challenged": w.challenged, "ratio": w.ratio})),
    });
    let fact = Fact {
        probe: "availability".into(),
        code: codes::WINDOW.into(),
        url: Some(home.to_string()),
        value: value.clone(),
        observed_at: at,
    };
    let finding = unreachable.then(|| {
        let pct = main.ratio * 100.0;
        let excerpt = format!(
            "{} of {} samples failed ({pct:.2}%) from {} to {}",
            main.failed,
            main.samples,
            main.from.to_rfc3339(),
            main.until.to_rfc3339()
        );
        crate::evidence::finding("availability", codes::UNREACHABLE, Severity::Veto, at)
            .url(home.to_string())
            .value(value)
            .message(format!(
                "站点无法访问：近{}天首页采样 {} 次，{} 次失败（{pct:.2}%），达到 {}% 单项否决线",
                main.days,
                main.samples,
                main.failed,
                rules.veto_ratio * 100.0
            ))
            .excerpt(excerpt)
            .build()
    });
    (fact, finding)
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

    fn sample_at(at: govwatch_model::Timestamp, ok: bool, family: Option<u8>) -> Sample {
        Sample {
            url: "http://a.gov.test/".into(),
            at,
            family,
            ok,
            status: if ok { Some(200) } else { None },
            error: if ok { None } else { Some(FetchError::Timeout) },
            elapsed_ms: 10,
        }
    }

    #[test]
    fn window_ratio_and_completeness() {
        let until = chrono::DateTime::parse_from_rfc3339("2020-03-08T00:00:00+08:00").unwrap();
        // 7 days × 24 hourly samples; 2 of 40 in the last day fail → not 5% of the week.
        let mut s = Vec::new();
        for h in 0..(7 * 24) {
            let at = until - chrono::Duration::hours(h + 1);
            s.push(sample_at(at, !(h == 3 || h == 5), Some(4)));
        }
        // outside the window, and one over IPv6
        s.push(sample_at(until, false, Some(4)));
        s.push(sample_at(until - chrono::Duration::days(8), false, Some(4)));
        s.push(sample_at(
            until - chrono::Duration::hours(2),
            false,
            Some(6),
        ));
        let w = window(&s, until, 7, 20, Some(4));
        assert_eq!(
            (w.samples, w.failed, w.full_days, w.complete),
            (168, 2, 7, true)
        );
        let all = window(&s, until, 7, 20, None);
        assert_eq!((all.samples, all.failed), (169, 3));
        // 40 samples over one day: 2 failures are exactly 5%, and one day is not a full week.
        let day: Vec<Sample> = (0..40)
            .map(|i| {
                sample_at(
                    until - chrono::Duration::minutes(30 * (i + 1)),
                    i >= 2,
                    None,
                )
            })
            .collect();
        let w = window(&day, until, 1, 20, Some(4));
        assert_eq!((w.samples, w.failed, w.complete), (40, 2, true));
        assert!((w.ratio - 0.05).abs() < 1e-12);
        assert!(!window(&day, until, 7, 20, None).complete);
    }

    fn day_of(n: u32, failed: u32, until: govwatch_model::Timestamp, days: u32) -> Vec<Sample> {
        // n samples spread evenly over `days` days before `until`, the first `failed` failing
        let span = i64::from(days) * 86_400_000;
        (0..n)
            .map(|i| {
                let ms = span * i64::from(i + 1) / i64::from(n + 1);
                sample_at(
                    until - chrono::Duration::milliseconds(ms),
                    i >= failed,
                    Some(4),
                )
            })
            .collect()
    }

    #[test]
    fn challenged_samples_are_neither_failed_nor_ok() {
        let until = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap();
        let rules = govwatch_config::AvailabilityRules::default();
        let wall = |at| Sample {
            error: Some(FetchError::Challenged),
            status: Some(412),
            ..sample_at(at, false, Some(4))
        };
        // a week of hourly samples, every one answered by a wall: nothing judged, no veto
        let week: Vec<Sample> = (0..7 * 24)
            .map(|h| wall(until - chrono::Duration::hours(h + 1)))
            .collect();
        let (fact, veto) = verdict(&week, until, &rules, "http://a.gov.test/");
        assert!(veto.is_none());
        assert_eq!(
            (
                fact.value["samples"].as_u64(),
                fact.value["failed"].as_u64(),
                fact.value["challenged"].as_u64(),
                fact.value["complete"].as_bool()
            ),
            (Some(0), Some(0), Some(168), Some(false))
        );
        // 20 good samples a day beside the challenged ones: judged on the good ones alone
        let mut mixed = week.clone();
        mixed.extend((0..7 * 20).map(|i| {
            sample_at(
                until - chrono::Duration::minutes(72 * i + 30),
                i % 50 != 0,
                Some(4),
            )
        }));
        let w = window(&mixed, until, 7, 20, Some(4));
        assert_eq!(
            (w.samples, w.failed, w.challenged, w.complete),
            (140, 3, 168, true)
        );
        // and each challenged sample is a fact, never an avail.sample_failed finding
        let mut c = crawl_with(vec![], vec![]);
        c.samples = vec![wall(until)];
        let out = Availability.run(&ProbeInput::new(&c, until));
        assert!(out.findings.is_empty());
        assert_eq!(out.facts[0].value["challenged"], true);
    }

    #[test]
    fn veto_at_five_percent_of_a_complete_window() {
        let until = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap();
        let rules = govwatch_config::AvailabilityRules {
            window_days: 2,
            ..Default::default()
        };
        let judge = |s: &[Sample]| {
            let w = window(s, until, rules.window_days, rules.min_per_day, Some(4));
            judge_window(&w, None, &rules, "http://a.gov.test/", until)
        };
        let (fact, f) = judge(&day_of(40, 2, until, 2));
        assert_eq!(fact.value["samples"], 40);
        assert_eq!(fact.value["failed"], 2);
        assert_eq!(fact.value["complete"], true);
        let f = f.expect("2 of 40 is 5%: the veto");
        assert_eq!(
            (f.code.as_str(), f.severity),
            ("avail.unreachable", Severity::Veto)
        );
        assert!((f.value["ratio"].as_f64().unwrap() - 0.05).abs() < 1e-12);
        let (fact, f) = judge(&day_of(40, 1, until, 2));
        assert!(f.is_none(), "1 of 40 is 2.5%");
        assert_eq!(fact.value["unreachable"], false);
        // the same 5% over an incomplete window (one day of the two) is not yet a veto
        let (fact, f) = judge(&day_of(40, 2, until, 1));
        assert_eq!(fact.value["complete"], false);
        assert!(f.is_none());
        let lenient = govwatch_config::AvailabilityRules {
            require_complete: false,
            ..rules.clone()
        };
        let w = window(&day_of(40, 2, until, 1), until, 2, 20, Some(4));
        assert!(judge_window(&w, None, &lenient, "u", until).1.is_some());
    }
}
