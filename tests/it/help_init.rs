//! `govwatch --help` as a person reads it (issue 17): every option of every command described,
//! exit codes and examples in the long help; `govwatch init DIR` writes a configuration that
//! govwatch accepts, and keeps files already there.

use crate::common::chinese::help_commands as commands;
use crate::common::govwatch;

fn stdout_of(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = govwatch(dir, args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Option and argument lines with no description (a flag alone on its line, nothing after it).
fn undescribed(help: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut section = "";
    let lines: Vec<&str> = help.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if !l.starts_with(' ') && l.ends_with('：') {
            section = l;
            continue;
        }
        if section != "选项：" && section != "参数：" {
            continue;
        }
        let t = l.trim_start();
        let is_flag = (t.starts_with('-') || t.starts_with('<') || t.starts_with('['))
            && l.len() - t.len() <= 6;
        if !is_flag {
            continue;
        }
        // the flag, then its description (`（默认：…）` alone is no description)
        let parts: Vec<&str> = t
            .split("  ")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .enumerate()
            .filter(|(i, p)| *i == 0 || !p.starts_with('（'))
            .map(|(_, p)| p)
            .collect();
        // a long flag may put its description on the next, deeper-indented line
        let next_is_text = lines
            .get(i + 1)
            .is_some_and(|n| n.len() - n.trim_start().len() > 6 && !n.trim().is_empty());
        if parts.len() < 2 && !next_is_text {
            bad.push(t.to_string());
        }
    }
    bad
}

#[test]
fn every_option_is_described_and_the_help_gives_exit_codes_and_examples() {
    let dir = crate::common::scratch("help", "all");
    let (code, top, _) = stdout_of(&dir, &["--help"]);
    assert_eq!(code, Some(0));
    assert!(top.contains("退出码 (exit codes)："), "{top}");
    assert!(top.contains("3  被中断"), "{top}");
    assert!(top.contains("示例："), "{top}");
    assert!(top.contains("govwatch show 17"), "{top}");
    let mut missing = Vec::new();
    let subs = commands(&top);
    assert!(subs.len() >= 15, "{subs:?}");
    for sub in &subs {
        let (_, help, _) = stdout_of(&dir, &[sub, "--help"]);
        for m in undescribed(&help) {
            missing.push(format!("{sub}: {m}"));
        }
        for nested in commands(&help) {
            let (_, help, _) = stdout_of(&dir, &[sub, &nested, "--help"]);
            for m in undescribed(&help) {
                missing.push(format!("{sub} {nested}: {m}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "options without a description: {missing:#?}"
    );
}

#[test]
fn init_writes_a_configuration_govwatch_accepts_and_keeps_existing_files() {
    let dir = crate::common::scratch("init", "new");
    let (code, stdout, stderr) = stdout_of(&dir, &["init", "office"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let config = dir.join("office/config");
    for f in [
        "sites.toml",
        "crawl.toml",
        "indicators.toml",
        "probes.toml",
        "daemon.toml",
        "warnings.toml",
        "holidays.toml",
        "accounts.toml",
    ] {
        assert!(config.join(f).is_file(), "{f}");
    }
    let sites = std::fs::read_to_string(config.join("sites.toml")).unwrap();
    assert!(
        sites.contains("# [[site]]") && sites.contains("网站标识码"),
        "{sites}"
    );
    // the skeleton is valid: the registry (empty) and every rule file load
    let (code, stdout, stderr) = stdout_of(&dir.join("office"), &["sites", "check"]);
    assert_eq!(code, Some(0), "sites check: {stdout}\n{stderr}");
    let (code, stdout, stderr) = stdout_of(&dir.join("office"), &["accounts", "check"]);
    assert_eq!(code, Some(0), "accounts check: {stdout}\n{stderr}");
    // a folder just made cannot run yet, and says why: no site, then the example contact
    let (code, _, stderr) = stdout_of(&dir.join("office"), &["run"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("没有登记任何网站"), "{stderr}");
    std::fs::write(
        config.join("sites.toml"),
        "[[site]]\nid = \"3413220004\"\nname = \"萧县人民政府\"\nhome = \"https://www.ahxx.gov.cn/\"\n\
         org = \"萧县人民政府办公室\"\nregion = \"宿州市萧县\"\nkind = \"portal\"\n",
    )
    .unwrap();
    let (code, _, stderr) = stdout_of(&dir.join("office"), &["run"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("contact 仍是示例地址 inspection-office@example.gov.cn"),
        "{stderr}"
    );
    assert!(!dir.join("office/govwatch.db").exists(), "nothing recorded");
    let (code, _, stderr) = stdout_of(&dir.join("office"), &["codes"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        !stderr.contains("内置的评分规则"),
        "config/indicators.toml was read: {stderr}"
    );

    // a second init keeps what the office changed
    std::fs::write(config.join("sites.toml"), "# ours\n").unwrap();
    let (code, stdout, _) = stdout_of(&dir, &["init", "office"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("已保留"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(config.join("sites.toml")).unwrap(),
        "# ours\n"
    );
}
