//! `govwatch status`: per site, the last sample, the 7-day availability, the last crawl and the
//! open warnings, read from the database (works while the daemon runs). The availability window
//! is computed from the stored samples up to the moment asked (`now`), so it is current whether
//! or not the daemon runs. Every time in a [`SiteStatus`] is RFC 3339 in China time (+08:00) to
//! the second ([`china_time`]), whatever zone the database stored it in.

use govwatch_model::Site;
use govwatch_store::{Store, StoreError};
use serde::Serialize;

/// An RFC 3339 time of the database as RFC 3339 in China time (+08:00) to the second; text that
/// does not parse is kept as it is.
pub fn china_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| {
            govwatch_model::time::in_china(&t).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
        .unwrap_or_else(|_| t.to_string())
}

#[derive(Debug, Clone, Serialize)]
pub struct LastSample {
    pub at: String,
    pub ok: bool,
    pub family: Option<u8>,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Availability {
    pub ratio: f64,
    pub samples: u64,
    pub failed: u64,
    /// Samples an anti-bot wall answered with a challenge (neither ok nor failed, not among
    /// `samples`).
    pub challenged: u64,
    pub complete: bool,
    pub unreachable: bool,
    pub computed_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastCrawl {
    pub run_id: i64,
    pub as_of: String,
    pub finished_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpenWarning {
    pub code: String,
    pub opened_at: String,
    pub message: String,
    pub last_sent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteStatus {
    pub id: String,
    pub name: String,
    pub home: String,
    pub last_sample: Option<LastSample>,
    pub availability: Option<Availability>,
    pub last_crawl: Option<LastCrawl>,
    pub warnings: Vec<OpenWarning>,
}

/// The status of every site, in registry order, at `now`.
pub fn status(
    store: &Store,
    sites: &[Site],
    rules: &govwatch_config::AvailabilityRules,
    now: govwatch_model::Timestamp,
) -> Result<Vec<SiteStatus>, StoreError> {
    let mut out = Vec::new();
    for s in sites {
        let last_sample = store.last_sample(&s.id)?.map(|x| LastSample {
            at: china_time(&x.at.to_rfc3339()),
            ok: x.ok,
            family: x.family,
            status: x.status,
            error: x.error.map(|e| e.as_str().to_string()),
            elapsed_ms: x.elapsed_ms,
        });
        let (fact, _) = govwatch_runner::availability_verdict(store, s, now, rules)?;
        let v = &fact.value;
        let samples = v["samples"].as_u64().unwrap_or(0);
        let challenged = v["challenged"].as_u64().unwrap_or(0);
        let availability = (samples + challenged > 0).then(|| Availability {
            ratio: v["ratio"].as_f64().unwrap_or(0.0),
            samples,
            failed: v["failed"].as_u64().unwrap_or(0),
            challenged,
            complete: v["complete"].as_bool().unwrap_or(false),
            unreachable: v["unreachable"].as_bool().unwrap_or(false),
            computed_at: china_time(&now.to_rfc3339()),
        });
        let last_crawl = store.last_site_run(&s.id)?.map(|r| LastCrawl {
            run_id: r.run_id,
            as_of: china_time(&r.as_of),
            finished_at: china_time(&r.finished_at),
        });
        let warnings = store
            .open_warnings(Some(&s.id))?
            .into_iter()
            .map(|w| OpenWarning {
                code: w.code,
                opened_at: china_time(&w.opened_at),
                message: w.message,
                last_sent: w.last_sent.as_deref().map(china_time),
            })
            .collect();
        out.push(SiteStatus {
            id: s.id.clone(),
            name: s.name.clone(),
            home: s.home.to_string(),
            last_sample,
            availability,
            last_crawl,
            warnings,
        });
    }
    Ok(out)
}
