//! The web view's integration tests as one test binary: each file under `tests/it/` is a module
//! here, so cargo links the crate tree once instead of once per file (as the root's
//! `tests/tests.rs` does). Filter by module: `cargo test -p govwatch-web --test tests server::`.

#[path = "it/common.rs"]
mod common;

#[path = "it/server.rs"]
mod server;
#[path = "it/web.rs"]
mod web;
