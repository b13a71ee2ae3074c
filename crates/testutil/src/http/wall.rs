//! An anti-bot wall in front of a fixture host (`[wall]` in its `_server.toml`), answering as
//! such walls do in principle: a request without the clearance cookie gets a small challenge
//! page whose script computes the cookie, sets it and reloads; a request carrying it gets the
//! site. The cookie's value is computed by a loop in the script, so a reader of the raw HTML
//! cannot send it without running the script.
//!
//! - `kind = "ruishu"`: HTTP 412, a `$_ts` object and a `<script r="m">` that sets `gwS80T`
//!   (the shape of 瑞数's challenge: cookies whose names end in S and T).
//! - `kind = "jiasule"`: HTTP 521, a `Set-Cookie: __jsluid_h=…` and a script that sets
//!   `__jsl_clearance_s` and reloads (the shape of 加速乐's); both cookies are needed.

use super::Response;
use serde::Deserialize;

/// `[wall]` of a `_server.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallSpec {
    /// `ruishu` or `jiasule`.
    pub kind: String,
    /// The number the challenge script starts from (default 31337).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_seed() -> u64 {
    31337
}

/// The clearance value of a seed: what the challenge script computes.
pub fn clearance(seed: u64) -> u64 {
    let mut v: u64 = 0;
    for i in 1..=20u64 {
        v = (v * 31 + seed + i) % 1_000_003;
    }
    v
}

/// The loop the challenge script runs (the same as [`clearance`]).
fn js_clearance(seed: u64) -> String {
    format!("var n={seed},v=0;for(var i=1;i<=20;i++){{v=(v*31+n+i)%1000003;}}")
}

const JSLUID: &str = "8f2e1c6a0b9d4e73";

fn cookie_value<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    cookies.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The challenge for a request with these cookies, or `None` when it carries the clearance.
pub(super) fn challenge(w: &WallSpec, cookies: Option<&str>) -> Option<Response> {
    let cookies = cookies.unwrap_or("");
    let want = clearance(w.seed).to_string();
    match w.kind.as_str() {
        "jiasule" => {
            let ok = cookie_value(cookies, "__jsl_clearance_s") == Some(want.as_str())
                && cookie_value(cookies, "__jsluid_h") == Some(JSLUID);
            if ok {
                return None;
            }
            let body = format!(
                "<script>{}document.cookie=('__jsl_clearance_s=')+v+(';max-age=3600;path=/');location.href=location.pathname+location.search</script>",
                js_clearance(w.seed)
            );
            Some(
                Response::new(521, Some("text/html"), body.into_bytes()).header(
                    "Set-Cookie",
                    format!("__jsluid_h={JSLUID}; max-age=31536000; path=/; HttpOnly"),
                ),
            )
        }
        _ => {
            if cookie_value(cookies, "gwS80T") == Some(want.as_str()) {
                return None;
            }
            let body = format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
                 <script type=\"text/javascript\">$_ts=window['$_ts'];if(!$_ts)$_ts=window['$_ts']={{}};$_ts.nsd={};$_ts.cd=\"qqkAcqAlqGAl\";</script>\
                 <script type=\"text/javascript\" r=\"m\">(function(){{{}document.cookie='gwS80T='+v+'; path=/';location.reload();}})();</script>\
                 </head><body></body></html>",
                w.seed,
                js_clearance(w.seed)
            );
            Some(Response::new(412, Some("text/html"), body.into_bytes()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_opens_the_wall() {
        let w = WallSpec {
            kind: "ruishu".into(),
            seed: 31337,
        };
        assert!(challenge(&w, None).is_some());
        let ok = format!("a=1; gwS80T={}", clearance(31337));
        assert!(challenge(&w, Some(&ok)).is_none());
        let j = WallSpec {
            kind: "jiasule".into(),
            seed: 7,
        };
        let half = format!("__jsl_clearance_s={}", clearance(7));
        assert!(
            challenge(&j, Some(&half)).is_some(),
            "the Set-Cookie one is needed too"
        );
        let both = format!("{half}; __jsluid_h={JSLUID}");
        assert!(challenge(&j, Some(&both)).is_none());
    }
}
