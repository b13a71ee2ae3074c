//! Errors and diagnostics, each naming the file and line it is about.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem found in a configuration file, at a position.
///
/// Displays as a Chinese sentence naming the place, `FILE 第 LINE 行第 COLUMN 列：MESSAGE`; the
/// column is left out when it is 0 (unknown, as for CSV rows), and line and column both when the
/// line is 0 (the whole file): `FILE：MESSAGE`. The message holds no control character (escaped
/// as `\u{1b}`) and at most 4,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line, or 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column in characters, or 0 when unknown.
    pub column: usize,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        file: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            line,
            column,
            // a value quoted from the file never reaches a terminal with its control characters
            message: crate::text::sanitize_message(message.into(), 4000),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}：{}",
            place(&self.file, self.line, self.column),
            self.message
        )
    }
}

/// Where in a file, in words: `FILE 第 3 行第 5 列`, `FILE 第 3 行` (column 0) or `FILE` (line 0).
pub fn place(file: &Path, line: usize, column: usize) -> String {
    match (line, column) {
        (0, _) => file.display().to_string(),
        (l, 0) => format!("{} 第 {l} 行", file.display()),
        (l, c) => format!("{} 第 {l} 行第 {c} 列", file.display()),
    }
}

/// A TOML value's type name (`Item::type_name`) in words.
pub(crate) fn type_zh(name: &str) -> &'static str {
    match name {
        "string" => "字符串",
        "integer" => "整数",
        "float" => "小数",
        "boolean" => "布尔值 (true/false)",
        "datetime" => "日期时间",
        "array" => "数组",
        "table" | "inline table" => "表",
        "array of tables" => "表数组",
        _ => "空值",
    }
}

/// A TOML parser's message as a Chinese sentence, its own words kept in parentheses: what kind
/// of mistake it is (an unknown or missing key, a value of the wrong type, a syntax error), with
/// the key named when the parser names it.
pub fn toml_zh(raw: &str) -> String {
    let raw = raw.trim().replace('\n', "；");
    let key = raw
        .split('`')
        .nth(1)
        .filter(|_| raw.matches('`').count() >= 2);
    let said = if raw.starts_with("unknown field") {
        match key {
            Some(k) => format!("没有 `{k}` 这个键，可能拼错了"),
            None => "有不认识的键，可能拼错了".to_string(),
        }
    } else if raw.starts_with("missing field") {
        match key {
            Some(k) => format!("缺少必填的键 `{k}`"),
            None => "缺少必填的键".to_string(),
        }
    } else if raw.starts_with("invalid type") {
        "值的类型不对".to_string()
    } else if raw.starts_with("invalid value") || raw.starts_with("unknown variant") {
        "值不在允许的范围内".to_string()
    } else if raw.starts_with("duplicate key") {
        match key {
            Some(k) => format!("键 `{k}` 重复"),
            None => "键重复".to_string(),
        }
    } else {
        "不是正确的 TOML 写法".to_string()
    };
    format!("{said}（{raw}）")
}
/// Why configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or written.
    #[error("{}：{}（{source}）", path.display(), io_zh(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a value has the wrong type for its key.
    #[error("{}：{message}", place(file, *line, *column))]
    Parse {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The CSV file cannot be imported at all (e.g. a required column is missing).
    #[error("{}：{message}", place(file, *line, 0))]
    Csv {
        file: PathBuf,
        line: usize,
        message: String,
    },
    /// The file parsed but its contents are wrong: every problem found, in file order.
    #[error("{}", join_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
    /// Settings checked outside any file ([`crate::CrawlSettings::validate`]): `key problem`.
    #[error("抓取设置有误：{}", .0.join("；"))]
    Settings(Vec<String>),
}

impl ConfigError {
    /// The problems as diagnostics (one for errors that are not lists).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            ConfigError::Io { path, source } => {
                vec![Diagnostic::new(
                    path,
                    0,
                    0,
                    format!("{}（{source}）", io_zh(source)),
                )]
            }
            ConfigError::Parse {
                file,
                line,
                column,
                message,
            } => vec![Diagnostic::new(file, *line, *column, message.clone())],
            ConfigError::Csv {
                file,
                line,
                message,
            } => vec![Diagnostic::new(file, *line, 0, message.clone())],
            ConfigError::Invalid(d) => d.clone(),
            ConfigError::Settings(problems) => problems
                .iter()
                .map(|p| Diagnostic::new("抓取设置", 0, 0, p.clone()))
                .collect(),
        }
    }
}

/// What an I/O error means for a file, in words (the OS's own words follow in parentheses).
pub fn io_zh(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "文件或文件夹不存在",
        std::io::ErrorKind::PermissionDenied => "没有读写权限",
        std::io::ErrorKind::AlreadyExists => "文件已存在",
        std::io::ErrorKind::InvalidData => "内容无法读取（不是所需的编码或格式）",
        _ => "无法读取或写入",
    }
}

fn join_diagnostics(d: &[Diagnostic]) -> String {
    if d.is_empty() {
        return "配置有误".to_string();
    }
    d.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_display() {
        let d = Diagnostic::new(
            "config/sites.toml",
            12,
            1,
            "网站标识码 3413220004 重复（第一次出现在第 3 行）",
        );
        assert_eq!(
            d.to_string(),
            "config/sites.toml 第 12 行第 1 列：网站标识码 3413220004 重复（第一次出现在第 3 行）"
        );
        assert_eq!(
            Diagnostic::new("a.csv", 4, 0, "有误").to_string(),
            "a.csv 第 4 行：有误"
        );
        assert_eq!(
            Diagnostic::new("a.csv", 0, 0, "有误").to_string(),
            "a.csv：有误"
        );
        // quoted values never reach the terminal raw
        assert_eq!(
            Diagnostic::new("a.csv", 2, 0, "name `a\u{1b}[2Jb`").to_string(),
            "a.csv 第 2 行：name `a\\u{1b}[2Jb`"
        );
    }

    #[test]
    fn error_display_names_file_and_line() {
        let e = ConfigError::Invalid(vec![
            Diagnostic::new("s.toml", 2, 1, "one"),
            Diagnostic::new("s.toml", 5, 3, "two"),
        ]);
        assert_eq!(
            e.to_string(),
            "s.toml 第 2 行第 1 列：one\ns.toml 第 5 行第 3 列：two"
        );
        let e = ConfigError::Parse {
            file: "c.toml".into(),
            line: 7,
            column: 2,
            message: toml_zh("unknown field `x`, expected `y`"),
        };
        assert_eq!(
            e.to_string(),
            "c.toml 第 7 行第 2 列：没有 `x` 这个键，可能拼错了（unknown field `x`, expected `y`）"
        );
        assert_eq!(e.diagnostics().len(), 1);
    }

    #[test]
    fn parser_words_become_a_sentence_and_stay_in_parentheses() {
        for (raw, said) in [
            (
                "missing field `home`",
                "缺少必填的键 `home`（missing field `home`）",
            ),
            (
                "invalid type: string \"a\", expected u32",
                "值的类型不对（invalid type: string \"a\", expected u32）",
            ),
            ("duplicate key `id`", "键 `id` 重复（duplicate key `id`）"),
            (
                "invalid key\nexpected `=`",
                "不是正确的 TOML 写法（invalid key；expected `=`）",
            ),
        ] {
            assert_eq!(toml_zh(raw), said);
        }
    }
}
