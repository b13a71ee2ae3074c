//! Page bodies: hashed, zlib-packed and stored once however many pages share them
//! ([`PackedBody`], [`pack_body`], [`unpack_body`]).

use super::*;

/// The value of `bodies.encoding`: a zlib stream (RFC 1950) around DEFLATE data.
pub const BODY_ENCODING: &str = "zlib";

/// A page body packed for the `bodies` table ([`pack_body`]), keyed by the hash of the bytes
/// fetched (`fetches.content_hash`).
#[derive(Debug, Clone)]
pub struct PackedBody {
    pub hash: String,
    pub charset: Option<String>,
    /// Length of the decoded text in bytes.
    pub size: u64,
    pub data: Vec<u8>,
}

/// SHA-256 of the text, lower-case hex.
pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A page body as the `bodies` table keeps it (`encoding` [`BODY_ENCODING`]): the text, zlib.
/// Callers may pack on their own threads and hand the result to [`Store::put_bodies`].
pub fn pack_body(text: &str) -> Vec<u8> {
    deflate(text).expect("compressing into memory does not fail")
}

/// The text of a body packed by [`pack_body`].
pub fn unpack_body(data: &[u8]) -> std::io::Result<String> {
    inflate(data)
}

/// One compressor per thread, reset for each body: a compressor's state is a few hundred
/// kilobytes, and one made and dropped per page (tens of thousands a night) left glibc's heap
/// holding gigabytes with flate2's zlib-rs backend (the one `zip`'s `deflate` feature turns on
/// for the whole binary).
pub(crate) fn deflate(text: &str) -> std::io::Result<Vec<u8>> {
    use flate2::{Compress, FlushCompress, Status};
    thread_local! {
        static ENC: std::cell::RefCell<Option<Compress>> = const { std::cell::RefCell::new(None) };
    }
    ENC.with(|cell| {
        let mut cell = cell.borrow_mut();
        // the fastest level: a night archives every page, and the archive is read rarely
        let enc = cell.get_or_insert_with(|| Compress::new(Compression::fast(), true));
        enc.reset();
        let input = text.as_bytes();
        let mut out = Vec::with_capacity(input.len() / 4 + 64);
        loop {
            let used = enc.total_in() as usize;
            let status = enc
                .compress_vec(&input[used..], &mut out, FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            if status == Status::StreamEnd {
                return Ok(out);
            }
            out.reserve(out.capacity().max(64));
        }
    })
}

pub(crate) fn inflate(data: &[u8]) -> std::io::Result<String> {
    let mut text = String::new();
    ZlibDecoder::new(data).read_to_string(&mut text)?;
    Ok(text)
}

/// Archives a page's text unless a body with the same hash is already stored; returns the hash.
pub(crate) fn store_body(tx: &Connection, page: &Page) -> Result<String> {
    let hash = match &page.fetch.content_hash {
        Some(h) if !h.is_empty() => h.clone(),
        _ => text_hash(&page.text),
    };

    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM bodies WHERE hash = ?1)",
        params![hash],
        |r| r.get(0),
    )?;
    if !exists {
        // (a body streamed while the site was crawled is already there: such pages arrive here
        // without their text and only its hash is referenced; the runner makes sure it arrived)
        let data = deflate(&page.text)?;
        let mut stmt = tx.prepare_cached(
            "INSERT OR IGNORE INTO bodies (hash, charset, encoding, size, data) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        stmt.execute(params![
            hash,
            page.charset,
            BODY_ENCODING,
            to_i64(page.text.len() as u64),
            data
        ])?;
    }
    Ok(hash)
}

impl Store {
    /// Archives page bodies already packed ([`pack_body`]) in one transaction, each unless a body
    /// with its hash is stored. Bodies are content-addressed and shared between runs, so a body
    /// written while its site is still being crawled is harmless if the site is never recorded.
    pub fn put_bodies(&mut self, bodies: &[PackedBody]) -> Result<()> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR IGNORE INTO bodies (hash, charset, encoding, size, data) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for b in bodies {
                    stmt.execute(params![
                        b.hash,
                        b.charset,
                        BODY_ENCODING,
                        to_i64(b.size),
                        b.data
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })();
        self.ctx(r)
    }

    /// The packed bodies of these hashes (those stored), for the caller to unpack.
    pub fn packed_bodies(&self, hashes: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
        let r = (|| {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT encoding, data FROM bodies WHERE hash = ?1")?;
            let mut out = Vec::with_capacity(hashes.len());
            for h in hashes {
                let row = stmt
                    .query_row(params![h], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
                    })
                    .optional()?;
                if let Some((encoding, data)) = row {
                    if encoding != BODY_ENCODING {
                        return Err(StoreError::corrupt(format!(
                            "body {h} has unknown encoding {encoding:?}"
                        )));
                    }
                    out.push((h.clone(), data));
                }
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// The decoded text of an archived page body, by its hash (`bodies.hash`).
    pub fn page_body(&self, hash: &str) -> Result<Option<String>> {
        let r = (|| {
            let raw = self
                .conn
                .query_row(
                    "SELECT encoding, size, data FROM bodies WHERE hash = ?1",
                    params![hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Vec<u8>>(2)?,
                        ))
                    },
                )
                .optional()?;
            let Some((encoding, size, data)) = raw else {
                return Ok(None);
            };
            if encoding != BODY_ENCODING {
                return Err(StoreError::corrupt(format!(
                    "body {hash} has unknown encoding {encoding:?}"
                )));
            }
            let text = inflate(&data).map_err(|e| {
                StoreError::corrupt(format!("body {hash} does not decompress: {e}"))
            })?;
            if i64::try_from(text.len()).ok() != Some(size) {
                return Err(StoreError::corrupt(format!(
                    "body {hash} decompresses to {} bytes, but its size says {size}",
                    text.len()
                )));
            }
            Ok(Some(text))
        })();
        self.ctx(r)
    }
}
