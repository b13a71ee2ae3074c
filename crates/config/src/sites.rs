//! The site registry, `config/sites.toml`: one `[[site]]` table per website.

use crate::error::{ConfigError, Diagnostic, type_zh};
use crate::toml_check::{Checker, parse_document};
use govwatch_model::{Site, SiteKind, SiteOverrides};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use toml_edit::{Item, Table, TableLike};
use url::Url;

/// Keys every `[[site]]` must have.
pub(crate) const REQUIRED_KEYS: [&str; 6] = ["id", "name", "home", "org", "region", "kind"];
/// Keys a `[[site]]` may have (the [`SiteOverrides`]).
pub(crate) const OPTIONAL_KEYS: [&str; 6] = [
    "rate",
    "hosts",
    "columns",
    "column_kinds",
    "max_pages",
    "max_depth",
];

/// Reads and validates the site registry. Every problem is reported at once: a syntax error as
/// [`ConfigError::Parse`], anything else as [`ConfigError::Invalid`] with all diagnostics.
pub fn load_sites(path: &Path) -> Result<Vec<Site>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_sites(path, &text)
}

/// Like [`load_sites`] for text already read; `file` is only used in messages.
pub fn parse_sites(file: &Path, text: &str) -> Result<Vec<Site>, ConfigError> {
    let (sites, diagnostics) = analyze(file, text)?;
    if diagnostics.is_empty() {
        Ok(sites)
    } else {
        Err(ConfigError::Invalid(diagnostics))
    }
}

/// Every problem of the site registry (empty when it loads), in file order.
pub fn check_sites(path: &Path) -> Vec<Diagnostic> {
    match load_sites(path) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics(),
    }
}

/// Parses and validates; `Err` only for syntax errors. Returns the valid sites and the problems.
pub(crate) fn analyze(
    file: &Path,
    text: &str,
) -> Result<(Vec<Site>, Vec<Diagnostic>), ConfigError> {
    let doc = parse_document(file, text)?;
    let mut checker = Checker::new(file, text);
    let root = doc.as_table();
    checker.unknown_root_keys(root, &["site"], "[[site]] 表");
    let mut sites = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for table in checker.array_of_tables(root, "site") {
        // Duplicates are found among all ids, valid sites or not.
        let mut duplicate = false;
        if let Some(id) = table.get("id").and_then(Item::as_str) {
            let span = table.key("id").and_then(|k| k.span());
            if let Some(first) = checker.seen_before(&mut first_line, id.to_string(), span.clone())
            {
                duplicate = true;
                checker.report(
                    span,
                    format!("网站标识码 {id} 重复（第一次出现在第 {first} 行）"),
                );
            }
        }
        if let Some(site) = site(&mut checker, table)
            && !duplicate
        {
            sites.push(site);
        }
    }
    Ok((sites, checker.finish()))
}

/// Whether `id` is a well-formed 网站标识码: exactly 10 ASCII letters or digits.
pub(crate) fn valid_id(id: &str) -> bool {
    id.len() == 10 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub(crate) fn id_problem(id: &str) -> String {
    format!("网站标识码 `{id}` 应为 10 位英文字母或数字")
}

/// Parses a home page (or column) URL: absolute, http or https, with a host.
pub(crate) fn parse_http_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("`{s}` 不是完整的网址（{e}）"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{s}` 应为 http 或 https 网址"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{s}` 没有主机名"));
    }
    Ok(url)
}

/// Parses the `kind` key.
pub(crate) fn parse_kind(s: &str) -> Option<SiteKind> {
    match s {
        "portal" => Some(SiteKind::Portal),
        "department" => Some(SiteKind::Department),
        _ => None,
    }
}

/// An integer value between `min` and `max`, or a report why not.
fn integer(ck: &mut Checker, table: &Table, key: &str, min: i64, max: i64) -> Option<i64> {
    let item = table.get(key)?;
    let span = Checker::key_span(table, key);
    match item.as_integer() {
        Some(n) if n >= min && n <= max => Some(n),
        Some(n) => {
            ck.report(span, format!("`{key}` 至少应为 {min}（现为 {n}）"));
            None
        }
        None => {
            ck.report(
                span,
                format!("`{key}` 应为整数，而不是{}", type_zh(item.type_name())),
            );
            None
        }
    }
}

/// Checks one `[[site]]` table; returns the site when it is wholly valid.
fn site(ck: &mut Checker, table: &Table) -> Option<Site> {
    let before = ck.diagnostics.len();
    ck.table_keys(table, "site", (&REQUIRED_KEYS, &OPTIONAL_KEYS), "id");

    let id = ck.string(table, "id").map(str::to_string);
    if let Some(id) = &id
        && !valid_id(id)
    {
        ck.report(Checker::key_span(table, "id"), id_problem(id));
    }
    let name = ck.string(table, "name").map(str::to_string);
    if let Some(name) = &name
        && name.trim().is_empty()
    {
        ck.report(
            Checker::key_span(table, "name"),
            "`name`（网站名称）不能为空",
        );
    }
    let home = ck.string(table, "home").and_then(|h| {
        parse_http_url(h)
            .map_err(|e| {
                ck.report(
                    Checker::key_span(table, "home"),
                    format!("home（首页网址）：{e}"),
                )
            })
            .ok()
    });
    let org = ck.string(table, "org").map(str::to_string);
    let region = ck.string(table, "region").map(str::to_string);
    let kind = ck.string(table, "kind").and_then(|k| {
        let kind = parse_kind(k);
        if kind.is_none() {
            ck.report(
                Checker::key_span(table, "kind"),
                format!("kind `{k}` 应为 `portal`（门户）或 `department`（部门）"),
            );
        }
        kind
    });

    let overrides = overrides(ck, table);

    if ck.diagnostics.len() != before {
        return None;
    }
    Some(Site {
        id: id?,
        name: name?,
        home: home?,
        org: org?,
        region: region?,
        kind: kind?,
        overrides,
    })
}

/// The per-site overrides of the crawl settings, each checked.
fn overrides(ck: &mut Checker, table: &Table) -> SiteOverrides {
    let mut o = SiteOverrides::default();
    if let Some(item) = table.get("rate") {
        let span = Checker::key_span(table, "rate");
        let rate = item
            .as_float()
            .or_else(|| item.as_integer().map(|n| n as f64));
        match rate {
            Some(r) if r > 0.0 && r.is_finite() => o.rate = Some(r),
            Some(r) => ck.report(span, format!("`rate` 应大于 0（现为 {r}）")),
            None => ck.report(
                span,
                format!("`rate` 应为数字，而不是{}", type_zh(item.type_name())),
            ),
        }
    }
    if let Some(item) = table.get("hosts") {
        let span = Checker::key_span(table, "hosts");
        match item.as_array() {
            Some(array) => {
                for v in array.iter() {
                    match v.as_str() {
                        Some(h) if !h.is_empty() && url::Host::parse(h).is_ok() => {
                            o.hosts.push(h.to_string())
                        }
                        Some(h) => {
                            ck.report(span.clone(), format!("`hosts` 中的 `{h}` 不是主机名"))
                        }
                        None => ck.report(
                            span.clone(),
                            format!(
                                "`hosts` 中的每一项应为字符串，而不是{}",
                                type_zh(v.type_name())
                            ),
                        ),
                    }
                }
            }
            None => ck.report(
                span,
                format!(
                    "`hosts` 应为字符串数组，而不是{}",
                    type_zh(item.type_name())
                ),
            ),
        }
    }
    if let Some(item) = table.get("columns") {
        let span = Checker::key_span(table, "columns");
        match item.as_table_like() {
            Some(table) => o.columns = columns(ck, table),
            None => ck.report(
                span,
                format!(
                    "`columns` 应为“栏目名 = 网址”的表，而不是{}",
                    type_zh(item.type_name())
                ),
            ),
        }
    }
    if let Some(item) = table.get("column_kinds") {
        let span = Checker::key_span(table, "column_kinds");
        match item.as_table_like() {
            Some(kinds) => {
                for (name, v) in kinds.iter() {
                    match v.as_str() {
                        Some(kind) if !kind.trim().is_empty() => {
                            o.column_kinds
                                .insert(name.to_string(), kind.trim().to_string());
                        }
                        _ => ck.report(
                            span.clone(),
                            format!(
                                "`column_kinds.{name}` 应为栏目类型名，如 \"news\" 或 \"notice\""
                            ),
                        ),
                    }
                }
            }
            None => ck.report(
                span,
                format!(
                    "`column_kinds` 应为“栏目名 = 类型”的表，而不是{}",
                    type_zh(item.type_name())
                ),
            ),
        }
    }
    if let Some(item) = table.get("search_post") {
        match item.as_bool() {
            Some(b) => o.search_post = b,
            None => {
                let span = Checker::key_span(table, "search_post");
                ck.report(
                    span,
                    format!(
                        "`search_post` 应为 true 或 false，而不是{}",
                        type_zh(item.type_name())
                    ),
                );
            }
        }
    }
    if let Some(n) = integer(ck, table, "max_pages", 1, i64::MAX) {
        o.max_pages = usize::try_from(n).ok();
    }
    if let Some(n) = integer(ck, table, "max_depth", 0, i64::from(u32::MAX)) {
        o.max_depth = u32::try_from(n).ok();
    }
    o
}

/// The `columns` table: column name to URL, each URL checked.
fn columns(ck: &mut Checker, columns: &dyn TableLike) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, item) in columns.iter() {
        let span = Checker::key_span(columns, name);
        match item.as_str() {
            Some(u) => match parse_http_url(u) {
                Ok(_) => {
                    out.insert(name.to_string(), u.to_string());
                }
                Err(e) => ck.report(span, format!("栏目 `{name}`：{e}")),
            },
            None => ck.report(
                span,
                format!(
                    "栏目 `{name}` 应为网址字符串，而不是{}",
                    type_zh(item.type_name())
                ),
            ),
        }
    }
    out
}
