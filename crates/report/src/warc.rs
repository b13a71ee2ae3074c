//! The evidence archive: a run's fetched pages as a WARC/1.1 file (ISO 28500:2017), each record
//! compressed as its own gzip member so that replay and indexing tools (pywb, warcio, OpenWayback)
//! can seek to a record by offset.
//!
//! Written by hand (with flate2) rather than with the `warc` crate: that crate (0.4) writes
//! WARC/1.0 records and compresses the whole stream as one gzip member when asked for gzip,
//! which loses the per-record offsets findings point to; a record is a few header lines, a body
//! and two CRLFs, so the writer is short.
//!
//! The store keeps each page's text decoded to UTF-8 (not the raw HTTP exchange), so each page is
//! a `resource` record: `WARC-Target-URI` the URL fetched, `WARC-Date` when it was fetched,
//! `Content-Type: text/html; charset=utf-8`, the payload digest, and the original charset and
//! HTTP status in `govwatch-*` fields (WARC allows extension fields). A `warcinfo` record opens
//! the file.

use crate::{ReportError, io_err};
use flate2::Compression;
use flate2::write::GzEncoder;
use govwatch_store::{ArchiveRecord, Store};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// RFC 4648 base32 (upper case, padded), as WARC digests are written.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `sha256:BASE32` of the bytes.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", base32(&Sha256::digest(bytes)))
}

/// A record id derived from what it holds, so that writing the same run again gives the same ids.
fn record_id(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50; // a name-based UUID (version 5 layout, SHA-256 truncated)
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// One record, gzip-compressed as its own member.
fn member(headers: &[(&str, String)], block: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::with_capacity(block.len() + 512);
    raw.extend_from_slice(b"WARC/1.1\r\n");
    for (k, v) in headers {
        // header values never hold line breaks
        let v = v.replace(['\r', '\n'], " ");
        raw.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", block.len()).as_bytes());
    raw.extend_from_slice(block);
    raw.extend_from_slice(b"\r\n\r\n");
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&raw)?;
    gz.finish()
}

fn warc_date(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// Writes `dir/run-RUN.warc.gz` from the run's stored pages and records where each page went
/// (table `archive_records`). Returns the file and the records.
pub fn write_run_warc(
    store: &mut Store,
    run_id: i64,
    dir: &Path,
) -> Result<(std::path::PathBuf, Vec<ArchiveRecord>), ReportError> {
    let path = dir.join(warc_name(run_id));
    let (out, records) = run_warc(store, run_id).map_err(|e| match e {
        ReportError::Io { source, .. } => ReportError::Io {
            path: path.clone(),
            source,
        },
        e => e,
    })?;
    std::fs::write(&path, &out).map_err(io_err(&path))?;
    store.write_archive_records(run_id, &records)?;
    Ok((path, records))
}

/// The file name of a run's WARC: `run-RUN.warc.gz`.
pub fn warc_name(run_id: i64) -> String {
    format!("run-{run_id}.warc.gz")
}

/// A run's WARC file in memory and where each page sits in it; nothing is written. The bytes are
/// the same as [`write_run_warc`] writes (record ids and compression are deterministic).
pub fn run_warc(store: &Store, run_id: i64) -> Result<(Vec<u8>, Vec<ArchiveRecord>), ReportError> {
    let run = store
        .run(run_id)?
        .ok_or_else(|| ReportError::Other(format!("run {run_id} does not exist")))?;
    let name = warc_name(run_id);
    let path = std::path::PathBuf::from(&name);
    let pages = store.run_pages(run_id)?;
    let mut out: Vec<u8> = Vec::new();
    let info_id = record_id(&format!("warcinfo run {run_id} {}", run.started_at));
    let info = format!(
        "software: govwatch {}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\ndescription: pages fetched by govwatch run {run_id} (monitoring time {}), decoded to UTF-8\r\n",
        env!("CARGO_PKG_VERSION"),
        run.as_of
    );
    out.extend(
        member(
            &[
                ("WARC-Type", "warcinfo".into()),
                ("WARC-Record-ID", info_id.clone()),
                ("WARC-Date", warc_date(&run.started_at)),
                ("WARC-Filename", name.clone()),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
        )
        .map_err(io_err(&path))?,
    );
    let mut records = Vec::new();
    for p in &pages {
        let Some(hash) = &p.body_hash else { continue };
        let Some(text) = store.page_body(hash)? else {
            continue;
        };
        let id = record_id(&format!("run {run_id} page {} {}", p.id, hash));
        let d = digest(text.as_bytes());
        let mut headers = vec![
            ("WARC-Type", "resource".to_string()),
            ("WARC-Record-ID", id.clone()),
            ("WARC-Warcinfo-ID", info_id.clone()),
            (
                "WARC-Date",
                warc_date(p.fetched_at.as_deref().unwrap_or(&run.started_at)),
            ),
            ("WARC-Target-URI", p.url.clone()),
            ("WARC-Block-Digest", d.clone()),
            ("WARC-Payload-Digest", d),
            ("Content-Type", "text/html; charset=utf-8".to_string()),
        ];
        if let Some(addr) = &p.remote_addr
            && let Some(ip) = addr
                .rsplit_once(':')
                .map(|(h, _)| h.trim_matches(['[', ']']).to_string())
        {
            headers.push(("WARC-IP-Address", ip));
        }
        if let Some(st) = p.status {
            headers.push(("govwatch-HTTP-Status", st.to_string()));
        }
        if let Some(cs) = &p.charset {
            headers.push(("govwatch-Original-Charset", cs.clone()));
        }
        if p.rendered {
            // the DOM headless Chromium drew (scripts run), beside the raw page's own record
            headers.push(("govwatch-Rendered", "chromium".to_string()));
        }
        if p.final_url != p.url {
            headers.push(("govwatch-Final-URI", p.final_url.clone()));
        }
        let bytes = member(&headers, text.as_bytes()).map_err(io_err(&path))?;
        records.push(ArchiveRecord {
            run_id,
            page_id: p.id,
            url: p.url.clone(),
            file: name.clone(),
            record_id: id,
            offset: out.len() as u64,
            length: bytes.len() as u64,
        });
        out.extend(bytes);
    }
    Ok((out, records))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(base32(i.as_bytes()), o);
        }
    }

    #[test]
    fn record_ids_are_uuids() {
        let id = record_id("x");
        assert_eq!(id.len(), "<urn:uuid:>".len() + 36);
        assert_eq!(&id[24..25], "5");
        assert_eq!(record_id("x"), id);
        assert_ne!(record_id("y"), id);
    }
}
