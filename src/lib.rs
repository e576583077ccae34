//! Boxoffice: a real-time ticket on-sale server.
//!
//! The crate is laid out the way the system is:
//! - [`inventory`], [`waiting_room`], [`admission`] and [`shopping`] are the domain (events,
//!   seats, holds; the line and who may shop; the one way to hold, pay and cancel);
//!   they know nothing of HTTP or Socket.IO and publish every committed change on a feed;
//! - [`seat_status`] is the compact seat status (2 bits a seat) and the trait the HTTP edge
//!   reads it through from the real-time layer's snapshot cache;
//! - [`ids`] are the typed ids every domain call takes, parsed where they arrive;
//! - [`auth`] is identity (users, passwords, tokens);
//! - [`http`] is the REST edge, which parses input and calls the domain;
//! - [`realtime`] is Socket.IO, which consumes the domain's change feed;
//! - [`coord`] is state shared by instances (in memory, or Redis);
//! - [`startup`] wires configuration into a running server; `src/bin` is a thin `main`.

pub mod admission;
pub mod auth;
pub mod botcheck;
pub mod clock;
pub mod config;
pub mod coord;
pub mod db;
pub mod demo;
pub mod drain;
pub mod error;
pub mod health;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod inventory;
pub mod metrics;
pub mod realtime;
pub mod redis_client;
pub mod seat_status;
pub mod shopping;
pub mod startup;
pub mod state;
pub mod stats;
pub mod tasks;
pub mod waiting_room;

pub use error::{Error, Result};
pub use http::app;
pub use ids::{EventId, ReservationId, SeatId, TicketTypeId, UserId};
pub use startup::Application;
