//! One polite, guarded, bounded HTTP fetch, with retries.
//!
//! [`Crawler::fetch`] is the only way govwatch talks HTTP. For each attempt it:
//! 1. refuses non-http(s) URLs and, unless allowed, IP-literal hosts in private ranges (names are
//!    checked by the resolver, see [`crate::dns`]);
//! 2. consults robots.txt when the fetch asks for it;
//! 3. waits for the host's gate (rate, connection, Crawl-delay), its server address's gate and
//!    the global cap — time recorded as `queue_ms`, never counted against the site;
//! 4. sends with a deadline (15 s by default) on the server's time, from the moment the request
//!    leaves our queues to the end of its body, summed over redirect hops;
//! 5. follows redirects by hand (each hop re-checked and gated), detecting loops and capping hops;
//! 6. reads the body only when wanted, up to the size cap (counted after decompression).
//!
//! Failures are classified into [`FetchError`] causes. 5xx, 408, 429, timeouts and broken
//! connections are retried with exponential backoff. A `Retry-After` on 429/503 pauses the whole
//! host (its gate), up to `max_retry_after_secs`; a longer one makes the host refuse the crawl
//! (nothing more is asked of it this run; the site crawl reports it).

use crate::Crawler;
use crate::dns::{BlockedAddress, DnsFailure};
use crate::robots::{RobotsRules, bounded, rule_count, rules_from};
use govwatch_model::CrawlNote;
use govwatch_model::{FetchError, FetchRecord, Purpose};
use reqwest::Method;
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE, USER_AGENT,
};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use url::{Host, Url};

/// The start of the error message of a request not sent because its host refused the crawl
/// (a `Retry-After` or `Crawl-delay` beyond what is honoured).
pub const REFUSED_PREFIX: &str = "not asked: the host refused the crawl: ";

/// True when a record is a request not sent because its host refused the crawl.
pub fn refused_record(rec: &FetchRecord) -> bool {
    rec.error == Some(FetchError::Other)
        && rec
            .error_message
            .as_deref()
            .is_some_and(|m| m.starts_with(REFUSED_PREFIX))
}

/// Which part of the answer to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    /// Status and headers only.
    None,
    /// The body when the answer is HTML (or undeclared); others are not downloaded.
    Html,
    /// Any body.
    Any,
    /// Any body, but only its first bytes, up to this many (robots.txt: RFC 9309 §2.5); a longer
    /// body is cut there, not refused.
    Prefix(u64),
    /// An attachment: any body up to this many bytes. A longer one (by its Content-Length or as
    /// it streams) is not kept and not an error: the answer stands, `body` is `None` and
    /// `bytes` says how much was declared or seen.
    Document(u64),
    /// A page: the body when the answer is HTML (or undeclared), up to `max_body_bytes`; or, when
    /// its Content-Type is a document's ([`is_document`]), as [`BodyMode::Document`] with this cap.
    HtmlOrDocument(u64),
}

/// How to fetch.
#[derive(Debug, Clone, Copy)]
pub struct FetchSpec {
    pub method: &'static str,
    pub purpose: Purpose,
    pub body: BodyMode,
    /// Obey robots.txt for this URL.
    pub robots: bool,
    /// Retry transient failures.
    pub retry: bool,
    /// Connect only over this address family (`4` or `6`); `None`: whichever answers.
    pub family: Option<u8>,
}

impl FetchSpec {
    pub const PAGE: FetchSpec = FetchSpec {
        method: "GET",
        purpose: Purpose::Page,
        body: BodyMode::Html,
        robots: true,
        retry: true,
        family: None,
    };
    pub const CHECK_HEAD: FetchSpec = FetchSpec {
        method: "HEAD",
        purpose: Purpose::LinkCheck,
        body: BodyMode::None,
        robots: true,
        retry: true,
        family: None,
    };
    pub const CHECK_GET: FetchSpec = FetchSpec {
        method: "GET",
        purpose: Purpose::LinkCheck,
        body: BodyMode::None,
        robots: true,
        retry: true,
        family: None,
    };
}

/// All attempts of one fetch, and the body of the last one when kept.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub attempts: Vec<FetchRecord>,
    pub body: Option<Vec<u8>>,
    /// The `Set-Cookie` lines of the last attempt's answer (handed to the browser when the
    /// fetch was the browser's).
    pub set_cookie: Vec<String>,
}

impl Fetched {
    /// The final attempt.
    pub fn last(&self) -> &FetchRecord {
        self.attempts
            .last()
            .expect("a fetch has at least one attempt")
    }

    pub fn first(&self) -> &FetchRecord {
        &self.attempts[0]
    }
}

struct Attempt {
    record: FetchRecord,
    body: Option<Vec<u8>>,
    retry_after: Option<Duration>,
    set_cookie: Vec<String>,
}

/// What a fetch carries besides its URL: a form body (a POSTed search) or the browser's own
/// `Cookie` header (a request the browser made, sent for it through the host gate).
#[derive(Debug, Clone, Copy, Default)]
struct Extra<'a> {
    body: Option<&'a str>,
    cookie: Option<&'a str>,
}

pub fn is_html(ct: Option<&str>) -> bool {
    match ct {
        None => true,
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("text/html") || ct.contains("xhtml")
        }
    }
}

/// Content-Types of attachments (documents, spreadsheets, text files), and the generic download
/// types servers give them (`download.jsp?id=…` answers); the reader tells the format by its bytes.
pub fn is_document(ct: Option<&str>) -> bool {
    const TYPES: &[&str] = &[
        "application/pdf",
        "application/x-pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-word",
        "application/vnd.openxmlformats-officedocument.",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/kswps",
        "application/kset",
        "application/wps-office.",
        "application/vnd.ms-works",
        "application/octet-stream",
        "application/x-download",
        "application/force-download",
        "application/download",
        "text/csv",
        "text/plain",
    ];
    let Some(ct) = ct else { return false };
    let ct = ct.trim().to_ascii_lowercase();
    TYPES.iter().any(|t| ct.starts_with(t))
}

fn retryable(rec: &FetchRecord) -> bool {
    match rec.error {
        Some(FetchError::Timeout | FetchError::Connect | FetchError::Body) => true,
        Some(_) => false,
        None => matches!(rec.status, Some(s) if s >= 500 || s == 408 || s == 429),
    }
}

/// Walks an error's sources to name its cause.
pub fn classify(err: &reqwest::Error) -> (FetchError, String) {
    let mut msg = err.to_string();
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = src {
        if let Some(d) = e.downcast_ref::<DnsFailure>() {
            return (FetchError::Dns, d.0.clone());
        }
        if let Some(b) = e.downcast_ref::<BlockedAddress>() {
            return (FetchError::BlockedAddress, b.0.clone());
        }
        if e.downcast_ref::<rustls::Error>().is_some() {
            return (FetchError::Tls, e.to_string());
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            match io.kind() {
                TimedOut => return (FetchError::Timeout, io.to_string()),
                ConnectionRefused | ConnectionReset | ConnectionAborted | NotConnected
                | HostUnreachable | NetworkUnreachable | AddrNotAvailable => {
                    if err.is_connect() {
                        return (FetchError::Connect, io.to_string());
                    }
                    return (FetchError::Body, io.to_string());
                }
                _ => {}
            }
        }
        msg = e.to_string();
        src = e.source();
    }
    if err.is_timeout() {
        (FetchError::Timeout, "no complete answer in time".into())
    } else if err.is_connect() {
        let lower = msg.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            (FetchError::Tls, msg)
        } else {
            (FetchError::Connect, msg)
        }
    } else if err.is_body() || err.is_decode() || err.is_request() {
        (FetchError::Body, msg)
    } else {
        (FetchError::Other, msg)
    }
}

fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let t = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let d = t.signed_duration_since(chrono::Utc::now());
    d.to_std().ok()
}

/// Where a fetch's time went: on the wire (the server's time, which the time limit judges) or
/// waiting in our own queues (host gate, global permit), over every redirect hop.
#[derive(Debug, Default)]
struct Clock {
    server: Duration,
    queued: Duration,
    /// When the hop in flight was sent.
    sent: Option<Instant>,
    hops: u32,
}

impl Clock {
    fn send(&mut self) {
        self.sent = Some(Instant::now());
        self.hops += 1;
    }

    /// Ends the hop in flight, adding its time to the server's.
    fn hop_done(&mut self) {
        if let Some(t) = self.sent.take() {
            self.server += t.elapsed();
        }
    }

    /// The server's time so far, the hop in flight included.
    fn server_time(&self) -> Duration {
        self.server + self.sent.map(|t| t.elapsed()).unwrap_or_default()
    }

    fn stamp(&self, record: &mut FetchRecord) {
        record.elapsed_ms = self.server_time().as_millis() as u64;
        record.queue_ms = self.queued.as_millis() as u64;
    }
}

impl Crawler {
    /// Fetches `url` politely, with retries when `spec.retry`.
    pub async fn fetch(&self, url: &Url, spec: FetchSpec) -> Fetched {
        self.fetch_with_body(url, spec, Extra::default()).await
    }

    /// A request the browser made, sent for it by the crawler (the host's gate, robots.txt when
    /// `spec.robots`, the address guard, the time limit), with the browser's own `Cookie` header
    /// instead of the crawler's; the answer's body is kept whatever its status.
    pub async fn fetch_for_browser(
        &self,
        url: &Url,
        spec: FetchSpec,
        cookie: Option<&str>,
    ) -> Fetched {
        let extra = Extra { body: None, cookie };
        self.fetch_with_body(url, spec, extra).await
    }

    /// Submits a site-search form by POST (form-encoded `body`), once, without retries. Only
    /// search forms are ever submitted, and by POST only where the site's configuration allows it;
    /// a redirect after the POST is followed with GET, as browsers do.
    pub async fn post_search_form(&self, url: &Url, body: &str) -> Fetched {
        let spec = FetchSpec {
            method: "POST",
            retry: false,
            ..FetchSpec::PAGE
        };
        let extra = Extra {
            body: Some(body),
            cookie: None,
        };
        self.fetch_with_body(url, spec, extra).await
    }

    async fn fetch_with_body(&self, url: &Url, spec: FetchSpec, extra: Extra<'_>) -> Fetched {
        let max_attempts = if spec.retry {
            self.settings.retries + 1
        } else {
            1
        };
        let mut attempts = Vec::new();
        let mut attempt_no = 1;
        loop {
            let a = self.fetch_once(url, spec, attempt_no, extra).await;
            self.health.observe(&a.record);
            // Retry-After of a 429/503 is the host's word for every request to it: it pauses the
            // host's gate, and beyond the cap the host refuses the crawl.
            let host_asked = a
                .retry_after
                .filter(|_| matches!(a.record.status, Some(429 | 503)) && !a.record.challenged());
            let cap = Duration::from_secs(self.settings.max_retry_after_secs);
            let mut refused = false;
            if let (Some(r), Ok(last)) = (host_asked, Url::parse(&a.record.final_url))
                && let Some(host) = last.host_str()
            {
                let gate = self.gates.get(host);
                if r > cap {
                    refused = true;
                    gate.refuse(
                        format!(
                            "HTTP {} Retry-After {} s, more than the {} s honoured",
                            a.record.status.unwrap_or(0),
                            r.as_secs(),
                            cap.as_secs()
                        ),
                        Some(r),
                    );
                } else {
                    gate.pause(r);
                }
            }
            let again = !refused && attempt_no < max_attempts && retryable(&a.record);
            let wait = if again && host_asked.is_none() {
                let backoff = Duration::from_millis(
                    self.settings
                        .backoff_base_ms
                        .saturating_mul(1 << (attempt_no - 1).min(10)),
                );
                a.retry_after.map(|r| r.min(cap)).unwrap_or(backoff)
            } else {
                // the host's gate keeps the pause it asked for
                Duration::ZERO
            };
            attempts.push(a.record);
            if !again {
                return Fetched {
                    attempts,
                    body: a.body,
                    set_cookie: a.set_cookie,
                };
            }
            tracing::debug!(%url, attempt = attempt_no, ?wait, "retrying");
            tokio::time::sleep(wait).await;
            attempt_no += 1;
        }
    }

    /// Whether robots.txt of the URL's origin lets us fetch it (loads robots.txt on first use).
    pub async fn robots_allowed(&self, url: &Url) -> bool {
        let rules = self.robots_rules(url).await;
        rules.allowed(url.as_str())
    }

    async fn robots_rules(&self, url: &Url) -> Arc<RobotsRules> {
        let origin = url.origin().ascii_serialization();
        let cell = self.robots.cell(&origin);
        cell.get_or_init(|| async {
            let mut robots_url = url.clone();
            robots_url.set_path("/robots.txt");
            robots_url.set_query(None);
            let max_bytes = self.settings.max_robots_bytes;
            let spec = FetchSpec {
                method: "GET",
                purpose: Purpose::Robots,
                body: BodyMode::Prefix(max_bytes),
                robots: false,
                retry: false,
                family: None,
            };
            let f = self.fetch(&robots_url, spec).await;
            let body = f.body.as_deref().map(|b| bounded(b, max_bytes as usize));
            let rules = rules_from(
                &self.agent_token,
                f.last(),
                body,
                self.settings.max_robots_rules,
            );
            if let (RobotsRules::DisallowAll(why), Some(host)) = (&rules, url.host_str())
                && why.contains("rules, more than")
            {
                self.robots.note(
                    host,
                    CrawlNote {
                        code: "robots.too_many_rules".into(),
                        url: Some(robots_url.to_string()),
                        value: serde_json::json!({
                            "host": host,
                            "rules": body.map(rule_count).unwrap_or(0),
                            "max_rules": self.settings.max_robots_rules,
                            "bytes_read": body.map(<[u8]>::len).unwrap_or(0),
                        }),
                    },
                );
            }
            if let (Some(d), Some(host)) = (rules.crawl_delay(), url.host_str()) {
                let d = f64::from(d);
                let gate = self.gates.get(host);
                if d > self.settings.refuse_crawl_delay_above_secs {
                    gate.refuse(
                        format!(
                            "robots.txt Crawl-delay {d} s, more than the {} s honoured",
                            self.settings.refuse_crawl_delay_above_secs
                        ),
                        None,
                    );
                } else {
                    let capped = d.clamp(0.0, self.settings.max_crawl_delay_secs);
                    gate.set_crawl_delay(Duration::from_secs_f64(capped));
                }
            }
            if let Some(host) = url.host_str() {
                self.robots.record(host, f.attempts);
            }
            Arc::new(rules)
        })
        .await
        .clone()
    }

    async fn fetch_once(
        &self,
        url: &Url,
        spec: FetchSpec,
        attempt: u32,
        extra: Extra<'_>,
    ) -> Attempt {
        // The time limit (15 s, the availability rule) is the server's time: it runs only while a
        // request of this fetch is on the wire, from the moment it is sent (after the host's gate
        // and the global permit) to the end of its body, summed over redirect hops. Time spent
        // waiting in our own queues is recorded apart (`queue_ms`) and never fails a fetch.
        let budget = Duration::from_secs_f64(self.settings.timeout_secs);
        let mut clock = Clock::default();
        let mut record = self.new_record(url, spec, attempt);
        let mut method = match spec.method {
            "HEAD" => Method::HEAD,
            "POST" if extra.body.is_some() => Method::POST,
            _ => Method::GET,
        };
        let mut body = extra.body.map(str::to_string);
        let mut current = url.clone();
        let mut visited: HashSet<String> = HashSet::from([current.to_string()]);
        loop {
            record.final_url = current.to_string();
            let (host, literal) = match self.check_target(&current, spec).await {
                Ok(target) => target,
                Err(f) => return failed(record, &clock, f),
            };
            let gate = self.gates.get(&host);
            if let Some(why) = gate.refusal() {
                let f = (FetchError::Other, format!("{REFUSED_PREFIX}{why}"));
                return failed(record, &clock, f);
            }
            let queued_at = Instant::now();
            let _host_permit = gate.acquire().await;
            // then the server's own gate, shared by every host on its address
            let address = self.address_gate(&host, literal).await;
            let _address_permit = match address.as_deref() {
                Some(a) => Some(a.acquire().await),
                None => None,
            };
            let _global = self
                .global
                .acquire()
                .await
                .expect("global semaphore never closes");
            clock.queued += queued_at.elapsed();
            let remaining = budget.saturating_sub(clock.server);
            if remaining.is_zero() {
                let msg = "time limit reached while following redirects";
                return failed(record, &clock, (FetchError::Timeout, msg.into()));
            }
            if clock.hops == 0 {
                // the request's time is when it was sent, not when it was queued
                record.started_at = self.now();
            }
            clock.send();
            self.count_sent();
            let deadline = clock.sent.expect("just sent") + remaining;
            let req = self.request(&method, &current, &host, spec, extra, body.as_deref());
            let resp = match tokio::time::timeout_at(deadline, req.timeout(remaining).send()).await
            {
                Err(_) => {
                    return failed(
                        record,
                        &clock,
                        (FetchError::Timeout, "no answer in time".into()),
                    );
                }
                Ok(Err(e)) => return failed(record, &clock, classify(&e)),
                Ok(Ok(r)) => r,
            };
            let status = resp.status();
            let set_cookie = self.answer_seen(&resp, &host, extra, &mut record);
            if status.is_redirection()
                && let Some(loc) = resp.headers().get(LOCATION)
            {
                match self.redirect_target(&current, loc, status, &mut record, &mut visited) {
                    Ok(next) => current = next,
                    Err(f) => return failed(record, &clock, f),
                }
                clock.hop_done();
                if method == Method::POST && matches!(status.as_u16(), 301..=303) {
                    method = Method::GET;
                    body = None;
                }
                continue;
            }
            let answer = Answer::new(&resp, record, clock, set_cookie);
            return self
                .read_answer(resp, answer, spec, &method, deadline)
                .await;
        }
    }

    /// The record of an attempt not yet sent.
    fn new_record(&self, url: &Url, spec: FetchSpec, attempt: u32) -> FetchRecord {
        FetchRecord {
            url: url.to_string(),
            final_url: url.to_string(),
            method: spec.method.to_string(),
            purpose: spec.purpose,
            status: None,
            started_at: self.now(),
            elapsed_ms: 0,
            queue_ms: 0,
            bytes: 0,
            content_type: None,
            content_hash: None,
            remote_addr: None,
            family: None,
            error: None,
            error_message: None,
            redirects: Vec::new(),
            attempt,
        }
    }

    /// Whether a hop may be asked at all (its scheme, its host, an IP literal's range, robots.txt
    /// when the spec obeys it): its host (lowercase) and IP literal, or why not.
    async fn check_target(
        &self,
        current: &Url,
        spec: FetchSpec,
    ) -> Result<(String, Option<std::net::IpAddr>), Failure> {
        if !matches!(current.scheme(), "http" | "https") {
            let msg = format!("scheme {} is not fetched", current.scheme());
            return Err((FetchError::Unsupported, msg));
        }
        let Some(host) = current.host_str().map(|h| h.to_ascii_lowercase()) else {
            return Err((FetchError::Unsupported, "URL has no host".into()));
        };
        let literal = match current.host() {
            Some(Host::Ipv4(a)) => Some(std::net::IpAddr::V4(a)),
            Some(Host::Ipv6(a)) => Some(std::net::IpAddr::V6(a)),
            _ => None,
        };
        if let Some(ip) = literal.filter(|ip| self.dns.guard().refuses(*ip)) {
            let msg = format!("refused non-public address {ip}");
            return Err((FetchError::BlockedAddress, msg));
        }
        if spec.robots && !Box::pin(self.robots_allowed(current)).await {
            let msg = format!("robots.txt disallows {current}");
            return Err((FetchError::RobotsDisallowed, msg));
        }
        Ok((host, literal))
    }

    /// The request of one hop (without its time limit): our user agent, the cookies it carries,
    /// and a form body when it has one.
    fn request(
        &self,
        method: &Method,
        current: &Url,
        host: &str,
        spec: FetchSpec,
        extra: Extra<'_>,
        body: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .client_for(spec.family)
            .request(method.clone(), current.clone())
            .header(USER_AGENT, &self.user_agent);
        // the browser's own cookies for its requests; the cookies a passed wall earned for
        // the crawler's
        match extra.cookie {
            Some(c) if !c.is_empty() => req = req.header(COOKIE, c),
            Some(_) => {}
            None => {
                if let Some(c) = self.cookies.header(host) {
                    req = req.header(COOKIE, c);
                }
            }
        }
        if let Some(b) = body {
            req = req
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(b.to_string());
        }
        req
    }

    /// Records what every answer tells (status, server address) and keeps the cookies it sets
    /// for the crawler's own requests; returns its `Set-Cookie` lines.
    fn answer_seen(
        &self,
        resp: &reqwest::Response,
        host: &str,
        extra: Extra<'_>,
        record: &mut FetchRecord,
    ) -> Vec<String> {
        record.status = Some(resp.status().as_u16());
        let set_cookie: Vec<String> = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if extra.cookie.is_none() {
            self.cookies.update(host, &set_cookie);
        }
        if let Some(addr) = resp.remote_addr() {
            record.remote_addr = Some(addr.to_string());
            record.family = Some(if addr.is_ipv4() { 4 } else { 6 });
        }
        set_cookie
    }

    /// Where a redirect leads (recorded among the record's redirects), or why it is not followed:
    /// an unusable Location, a loop, or one hop too many.
    fn redirect_target(
        &self,
        current: &Url,
        loc: &reqwest::header::HeaderValue,
        status: reqwest::StatusCode,
        record: &mut FetchRecord,
        visited: &mut HashSet<String>,
    ) -> Result<Url, Failure> {
        let loc = String::from_utf8_lossy(loc.as_bytes()).trim().to_string();
        let Ok(mut next) = current.join(&loc) else {
            return Err((
                FetchError::BadRedirect,
                format!("unusable Location {loc:?}"),
            ));
        };
        next.set_fragment(None);
        record
            .redirects
            .push(format!("{} {}", status.as_u16(), next));
        if !visited.insert(next.to_string()) {
            let msg = format!("redirect loop back to {next}");
            return Err((FetchError::RedirectLoop, msg));
        }
        if record.redirects.len() as u32 > self.settings.max_redirects {
            let msg = format!("more than {} redirects", self.settings.max_redirects);
            return Err((FetchError::TooManyRedirects, msg));
        }
        Ok(next)
    }

    /// Reads an attempt's final answer: as much of its body as the spec wants (an error answer's
    /// first bytes when it may be a wall's challenge), then whether it is a challenge.
    async fn read_answer(
        &self,
        resp: reqwest::Response,
        mut answer: Answer,
        spec: FetchSpec,
        method: &Method,
        deadline: Instant,
    ) -> Attempt {
        let status = answer.status;
        let ct = answer.ct.as_deref();
        let declared_len = answer.declared_len;
        let reads = *method == Method::GET || *method == Method::POST;
        let want_body = reads
            && status.is_success()
            && match spec.body {
                BodyMode::None => false,
                BodyMode::Html => is_html(ct),
                BodyMode::HtmlOrDocument(_) => is_html(ct) || is_document(ct),
                BodyMode::Any | BodyMode::Prefix(_) | BodyMode::Document(_) => true,
            };
        // the browser gets the body of an error answer too (a challenge script to run)
        let error_body = reads && !status.is_success() && spec.body == BodyMode::Any;
        // an error answer may be an anti-bot wall's challenge: its first bytes tell
        let wall_cap = self.settings.walls.max_bytes() as u64;
        let wall_probe =
            reads && !status.is_success() && wall_cap > 0 && is_html(ct) && !error_body;
        if !want_body && !error_body && !wall_probe {
            answer.record.bytes = if *method == Method::HEAD {
                0
            } else {
                declared_len.unwrap_or(0)
            };
            return answer.done(None);
        }
        let prefix = match spec.body {
            _ if wall_probe => Some(wall_cap + 1),
            BodyMode::Prefix(n) => Some(n),
            _ => None,
        };
        // an attachment over its cap is left unread, not failed
        let document = match spec.body {
            BodyMode::Document(n) => Some(n),
            BodyMode::HtmlOrDocument(n) if !is_html(ct) => Some(n),
            _ => None,
        };
        let cap = prefix.or(document).unwrap_or(self.settings.max_body_bytes);
        if document.is_some() && declared_len.is_some_and(|l| l > cap) {
            answer.record.bytes = declared_len.unwrap_or(0);
            return answer.done(None);
        }
        if prefix.is_none() && declared_len.is_some_and(|l| l > cap) {
            let msg = format!("Content-Length over the {cap}-byte cap");
            return answer.fail((FetchError::TooLarge, msg));
        }
        let limits = BodyLimits {
            cap,
            prefix: prefix.is_some(),
            document: document.is_some(),
            deadline,
        };
        match read_body(resp, declared_len, limits).await {
            BodyRead::Whole(body) => self.judge_body(answer, body, spec, wall_cap),
            BodyRead::Unkept(bytes) => {
                answer.record.bytes = bytes;
                answer.done(None)
            }
            BodyRead::Failed(bytes, f) => {
                if let Some(bytes) = bytes {
                    answer.record.bytes = bytes;
                }
                answer.fail(f)
            }
        }
    }

    /// A read body checked against the walls' signatures (a small HTML answer, or any answer of
    /// an error status: a challenge is not the page), and kept or dropped.
    fn judge_body(
        &self,
        mut answer: Answer,
        body: Vec<u8>,
        spec: FetchSpec,
        wall_cap: u64,
    ) -> Attempt {
        let status = answer.status;
        let ct = answer.ct.as_deref();
        let record = &mut answer.record;
        record.bytes = body.len() as u64;
        answer.clock.stamp(record);
        if (body.len() as u64) <= wall_cap
            && (is_html(ct) || !status.is_success())
            && self.settings.walls.may_match(status.as_u16(), &body)
        {
            let text = crate::decode::decode_html(&body, ct).text;
            if let Some(hit) = self.settings.walls.detect(status.as_u16(), &text) {
                record.error = Some(FetchError::Challenged);
                record.error_message = Some(challenge_message(&hit, status.as_u16()));
            }
        }
        let keep = if record.challenged() || !status.is_success() {
            spec.body == BodyMode::Any
        } else {
            true
        };
        // the hash names a body that is kept (an error answer read only to tell a wall's
        // challenge is dropped, and has none)
        if keep {
            record.content_hash = Some(hex::encode(Sha256::digest(&body)));
        }
        Attempt {
            record: answer.record,
            body: keep.then_some(body),
            retry_after: answer.retry_after,
            set_cookie: answer.set_cookie,
        }
    }
}

/// Why an attempt ended without a usable answer: the cause and its message.
type Failure = (FetchError, String);

/// The attempt ended by `f`, its time stamped.
fn failed(mut record: FetchRecord, clock: &Clock, (e, msg): Failure) -> Attempt {
    record.error = Some(e);
    record.error_message = Some(msg);
    clock.stamp(&mut record);
    Attempt {
        record,
        body: None,
        retry_after: None,
        set_cookie: Vec::new(),
    }
}

/// An attempt's final answer (not a redirect) as its headers tell it, before its body is read.
struct Answer {
    record: FetchRecord,
    clock: Clock,
    status: reqwest::StatusCode,
    ct: Option<String>,
    declared_len: Option<u64>,
    retry_after: Option<Duration>,
    set_cookie: Vec<String>,
}

impl Answer {
    /// Reads the headers that decide how the body is read (Content-Type recorded).
    fn new(
        resp: &reqwest::Response,
        mut record: FetchRecord,
        clock: Clock,
        set_cookie: Vec<String>,
    ) -> Answer {
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.to_string());
        record.content_type = ct.clone();
        let declared_len = resp
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        Answer {
            record,
            clock,
            status: resp.status(),
            ct,
            declared_len,
            retry_after,
            set_cookie,
        }
    }

    /// The answer stands, with this body (or none).
    fn done(mut self, body: Option<Vec<u8>>) -> Attempt {
        self.clock.stamp(&mut self.record);
        Attempt {
            record: self.record,
            body,
            retry_after: self.retry_after,
            set_cookie: self.set_cookie,
        }
    }

    /// The answer failed while its body was read.
    fn fail(self, f: Failure) -> Attempt {
        failed(self.record, &self.clock, f)
    }
}

/// How much of a body to read, and until when.
#[derive(Clone, Copy)]
struct BodyLimits {
    cap: u64,
    /// Only the first `cap` bytes are wanted (the rest is never read).
    prefix: bool,
    /// An attachment: over `cap` it is left unread, not failed.
    document: bool,
    deadline: Instant,
}

/// What reading a body came to.
enum BodyRead {
    Whole(Vec<u8>),
    /// An attachment over its cap, not kept: the bytes seen.
    Unkept(u64),
    /// Failed, with the bytes seen when the body went over its cap.
    Failed(Option<u64>, Failure),
}

/// Reads a body chunk by chunk within its limits.
async fn read_body(
    mut resp: reqwest::Response,
    declared_len: Option<u64>,
    limits: BodyLimits,
) -> BodyRead {
    let cap = limits.cap;
    let mut body: Vec<u8> = Vec::with_capacity(declared_len.unwrap_or(16 * 1024).min(cap) as usize);
    loop {
        match tokio::time::timeout_at(limits.deadline, resp.chunk()).await {
            Err(_) => {
                let f = (FetchError::Timeout, "body not complete in time".into());
                return BodyRead::Failed(None, f);
            }
            Ok(Err(e)) => {
                let (kind, msg) = classify(&e);
                let kind = if kind == FetchError::Other {
                    FetchError::Body
                } else {
                    kind
                };
                return BodyRead::Failed(None, (kind, msg));
            }
            Ok(Ok(None)) => return BodyRead::Whole(body),
            Ok(Ok(Some(chunk))) => {
                let seen = body.len() as u64 + chunk.len() as u64;
                if limits.prefix && seen > cap {
                    // read enough: the rest is never parsed (RFC 9309 §2.5)
                    let keep = (cap as usize).saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..keep.min(chunk.len())]);
                    return BodyRead::Whole(body);
                }
                if limits.document && seen > cap {
                    // seen enough to know it is over the cap: the rest is not read
                    return BodyRead::Unkept(seen);
                }
                if seen > cap {
                    let f = (
                        FetchError::TooLarge,
                        format!("body over the {cap}-byte cap"),
                    );
                    return BodyRead::Failed(Some(seen), f);
                }
                body.extend_from_slice(&chunk);
            }
        }
    }
}

/// The error message of a challenged answer: `wall ID (NAME): HTTP STATUS, markers …`. The
/// wall's id is the first word after [`CHALLENGE_PREFIX`] ([`challenge_wall`] reads it back).
pub fn challenge_message(hit: &govwatch_config::WallHit, status: u16) -> String {
    format!(
        "{CHALLENGE_PREFIX}{} ({}): HTTP {status}, markers {}",
        hit.id,
        hit.name,
        hit.markers.join(", ")
    )
}

/// The start of a challenged answer's error message.
pub const CHALLENGE_PREFIX: &str = "anti-bot wall ";

/// The wall's id of a challenged record (from its message).
pub fn challenge_wall(rec: &FetchRecord) -> Option<&str> {
    if !rec.challenged() {
        return None;
    }
    rec.error_message
        .as_deref()?
        .strip_prefix(CHALLENGE_PREFIX)?
        .split_whitespace()
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn html_types() {
        assert!(is_html(None));
        assert!(is_html(Some("text/html; charset=gbk")));
        assert!(is_html(Some("application/xhtml+xml")));
        assert!(!is_html(Some("application/pdf")));
    }
}
