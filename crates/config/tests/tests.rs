//! The config crate's integration tests as one test binary: each file under `tests/it/` is a module
//! here, so cargo links the crate once instead of once per file. `tests/it/common.rs` holds the
//! scratch directory and the path of the shipped `config/` they share.
//!
//! Filter by module as before by file: `cargo test -p govwatch-config --test tests sites::`.

#[path = "it/common.rs"]
mod common;

#[path = "it/accounts.rs"]
mod accounts;
#[path = "it/import.rs"]
mod import;
#[path = "it/no_test_domains.rs"]
mod no_test_domains;
#[path = "it/sites.rs"]
mod sites;
