//! Who may read the web view, and what they may do.
//!
//! - [`access_policy`]: a listener on a loopback address (127.0.0.0/8, ::1) may run without a
//!   token ([`Access::Open`]); any other address (including 0.0.0.0 and ::) needs one
//!   ([`Access::Token`]), or the server refuses to start.
//! - [`Token`]: kept as its SHA-256 only and compared in constant time. A request carries it as
//!   `Authorization: Bearer TOKEN`, or as the HttpOnly, SameSite=Strict cookie set by the login
//!   form (`POST /login`), whose value is derived from the token, not the token itself.
//! - [`guard`]: the middleware in front of every route: only `GET`/`HEAD` (and the login `POST`),
//!   401 without the token, on an open (loopback) listener only loopback `Host` names (so a page
//!   elsewhere cannot reach the view through DNS rebinding), and the security headers of every
//!   answer (a Content-Security-Policy without script, no framing, no referrer).

use crate::{App, WebError, layout};
use axum::extract::{Form, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use cookie::{Cookie, SameSite};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Shortest token accepted: a token guards the whole database on a network.
pub const MIN_TOKEN_LEN: usize = 16;

/// The login cookie's name.
pub const SESSION_COOKIE: &str = "govwatch_session";

/// The Content-Security-Policy of the application's own pages: no script of any kind, styles and
/// images from the view itself, frames only from the view (the archived page).
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The access token, kept as its SHA-256.
#[derive(Clone)]
pub struct Token {
    digest: [u8; 32],
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

impl Token {
    /// A token from its text (`what` names where it came from, for the error).
    pub fn new(text: &str, what: &str) -> Result<Token, WebError> {
        if text.chars().count() < MIN_TOKEN_LEN {
            return Err(WebError::TokenTooShort { what: what.into() });
        }
        Ok(Token {
            digest: sha256(&[text.as_bytes()]),
        })
    }

    /// Whether `given` is the token (constant time).
    pub fn matches(&self, given: &str) -> bool {
        sha256(&[given.as_bytes()]).ct_eq(&self.digest).into()
    }

    /// The login cookie's value: derived from the token, so the cookie does not hold the token.
    pub fn session_value(&self) -> String {
        hex::encode(sha256(&[b"govwatch-web session\0", &self.digest]))
    }

    fn matches_session(&self, value: &str) -> bool {
        value
            .as_bytes()
            .ct_eq(self.session_value().as_bytes())
            .into()
    }
}

/// Who may read.
#[derive(Debug, Clone)]
pub enum Access {
    /// Anyone who reaches the (loopback) listener.
    Open,
    /// Only requests carrying the token (header or login cookie).
    Token(Token),
}

/// Whether an address only reaches this machine (an IPv4-mapped IPv6 address counts as its IPv4).
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// The access rule for a listener: a token when given; none on a loopback address; otherwise the
/// server must not start.
pub fn access_policy(listen: SocketAddr, token: Option<Token>) -> Result<Access, WebError> {
    match token {
        Some(t) => Ok(Access::Token(t)),
        None if is_loopback(listen.ip()) => Ok(Access::Open),
        None => Err(WebError::TokenRequired { listen }),
    }
}

/// The token from `--token` or from the first line of `--token-file`.
pub fn load_token(token: Option<&str>, file: Option<&Path>) -> Result<Option<Token>, WebError> {
    match (token, file) {
        (Some(_), Some(_)) => Err(WebError::TwoTokens),
        (Some(t), None) => Token::new(t.trim(), "--token").map(Some),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| WebError::TokenFile {
                path: path.to_path_buf(),
                source,
            })?;
            let first = text.lines().next().unwrap_or("").trim();
            Token::new(first, &format!("--token-file {}", path.display())).map(Some)
        }
        (None, None) => Ok(None),
    }
}

/// Whether the request carries the token: `Authorization: Bearer …` or the login cookie.
fn authorized(token: &Token, headers: &HeaderMap) -> bool {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .any(|t| token.matches(t));
    if bearer {
        return true;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_string()).filter_map(Result::ok))
        .any(|c| c.name() == SESSION_COOKIE && token.matches_session(c.value()))
}

/// Whether the `Host` header names this machine (`localhost`, a loopback address), with any port.
/// A request without `Host` (HTTP/1.0) is let through: browsers always send one.
fn host_is_local(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return headers.get(header::HOST).is_none();
    };
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inside, _)) => inside,
            None => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        }
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().map(is_loopback).unwrap_or(false)
}

/// A path to come back to after logging in: only a local path — `/` alone, or `/` followed by a
/// character other than `/` and `\` — holding no back-slash, no control character and no white
/// space (a browser drops tabs and line breaks from a URL, so `/\t/evil.example/` would become
/// `//evil.example/`). Anything else goes back to `/`.
fn safe_next(next: Option<&str>) -> String {
    let local = |n: &str| {
        let mut chars = n.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !n
                .chars()
                .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    };
    match next {
        Some(n) if local(n) => n.into(),
        _ => "/".into(),
    }
}

fn login_page(next: &str, message: Option<&str>) -> maud::Markup {
    layout::page(
        "登录",
        maud::html! {
            h1 { "登录" }
            p { "本服务需要访问令牌。请输入 " code { "govwatch serve" } " 启动时配置的令牌（--token 或 --token-file）。" }
            @if let Some(m) = message {
                p.error { (m) }
            }
            form.login method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                label { "访问令牌 " input type="password" name="token" autocomplete="current-password" required; }
                " "
                button type="submit" { "登录" }
            }
            p.note { "脚本或命令行工具也可在请求头中携带令牌：" code { "Authorization: Bearer 令牌" } }
        },
    )
}

/// 401 with the login form (and `WWW-Authenticate` for tools).
fn unauthorized(next: &str, message: Option<&str>) -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        Html(login_page(next, message).into_string()),
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"govwatch\""),
    );
    r
}

/// The query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /login`: the form.
pub async fn login_form(Query(q): Query<LoginQuery>) -> Html<String> {
    Html(login_page(&safe_next(q.next.as_deref()), None).into_string())
}

/// The fields of the login form.
#[derive(Debug, Deserialize)]
pub struct LoginFields {
    token: String,
    next: Option<String>,
}

/// `POST /login`: the right token sets the login cookie and goes back to the page asked for.
pub async fn login_submit(State(app): State<Arc<App>>, Form(f): Form<LoginFields>) -> Response {
    let next = safe_next(f.next.as_deref());
    let token = match &app.access {
        Access::Token(t) => t,
        // nothing to log in to
        Access::Open => return see_other(&next),
    };
    if !token.matches(f.token.trim()) {
        return unauthorized(&next, Some("令牌不正确。"));
    }
    let cookie = Cookie::build((SESSION_COOKIE, token.session_value()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    let mut r = see_other(&next);
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The middleware in front of every route (see the module documentation).
pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let allowed = method == Method::GET
        || method == Method::HEAD
        || (method == Method::POST && path == "/login");
    let mut resp = if !allowed {
        let mut r = (
            StatusCode::METHOD_NOT_ALLOWED,
            "govwatch serve is read-only: only GET and HEAD are served\n",
        )
            .into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else {
        match &app.access {
            Access::Open if !host_is_local(req.headers()) => (
                StatusCode::FORBIDDEN,
                "this view listens on loopback without a token and answers only to localhost \
                 names; open it as http://127.0.0.1:PORT/\n",
            )
                .into_response(),
            Access::Token(t)
                if path != "/login" && path != "/style.css" && !authorized(t, req.headers()) =>
            {
                let next = req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/".into());
                unauthorized(&safe_next(Some(&next)), None)
            }
            _ => next.run(req).await,
        }
    };
    let h = resp.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(PAGE_CSP));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_token_is_needed_beyond_loopback() {
        for open in [
            "127.0.0.1:8080",
            "127.0.0.2:80",
            "[::1]:8080",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(
                matches!(access_policy(sock(open), None), Ok(Access::Open)),
                "{open}"
            );
        }
        for exposed in [
            "0.0.0.0:8080",
            "[::]:8080",
            "192.0.2.10:8080",
            "[2001:db8::1]:8080",
            "[::ffff:192.0.2.1]:80",
        ] {
            let e = access_policy(sock(exposed), None).unwrap_err();
            assert!(e.to_string().contains("需要访问令牌"), "{exposed}: {e}");
            let t = Token::new("0123456789abcdef", "--token").unwrap();
            assert!(matches!(
                access_policy(sock(exposed), Some(t)),
                Ok(Access::Token(_))
            ));
        }
        // a token given for a loopback listener is required too
        let t = Token::new("0123456789abcdef", "--token").unwrap();
        assert!(matches!(
            access_policy(sock("127.0.0.1:1"), Some(t)),
            Ok(Access::Token(_))
        ));
    }

    #[test]
    fn tokens_are_checked_from_header_or_cookie() {
        assert!(Token::new("short", "--token").is_err());
        let t = Token::new("0123456789abcdef", "--token").unwrap();
        let mut h = HeaderMap::new();
        assert!(!authorized(&t, &h));
        h.insert(
            header::AUTHORIZATION,
            "Bearer 0123456789abcdeX".parse().unwrap(),
        );
        assert!(!authorized(&t, &h));
        h.insert(
            header::AUTHORIZATION,
            "bearer 0123456789abcdef".parse().unwrap(),
        );
        assert!(authorized(&t, &h));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("a=b; {SESSION_COOKIE}={}", t.session_value())
                .parse()
                .unwrap(),
        );
        assert!(authorized(&t, &h));
        // the token itself is not a valid cookie value
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("{SESSION_COOKIE}=0123456789abcdef")
                .parse()
                .unwrap(),
        );
        assert!(!authorized(&t, &h));
    }

    #[test]
    fn the_token_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  0123456789abcdef  \nignored second line\n").unwrap();
        let t = load_token(None, Some(&path)).unwrap().unwrap();
        assert!(t.matches("0123456789abcdef"));
        std::fs::write(&path, "short\n").unwrap();
        let e = load_token(None, Some(&path)).unwrap_err();
        assert!(e.to_string().contains("--token-file"), "{e}");
        let e = load_token(None, Some(&dir.path().join("missing"))).unwrap_err();
        assert!(matches!(e, WebError::TokenFile { .. }), "{e}");
        assert!(matches!(
            load_token(Some("0123456789abcdef"), Some(&path)),
            Err(WebError::TwoTokens)
        ));
        assert!(load_token(None, None).unwrap().is_none());
    }

    #[test]
    fn loopback_hosts_only_when_open() {
        let ok = |host: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, host.parse().unwrap());
            host_is_local(&h)
        };
        for good in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "127.0.0.2",
        ] {
            assert!(ok(good), "{good}");
        }
        for bad in [
            "evil.example:8080",
            "evil.example",
            "192.0.2.1:8080",
            "[2001:db8::1]:80",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }

    #[test]
    fn login_goes_back_only_to_this_site() {
        assert_eq!(safe_next(Some("/runs/2")), "/runs/2");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("http://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        // what a browser folds into `//host`: tabs, line breaks, other controls, back-slashes
        for bad in [
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\r\n/evil.example",
            "/\u{0}/evil.example",
            "/\u{1b}/evil.example",
            "/ /evil.example",
            "/runs/1\\..\\..\\evil",
            "\t//evil.example/",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        for good in [
            "/",
            "/runs/2/sites?kind=portal",
            "/findings/14#evidence",
            "/%09/x",
        ] {
            assert_eq!(safe_next(Some(good)), good);
        }
    }
}
