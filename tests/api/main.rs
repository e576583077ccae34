//! Boxoffice's integration tests: one test binary, so the crate is linked once rather than
//! once per area (`cargo test --test api`, or `cargo test --test api orders::` for one area).
//!
//! Each module is one area, driven over real HTTP against a server on 127.0.0.1:0 (most
//! scenarios twice: on SQLite and PostgreSQL, or with the line in memory and in Redis);
//! [`helpers`] is the shared harness and its `on_both_databases!` / `on_both_lines!` macros.

#[macro_use]
mod helpers;

mod auth_and_startup;
mod bad_input;
mod bot_check;
mod expiry;
mod line_recovery;
mod never_oversell;
mod orders;
mod waiting_room;
mod waiting_room_scale;
