//! Address guard: which IP addresses the crawler refuses to connect to.
//!
//! An inspection crawler follows links and redirects chosen by the sites it inspects; without a
//! guard a page (or a DNS answer) could steer it to the inspection office's own network. Private,
//! loopback, link-local, shared, unspecified and other non-global addresses are refused unless the
//! configuration sets `allow_private = true` (tests and the demo do).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The guard as configured: `allow_private` lifts it, `allowed` lists single exceptions.
#[derive(Debug, Clone, Default)]
pub struct AddressGuard {
    pub allow_private: bool,
    pub allowed: HashSet<IpAddr>,
}

impl AddressGuard {
    /// True when the crawler must not contact `ip`.
    pub fn refuses(&self, ip: IpAddr) -> bool {
        !self.allow_private && is_forbidden(ip) && !self.allowed.contains(&ip)
    }
}

/// True when `ip` must not be contacted unless private addresses are allowed.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => v4_forbidden(a),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return v4_forbidden(v4);
            }
            // 2002::/16 (6to4, RFC 3056) carries an IPv4 address in bits 16..48: the relay
            // delivers to it, so it is judged by that address.
            let s = a.segments();
            if s[0] == 0x2002 {
                let v4 =
                    Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
                return v4_forbidden(v4);
            }
            v6_forbidden(a)
        }
    }
}

fn v4_forbidden(a: Ipv4Addr) -> bool {
    let o = a.octets();
    a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || o[0] == 0
        // 100.64.0.0/10 shared address space (carrier-grade NAT)
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        // 192.0.0.0/24 IETF protocol assignments
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        // 198.18.0.0/15 benchmarking
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        // 240.0.0.0/4 reserved
        || o[0] >= 240
}

fn v6_forbidden(a: Ipv6Addr) -> bool {
    let s = a.segments();
    a.is_loopback()
        || a.is_unspecified()
        || a.is_multicast()
        // fc00::/7 unique local
        || (s[0] & 0xfe00) == 0xfc00
        // fe80::/10 link-local
        || (s[0] & 0xffc0) == 0xfe80
        // fec0::/10 site-local (deprecated)
        || (s[0] & 0xffc0) == 0xfec0
        // ::/96 IPv4-compatible and 64:ff9b::/96 NAT64 hide v4 targets
        || (s[0..6] == [0, 0, 0, 0, 0, 0])
        || (s[0] == 0x64 && s[1] == 0xff9b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> bool {
        is_forbidden(s.parse().unwrap())
    }

    #[test]
    fn refuses_non_global_addresses() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            // 6to4 of 127.0.0.1, 10.0.0.1, 192.168.1.1 and 169.254.169.254
            "2002:7f00:1::",
            "2002:a00:1::1",
            "2002:c0a8:101::",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(f(s), "{s} should be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for s in [
            "202.108.22.5",
            "8.8.8.8",
            "2400:da00::6666",
            "::ffff:202.108.22.5",
            // 6to4 of a public address
            "2002:ca6c:1605::1",
        ] {
            assert!(!f(s), "{s} should be allowed");
        }
    }
}
