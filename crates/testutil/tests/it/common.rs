//! What the fixture servers' test modules share: a resolver asking one DNS server, and a file
//! written into a site tree.

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// A resolver asking only the DNS server at `addr` (over TCP or UDP), without cache or hosts file.
pub fn resolver(addr: SocketAddr, tcp: bool) -> TokioResolver {
    let mut conn = if tcp {
        ConnectionConfig::tcp()
    } else {
        ConnectionConfig::udp()
    };
    conn.port = addr.port();
    // NameServerConfig/ConnectionConfig are #[non_exhaustive]: built via constructors.
    let cfg = ResolverConfig::from_parts(
        None,
        vec![],
        vec![NameServerConfig::new(addr.ip(), true, vec![conn])],
    );
    let mut builder = TokioResolver::builder_with_config(cfg, TokioRuntimeProvider::default());
    let opts = builder.options_mut();
    opts.timeout = Duration::from_secs(5);
    opts.attempts = 2;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    opts.cache_size = 0;
    builder.build().unwrap()
}

/// Writes `data` at `rel` under `root`, creating its folders.
pub fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}
