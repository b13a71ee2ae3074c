//! Reading an attachment's text from its bytes, bounded.
//!
//! The format is told by the bytes (a server's Content-Type and a link's extension are often
//! wrong: `download.jsp` answers `application/octet-stream`, a `.xls` is an HTML table): `%PDF`,
//! a zip (xlsx, docx, ods, odt by the entries inside), an OLE compound file (xls and et: a
//! workbook; doc and wps: a Word binary), else text when it looks like text.
//!
//! - Spreadsheets (xlsx, xls, et, ods): calamine, each sheet's rows as lines of tab-separated
//!   cells (numbers without an exponent, so a mobile number stored as a number reads as one).
//! - docx and odt: the zip's `word/document.xml` or `content.xml` read with quick-xml (text runs,
//!   a line per paragraph, a tab per table cell). No crate reads both without pulling in an
//!   editor's whole model, and the text is all we need.
//! - PDF: pdf-extract (over lopdf), page by page. It maps CID fonts through their ToUnicode
//!   CMaps, which is how Word's and WPS's "save as PDF" write Chinese; a scanned PDF has no text
//!   and reads as empty. Chosen over lopdf's own `extract_text` (no ToUnicode for Type0 fonts in
//!   the versions we tried) and over PDFium/MuPDF bindings (a C library to install beside the
//!   binary).
//! - Word binary (doc, wps): not read (no kept crate reads its piece table); the fact says so.
//! - csv and txt: decoded like pages (BOM, UTF-8, else chardetng: GBK is common).
//!
//! Bounds are work, never time (a probe reads no clock): zip containers and a PDF's compressed
//! streams are unpacked once with a running count before anything else reads them, and a file
//! that unpacks past `max_unpacked_bytes` (a zip bomb) is not read; entries, sheets, cells,
//! pages and characters are capped, and what was left is said.

use govwatch_config::AttachmentRules;
use std::io::{Cursor, Read};

/// What an attachment is, by its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
    Docx,
    Odt,
    Pdf,
    /// Word 97–2003 or WPS writer binary (OLE compound file with a `WordDocument` stream).
    WordBinary,
    Text,
    Unknown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Pdf => "pdf",
            Format::WordBinary => "doc",
            Format::Text => "text",
            Format::Unknown => "unknown",
        }
    }

    /// The format as people name it.
    pub fn zh(self) -> &'static str {
        match self {
            Format::Xlsx | Format::Xls | Format::Ods => "电子表格",
            Format::Docx | Format::Odt | Format::WordBinary => "文档",
            Format::Pdf => "PDF 文件",
            Format::Text => "文本文件",
            Format::Unknown => "附件",
        }
    }
}

/// A part of an attachment with its own place: a sheet, a page, the whole text.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// Where it is, as people name it: 工作表“名单”, 第 3 页, 正文.
    pub label: String,
    pub text: String,
}

/// What reading gave.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOut {
    pub format: Format,
    pub units: Vec<Unit>,
    /// Why it was not read (`zip_bomb`, `word_binary`, `encrypted`, `unreadable`,
    /// `unknown_format`), with the detail; `None` when it was read.
    pub not_read: Option<(&'static str, String)>,
    /// What a bound left unread (`pages`, `sheets`, `cells`, `chars`), when one did.
    pub cut: Option<&'static str>,
    /// Pages or sheets in the file, when known.
    pub parts: usize,
    /// Bytes its containers and streams unpacked to (0 for plain files).
    pub unpacked: u64,
}

impl ReadOut {
    fn new(format: Format) -> ReadOut {
        ReadOut {
            format,
            units: Vec::new(),
            not_read: None,
            cut: None,
            parts: 0,
            unpacked: 0,
        }
    }

    fn failed(mut self, why: &'static str, detail: impl Into<String>) -> ReadOut {
        self.not_read = Some((why, detail.into()));
        self.units.clear();
        self
    }

    /// Characters of text read.
    pub fn chars(&self) -> usize {
        self.units.iter().map(|u| u.text.chars().count()).sum()
    }
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// `name` as the UTF-16LE bytes an OLE directory entry holds.
fn utf16(name: &str) -> Vec<u8> {
    name.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The extension of a URL's path, lower-cased.
fn extension(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        Some((_, e)) => e.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Reads the text of one attachment. `url` and `content_type` only help tell plain text apart.
pub fn read(
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
    rules: &AttachmentRules,
) -> ReadOut {
    let head = &body[..body.len().min(1024)];
    if contains(head, b"%PDF-") {
        return pdf(body, rules);
    }
    if body.starts_with(b"PK\x03\x04") {
        return zipped(body, rules);
    }
    if body.starts_with(OLE_MAGIC) {
        if contains(body, &utf16("EncryptedPackage")) {
            return ReadOut::new(Format::Unknown).failed("encrypted", "加密的 Office 文件");
        }
        if contains(body, &utf16("WordDocument")) {
            return ReadOut::new(Format::WordBinary)
                .failed("word_binary", "Word 97–2003 / WPS 二进制文档");
        }
        return spreadsheet(Format::Xls, body, rules);
    }
    let ext = extension(url);
    let texty = content_type.is_some_and(|c| c.to_ascii_lowercase().starts_with("text/"))
        || matches!(ext.as_str(), "csv" | "txt")
        || !body.iter().take(8192).any(|b| *b == 0);
    if texty {
        return text(body, rules);
    }
    ReadOut::new(Format::Unknown).failed("unknown_format", format!("扩展名 {ext}"))
}

/// Unpacks every entry of a zip once, counting what it really unpacks to (declared sizes are
/// not trusted); `Err` with the reason when it is too big or broken.
fn check_zip(
    body: &[u8],
    rules: &AttachmentRules,
) -> Result<(Vec<String>, u64), (&'static str, String)> {
    let mut z =
        zip::ZipArchive::new(Cursor::new(body)).map_err(|e| ("unreadable", format!("zip: {e}")))?;
    if z.len() > rules.max_zip_entries {
        return Err((
            "zip_bomb",
            format!("{} 个压缩条目，超过 {} 个", z.len(), rules.max_zip_entries),
        ));
    }
    let limit = rules.max_unpacked_bytes;
    let mut total = 0u64;
    let mut names = Vec::with_capacity(z.len());
    for i in 0..z.len() {
        let mut f = z
            .by_index(i)
            .map_err(|e| ("unreadable", format!("zip: {e}")))?;
        names.push(f.name().map(|n| n.to_string()).unwrap_or_default());
        let room = limit.saturating_sub(total);
        if f.size() > room {
            return Err((
                "zip_bomb",
                format!("解压后超过 {} 字节（声明 {} 字节）", limit, f.size()),
            ));
        }
        let n = std::io::copy(&mut (&mut f).take(room + 1), &mut std::io::sink())
            .map_err(|e| ("unreadable", format!("zip: {e}")))?;
        total += n;
        if total > limit {
            return Err(("zip_bomb", format!("解压后超过 {limit} 字节")));
        }
    }
    Ok((names, total))
}

fn zipped(body: &[u8], rules: &AttachmentRules) -> ReadOut {
    let (names, unpacked) = match check_zip(body, rules) {
        Ok(r) => r,
        Err((why, detail)) => return ReadOut::new(Format::Unknown).failed(why, detail),
    };
    let has = |n: &str| names.iter().any(|x| x == n);
    let mut out = if has("xl/workbook.xml") {
        spreadsheet(Format::Xlsx, body, rules)
    } else if has("word/document.xml") {
        xml_doc(Format::Docx, body, "word/document.xml", rules)
    } else if has("content.xml") {
        let mime = zip_entry(body, "mimetype", 200).unwrap_or_default();
        if String::from_utf8_lossy(&mime).contains("spreadsheet") {
            spreadsheet(Format::Ods, body, rules)
        } else {
            xml_doc(Format::Odt, body, "content.xml", rules)
        }
    } else {
        ReadOut::new(Format::Unknown).failed("unknown_format", "zip 压缩包")
    };
    out.unpacked = unpacked;
    out
}

/// One entry of a zip, at most `limit` bytes.
fn zip_entry(body: &[u8], name: &str, limit: u64) -> Option<Vec<u8>> {
    let mut z = zip::ZipArchive::new(Cursor::new(body)).ok()?;
    let f = z.by_name(name).ok()?;
    let mut v = Vec::new();
    f.take(limit).read_to_end(&mut v).ok()?;
    Some(v)
}

/// A number as a person wrote it: integers without a decimal point or an exponent.
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

fn spreadsheet(format: Format, body: &[u8], rules: &AttachmentRules) -> ReadOut {
    use calamine::{Data, Reader};
    let mut out = ReadOut::new(format);
    let mut book = match calamine::open_workbook_auto_from_rs(Cursor::new(body)) {
        Ok(b) => b,
        Err(e) => return out.failed("unreadable", format!("{e}")),
    };
    let names = book.sheet_names();
    out.parts = names.len();
    let (mut cells, mut chars) = (0usize, 0usize);
    for (i, name) in names.iter().enumerate() {
        if i >= rules.max_sheets {
            out.cut = Some("sheets");
            break;
        }
        let range = match book.worksheet_range(name) {
            Ok(r) => r,
            Err(e) => {
                if out.units.is_empty() && i + 1 == names.len() {
                    return out.failed("unreadable", format!("{e}"));
                }
                continue;
            }
        };
        let (rows, cols) = range.get_size();
        if cells + rows * cols > rules.max_cells {
            out.cut = Some("cells");
            break;
        }
        cells += rows * cols;
        let mut text = String::new();
        for row in range.rows() {
            let mut first = true;
            for c in row {
                if !first {
                    text.push('\t');
                }
                first = false;
                match c {
                    Data::Empty => {}
                    Data::String(s) => text.push_str(s),
                    Data::Float(f) => text.push_str(&number(*f)),
                    Data::Int(n) => text.push_str(&n.to_string()),
                    other => text.push_str(&other.to_string()),
                }
            }
            text.push('\n');
        }
        chars += text.len();
        out.units.push(Unit {
            label: format!("工作表“{name}”"),
            text,
        });
        if chars > rules.max_chars {
            out.cut = Some("chars");
            break;
        }
    }
    out
}

/// The predefined XML entities and character references.
fn entity(r: &quick_xml::events::BytesRef) -> Option<char> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c);
    }
    match r.xml10_content().as_ref() {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// The text of a docx's `word/document.xml` or an odt's `content.xml`: a line per paragraph or
/// heading, a tab after each table cell.
fn xml_doc(format: Format, body: &[u8], entry: &str, rules: &AttachmentRules) -> ReadOut {
    use quick_xml::events::Event;
    let mut out = ReadOut::new(format);
    out.parts = 1;
    let Some(xml) = zip_entry(body, entry, rules.max_unpacked_bytes) else {
        return out.failed("unreadable", format!("{entry} 无法读取"));
    };
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let mut text = String::new();
    // docx keeps text only in <w:t>; odt in any element of its body
    let mut in_text = format == Format::Odt;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().into_inner() == "w:t" => in_text = true,
            Ok(Event::Empty(e)) => match e.name().into_inner() {
                "w:tab" | "text:tab" => text.push('\t'),
                "w:br" | "text:line-break" => text.push('\n'),
                "text:s" => text.push(' '),
                _ => {}
            },
            Ok(Event::End(e)) => match e.name().into_inner() {
                "w:t" => in_text = false,
                "w:p" | "text:p" | "text:h" => text.push('\n'),
                "w:tc" | "table:table-cell" => text.push('\t'),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => text.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) if in_text => text.push_str(&t.into_inner()),
            Ok(Event::GeneralRef(r)) if in_text => {
                if let Some(c) = entity(&r) {
                    text.push(c);
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => {
                if text.is_empty() {
                    return out.failed("unreadable", format!("{entry}: {e}"));
                }
                out.cut = Some("chars");
                break;
            }
            _ => {}
        }
        if text.len() > rules.max_chars {
            out.cut = Some("chars");
            break;
        }
        buf.clear();
    }
    out.units.push(Unit {
        label: "正文".into(),
        text,
    });
    out
}

/// Counts what a PDF's deflated streams unpack to, over the raw bytes (before any PDF library
/// unpacks one, object streams included); `Err` past the limit.
fn check_pdf_streams(body: &[u8], limit: u64) -> Result<u64, u64> {
    let mut total = 0u64;
    let mut i = 0;
    while let Some(off) = find(&body[i..], b"stream") {
        let mut start = i + off + b"stream".len();
        i = start;
        if body[..start].ends_with(b"endstream") {
            continue;
        }
        // the data starts after the line end that follows the keyword
        if body.get(start) == Some(&b'\r') {
            start += 1;
        }
        if body.get(start) == Some(&b'\n') {
            start += 1;
        }
        let end = find(&body[start..], b"endstream").map_or(body.len(), |e| start + e);
        let data = &body[start..end];
        if data.first() == Some(&0x78) {
            let room = limit.saturating_sub(total);
            let mut d = flate2::read::ZlibDecoder::new(data).take(room + 1);
            let n = std::io::copy(&mut d, &mut std::io::sink()).unwrap_or(0);
            total += n;
            if total > limit {
                return Err(total);
            }
        }
        i = end;
    }
    Ok(total)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn pdf(body: &[u8], rules: &AttachmentRules) -> ReadOut {
    let mut out = ReadOut::new(Format::Pdf);
    match check_pdf_streams(body, rules.max_unpacked_bytes) {
        Ok(n) => out.unpacked = n,
        Err(_) => {
            return out.failed(
                "zip_bomb",
                format!("压缩流解压后超过 {} 字节", rules.max_unpacked_bytes),
            );
        }
    }
    let mut doc = match pdf_extract::Document::load_mem(body) {
        Ok(d) => d,
        Err(e) => return out.failed("unreadable", format!("PDF: {e}")),
    };
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return out.failed("encrypted", "加密的 PDF 文件");
    }
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    out.parts = pages.len();
    let mut chars = 0;
    for (i, n) in pages.iter().enumerate() {
        if i >= rules.max_pages {
            out.cut = Some("pages");
            break;
        }
        let mut text = String::new();
        let mut dev = pdf_extract::PlainTextOutput::new(&mut text);
        if pdf_extract::output_doc_page(&doc, &mut dev, *n).is_err() && text.is_empty() {
            continue;
        }
        chars += text.len();
        out.units.push(Unit {
            label: format!("第 {n} 页"),
            text,
        });
        if chars > rules.max_chars {
            out.cut = Some("chars");
            break;
        }
    }
    out
}

fn text(body: &[u8], rules: &AttachmentRules) -> ReadOut {
    let mut out = ReadOut::new(Format::Text);
    out.parts = 1;
    let (enc, bom) = match encoding_rs::Encoding::for_bom(body) {
        Some((e, n)) => (e, n),
        None if std::str::from_utf8(body).is_ok() => (encoding_rs::UTF_8, 0),
        None => {
            let mut d = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            d.feed(body, true);
            (d.guess(Some(b"cn"), chardetng::Utf8Detection::Allow), 0)
        }
    };
    let (t, _, _) = enc.decode(&body[bom..]);
    let mut t = t.into_owned();
    if t.len() > rules.max_chars {
        let mut cut = rules.max_chars;
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        t.truncate(cut);
        out.cut = Some("chars");
    }
    out.units.push(Unit {
        label: "正文".into(),
        text: t,
    });
    out
}
