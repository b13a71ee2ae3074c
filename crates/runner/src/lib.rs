//! The nightly job: crawl every registered site, run every probe, store the results.
//!
//! - [`night`]: [`run`] over many sites in parallel (politeness is the crawler's business), each
//!   site's result committed in one transaction through the store's writer thread, so a run
//!   stopped at any point (Ctrl-C, SIGTERM, kill -9) leaves whole sites or nothing, and `resume`
//!   finishes the rest.
//! - [`site`]: one site's inspection and probe phase; [`inspect_site`] does one site start to
//!   finish with no storage (`govwatch probe` uses it directly).
//! - `sink`: the page sink of a site in flight (the probes' scans, the link table, the page texts
//!   streamed to the store).
//! - [`settings`]: the settings a run records (the crawl settings, the rules digest, the shard),
//!   the same for `govwatch run`, the daemon and the shards a merge compares.
//! - [`media`]: after the sites, the feeds of the registered new-media accounts (政务新媒体),
//!   each account committed in one transaction like a site.
//! - [`plan`], [`network`], [`memory`]: the run's plan and bounds, its own network's health, its
//!   memory budget; `rendering`: pages read again in the browser; [`demo`]: the demo night.

pub mod demo;
mod lock;
pub mod media;
pub mod memory;
pub mod network;
pub mod night;
pub mod plan;
mod rendering;
pub mod settings;
mod sink;
pub mod site;

pub use govwatch_config::ProbeRules;
pub use govwatch_probes::Previous;
pub use night::{Progress, RunError, RunOptions, RunReport, run, run_with_probes};
pub use sink::HomeBoard;
pub use site::{InspectError, availability_verdict, inspect_site};
