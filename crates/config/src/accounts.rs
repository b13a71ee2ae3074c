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
use crate::{LineIndex, line_col};
use govwatch_model::{Account, Platform, Site};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
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
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError::Parse {
            file: file.to_path_buf(),
            line,
            column,
            message: crate::toml_zh(e.message()),
        }
    })?;
    let mut ck = Checker {
        file,
        text,
        lines: LineIndex::new(text),
        diagnostics: Vec::new(),
    };
    let root = doc.as_table();
    for (key, _) in root.iter() {
        if key != "account" && key != "feeds" {
            let span = root.key(key).and_then(|k| k.span());
            ck.report(
                span,
                format!("不认识的键 `{key}`（这里只应有 [feeds] 表和 [[account]] 表）"),
            );
        }
    }
    let templates = match root.get("feeds") {
        None => BTreeMap::new(),
        Some(item) => match item.as_table_like() {
            Some(t) => ck.templates(t),
            None => {
                let span = root.key("feeds").and_then(|k| k.span());
                ck.report(span, "`feeds` 应为“平台 = 订阅地址模板”的表");
                BTreeMap::new()
            }
        },
    };
    let site_ids: Option<HashSet<&str>> = sites.map(|s| s.iter().map(|s| s.id.as_str()).collect());
    let mut accounts = Vec::new();
    match root.get("account") {
        None => {}
        Some(Item::ArrayOfTables(tables)) => {
            let mut first_line: HashMap<(String, String), usize> = HashMap::new();
            for table in tables.iter() {
                let mut duplicate = false;
                if let (Some(p), Some(id)) = (
                    table.get("platform").and_then(Item::as_str),
                    table.get("id").and_then(Item::as_str),
                ) {
                    let span = Checker::key_span(table, "id");
                    let (line, _) = ck.position(span.clone());
                    let key = (p.to_string(), id.trim().to_string());
                    match first_line.get(&key) {
                        Some(first) => {
                            duplicate = true;
                            ck.report(
                                span,
                                format!("账号 {p}:{id} 重复（第一次出现在第 {first} 行）"),
                            );
                        }
                        None => {
                            first_line.insert(key, line);
                        }
                    }
                }
                if let Some(a) = ck.account(table, &templates, site_ids.as_ref())
                    && !duplicate
                {
                    accounts.push(a);
                }
            }
        }
        Some(_) => {
            let span = root.key("account").and_then(|k| k.span());
            ck.report(span, "`account` 应写成 [[account]] 表");
        }
    }
    let mut diagnostics = ck.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    Ok((accounts, diagnostics))
}

/// Whether an account id is usable: not empty, no white space or control characters.
pub(crate) fn valid_account_id(id: &str) -> bool {
    !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The longest a string key may be (see [`crate::text`]).
fn field_bound(key: &str) -> usize {
    use crate::text::{MAX_ID_CHARS, MAX_NAME_CHARS, MAX_URL_CHARS};
    match key {
        "id" => MAX_ID_CHARS,
        "name" | "org" | "region" | "platform" | "kind" | "site" => MAX_NAME_CHARS,
        _ => MAX_URL_CHARS,
    }
}

struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
    /// Line starts of `text`, so that positions cost a binary search, not a scan.
    lines: LineIndex,
    diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn position(&self, span: Option<Range<usize>>) -> (usize, usize) {
        span.map(|s| self.lines.line_col(self.text, s.start))
            .unwrap_or((0, 0))
    }

    fn report(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        let (line, column) = self.position(span);
        self.diagnostics
            .push(Diagnostic::new(self.file, line, column, message));
    }

    fn key_span(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
        table
            .key(key)
            .and_then(|k| k.span())
            .or_else(|| table.get(key).and_then(Item::span))
    }

    fn string(&mut self, table: &Table, key: &str) -> Option<String> {
        let item = table.get(key)?;
        match item.as_str() {
            Some(s) => {
                if let Some(p) =
                    crate::text::field_problem(&format!("`{key}`"), s, field_bound(key))
                {
                    self.report(Self::key_span(table, key), p);
                    return None;
                }
                Some(s.trim().to_string())
            }
            None => {
                let span = Self::key_span(table, key);
                self.report(
                    span,
                    format!("`{key}` 应为字符串，而不是{}", type_zh(item.type_name())),
                );
                None
            }
        }
    }

    fn templates(&mut self, t: &dyn TableLike) -> BTreeMap<Platform, String> {
        let mut out = BTreeMap::new();
        for (key, item) in t.iter() {
            let span = Self::key_span(t, key);
            let Some(platform) = Platform::parse(key) else {
                let names: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
                self.report(
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
                    Err(e) => self.report(span, format!("[feeds] {key}：{e}")),
                },
                None => self.report(
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
        &mut self,
        table: &Table,
        templates: &BTreeMap<Platform, String>,
        sites: Option<&HashSet<&str>>,
    ) -> Option<Account> {
        let before = self.diagnostics.len();
        let header = table.span();
        for (key, _) in table.iter() {
            if !REQUIRED_KEYS.contains(&key) && !OPTIONAL_KEYS.contains(&key) {
                let span = Self::key_span(table, key);
                self.report(
                    span,
                    format!(
                        "[[account]] 中没有 `{key}` 这个键（可用的键：{}、{}）",
                        REQUIRED_KEYS.join("、"),
                        OPTIONAL_KEYS.join("、")
                    ),
                );
            }
        }
        let missing: Vec<String> = REQUIRED_KEYS
            .iter()
            .filter(|k| !table.contains_key(k))
            .map(|k| format!("`{k}`"))
            .collect();
        if !missing.is_empty() {
            let name = table
                .get("name")
                .and_then(Item::as_str)
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            self.report(
                header.clone(),
                format!("[[account]]{name} 缺少必填的键 {}", missing.join("、")),
            );
        }
        let platform = self.string(table, "platform").and_then(|p| {
            let platform = Platform::parse(&p);
            if platform.is_none() {
                let names: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
                self.report(
                    Self::key_span(table, "platform"),
                    format!("platform `{p}` 不认识（可用的平台：{}）", names.join("、")),
                );
            }
            platform
        });
        let id = self.string(table, "id");
        if let Some(id) = &id
            && !valid_account_id(id)
        {
            self.report(
                Self::key_span(table, "id"),
                format!("账号 ID `{id}` 不能为空，也不能含空白字符"),
            );
        }
        let name = self.string(table, "name");
        if name.as_deref().is_some_and(str::is_empty) {
            self.report(Self::key_span(table, "name"), "`name`（账号名称）不能为空");
        }
        let org = self.string(table, "org");
        if org.as_deref().is_some_and(str::is_empty) {
            self.report(Self::key_span(table, "org"), "`org`（主办单位）不能为空");
        }
        let region = self.string(table, "region");
        let site = self.string(table, "site");
        if let Some(s) = &site {
            if !valid_id(s) {
                self.report(
                    Self::key_span(table, "site"),
                    format!("site `{s}` 应为 10 位英文字母或数字的网站标识码"),
                );
            } else if let Some(ids) = sites
                && !ids.contains(s.as_str())
            {
                self.report(
                    Self::key_span(table, "site"),
                    format!("site `{s}` 不在网站名录 (sites.toml) 中"),
                );
            }
        }
        let feed = match (self.string(table, "feed"), platform, &id) {
            (Some(f), _, _) => parse_http_url(&f)
                .map_err(|e| {
                    self.report(
                        Self::key_span(table, "feed"),
                        format!("feed（订阅地址）：{e}"),
                    )
                })
                .ok(),
            (None, Some(p), Some(id)) => match templates.get(&p) {
                Some(t) => feed_from_template(t, id)
                    .map_err(|e| self.report(header.clone(), format!("feed（订阅地址）：{e}")))
                    .ok(),
                None => {
                    self.report(
                        header.clone(),
                        format!(
                            "[[account]] {p}:{id} 没有订阅地址：请写上 `feed`，或在 [feeds] 中写模板 `{p} = \"…{FEED_ID}…\"`"
                        ),
                    );
                    None
                }
            },
            _ => None,
        };
        if self.diagnostics.len() != before {
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
