//! The daemon crate's integration tests as one test binary (as the root's `tests/tests.rs`):
//! each file under `tests/it/` is a module here.
//!
//! Filter by module: `cargo test -p govwatch-daemon --test tests daemon::`.

#[path = "it/daemon.rs"]
mod daemon;
