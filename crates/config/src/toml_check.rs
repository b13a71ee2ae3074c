//! The one checker of the registries written as arrays of TOML tables (`sites.toml`'s
//! `[[site]]`, `accounts.toml`'s `[[account]]`): the document parsed with its syntax error placed,
//! every problem collected with its file, line and column, unknown and missing keys, duplicate
//! ids, bounded string fields. Each registry keeps its own rules for its own keys.

use crate::error::{ConfigError, Diagnostic, type_zh};
use crate::{LineIndex, line_col};
use std::collections::HashMap;
use std::hash::Hash;
use std::ops::Range;
use std::path::Path;
use toml_edit::{Item, Table, TableLike};

/// Parses `text` as a TOML document; a syntax error becomes [`ConfigError::Parse`] naming `file`,
/// line and column.
pub(crate) fn parse_document<'t>(
    file: &Path,
    text: &'t str,
) -> Result<toml_edit::Document<&'t str>, ConfigError> {
    toml_edit::Document::parse(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError::Parse {
            file: file.to_path_buf(),
            line,
            column,
            message: crate::toml_zh(e.message()),
        }
    })
}

/// The longest a string key of a registry table may be (see [`crate::text`]).
fn field_bound(key: &str) -> usize {
    use crate::text::{MAX_ID_CHARS, MAX_NAME_CHARS, MAX_URL_CHARS};
    match key {
        "id" => MAX_ID_CHARS,
        "name" | "org" | "region" | "platform" | "kind" | "site" => MAX_NAME_CHARS,
        _ => MAX_URL_CHARS,
    }
}

/// The problems found so far in one file, each placed by its span.
pub(crate) struct Checker<'a> {
    file: &'a Path,
    text: &'a str,
    /// Line starts of `text`, so that positions cost a binary search, not a scan.
    lines: LineIndex,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// A checker of `text`, read from `file` (used only in messages).
    pub(crate) fn new(file: &'a Path, text: &'a str) -> Checker<'a> {
        Checker {
            file,
            text,
            lines: LineIndex::new(text),
            diagnostics: Vec::new(),
        }
    }

    /// Line and column (1-based) of a span's start; (0, 0) without a span.
    pub(crate) fn position(&self, span: Option<Range<usize>>) -> (usize, usize) {
        span.map(|s| self.lines.line_col(self.text, s.start))
            .unwrap_or((0, 0))
    }

    /// Records a problem at a span.
    pub(crate) fn report(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        let (line, column) = self.position(span);
        self.diagnostics
            .push(Diagnostic::new(self.file, line, column, message));
    }

    /// The problems in file order (those at one place in the order they were found).
    pub(crate) fn finish(self) -> Vec<Diagnostic> {
        let mut diagnostics = self.diagnostics;
        diagnostics.sort_by_key(|d| (d.line, d.column));
        diagnostics
    }

    /// Span of a key of a table (where messages about its value point).
    pub(crate) fn key_span(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
        table
            .key(key)
            .and_then(|k| k.span())
            .or_else(|| table.get(key).and_then(Item::span))
    }

    /// Reports every key of the document's root but `allowed`; `expected` says what belongs there.
    pub(crate) fn unknown_root_keys(&mut self, root: &Table, allowed: &[&str], expected: &str) {
        for (key, _) in root.iter() {
            if !allowed.contains(&key) {
                let span = root.key(key).and_then(|k| k.span());
                self.report(span, format!("不认识的键 `{key}`（这里只应有 {expected}）"));
            }
        }
    }

    /// The `[[name]]` tables of the root (none when absent); reports a `name` that is not an
    /// array of tables.
    pub(crate) fn array_of_tables<'d>(&mut self, root: &'d Table, name: &str) -> Vec<&'d Table> {
        match root.get(name) {
            None => Vec::new(),
            Some(Item::ArrayOfTables(tables)) => tables.iter().collect(),
            Some(_) => {
                let span = root.key(name).and_then(|k| k.span());
                self.report(span, format!("`{name}` 应写成 [[{name}]] 表"));
                Vec::new()
            }
        }
    }

    /// Records the line where `key` (an id) is first seen; when it was seen before, returns the
    /// line of its first appearance.
    pub(crate) fn seen_before<K: Eq + Hash>(
        &self,
        first_line: &mut HashMap<K, usize>,
        key: K,
        span: Option<Range<usize>>,
    ) -> Option<usize> {
        if let Some(first) = first_line.get(&key) {
            return Some(*first);
        }
        let (line, _) = self.position(span);
        first_line.insert(key, line);
        None
    }

    /// Reports the keys of a `[[header]]` table that are neither required nor optional, and the
    /// required ones it lacks (the table named by its `label` key when it has one).
    pub(crate) fn table_keys(
        &mut self,
        table: &Table,
        header: &str,
        (required, optional): (&[&str], &[&str]),
        label: &str,
    ) {
        for (key, _) in table.iter() {
            if !required.contains(&key) && !optional.contains(&key) {
                let span = Self::key_span(table, key);
                self.report(
                    span,
                    format!(
                        "[[{header}]] 中没有 `{key}` 这个键（可用的键：{}、{}）",
                        required.join("、"),
                        optional.join("、")
                    ),
                );
            }
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|k| !table.contains_key(k))
            .map(|k| format!("`{k}`"))
            .collect();
        if !missing.is_empty() {
            let label = table
                .get(label)
                .and_then(Item::as_str)
                .map(|l| format!(" {l}"))
                .unwrap_or_default();
            self.report(
                table.span(),
                format!("[[{header}]]{label} 缺少必填的键 {}", missing.join("、")),
            );
        }
    }

    /// A string value within its bound and free of control characters, or a report why not.
    pub(crate) fn string<'t>(&mut self, table: &'t Table, key: &str) -> Option<&'t str> {
        let item = table.get(key)?;
        match item.as_str() {
            Some(s) => {
                if let Some(p) =
                    crate::text::field_problem(&format!("`{key}`"), s, field_bound(key))
                {
                    self.report(Self::key_span(table, key), p);
                    return None;
                }
                Some(s)
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
}
