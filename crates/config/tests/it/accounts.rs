//! The new-media account registry (`accounts.toml`): loading with feed templates, every problem
//! with its line, the CSV import (UTF-8 and GBK, merge keeping comments, bad rows skipped with
//! their line), and inspectors' observations from CSV.

use crate::common::{Scratch, shipped_config};
use govwatch_config::{
    ConfigDir, ConfigError, MediaRules, check_accounts, import_accounts_csv, load_accounts,
    load_sites, parse_accounts, read_manual_findings,
};
use govwatch_model::{Platform, Site};
use std::path::Path;

fn sites() -> Vec<Site> {
    load_sites(&shipped_config().join("sites.toml")).unwrap()
}

const REGISTRY: &str = "\
# hand-written header: kept by the import
[feeds]
weibo = \"http://rsshub.test/weibo/user/{id}\"
toutiao = \"http://rsshub.test/toutiao/user/token/{id}\"

[[account]]
platform = \"weibo\"
id = \"5012345678\"   # kept comment
name = \"萧县发布\"
org = \"萧县人民政府办公室\"
region = \"宿州市萧县\"
site = \"3413220004\"

[[account]]
platform = \"wechat\"
id = \"xiaoxianfabu\"
name = \"萧县发布\"
org = \"萧县人民政府办公室\"
region = \"宿州市萧县\"
site = \"3413220004\"
feed = \"https://feeds.test/wechat/xiaoxianfabu.atom\"
";

#[test]
fn registry_loads_with_templates_and_own_feeds() {
    let accounts = parse_accounts(Path::new("accounts.toml"), REGISTRY, Some(&sites())).unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0].platform, Platform::Weibo);
    assert_eq!(accounts[0].key(), "weibo:5012345678");
    assert_eq!(
        accounts[0].feed.as_str(),
        "http://rsshub.test/weibo/user/5012345678"
    );
    assert_eq!(
        accounts[1].feed.as_str(),
        "https://feeds.test/wechat/xiaoxianfabu.atom"
    );
    assert_eq!(accounts[1].site, "3413220004");
}

#[test]
fn shipped_registry_and_rules_load() {
    let dir = ConfigDir::new(shipped_config());
    assert!(dir.accounts(&sites()).unwrap().is_empty());
    assert!(check_accounts(&dir.accounts_path(), Some(&sites())).is_empty());
    assert_eq!(dir.probe_rules().unwrap().media, MediaRules::default());
    // no accounts.toml at all: no accounts
    let s = Scratch::new("no-accounts");
    assert!(
        ConfigDir::new(s.dir())
            .accounts(&sites())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let text = "\
[feeds]
weibo = \"http://rsshub.test/weibo/user/\"
tiktok = \"http://rsshub.test/x/{id}\"

[[account]]
platform = \"weibo\"
id = \"1\"
name = \"甲\"
org = \"某单位\"
region = \"\"
site = \"3413220004\"

[[account]]
platform = \"weixin\"
id = \"has space\"
name = \"\"
org = \"某单位\"
region = \"\"
site = \"9999999999\"
colour = \"red\"

[[account]]
platform = \"douyin\"
id = \"2\"
name = \"乙\"
org = \"某单位\"
site = \"3413220004\"
feed = \"ftp://x/feed\"

[[account]]
platform = \"toutiao\"
id = \"3\"
name = \"丙\"
org = \"某单位\"
region = \"\"
site = \"3413220004\"

[[account]]
platform = \"weibo\"
id = \"1\"
name = \"甲again\"
org = \"某单位\"
region = \"\"
site = \"3413220004\"
feed = \"http://x.test/feed\"
";
    let e = parse_accounts(Path::new("a.toml"), text, Some(&sites())).unwrap_err();
    let ConfigError::Invalid(d) = &e else {
        panic!("{e}")
    };
    let lines: Vec<String> = d.iter().map(|d| d.to_string()).collect();
    let has = |prefix: &str, words: &str| {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(prefix) && l.contains(words)),
            "{prefix} {words}: {lines:#?}"
        )
    };
    has("a.toml 第 2 行", "中没有 {id}");
    has("a.toml 第 3 行", "平台 `tiktok` 不认识");
    // the weibo template is broken, so the first account has no feed
    has("a.toml 第 5 行", "weibo:1 没有订阅地址");
    has("a.toml 第 14 行", "platform `weixin` 不认识");
    has("a.toml 第 15 行", "账号 ID `has space`");
    has("a.toml 第 16 行", "`name`（账号名称）不能为空");
    has(
        "a.toml 第 19 行",
        "site `9999999999` 不在网站名录 (sites.toml) 中",
    );
    has("a.toml 第 20 行", "没有 `colour` 这个键");
    has("a.toml 第 22 行", "缺少必填的键 `region`");
    has(
        "a.toml 第 28 行",
        "feed（订阅地址）：`ftp://x/feed` 应为 http 或 https 网址",
    );
    has("a.toml 第 30 行", "toutiao:3 没有订阅地址");
    has(
        "a.toml 第 40 行",
        "账号 weibo:1 重复（第一次出现在第 7 行）",
    );
    // without the site registry, unknown sites pass
    let e = parse_accounts(Path::new("a.toml"), text, None).unwrap_err();
    assert!(!e.to_string().contains("9999999999"));
    // syntax errors name the line
    let e = parse_accounts(Path::new("a.toml"), "[[account]\n", None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("a.toml 第 1 行第 11 列：不是正确的 TOML 写法（unclosed array table"),
        "{e}"
    );
}

fn import_csv_text() -> String {
    "账号名称,平台,账号ID,主办单位,地区,网站标识码,订阅地址\n\
萧县发布,新浪微博,5012345678,萧县人民政府办公室,宿州市萧县,3413220004,\n\
宿州教育,微信公众号,szjy2020,宿州市教育局,宿州市,,https://feeds.test/wechat/szjy2020.xml\n\
宿州发布,今日头条,MS4wLjABAAAA,宿州市人民政府办公室,宿州市,3413000001,\n\
无名,抖音,dy1,宿州市教育局,宿州市,3413000019,\n\
没单位,微博,77,某不存在的局,宿州市,,\n\
坏平台,脸书,88,宿州市教育局,宿州市,3413000019,http://x.test/f\n"
        .to_string()
}

fn check_import(s: &Scratch, csv: &Path) {
    let toml_path = s.write("accounts.toml", REGISTRY);
    let rep = import_accounts_csv(csv, &toml_path, &sites()).unwrap();
    assert_eq!(
        (rep.added, rep.updated, rep.unchanged, rep.skipped),
        (2, 0, 1, 3),
        "{rep:?}"
    );
    let diags: Vec<String> = rep.diagnostics.iter().map(|d| d.to_string()).collect();
    let name = csv.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        diags[0].contains(&format!("{name} 第 5 行"))
            && diags[0].contains("[feeds] 中也没有 douyin 的模板"),
        "{diags:?}"
    );
    assert!(
        diags[1].contains(&format!("{name} 第 6 行"))
            && diags[1].contains("名录中也没有主办单位为 某不存在的局 的网站"),
        "{diags:?}"
    );
    assert!(
        diags[2].contains(&format!("{name} 第 7 行")) && diags[2].contains("平台 `脸书` 不认识"),
        "{diags:?}"
    );
    let text = std::fs::read_to_string(&toml_path).unwrap();
    assert!(text.starts_with("# hand-written header: kept by the import"));
    assert!(text.contains("id = \"5012345678\"   # kept comment"));
    let accounts = load_accounts(&toml_path, Some(&sites())).unwrap();
    assert_eq!(accounts.len(), 4);
    let edu = accounts.iter().find(|a| a.id == "szjy2020").unwrap();
    // no 网站标识码: the site whose 主办单位 is the account's
    assert_eq!(edu.site, "3413000019");
    assert_eq!(edu.platform, Platform::Wechat);
    assert_eq!(edu.feed.as_str(), "https://feeds.test/wechat/szjy2020.xml");
    let tt = accounts
        .iter()
        .find(|a| a.platform == Platform::Toutiao)
        .unwrap();
    assert_eq!(
        tt.feed.as_str(),
        "http://rsshub.test/toutiao/user/token/MS4wLjABAAAA"
    );
    // importing again changes nothing
    let before = std::fs::read_to_string(&toml_path).unwrap();
    let rep = import_accounts_csv(csv, &toml_path, &sites()).unwrap();
    assert_eq!((rep.added, rep.updated, rep.unchanged), (0, 0, 3));
    assert_eq!(std::fs::read_to_string(&toml_path).unwrap(), before);
}

#[test]
fn csv_import_merges_utf8_and_gbk() {
    let s = Scratch::new("accounts-import");
    let csv = s.write("accounts.csv", import_csv_text());
    check_import(&s, &csv);
    let s = Scratch::new("accounts-import-gbk");
    let text = import_csv_text();
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    let csv = s.write("accounts-gbk.csv", gbk);
    check_import(&s, &csv);
}

#[test]
fn csv_import_refuses_a_broken_registry_and_a_missing_column() {
    let s = Scratch::new("accounts-import-bad");
    let toml_path = s.write("accounts.toml", "[[account]]\nplatform = \"weibo\"\n");
    let csv = s.write("a.csv", import_csv_text());
    let before = std::fs::read_to_string(&toml_path).unwrap();
    assert!(import_accounts_csv(&csv, &toml_path, &sites()).is_err());
    assert_eq!(std::fs::read_to_string(&toml_path).unwrap(), before);
    let csv = s.write("b.csv", "账号名称,平台\n甲,微博\n");
    let e = import_accounts_csv(&csv, &s.path("new.toml"), &sites()).unwrap_err();
    assert!(
        e.to_string().contains("b.csv 第 1 行：缺少必需的列 账号ID"),
        "{e}"
    );
    assert!(!s.path("new.toml").exists());
}

#[test]
fn manual_findings_are_read_with_their_lines() {
    let accounts = parse_accounts(Path::new("accounts.toml"), REGISTRY, Some(&sites())).unwrap();
    let s = Scratch::new("manual");
    let csv = s.write(
        "checks.csv",
        "账号,平台,问题代码,日期,说明,证据网址\n\
weibo:5012345678,,media.comments_closed,2020-03-10,评论区已关闭,https://weibo.test/5012345678\n\
萧县发布,微信公众号,media.unanswered,2020年3月12日,3条留言未回复,\n\
萧县发布,,media.unanswered,2020-03-12,两个账号同名,\n\
不存在,,media.unanswered,2020-03-12,x,\n\
xiaoxianfabu,,media.stale,2020-03-12,x,\n\
xiaoxianfabu,,media.security,3/12,x,\n\
xiaoxianfabu,,media.security,2020-03-12,,\n",
    );
    let rules = MediaRules::default().manual;
    let got = read_manual_findings(&csv, &accounts, &rules).unwrap();
    assert_eq!(got.rows.len(), 2, "{:?}", got.diagnostics);
    assert_eq!(got.rows[0].account, "weibo:5012345678");
    assert_eq!(got.rows[0].code, "media.comments_closed");
    assert_eq!(got.rows[0].date.to_string(), "2020-03-10");
    assert_eq!(
        got.rows[0].evidence_url.as_deref(),
        Some("https://weibo.test/5012345678")
    );
    assert_eq!(got.rows[0].source, "checks.csv:2");
    assert_eq!(got.rows[1].account, "wechat:xiaoxianfabu");
    assert_eq!(got.rows[1].date.to_string(), "2020-03-12");
    let d: Vec<String> = got.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(d.len(), 5, "{d:#?}");
    assert!(d[0].contains("checks.csv 第 4 行") && d[0].contains("对应 2 个账号"));
    assert!(d[1].contains("checks.csv 第 5 行") && d[1].contains("不在政务新媒体账号名录"));
    assert!(d[2].contains("checks.csv 第 6 行") && d[2].contains("`media.stale` 不能导入"));
    assert!(d[3].contains("checks.csv 第 7 行") && d[3].contains("不是日期"));
    assert!(d[4].contains("checks.csv 第 8 行") && d[4].contains("说明为空"));
}

/// Hostile rows (issue 27): a 20 MB name, NUL and ESC bytes, a bidirectional override, a huge
/// feed URL — each row refused with its line, the value quoted escaped and cut, nothing of it
/// written; the good rows imported.
#[test]
fn hostile_fields_are_refused_with_their_line_and_never_echoed_raw() {
    let s = Scratch::new("accounts-hostile");
    let huge = "名".repeat(20 * 1024 * 1024 / 3);
    let csv_text = format!(
        "账号名称,平台,账号ID,主办单位,地区,网站标识码,订阅地址\n\
萧县发布,新浪微博,5012345678,萧县人民政府办公室,宿州市萧县,3413220004,\n\
{huge},新浪微博,5012345679,萧县人民政府办公室,宿州市萧县,3413220004,\n\
萧县\u{0}发布,新浪微博,5012345680,萧县人民政府办公室,宿州市萧县,3413220004,\n\
萧县\u{1b}[2J\u{1b}]0;pwned\u{7}发布,新浪微博,5012345681,萧县人民政府办公室,宿州市萧县,3413220004,\n\
宿州教育,微信公众号,szjy\u{202e}2020,宿州市教育局,宿州市,,\n\
宿州发布,微信公众号,szfb,宿州市人民政府办公室,宿州市,3413000001,https://feeds.test/{}\n\
\"萧县\n发布\",新浪微博,5012345682,萧县人民政府办公室,宿州市萧县,3413220004,\n",
        "a".repeat(3000)
    );
    let csv = s.write("hostile.csv", &csv_text);
    let toml_path = s.write("accounts.toml", REGISTRY);
    let rep = import_accounts_csv(&csv, &toml_path, &sites()).unwrap();
    assert_eq!((rep.added, rep.skipped), (0, 6), "{:?}", rep.diagnostics);
    let d: Vec<String> = rep.diagnostics.iter().map(|d| d.to_string()).collect();
    let want = [
        (
            "hostile.csv 第 3 行",
            "账号名称长 6990506 个字，超过上限 200 个字",
        ),
        ("hostile.csv 第 4 行", "账号名称含有控制字符 \\u{0}"),
        ("hostile.csv 第 5 行", "账号名称含有控制字符 \\u{1b}"),
        ("hostile.csv 第 6 行", "账号ID含有控制字符 \\u{202e}"),
        (
            "hostile.csv 第 7 行",
            "订阅地址长 3019 个字，超过上限 2048 个字",
        ),
        ("hostile.csv 第 8 行", "账号名称含有控制字符 \\u{a}"),
    ];
    assert_eq!(d.len(), want.len(), "{d:#?}");
    for (got, (line, words)) in d.iter().zip(want) {
        assert!(got.contains(line) && got.contains(words), "{got}");
        // nothing raw reaches a terminal, and no message carries the megabytes
        assert!(
            !got.chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{got:?}"
        );
        assert!(got.chars().count() < 400, "{}", got.chars().count());
    }
    // the registry is unchanged: every new row was refused
    assert_eq!(std::fs::read_to_string(&toml_path).unwrap(), REGISTRY);
}

/// The registry file itself (hand-edited, or written by another tool) is held to the same bounds.
#[test]
fn registry_values_with_controls_or_megabytes_are_problems_with_their_line() {
    let text = REGISTRY.replace("name = \"萧县发布\"\norg = \"萧县人民政府办公室\"\nregion = \"宿州市萧县\"\nsite = \"3413220004\"\nfeed", "name = \"萧县\\u001b[2J发布\"\norg = \"萧县人民政府办公室\"\nregion = \"宿州市萧县\"\nsite = \"3413220004\"\nfeed")
        .replace("id = \"5012345678\"   # kept comment", &format!("id = \"{}\"   # kept comment", "9".repeat(300)));
    let e = parse_accounts(Path::new("accounts.toml"), &text, Some(&sites())).unwrap_err();
    let d: Vec<String> = e.diagnostics().iter().map(|d| d.to_string()).collect();
    assert_eq!(d.len(), 2, "{d:#?}");
    assert!(
        d[0].starts_with("accounts.toml 第 8 行") && d[0].contains("`id`长 300 个字"),
        "{}",
        d[0]
    );
    assert!(
        d[1].starts_with("accounts.toml 第 17 行") && d[1].contains("`name`含有控制字符 \\u{1b}"),
        "{}",
        d[1]
    );
}

/// Inspectors' observations: a note with an ESC, an over-long note, one good row.
#[test]
fn manual_findings_with_controls_or_megabytes_are_refused() {
    let accounts = parse_accounts(Path::new("accounts.toml"), REGISTRY, Some(&sites())).unwrap();
    let s = Scratch::new("manual-hostile");
    let csv = s.write(
        "checks.csv",
        format!(
            "账号,平台,问题代码,日期,说明,证据网址\n\
weibo:5012345678,,media.comments_closed,2020-03-10,评论区已关闭,\n\
weibo:5012345678,,media.comments_closed,2020-03-10,评论\u{1b}[31m区已关闭,\n\
weibo:5012345678,,media.comments_closed,2020-03-10,{},\n",
            "长".repeat(2001)
        ),
    );
    let got = read_manual_findings(&csv, &accounts, &MediaRules::default().manual).unwrap();
    assert_eq!(got.rows.len(), 1);
    let d: Vec<String> = got.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(d.len(), 2, "{d:#?}");
    assert!(
        d[0].contains("checks.csv 第 3 行") && d[0].contains("说明含有控制字符 \\u{1b}"),
        "{}",
        d[0]
    );
    assert!(
        d[1].contains("checks.csv 第 4 行") && d[1].contains("说明长 2001 个字"),
        "{}",
        d[1]
    );
}
