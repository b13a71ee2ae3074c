//! The house's shape kept (issue 31): no function in the workspace's Rust code (sources and tests)
//! over 149 lines, and one integration-test binary per crate (`tests/tests.rs` + `tests/it/`).
//! Written by hand: a function's length is counted from its `fn` line to its closing brace, with
//! strings, chars and comments blanked first so their braces do not count; no crate measures this.

use std::path::{Path, PathBuf};

/// The longest a function may be, in lines (the issue: "the longest function under 150 lines").
const LONGEST: usize = 149;

/// Every `.rs` file under `dir`, `target/` left out.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src` with the insides of comments, string and char literals blanked (newlines kept).
fn blank_literals(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let at = |i: usize, s: &str| s.chars().enumerate().all(|(k, c)| b.get(i + k) == Some(&c));
    let blank = |out: &mut String, cs: &[char]| {
        for &c in cs {
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let word_before = i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_');
        if at(i, "//") {
            let end = (i..b.len()).find(|&j| b[j] == '\n').unwrap_or(b.len());
            blank(&mut out, &b[i..end]);
            i = end;
        } else if at(i, "/*") {
            let end = (i + 2..b.len())
                .find(|&j| at(j, "*/"))
                .map_or(b.len(), |j| j + 2);
            blank(&mut out, &b[i..end]);
            i = end;
        } else if let Some((body, hashes)) = raw_string_at(&b, i).filter(|_| !word_before) {
            let close: String = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            let end = (body..b.len())
                .find(|&j| at(j, &close))
                .map_or(b.len(), |j| j + close.chars().count());
            blank(&mut out, &b[i..end]);
            i = end;
        } else if b[i] == '"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != '"' {
                j += if b[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            blank(&mut out, &b[i..end]);
            i = end;
        } else if b[i] == '\'' && char_literal_len(&b[i..]).is_some() {
            let n = char_literal_len(&b[i..]).unwrap_or(1);
            blank(&mut out, &b[i..i + n]);
            i += n;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Where a raw string literal opening at `b[i]` (`r"`, `r#"`, `br##"`) starts its text, and its
/// number of `#`; `None` when no raw string opens there.
fn raw_string_at(b: &[char], i: usize) -> Option<(usize, usize)> {
    let s = match (b.get(i), b.get(i + 1)) {
        (Some('r'), _) => i + 1,
        (Some('b'), Some('r')) => i + 2,
        _ => return None,
    };
    let hashes = b[s..].iter().take_while(|&&c| c == '#').count();
    (b.get(s + hashes) == Some(&'"')).then_some((s + hashes + 1, hashes))
}

/// The length of a char literal starting at `b[0] == '\''` ('x', '\n', '\u{..}', '\x7f'); `None`
/// for a lifetime or label.
fn char_literal_len(b: &[char]) -> Option<usize> {
    if b.get(1) == Some(&'\\') {
        let close = (3..b.len().min(14)).find(|&j| b[j] == '\'')?;
        return Some(close + 1);
    }
    (b.get(2) == Some(&'\'')).then_some(3)
}

/// Whether a (blanked) line opens a function: `fn name` after its qualifiers.
fn fn_name(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    loop {
        let w = words.next()?;
        if w == "fn" {
            let name = words.next()?;
            return Some(name.split(['(', '<']).next().unwrap_or(name));
        }
        let qualifier = w.starts_with("pub")
            || matches!(
                w,
                "async" | "const" | "unsafe" | "extern" | "\"C\"" | "default"
            );
        if !qualifier {
            return None;
        }
    }
}

/// Every function of a file as (name, first line, length in lines).
fn functions(src: &str) -> Vec<(String, usize, usize)> {
    let clean = blank_literals(src);
    let lines: Vec<&str> = clean.lines().collect();
    let mut out = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let mut depth = 0i64;
        let mut opened = false;
        'scan: for (k, l) in lines.iter().enumerate().skip(start) {
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    ';' if !opened && depth == 0 => break 'scan, // a declaration without a body
                    _ => {}
                }
            }
            if opened && depth == 0 {
                out.push((name.to_string(), start + 1, k - start + 1));
                break;
            }
        }
    }
    out
}

#[test]
fn no_function_is_longer_than_a_screen_and_a_half() {
    let root = govwatch_testutil::workspace_root();
    let mut files = Vec::new();
    for dir in ["src", "tests", "crates"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 100,
        "the workspace's sources: {}",
        files.len()
    );
    // the counter itself, on code whose braces hide in strings, chars and comments
    let sample = "fn a() {\n  let s = \"}}\"; let c = '}'; // }\n  let r = r#\"{\"#;\n}\nfn b<'x>(v: &'x str) {}\n";
    assert_eq!(
        functions(sample),
        vec![("a".to_string(), 1, 4), ("b".to_string(), 5, 1)]
    );
    let mut long = Vec::new();
    let mut counted = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        for (name, line, len) in functions(&src) {
            counted += 1;
            if len > LONGEST {
                long.push(format!(
                    "{}:{line} {name}: {len} lines",
                    f.strip_prefix(&root).unwrap_or(f).display()
                ));
            }
        }
    }
    assert!(counted > 2000, "functions counted: {counted}");
    assert!(long.is_empty(), "functions over {LONGEST} lines: {long:#?}");
}

#[test]
fn each_crate_builds_one_integration_test_binary() {
    let root = govwatch_testutil::workspace_root();
    let mut extra = Vec::new();
    let mut dirs = vec![root.join("tests")];
    for e in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        dirs.push(e.path().join("tests"));
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            // every `tests/*.rs` (and `tests/*/main.rs`) is a binary of its own
            let binary = (p.is_file() && p.extension().is_some_and(|x| x == "rs"))
                || p.join("main.rs").is_file();
            if binary && p.file_name().is_some_and(|n| n != "tests.rs") {
                extra.push(p.strip_prefix(&root).unwrap_or(&p).display().to_string());
            }
        }
    }
    assert!(
        extra.is_empty(),
        "test binaries beside tests/tests.rs: {extra:#?}"
    );
}
