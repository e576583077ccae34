//! The line itself: one trait, two implementations chosen at start-up ([`MemoryLine`] in
//! one process, [`RedisLine`] shared by instances). Both follow the same rules, and the
//! tests run the same scenarios against both.
//!
//! [`MemoryLine`]: super::memory::MemoryLine
//! [`RedisLine`]: super::redis::RedisLine

use async_trait::async_trait;

use crate::clock::Millis;
use crate::error::Result;

/// An event's line settings, read from the event.
#[derive(Clone, Debug)]
pub struct LineSettings {
    /// Most shoppers admitted at once.
    pub capacity: i64,
    /// Admissions per second when people wait.
    pub admit_rate_per_sec: f64,
    /// An admitted shopper idle this long loses the slot.
    pub idle_ms: i64,
    /// A shopper's turn lasts this long from admission, however active they are (the
    /// event's admission lifetime): cancelling and re-picking within it keeps the turn.
    pub turn_ms: i64,
    /// Joiners before this are shuffled into a random order when it comes.
    pub sale_opens_at: Millis,
    /// How often instances tick the line.
    pub tick_ms: i64,
}

/// One event's line at one moment: what every operation on it needs.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    pub event_id: &'a str,
    pub now: Millis,
    pub settings: &'a LineSettings,
}

/// Where a user stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    /// May shop now, until the turn ends (or they pay, leave or idle).
    Admitted { turn_ends_at: Millis },
    /// In line with ticket `number`; place = number - serving.
    Waiting {
        number: i64,
        serving: i64,
        waiting: i64,
        /// Measured admissions per second (moving average).
        rate: f64,
        /// Shoppers holding a slot now: at capacity, the line moves only as they finish.
        active: i64,
    },
    /// Joined before the sale opened: will get a random place when it opens.
    Presale { waiting: i64 },
    /// Not in line.
    Absent { waiting: i64 },
}

/// What one tick did.
#[derive(Clone, Debug, Default)]
pub struct Tick {
    /// Another instance ticked this line moments ago; this tick did nothing.
    pub skipped: bool,
    pub serving: i64,
    pub waiting: i64,
    /// People who joined before the sale opened and have no number yet.
    pub presale: i64,
    /// Measured admissions per second (moving average, 5 s time constant).
    pub rate: f64,
    pub active_shoppers: i64,
    /// Users admitted by this tick, in line order.
    pub admitted: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct LineSummary {
    pub active_shoppers: i64,
    pub waiting: i64,
    pub presale: i64,
    pub serving: i64,
    pub rate: f64,
}

#[async_trait]
pub trait Line: Send + Sync + 'static {
    /// Joins the line, or admits at once when there is room and nobody waits. Joining again
    /// keeps the first place.
    async fn join(&self, at: At<'_>, user_id: &str) -> Result<Place>;
    async fn status(&self, at: At<'_>, user_id: &str) -> Result<Place>;
    /// Leaves the line, or gives the slot back.
    async fn leave(&self, at: At<'_>, user_id: &str) -> Result<()>;
    /// The shopper is done (paid): the slot goes to the next in line.
    async fn release(&self, at: At<'_>, user_id: &str) -> Result<()>;
    /// True if the user holds a slot; renews the slot's idle timer (not the turn's end).
    async fn touch(&self, at: At<'_>, user_id: &str) -> Result<bool>;
    /// Admits the next people in line, as many as the rate and free capacity allow.
    async fn tick(&self, at: At<'_>) -> Result<Tick>;
    async fn summary(&self, at: At<'_>) -> Result<LineSummary>;
    /// Events whose lines need ticking.
    async fn lines(&self) -> Result<Vec<String>>;
}
