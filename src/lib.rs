//! Boxoffice: a real-time ticket on-sale server.
//!
//! The crate is laid out the way the system is:
//! - [`inventory`], [`waiting_room`] and [`admission`] are the domain (events, seats,
//!   holds; the line and who may shop);
//!   they know nothing of HTTP or Socket.IO and publish every committed change on a feed;
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
pub mod error;
pub mod http;
pub mod idempotency;
pub mod inventory;
pub mod metrics;
pub mod realtime;
pub mod startup;
pub mod state;
pub mod waiting_room;

pub use error::{Error, Result};
pub use http::app;
pub use startup::Application;
