//! Helpers to cut evidence excerpts out of page text.

/// About `radius` characters either side of the first occurrence of `needle` in `text`, white
/// space folded; `None` when it does not occur.
pub fn excerpt_around(text: &str, needle: &str, radius: usize) -> Option<String> {
    if needle.is_empty() {
        return None;
    }
    let at = text.find(needle)?;
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(radius.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let end_from = at + needle.len();
    let end = text[end_from..]
        .char_indices()
        .nth(radius)
        .map(|(i, _)| end_from + i)
        .unwrap_or(text.len());
    let s: String = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(s)
}

/// Cuts a string to at most `n` characters, marking the cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_around_multibyte_text() {
        let t = "前面的文字<a href=\"/x.html\">  失效   链接</a>后面的文字";
        assert_eq!(
            excerpt_around(t, "/x.html", 6).unwrap(),
            "href=\"/x.html\"> 失效"
        );
        assert_eq!(excerpt_around(t, "nothing", 4), None);
        assert_eq!(clip("通知公告栏目", 4), "通知公告…");
    }
}
