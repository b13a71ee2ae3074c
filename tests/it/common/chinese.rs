//! What a person reads must be Chinese (issue 28): English only inside parentheses (a gloss, as
//! `报告 (report)`) and in evidence (excerpts, the raw words of a library, page sources), and
//! Chinese text punctuated the Chinese way. [`english_sentences`] and [`ascii_punctuation`] find
//! the lines that break this in plain text; [`html_text`] turns a page into the text a reader sees,
//! evidence left out.

/// A CJK character (the unified ideographs and extension A).
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

/// The line without what it may hold in English: text in parentheses — `(…)` and `（…）`, nested
/// or not — and in backticks (a command to type), URLs, and the command of a line that shows one
/// with its description after two spaces (`  govwatch sites import 名录.csv   把…导入…`, as the
/// help's examples do; a line without that gap is read whole).
fn without_glosses(line: &str) -> String {
    let line = match line.trim_start().strip_prefix("govwatch ") {
        Some(rest) => rest.split_once("  ").map_or(line, |(_, said)| said),
        None => line,
    };
    let mut out = String::new();
    let mut depth = 0usize;
    let mut tick = false;
    for c in line.chars() {
        match c {
            '`' => tick = !tick,
            '(' | '（' if !tick => depth += 1,
            ')' | '）' if !tick && depth > 0 => depth -= 1,
            _ if depth == 0 && !tick => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .map(|w| if w.contains("://") { "URL" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An English word: letters only, at least two, one of them lower case (so `HTTP`, `DNS`, `AAAA`
/// and `WARC` are names, not words), with sentence punctuation around it allowed.
fn english_word(token: &str) -> bool {
    let w = token.trim_matches(|c: char| ",.;:!?'\"“”".contains(c));
    w.len() >= 2
        && w.chars().all(|c| c.is_ascii_alphabetic())
        && w.chars().any(|c| c.is_ascii_lowercase())
}

/// The lines of `text` that hold an English sentence (three English words in a row) outside
/// parentheses, backticks and URLs.
pub fn english_sentences(text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for line in text.lines() {
        let plain = without_glosses(line);
        let mut run = 0;
        let mut worst = 0;
        for token in plain.split_whitespace() {
            if english_word(token) {
                run += 1;
                worst = worst.max(run);
            } else {
                run = 0;
            }
        }
        if worst >= 3 {
            bad.push(line.to_string());
        }
    }
    bad
}

/// The lines of `text` where an ASCII `,` `;` `:` `?` or `!` stands beside Chinese text (the
/// character before or after it, spaces skipped, is CJK), outside parentheses and URLs; one
/// followed at once by a letter, a digit, `:` or `/` is part of a token (`::1`, `12:30`).
pub fn ascii_punctuation(text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for line in text.lines() {
        let plain: Vec<char> = without_glosses(line).chars().collect();
        let hit = plain.iter().enumerate().any(|(i, &c)| {
            if !",;:?!".contains(c) {
                return false;
            }
            // part of a token: an IPv6 address (::1), a time (12:30), a URL
            if plain
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || ":/".contains(*n))
            {
                return false;
            }
            let before = plain[..i].iter().rev().find(|c| !c.is_whitespace());
            let after = plain[i + 1..].iter().find(|c| !c.is_whitespace());
            before.is_some_and(|&c| is_cjk(c)) || after.is_some_and(|&c| is_cjk(c))
        });
        if hit {
            bad.push(line.to_string());
        }
    }
    bad
}

/// The text a reader sees on an HTML page, one line per element, without the evidence: the
/// contents of `<pre>`, `<code>`, `<style>`, `<script>`, `<iframe>`, `<textarea>` and of any
/// element whose class says it is evidence (`evidence`, `raw`), and without attribute values.
pub fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut skip: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        if skip.is_empty() {
            out.push_str(&unescape(&rest[..lt]));
        }
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        out.push('\n');
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if skip.last() == Some(&name) {
                skip.pop();
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if tag.ends_with('/') || ["br", "img", "input", "meta", "link", "hr"].contains(&&*name) {
            continue;
        }
        let evidence = ["pre", "code", "style", "script", "iframe", "textarea"].contains(&&*name)
            || class_of(tag)
                .split_whitespace()
                .any(|c| c == "evidence" || c == "raw");
        if evidence || !skip.is_empty() {
            skip.push(name);
        }
    }
    if skip.is_empty() {
        out.push_str(&unescape(rest));
    }
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn class_of(tag: &str) -> &str {
    tag.split_once("class=\"")
        .and_then(|(_, r)| r.split_once('"'))
        .map(|(c, _)| c)
        .unwrap_or("")
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Whether a line of the command line's output is evidence: an excerpt (`| …`), a library's own
/// words (`原始错误：…`) or the finding's recorded details (`附加证据：…`).
fn evidence_line(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with('|') || l.starts_with("原始错误：") || l.starts_with("附加证据：")
}

/// Every line of `text` (from `what`) that breaks the rule, as one message per line; evidence
/// lines are left out, and CSV files (`what` ending in `.csv`) are separated by ASCII commas by
/// their format.
pub fn not_chinese(what: &str, text: &str) -> Vec<String> {
    let text: String = text
        .lines()
        .filter(|l| !evidence_line(l))
        .collect::<Vec<_>>()
        .join("\n");
    let text = text.as_str();
    let mut bad: Vec<String> = english_sentences(text)
        .into_iter()
        .map(|l| format!("{what}: English: {l}"))
        .collect();
    if what.ends_with(".csv") {
        return bad;
    }
    bad.extend(
        ascii_punctuation(text)
            .into_iter()
            .map(|l| format!("{what}: ASCII punctuation: {l}")),
    );
    bad
}

/// The subcommand names of a `--help` text's `命令：` (commands) section, clap's own `help` left
/// out.
pub fn help_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("命令："))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn the_checks_find_what_they_should() {
    assert_eq!(
        english_sentences(
            "no search form, search link on 4 pages\n问题：无\n报告 (the report file)"
        ),
        ["no search form, search link on 4 pages"]
    );
    assert!(
        english_sentences("7 天内IPv4 采样 1 次；HTTP 503；AAAA www.a.test：无记录").is_empty()
    );
    assert!(english_sentences("请运行 `govwatch run --resume now please` 继续").is_empty());
    assert!(
        english_sentences("  govwatch sites import 名录.csv     把名录导入 sites.toml").is_empty()
    );
    assert_eq!(
        english_sentences(
            "  govwatch sites import a.csv  imports the registry file\ngovwatch daemon stopped: all samples stored"
        ),
        [
            "  govwatch sites import a.csv  imports the registry file",
            "govwatch daemon stopped: all samples stored"
        ]
    );
    assert_eq!(
        help_commands(
            "用法：govwatch [OPTIONS]\n\n命令：\n  run   每晚的检查\n  help  显示帮助\n\n选项：\n  -h  显示帮助"
        ),
        ["run"]
    );
    assert_eq!(
        ascii_punctuation(
            "合格 3 / 4, 不合格 1\n计划 (plan): 4 个网站\n时间 12:30:01\nhttp://a.test:80/"
        ),
        ["合格 3 / 4, 不合格 1", "计划 (plan): 4 个网站"]
    );
    assert_eq!(
        html_text(
            "<p class=\"x\">说明：<b>一</b></p><pre>no record at all here</pre><td class=\"raw\">DNS error: no records found</td>"
        ),
        "说明：\n一"
    );
}
