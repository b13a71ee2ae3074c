//! The fixture servers' integration tests as one test binary (as the root's `tests/tests.rs`):
//! each file under `tests/it/` is a module here, so cargo links the crate's dependencies once.
//! `it/common` holds the helpers they share (a resolver asking one DNS server, a file written into
//! a site tree).
//!
//! Filter by module as before by file: `cargo test -p govwatch-testutil --test tests ipv6::`.

#[path = "it/common.rs"]
mod common;

#[path = "it/dns_server.rs"]
mod dns_server;
#[path = "it/http_server.rs"]
mod http_server;
#[path = "it/ipv6.rs"]
mod ipv6;
#[path = "it/site_search.rs"]
mod site_search;
