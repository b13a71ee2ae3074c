//! Headless Chromium, for the pages a reader of the raw HTML cannot see: lists and search boxes
//! built by script, and anti-bot challenges (a script to run before the page is served).
//!
//! Driven over the DevTools protocol by `chromiumoxide` (async on tokio like the rest of the
//! crawler, kept up to date with Chromium's protocol, and exposing the `Fetch` domain's request
//! interception, which politeness needs; `headless_chrome` is synchronous and drives the browser
//! from threads of its own).
//!
//! **Politeness holds for every request the browser makes.** Every request is intercepted
//! (`Fetch.enable` on `*`) before it leaves the browser and answered by the crawler itself
//! ([`Crawler::fetch_for_browser`]): through the host's gate (rate limit, one connection,
//! Crawl-delay), robots.txt, the address guard (private addresses refused, DNS answers checked),
//! the 15-second limit, and counted like every request. Only `GET` (and `HEAD`) is ever sent: a
//! `POST` the page's script tries is refused unsent. Images, fonts, style sheets, media and
//! beacons are not fetched at all (a list needs none of them). The browser is started with a
//! proxy that goes nowhere, so a request that escaped interception (a service worker's, a
//! WebSocket) fails instead of reaching the network. A page has `render_timeout_secs` (20 s);
//! the browser's processes together have `render_memory_mb` (watched; above it the browser is
//! stopped and the page left unverified).
//!
//! The browser is started on the first page that needs it, never for a site whose pages the
//! static reader sees (the bench farm starts none), and stopped with the crawler.

use crate::fetch::{BodyMode, FetchSpec, Fetched};
use crate::{Crawler, locked};
use base64::Engine;
use chromiumoxide::cdp::browser_protocol::fetch::{
    EnableParams, EventRequestPaused, FailRequestParams, FulfillRequestParams, HeaderEntry,
    RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{ErrorReason, ResourceType};
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;
use govwatch_config::{CrawlSettings, RenderMode};
use govwatch_model::{FetchError, FetchRecord, Purpose};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// Pages rendered at once (tabs of the one browser).
const TABS: usize = 2;
/// The browser is started afresh after this many pages (a long night's memory stays bounded).
const PAGES_PER_BROWSER: u64 = 50;
/// How long the page must be quiet (no request in flight) before its DOM is read.
const QUIET: Duration = Duration::from_millis(700);

/// Why a page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no browser: {0}")]
    Unavailable(String),
    #[error("the browser failed: {0}")]
    Browser(String),
    #[error("the browser went over its memory bound ({0} MiB) and was stopped")]
    Memory(u64),
}

/// What the browser is asked to do with a page.
#[derive(Debug, Clone)]
pub struct RenderJob {
    pub url: Url,
    /// Obey robots.txt for the page itself (the home page, fetched as the inspection's mandated
    /// check, is not).
    pub robots: bool,
    /// After the page is drawn: type a term into a search box and press its button, to see
    /// where its script sends the search.
    pub search: Option<SearchDrive>,
}

/// A search box to try: the input's `name` or `id`, and the term to type.
#[derive(Debug, Clone)]
pub struct SearchDrive {
    pub field: String,
    pub term: String,
}

/// A page as the browser drew it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub url: String,
    /// The document's URL at the end (after a challenge's reload or a search's navigation).
    pub final_url: String,
    /// The status of the last document answer.
    pub status: Option<u16>,
    /// The DOM, serialised (`document.documentElement.outerHTML`).
    pub html: String,
    /// Every request the browser made, as the crawler sent it for it.
    pub requests: Vec<FetchRecord>,
    /// Requests not sent, with why (a POST, robots.txt, a refused address, a resource type not
    /// fetched).
    pub refused: Vec<(String, String)>,
    /// The answers to the page's document requests, in order (the page, its challenge reload, a
    /// search's result page).
    pub documents: Vec<Fetched>,
    /// What the search drive did (`clicked`, `enter`, `submitted`, `no-input`) for a
    /// [`SearchDrive`].
    pub drive: Option<String>,
    /// The URL the page's script navigated to when its search button was pressed: recorded,
    /// not fetched (the crawler submits the search itself, like any other).
    pub navigated: Option<String>,
    /// Milliseconds from the start of the render to the DOM read back.
    pub elapsed_ms: u64,
    /// Whether the time limit cut the page short (the DOM is what was drawn by then).
    pub timed_out: bool,
}

/// Figures of the renders so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderStats {
    pub pages: u64,
    pub launches: u64,
    /// Sum of the pages' render times.
    pub total_ms: u64,
    /// CPU time of the browser's processes over its life, in milliseconds (user + system).
    pub cpu_ms: u64,
    /// Largest memory of all the browser's processes together (proportional set size: shared
    /// pages counted once), in KiB.
    pub peak_rss_kib: u64,
    /// Requests the browsers made (sent by the crawler).
    pub requests: u64,
    /// Requests refused unsent.
    pub refused: u64,
}

struct Running {
    browser: Browser,
    pid: Option<u32>,
    dir: PathBuf,
    pages: u64,
    handler: tokio::task::JoinHandle<()>,
    watch: tokio::task::JoinHandle<()>,
    /// Set by the memory watch when the bound was passed.
    over: Arc<std::sync::atomic::AtomicBool>,
}

/// The browser of one crawler: found at start, started on first use.
pub struct Renderer {
    program: PathBuf,
    mode: RenderMode,
    timeout: Duration,
    memory_kib: u64,
    user_agent: String,
    running: tokio::sync::Mutex<Option<Running>>,
    tabs: tokio::sync::Semaphore,
    stats: Mutex<RenderStats>,
    /// CPU of browsers already stopped.
    cpu_done: AtomicU64,
    /// Why the browser cannot be started, once it failed to start (not tried again).
    broken: Mutex<Option<String>>,
}

/// The Chromium program to use: the configured path, `$GOVWATCH_CHROMIUM`, or the first of
/// `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on the `PATH`.
pub fn find_chromium(configured: &str) -> Option<PathBuf> {
    if !configured.trim().is_empty() {
        let p = PathBuf::from(configured.trim());
        return p.is_file().then_some(p);
    }
    if let Some(p) = std::env::var_os("GOVWATCH_CHROMIUM").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// The process ids of `root` and all its descendants (from `/proc`).
fn process_tree(root: u32) -> Vec<u32> {
    let mut parent: Vec<(u32, u32)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Some(pp) = stat_fields(pid).and_then(|f| f.get(1).and_then(|s| s.parse().ok())) {
                parent.push((pid, pp));
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parent.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// The fields of `/proc/PID/stat` after the command name (state first).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// The proportional set size of a process in KiB (`Pss` of `/proc/PID/smaps_rollup`: its
/// private memory plus its share of pages shared with others), else its resident size.
fn pss_kib(pid: u32, rss_pages: u64) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(rss_pages * 4)
}

/// Memory (KiB, proportional: pages the browser's processes share are counted once) and CPU
/// time (ms) of a process tree.
fn tree_usage(root: u32) -> (u64, u64) {
    let tick = 100u64; // USER_HZ on Linux
    let (mut mem, mut cpu) = (0u64, 0u64);
    for pid in process_tree(root) {
        if let Some(f) = stat_fields(pid) {
            // state(0) ppid(1) … utime(11) stime(12) … rss(21)
            let n = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            cpu += (n(11) + n(12)) * 1000 / tick;
            mem += pss_kib(pid, n(21));
        }
    }
    (mem, cpu)
}

impl Renderer {
    /// The renderer the settings ask for: `None` with `render = "off"`, or with `"auto"` when no
    /// Chromium is found; an error with `"always"` and no Chromium.
    pub fn from_settings(settings: &CrawlSettings) -> Result<Option<Renderer>, String> {
        if settings.render == RenderMode::Off {
            return Ok(None);
        }
        let Some(program) = find_chromium(&settings.chromium) else {
            if settings.render == RenderMode::Always {
                return Err(format!(
                    "render = \"always\" but no Chromium was found ({})",
                    if settings.chromium.is_empty() {
                        "set `chromium` in crawl.toml or GOVWATCH_CHROMIUM".to_string()
                    } else {
                        format!("`{}` is not a file", settings.chromium)
                    }
                ));
            }
            tracing::info!(
                "no Chromium found: pages built by script are reported unverified, walls not passed"
            );
            return Ok(None);
        };
        Ok(Some(Renderer {
            program,
            mode: settings.render,
            timeout: Duration::from_secs_f64(settings.render_timeout_secs),
            memory_kib: settings.render_memory_mb * 1024,
            user_agent: settings.user_agent(),
            running: tokio::sync::Mutex::new(None),
            tabs: tokio::sync::Semaphore::new(TABS),
            stats: Mutex::new(RenderStats::default()),
            cpu_done: AtomicU64::new(0),
            broken: Mutex::new(None),
        }))
    }

    pub fn mode(&self) -> RenderMode {
        self.mode
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The figures so far (CPU of the browser running now included).
    pub fn stats(&self) -> RenderStats {
        let mut s = *locked(&self.stats);
        s.cpu_ms += self.cpu_done.load(Ordering::Relaxed);
        if let Ok(g) = self.running.try_lock()
            && let Some(pid) = g.as_ref().and_then(|r| r.pid)
        {
            s.cpu_ms += tree_usage(pid).1;
        }
        s
    }

    async fn launch(&self) -> Result<Running, RenderError> {
        let n = LAUNCHES.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("govwatch-chromium-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut args: Vec<String> = [
            "headless",
            "disable-gpu",
            "disable-quic",
            "no-first-run",
            "no-default-browser-check",
            "disable-background-networking",
            "disable-component-update",
            "disable-sync",
            "disable-extensions",
            "disable-default-apps",
            "disable-dev-shm-usage",
            "dns-prefetch-disable",
            "mute-audio",
            "hide-scrollbars",
            "metrics-recording-only",
            "disable-breakpad",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if running_as_root() {
            // Chromium refuses to run as root with its sandbox
            args.push("no-sandbox".into());
        }
        let mut config = BrowserConfig::builder()
            .chrome_executable(&self.program)
            .disable_default_args()
            .args(args)
            .arg(("proxy-server", "http://127.0.0.1:9"))
            .arg(("proxy-bypass-list", "<-loopback>"))
            .arg(("user-agent", self.user_agent.as_str()))
            .arg(("js-flags", "--max-old-space-size=256"))
            .arg(("renderer-process-limit", "2"))
            .arg(("window-size", "1280,900"))
            .user_data_dir(&dir)
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(self.timeout)
            .build()
            .map_err(RenderError::Unavailable)?;
        config.process_envs = None;
        let (mut browser, mut handler) = Browser::launch(config)
            .await
            .map_err(|e| RenderError::Unavailable(e.to_string()))?;
        // the browser writes warnings to its standard error: read them, or it would block on a
        // full pipe
        if let Some(err) = browser.get_mut_child().and_then(|c| c.stderr.take()) {
            let mut inner = err.into_inner();
            tokio::spawn(async move {
                let mut sink = tokio::io::sink();
                let _ = tokio::io::copy(&mut inner, &mut sink).await;
            });
        }
        let pid = browser.get_mut_child().and_then(|c| c.inner.id());
        let handler = tokio::spawn(async move {
            while let Some(ev) = handler.next().await {
                if let Err(e) = ev {
                    tracing::trace!(error = %e, "browser connection");
                }
            }
        });
        let over = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // the memory watch: the browser's processes together, every 200 ms; above the bound the
        // whole tree is killed and the renders in flight fail (their pages stay unverified)
        let watch = {
            let over = over.clone();
            let bound = self.memory_kib;
            tokio::spawn(async move {
                let Some(pid) = pid else { return };
                loop {
                    let (rss, _) = tokio::task::spawn_blocking(move || tree_usage(pid))
                        .await
                        .unwrap_or((0, 0));
                    PEAK_RSS.fetch_max(rss, Ordering::Relaxed);
                    if rss > bound {
                        over.store(true, Ordering::Relaxed);
                        tracing::warn!(
                            rss_kib = rss,
                            bound_kib = bound,
                            "browser over its memory bound: stopping it"
                        );
                        for p in process_tree(pid) {
                            let _ = std::process::Command::new("kill")
                                .args(["-9", &p.to_string()])
                                .status();
                        }
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        locked(&self.stats).launches += 1;
        tracing::info!(program = %self.program.display(), ?pid, "browser started");
        Ok(Running {
            browser,
            pid,
            dir,
            pages: 0,
            handler,
            watch,
            over,
        })
    }

    async fn stop(&self, mut r: Running) {
        if let Some(pid) = r.pid {
            self.cpu_done
                .fetch_add(tree_usage(pid).1, Ordering::Relaxed);
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), r.browser.close()).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), r.browser.wait()).await;
        let _ = r.browser.kill().await;
        r.handler.abort();
        r.watch.abort();
        let _ = std::fs::remove_dir_all(&r.dir);
    }

    /// Stops the browser (when it runs); the next page starts a new one.
    pub async fn shutdown(&self) {
        let r = self.running.lock().await.take();
        if let Some(r) = r {
            self.stop(r).await;
        }
        let peak = PEAK_RSS.load(Ordering::Relaxed);
        let mut s = locked(&self.stats);
        s.peak_rss_kib = s.peak_rss_kib.max(peak);
    }

    /// A new tab of the running browser (started when none runs, or after its page quota).
    async fn tab(&self) -> Result<(Page, Arc<std::sync::atomic::AtomicBool>), RenderError> {
        if let Some(why) = locked(&self.broken).clone() {
            return Err(RenderError::Unavailable(why));
        }
        let mut g = self.running.lock().await;
        let stale = g.as_ref().is_some_and(|r| {
            r.pages >= PAGES_PER_BROWSER
                || r.over.load(Ordering::Relaxed)
                || r.handler.is_finished()
        });
        if stale && let Some(old) = g.take() {
            self.stop(old).await;
        }
        if g.is_none() {
            match self.launch().await {
                Ok(r) => *g = Some(r),
                Err(e) => {
                    *locked(&self.broken) = Some(e.to_string());
                    return Err(e);
                }
            }
        }
        let r = g.as_mut().expect("just started");
        r.pages += 1;
        let page = tokio::time::timeout(Duration::from_secs(15), r.browser.new_page("about:blank"))
            .await
            .map_err(|_| RenderError::Browser("no new tab in 15 s".into()))?
            .map_err(|e| RenderError::Browser(e.to_string()))?;
        Ok((page, r.over.clone()))
    }
}

impl Drop for Renderer {
    /// The browser's processes end with it (they are killed when their handle drops); its
    /// user-data folder is removed.
    fn drop(&mut self) {
        if let Some(r) = self.running.get_mut().take() {
            r.handler.abort();
            r.watch.abort();
            let dir = r.dir.clone();
            drop(r);
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Browsers started by this process (each gets a user-data folder of its own).
static LAUNCHES: AtomicUsize = AtomicUsize::new(0);

/// The largest resident memory seen of any browser of this process, in KiB.
static PEAK_RSS: AtomicU64 = AtomicU64::new(0);

/// What the interception of one page keeps.
#[derive(Default)]
struct Traffic {
    requests: Vec<FetchRecord>,
    refused: Vec<(String, String)>,
    documents: Vec<Fetched>,
    last_status: Option<u16>,
    last_challenged: bool,
    /// Answers fetched by following a redirect, served when the browser asks for their URL.
    redirected: HashMap<String, Fetched>,
    /// After the search button was pressed: the next document request is recorded, not sent.
    capture: bool,
    navigated: Option<String>,
}

/// Requests in flight and the last moment one started or ended.
struct Activity {
    inflight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn touch(&self) {
        *locked(&self.last) = Instant::now();
    }

    fn quiet_for(&self) -> Duration {
        if self.inflight.load(Ordering::Relaxed) > 0 {
            return Duration::ZERO;
        }
        locked(&self.last).elapsed()
    }
}

/// Resource types never fetched for a render: nothing a list or a search box needs.
fn skipped(t: &ResourceType) -> bool {
    !matches!(
        t,
        ResourceType::Document | ResourceType::Script | ResourceType::Xhr | ResourceType::Fetch
    )
}

/// The header of a paused request, by name (any case).
fn header(ev: &EventRequestPaused, name: &str) -> Option<String> {
    ev.request
        .headers
        .inner()
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str().map(str::to_string))
}

/// A script run in every document before its own: `window.open` navigates the page itself (a
/// new window would be a target the interception does not hold).
const INIT_SCRIPT: &str =
    "window.open = function (u) { if (u) { location.href = u; } return null; };";

/// Types the term into the search box named `field` and presses the search button beside it
/// (else Enter, else submits its form): returns what it did.
fn drive_script(field: &str, term: &str) -> String {
    let f = serde_json::to_string(field).unwrap_or_default();
    let t = serde_json::to_string(term).unwrap_or_default();
    format!(
        r#"(function(){{
  var f = {f}, term = {t};
  var box = document.querySelector('input[name="' + f + '"]') || document.getElementById(f);
  if (!box) return 'no-input';
  box.focus(); box.value = term;
  ['input','change','keyup'].forEach(function(e){{ box.dispatchEvent(new Event(e, {{bubbles:true}})); }});
  var says = function(b){{
    var s = [b.textContent, b.value, b.alt, b.title, b.className, b.id, b.getAttribute('onclick')].join(' ');
    return /搜索|检索|搜 索|查找|search|sousuo|ss/i.test(s);
  }};
  var scope = box.parentElement;
  for (var up = 0; up < 3 && scope; up++) {{
    var cands = scope.querySelectorAll('button, a, img, input[type=button], input[type=submit], input[type=image], span, div, i');
    for (var i = 0; i < cands.length; i++) {{
      var b = cands[i];
      if (b === box || b.contains(box) || (b.textContent || '').length > 10) continue;
      if (says(b)) {{ b.click(); return 'clicked'; }}
    }}
    scope = scope.parentElement;
  }}
  ['keydown','keypress','keyup'].forEach(function(e){{
    var k = new KeyboardEvent(e, {{key:'Enter', code:'Enter', keyCode:13, which:13, bubbles:true}});
    box.dispatchEvent(k);
  }});
  if (box.form) {{ if (box.form.requestSubmit) box.form.requestSubmit(); else box.form.submit(); return 'submitted'; }}
  return 'enter';
}})()"#
    )
}

impl Crawler {
    /// The browser, when the settings ask for one and Chromium was found.
    pub fn renderer(&self) -> Option<&Renderer> {
        self.renderer.as_ref()
    }

    /// Renders a page in the browser (see the module documentation): every request it makes
    /// goes through this crawler. The cookies the page's host gave the browser (a passed
    /// challenge's) are kept for the crawler's own requests to that host.
    pub async fn render(&self, job: &RenderJob) -> Result<Rendered, RenderError> {
        let r = self
            .renderer
            .as_ref()
            .ok_or_else(|| RenderError::Unavailable("render is off or no Chromium".into()))?;
        let _tab = r.tabs.acquire().await.expect("tab semaphore never closes");
        let started = Instant::now();
        let (page, over) = r.tab().await?;
        let traffic = Arc::new(Mutex::new(Traffic::default()));
        let activity = Arc::new(Activity {
            inflight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        });
        // the page's own limit, and a margin for the browser to answer: a browser that stopped
        // answering (killed over its memory bound) never holds the crawl
        let limit = r.timeout + Duration::from_secs(10);
        let result = tokio::time::timeout(
            limit,
            self.render_in(r, &page, job, traffic.clone(), activity.clone(), started),
        )
        .await
        .unwrap_or_else(|_| Err(RenderError::Browser("the browser stopped answering".into())));
        let _ = tokio::time::timeout(Duration::from_secs(5), page.close()).await;
        if over.load(Ordering::Relaxed) {
            return Err(RenderError::Memory(r.memory_kib / 1024));
        }
        let mut rendered = result?;
        {
            let mut t = locked(&traffic);
            rendered.requests = std::mem::take(&mut t.requests);
            rendered.refused = std::mem::take(&mut t.refused);
            rendered.documents = std::mem::take(&mut t.documents);
            rendered.status = t.last_status;
            rendered.navigated = t.navigated.take();
        }
        rendered.elapsed_ms = started.elapsed().as_millis() as u64;
        let mut s = locked(&r.stats);
        s.pages += 1;
        s.total_ms += rendered.elapsed_ms;
        s.requests += rendered.requests.len() as u64;
        s.refused += rendered.refused.len() as u64;
        s.peak_rss_kib = s.peak_rss_kib.max(PEAK_RSS.load(Ordering::Relaxed));
        Ok(rendered)
    }

    async fn render_in(
        &self,
        r: &Renderer,
        page: &Page,
        job: &RenderJob,
        traffic: Arc<Mutex<Traffic>>,
        activity: Arc<Activity>,
        started: Instant,
    ) -> Result<Rendered, RenderError> {
        let mut paused = page
            .event_listener::<EventRequestPaused>()
            .await
            .map_err(berr)?;
        page.execute(EnableParams {
            patterns: Some(vec![RequestPattern {
                url_pattern: Some("*".into()),
                resource_type: None,
                request_stage: Some(RequestStage::Request),
            }]),
            handle_auth_requests: None,
        })
        .await
        .map_err(berr)?;
        page.evaluate_on_new_document(INIT_SCRIPT)
            .await
            .map_err(berr)?;
        // The interception: every request answered by the crawler (or refused), concurrently,
        // each through its host's gate.
        let main_url = job.url.to_string();
        let robots_main = job.robots;
        let intercept = async {
            let mut answering = futures::stream::FuturesUnordered::new();
            loop {
                tokio::select! {
                    ev = paused.next() => {
                        let Some(ev) = ev else { break };
                        activity.inflight.fetch_add(1, Ordering::Relaxed);
                        activity.touch();
                        let traffic = traffic.clone();
                        let activity = activity.clone();
                        let main_url = main_url.clone();
                        answering.push(async move {
                            self.answer(page, &ev, &traffic, &main_url, robots_main).await;
                            activity.inflight.fetch_sub(1, Ordering::Relaxed);
                            activity.touch();
                        });
                    }
                    Some(()) = answering.next(), if !answering.is_empty() => {}
                }
            }
        };
        let drive = self.drive(page, job, &traffic, &activity, started + r.timeout);
        tokio::select! {
            r = drive => r,
            _ = intercept => Err(RenderError::Browser("the browser closed the page".into())),
        }
    }

    /// Loads the page, lets its scripts settle, drives its search box when the job has a term,
    /// and reads the DOM (keeping the cookies its hosts gave the browser).
    async fn drive(
        &self,
        page: &Page,
        job: &RenderJob,
        traffic: &Mutex<Traffic>,
        activity: &Activity,
        deadline: Instant,
    ) -> Result<Rendered, RenderError> {
        // Page.navigate returns once the document is committed (not loaded); the settling
        // below waits for the scripts
        let nav = page.execute(
            chromiumoxide::cdp::browser_protocol::page::NavigateParams::new(job.url.as_str()),
        );
        let mut timed_out = tokio::time::timeout_at(deadline.into(), nav).await.is_err();
        tracing::debug!(url = %job.url, timed_out, "page loaded");
        // let the scripts settle: no request in flight for a while, the document loaded, and
        // no challenge still on the page (a wall's script reloads it once it has set its
        // cookie)
        if !timed_out {
            timed_out = !self.settle(page, traffic, activity, deadline).await;
        }
        let mut drove = None;
        if let (Some(s), false) = (&job.search, timed_out) {
            drove = Some(drive_search(page, s, traffic, deadline).await);
        }
        let html = page.content().await.map_err(berr)?;
        let final_url = page
            .url()
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| job.url.to_string());
        self.keep_browser_cookies(page).await;
        Ok(Rendered {
            url: job.url.to_string(),
            final_url,
            status: None,
            html,
            requests: Vec::new(),
            refused: Vec::new(),
            documents: Vec::new(),
            drive: drove,
            navigated: None,
            elapsed_ms: 0,
            timed_out,
        })
    }

    /// The cookies the page's hosts gave the browser: kept for the crawler's requests.
    async fn keep_browser_cookies(&self, page: &Page) {
        let Ok(cookies) = page.get_cookies().await else {
            return;
        };
        let mut by_host: HashMap<String, Vec<crate::cookies::Cookie>> = HashMap::new();
        for c in cookies {
            let host = c.domain.trim_start_matches('.').to_ascii_lowercase();
            by_host
                .entry(host)
                .or_default()
                .push(crate::cookies::Cookie {
                    name: c.name,
                    value: c.value,
                    expires: (c.expires > 0.0).then(|| {
                        std::time::SystemTime::UNIX_EPOCH + Duration::from_secs_f64(c.expires)
                    }),
                });
        }
        for (host, list) in by_host {
            self.cookies.store(&host, list);
        }
    }

    /// Waits until the page is quiet (no request in flight for [`QUIET`]), its document complete
    /// and not a wall's challenge; false when the deadline came first.
    async fn settle(
        &self,
        page: &Page,
        traffic: &Mutex<Traffic>,
        activity: &Activity,
        deadline: Instant,
    ) -> bool {
        loop {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
            if activity.quiet_for() < QUIET {
                continue;
            }
            let challenged = locked(traffic).last_challenged;
            if challenged {
                continue; // the wall's script has yet to reload the page
            }
            let ready = page
                .evaluate("document.readyState")
                .await
                .ok()
                .and_then(|v| v.into_value::<String>().ok());
            if ready.as_deref() == Some("complete") {
                return true;
            }
        }
    }

    /// Answers one request of the browser: refused unsent, or sent by the crawler and its answer
    /// handed back.
    async fn answer(
        &self,
        page: &Page,
        ev: &EventRequestPaused,
        traffic: &Mutex<Traffic>,
        main_url: &str,
        robots_main: bool,
    ) {
        let url_s = &ev.request.url;
        let refuse = |why: &str| {
            locked(traffic)
                .refused
                .push((url_s.clone(), why.to_string()));
        };
        let fail = |reason: ErrorReason| FailRequestParams::new(ev.request_id.clone(), reason);
        let url = match admit(ev) {
            Ok(url) => url,
            Err(why) => {
                if let Some(why) = why {
                    refuse(&why);
                }
                let _ = page.execute(fail(ErrorReason::BlockedByClient)).await;
                return;
            }
        };
        let is_doc = matches!(ev.resource_type, ResourceType::Document);
        let captured = is_doc && {
            let mut t = locked(traffic);
            if t.capture {
                // where the search button's script sends the search: the crawler submits it
                t.navigated.get_or_insert_with(|| url_s.clone());
            }
            t.capture
        };
        if captured {
            let _ = page.execute(fail(ErrorReason::Aborted)).await;
            return;
        }
        let robots = robots_main || url.as_str() != main_url;
        let fetched = self.fetch_for_page(ev, &url, robots, traffic).await;
        let last = fetched.last().clone();
        match last.error {
            None | Some(FetchError::Challenged) => {}
            Some(e) => {
                let reason = match e {
                    FetchError::RobotsDisallowed | FetchError::BlockedAddress => {
                        refuse(&last.failure().unwrap_or_default());
                        ErrorReason::BlockedByClient
                    }
                    FetchError::Timeout => ErrorReason::TimedOut,
                    FetchError::Dns => ErrorReason::NameNotResolved,
                    _ => ErrorReason::Failed,
                };
                let _ = page.execute(fail(reason)).await;
                return;
            }
        }
        let status = last.status.unwrap_or(200);
        tracing::debug!(url = %url_s, status, kind = ?ev.resource_type, "browser request answered");
        if last.final_url != last.url {
            let f = redirect_answer(ev, &fetched, &last, traffic);
            let _ = page.execute(f).await;
            return;
        }
        if is_doc {
            let mut t = locked(traffic);
            t.last_status = Some(status);
            t.last_challenged = last.challenged();
            t.documents.push(fetched.clone());
        }
        if let Err(e) = page.execute(fulfil(ev, &fetched, &last, status)).await {
            tracing::debug!(url = %url_s, error = %e, "the browser refused an answer");
            let _ = page.execute(fail(ErrorReason::Failed)).await;
        }
    }

    /// The crawler's answer to a browser's request: the one already fetched when the crawler
    /// followed a redirect to it, else fetched now (its requests recorded).
    async fn fetch_for_page(
        &self,
        ev: &EventRequestPaused,
        url: &Url,
        robots: bool,
        traffic: &Mutex<Traffic>,
    ) -> Fetched {
        let cached = locked(traffic).redirected.remove(url.as_str());
        if let Some(f) = cached {
            return f;
        }
        let head = ev.request.method.eq_ignore_ascii_case("HEAD");
        let spec = FetchSpec {
            method: if head { "HEAD" } else { "GET" },
            purpose: Purpose::Page,
            body: BodyMode::Any,
            robots,
            retry: false,
            family: None,
        };
        let cookie = header(ev, "cookie").unwrap_or_default();
        let f = self.fetch_for_browser(url, spec, Some(&cookie)).await;
        locked(traffic).requests.extend(f.attempts.iter().cloned());
        f
    }
}

/// The error of a browser's call.
fn berr(e: chromiumoxide::error::CdpError) -> RenderError {
    RenderError::Browser(e.to_string())
}

/// Types the search term into the page's box and presses its button (see [`drive_script`]),
/// then waits a little for the navigation the button starts (recorded, not sent); returns what
/// the script did.
async fn drive_search(
    page: &Page,
    s: &SearchDrive,
    traffic: &Mutex<Traffic>,
    deadline: Instant,
) -> String {
    locked(traffic).capture = true;
    let did = page
        .evaluate(drive_script(&s.field, &s.term))
        .await
        .ok()
        .and_then(|v| v.into_value::<String>().ok())
        .unwrap_or_else(|| "error".into());
    // wait for the navigation the button starts (recorded, not sent)
    let nav_deadline = (Instant::now() + Duration::from_secs(3)).min(deadline);
    while Instant::now() < nav_deadline {
        if locked(traffic).navigated.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    did
}

/// The URL of a browser's request that may be sent, or why not: `Some(reason)` when it is
/// refused (a method other than GET/HEAD, not a URL, a scheme not fetched), `None` for a
/// resource type never fetched (not counted: a list needs no images, fonts or style).
fn admit(ev: &EventRequestPaused) -> Result<Url, Option<String>> {
    let method = ev.request.method.to_ascii_uppercase();
    if method != "GET" && method != "HEAD" {
        return Err(Some(format!("{method} never sent")));
    }
    if skipped(&ev.resource_type) {
        return Err(None);
    }
    let Ok(url) = Url::parse(&ev.request.url) else {
        return Err(Some("not a URL".into()));
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Some("scheme not fetched".into()));
    }
    Ok(url)
}

/// The crawler followed a redirect: the browser is told to, and gets the answer the crawler
/// already has when it asks.
fn redirect_answer(
    ev: &EventRequestPaused,
    fetched: &Fetched,
    last: &FetchRecord,
    traffic: &Mutex<Traffic>,
) -> FulfillRequestParams {
    let mut f = FulfillRequestParams::new(ev.request_id.clone(), 302);
    f.response_headers = Some(vec![HeaderEntry {
        name: "Location".into(),
        value: last.final_url.clone(),
    }]);
    let mut again = fetched.clone();
    if let Some(a) = again.attempts.last_mut() {
        a.url = a.final_url.clone();
    }
    locked(traffic)
        .redirected
        .insert(last.final_url.clone(), again);
    f
}

/// The answer handed to the browser: the status, Content-Type, cookies and body the crawler got.
fn fulfil(
    ev: &EventRequestPaused,
    fetched: &Fetched,
    last: &FetchRecord,
    status: u16,
) -> FulfillRequestParams {
    let mut headers = vec![HeaderEntry {
        name: "Content-Type".into(),
        value: last
            .content_type
            .clone()
            .unwrap_or_else(|| "text/html".into()),
    }];
    for c in &fetched.set_cookie {
        headers.push(HeaderEntry {
            name: "Set-Cookie".into(),
            value: c.clone(),
        });
    }
    // A status the browser does not know (a wall's 521) stalls its navigation when handed
    // over by interception: the page gets the standard status of the same class (its
    // scripts read the body, not the status); the record keeps the true one.
    let known = |st: u16| {
        reqwest::StatusCode::from_u16(st)
            .ok()
            .and_then(|c| c.canonical_reason())
    };
    let sent = if known(status).is_some() {
        status
    } else {
        (status / 100).clamp(2, 5) * 100
    };
    let mut f = FulfillRequestParams::new(ev.request_id.clone(), i64::from(sent));
    f.response_headers = Some(headers);
    f.response_phrase = Some(known(sent).unwrap_or("OK").to_string());
    let body = fetched.body.as_deref().unwrap_or_default();
    f.body = Some(
        base64::engine::general_purpose::STANDARD
            .encode(body)
            .into(),
    );
    f
}
