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
    /// Sites crawled at once.
    #[arg(long, default_value_t = 64)]
    site_concurrency: u32,
    /// Write the farm to this directory (empty or missing) and keep it, instead of a temp dir.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// SQLite database to write (must not exist) [default: a temp file, removed afterwards].
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
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
    match rt.block_on(bench(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("govwatch-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
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

    // 1. The farm.
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

    // 2. The fixture network.
    let net = TestNet::start(dir.path())
        .await
        .with_context(|| format!("starting the fixture servers on {}", dir.path().display()))?;

    // 3. The crawler, the sites and the store, as `govwatch run` builds them.
    let settings = CrawlSettings {
        allow_private: true,
        dns_servers: vec![net.dns.addr().to_string()],
        dns_port: net.dns.addr().port(),
        rate: pol.rate,
        burst: pol.burst,
        host_concurrency: pol.host_concurrency,
        global_concurrency: 128,
        site_concurrency: a.site_concurrency,
        max_pages: a.pages + 10,
        max_depth: 10,
        ..Default::default()
    };
    settings.validate()?;
    let crawler = Arc::new(Crawler::new(settings.clone())?);
    let sites: Vec<Site> = (0..a.sites)
        .map(|i| Site {
            id: farm::site_id(i),
            name: farm::site_name(i),
            home: net.http.url(&farm::host(i), "/"),
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
        "crawl: fixture server on port {}, {}, {} sites at once, 128 requests at once in all, \
         max_pages {}, max_depth 10, every probe, store {}",
        net.http.port(),
        pol.label,
        a.site_concurrency,
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
    let server_requests = net.http.requests().len();
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
        thousands(server_requests as u64)
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
        "database          {:.1} MB ({})",
        db_bytes as f64 / 1e6,
        if a.db.is_some() {
            "kept"
        } else {
            "temp file, removed"
        }
    );
    if pol.rate < 1e6 && a.sites > 0 {
        let per_host = fetches as f64 / a.sites as f64 / pol.rate;
        let overall = fetches as f64 / (pol.rate * f64::from(a.site_concurrency.max(1)));
        println!(
            "politeness bound  >= {:.1} s (requests per site / rate, or requests / (rate x sites at once))",
            per_host.max(overall)
        );
    }
    println!(
        "note: the fixture HTTP server and the DNS server run inside this process, so their CPU and \
         memory are included in the figures above; nothing is subtracted."
    );
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
        "| govwatch {}, {} sites at once, {} | {:.1} s | {:.1} s | {} | {} | {:.0} MB | decode, DOM, every probe, SQLite, archived body; fixture server in-process |",
        env!("CARGO_PKG_VERSION"),
        a.site_concurrency,
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
    if let FarmDir::Kept(p) = &dir {
        println!("farm kept in {}", p.display());
    }
    Ok(())
}

/// Column pages per site, besides the numbered pages.
const COLUMN_PAGES: usize = farm::COLUMNS.len();
