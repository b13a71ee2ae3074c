//! When things happen: the nightly slot in the configured time zone, and the spacing of samples.
//! Pure functions of the time they are given, so they are tested without waiting.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The newest nightly slot at or before `now`: today's `at` in `tz` if it has passed, else
/// yesterday's.
pub fn last_slot(
    now: DateTime<FixedOffset>,
    at: NaiveTime,
    tz: FixedOffset,
) -> DateTime<FixedOffset> {
    let local = now.with_timezone(&tz);
    let today = slot_on(local.date_naive(), at, tz);
    if today <= now {
        today
    } else {
        slot_on(local.date_naive() - Days::new(1), at, tz)
    }
}

/// The first nightly slot strictly after `now`.
pub fn next_slot(
    now: DateTime<FixedOffset>,
    at: NaiveTime,
    tz: FixedOffset,
) -> DateTime<FixedOffset> {
    let last = last_slot(now, at, tz);
    slot_on(last.date_naive() + Days::new(1), at, tz)
}

/// The slot of a date.
pub fn slot_on(date: NaiveDate, at: NaiveTime, tz: FixedOffset) -> DateTime<FixedOffset> {
    tz.from_local_datetime(&date.and_time(at))
        .single()
        .expect("a fixed offset has no gaps or folds")
}

/// The date of the slot that is due at `now`, if any: the newest slot's date, unless a nightly
/// run was already started for it (or a later one).
pub fn due_slot(
    now: DateTime<FixedOffset>,
    last_started: Option<NaiveDate>,
    at: NaiveTime,
    tz: FixedOffset,
) -> Option<NaiveDate> {
    let slot = last_slot(now, at, tz).with_timezone(&tz).date_naive();
    match last_started {
        Some(d) if d >= slot => None,
        _ => Some(slot),
    }
}

/// Offsets of the first samples of `n` sites, spread evenly over one interval so that sites are
/// not probed together.
pub fn spread(n: usize, interval: Duration) -> Vec<Duration> {
    (0..n)
        .map(|i| interval.mul_f64(i as f64 / n.max(1) as f64))
        .collect()
}

/// `interval` moved by a random amount within ± `jitter`.
pub fn jittered(interval: Duration, jitter: Duration) -> Duration {
    let r = random_unit() * 2.0 - 1.0;
    let secs = interval.as_secs_f64() + jitter.as_secs_f64() * r;
    Duration::from_secs_f64(secs.max(0.0))
}

/// A random number in [0, 1) from the standard library's randomly keyed hasher.
fn random_unit() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn slots_in_shanghai() {
        let tz = govwatch_model::time::CHINA_TZ;
        let at = NaiveTime::from_hms_opt(2, 0, 0).unwrap();
        // 2026-11-28 01:00 in Shanghai is 2026-11-27T17:00Z: today's 02:00 has not come yet
        let now = t("2026-11-27T17:00:00Z");
        assert_eq!(last_slot(now, at, tz), t("2026-11-27T02:00:00+08:00"));
        assert_eq!(next_slot(now, at, tz), t("2026-11-28T02:00:00+08:00"));
        let now = t("2026-11-27T18:00:00Z"); // 02:00 exactly
        assert_eq!(last_slot(now, at, tz), t("2026-11-28T02:00:00+08:00"));
        assert_eq!(next_slot(now, at, tz), t("2026-11-29T02:00:00+08:00"));
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // never run: the newest slot is due (a missed run is run at start)
        assert_eq!(due_slot(now, None, at, tz), Some(d("2026-11-28")));
        assert_eq!(
            due_slot(now, Some(d("2026-11-27")), at, tz),
            Some(d("2026-11-28"))
        );
        assert_eq!(due_slot(now, Some(d("2026-11-28")), at, tz), None);
        // an hour before the slot, yesterday's run counts
        let before = t("2026-11-27T17:00:00Z");
        assert_eq!(due_slot(before, Some(d("2026-11-27")), at, tz), None);
    }

    #[test]
    fn samples_are_spread_and_jittered() {
        let h = Duration::from_secs(3600);
        assert_eq!(
            spread(4, h),
            [0, 900, 1800, 2700].map(Duration::from_secs).to_vec()
        );
        for _ in 0..100 {
            let j = jittered(h, Duration::from_secs(300));
            assert!(j >= Duration::from_secs(3300) && j <= Duration::from_secs(3900));
        }
    }
}
