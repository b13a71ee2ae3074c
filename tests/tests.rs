//! The root integration tests as one test binary (like ripgrep's `tests/tests.rs`): each file under
//! `tests/it/` is a module here, so cargo links the whole tree once instead of once per file.
//! `tests/it/common` holds the helpers they share (fast crawl settings, expected findings, the
//! `govwatch` command in a scratch folder).
//!
//! Filter by module as before by file: `cargo test --test tests cli::` runs `tests/it/cli.rs`.

#[path = "it/common/mod.rs"]
mod common;

#[path = "it/cli.rs"]
mod cli;
#[path = "it/columns.rs"]
mod columns;
#[path = "it/daemon_cli.rs"]
mod daemon_cli;
#[path = "it/demo_cli.rs"]
mod demo_cli;
#[path = "it/e2e.rs"]
mod e2e;
#[path = "it/glossary.rs"]
mod glossary;
#[path = "it/help_init.rs"]
mod help_init;
#[path = "it/hostile.rs"]
mod hostile;
#[path = "it/hostile_cli.rs"]
mod hostile_cli;
#[path = "it/hostile_feeds.rs"]
mod hostile_feeds;
#[path = "it/house.rs"]
mod house;
#[path = "it/integrity.rs"]
mod integrity;
#[path = "it/interaction.rs"]
mod interaction;
#[path = "it/ipv6.rs"]
mod ipv6;
#[path = "it/marks.rs"]
mod marks;
#[path = "it/media.rs"]
mod media;
#[path = "it/offline.rs"]
mod offline;
#[path = "it/probe_cli.rs"]
mod probe_cli;
#[path = "it/realpages.rs"]
mod realpages;
#[path = "it/render.rs"]
mod render;
#[path = "it/scale.rs"]
mod scale;
#[path = "it/score.rs"]
mod score;
#[path = "it/search.rs"]
mod search;
#[path = "it/serve.rs"]
mod serve;
#[path = "it/shard.rs"]
mod shard;
