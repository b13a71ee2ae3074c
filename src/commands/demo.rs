//! `govwatch demo`: the project's fixture sites served on loopback (HTTP and DNS from
//! `govwatch-testutil`), crawled politely by the real crawler, stored like a nightly run, then
//! scored and reported (HTML and XLSX, with the WARC, into `--out`, default `demo-out/`).
//!
//! The demo is reproducible: the monitoring time defaults to the one the fixtures are written for
//! ([`DEMO_AS_OF`](govwatch_runner::demo::DEMO_AS_OF)) and the fixture server listens on a fixed
//! port ([`DEMO_PORT`](govwatch_runner::demo::DEMO_PORT)), so two demos store the same findings.
//!
//! The fixture server is test machinery, so it is only in builds with the `demo` feature (on by
//! default); without it `govwatch demo` says so. The fixture sites are read from `--fixtures`, or
//! from `fixtures/sites` under the working directory (the project folder): the binary carries no
//! path of the machine that built it.

use crate::cli::DemoArgs;
use anyhow::Result;

/// Where the demo's fixture sites are looked for when `--fixtures` is not given, relative to the
/// working directory.
#[cfg_attr(not(feature = "demo"), allow(dead_code))]
const FIXTURES: &str = "fixtures/sites";

#[cfg(feature = "demo")]
/// Runs `govwatch demo`.
pub(crate) async fn cmd_demo(a: DemoArgs) -> Result<u8> {
    use super::report::{run_title, write_report};
    use super::run::print_summary;
    use super::score::{print_account_verdicts, print_verdicts};
    use super::{EXIT_CLEAN, monitoring_time};
    use crate::progress::RunView;
    use anyhow::{Context, anyhow};
    use govwatch_store::Store;
    use govwatch_testutil::TestNet;
    use govwatch_testutil::fixtures::load_fixture_sites;
    use std::path::PathBuf;

    let fixtures = match a.fixtures {
        Some(dir) => dir,
        None => {
            let local = PathBuf::from(FIXTURES);
            if !local.is_dir() {
                let cwd = std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|_| ".".into());
                return Err(anyhow!(
                    "no fixture sites: {FIXTURES} is not a folder under the working directory \
                     {cwd}; run the demo from the govwatch project folder or give --fixtures DIR"
                ));
            }
            local
        }
    };
    let as_of = monitoring_time(Some(&a.as_of))?;
    eprintln!(
        "govwatch demo: 在本机 127.0.0.1:{} 提供 {} 中的示例网站，按每个主机每秒 1 次请求检查，\
         监测时间点 {}…",
        a.port,
        fixtures.display(),
        govwatch_model::time::display(&as_of)
    );
    let cannot_start = || format!("cannot start the fixture sites from {}", fixtures.display());
    let net = match TestNet::start_on(&fixtures, a.port).await {
        Ok(net) => net,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return Err(anyhow!(
                "port {} on 127.0.0.1 is taken (another demo still running?): stop it, or give \
                 --port N (the findings' URLs carry the port, so `report --since` compares only \
                 demos on one port)",
                a.port
            ));
        }
        Err(e) => return Err(anyhow::Error::new(e).context(cannot_start())),
    };
    let sites = load_fixture_sites(&fixtures, |h| net.http.url(h, "/"))
        .with_context(cannot_start)?
        .into_iter()
        .map(|f| f.site)
        .collect();
    let demo_net = govwatch_runner::demo::DemoNet {
        sites,
        root: &fixtures,
        http_port: net.http.port(),
        dns: net.dns.addr(),
    };
    let mut view = RunView::new();
    let (report, _) =
        govwatch_runner::demo::run_demo(demo_net, &a.db, as_of, |p| view.on(p)).await?;
    view.finish(&report);
    let mut store = Store::open(&a.db)?;
    print_summary(&store, report.run_id)?;
    outln!(
        "已存入 {}（第 {} 次检查）；问题：网站 {} 个，政务新媒体 {} 个",
        a.db.display(),
        report.run_id,
        report.findings,
        report.account_findings
    );
    let indicators = PathBuf::from("config").join(govwatch_score::INDICATORS_FILE);
    let rules = if indicators.is_file() {
        govwatch_score::load_rules(&indicators)?
    } else {
        govwatch_score::shipped_rules()
    };
    let dir = a.out.clone();
    let set = govwatch_score::score_run(&store, report.run_id, &rules)?;
    store.write_scores(&set)?;
    print_verdicts(&store, &set)?;
    print_account_verdicts(&store, report.run_id, &rules, false)?;
    let title = run_title(&store, report.run_id)?;
    let written = write_report(
        &mut store,
        report.run_id,
        &rules,
        title,
        None,
        &["html".into(), "xlsx".into()],
        &dir,
    )?;
    for p in written {
        outln!("报告 (report): {}", absolute(&p).display());
    }
    outln!(
        "下一步 (next)：govwatch status · govwatch score · govwatch findings · govwatch show ID · govwatch serve"
    );
    Ok(EXIT_CLEAN)
}

/// Without the `demo` feature there is no fixture server to run the demo on.
#[cfg(not(feature = "demo"))]
/// Runs `govwatch demo`.
pub(crate) async fn cmd_demo(_: DemoArgs) -> Result<u8> {
    Err(anyhow::anyhow!(
        "this govwatch was built without the demo (cargo feature `demo`): \
         build it with `cargo build --features demo` to run the fixture sites"
    ))
}

#[cfg(feature = "demo")]
fn absolute(p: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
