//! Anti-bot walls met by the crawl: the `page.challenged` fact of a page that answered with a
//! challenge, and why a site whose home page stayed behind one is not inspected.
//!
//! The walls are recognised in [`crate::fetch`] by their signatures (`config/walls.toml`): such an
//! answer is recorded with the error `challenged`, which no probe takes for a failure of the site.
//! Where a browser is at hand ([`crate::render`]), the crawl has it pass the challenge once per
//! host, keeps the cookies the wall gives for that host ([`crate::cookies`]) and asks the page
//! again; the first answer still counts as met by a wall (the availability sample of a home page
//! behind a wall is `challenged`, neither ok nor failed).

use crate::fetch::challenge_wall;
use crate::locked;
use govwatch_config::WallRules;
use govwatch_model::{CrawlNote, FetchRecord};
use serde_json::json;

/// What people are told to do about a wall (the office asks the operator).
pub const ADVICE: &str =
    "请联系网站运维单位，将监测系统的IP地址和User-Agent加入防护白名单（放行），以便正常监测";

/// The wall's id and name of a challenged record.
pub fn wall_of(walls: &WallRules, rec: &FetchRecord) -> Option<(String, String)> {
    let id = challenge_wall(rec)?;
    let name = walls
        .get(id)
        .map(|w| w.name.clone())
        .unwrap_or_else(|| id.to_string());
    Some((id.to_string(), name))
}

/// The `page.challenged` note of a page fetch whose attempts met a wall: which wall, the status,
/// and whether the page was read after all (the browser passed the challenge).
pub fn page_note(walls: &WallRules, attempts: &[FetchRecord], depth: u32) -> Option<CrawlNote> {
    let met = attempts.iter().find(|a| a.challenged())?;
    let (id, name) = wall_of(walls, met)?;
    let last = attempts.last()?;
    Some(CrawlNote {
        code: "page.challenged".into(),
        url: Some(met.url.clone()),
        value: json!({
            "wall": id,
            "wall_name": name,
            "status": met.status,
            "depth": depth,
            "passed": !last.challenged(),
            "detail": met.error_message,
            "advice": ADVICE,
        }),
    })
}

/// Why a site is not inspected when its home page stayed behind a wall.
pub fn not_inspected(walls: &WallRules, home: &FetchRecord) -> Option<serde_json::Value> {
    let (id, name) = wall_of(walls, home)?;
    Some(json!({
        "reason": "challenged",
        "wall": id,
        "wall_name": name,
        "status": home.status,
        "detail": home.error_message,
        "advice": ADVICE,
    }))
}

/// How long after a try at a host's wall the crawler tries again (the cookies it earned may have
/// expired; a wall it could not pass is not tried on every page).
const RETRY_WALL_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

impl crate::Crawler {
    /// A page fetch that met a wall: when a browser is at hand (and the host's wall was not
    /// tried in the last ten minutes), the browser passes the challenge — its requests through
    /// the host's gate like every request — the cookies the wall gives are kept for the host
    /// (the crawler sends them from then on), and the page is asked again. The attempts are the
    /// first (challenged) ones, the browser's requests, then the new ones; otherwise the fetch
    /// is returned as it was.
    pub async fn through_wall(
        &self,
        url: &url::Url,
        spec: crate::FetchSpec,
        fetched: crate::Fetched,
    ) -> crate::Fetched {
        if !fetched.last().challenged() || self.renderer().is_none() {
            return fetched;
        }
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        {
            let mut tried = locked(&self.walls_tried);
            let now = std::time::Instant::now();
            if tried
                .get(&host)
                .is_some_and(|t| now.duration_since(*t) < RETRY_WALL_AFTER)
            {
                return fetched;
            }
            tried.insert(host.clone(), now);
        }
        let job = crate::render::RenderJob {
            url: url.clone(),
            robots: spec.robots,
            search: None,
        };
        match self.render(&job).await {
            Ok(r) => {
                tracing::info!(%url, status = ?r.status, requests = r.requests.len(), "anti-bot wall met: the browser ran its challenge");
                let mut attempts = fetched.attempts;
                attempts.extend(r.requests);
                // a robots.txt the wall answered was taken as no rules: read it again now
                self.robots
                    .forget_challenged(&url.origin().ascii_serialization());
                let again = self.fetch(url, spec).await;
                attempts.extend(again.attempts);
                crate::Fetched {
                    attempts,
                    body: again.body,
                    set_cookie: again.set_cookie,
                }
            }
            Err(e) => {
                tracing::warn!(%url, error = %e, "anti-bot wall met: the browser could not run its challenge");
                fetched
            }
        }
    }
}
