//! The new-media account registry, `config/accounts.toml`: one `[[account]]` table per
//! government new-media account (政务新媒体), and a `[feeds]` table of feed URL templates per
//! platform.
//!
//! ```toml
//! [feeds]
//! weibo = "http://rsshub.example.gov.cn/weibo/user/{id}"
//!
//! [[account]]
//! platform = "weibo"
//! id = "1234567890"
//! name = "萧县发布"
//! org = "萧县人民政府办公室"
//! region = "宿州市萧县"
//! site = "3413220004"
//! # feed = "https://…"   (optional: this account's own feed, instead of the template)
//! ```
//!
//! Every problem is reported with its file, line and column, like `sites.toml`.

use crate::error::{ConfigError, Diagnostic, type_zh};
use crate::sites::{parse_http_url, valid_id};
use crate::toml_check::{Checker, parse_document};
use govwatch_model::{Account, Platform, Site};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use toml_edit::{Item, Table, TableLike};
use url::Url;

/// Keys every `[[account]]` must have.
pub(crate) const REQUIRED_KEYS: [&str; 6] = ["platform", "id", "name", "org", "region", "site"];
/// Keys an `[[account]]` may have.
pub(crate) const OPTIONAL_KEYS: [&str; 1] = ["feed"];

/// The placeholder of a feed template that the account id replaces.
pub const FEED_ID: &str = "{id}";

/// Reads and validates the account registry. `sites`, when given, is the site registry every
/// account's `site` must name. Every problem is reported at once.
pub fn load_accounts(path: &Path, sites: Option<&[Site]>) -> Result<Vec<Account>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_accounts(path, &text, sites)
}

/// Like [`load_accounts`] for text already read; `file` is only used in messages.
pub fn parse_accounts(
    file: &Path,
    text: &str,
    sites: Option<&[Site]>,
) -> Result<Vec<Account>, ConfigError> {
    let (accounts, diagnostics) = analyze(file, text, sites)?;
    if diagnostics.is_empty() {
        Ok(accounts)
    } else {
        Err(ConfigError::Invalid(diagnostics))
    }
}

/// Every problem of the account registry (empty when it loads), in file order.
pub fn check_accounts(path: &Path, sites: Option<&[Site]>) -> Vec<Diagnostic> {
    match load_accounts(path, sites) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics(),
    }
}

/// The feed URL of an account from a template: `{id}` replaced by the id, percent-encoded.
pub fn feed_from_template(template: &str, id: &str) -> Result<Url, String> {
    if !template.contains(FEED_ID) {
        return Err(format!("订阅地址模板 `{template}` 中没有 {FEED_ID}"));
    }
    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    parse_http_url(&template.replace(FEED_ID, &encoded))
}

/// Parses and validates; `Err` only for syntax errors. Returns the valid accounts and the
/// problems.
pub(crate) fn analyze(
    file: &Path,
    text: &str,
    sites: Option<&[Site]>,
) -> Result<(Vec<Account>, Vec<Diagnostic>), ConfigError> {
    let doc = parse_document(file, text)?;
    let mut ck = Checker::new(file, text);
    let root = doc.as_table();
    ck.unknown_root_keys(root, &["account", "feeds"], "[feeds] 表和 [[account]] 表");
    let templates = match root.get("feeds") {
        None => BTreeMap::new(),
        Some(item) => match item.as_table_like() {
            Some(t) => templates(&mut ck, t),
            None => {
                let span = root.key("feeds").and_then(|k| k.span());
                ck.report(span, "`feeds` 应为“平台 = 订阅地址模板”的表");
                BTreeMap::new()
            }
        },
    };
    let site_ids: Option<HashSet<&str>> = sites.map(|s| s.iter().map(|s| s.id.as_str()).collect());
    let mut accounts = Vec::new();
    let mut first_line: HashMap<(String, String), usize> = HashMap::new();
    for table in ck.array_of_tables(root, "account") {
        let mut duplicate = false;
        if let (Some(p), Some(id)) = (
            table.get("platform").and_then(Item::as_str),
            table.get("id").and_then(Item::as_str),
        ) {
            let span = Checker::key_span(table, "id");
            let key = (p.to_string(), id.trim().to_string());
            if let Some(first) = ck.seen_before(&mut first_line, key, span.clone()) {
                duplicate = true;
                ck.report(
                    span,
                    format!("账号 {p}:{id} 重复（第一次出现在第 {first} 行）"),
                );
            }
        }
        if let Some(a) = account(&mut ck, table, &templates, site_ids.as_ref())
            && !duplicate
        {
            accounts.push(a);
        }
    }
    Ok((accounts, ck.finish()))
}

/// Whether an account id is usable: not empty, no white space or control characters.
pub(crate) fn valid_account_id(id: &str) -> bool {
    !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A string value of an account, trimmed (see [`Checker::string`]).
fn string(ck: &mut Checker, table: &Table, key: &str) -> Option<String> {
    ck.string(table, key).map(|s| s.trim().to_string())
}

/// The `[feeds]` table: a feed URL template per known platform.
fn templates(ck: &mut Checker, t: &dyn TableLike) -> BTreeMap<Platform, String> {
    let mut out = BTreeMap::new();
    for (key, item) in t.iter() {
        let span = Checker::key_span(t, key);
        let Some(platform) = Platform::parse(key) else {
            let names: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
            ck.report(
                span,
                format!(
                    "[feeds] 中的平台 `{key}` 不认识（可用的平台：{}）",
                    names.join("、")
                ),
            );
            continue;
        };
        match item.as_str() {
            Some(tpl) => match feed_from_template(tpl, "1") {
                Ok(_) => {
                    out.insert(platform, tpl.to_string());
                }
                Err(e) => ck.report(span, format!("[feeds] {key}：{e}")),
            },
            None => ck.report(
                span,
                format!(
                    "[feeds] {key} 应为订阅地址模板字符串，而不是{}",
                    type_zh(item.type_name())
                ),
            ),
        }
    }
    out
}

/// Checks one `[[account]]` table; returns the account when it is wholly valid.
fn account(
    ck: &mut Checker,
    table: &Table,
    templates: &BTreeMap<Platform, String>,
    sites: Option<&HashSet<&str>>,
) -> Option<Account> {
    let before = ck.diagnostics.len();
    ck.table_keys(table, "account", (&REQUIRED_KEYS, &OPTIONAL_KEYS), "name");
    let platform = string(ck, table, "platform").and_then(|p| {
        let platform = Platform::parse(&p);
        if platform.is_none() {
            let names: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
            ck.report(
                Checker::key_span(table, "platform"),
                format!("platform `{p}` 不认识（可用的平台：{}）", names.join("、")),
            );
        }
        platform
    });
    let id = string(ck, table, "id");
    if let Some(id) = &id
        && !valid_account_id(id)
    {
        ck.report(
            Checker::key_span(table, "id"),
            format!("账号 ID `{id}` 不能为空，也不能含空白字符"),
        );
    }
    let name = string(ck, table, "name");
    if name.as_deref().is_some_and(str::is_empty) {
        ck.report(
            Checker::key_span(table, "name"),
            "`name`（账号名称）不能为空",
        );
    }
    let org = string(ck, table, "org");
    if org.as_deref().is_some_and(str::is_empty) {
        ck.report(Checker::key_span(table, "org"), "`org`（主办单位）不能为空");
    }
    let region = string(ck, table, "region");
    let site = string(ck, table, "site");
    if let Some(s) = &site {
        site_known(ck, table, s, sites);
    }
    let feed = feed(ck, table, templates, platform, id.as_deref());
    if ck.diagnostics.len() != before {
        return None;
    }
    Some(Account {
        platform: platform?,
        id: id?,
        name: name?,
        org: org?,
        region: region?,
        site: site?,
        feed: feed?,
    })
}

/// Reports an account's `site` that is not a well-formed id or not in the site registry.
fn site_known(ck: &mut Checker, table: &Table, s: &str, sites: Option<&HashSet<&str>>) {
    if !valid_id(s) {
        ck.report(
            Checker::key_span(table, "site"),
            format!("site `{s}` 应为 10 位英文字母或数字的网站标识码"),
        );
    } else if let Some(ids) = sites
        && !ids.contains(s)
    {
        ck.report(
            Checker::key_span(table, "site"),
            format!("site `{s}` 不在网站名录 (sites.toml) 中"),
        );
    }
}

/// An account's feed: its own `feed`, else its platform's template with its id.
fn feed(
    ck: &mut Checker,
    table: &Table,
    templates: &BTreeMap<Platform, String>,
    platform: Option<Platform>,
    id: Option<&str>,
) -> Option<Url> {
    let header = table.span();
    match (string(ck, table, "feed"), platform, id) {
        (Some(f), _, _) => parse_http_url(&f)
            .map_err(|e| {
                ck.report(
                    Checker::key_span(table, "feed"),
                    format!("feed（订阅地址）：{e}"),
                )
            })
            .ok(),
        (None, Some(p), Some(id)) => match templates.get(&p) {
            Some(t) => feed_from_template(t, id)
                .map_err(|e| ck.report(header, format!("feed（订阅地址）：{e}")))
                .ok(),
            None => {
                ck.report(
                    header,
                    format!(
                        "[[account]] {p}:{id} 没有订阅地址：请写上 `feed`，或在 [feeds] 中写模板 `{p} = \"…{FEED_ID}…\"`"
                    ),
                );
                None
            }
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_encodes_the_id() {
        let u = feed_from_template("http://rsshub.test/wechat/mp/{id}", "安平 发布").unwrap();
        assert_eq!(
            u.as_str(),
            "http://rsshub.test/wechat/mp/%E5%AE%89%E5%B9%B3+%E5%8F%91%E5%B8%83"
        );
        assert!(feed_from_template("http://rsshub.test/weibo/user/", "1").is_err());
        assert!(feed_from_template("ftp://x/{id}", "1").is_err());
    }
}
