//! The store's integration tests as one test binary: each file under `tests/it/` is a module here,
//! so cargo links the crate (and SQLite) once instead of once per file.
//!
//! Filter by module as before by file: `cargo test -p govwatch-store --test tests views::`.

#[path = "it/media.rs"]
mod media;
#[path = "it/store.rs"]
mod store;
#[path = "it/views.rs"]
mod views;
