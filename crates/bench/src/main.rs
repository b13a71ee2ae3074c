//! `govwatch-bench`: generates a farm of government-like sites, serves it on loopback with the
//! fixture HTTP server and test DNS server, writes a configuration for it and runs
//! `govwatch run` itself (the command users run: configuration loading, plan, progress, store,
//! accounts phase) as a child process, measured with `wait4` like `/usr/bin/time` measures it,
//! then prints the figures in the columns of the peer table (`../shared/bench/README.md`). See
//! `crates/bench/README.md`.

use anyhow::{Context, Result, bail};
use clap::Parser;
use govwatch_bench::{farm, thousands};
use govwatch_store::Store;
use govwatch_testutil::TestNet;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
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
    /// Page size in KB (like `farm.py`'s FARM_PAGE_KB; real government pages are 50–200 KB);
    /// 0 = the peers' ~18 KB pages, or FARM_PAGE_KB when set.
    #[arg(long, default_value_t = 0)]
    page_kb: usize,
    /// Server addresses the sites share (site i on address i mod N, each 127.0.A.B); 0 = one
    /// address per site, like `farm.py`.
    #[arg(long, default_value_t = 0)]
    addresses: usize,
    /// The `govwatch` binary to run [default: `govwatch` beside this program, e.g.
    /// target/release/govwatch: build it with `cargo build --release -p govwatch`].
    #[arg(long, value_name = "FILE")]
    govwatch: Option<PathBuf>,
    /// Extra `crawl.toml` lines for the run, e.g. `--set global_concurrency=128` (repeatable);
    /// everything else is as shipped.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Headless Chromium, as `render` in `crawl.toml`: `auto` (when Chromium is found; the farm's
    /// static pages are never rendered), `off`, or `always` (every page rendered).
    #[arg(long, default_value = "auto", value_name = "MODE")]
    render: String,
    /// Instead of the farm: render every page of the fixture sites in DIR that asks for a
    /// browser (`fixtures/render`: lists and search boxes built by script, anti-bot walls), ROUNDS
    /// times over, and print the render time, the browser's CPU a page and its peak memory.
    #[arg(long, value_name = "DIR")]
    render_fixtures: Option<PathBuf>,
    /// Rounds over the fixture sites with `--render-fixtures`.
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Internal: serve the farm in DIR (the child process the benchmark starts).
    #[arg(long, value_name = "DIR", hide = true)]
    serve_farm: Option<PathBuf>,
    /// Internal: the farm server's addresses, comma-separated.
    #[arg(long, value_name = "IPS", hide = true)]
    serve_addrs: Option<String>,
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
        return match rt.block_on(serve_farm(&dir, args.serve_addrs.as_deref().unwrap_or(""))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("govwatch-bench (farm server): {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(dir) = args.render_fixtures.clone() {
        return match rt.block_on(render_fixtures(&dir, args.rounds)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("govwatch-bench (render): {e:#}");
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

/// `--render-fixtures DIR`: the fixture sites of DIR crawled `rounds` times by one crawler
/// with headless Chromium (a new crawler each round, so each wall is met again), every page that
/// asks for a browser rendered; prints the renderer's figures.
async fn render_fixtures(dir: &Path, rounds: u32) -> Result<()> {
    let net = TestNet::start(dir).await?;
    let sites = govwatch_testutil::fixtures::load_fixture_sites(dir, |h| net.http.url(h, "/"))?;
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:00:00+08:00")?;
    let (mut pages, mut ms, mut cpu, mut peak, mut launches, mut requests) = (0, 0, 0, 0, 0, 0);
    let t = Instant::now();
    for _ in 0..rounds.max(1) {
        let settings = govwatch_config::CrawlSettings {
            allow_private: true,
            dns_servers: vec![net.dns.addr().to_string()],
            dns_port: net.dns.addr().port(),
            rate: 20.0,
            ipv6: false,
            render: govwatch_config::RenderMode::Auto,
            ..Default::default()
        };
        let crawler = govwatch_crawler::Crawler::new(settings)?;
        let Some(r) = crawler.renderer() else {
            bail!("no Chromium found (apt-get install chromium): nothing to measure");
        };
        for fx in &sites {
            govwatch_runner::inspect_site(&crawler, &fx.site, as_of, &Default::default(), None)
                .await;
        }
        r.shutdown().await;
        let st = r.stats();
        pages += st.pages;
        ms += st.total_ms;
        cpu += st.cpu_ms;
        peak = peak.max(st.peak_rss_kib);
        launches += st.launches;
        requests += st.requests;
    }
    let per = |x: u64| x as f64 / pages.max(1) as f64;
    println!(
        "render: {} sites x {} rounds: {pages} pages rendered ({launches} browsers started) in {:.1} s",
        sites.len(),
        rounds.max(1),
        secs(t.elapsed())
    );
    println!(
        "render time       {:.0} ms a page (from the tab opened to the DOM read back)",
        per(ms)
    );
    println!(
        "browser CPU       {:.0} ms a page (user + system of all its processes, start-up included)",
        per(cpu)
    );
    println!(
        "browser memory    {:.0} MB at most (proportional set size of all its processes)",
        peak as f64 / 1024.0
    );
    println!(
        "browser requests  {:.1} a page, each through the crawler's host gate",
        per(requests)
    );
    Ok(())
}

/// The child process: serves the farm with the fixture HTTP server on the farm's loopback
/// addresses (IPv4 only, like the peers' nginx farm) and the test DNS server (each host's A
/// record from its `_dns.toml`), prints `READY <http port> <dns addr>`, and answers until its
/// stdin closes, then prints what its log says: `REQUESTS <n>`, the busiest host
/// (`HOST <name> <requests>`) and the busiest address (`ADDRESS <ip> <requests> <most in any
/// 1 s> <most in any 10 s>`).
async fn serve_farm(dir: &Path, addrs: &str) -> Result<()> {
    use tokio::io::AsyncReadExt;
    let addrs: Vec<std::net::Ipv4Addr> = addrs
        .split(',')
        .filter(|a| !a.is_empty())
        .map(|a| a.parse().context("a farm address"))
        .collect::<Result<_>>()?;
    let http = govwatch_testutil::FixtureServer::start_on_v4_addrs(dir, &addrs)
        .await
        .with_context(|| format!("serving {}", dir.display()))?;
    let net = TestNet::with_server(http, Vec::new()).await?;
    println!("READY {} {}", net.http.port(), net.dns.addr());
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    let log = net.http.requests();
    println!("REQUESTS {}", log.len());
    let mut hosts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_addr: BTreeMap<std::net::IpAddr, Vec<std::time::Instant>> = BTreeMap::new();
    for r in &log {
        *hosts.entry(r.host.as_str()).or_default() += 1;
        by_addr.entry(r.local.ip()).or_default().push(r.at);
    }
    if let Some((h, n)) = hosts.iter().max_by_key(|(_, n)| **n) {
        println!("HOST {h} {n}");
    }
    let busiest = by_addr
        .iter_mut()
        .map(|(ip, times)| {
            times.sort();
            let most = |w: Duration| {
                let mut best = 0;
                let mut j = 0;
                for i in 0..times.len() {
                    while times[i] - times[j] >= w {
                        j += 1;
                    }
                    best = best.max(i + 1 - j);
                }
                best
            };
            (
                *ip,
                times.len(),
                most(Duration::from_secs(1)),
                most(Duration::from_secs(10)),
            )
        })
        .max_by_key(|x| (x.1, x.2));
    if let Some((ip, n, w1, w10)) = busiest {
        println!("ADDRESS {ip} {n} {w1} {w10}");
    }
    Ok(())
}

/// The farm server, running in a child process so that its CPU time and memory are not counted
/// as the crawler's (the peers were measured against nginx in its own process too).
struct FarmServer {
    child: std::process::Child,
    port: u16,
    dns: String,
}

/// What the farm server's log said when it stopped.
#[derive(Debug, Default)]
struct ServerLog {
    requests: u64,
    busiest_host: Option<(String, u64)>,
    /// address, requests, most in any 1 s, most in any 10 s
    busiest_address: Option<(String, u64, u64, u64)>,
}

impl FarmServer {
    fn start(dir: &Path, addrs: &[std::net::Ipv4Addr]) -> Result<FarmServer> {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let exe = std::env::current_exe().context("finding this program")?;
        let mut child = Command::new(exe)
            .arg("--serve-farm")
            .arg(dir)
            .arg("--serve-addrs")
            .arg(
                addrs
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            )
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

    /// Stops the server; returns what its log says.
    fn stop(mut self) -> ServerLog {
        use std::io::BufRead;
        drop(self.child.stdin.take());
        let mut log = ServerLog::default();
        if let Some(out) = self.child.stdout.take() {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let parts: Vec<&str> = line.split_whitespace().collect();
                let num = |i: usize| {
                    parts
                        .get(i)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                match parts.first() {
                    Some(&"REQUESTS") => log.requests = num(1),
                    Some(&"HOST") if parts.len() == 3 => {
                        log.busiest_host = Some((parts[1].to_string(), num(2)))
                    }
                    Some(&"ADDRESS") if parts.len() == 5 => {
                        log.busiest_address = Some((parts[1].to_string(), num(2), num(3), num(4)))
                    }
                    _ => {}
                }
            }
        }
        let _ = self.child.wait();
        log
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

/// The figures of one finished child process (`wait4`, as `/usr/bin/time` reads them).
struct ChildUsage {
    status: i32,
    user: Duration,
    sys: Duration,
    max_rss_kib: u64,
}

/// Runs `cmd` to its end and reads its resource usage from the kernel, as `/usr/bin/time -v`
/// does (`wait4`): CPU user and system time and peak RSS of that process alone.
fn run_measured(cmd: &mut std::process::Command) -> Result<(ChildUsage, Duration)> {
    let t = Instant::now();
    let child = cmd.spawn().context("starting govwatch run")?;
    let pid = child.id() as libc::pid_t;
    // SAFETY: `rusage` is a plain C struct of integers, for which all-zero bytes are valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let mut status: libc::c_int = 0;
    // SAFETY: `pid` is our own child, not yet waited for; `status` and `ru` are valid and
    // writable for the call. The `Child` is forgotten after, so it never waits again.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = t.elapsed();
    std::mem::forget(child);
    if rc != pid {
        bail!(
            "waiting for govwatch run: {}",
            std::io::Error::last_os_error()
        );
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((
        ChildUsage {
            status: code,
            user: tv(ru.ru_utime),
            sys: tv(ru.ru_stime),
            max_rss_kib: ru.ru_maxrss.max(0) as u64,
        },
        wall,
    ))
}

/// The `govwatch` binary: `--govwatch FILE`, else the one beside this program.
fn govwatch_binary(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = given {
        // the run starts in a folder of its own: a relative path must not depend on it
        return std::fs::canonicalize(p).with_context(|| format!("--govwatch {}", p.display()));
    }
    let me = std::env::current_exe().context("finding this program")?;
    let p = me.with_file_name(format!("govwatch{}", std::env::consts::EXE_SUFFIX));
    if !p.is_file() {
        bail!(
            "{} not found: build it (cargo build --release -p govwatch) or pass --govwatch FILE",
            p.display()
        );
    }
    Ok(p)
}

/// A TOML string.
fn toml_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The farm's `crawl.toml`: the shipped settings but what a loopback farm needs (private
/// addresses, its DNS server, no night window so every site is in flight at once, a page budget
/// and depth that reach every page) and the benchmark's politeness.
fn crawl_toml(a: &Args, pol: &Politeness, dns: Option<&str>) -> String {
    let mut t = String::from("# written by govwatch-bench: shipped settings, except\n");
    t.push_str("allow_private = true\nnight_end = \"\"\n");
    // `govwatch run` refuses the example contact address (it goes to every site inspected)
    t.push_str("contact = \"govwatch-bench@inspection.test\"\n");
    t.push_str(&format!("max_pages = {}\nmax_depth = 10\n", a.pages + 10));
    if let Some(d) = dns {
        // the farm's DNS server answers for the farm's zone too (asked on its port)
        let port = d.rsplit(':').next().unwrap_or("53");
        t.push_str(&format!(
            "dns_servers = [{}]\ndns_port = {port}\n",
            toml_str(d)
        ));
    }
    if pol.rate >= 1e6 {
        // no rate limit, like the peers' runs (on the host and on the address)
        t.push_str(&format!(
            "rate = {:.1}\nburst = {}\nhost_concurrency = {}\naddress_rate = 1000000.0\naddress_concurrency = 64\n",
            pol.rate, pol.burst, pol.host_concurrency
        ));
    } else {
        t.push_str(&format!(
            "rate = {}\nburst = {}\nhost_concurrency = {}\n",
            pol.rate, pol.burst, pol.host_concurrency
        ));
    }
    if a.site_concurrency > 0 {
        t.push_str(&format!("site_concurrency = {}\n", a.site_concurrency));
    }
    t.push_str(&format!("render = {}\n", toml_str(&a.render)));
    for kv in &a.set {
        t.push_str(kv);
        t.push('\n');
    }
    t
}

/// The farm's `sites.toml`.
fn sites_toml(homes: &[url::Url]) -> String {
    let mut t = String::new();
    for (i, home) in homes.iter().enumerate() {
        t.push_str(&format!(
            "[[site]]\nid = {}\nname = {}\nhome = {}\norg = \"示例县人民政府办公室\"\nregion = \"示例县\"\nkind = \"portal\"\n\n",
            toml_str(&farm::site_id(i)),
            toml_str(&farm::site_name(i)),
            toml_str(home.as_str()),
        ));
    }
    t
}

/// A `key=value` field of the runner's `run finished` / `plan updated` log lines.
fn log_field(stderr: &str, event: &str, key: &str) -> Option<String> {
    let tag = format!("govwatch_runner: {event}");
    let line = stderr.lines().rev().find(|l| l.contains(&tag))?;
    let at = line.find(&format!(" {key}="))? + key.len() + 2;
    let rest = &line[at..];
    let v = rest.split_whitespace().next()?.trim_matches('"');
    Some(v.to_string())
}

async fn bench(a: Args) -> Result<()> {
    let pol = politeness(&a)?;
    if a.sites == 0 || a.pages == 0 {
        bail!("--sites and --pages must be at least 1");
    }
    let govwatch = govwatch_binary(a.govwatch.as_deref())?;

    // 1. The farm, and 2. its servers in a child process (or a farm served already).
    let (dir, server, homes) = match &a.urls {
        Some(file) => (None, None, served_homes(file, a.sites)?),
        None => {
            let (dir, server, homes) = start_farm(&a)?;
            (Some(dir), Some(server), homes)
        }
    };

    // 3. A configuration for the farm, and `govwatch run` on it.
    let setup = RunSetup::write(&a, &pol, server.as_ref().map(|s| s.dns.as_str()), &homes)?;
    let mut cmd = setup.command(&govwatch, &pol)?;

    // 4. The run, measured as /usr/bin/time measures it.
    let run = Measured::run(&mut cmd, &setup.err_path)?;

    // 5. The figures, from the store.
    let fig = Figures::read(&setup.db_path, a.sites, &homes)?;
    let server_log = server.map(|s| s.stop());
    let db_bytes = db_size(&setup.db_path);
    // Every file of the farm, and the home page twice (`/` and `/index.html`, both linked).
    let farm_urls = (a.sites * (a.pages + COLUMN_PAGES + 1)) as u64;

    // 6. What they say, and the row of the peer table.
    println!();
    print_work(&a, &run, &fig, server_log.as_ref(), farm_urls);
    print_costs(&a, &run, &fig, db_bytes);
    print_politeness(&pol, &run, &fig, server_log.as_ref(), farm_urls);
    println!();
    print_table(&pol, &run, fig.pages);
    if let Some(FarmDir::Kept(p)) = &dir {
        println!("farm kept in {}", p.display());
    }
    Ok(())
}

/// The home URLs of a farm served already (`--urls FILE`), one a line; as many as `--sites`.
fn served_homes(file: &Path, sites: usize) -> Result<Vec<url::Url>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let homes: Vec<url::Url> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| url::Url::parse(l).with_context(|| format!("{}: bad URL {l:?}", file.display())))
        .collect::<Result<_>>()?;
    if homes.len() != sites {
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
    Ok(homes)
}

/// Writes the farm and starts its servers in a child process: the farm's folder, its server
/// and its home URLs.
fn start_farm(a: &Args) -> Result<(FarmDir, FarmServer, Vec<url::Url>)> {
    let page_kb = match a.page_kb {
        0 => std::env::var("FARM_PAGE_KB")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        n => n,
    };
    let layout = farm::Layout {
        page_kb,
        addresses: a.addresses,
    };
    let dir = farm_dir(a.keep.as_deref())?;
    let t = Instant::now();
    let stats = farm::generate_with(dir.path(), a.sites, a.pages, &layout)
        .with_context(|| format!("writing the farm to {}", dir.path().display()))?;
    let gen_time = t.elapsed();
    let n_addr = if a.addresses == 0 {
        a.sites
    } else {
        a.addresses.min(a.sites)
    };
    println!(
        "farm: {} sites x {} pages (+6 column pages each) on {} address(es): {} files, \
         {:.1} MB, {:.1} KB a page (column pages aside), written to {} in {:.1} s",
        a.sites,
        a.pages,
        n_addr,
        thousands(stats.files as u64),
        stats.bytes as f64 / 1e6,
        stats.page_bytes as f64 / (a.sites * a.pages) as f64 / 1e3,
        dir.path().display(),
        secs(gen_time),
    );
    let addrs: Vec<std::net::Ipv4Addr> = (0..n_addr).map(farm::address).collect();
    let server = FarmServer::start(dir.path(), &addrs)?;
    let homes = (0..a.sites).map(|i| server.url(&farm::host(i))).collect();
    Ok((dir, server, homes))
}

/// The run's folder (removed afterwards): its configuration, its database (unless `--db`) and
/// the run's output.
struct RunSetup {
    work: tempfile::TempDir,
    config: PathBuf,
    /// The `crawl.toml` written.
    crawl: String,
    db_path: PathBuf,
    out_path: PathBuf,
    err_path: PathBuf,
}

impl RunSetup {
    /// Writes the farm's configuration (`crawl.toml`, `sites.toml`) in a new temp folder.
    fn write(
        a: &Args,
        pol: &Politeness,
        dns: Option<&str>,
        homes: &[url::Url],
    ) -> Result<RunSetup> {
        let work = tempfile::Builder::new()
            .prefix("govwatch-bench-run-")
            .tempdir()
            .context("creating a temp dir for the configuration")?;
        let config = work.path().join("config");
        std::fs::create_dir_all(&config)?;
        let crawl = crawl_toml(a, pol, dns);
        std::fs::write(config.join("crawl.toml"), &crawl)?;
        std::fs::write(config.join("sites.toml"), sites_toml(homes))?;
        let db_path = match &a.db {
            Some(p) => {
                if p.exists() {
                    bail!("--db {}: the file exists; give a new one", p.display());
                }
                p.clone()
            }
            None => work.path().join("bench.db"),
        };
        let out_path = work.path().join("run.out");
        let err_path = work.path().join("run.err");
        Ok(RunSetup {
            work,
            config,
            crawl,
            db_path,
            out_path,
            err_path,
        })
    }

    /// The `govwatch run` command on the farm (said on stdout).
    fn command(&self, govwatch: &Path, pol: &Politeness) -> Result<std::process::Command> {
        let mut cmd = std::process::Command::new(govwatch);
        cmd.arg("run")
            .arg("--config")
            .arg(&self.config)
            .arg("--db")
            .arg(&self.db_path)
            .current_dir(self.work.path())
            .env("RUST_LOG", "warn,govwatch_runner=info")
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(&self.out_path)?)
            .stderr(std::fs::File::create(&self.err_path)?);
        println!(
            "crawl: {} run --config {} --db {} ({}; crawl.toml as shipped but: {})",
            govwatch.display(),
            self.config.display(),
            self.db_path.display(),
            pol.label,
            self.crawl.lines().skip(1).collect::<Vec<_>>().join(", ")
        );
        Ok(cmd)
    }
}

/// The run as measured: the child's usage, its wall time and what it logged.
struct Measured {
    usage: ChildUsage,
    wall: Duration,
    stderr: String,
    /// CPU user + system.
    cpu: Duration,
    rss_mb: f64,
}

impl Measured {
    /// Runs `cmd` to its end (its log in `err_path`); an exit status other than 0 or 1 fails
    /// with the log's last lines. The plan's lines (`计划…`) are shown.
    fn run(cmd: &mut std::process::Command, err_path: &Path) -> Result<Measured> {
        let (usage, wall) = run_measured(cmd)?;
        let stderr = std::fs::read_to_string(err_path).unwrap_or_default();
        if std::env::var_os("GOVWATCH_BENCH_SHOW_LOG").is_some() {
            eprintln!("{stderr}");
        }
        if !matches!(usage.status, 0 | 1) {
            let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
            bail!(
                "govwatch run exited with {}: {}",
                usage.status,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        let cpu = usage.user + usage.sys;
        let rss_mb = usage.max_rss_kib as f64 / 1024.0;
        for l in stderr.lines().filter(|l| l.starts_with("计划")) {
            eprintln!("  {l}");
        }
        Ok(Measured {
            usage,
            wall,
            stderr,
            cpu,
            rss_mb,
        })
    }

    /// A field of the run's log line `event`.
    fn field(&self, event: &str, key: &str) -> Option<String> {
        log_field(&self.stderr, event, key)
    }

    /// A number of the run's log line `event`.
    fn num(&self, event: &str, key: &str) -> Option<u64> {
        self.field(event, key).and_then(|v| v.parse::<u64>().ok())
    }
}

/// What the store says of the run.
struct Figures {
    sites_stored: usize,
    pages: u64,
    fetches: u64,
    findings: u64,
    /// The crawler's own count of HTML pages, bytes and failed fetches, from `crawl.summary`.
    html_pages: u64,
    body_bytes: u64,
    fetch_errors: u64,
    by_code: BTreeMap<String, u64>,
    /// Findings the farm did not plant (`site code url`).
    unexpected: Vec<String>,
    /// Planted findings not found.
    missing: usize,
}

impl Figures {
    /// Reads the latest run of the database.
    fn read(db_path: &Path, sites: usize, homes: &[url::Url]) -> Result<Figures> {
        let store =
            Store::open(db_path).with_context(|| format!("opening {}", db_path.display()))?;
        let run_id = store
            .latest_run()?
            .map(|r| r.id)
            .context("the run is not in the database")?;
        let summary = store.run_summary(run_id)?;
        let pages: u64 = summary.iter().map(|s| s.pages).sum();
        let fetches: u64 = summary.iter().map(|s| s.fetches).sum();
        let findings: u64 = summary.iter().map(|s| s.findings).sum();
        // The crawler's own count of HTML pages, bytes and failed fetches, from `crawl.summary`.
        let (mut html_pages, mut body_bytes, mut fetch_errors) = (0u64, 0u64, 0u64);
        for f in store.facts(run_id, None)? {
            if f.fact.code == "crawl.summary" {
                let get = |k: &str| f.fact.value.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
                html_pages += get("html_pages");
                body_bytes += get("bytes");
                fetch_errors += get("fetch_errors");
            }
        }
        let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
        for s in &summary {
            for (code, n) in &s.by_code {
                *by_code.entry(code.clone()).or_insert(0) += n;
            }
        }
        let stored: Vec<&str> = summary.iter().map(|s| s.site_id.as_str()).collect();
        let (unexpected, missing) = against_planted(&store, run_id, sites, homes, &stored)?;
        Ok(Figures {
            sites_stored: summary.len(),
            pages,
            fetches,
            findings,
            html_pages,
            body_bytes,
            fetch_errors,
            by_code,
            unexpected,
            missing,
        })
    }
}

/// The run's findings against those the farm planted: the ones it did not plant, and how many
/// planted ones a stored site missed (the first three shown).
fn against_planted(
    store: &Store,
    run_id: i64,
    sites: usize,
    homes: &[url::Url],
    stored: &[&str],
) -> Result<(Vec<String>, usize)> {
    let report_sites: Vec<String> = (0..sites).map(farm::site_id).collect();
    let mut unexpected: Vec<String> = Vec::new();
    let mut missing = 0usize;
    for (i, site) in report_sites.iter().enumerate() {
        let want: std::collections::BTreeSet<(String, String)> =
            planted(homes[i].as_str()).into_iter().collect();
        let got: std::collections::BTreeSet<(String, String)> = store
            .findings(run_id, Some(site))?
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
        if stored.contains(&site.as_str()) {
            for m in want.difference(&got) {
                missing += 1;
                if missing <= 3 {
                    println!("missed: {site} {} {}", m.0, m.1);
                }
            }
        }
    }
    Ok((unexpected, missing))
}

/// The figures of the work done: sites, time, rendering, pages, requests, plan, bytes.
fn print_work(
    a: &Args,
    run: &Measured,
    fig: &Figures,
    server_log: Option<&ServerLog>,
    farm_urls: u64,
) {
    let num = |event: &str, key: &str| run.num(event, key);
    let (wall, pages) = (run.wall, fig.pages);
    let requests = num("run finished", "requests").unwrap_or(0);
    println!(
        "sites stored      {} of {} (govwatch run exit status {})",
        thousands(fig.sites_stored as u64),
        a.sites,
        run.usage.status
    );
    println!(
        "wall time         {:.2} s (the whole command: configuration, plan, crawl, store, accounts; \
         the run itself {:.2} s)",
        secs(wall),
        num("run finished", "wall_ms").unwrap_or(0) as f64 / 1000.0
    );
    let rendered = num("run finished", "rendered_pages").unwrap_or(0);
    println!(
        "render            {}: {} pages rendered in Chromium{} (`--render-fixtures` measures the browser)",
        a.render,
        thousands(rendered),
        match (
            num("run finished", "render_ms").and_then(|v| v.checked_div(rendered)),
            num("run finished", "render_cpu_ms").and_then(|v| v.checked_div(rendered)),
        ) {
            (Some(ms), Some(cpu)) => format!(
                ", {ms} ms and {cpu} ms of browser CPU a page, peak browser memory {} MB",
                num("run finished", "render_peak_mb").unwrap_or(0)
            ),
            _ => String::new(),
        }
    );
    println!(
        "pages             {} (store: sum of pages over run_summary; HTML {}, the rest the broken \
         link's 404 page; the farm has {} HTML URLs, `/` and `/index.html` counted apart)",
        thousands(pages),
        thousands(fig.html_pages),
        thousands(farm_urls)
    );
    println!(
        "HTTP requests     {} sent (fetch records stored {}, robots.txt and link checks included; \
         the server logged {})",
        thousands(requests),
        thousands(fig.fetches),
        match server_log {
            Some(l) => thousands(l.requests),
            None => "-".into(),
        }
    );
    println!(
        "plan              {} requests planned before the first request, {} once the first home \
         pages were read, {} made ({:.2}× of the updated estimate)",
        thousands(num("run finished", "planned_requests").unwrap_or(0)),
        num("plan updated", "replanned_requests")
            .map(thousands)
            .unwrap_or_else(|| "-".into()),
        thousands(requests),
        num("plan updated", "replanned_requests")
            .map(|e| e as f64 / requests.max(1) as f64)
            .unwrap_or(0.0),
    );
    println!(
        "failed fetches    {} (crawl.summary fetch_errors over every site)",
        fig.fetch_errors
    );
    println!(
        "bytes             {:.1} MB of bodies read",
        fig.body_bytes as f64 / 1e6
    );
    println!("pages/s           {:.0}", per_sec(pages, wall));
}

/// The figures of what the work cost and found: CPU, memory, findings, the database.
fn print_costs(a: &Args, run: &Measured, fig: &Figures, db_bytes: u64) {
    let (usage, cpu, wall, pages) = (&run.usage, run.cpu, run.wall, fig.pages);
    let requests = run.num("run finished", "requests").unwrap_or(0);
    println!(
        "CPU user+sys      {:.2} s (user {:.2} s, sys {:.2} s) of the govwatch process (wait4, as /usr/bin/time)",
        secs(cpu),
        secs(usage.user),
        secs(usage.sys),
    );
    println!("CPU ms/page       {}", ms_per(cpu, pages));
    println!("CPU ms/request    {}", ms_per(cpu, requests));
    println!(
        "CPU use           {:.0}% of one core (2 cores = 200%)",
        100.0 * secs(cpu) / secs(wall).max(1e-9)
    );
    println!(
        "peak RSS          {:.0} MB (ru_maxrss of the govwatch process; its budget checks saw {} MB, \
         new sites held {} s)",
        run.rss_mb,
        run.num("run finished", "peak_resident_mb").unwrap_or(0),
        run.num("run finished", "memory_held_secs").unwrap_or(0),
    );
    let codes: Vec<String> = fig
        .by_code
        .iter()
        .map(|(c, n)| format!("{c} x{n}"))
        .collect();
    println!(
        "findings          {} ({})",
        thousands(fig.findings),
        codes.join(", ")
    );
    println!(
        "beyond planted    {} finding(s) the farm did not plant; {} planted finding(s) missed",
        fig.unexpected.len(),
        fig.missing
    );
    for u in fig.unexpected.iter().take(10) {
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
}

/// The politeness figures (under a rate limit), the server's own log, and a warning when pages
/// of the farm were not reached.
fn print_politeness(
    pol: &Politeness,
    run: &Measured,
    fig: &Figures,
    server_log: Option<&ServerLog>,
    farm_urls: u64,
) {
    let field = |event: &str, key: &str| run.field(event, key);
    let num = |event: &str, key: &str| run.num(event, key);
    if pol.rate < 1e6 {
        let host_bound = num("run finished", "host_bound_ms").unwrap_or(0) as f64 / 1000.0;
        let addr_bound = num("run finished", "address_bound_ms").unwrap_or(0) as f64 / 1000.0;
        let bound = host_bound.max(addr_bound);
        println!(
            "politeness bound  {bound:.1} s: busiest host {} ({} requests at {} request(s)/s, {host_bound:.1} s), \
             busiest address {} ({} requests at address_rate, {addr_bound:.1} s); wall / bound = {:.3}",
            field("run finished", "busiest_host").unwrap_or_default(),
            num("run finished", "busiest_host_requests").unwrap_or(0),
            pol.rate,
            field("run finished", "busiest_address").unwrap_or_default(),
            num("run finished", "busiest_address_requests").unwrap_or(0),
            secs(run.wall) / bound.max(1e-9)
        );
    }
    if let Some(l) = server_log
        && let Some((ip, n, w1, w10)) = &l.busiest_address
    {
        println!(
            "server log        busiest address {ip}: {n} requests, at most {w1} in any 1 s and {w10} \
             in any 10 s; busiest host {}",
            l.busiest_host
                .as_ref()
                .map(|(h, n)| format!("{h}: {n} requests"))
                .unwrap_or_default()
        );
    }
    if fig.html_pages < farm_urls && fig.sites_stored > 0 {
        println!(
            "warning: {} HTML pages crawled, the farm has {} HTML URLs: some were not reached",
            thousands(fig.html_pages),
            thousands(farm_urls)
        );
    }
}

/// The run's row of the peer table (`../shared/bench/README.md`).
fn print_table(pol: &Politeness, run: &Measured, pages: u64) {
    println!(
        "| crawler | wall | CPU (user+sys) | pages/s | CPU ms/page | peak RSS | work per page |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| govwatch {} run, {} | {:.1} s | {:.1} s | {} | {} | {:.0} MB | decode, DOM, every probe, SQLite, archived body |",
        env!("CARGO_PKG_VERSION"),
        pol.label,
        secs(run.wall),
        secs(run.cpu),
        thousands(per_sec(pages, run.wall).round() as u64),
        ms_per(run.cpu, pages),
        run.rss_mb,
    );
}

/// Column pages per site, besides the numbered pages.
const COLUMN_PAGES: usize = farm::COLUMNS.len();
