//! Cookies a host's anti-bot wall gave the browser when it passed the wall's challenge, kept per
//! host so the crawler's own requests to that host carry them while they last.
//!
//! Only cookies earned this way are kept: the crawler sends no cookie to a host whose wall it
//! never passed, and a `Set-Cookie` is only taken from a host that already has cookies here (a
//! wall that renews its clearance on each answer). A cookie with an expiry is dropped when it
//! expires; a session cookie lives as long as the crawler (one run, or the daemon's process).

use crate::locked;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// One cookie of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    /// When it expires; `None`: a session cookie.
    pub expires: Option<SystemTime>,
}

/// The cookies earned, by lower-case host name.
#[derive(Default)]
pub struct CookieJar {
    hosts: Mutex<HashMap<String, Vec<Cookie>>>,
}

impl CookieJar {
    /// Keeps `cookies` for `host` (replacing cookies of the same name).
    pub fn store(&self, host: &str, cookies: Vec<Cookie>) {
        let mut map = locked(&self.hosts);
        let list = map.entry(host.to_ascii_lowercase()).or_default();
        for c in cookies {
            list.retain(|x| x.name != c.name);
            list.push(c);
        }
    }

    /// The `Cookie` header for a request to `host` now, when it has live cookies.
    pub fn header(&self, host: &str) -> Option<String> {
        let now = SystemTime::now();
        let mut map = locked(&self.hosts);
        let list = map.get_mut(&host.to_ascii_lowercase())?;
        list.retain(|c| c.expires.is_none_or(|t| t > now));
        (!list.is_empty()).then(|| {
            list.iter()
                .map(|c| format!("{}={}", c.name, c.value))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Whether `host` has cookies here (live or not).
    pub fn knows(&self, host: &str) -> bool {
        let map = locked(&self.hosts);
        map.contains_key(&host.to_ascii_lowercase())
    }

    /// Takes the `Set-Cookie` lines of an answer from `host`, when the host already has cookies
    /// here.
    pub fn update(&self, host: &str, set_cookie: &[String]) {
        if set_cookie.is_empty() || !self.knows(host) {
            return;
        }
        let cookies = set_cookie
            .iter()
            .filter_map(|l| parse_set_cookie(l))
            .collect();
        self.store(host, cookies);
    }
}

/// A `Set-Cookie` line: its name, value and expiry (`Max-Age` wins over `Expires`, as RFC 6265
/// §5.3 says; an `Expires` date that does not parse makes a session cookie).
pub fn parse_set_cookie(line: &str) -> Option<Cookie> {
    let mut parts = line.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut expires = None;
    let mut max_age = None;
    for attr in parts {
        let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "max-age" => max_age = v.trim().parse::<i64>().ok(),
            "expires" => {
                expires = chrono::DateTime::parse_from_rfc2822(v.trim())
                    .ok()
                    .map(|t| {
                        SystemTime::UNIX_EPOCH + Duration::from_secs(t.timestamp().max(0) as u64)
                    })
            }
            _ => {}
        }
    }
    if let Some(secs) = max_age {
        expires = Some(SystemTime::now() + Duration::from_secs(secs.max(0) as u64));
    }
    Some(Cookie {
        name: name.to_string(),
        value: value.trim().to_string(),
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earned_cookies_are_sent_while_they_last() {
        let jar = CookieJar::default();
        assert_eq!(jar.header("www.a.gov.test"), None);
        jar.store(
            "WWW.A.gov.test",
            vec![
                Cookie {
                    name: "gwS80T".into(),
                    value: "42".into(),
                    expires: None,
                },
                Cookie {
                    name: "old".into(),
                    value: "x".into(),
                    expires: Some(SystemTime::now() - Duration::from_secs(1)),
                },
            ],
        );
        assert_eq!(jar.header("www.a.gov.test").as_deref(), Some("gwS80T=42"));
        // a host that never passed a wall takes no Set-Cookie
        jar.update("www.b.gov.test", &["k=v".into()]);
        assert_eq!(jar.header("www.b.gov.test"), None);
        // a renewal from the wall's host replaces the cookie of that name
        jar.update("www.a.gov.test", &["gwS80T=43; Path=/; Max-Age=600".into()]);
        assert_eq!(jar.header("www.a.gov.test").as_deref(), Some("gwS80T=43"));
        jar.update("www.a.gov.test", &["gwS80T=44; Max-Age=0".into()]);
        assert_eq!(jar.header("www.a.gov.test"), None, "expired at once");
    }

    #[test]
    fn set_cookie_lines() {
        let c = parse_set_cookie("__jsluid_h=abc; expires=Wed, 21 Oct 2015 07:28:00 GMT; path=/")
            .unwrap();
        assert_eq!((c.name.as_str(), c.value.as_str()), ("__jsluid_h", "abc"));
        assert!(c.expires.unwrap() < SystemTime::now());
        assert_eq!(parse_set_cookie("novalue"), None);
    }
}
