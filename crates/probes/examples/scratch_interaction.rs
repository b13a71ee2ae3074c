use govwatch_model::*;
use govwatch_probes::{Probe, ProbeInput};
fn main() {
    let dir = std::path::Path::new("/work/shared/realpages");
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map_or(true, |x| x != "html") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let text = if p.to_string_lossy().contains("GB2312") {
            encoding_rs::GBK.decode(&bytes).0.into_owned()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let url = "http://real.gov.test/";
        let doc = scraper::Html::parse_document(&text);
        let base = url::Url::parse(url).unwrap();
        let sel = scraper::Selector::parse("a[href]").unwrap();
        let links: Vec<Link> = doc
            .select(&sel)
            .filter_map(|a| {
                let raw = a.value().attr("href")?.to_string();
                let u = base.join(&raw).ok()?;
                Some(Link {
                    url: u.to_string(),
                    raw,
                    text: a
                        .text()
                        .collect::<String>()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                    kind: LinkKind::Anchor,
                })
            })
            .collect();
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00").unwrap();
        let rec = FetchRecord {
            url: url.into(),
            final_url: url.into(),
            method: "GET".into(),
            purpose: Purpose::Page,
            status: Some(200),
            started_at: t,
            elapsed_ms: 1,
            bytes: 1,
            content_type: None,
            content_hash: None,
            remote_addr: None,
            family: Some(4),
            error: None,
            error_message: None,
            redirects: vec![],
            attempt: 1,
        };
        let page = Page {
            fetch: rec,
            depth: 1,
            text,
            charset: None,
            charset_source: None,
            title: None,
            links,
            is_html: true,
        };
        let mut home = page.clone();
        home.depth = 0;
        home.fetch.url = "http://real.gov.test/home".into();
        home.fetch.final_url = home.fetch.url.clone();
        home.links = vec![];
        let crawl = SiteCrawl {
            site: Site {
                id: "1".into(),
                name: "x".into(),
                home: url.parse().unwrap(),
                org: "o".into(),
                region: "r".into(),
                kind: SiteKind::Portal,
                overrides: Default::default(),
            },
            pages: vec![home, page],
            fetches: vec![],
            link_checks: vec![],
            samples: vec![],
            robots_blocked: vec![],
            skipped: Default::default(),
            ipv6: None,
            search_pages: vec![],
            searches: vec![],
        };
        let pr = govwatch_probes::interaction::Interaction::new(
            Default::default(),
            govwatch_config::WorkCalendar::shipped(),
        );
        let out = pr.run(&ProbeInput::new(&crawl, t));
        println!("== {}", p.file_name().unwrap().to_string_lossy());
        for f in &out.findings {
            println!(
                "  F {} {} | {}",
                f.code,
                f.message,
                f.evidence.excerpt.clone().unwrap_or_default()
            );
        }
        for f in &out.facts {
            if f.code != "message.channel" {
                println!("  fact {} {}", f.code, f.value);
            } else {
                println!("  chan {}", f.value["name"]);
            }
        }
    }
}
