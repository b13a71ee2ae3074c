//! Planning the searches the crawler submits: the title of a crawled article, in a GET query URL
//! or, where the site's configuration allows, a POST body.

use super::locate::{SearchEntry, locate};
use govwatch_model::{SearchPlan, SiteCrawl};
use url::Url;

/// The title of a crawled article to search for, and its URL.
pub fn pick_term(crawl: &SiteCrawl) -> Option<(String, String)> {
    let site_name = crawl.site.name.as_str();
    crawl
        .pages
        .iter()
        .filter(|p| p.depth >= 1 && p.is_html && p.fetch.ok())
        .filter(|p| {
            let path = Url::parse(&p.fetch.url)
                .map(|u| u.path().to_string())
                .unwrap_or_default();
            !(path.ends_with('/')
                || path.ends_with("/index.html")
                || path.ends_with("/index.htm")
                || path.ends_with("/index.shtml"))
        })
        .find_map(|p| {
            let t = p.title.as_deref()?;
            let first = t.split(" - ").next()?;
            let first = first
                .split(['_', '|', '—', '－'])
                .map(str::trim)
                .find(|s| !s.is_empty())?;
            let n = first.chars().count();
            (n >= 4 && first != site_name).then(|| {
                (
                    first.chars().take(30).collect::<String>(),
                    p.fetch.url.clone(),
                )
            })
        })
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The searches to submit: for each distinct entry (at most two), the term in a GET query URL, or
/// in a form-encoded body for POST forms where the site's configuration allows POST searches.
pub fn plan(crawl: &SiteCrawl) -> Vec<SearchPlan> {
    plan_with(crawl, locate(crawl))
}

pub(super) fn plan_with(crawl: &SiteCrawl, entries: Vec<SearchEntry>) -> Vec<SearchPlan> {
    let Some((term, expect_url)) = pick_term(crawl) else {
        return vec![];
    };
    let allow_post = crawl.site.overrides.search_post;
    let mut out = Vec::new();
    for e in entries
        .into_iter()
        .filter(|e| e.method == "GET" || (allow_post && e.method == "POST"))
        .take(2)
    {
        if e.kind == "script" {
            // the script appends the term to its URL prefix
            out.push(SearchPlan {
                form_page: e.page.clone(),
                url: format!("{}{}", e.action, enc(&term)),
                method: "GET".into(),
                body: None,
                term: term.clone(),
                expect_url: expect_url.clone(),
            });
            continue;
        }
        let Ok(mut u) = Url::parse(&e.action) else {
            continue;
        };
        let mut pairs: Vec<(String, String)> = e.hidden.clone();
        for s in &e.selects {
            let v = s
                .all_value
                .clone()
                .or_else(|| {
                    s.options
                        .iter()
                        .find(|(v, _)| !v.is_empty())
                        .map(|(v, _)| v.clone())
                })
                .unwrap_or_default();
            pairs.push((s.name.clone(), v));
        }
        pairs.push((e.query_field.clone(), term.clone()));
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        let (url, method, body) = if e.method == "POST" {
            (u.to_string(), "POST", Some(encoded))
        } else {
            u.set_query(Some(&encoded));
            (u.to_string(), "GET", None)
        };
        out.push(SearchPlan {
            form_page: e.page.clone(),
            url,
            method: method.into(),
            body,
            term: term.clone(),
            expect_url: expect_url.clone(),
        });
    }
    out
}
