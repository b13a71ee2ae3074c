//! What a test needs from the machine, and what happens when it is missing.
//!
//! Tests that read the real pages of `../shared/realpages` or that need an IPv6 loopback say
//! `SKIPPED` (straight to stderr, with the reason) on a developer's machine without them. CI
//! (`.ci/run`) sets `GOVWATCH_REQUIRE_SHARED` and, on a machine with `::1`,
//! `GOVWATCH_REQUIRE_IPV6`: there a missing folder, page or listener fails the test with its name,
//! so a wrong layout or a renamed page never turns a test into a passing no-op.
//!
//! `GOVWATCH_SHARED` names another `shared` folder than the one beside the workspace.

use std::path::PathBuf;

/// Set by CI: every real page a test reads must be there.
pub const REQUIRE_SHARED: &str = "GOVWATCH_REQUIRE_SHARED";
/// Set by CI on a machine with an IPv6 loopback: every test needing `[::1]` must get it.
pub const REQUIRE_IPV6: &str = "GOVWATCH_REQUIRE_IPV6";

/// Whether the switch `var` is on (set, and neither empty nor `0`).
pub fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Writes a skip notice straight to stderr (libtest captures `eprintln!`, and a skip must show).
pub fn say_skipped(test: &str, reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// The `shared` folder: `$GOVWATCH_SHARED`, or `../shared` beside the workspace.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("GOVWATCH_SHARED") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => crate::workspace_root().join("../shared"),
    }
}

/// The real pages folder, `shared/realpages`.
pub fn realpages_dir() -> PathBuf {
    shared_dir().join("realpages")
}

/// The bytes of the real page `name`, for `test`. When the page cannot be read: a panic naming
/// it under `GOVWATCH_REQUIRE_SHARED`, else `SKIPPED` with the reason and `None`.
pub fn realpage(test: &str, name: &str) -> Option<Vec<u8>> {
    let path = realpages_dir().join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            missing_shared(test, &format!("real page {} ({e})", path.display()));
            None
        }
    }
}

/// [`realpage`] as text (UTF-8, invalid bytes replaced).
pub fn realpage_text(test: &str, name: &str) -> Option<String> {
    realpage(test, name).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The real pages folder, for `test` that reads all of it: a panic naming it under
/// `GOVWATCH_REQUIRE_SHARED` when it is not a folder, else `SKIPPED` and `None`.
pub fn realpages_folder(test: &str) -> Option<PathBuf> {
    let dir = realpages_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        missing_shared(test, &format!("the folder {} is missing", dir.display()));
        None
    }
}

/// Something under `shared` is missing: fails under `GOVWATCH_REQUIRE_SHARED`, else says SKIPPED.
pub fn missing_shared(test: &str, what: &str) {
    if required(REQUIRE_SHARED) {
        panic!("{REQUIRE_SHARED} is set, and {test} needs {what}");
    }
    say_skipped(test, &format!("needs {what}, absent on this machine"));
}

/// The pages of the shared sample (`shared/realpages`, 34 saved government pages beside its
/// `labels.json` and `README.md`). A test reading the whole folder checks each is there, so a
/// renamed or lost page fails in CI with its name; pages added later are read too.
pub const REALPAGES: &[&str] = &[
    "ahxx.gov.cn-xiaoxian__a-sjxx-write-letter__1.html",
    "ahyx.gov.cn-yuexi__d-homepage-GB2312-TRUNCATED__1.html",
    "atxlyj.cn-antu-linyeju__c-list-xwdt__5.html",
    "atxlyj.cn-antu-linyeju__e-homepage-hijackjs-kb__4.html",
    "cmse.gov.cn__b-article-with-search__1.html",
    "fgw.zj.gov.cn__b-article-with-sitesearch__1.html",
    "gd-baomiju.stwgdcn-mirror__d-homepage-post-searchform__1.html",
    "gdjyj.gd.gov.cn-jianyuju.stwgdcn-mirror__c-list-gdjy-news__2.html",
    "gdjyj.gd.gov.cn-jianyuju.stwgdcn-mirror__e-homepage-macau-prison-link__1.html",
    "gzdzhrss.com-daozhen-hrss__c-list-tzgg__3.html",
    "gzdzhrss.com-daozhen-hrss__d-homepage-before-injection__2.html",
    "gzdzhrss.com-daozhen-hrss__e-homepage-hidden-linkfarm__1.html",
    "hd.gov.cn-handan-xxgk__b-list-with-scope-select-JSPwrapped__2.html",
    "hdjxedu.cn__d-home__1.html",
    "huilai.gov.cn-template__a-xzxx-write-letter-JSP__1.jsp.html",
    "jspn.js.cn-jiangsu-wujiaju__c-list-gzdt-searchform__2.html",
    "jspn.js.cn-jiangsu-wujiaju__e-homepage-hijackjs__1.html",
    "lgedu.net-langao-jiaotiju__a-wyxx-write-letter__1.html",
    "lgedu.net-langao-jiaotiju__c-list-gzxx__4.html",
    "lgedu.net-langao-jiaotiju__e-homepage-hidden-linkfarm__5.html",
    "npc.gov.cn__b-article-with-search__1.html",
    "samr.cfda.gov.cn__c-column__1.html",
    "shanxi.gov.cn__b-article-with-sitesearch__1.html",
    "wanzai.gov.cn__d-article-no-searchbox-chrome-saved__1.html",
    "zhecheng.gov.cn__c-list-gsgg__2.html",
    "zhecheng.gov.cn__c-list-zfwj__3.html",
    "zhecheng.gov.cn__d-homepage-modified__7.html",
    "zjgztb.com-suzhou-ggzy__c-list-table-td-dates__3.html",
    "zjgztb.com-suzhou-ggzy__d-fullsearch-script-only-noform__2.html",
    "zjw.beijing.gov.cn__c-column__2.html",
    "zjw.beijing.gov.cn__e-data__1.html",
    "zjw.beijing.gov.cn__e-data__3.html",
    "zjw.beijing.gov.cn__e-data__4.html",
    "zmhd.jiujiang.gov.cn__b-search__1.html",
];

/// The real pages folder for `test` that reads every page in it, once each page of
/// [`REALPAGES`] is found there: a panic naming the first missing one under
/// `GOVWATCH_REQUIRE_SHARED`, else `SKIPPED` and `None`.
pub fn realpages_complete(test: &str) -> Option<PathBuf> {
    let dir = realpages_folder(test)?;
    for name in REALPAGES {
        if !dir.join(name).is_file() {
            missing_shared(test, &format!("real page {}", dir.join(name).display()));
            return None;
        }
    }
    Some(dir)
}

/// Whether `test` may go on with IPv6 (`has_v6`: the fixture server's or the machine's `[::1]`
/// listener). Without it: a panic naming the listener under `GOVWATCH_REQUIRE_IPV6`, else
/// `SKIPPED` with the reason and `false`.
pub fn ipv6(test: &str, has_v6: bool, listener: &str) -> bool {
    if has_v6 {
        return true;
    }
    if required(REQUIRE_IPV6) {
        panic!("{REQUIRE_IPV6} is set, but {test} found no IPv6 listener: {listener} is missing");
    }
    say_skipped(
        test,
        &format!("needs an IPv6 loopback ({listener}), absent on this machine"),
    );
    false
}
