//! Attachments read from hand-made files (zip bombs, docx/odt, GBK text and Word binaries) and
//! the card-number rule (Luhn and a word beside it).

use super::read::{Format, read};
use super::*;
use crate::integrity::privacy::{luhn, mask_card, mask_digit_runs};
use std::io::Write;

fn rules() -> AttachmentRules {
    AttachmentRules::default()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn a_zip_that_unpacks_past_the_limit_is_not_read() {
    let big = vec![b' '; 300_000];
    let body = zip_of(&[
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/worksheets/sheet1.xml", &big),
    ]);
    assert!(body.len() < 5_000, "{}", body.len());
    let r = AttachmentRules {
        max_unpacked_bytes: 100_000,
        ..rules()
    };
    let out = read("http://a.gov.test/f/x.xlsx", None, &body, &r);
    assert_eq!(out.not_read.as_ref().map(|(w, _)| *w), Some("zip_bomb"));
    // within the limit it is a workbook calamine cannot open (no content types): unreadable
    let out = read("http://a.gov.test/f/x.xlsx", None, &body, &rules());
    assert_eq!(out.format, Format::Xlsx);
    assert_eq!(out.not_read.as_ref().map(|(w, _)| *w), Some("unreadable"));
}

#[test]
fn docx_and_odt_text_by_paragraph_and_cell() {
    let doc = r#"<?xml version="1.0"?><w:document xmlns:w="w"><w:body>
      <w:p><w:r><w:t>公示名单</w:t></w:r></w:p>
      <w:tbl><w:tr><w:tc><w:p><w:r><w:t>张某某</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>990101198503120029</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
      <w:p><w:r><w:t xml:space="preserve">电话 </w:t><w:tab/><w:t>139&amp;00002222</w:t></w:r></w:p>
    </w:body></w:document>"#.as_bytes();
    let body = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", doc),
    ]);
    let out = read("http://a.gov.test/x.docx", None, &body, &rules());
    assert_eq!(out.format, Format::Docx);
    let t = &out.units[0].text;
    assert!(t.contains("公示名单\n"), "{t:?}");
    assert!(t.contains("张某某\n\t990101198503120029\n\t"), "{t:?}");
    assert!(t.contains("电话 \t139&00002222"), "{t:?}");
    let odt = r#"<office:document-content><office:body><office:text><text:h>名单</text:h><text:p>李某某<text:s/>990102197906240035</text:p></office:text></office:body></office:document-content>"#.as_bytes();
    let body = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", odt),
    ]);
    let out = read("http://a.gov.test/download?id=3", None, &body, &rules());
    assert_eq!(out.format, Format::Odt);
    assert_eq!(out.units[0].text, "名单\n李某某 990102197906240035\n");
}

#[test]
fn gbk_text_and_word_binaries() {
    let (gbk, _, _) = encoding_rs::GBK.encode("姓名,电话\r\n赵某某,13900002222\r\n");
    let out = read(
        "http://a.gov.test/download.jsp?id=1",
        Some("application/octet-stream"),
        &gbk,
        &rules(),
    );
    assert_eq!(out.format, Format::Text);
    assert!(out.units[0].text.contains("赵某某,13900002222"));
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend("WordDocument".encode_utf16().flat_map(u16::to_le_bytes));
    let out = read("http://a.gov.test/a.doc", None, &ole, &rules());
    assert_eq!(
        (out.format, out.not_read.map(|(w, _)| w)),
        (Format::WordBinary, Some("word_binary"))
    );
    let out = read(
        "http://a.gov.test/a.rar",
        None,
        &[0x52, 0x61, 0x72, 0x21, 0, 7, 0],
        &rules(),
    );
    assert_eq!(out.not_read.map(|(w, _)| w), Some("unknown_format"));
}

#[test]
fn cards_need_luhn_and_a_word_beside_them() {
    assert!(luhn("4111111111111111"));
    assert!(!luhn("4111111111111112"));
    assert_eq!(mask_card("4111111111111111"), "411111******1111");
    assert_eq!(
        mask_digit_runs("张某某 990101198503120029 13900002222 0559-1234567"),
        "张某某 990101********0029 139****2222 0559-1234567"
    );
    let probe = Attachments { rules: rules() };
    let rec = crate::links::tests::rec("http://a.gov.test/f/list.csv", Some(200), None);
    // a card number under 银行卡号; the same digits as an order number are no card
    let body = "序号,姓名,银行卡号\n1,张某某,4111111111111111\n".as_bytes();
    let s = probe.read_one(&rec, Some(body));
    assert_eq!(s.counts.get("bank_card"), Some(&1));
    assert_eq!(s.hits[0].masked, "411111******1111");
    assert!(!s.hits[0].excerpt.contains("4111111111111111"));
    let body = "序号,订单编号\n1,4111111111111111\n".as_bytes();
    assert!(probe.read_one(&rec, Some(body)).hits.is_empty());
    // masked numbers are no leak
    let body = "身份证号 990101********0029 手机 139****2222".as_bytes();
    assert!(probe.read_one(&rec, Some(body)).hits.is_empty());
    // over the size cap: not read, and said so
    let s = probe.read_one(&rec, None);
    assert_eq!(s.not_read.map(|(w, _)| w), Some("too_large"));
}
