//! The run's memory budget (`crawl.toml` `memory_budget_mb`): what the process holds resident,
//! read from the operating system, and whether a new site may be started.
//!
//! A site in flight keeps only its pages' facts and link tables (page texts go to the store as
//! they arrive), so memory grows with the sites in flight. Near the budget the run starts no new
//! site until sites in flight finish; it never stops one already started (its memory is only
//! given back when it finishes), and it always keeps at least one site going, so a budget set
//! too low makes a run slower, never stuck.

/// Share of the budget at which no new site is started.
pub const HOLD_AT: f64 = 0.9;

/// Resident memory of this process in MiB (Linux `/proc/self/status` `VmRSS`); `None` where the
/// system does not say (the budget is then not applied).
pub fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let kb: u64 = l
            .strip_prefix("VmRSS:")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024)
    })
}

/// Whether a new site may start with `resident` MiB in use under a budget of `budget` MiB, with
/// `in_flight` sites going.
pub fn may_start(resident: Option<u64>, budget: u64, in_flight: usize) -> bool {
    match resident {
        _ if in_flight == 0 => true,
        None => true,
        Some(r) => (r as f64) < budget as f64 * HOLD_AT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_new_sites_near_the_budget_but_never_the_last() {
        assert!(may_start(Some(100), 300, 500));
        assert!(may_start(Some(269), 300, 500));
        assert!(!may_start(Some(270), 300, 500));
        assert!(!may_start(Some(900), 300, 1));
        assert!(may_start(Some(900), 300, 0), "at least one site goes on");
        assert!(may_start(None, 300, 500), "no reading, no hold");
    }

    #[test]
    fn reads_this_process() {
        if std::path::Path::new("/proc/self/status").exists() {
            let mb = resident_mb().expect("VmRSS on Linux");
            assert!(mb > 0 && mb < 100_000, "{mb}");
        }
    }
}
