//! The single writer: a dedicated thread owns the [`Store`] and applies writes sent over a
//! channel, so SQLite never blocks the async runtime and writes never contend with each other.
//!
//! Page bodies are streamed through it while sites are crawled ([`StoreWriter::put_body`], from
//! CPU workers; consecutive bodies are written in one transaction) and read back through it when
//! a site's probes run ([`StoreWriter::packed_bodies`]): the thread's own connection sees its own
//! writes, so a body put before is always found.

use crate::{PackedBody, Store, StoreError};
use govwatch_model::{Sample, SiteResult};
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
        result: Box<SiteResult>,
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
                for op in ops.drain(..) {
                    if let WriteOp::Body(b) = op {
                        bodies.push(b);
                        continue;
                    }
                    // bodies first, in one transaction: whatever comes next may need them
                    flush_bodies(&mut store, &mut bodies, &failed);
                    apply(&mut store, op);
                }
                flush_bodies(&mut store, &mut bodies, &failed);
            }
            tracing::debug!(db = %store.path().display(), "store writer stopped");
            Ok(store)
        })
        .expect("cannot start the store writer thread");
    (StoreWriter { tx, body_failed }, handle)
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

fn apply(store: &mut Store, op: WriteOp) {
    match op {
        WriteOp::Site {
            run_id,
            result,
            reply,
        } => {
            let r = store.write_site_result(run_id, &result);
            if let Err(Err(e)) = reply.send(r) {
                tracing::error!(run_id, site = %result.site.id, error = %e,
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
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(WriteOp::Site {
                run_id,
                result: Box::new(result),
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
