//! Every code constant of the probes is documented in `docs/codes.md`, and every code the
//! document lists for a probe of this crate exists as a constant: the document is the contract,
//! the constants are what the probes emit.

use govwatch_probes::{
    accessibility, attachments, availability, codes, columns, identity, integrity, interaction,
    interpretation, ipv6, links, media, search, wording,
};
use std::collections::{BTreeMap, BTreeSet};

/// The rows of the codes table (the first table of `docs/codes.md`): code → (kind, probe).
fn documented() -> BTreeMap<String, (String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/codes.md");
    let text = std::fs::read_to_string(path).expect("docs/codes.md is readable");
    let table = text.split("\n## ").next().unwrap();
    let mut rows = BTreeMap::new();
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // ["", code, kind, severity, probe, …]
        let code = cells[1].trim_matches('`').to_string();
        let before = rows.insert(code.clone(), (cells[2].to_string(), cells[4].to_string()));
        assert!(before.is_none(), "{code} is listed twice in docs/codes.md");
    }
    assert!(
        rows.len() > 50,
        "the codes table was not found: {} rows",
        rows.len()
    );
    rows
}

/// Each probe module's constants, by the probe names `docs/codes.md` gives them.
fn constants() -> Vec<(&'static [&'static str], &'static [&'static str])> {
    vec![
        (&["any probe"], codes::ALL),
        (&["availability"], availability::codes::ALL),
        (&["links"], links::codes::ALL),
        (&["ipv6"], ipv6::codes::ALL),
        (&["search"], search::codes::ALL),
        (&["columns"], columns::codes::ALL),
        (&["policy"], interpretation::codes::ALL),
        (&["integrity"], integrity::codes::ALL),
        (&["interaction"], interaction::codes::ALL),
        (&["media", "media (or manual)"], media::codes::ALL),
        (&["wording"], wording::codes::ALL),
        (&["attachments"], attachments::codes::ALL),
        (&["identity"], identity::codes::ALL),
        (&["accessibility"], accessibility::codes::ALL),
    ]
}

#[test]
fn every_code_constant_is_documented_under_its_probe() {
    let docs = documented();
    let mut seen = BTreeSet::new();
    for (probes, all) in constants() {
        for code in all {
            assert!(seen.insert(*code), "{code} is a constant twice");
            let Some((kind, probe)) = docs.get(*code) else {
                panic!("{code} is not listed in docs/codes.md");
            };
            assert!(
                probes.contains(&probe.as_str()),
                "{code} is listed under probe {probe:?}, its constant is in {probes:?}"
            );
            assert!(
                matches!(kind.as_str(), "fact" | "finding"),
                "{code}: {kind}"
            );
        }
    }
}

#[test]
fn every_documented_probe_code_is_a_constant() {
    let docs = documented();
    let by_probe: BTreeMap<&str, &[&str]> = constants()
        .into_iter()
        .flat_map(|(ps, all)| ps.iter().map(move |p| (*p, all)))
        .collect();
    let manual = govwatch_config::MediaRules::default().manual;
    let mut checked = 0;
    let mut crawler = 0;
    for (code, (_, probe)) in &docs {
        if probe == "manual" {
            // inspectors' codes: importable because the shipped media.toml lists them
            assert!(
                manual.code(code).is_some(),
                "{code}: not a manual code of media.toml"
            );
            checked += 1;
        } else if let Some(all) = by_probe.get(probe.as_str()) {
            assert!(
                all.contains(&code.as_str()),
                "{code} ({probe}) has no constant"
            );
            checked += 1;
        } else {
            // written outside this crate (the crawler's `crawl.summary`)
            assert_eq!(probe, "crawler", "{code}: unknown probe {probe:?}");
            crawler += 1;
        }
    }
    assert_eq!(checked + crawler, docs.len());
}
