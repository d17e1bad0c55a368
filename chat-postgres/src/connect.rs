//! From a connection string to connections: libpq's `sslmode` and `sslrootcert` (which
//! tokio-postgres does not know, or not all of) taken out and applied with rustls, the
//! timeouts of [`Options`] set as session defaults at startup (no extra round trip), and
//! the pool.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

use crate::error::{db, internal, Result};
use crate::options::Options;
use crate::tls::{self, SslMode};

/// A parsed connection string.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) config: Config,
    pub(crate) ssl: SslMode,
    pub(crate) root_cert: Option<String>,
}

/// Removes `key=value` from a connection string (URL query or key/value form), returning
/// the rest and the value.
fn take_param(s: &str, key: &str) -> (String, Option<String>) {
    let prefix = format!("{key}=");
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        let Some((base, query)) = s.split_once('?') else {
            return (s.to_owned(), None);
        };
        let mut value = None;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| match p.strip_prefix(&prefix) {
                Some(v) => {
                    value = Some(v.to_owned());
                    false
                }
                None => true,
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rest, value)
    } else {
        let mut value = None;
        let kept: Vec<&str> = s
            .split_whitespace()
            .filter(|p| match p.strip_prefix(&prefix) {
                Some(v) => {
                    value = Some(v.trim_matches('\'').to_owned());
                    false
                }
                None => true,
            })
            .collect();
        (kept.join(" "), value)
    }
}

impl Target {
    /// Parses a libpq connection string (`postgres://…` or `host=… user=…`).
    pub(crate) fn parse(s: &str) -> Result<Self> {
        let (rest, mode) = take_param(s, "sslmode");
        let (rest, root_cert) = take_param(&rest, "sslrootcert");
        let ssl = match mode.as_deref() {
            None => SslMode::Prefer,
            Some(m) => {
                SslMode::parse(m).ok_or_else(|| internal(format!("unknown sslmode {m:?}")))?
            }
        };
        let mut config = Config::from_str(&rest).map_err(db)?;
        config.ssl_mode(match ssl {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        Ok(Self {
            config,
            ssl,
            root_cert,
        })
    }

    /// Whether every host is this machine (TLS protects nothing there).
    fn loopback(&self) -> bool {
        self.config.get_hosts().iter().all(|h| match h {
            Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            #[cfg(unix)]
            Host::Unix(_) => true,
        })
    }

    /// Whether connections use no TLS.
    fn plain(&self) -> bool {
        self.ssl == SslMode::Disable || (self.ssl == SslMode::Prefer && self.loopback())
    }

    /// The configuration with the session defaults of `options`.
    fn with_options(&self, options: &Options) -> Config {
        let mut config = self.config.clone();
        let ms = |d: std::time::Duration| d.as_millis();
        let mut startup = config.get_options().unwrap_or_default().to_owned();
        startup.push_str(&format!(
            " -c statement_timeout={} -c lock_timeout={} -c idle_in_transaction_session_timeout={}",
            ms(options.statement_timeout),
            ms(options.lock_timeout),
            ms(options.idle_in_transaction_timeout),
        ));
        config.options(startup.trim());
        if config.get_application_name().is_none() {
            config.application_name("chat-postgres");
        }
        config.connect_timeout(options.connect_timeout);
        config
    }

    /// The store's pool (connections are made on demand).
    pub(crate) fn pool(&self, options: &Options) -> Result<Pool> {
        let config = self.with_options(options);
        let manager = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = if self.plain() {
            Manager::from_config(config, NoTls, manager)
        } else {
            let tls = tls::client_config(self.ssl, self.root_cert.as_deref())?;
            Manager::from_config(
                config,
                tokio_postgres_rustls::MakeRustlsConnect::new(tls),
                manager,
            )
        };
        Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .wait_timeout(Some(options.pool_wait))
            .create_timeout(Some(options.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(internal)
    }

    /// One connection outside the pool (migrations), driven by a task on the current runtime.
    pub(crate) async fn connect(&self, options: &Options) -> Result<Client> {
        let config = self.with_options(options);
        if self.plain() {
            let (client, conn) = config.connect(NoTls).await.map_err(db)?;
            tokio::spawn(conn);
            Ok(client)
        } else {
            let tls = tls::client_config(self.ssl, self.root_cert.as_deref())?;
            let (client, conn) = config
                .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                .await
                .map_err(db)?;
            tokio::spawn(conn);
            Ok(client)
        }
    }
}

/// Drives `conn` on a task of its own, forwarding its notifications to the returned
/// receiver; the receiver ends when the connection does.
fn forward<S, T>(
    mut conn: tokio_postgres::Connection<S, T>,
) -> tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::Notification>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(message)) = futures::StreamExt::next(&mut messages).await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message {
                if tx.send(n).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

impl Target {
    /// A connection outside the pool whose notifications (`LISTEN`) arrive on the receiver.
    pub(crate) async fn listen_connection(
        &self,
        options: &Options,
    ) -> Result<(
        Client,
        tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::Notification>,
    )> {
        let config = self.with_options(options);
        if self.plain() {
            let (client, conn) = config.connect(NoTls).await.map_err(db)?;
            Ok((client, forward(conn)))
        } else {
            let tls = tls::client_config(self.ssl, self.root_cert.as_deref())?;
            let (client, conn) = config
                .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                .await
                .map_err(db)?;
            Ok((client, forward(conn)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_ssl_parameters_are_taken_out_of_both_forms() {
        let t = Target::parse("postgres://u@db.example:5432/chat?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x").unwrap();
        assert_eq!(t.ssl, SslMode::VerifyFull);
        assert_eq!(t.root_cert.as_deref(), Some("/ca.pem"));
        assert_eq!(t.config.get_application_name(), Some("x"));
        assert!(!t.plain());
        let t = Target::parse("host=127.0.0.1 user=postgres dbname=test").unwrap();
        assert_eq!(t.ssl, SslMode::Prefer);
        assert!(t.plain(), "loopback with prefer uses no TLS");
        let t = Target::parse("host=127.0.0.1 user=postgres sslmode=require").unwrap();
        assert!(!t.plain(), "require means TLS even on loopback");
        assert!(Target::parse("host=x sslmode=sometimes").is_err());
    }
}
