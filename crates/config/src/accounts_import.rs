//! Import of a new-media account list (CSV, UTF-8 or GBK) into `accounts.toml`, with the same
//! machinery as the site registry's import: decoding, header matching, row diagnostics
//! (`FILE.csv:LINE`), a merge that keeps comments and hand-written keys, and an atomic write.

use crate::accounts::{FEED_ID, analyze, valid_account_id};
use crate::csv_rows::read_csv_text;
use crate::csv_rows::{CsvFile, CsvRow, bounded};
use crate::error::ConfigError;
use crate::import::{ImportReport, Registry, prepare_tables, set_str, skip};
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
    let csv_text = read_csv_text(csv_path)?;
    let problems = |text: &str| analyze(toml_path, text, Some(sites)).map(|(_, p)| p);
    let mut registry = Registry::open(toml_path, NEW_FILE_HEADER, problems)?;
    let templates: HashSet<Platform> = registry
        .doc
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
    merge(&mut registry.doc, &rows, &mut report);
    registry.save(problems)?;
    Ok(report)
}

/// The columns of the account list, and what a row is checked against: the site registry (by
/// id, and by 主办单位 for rows without a site) and the platforms with a feed template.
struct AccountColumns<'a> {
    name: usize,
    platform: usize,
    id: usize,
    org: usize,
    region: Option<usize>,
    site: Option<usize>,
    feed: Option<usize>,
    site_ids: HashSet<&'a str>,
    by_org: HashMap<&'a str, Vec<&'a str>>,
    templates: &'a HashSet<Platform>,
}

/// The valid rows of the account list; bad rows are skipped into `report` with their line.
fn read_rows(
    file: &Path,
    text: &str,
    sites: &[Site],
    templates: &HashSet<Platform>,
    report: &mut ImportReport,
) -> Result<Vec<Row>, ConfigError> {
    let csv = CsvFile::new(file, text)?;
    let mut by_org: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in sites {
        by_org.entry(s.org.trim()).or_default().push(s.id.as_str());
    }
    let cols = AccountColumns {
        name: csv.required(NAME_COLUMNS)?,
        platform: csv.required(PLATFORM_COLUMNS)?,
        id: csv.required(ID_COLUMNS)?,
        org: csv.required(ORG_COLUMNS)?,
        region: csv.optional(REGION_COLUMNS),
        site: csv.optional(SITE_COLUMNS),
        feed: csv.optional(FEED_COLUMNS),
        site_ids: sites.iter().map(|s| s.id.as_str()).collect(),
        by_org,
        templates,
    };
    let mut rows = Vec::new();
    let mut first_line_of: HashMap<(Platform, String), u64> = HashMap::new();
    csv.for_each_row(
        |r| {
            let row = account_row(r, &cols)?;
            if let Some(first) = first_line_of.get(&(row.platform, row.id.clone())) {
                return Err(format!(
                    "账号 {}:{} 重复（第一次出现在第 {first} 行）",
                    row.platform, row.id
                ));
            }
            first_line_of.insert((row.platform, row.id.clone()), r.line);
            rows.push(row);
            Ok(())
        },
        |line, problem| skip(report, file, line, problem),
    );
    Ok(rows)
}

/// One row of the account list as an account, or every problem it has.
fn account_row(r: &CsvRow, cols: &AccountColumns) -> Result<Row, String> {
    let name = r.cell(cols.name);
    let platform_text = r.cell(cols.platform);
    let id = r.cell(cols.id);
    let org = r.cell(cols.org);
    bounded(&[
        ("账号名称", &name, MAX_NAME_CHARS),
        ("平台", &platform_text, MAX_NAME_CHARS),
        ("账号ID", &id, MAX_ID_CHARS),
        ("主办单位", &org, MAX_NAME_CHARS),
        ("地区", &r.cell_or_empty(cols.region), MAX_NAME_CHARS),
        ("网站标识码", &r.cell_or_empty(cols.site), MAX_ID_CHARS),
        ("订阅地址", &r.cell_or_empty(cols.feed), MAX_URL_CHARS),
    ])?;
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
    let site = row_site(r.cell_opt(cols.site), &org, cols).map_err(|p| problems.push(p));
    let feed = match r.cell_opt(cols.feed) {
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
        && !cols.templates.contains(&p)
        && problems.is_empty()
    {
        problems.push(format!(
            "没有订阅地址，accounts.toml 的 [feeds] 中也没有 {p} 的模板"
        ));
    }
    match (platform, site) {
        (Some(platform), Ok(site)) if problems.is_empty() => Ok(Row {
            platform,
            id,
            name,
            org,
            region: r.cell_opt(cols.region),
            site,
            feed,
        }),
        _ => Err(problems.join("；")),
    }
}

/// The site of a row: its 网站标识码 when registered, else the one site whose 主办单位 is the
/// account's; the problem when neither.
fn row_site(cell: Option<String>, org: &str, cols: &AccountColumns) -> Result<String, String> {
    match cell {
        Some(s) if !valid_id(&s) => Err(format!("网站标识码 `{s}` 应为 10 位英文字母或数字")),
        Some(s) if !cols.site_ids.contains(s.as_str()) => {
            Err(format!("网站标识码 {s} 不在网站名录 (sites.toml) 中"))
        }
        Some(s) => Ok(s),
        None => match cols.by_org.get(org).map(Vec::as_slice) {
            Some([one]) => Ok(one.to_string()),
            Some(many) if many.len() > 1 => Err(format!(
                "没有网站标识码，而名录中有 {} 个网站的主办单位是 {org}，请填写网站标识码",
                many.len()
            )),
            _ => Err(format!(
                "没有网站标识码，名录中也没有主办单位为 {org} 的网站"
            )),
        },
    }
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
