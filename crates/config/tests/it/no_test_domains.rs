//! The shipped rules name no test domain: `.test` (RFC 2606), the fixtures' `*.gov.test` among
//! them, belongs to the fixture runner's overrides (tests/it/common `fixture_rules`), never to
//! `config/*.toml`, where it would count any `*.gov.test` host as a government one in production.

use std::path::PathBuf;

/// The host-like words of `text` ending in `.test` or naming `gov.test`, with their line numbers.
fn test_domains(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split('#').next().unwrap_or("");
        for word in code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')) {
            let w = word.to_ascii_lowercase();
            if w.ends_with(".test") || w == "gov.test" {
                out.push((i + 1, word.to_string()));
            }
        }
    }
    out
}

#[test]
fn no_shipped_config_file_names_a_test_domain() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(
        files.iter().any(|p| p.ends_with("integrity.toml")),
        "{files:?}"
    );
    let mut found = Vec::new();
    for f in &files {
        for (line, w) in test_domains(&std::fs::read_to_string(f).unwrap()) {
            found.push(format!("{}:{line}: {w}", f.display()));
        }
    }
    assert!(
        found.is_empty(),
        "test domains in shipped config: {found:#?}"
    );
}

#[test]
fn the_check_sees_test_domains_however_written() {
    assert_eq!(
        test_domains(
            "a = [\".gov.cn\", \".gov.test\", \"gov.test\"]\nb = \"http://www.x.gov.test/\" # www.y.test\nc = \"contest\""
        ),
        vec![
            (1, ".gov.test".to_string()),
            (1, "gov.test".to_string()),
            (2, "www.x.gov.test".to_string())
        ]
    );
}
