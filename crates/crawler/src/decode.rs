//! Character decoding of fetched pages.
//!
//! Order of evidence, as browsers use it: byte order mark, `charset=` in the Content-Type header,
//! `<meta charset>` / `<meta http-equiv="Content-Type">` in the first 4 KiB, then a guess from the
//! bytes (chardetng). Labels follow the WHATWG Encoding Standard, so `gb2312` and `gbk`
//! decode with the GB18030 decoder and characters outside GB2312 (喆, 镕) survive.
//!
//! A declaration that is plainly wrong (a header saying UTF-8 over GBK bytes, a common
//! misconfiguration) is passed over when the bytes are not valid in it and a later source decodes
//! them cleanly; the source that finally decided is recorded.

use encoding_rs::{Encoding, UTF_8};
use govwatch_model::CharsetSource;

/// The decoded text, the encoding used and where the decision came from.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub source: CharsetSource,
    /// True when bytes had to be replaced with U+FFFD.
    pub had_errors: bool,
    /// The declaration passed over (its encoding's name and where it was declared), and why.
    pub overridden: Option<(String, CharsetSource, &'static str)>,
}

/// Decodes an HTML (or text) body.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            encoding: enc,
            source: CharsetSource::Bom,
            had_errors,
            overridden: None,
        };
    }
    let mut candidates: Vec<(&'static Encoding, CharsetSource)> = Vec::new();
    if let Some(enc) = content_type.and_then(charset_from_content_type) {
        candidates.push((enc, CharsetSource::Header));
    }
    if let Some(enc) = charset_from_meta(bytes) {
        candidates.push((enc, CharsetSource::Meta));
    }
    let utf8_text = !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok();
    let mut overridden = None;
    for (enc, source) in &candidates {
        if *enc != UTF_8 && utf8_text {
            overridden.get_or_insert((
                enc.name().to_string(),
                *source,
                "declared legacy charset, but the bytes are valid UTF-8",
            ));
            continue;
        }
        let (text, had_errors) = enc.decode_without_bom_handling(bytes);
        if !had_errors {
            return Decoded {
                text: text.into_owned(),
                encoding: enc,
                source: *source,
                had_errors,
                overridden,
            };
        }
        overridden.get_or_insert((
            enc.name().to_string(),
            *source,
            "the declared charset does not decode the bytes",
        ));
    }
    let sniffed = sniff(bytes);
    let (text, had_errors) = sniffed.decode_without_bom_handling(bytes);
    if had_errors {
        // Nothing decodes cleanly: trust the first declaration if there was one.
        if let Some((enc, source)) = candidates.first() {
            let (text, had_errors) = enc.decode_without_bom_handling(bytes);
            return Decoded {
                text: text.into_owned(),
                encoding: enc,
                source: *source,
                had_errors,
                overridden: None,
            };
        }
    }
    Decoded {
        text: text.into_owned(),
        encoding: sniffed,
        source: CharsetSource::Sniffed,
        had_errors,
        overridden,
    }
}

/// The encoding named by a `charset=` parameter of a Content-Type value.
pub fn charset_from_content_type(ct: &str) -> Option<&'static Encoding> {
    let lower = ct.to_ascii_lowercase();
    let idx = lower.find("charset=")?;
    let rest = &ct[idx + 8..];
    let value: String = rest
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| !matches!(c, ';' | '"' | '\'' | ' ' | ','))
        .collect();
    Encoding::for_label(value.trim().as_bytes()).map(utf16_to_utf8)
}

/// A `<meta>` charset declaration in the first 4 KiB (a simplified WHATWG prescan).
pub fn charset_from_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let mut pos = 0;
    while let Some(off) = find(&lower[pos..], b"<meta") {
        let start = pos + off;
        let end = find(&lower[start..], b">")
            .map(|e| start + e)
            .unwrap_or(lower.len());
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let mut i = c + 7;
            while i < tag.len() && (tag[i] == b' ' || tag[i] == b'=') {
                i += 1;
            }
            while i < tag.len() && (tag[i] == b'"' || tag[i] == b'\'') {
                i += 1;
            }
            let vstart = i;
            while i < tag.len() && !matches!(tag[i], b'"' | b'\'' | b' ' | b';' | b'/' | b'>') {
                i += 1;
            }
            if let Some(enc) = Encoding::for_label(&tag[vstart..i]) {
                return Some(utf16_to_utf8(enc));
            }
        }
        pos = end.max(start + 5);
    }
    None
}

fn utf16_to_utf8(enc: &'static Encoding) -> &'static Encoding {
    // A document that declares UTF-16 in ASCII-compatible bytes is really UTF-8 (WHATWG).
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        UTF_8
    } else {
        enc
    }
}

fn sniff(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(s).0.into_owned()
    }

    #[test]
    fn meta_gb2312_decodes_gbk_only_characters() {
        let html = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body>张喆 朱镕基 王堃</body></html>";
        let d = decode_html(&gbk(html), Some("text/html"));
        assert_eq!(d.source, CharsetSource::Meta);
        assert_eq!(d.encoding.name(), "GBK");
        assert!(d.text.contains("张喆 朱镕基 王堃"));
        assert!(!d.had_errors);
    }

    #[test]
    fn header_wins_when_it_decodes() {
        let d = decode_html(
            "<meta charset=gbk>你好".as_bytes(),
            Some("text/html; charset=UTF-8"),
        );
        assert_eq!(d.source, CharsetSource::Header);
        assert_eq!(d.text, "<meta charset=gbk>你好");
    }

    #[test]
    fn wrong_utf8_header_over_gbk_bytes_falls_to_meta() {
        let bytes = gbk("<meta charset=\"gbk\"><p>通知公告</p>");
        let d = decode_html(&bytes, Some("text/html; charset=utf-8"));
        assert_eq!(d.source, CharsetSource::Meta);
        assert!(d.text.contains("通知公告"));
    }

    #[test]
    fn undeclared_gbk_is_sniffed() {
        let bytes = gbk(
            "<html><body><p>关于做好二〇二六年政府网站年度工作报告编制工作的通知，各乡镇人民政府、县政府各部门。</p></body></html>",
        );
        let d = decode_html(&bytes, None);
        assert_eq!(d.source, CharsetSource::Sniffed);
        assert!(d.text.contains("政府网站年度工作报告"));
    }

    #[test]
    fn declared_gb2312_over_utf8_bytes_is_passed_over() {
        let html = "<html><head><meta charset=\"gb2312\"></head><body><a href=\"/hd/\">领导信箱</a> <a href=\"/ly/\">在线留言</a> 咨询投诉</body></html>";
        let d = decode_html(html.as_bytes(), Some("text/html; charset=gb2312"));
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.source, CharsetSource::Sniffed);
        assert!(d.text.contains("领导信箱") && d.text.contains("在线留言"));
        let (name, source, _) = d.overridden.expect("the declaration is recorded");
        assert_eq!((name.as_str(), source), ("GBK", CharsetSource::Header));
    }

    #[test]
    fn real_gbk_keeps_its_declaration() {
        let d = decode_html(&gbk("<meta charset=gb2312><p>在线留言 领导信箱</p>"), None);
        assert_eq!(d.encoding.name(), "GBK");
        assert!(d.overridden.is_none());
    }

    #[test]
    fn bom_decides_first() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("<meta charset=gbk>首页".as_bytes());
        let d = decode_html(&b, Some("text/html; charset=gbk"));
        assert_eq!(d.source, CharsetSource::Bom);
        assert!(d.text.ends_with("首页"));
    }
}
