//! The search probe's network part: the search pages on the site's other hosts fetched, then the
//! planned searches submitted (GET; POST only where the site allows it; never any other form).
//! The search probe decides what to fetch (it is pure); the crawler opens the sockets.

use crate::site::{CrawlContext, parse_page};
use crate::{Crawler, FetchSpec, Fetched};
use govwatch_model::{Page, SearchAttempt, SearchPlan, SiteCrawl};

/// Fetches the search pages `discovery` names for the crawl (into `crawl.search_pages`), then
/// submits the searches `plan` makes of the crawl with those pages (into `crawl.searches`); each
/// page is parsed on a CPU worker through the context's sink, which sees it before `plan` runs.
pub async fn search_io(
    crawler: &Crawler,
    crawl: &mut SiteCrawl,
    ctx: &CrawlContext,
    discovery: impl FnOnce(&SiteCrawl) -> Vec<String>,
    plan: impl FnOnce(&SiteCrawl) -> Vec<SearchPlan>,
) {
    for u in discovery(crawl) {
        let Ok(url) = url::Url::parse(&u) else {
            continue;
        };
        let f = crawler.fetch(&url, FetchSpec::PAGE).await;
        crawl.fetches.extend(f.attempts.iter().cloned());
        crawl.search_pages.push(parse_on_cpu(crawler, f, ctx).await);
    }
    for plan in plan(crawl) {
        let Ok(url) = url::Url::parse(&plan.url) else {
            continue;
        };
        let f = match (&plan.method[..], &plan.body) {
            ("POST", Some(body)) => crawler.post_search_form(&url, body).await,
            _ => crawler.fetch(&url, FetchSpec::PAGE).await,
        };
        crawl.fetches.extend(f.attempts.iter().cloned());
        crawl.searches.push(SearchAttempt {
            plan,
            result: parse_on_cpu(crawler, f, ctx).await,
        });
    }
}

/// Parses a fetched search page on a CPU worker through the site's sink.
async fn parse_on_cpu(crawler: &Crawler, f: Fetched, ctx: &CrawlContext) -> Page {
    let sink = ctx.sink.clone();
    let fallback = f.last().clone();
    match crawler.cpu(move || parse_page(f, 1, sink.as_ref()).1).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(url = %fallback.url, error = %e, "parsing a search page failed");
            Page::failed(fallback, 1)
        }
    }
}
