//! Shared records of govwatch: what a site is, what the crawler fetched, and what probes report.
//!
//! Every other crate speaks in these types:
//! - [`Site`] and [`SiteKind`]: one registered website (网站), from `config/sites.toml`.
//! - [`FetchRecord`] and [`FetchError`]: one HTTP exchange, successful or not, as the crawler saw it.
//! - [`Page`] and [`Link`]: a fetched HTML page with its decoded text and the links found in it.
//! - [`Fact`], [`Finding`], [`Severity`], [`Evidence`]: what probes report and the store keeps.
//! - [`media`]: government new-media accounts (政务新媒体), their feeds' posts and results.
//! - [`time`]: China time (+08:00), monitoring-time parsing, quarters, the display format.

pub mod media;
pub mod time;

pub use media::{
    Account, AccountResult, FeedFailure, FeedRead, ManualFinding, Platform, Post, account_key,
};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// The monitoring time point: every date judgement is made relative to it.
pub type Timestamp = DateTime<FixedOffset>;

/// Kind of site in the national registry: a government's portal (门户) or a department's site (部门).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteKind {
    Portal,
    Department,
}

impl SiteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Portal => "portal",
            SiteKind::Department => "department",
        }
    }
}

/// Per-site settings that override the crawl defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteOverrides {
    /// Requests per second allowed on this site's hosts (default from crawl settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Other hosts that belong to the site (search platform, static host, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Column hints: name → URL of columns the crawl might not find by itself.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, String>,
    /// Column kinds decided per site: column name → kind (`news`, `notice`, `policy`, …),
    /// overriding the classification by name in `config/columns.toml`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub column_kinds: BTreeMap<String, String>,
    /// Allow the search probe to submit this site's POST search forms (only search forms are ever
    /// submitted; GET otherwise).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub search_post: bool,
    /// Most HTML pages to fetch on this site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<usize>,
    /// Deepest link level to follow from the home page (home = 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<u32>,
}

/// One registered website.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// 网站标识码: the 10-character site identifier code.
    pub id: String,
    /// 网站名称.
    pub name: String,
    /// 首页网址.
    pub home: Url,
    /// 主办单位: the sponsoring organisation.
    pub org: String,
    /// Region (地区), e.g. a city or county name.
    pub region: String,
    pub kind: SiteKind,
    #[serde(flatten)]
    pub overrides: SiteOverrides,
}

impl Site {
    /// All hosts that belong to the site: the home page's host and the configured extra hosts.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .home
            .host_str()
            .map(|h| h.to_ascii_lowercase())
            .into_iter()
            .collect();
        for h in &self.overrides.hosts {
            let h = h.to_ascii_lowercase();
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
        hosts
    }

    /// Whether a URL lies within the site (its host is one of the site's hosts).
    pub fn owns(&self, url: &Url) -> bool {
        match url.host_str() {
            Some(h) => {
                let h = h.to_ascii_lowercase();
                self.hosts().contains(&h)
            }
            None => false,
        }
    }
}

/// Why a request was made; the store keeps it so samples, pages and link checks can be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A page of the site fetched and parsed by the crawl.
    Page,
    /// A link or resource checked (HEAD, then GET where HEAD is refused).
    LinkCheck,
    /// The site's robots.txt.
    Robots,
    /// A home page availability sample.
    Sample,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Page => "page",
            Purpose::LinkCheck => "link_check",
            Purpose::Robots => "robots",
            Purpose::Sample => "sample",
        }
    }
}

/// Why a fetch failed, by cause. The names are stored and shown to inspectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchError {
    /// The host name did not resolve.
    Dns,
    /// TCP connection refused, reset or unreachable.
    Connect,
    /// TLS handshake or certificate failure.
    Tls,
    /// No complete answer within the time limit (15 s by default).
    Timeout,
    /// The connection broke while the body was read.
    Body,
    /// The body was larger than the configured cap (after decompression).
    TooLarge,
    /// A redirect led back to a URL already visited.
    RedirectLoop,
    /// More redirects than the configured cap.
    TooManyRedirects,
    /// A redirect without a usable Location header.
    BadRedirect,
    /// The address is private, loopback, link-local or unspecified and configuration forbids it.
    BlockedAddress,
    /// robots.txt forbids the URL for our User-Agent.
    RobotsDisallowed,
    /// Scheme or URL we do not fetch.
    Unsupported,
    /// An anti-bot wall answered with a challenge (a script to run, a slider) instead of the
    /// page: the site was not read, and nothing about it is judged from this answer (the message
    /// names the wall). Never an availability failure or a broken link.
    Challenged,
    /// Anything else (the message says what).
    Other,
}

impl FetchError {
    /// The failure as a person reads it (the raw error text stays in the record's evidence).
    pub fn zh(self) -> &'static str {
        match self {
            FetchError::Dns => "域名无法解析",
            FetchError::Connect => "无法连接服务器",
            FetchError::Tls => "HTTPS 证书或加密连接错误",
            FetchError::Timeout => "15 秒内未完整打开",
            FetchError::Body => "传输中断",
            FetchError::TooLarge => "内容超过大小上限",
            FetchError::RedirectLoop => "循环跳转",
            FetchError::TooManyRedirects => "跳转次数过多",
            FetchError::BadRedirect => "跳转地址无效",
            FetchError::BlockedAddress => "指向内网或本机地址",
            FetchError::RobotsDisallowed => "robots.txt 禁止访问",
            FetchError::Unsupported => "不支持的协议",
            FetchError::Challenged => "被防护墙拦截（需浏览器验证）",
            FetchError::Other => "无法访问",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FetchError::Dns => "dns",
            FetchError::Connect => "connect",
            FetchError::Tls => "tls",
            FetchError::Timeout => "timeout",
            FetchError::Body => "body",
            FetchError::TooLarge => "too_large",
            FetchError::RedirectLoop => "redirect_loop",
            FetchError::TooManyRedirects => "too_many_redirects",
            FetchError::BadRedirect => "bad_redirect",
            FetchError::BlockedAddress => "blocked_address",
            FetchError::RobotsDisallowed => "robots_disallowed",
            FetchError::Unsupported => "unsupported",
            FetchError::Challenged => "challenged",
            FetchError::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<FetchError> {
        Some(match s {
            "dns" => FetchError::Dns,
            "connect" => FetchError::Connect,
            "tls" => FetchError::Tls,
            "timeout" => FetchError::Timeout,
            "body" => FetchError::Body,
            "too_large" => FetchError::TooLarge,
            "redirect_loop" => FetchError::RedirectLoop,
            "too_many_redirects" => FetchError::TooManyRedirects,
            "bad_redirect" => FetchError::BadRedirect,
            "blocked_address" => FetchError::BlockedAddress,
            "robots_disallowed" => FetchError::RobotsDisallowed,
            "unsupported" => FetchError::Unsupported,
            "challenged" => FetchError::Challenged,
            "other" => FetchError::Other,
            _ => return None,
        })
    }
}

/// Where the character encoding of a page was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CharsetSource {
    /// Byte order mark.
    Bom,
    /// `charset=` in the Content-Type header.
    Header,
    /// `<meta charset>` or `<meta http-equiv="Content-Type">`.
    Meta,
    /// Guessed from the bytes (chardetng).
    Sniffed,
}

impl CharsetSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CharsetSource::Bom => "bom",
            CharsetSource::Header => "header",
            CharsetSource::Meta => "meta",
            CharsetSource::Sniffed => "sniffed",
        }
    }
}

/// One HTTP exchange as the crawler saw it (the last one of a redirect chain).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchRecord {
    /// The URL asked for.
    pub url: String,
    /// The URL that answered after redirects.
    pub final_url: String,
    pub method: String,
    pub purpose: Purpose,
    /// HTTP status of the final answer, when there was one.
    pub status: Option<u16>,
    pub started_at: Timestamp,
    /// The server's time, in milliseconds: from the moment the request was sent (after our own
    /// queues) to the end of the body, summed over redirect hops. The 15-second rule judges this.
    pub elapsed_ms: u64,
    /// Time the request waited in govwatch's own queues (host politeness gate, global cap), in
    /// milliseconds: never the site's failure, recorded apart so it can be told from server time.
    #[serde(default)]
    pub queue_ms: u64,
    /// Body bytes received (after decompression).
    pub bytes: u64,
    pub content_type: Option<String>,
    /// SHA-256 of the body, hex.
    pub content_hash: Option<String>,
    /// The peer address connected to, e.g. `127.0.0.1:8080` or `[::1]:8080`.
    pub remote_addr: Option<String>,
    /// `4` or `6`: the address family used.
    pub family: Option<u8>,
    pub error: Option<FetchError>,
    /// A readable message for the error.
    pub error_message: Option<String>,
    /// Redirect hops followed, in order (each `STATUS URL`).
    pub redirects: Vec<String>,
    /// Which attempt this was (1 = first; retries count up).
    pub attempt: u32,
}

impl FetchRecord {
    /// True when the server answered with a 2xx status and no transport error.
    pub fn ok(&self) -> bool {
        self.error.is_none() && matches!(self.status, Some(s) if (200..300).contains(&s))
    }

    /// True when an anti-bot wall answered with a challenge instead of the page.
    pub fn challenged(&self) -> bool {
        self.error == Some(FetchError::Challenged)
    }

    /// A short description of the failure, e.g. `HTTP 404` or `timeout: …`, for findings.
    pub fn failure(&self) -> Option<String> {
        if let Some(e) = self.error {
            return Some(match &self.error_message {
                Some(m) => format!("{}: {}", e.as_str(), m),
                None => e.as_str().to_string(),
            });
        }
        match self.status {
            Some(s) if (200..300).contains(&s) => None,
            Some(s) => Some(format!("HTTP {s}")),
            None => Some("no answer".to_string()),
        }
    }
}

/// What kind of element a link came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// `<a href>` / `<area href>`: navigable.
    Anchor,
    /// `<img src>`.
    Image,
    /// `<script src>`.
    Script,
    /// `<link rel=stylesheet href>`.
    Stylesheet,
    /// `<iframe src>` / `<frame src>`.
    Frame,
    /// Other resources (`<embed>`, `<source>`, `<link rel=icon>` …).
    Other,
}

/// A link or resource reference found on a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Absolute URL, fragment removed.
    pub url: String,
    /// The attribute value as written.
    pub raw: String,
    /// Anchor text or `alt`/`title`, whitespace folded.
    pub text: String,
    pub kind: LinkKind,
}

/// A fetched page of the site, decoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub fetch: FetchRecord,
    /// Link level from the home page (home = 0).
    pub depth: u32,
    /// The body decoded to text (empty for non-HTML or failed fetches).
    pub text: String,
    /// The encoding used to decode, e.g. `GBK`, `UTF-8`.
    pub charset: Option<String>,
    pub charset_source: Option<CharsetSource>,
    pub title: Option<String>,
    pub links: Vec<Link>,
    /// Whether the body was parsed as HTML.
    pub is_html: bool,
}

impl Page {
    /// A page that was fetched (or tried) but not read: no text, charset, title or links. The
    /// start of every parse, and what a page is when its parser gives up.
    pub fn failed(fetch: FetchRecord, depth: u32) -> Page {
        Page {
            fetch,
            depth,
            text: String::new(),
            charset: None,
            charset_source: None,
            title: None,
            links: Vec::new(),
            is_html: false,
        }
    }
}

/// Severity of a finding, as the indicators use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Single-veto (单项否决): the site fails.
    Veto,
    /// Costs points (扣分).
    Deduct,
    /// An early warning, not yet a rule broken.
    Warn,
    /// Worth knowing, costs nothing.
    Info,
}

impl Severity {
    /// The severity as people read it, the one word used by the CLI, the report (HTML, XLSX,
    /// CSV) and the web view (docs/glossary.md): 单项否决, 扣分, 警示 (a warning-level finding,
    /// not scored; 预警 is reserved for the daemon's early warnings), 提示.
    pub fn zh(self) -> &'static str {
        match self {
            Severity::Veto => "单项否决",
            Severity::Deduct => "扣分",
            Severity::Warn => "警示",
            Severity::Info => "提示",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Veto => "veto",
            Severity::Deduct => "deduct",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "veto" => Severity::Veto,
            "deduct" => Severity::Deduct,
            "warn" => Severity::Warn,
            "info" => Severity::Info,
            _ => return None,
        })
    }
}

/// What proves a finding: enough for an inspector to cite it in a notice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// HTTP status seen, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The excerpt of the page (or error text) that proves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// Where the archived copy is: the URL of the page whose body the store kept, for this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<String>,
    /// Content hash of the archived body (key of the `bodies` table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hash: Option<String>,
    /// Anything else the probe wants to keep (free-form JSON object).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub extra: Value,
}

/// A measured fact (no judgement): e.g. `avail.sample`, `crawl.summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub probe: String,
    pub code: String,
    pub url: Option<String>,
    pub value: Value,
    pub observed_at: Timestamp,
}

/// A rule broken (or warned about), with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub probe: String,
    /// Stable code, e.g. `link.broken_home`. Codes are a contract: see `docs/codes.md`.
    pub code: String,
    pub severity: Severity,
    pub url: Option<String>,
    pub value: Value,
    pub message: String,
    pub evidence: Evidence,
    pub observed_at: Timestamp,
}

/// One availability sample of a site's home page (the 15-second rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub url: String,
    pub at: Timestamp,
    /// `4` or `6` when a connection was made.
    pub family: Option<u8>,
    pub ok: bool,
    pub status: Option<u16>,
    pub error: Option<FetchError>,
    pub elapsed_ms: u64,
}

impl Sample {
    /// An anti-bot wall answered (error `challenged`): neither failed nor ok — the sample says
    /// nothing about whether a person can open the page, and is counted apart.
    pub fn challenged(&self) -> bool {
        self.error == Some(FetchError::Challenged)
    }
}

/// Everything one run learned about one site; the store writes it in one transaction, so a site is
/// either wholly recorded for a run or not at all (which is what makes `--resume` safe).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteResult {
    pub site: Site,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// Every HTTP exchange made for the site: pages, robots.txt, link checks, samples, retries.
    pub fetches: Vec<FetchRecord>,
    /// The HTML pages crawled (their bodies are archived).
    pub pages: Vec<Page>,
    pub samples: Vec<Sample>,
    pub facts: Vec<Fact>,
    pub findings: Vec<Finding>,
}

/// The outcome of checking one link or resource URL (the last attempt of the check).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkCheck {
    pub url: String,
    pub record: FetchRecord,
    /// For links to other sites' pages: the title and meta keywords/description the target
    /// serves now (a lapsed domain re-registered by spammers shows itself here).
    #[serde(default)]
    pub target_title: Option<String>,
    #[serde(default)]
    pub target_meta: Option<String>,
}

/// What the crawler gathered on one site in one run: the input of every probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteCrawl {
    pub site: Site,
    /// HTML pages crawled, home page first (breadth-first order).
    pub pages: Vec<Page>,
    /// Every HTTP exchange made, in order (pages, robots.txt, link checks, retries).
    pub fetches: Vec<FetchRecord>,
    /// Results of checking links that were not crawled as pages.
    pub link_checks: Vec<LinkCheck>,
    /// Home page availability samples taken in this crawl.
    pub samples: Vec<Sample>,
    /// URLs not fetched because robots.txt forbids them.
    pub robots_blocked: Vec<String>,
    /// URLs left out by the page budget, depth limit or trap guards (counts per reason).
    pub skipped: BTreeMap<String, u64>,
    /// What the crawler measured over IPv6 (none when IPv6 gathering is off).
    #[serde(default)]
    pub ipv6: Option<Ipv6Gathered>,
    /// Pages fetched to find the site search (search pages on other hosts of the site).
    #[serde(default)]
    pub search_pages: Vec<Page>,
    /// Searches submitted to see whether site search works.
    #[serde(default)]
    pub searches: Vec<SearchAttempt>,
    /// While a site is crawled, the final answer of each crawled page is kept once, as the page's
    /// `fetch`, not again in `fetches`; [`SiteCrawl::complete_fetches`] puts them back.
    #[serde(default)]
    pub page_fetches_apart: bool,
    /// What the crawler noticed that no fetch record says (a budget hit, a host refusing the
    /// crawl, a charset overridden, the site not inspected); each becomes a fact of its code.
    #[serde(default)]
    pub notes: Vec<CrawlNote>,
    /// The site's answer to one request for a path that cannot exist (its "not found" page), for
    /// the soft-404 check: a linked page answering 200 with this content is a broken link. Its
    /// text is kept; `None` when the request was not made (robots.txt, a home page that failed).
    #[serde(default)]
    pub not_found: Option<Page>,
}

/// A crawler's observation about a site, stored as a fact (`docs/codes.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrawlNote {
    pub code: String,
    pub url: Option<String>,
    pub value: serde_json::Value,
}

impl SiteCrawl {
    /// Makes `fetches` hold every exchange again (the pages' final answers included).
    pub fn complete_fetches(&mut self) {
        if self.page_fetches_apart {
            self.fetches
                .extend(self.pages.iter().map(|p| p.fetch.clone()));
            self.page_fetches_apart = false;
        }
    }
}

/// A search to submit: planned by the search probe (pure), fetched by the crawler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPlan {
    /// The page whose search box is used.
    pub form_page: String,
    /// The URL submitted (for GET, query included).
    pub url: String,
    /// `GET`, or `POST` where the site's configuration allows POST searches.
    #[serde(default = "default_get")]
    pub method: String,
    /// The form-encoded body of a POST search.
    #[serde(default)]
    pub body: Option<String>,
    pub term: String,
    /// The crawled page the term comes from: the result must link to it or name it.
    pub expect_url: String,
}

fn default_get() -> String {
    "GET".into()
}

/// A submitted search and the result page that came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchAttempt {
    pub plan: SearchPlan,
    pub result: Page,
}

/// One AAAA address of the home host, tried on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddrProbe {
    pub addr: String,
    /// TCP connect on the URL's port within the connect limit (4 s).
    pub tcp_ok: bool,
    pub tcp_ms: u64,
    pub tcp_error: Option<String>,
    /// HTTP GET of the home page pinned to this address (10 s), when TCP worked.
    pub http_status: Option<u16>,
    pub http_error: Option<String>,
    pub http_ms: u64,
}

impl AddrProbe {
    /// Reachable: TCP connected and the home page answered (any HTTP status).
    pub fn reachable(&self) -> bool {
        self.tcp_ok && self.http_status.is_some()
    }
}

/// The home page fetched over one address family, pinned to one address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyGet {
    pub addr: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The first bytes of the body (up to the comparison limit, 500 kB), decoded.
    pub body: String,
    pub bytes: u64,
}

/// An authoritative name server of the site's zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NsProbe {
    pub name: String,
    pub aaaa: Vec<String>,
    /// It answered a query for the zone's SOA sent over IPv6.
    pub answers_v6: bool,
    pub error: Option<String>,
}

/// An internal link of level 2 (on the home page) or 3 (on a level-2 page), tried over IPv6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkV6 {
    pub url: String,
    pub level: u8,
    /// Its host has a usable AAAA record.
    pub has_aaaa: bool,
    /// It answered over IPv6 with a status below 500 (`None`: not tried, no AAAA).
    pub ok_v6: Option<bool>,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// Everything the crawler measured about a site's IPv6 support; the IPv6 probe judges it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ipv6Gathered {
    pub host: String,
    pub port: u16,
    /// CNAMEs followed from the host, in order.
    pub cname_chain: Vec<String>,
    /// A records (after CNAMEs).
    pub a: Vec<String>,
    /// Every AAAA record as answered.
    pub aaaa_raw: Vec<String>,
    /// AAAA addresses that count (not IPv4-mapped, not unspecified, multicast or link-local).
    pub aaaa: Vec<String>,
    pub dns_error: Option<String>,
    /// One entry per usable AAAA address.
    pub addresses: Vec<AddrProbe>,
    /// Home page over IPv4 and over IPv6, for the same-content check.
    pub v4_get: Option<FamilyGet>,
    pub v6_get: Option<FamilyGet>,
    /// The zone whose name servers were checked.
    pub ns_zone: Option<String>,
    pub ns: Vec<NsProbe>,
    pub ns_error: Option<String>,
    pub links: Vec<LinkV6>,
    /// Level-2/3 internal links that were found but not tried (sample cap).
    pub links_not_tried: u64,
    /// Home page samples over IPv6 (this run's; the daemon adds more).
    pub v6_samples: Vec<Sample>,
    /// Every HTTP request these checks made (pinned to one address), for the `fetches` table.
    #[serde(default)]
    pub fetches: Vec<FetchRecord>,
}

/// The one spelling of a URL used to match links with fetches: fragment dropped, empty query
/// dropped, empty path as `/` (the `url` crate already lower-cases hosts and drops default ports).
pub fn normalize_url(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    if u.path().is_empty() {
        u.set_path("/");
    }
    if u.query() == Some("") {
        u.set_query(None);
    }
    u
}

/// [`normalize_url`] on a string; `None` when it does not parse.
pub fn normalize_url_str(url: &str) -> Option<String> {
    Url::parse(url).ok().map(|u| normalize_url(&u).to_string())
}
