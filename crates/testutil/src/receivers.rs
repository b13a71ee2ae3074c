//! Local receivers for the daemon's warning sinks, written by hand for tests only: a webhook
//! receiver (HTTP/1.1 POSTs, each body recorded, answered `200`) and a minimal SMTP server
//! (RFC 5321 commands EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH) that
//! records every message it accepts. Both listen on 127.0.0.1 on a free port.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One POST received by [`WebhookReceiver`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPost {
    pub path: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Records HTTP requests and answers each with `200 OK`.
pub struct WebhookReceiver {
    addr: SocketAddr,
    posts: Arc<Mutex<Vec<ReceivedPost>>>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookReceiver {
    pub async fn start() -> io::Result<WebhookReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let posts = Arc::new(Mutex::new(Vec::new()));
        let p = posts.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move {
                    let _ = serve_http(sock, p).await;
                });
            }
        });
        Ok(WebhookReceiver { addr, posts, task })
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn posts(&self) -> Vec<ReceivedPost> {
        self.posts.lock().unwrap().clone()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_http(
    sock: tokio::net::TcpStream,
    posts: Arc<Mutex<Vec<ReceivedPost>>>,
) -> io::Result<()> {
    let mut r = BufReader::new(sock);
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            head.push(line);
        }
        let first = head.first().cloned().unwrap_or_default();
        let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
        let header = |name: &str| {
            head.iter().skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        r.read_exact(&mut body).await?;
        posts.lock().unwrap().push(ReceivedPost {
            path,
            content_type: header("content-type"),
            body,
        });
        r.get_mut()
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok",
            )
            .await?;
    }
}

/// One message accepted by [`SmtpReceiver`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The `MAIL FROM` address.
    pub from: String,
    /// The `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as sent after `DATA` (headers and body, dot-unstuffed, CRLF line ends).
    pub data: String,
}

/// A minimal SMTP server that accepts every message and records it.
pub struct SmtpReceiver {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpReceiver {
    pub async fn start() -> io::Result<SmtpReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mails = Arc::new(Mutex::new(Vec::new()));
        let m = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let m = m.clone();
                tokio::spawn(async move {
                    let _ = serve_smtp(sock, m).await;
                });
            }
        });
        Ok(SmtpReceiver { addr, mails, task })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The address inside `MAIL FROM:<a>` / `RCPT TO:<a>`.
fn angle(arg: &str) -> String {
    let a = arg.split_once(':').map(|x| x.1).unwrap_or(arg).trim();
    let a = a.split_whitespace().next().unwrap_or("");
    a.trim_start_matches('<').trim_end_matches('>').to_string()
}

async fn serve_smtp(
    sock: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
) -> io::Result<()> {
    let mut r = BufReader::new(sock);
    r.get_mut()
        .write_all(b"220 localhost govwatch test SMTP\r\n")
        .await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end();
        let verb = cmd
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-localhost\r\n250 8BITMIME\r\n",
            "HELO" => b"250 localhost\r\n",
            "MAIL" => {
                from = angle(cmd);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                to.push(angle(cmd));
                b"250 OK\r\n"
            }
            "DATA" => {
                r.get_mut()
                    .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" || l == ".\n" {
                        break;
                    }
                    let l = l.strip_prefix('.').unwrap_or(&l);
                    data.push_str(l);
                }
                mails.lock().unwrap().push(ReceivedMail {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 OK queued\r\n"
            }
            "RSET" => {
                from.clear();
                to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                r.get_mut().write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        r.get_mut().write_all(reply).await?;
    }
}
