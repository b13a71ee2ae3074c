//! How a run shows itself on the terminal: the plan before it starts, a progress bar with the ETA
//! (on a terminal only), sites done, and the closing lines (wall time against the politeness bound).
//!
//! Main type: [`RunView`]; helpers [`human`] (durations) and [`count`] (thousands).

use govwatch_runner::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub(crate) fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} 次请求 (requests), 剩余约 (ETA) {eta} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb
}

/// A spinner with the elapsed time and `msg` on stderr while a long step works (a terminal only).
pub(crate) fn spinner(msg: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("valid template"),
    );
    pb.set_message(msg);
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

/// A duration for people: `1 h 05 min`, `3 min 04 s`, `12.3 s`.
pub(crate) fn human(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A thousands-separated count.
pub(crate) fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Shows a run's progress: the plan before it starts, requests done and the ETA on a terminal,
/// sites done.
pub(crate) struct RunView {
    pb: ProgressBar,
    sites: u64,
    done: u64,
}

impl RunView {
    pub(crate) fn new() -> RunView {
        RunView {
            // no bar before the plan: a bar of length 0 draws full (0/0)
            pb: ProgressBar::hidden(),
            sites: 0,
            done: 0,
        }
    }

    pub(crate) fn on(&mut self, p: Progress) {
        match p {
            Progress::Planned(plan) => {
                let night = plan
                    .night_end
                    .map(|t| format!("，夜间截止 (night ends) {}", t.format("%H:%M")))
                    .unwrap_or_default();
                self.pb.suspend(|| {
                    eprintln!(
                        "计划 (plan)：{} 个网站 (sites)，同时检查 {} 个 (in flight)，预计 {} 次请求 \
                         (requests; {} 个网站按上次运行估计)，礼貌上限 (politeness bound) {}\
                         （最慢的网站 {}），预计完成 (expected finish) {}{night}",
                        plan.sites,
                        plan.in_flight,
                        count(plan.requests),
                        plan.from_history,
                        human(plan.bound),
                        human(plan.longest_site),
                        plan.expected_finish.format(govwatch_model::time::DISPLAY_FORMAT),
                    )
                });
                self.pb = progress_bar(plan.requests.max(1));
            }
            Progress::Replanned(plan) => {
                self.pb.suspend(|| {
                    eprintln!(
                        "计划更新 (plan updated)：预计 {} 次请求（其中 {} 个网站按本次首页的链接估计），\
                         礼貌上限 (politeness bound) {}，预计完成 (expected finish) {}",
                        count(plan.requests),
                        plan.from_home,
                        human(plan.bound),
                        plan.expected_finish.format(govwatch_model::time::DISPLAY_FORMAT),
                    )
                });
                self.pb
                    .set_length(plan.requests.max(self.pb.position()).max(1));
            }
            Progress::MemoryHeld {
                resident_mb,
                budget_mb,
                in_flight,
                waiting,
            } => {
                self.pb.set_message(format!(
                    "网站 (sites) {}/{} — 内存 (memory) {resident_mb}/{budget_mb} MB，接近上限，\
                     暂缓启动新网站（{in_flight} 个检查中，{waiting} 个等待）",
                    self.done, self.sites
                ));
            }
            Progress::Started {
                total,
                already_done,
                ..
            } => {
                self.sites = total as u64;
                self.done = already_done as u64;
                self.pb
                    .set_message(format!("网站 (sites) {}/{}", self.done, self.sites));
            }
            Progress::Tick { requests } => {
                if requests > self.pb.length().unwrap_or(0) {
                    self.pb.set_length(requests);
                }
                self.pb.set_position(requests);
            }
            Progress::SiteDone { site, findings, .. } => {
                self.done += 1;
                self.pb.set_message(format!(
                    "网站 (sites) {}/{} — {}（{findings} 个问题）",
                    self.done, self.sites, site.name
                ));
            }
        }
    }

    /// The closing lines: wall time against the politeness bound the run met.
    pub(crate) fn finish(&self, r: &govwatch_runner::RunReport) {
        self.pb.finish_and_clear();
        let (bound, busiest) = match &r.busiest_host {
            Some((host, n, d)) => (
                *d,
                format!("；最忙的主机 (busiest host) {host}：{} 次请求", count(*n)),
            ),
            None => (std::time::Duration::ZERO, String::new()),
        };
        let ratio = if bound.as_secs_f64() > 0.0 {
            format!("（{:.2}×）", r.wall.as_secs_f64() / bound.as_secs_f64())
        } else {
            String::new()
        };
        eprintln!(
            "用时 (wall) {}，礼貌上限 (politeness bound) {}{ratio}{busiest}；共 {} 次请求 (requests)",
            human(r.wall),
            human(bound),
            count(r.requests),
        );
        if let Some(st) = r.render.filter(|st| st.pages > 0) {
            eprintln!(
                "浏览器读取 (rendered) {} 个页面：每页 {} 毫秒，浏览器 CPU 每页 {} 毫秒，内存峰值 {} MB",
                count(st.pages),
                st.total_ms / st.pages,
                st.cpu_ms / st.pages,
                st.peak_rss_kib / 1024
            );
        }
    }
}
