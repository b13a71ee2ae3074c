//! What the crawler's test modules share: the process's turn. The hostile tests measure the whole
//! process (its heap peak, its CPU time), so each runs alone; every other test holds a shared
//! turn, and runs beside the others as before.

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static TURN: RwLock<()> = RwLock::const_new(());

/// The whole process to this test (no other test of the binary runs until it is dropped).
pub async fn alone() -> RwLockWriteGuard<'static, ()> {
    TURN.write().await
}

/// A turn beside the other tests, never beside one that runs [`alone`].
pub async fn shared() -> RwLockReadGuard<'static, ()> {
    TURN.read().await
}

/// [`shared`], for a test without a runtime.
pub fn shared_blocking() -> RwLockReadGuard<'static, ()> {
    TURN.blocking_read()
}
