//! Crawling a whole site: breadth-first pages, then every link and resource they reference.
//!
//! The home page is fetched first and is also the run's availability sample (its first attempt,
//! before any retry, is what the 15-second rule judges). robots.txt governs the crawl; the single
//! home page request is the inspection's mandated check and is made even where robots.txt forbids
//! crawling, but nothing is followed from it then.
//!
//! Pages are fetched level by level; within a level all requests are issued at once and the host
//! gates serialise them, so a site's extra hosts (a search host, a static host) proceed in
//! parallel while each host still sees one request at a time. Then every link and resource not
//! crawled as a page is checked (HEAD; a failing HEAD is confirmed with GET, since many servers
//! answer HEAD wrongly), external hosts each under their own gate.

use crate::Crawler;
use crate::decode::decode_html;
use crate::extract;
use crate::fetch::{FetchSpec, Fetched};
use crate::frontier::{Frontier, looks_like_document, normalize};
use futures::StreamExt;
use govwatch_model::{FetchError, FetchRecord, LinkCheck, LinkKind, Page, Sample, Site, SiteCrawl};
use scraper::Html;
use std::collections::{BTreeMap, HashSet};
use url::Url;

/// Turns a fetch into a page: decodes and parses HTML bodies.
pub fn build_page(fetched: &Fetched, depth: u32) -> Page {
    let rec = fetched.last().clone();
    let mut page = Page {
        fetch: rec,
        depth,
        text: String::new(),
        charset: None,
        charset_source: None,
        title: None,
        links: Vec::new(),
        is_html: false,
    };
    if let Some(body) = &fetched.body {
        let d = decode_html(body, page.fetch.content_type.as_deref());
        let base = Url::parse(&page.fetch.final_url).ok();
        let doc = Html::parse_document(&d.text);
        page.title = extract::title(&doc);
        if let Some(base) = base {
            page.links = extract::links(&doc, &base);
        }
        page.charset = Some(d.encoding.name().to_string());
        page.charset_source = Some(d.source);
        page.text = d.text;
        page.is_html = true;
    }
    page
}

/// What a link's target page shows: its title and meta keywords/description.
type TargetSeen = (Option<String>, String);

fn key_of(u: &Url) -> String {
    u.to_string()
}

/// The `keywords` and `description` meta tags of a page, joined.
fn head_meta(html: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = scraper::Selector::parse(r#"meta[name="keywords"], meta[name="Keywords"], meta[name="description"], meta[name="Description"]"#)
        .expect("valid selector");
    let parts: Vec<String> = doc
        .select(&sel)
        .filter_map(|m| m.value().attr("content"))
        .map(|c| c.trim().to_string())
        .collect();
    crate::extract::fold_ws(&parts.join(" "))
}

/// The availability sample of a home page fetch attempt.
pub fn sample_of(rec: &FetchRecord) -> Sample {
    Sample {
        url: rec.url.clone(),
        at: rec.started_at,
        family: rec.family,
        ok: rec.ok(),
        status: rec.status,
        error: rec.error,
        elapsed_ms: rec.elapsed_ms,
    }
}

impl Crawler {
    /// Crawls one site and checks its links.
    pub async fn crawl_site(&self, site: &Site) -> SiteCrawl {
        let s = &self.settings;
        let mut hosts: Vec<String> = site.hosts();
        if let Some(rate) = site.overrides.rate {
            for h in &hosts {
                self.gates.configure(h, rate);
            }
        }
        let mut frontier = Frontier::new(
            site.overrides.max_pages.unwrap_or(s.max_pages).max(1),
            site.overrides.max_depth.unwrap_or(s.max_depth),
            s.max_url_len,
            s.max_query_variants,
        );
        let mut fetches: Vec<FetchRecord> = Vec::new();
        let mut pages: Vec<Page> = Vec::new();
        let mut samples = Vec::new();
        let mut robots_blocked: Vec<String> = Vec::new();

        let home = normalize(&site.home);
        let _ = frontier.offer(&home, 0);
        // robots.txt first, so its Crawl-delay governs every request to the host, the home page's too.
        let home_allowed = self.robots_allowed(&home).await;
        // Each queued URL with whether it was reached through an interaction link.
        let mut level: Vec<(Url, bool)> = vec![(home.clone(), false)];
        let mut depth = 0u32;
        let words = &s.interaction_words;
        let interaction_link = |text: &str| {
            words
                .iter()
                .any(|w| !w.is_empty() && text.contains(w.as_str()))
        };
        while !level.is_empty() {
            let results = futures::future::join_all(level.iter().map(|(u, _)| {
                let spec = if depth == 0 {
                    FetchSpec {
                        robots: false,
                        ..FetchSpec::PAGE
                    }
                } else {
                    FetchSpec::PAGE
                };
                self.fetch(u, spec)
            }))
            .await;
            let mut next = Vec::new();
            for ((url, via_interaction), fetched) in level.iter().zip(results) {
                let last = fetched.last();
                if last.error == Some(FetchError::RobotsDisallowed) {
                    robots_blocked.push(url.to_string());
                    continue;
                }
                fetches.extend(fetched.attempts.iter().cloned());
                let mut follow = true;
                if depth == 0 {
                    samples.push(sample_of(fetched.first()));
                    // A home page that redirects to another host (http → https, a new domain)
                    // makes that host part of the site.
                    if let Ok(f) = Url::parse(&last.final_url) {
                        if let Some(h) = f.host_str() {
                            let h = h.to_ascii_lowercase();
                            if !hosts.contains(&h) {
                                hosts.push(h);
                            }
                        }
                        frontier.mark_seen(&f);
                    }
                    follow = home_allowed;
                    if !follow {
                        robots_blocked.push(url.to_string());
                    }
                }
                let page = build_page(&fetched, depth);
                if follow {
                    for link in page.links.iter().filter(|l| l.kind == LinkKind::Anchor) {
                        let Ok(lu) = Url::parse(&link.url) else {
                            continue;
                        };
                        let internal = lu
                            .host_str()
                            .is_some_and(|h| hosts.iter().any(|x| x.eq_ignore_ascii_case(h)));
                        let interaction = *via_interaction || interaction_link(&link.text);
                        let extra = if interaction {
                            s.interaction_extra_depth
                        } else {
                            0
                        };
                        if internal
                            && !looks_like_document(&lu)
                            && let Ok(u) = frontier.offer_within(&lu, depth + 1, extra)
                        {
                            next.push((u, interaction));
                        }
                    }
                }
                pages.push(page);
            }
            level = next;
            depth += 1;
        }

        let mut link_checks = Vec::new();
        let mut over_budget = 0u64;
        if s.check_links {
            let crawled: HashSet<String> = pages
                .iter()
                .flat_map(|p| [p.fetch.url.clone(), p.fetch.final_url.clone()])
                .chain(robots_blocked.iter().cloned())
                .collect();
            let mut seen: HashSet<String> = HashSet::new();
            let mut targets: Vec<Url> = Vec::new();
            // links to other sites' pages are read (GET) to see what they serve now
            let mut read_target: HashSet<String> = HashSet::new();
            for link in pages.iter().flat_map(|p| p.links.iter()) {
                let Ok(u) = Url::parse(&link.url) else {
                    continue;
                };
                let u = normalize(&u);
                let key = u.to_string();
                if crawled.contains(&key) || !seen.insert(key) {
                    continue;
                }
                let internal = u
                    .host_str()
                    .is_some_and(|h| hosts.iter().any(|x| x.eq_ignore_ascii_case(h)));
                if !internal && !s.check_external {
                    continue;
                }
                if !internal && link.kind == LinkKind::Anchor && !looks_like_document(&u) {
                    read_target.insert(key_of(&u));
                }
                targets.push(u);
            }
            let total = targets.len();
            targets.truncate(s.max_link_checks);
            over_budget = (total - targets.len()) as u64;
            let concurrency = (s.global_concurrency.max(1) as usize).min(64);
            let read_target = &read_target;
            let checked: Vec<(Url, Vec<FetchRecord>, Option<TargetSeen>)> =
                futures::stream::iter(targets)
                    .map(|u| async move {
                        if read_target.contains(&key_of(&u)) {
                            let get = self
                                .fetch(
                                    &u,
                                    FetchSpec {
                                        purpose: govwatch_model::Purpose::LinkCheck,
                                        ..FetchSpec::PAGE
                                    },
                                )
                                .await;
                            let page = build_page(&get, 1);
                            let seen = page
                                .is_html
                                .then(|| (page.title.clone(), head_meta(&page.text)));
                            return (u, get.attempts, seen);
                        }
                        let head = self.fetch(&u, FetchSpec::CHECK_HEAD).await;
                        let mut recs = head.attempts.clone();
                        let h = head.last();
                        let confirm = h.error.is_none() && h.status.is_some_and(|st| st >= 400);
                        if confirm {
                            let get = self.fetch(&u, FetchSpec::CHECK_GET).await;
                            recs.extend(get.attempts);
                        }
                        (u, recs, None)
                    })
                    .buffer_unordered(concurrency)
                    .collect()
                    .await;
            for (u, recs, seen) in checked {
                let last = recs.last().expect("one attempt").clone();
                if last.error == Some(FetchError::RobotsDisallowed) {
                    robots_blocked.push(u.to_string());
                    continue;
                }
                fetches.extend(recs);
                let (target_title, target_meta) = match seen {
                    Some((t, m)) => (t, Some(m).filter(|m| !m.is_empty())),
                    None => (None, None),
                };
                link_checks.push(LinkCheck {
                    url: u.to_string(),
                    record: last,
                    target_title,
                    target_meta,
                });
            }
            link_checks.sort_by(|a, b| a.url.cmp(&b.url));
        }
        for h in &hosts {
            fetches.extend(self.robots.take_records(h));
        }
        let mut skipped: BTreeMap<String, u64> = frontier.skipped();
        if over_budget > 0 {
            skipped.insert("link_check_budget".into(), over_budget);
        }
        robots_blocked.sort();
        robots_blocked.dedup();
        let ipv6 = if s.ipv6 {
            Some(self.gather_ipv6(site, &pages).await)
        } else {
            None
        };
        if let Some(g) = &ipv6 {
            fetches.extend(g.fetches.iter().cloned());
        }
        SiteCrawl {
            site: site.clone(),
            pages,
            fetches,
            link_checks,
            samples,
            robots_blocked,
            skipped,
            ipv6,
            search_pages: Vec::new(),
            searches: Vec::new(),
        }
    }
}
