//! One word for one meaning (issue 28): `docs/glossary.md` names the word used for each thing
//! and the words avoided for it. The severities are the words `Severity::zh` gives, and no avoided
//! word appears in the text of the CLI (`src/`), the report (`crates/report/src/`) or the web
//! view (`crates/web/src/`) — comments left out, the indicator's own name 站点无法访问 allowed.

use govwatch_model::Severity;
use std::path::{Path, PathBuf};

/// (thing, the one word, the avoided words) of every row of the glossary's table.
fn rows() -> Vec<(String, String, Vec<String>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("docs/glossary.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| thing") && !l.starts_with("|---"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let avoided = cells[2]
                .split(['、', ' '])
                .map(|w| w.trim_matches(|c: char| "()（）".contains(c)))
                .filter(|w| !w.is_empty() && !w.is_ascii())
                .map(String::from)
                .collect();
            (cells[0].to_string(), cells[1].to_string(), avoided)
        })
        .collect()
}

/// The code of the Rust files under `dir`, doc and line comments left out.
fn code_of(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            code_of(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            out.push((p, code));
        }
    }
}

#[test]
fn the_severities_are_the_glossary_words() {
    let rows = rows();
    for (sev, code) in [
        (Severity::Veto, "severity `veto`"),
        (Severity::Deduct, "severity `deduct`"),
        (Severity::Warn, "severity `warn`"),
        (Severity::Info, "severity `info`"),
    ] {
        let row = rows
            .iter()
            .find(|r| r.0 == code)
            .unwrap_or_else(|| panic!("{code} not in docs/glossary.md"));
        assert_eq!(sev.zh(), row.1, "{code}");
    }
    let early = rows
        .iter()
        .find(|r| r.0.starts_with("early warning"))
        .unwrap();
    assert_eq!(early.1, "预警");
    assert_ne!(Severity::Warn.zh(), early.1, "one word, one meaning");
}

#[test]
fn no_avoided_word_where_people_read() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in ["src", "crates/report/src", "crates/web/src"] {
        code_of(&root.join(d), &mut files);
    }
    let rows = rows();
    assert!(rows.len() >= 15, "{rows:?}");
    let mut bad = Vec::new();
    for (thing, _, avoided) in &rows {
        for w in avoided {
            for (path, code) in &files {
                let code = code.replace("站点无法访问", "");
                if code.contains(w.as_str()) {
                    bad.push(format!("{}: {w} (for {thing})", path.display()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "avoided words in use:\n{}", bad.join("\n"));
}
