//! The site registry, `config/sites.toml`: one `[[site]]` table per website.

use crate::error::{ConfigError, Diagnostic, type_zh};
use crate::{LineIndex, line_col};
use govwatch_model::{Site, SiteKind, SiteOverrides};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
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
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError::Parse {
            file: file.to_path_buf(),
            line,
            column,
            message: crate::toml_zh(e.message()),
        }
    })?;
    let mut checker = Checker {
        file,
        text,
        lines: LineIndex::new(text),
        diagnostics: Vec::new(),
    };
    let root = doc.as_table();
    for (key, _) in root.iter() {
        if key != "site" {
            let span = root.key(key).and_then(|k| k.span());
            checker.report(
                span,
                format!("不认识的键 `{key}`（这里只应有 [[site]] 表）"),
            );
        }
    }
    let mut sites = Vec::new();
    match root.get("site") {
        None => {}
        Some(Item::ArrayOfTables(tables)) => {
            let mut first_line: HashMap<String, usize> = HashMap::new();
            for table in tables.iter() {
                // Duplicates are found among all ids, valid sites or not.
                let mut duplicate = false;
                if let Some(id) = table.get("id").and_then(Item::as_str) {
                    let span = table.key("id").and_then(|k| k.span());
                    let (line, _) = checker.position(span.clone());
                    match first_line.get(id) {
                        Some(first) => {
                            duplicate = true;
                            checker.report(
                                span,
                                format!("网站标识码 {id} 重复（第一次出现在第 {first} 行）"),
                            );
                        }
                        None => {
                            first_line.insert(id.to_string(), line);
                        }
                    }
                }
                if let Some(site) = checker.site(table)
                    && !duplicate
                {
                    sites.push(site);
                }
            }
        }
        Some(_) => {
            let span = root.key("site").and_then(|k| k.span());
            checker.report(span, "`site` 应写成 [[site]] 表");
        }
    }
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    Ok((sites, diagnostics))
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

    /// Span of a key of a table (where messages about its value point).
    fn key_span(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
        table
            .key(key)
            .and_then(|k| k.span())
            .or_else(|| table.get(key).and_then(Item::span))
    }

    /// A string value, or a report that it is not one.
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
                Some(s.to_string())
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

    fn integer(&mut self, table: &Table, key: &str, min: i64, max: i64) -> Option<i64> {
        let item = table.get(key)?;
        let span = Self::key_span(table, key);
        match item.as_integer() {
            Some(n) if n >= min && n <= max => Some(n),
            Some(n) => {
                self.report(span, format!("`{key}` 至少应为 {min}（现为 {n}）"));
                None
            }
            None => {
                self.report(
                    span,
                    format!("`{key}` 应为整数，而不是{}", type_zh(item.type_name())),
                );
                None
            }
        }
    }

    /// Checks one `[[site]]` table; returns the site when it is wholly valid.
    fn site(&mut self, table: &Table) -> Option<Site> {
        let before = self.diagnostics.len();
        let header = table.span();

        for (key, _) in table.iter() {
            if !REQUIRED_KEYS.contains(&key) && !OPTIONAL_KEYS.contains(&key) {
                let span = Self::key_span(table, key);
                self.report(
                    span,
                    format!(
                        "[[site]] 中没有 `{key}` 这个键（可用的键：{}、{}）",
                        REQUIRED_KEYS.join("、"),
                        OPTIONAL_KEYS.join("、")
                    ),
                );
            }
        }
        let missing: Vec<&str> = REQUIRED_KEYS
            .iter()
            .copied()
            .filter(|k| !table.contains_key(k))
            .collect();
        if !missing.is_empty() {
            let id = table
                .get("id")
                .and_then(Item::as_str)
                .map(|id| format!(" {id}"))
                .unwrap_or_default();
            let keys = missing
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join("、");
            self.report(header.clone(), format!("[[site]]{id} 缺少必填的键 {keys}"));
        }

        let id = self.string(table, "id");
        if let Some(id) = &id
            && !valid_id(id)
        {
            self.report(Self::key_span(table, "id"), id_problem(id));
        }
        let name = self.string(table, "name");
        if let Some(name) = &name
            && name.trim().is_empty()
        {
            self.report(Self::key_span(table, "name"), "`name`（网站名称）不能为空");
        }
        let home = self.string(table, "home").and_then(|h| {
            parse_http_url(&h)
                .map_err(|e| {
                    self.report(
                        Self::key_span(table, "home"),
                        format!("home（首页网址）：{e}"),
                    )
                })
                .ok()
        });
        let org = self.string(table, "org");
        let region = self.string(table, "region");
        let kind = self.string(table, "kind").and_then(|k| {
            let kind = parse_kind(&k);
            if kind.is_none() {
                self.report(
                    Self::key_span(table, "kind"),
                    format!("kind `{k}` 应为 `portal`（门户）或 `department`（部门）"),
                );
            }
            kind
        });

        let overrides = self.overrides(table);

        if self.diagnostics.len() != before {
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

    fn overrides(&mut self, table: &Table) -> SiteOverrides {
        let mut o = SiteOverrides::default();
        if let Some(item) = table.get("rate") {
            let span = Self::key_span(table, "rate");
            let rate = item
                .as_float()
                .or_else(|| item.as_integer().map(|n| n as f64));
            match rate {
                Some(r) if r > 0.0 && r.is_finite() => o.rate = Some(r),
                Some(r) => self.report(span, format!("`rate` 应大于 0（现为 {r}）")),
                None => self.report(
                    span,
                    format!("`rate` 应为数字，而不是{}", type_zh(item.type_name())),
                ),
            }
        }
        if let Some(item) = table.get("hosts") {
            let span = Self::key_span(table, "hosts");
            match item.as_array() {
                Some(array) => {
                    for v in array.iter() {
                        match v.as_str() {
                            Some(h) if !h.is_empty() && url::Host::parse(h).is_ok() => {
                                o.hosts.push(h.to_string())
                            }
                            Some(h) => {
                                self.report(span.clone(), format!("`hosts` 中的 `{h}` 不是主机名"))
                            }
                            None => self.report(
                                span.clone(),
                                format!(
                                    "`hosts` 中的每一项应为字符串，而不是{}",
                                    type_zh(v.type_name())
                                ),
                            ),
                        }
                    }
                }
                None => self.report(
                    span,
                    format!(
                        "`hosts` 应为字符串数组，而不是{}",
                        type_zh(item.type_name())
                    ),
                ),
            }
        }
        if let Some(item) = table.get("columns") {
            let span = Self::key_span(table, "columns");
            match item.as_table_like() {
                Some(columns) => o.columns = self.columns(columns),
                None => self.report(
                    span,
                    format!(
                        "`columns` 应为“栏目名 = 网址”的表，而不是{}",
                        type_zh(item.type_name())
                    ),
                ),
            }
        }
        if let Some(item) = table.get("column_kinds") {
            let span = Self::key_span(table, "column_kinds");
            match item.as_table_like() {
                Some(kinds) => {
                    for (name, v) in kinds.iter() {
                        match v.as_str() {
                            Some(kind) if !kind.trim().is_empty() => {
                                o.column_kinds.insert(name.to_string(), kind.trim().to_string());
                            }
                            _ => self.report(
                                span.clone(),
                                format!("`column_kinds.{name}` 应为栏目类型名，如 \"news\" 或 \"notice\""),
                            ),
                        }
                    }
                }
                None => self.report(
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
                    let span = Self::key_span(table, "search_post");
                    self.report(
                        span,
                        format!(
                            "`search_post` 应为 true 或 false，而不是{}",
                            type_zh(item.type_name())
                        ),
                    );
                }
            }
        }
        if let Some(n) = self.integer(table, "max_pages", 1, i64::MAX) {
            o.max_pages = usize::try_from(n).ok();
        }
        if let Some(n) = self.integer(table, "max_depth", 0, i64::from(u32::MAX)) {
            o.max_depth = u32::try_from(n).ok();
        }
        o
    }

    fn columns(&mut self, columns: &dyn TableLike) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (name, item) in columns.iter() {
            let span = Self::key_span(columns, name);
            match item.as_str() {
                Some(u) => match parse_http_url(u) {
                    Ok(_) => {
                        out.insert(name.to_string(), u.to_string());
                    }
                    Err(e) => self.report(span, format!("栏目 `{name}`：{e}")),
                },
                None => self.report(
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
}
