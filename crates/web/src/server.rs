//! The listener of `govwatch serve`: HTTP/1.1 connections served by hyper under limits that a
//! visitor cannot wear out — anyone who can connect, before any token is checked.
//!
//! - [`Limits`]: how long a request's head may take to arrive (also how long an idle kept-alive
//!   connection stays open), how long an answer may wait for a client that stopped reading, how
//!   long a page may take, how many connections are served at once and how many page tasks
//!   (database reads, report files) run at once.
//! - [`serve_on`]: the accept loop. Past the connection limit a new connection is answered `503`
//!   at once and closed (as many refusals at a time as connections, each a fifth of a second at
//!   most; beyond that the loop waits and connections queue in the backlog, never dropped
//!   unanswered), so the listener keeps draining its backlog and never runs out of file
//!   descriptors; the limit is lowered to what the process's descriptor limit (`ulimit -n`)
//!   leaves after the database and report files ([`connection_limit`]). An `accept` error (the
//!   descriptor table full after all) is logged once a minute and retried after a pause, never
//!   a loop that stops answering.
//! - `WriteStall`: a connection whose client reads nothing for [`Limits::write_stall`] while an
//!   answer waits is closed.
//!
//! Written over hyper rather than `axum::serve`, which sets no timer (so no header-read or idle
//! timeout) and has no connection limit.

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// The limits of the listener (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Longest wait for a request's head (line and headers), from the moment the connection is
    /// ready for one: a slow sender is cut off, and an idle kept-alive connection is closed.
    pub header_read: Duration,
    /// Longest an answer waits for a client that reads nothing.
    pub write_stall: Duration,
    /// Longest a request may take in the application (its body read, its page made); past it
    /// the answer is `503`.
    pub request: Duration,
    /// Connections served at once (lowered to what the descriptor limit allows).
    pub max_connections: usize,
    /// Page tasks (database reads, report files) at once; more requests wait for a turn.
    pub page_tasks: usize,
    /// On shutdown, how long answers in progress may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            write_stall: Duration::from_secs(30),
            request: Duration::from_secs(120),
            max_connections: 256,
            page_tasks: 4,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Descriptors kept for other than connections: the listener, standard streams, logs, and per
/// page task the database (file, write-ahead log, shared memory) and a report's temporary files.
fn reserved_descriptors(page_tasks: usize) -> u64 {
    32 + 12 * page_tasks as u64
}

/// The process's soft limit of open files, when it can be read.
fn open_files_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// The connections served at once: `limits.max_connections`, lowered so that connections and
/// page tasks together stay under `descriptors` (the soft `ulimit -n`), at least 1.
pub fn connection_limit(limits: &Limits, descriptors: Option<u64>) -> usize {
    let Some(n) = descriptors else {
        return limits.max_connections.max(1);
    };
    // one descriptor per connection, and as many again for connections being refused
    let room = n.saturating_sub(reserved_descriptors(limits.page_tasks)) / 2;
    limits.max_connections.min(room as usize).max(1)
}

/// Longest a refused connection is kept (its answer written, its request read and dropped).
const REFUSAL_TIME: Duration = Duration::from_millis(200);

/// The answer of a connection past the limit.
const BUSY: &[u8] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
Retry-After: 10\r\nConnection: close\r\nContent-Length: 66\r\n\r\n\
服务器连接数已满，请稍后再试 (too many connections)\n"
        .as_bytes();

/// Serves `app` on `listener` until `shutdown` resolves, under `limits`.
pub async fn serve_on(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let max = connection_limit(&limits, open_files_limit());
    let slots = Arc::new(Semaphore::new(max));
    // answers of "busy" being written, each holding a descriptor for REFUSAL_TIME at most
    let refusals = Arc::new(Semaphore::new(max));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    let accept_errors = AtomicU64::new(0);
    tracing::info!(max_connections = max, "serving");
    tokio::pin!(shutdown);
    loop {
        while conns.try_join_next().is_some() {}
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                accept_failed(&e, &accept_errors);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let app = app.clone();
                let limits = limits.clone();
                let stop = stop_rx.clone();
                conns.spawn(async move {
                    connection(stream, peer, app, &limits, stop).await;
                    drop(slot);
                });
            }
            Err(_) => {
                // a turn to refuse: while every turn is taken the loop waits here (a fraction
                // of a second), and new connections wait in the kernel's backlog, answered in
                // their turn — none is dropped unanswered
                let Ok(turn) = refusals.clone().acquire_owned().await else {
                    break;
                };
                tracing::debug!(%peer, "connection refused: at the connection limit");
                tokio::spawn(async move {
                    let mut stream = stream;
                    // the answer, then what the client already sent is read and dropped
                    // (closing with unread data would reset the connection and lose the
                    // answer), for a fifth of a second at most
                    let _ = tokio::time::timeout(REFUSAL_TIME, async {
                        stream.write_all(BUSY).await?;
                        stream.shutdown().await?;
                        let mut sink = [0u8; 1024];
                        while stream.read(&mut sink).await? > 0 {}
                        Ok::<(), io::Error>(())
                    })
                    .await;
                    drop(turn);
                });
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(limits.shutdown_grace, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.shutdown().await;
    Ok(())
}

/// Logs a failed `accept` (at most once a minute for a run of them).
fn accept_failed(e: &io::Error, count: &AtomicU64) {
    let n = count.fetch_add(1, Ordering::Relaxed);
    if n.is_multiple_of(600) {
        tracing::warn!(error = %e, failures = n + 1, "accept failed; retrying");
    }
}

/// Serves one connection until it ends, is cut off by a limit, or the server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(WriteStall::new(stream, limits.write_stall));
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        async move { app.oneshot(req.map(Body::new)).await }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_buf_size(64 * 1024)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let stopped = async move {
        loop {
            if *stop.borrow_and_update() {
                return;
            }
            if stop.changed().await.is_err() {
                // the server is gone without a stop: serve on until the connection ends
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        }
        _ = stopped => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// A stream whose writes fail once the client has read nothing for `limit`.
struct WriteStall<S> {
    inner: S,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteStall<S> {
    fn new(inner: S, limit: Duration) -> WriteStall<S> {
        WriteStall {
            inner,
            limit,
            stalled: None,
        }
    }

    /// A write that could not proceed: pending until the limit, then an error.
    fn waiting<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.limit;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing of the answer in time",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn outcome<T>(&mut self, cx: &mut Context<'_>, p: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match p {
            Poll::Pending => self.waiting(cx),
            done => {
                self.stalled = None;
                done
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteStall<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteStall<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let p = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.outcome(cx, p)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let p = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.outcome(cx, p)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let p = Pin::new(&mut this.inner).poll_flush(cx);
        this.outcome(cx, p)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let p = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.outcome(cx, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_leaves_room_under_the_descriptor_limit() {
        let l = Limits::default();
        assert_eq!(connection_limit(&l, None), 256);
        assert_eq!(connection_limit(&l, Some(1_048_576)), 256);
        // ulimit -n 256: room for the database and report files of 4 page tasks (80), the
        // rest shared between connections served and connections being refused
        assert_eq!(connection_limit(&l, Some(256)), 88);
        assert_eq!(connection_limit(&l, Some(1024)), 256);
        assert_eq!(connection_limit(&l, Some(10)), 1);
    }

    #[tokio::test]
    async fn a_client_that_reads_nothing_is_cut_off() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let mut w = WriteStall::new(ours, Duration::from_millis(300));
        // what fits is written; then the writer waits for the reader, up to the limit
        w.write_all(&[b'x'; 1024]).await.unwrap();
        let started = std::time::Instant::now();
        let e = w.write_all(&[b'y'; 4096]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(300));
        // a reader that keeps reading is never cut off, however long the answer
        let (ours, mut theirs2) = tokio::io::duplex(1024);
        let mut w = WriteStall::new(ours, Duration::from_millis(300));
        let reader = tokio::spawn(async move {
            let mut n = 0;
            let mut buf = [0u8; 512];
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                match tokio::io::AsyncReadExt::read(&mut theirs2, &mut buf).await {
                    Ok(0) | Err(_) => return n,
                    Ok(k) => n += k,
                }
            }
        });
        w.write_all(&[b'z'; 40 * 1024]).await.unwrap();
        w.shutdown().await.unwrap();
        drop(w);
        assert_eq!(reader.await.unwrap(), 40 * 1024);
        let _ = tokio::io::AsyncReadExt::read(&mut theirs, &mut [0u8; 1]).await;
    }

    #[test]
    fn the_busy_answer_is_well_formed() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
    }
}
