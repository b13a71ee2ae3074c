//! The CSV import of the site registry (UTF-8 with BOM and GBK): merged into `sites.toml` keeping
//! comments and overrides, bad rows reported with their line and skipped, hostile cells refused.

use crate::common::Scratch;
use govwatch_config::{ConfigError, ImportReport, import_csv, load_sites};
use govwatch_model::SiteKind;

const HEADER: &str = "网站标识码,网站名称,首页网址,主办单位,地区,网站类型\n";

const REGISTRY: &str = "\
# hand-written header comment: must survive the import
[[site]]
id = \"3413220004\"   # 萧县 (kept comment)
name = \"萧县政府\"
home = \"https://www.ahxx.gov.cn/\"
org = \"萧县人民政府办公室\"
region = \"宿州市萧县\"
kind = \"portal\"
# the county's server is small
rate = 0.5

[site.columns]
\"政务公开\" = \"https://www.ahxx.gov.cn/zwgk/\"

[[site]]
id = \"3413000019\"
name = \"宿州市教育局\"
home = \"https://jyj.ahsz.gov.cn/\"
org = \"宿州市教育局\"
region = \"宿州市\"
kind = \"department\"

# site not in the CSV: kept
[[site]]
id = \"3413000099\"
name = \"宿州市统计局\"
home = \"http://tjj.ahsz.gov.cn/\"
org = \"宿州市统计局\"
region = \"宿州市\"
kind = \"department\"
max_pages = 50
";

fn csv_body() -> String {
    format!(
        "{HEADER}\
3413220004,萧县人民政府,www.ahxx.gov.cn,萧县人民政府办公室,宿州市萧县,政府门户网站\n\
3413000019,宿州市教育局,https://jyj.ahsz.gov.cn/,宿州市教育局,宿州市,部门网站\n\
3413000001,宿州市人民政府,http://www.ahsz.gov.cn,宿州市人民政府办公室,宿州市,门户\n\
3413000020,\"宿州市卫生健康委员会\",wjw.ahsz.gov.cn/index.html,宿州市卫生健康委员会,宿州市,部门\n"
    )
}

fn check_merged(scratch: &Scratch, report: &ImportReport) {
    assert_eq!(report.added, 2, "{report:?}");
    assert_eq!(report.updated, 1, "{report:?}");
    assert_eq!(report.unchanged, 1, "{report:?}");
    assert_eq!(report.skipped, 0, "{report:?}");
    assert!(report.diagnostics.is_empty());

    let toml_path = scratch.path("sites.toml");
    let text = std::fs::read_to_string(&toml_path).unwrap();
    assert!(text.starts_with("# hand-written header comment: must survive the import\n"));
    assert!(
        text.contains("id = \"3413220004\"   # 萧县 (kept comment)\n"),
        "{text}"
    );
    assert!(
        text.contains("# the county's server is small\nrate = 0.5\n"),
        "{text}"
    );
    assert!(text.contains("# site not in the CSV: kept\n"), "{text}");
    assert!(text.contains("name = \"萧县人民政府\"\n"), "{text}");

    let sites = load_sites(&toml_path).unwrap();
    let ids: Vec<&str> = sites.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "3413220004",
            "3413000019",
            "3413000099",
            "3413000001",
            "3413000020"
        ]
    );
    let xx = &sites[0];
    assert_eq!(xx.name, "萧县人民政府");
    // The scheme-less CSV URL does not downgrade the registered https home.
    assert_eq!(xx.home.as_str(), "https://www.ahxx.gov.cn/");
    assert_eq!(xx.overrides.rate, Some(0.5));
    assert_eq!(xx.overrides.columns.len(), 1);
    assert_eq!(sites[2].overrides.max_pages, Some(50));
    assert_eq!(sites[3].name, "宿州市人民政府");
    assert_eq!(sites[3].home.as_str(), "http://www.ahsz.gov.cn/");
    assert_eq!(sites[3].kind, SiteKind::Portal);
    assert_eq!(sites[4].home.as_str(), "http://wjw.ahsz.gov.cn/index.html");
    assert_eq!(sites[4].kind, SiteKind::Department);
    assert_eq!(sites[4].region, "宿州市");
}

#[test]
fn utf8_with_bom_merges_keeping_comments_and_overrides() {
    let scratch = Scratch::new("utf8");
    scratch.write("sites.toml", REGISTRY);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(csv_body().as_bytes());
    let csv = scratch.write("registry.csv", bytes);
    let report = import_csv(&csv, &scratch.path("sites.toml")).unwrap();
    check_merged(&scratch, &report);

    // Importing again changes nothing.
    let before = std::fs::read_to_string(scratch.path("sites.toml")).unwrap();
    let again = import_csv(&csv, &scratch.path("sites.toml")).unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 4));
    assert_eq!(
        std::fs::read_to_string(scratch.path("sites.toml")).unwrap(),
        before
    );
}

#[test]
fn gbk_bytes_import() {
    let scratch = Scratch::new("gbk");
    scratch.write("sites.toml", REGISTRY);
    let body = csv_body();
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&body);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err());
    let csv = scratch.write("registry.csv", &bytes);
    let report = import_csv(&csv, &scratch.path("sites.toml")).unwrap();
    check_merged(&scratch, &report);
}

#[test]
fn bad_rows_are_reported_and_skipped() {
    let scratch = Scratch::new("bad");
    let csv_text = format!(
        "{HEADER}\
3413220004,萧县人民政府,https://www.ahxx.gov.cn/,萧县人民政府办公室,宿州市萧县,门户\n\
34132200,短标识码,https://a.gov.cn/,某单位,某地,门户\n\
3413000002,,https://b.gov.cn/,某单位,某地,门户\n\
3413000003,无网址,,某单位,某地,门户\n\
3413000004,坏网址,ftp://c.gov.cn/,某单位,某地,门户\n\
3413000005,怪类型,https://d.gov.cn/,某单位,某地,新媒体\n\
3413220004,重复,https://e.gov.cn/,某单位,某地,门户\n\
3413000006,好的,https://f.gov.cn/,某单位,,\n"
    );
    let csv = scratch.write("registry.csv", csv_text);
    let toml_path = scratch.path("new/sites.toml");
    let report = import_csv(&csv, &toml_path).unwrap();
    assert_eq!(report.added, 2, "{report:?}");
    assert_eq!(report.skipped, 6, "{report:?}");
    let lines: Vec<usize> = report.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8]);
    let shown: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    let prefix = format!("{} 第 ", csv.display());
    for s in &shown {
        assert!(s.starts_with(&prefix), "{s}");
    }
    assert_eq!(
        shown[0],
        format!(
            "{} 第 3 行：网站标识码 `34132200` 应为 10 位英文字母或数字",
            csv.display()
        )
    );
    assert!(shown[1].ends_with("第 4 行：网站名称为空"), "{}", shown[1]);
    assert!(shown[2].ends_with("第 5 行：首页网址为空"), "{}", shown[2]);
    assert!(shown[3].contains("第 6 行：首页网址："), "{}", shown[3]);
    assert!(
        shown[4].contains("第 7 行：网站类型 `新媒体` 不认识"),
        "{}",
        shown[4]
    );
    assert!(
        shown[5].ends_with("第 8 行：网站标识码 3413220004 重复（第一次出现在第 2 行）"),
        "{}",
        shown[5]
    );

    // The new file loads, has a header comment, and defaults region "" and kind portal.
    let text = std::fs::read_to_string(&toml_path).unwrap();
    assert!(text.starts_with('#'), "{text}");
    let sites = load_sites(&toml_path).unwrap();
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[1].id, "3413000006");
    assert_eq!(sites[1].region, "");
    assert_eq!(sites[1].kind, SiteKind::Portal);
}

#[test]
fn optional_columns_absent_keep_existing_values() {
    let scratch = Scratch::new("minimal");
    scratch.write("sites.toml", REGISTRY);
    let csv = scratch.write(
        "registry.csv",
        " 网站标识码 ,网站名称,首页网址,主办单位\n3413000019,宿州市教育局,https://jyj.ahsz.gov.cn/,宿州市教育局\n",
    );
    let report = import_csv(&csv, &scratch.path("sites.toml")).unwrap();
    assert_eq!(report.unchanged, 1, "{report:?}");
    let sites = load_sites(&scratch.path("sites.toml")).unwrap();
    assert_eq!(sites[1].kind, SiteKind::Department);
    assert_eq!(sites[1].region, "宿州市");
    assert_eq!(
        std::fs::read_to_string(scratch.path("sites.toml")).unwrap(),
        REGISTRY
    );
}

#[test]
fn missing_required_column_fails_without_writing() {
    let scratch = Scratch::new("nocol");
    scratch.write("sites.toml", REGISTRY);
    let csv = scratch.write(
        "registry.csv",
        "网站标识码,网站名称,主办单位\n3413000019,x,y\n",
    );
    let err = import_csv(&csv, &scratch.path("sites.toml")).unwrap_err();
    assert!(matches!(err, ConfigError::Csv { line: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("首页网址"), "{err}");
    assert_eq!(
        std::fs::read_to_string(scratch.path("sites.toml")).unwrap(),
        REGISTRY
    );
}

#[test]
fn invalid_registry_is_not_overwritten() {
    let scratch = Scratch::new("badreg");
    let broken = REGISTRY.replace("kind = \"portal\"", "kind = \"county\"");
    scratch.write("sites.toml", &broken);
    let csv = scratch.write("registry.csv", csv_body());
    let err = import_csv(&csv, &scratch.path("sites.toml")).unwrap_err();
    match &err {
        ConfigError::Invalid(d) => assert_eq!(d[0].line, 8),
        e => panic!("{e:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(scratch.path("sites.toml")).unwrap(),
        broken
    );
}

/// Hostile registry rows (issue 27): a megabyte name, ESC and NUL bytes, an over-long home URL
/// are refused with their line, quoted escaped and cut; the registry keeps none of them.
#[test]
fn hostile_cells_are_refused_and_never_echoed_raw() {
    let scratch = Scratch::new("import-hostile");
    let toml_path = scratch.write("sites.toml", REGISTRY);
    let csv = scratch.write(
        "hostile.csv",
        format!(
            "{HEADER}\
3413000101,{},http://a.gov.test/,某单位,某市,部门\n\
3413000102,某\u{1b}[2J局,http://b.gov.test/,某单位,某市,部门\n\
3413000103,某局,http://c.gov.test/,某\u{0}单位,某市,部门\n\
3413000104,某局,http://d.gov.test/{},某单位,某市,部门\n\
3413000105,某局,http://e.gov.test/,某单位,某\u{2067}市,部门\n",
            "名".repeat(1_000_000),
            "p".repeat(2100)
        ),
    );
    let report = import_csv(&csv, &toml_path).unwrap();
    assert_eq!((report.added, report.skipped), (0, 5), "{report:?}");
    let d: Vec<String> = report.diagnostics.iter().map(|d| d.to_string()).collect();
    let want = [
        ("hostile.csv 第 2 行", "网站名称长 1000000 个字"),
        ("hostile.csv 第 3 行", "网站名称含有控制字符 \\u{1b}"),
        ("hostile.csv 第 4 行", "主办单位含有控制字符 \\u{0}"),
        ("hostile.csv 第 5 行", "首页网址长 2118 个字"),
        ("hostile.csv 第 6 行", "地区含有控制字符 \\u{2067}"),
    ];
    for (got, (line, words)) in d.iter().zip(want) {
        assert!(got.contains(line) && got.contains(words), "{got}");
        assert!(!got.chars().any(char::is_control), "{got:?}");
        assert!(got.chars().count() < 400);
    }
    assert_eq!(std::fs::read_to_string(&toml_path).unwrap(), REGISTRY);
}
