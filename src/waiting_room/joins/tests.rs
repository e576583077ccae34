//! The combiner over the memory line, and over a line whose calls can be held and failed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::Semaphore;

use super::Joins;
use crate::clock::{Clock, Millis};
use crate::error::{Error, ErrorCode, Result};
use crate::ids::EventId;
use crate::waiting_room::line::{
    At, Claim, Joiner, Line, LineSettings, LineSummary, Place, Recovery, Tick,
};
use crate::waiting_room::memory::MemoryLine;

fn settings(capacity: i64) -> Arc<LineSettings> {
    Arc::new(LineSettings {
        capacity,
        admit_rate_per_sec: 10.0,
        idle_ms: 600_000,
        turn_ms: 600_000,
        sale_opens_at: 0,
        tick_ms: 200,
        gate: Default::default(),
    })
}

/// The memory line, counting its join calls; a call can be held until the test lets it go,
/// and the n-th call can be made to fail.
struct Held {
    inner: MemoryLine,
    /// Batch sizes, in call order.
    batches: Mutex<Vec<usize>>,
    /// Each join call first takes a permit (the test adds them).
    permits: Semaphore,
    /// Call number (0-based) -> the error it fails with.
    failures: Mutex<HashMap<usize, fn() -> Error>>,
}

impl Held {
    fn new(permits: usize) -> Self {
        Held {
            inner: MemoryLine::new(),
            batches: Mutex::default(),
            permits: Semaphore::new(permits),
            failures: Mutex::default(),
        }
    }

    fn batches(&self) -> Vec<usize> {
        self.batches.lock().unwrap().clone()
    }
}

#[async_trait]
impl Line for Held {
    async fn join_all(&self, at: At<'_>, joiners: &[Joiner]) -> Result<Vec<Place>> {
        let call = {
            let mut b = self.batches.lock().unwrap();
            b.push(joiners.len());
            b.len() - 1
        };
        self.permits.acquire().await.unwrap().forget();
        if let Some(fail) = self.failures.lock().unwrap().get(&call) {
            return Err(fail());
        }
        self.inner.join_all(at, joiners).await
    }
    async fn status(&self, at: At<'_>, user_id: &str) -> Result<Place> {
        self.inner.status(at, user_id).await
    }
    async fn leave(&self, at: At<'_>, user_id: &str) -> Result<()> {
        self.inner.leave(at, user_id).await
    }
    async fn release(&self, at: At<'_>, user_id: &str) -> Result<()> {
        self.inner.release(at, user_id).await
    }
    async fn touch(&self, at: At<'_>, user_id: &str) -> Result<bool> {
        self.inner.touch(at, user_id).await
    }
    async fn reinstate(&self, at: At<'_>, user_id: &str, turn_ends_at: Millis) -> Result<bool> {
        self.inner.reinstate(at, user_id, turn_ends_at).await
    }
    async fn init(&self, at: At<'_>, epoch: &str) -> Result<String> {
        self.inner.init(at, epoch).await
    }
    async fn recover(&self, at: At<'_>, r: &Recovery) -> Result<String> {
        self.inner.recover(at, r).await
    }
    async fn tick(&self, at: At<'_>) -> Result<Tick> {
        self.inner.tick(at).await
    }
    async fn summary(&self, at: At<'_>) -> Result<LineSummary> {
        self.inner.summary(at).await
    }
    async fn lines(&self) -> Result<Vec<String>> {
        self.inner.lines().await
    }
}

fn event() -> EventId {
    EventId::from_store("01a21c1a100b7223b797662d6c75ac97".to_string())
}

fn joiner(user: &str) -> Joiner {
    Joiner {
        user_id: user.to_string(),
        claim: Claim::None,
    }
}

async fn started(line: &Arc<Held>, s: &LineSettings) {
    let event = event();
    let at = At {
        event_id: event.as_str(),
        now: 0,
        settings: s,
    };
    line.init(at, "epoch").await.unwrap();
}

/// Lets the queued join calls go, one permit at a time, until `done` finishes.
async fn let_go<T>(line: &Arc<Held>, done: impl std::future::Future<Output = T>) -> T {
    tokio::pin!(done);
    loop {
        tokio::select! {
            out = &mut done => return out,
            _ = tokio::time::sleep(std::time::Duration::from_millis(2)) => line.permits.add_permits(1),
        }
    }
}

/// 40 users join 3 times each, all at once, with calls held so that joins pile up: fewer
/// calls than joins, and the places are those of one join after another: the first 5 are
/// admitted (capacity), the others numbered 1..35 without a gap or a repeat, and every
/// re-join answers the user's first place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joins_get_the_places_of_sequential_joins() {
    let s = settings(5);
    let line = Arc::new(Held::new(0));
    started(&line, &s).await;
    let joins = Joins::new(line.clone(), Clock::system());
    let mut tasks = Vec::new();
    for round in 0..3 {
        for u in 0..40 {
            let (joins, s) = (joins.clone(), s.clone());
            tasks.push(tokio::spawn(async move {
                let user = format!("user-{u:02}");
                let place = joins.join(&event(), &s, joiner(&user)).await;
                (round, user, place)
            }));
        }
    }
    let results = let_go(&line, futures::future::join_all(tasks)).await;
    let mut first: HashMap<String, Place> = HashMap::new();
    for r in &results {
        let (_, user, place) = r.as_ref().unwrap();
        let place = place.as_ref().unwrap().clone();
        match first.get(user) {
            // A re-join keeps the place (counters such as `waiting` may have moved on).
            Some(p) => assert_eq!(kind_and_number(p), kind_and_number(&place), "{user}"),
            None => {
                first.insert(user.clone(), place);
            }
        }
    }
    assert_eq!(first.len(), 40);
    let admitted = first
        .values()
        .filter(|p| matches!(p, Place::Admitted { .. }))
        .count();
    assert_eq!(admitted, 5, "capacity 5: five straight in");
    let numbers: HashSet<i64> = first
        .values()
        .filter_map(|p| match p {
            Place::Waiting { number, .. } => Some(*number),
            _ => None,
        })
        .collect();
    assert_eq!(numbers, (1..=35).collect(), "numbers 1..35, none twice");
    let batches = line.batches();
    assert_eq!(batches.iter().sum::<usize>(), 120, "every join in a call");
    assert!(
        batches.len() < 120,
        "joins that arrive during a call share the next: {batches:?}"
    );
    assert!(batches.iter().all(|b| *b <= super::MAX_BATCH));
}

fn kind_and_number(p: &Place) -> (&'static str, i64) {
    match p {
        Place::Admitted { .. } => ("admitted", 0),
        Place::Waiting { number, .. } => ("waiting", *number),
        Place::Presale { .. } => ("presale", 0),
        Place::Pending { .. } => ("pending", 0),
        Place::Absent { .. } => ("absent", 0),
    }
}

/// A lone join is not held back for company: the call goes as it arrives.
#[tokio::test]
async fn a_lone_join_goes_at_once() {
    let s = settings(5);
    let line = Arc::new(Held::new(1));
    started(&line, &s).await;
    let joins = Joins::new(line.clone(), Clock::system());
    let place = joins.join(&event(), &s, joiner("alone")).await.unwrap();
    assert!(matches!(place, Place::Admitted { .. }));
    assert_eq!(line.batches(), vec![1]);
}

/// The second call fails: the joins it carried get its error (the same code), and only
/// they: the joins of the first call and of the third get their places.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_fails_only_its_own_joins() {
    let s = settings(100);
    let line = Arc::new(Held::new(0));
    started(&line, &s).await;
    line.failures
        .lock()
        .unwrap()
        .insert(1, || Error::Unavailable("Redis went away".into()));
    let joins = Joins::new(line.clone(), Clock::system());
    let spawn = |user: String| {
        let (joins, s) = (joins.clone(), s.clone());
        tokio::spawn(async move { joins.join(&event(), &s, joiner(&user)).await })
    };
    // Call 1 carries "first" and is held; the next four wait for call 2.
    let first = spawn("first".into());
    while line.batches().is_empty() {
        tokio::task::yield_now().await;
    }
    let second: Vec<_> = (0..4).map(|i| spawn(format!("second-{i}"))).collect();
    // Give them time to queue behind the held call, then let call 1 go.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    line.permits.add_permits(1);
    assert!(first.await.unwrap().is_ok());
    while line.batches().len() < 2 {
        tokio::task::yield_now().await;
    }
    assert_eq!(line.batches()[1], 4, "the four queued joins went together");
    line.permits.add_permits(1);
    for j in second {
        let e = j.await.unwrap().unwrap_err();
        assert_eq!(e.code(), ErrorCode::ServiceUnavailable);
    }
    line.permits.add_permits(1);
    let third = spawn("third".into()).await.unwrap().unwrap();
    assert!(matches!(third, Place::Admitted { .. }));
    // The failed joins left nothing behind; joining again works.
    line.permits.add_permits(1);
    assert!(spawn("second-0".into()).await.unwrap().is_ok());
}

/// A lost line fails every join of the call with `LineLost` (each caller rebuilds and joins
/// again), not some other error.
#[tokio::test]
async fn a_lost_line_is_reported_to_each_joiner() {
    let s = settings(5);
    let line = Arc::new(Held::new(10));
    // Not started: the memory line answers LineLost.
    let joins = Joins::new(line.clone(), Clock::system());
    let e = joins.join(&event(), &s, joiner("u")).await.unwrap_err();
    assert!(matches!(e, Error::LineLost));
    let copy = Error::Internal(anyhow::anyhow!("boom")).for_another_caller();
    assert_eq!(copy.code(), ErrorCode::Internal);
}
