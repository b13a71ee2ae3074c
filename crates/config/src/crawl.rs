//! Crawl settings, `config/crawl.toml`: politeness, limits and time-outs.

use crate::error::{ConfigError, Diagnostic};
use crate::line_col;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Default User-Agent; `{contact}` is replaced by [`CrawlSettings::contact`].
pub const DEFAULT_USER_AGENT: &str =
    "govwatch/0.1 (+https://github.com/govwatch/govwatch; contact: {contact})";
/// Default contact address sent in the User-Agent.
pub const DEFAULT_CONTACT: &str = "inspection-office@example.gov.cn";

/// How the crawler behaves. Every key is optional in `crawl.toml`; unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrawlSettings {
    /// User-Agent header; `{contact}` is replaced by `contact` (see [`CrawlSettings::user_agent`]).
    pub user_agent: String,
    /// An e-mail address the site's operators can reach us at.
    pub contact: String,
    /// Requests per second per host.
    pub rate: f64,
    /// Requests allowed at once above the steady rate, per host.
    pub burst: u32,
    /// Requests in flight per host.
    pub host_concurrency: u32,
    /// Requests per second to one server address (the resolved IP), over every host on it.
    pub address_rate: f64,
    /// Requests in flight to one server address at once, over every host on it.
    pub address_concurrency: u32,
    /// Requests in flight in all.
    pub global_concurrency: u32,
    /// Sites crawled at once; 0 = sized by the run from the registry, the expected requests per
    /// site and the night window (`night_end`), up to `max_sites_in_flight`.
    pub site_concurrency: u32,
    /// When the nightly run should be done, `HH:MM` China time (Asia/Shanghai, +08:00); empty =
    /// as soon as politeness allows (every site at once, up to `max_sites_in_flight`).
    pub night_end: String,
    /// Most sites in flight when `site_concurrency` is 0.
    pub max_sites_in_flight: u32,
    /// Resident memory the run aims to stay under, in MB (MiB): near it, no new site is started
    /// until sites in flight finish (the progress line says so).
    pub memory_budget_mb: u64,
    /// URLs of hosts that are always up (e.g. the national portal), asked before a run and when
    /// requests keep failing mid-run: when none answers, the monitoring machine's own network is
    /// down, the run stops (exit 2) and no site is blamed. Empty: the run still refuses to record
    /// anything until some site has answered, but cannot tell a lost network mid-run.
    pub reference_urls: Vec<String>,
    /// Total time allowed per request, in seconds (the availability rule's 15 s).
    pub timeout_secs: f64,
    /// Time allowed to connect, in seconds.
    pub connect_timeout_secs: f64,
    /// Retries after 5xx, 408, 429 and time-outs.
    pub retries: u32,
    /// Back-off before retry `n` is `backoff_base_ms * 2^(n-1)` milliseconds.
    pub backoff_base_ms: u64,
    /// Longest `Retry-After` honoured, in seconds.
    pub max_retry_after_secs: u64,
    /// Most redirects followed per request.
    pub max_redirects: u32,
    /// Largest body read, in bytes after decompression.
    pub max_body_bytes: u64,
    /// Most HTML pages fetched per site.
    pub max_pages: usize,
    /// Deepest link level followed from the home page (home = 0).
    pub max_depth: u32,
    /// Extra levels followed below pages reached through an interaction link (信箱 → letter
    /// list → letter page sits deeper than news does).
    pub interaction_extra_depth: u32,
    /// Anchor words that make a link an interaction link (for `interaction_extra_depth`).
    pub interaction_words: Vec<String>,
    /// Cap on a robots.txt `Crawl-delay`, in seconds: a longer one (up to
    /// `refuse_crawl_delay_above_secs`) is cut to this.
    pub max_crawl_delay_secs: f64,
    /// A `Crawl-delay` longer than this means the host refuses the crawl: nothing more is asked
    /// of it, and a site whose home host asks it is reported not inspected.
    pub refuse_crawl_delay_above_secs: f64,
    /// Bytes of a robots.txt read (RFC 9309 §2.5: at least 500 KiB; we read no more).
    pub max_robots_bytes: u64,
    /// Most Allow/Disallow rules compiled from one robots.txt; a file with more forbids the crawl.
    pub max_robots_rules: usize,
    /// Deepest element nesting of a page that is parsed; a deeper page is kept, not parsed.
    pub max_page_depth: usize,
    /// Most elements of a page that is parsed; a page with more is kept, not parsed.
    pub max_page_elements: usize,
    /// Longest time one site's crawl may take, in seconds; then nothing more is requested.
    pub max_site_secs: f64,
    /// Most distinct query strings followed per path (crawler-trap guard).
    pub max_query_variants: usize,
    /// Longest URL followed, in bytes.
    pub max_url_len: usize,
    /// Whether links and resources found on pages are checked.
    pub check_links: bool,
    /// Whether links to other sites are checked too.
    pub check_external: bool,
    /// Most link checks per site.
    pub max_link_checks: usize,
    /// Read the site's own attachments (documents linked from its pages, by extension or by
    /// Content-Type): each is fetched with GET, bounded by `max_attachment_bytes`, instead of
    /// being only checked, and its bytes handed to the probes (privacy in published files).
    pub read_attachments: bool,
    /// Extensions (lower case, no dot) of the links that are attachments.
    pub attachment_extensions: Vec<String>,
    /// Largest attachment read, in bytes; a larger one is checked, not read.
    pub max_attachment_bytes: u64,
    /// Attachments downloaded at once over the whole run (each holds its bytes in memory).
    pub attachments_in_flight: u32,
    /// Ask each site once for a path that cannot exist, to learn its "not found" page (soft 404s).
    pub not_found_check: bool,
    /// Whether private, loopback, link-local and unspecified addresses may be fetched.
    pub allow_private: bool,
    /// Single non-public addresses allowed even when `allow_private` is false (an office's own
    /// intranet mirror, or a test's IPv6 loopback). Exact IP addresses, not ranges.
    pub allow_addresses: Vec<String>,
    /// DNS servers as `IP:PORT`; empty means the system resolver.
    pub dns_servers: Vec<String>,
    /// Gather IPv6 facts (AAAA, reachability of every address, v4/v6 content, name servers,
    /// level-2/3 link support) for the IPv6 probe.
    pub ipv6: bool,
    /// TCP connect limit per AAAA address (internet.nl: 4 s).
    pub ipv6_connect_timeout_secs: f64,
    /// HTTP GET limit over one address (internet.nl: 10 s).
    pub ipv6_get_timeout_secs: f64,
    /// Bytes of each family's home page compared (internet.nl: first 500 kB).
    pub ipv6_compare_bytes: usize,
    /// Most level-2 and most level-3 internal links tried over IPv6 per site.
    pub ipv6_link_sample: usize,
    /// Port on which authoritative name servers are asked over IPv6 (53; tests use another).
    pub dns_port: u16,
    /// Headless Chromium for pages the static reader cannot see (lists and search boxes built by
    /// script, anti-bot challenges): `auto` (when Chromium is found), `off`, or `always` (every
    /// crawled page rendered; Chromium required).
    pub render: RenderMode,
    /// The Chromium program; empty: `$GOVWATCH_CHROMIUM`, else `chromium`, `chromium-browser`,
    /// `google-chrome` on the `PATH`.
    pub chromium: String,
    /// Longest time one page may take in the browser, in seconds (scripts, the requests it
    /// makes through the host gates, the DOM read back).
    pub render_timeout_secs: f64,
    /// Memory bound of the browser (all its processes), in MiB: above it the browser is stopped
    /// and the page left unverified.
    pub render_memory_mb: u64,
    /// Most pages rendered per site (a challenge passed counts as one).
    pub max_renders_per_site: usize,
    /// The anti-bot walls' signatures (`walls.toml`, read beside `crawl.toml`).
    #[serde(skip)]
    pub walls: crate::WallRules,
}

/// When the crawler uses a browser (`render` in `crawl.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RenderMode {
    /// Chromium when it is found; pages are rendered only where the static reading cannot see.
    #[default]
    Auto,
    /// Never: script-built lists and searches are unverified, walls not passed.
    Off,
    /// Every crawled HTML page is rendered too; a missing Chromium is an error.
    Always,
}

impl RenderMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RenderMode::Auto => "auto",
            RenderMode::Off => "off",
            RenderMode::Always => "always",
        }
    }
}

impl Default for CrawlSettings {
    fn default() -> Self {
        CrawlSettings {
            user_agent: DEFAULT_USER_AGENT.to_string(),
            contact: DEFAULT_CONTACT.to_string(),
            rate: 1.0,
            burst: 1,
            host_concurrency: 1,
            address_rate: 4.0,
            address_concurrency: 4,
            global_concurrency: 64,
            site_concurrency: 0,
            night_end: "06:00".to_string(),
            max_sites_in_flight: 1000,
            memory_budget_mb: 300,
            reference_urls: Vec::new(),
            timeout_secs: 15.0,
            connect_timeout_secs: 5.0,
            retries: 2,
            backoff_base_ms: 1000,
            max_retry_after_secs: 60,
            max_redirects: 10,
            max_body_bytes: 10 * 1024 * 1024,
            max_pages: 200,
            max_depth: 3,
            interaction_extra_depth: 2,
            interaction_words: [
                "互动", "信箱", "留言", "咨询", "信件", "来信", "回复", "答复", "征集", "调查",
                "问政", "选登", "写信", "诉求",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            max_crawl_delay_secs: 30.0,
            refuse_crawl_delay_above_secs: 30.0,
            max_robots_bytes: 500 * 1024,
            max_robots_rules: 2000,
            max_page_depth: 1000,
            max_page_elements: 200_000,
            max_site_secs: 4.0 * 3600.0,
            max_query_variants: 20,
            max_url_len: 512,
            check_links: true,
            check_external: true,
            max_link_checks: 2000,
            read_attachments: true,
            attachment_extensions: [
                "xls", "xlsx", "et", "doc", "docx", "wps", "pdf", "ods", "odt", "csv", "txt",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            max_attachment_bytes: 10 * 1024 * 1024,
            attachments_in_flight: 8,
            not_found_check: true,
            allow_private: false,
            allow_addresses: Vec::new(),
            dns_servers: Vec::new(),
            ipv6: true,
            ipv6_connect_timeout_secs: 4.0,
            ipv6_get_timeout_secs: 10.0,
            ipv6_compare_bytes: 500_000,
            ipv6_link_sample: 30,
            dns_port: 53,
            render: RenderMode::Auto,
            chromium: String::new(),
            render_timeout_secs: 20.0,
            render_memory_mb: 1024,
            max_renders_per_site: 10,
            walls: crate::WallRules::default(),
        }
    }
}

impl CrawlSettings {
    /// The User-Agent to send: `user_agent` with `{contact}` replaced by `contact`.
    pub fn user_agent(&self) -> String {
        self.user_agent.replace("{contact}", &self.contact)
    }

    /// [`CrawlSettings::timeout_secs`] as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_secs)
    }

    /// [`CrawlSettings::connect_timeout_secs`] as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.connect_timeout_secs)
    }

    /// Back-off before retry `attempt` (1 = first retry): `backoff_base_ms * 2^(attempt-1)`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u64 << attempt.saturating_sub(1).min(32);
        Duration::from_millis(self.backoff_base_ms.saturating_mul(factor))
    }

    /// The DNS servers parsed (valid after [`CrawlSettings::validate`]).
    pub fn dns_server_addrs(&self) -> Vec<SocketAddr> {
        self.dns_servers
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    /// Checks the values; the error lists every problem as `key problem` (`rate 应大于 0（现为 0）`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Settings(
                problems
                    .into_iter()
                    .map(|(key, p)| format!("{key} {p}"))
                    .collect(),
            ))
        }
    }

    /// Every problem, with the key it concerns.
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = Vec::new();
        self.identity_problems(&mut p);
        self.politeness_problems(&mut p);
        self.limit_problems(&mut p);
        self.network_problems(&mut p);
        p
    }

    /// The problems of how the crawler names itself: the user agent and the contact.
    fn identity_problems(&self, p: &mut Vec<(&'static str, String)>) {
        if self.user_agent.trim().is_empty() {
            p.push(("user_agent", "不能为空".into()));
        } else if !self
            .user_agent()
            .chars()
            .all(|c| c == ' ' || c.is_ascii_graphic())
        {
            p.push((
                "user_agent",
                "只能含可打印的 ASCII 字符（它作为 HTTP 请求头发送）".into(),
            ));
        }
        if !looks_like_email(&self.contact) {
            p.push(("contact", format!("`{}` 不是电子邮件地址", self.contact)));
        }
    }

    /// The problems of the politeness and budget keys: rates, memory, concurrency, time-outs.
    fn politeness_problems(&self, p: &mut Vec<(&'static str, String)>) {
        for (key, v) in [("rate", self.rate), ("address_rate", self.address_rate)] {
            if !(v > 0.0 && v.is_finite()) {
                p.push((key, format!("应大于 0（现为 {v}）")));
            }
        }
        if self.memory_budget_mb < 64 {
            p.push((
                "memory_budget_mb",
                format!(
                    "至少应为 64（单位 MB，现为 {}）：运行本身约需这么多",
                    self.memory_budget_mb
                ),
            ));
        }
        for (key, value) in [
            ("burst", self.burst),
            ("host_concurrency", self.host_concurrency),
            ("address_concurrency", self.address_concurrency),
            ("global_concurrency", self.global_concurrency),
            ("max_sites_in_flight", self.max_sites_in_flight),
            ("attachments_in_flight", self.attachments_in_flight),
        ] {
            if value == 0 {
                p.push((key, "至少应为 1".into()));
            }
        }
        if !(self.timeout_secs > 0.0 && self.timeout_secs.is_finite()) {
            p.push((
                "timeout_secs",
                format!("应大于 0（现为 {}）", self.timeout_secs),
            ));
        }
        if !(self.connect_timeout_secs > 0.0 && self.connect_timeout_secs.is_finite()) {
            p.push((
                "connect_timeout_secs",
                format!("应大于 0（现为 {}）", self.connect_timeout_secs),
            ));
        } else if self.connect_timeout_secs > self.timeout_secs {
            p.push((
                "connect_timeout_secs",
                format!(
                    "不能大于 timeout_secs（{} > {}）",
                    self.connect_timeout_secs, self.timeout_secs
                ),
            ));
        }
    }

    /// The problems of the size, depth and delay limits.
    fn limit_problems(&self, p: &mut Vec<(&'static str, String)>) {
        if self.max_body_bytes == 0 {
            p.push(("max_body_bytes", "至少应为 1".into()));
        }
        if self.max_pages == 0 {
            p.push(("max_pages", "至少应为 1".into()));
        }
        if self.max_robots_bytes < 500 * 1024 {
            p.push((
                "max_robots_bytes",
                format!(
                    "至少应为 512000（RFC 9309 规定 500 KiB；现为 {}）",
                    self.max_robots_bytes
                ),
            ));
        }
        for (key, v) in [
            ("max_robots_rules", self.max_robots_rules),
            ("max_page_depth", self.max_page_depth),
            ("max_page_elements", self.max_page_elements),
        ] {
            if v == 0 {
                p.push((key, "至少应为 1".to_string()));
            }
        }
        if !(self.refuse_crawl_delay_above_secs >= 0.0
            && self.refuse_crawl_delay_above_secs.is_finite())
        {
            p.push((
                "refuse_crawl_delay_above_secs",
                format!("不能小于 0（现为 {}）", self.refuse_crawl_delay_above_secs),
            ));
        }
        if !(self.max_site_secs > 0.0 && self.max_site_secs.is_finite()) {
            p.push((
                "max_site_secs",
                format!("应大于 0（现为 {}）", self.max_site_secs),
            ));
        }
        if !(self.max_crawl_delay_secs >= 0.0 && self.max_crawl_delay_secs.is_finite()) {
            p.push((
                "max_crawl_delay_secs",
                format!("不能小于 0（现为 {}）", self.max_crawl_delay_secs),
            ));
        }
        if self.max_query_variants == 0 {
            p.push(("max_query_variants", "至少应为 1".into()));
        }
        if self.max_url_len < 16 {
            p.push((
                "max_url_len",
                format!("至少应为 16（现为 {}）", self.max_url_len),
            ));
        }
    }

    /// The problems of the network keys: allowed addresses, IPv6 and render checks, DNS servers,
    /// the night's end, the reference URLs.
    fn network_problems(&self, p: &mut Vec<(&'static str, String)>) {
        for s in &self.allow_addresses {
            if s.parse::<std::net::IpAddr>().is_err() {
                p.push(("allow_addresses", format!("中的 `{s}` 不是 IP 地址")));
            }
        }
        for (key, v) in [
            ("ipv6_connect_timeout_secs", self.ipv6_connect_timeout_secs),
            ("ipv6_get_timeout_secs", self.ipv6_get_timeout_secs),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                p.push((key, format!("应大于 0（现为 {v}）")));
            }
        }
        if self.ipv6_compare_bytes == 0 {
            p.push(("ipv6_compare_bytes", "至少应为 1".into()));
        }
        if !(self.render_timeout_secs > 0.0 && self.render_timeout_secs.is_finite()) {
            p.push((
                "render_timeout_secs",
                format!("must be greater than 0 (got {})", self.render_timeout_secs),
            ));
        }
        if self.render_memory_mb < 128 {
            p.push((
                "render_memory_mb",
                format!(
                    "must be at least 128 (a browser needs that much; got {})",
                    self.render_memory_mb
                ),
            ));
        }
        for s in &self.dns_servers {
            if s.parse::<SocketAddr>().is_err() {
                p.push(("dns_servers", format!("中的 `{s}` 不是 IP:PORT 形式的地址")));
            }
        }
        if !self.night_end.is_empty() && self.night_end_minutes().is_none() {
            p.push((
                "night_end",
                format!("`{}` 不是 HH:MM 形式的时间（或留空）", self.night_end),
            ));
        }
        for u in &self.reference_urls {
            match url::Url::parse(u) {
                Ok(x) if matches!(x.scheme(), "http" | "https") && x.host_str().is_some() => {}
                _ => p.push(("reference_urls", format!("中的 `{u}` 不是 http(s) 网址"))),
            }
        }
    }

    /// `night_end` as minutes after midnight, China time (`None` when empty or malformed).
    pub fn night_end_minutes(&self) -> Option<u32> {
        let (h, m) = self.night_end.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    }
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.chars().all(|c| c.is_ascii_graphic())
}

/// Reads `crawl.toml`, with the walls of `walls.toml` beside it (the shipped ones when that file
/// is missing). A missing `crawl.toml` gives the defaults; a syntax error, a wrong type or an
/// unknown key gives [`ConfigError::Parse`] at its line; bad values [`ConfigError::Invalid`].
pub fn load_crawl_settings(path: &Path) -> Result<CrawlSettings, ConfigError> {
    let walls = crate::load_walls(&path.with_file_name(crate::WALLS_FILE))?;
    let mut settings = load_crawl_file(path)?;
    settings.walls = walls;
    Ok(settings)
}

fn load_crawl_file(path: &Path) -> Result<CrawlSettings, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CrawlSettings::default()),
        Err(source) => {
            return Err(ConfigError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse_crawl_settings(path, &text)
}

/// Like [`load_crawl_settings`] for text already read; `file` is only used in messages.
pub(crate) fn parse_crawl_settings(file: &Path, text: &str) -> Result<CrawlSettings, ConfigError> {
    let settings: CrawlSettings = crate::parse_toml(text, file)?;
    let problems = settings.problems();
    if problems.is_empty() {
        return Ok(settings);
    }
    let doc = toml_edit::Document::parse(text).ok();
    let diagnostics = problems
        .into_iter()
        .map(|(key, message)| {
            let span = doc
                .as_ref()
                .and_then(|d| d.as_table().key(key))
                .and_then(|k| k.span());
            let (line, column) = span.map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            Diagnostic::new(file, line, column, format!("{key} {message}"))
        })
        .collect();
    Err(ConfigError::Invalid(diagnostics))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let s = CrawlSettings::default();
        s.validate().unwrap();
        assert_eq!(
            s.user_agent(),
            "govwatch/0.1 (+https://github.com/govwatch/govwatch; contact: inspection-office@example.gov.cn)"
        );
        assert_eq!(s.timeout(), Duration::from_secs(15));
        assert_eq!(s.backoff(1), Duration::from_millis(1000));
        assert_eq!(s.backoff(3), Duration::from_millis(4000));
        assert_eq!(s.max_body_bytes, 10_485_760);
    }

    #[test]
    fn empty_file_gives_defaults() {
        let s = parse_crawl_settings(Path::new("c.toml"), "# nothing\n").unwrap();
        assert_eq!(s, CrawlSettings::default());
    }

    #[test]
    fn unknown_key_names_line() {
        let err =
            parse_crawl_settings(Path::new("c.toml"), "rate = 2.0\n\nrat = 1.0\n").unwrap_err();
        match &err {
            ConfigError::Parse { line, message, .. } => {
                assert_eq!(*line, 3);
                assert!(message.contains("rat"), "{message}");
            }
            e => panic!("unexpected {e:?}"),
        }
        assert!(
            err.to_string().starts_with(
                "c.toml 第 3 行第 1 列：没有 `rat` 这个键，可能拼错了（unknown field `rat`"
            ),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_names_line() {
        let err =
            parse_crawl_settings(Path::new("c.toml"), "rate = 1.0\nburst = \"two\"\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("c.toml 第 2 行第 9 列：值的类型不对（invalid type"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_name_key_and_line() {
        let text = "contact = \"nobody\"\nrate = 0.0\nconnect_timeout_secs = 20.0\ndns_servers = [\"8.8.8.8\"]\n";
        let err = parse_crawl_settings(Path::new("c.toml"), text).unwrap_err();
        let d = err.diagnostics();
        let lines: Vec<(usize, &str)> = d
            .iter()
            .map(|d| (d.line, d.message.split(' ').next().unwrap()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (1, "contact"),
                (2, "rate"),
                (3, "connect_timeout_secs"),
                (4, "dns_servers")
            ]
        );
        let e = CrawlSettings {
            global_concurrency: 0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.to_string(), "抓取设置有误：global_concurrency 至少应为 1");
        let e = CrawlSettings {
            night_end: "6 am".into(),
            reference_urls: vec!["www.gov.cn".into()],
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "抓取设置有误：night_end `6 am` 不是 HH:MM 形式的时间（或留空）；reference_urls 中的 `www.gov.cn` 不是 http(s) 网址"
        );
        // 0 = sized by the run
        assert!(CrawlSettings::default().validate().is_ok());
        assert_eq!(CrawlSettings::default().night_end_minutes(), Some(360));
    }

    #[test]
    fn user_agent_placeholder() {
        let s = CrawlSettings {
            user_agent: "bot ({contact})".into(),
            contact: "a@b.cn".into(),
            ..Default::default()
        };
        assert_eq!(s.user_agent(), "bot (a@b.cn)");
        let s = CrawlSettings {
            user_agent: "机器人 {contact}".into(),
            ..Default::default()
        };
        assert!(s.validate().is_err());
    }
}
