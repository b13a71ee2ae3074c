//! Support for the `govwatch-bench` binary: the site farm generator ([`farm`]) and the process
//! measurements ([`Usage`]). The benchmark itself is the binary (`cargo run --release -p
//! govwatch-bench`); nothing here runs it.

pub mod farm;

use std::time::Duration;

/// Resource usage of this process so far (`getrusage(RUSAGE_SELF)`): every thread, the fixture
/// server and DNS server included.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub user: Duration,
    pub sys: Duration,
    /// Peak resident set size in KiB (Linux `ru_maxrss`).
    pub max_rss_kib: u64,
}

impl Usage {
    /// The current figures; zeros if the call fails.
    pub fn now() -> Usage {
        // SAFETY: `rusage` is a plain C struct of integers, for which all-zero bytes are valid.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `ru` is a valid, writable `rusage` that outlives the call.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        if rc != 0 {
            return Usage::default();
        }
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec.max(0) as u64)
                + Duration::from_micros(t.tv_usec.max(0) as u64)
        };
        Usage {
            user: tv(ru.ru_utime),
            sys: tv(ru.ru_stime),
            max_rss_kib: ru.ru_maxrss.max(0) as u64,
        }
    }

    /// User plus system time.
    pub fn cpu(&self) -> Duration {
        self.user + self.sys
    }

    /// CPU time spent since `earlier`.
    pub fn cpu_since(&self, earlier: &Usage) -> Duration {
        self.cpu().saturating_sub(earlier.cpu())
    }

    /// Peak RSS in MB (MiB, like `/usr/bin/time -v` KiB / 1024).
    pub fn max_rss_mb(&self) -> f64 {
        self.max_rss_kib as f64 / 1024.0
    }
}

/// `21800` → `21,800` (the peers' table style).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(21800), "21,800");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn usage_reads_something() {
        let u = Usage::now();
        assert!(u.max_rss_kib > 0);
    }
}
