//! The one Redis client every Redis user shares (coordination, the line, the bot-check
//! ledger and the Socket.IO pub/sub driver), built here from the configuration so TLS and the
//! password apply to all of them alike.
//!
//! - `REDIS_URL` may be `redis://` or `rediss://` (TLS, as ElastiCache with in-transit
//!   encryption needs), with a password in it (`rediss://:password@host:6379`).
//! - `REDIS_PASSWORD` sets the password apart from the URL, so a deployment can keep the URL
//!   in plain configuration and the password in a secret store (ECS `secrets` cannot splice a
//!   secret into a URL). It wins over a password in the URL.
//! - `REDIS_CA_FILE` (PEM) replaces the compiled-in public roots (Mozilla's, through
//!   `webpki-roots`), for a server whose certificate comes from a private CA.
//!
//! [`probe`] connects once at start-up, so a wrong password, a plain `redis://` to a TLS port
//! or an untrusted certificate stops the start with one clear message instead of retries.
//! Nothing here ever prints a password: addresses go through [`redact`].

use std::time::Duration;

use anyhow::Context;
use redis::IntoConnectionInfo;

use crate::config::Config;

/// How long the start-up probe waits for Redis before giving up.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The shared client, or `None` when no Redis is configured (embedded mode).
pub fn client(config: &Config) -> anyhow::Result<Option<redis::Client>> {
    let Some(url) = config.effective_redis_url() else {
        anyhow::ensure!(
            config.redis_ca_file.is_none() && config.redis_password.is_none(),
            "REDIS_CA_FILE and REDIS_PASSWORD need REDIS_URL (or REDIS_HOST)"
        );
        return Ok(None);
    };
    let shown = redact(&url);
    let mut info = with_resp3(&url)
        .into_connection_info()
        .map_err(|e| anyhow::anyhow!("bad REDIS_URL {shown}: {:?}", e.kind()))?;
    if let Some(password) = &config.redis_password {
        let settings = info.redis_settings().clone().set_password(password);
        info = info.set_redis_settings(settings);
    }
    let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
    let Some(ca_file) = &config.redis_ca_file else {
        return Ok(Some(
            redis::Client::open(info).with_context(|| format!("bad REDIS_URL {shown}"))?,
        ));
    };
    anyhow::ensure!(
        tls,
        "REDIS_CA_FILE is set but REDIS_URL {shown} is not rediss:// (TLS)"
    );
    let pem = std::fs::read(ca_file)
        .with_context(|| format!("cannot read REDIS_CA_FILE {}", ca_file.display()))?;
    let client = redis::Client::build_with_tls(
        info,
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem),
        },
    )
    .with_context(|| {
        format!(
            "REDIS_CA_FILE {} holds no usable PEM certificate",
            ca_file.display()
        )
    })?;
    Ok(Some(client))
}

/// Connects once and sends `PING`: the start-up check that the address, TLS and password are
/// right. The error says which it was, with the address redacted.
pub async fn probe(client: &redis::Client) -> anyhow::Result<()> {
    let info = client.get_connection_info();
    let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
    let shown = format!(
        "{}://{}{}",
        if tls { "rediss" } else { "redis" },
        if info.redis_settings().password().is_some() {
            "…@"
        } else {
            ""
        },
        info.addr()
    );
    let attempt = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    let err = match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
        Ok(Ok(_)) => return Ok(()),
        Ok(Err(e)) => e,
        Err(_) => anyhow::bail!("Redis at {shown} did not answer within {PROBE_TIMEOUT:?}"),
    };
    let hint = if err.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(err.code(), Some("WRONGPASS" | "NOAUTH"))
    {
        "Redis refused the password (REDIS_PASSWORD or the one in REDIS_URL)"
    } else if !tls && (err.is_io_error() || err.is_connection_dropped()) {
        "cannot talk to Redis; if it expects TLS (ElastiCache with in-transit encryption), \
         REDIS_URL must start with rediss://"
    } else if tls && err.is_io_error() {
        "cannot open a TLS connection to Redis; is the port TLS, and does the certificate \
         chain to a public root or to REDIS_CA_FILE?"
    } else {
        "cannot reach Redis"
    };
    Err(anyhow::anyhow!("{hint}: {shown}: {err}"))
}

/// socketioxide-redis receives room messages as RESP3 pushes.
fn with_resp3(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

/// A database or Redis URL fit for logs: the user and password (everything before the last
/// `@` of the authority) become `…`, and a `password=` query parameter loses its value.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    // The authority ends at the first '/', '?' or '#' after the last '@' that precedes them;
    // a password may itself hold '/' or '?', so take the last '@' before the path instead.
    let (authority_and_more, shown_rest) = match rest.rfind('@') {
        Some(at) => (true, &rest[at + 1..]),
        None => (false, rest),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..scheme_end + 3]);
    if authority_and_more {
        out.push_str("…@");
    }
    match shown_rest.split_once('?') {
        Some((base, query)) => {
            out.push_str(base);
            out.push('?');
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=…"),
                    _ => pair.to_string(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(shown_rest),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_passwords_in_every_spelling() {
        assert_eq!(
            redact("rediss://:s3cret@cache.example:6379"),
            "rediss://…@cache.example:6379"
        );
        assert_eq!(
            redact("redis://default:s3cret@h:6379/0?protocol=resp3"),
            "redis://…@h:6379/0?protocol=resp3"
        );
        assert_eq!(
            redact("postgres://u:p@ss/w?rd@db:5432/bo"),
            "postgres://…@db:5432/bo"
        );
        assert_eq!(
            redact("postgres://db:5432/bo?user=u&password=s3cret"),
            "postgres://db:5432/bo?user=u&password=…"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact("sqlite://data/bo.db"), "sqlite://data/bo.db");
    }
}
