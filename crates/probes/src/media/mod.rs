//! Government new-media accounts (政务新媒体; 国办秘函〔2019〕19号 applies its veto part to every
//! account; 国办发〔2018〕123号; the Anhui 2020 Q1 notice's cases), judged from the posts of the
//! account's feed — pure: the crawler reads the feed, this module only looks at posts.
//!
//! - [`Media::inspect`]: one account: marks reposts ([`repost::marker`]), then judges. A feed that
//!   could not be read (or holds no dated post) gives the fact `media.not_measured` and no
//!   judgement of its posts — never `media.stale`.
//! - [`repost`]: the repost rule (feed categories, title prefixes such as 转发微博, markers such as
//!   the `//@` chain).
//! - [`duplicates`]: other registered accounts of the same unit on the same platform.
//! - [`manual`]: inspectors' observations (CSV) as findings with their note and evidence URL.
//!
//! Codes (see `docs/codes.md`): facts `media.feed`, `media.not_measured`, `media.repost_share`;
//! findings `media.stale`, `media.zombie`, `media.repost_only`, `media.commercial_ad`,
//! `media.off_topic`, `media.duplicate_accounts`, and the imported `media.comments_closed`,
//! `media.unanswered`, `media.security` (probe `manual`).

pub mod manual;
pub mod repost;

#[cfg(test)]
mod tests;

use crate::ProbeOutput;
use crate::evidence::{clip, excerpt_around};
use crate::interaction::ads;
use chrono::{Months, NaiveDate};
use govwatch_config::{AdRules, MediaRules};
use govwatch_model::{Account, Fact, FeedRead, Finding, ManualFinding, Post, Severity, Timestamp};
use serde_json::{Value, json};

/// The fact and finding codes of this probe (a contract, listed in `docs/codes.md`).
pub mod codes {
    /// `media.feed` (fact).
    pub const FEED: &str = "media.feed";
    /// `media.not_measured` (fact).
    pub const NOT_MEASURED: &str = "media.not_measured";
    /// `media.repost_share` (fact).
    pub const REPOST_SHARE: &str = "media.repost_share";
    /// `media.stale` (finding).
    pub const STALE: &str = "media.stale";
    /// `media.zombie` (finding).
    pub const ZOMBIE: &str = "media.zombie";
    /// `media.repost_only` (finding).
    pub const REPOST_ONLY: &str = "media.repost_only";
    /// `media.commercial_ad` (finding).
    pub const COMMERCIAL_AD: &str = "media.commercial_ad";
    /// `media.off_topic` (finding).
    pub const OFF_TOPIC: &str = "media.off_topic";
    /// `media.duplicate_accounts` (finding).
    pub const DUPLICATE_ACCOUNTS: &str = "media.duplicate_accounts";
    /// Every code above.
    pub const ALL: &[&str] = &[
        FEED,
        NOT_MEASURED,
        REPOST_SHARE,
        STALE,
        ZOMBIE,
        REPOST_ONLY,
        COMMERCIAL_AD,
        OFF_TOPIC,
        DUPLICATE_ACCOUNTS,
    ];
}

/// The media probe, with its rules and the sites' advertising rules.
#[derive(Debug, Clone)]
pub struct Media {
    pub rules: MediaRules,
    /// `config/interaction.toml [ads]`: the same advertising rule as the sites'.
    pub ads: AdRules,
}

/// The day of a time in China.
pub fn china_day(t: Timestamp) -> NaiveDate {
    t.with_timezone(&govwatch_model::time::CHINA_TZ)
        .date_naive()
}

/// Other registered accounts of `account`'s unit on its platform (when the platform is one the
/// rule covers), sorted by key.
pub fn duplicates<'a>(
    rules: &MediaRules,
    account: &Account,
    registry: &'a [Account],
) -> Vec<&'a Account> {
    if !rules.duplicates.platforms.contains(&account.platform) {
        return Vec::new();
    }
    let norm = |s: &str| s.split_whitespace().collect::<String>();
    let org = norm(&account.org);
    let mut out: Vec<&Account> = registry
        .iter()
        .filter(|a| {
            a.platform == account.platform && norm(&a.org) == org && a.key() != account.key()
        })
        .collect();
    out.sort_by_key(|a| a.key());
    out
}

/// One account's feed under judgement: what every step of [`Media::inspect`] reads.
struct Judged<'a> {
    account: &'a Account,
    feed: &'a FeedRead,
    as_of: Timestamp,
}

impl Media {
    pub fn new(rules: MediaRules, ads: AdRules) -> Media {
        Media { rules, ads }
    }

    /// Judges one account at `as_of`: marks the reposts among the feed's posts, then reports.
    /// `registry` is every registered account (for the one-account-per-platform rule); `manual`
    /// the inspectors' observations of this account.
    pub fn inspect(
        &self,
        account: &Account,
        feed: &mut FeedRead,
        registry: &[Account],
        manual_rows: &[ManualFinding],
        as_of: Timestamp,
    ) -> ProbeOutput {
        for p in &mut feed.posts {
            p.repost = repost::marker(&self.rules.repost, p);
        }
        let j = Judged {
            account,
            feed,
            as_of,
        };
        let mut out = ProbeOutput::default();
        self.duplicate_finding(&j, registry, &mut out);
        out.findings.extend(manual::findings(
            &self.rules.manual,
            account,
            manual_rows,
            as_of,
        ));
        let today = china_day(as_of);
        // Posts published after the monitoring time did not exist then.
        let seen: Vec<&Post> = j
            .feed
            .posts
            .iter()
            .filter(|p| p.published.is_some_and(|t| t <= as_of))
            .collect();
        let Some(latest) = feed_fact(&j, &seen, &mut out) else {
            return out;
        };
        let newest = seen
            .iter()
            .copied()
            .filter(|p| p.published == Some(latest))
            .collect::<Vec<_>>();
        let days = (today - china_day(latest)).num_days();
        self.stale_finding(&j, seen.len(), latest, days, newest[0], &mut out);
        self.zombie_finding(&j, &newest, latest, days, &mut out);

        // The quarter's posts: reposts, ads, off-topic content.
        let since = today
            .checked_sub_months(Months::new(self.rules.posts.months))
            .unwrap_or(today);
        let recent: Vec<&Post> = seen
            .iter()
            .copied()
            .filter(|p| p.published.is_some_and(|t| china_day(t) > since))
            .collect();
        self.repost_findings(&j, since, &recent, &mut out);
        for p in &recent {
            self.post_findings(&j, p, &mut out);
        }
        out
    }

    /// media.stale: no post within the window before the monitoring time.
    fn stale_finding(
        &self,
        j: &Judged,
        items: usize,
        latest: Timestamp,
        days: i64,
        newest: &Post,
        out: &mut ProbeOutput,
    ) {
        let window = i64::from(self.rules.stale.window_days);
        if days <= window {
            return;
        }
        out.findings.push(self.finding(
            j,
            codes::STALE,
            Severity::Veto,
            &j.feed.url,
            json!({
                "latest": china_day(latest).to_string(),
                "days": days,
                "window_days": window,
                "items": items,
            }),
            format!(
                "账号「{}」监测时间点前{}天内无更新：最近一条发布于 {}（{} 天前）",
                j.account.name,
                window,
                china_day(latest),
                days
            ),
            Some(post_line(newest)),
        ));
    }

    /// media.zombie: the newest post is a stop announcement.
    fn zombie_finding(
        &self,
        j: &Judged,
        newest: &[&Post],
        latest: Timestamp,
        days: i64,
        out: &mut ProbeOutput,
    ) {
        let z = &self.rules.zombie;
        for p in newest {
            let text = p.full_text();
            let Some(phrase) = z.phrases.iter().find(|w| text.contains(w.as_str())) else {
                continue;
            };
            if z.exclude.iter().any(|w| text.contains(w.as_str())) {
                continue;
            }
            let day = china_day(latest);
            out.findings.push(self.finding(
                j,
                codes::ZOMBIE,
                Severity::Veto,
                p.link.as_deref().unwrap_or(&j.feed.url),
                json!({
                    "announced": day.to_string(),
                    "phrase": phrase,
                    "title": p.title,
                    "post": p.link,
                    "days": days,
                }),
                format!(
                    "账号「{}」已于 {} 发布停更公告（“{}”），至监测时间点仍未关停注销（僵尸账号）",
                    j.account.name, day, phrase
                ),
                excerpt_around(&text, phrase, 40),
            ));
            break;
        }
    }

    /// The share of reposts among the quarter's posts (fact `media.repost_share`), and
    /// `media.repost_only` when it is over the rule's share.
    fn repost_findings(
        &self,
        j: &Judged,
        since: NaiveDate,
        recent: &[&Post],
        out: &mut ProbeOutput,
    ) {
        let reposts = recent.iter().filter(|p| p.repost.is_some()).count();
        let share = if recent.is_empty() {
            None
        } else {
            Some(reposts as f64 / recent.len() as f64)
        };
        let r = &self.rules.repost;
        out.facts.push(fact(
            codes::REPOST_SHARE,
            j.account,
            json!({
                "since": since.to_string(),
                "posts": recent.len(),
                "reposts": reposts,
                "share": share.map(|s| (s * 10000.0).round() / 10000.0),
                "share_above": r.share_above,
                "min_posts": r.min_posts,
            }),
            j.as_of,
        ));
        let Some(share) = share else { return };
        if recent.len() < r.min_posts as usize || share <= r.share_above {
            return;
        }
        let example = recent.iter().find(|p| p.repost.is_some()).copied();
        out.findings.push(self.finding(
            j,
            codes::REPOST_ONLY,
            Severity::Deduct,
            &j.feed.url,
            json!({
                "since": since.to_string(),
                "posts": recent.len(),
                "reposts": reposts,
                "share": (share * 10000.0).round() / 10000.0,
                "share_above": r.share_above,
            }),
            format!(
                "账号「{}」近{}个月的 {} 条内容中转发 {} 条（{:.0}%），内容基本为转发",
                j.account.name,
                self.rules.posts.months,
                recent.len(),
                reposts,
                share * 100.0
            ),
            example.map(|p| {
                format!(
                    "{}（转发标记“{}”）",
                    post_line(p),
                    p.repost.as_deref().unwrap_or("")
                )
            }),
        ));
    }

    /// One of the quarter's posts: `media.commercial_ad` (the sites' advertising rule), then
    /// `media.off_topic` (enough of the off-topic words).
    fn post_findings(&self, j: &Judged, p: &Post, out: &mut ProbeOutput) {
        let text = p.full_text();
        if let Some(ad) = ads::judge(
            &self.ads,
            &text,
            p.links.iter().map(String::as_str),
            ads::NEEDED_ELSEWHERE,
        ) {
            out.findings.push(self.finding(
                j,
                codes::COMMERCIAL_AD,
                Severity::Deduct,
                p.link.as_deref().unwrap_or(&j.feed.url),
                json!({
                    "post": p.link,
                    "title": p.title,
                    "published": p.published.map(|t| t.to_rfc3339()),
                    "shop_links": ad.shops.iter().map(|(_, u)| u.clone()).collect::<Vec<_>>(),
                    "strong": ad.strong,
                    "weak": ad.weak,
                    "score": ad.score,
                }),
                format!(
                    "账号「{}」发布商业广告：《{}》（{}）",
                    j.account.name,
                    clip(&p.title, 40),
                    p.published.map(china_day).map(|d| d.to_string()).unwrap_or_default()
                ),
                Some(ad.excerpt),
            ));
        }
        let words = &self.rules.off_topic;
        let found: Vec<&String> = words
            .words
            .iter()
            .filter(|w| text.contains(w.as_str()))
            .collect();
        if found.len() >= words.min_words as usize {
            out.findings.push(self.finding(
                j,
                codes::OFF_TOPIC,
                Severity::Deduct,
                p.link.as_deref().unwrap_or(&j.feed.url),
                json!({
                    "post": p.link,
                    "title": p.title,
                    "published": p.published.map(|t| t.to_rfc3339()),
                    "words": found,
                }),
                format!(
                    "账号「{}」发布与本单位职能无关的内容：《{}》（{}，含“{}”）",
                    j.account.name,
                    clip(&p.title, 40),
                    p.published.map(china_day).map(|d| d.to_string()).unwrap_or_default(),
                    found.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("”“")
                ),
                excerpt_around(&text, found[0], 40),
            ));
        }
    }

    /// media.duplicate_accounts: other registered accounts of the same unit on the platform.
    fn duplicate_finding(&self, j: &Judged, registry: &[Account], out: &mut ProbeOutput) {
        let account = j.account;
        let others = duplicates(&self.rules, account, registry);
        if others.is_empty() {
            return;
        }
        let mut all: Vec<&Account> = others.clone();
        all.push(account);
        all.sort_by_key(|a| a.key());
        let names: Vec<String> = all
            .iter()
            .map(|a| format!("「{}」({})", a.name, a.id))
            .collect();
        out.findings.push(self.finding(
            j,
            codes::DUPLICATE_ACCOUNTS,
            Severity::Warn,
            &j.feed.url,
            json!({
                "org": account.org,
                "platform": account.platform.as_str(),
                "accounts": all.iter().map(|a| json!({"key": a.key(), "name": a.name})).collect::<Vec<_>>(),
            }),
            format!(
                "主办单位「{}」在{}开设 {} 个账号：{}（原则上一个单位在同一平台只开设一个账号）",
                account.org,
                account.platform.name_zh(),
                all.len(),
                names.join("、")
            ),
            None,
        ));
    }

    // Every finding of the probe, built by the one builder ([`crate::evidence`]): the feed's
    // status and its archived copy.
    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        j: &Judged,
        code: &str,
        severity: Severity,
        url: &str,
        value: Value,
        message: String,
        excerpt: Option<String>,
    ) -> Finding {
        crate::evidence::finding("media", code, severity, j.as_of)
            .url(url)
            .value(with_account(value, j.account))
            .message(message)
            .excerpt(excerpt)
            .page(j.feed.page.as_ref())
            .status(j.feed.status())
            .build()
    }
}

/// The feed's fact: `media.not_measured` when the feed failed or holds no post dated before
/// the monitoring time (then `None`: no judgement of its posts), else `media.feed` and the
/// latest post's time.
fn feed_fact(j: &Judged, seen: &[&Post], out: &mut ProbeOutput) -> Option<Timestamp> {
    let (feed, account, as_of) = (j.feed, j.account, j.as_of);
    let latest = seen.iter().filter_map(|p| p.published).max();
    if let Some((why, error)) = &feed.failure {
        out.facts.push(fact(
            codes::NOT_MEASURED,
            account,
            json!({
                "feed": feed.url,
                "reason": why.as_str(),
                "error": error,
                "status": feed.status(),
            }),
            as_of,
        ));
        return None;
    }
    let Some(latest) = latest else {
        out.facts.push(fact(
            codes::NOT_MEASURED,
            account,
            json!({
                "feed": feed.url,
                "reason": "none_before_as_of",
                "error": format!("the feed's {} items are all dated after the monitoring time", feed.posts.len()),
                "status": feed.status(),
            }),
            as_of,
        ));
        return None;
    };
    let oldest = seen.iter().filter_map(|p| p.published).min();
    out.facts.push(fact(
        codes::FEED,
        account,
        json!({
            "feed": feed.url,
            "format": feed.format,
            "title": feed.title,
            "items": feed.posts.len(),
            "over_budget": feed.over_budget,
            "dated": feed.posts.iter().filter(|p| p.published.is_some()).count(),
            "after_as_of": feed.posts.iter().filter(|p| p.published.is_some_and(|t| t > as_of)).count(),
            "latest": latest.to_rfc3339(),
            "oldest": oldest.map(|t| t.to_rfc3339()),
        }),
        as_of,
    ));
    Some(latest)
}

/// "2026-11-20 《title》" for evidence.
fn post_line(p: &Post) -> String {
    format!(
        "{} 《{}》{}",
        p.published
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "（无日期）".into()),
        clip(&p.title, 60),
        p.link
            .as_deref()
            .map(|l| format!(" {l}"))
            .unwrap_or_default()
    )
}

/// The value with the account's key and platform added (so every media fact and finding names
/// its account).
fn with_account(mut value: Value, account: &Account) -> Value {
    if let Value::Object(m) = &mut value {
        m.insert("account".into(), json!(account.key()));
        m.entry("platform")
            .or_insert_with(|| json!(account.platform.as_str()));
    }
    value
}

fn fact(code: &str, account: &Account, value: Value, at: Timestamp) -> Fact {
    Fact {
        probe: "media".into(),
        code: code.into(),
        url: Some(account.feed.to_string()),
        value: with_account(value, account),
        observed_at: at,
    }
}
