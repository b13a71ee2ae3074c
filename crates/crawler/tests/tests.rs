//! The crawler's integration tests as one test binary (as the root's `tests/tests.rs`): each file
//! under `tests/it/` is a module here, so cargo links the crate's dependencies once. `it/common`
//! gives each test its turn (the hostile tests measure the process, so they run alone).
//!
//! Filter by module as before by file: `cargo test -p govwatch-crawler --test tests hostile::`.

#[path = "it/common.rs"]
mod common;

#[path = "it/address.rs"]
mod address;
#[path = "it/fetch.rs"]
mod fetch;
#[path = "it/hostile.rs"]
mod hostile;
#[path = "it/realpages.rs"]
mod realpages;
