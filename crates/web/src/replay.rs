//! The archived page of a finding, replayed as it was fetched: `/findings/{id}/archive`.
//!
//! Archived pages come from sites that may be hijacked, so the answer carries a
//! Content-Security-Policy ([`REPLAY_CSP`]) that runs no script, loads nothing (only `data:`
//! images and inline styles), submits no form and applies the `sandbox` directive even when the
//! page is opened on its own; the finding page shows it inside `<iframe sandbox>` (no
//! `allow-scripts`). The page text is the body stored for the run (the same text the run's WARC
//! record holds), sent as UTF-8 (the HTTP charset outranks the page's own `<meta charset>`).
//!
//! The finding's excerpt is located in the page source ([`locate`]: white space folded, case
//! ignored, as the probes cut it) and marked ([`mark_text`]): `<mark>` elements are inserted around
//! the parts of the excerpt that are rendered text, never inside a tag, comment, script or style,
//! so the page's own markup is left as it was. The excerpt itself is never inserted: the marks wrap
//! the archived bytes.

use crate::{App, WebError};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use govwatch_store::{PageRow, Store, StoredFinding};
use std::ops::Range;
use std::sync::Arc;

/// The policy of a replayed page: nothing runs, nothing is fetched, framed by the view only.
pub const REPLAY_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     font-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox";

/// The `id` of the first mark, the frame's URL fragment.
pub const MARK_ID: &str = "govwatch-excerpt";

/// A finding with the archived page that holds its evidence.
#[derive(Debug, Clone)]
pub struct ArchivedEvidence {
    pub run_id: i64,
    pub finding: StoredFinding,
    /// The new-media account the finding is about (`platform:id`), when it is an account's.
    pub account: Option<String>,
    /// The crawled page named by the evidence (`archived`, else the finding's URL).
    pub page: Option<PageRow>,
    /// `bodies.hash` of the archived text.
    pub body_hash: Option<String>,
    /// The archived text (UTF-8).
    pub text: Option<String>,
}

/// Reads a finding and its archived page.
pub fn archived_evidence(store: &Store, finding_id: i64) -> Result<ArchivedEvidence, WebError> {
    let missing = || WebError::NotFound(format!("没有编号为 {finding_id} 的问题记录。"));
    // a site's finding or a new-media account's alike
    let (run_id, finding, account) = store.finding_by_id(finding_id)?.ok_or_else(missing)?;
    let site_id = finding.site_id.clone();
    let ev = &finding.finding.evidence;
    let mut page = None;
    for url in [ev.archived.as_deref(), finding.finding.url.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(p) = store.page_for(run_id, &site_id, url)? {
            page = Some(p);
            break;
        }
    }
    let body_hash = ev
        .body_hash
        .clone()
        .or_else(|| page.as_ref().and_then(|p| p.body_hash.clone()));
    let text = match &body_hash {
        Some(h) => store.page_body(h)?,
        None => None,
    };
    Ok(ArchivedEvidence {
        run_id,
        finding,
        account,
        page,
        body_hash,
        text,
    })
}

/// Where the excerpt lies in the page source: its words in order, separated by any white space,
/// case ignored (the probes fold white space and some cut from lower-cased text; a trailing `…`
/// marks their cut). `None` when the excerpt has fewer than 4 visible characters or is not there.
pub fn locate(source: &str, excerpt: &str) -> Option<Range<usize>> {
    let excerpt = excerpt.trim().trim_end_matches('…');
    let words: Vec<&str> = excerpt.split_whitespace().collect();
    if words.iter().map(|w| w.chars().count()).sum::<usize>() < 4 {
        return None;
    }
    let pattern = format!(
        "(?i){}",
        words
            .iter()
            .map(|w| regex::escape(w))
            .collect::<Vec<_>>()
            .join(r"\s+")
    );
    let re = regex::Regex::new(&pattern).ok()?;
    re.find(source).map(|m| m.range())
}

/// Elements whose content the HTML parser reads as raw text (a mark inside would not render).
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

fn starts_with_ci(hay: &[u8], at: usize, needle: &[u8]) -> bool {
    hay.len() >= at + needle.len() && hay[at..at + needle.len()].eq_ignore_ascii_case(needle)
}

/// Which bytes of `src[..upto]` are rendered text (outside tags, comments and raw-text elements).
///
/// Written by hand: the mark has to go into the archived bytes at byte offsets, and the HTML
/// tokenizers available (html5ever, lol_html) report no source offsets. It follows the HTML
/// tokenizer's states far enough for that: tags with quoted attribute values, comments,
/// `<!…>`/`<?…>` declarations and the raw-text elements.
fn text_mask(src: &[u8], upto: usize) -> Vec<bool> {
    let n = src.len().min(upto);
    let mut mask = vec![false; n];
    let mut i = 0;
    while i < n {
        if src[i] != b'<' {
            mask[i] = true;
            i += 1;
            continue;
        }
        if starts_with_ci(src, i, b"<!--") {
            i = find(src, i + 4, b"-->").map(|j| j + 3).unwrap_or(src.len());
            continue;
        }
        let next = src.get(i + 1).copied().unwrap_or(b' ');
        if !(next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?') {
            // a lone `<` is text
            mask[i] = true;
            i += 1;
            continue;
        }
        let end = tag_end(src, i + 1);
        let is_end = next == b'/';
        let name_start = if is_end { i + 2 } else { i + 1 };
        let name_len = src[name_start.min(src.len())..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let name = String::from_utf8_lossy(&src[name_start..name_start + name_len]).to_lowercase();
        i = end;
        if !is_end && RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            let mut j = i;
            i = loop {
                match find_ci(src, j, close.as_bytes()) {
                    Some(k) => {
                        // `</scriptx` does not close `<script>`
                        let after = src.get(k + close.len()).copied().unwrap_or(b'>');
                        if after.is_ascii_alphanumeric() {
                            j = k + 1;
                            continue;
                        }
                        break k;
                    }
                    None => break src.len(),
                }
            };
        }
    }
    mask
}

/// The index just after the `>` that closes the tag starting at `from` (quoted values skipped).
fn tag_end(src: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut last = b'<';
    let mut i = from;
    while i < src.len() {
        let b = src[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if (b == b'"' || b == b'\'') && last == b'=' => quote = Some(b),
            None if b == b'>' => return i + 1,
            None => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
        i += 1;
    }
    src.len()
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

/// The source with every rendered-text part of `range` wrapped in a `<mark>` (the first with the
/// id [`MARK_ID`]); returns the new text and how many marks went in (0: the excerpt lies wholly
/// inside tags, comments or scripts, and the page is returned as it was).
pub fn mark_text(source: &str, range: Range<usize>) -> (String, usize) {
    let bytes = source.as_bytes();
    let mask = text_mask(bytes, range.end);
    let mut segments: Vec<Range<usize>> = Vec::new();
    let mut i = range.start;
    while i < range.end.min(mask.len()) {
        if !mask[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < range.end && i < mask.len() && mask[i] {
            i += 1;
        }
        if !source[start..i].trim().is_empty() {
            segments.push(start..i);
        }
    }
    let mut out = String::with_capacity(source.len() + segments.len() * 96);
    let mut at = 0;
    for (k, seg) in segments.iter().enumerate() {
        out.push_str(&source[at..seg.start]);
        if k == 0 {
            out.push_str(&format!(
                "<mark id=\"{MARK_ID}\" style=\"background:#ffe14d;outline:3px solid #d00\">"
            ));
        } else {
            out.push_str("<mark style=\"background:#ffe14d;outline:3px solid #d00\">");
        }
        out.push_str(&source[seg.clone()]);
        out.push_str("</mark>");
        at = seg.end;
    }
    out.push_str(&source[at..]);
    (out, segments.len())
}

/// The archived page of a finding, with its excerpt marked, under [`REPLAY_CSP`].
pub async fn handler(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (body, html) = app
        .with_store(move |store, _| {
            let ev = archived_evidence(store, id)?;
            let text = ev
                .text
                .ok_or_else(|| WebError::NotFound(format!("问题 #{id} 没有存档页面。")))?;
            let html = ev
                .page
                .as_ref()
                .and_then(|p| p.content_type.as_deref())
                .is_none_or(|ct| ct.to_ascii_lowercase().contains("html"));
            let body = match ev
                .finding
                .finding
                .evidence
                .excerpt
                .as_deref()
                .and_then(|e| locate(&text, e))
            {
                Some(r) if html => mark_text(&text, r).0,
                _ => text,
            };
            Ok((body, html))
        })
        .await?;
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if html {
            "text/html; charset=utf-8"
        } else {
            "text/plain; charset=utf-8"
        }),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(REPLAY_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_found_with_folded_white_space_and_case() {
        let src = "<p>前面\n  <a href=\"/gone.html\">失效\n链接</a></p>";
        let r = locate(src, "<a href=\"/gone.html\">失效 链接</a>").unwrap();
        assert_eq!(&src[r], "<a href=\"/gone.html\">失效\n链接</a>");
        let r = locate("<SCRIPT SRC=\"http://x\">", "<script src=\"http://x\">").unwrap();
        assert_eq!(r, 0..23);
        assert_eq!(locate(src, "不存在的文字内容"), None);
        assert_eq!(locate(src, "前面"), None, "too short to be sure");
        // a clipped excerpt still matches
        assert!(locate(src, "href=\"/gone.html\">失效…").is_some());
    }

    #[test]
    fn marks_wrap_text_only() {
        let src = "<html><head><title>标题 失效</title><script>var a = '失效 链接';</script></head>\
                   <body><!-- 失效 链接 --><p>见 <a href=\"/gone.html\" title=\"a>b\">失效 链接</a> 后</p></body></html>";
        let start = src.find("<a href").unwrap();
        let end = src.find("</a>").unwrap() + 4;
        let (out, n) = mark_text(src, start..end);
        assert_eq!(n, 1);
        assert!(out.contains(&format!(
            "title=\"a>b\"><mark id=\"{MARK_ID}\" style=\"background:#ffe14d;outline:3px solid #d00\">失效 链接</mark></a>"
        )));
        // nothing else changed
        assert_eq!(
            out.replace(
                &format!(
                    "<mark id=\"{MARK_ID}\" style=\"background:#ffe14d;outline:3px solid #d00\">"
                ),
                ""
            )
            .replace("</mark>", ""),
            src
        );
        // inside a script, the title or a comment: no mark
        for needle in ["var a = '失效 链接'", "标题 失效", "<!-- 失效 链接 -->"] {
            let s = src.find(needle).unwrap();
            let (out, n) = mark_text(src, s..s + needle.len());
            assert_eq!(n, 0, "{needle}");
            assert_eq!(out, src);
        }
        // text across tags is marked piece by piece
        let s = src.find("见 ").unwrap();
        let e = src.find(" 后").unwrap() + " 后".len();
        let (out, n) = mark_text(src, s..e);
        assert_eq!(n, 3, "{out}");
    }

    #[test]
    fn the_policy_runs_nothing_and_loads_nothing() {
        assert!(REPLAY_CSP.contains("default-src 'none'"));
        assert!(REPLAY_CSP.ends_with("sandbox"));
        assert!(!REPLAY_CSP.contains("script-src"));
        assert!(!REPLAY_CSP.contains("http"));
    }
}
