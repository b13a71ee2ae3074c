//! The runner crate's integration tests as one test binary (as the root's `tests/tests.rs`):
//! each file under `tests/it/` is a module here.
//!
//! Filter by module: `cargo test -p govwatch-runner --test tests probe_panic::`.

#[path = "it/probe_panic.rs"]
mod probe_panic;
