//! The `[[search]]` entries of `_server.toml`: a small site search over the
//! `.html`/`.htm` files of a fixture host (see the [module docs](super)).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Deserialize;

use super::{
    Req, Response, Shared, extension_of, normalize_host, substitute_port, valid_host_dir_name,
};

/// Most results listed on a result page (the count covers every hit).
const MAX_RESULTS: usize = 50;
/// Characters of context shown on either side of the term in an excerpt.
const EXCERPT_CHARS: usize = 40;
/// Deepest directory level searched below the index host directory.
const MAX_DEPTH: usize = 32;
/// Bytes escaped in a path segment of a result link.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');
/// Elements whose tags do not separate words (all others count as a space).
const INLINE: &[&str] = &[
    "a", "abbr", "b", "big", "cite", "code", "em", "font", "i", "label", "mark", "q", "s", "small",
    "span", "strike", "strong", "sub", "sup", "u",
];

/// One `[[search]]` of `_server.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchSpec {
    /// Exact request path (matched without the query, raw or percent-decoded).
    pub(super) path: String,
    /// Form parameter holding the term.
    #[serde(default = "default_param")]
    param: String,
    /// Whose files are searched (default: the host the request is for).
    index_host: Option<String>,
    /// Always answer no results.
    #[serde(default)]
    empty: bool,
    /// `GET` (default; HEAD too) or `POST` (the term is in the form-encoded body).
    method: Option<String>,
}

fn default_param() -> String {
    "q".to_string()
}

impl SearchSpec {
    /// True for a `method = "POST"` entry.
    pub(super) fn is_post(&self) -> bool {
        self.method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
    }

    /// Checks the values serde cannot.
    pub(super) fn check(&self) -> Result<(), String> {
        let path = &self.path;
        if !path.starts_with('/') {
            return Err(format!("search {path:?}: path must start with '/'"));
        }
        if self.param.is_empty() {
            return Err(format!("search {path:?}: param must not be empty"));
        }
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case("GET")
            && !m.eq_ignore_ascii_case("POST")
        {
            return Err(format!(
                "search {path:?}: method must be \"GET\" or \"POST\", got {m:?}"
            ));
        }
        if let Some(h) = &self.index_host
            && !valid_host_dir_name(&normalize_host(h))
        {
            return Err(format!("search {path:?}: invalid index_host {h:?}"));
        }
        Ok(())
    }
}

/// A page that contains the term.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hit {
    /// URL path (`/a/b.html`), not percent-encoded.
    path: String,
    /// The `<title>` text, or the path when the page has none.
    title: String,
    /// Text around the first occurrence of the term.
    excerpt: String,
}

/// The result page of `spec` for `req`.
pub(super) async fn search_response(shared: &Shared, req: &Req, spec: &SearchSpec) -> Response {
    let form: &[u8] = if spec.is_post() {
        &req.body
    } else {
        req.target
            .split_once('?')
            .map_or(&b""[..], |(_, q)| q.as_bytes())
    };
    let term = form_value(form, &spec.param);
    let index_host = spec
        .index_host
        .as_deref()
        .map_or_else(|| req.host.clone(), normalize_host);
    let needle = term.as_deref().map(collapse_ws).unwrap_or_default();
    let hits = if spec.empty || needle.is_empty() {
        Vec::new()
    } else {
        let dir = shared.root.join(&index_host);
        let port = shared.port;
        match tokio::task::spawn_blocking(move || search_site(&dir, &needle, port)).await {
            Ok(hits) => hits,
            Err(e) => {
                tracing::warn!(error = %e, host = %index_host, "fixture site search failed");
                Vec::new()
            }
        }
    };
    let page = render_page(
        term.as_deref().unwrap_or(""),
        &hits,
        &index_host,
        shared.port,
    );
    Response::new(200, Some("text/html; charset=utf-8"), page.into_bytes())
}

/// The first value of `name` in an `application/x-www-form-urlencoded` string.
fn form_value(form: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(form)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Every `.html`/`.htm` page under `dir` whose text contains `needle` (ASCII
/// case-insensitive; `needle` already has its whitespace collapsed), sorted by path.
fn search_site(dir: &Path, needle: &str, port: u16) -> Vec<Hit> {
    let mut files = Vec::new();
    collect_pages(dir, "", 0, &mut files);
    files.sort();
    let needle = needle.to_ascii_lowercase();
    files
        .into_iter()
        .filter_map(|(path, file)| {
            let bytes = std::fs::read(&file).ok()?;
            let html = decode_html(&substitute_port(&bytes, port));
            let text = html_text(&html);
            // ASCII lowercasing keeps every byte offset, so `pos` is valid in `text`.
            let pos = text.to_ascii_lowercase().find(&needle)?;
            let title = page_title(&html)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| path.clone());
            let excerpt = excerpt(&text, pos, needle.len());
            Some(Hit {
                path,
                title,
                excerpt,
            })
        })
        .collect()
}

/// Collects `(url path, file)` for the html files under `dir`, skipping names
/// starting with `_` and not following symlinked directories.
fn collect_pages(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<(String, PathBuf)>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('_') {
            continue;
        }
        let Ok(ft) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        let url_path = format!("{prefix}/{name}");
        if ft.is_dir() {
            collect_pages(&path, &url_path, depth + 1, out);
        } else if matches!(extension_of(&name).as_str(), "html" | "htm")
            && (ft.is_file() || std::fs::metadata(&path).is_ok_and(|m| m.is_file()))
        {
            out.push((url_path, path));
        }
    }
}

/// Decodes an HTML file: UTF-8, or the charset a `<meta>` declares (a BOM wins).
fn decode_html(bytes: &[u8]) -> String {
    let encoding = meta_charset(bytes).unwrap_or(encoding_rs::UTF_8);
    encoding.decode(bytes).0.into_owned()
}

/// The encoding declared by the first `<meta ... charset=X>` (`<meta charset="gbk">`
/// or `<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`).
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let lower = bytes.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find_bytes(&lower[from..], b"<meta") {
        let start = from + at + 5;
        let end = lower[start..]
            .iter()
            .position(|b| *b == b'>')
            .map_or(lower.len(), |n| start + n);
        let tag = &lower[start..end];
        let mut i = 0;
        while let Some(c) = find_bytes(&tag[i..], b"charset") {
            i += c + 7;
            let rest = trim_start(&tag[i..]);
            let Some(rest) = rest.strip_prefix(b"=") else {
                continue;
            };
            let rest = trim_start(rest);
            let rest = rest
                .strip_prefix(b"\"")
                .or(rest.strip_prefix(b"'"))
                .unwrap_or(rest);
            let label_len = rest
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || b"-_:.".contains(b)))
                .unwrap_or(rest.len());
            if let Some(enc) = Encoding::for_label(&rest[..label_len]) {
                // As in HTML: a meta can't declare UTF-16 (the bytes would not parse).
                return Some(
                    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                        encoding_rs::UTF_8
                    } else {
                        enc
                    },
                );
            }
        }
        from = end;
    }
    None
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// The byte index just past the `>` closing the tag that starts at `start` (quoted
/// attribute values may contain `>`), or the end of `html`.
fn tag_end(html: &str, start: usize) -> usize {
    let mut quote = None;
    for (i, b) in html.bytes().enumerate().skip(start + 1) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    html.len()
}

/// The visible text of an HTML document: tags removed (block tags become spaces),
/// scripts, styles and comments dropped, entities decoded, whitespace collapsed.
fn html_text(html: &str) -> String {
    // ASCII lowercasing keeps every byte offset, so indices are shared.
    let lower = html.to_ascii_lowercase();
    let bytes = html.as_bytes();
    let mut raw = String::with_capacity(html.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let next = html[i..].find('<').map_or(html.len(), |n| i + n);
            raw.push_str(&decode_entities(&html[i..next]));
            i = next;
            continue;
        }
        let rest = &lower[i + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            i = comment.find("-->").map_or(html.len(), |n| i + 4 + n + 3);
            raw.push(' ');
            continue;
        }
        let closing = rest.starts_with('/');
        let name: String = rest[usize::from(closing)..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if name.is_empty() && !rest.starts_with(['!', '?', '/']) {
            // A lone `<` in text.
            raw.push('<');
            i += 1;
            continue;
        }
        i = tag_end(html, i);
        if !closing && (name == "script" || name == "style") {
            let close = format!("</{name}");
            i = lower[i..].find(&close).map_or(html.len(), |n| i + n);
        }
        if !INLINE.contains(&name.as_str()) {
            raw.push(' ');
        }
    }
    collapse_ws(&raw)
}

/// The text of the first `<title>`, entities decoded and whitespace collapsed.
fn page_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let at = from + lower[from..].find("<title")?;
        // `<titlefoo>` is another element.
        if lower[at + 6..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-') {
            from = at + 6;
            continue;
        }
        let start = tag_end(html, at);
        let end = lower[start..]
            .find("</title")
            .map_or(html.len(), |n| start + n);
        return Some(collapse_ws(&decode_entities(&html[start..end])));
    }
}

/// Decodes the usual character references (`&amp;`, `&nbsp;`, `&#20013;`, `&#x4E2D;`, ...);
/// unknown ones stay as they are.
fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let decoded = rest
            .bytes()
            .take(12)
            .position(|b| b == b';')
            .and_then(|semi| Some((entity(&rest[1..semi])?, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "mdash" => '—',
        "ndash" => '–',
        "middot" => '·',
        "hellip" => '…',
        "copy" => '©',
        "reg" => '®',
        "times" => '×',
        "yen" => '¥',
        _ => return None,
    })
}

/// Trims and replaces every whitespace run (Unicode, so also `&nbsp;` and U+3000) with one space.
fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Up to [`EXCERPT_CHARS`] characters either side of `text[pos..pos + len]`, with `…`
/// where the text was cut.
fn excerpt(text: &str, pos: usize, len: usize) -> String {
    let start = text[..pos]
        .char_indices()
        .rev()
        .take(EXCERPT_CHARS)
        .last()
        .map_or(pos, |(i, _)| i);
    let after = pos + len;
    let end = text[after..]
        .char_indices()
        .nth(EXCERPT_CHARS)
        .map_or(text.len(), |(i, _)| after + i);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(text[start..end].trim());
    if end < text.len() {
        out.push('…');
    }
    out
}

/// Escapes text for HTML content and double-quoted attribute values.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The result page: the count of `hits`, and the first [`MAX_RESULTS`] of them
/// linked to `http://host:port/path`.
fn render_page(term: &str, hits: &[Hit], host: &str, port: u16) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>搜索结果</title></head><body>\n",
    );
    let _ = writeln!(
        out,
        "<div class=\"search-info\">搜索“{}”，共找到{}条结果</div>",
        escape_html(term),
        hits.len()
    );
    out.push_str("<ul class=\"search-results\">");
    for hit in hits.iter().take(MAX_RESULTS) {
        let path: String = hit
            .path
            .split('/')
            .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/");
        let href = format!("http://{host}:{port}{path}");
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a><p>{}</p></li>",
            escape_html(&href),
            escape_html(&hit.title),
            escape_html(&hit.excerpt)
        );
    }
    out.push_str("</ul>");
    if hits.is_empty() {
        out.push_str("\n<p class=\"search-empty\">没有找到相关结果</p>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_extraction() {
        let html = "<html><head><title> A &amp;\n B </title><style>p{x:1}</style>\
                    <script>var s = '<p>数字政府</p>';</script></head>\
                    <body><!-- 数字政府 --><p>数字<b>政</b>府</p><p>x&nbsp;&lt;y&#20013;&#x6587;</p>\
                    <div>a</div><div>b</div> 1 < 2 &unknown; & end</body></html>";
        assert_eq!(
            html_text(html),
            "A & B 数字政府 x <y中文 a b 1 < 2 &unknown; & end"
        );
        assert_eq!(page_title(html).as_deref(), Some("A & B"));
        assert_eq!(page_title("<p>no title</p>"), None);
        assert_eq!(
            page_title("<titlex>no</titlex><TITLE lang=zh>是</TITLE>").as_deref(),
            Some("是")
        );
        // A quoted `>` does not end a tag.
        assert_eq!(html_text("<a title=\"a>b\">x</a>y"), "xy");
    }

    #[test]
    fn charset_declarations() {
        let gbk = Some(encoding_rs::GBK);
        assert_eq!(meta_charset(b"<meta charset=\"gbk\">"), gbk);
        assert_eq!(meta_charset(b"<META CHARSET=GB2312>"), gbk);
        assert_eq!(
            meta_charset(
                b"<meta name=x><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\" />"
            ),
            gbk
        );
        assert_eq!(
            meta_charset(b"<meta charset='utf-8'>"),
            Some(encoding_rs::UTF_8)
        );
        assert_eq!(
            meta_charset(b"<meta charset=utf-16>"),
            Some(encoding_rs::UTF_8)
        );
        assert_eq!(meta_charset(b"<p>charset=gbk</p>"), None);
        assert_eq!(meta_charset(b"<meta name=charset>"), None);
        let mut page = b"<meta charset=gbk><p>".to_vec();
        page.extend_from_slice(&[0xCA, 0xFD, 0xD7, 0xD6]); // 数字
        assert!(decode_html(&page).ends_with("<p>数字"));
        assert_eq!(decode_html("<p>数字".as_bytes()), "<p>数字");
    }

    #[test]
    fn excerpts_and_forms() {
        let text = "x".repeat(50) + "数字政府" + &"y".repeat(50);
        let pos = text.find("数字").unwrap();
        let e = excerpt(&text, pos, "数字政府".len());
        assert_eq!(e, format!("…{}数字政府{}…", "x".repeat(40), "y".repeat(40)));
        assert_eq!(excerpt("ab数字cd", 2, 6), "ab数字cd");
        assert_eq!(
            form_value(b"a=1&q=%E6%95%B0+x&q=2", "q").as_deref(),
            Some("数 x")
        );
        assert_eq!(form_value(b"a=1", "q"), None);
        assert_eq!(collapse_ws("  a \u{3000} b\n"), "a b");
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn spec_checks() {
        let spec = |s: &str| toml::from_str::<SearchSpec>(s).map_err(|e| e.to_string());
        let ok = spec("path = \"/s\"\nmethod = \"post\"").unwrap();
        assert!(ok.is_post() && ok.check().is_ok() && ok.param == "q");
        assert!(
            spec("path = \"/s\"\nmethod = \"PUT\"")
                .unwrap()
                .check()
                .is_err()
        );
        assert!(spec("path = \"s\"").unwrap().check().is_err());
        assert!(
            spec("path = \"/s\"\nparam = \"\"")
                .unwrap()
                .check()
                .is_err()
        );
        assert!(
            spec("path = \"/s\"\nindex_host = \"..\"")
                .unwrap()
                .check()
                .is_err()
        );
        assert!(spec("path = \"/s\"\nfamily = 6").is_err());
    }
}
