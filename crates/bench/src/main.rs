//! `govwatch-bench`: generates a farm of government-like sites, serves it on loopback with the
//! fixture HTTP server and test DNS server, and runs the whole nightly pipeline over it (crawl,
//! every probe, SQLite store) exactly as `govwatch run` does, then prints the figures in the
//! columns of the peer table (`/work/shared/bench/README.md`). See `crates/bench/README.md`.

use anyhow::{Context, Result, bail};
use clap::Parser;
use govwatch_bench::{Usage, farm, thousands};
use govwatch_crawler::{CrawlSettings, Crawler};
use govwatch_model::{Site, SiteKind, SiteOverrides};
use govwatch_runner::{Progress, RunOptions, run};
use govwatch_store::Store;
use govwatch_testutil::TestNet;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Crawl benchmark of the whole govwatch pipeline on a generated farm of sites served on loopback.
#[derive(Debug, Parser)]
#[command(name = "govwatch-bench", version)]
struct Args {
    /// Sites in the farm.
    #[arg(long, default_value_t = 200)]
    sites: usize,
    /// Numbered pages per site (each site also has 6 column pages).
    #[arg(long, default_value_t = 100)]
    pages: usize,
    /// Requests per second per host; 0 means no rate limit (1e6 req/s, 8 connections per host).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Burst per host [default: 8 without a rate limit, 1 with one].
    #[arg(long)]
    burst: Option<u32>,
    /// Connections per host [default: 8 without a rate limit, 1 with one].
    #[arg(long)]
    host_concurrency: Option<u32>,
    /// Sites crawled at once; 0 = every site at once, as `govwatch run` sizes it with no night
    /// window (up to 1,000).
    #[arg(long, default_value_t = 0)]
    site_concurrency: u32,
    /// Write the farm to this directory (empty or missing) and keep it, instead of a temp dir.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// SQLite database to write (must not exist) [default: a temp file, removed afterwards].
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Crawl an already served farm instead of generating one: its home URLs, one a line (e.g.
    /// `../shared/bench/farm.py`'s `sites.txt`, served by nginx with `serve.sh`). `--sites` and
    /// `--pages` must match the farm.
    #[arg(long, value_name = "FILE")]
    urls: Option<PathBuf>,
    /// Internal: serve the farm in DIR (the child process the benchmark starts).
    #[arg(long, value_name = "DIR", hide = true)]
    serve_farm: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("govwatch-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(dir) = args.serve_farm.clone() {
        return match rt.block_on(serve_farm(&dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("govwatch-bench (farm server): {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match rt.block_on(bench(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("govwatch-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The child process: serves the farm with the fixture HTTP server (127.0.0.1 only, like the
/// peers' nginx farm: no IPv6) and the test DNS server (A records only), prints
/// `READY <http port> <dns addr>`, and answers until its stdin closes, then prints
/// `REQUESTS <n>` (what it served).
async fn serve_farm(dir: &Path) -> Result<()> {
    use tokio::io::AsyncReadExt;
    let http = govwatch_testutil::FixtureServer::start_v4_only(dir)
        .await
        .with_context(|| format!("serving {}", dir.display()))?;
    let net = TestNet::with_server(http, Vec::new()).await?;
    println!("READY {} {}", net.http.port(), net.dns.addr());
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    println!("REQUESTS {}", net.http.requests().len());
    Ok(())
}

/// The farm server, running in a child process so that its CPU time and memory are not counted
/// as the crawler's (the peers were measured against nginx in its own process too).
struct FarmServer {
    child: std::process::Child,
    port: u16,
    dns: String,
}

impl FarmServer {
    fn start(dir: &Path) -> Result<FarmServer> {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let exe = std::env::current_exe().context("finding this program")?;
        let mut child = Command::new(exe)
            .arg("--serve-farm")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the farm server process")?;
        let out = child.stdout.as_mut().expect("piped");
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .context("reading from the farm server")?;
        let mut parts = line.split_whitespace();
        let (Some("READY"), Some(port), Some(dns)) = (parts.next(), parts.next(), parts.next())
        else {
            let _ = child.kill();
            bail!("the farm server did not start: {line:?}");
        };
        Ok(FarmServer {
            port: port.parse().context("the farm server's port")?,
            dns: dns.to_string(),
            child,
        })
    }

    fn url(&self, host: &str) -> url::Url {
        url::Url::parse(&format!("http://{host}:{}/", self.port)).expect("valid URL")
    }

    /// Stops the server; returns the requests it served.
    fn stop(mut self) -> Option<u64> {
        use std::io::BufRead;
        drop(self.child.stdin.take());
        let mut n = None;
        if let Some(out) = self.child.stdout.take() {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(v) = line.strip_prefix("REQUESTS ") {
                    n = v.trim().parse().ok();
                }
            }
        }
        let _ = self.child.wait();
        n
    }
}

/// What the farm plants on every site, and nothing else may be found: the six blank column
/// pages, a home page whose newest item is from 2020, the broken link `/missing/page.html` (on
/// the home page, page 0), the `/search` form that leads nowhere, no consultation channel, plain
/// http, (served over IPv4 only, like the nginx farm) no AAAA, and a footer and markup without
/// the identity marks and the accessibility baseline beyond the sponsor and the site code.
fn planted(base: &str) -> Vec<(String, String)> {
    let base = base.trim_end_matches('/');
    let mut v: Vec<(String, String)> = farm::COLUMNS
        .iter()
        .map(|(c, _)| ("column.blank".to_string(), format!("{base}/{c}/")))
        .collect();
    for code in [
        "home.stale",
        "message.channel_missing",
        "security.no_https",
        "ipv6.no_aaaa",
        // the footer names the sponsor and the site code only (提示, issue 30)
        "identity.icp_missing",
        "identity.psb_missing",
        "identity.conac_missing",
        "identity.error_report_missing",
        // no accessible-mode entry, no lang, the search box's input without a label
        "a11y.entry_missing",
        "a11y.lang_missing",
        "a11y.inputs_no_label",
    ] {
        v.push((code.to_string(), format!("{base}/")));
    }
    v.push((
        "link.broken_home".into(),
        format!("{base}/missing/page.html"),
    ));
    v.push(("search.broken".into(), format!("{base}/search?q=")));
    v
}

/// Politeness settings derived from the arguments.
struct Politeness {
    rate: f64,
    burst: u32,
    host_concurrency: u32,
    label: String,
}

fn politeness(a: &Args) -> Result<Politeness> {
    if !a.rate.is_finite() || a.rate < 0.0 {
        bail!("--rate must be 0 (no limit) or a positive number");
    }
    let unlimited = a.rate == 0.0;
    let default_conc = if unlimited { 8 } else { 1 };
    let host_concurrency = a.host_concurrency.unwrap_or(default_conc);
    let burst = a.burst.unwrap_or(default_conc);
    let (rate, label) = if unlimited {
        (1e6, format!("no rate limit, {host_concurrency}/host"))
    } else {
        (
            a.rate,
            format!("{} req/s per host, {host_concurrency}/host", a.rate),
        )
    };
    Ok(Politeness {
        rate,
        burst,
        host_concurrency,
        label,
    })
}

/// A directory for the farm: `--keep DIR`, or a temp dir removed on drop.
enum FarmDir {
    Kept(PathBuf),
    Temp(tempfile::TempDir),
}

impl FarmDir {
    fn path(&self) -> &Path {
        match self {
            FarmDir::Kept(p) => p,
            FarmDir::Temp(t) => t.path(),
        }
    }
}

fn farm_dir(keep: Option<&Path>) -> Result<FarmDir> {
    match keep {
        Some(dir) => {
            if dir.exists()
                && std::fs::read_dir(dir)
                    .with_context(|| format!("reading {}", dir.display()))?
                    .next()
                    .is_some()
            {
                bail!(
                    "--keep {}: the directory is not empty (the fixture server would serve \
                     every subdirectory as a host)",
                    dir.display()
                );
            }
            Ok(FarmDir::Kept(dir.to_path_buf()))
        }
        None => Ok(FarmDir::Temp(
            tempfile::Builder::new()
                .prefix("govwatch-bench-farm-")
                .tempdir()
                .context("creating a temp dir for the farm")?,
        )),
    }
}

/// Size of an SQLite database with its WAL and shared-memory files, if any.
fn db_size(db: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            std::fs::metadata(PathBuf::from(p)).ok().map(|m| m.len())
        })
        .sum()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// CPU ms per unit in the peers' style: two decimals below 1, one above.
fn ms_per(cpu: Duration, n: u64) -> String {
    if n == 0 {
        return "-".into();
    }
    let ms = cpu.as_secs_f64() * 1000.0 / n as f64;
    if ms < 1.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

fn per_sec(n: u64, wall: Duration) -> f64 {
    let s = wall.as_secs_f64();
    if s > 0.0 { n as f64 / s } else { 0.0 }
}

async fn bench(a: Args) -> Result<()> {
    let pol = politeness(&a)?;
    if a.sites == 0 || a.pages == 0 {
        bail!("--sites and --pages must be at least 1");
    }
    let start_usage = Usage::now();

    // 1. The farm, and 2. its servers in a child process (or a farm served already).
    let (dir, server, homes) = match &a.urls {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let homes: Vec<url::Url> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| {
                    url::Url::parse(l).with_context(|| format!("{}: bad URL {l:?}", file.display()))
                })
                .collect::<Result<_>>()?;
            if homes.len() != a.sites {
                bail!(
                    "{} lists {} sites; pass --sites {} (and the farm's --pages)",
                    file.display(),
                    homes.len(),
                    homes.len()
                );
            }
            println!(
                "farm: {} sites served already, from {}",
                homes.len(),
                file.display()
            );
            (None, None, homes)
        }
        None => {
            let dir = farm_dir(a.keep.as_deref())?;
            let t = Instant::now();
            let stats = farm::generate(dir.path(), a.sites, a.pages)
                .with_context(|| format!("writing the farm to {}", dir.path().display()))?;
            let gen_time = t.elapsed();
            println!(
                "farm: {} sites x {} pages (+6 column pages each): {} files, {:.1} MB, {:.1} KB a page \
                 (column pages aside), written to {} in {:.1} s",
                a.sites,
                a.pages,
                thousands(stats.files as u64),
                stats.bytes as f64 / 1e6,
                stats.page_bytes as f64 / (a.sites * a.pages) as f64 / 1e3,
                dir.path().display(),
                secs(gen_time),
            );
            let server = FarmServer::start(dir.path())?;
            let homes = (0..a.sites).map(|i| server.url(&farm::host(i))).collect();
            (Some(dir), Some(server), homes)
        }
    };

    // 3. The crawler, the sites and the store, as `govwatch run` builds them.
    let settings = CrawlSettings {
        allow_private: true,
        dns_servers: server.iter().map(|s| s.dns.clone()).collect(),
        dns_port: match &server {
            Some(s) => s.dns.parse::<std::net::SocketAddr>()?.port(),
            None => 53,
        },
        rate: pol.rate,
        burst: pol.burst,
        host_concurrency: pol.host_concurrency,
        global_concurrency: 128,
        site_concurrency: a.site_concurrency,
        // no night window: every site at once, as fast as politeness allows
        night_end: String::new(),
        max_sites_in_flight: 1000,
        max_pages: a.pages + 10,
        max_depth: 10,
        ..Default::default()
    };
    settings.validate()?;
    let crawler = Arc::new(Crawler::new(settings.clone())?);
    let report_sites: Vec<String> = (0..a.sites).map(farm::site_id).collect();
    let sites: Vec<Site> = (0..a.sites)
        .map(|i| Site {
            id: farm::site_id(i),
            name: farm::site_name(i),
            home: homes[i].clone(),
            org: "示例县人民政府办公室".into(),
            region: "示例县".into(),
            kind: SiteKind::Portal,
            overrides: SiteOverrides::default(),
        })
        .collect();
    let db_tmp;
    let db_path = match &a.db {
        Some(p) => {
            if p.exists() {
                bail!("--db {}: the file exists; give a new one", p.display());
            }
            p.clone()
        }
        None => {
            db_tmp = tempfile::Builder::new()
                .prefix("govwatch-bench-db-")
                .tempdir()
                .context("creating a temp dir for the database")?;
            db_tmp.path().join("bench.db")
        }
    };
    let store = Store::open(&db_path).with_context(|| format!("opening {}", db_path.display()))?;
    let opts = RunOptions {
        as_of: chrono::Local::now().fixed_offset(),
        only: None,
        resume: false,
        settings: serde_json::to_value(&settings)?,
        rules: Default::default(),
        accounts: Vec::new(),
    };
    println!(
        "crawl: {}, {}, {} sites at once, 128 requests at once in all, max_pages {}, max_depth \
         10, every probe, store {}",
        match &server {
            Some(s) => format!("farm server (child process) on port {}", s.port),
            None => "the farm's own server".to_string(),
        },
        pol.label,
        if a.site_concurrency == 0 {
            "every site (auto)".to_string()
        } else {
            a.site_concurrency.to_string()
        },
        a.pages + 10,
        db_path.display(),
    );

    // 4. The run, measured.
    let step = (a.sites / 10).max(1);
    let mut done = 0usize;
    let mut done_pages = 0usize;
    let stop = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let before = Usage::now();
    let t = Instant::now();
    let (report, store) = run(crawler, store, sites, opts, stop, |p| {
        if let Progress::Planned(plan) = p {
            eprintln!(
                "  plan: {} sites, {} at once, ~{} requests, politeness bound (planned) {:.1} s",
                plan.sites,
                plan.in_flight,
                thousands(plan.requests),
                secs(plan.bound)
            );
        }
        if let Progress::SiteDone { pages, .. } = p {
            done += 1;
            done_pages += pages;
            if done.is_multiple_of(step) || done == a.sites {
                eprintln!(
                    "  {done}/{} sites, {} pages, {:.1} s",
                    a.sites,
                    thousands(done_pages as u64),
                    secs(t.elapsed())
                );
            }
        }
    })
    .await?;
    let wall = t.elapsed();
    let after = Usage::now();
    let cpu = after.cpu_since(&before);

    // 5. The figures, from the store.
    let summary = store.run_summary(report.run_id)?;
    let pages: u64 = summary.iter().map(|s| s.pages).sum();
    let fetches: u64 = summary.iter().map(|s| s.fetches).sum();
    let findings: u64 = summary.iter().map(|s| s.findings).sum();
    // The crawler's own count of HTML pages and bytes, from its `crawl.summary` fact per site.
    let (mut html_pages, mut body_bytes) = (0u64, 0u64);
    for f in store.facts(report.run_id, None)? {
        if f.fact.code == "crawl.summary" {
            let get = |k: &str| f.fact.value.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            html_pages += get("html_pages");
            body_bytes += get("bytes");
        }
    }
    let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
    for s in &summary {
        for (code, n) in &s.by_code {
            *by_code.entry(code.clone()).or_insert(0) += n;
        }
    }
    let mut unexpected: Vec<String> = Vec::new();
    let mut missing = 0usize;
    for (i, site) in report_sites.iter().enumerate() {
        let want: std::collections::BTreeSet<(String, String)> =
            planted(homes[i].as_str()).into_iter().collect();
        let got: std::collections::BTreeSet<(String, String)> = store
            .findings(report.run_id, Some(site))?
            .into_iter()
            .map(|f| {
                let mut url = f.finding.url.unwrap_or_default();
                if f.finding.code == "search.broken"
                    && let Some(at) = url.find("?q=")
                {
                    url.truncate(at + 3); // the term searched for varies
                }
                (f.finding.code, url)
            })
            .collect();
        for g in got.difference(&want) {
            unexpected.push(format!("{site} {} {}", g.0, g.1));
        }
        if summary.iter().any(|s| &s.site_id == site) {
            missing += want.difference(&got).count();
        }
    }
    let server_requests = server.map(|s| s.stop().unwrap_or(0));
    drop(store);
    let db_bytes = db_size(&db_path);
    // Every file of the farm, and the home page twice (`/` and `/index.html`, both linked).
    let farm_urls = (a.sites * (a.pages + COLUMN_PAGES + 1)) as u64;
    let whole = after.cpu_since(&start_usage);

    println!();
    if report.interrupted {
        println!("INTERRUPTED (Ctrl-C): the figures below cover the sites finished so far");
    }
    println!(
        "sites stored      {} of {}",
        thousands(summary.len() as u64),
        a.sites
    );
    println!("wall time         {:.2} s", secs(wall));
    println!(
        "pages             {} (store: sum of pages over run_summary; HTML {}, the rest the broken \
         link's 404 page; the farm has {} HTML URLs, `/` and `/index.html` counted apart)",
        thousands(pages),
        thousands(html_pages),
        thousands(farm_urls)
    );
    println!(
        "HTTP requests     {} (crawler fetches, robots.txt and link checks included; the server logged {})",
        thousands(fetches),
        match server_requests {
            Some(n) => thousands(n),
            None => "-".into(),
        }
    );
    println!(
        "bytes             {:.1} MB of bodies read",
        body_bytes as f64 / 1e6
    );
    println!("pages/s           {:.0}", per_sec(pages, wall));
    println!("requests/s        {:.0}", per_sec(fetches, wall));
    println!(
        "CPU user+sys      {:.2} s (user {:.2} s, sys {:.2} s) during the run; {:.2} s for the whole process with the farm generation",
        secs(cpu),
        secs(after.user.saturating_sub(before.user)),
        secs(after.sys.saturating_sub(before.sys)),
        secs(whole),
    );
    println!("CPU ms/page       {}", ms_per(cpu, pages));
    println!("CPU ms/request    {}", ms_per(cpu, fetches));
    println!(
        "CPU use           {:.0}% of one core (2 cores = 200%)",
        100.0 * secs(cpu) / secs(wall).max(1e-9)
    );
    println!(
        "peak RSS          {:.0} MB (ru_maxrss of the whole process)",
        after.max_rss_mb()
    );
    let codes: Vec<String> = by_code.iter().map(|(c, n)| format!("{c} x{n}")).collect();
    println!(
        "findings          {} ({})",
        thousands(findings),
        codes.join(", ")
    );
    println!(
        "beyond planted    {} finding(s) the farm did not plant; {} planted finding(s) missed",
        unexpected.len(),
        missing
    );
    for u in unexpected.iter().take(10) {
        println!("                  unexpected: {u}");
    }
    println!(
        "database          {:.1} MB ({})",
        db_bytes as f64 / 1e6,
        if a.db.is_some() {
            "kept"
        } else {
            "temp file, removed"
        }
    );
    if pol.rate < 1e6 {
        match &report.busiest_host {
            Some((host, n, bound)) => println!(
                "politeness bound  {:.1} s: the busiest host, {host}, served {n} requests at {} \
                 request(s)/s; wall / bound = {:.3}",
                secs(*bound),
                pol.rate,
                secs(wall) / secs(*bound).max(1e-9)
            ),
            None => println!("politeness bound  - (no request made)"),
        }
    }
    if html_pages < farm_urls && !report.interrupted {
        println!(
            "warning: {} HTML pages crawled, the farm has {} HTML URLs: some were not reached",
            thousands(html_pages),
            thousands(farm_urls)
        );
    }

    println!();
    println!(
        "| crawler | wall | CPU (user+sys) | pages/s | CPU ms/page | peak RSS | work per page |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| govwatch {}, {} sites at once, {} | {:.1} s | {:.1} s | {} | {} | {:.0} MB | decode, DOM, every probe, SQLite, archived body |",
        env!("CARGO_PKG_VERSION"),
        report.plan.in_flight,
        pol.label,
        secs(wall),
        secs(cpu),
        thousands(per_sec(pages, wall).round() as u64),
        ms_per(cpu, pages),
        after.max_rss_mb(),
    );
    println!(
        "(peers' pages/s and CPU ms/page are per request, 21,800 on 200 x 100: govwatch per request \
         {} req/s, {} CPU ms/request)",
        thousands(per_sec(fetches, wall).round() as u64),
        ms_per(cpu, fetches),
    );
    if let Some(FarmDir::Kept(p)) = &dir {
        println!("farm kept in {}", p.display());
    }
    Ok(())
}

/// Column pages per site, besides the numbered pages.
const COLUMN_PAGES: usize = farm::COLUMNS.len();
