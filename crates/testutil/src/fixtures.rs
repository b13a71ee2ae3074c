//! The project's fixture sites as a registry: each `fixtures/sites/<host>/expected.toml` names the
//! site (`[site]`) and the findings the probes must produce on it (`[[finding]]`); the column
//! fixtures also name every column judged and its newest date (`[[column]]`, `home_latest`).
//!
//! URLs in `expected.toml` are written without the fixture server's random port; [`strip_port`]
//! puts actual findings into the same form for comparison.

use govwatch_model::{Site, SiteKind, SiteOverrides};
use serde::Deserialize;
use std::io;
use std::path::Path;

/// The `[site]` table of an `expected.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSite {
    pub id: String,
    pub name: String,
    pub org: String,
    pub region: String,
    pub kind: SiteKind,
}

/// One `[[finding]]` the probes must produce.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFinding {
    pub code: String,
    pub url: String,
    /// A page that must be among those linking to the URL.
    pub from: Option<String>,
    /// A reader's note.
    pub why: Option<String>,
}

/// One column the column probe must judge (`[[column]]`), with its newest item's date as the
/// `column.latest` fact gives it (`None`: no dated item).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedColumn {
    pub name: String,
    pub latest: Option<String>,
    /// A reader's note.
    pub why: Option<String>,
}

/// One fixture site and what must be found on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub site: ExpectedSite,
    #[serde(default)]
    pub finding: Vec<ExpectedFinding>,
    /// The columns judged and their newest dates (the column fixtures).
    #[serde(default)]
    pub column: Vec<ExpectedColumn>,
    /// The home page's newest date (`home.latest`), where the fixture says it.
    #[serde(default)]
    pub home_latest: Option<String>,
    /// Facts that must be among the site's (`fixtures/render`: read in the browser).
    #[serde(default)]
    pub fact: Vec<ExpectedFinding>,
    /// `fixtures/render`: the findings with `render = "off"` (no browser), when they differ.
    #[serde(default)]
    pub off_finding: Vec<ExpectedFinding>,
    /// `fixtures/render`: facts that must be among the site's with `render = "off"`.
    #[serde(default)]
    pub off_fact: Vec<ExpectedFinding>,
}

/// A fixture site: its host, registry entry (home on the fixture server) and expectations.
#[derive(Debug, Clone)]
pub struct FixtureSite {
    pub host: String,
    pub site: Site,
    pub expected: Expected,
}

/// Reads every `<host>/expected.toml` under `root`, sorted by host; `home_for(host)` gives the
/// home URL on the running server.
pub fn load_fixture_sites(
    root: &Path,
    home_for: impl Fn(&str) -> url::Url,
) -> io::Result<Vec<FixtureSite>> {
    let mut out = Vec::new();
    for host in crate::site_hosts(root)? {
        let path = root.join(&host).join("expected.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let expected: Expected = toml::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })?;
        let site = Site {
            id: expected.site.id.clone(),
            name: expected.site.name.clone(),
            home: home_for(&host),
            org: expected.site.org.clone(),
            region: expected.site.region.clone(),
            kind: expected.site.kind,
            overrides: SiteOverrides::default(),
        };
        out.push(FixtureSite {
            host,
            site,
            expected,
        });
    }
    Ok(out)
}

/// Removes `:port` from a URL string when it is `port` (fixture URLs are compared without it).
pub fn strip_port(url: &str, port: u16) -> String {
    url.replacen(&format!(":{port}/"), "/", 1)
}
