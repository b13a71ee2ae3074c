//! The plan of a run: how many requests it will make, how many sites it crawls at once, and the
//! least time politeness allows.
//!
//! At 1 request/s per host a site takes as many seconds as it needs requests, so a night only fits
//! when many sites are crawled at once. [`plan`] estimates each site's requests (what it needed in
//! its last run, else its page budget and the link checks that come with it), then keeps enough
//! sites in flight to be done by the night's end (`night_end` in `crawl.toml`), never more than
//! `max_sites_in_flight`; `site_concurrency` > 0 fixes the number instead.
//!
//! A first run has no history: each site is taken at its page budget until its home page is read,
//! then at what the home page links to ([`estimate_from_home`]); sites not read yet are taken at
//! the mean of those read. The run plans again ([`plan_with`]) once the first sites' home pages
//! are in.
//!
//! The politeness bound is the least wall time the rate limits allow, the longest of: the slowest
//! site alone (its requests at its host's rate); the busiest host name (every site on it, e.g. one
//! host with a path per site, at its rate); the busiest server address (every host on it at
//! `address_rate`); and all requests spread over the sites in flight. A run that takes much longer
//! than its bound spent the time in its own queues.

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, NaiveTime, Timelike};
use govwatch_config::CrawlSettings;
use govwatch_model::Site;
use std::collections::HashMap;
use std::time::Duration;

/// How a run will go, before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Sites to crawl in this invocation.
    pub sites: usize,
    /// Sites crawled at once.
    pub in_flight: usize,
    /// Requests expected in all.
    pub requests: u64,
    /// Sites whose estimate comes from their previous run.
    pub from_history: usize,
    /// Sites whose estimate comes from their home page's links (this run's).
    pub from_home: usize,
    /// The slowest site alone: its requests at its host's rate.
    pub longest_site: Duration,
    /// The least wall time politeness allows (see the module documentation).
    pub bound: Duration,
    /// The server address whose sites need the longest at `address_rate` (every host on it),
    /// with that time, when the addresses are known.
    pub busiest_address: Option<(std::net::IpAddr, Duration)>,
    /// When the run should be done (the night's end), if one is set.
    pub night_end: Option<DateTime<FixedOffset>>,
    /// When the run will be done if it keeps to its bound.
    pub expected_finish: DateTime<FixedOffset>,
}

/// Requests a site is expected to need without history: its page budget, a link check for about
/// every second page (documents, images and other sites' pages not crawled), robots.txt, and a
/// few searches.
pub fn default_estimate(site: &Site, settings: &CrawlSettings) -> u64 {
    let pages = site.overrides.max_pages.unwrap_or(settings.max_pages) as u64;
    let checks = if settings.check_links {
        (pages / 2).min(settings.max_link_checks as u64)
    } else {
        0
    };
    pages + checks + 4
}

/// Pages a home page's links lead to, per distinct internal link of the home page. Measured: the
/// benchmark farm's home pages link to 19 pages of their site and the crawl reads 57; the demo's
/// fixture sites link to most of their pages from the home page (ratio 1 to 2). 2 is within 2× of
/// both.
pub const PAGES_PER_HOME_LINK: u64 = 2;

/// Requests a site is expected to need once its home page is read, from the distinct pages of the
/// site the home page links to: about [`PAGES_PER_HOME_LINK`] pages for each (within the page
/// budget), a link check for about every second page, robots.txt, and a few searches.
pub fn estimate_from_home(site: &Site, settings: &CrawlSettings, home_links: usize) -> u64 {
    let budget = site.overrides.max_pages.unwrap_or(settings.max_pages) as u64;
    let pages = (1 + home_links as u64 * PAGES_PER_HOME_LINK).min(budget.max(1));
    let checks = if settings.check_links {
        (pages / 2).min(settings.max_link_checks as u64)
    } else {
        0
    };
    pages + checks + 4
}

/// The next time `minutes` after midnight (China time) comes after `now`.
fn next_time_of_day(now: DateTime<FixedOffset>, minutes: u32) -> DateTime<FixedOffset> {
    let china = govwatch_model::time::CHINA_TZ;
    let local = now.with_timezone(&china);
    let t = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).expect("valid time");
    let mut day = local.date_naive();
    if local.time().with_nanosecond(0).unwrap_or(local.time()) >= t {
        day = day.succ_opt().unwrap_or(day);
    }
    day.and_time(t)
        .and_local_timezone(china)
        .single()
        .expect("fixed offsets are never ambiguous")
}

/// Plans a run of `sites` starting at `now` (wall-clock time; the monitoring time is another
/// matter). `history` holds each site's requests in its last recorded run.
pub fn plan(
    sites: &[Site],
    settings: &CrawlSettings,
    history: &HashMap<String, u64>,
    now: DateTime<FixedOffset>,
) -> Plan {
    plan_with(
        sites,
        settings,
        &Known {
            history,
            ..Known::default()
        },
        now,
    )
}

/// What a plan knows of the sites besides the registry.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Each site's requests in its last recorded run, by site id.
    pub history: &'a HashMap<String, u64>,
    /// This run's estimates from home pages ([`estimate_from_home`]), by site id.
    pub home: &'a HashMap<String, u64>,
    /// The server address of each host name, where resolved.
    pub addresses: &'a HashMap<String, std::net::IpAddr>,
}

static NO_COUNTS: std::sync::LazyLock<HashMap<String, u64>> =
    std::sync::LazyLock::new(HashMap::new);
static NO_ADDRESSES: std::sync::LazyLock<HashMap<String, std::net::IpAddr>> =
    std::sync::LazyLock::new(HashMap::new);

impl Default for Known<'_> {
    /// Nothing known: no history, no home page read, no address.
    fn default() -> Self {
        Known {
            history: &NO_COUNTS,
            home: &NO_COUNTS,
            addresses: &NO_ADDRESSES,
        }
    }
}

/// [`plan`] with home-page estimates and server addresses.
pub fn plan_with(
    sites: &[Site],
    settings: &CrawlSettings,
    known: &Known,
    now: DateTime<FixedOffset>,
) -> Plan {
    let mut requests = 0u64;
    let mut from_history = 0usize;
    let mut from_home = 0usize;
    let mut longest = Duration::ZERO;
    let mut total_secs = 0f64;
    // sites not read yet are taken at the mean of those read, if any were
    let home_mean = (!known.home.is_empty()).then(|| {
        known
            .home
            .values()
            .sum::<u64>()
            .div_ceil(known.home.len() as u64)
    });
    let mut by_host: HashMap<String, f64> = HashMap::new();
    let mut by_address: HashMap<std::net::IpAddr, u64> = HashMap::new();
    for s in sites {
        let n = match (known.history.get(&s.id), known.home.get(&s.id)) {
            (Some(&n), _) if n > 0 => {
                from_history += 1;
                n
            }
            (_, Some(&n)) => {
                from_home += 1;
                n
            }
            _ => home_mean.unwrap_or_else(|| default_estimate(s, settings)),
        };
        requests += n;
        let rate = s.overrides.rate.unwrap_or(settings.rate).max(1e-6);
        let secs = n as f64 / rate;
        total_secs += secs;
        longest = longest.max(Duration::from_secs_f64(secs));
        let host = s.home.host_str().unwrap_or("").to_ascii_lowercase();
        if let Some(ip) = known.addresses.get(&host) {
            *by_address.entry(*ip).or_default() += n;
        }
        *by_host.entry(host).or_default() += secs;
    }
    // one host name shared by several sites (a path each) is asked at its rate by all of them
    let busiest_host = by_host.values().copied().fold(0f64, f64::max);
    let busiest_address = by_address
        .into_iter()
        .map(|(ip, n)| {
            (
                ip,
                Duration::from_secs_f64(n as f64 / settings.address_rate.max(1e-6)),
            )
        })
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    let night_end = settings
        .night_end_minutes()
        .map(|m| next_time_of_day(now, m));
    let n = sites.len().max(1);
    let max = (settings.max_sites_in_flight.max(1) as usize).min(n);
    let in_flight = if settings.site_concurrency > 0 {
        (settings.site_concurrency as usize).min(n)
    } else {
        match night_end {
            // enough sites at once that the work fits before the night's end, with a margin
            // for sites of uneven size; never fewer than 16 (or all, when there are fewer)
            Some(end) => {
                let window = (end - now).num_seconds().max(60) as f64;
                let needed = (total_secs * 1.5 / window).ceil() as usize;
                needed.clamp(16.min(n), max)
            }
            None => max,
        }
    };
    let spread = Duration::from_secs_f64(total_secs / in_flight.max(1) as f64);
    let bound = longest
        .max(spread)
        .max(Duration::from_secs_f64(busiest_host))
        .max(busiest_address.map(|a| a.1).unwrap_or_default());
    let expected_finish =
        now + ChronoDuration::from_std(bound).unwrap_or_else(|_| ChronoDuration::zero());
    Plan {
        sites: sites.len(),
        in_flight,
        requests,
        from_history,
        from_home,
        longest_site: longest,
        bound,
        busiest_address,
        night_end,
        expected_finish,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwatch_model::{SiteKind, SiteOverrides};

    fn site(i: usize) -> Site {
        Site {
            id: format!("34{i:08}"),
            name: format!("site {i}"),
            home: url::Url::parse(&format!("http://s{i}.gov.test/")).unwrap(),
            org: String::new(),
            region: String::new(),
            kind: SiteKind::Portal,
            overrides: SiteOverrides::default(),
        }
    }

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn a_province_fits_the_night_with_enough_sites_at_once() {
        // 835 sites of 200 pages at 1 request/s: 304 s each, 70 hours in a row.
        let sites: Vec<Site> = (0..835).map(site).collect();
        let settings = CrawlSettings::default();
        let p = plan(
            &sites,
            &settings,
            &HashMap::new(),
            at("2026-11-30T02:00:00+08:00"),
        );
        assert_eq!(p.requests, 835 * 304);
        assert_eq!(p.night_end, Some(at("2026-11-30T06:00:00+08:00")));
        // 4 hours: 835 * 304 s * 1.5 / 14400 s = 26.4 → 27 sites at once
        assert_eq!(p.in_flight, 27);
        assert!(p.expected_finish <= p.night_end.unwrap());
        assert_eq!(p.longest_site, Duration::from_secs(304));
    }

    #[test]
    fn history_and_fixed_concurrency() {
        let sites: Vec<Site> = (0..10).map(site).collect();
        let history: HashMap<String, u64> = [(sites[0].id.clone(), 1000)].into();
        let settings = CrawlSettings {
            site_concurrency: 4,
            ..Default::default()
        };
        let p = plan(&sites, &settings, &history, at("2026-11-30T02:00:00+08:00"));
        assert_eq!(p.from_history, 1);
        assert_eq!(p.in_flight, 4);
        assert_eq!(p.requests, 1000 + 9 * 304);
        // the slowest site alone takes 1000 s; 3736 requests over 4 lanes take 934 s
        assert_eq!(p.bound, Duration::from_secs(1000));
    }

    #[test]
    fn sites_sharing_a_host_or_an_address_are_bound_together() {
        // six county sites on one platform: three share a host (a path each), all six one
        // address; each needs 60 requests
        let mut sites: Vec<Site> = (0..6).map(site).collect();
        for (i, s) in sites.iter_mut().enumerate().take(3) {
            s.home = url::Url::parse(&format!("http://zwfw.gov.test/county{i}/")).unwrap();
        }
        let settings = CrawlSettings {
            night_end: String::new(),
            ..Default::default()
        };
        let history: HashMap<String, u64> = sites.iter().map(|s| (s.id.clone(), 60)).collect();
        let ip: std::net::IpAddr = "10.1.1.1".parse().unwrap();
        let addresses: HashMap<String, std::net::IpAddr> = sites
            .iter()
            .map(|s| (s.home.host_str().unwrap().to_string(), ip))
            .collect();
        let now = at("2026-11-30T02:00:00+08:00");
        let p = plan_with(
            &sites,
            &settings,
            &Known {
                history: &history,
                ..Default::default()
            },
            now,
        );
        // the shared host: 3 × 60 requests at 1/s
        assert_eq!(p.bound, Duration::from_secs(180));
        assert_eq!(p.busiest_address, None);
        let known = Known {
            history: &history,
            addresses: &addresses,
            ..Default::default()
        };
        let p = plan_with(&sites, &settings, &known, now);
        // the shared address: 6 × 60 requests at 4/s = 90 s, less than the shared host
        assert_eq!(p.busiest_address, Some((ip, Duration::from_secs(90))));
        assert_eq!(p.bound, Duration::from_secs(180));
        let slow = CrawlSettings {
            address_rate: 1.0,
            ..settings
        };
        let p = plan_with(&sites, &slow, &known, now);
        assert_eq!(p.bound, Duration::from_secs(360));
    }

    #[test]
    fn home_pages_replace_the_page_budget() {
        let sites: Vec<Site> = (0..4).map(site).collect();
        let settings = CrawlSettings::default();
        // a home page linking to 19 pages of its site: 39 pages, 19 checks, 4 more
        assert_eq!(estimate_from_home(&sites[0], &settings, 19), 62);
        // a large site is still capped by its page budget
        assert_eq!(estimate_from_home(&sites[0], &settings, 500), 304);
        let home: HashMap<String, u64> =
            [(sites[0].id.clone(), 62), (sites[1].id.clone(), 10)].into();
        let known = Known {
            home: &home,
            ..Default::default()
        };
        let p = plan_with(&sites, &settings, &known, at("2026-11-30T02:00:00+08:00"));
        assert_eq!(p.from_home, 2);
        // the two not read yet are taken at the mean of those read (36)
        assert_eq!(p.requests, 62 + 10 + 2 * 36);
    }

    #[test]
    fn no_night_end_means_every_site_at_once() {
        let sites: Vec<Site> = (0..1200).map(site).collect();
        let settings = CrawlSettings {
            night_end: String::new(),
            max_pages: 50,
            ..Default::default()
        };
        let p = plan(
            &sites,
            &settings,
            &HashMap::new(),
            at("2026-11-30T23:30:00+08:00"),
        );
        assert_eq!(p.in_flight, 1000, "capped by max_sites_in_flight");
        // a run started after 06:00 aims at the next morning
        let settings = CrawlSettings::default();
        let p = plan(
            &sites[..3],
            &settings,
            &HashMap::new(),
            at("2026-11-30T07:00:00+08:00"),
        );
        assert_eq!(p.night_end, Some(at("2026-12-01T06:00:00+08:00")));
        assert_eq!(p.in_flight, 3);
    }
}
