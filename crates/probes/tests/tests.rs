//! The probe crate's integration tests as one test binary (as the root's `tests/tests.rs`): each
//! file under `tests/it/` is a module here, so cargo links the crate and its dependencies once
//! instead of once per file. `tests/it/common.rs` holds the page and crawl builders they share.
//!
//! Filter by module as before by file: `cargo test -p govwatch-probes --test tests marks::` runs
//! `tests/it/marks.rs`.

#[path = "it/common.rs"]
mod common;

#[path = "it/codes.rs"]
mod codes;
#[path = "it/lists.rs"]
mod lists;
#[path = "it/marks.rs"]
mod marks;
#[path = "it/realpages_dates.rs"]
mod realpages_dates;
#[path = "it/realpages_integrity.rs"]
mod realpages_integrity;
#[path = "it/realpages_interaction.rs"]
mod realpages_interaction;
#[path = "it/realpages_search.rs"]
mod realpages_search;
#[path = "it/start_column.rs"]
mod start_column;
#[path = "it/wording_pages.rs"]
mod wording_pages;
