//! Column kinds and freshness windows (`config/columns.toml`), each rule with its source.

use crate::error::{ConfigError, Diagnostic};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One kind of column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnKind {
    /// Days a column of this kind may go without a new item; none: never judged stale.
    #[serde(default)]
    pub window_days: Option<u32>,
    /// Name fragments that mark the kind.
    #[serde(default)]
    pub names: Vec<String>,
}

/// The home page's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeRule {
    pub window_days: u32,
}

/// Column classification and windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRules {
    pub order: Vec<String>,
    /// Link texts that are never column names (matched whole); a file without the key takes the
    /// shipped list.
    #[serde(default = "shipped_not_columns")]
    pub not_columns: Vec<String>,
    /// Words a column page says it has nothing with (暂无信息 …), matched inside its text; a file
    /// without the key takes the shipped list.
    #[serde(default = "shipped_empty_words")]
    pub empty_words: Vec<String>,
    pub home: HomeRule,
    pub kinds: BTreeMap<String, ColumnKind>,
}

impl ColumnRules {
    /// The kind of a column by its name (`other` when nothing fits).
    pub fn classify(&self, name: &str) -> &str {
        for k in &self.order {
            if let Some(kind) = self.kinds.get(k)
                && kind.names.iter().any(|n| name.contains(n.as_str()))
            {
                return k;
            }
        }
        "other"
    }

    /// Whether a link text is one of the texts that are never column names.
    pub fn is_not_column(&self, text: &str) -> bool {
        self.not_columns.iter().any(|w| w == text)
    }

    /// Days a column of `kind` may go without a new item (none: never judged stale).
    pub fn window(&self, kind: &str) -> Option<u32> {
        self.kinds.get(kind).and_then(|k| k.window_days)
    }
}

/// The shipped `not_columns` list (for a `columns.toml` written before the key existed).
fn shipped_not_columns() -> Vec<String> {
    ColumnRules::default().not_columns
}

/// The shipped `empty_words` list (for a `columns.toml` written before the key existed).
fn shipped_empty_words() -> Vec<String> {
    ColumnRules::default().empty_words
}

impl Default for ColumnRules {
    /// The rules as shipped in `config/columns.toml`.
    fn default() -> Self {
        toml::from_str(crate::shipped::COLUMNS).expect("shipped columns.toml is valid")
    }
}

/// Reads `columns.toml`; a missing file gives the shipped rules.
pub fn load_column_rules(path: &Path) -> Result<ColumnRules, ConfigError> {
    let rules: ColumnRules = crate::load_toml_or_default(path)?;
    let unknown: Vec<&String> = rules
        .order
        .iter()
        .filter(|k| !rules.kinds.contains_key(*k))
        .collect();
    if !unknown.is_empty() {
        return Err(ConfigError::Invalid(vec![Diagnostic::new(
            path,
            0,
            0,
            format!("order 中有未定义的栏目类型 {unknown:?}"),
        )]));
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_real_column_names() {
        let r = ColumnRules::default();
        for (name, kind) in [
            ("工作动态", "news"),
            ("乡镇动态", "news"),
            ("要闻", "news"),
            ("通知公告", "notice"),
            ("公示公告", "notice"),
            ("政策文件", "policy"),
            ("规范性文件", "policy"),
            ("人事信息", "personnel"),
            ("人事动态", "personnel"),
            ("规划计划", "plan"),
            ("互动交流", "interaction"),
            ("机构概况", "other"),
        ] {
            assert_eq!(r.classify(name), kind, "{name}");
        }
        assert_eq!(
            (
                r.window("news"),
                r.window("notice"),
                r.window("personnel"),
                r.window("other")
            ),
            (Some(14), Some(180), Some(365), None)
        );
        assert_eq!(r.home.window_days, 14);
        assert!(r.not_columns.iter().any(|w| w == "网站地图"));
        assert!(r.is_not_column("首页") && !r.is_not_column("通知公告"));
        assert!(r.empty_words.iter().any(|w| w == "暂无信息"));
    }

    #[test]
    fn a_file_without_empty_words_takes_the_shipped_list() {
        let shipped = include_str!("../../../config/columns.toml");
        let without: String = shipped
            .lines()
            .filter(|l| !l.starts_with("empty_words = ["))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(without, shipped);
        let r: ColumnRules = toml::from_str(&without).unwrap();
        assert_eq!(r, ColumnRules::default());
    }
}

#[cfg(test)]
mod load_tests {
    use super::*;

    #[test]
    fn unknown_key_names_file_and_line() {
        let dir = std::env::temp_dir().join(format!("govwatch-columns-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("columns.toml");
        std::fs::write(
            &p,
            "order = [\"news\"]\nnot_columns = []\n[home]\nwindow_days = 14\n[kinds.news]\nwindow_day = 14\n",
        )
        .unwrap();
        let err = load_column_rules(&p).unwrap_err().to_string();
        assert!(err.contains("columns.toml 第 6 行"), "{err}");
        assert!(load_column_rules(&dir.join("missing.toml")).unwrap() == ColumnRules::default());
    }
}
