//! `govwatch demo`: the project's fixture sites served on loopback (HTTP and DNS from
//! `govwatch-testutil`), crawled politely by the real crawler, stored like a nightly run, then
//! scored and reported (HTML and XLSX, with the WARC, into `--out`, default `demo-out/`).
//!
//! The demo is reproducible: the monitoring time defaults to the one the fixtures are written for
//! ([`DEMO_AS_OF`](govwatch_runner::demo::DEMO_AS_OF)) and the fixture server listens on a fixed
//! port ([`DEMO_PORT`](govwatch_runner::demo::DEMO_PORT)), so two demos store the same findings.
//!
//! The fixture server is test machinery, so it is only in builds with the `demo` feature (on by
//! default); without it `govwatch demo` says so. The fixture sites are built into the binary
//! (`build.rs`: every file of `fixtures/sites`) and unpacked into a temporary folder for the
//! demo's time, so an installed `govwatch demo` works from any folder; `--fixtures DIR` serves
//! another folder instead. The binary carries no path of the machine that built it.

use crate::cli::DemoArgs;
use anyhow::Result;

#[cfg(feature = "demo")]
include!(concat!(env!("OUT_DIR"), "/demo_fixtures.rs"));

/// The built-in fixture sites written into `dir` (a fresh temporary folder).
#[cfg(feature = "demo")]
fn unpack_fixtures(dir: &std::path::Path) -> std::io::Result<()> {
    for (rel, bytes) in DEMO_FIXTURES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(())
}

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

    // the built-in sites unpack into a temporary folder, removed when the demo ends
    let (fixtures, _unpacked, source) = match a.fixtures {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(anyhow!(
                    "{}：不是文件夹，无法提供示例网站（--fixtures 应指向一个示例网站文件夹）",
                    dir.display()
                ));
            }
            let source = format!("{} 中的示例网站", dir.display());
            (dir, None, source)
        }
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("govwatch-demo-")
                .tempdir()
                .context("无法建立临时文件夹来放置内置示例网站")?;
            unpack_fixtures(tmp.path()).with_context(|| {
                format!("无法把内置示例网站写入临时文件夹 {}", tmp.path().display())
            })?;
            (
                tmp.path().to_path_buf(),
                Some(tmp),
                "内置示例网站".to_string(),
            )
        }
    };
    let as_of = monitoring_time(Some(&a.as_of))?;
    eprintln!(
        "govwatch demo：在本机 127.0.0.1:{} 提供{source}，按每个主机每秒 1 次请求检查，\
         监测时间点 {}…",
        a.port,
        govwatch_model::time::display(&as_of)
    );
    let cannot_start = || format!("无法启动示例网站（{}）", fixtures.display());
    let net = match TestNet::start_on(&fixtures, a.port).await {
        Ok(net) => net,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return Err(anyhow!(
                "本机端口 127.0.0.1:{} 已被占用（也许另一个演示还在运行）：请先停止它，或用 \
                 --port N 换一个端口（问题的网址带端口号，`report --since` 只能比较同一端口的演示）",
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
    let rules = super::score_rules(std::path::Path::new("config"))?;
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
        outln!("报告 (report)：{}", absolute(&p).display());
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
        "这个 govwatch 构建时没有包含演示（cargo 特性 demo）：请用 `cargo install --locked --path .` \
         或 `cargo build --features demo` 重新构建后再运行演示"
    ))
}

#[cfg(feature = "demo")]
fn absolute(p: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
