//! Availability samples: the daemon's and the run's probes of each site's home page.

use super::*;

pub(crate) fn insert_samples(
    tx: &Connection,
    run_id: Option<i64>,
    site_id: &str,
    samples: &[Sample],
) -> Result<usize> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO samples (run_id, site_id, url, at, at_ms, family, ok, status, error_kind, elapsed_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut n = 0;
    for s in samples {
        n += stmt.execute(params![
            run_id,
            site_id,
            s.url,
            s.at.to_rfc3339(),
            s.at.timestamp_millis(),
            s.family,
            s.ok,
            s.status,
            s.error.map(FetchError::as_str),
            to_i64(s.elapsed_ms),
        ])?;
    }
    Ok(n)
}

impl Store {
    /// A site's availability samples taken in `[since, until)` (whatever run, or none, wrote
    /// them), oldest first.
    pub fn samples(
        &self,
        site_id: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Sample>> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT url, at, family, ok, status, error_kind, elapsed_ms FROM samples
                 WHERE site_id = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY at_ms, id",
            )?;
            let rows = stmt.query_map(
                params![site_id, since.timestamp_millis(), until.timestamp_millis()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<u8>>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, Option<u16>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (url, at, family, ok, status, error_kind, elapsed_ms) = row?;
                let error = match error_kind {
                    None => None,
                    Some(k) => Some(FetchError::parse(&k).ok_or_else(|| {
                        StoreError::corrupt(format!(
                            "a sample of site {site_id} has unknown error kind {k:?}"
                        ))
                    })?),
                };
                out.push(Sample {
                    url,
                    at: parse_ts(&at, "samples.at")?,
                    family,
                    ok,
                    status,
                    error,
                    elapsed_ms: u64::try_from(elapsed_ms).unwrap_or(0),
                });
            }
            Ok(out)
        })();
        self.ctx(r)
    }

    /// Adds availability samples of a site (with or without a run); a sample already stored (same
    /// site, URL, time and address family) is ignored. Returns how many rows were inserted.
    pub fn insert_samples(
        &mut self,
        run_id: Option<i64>,
        site_id: &str,
        samples: &[Sample],
    ) -> Result<usize> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(run_id) = run_id
                && !run_exists(&tx, run_id)?
            {
                return Err(StoreError::unknown_run(run_id));
            }
            if !site_exists(&tx, site_id)? {
                return Err(StoreError::unknown_site(site_id));
            }
            let n = insert_samples(&tx, run_id, site_id, samples)?;
            tx.commit()?;
            Ok(n)
        })();
        self.ctx(r)
    }
}
