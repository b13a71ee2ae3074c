//! `/runs/{run}/accounts`: the new-media accounts of a run — each account's verdict (合格, 不合格,
//! 未监测 and why) and every finding of it, each linking to its evidence page
//! (`/findings/{id}`), so that media findings are reachable like the sites' ones.

use super::report_data;
use crate::layout::{self, time};
use crate::{App, WebError};
use axum::extract::{Path, State};
use axum::response::Html;
use govwatch_store::Store;
use maud::{Markup, html};
use std::sync::Arc;

pub async fn handler(
    State(app): State<Arc<App>>,
    Path(run_id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let m = app
        .with_store(move |store, app| render(store, app, run_id))
        .await?;
    Ok(Html(m.into_string()))
}

fn render(store: &Store, app: &App, run_id: i64) -> Result<Markup, WebError> {
    let (d, _) = report_data(store, app, run_id)?;
    let m = &d.media;
    let title = format!("第 {run_id} 次检查：政务新媒体账号");
    let body = html! {
        p.breadcrumb {
            a href="/" { "检查批次" } " › " a href={ "/runs/" (run_id) } { "第 " (run_id) " 次" }
            " › 政务新媒体账号"
        }
        h1 { (title) }
        @if m.accounts.is_empty() {
            p { "本批次未检查政务新媒体账号。" }
        } @else {
            p {
                "账号 " strong.count { (m.figures.accounts) } " 个：合格 " (m.figures.passed)
                " 个，不合格 " (m.figures.failed) " 个，未监测 " (m.figures.not_measured) " 个。"
            }
            @for a in &m.accounts {
                @let verdict = m.verdict(&a.key).map(|v| govwatch_score::account_verdict_zh(&v.verdict)).unwrap_or("—");
                section.account id=(a.key) {
                    h2 { (a.name) " " span.note { (a.platform_zh()) " · " code { (a.key) } } }
                    p {
                        "主办单位 " (a.org) "；地区 " (a.region) "；所属网站 "
                        a href={ "/runs/" (run_id) "/sites/" (a.site_id) } { (a.site_id) }
                        "；订阅源内容 " (a.posts) " 条；结论 " strong { (verdict) }
                        @if let Some((_, why)) = m.not_measured.iter().find(|(k, _)| k == &a.key) {
                            "（" (why) "）"
                        }
                    }
                    @let findings: Vec<_> = m.findings.iter().filter(|f| f.account_key == a.key).collect();
                    @if findings.is_empty() {
                        p.note { "没有问题记录。" }
                    } @else {
                        ul.findings {
                            @for f in findings {
                                @let x = &f.stored.finding;
                                li {
                                    a href={ "/findings/" (f.stored.id) } { b { "#" (f.stored.id) } } " "
                                    (layout::severity(x.severity.as_str())) " "
                                    code { (x.code) } " "
                                    (govwatch_score::codes::zh_title(&x.code).unwrap_or("")) "："
                                    (x.message) " "
                                    span.note { (time(&x.observed_at.to_rfc3339())) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&title, body))
}
