//! The one error type of the crate.
//!
//! Every fallible operation, in the domain and at the edge, returns [`Error`]. Each variant
//! carries a stable snake_case `code` that clients may match on; the HTTP layer
//! (`crate::http::error`) maps variants to status codes and the contract's JSON body, and hides
//! the details of internal failures (they are logged, never sent).

use std::borrow::Cow;

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the request is malformed or a value is out of range.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: Cow<'static, str>,
    },
    /// 401: no credentials, or credentials that do not verify.
    #[error("{message}")]
    Unauthenticated {
        code: &'static str,
        message: Cow<'static, str>,
    },
    /// 403: authenticated, but not allowed (`not_admitted`, `not_owner`, `admin_only`).
    #[error("{message}")]
    Forbidden {
        code: &'static str,
        message: Cow<'static, str>,
    },
    /// 404: an id that names nothing.
    #[error("{message}")]
    NotFound {
        code: &'static str,
        message: Cow<'static, str>,
    },
    /// 409: some of the requested seats are held or sold by someone else. All-or-nothing holds
    /// name every seat that was taken so the client can redraw them.
    #[error("some seats are no longer available")]
    SeatUnavailable { seat_ids: Vec<String> },
    /// 409: the hold would take the caller past the event's per-customer limit
    /// (`maxTicketsPerCustomer`, pending and paid reservations together).
    #[error("this would take you past the limit of {limit} tickets per customer for this event; you may take {remaining} more")]
    CustomerLimit { limit: i64, remaining: i64 },
    /// 404 with the list of seat ids that do not belong to the event.
    #[error("unknown seats for this event")]
    UnknownSeats { seat_ids: Vec<String> },
    /// 409: any other conflict with current state (`sold_out`, `hold_expired`, `email_taken`...).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: Cow<'static, str>,
    },
    /// 413: the request body is larger than the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 431: the request's headers are larger than the server accepts.
    #[error("request headers too large")]
    HeadersTooLarge,
    /// 415: a JSON body was sent without `Content-Type: application/json`.
    #[error("expected a JSON body with content-type application/json")]
    UnsupportedMediaType,
    /// 429: the caller is sending too much.
    #[error("too many requests")]
    RateLimited,
    /// 503: a backing service (database, Redis) is unreachable or saturated.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 503 with `Retry-After`: this instance is saturated on purpose (a bounded resource such
    /// as the password hasher is fully taken); the request did nothing and may be retried.
    #[error("the server is busy; retry in {retry_after_secs} s")]
    Busy {
        code: &'static str,
        retry_after_secs: u64,
    },
    /// 503: a waiting line's state is gone (its Redis lost it) and is being rebuilt. The
    /// waiting room handles it and retries; it reaches a client only if rebuilding failed.
    #[error("the waiting line is being restored")]
    LineLost,
    /// 500: a database failure we did not expect. Details are logged, never sent.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// 500: anything else we did not expect. Details are logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn unauthenticated(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Unauthenticated {
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Forbidden {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The stable machine-readable code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { code, .. }
            | Error::Unauthenticated { code, .. }
            | Error::Forbidden { code, .. }
            | Error::NotFound { code, .. }
            | Error::Conflict { code, .. } => code,
            Error::SeatUnavailable { .. } => "seat_unavailable",
            Error::UnknownSeats { .. } => "seat_not_found",
            Error::CustomerLimit { .. } => "customer_limit",
            Error::PayloadTooLarge => "payload_too_large",
            Error::HeadersTooLarge => "headers_too_large",
            Error::UnsupportedMediaType => "unsupported_media_type",
            Error::RateLimited => "rate_limited",
            Error::Unavailable(_) => "service_unavailable",
            Error::LineLost => "line_recovering",
            Error::Busy { code, .. } => code,
            Error::Database(e) if is_unique_violation(e) => "conflict",
            Error::Database(e) if is_unavailable(e) => "service_unavailable",
            Error::Database(_) | Error::Internal(_) => "internal",
        }
    }

    /// True for transient database conflicts that are safe to retry from the start of the
    /// transaction: PostgreSQL deadlocks / serialization failures and SQLite busy errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Database(sqlx::Error::Database(db)) => {
                matches!(
                    db.code().as_deref(),
                    Some("40P01") | Some("40001") | Some("5") | Some("517")
                )
            }
            _ => false,
        }
    }
}

/// A unique-constraint violation: the state already holds what the request tries to create.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// Pool exhaustion or a lost connection: the database is there but not answering in time.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
    )
}
