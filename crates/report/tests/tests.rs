//! The report crate's integration tests as one test binary: each file under `tests/it/` is a
//! module here, so cargo links the crate tree once instead of once per file (as the root's
//! `tests/tests.rs` does). Filter by module: `cargo test -p govwatch-report --test tests wording::`.

#[path = "it/report.rs"]
mod report;
#[path = "it/wording.rs"]
mod wording;
