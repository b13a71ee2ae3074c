//! `govwatch serve`: a read-only web view of the govwatch database for the inspection office.
//!
//! Server-rendered HTML (no script at all), in Chinese, every string that comes from a site
//! escaped by the templates ([maud](https://maud.lambda.xyz/) escapes whatever it interpolates).
//!
//! - [`serve`] checks the options ([`ServeOptions`]), opens the database read-only, loads the
//!   scoring rules and serves until the shutdown future resolves; [`router`] builds the same
//!   application for tests.
//! - [`access`]: who may read. A loopback listener needs no token; any other listener needs one
//!   ([`access::access_policy`]), given as `Authorization: Bearer …` or through the login form's
//!   HttpOnly cookie. Only `GET` (and `HEAD`) are served, plus the login `POST`.
//! - [`pages`]: the pages — runs, one run, the sites of a run (filters, sort), one site (verdict,
//!   items, findings, history, 整改), one finding (evidence, fetch records, archived page).
//! - [`replay`]: the archived page as fetched, inside a sandboxed frame, served with a
//!   Content-Security-Policy that runs no script and loads nothing, the excerpt marked.
//! - [`downloads`]: a run's report files (html, xlsx, csv, md, json, WARC), made on request by
//!   `govwatch-report`.
//! - [`server`]: the listener — header-read, idle and write timeouts, a connection limit under the
//!   descriptor limit, a bounded number of page tasks, a time limit per request.
//!
//! The store owns every SQL statement: each request opens its own read-only connection
//! ([`govwatch_store::Store::open_read_only`]) on a blocking thread.

pub mod access;
pub mod downloads;
mod layout;
pub mod pages;
pub mod replay;
pub mod server;

use access::Access;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use govwatch_score::Rules;
use govwatch_store::{ScoreSet, Store, StoreError};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// What `govwatch serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The SQLite database (opened read-only; it must exist).
    pub db: PathBuf,
    /// The configuration directory (`indicators.toml`: rule names, rectification period).
    pub config: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The access token, given on the command line.
    pub token: Option<String>,
    /// A file holding the access token (its first line; surrounding white space ignored).
    pub token_file: Option<PathBuf>,
    /// Timeouts and limits of the listener.
    pub limits: server::Limits,
}

/// Why the server could not start, or why a page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(
        "--listen {listen} 不是本机地址，需要访问令牌：请给出 --token-file FILE（或 --token），\
         或在 127.0.0.1 / [::1] 上监听"
    )]
    TokenRequired { listen: SocketAddr },
    #[error("{what}：令牌至少要 {min} 个字符", min = access::MIN_TOKEN_LEN)]
    TokenTooShort { what: String },
    #[error("同时给出了 --token 和 --token-file，只能给一个")]
    TwoTokens,
    #[error("无法读取令牌文件 --token-file {}（{source}）", path.display())]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}：没有这个数据库（请先运行 `govwatch demo` 或 `govwatch run`，或用 --db 指定）", .0.display())]
    NoDatabase(PathBuf),
    #[error("{}", bind_text(addr, source))]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Rules(#[from] govwatch_config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Score(#[from] govwatch_score::ScoreError),
    #[error(transparent)]
    Report(#[from] govwatch_report::ReportError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The page asked for does not exist (the text says what was looked for, in Chinese).
    #[error("{0}")]
    NotFound(String),
    #[error("页面生成失败（{0}）")]
    Task(String),
}

/// Why `serve` cannot listen on `addr`, in words a user can act on: a taken port names
/// `--listen`.
fn bind_text(addr: &SocketAddr, source: &std::io::Error) -> String {
    match source.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "无法在 {addr} 上监听：端口 {} 已被占用（也许另一个 govwatch serve 还在运行）。\
             请停止它，或用 --listen {}:端口 换一个端口（{source}）",
            addr.port(),
            match addr.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            }
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "无法在 {addr} 上监听：本机没有这个地址，请用 --listen 给出本机的地址（{source}）"
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "无法在 {addr} 上监听：没有权限（1024 以下的端口需要特权），请用 --listen 换一个端口（{source}）"
        ),
        _ => format!("无法在 {addr} 上监听（{source}）"),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title) = match &self {
            WebError::NotFound(_) => (StatusCode::NOT_FOUND, "未找到"),
            WebError::Store(StoreError::UnknownRun { .. }) => (StatusCode::NOT_FOUND, "未找到"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "出错了"),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "page failed");
        }
        let body = layout::page(
            title,
            maud::html! {
                h1 { (title) }
                p.error { (self.to_string()) }
                p { a href="/" { "返回检查批次列表" } }
            },
        );
        (status, Html(body.into_string())).into_response()
    }
}

/// The application: where the database is, the scoring rules, and who may read.
#[derive(Debug)]
pub struct App {
    pub db: PathBuf,
    pub rules: Rules,
    pub access: Access,
    /// Longest a request may take (its body read, its page made).
    pub request_timeout: std::time::Duration,
    /// Turns of the page tasks ([`server::Limits::page_tasks`] at once).
    tasks: Arc<tokio::sync::Semaphore>,
}

/// A run's scoring as the pages show it: the one stored under the configured rules, or, when the
/// run was never scored under them, one made in memory now (the web view writes nothing).
#[derive(Debug, Clone)]
pub struct Scoring {
    pub set: ScoreSet,
    /// Read from the database (`false`: computed for this page and not stored).
    pub stored: bool,
}

impl App {
    pub fn new(db: PathBuf, rules: Rules, access: Access) -> App {
        App::with_limits(db, rules, access, &server::Limits::default())
    }

    /// [`App::new`] with the request time limit and page tasks of `limits`.
    pub fn with_limits(db: PathBuf, rules: Rules, access: Access, limits: &server::Limits) -> App {
        App {
            db,
            rules,
            access,
            request_timeout: limits.request,
            tasks: Arc::new(tokio::sync::Semaphore::new(limits.page_tasks.max(1))),
        }
    }

    /// Runs `f` with a read-only connection on a blocking thread, when a page task's turn comes.
    pub(crate) async fn with_store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Store, &App) -> Result<T, WebError> + Send + 'static,
    ) -> Result<T, WebError> {
        let app = Arc::clone(self);
        let turn = Arc::clone(&self.tasks)
            .acquire_owned()
            .await
            .map_err(|e| WebError::Task(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let store = Store::open_read_only(&app.db)?;
            f(&store, &app)
        })
        .await
        .map_err(|e| WebError::Task(e.to_string()))?
    }

    /// The run's scoring under the configured rules (see [`Scoring`]).
    pub fn scoring(&self, store: &Store, run_id: i64) -> Result<Scoring, WebError> {
        // a stored scoring older than an inspector's review is scored again
        if !govwatch_score::needs_scoring(store, run_id, &self.rules)?
            && let Some(set) = store.scores(run_id, Some(&self.rules.hash))?
        {
            return Ok(Scoring { set, stored: true });
        }
        let set = govwatch_score::score_run(store, run_id, &self.rules)?;
        Ok(Scoring { set, stored: false })
    }
}

/// The application's routes (every page, the replay, the downloads, the login form), behind the
/// access check.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::runs::handler))
        .route("/runs/{run}", get(pages::run::handler))
        .route("/runs/{run}/sites", get(pages::sites::handler))
        .route("/runs/{run}/sites/{site}", get(pages::site::handler))
        .route("/runs/{run}/accounts", get(pages::accounts::handler))
        .route("/runs/{run}/files/{name}", get(downloads::handler))
        .route("/sites", get(pages::sites::latest_handler))
        .route("/findings/{id}", get(pages::finding::handler))
        .route("/findings/{id}/archive", get(replay::handler))
        .route("/style.css", get(layout::stylesheet))
        .route("/login", get(access::login_form).post(access::login_submit))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            access::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            time_limit,
        ))
        .with_state(app)
}

/// Answers `503` when a request takes longer than [`App::request_timeout`] (a body sent slowly,
/// a page waiting too long for its turn).
async fn time_limit(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(app.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!("a request took longer than {:?}", app.request_timeout);
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "服务器繁忙或请求过慢，请稍后再试 (request timed out)\n",
            )
                .into_response()
        }
    }
}

async fn not_found() -> WebError {
    WebError::NotFound("没有这个页面。".into())
}

/// Checks the options, then serves until `shutdown` resolves.
pub async fn serve(
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let token = access::load_token(opts.token.as_deref(), opts.token_file.as_deref())?;
    let access = access::access_policy(opts.listen, token)?;
    if !opts.db.is_file() {
        return Err(WebError::NoDatabase(opts.db));
    }
    // fail now, not at the first page, when the file is not a readable govwatch database
    drop(Store::open_read_only(&opts.db)?);
    // the shipped rules when the folder has none, as every other command
    let (rules, shipped) = govwatch_score::rules_in(&opts.config)?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| WebError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let who = match &access {
        Access::Open => "只答复本机，无需令牌",
        Access::Token(_) => "需要令牌",
    };
    // said in the start line, in the words every command uses (the file, or 内置的评分规则)
    let rules_from = govwatch_config::shipped::rules_source(
        &opts.config.join(govwatch_score::INDICATORS_FILE),
        shipped,
    );
    eprintln!(
        "govwatch serve：请在浏览器中打开 http://{addr}/（只读查看 {}，{who}，按 {rules_from} \
         评分）；按 Ctrl-C 停止",
        opts.db.display()
    );
    let app = Arc::new(App::with_limits(opts.db, rules, access, &opts.limits));
    server::serve_on(listener, router(app), opts.limits, shutdown).await?;
    Ok(())
}
