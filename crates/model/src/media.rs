//! Government new-media accounts (政务新媒体): the registry entry, the posts read from an
//! account's feed, and everything one run learned about one account.
//!
//! - [`Platform`]: 微博, 微信公众号, 今日头条, 抖音, 快手, 微视, apps, others.
//! - [`Account`]: one registered account (`config/accounts.toml`), with its resolved feed URL.
//! - [`Post`]: one item of the account's feed (RSS 2.0, Atom or JSON Feed, e.g. from RSSHub).
//! - [`FeedRead`]: what reading the feed gave: the posts, or why the feed could not be read.
//! - [`AccountResult`]: the account's fetches, archived feed, posts, facts and findings of a run,
//!   written by the store in one transaction.
//! - [`ManualFinding`]: an inspector's observation imported from CSV (comments closed, messages
//!   never answered), which enters the same findings table.

use crate::{Fact, FetchRecord, Finding, Page, Timestamp};
use serde::{Deserialize, Serialize};
use url::Url;

/// The platform an account lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// 新浪微博.
    Weibo,
    /// 微信公众号.
    Wechat,
    /// 今日头条 (头条号).
    Toutiao,
    /// 抖音.
    Douyin,
    /// 快手.
    Kuaishou,
    /// 微视.
    Weishi,
    /// A mobile app (移动客户端).
    App,
    /// Any other platform.
    Other,
}

impl Platform {
    /// Every platform, in registry order.
    pub const ALL: [Platform; 8] = [
        Platform::Weibo,
        Platform::Wechat,
        Platform::Toutiao,
        Platform::Douyin,
        Platform::Kuaishou,
        Platform::Weishi,
        Platform::App,
        Platform::Other,
    ];

    /// The name used in `config/accounts.toml` and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Weibo => "weibo",
            Platform::Wechat => "wechat",
            Platform::Toutiao => "toutiao",
            Platform::Douyin => "douyin",
            Platform::Kuaishou => "kuaishou",
            Platform::Weishi => "weishi",
            Platform::App => "app",
            Platform::Other => "other",
        }
    }

    /// Parses [`Platform::as_str`].
    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The platform's name as reports print it (annex 4's 平台 column).
    pub fn name_zh(self) -> &'static str {
        match self {
            Platform::Weibo => "微博",
            Platform::Wechat => "微信公众号",
            Platform::Toutiao => "今日头条",
            Platform::Douyin => "抖音",
            Platform::Kuaishou => "快手",
            Platform::Weishi => "微视",
            Platform::App => "移动客户端",
            Platform::Other => "其他",
        }
    }

    /// Reads a platform as registries write it: the English name, or Chinese such as 新浪微博,
    /// 微信公众号, 公众号, 头条号, 抖音号, 客户端, APP.
    pub fn from_label(s: &str) -> Option<Platform> {
        let t = s.trim();
        if let Some(p) = Platform::parse(&t.to_ascii_lowercase()) {
            return Some(p);
        }
        let has = |w: &str| t.contains(w);
        if has("微博") {
            Some(Platform::Weibo)
        } else if has("微信") || has("公众号") {
            Some(Platform::Wechat)
        } else if has("头条") {
            Some(Platform::Toutiao)
        } else if has("抖音") {
            Some(Platform::Douyin)
        } else if has("快手") {
            Some(Platform::Kuaishou)
        } else if has("微视") {
            Some(Platform::Weishi)
        } else if has("客户端") || t.eq_ignore_ascii_case("app") || has("应用") {
            Some(Platform::App)
        } else if has("其他") || has("其它") {
            Some(Platform::Other)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One registered government new-media account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub platform: Platform,
    /// The platform's id of the account (微博 uid, 公众号 id, 头条 user id …).
    pub id: String,
    /// 账号名称.
    pub name: String,
    /// 主办单位: the unit that runs the account.
    pub org: String,
    /// Region (地区).
    pub region: String,
    /// 网站标识码 of the registered site the account belongs to.
    pub site: String,
    /// The feed read for the account (its own `feed`, or the platform's template of `[feeds]`).
    pub feed: Url,
}

impl Account {
    /// The account's key in the store: `platform:id`, e.g. `weibo:1234567890`.
    pub fn key(&self) -> String {
        account_key(self.platform, &self.id)
    }
}

/// `platform:id`, the key of an account.
pub fn account_key(platform: Platform, id: &str) -> String {
    format!("{}:{id}", platform.as_str())
}

/// One item of an account's feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// The item's id in the feed (guid / id), or one derived from its link.
    pub id: String,
    /// The post's own URL.
    pub link: Option<String>,
    /// Title as text (RSSHub uses the opening words of a 微博 as its title).
    pub title: String,
    /// Publication time (or the last update when the feed gives no publication time).
    pub published: Option<Timestamp>,
    /// The body (description or content) as plain text, white space folded.
    pub text: String,
    /// Links found in the body, absolute.
    pub links: Vec<String>,
    /// The item's categories or tags.
    pub categories: Vec<String>,
    /// Why the post counts as a repost (the marker the media probe's rule found), or `None` for
    /// an original post. Filled by the probe's rule, not by the feed reader.
    #[serde(default)]
    pub repost: Option<String>,
}

impl Post {
    /// Title and body as one text, for word rules.
    pub fn full_text(&self) -> String {
        if self.text.starts_with(self.title.as_str()) || self.title.is_empty() {
            self.text.clone()
        } else {
            format!("{} {}", self.title, self.text)
        }
    }
}

/// Why a feed could not be measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedFailure {
    /// The fetch failed (DNS, connection, timeout, robots.txt) or answered an error status.
    Fetch,
    /// The body is not an RSS, Atom or JSON feed.
    Parse,
    /// The feed holds no item (a bridge that could not read the platform often answers so).
    Empty,
    /// No item carries a date.
    Undated,
}

impl FeedFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedFailure::Fetch => "fetch",
            FeedFailure::Parse => "parse",
            FeedFailure::Empty => "empty",
            FeedFailure::Undated => "undated",
        }
    }
}

/// What reading an account's feed gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedRead {
    /// The feed URL asked for.
    pub url: String,
    /// Every HTTP exchange (retries included).
    pub fetches: Vec<FetchRecord>,
    /// The body as fetched, decoded, kept as the archived copy (`is_html` false).
    pub page: Option<Page>,
    /// `rss2`, `rss1`, `rss0`, `atom` or `json`.
    pub format: Option<String>,
    /// The feed's own title.
    pub title: Option<String>,
    pub posts: Vec<Post>,
    /// Why the feed could not be measured, with the error text.
    pub failure: Option<(FeedFailure, String)>,
    /// Item bodies (or titles) left unparsed because the feed passed its parse budget (the page
    /// budget of `crawl.toml`): their text is empty, their date and link are kept.
    #[serde(default)]
    pub over_budget: u64,
}

impl FeedRead {
    /// Whether the feed was read and holds dated posts.
    pub fn measured(&self) -> bool {
        self.failure.is_none()
    }

    /// The HTTP status of the final attempt, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.fetches.last().and_then(|f| f.status)
    }
}

/// An inspector's observation of an account, imported from CSV (`govwatch media
/// import-findings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManualFinding {
    /// Row id in the store (`manual_findings.id`), 0 before it is stored.
    pub id: i64,
    /// The account's key (`platform:id`).
    pub account: String,
    /// A documented finding code, e.g. `media.comments_closed`.
    pub code: String,
    /// The day the inspector observed it (China time).
    pub date: chrono::NaiveDate,
    pub note: String,
    /// The page (or screenshot) that shows it.
    pub evidence_url: Option<String>,
    /// `FILE.csv:LINE` it was imported from.
    pub source: String,
}

/// Everything one run learned about one account; the store writes it in one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountResult {
    pub account: Account,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// The feed as read (its fetches, archived body and posts, with the repost marks).
    pub feed: FeedRead,
    pub facts: Vec<Fact>,
    pub findings: Vec<Finding>,
}
