//! The single writer: a dedicated thread owns the [`Store`] and applies writes sent over a
//! channel, so SQLite never blocks the async runtime and writes never contend with each other.

use crate::{Store, StoreError};
use govwatch_model::{AccountResult, Sample, SiteResult};
use tokio::sync::{mpsc, oneshot};

/// Writes waiting for the writer thread before senders wait (back-pressure on the crawl).
const QUEUE: usize = 32;

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
    let handle = std::thread::Builder::new()
        .name("govwatch-store".to_string())
        .spawn(move || {
            let mut store = store;
            while let Some(op) = rx.blocking_recv() {
                match op {
                    WriteOp::Site { run_id, result, reply } => {
                        let r = store.write_site_result(run_id, &result);
                        if let Err(Err(e)) = reply.send(r) {
                            tracing::error!(run_id, site = %result.site.id, error = %e,
                                "writing a site result failed and nobody was waiting for the answer");
                        }
                    }
                    WriteOp::Account { run_id, result, reply } => {
                        let r = store.write_account_result(run_id, &result);
                        if let Err(Err(e)) = reply.send(r) {
                            tracing::error!(run_id, account = %result.account.key(), error = %e,
                                "writing an account result failed and nobody was waiting for the answer");
                        }
                    }
                    WriteOp::Samples { run_id, site_id, samples, reply } => {
                        let r = store.insert_samples(run_id, &site_id, &samples);
                        if let Err(Err(e)) = reply.send(r) {
                            tracing::error!(site = %site_id, error = %e,
                                "writing samples failed and nobody was waiting for the answer");
                        }
                    }
                }
            }
            tracing::debug!(db = %store.path().display(), "store writer stopped");
            Ok(store)
        })
        .expect("cannot start the store writer thread");
    (StoreWriter { tx }, handle)
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
