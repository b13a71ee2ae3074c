//! Import of the national registry's CSV export into `sites.toml`.

use crate::csv_rows::{CsvFile, CsvRow, bounded, read_csv_text};
use crate::error::{ConfigError, Diagnostic};
use crate::sites::{analyze, id_problem, parse_http_url, valid_id};
use crate::text::{MAX_ID_CHARS, MAX_NAME_CHARS, MAX_URL_CHARS};
use govwatch_model::SiteKind;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};
use url::Url;

/// What [`import_csv`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Sites new to the registry, appended.
    pub added: usize,
    /// Sites already registered whose name, home, org, region or kind changed.
    pub updated: usize,
    /// Sites already registered and identical.
    pub unchanged: usize,
    /// CSV rows not imported (each has a diagnostic).
    pub skipped: usize,
    /// One per skipped row: `FILE.csv:LINE: problem`.
    pub diagnostics: Vec<Diagnostic>,
}

/// Header comment of a registry the import creates.
const NEW_FILE_HEADER: &str = "\
# govwatch site registry: one [[site]] table per website (`govwatch init DIR` writes a commented
# sites.toml with every key). Created by `govwatch sites import`; comments and overrides added by
# hand are kept.
";

const ID_COLUMNS: &[&str] = &["网站标识码"];
const NAME_COLUMNS: &[&str] = &["网站名称"];
const HOME_COLUMNS: &[&str] = &["首页网址"];
const ORG_COLUMNS: &[&str] = &["主办单位"];
const REGION_COLUMNS: &[&str] = &["地区", "所属地区", "行政区划"];
const KIND_COLUMNS: &[&str] = &["网站类型", "类型"];

/// One valid CSV row.
struct Row {
    id: String,
    name: String,
    home: Url,
    /// Whether the CSV gave a scheme (else `http://` was assumed).
    home_has_scheme: bool,
    org: String,
    /// `None` when the CSV has no region column or the cell is empty.
    region: Option<String>,
    /// `None` when the CSV has no type column or the cell is empty.
    kind: Option<SiteKind>,
}

/// Merges the registry CSV `csv_path` into the TOML registry `toml_path` (created if absent).
///
/// Existing sites keep their comments, formatting and overrides; only `name`, `home`, `org`,
/// `region` and `kind` are updated (region and kind only where the CSV gives them). New ids
/// are appended; sites missing from the CSV are kept. Bad rows are skipped with a diagnostic.
/// The file is written atomically, and only when it changes. Fails without writing if the
/// existing registry does not load or the CSV lacks a required column.
pub fn import_csv(csv_path: &Path, toml_path: &Path) -> Result<ImportReport, ConfigError> {
    let csv_text = read_csv_text(csv_path)?;
    let mut report = ImportReport::default();
    let rows = read_rows(csv_path, &csv_text, &mut report)?;

    let problems = |text: &str| analyze(toml_path, text).map(|(_, p)| p);
    let mut registry = Registry::open(toml_path, NEW_FILE_HEADER, problems)?;
    merge(&mut registry.doc, &rows, &mut report);
    registry.save(problems)?;
    Ok(report)
}

/// A registry file being merged into: its text as read (or the header of a new file), whether
/// the file exists, and the document to edit (comments and formatting kept).
pub(crate) struct Registry<'p> {
    path: &'p Path,
    existing: String,
    exists: bool,
    pub(crate) doc: DocumentMut,
}

impl<'p> Registry<'p> {
    /// Reads the registry `path` (a new file starts as `header`); refused when `problems` (the
    /// registry's own check) finds any.
    pub(crate) fn open(
        path: &'p Path,
        header: &str,
        problems: impl Fn(&str) -> Result<Vec<Diagnostic>, ConfigError>,
    ) -> Result<Registry<'p>, ConfigError> {
        let (existing, exists) = match std::fs::read_to_string(path) {
            Ok(text) => (text, true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (header.to_string(), false),
            Err(source) => {
                return Err(ConfigError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let found = problems(&existing)?;
        if !found.is_empty() {
            return Err(ConfigError::Invalid(found));
        }
        let doc: DocumentMut =
            existing
                .parse()
                .map_err(|e: toml_edit::TomlError| ConfigError::Parse {
                    file: path.to_path_buf(),
                    line: 0,
                    column: 0,
                    message: crate::toml_zh(e.message()),
                })?;
        Ok(Registry {
            path,
            existing,
            exists,
            doc,
        })
    }

    /// Checks the edited registry with `problems` again and writes it atomically, only when it
    /// is new or changed.
    pub(crate) fn save(
        self,
        problems: impl Fn(&str) -> Result<Vec<Diagnostic>, ConfigError>,
    ) -> Result<(), ConfigError> {
        let output = self.doc.to_string();
        // the edited document is large (a table per row): gone before the output is checked
        drop(self.doc);
        let found = problems(&output)?;
        if !found.is_empty() {
            return Err(ConfigError::Invalid(found));
        }
        if !self.exists || output != self.existing {
            write_atomic(self.path, &output)?;
        }
        Ok(())
    }
}

/// Makes sure `doc` has the array of tables `key`; returns the comments that must lead its first
/// new table (a file without tables keeps its comments as trailing decor, which toml_edit would
/// print after the new tables: they are moved in front of the first one).
pub(crate) fn prepare_tables(doc: &mut DocumentMut, key: &str) -> String {
    if !doc.contains_key(key) {
        doc.insert(key, Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let mut leading = doc.trailing().as_str().unwrap_or("").to_string();
    let has_tables = doc
        .get(key)
        .and_then(Item::as_array_of_tables)
        .is_some_and(|t| !t.is_empty());
    if !has_tables && !leading.is_empty() {
        doc.set_trailing("");
        while !leading.ends_with("\n\n") {
            leading.push('\n');
        }
    } else {
        leading.clear();
    }
    leading
}

fn merge(doc: &mut DocumentMut, rows: &[Row], report: &mut ImportReport) {
    let mut leading = prepare_tables(doc, "site");
    let Some(tables) = doc.get_mut("site").and_then(Item::as_array_of_tables_mut) else {
        return; // not reached: the registry was validated before the merge
    };
    let mut index: HashMap<String, usize> = tables
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            t.get("id")
                .and_then(Item::as_str)
                .map(|id| (id.to_string(), i))
        })
        .collect();
    for row in rows {
        match index.get(&row.id).and_then(|&i| tables.get_mut(i)) {
            Some(table) => {
                if update(table, row) {
                    report.updated += 1;
                } else {
                    report.unchanged += 1;
                }
            }
            None => {
                let mut table = Table::new();
                table.insert("id", toml_edit::value(&row.id));
                table.insert("name", toml_edit::value(&row.name));
                table.insert("home", toml_edit::value(row.home.as_str()));
                table.insert("org", toml_edit::value(&row.org));
                table.insert(
                    "region",
                    toml_edit::value(row.region.as_deref().unwrap_or("")),
                );
                table.insert(
                    "kind",
                    toml_edit::value(row.kind.unwrap_or(SiteKind::Portal).as_str()),
                );
                let prefix = if tables.is_empty() {
                    std::mem::take(&mut leading)
                } else {
                    "\n".to_string()
                };
                table.decor_mut().set_prefix(prefix);
                index.insert(row.id.clone(), tables.len());
                tables.push(table);
                report.added += 1;
            }
        }
    }
}

/// Updates an existing site's registry fields; returns whether anything changed.
fn update(table: &mut Table, row: &Row) -> bool {
    let mut changed = set_str(table, "name", &row.name);
    let current = table
        .get("home")
        .and_then(Item::as_str)
        .and_then(|h| Url::parse(h).ok());
    let same_home = current.is_some_and(|mut current| {
        // A CSV URL without a scheme does not downgrade a registered https:// home.
        if !row.home_has_scheme && current.scheme() == "https" {
            let _ = current.set_scheme("http");
        }
        current == row.home
    });
    if !same_home {
        changed |= set_str(table, "home", row.home.as_str());
    }
    changed |= set_str(table, "org", &row.org);
    if let Some(region) = &row.region {
        changed |= set_str(table, "region", region);
    }
    if let Some(kind) = row.kind {
        changed |= set_str(table, "kind", kind.as_str());
    }
    changed
}

/// Sets a string key, keeping the old value's comments and spacing; returns whether it changed.
pub(crate) fn set_str(table: &mut Table, key: &str, new: &str) -> bool {
    match table.get_mut(key) {
        Some(Item::Value(old)) if old.as_str() == Some(new) => false,
        Some(Item::Value(old)) => {
            let mut value = Value::from(new);
            *value.decor_mut() = old.decor().clone();
            *old = value;
            true
        }
        _ => {
            table.insert(key, toml_edit::value(new));
            true
        }
    }
}

/// The columns of the registry export, found by their names.
struct SiteColumns {
    id: usize,
    name: usize,
    home: usize,
    org: usize,
    region: Option<usize>,
    kind: Option<usize>,
}

/// The valid rows of the registry export; bad rows are skipped into `report` with their line.
fn read_rows(file: &Path, text: &str, report: &mut ImportReport) -> Result<Vec<Row>, ConfigError> {
    let csv = CsvFile::new(file, text)?;
    let cols = SiteColumns {
        id: csv.required(ID_COLUMNS)?,
        name: csv.required(NAME_COLUMNS)?,
        home: csv.required(HOME_COLUMNS)?,
        org: csv.required(ORG_COLUMNS)?,
        region: csv.optional(REGION_COLUMNS),
        kind: csv.optional(KIND_COLUMNS),
    };
    let mut rows = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    csv.for_each_row(
        |r| {
            let row = site_row(r, &cols)?;
            if let Some(first) = first_line_of.get(&row.id) {
                return Err(format!(
                    "网站标识码 {} 重复（第一次出现在第 {first} 行）",
                    row.id
                ));
            }
            first_line_of.insert(row.id.clone(), r.line);
            rows.push(row);
            Ok(())
        },
        |line, problem| skip(report, file, line, problem),
    );
    Ok(rows)
}

/// One row of the registry export as a site, or every problem it has.
fn site_row(r: &CsvRow, cols: &SiteColumns) -> Result<Row, String> {
    let id = r.cell(cols.id);
    let name = r.cell(cols.name);
    let home = r.cell(cols.home);
    let org = r.cell(cols.org);
    bounded(&[
        ("网站标识码", &id, MAX_ID_CHARS),
        ("网站名称", &name, MAX_NAME_CHARS),
        ("首页网址", &home, MAX_URL_CHARS),
        ("主办单位", &org, MAX_NAME_CHARS),
        ("地区", &r.cell_or_empty(cols.region), MAX_NAME_CHARS),
        ("网站类型", &r.cell_or_empty(cols.kind), MAX_NAME_CHARS),
    ])?;

    let mut problems = Vec::new();
    if id.is_empty() {
        problems.push("网站标识码为空".to_string());
    } else if !valid_id(&id) {
        problems.push(id_problem(&id));
    }
    if name.is_empty() {
        problems.push("网站名称为空".to_string());
    }
    let home_has_scheme = has_scheme(&home);
    let home_url = if home.is_empty() {
        problems.push("首页网址为空".to_string());
        None
    } else {
        let full = if home_has_scheme {
            home.clone()
        } else if let Some(rest) = home.strip_prefix("//") {
            format!("http://{rest}")
        } else {
            format!("http://{home}")
        };
        parse_http_url(&full)
            .map_err(|e| problems.push(format!("首页网址：{e}")))
            .ok()
    };
    let kind = match r.cell_opt(cols.kind) {
        None => None,
        Some(k) => match parse_csv_kind(&k) {
            Some(kind) => Some(kind),
            None => {
                problems.push(format!("网站类型 `{k}` 不认识（应为门户或部门）"));
                None
            }
        },
    };
    match home_url {
        Some(home) if problems.is_empty() => Ok(Row {
            id,
            name,
            home,
            home_has_scheme,
            org,
            region: r.cell_opt(cols.region),
            kind,
        }),
        _ => Err(problems.join("；")),
    }
}

/// Counts a skipped row and keeps its diagnostic (`FILE.csv:LINE: problem`).
pub(crate) fn skip(report: &mut ImportReport, file: &Path, line: u64, message: String) {
    report.skipped += 1;
    let line = usize::try_from(line).unwrap_or(usize::MAX);
    report
        .diagnostics
        .push(Diagnostic::new(file, line, 0, message));
}

/// Whether `s` starts with `scheme://`.
pub(crate) fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// 门户 / 政府门户网站 → portal, 部门 / 部门网站 → department (also the English words).
fn parse_csv_kind(s: &str) -> Option<SiteKind> {
    match s.to_ascii_lowercase().as_str() {
        "portal" => return Some(SiteKind::Portal),
        "department" => return Some(SiteKind::Department),
        _ => {}
    }
    if s.contains("门户") {
        Some(SiteKind::Portal)
    } else if s.contains("部门") {
        Some(SiteKind::Department)
    } else {
        None
    }
}

/// Writes `contents` to a temporary file beside `path`, then renames it over `path`.
pub(crate) fn write_atomic(path: &Path, contents: &str) -> Result<(), ConfigError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ConfigError::Io { path: p, source }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sites.toml".to_string());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(ConfigError::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_detection() {
        assert!(has_scheme("http://a.cn"));
        assert!(has_scheme("HTTPS://a.cn"));
        assert!(!has_scheme("www.a.cn"));
        assert!(!has_scheme("www.a.cn/?u=http://b.cn"));
    }

    #[test]
    fn csv_kinds() {
        assert_eq!(parse_csv_kind("政府门户网站"), Some(SiteKind::Portal));
        assert_eq!(parse_csv_kind("门户"), Some(SiteKind::Portal));
        assert_eq!(parse_csv_kind("部门网站"), Some(SiteKind::Department));
        assert_eq!(parse_csv_kind("Department"), Some(SiteKind::Department));
        assert_eq!(parse_csv_kind("其他"), None);
    }
}
