//! The site registry (`sites.toml`) and the crawl settings (`crawl.toml`): the shipped files load,
//! every problem is reported with its line and column, in order, and a syntax error or a missing
//! file is its own error.

use crate::common::{Scratch, shipped_config};
use govwatch_config::{
    ConfigDir, ConfigError, CrawlSettings, Diagnostic, check_sites, load, load_crawl_settings,
    load_sites, parse_sites,
};
use govwatch_model::SiteKind;
use std::path::Path;

const GOOD: &str = r#"# registry
[[site]]
id = "3413220004"
name = "萧县人民政府"
home = "https://www.ahxx.gov.cn/"
org = "萧县人民政府办公室"
region = "宿州市萧县"
kind = "portal"
"#;

/// (line, column, message) of each diagnostic for `text`.
fn problems(text: &str) -> Vec<(usize, usize, String)> {
    match parse_sites(Path::new("sites.toml"), text) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid(d)) => d
            .into_iter()
            .map(|d| (d.line, d.column, d.message))
            .collect(),
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn one_problem(text: &str) -> (usize, usize, String) {
    let mut p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    p.remove(0)
}

#[test]
fn shipped_sites_load() {
    let sites = load_sites(&shipped_config().join("sites.toml")).unwrap();
    assert_eq!(sites.len(), 3);
    let xx = &sites[0];
    assert_eq!(xx.id, "3413220004");
    assert_eq!(xx.name, "萧县人民政府");
    assert_eq!(xx.home.as_str(), "https://www.ahxx.gov.cn/");
    assert_eq!(xx.kind, SiteKind::Portal);
    assert_eq!(xx.overrides.rate, Some(0.5));
    assert_eq!(
        xx.overrides.columns.get("政务公开").map(String::as_str),
        Some("https://www.ahxx.gov.cn/zwgk/")
    );
    assert_eq!(sites[1].overrides.max_pages, Some(300));
    assert!(sites.iter().any(|s| s.kind == SiteKind::Department));
    assert!(check_sites(&shipped_config().join("sites.toml")).is_empty());
}

#[test]
fn shipped_crawl_settings_are_the_defaults() {
    let s = load_crawl_settings(&shipped_config().join("crawl.toml")).unwrap();
    assert_eq!(s, CrawlSettings::default());
    // Every key is written out in the shipped file.
    let text = std::fs::read_to_string(shipped_config().join("crawl.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let defaults = toml::Table::try_from(CrawlSettings::default()).unwrap();
    let mut shipped: Vec<&String> = table.keys().collect();
    let mut all: Vec<&String> = defaults.keys().collect();
    shipped.sort();
    all.sort();
    // `dns_servers = []` serializes too, so the key sets are equal.
    assert_eq!(shipped, all);
}

#[test]
fn shipped_dir_loads() {
    let (sites, settings) = load(&shipped_config()).unwrap();
    assert_eq!(sites.len(), 3);
    assert_eq!(settings.timeout_secs, 15.0);
    let dir = ConfigDir::new(shipped_config());
    assert_eq!(dir.load().unwrap().0, sites);
}

#[test]
fn missing_crawl_file_gives_defaults() {
    let scratch = Scratch::new("nocrawl");
    let s = load_crawl_settings(&scratch.path("crawl.toml")).unwrap();
    assert_eq!(s, CrawlSettings::default());
}

#[test]
fn crawl_unknown_key_names_file_and_line() {
    let scratch = Scratch::new("crawlkey");
    let p = scratch.write("crawl.toml", "rate = 1.0\n# x\ntimeout = 10\n");
    let err = load_crawl_settings(&p).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{} 第 3 行第 1 列：没有 `timeout` 这个键",
            p.display()
        )),
        "{err}"
    );
    assert!(err.to_string().contains("timeout"), "{err}");
}

#[test]
fn good_site_loads() {
    let sites = parse_sites(Path::new("s.toml"), GOOD).unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].region, "宿州市萧县");
}

#[test]
fn duplicate_id() {
    let text = format!("{GOOD}\n{}", GOOD.replace("# registry\n", ""));
    // Second table starts at line 10; its id at line 11. First id at line 3.
    assert_eq!(
        one_problem(&text),
        (
            11,
            1,
            "网站标识码 3413220004 重复（第一次出现在第 3 行）".to_string()
        )
    );
    let scratch = Scratch::new("dup");
    let p = scratch.write("sites.toml", &text);
    let d = check_sites(&p);
    assert_eq!(
        d[0].to_string(),
        format!(
            "{} 第 11 行第 1 列：网站标识码 3413220004 重复（第一次出现在第 3 行）",
            p.display()
        )
    );
    match load_sites(&p) {
        Err(ConfigError::Invalid(all)) => assert_eq!(all, d),
        other => panic!("{other:?}"),
    }

    // A duplicate is reported even when the first site is itself invalid.
    let text = format!(
        "{}\n{}",
        GOOD.replace("\"portal\"", "\"county\""),
        GOOD.replace("# registry\n", "")
    );
    let p = problems(&text);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0].0, 8);
    assert_eq!(
        (p[1].0, p[1].2.as_str()),
        (11, "网站标识码 3413220004 重复（第一次出现在第 3 行）")
    );
}

#[test]
fn unknown_key() {
    let text = GOOD.replace(
        "kind = \"portal\"\n",
        "kind = \"portal\"\nhomepage = \"x\"\n",
    );
    let (line, col, msg) = one_problem(&text);
    assert_eq!((line, col), (9, 1));
    assert!(
        msg.starts_with("[[site]] 中没有 `homepage` 这个键"),
        "{msg}"
    );

    let text = format!("title = \"x\"\n{GOOD}");
    let (line, _, msg) = one_problem(&text);
    assert_eq!(line, 1);
    assert!(msg.contains("`title`"), "{msg}");
}

#[test]
fn missing_keys() {
    let text = GOOD
        .replace("org = \"萧县人民政府办公室\"\n", "")
        .replace("region = \"宿州市萧县\"\n", "");
    assert_eq!(
        one_problem(&text),
        (
            2,
            1,
            "[[site]] 3413220004 缺少必填的键 `org`、`region`".to_string()
        )
    );
}

#[test]
fn bad_id() {
    for bad in [
        "341322000",
        "34132200045",
        "341322000-",
        "３４１３２２０００４",
    ] {
        let text = GOOD.replace("3413220004", bad);
        let (line, col, msg) = one_problem(&text);
        assert_eq!((line, col), (3, 1), "{bad}");
        assert!(msg.contains("应为 10 位英文字母或数字"), "{msg}");
    }
    // Letters are allowed (department ids such as bm…).
    assert!(problems(&GOOD.replace("3413220004", "bm07000001")).is_empty());
}

#[test]
fn bad_home() {
    for bad in [
        "www.ahxx.gov.cn",
        "ftp://www.ahxx.gov.cn/",
        "/index.html",
        "https://",
        "mailto:a@b.cn",
    ] {
        let text = GOOD.replace("https://www.ahxx.gov.cn/", bad);
        let (line, _, msg) = one_problem(&text);
        assert_eq!(line, 5, "{bad}: {msg}");
        assert!(msg.starts_with("home（首页网址）："), "{msg}");
    }
}

#[test]
fn bad_kind() {
    let text = GOOD.replace("\"portal\"", "\"门户\"");
    assert_eq!(
        one_problem(&text),
        (
            8,
            1,
            "kind `门户` 应为 `portal`（门户）或 `department`（部门）".to_string()
        )
    );
}

#[test]
fn bad_rate() {
    for bad in ["0", "0.0", "-1.5", "nan", "\"fast\""] {
        let text = format!("{GOOD}rate = {bad}\n");
        let (line, col, msg) = one_problem(&text);
        assert_eq!((line, col), (9, 1), "{bad}");
        assert!(msg.starts_with("`rate` 应"), "{msg}");
    }
    assert!(problems(&format!("{GOOD}rate = 2\n")).is_empty());
}

#[test]
fn empty_name() {
    let text = GOOD.replace("\"萧县人民政府\"", "\"  \"");
    assert_eq!(
        one_problem(&text),
        (4, 1, "`name`（网站名称）不能为空".to_string())
    );
}

#[test]
fn wrong_types_and_overrides() {
    let text = format!(
        "{GOOD}hosts = [\"search.ahxx.gov.cn\", \"a/b\"]\nmax_pages = 0\nmax_depth = -1\n\n[site.columns]\n\"政务公开\" = \"zwgk/\"\n"
    );
    let p = problems(&text);
    let lines: Vec<usize> = p.iter().map(|p| p.0).collect();
    assert_eq!(lines, vec![9, 10, 11, 14], "{p:?}");

    let text = GOOD.replace("name = \"萧县人民政府\"", "name = 3");
    assert_eq!(
        one_problem(&text),
        (4, 1, "`name` 应为字符串，而不是整数".to_string())
    );

    let text = format!(
        "{GOOD}hosts = [\"search.ahxx.gov.cn\"]\nmax_depth = 0\ncolumns = {{ \"政务公开\" = \"https://www.ahxx.gov.cn/zwgk/\" }}\n"
    );
    let sites = parse_sites(Path::new("s.toml"), &text).unwrap();
    assert_eq!(sites[0].overrides.hosts, vec!["search.ahxx.gov.cn"]);
    assert_eq!(sites[0].overrides.max_depth, Some(0));
    assert_eq!(sites[0].overrides.columns.len(), 1);
}

#[test]
fn all_problems_reported_in_order() {
    let text = r#"
[[site]]
id = "short"
name = ""
home = "nowhere"
org = "x"
region = ""
kind = "agency"
colour = "red"

[[site]]
name = "no id"
home = "http://a.gov.cn/"
org = "x"
region = ""
kind = "portal"
"#;
    let p = problems(text);
    let lines: Vec<usize> = p.iter().map(|p| p.0).collect();
    assert_eq!(lines, vec![3, 4, 5, 8, 9, 11], "{p:?}");
}

#[test]
fn syntax_error_is_parse_error() {
    let err = parse_sites(Path::new("s.toml"), "[[site]]\nid = \"x\nname = 1\n").unwrap_err();
    match &err {
        ConfigError::Parse { line, .. } => assert_eq!(*line, 2),
        e => panic!("{e:?}"),
    }
    let scratch = Scratch::new("syntax");
    let p = scratch.write("sites.toml", "[[site]\n");
    let d: Vec<Diagnostic> = check_sites(&p);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].line, 1);
}

#[test]
fn missing_sites_file_is_io_error() {
    let scratch = Scratch::new("nosites");
    assert!(matches!(
        load_sites(&scratch.path("sites.toml")),
        Err(ConfigError::Io { .. })
    ));
}

#[test]
fn column_kinds_override_is_read_and_checked() {
    let text = "[[site]]\nid = \"3413220004\"\nname = \"萧县人民政府\"\nhome = \"https://www.ahxx.gov.cn/\"\norg = \"萧县人民政府办公室\"\nregion = \"萧县\"\nkind = \"portal\"\n\n[site.column_kinds]\n\"县长之窗\" = \"news\"\n";
    let sites = govwatch_config::parse_sites(std::path::Path::new("sites.toml"), text).unwrap();
    assert_eq!(
        sites[0]
            .overrides
            .column_kinds
            .get("县长之窗")
            .map(String::as_str),
        Some("news")
    );
    let bad = text.replace("\"news\"", "3");
    let err = govwatch_config::parse_sites(std::path::Path::new("sites.toml"), &bad).unwrap_err();
    assert!(err.to_string().contains("column_kinds"), "{err}");
}
