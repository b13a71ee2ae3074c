//! Bounds and hygiene of the text fields the office's files bring in (registry CSVs and TOML,
//! inspectors' observations): a field longer than its bound or holding a control character is
//! refused with a message naming the file and line — never stored, never echoed raw to a
//! terminal (an ESC in a name could rewrite the inspector's screen).
//!
//! - [`field_problem`]: why a value cannot be a field (too long, a control character).
//! - [`shown`]: a value as a message may quote it — control characters escaped, cut to
//!   [`SHOWN_CHARS`] characters with the full length said.
//!
//! The bounds are generous for real data (the longest registered site or unit names run to ~40
//! characters; a 抖音 `sec_uid` is 76) and small enough that a row cannot carry megabytes.

/// Names, units (主办单位) and regions.
pub const MAX_NAME_CHARS: usize = 200;
/// Account ids and site ids as written.
pub const MAX_ID_CHARS: usize = 256;
/// URLs (home pages, feeds, evidence).
pub const MAX_URL_CHARS: usize = 2048;
/// Inspectors' notes (说明).
pub const MAX_NOTE_CHARS: usize = 2000;
/// Characters of a value quoted in a message.
pub const SHOWN_CHARS: usize = 60;

/// Characters refused in a field: C0 and C1 controls (NUL, ESC, tab, line breaks …) and the
/// bidirectional formatting characters, which reorder what a terminal or a report shows.
pub fn is_refused_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// A value as a message quotes it: refused characters written as `\u{1b}`, at most
/// [`SHOWN_CHARS`] characters, then `…（共 N 字）`.
pub fn shown(value: &str) -> String {
    let mut out = String::new();
    for (n, c) in value.chars().enumerate() {
        if n == SHOWN_CHARS {
            out.push_str(&format!("…（共 {} 字）", value.chars().count()));
            return out;
        }
        if is_refused_char(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Why `value` cannot be the field `what`: longer than `max` characters, or holding a refused
/// character. `None` when it can.
pub fn field_problem(what: &str, value: &str, max: usize) -> Option<String> {
    let len = value.chars().count();
    if len > max {
        return Some(format!(
            "{what}长 {len} 个字，超过上限 {max} 个字（`{}`）",
            shown(value)
        ));
    }
    if let Some(c) = value.chars().find(|c| is_refused_char(*c)) {
        return Some(format!(
            "{what}含有控制字符 {}（`{}`）",
            c.escape_unicode(),
            shown(value)
        ));
    }
    None
}

/// Text for a terminal: every refused character but the line break and the tab written as
/// `\u{1b}`, so that what a site or a file brought (a title, an excerpt, a name) cannot move
/// the cursor, recolour, retitle or clear the inspector's terminal.
pub fn for_terminal(s: &str) -> std::borrow::Cow<'_, str> {
    let refused = |c: char| c != '\n' && c != '\t' && is_refused_char(c);
    if !s.chars().any(refused) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if refused(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A message with its refused characters escaped and cut to `max` characters.
pub(crate) fn sanitize_message(message: String, max: usize) -> String {
    if !message.chars().any(is_refused_char) && message.len() <= max {
        return message;
    }
    let mut out = String::new();
    for (n, c) in message.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if is_refused_char(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_bounded_and_hold_no_control() {
        assert_eq!(field_problem("账号名称", "萧县发布", MAX_NAME_CHARS), None);
        let long = "名".repeat(201);
        let p = field_problem("账号名称", &long, MAX_NAME_CHARS).unwrap();
        assert!(
            p.starts_with("账号名称长 201 个字，超过上限 200 个字（`名名"),
            "{p}"
        );
        assert!(p.ends_with("…（共 201 字）`）"), "{p}");
        for (bad, esc) in [
            ("萧县\u{1b}[2J发布", "\\u{1b}"),
            ("萧县\0发布", "\\u{0}"),
            ("萧县\t发布", "\\u{9}"),
            ("萧县\u{202e}布发", "\\u{202e}"),
            ("萧县\u{85}发布", "\\u{85}"),
        ] {
            let p = field_problem("账号名称", bad, MAX_NAME_CHARS).unwrap();
            assert!(p.contains(&format!("控制字符 {esc}")), "{p}");
            assert!(!p.chars().any(is_refused_char), "{p:?}");
        }
    }

    #[test]
    fn messages_never_carry_a_control() {
        assert_eq!(sanitize_message("ok 好".into(), 10), "ok 好");
        assert_eq!(
            sanitize_message("a\u{1b}[31mb".into(), 100),
            "a\\u{1b}[31mb"
        );
        assert_eq!(
            sanitize_message("x".repeat(12), 10),
            format!("{}…", "x".repeat(10))
        );
        assert_eq!(shown("a\nb"), "a\\u{a}b");
        assert_eq!(for_terminal("行一\n\t行二"), "行一\n\t行二");
        assert_eq!(
            for_terminal("标题\u{1b}]0;pwned\u{7}\u{1b}[2J\r\u{9b}31m"),
            "标题\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{d}\\u{9b}31m"
        );
    }
}
