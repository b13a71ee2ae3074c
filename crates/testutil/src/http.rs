//! Fixture HTTP/1.1 server.
//!
//! A hand-written HTTP/1.1 server on top of tokio that serves a directory tree of
//! fixture sites (`root/<host>/<path>`), routed by the `Host` header, on
//! `127.0.0.1:P` and `[::1]:P` (same port), or on `127.0.0.1:P` only
//! ([`FixtureServer::start_v4_only`]). It exists so that tests, `govwatch demo`
//! and benchmarks can crawl realistic sites without touching the internet, and so
//! that tests can inject faults (delays, resets, slow or huge bodies, redirect
//! loops, gzip, transient failures) with byte-level control over what goes on the
//! wire. Requests that arrive over IPv6 can get different answers than over IPv4
//! (a `_v6/` content overlay, `family` routes, per-family faults), for IPv6 probes.
//!
//! See [`FixtureServer`] for the serving rules, the `_server.toml` route file and
//! the fault knobs.
//!
//! # `_server.toml`
//!
//! An optional file `root/<host>/_server.toml`, read again on every request (so a
//! test may rewrite it while the server runs; a file that does not parse makes
//! every request to that host answer 500 with the parse error):
//!
//! ```toml
//! # Special answers. The first entry whose path and family match applies.
//! [[route]]
//! path = "/old.html"          # exact request path (the query is ignored)
//! status = 301                # default: 302 with `location`, else 200
//! location = "http://www.x.gov.test:{{PORT}}/new.html"
//! body = "text"               # default: the file at `path`, if any
//! head_status = 405           # answer to HEAD only (GET gets the normal answer)
//! delay_ms = 500              # wait before answering
//! retry_after = 7             # `Retry-After` header (number or string)
//! content_type = "text/plain" # default: from the file or the extension
//! headers = { "X-A" = "b" }   # extra headers (`{{PORT}}` substituted)
//! family = 6                  # only requests that arrived over IPv4 (4) or IPv6 (6)
//!
//! # What a path with no file answers (default: the server's own 404 page). The file may
//! # start with `_` (never served by itself); status 200 makes a soft 404.
//! [not_found]
//! status = 200
//! file = "_notfound.html"
//!
//! # A working site search over the fixture files (see below).
//! [[search]]
//! path = "/search/"           # exact request path (the query is ignored for matching)
//! param = "q"                 # form parameter holding the term (default "q")
//! index_host = "www.x.gov.test" # whose files are searched (default: this host)
//! empty = false               # true: always "共找到0条结果", no results
//! method = "GET"              # "GET" (default; HEAD too) or "POST" (form-encoded body)
//!
//! # An anti-bot wall in front of the whole host (see [`wall`]).
//! [wall]
//! kind = "ruishu"             # "ruishu" (HTTP 412, `$_ts`) or "jiasule" (HTTP 521, `__jsl_clearance_s`)
//! ```
//!
//! A `[[search]]` entry answers every matching request (whatever IP family it
//! arrived over) with 200 `text/html; charset=utf-8` and a result page:
//!
//! ```html
//! <!DOCTYPE html><html><head><meta charset="utf-8"><title>搜索结果</title></head><body>
//! <div class="search-info">搜索“TERM”，共找到N条结果</div>
//! <ul class="search-results"><li><a href="http://INDEX_HOST:PORT/PATH">PAGE TITLE</a><p>…excerpt…</p></li></ul>
//! </body></html>
//! ```
//!
//! The term is the first `param` of the query string (GET, HEAD) or of the
//! `application/x-www-form-urlencoded` body (POST): `+` is a space and
//! percent-escapes are decoded as UTF-8. Every `.html`/`.htm` file under
//! `root/<index_host>/` (files and directories whose name starts with `_` are
//! skipped, so `_v6/` is too) is decoded (UTF-8, or the `charset` its `<meta>`
//! declares, e.g. `gb2312`/`gbk` → GBK), `{{PORT}}` substituted, stripped to text
//! (scripts, styles and comments dropped, entities decoded, whitespace runs
//! collapsed), and a page is a hit when its text contains the term (whitespace runs
//! collapsed, ASCII case-insensitive). N counts every hit; the list shows the first
//! 50 by path, each linked absolutely to the index host with the server's port and
//! titled by its `<title>` (the path if it has none). A missing or blank term, or
//! `empty = true`, gives N = 0 and the text `没有找到相关结果`. `[[route]]` entries
//! come first: a route on the same path (say `family = 6`, `status = 500`) breaks
//! the search. A `POST` entry only answers POST requests (GET and HEAD of its path
//! fall through to the file tree, e.g. to the search form), and a `GET` entry only
//! GET and HEAD (POST gets 405 as everywhere else).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod search;
pub mod wall;

/// How long an idle keep-alive connection (or a half-received request) is kept open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest request head (request line + headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body kept (for a POSTed form); larger ones are read and dropped.
const MAX_BODY: u64 = 1024 * 1024;
/// How many times `start` tries to find a port free on both 127.0.0.1 and [::1].
const BIND_ATTEMPTS: usize = 20;
/// Value of the `Server` header on every response.
const SERVER_NAME: &str = "govwatch-fixture";
/// Name of the optional per-host route file.
const ROUTES_FILE: &str = "_server.toml";
/// Name of the per-host directory whose files replace the normal ones for IPv6 peers.
const V6_DIR: &str = "_v6";

/// A fault injected by a test into the answers for a (host, path-prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer this status with a short HTML body.
    Status(u16),
    /// Close the TCP connection without answering (with `SO_LINGER` 0, so a real RST).
    Reset,
    /// Send the headers with the full `Content-Length`, then drip the body `chunk` bytes every `interval`.
    SlowBody {
        /// Bytes written per step (at least 1).
        chunk: usize,
        /// Pause between two steps.
        interval: Duration,
    },
    /// Answer 200 `text/html` with a streamed body of this many bytes.
    HugeBody(u64),
    /// `path` → 302 to `path?loop=1` → 302 back to `path`: an endless loop between two URLs.
    RedirectLoop,
    /// Answer this redirect status with this `Location` (`{{PORT}}` substituted).
    Redirect {
        /// Status to answer (301, 302, 303, 307, 308, ...).
        status: u16,
        /// Value of the `Location` header.
        location: String,
    },
    /// Serve the normal response gzip-compressed with `Content-Encoding: gzip`.
    Gzip,
    /// The first `times` requests get `status`; later ones are answered normally.
    FailTimes {
        /// How many requests fail.
        times: u32,
        /// Status the failing requests get.
        status: u16,
    },
}

/// A response registered at run time with [`FixtureServer::add_route`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteResponse {
    /// Status code to answer.
    pub status: u16,
    /// Extra headers sent as given (a given `Content-Length`/`Server`/`Connection` replaces the automatic one).
    pub headers: Vec<(String, String)>,
    /// Body bytes, sent as is.
    pub body: Vec<u8>,
}

impl RouteResponse {
    /// A response with this status, no extra headers and this body.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A 200 `text/html` response with this body.
    pub fn html(body: impl Into<Vec<u8>>) -> Self {
        Self::new(200, body).with_header("Content-Type", "text/html")
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// One request seen by the server, recorded when its headers were fully parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// When the request head was parsed.
    pub at: Instant,
    /// Host header, lowercased, port stripped.
    pub host: String,
    /// Request method as sent (`GET`, `HEAD`, ...).
    pub method: String,
    /// Request target path, with query.
    pub path: String,
    /// `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// `Cookie` header, if any.
    pub cookie: Option<String>,
    /// Client address (an IPv6 address when it came in on `[::1]`).
    pub peer: SocketAddr,
    /// The server address the request came in on (which of the addresses of
    /// [`FixtureServer::start_on_v4_addrs`], say).
    pub local: SocketAddr,
    /// Status answered; 0 for a reset (or while the answer is still pending).
    pub status: u16,
    /// The request body (e.g. a POSTed search form); empty when there was none, or
    /// when it was chunked or larger than 1 MiB (such bodies are skipped unread).
    pub body: Vec<u8>,
}

/// The fixture HTTP server; see the module docs.
///
/// Serving rules:
/// - routing by the `Host` header (lowercased, port and trailing dot stripped) to
///   `root/<host>/`; an unknown host gets 404;
/// - the path is percent-decoded, a path ending in `/` serves `index.html`, `..`
///   is refused (403), a directory without trailing slash is redirected (301) to
///   the slash form;
/// - files whose name starts with `_` and files named `expected.toml` are never
///   served (404);
/// - in text files (html, htm, css, js, txt, xml, json) every `{{PORT}}` is
///   replaced by the port number;
/// - IPv6 overlay: for a request that arrived over IPv6 (the peer address is v6),
///   `root/<host>/_v6/<path>` is served instead of `root/<host>/<path>` when it
///   exists as a file (same rules: `index.html`, `{{PORT}}`, content types); paths
///   under `/_v6/` are never served directly (404);
/// - `root/<host>/_server.toml` may hold `[[route]]` entries (path, status,
///   location, body, head_status, delay_ms, retry_after, content_type, headers,
///   family), read on every request; the first entry whose path matches and whose
///   `family` (4 or 6, optional) is absent or equals the family the request
///   arrived over applies;
/// - `_server.toml` may also hold `[[search]]` entries (path, param, index_host,
///   empty, method): a site search over the `.html`/`.htm` files of a host that
///   answers a result page (see the [module docs](self));
/// - GET and HEAD only (other methods 405; POST only for a `method = "POST"`
///   search), HTTP/1.1 keep-alive with a 5 s idle timeout, `Content-Length` and
///   `Server: govwatch-fixture` on every answer.
///
/// Precedence per request: fault, then method check, then routes added with
/// [`add_route`](Self::add_route), then `_server.toml` (`[[route]]`, then
/// `[[search]]`), then the file tree.
/// Dropping the server (or calling [`shutdown`](Self::shutdown)) stops it.
pub struct FixtureServer {
    shared: Arc<Shared>,
    has_v6: bool,
    accept_tasks: Vec<JoinHandle<()>>,
    /// For a v4-only server: a TCP socket bound (not listening, no `SO_REUSEADDR`)
    /// on `[::1]:P`, so nothing else can listen there and connections are refused.
    _v6_guard: Option<TcpSocket>,
}

struct FaultEntry {
    host: String,
    prefix: String,
    /// 4 or 6: only requests that arrived over that family; `None`: both.
    family: Option<u8>,
    fault: Fault,
    hits: u32,
}

struct Shared {
    root: PathBuf,
    port: u16,
    faults: Mutex<Vec<FaultEntry>>,
    routes: Mutex<HashMap<(String, String), RouteResponse>>,
    log: Mutex<Vec<(u64, LoggedRequest)>>,
    next_id: AtomicU64,
    shutdown: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FixtureServer {
    /// Binds 127.0.0.1:P and [::1]:P (same random port P) and starts serving `root`.
    ///
    /// If IPv6 is unavailable the server runs on IPv4 only ([`has_v6`](Self::has_v6) is false).
    pub async fn start(root: impl Into<PathBuf>) -> io::Result<FixtureServer> {
        let (v4, v6) = bind_pair().await?;
        Self::launch(root.into(), v4, v6, None)
    }

    /// Binds 127.0.0.1:`port` and, if IPv6 works, [::1]:`port`, and starts serving `root`
    /// (`govwatch demo`'s fixed port); an error (`AddrInUse`) when 127.0.0.1:`port` is taken.
    pub async fn start_on(root: impl Into<PathBuf>, port: u16) -> io::Result<FixtureServer> {
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let port = v4.local_addr()?.port();
        let v6 = match TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
            Ok(v6) => Some(v6),
            Err(e) => {
                tracing::info!(error = %e, "[::1]:{port} unavailable; fixture server runs v4-only");
                None
            }
        };
        Self::launch(root.into(), v4, v6, None)
    }

    /// Binds 127.0.0.1:P only (random port P) and starts serving `root`.
    ///
    /// Nothing listens on `[::1]:P`: connections there are refused, like a dual-stack
    /// host whose AAAA address nothing answers on. The server keeps `[::1]:P` bound
    /// (without listening) while it runs, so no other server can take that port.
    /// [`has_v6`](Self::has_v6) is false and [`addr_v6`](Self::addr_v6) is `None`.
    pub async fn start_v4_only(root: impl Into<PathBuf>) -> io::Result<FixtureServer> {
        let (v4, guard) = bind_v4_with_v6_guard().await?;
        Self::launch(root.into(), v4, None, guard)
    }

    /// Binds every address of `addrs` (IPv4, e.g. `127.0.0.1` … `127.0.0.4`) on one random
    /// port P and starts serving `root` on all of them, IPv4 only: a farm of servers, each
    /// request logged with the address it came in on ([`LoggedRequest::local`]). Hosts are
    /// pointed at the addresses by DNS (a host's `_dns.toml`, see [`crate::host_dns_records`]).
    pub async fn start_on_v4_addrs(
        root: impl Into<PathBuf>,
        addrs: &[Ipv4Addr],
    ) -> io::Result<FixtureServer> {
        let Some((first, rest)) = addrs.split_first() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no address to serve on",
            ));
        };
        'attempt: for _ in 0..BIND_ATTEMPTS {
            let v4 = TcpListener::bind((*first, 0)).await?;
            let port = v4.local_addr()?.port();
            let mut more = Vec::with_capacity(rest.len());
            for a in rest {
                match TcpListener::bind((*a, port)).await {
                    Ok(l) => more.push(l),
                    Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue 'attempt,
                    Err(e) => return Err(e),
                }
            }
            let server = Self::launch(root.into(), v4, None, None)?;
            let mut server = server;
            for l in more {
                server
                    .accept_tasks
                    .push(tokio::spawn(accept_loop(l, server.shared.clone())));
            }
            return Ok(server);
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "no port found free on every address",
        ))
    }

    fn launch(
        root: PathBuf,
        v4: TcpListener,
        v6: Option<TcpListener>,
        v6_guard: Option<TcpSocket>,
    ) -> io::Result<FixtureServer> {
        let port = v4.local_addr()?.port();
        let (tx, _rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            root,
            port,
            faults: Mutex::new(Vec::new()),
            routes: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            shutdown: tx,
        });
        let has_v6 = v6.is_some();
        let mut accept_tasks = vec![tokio::spawn(accept_loop(v4, shared.clone()))];
        if let Some(v6) = v6 {
            accept_tasks.push(tokio::spawn(accept_loop(v6, shared.clone())));
        }
        tracing::debug!(port, has_v6, root = %shared.root.display(), "fixture server started");
        Ok(FixtureServer {
            shared,
            has_v6,
            accept_tasks,
            _v6_guard: v6_guard,
        })
    }

    /// The port, the same on 127.0.0.1 and [::1] (when the server listens there).
    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// Whether the server also listens on [::1].
    pub fn has_v6(&self) -> bool {
        self.has_v6
    }

    /// The directory the sites are served from.
    pub fn root(&self) -> &Path {
        &self.shared.root
    }

    /// `http://host:PORT/path` (a missing leading `/` is added).
    ///
    /// # Panics
    /// If `host` and `path` do not make a valid URL.
    pub fn url(&self, host: &str, path: &str) -> url::Url {
        let slash = if path.starts_with('/') { "" } else { "/" };
        let s = format!("http://{host}:{}{slash}{path}", self.port());
        url::Url::parse(&s).unwrap_or_else(|e| panic!("invalid fixture url {s:?}: {e}"))
    }

    /// The IPv4 socket address the server listens on.
    pub fn addr_v4(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port()))
    }

    /// The IPv6 socket address the server listens on, if any.
    pub fn addr_v6(&self) -> Option<SocketAddr> {
        self.has_v6
            .then(|| SocketAddr::from((Ipv6Addr::LOCALHOST, self.port())))
    }

    /// Injects a fault for requests to `host` whose path (with query) starts with `path_prefix`.
    ///
    /// The longest matching prefix wins; an exact host wins over the wildcard host `*`.
    /// Setting a fault for the same (host, prefix) again replaces it (and resets its counter).
    /// The fault applies to requests over both IPv4 and IPv6; see
    /// [`set_fault_for_family`](Self::set_fault_for_family) for one family only.
    pub fn set_fault(&self, host: &str, path_prefix: &str, fault: Fault) {
        self.put_fault(host, path_prefix, None, fault);
    }

    /// Like [`set_fault`](Self::set_fault), but only for requests that arrived over
    /// `family` (4: IPv4, 6: IPv6, judged by the peer address).
    ///
    /// For the same (host, prefix), a family fault wins over a fault for both families.
    /// Setting a fault for the same (host, prefix, family) again replaces it.
    ///
    /// # Panics
    /// If `family` is neither 4 nor 6.
    pub fn set_fault_for_family(&self, host: &str, path_prefix: &str, family: u8, fault: Fault) {
        assert!(
            family == 4 || family == 6,
            "IP family must be 4 or 6, got {family}"
        );
        self.put_fault(host, path_prefix, Some(family), fault);
    }

    fn put_fault(&self, host: &str, path_prefix: &str, family: Option<u8>, fault: Fault) {
        let host = normalize_host(host);
        let mut faults = lock(&self.shared.faults);
        faults.retain(|f| !(f.host == host && f.prefix == path_prefix && f.family == family));
        faults.push(FaultEntry {
            host,
            prefix: path_prefix.to_string(),
            family,
            fault,
            hits: 0,
        });
    }

    /// Removes the faults set for exactly this (host, path prefix), whatever their family.
    pub fn clear_fault(&self, host: &str, path_prefix: &str) {
        let host = normalize_host(host);
        lock(&self.shared.faults).retain(|f| !(f.host == host && f.prefix == path_prefix));
    }

    /// Removes the fault set with [`set_fault_for_family`](Self::set_fault_for_family)
    /// for exactly this (host, path prefix, family), if any.
    pub fn clear_fault_for_family(&self, host: &str, path_prefix: &str, family: u8) {
        let host = normalize_host(host);
        lock(&self.shared.faults)
            .retain(|f| !(f.host == host && f.prefix == path_prefix && f.family == Some(family)));
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Registers a response for exactly `host` + `path` (matched against the path with
    /// query first, then without); it takes precedence over files and `_server.toml`.
    pub fn add_route(&self, host: &str, path: &str, response: RouteResponse) {
        lock(&self.shared.routes).insert((normalize_host(host), path.to_string()), response);
    }

    /// Removes every route added with [`add_route`](Self::add_route).
    pub fn clear_routes(&self) {
        lock(&self.shared.routes).clear();
    }

    /// Every request logged so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log)
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// The logged requests whose host is `host` (case-insensitive, port ignored).
    pub fn requests_for(&self, host: &str) -> Vec<LoggedRequest> {
        let host = normalize_host(host);
        lock(&self.shared.log)
            .iter()
            .filter(|(_, r)| r.host == host)
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// Stops accepting and closes every open connection (also done on drop).
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
        for t in &self.accept_tasks {
            t.abort();
        }
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for FixtureServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixtureServer")
            .field("port", &self.port())
            .field("has_v6", &self.has_v6)
            .field("root", &self.shared.root)
            .finish()
    }
}

/// Binds 127.0.0.1:P and, if IPv6 works, [::1]:P.
async fn bind_pair() -> io::Result<(TcpListener, Option<TcpListener>)> {
    for _ in 0..BIND_ATTEMPTS {
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = v4.local_addr()?.port();
        match TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
            Ok(v6) => return Ok((v4, Some(v6))),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(e) => {
                tracing::info!(error = %e, "IPv6 loopback unavailable; fixture server runs v4-only");
                return Ok((v4, None));
            }
        }
    }
    tracing::warn!("no port free on both 127.0.0.1 and [::1]; fixture server runs v4-only");
    let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    Ok((v4, None))
}

/// Binds 127.0.0.1:P and, if IPv6 works, a non-listening guard socket on [::1]:P
/// (so connections to [::1]:P are refused and no other listener can take it).
async fn bind_v4_with_v6_guard() -> io::Result<(TcpListener, Option<TcpSocket>)> {
    for _ in 0..BIND_ATTEMPTS {
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = v4.local_addr()?.port();
        // No SO_REUSEADDR on the guard: any later bind of [::1]:P fails.
        let guard = TcpSocket::new_v6().and_then(|s| {
            s.bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port)))
                .map(|()| s)
        });
        match guard {
            Ok(g) => return Ok((v4, Some(g))),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(e) => {
                tracing::info!(error = %e, "IPv6 loopback unavailable; [::1] refuses anyway");
                return Ok((v4, None));
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "no port found free on 127.0.0.1 whose [::1] twin is free too",
    ))
}

/// Resolves once shutdown has been requested (or the server is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut stop = shared.shutdown.subscribe();
    loop {
        let res = tokio::select! {
            _ = stopped(&mut stop) => break,
            res = listener.accept() => res,
        };
        match res {
            Ok((stream, peer)) => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let mut stop = shared.shutdown.subscribe();
                    tokio::select! {
                        res = serve_conn(stream, peer, &shared) => {
                            if let Err(e) = res {
                                tracing::trace!(error = %e, %peer, "fixture connection ended");
                            }
                        }
                        _ = stopped(&mut stop) => {}
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "fixture server accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// A parsed request head.
struct Req {
    method: String,
    /// Request target with query (origin-form).
    target: String,
    /// Target without query.
    path: String,
    /// Host header, normalized.
    host: String,
    user_agent: Option<String>,
    cookie: Option<String>,
    keep_alive: bool,
    content_length: u64,
    chunked: bool,
    /// 4 or 6: the family the request arrived over (from the peer address).
    family: u8,
    /// The body, when one was announced with `Content-Length` of at most [`MAX_BODY`].
    body: Vec<u8>,
}

enum Body {
    Full(Vec<u8>),
    Huge(u64),
    Slow {
        data: Vec<u8>,
        chunk: usize,
        interval: Duration,
    },
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Full(d) | Body::Slow { data: d, .. } => d.len() as u64,
            Body::Huge(n) => *n,
        }
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    close: bool,
}

impl Response {
    fn new(status: u16, content_type: Option<&str>, body: Vec<u8>) -> Self {
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_string(), ct.to_string()));
        }
        Self {
            status,
            headers,
            body: Body::Full(body),
            close: false,
        }
    }

    /// A short HTML page for an error or redirect status.
    fn simple(status: u16) -> Self {
        let reason = reason_phrase(status);
        let body = format!(
            "<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\
             <body><h1>{status} {reason}</h1></body></html>\n"
        );
        Self::new(status, Some("text/html"), body.into_bytes())
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

enum Action {
    Reset,
    Respond(Response),
}

enum Head {
    Request(Req),
    Bad(u16),
    Closed,
}

async fn serve_conn(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr()?;
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    loop {
        let mut req = match read_head(&mut stream, &mut buf).await? {
            Head::Request(mut r) => {
                r.family = if peer.is_ipv6() { 6 } else { 4 };
                r
            }
            Head::Closed => return Ok(()),
            Head::Bad(status) => {
                let mut resp = Response::simple(status);
                resp.close = true;
                write_response(&mut stream, &resp, false).await?;
                let _ = stream.shutdown().await;
                return Ok(());
            }
        };
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&shared.log).push((
            id,
            LoggedRequest {
                at: Instant::now(),
                host: req.host.clone(),
                method: req.method.clone(),
                path: req.target.clone(),
                user_agent: req.user_agent.clone(),
                cookie: req.cookie.clone(),
                peer,
                local,
                status: 0,
                body: Vec::new(),
            },
        ));

        // Read a request body, if one was announced (kept when small enough); a
        // chunked one is not parsed, the connection is closed after the answer instead.
        let mut must_close = req.chunked;
        if !req.chunked && req.content_length > 0 {
            let keep = req.content_length <= MAX_BODY;
            match read_body(&mut stream, &mut buf, req.content_length, keep).await? {
                Some(body) => {
                    if !body.is_empty()
                        && let Some(entry) =
                            lock(&shared.log).iter_mut().rev().find(|(i, _)| *i == id)
                    {
                        entry.1.body = body.clone();
                    }
                    req.body = body;
                }
                None => must_close = true,
            }
        }

        match decide(shared, &req).await {
            Action::Reset => {
                let _ = stream.set_zero_linger();
                drop(stream);
                return Ok(());
            }
            Action::Respond(mut resp) => {
                if let Some(entry) = lock(&shared.log).iter_mut().rev().find(|(i, _)| *i == id) {
                    entry.1.status = resp.status;
                }
                resp.close |= must_close || !req.keep_alive;
                write_response(&mut stream, &resp, req.method == "HEAD").await?;
                if resp.close {
                    let _ = stream.shutdown().await;
                    return Ok(());
                }
            }
        }
    }
}

/// Reads until a full request head is buffered, then parses and drains it from `buf`.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Head> {
    loop {
        if !buf.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 96];
            let mut parsed = httparse::Request::new(&mut headers);
            match parsed.parse(buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let req = build_req(&parsed);
                    buf.drain(..len);
                    return Ok(match req {
                        Some(r) => Head::Request(r),
                        None => Head::Bad(400),
                    });
                }
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => return Ok(Head::Bad(431)),
                Err(_) => return Ok(Head::Bad(400)),
            }
            if buf.len() > MAX_HEAD {
                return Ok(Head::Bad(431));
            }
        }
        match tokio::time::timeout(IDLE_TIMEOUT, stream.read_buf(buf)).await {
            Err(_) => return Ok(Head::Closed),
            Ok(Ok(0)) => return Ok(Head::Closed),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
        }
    }
}

fn build_req(parsed: &httparse::Request<'_, '_>) -> Option<Req> {
    let method = parsed.method?.to_string();
    let raw_target = parsed.path?;
    let version = parsed.version?;
    let mut host_header = None;
    let mut user_agent = None;
    let mut cookie: Option<String> = None;
    let mut connection = String::new();
    let mut content_length = 0u64;
    let mut chunked = false;
    for h in parsed.headers.iter() {
        let value = String::from_utf8_lossy(h.value).trim().to_string();
        if h.name.eq_ignore_ascii_case("host") {
            host_header = Some(value);
        } else if h.name.eq_ignore_ascii_case("user-agent") {
            user_agent = Some(value);
        } else if h.name.eq_ignore_ascii_case("cookie") {
            cookie = Some(match cookie {
                Some(c) => format!("{c}; {value}"),
                None => value,
            });
        } else if h.name.eq_ignore_ascii_case("connection") {
            connection = value.to_ascii_lowercase();
        } else if h.name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse().ok()?;
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = true;
        }
    }
    // Absolute-form targets (proxy style) carry the host themselves.
    let (target, url_host) =
        if raw_target.starts_with("http://") || raw_target.starts_with("https://") {
            let u = url::Url::parse(raw_target).ok()?;
            let mut t = u.path().to_string();
            if let Some(q) = u.query() {
                t.push('?');
                t.push_str(q);
            }
            (t, u.host_str().map(str::to_string))
        } else {
            (raw_target.to_string(), None)
        };
    let host = normalize_host(url_host.as_deref().or(host_header.as_deref()).unwrap_or(""));
    let path = target.split('?').next().unwrap_or("").to_string();
    let tokens: Vec<&str> = connection.split(',').map(str::trim).collect();
    let keep_alive = if version >= 1 {
        !tokens.contains(&"close")
    } else {
        tokens.contains(&"keep-alive")
    };
    Some(Req {
        method,
        target,
        path,
        host,
        user_agent,
        cookie,
        keep_alive,
        content_length,
        chunked,
        family: 4,
        body: Vec::new(),
    })
}

/// Reads `len` request body bytes, returning them if `keep` (else an empty vector);
/// `None` if the peer went away first.
async fn read_body(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    len: u64,
    keep: bool,
) -> io::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let mut remaining = len;
    loop {
        let take = remaining.min(buf.len() as u64) as usize;
        if keep {
            body.extend(buf.drain(..take));
        } else {
            buf.drain(..take);
        }
        remaining -= take as u64;
        if remaining == 0 {
            return Ok(Some(body));
        }
        match tokio::time::timeout(IDLE_TIMEOUT, stream.read_buf(buf)).await {
            Ok(Ok(0)) | Err(_) => return Ok(None),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
        }
    }
}

async fn write_response(
    stream: &mut TcpStream,
    resp: &Response,
    head_only: bool,
) -> io::Result<()> {
    let has = |name: &str| {
        resp.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        resp.status,
        reason_phrase(resp.status)
    );
    if !has("server") {
        head.push_str(&format!("Server: {SERVER_NAME}\r\n"));
    }
    if !has("content-length") && !has("transfer-encoding") {
        head.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    }
    for (name, value) in &resp.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !has("connection") {
        head.push_str(if resp.close {
            "Connection: close\r\n"
        } else {
            "Connection: keep-alive\r\n"
        });
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    if head_only {
        return stream.flush().await;
    }
    match &resp.body {
        Body::Full(data) => stream.write_all(data).await?,
        Body::Huge(n) => write_huge(stream, *n).await?,
        Body::Slow {
            data,
            chunk,
            interval,
        } => {
            let mut first = true;
            for piece in data.chunks((*chunk).max(1)) {
                if !first {
                    tokio::time::sleep(*interval).await;
                }
                first = false;
                stream.write_all(piece).await?;
                stream.flush().await?;
            }
        }
    }
    stream.flush().await
}

/// Streams `n` bytes of filler HTML without allocating them all.
async fn write_huge(stream: &mut TcpStream, n: u64) -> io::Result<()> {
    const PREFIX: &[u8] = b"<!DOCTYPE html>\n<html><head><title>huge</title></head><body>\n";
    const LINE: &[u8] = b"<p>govwatch fixture filler text for a huge body.</p>\n";
    let mut remaining = n;
    let prefix = &PREFIX[..remaining.min(PREFIX.len() as u64) as usize];
    stream.write_all(prefix).await?;
    remaining -= prefix.len() as u64;
    let block: Vec<u8> = LINE
        .iter()
        .copied()
        .cycle()
        .take(LINE.len() * 1200)
        .collect();
    while remaining > 0 {
        let take = remaining.min(block.len() as u64) as usize;
        stream.write_all(&block[..take]).await?;
        remaining -= take as u64;
    }
    Ok(())
}

/// Picks the answer for a request: the matching fault, else the normal answer.
async fn decide(shared: &Shared, req: &Req) -> Action {
    let Some(fault) = shared.match_fault(&req.host, &req.target, req.family) else {
        return Action::Respond(normal_response(shared, req).await);
    };
    let resp = match fault {
        Fault::Delay(d) => {
            tokio::time::sleep(d).await;
            normal_response(shared, req).await
        }
        Fault::Status(code) | Fault::FailTimes { status: code, .. } => Response::simple(code),
        Fault::Reset => return Action::Reset,
        Fault::SlowBody { chunk, interval } => {
            let mut resp = normal_response(shared, req).await;
            if let Body::Full(data) = std::mem::replace(&mut resp.body, Body::Full(Vec::new())) {
                resp.body = Body::Slow {
                    data,
                    chunk: chunk.max(1),
                    interval,
                };
            }
            resp
        }
        Fault::HugeBody(n) => Response {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: Body::Huge(n),
            close: false,
        },
        Fault::RedirectLoop => {
            let looped = req
                .target
                .split_once('?')
                .is_some_and(|(_, q)| q.split('&').any(|kv| kv == "loop=1"));
            let location = if looped {
                req.path.clone()
            } else {
                format!("{}?loop=1", req.path)
            };
            Response::simple(302).header("Location", location)
        }
        Fault::Redirect { status, location } => {
            Response::simple(status).header("Location", shared.subst_str(&location))
        }
        Fault::Gzip => {
            let mut resp = normal_response(shared, req).await;
            if let Body::Full(data) = &resp.body {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                let gz = enc.write_all(data).and_then(|_| enc.finish());
                match gz {
                    Ok(gz) => {
                        resp.body = Body::Full(gz);
                        resp.headers
                            .push(("Content-Encoding".into(), "gzip".into()));
                        resp.headers.push(("Vary".into(), "Accept-Encoding".into()));
                    }
                    Err(e) => tracing::warn!(error = %e, "gzip failed"),
                }
            }
            resp
        }
    };
    Action::Respond(resp)
}

impl Shared {
    /// The most specific fault for (host, target) over `family`; `FailTimes` resolves
    /// to a status while it has failures left and to nothing afterwards.
    fn match_fault(&self, host: &str, target: &str, family: u8) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let best = faults
            .iter_mut()
            .filter(|f| {
                (f.host == host || f.host == "*")
                    && target.starts_with(&f.prefix)
                    && f.family.is_none_or(|fam| fam == family)
            })
            .max_by_key(|f| (f.prefix.len(), f.host != "*", f.family.is_some()))?;
        match best.fault {
            Fault::FailTimes { times, status } => {
                if best.hits < times {
                    best.hits += 1;
                    Some(Fault::Status(status))
                } else {
                    None
                }
            }
            ref f => Some(f.clone()),
        }
    }

    fn subst(&self, data: &[u8]) -> Vec<u8> {
        substitute_port(data, self.port)
    }

    fn subst_str(&self, s: &str) -> String {
        s.replace("{{PORT}}", &self.port.to_string())
    }
}

/// The answer when no fault applies.
async fn normal_response(shared: &Shared, req: &Req) -> Response {
    if req.method != "GET" && req.method != "HEAD" {
        if req.method == "POST"
            && let Some(resp) = post_search(shared, req).await
        {
            return resp;
        }
        return Response::simple(405).header("Allow", "GET, HEAD");
    }
    if req.host.is_empty() {
        return Response::simple(400);
    }
    let dynamic = {
        let routes = lock(&shared.routes);
        routes
            .get(&(req.host.clone(), req.target.clone()))
            .or_else(|| routes.get(&(req.host.clone(), req.path.clone())))
            .cloned()
    };
    if let Some(r) = dynamic {
        return Response {
            status: r.status,
            headers: r.headers,
            body: Body::Full(r.body),
            close: false,
        };
    }
    if !valid_host_dir_name(&req.host) {
        return not_found();
    }
    let host_dir = shared.root.join(&req.host);
    if !tokio::fs::metadata(&host_dir)
        .await
        .is_ok_and(|m| m.is_dir())
    {
        return not_found();
    }
    let decoded = match percent_encoding::percent_decode_str(&req.path).decode_utf8() {
        Ok(d) => d.into_owned(),
        Err(_) => return not_found(),
    };

    let custom_not_found: Option<NotFoundSpec>;
    match load_routes(&host_dir.join(ROUTES_FILE)).await {
        Ok(mut file) => {
            if let Some(w) = &file.wall
                && let Some(challenge) = wall::challenge(w, req.cookie.as_deref())
            {
                return challenge;
            }
            custom_not_found = file.not_found.take();
            if let Some(route) = file.route.into_iter().find(|r| {
                (r.path == req.path || r.path == decoded)
                    && r.family.is_none_or(|f| f == req.family)
            }) {
                return route_response(shared, req, &host_dir, &decoded, route).await;
            }
            if let Some(spec) = file
                .search
                .into_iter()
                .find(|s| !s.is_post() && (s.path == req.path || s.path == decoded))
            {
                return search::search_response(shared, req, &spec).await;
            }
        }
        Err(msg) => {
            tracing::warn!(host = %req.host, error = %msg, "bad {ROUTES_FILE}");
            let body = format!(
                "<html><body><h1>500 bad {ROUTES_FILE}</h1><pre>{msg}</pre></body></html>\n"
            );
            return Response::new(500, Some("text/html"), body.into_bytes());
        }
    }

    match load_file(shared, &host_dir, &decoded, req.family == 6).await {
        FileLookup::Found(body, ct) => Response::new(200, Some(ct), body),
        FileLookup::Directory => {
            let mut location = format!("{}/", req.path);
            if let Some((_, q)) = req.target.split_once('?') {
                location.push('?');
                location.push_str(q);
            }
            Response::simple(301).header("Location", location)
        }
        FileLookup::Forbidden => Response::simple(403),
        FileLookup::NotFound => match custom_not_found {
            Some(spec) => match tokio::fs::read(host_dir.join(&spec.file)).await {
                Ok(data) => Response::new(
                    spec.status.unwrap_or(404),
                    Some("text/html; charset=utf-8"),
                    shared.subst(&data),
                ),
                Err(_) => not_found(),
            },
            None => not_found(),
        },
    }
}

/// The answer of a `method = "POST"` `[[search]]` entry matching this POST
/// request, if there is one (`None`: the request gets 405).
async fn post_search(shared: &Shared, req: &Req) -> Option<Response> {
    if !valid_host_dir_name(&req.host) {
        return None;
    }
    let file = load_routes(&shared.root.join(&req.host).join(ROUTES_FILE))
        .await
        .ok()?;
    let decoded = percent_encoding::percent_decode_str(&req.path).decode_utf8_lossy();
    let spec = file
        .search
        .into_iter()
        .find(|s| s.is_post() && (s.path == req.path || s.path == decoded))?;
    Some(search::search_response(shared, req, &spec).await)
}

fn not_found() -> Response {
    Response::new(
        404,
        Some("text/html"),
        b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\
          <body><h1>404 Not Found</h1><p>govwatch fixture server</p></body></html>\n"
            .to_vec(),
    )
}

/// True if `host` can safely be used as a directory name under the root.
fn valid_host_dir_name(host: &str) -> bool {
    !host.is_empty() && !host.starts_with('.') && !host.contains(['/', '\\', '\0']) && host != ".."
}

enum FileLookup {
    Found(Vec<u8>, &'static str),
    Directory,
    Forbidden,
    NotFound,
}

/// Maps a decoded URL path to a file under `host_dir` and reads it; for an IPv6
/// peer (`v6`), a file under `host_dir/_v6/` with the same relative path wins.
async fn load_file(shared: &Shared, host_dir: &Path, decoded: &str, v6: bool) -> FileLookup {
    let mut segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .iter()
        .any(|s| *s == ".." || *s == "." || s.contains(['\\', '\0']))
    {
        return FileLookup::Forbidden;
    }
    // `_`-prefixed files and directories (`_v6/`, `_run2/`, `_server.toml`) are the fixtures'
    // own machinery and never served
    if segments.iter().any(|s| s.starts_with('_')) {
        return FileLookup::NotFound;
    }
    if decoded.is_empty() || decoded.ends_with('/') {
        segments.push("index.html");
    }
    let Some(name) = segments.last() else {
        return FileLookup::NotFound;
    };
    if name.starts_with('_') || *name == "expected.toml" {
        return FileLookup::NotFound;
    }
    let mut path = host_dir.to_path_buf();
    path.extend(&segments);
    if v6 {
        let mut overlay = host_dir.join(V6_DIR);
        overlay.extend(&segments);
        if tokio::fs::metadata(&overlay)
            .await
            .is_ok_and(|m| m.is_file())
        {
            path = overlay;
        }
    }
    match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_dir() => FileLookup::Directory,
        Ok(m) if m.is_file() => match tokio::fs::read(&path).await {
            Ok(data) => {
                let ext = extension_of(name);
                let body = if is_text_ext(&ext) {
                    shared.subst(&data)
                } else {
                    data
                };
                FileLookup::Found(body, content_type_for_ext(&ext))
            }
            Err(_) => FileLookup::NotFound,
        },
        _ => FileLookup::NotFound,
    }
}

#[derive(Debug, Default, Deserialize)]
struct RoutesFile {
    #[serde(default)]
    route: Vec<RouteSpec>,
    #[serde(default)]
    search: Vec<search::SearchSpec>,
    #[serde(default)]
    wall: Option<wall::WallSpec>,
    /// The host's answer to a path with no file (default: the server's own 404 page).
    not_found: Option<NotFoundSpec>,
}

/// `[not_found]` of `_server.toml`: what the host answers for a path with no file, as sites
/// with a custom error page do (some with status 200: a soft 404).
#[derive(Debug, Deserialize)]
struct NotFoundSpec {
    /// The status (default 404).
    status: Option<u16>,
    /// The page served, a file of the host's directory (may start with `_`, so it is not served
    /// by itself).
    file: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StrOrInt {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for StrOrInt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StrOrInt::Int(i) => write!(f, "{i}"),
            StrOrInt::Str(s) => f.write_str(s),
        }
    }
}

/// One `[[route]]` of `_server.toml`.
#[derive(Debug, Deserialize)]
struct RouteSpec {
    path: String,
    status: Option<u16>,
    location: Option<String>,
    body: Option<String>,
    head_status: Option<u16>,
    delay_ms: Option<u64>,
    retry_after: Option<StrOrInt>,
    content_type: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// 4 or 6: the route applies only to requests that arrived over that family.
    family: Option<u8>,
}

/// Reads and checks a `_server.toml` (a missing file is an empty one).
async fn load_routes(path: &Path) -> Result<RoutesFile, String> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(RoutesFile::default()),
        Err(e) => return Err(e.to_string()),
    };
    let file = toml::from_str::<RoutesFile>(&text).map_err(|e| e.to_string())?;
    for r in &file.route {
        if let Some(f) = r.family.filter(|f| *f != 4 && *f != 6) {
            return Err(format!(
                "route {:?}: family must be 4 or 6, got {f}",
                r.path
            ));
        }
    }
    for s in &file.search {
        s.check()?;
    }
    Ok(file)
}

async fn route_response(
    shared: &Shared,
    req: &Req,
    host_dir: &Path,
    decoded: &str,
    route: RouteSpec,
) -> Response {
    if let Some(ms) = route.delay_ms.filter(|ms| *ms > 0) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if req.method == "HEAD"
        && let Some(hs) = route.head_status
    {
        let mut resp = Response::new(hs, None, Vec::new());
        if hs == 405 {
            resp = resp.header("Allow", "GET");
        }
        return resp;
    }
    let status = route
        .status
        .unwrap_or(if route.location.is_some() { 302 } else { 200 });
    let (body, file_ct) = match &route.body {
        Some(b) => (shared.subst(b.as_bytes()), None),
        None => match load_file(shared, host_dir, decoded, req.family == 6).await {
            FileLookup::Found(data, ct) => (data, Some(ct)),
            _ => (Vec::new(), None),
        },
    };
    let content_type = route
        .content_type
        .clone()
        .or(file_ct.map(str::to_string))
        .unwrap_or_else(|| {
            let ext = extension_of(decoded);
            if ext.is_empty() {
                "text/html".to_string()
            } else {
                content_type_for_ext(&ext).to_string()
            }
        });
    let mut resp = Response::new(status, Some(&content_type), body);
    if let Some(loc) = &route.location {
        resp = resp.header("Location", shared.subst_str(loc));
    }
    if let Some(ra) = &route.retry_after {
        resp = resp.header("Retry-After", ra.to_string());
    }
    for (name, value) in &route.headers {
        resp = resp.header(name, shared.subst_str(value));
    }
    resp
}

/// Lowercases a host, strips a port and a trailing dot (`WWW.A.test:80` → `www.a.test`).
fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let host = if let Some(rest) = host.strip_prefix('[') {
        // IPv6 literal: keep the brackets, drop the port.
        match rest.split_once(']') {
            Some((inner, _)) => format!("[{inner}]"),
            None => host.to_string(),
        }
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn extension_of(name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or("");
    match file.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

fn is_text_ext(ext: &str) -> bool {
    matches!(ext, "html" | "htm" | "css" | "js" | "txt" | "xml" | "json")
}

/// The `Content-Type` served for a file extension (lowercase, without dot).
pub fn content_type_for_ext(ext: &str) -> &'static str {
    match ext {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "application/javascript",
        "txt" => "text/plain",
        "xml" => "application/xml",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "zip" => "application/zip",
        "rar" => "application/vnd.rar",
        _ => "application/octet-stream",
    }
}

/// Replaces every `{{PORT}}` in `data` with `port` in decimal (byte-level, so any encoding works).
pub fn substitute_port(data: &[u8], port: u16) -> Vec<u8> {
    const PAT: &[u8] = b"{{PORT}}";
    let port = port.to_string();
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(PAT) {
            out.extend_from_slice(port.as_bytes());
            i += PAT.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// The reason phrase sent for a status code.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        410 => "Gone",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_substitution_is_byte_level() {
        assert_eq!(substitute_port(b"a{{PORT}}b{{PORT}}", 8080), b"a8080b8080");
        assert_eq!(substitute_port(b"{{PORT", 1), b"{{PORT");
        assert_eq!(
            substitute_port(
                &[0xD6, 0xD0, b'{', b'{', b'P', b'O', b'R', b'T', b'}', b'}'],
                7
            ),
            [0xD6, 0xD0, b'7']
        );
        assert_eq!(substitute_port(b"", 1), b"");
    }

    #[test]
    fn hosts_are_normalized() {
        assert_eq!(normalize_host("WWW.A.Gov.Test:8080"), "www.a.gov.test");
        assert_eq!(normalize_host("www.a.gov.test."), "www.a.gov.test");
        assert_eq!(normalize_host("[::1]:80"), "[::1]");
        assert_eq!(normalize_host(""), "");
        assert!(!valid_host_dir_name(".."));
        assert!(!valid_host_dir_name("a/b"));
        assert!(valid_host_dir_name("www.a.gov.test"));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type_for_ext("html"), "text/html");
        assert_eq!(content_type_for_ext("htm"), "text/html");
        assert_eq!(content_type_for_ext("js"), "application/javascript");
        assert_eq!(content_type_for_ext("xls"), "application/vnd.ms-excel");
        assert_eq!(content_type_for_ext("weird"), "application/octet-stream");
        assert_eq!(extension_of("/a/b.HTML"), "html");
        assert_eq!(extension_of("/a.b/c"), "");
    }
}
