//! Where early warnings are sent: a log line, a webhook (JSON POST), an e-mail through SMTP.
//!
//! Each open warning is delivered once to each sink; a failed delivery is tried again at the next
//! delivery pass (after the next sample or run), and each try is recorded in
//! `warning_deliveries`. Sinks are configured destinations, not crawled sites: the crawler's
//! address guard does not apply to them (an office webhook on the intranet is normal), but each
//! has a time limit, and a webhook's redirect is not followed (a failed delivery, so that a
//! warning is never re-sent to where a redirect points).

use govwatch_config::SinkConfig;
use govwatch_store::WarningRow;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use std::time::Duration;

/// A warning with the site it is about, as sinks receive it.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    pub warning: &'a WarningRow,
    pub site_name: &'a str,
    pub site_home: &'a str,
}

impl Notice<'_> {
    /// The JSON document a webhook receives.
    pub fn json(&self) -> serde_json::Value {
        let w = self.warning;
        json!({
            "type": "govwatch.warning",
            "id": w.id,
            "code": w.code,
            "site": {"id": w.site_id, "name": self.site_name, "home": self.site_home},
            "opened_at": w.opened_at,
            "message": w.message,
            "value": w.value,
        })
    }

    fn subject(&self) -> String {
        format!(
            "[govwatch] {} {}: {}",
            self.warning.site_id, self.site_name, self.warning.code
        )
    }

    fn text(&self) -> String {
        let w = self.warning;
        format!(
            "{}\n\n网站 site: {} {}\n首页 home: {}\n预警 warning: {}\n开始 opened: {}\n依据 source: {}\n\n{}\n",
            w.message,
            w.site_id,
            self.site_name,
            self.site_home,
            w.code,
            w.opened_at,
            w.value["source"].as_str().unwrap_or(""),
            serde_json::to_string_pretty(&w.value).unwrap_or_default()
        )
    }
}

/// A configured sink, ready to send.
pub struct Sink {
    pub config: SinkConfig,
    http: Option<reqwest::Client>,
}

impl Sink {
    pub fn new(config: SinkConfig) -> Result<Sink, String> {
        let http = match &config {
            SinkConfig::Webhook { timeout_secs, .. } => {
                govwatch_crawler::install_tls_provider();
                Some(
                    reqwest::Client::builder()
                        .timeout(Duration::from_secs_f64(*timeout_secs))
                        // the warning goes to the configured URL only: a redirect (307/308
                        // would re-send the body elsewhere) is a failed delivery
                        .redirect(reqwest::redirect::Policy::none())
                        .no_proxy()
                        .build()
                        .map_err(|e| format!("sink {}: {e}", config.name()))?,
                )
            }
            _ => None,
        };
        Ok(Sink { config, http })
    }

    pub fn name(&self) -> &str {
        self.config.name()
    }

    /// Sends one warning; `Err` names what failed.
    pub async fn send(&self, n: &Notice<'_>) -> Result<(), String> {
        match &self.config {
            SinkConfig::Log { .. } => {
                tracing::warn!(
                    target: "govwatch::warning",
                    site = %n.warning.site_id,
                    code = %n.warning.code,
                    opened_at = %n.warning.opened_at,
                    "{}",
                    n.warning.message
                );
                Ok(())
            }
            SinkConfig::Webhook { url, .. } => {
                let client = self.http.as_ref().expect("webhook client built");
                let resp = Box::pin(
                    client
                        .post(url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(n.json().to_string())
                        .send(),
                )
                .await
                .map_err(|e| format!("POST {url}: {e}"))?;
                if resp.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("POST {url}: HTTP {}", resp.status().as_u16()))
                }
            }
            SinkConfig::Smtp {
                host,
                port,
                starttls,
                username,
                password_env,
                from,
                to,
                timeout_secs,
                ..
            } => {
                let mut b = if *starttls {
                    AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .map_err(|e| format!("SMTP {host}: {e}"))?
                } else {
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                };
                b = b
                    .port(*port)
                    .timeout(Some(Duration::from_secs_f64(*timeout_secs)));
                if let Some(user) = username {
                    let pass = match password_env {
                        Some(var) => std::env::var(var).map_err(|_| {
                            format!("SMTP {host}: environment variable {var} is not set")
                        })?,
                        None => String::new(),
                    };
                    b = b.credentials(Credentials::new(user.clone(), pass));
                }
                let transport = b.build();
                let mut m = Message::builder()
                    .from(from.parse().map_err(|e| format!("from {from:?}: {e}"))?)
                    .subject(n.subject())
                    .header(ContentType::TEXT_PLAIN);
                for t in to {
                    m = m.to(t.parse().map_err(|e| format!("to {t:?}: {e}"))?);
                }
                let msg = m.body(n.text()).map_err(|e| format!("mail: {e}"))?;
                Box::pin(transport.send(msg))
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("SMTP {host}:{port}: {e}"))
            }
        }
    }
}
