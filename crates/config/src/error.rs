//! Errors and diagnostics, each naming the file and line it is about.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a configuration file, at a position.
///
/// Displays as `FILE:LINE:COLUMN: MESSAGE`; the column is left out when it is 0 (unknown, as for
/// CSV rows), and line and column both when the line is 0 (the whole file). The message holds no
/// control character (escaped as `\u{1b}`) and at most 4,000 characters.
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
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": {}", self.message)
    }
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
    #[error("{}:{line}:{column}: {message}", file.display())]
    Parse {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The CSV file cannot be imported at all (e.g. a required column is missing).
    #[error("{}:{line}: {message}", file.display())]
    Csv {
        file: PathBuf,
        line: usize,
        message: String,
    },
    /// The file parsed but its contents are wrong: every problem found, in file order.
    #[error("{}", join_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
    /// Settings checked outside any file ([`crate::CrawlSettings::validate`]): `key: problem`.
    #[error("invalid crawl settings: {}", .0.join("; "))]
    Settings(Vec<String>),
}

impl ConfigError {
    /// The problems as diagnostics (one for errors that are not lists).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            ConfigError::Io { path, source } => {
                vec![Diagnostic::new(path, 0, 0, source.to_string())]
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
                .map(|p| Diagnostic::new("<crawl settings>", 0, 0, p.clone()))
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
        return "invalid configuration".to_string();
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
            "duplicate site id 3413220004 (first at line 3)",
        );
        assert_eq!(
            d.to_string(),
            "config/sites.toml:12:1: duplicate site id 3413220004 (first at line 3)"
        );
        assert_eq!(
            Diagnostic::new("a.csv", 4, 0, "bad").to_string(),
            "a.csv:4: bad"
        );
        assert_eq!(
            Diagnostic::new("a.csv", 0, 0, "bad").to_string(),
            "a.csv: bad"
        );
        // quoted values never reach the terminal raw
        assert_eq!(
            Diagnostic::new("a.csv", 2, 0, "name `a\u{1b}[2Jb`").to_string(),
            "a.csv:2: name `a\\u{1b}[2Jb`"
        );
    }

    #[test]
    fn error_display_names_file_and_line() {
        let e = ConfigError::Invalid(vec![
            Diagnostic::new("s.toml", 2, 1, "one"),
            Diagnostic::new("s.toml", 5, 3, "two"),
        ]);
        assert_eq!(e.to_string(), "s.toml:2:1: one\ns.toml:5:3: two");
        let e = ConfigError::Parse {
            file: "c.toml".into(),
            line: 7,
            column: 2,
            message: "unknown field `x`".into(),
        };
        assert_eq!(e.to_string(), "c.toml:7:2: unknown field `x`");
        assert_eq!(e.diagnostics().len(), 1);
    }
}
