//! A lock of the runner's shared state, recovered when a panicking holder poisoned it: what a
//! probe that panicked left behind is still the site's state, and the night goes on.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, recovering it when poisoned.
pub(crate) fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
