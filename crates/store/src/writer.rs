//! The single writer: a dedicated thread owns the [`Store`] and applies writes sent over a
//! channel, so SQLite never blocks the async runtime and writes never contend with each other.
//!
//! Page bodies are streamed through it while sites are crawled ([`StoreWriter::put_body`], from
//! CPU workers; consecutive bodies are written in one transaction) and read back through it when
//! a site's probes run ([`StoreWriter::packed_bodies`]): the thread's own connection sees its own
//! writes, so a body put before is always found.

use crate::{PackedBody, PreparedSite, Store, StoreError};
use govwatch_model::{AccountResult, Sample, SiteResult};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{mpsc, oneshot};

/// Writes waiting for the writer thread before senders wait (back-pressure on the crawl).
const QUEUE: usize = 256;
/// Most operations applied in one wake-up of the thread (bodies among them share a transaction).
const BATCH: usize = 256;

/// Packed bodies by hash, as read back.
pub type PackedBodies = Vec<(String, Vec<u8>)>;

/// A write for the writer thread, with the channel its outcome goes back on.
pub(crate) enum WriteOp {
    Site {
        run_id: i64,
        result: Box<PreparedSite>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    Samples {
        run_id: Option<i64>,
        site_id: String,
        samples: Vec<Sample>,
        reply: oneshot::Sender<Result<usize, StoreError>>,
    },
    Body(PackedBody),
    GetBodies {
        hashes: Vec<String>,
        reply: oneshot::Sender<Result<PackedBodies, StoreError>>,
    },
    Account {
        run_id: i64,
        result: Box<AccountResult>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// A handle for async tasks to write through the writer thread. Clone it freely; when every clone
/// is dropped, the thread ends and hands the [`Store`] back through its `JoinHandle`.
#[derive(Debug, Clone)]
pub struct StoreWriter {
    tx: mpsc::Sender<WriteOp>,
    /// Set when a streamed body could not be written (the sites waiting for it then fail).
    body_failed: Arc<AtomicBool>,
}

/// Moves the store onto a dedicated thread (`govwatch-store`) that applies writes in the order
/// they arrive.
///
/// The thread runs until every [`StoreWriter`] is dropped, then returns the store (to finish the
/// run with). Write errors go back to whoever asked for the write; one whose caller stopped
/// waiting is logged at error level.
///
/// # Panics
/// If the operating system cannot start a thread.
pub fn spawn_writer(
    store: Store,
) -> (
    StoreWriter,
    std::thread::JoinHandle<Result<Store, StoreError>>,
) {
    let (tx, mut rx) = mpsc::channel::<WriteOp>(QUEUE);
    let body_failed = Arc::new(AtomicBool::new(false));
    let failed = body_failed.clone();
    let handle = std::thread::Builder::new()
        .name("govwatch-store".to_string())
        .spawn(move || {
            let mut store = store;
            // the log is copied into the database by a thread of its own while this one writes
            let checkpointer = Checkpointer::start(&mut store);
            let mut ops: Vec<WriteOp> = Vec::with_capacity(BATCH);
            let mut bodies: Vec<PackedBody> = Vec::new();
            while let Some(first) = rx.blocking_recv() {
                ops.push(first);
                while ops.len() < BATCH {
                    match rx.try_recv() {
                        Ok(op) => ops.push(op),
                        Err(_) => break,
                    }
                }
                let mut sites: Vec<SiteOp> = Vec::new();
                for op in ops.drain(..) {
                    match op {
                        WriteOp::Body(b) => {
                            if !sites.is_empty() {
                                flush_sites(&mut store, &mut sites);
                            }
                            bodies.push(b);
                        }
                        WriteOp::Site {
                            run_id,
                            result,
                            reply,
                        } => {
                            // bodies first: the sites' pages refer to them
                            flush_bodies(&mut store, &mut bodies, &failed);
                            sites.push((run_id, result, reply));
                        }
                        other => {
                            flush_bodies(&mut store, &mut bodies, &failed);
                            flush_sites(&mut store, &mut sites);
                            apply(&mut store, other);
                        }
                    }
                }
                flush_bodies(&mut store, &mut bodies, &failed);
                flush_sites(&mut store, &mut sites);
            }
            if let Some(c) = checkpointer {
                c.stop(&mut store);
            }
            tracing::debug!(db = %store.path().display(), "store writer stopped");
            Ok(store)
        })
        .expect("cannot start the store writer thread");
    (StoreWriter { tx, body_failed }, handle)
}

/// Copies the write-ahead log into the database in the background (SQLite's PASSIVE
/// checkpoint, which never blocks the writer), so the writer thread spends its time writing.
struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Checkpointer {
    /// Starts checkpointing `store`'s file every two seconds (nothing for a database in memory).
    fn start(store: &mut Store) -> Option<Checkpointer> {
        let path = store.path().to_path_buf();
        if path.as_os_str() == ":memory:" {
            return None;
        }
        let conn = rusqlite::Connection::open(&path).ok()?;
        let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
        store.set_autocheckpoint(0).ok()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("govwatch-checkpoint".to_string())
            .spawn(move || {
                while !flag.load(Ordering::SeqCst) {
                    for _ in 0..20 {
                        if flag.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::debug!(error = %e, "background checkpoint");
                    }
                }
            })
            .ok()?;
        Some(Checkpointer { stop, thread })
    }

    fn stop(self, store: &mut Store) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
        let _ = store.set_autocheckpoint(crate::AUTOCHECKPOINT_PAGES);
    }
}

fn flush_bodies(store: &mut Store, bodies: &mut Vec<PackedBody>, failed: &AtomicBool) {
    if bodies.is_empty() {
        return;
    }
    if let Err(e) = store.put_bodies(bodies) {
        tracing::error!(error = %e, bodies = bodies.len(), "archiving page bodies failed");
        failed.store(true, Ordering::SeqCst);
    }
    bodies.clear();
}

/// A site result waiting to be written, with where its outcome goes.
type SiteOp = (
    i64,
    Box<PreparedSite>,
    oneshot::Sender<Result<(), StoreError>>,
);

/// Writes the sites waiting, in one transaction (each site under its own savepoint).
fn flush_sites(store: &mut Store, sites: &mut Vec<SiteOp>) {
    if sites.is_empty() {
        return;
    }
    let batch: Vec<SiteOp> = std::mem::take(sites);
    let refs: Vec<(i64, &PreparedSite)> = batch.iter().map(|(r, p, _)| (*r, &**p)).collect();
    let outcomes = store.write_prepared_many(&refs);
    for ((run_id, prepared, reply), r) in batch.into_iter().zip(outcomes) {
        if let Err(Err(e)) = reply.send(r) {
            tracing::error!(run_id, site = %prepared.result.site.id, error = %e,
                "writing a site result failed and nobody was waiting for the answer");
        }
    }
}

fn apply(store: &mut Store, op: WriteOp) {
    match op {
        WriteOp::Site {
            run_id,
            result,
            reply,
        } => {
            let r = store.write_prepared(run_id, &result);
            if let Err(Err(e)) = reply.send(r) {
                tracing::error!(run_id, site = %result.result.site.id, error = %e,
                    "writing a site result failed and nobody was waiting for the answer");
            }
        }
        WriteOp::Samples {
            run_id,
            site_id,
            samples,
            reply,
        } => {
            let r = store.insert_samples(run_id, &site_id, &samples);
            if let Err(Err(e)) = reply.send(r) {
                tracing::error!(site = %site_id, error = %e,
                    "writing samples failed and nobody was waiting for the answer");
            }
        }
        WriteOp::Account {
            run_id,
            result,
            reply,
        } => {
            let r = store.write_account_result(run_id, &result);
            if let Err(Err(e)) = reply.send(r) {
                tracing::error!(run_id, account = %result.account.key(), error = %e,
                    "writing an account result failed and nobody was waiting for the answer");
            }
        }
        WriteOp::GetBodies { hashes, reply } => {
            let _ = reply.send(store.packed_bodies(&hashes));
        }
        WriteOp::Body(_) => unreachable!("bodies are batched"),
    }
}

impl StoreWriter {
    /// Writes a site's result for the run (see [`Store::write_site_result`]) and waits until it
    /// is committed, so that on `Ok` the result is durable.
    pub async fn write_site(&self, run_id: i64, result: SiteResult) -> Result<(), StoreError> {
        let prepared = crate::prepare_site(result, false)?;
        self.write_prepared(run_id, prepared).await
    }

    /// Writes a result prepared by [`crate::prepare_site`] (its JSON written out on the
    /// caller's thread) and waits until it is committed.
    pub async fn write_prepared(
        &self,
        run_id: i64,
        prepared: PreparedSite,
    ) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(WriteOp::Site {
                run_id,
                result: Box::new(prepared),
                reply,
            })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Streams a packed page body to the store, from a CPU worker (blocking while the queue is
    /// full). Written with the next batch; [`Self::packed_bodies`] asked afterwards finds it.
    pub fn put_body(&self, body: PackedBody) -> Result<(), StoreError> {
        if self.body_failed.load(Ordering::SeqCst) {
            return Err(StoreError::corrupt(
                "an earlier page body could not be archived",
            ));
        }
        self.tx
            .blocking_send(WriteOp::Body(body))
            .map_err(|_| StoreError::WriterGone)
    }

    /// The packed bodies of these hashes that are stored (bodies put before are included).
    pub async fn packed_bodies(&self, hashes: Vec<String>) -> Result<PackedBodies, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(WriteOp::GetBodies { hashes, reply })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        let r = answer.await.map_err(|_| StoreError::WriterGone)?;
        if self.body_failed.load(Ordering::SeqCst) {
            return Err(StoreError::corrupt("a page body could not be archived"));
        }
        r
    }

    /// [`Self::packed_bodies`] from a thread that may block (a CPU worker).
    pub fn blocking_packed_bodies(&self, hashes: Vec<String>) -> Result<PackedBodies, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .blocking_send(WriteOp::GetBodies { hashes, reply })
            .map_err(|_| StoreError::WriterGone)?;
        answer.blocking_recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Writes a new-media account's result for the run (see [`Store::write_account_result`]) and
    /// waits until it is committed.
    pub async fn write_account(
        &self,
        run_id: i64,
        result: AccountResult,
    ) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(WriteOp::Account {
                run_id,
                result: Box::new(result),
                reply,
            })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Adds availability samples (see [`Store::insert_samples`]); returns the rows inserted.
    pub async fn insert_samples(
        &self,
        run_id: Option<i64>,
        site_id: String,
        samples: Vec<Sample>,
    ) -> Result<usize, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(WriteOp::Samples {
                run_id,
                site_id,
                samples,
                reply,
            })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}
