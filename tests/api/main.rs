//! Boxoffice's integration tests: one test binary, so the crate is linked once rather than
//! once per area (`cargo test --test api`, or `cargo test --test api orders::` for one area).
//!
//! Each module is one area, driven over real HTTP against a server on 127.0.0.1:0 (most
//! scenarios twice: on SQLite and PostgreSQL, or with the line in memory and in Redis);
//! [`helpers`] is the shared harness and its `on_both_databases!` / `on_both_lines!` macros.
//! The crate's test hooks (`Config::for_tests`, the manual clock, `build_with_clock`) come
//! from its `test-util` feature, which the dev-dependency on itself turns on.

#[macro_use]
mod helpers;

mod admin_console;
mod auth_and_startup;
mod bad_input;
mod best_available;
mod bot_check;
mod currency;
mod expiry;
mod line_recovery;
mod live_figures;
mod logging;
mod metrics;
mod never_oversell;
mod operating;
mod orders;
mod seat_geometry;
mod seat_status;
mod tls;
mod waiting_room;
mod waiting_room_joins;
mod waiting_room_scale;
mod waitlist;
