//! The one error type of the domain, and the one list of error codes.
//!
//! Every fallible operation of the domain returns [`Error`]. Each variant answers with a
//! stable [`ErrorCode`] that clients may match on; the HTTP layer (`crate::http::error`) maps
//! variants to status codes and the contract's JSON body, and hides the details of internal
//! failures (they are logged, never sent). What only the HTTP edge refuses (413, 415, 429,
//! 431) is `crate::http::error::Rejection`, not a domain error. Database failures arrive
//! already classified by the store (`crate::db`): the domain sees what they mean (a
//! duplicate, a transient conflict, an unavailable database), never an engine's codes.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Writes [`ErrorCode`] once: each variant with the snake_case string it is sent as, which is
/// also its serde name (a test checks that the two agree), and [`ErrorCode::ALL`].
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal,)*) => {
        /// Every error code the server sends: in REST error bodies (`{"error": {"code"}}`)
        /// and in Socket.IO acks (`{ok: false, error}`). The wire contract documents each
        /// one (`shared/PROTOCOL.md`, `docs/PROTOCOL-ADDITIONS.md`); a test holds the two
        /// lists together.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it is sent.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    // 400: bad input.
    /// The body is not JSON.
    MalformedJson = "malformed_json",
    /// The body is JSON of the wrong shape, or could not be read.
    InvalidBody = "invalid_body",
    /// An id of the wrong length.
    InvalidId = "invalid_id",
    /// A field out of range or of the wrong form.
    InvalidField = "invalid_field",
    InvalidQuantity = "invalid_quantity",
    /// More seats or tickets than one order may hold.
    TooManyTickets = "too_many_tickets",
    InvalidSeatIds = "invalid_seat_ids",
    DuplicateSeatIds = "duplicate_seat_ids",
    /// A hold by quantity of a seated ticket type (seats are held by id).
    SeatedTicketType = "seated_ticket_type",
    InvalidEmail = "invalid_email",
    InvalidPassword = "invalid_password",
    InvalidName = "invalid_name",
    InvalidIdempotencyKey = "invalid_idempotency_key",
    /// The same Idempotency-Key with another request.
    IdempotencyKeyReused = "idempotency_key_reused",
    // 401: no or bad credentials.
    AuthRequired = "auth_required",
    InvalidToken = "invalid_token",
    TokenExpired = "token_expired",
    InvalidCredentials = "invalid_credentials",
    // 403: not allowed.
    NotAdmitted = "not_admitted",
    NotOwner = "not_owner",
    AdminOnly = "admin_only",
    GuestsDisabled = "guests_disabled",
    BotCheckRequired = "bot_check_required",
    BotCheckFailed = "bot_check_failed",
    // 404: names nothing.
    /// No such API route.
    NotFound = "not_found",
    EventNotFound = "event_not_found",
    ReservationNotFound = "reservation_not_found",
    TicketTypeNotFound = "ticket_type_not_found",
    /// Seats that are not the event's (with `seatIds`).
    SeatNotFound = "seat_not_found",
    // 409: conflicts with the current state.
    /// Seats held or sold by someone else (with `seatIds`).
    SeatUnavailable = "seat_unavailable",
    SoldOut = "sold_out",
    /// Best available: no block of that many adjacent seats in one row is free (with
    /// `quantity`).
    NoAdjacentSeats = "no_adjacent_seats",
    /// Past the event's per-customer limit (with `limit` and `remaining`).
    CustomerLimit = "customer_limit",
    HoldExpired = "hold_expired",
    AlreadyPaid = "already_paid",
    ReservationCancelled = "reservation_cancelled",
    ReservationChanged = "reservation_changed",
    EmailTaken = "email_taken",
    IdempotencyKeyInUse = "idempotency_key_in_use",
    /// A hold on an event whose sales an administrator paused.
    SalesPaused = "sales_paused",
    /// A `PATCH` of an event's currency once the event has a reservation.
    CurrencyLocked = "currency_locked",
    /// A waitlist join for a ticket type still on open sale.
    NotSoldOut = "not_sold_out",
    /// A waitlist join past the most waitlists one user may be on per event.
    TooManyWaitlists = "too_many_waitlists",
    /// A write that collides with data already there (a unique constraint held).
    Conflict = "conflict",
    // Refused by the HTTP edge (`crate::http::error::Rejection`).
    PayloadTooLarge = "payload_too_large",
    UnsupportedMediaType = "unsupported_media_type",
    RateLimited = "rate_limited",
    HeadersTooLarge = "headers_too_large",
    // 5xx.
    /// 500: details are logged, never sent.
    Internal = "internal",
    /// 503: the database or Redis is unreachable or saturated.
    ServiceUnavailable = "service_unavailable",
    /// 503 with `Retry-After`: every password-hashing slot is taken.
    AuthBusy = "auth_busy",
    /// 503: a waiting line's lost state could not be rebuilt.
    LineRecovering = "line_recovering",
    // Socket.IO acks only.
    /// An event id that names no event.
    UnknownEvent = "unknown_event",
    /// An event payload that is not an event id (or `{eventId}`).
    InvalidPayload = "invalid_payload",
    /// The store could not answer the event's request; try again.
    Unavailable = "unavailable",
    /// `join:admin` on a socket already watching the most events one socket may watch.
    TooManyWatched = "too_many_watched",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One bad field of a request body: its path in the body (`capacity`,
/// `ticketTypes[0].price`) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the request is malformed or a value is out of range.
    #[error("{message}")]
    Invalid {
        code: ErrorCode,
        message: Cow<'static, str>,
    },
    /// 400 `invalid_field`: every field of the body that is out of range or of the wrong
    /// form, each under its path in the body (never empty).
    #[error("{}", .0.first().map_or("invalid field", |f| f.message.as_str()))]
    InvalidFields(Vec<FieldError>),
    /// 401: no credentials, or credentials that do not verify.
    #[error("{message}")]
    Unauthenticated {
        code: ErrorCode,
        message: Cow<'static, str>,
    },
    /// 403: authenticated, but not allowed (`not_admitted`, `not_owner`, `admin_only`).
    #[error("{message}")]
    Forbidden {
        code: ErrorCode,
        message: Cow<'static, str>,
    },
    /// 404: an id that names nothing.
    #[error("{message}")]
    NotFound {
        code: ErrorCode,
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
    /// 409: best available found no block of `quantity` adjacent free seats in one row.
    #[error("no {quantity} adjacent seats in one row are available")]
    NoAdjacentSeats { quantity: i64 },
    /// 404 with the list of seat ids that do not belong to the event.
    #[error("unknown seats for this event")]
    UnknownSeats { seat_ids: Vec<String> },
    /// 409: any other conflict with current state (`sold_out`, `hold_expired`, `email_taken`...).
    #[error("{message}")]
    Conflict {
        code: ErrorCode,
        message: Cow<'static, str>,
    },
    /// 409: a write collided with data already there (the store saw a unique constraint
    /// hold): the state already holds what the request tries to create.
    #[error("the request conflicts with existing data")]
    Duplicate,
    /// 503: a backing service (database, Redis) is unreachable or saturated.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 503 with `Retry-After`: this instance is saturated on purpose (a bounded resource such
    /// as the password hasher is fully taken); the request did nothing and may be retried.
    #[error("the server is busy; retry in {retry_after_secs} s")]
    Busy {
        code: ErrorCode,
        retry_after_secs: u64,
    },
    /// 503: a waiting line's state is gone (its Redis lost it) and is being rebuilt. The
    /// waiting room handles it and retries; it reaches a client only if rebuilding failed.
    #[error("the waiting line is being restored")]
    LineLost,
    /// A transient database conflict (a deadlock, a serialization failure, a busy SQLite):
    /// the transaction may run again from its start ([`Error::is_retryable`]). 500 if it
    /// still reaches a client; details are logged, never sent.
    #[error("transient database conflict: {0}")]
    Contention(anyhow::Error),
    /// 500: a database failure the domain has no meaning for. Details are logged, never sent.
    #[error("database error: {0}")]
    Database(anyhow::Error),
    /// 500: anything else we did not expect. Details are logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn unauthenticated(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Unauthenticated {
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Forbidden {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Error::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The stable machine-readable code sent to clients.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Invalid { code, .. }
            | Error::Unauthenticated { code, .. }
            | Error::Forbidden { code, .. }
            | Error::NotFound { code, .. }
            | Error::Conflict { code, .. }
            | Error::Busy { code, .. } => *code,
            Error::InvalidFields(_) => ErrorCode::InvalidField,
            Error::SeatUnavailable { .. } => ErrorCode::SeatUnavailable,
            Error::UnknownSeats { .. } => ErrorCode::SeatNotFound,
            Error::CustomerLimit { .. } => ErrorCode::CustomerLimit,
            Error::NoAdjacentSeats { .. } => ErrorCode::NoAdjacentSeats,
            Error::Duplicate => ErrorCode::Conflict,
            Error::Unavailable(_) => ErrorCode::ServiceUnavailable,
            Error::LineLost => ErrorCode::LineRecovering,
            Error::Contention(_) | Error::Database(_) | Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The same failure for another caller. `Error` is not `Clone` (it may carry an
    /// `anyhow::Error`), but one failed call can carry several callers' requests (a batch of
    /// holds, the waiting room's combined joins), and each of them gets the same answer. Same
    /// variant, so the same code and status; a wrapped cause is carried as its text.
    pub fn for_another_caller(&self) -> Error {
        let text = |e: &anyhow::Error| anyhow::anyhow!("{e:#}");
        match self {
            Error::Invalid { code, message } => Error::invalid(*code, message.clone()),
            Error::InvalidFields(fields) => Error::InvalidFields(fields.clone()),
            Error::Unauthenticated { code, message } => {
                Error::unauthenticated(*code, message.clone())
            }
            Error::Forbidden { code, message } => Error::forbidden(*code, message.clone()),
            Error::NotFound { code, message } => Error::not_found(*code, message.clone()),
            Error::Conflict { code, message } => Error::conflict(*code, message.clone()),
            Error::SeatUnavailable { seat_ids } => Error::SeatUnavailable {
                seat_ids: seat_ids.clone(),
            },
            Error::CustomerLimit { limit, remaining } => Error::CustomerLimit {
                limit: *limit,
                remaining: *remaining,
            },
            Error::NoAdjacentSeats { quantity } => Error::NoAdjacentSeats {
                quantity: *quantity,
            },
            Error::UnknownSeats { seat_ids } => Error::UnknownSeats {
                seat_ids: seat_ids.clone(),
            },
            Error::Duplicate => Error::Duplicate,
            Error::Unavailable(s) => Error::Unavailable(s.clone()),
            Error::Busy {
                code,
                retry_after_secs,
            } => Error::Busy {
                code: *code,
                retry_after_secs: *retry_after_secs,
            },
            Error::LineLost => Error::LineLost,
            Error::Contention(e) => Error::Contention(text(e)),
            Error::Database(e) => Error::Database(text(e)),
            Error::Internal(e) => Error::Internal(text(e)),
        }
    }

    /// True for transient database conflicts that are safe to retry from the start of the
    /// transaction (the store decides which those are: `crate::db::classify`).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Contention(_))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::ErrorCode;

    #[test]
    fn each_code_serialises_as_its_string() {
        let mut seen = BTreeSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert_eq!(serde_json::to_value(code).unwrap(), s, "{code:?}");
            assert_eq!(
                serde_json::from_value::<ErrorCode>(s.into()).unwrap(),
                *code
            );
            assert!(seen.insert(s), "{s} twice");
        }
    }

    /// Codes the contract (`shared/PROTOCOL.md`, v1.1) names for capabilities this server
    /// has not built yet. Building one means adding its code to [`ErrorCode`] and removing it
    /// here.
    const CONTRACT_NOT_YET_BUILT: &[&str] = &[];

    /// A backticked span that is one bare snake_case word: `sold_out`, `internal`.
    fn bare_code(span: &str) -> Option<&str> {
        let ok = span.starts_with(|c: char| c.is_ascii_lowercase())
            && span.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        ok.then_some(span)
    }

    /// The error codes a Markdown document gives, in any of the forms the two documents
    /// write them:
    /// - every bare code in the section headed `## Errors`;
    /// - every bare code in a list item that speaks of error codes ("Error codes beyond
    ///   ...", "New error code ...");
    /// - the first cell of every table row of a table headed `| code |`;
    /// - anywhere, a status and a code together (`409 customer_limit`), and a Socket.IO ack
    ///   (`{ok:false, error:"rate_limited"}`).
    fn documented_codes(doc: &str) -> BTreeSet<String> {
        let mut codes = BTreeSet::new();
        // Split into blocks: a list item with its continuation lines, a table row, a heading.
        let mut blocks: Vec<(String, String)> = Vec::new(); // (section heading, text)
        let mut section = String::new();
        let mut in_code_table = false;
        for line in doc.lines() {
            if line.starts_with('#') {
                section = line.trim_start_matches('#').trim().to_string();
                blocks.push((section.clone(), line.to_string()));
                in_code_table = false;
            } else if line.starts_with('|') {
                let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
                if cells.first() == Some(&"code") {
                    in_code_table = true;
                } else if in_code_table {
                    if let Some(c) = cells
                        .first()
                        .and_then(|c| c.strip_prefix('`')?.strip_suffix('`'))
                        .and_then(bare_code)
                    {
                        codes.insert(c.to_string());
                    }
                }
                blocks.push((section.clone(), line.to_string()));
            } else if line.starts_with("  ") && !blocks.is_empty() && !line.trim().is_empty() {
                let last = blocks.last_mut().unwrap();
                last.1.push(' ');
                last.1.push_str(line.trim());
            } else {
                in_code_table = false;
                blocks.push((section.clone(), line.to_string()));
            }
        }
        for (section, text) in &blocks {
            let spans: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
            let lists_codes = section == "Errors"
                || (text.starts_with("- ") && text.to_lowercase().contains("error code"));
            for span in &spans {
                if lists_codes {
                    if let Some(c) = bare_code(span) {
                        codes.insert(c.to_string());
                    }
                }
                // `409 customer_limit`
                if let Some((status, rest)) = span.split_once(' ') {
                    if status.len() == 3
                        && (status.starts_with('4') || status.starts_with('5'))
                        && status.chars().all(|c| c.is_ascii_digit())
                    {
                        if let Some(c) = bare_code(rest) {
                            codes.insert(c.to_string());
                        }
                    }
                }
                // {ok:false, error:"rate_limited"}
                if let Some((_, rest)) = span.split_once("error:\"") {
                    if let Some(c) = rest.split('"').next().and_then(bare_code) {
                        codes.insert(c.to_string());
                    }
                }
            }
        }
        codes
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("the wire contract {} is needed: {e}", path.display()))
    }

    #[test]
    fn the_documented_codes_are_the_enum() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let contract = documented_codes(&read(&root.join("../shared/PROTOCOL.md")));
        let additions = documented_codes(&read(&root.join("docs/PROTOCOL-ADDITIONS.md")));
        // The parser finds the forms it should (a guard against it finding nothing).
        for c in [
            "not_admitted",
            "sold_out",
            "unknown_event",
            "customer_limit",
        ] {
            assert!(contract.contains(c), "PROTOCOL.md: {c} not found");
        }
        for c in [
            "malformed_json",
            "auth_busy",
            "line_recovering",
            "rate_limited",
        ] {
            assert!(
                additions.contains(c),
                "PROTOCOL-ADDITIONS.md: {c} not found"
            );
        }

        let ours: BTreeSet<String> = ErrorCode::ALL
            .iter()
            .map(|c| c.as_str().to_string())
            .collect();
        let documented: BTreeSet<String> = contract.union(&additions).cloned().collect();
        let unknown: Vec<_> = documented
            .iter()
            .filter(|c| !ours.contains(*c) && !CONTRACT_NOT_YET_BUILT.contains(&c.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "documented but not in ErrorCode: {unknown:?}"
        );
        let undocumented: Vec<_> = ours.difference(&documented).collect();
        assert!(
            undocumented.is_empty(),
            "in ErrorCode but documented nowhere (add them to docs/PROTOCOL-ADDITIONS.md): \
             {undocumented:?}"
        );
        for c in CONTRACT_NOT_YET_BUILT {
            assert!(contract.contains(*c), "{c} is no longer in the contract");
            assert!(
                !ours.contains(*c),
                "{c} is built now: take it off CONTRACT_NOT_YET_BUILT"
            );
        }
    }
}
