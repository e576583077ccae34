//! The line itself: one trait, two implementations chosen at start-up ([`MemoryLine`] in
//! one process, [`RedisLine`] shared by instances). Both follow the same rules, and the
//! tests run the same scenarios against both.
//!
//! This is the line's store, so, like SQL, it takes ids as plain strings: the waiting room
//! passes [`EventId`](crate::ids::EventId)s and [`UserId`](crate::ids::UserId)s in with
//! `as_str()`, and takes the ids the store lists back as ids it once put there.
//!
//! [`MemoryLine`]: super::memory::MemoryLine
//! [`RedisLine`]: super::redis::RedisLine

use async_trait::async_trait;

use crate::clock::Millis;
use crate::error::{Error, Result};

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
    /// Who the line lets in, and how (the event's `salesPaused` and `waitingRoom`).
    pub gate: Gate,
}

/// Who a line lets in, and how: the event's `waitingRoom` mode, or `Paused` while its sales
/// are paused (whatever the mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gate {
    /// Straight in while there is room and nobody waits; otherwise a number.
    #[default]
    Auto,
    /// Every joiner takes a number and waits for a tick, even with free capacity.
    On,
    /// Every joiner is admitted at once, whatever the capacity; ticks admit whoever waits
    /// (boundedly per tick) with no rate or capacity limit.
    Off,
    /// Nobody is admitted; joins still take numbers, and keep them.
    Paused,
}

/// With the waiting room off, the most one tick lets in.
pub const OFF_PER_TICK: usize = 1000;

impl Gate {
    pub fn of(sales_paused: bool, mode: crate::inventory::WaitingRoomMode) -> Gate {
        use crate::inventory::WaitingRoomMode;
        match (sales_paused, mode) {
            (true, _) => Gate::Paused,
            (false, WaitingRoomMode::Auto) => Gate::Auto,
            (false, WaitingRoomMode::On) => Gate::On,
            (false, WaitingRoomMode::Off) => Gate::Off,
        }
    }

    /// As `line.lua` reads it (ARGV 11).
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Auto => "auto",
            Gate::On => "on",
            Gate::Off => "off",
            Gate::Paused => "paused",
        }
    }

    /// A joiner who is not in line may go straight in, given whether anyone waits and
    /// whether there is room.
    pub fn admits_at_once(self, nobody_waits: bool, room: bool) -> bool {
        match self {
            Gate::Off => true,
            Gate::Auto => nobody_waits && room,
            Gate::On | Gate::Paused => false,
        }
    }
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
    /// Joined while the line was being rebuilt after a loss: behind everyone restored, with
    /// an estimated `position` until the recovery window closes and numbers are given out.
    Pending { position: i64, waiting: i64 },
    /// May shop now, until the turn ends (or they pay, leave or idle). `waiting`: everyone
    /// in line behind the shoppers at that moment.
    Admitted { turn_ends_at: Millis, waiting: i64 },
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
    /// The line's epoch: it changes when the line is rebuilt after its state was lost.
    pub epoch: String,
    /// The highest number given out.
    pub next: i64,
    /// Inside a recovery window (receipts restore numbers; newcomers wait behind them).
    pub recovering: bool,
}

#[derive(Clone, Debug, Default)]
pub struct LineSummary {
    pub active_shoppers: i64,
    pub waiting: i64,
    pub presale: i64,
    pub serving: i64,
    pub rate: f64,
    pub recovering: bool,
}

/// What a join brings from an earlier place in line (read from a verified receipt).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    None,
    /// Joined before the sale opened (no number yet).
    Presale,
    Number(i64),
}

impl Claim {
    /// The claim as `line.lua` reads it: -1 none, 0 pre-sale, else the number.
    pub fn code(self) -> i64 {
        match self {
            Claim::None => -1,
            Claim::Presale => 0,
            Claim::Number(n) => n.max(1),
        }
    }
}

/// One join of a batch ([`Line::join_all`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joiner {
    pub user_id: String,
    pub claim: Claim,
}

/// What an instance remembers of a line whose state was lost, to rebuild it from.
#[derive(Clone, Debug)]
pub struct Recovery {
    /// The epoch to give the rebuilt line.
    pub new_epoch: String,
    /// The epoch seen lost ("" when none was left): another instance that already rebuilt
    /// the line under a new epoch is merged with, not overwritten.
    pub seen_epoch: String,
    /// Highest number given out and highest serving number anyone saw.
    pub next: i64,
    pub serving: i64,
    /// Active shoppers: their slots stay reserved until they come back or `reserve_ms` ends.
    pub active: i64,
    /// How long receipts restore numbers (newcomers wait behind them meanwhile).
    pub window_ms: i64,
    /// How long admission pauses so people can come back in any order.
    pub pause_ms: i64,
    pub reserve_ms: i64,
}
/// Every operation but [`Line::init`] and [`Line::recover`] fails with
/// [`Error::LineLost`](crate::error::Error::LineLost) when the line's state is gone (its
/// epoch is missing): nothing is numbered again until the caller has decided whether the line
/// is new or must be rebuilt.
#[async_trait]
pub trait Line: Send + Sync + 'static {
    /// Joins the line, or admits at once when there is room and nobody waits. Joining again
    /// keeps the first place. During a recovery window a `claim` restores its number.
    async fn join(&self, at: At<'_>, user_id: &str, claim: Claim) -> Result<Place> {
        let joiner = Joiner {
            user_id: user_id.to_string(),
            claim,
        };
        let mut places = self.join_all(at, std::slice::from_ref(&joiner)).await?;
        match (places.pop(), places.is_empty()) {
            (Some(place), true) => Ok(place),
            _ => Err(Error::Internal(anyhow::anyhow!(
                "a join of one answered another number of places"
            ))),
        }
    }
    /// Whether joins arriving together should share one call ([`super::joins`]). Worth it
    /// where a call costs a round trip (Redis); a line in this process answers a join faster
    /// than handing it to another task, so it says no.
    fn combines_joins(&self) -> bool {
        true
    }
    /// [`Line::join`] for each joiner in turn, atomically: one place per joiner, in order,
    /// exactly as many separate joins at the same moment would have answered (a user twice
    /// in the batch gets the first place twice). The whole batch succeeds or fails.
    async fn join_all(&self, at: At<'_>, joiners: &[Joiner]) -> Result<Vec<Place>>;
    async fn status(&self, at: At<'_>, user_id: &str) -> Result<Place>;
    /// Leaves the line, or gives the slot back.
    async fn leave(&self, at: At<'_>, user_id: &str) -> Result<()>;
    /// The shopper is done (paid): the slot goes to the next in line.
    async fn release(&self, at: At<'_>, user_id: &str) -> Result<()>;
    /// True if the user holds a slot; renews the slot's idle timer (not the turn's end).
    async fn touch(&self, at: At<'_>, user_id: &str) -> Result<bool>;
    /// After a loss: a shopper whose admission token is valid until `turn_ends_at` takes a
    /// reserved slot again. True if they hold a slot now.
    async fn reinstate(&self, at: At<'_>, user_id: &str, turn_ends_at: Millis) -> Result<bool>;
    /// Starts a new line with `epoch`, unless one exists; returns the epoch in force.
    async fn init(&self, at: At<'_>, epoch: &str) -> Result<String>;
    /// Rebuilds a lost line (or merges into one another instance rebuilt); returns the epoch.
    async fn recover(&self, at: At<'_>, r: &Recovery) -> Result<String>;
    /// Admits the next people in line, as many as the rate and free capacity allow.
    async fn tick(&self, at: At<'_>) -> Result<Tick>;
    async fn summary(&self, at: At<'_>) -> Result<LineSummary>;
    /// Events whose lines need ticking.
    async fn lines(&self) -> Result<Vec<String>>;
}
