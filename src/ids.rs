//! Typed ids: [`EventId`], [`UserId`], [`SeatId`], [`TicketTypeId`], [`ReservationId`].
//!
//! Why one module of newtypes instead of `String`s: the domain's calls take several ids at
//! once, and with plain strings swapping two of them compiles (`hold_seats(user_id,
//! event_id, …)` stood next to `join(event_id, user_id)`). With a type per kind of id a
//! swap is a compile error, and an id can only be made by parsing it where it arrives
//! (zero2prod's "parse, don't validate"): the HTTP edge's paths and bodies, Socket.IO
//! payloads, a verified token's subject. Parsing checks the length (1 to `MAX_LEN`
//! characters; `400 invalid_id` otherwise), so everything past the edge can bind an id to a
//! query as it is.
//!
//! The wire does not change: an id serializes as the bare string, and deserializes only if
//! it parses. Ids read back from the crate's own stores (SQL rows through sqlx's
//! `Decode`, Redis through `from_store`) are taken as they are:
//! only parsed or generated ids were ever written there.
//!
//! One argument order everywhere: the event (or, for a reservation's own calls, the
//! reservation) first, then the user, then what the call is about
//! (`hold_seats(event, user, seats, …)`, `join(event, user, claim)`,
//! `pay(reservation, user)`).

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorCode, Result};

/// Longest id we accept from a client. Ours are 32 hex characters; anything much longer is
/// garbage and is refused before it reaches a query.
pub const MAX_ID_LEN: usize = 64;

/// Longest user id a session may carry: sessions may come from any issuer that shares
/// `JWT_SECRET`, and such subjects were always accepted up to this length.
pub const MAX_USER_ID_LEN: usize = 128;

macro_rules! ids {
    ($($(#[doc = $doc:literal])* $name:ident, $kind:literal, $max:expr;)*) => {$(
        $(#[doc = $doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// What the id names, as error messages say it.
            pub const KIND: &'static str = $kind;
            /// The longest id of this kind that parses.
            pub const MAX_LEN: usize = $max;

            /// An id that arrived from outside, checked for length (`400 invalid_id`).
            pub fn parse(id: impl Into<String>) -> Result<Self> {
                let id = id.into();
                if id.is_empty() || id.len() > Self::MAX_LEN {
                    return Err(Error::invalid(
                        ErrorCode::InvalidId,
                        format!("{} id must be 1-{} characters", Self::KIND, Self::MAX_LEN),
                    ));
                }
                // No id of ours has a control character, and PostgreSQL's text refuses NUL
                // (it was a 500 where a 400 is due).
                if id.chars().any(char::is_control) {
                    return Err(Error::invalid(
                        ErrorCode::InvalidId,
                        format!("{} id must not hold control characters", Self::KIND),
                    ));
                }
                Ok($name(id))
            }

            /// A fresh id (a UUIDv7 as 32 hex characters: time-ordered, unguessable).
            #[allow(dead_code)] // seats are named after their event and position instead
            pub(crate) fn generate() -> Self {
                $name(uuid::Uuid::now_v7().simple().to_string())
            }

            /// An id read back from one of the crate's own stores, which only ever hold ids
            /// that were parsed or generated.
            #[allow(dead_code)] // not every kind is read back outside sqlx
            pub(crate) fn from_store(id: String) -> Self {
                $name(id)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;

            fn try_from(id: String) -> Result<Self> {
                $name::parse(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                $name::parse(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }

        /// In the OpenAPI document (`crate::http::openapi`): a string of 1 to `MAX_LEN`
        /// characters, under the id's own name.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .pattern(Some(r"^[^\u0000-\u001F\u007F-\u009F]+$"))
                    .description(Some(concat!($($doc),*).trim()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

ids! {
    /// An event's id.
    EventId, "event", MAX_ID_LEN;
    /// A user's id: a session's subject.
    UserId, "user", MAX_USER_ID_LEN;
    /// A seat's id (seats belong to one event).
    SeatId, "seat", MAX_ID_LEN;
    /// A ticket type's id (ticket types belong to one event).
    TicketTypeId, "ticket type", MAX_ID_LEN;
    /// A reservation's id (a hold, an order).
    ReservationId, "reservation", MAX_ID_LEN;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_by_length() {
        assert!(EventId::parse("").is_err());
        assert!(EventId::parse("e".repeat(MAX_ID_LEN + 1)).is_err());
        assert_eq!(EventId::parse("e1").unwrap().as_str(), "e1");
        assert!(SeatId::parse("s".repeat(MAX_ID_LEN)).is_ok());
        // Sessions from other issuers may carry longer subjects.
        assert!(UserId::parse("u".repeat(MAX_USER_ID_LEN)).is_ok());
        assert!(UserId::parse("u".repeat(MAX_USER_ID_LEN + 1)).is_err());
        let err = ReservationId::parse("").unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidId);
        assert_eq!(err.to_string(), "reservation id must be 1-64 characters");
    }

    #[test]
    fn ids_with_control_characters_do_not_parse() {
        // PostgreSQL refuses NUL in text: found by scripts/fuzz.sh as a 500.
        for bad in ["a\0b", "\0", "e\n1", "e\u{7f}"] {
            let err = EventId::parse(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidId, "{bad:?}");
        }
        assert!(EventId::parse("événement-1").is_ok());
    }

    #[test]
    fn the_wire_is_the_bare_string() {
        let id = TicketTypeId::parse("t1").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""t1""#);
        let back: TicketTypeId = serde_json::from_str(r#""t1""#).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<TicketTypeId>(r#""""#).is_err());
        assert_eq!(id.to_string(), "t1");
        assert_eq!(format!("{id:?}"), r#""t1""#);
    }

    #[test]
    fn generated_ids_parse() {
        let id = EventId::generate();
        assert_eq!(EventId::parse(id.as_str()).unwrap(), id);
    }
}
