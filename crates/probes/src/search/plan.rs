//! Planning the searches the crawler submits: the title of a crawled article, in a GET query URL
//! or, where the site's configuration allows, a POST body.

use super::locate::{SearchEntry, locate};
use govwatch_model::{SearchPlan, SiteCrawl};
use url::Url;

/// Whether a page is a sign-in page (it asks for a password, or its path names a login or
/// single-sign-on service): no article, and no site search indexes it.
fn is_sign_in_page(p: &govwatch_model::Page) -> bool {
    let path = Url::parse(&p.fetch.url)
        .map(|u| u.path().to_ascii_lowercase())
        .unwrap_or_default();
    let text = p.text.to_ascii_lowercase();
    ["login", "logon", "signin", "/sso/", "passport", "/cas/"]
        .iter()
        .any(|w| path.contains(w))
        || ["type=\"password\"", "type='password'", "type=password"]
            .iter()
            .any(|w| text.contains(w))
}

/// The title of a crawled article to search for, and its URL.
pub fn pick_term(crawl: &SiteCrawl) -> Option<(String, String)> {
    let site_name = crawl.site.name.as_str();
    crawl
        .pages
        .iter()
        .filter(|p| p.depth >= 1 && p.is_html && p.fetch.ok())
        .filter(|p| !is_sign_in_page(p))
        .filter(|p| {
            let path = Url::parse(&p.fetch.url)
                .map(|u| u.path().to_string())
                .unwrap_or_default();
            !(path.ends_with('/')
                || path.ends_with("/index.html")
                || path.ends_with("/index.htm")
                || path.ends_with("/index.shtml"))
        })
        .find_map(|p| {
            let t = p.title.as_deref()?;
            let first = t.split(" - ").next()?;
            let first = first
                .split(['_', '|', '—', '－'])
                .map(str::trim)
                .find(|s| !s.is_empty())?;
            let n = first.chars().count();
            (n >= 4 && first != site_name).then(|| {
                (
                    first.chars().take(30).collect::<String>(),
                    p.fetch.url.clone(),
                )
            })
        })
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The searches to submit: for each distinct entry (at most two), the term in a GET query URL, or
/// in a form-encoded body for POST forms where the site's configuration allows POST searches.
pub fn plan(crawl: &SiteCrawl) -> Vec<SearchPlan> {
    plan_with(crawl, locate(crawl))
}

pub(super) fn plan_with(crawl: &SiteCrawl, entries: Vec<SearchEntry>) -> Vec<SearchPlan> {
    let Some((term, expect_url)) = pick_term(crawl) else {
        return vec![];
    };
    let allow_post = crawl.site.overrides.search_post;
    let mut out = Vec::new();
    for e in entries
        .into_iter()
        .filter(|e| e.method == "GET" || (allow_post && e.method == "POST"))
        .take(2)
    {
        if e.kind == "script" {
            // the script appends the term to its URL prefix
            out.push(SearchPlan {
                form_page: e.page.clone(),
                url: format!("{}{}", e.action, enc(&term)),
                method: "GET".into(),
                body: None,
                term: term.clone(),
                expect_url: expect_url.clone(),
            });
            continue;
        }
        let Ok(mut u) = Url::parse(&e.action) else {
            continue;
        };
        let mut pairs: Vec<(String, String)> = e.hidden.clone();
        for s in &e.selects {
            let v = s
                .all_value
                .clone()
                .or_else(|| {
                    s.options
                        .iter()
                        .find(|(v, _)| !v.is_empty())
                        .map(|(v, _)| v.clone())
                })
                .unwrap_or_default();
            pairs.push((s.name.clone(), v));
        }
        pairs.push((e.query_field.clone(), term.clone()));
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        let (url, method, body) = if e.method == "POST" {
            (u.to_string(), "POST", Some(encoded))
        } else {
            u.set_query(Some(&encoded));
            (u.to_string(), "GET", None)
        };
        out.push(SearchPlan {
            form_page: e.page.clone(),
            url,
            method: method.into(),
            body,
            term: term.clone(),
            expect_url: expect_url.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::tests::{crawl_with, rec};
    use govwatch_model::{Page, SiteCrawl};

    fn page(url: &str, title: &str, body: &str) -> Page {
        Page {
            fetch: rec(url, Some(200), None),
            depth: 1,
            text: body.into(),
            charset: None,
            charset_source: None,
            title: Some(title.into()),
            links: vec![],
            is_html: true,
        }
    }

    fn crawl(pages: Vec<Page>) -> SiteCrawl {
        crawl_with(pages, vec![])
    }

    #[test]
    fn a_sign_in_page_is_no_article_to_search_for() {
        let article = page(
            "http://a.gov.test/xwzx/t20261120_1.html",
            "关于开展2026年秋季防火检查的通知_测试",
            "<p>各乡镇：……</p>",
        );
        // a JSP single-sign-on page, a login form under another path, a password form anywhere
        for first in [
            page(
                "http://a.gov.test/sso/login.jsp",
                "统一身份认证_某县人民政府",
                "<form><input name=\"u\"><input type=\"password\" name=\"p\"></form>",
            ),
            page(
                "http://a.gov.test/member/userLogin.do",
                "用户登录",
                "<form><input name=\"u\"></form>",
            ),
            page(
                "http://a.gov.test/hdjl/zhuce.html",
                "实名注册与账号绑定",
                "<form><input name=u><input type=password name=pw></form>",
            ),
        ] {
            let c = crawl(vec![first, article.clone()]);
            assert_eq!(
                pick_term(&c),
                Some((
                    "关于开展2026年秋季防火检查的通知".to_string(),
                    "http://a.gov.test/xwzx/t20261120_1.html".to_string()
                ))
            );
        }
        // an article whose text only mentions passwords is still an article
        let c = crawl(vec![page(
            "http://a.gov.test/xwzx/t20261121_2.html",
            "关于重置政务邮箱密码的提示",
            "<p>请勿向他人透露 password。</p>",
        )]);
        assert_eq!(pick_term(&c).unwrap().0, "关于重置政务邮箱密码的提示");
    }
}
