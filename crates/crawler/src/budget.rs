//! The per-page parse budget: a page's shape read from its text before it is parsed.
//!
//! HTML parsing and the probes' tree walks cost about depth × elements; a hostile page (100,000
//! nested `<div>`, 30,000 nested tables) would take minutes of CPU. [`shape`] counts elements and
//! the deepest nesting in one linear pass over the text, stopping as soon as a limit is passed,
//! so a page over the limits is never handed to the parser (the crawl keeps it, unparsed, and
//! notes `page.budget_exceeded`).
//!
//! Written by hand: no crate measures nesting without building the tree, which is the cost to
//! avoid. The count is conservative where HTML closes elements implicitly: elements whose end tag
//! is optional (`p`, `li`, `td`, `tr` …) and void elements (`br`, `img` …) never add depth, so a
//! sloppy page of unclosed cells or paragraphs is not mistaken for a deep one.

/// What [`shape`] found, up to the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Deepest nesting of elements that need an end tag.
    pub depth: usize,
    /// Start tags seen.
    pub elements: usize,
}

/// Whether a page of this shape is within the limits.
pub fn within(s: &Shape, max_depth: usize, max_elements: usize) -> bool {
    s.depth <= max_depth && s.elements <= max_elements
}

/// Elements that never nest: void elements and those whose end tag may be left out.
fn never_nests(name: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"area",
        b"base",
        b"br",
        b"col",
        b"embed",
        b"hr",
        b"img",
        b"input",
        b"link",
        b"meta",
        b"source",
        b"track",
        b"wbr",
        b"param",
        b"keygen",
        b"p",
        b"li",
        b"dt",
        b"dd",
        b"tr",
        b"td",
        b"th",
        b"thead",
        b"tbody",
        b"tfoot",
        b"option",
        b"optgroup",
        b"rt",
        b"rp",
        b"colgroup",
        b"caption",
        b"html",
        b"head",
        b"body",
        b"frame",
        b"basefont",
        b"bgsound",
    ];
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Elements whose content is raw text (no tags inside).
fn raw_text(name: &[u8]) -> bool {
    [
        b"script".as_slice(),
        b"style",
        b"textarea",
        b"title",
        b"xmp",
        b"noscript",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(name))
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

/// Reads the shape of `text`, stopping once depth passes `max_depth` or elements pass
/// `max_elements` (the returned figures are then just over the limit).
pub fn shape(text: &str, max_depth: usize, max_elements: usize) -> Shape {
    let b = text.as_bytes();
    let mut s = Shape {
        depth: 0,
        elements: 0,
    };
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr(b'<', &b[i..]) {
        i += off + 1;
        if b[i..].starts_with(b"!--") {
            i = find_ci(b, i + 3, b"-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let mut end = start;
        while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'-') {
            end += 1;
        }
        if end == start || !b[start].is_ascii_alphabetic() {
            continue;
        }
        let name = &b[start..end];
        let gt = memchr(b'>', &b[end..]).map_or(b.len(), |g| end + g);
        let self_closing = gt > 0 && gt < b.len() && b[gt - 1] == b'/';
        i = gt.min(b.len());
        if closing {
            if !never_nests(name) {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        s.elements += 1;
        if raw_text(name) {
            let mut close = b"</".to_vec();
            close.extend_from_slice(name);
            i = find_ci(b, i, &close).unwrap_or(b.len());
            continue;
        }
        if !self_closing && !never_nests(name) {
            depth += 1;
            s.depth = s.depth.max(depth);
        }
        if s.depth > max_depth || s.elements > max_elements {
            break;
        }
    }
    s
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|b| *b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_measured_and_implied_ends_are_not() {
        let s = shape(
            "<html><body><div><div><span>x</span></div></div><p>a<p>b<ul><li>1<li>2</ul><br><img src=x></body></html>",
            100,
            100,
        );
        assert_eq!(s.depth, 3);
        assert_eq!(s.elements, 12);
        let cells: String = "<tr><td>x".repeat(500);
        let s = shape(&format!("<table>{cells}</table>"), 100, 10_000);
        assert_eq!(s.depth, 1);
    }

    #[test]
    fn scripts_and_comments_hold_no_tags() {
        let s = shape(
            "<div><script>if (a<b) document.write('<div><div><div>');</script><!-- <div><div> --></div>",
            100,
            100,
        );
        assert_eq!(s.depth, 1);
        assert_eq!(s.elements, 2);
    }

    #[test]
    fn stops_past_the_limit() {
        let bomb = "<div>".repeat(100_000);
        let s = shape(&bomb, 1000, 1_000_000);
        assert_eq!(s.depth, 1001);
        assert!(!within(&s, 1000, 1_000_000));
    }
}
