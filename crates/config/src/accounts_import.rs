//! Import of a new-media account list (CSV, UTF-8 or GBK) into `accounts.toml`, with the same
//! machinery as the site registry's import: decoding, header matching, row diagnostics
//! (`FILE.csv:LINE`), a merge that keeps comments and hand-written keys, and an atomic write.

use crate::accounts::{FEED_ID, analyze, valid_account_id};
use crate::error::ConfigError;
use crate::import::{
    ImportReport, column, csv_reader, decode_text, field_problems, prepare_tables, set_str, skip,
    write_atomic,
};
use crate::sites::{parse_http_url, valid_id};
use crate::text::{MAX_ID_CHARS, MAX_NAME_CHARS, MAX_URL_CHARS};
use govwatch_model::{Platform, Site};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table};

const NAME_COLUMNS: &[&str] = &["账号名称", "名称", "账号昵称"];
const PLATFORM_COLUMNS: &[&str] = &["平台", "平台类型", "账号类型", "所属平台"];
const ID_COLUMNS: &[&str] = &[
    "账号ID",
    "账号id",
    "账号标识",
    "账号",
    "ID",
    "id",
    "微信号",
    "UID",
    "uid",
];
const ORG_COLUMNS: &[&str] = &["主办单位", "开办主体", "运营主体", "开办单位"];
const REGION_COLUMNS: &[&str] = &["地区", "所属地区", "行政区划"];
const SITE_COLUMNS: &[&str] = &["网站标识码", "所属网站标识码", "所属网站"];
const FEED_COLUMNS: &[&str] = &["订阅地址", "订阅源", "RSS", "rss", "feed"];

/// Header comment of a registry the import creates.
const NEW_FILE_HEADER: &str = "\
# govwatch new-media account registry: one [[account]] table per account (see config/accounts.toml
# in the project for the keys). Created by `govwatch accounts import`; comments and keys added by
# hand are kept.
";

struct Row {
    platform: Platform,
    id: String,
    name: String,
    org: String,
    region: Option<String>,
    site: String,
    feed: Option<String>,
}

/// Merges the account list `csv_path` into `toml_path` (created if absent). `sites` is the site
/// registry: a row's 网站标识码 must name one of them; a row without one is given the site whose
/// 主办单位 is the account's (when exactly one is).
///
/// Existing accounts keep their comments and formatting; `name`, `org`, `region`, `site` and (when
/// the CSV gives one) `feed` are updated. New accounts are appended; accounts missing from the CSV
/// are kept. Bad rows are skipped with a diagnostic. Fails without writing if the existing registry
/// does not load or the CSV lacks a required column.
pub fn import_accounts_csv(
    csv_path: &Path,
    toml_path: &Path,
    sites: &[Site],
) -> Result<ImportReport, ConfigError> {
    let bytes = std::fs::read(csv_path).map_err(|source| ConfigError::Io {
        path: csv_path.to_path_buf(),
        source,
    })?;
    let (csv_text, _) = decode_text(&bytes);
    let (existing, exists) = match std::fs::read_to_string(toml_path) {
        Ok(text) => (text, true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (NEW_FILE_HEADER.to_string(), false),
        Err(source) => {
            return Err(ConfigError::Io {
                path: toml_path.to_path_buf(),
                source,
            });
        }
    };
    let (_, problems) = analyze(toml_path, &existing, Some(sites))?;
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    let mut doc: DocumentMut =
        existing
            .parse()
            .map_err(|e: toml_edit::TomlError| ConfigError::Parse {
                file: toml_path.to_path_buf(),
                line: 0,
                column: 0,
                message: crate::toml_zh(e.message()),
            })?;
    let templates: HashSet<Platform> = doc
        .get("feeds")
        .and_then(Item::as_table_like)
        .map(|t| {
            t.iter()
                .filter(|(_, v)| v.as_str().is_some_and(|s| s.contains(FEED_ID)))
                .filter_map(|(k, _)| Platform::parse(k))
                .collect()
        })
        .unwrap_or_default();
    let mut report = ImportReport::default();
    let rows = read_rows(csv_path, &csv_text, sites, &templates, &mut report)?;
    merge(&mut doc, &rows, &mut report);

    let output = doc.to_string();
    // the edited document is large (a table per row): gone before the output is checked
    drop(doc);
    let (_, problems) = analyze(toml_path, &output, Some(sites))?;
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    if !exists || output != existing {
        write_atomic(toml_path, &output)?;
    }
    Ok(report)
}

fn read_rows(
    file: &Path,
    text: &str,
    sites: &[Site],
    templates: &HashSet<Platform>,
    report: &mut ImportReport,
) -> Result<Vec<Row>, ConfigError> {
    let (mut reader, headers) = csv_reader(file, text)?;
    let required = |names: &[&str]| {
        column(&headers, names).ok_or_else(|| ConfigError::Csv {
            file: file.to_path_buf(),
            line: 1,
            message: format!("缺少必需的列 {}（其中任一列名均可）", names.join("、")),
        })
    };
    let name_col = required(NAME_COLUMNS)?;
    let platform_col = required(PLATFORM_COLUMNS)?;
    let id_col = required(ID_COLUMNS)?;
    let org_col = required(ORG_COLUMNS)?;
    let region_col = column(&headers, REGION_COLUMNS);
    let site_col = column(&headers, SITE_COLUMNS);
    let feed_col = column(&headers, FEED_COLUMNS);
    let site_ids: HashSet<&str> = sites.iter().map(|s| s.id.as_str()).collect();
    let mut by_org: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in sites {
        by_org.entry(s.org.trim()).or_default().push(s.id.as_str());
    }

    let mut rows = Vec::new();
    let mut first_line_of: HashMap<(Platform, String), u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                skip(report, file, line, format!("无法读取这一行（{e}）"));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let cell_opt = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty());
        let name = cell(name_col);
        let platform_text = cell(platform_col);
        let id = cell(id_col);
        let org = cell(org_col);
        // bounded, no control character: checked first, so nothing else quotes such a value
        let region_cell = region_col.map(cell).unwrap_or_default();
        let site_cell = site_col.map(cell).unwrap_or_default();
        let feed_cell = feed_col.map(cell).unwrap_or_default();
        let hostile = field_problems(&[
            ("账号名称", &name, MAX_NAME_CHARS),
            ("平台", &platform_text, MAX_NAME_CHARS),
            ("账号ID", &id, MAX_ID_CHARS),
            ("主办单位", &org, MAX_NAME_CHARS),
            ("地区", &region_cell, MAX_NAME_CHARS),
            ("网站标识码", &site_cell, MAX_ID_CHARS),
            ("订阅地址", &feed_cell, MAX_URL_CHARS),
        ]);
        if !hostile.is_empty() {
            skip(report, file, line, hostile.join("; "));
            continue;
        }
        let mut problems = Vec::new();
        if name.is_empty() {
            problems.push("账号名称为空".to_string());
        }
        let platform = Platform::from_label(&platform_text);
        if platform.is_none() {
            problems.push(format!(
                "平台 `{platform_text}` 不认识（应为微博、微信公众号、今日头条、抖音、快手、微视、客户端或其他）"
            ));
        }
        if !valid_account_id(&id) {
            problems.push(format!("账号ID `{id}` 不能为空，也不能含空白字符"));
        }
        if org.is_empty() {
            problems.push("主办单位为空".to_string());
        }
        let site = match cell_opt(site_col) {
            Some(s) if !valid_id(&s) => {
                problems.push(format!("网站标识码 `{s}` 应为 10 位英文字母或数字"));
                None
            }
            Some(s) if !site_ids.contains(s.as_str()) => {
                problems.push(format!("网站标识码 {s} 不在网站名录 (sites.toml) 中"));
                None
            }
            Some(s) => Some(s),
            None => match by_org.get(org.as_str()).map(Vec::as_slice) {
                Some([one]) => Some(one.to_string()),
                Some(many) if many.len() > 1 => {
                    problems.push(format!(
                        "没有网站标识码，而名录中有 {} 个网站的主办单位是 {org}，请填写网站标识码",
                        many.len()
                    ));
                    None
                }
                _ => {
                    problems.push(format!(
                        "没有网站标识码，名录中也没有主办单位为 {org} 的网站"
                    ));
                    None
                }
            },
        };
        let feed = match cell_opt(feed_col) {
            Some(f) => match parse_http_url(&f) {
                Ok(u) => Some(u.to_string()),
                Err(e) => {
                    problems.push(format!("订阅地址：{e}"));
                    None
                }
            },
            None => None,
        };
        if let Some(p) = platform
            && feed.is_none()
            && !templates.contains(&p)
            && problems.is_empty()
        {
            problems.push(format!(
                "没有订阅地址，accounts.toml 的 [feeds] 中也没有 {p} 的模板"
            ));
        }
        if let Some(p) = platform
            && problems.is_empty()
            && let Some(first) = first_line_of.get(&(p, id.clone()))
        {
            problems.push(format!("账号 {p}:{id} 重复（第一次出现在第 {first} 行）"));
        }
        match (platform, site) {
            (Some(platform), Some(site)) if problems.is_empty() => {
                first_line_of.insert((platform, id.clone()), line);
                rows.push(Row {
                    platform,
                    id,
                    name,
                    org,
                    region: cell_opt(region_col),
                    site,
                    feed,
                });
            }
            _ => skip(report, file, line, problems.join("；")),
        }
    }
    Ok(rows)
}

fn merge(doc: &mut DocumentMut, rows: &[Row], report: &mut ImportReport) {
    let mut leading = prepare_tables(doc, "account");
    let Some(tables) = doc
        .get_mut("account")
        .and_then(Item::as_array_of_tables_mut)
    else {
        return; // not reached: the registry was validated before the merge
    };
    let mut index: HashMap<(String, String), usize> = tables
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let p = t.get("platform").and_then(Item::as_str)?;
            let id = t.get("id").and_then(Item::as_str)?;
            Some(((p.to_string(), id.trim().to_string()), i))
        })
        .collect();
    for row in rows {
        let key = (row.platform.as_str().to_string(), row.id.clone());
        match index.get(&key).and_then(|&i| tables.get_mut(i)) {
            Some(table) => {
                let mut changed = set_str(table, "name", &row.name);
                changed |= set_str(table, "org", &row.org);
                if let Some(region) = &row.region {
                    changed |= set_str(table, "region", region);
                }
                changed |= set_str(table, "site", &row.site);
                if let Some(feed) = &row.feed {
                    changed |= set_str(table, "feed", feed);
                }
                if changed {
                    report.updated += 1;
                } else {
                    report.unchanged += 1;
                }
            }
            None => {
                let mut table = Table::new();
                table.insert("platform", toml_edit::value(row.platform.as_str()));
                table.insert("id", toml_edit::value(&row.id));
                table.insert("name", toml_edit::value(&row.name));
                table.insert("org", toml_edit::value(&row.org));
                table.insert(
                    "region",
                    toml_edit::value(row.region.as_deref().unwrap_or("")),
                );
                table.insert("site", toml_edit::value(&row.site));
                if let Some(feed) = &row.feed {
                    table.insert("feed", toml_edit::value(feed));
                }
                let prefix = if tables.is_empty() {
                    std::mem::take(&mut leading)
                } else {
                    "\n".to_string()
                };
                table.decor_mut().set_prefix(prefix);
                index.insert(key, tables.len());
                tables.push(table);
                report.added += 1;
            }
        }
    }
}
