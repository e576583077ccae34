//! The join combiner: joins of one event that arrive together share one call of the line.
//!
//! On sale, thousands of people join the same event's line within seconds. With the line in
//! Redis each join was its own `line.lua` call: one round trip, and the script's fixed cost
//! (loading its keys, expiring idle shoppers, the pre-sale check) paid per join. Here a join
//! goes out at once when no call for its event is under way; joins that arrive while one is
//! go together in the next call ([`Line::join_all`]), so the batch grows with the load and a
//! lone join never waits for a window. Each joiner gets their own place, exactly as if the
//! joins had been separate calls in arrival order at the moment the batch went out (the
//! line's rules run per joiner: re-joining keeps the place, the surge switch, capacity,
//! claims during a recovery). A batch that fails fails only its own joiners, each with the
//! batch's error ([`Error::for_another_caller`]), so `LineLost` still makes each caller
//! rebuild and retry. A line that answers in this process ([`Line::combines_joins`] false:
//! the embedded line) is called directly: combining would only add a task switch per join
//! (measured: 0.79× the joins per second with the combiner).
//!
//! The calls run in a task of their own, not in a caller's request: a client that hangs up
//! cancels only its own wait, never the batch that carries the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::line::{At, Joiner, Line, LineSettings, Place};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::EventId;

/// Most joins in one call: a bigger batch holds Redis (one script at a time) longer.
pub const MAX_BATCH: usize = 256;
/// Idle events' queues are forgotten once this many are known.
const MAX_IDLE_QUEUES: usize = 1024;

/// Joins, combined per event. Cheap to clone (one shared state).
#[derive(Clone)]
pub struct Joins(Arc<Inner>);

struct Inner {
    line: Arc<dyn Line>,
    clock: Clock,
    queues: Mutex<HashMap<EventId, Arc<Queue>>>,
}

/// One event's joins waiting for the next call.
struct Queue {
    event_id: EventId,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A task is calling the line for this event (it takes whatever is queued when done).
    busy: bool,
    /// The event's line settings, as the last joiner brought them (the newest: an
    /// administrator may change them).
    settings: Option<Arc<LineSettings>>,
    joiners: Vec<Joiner>,
    replies: Vec<oneshot::Sender<Result<Place>>>,
}

impl Joins {
    pub fn new(line: Arc<dyn Line>, clock: Clock) -> Self {
        Joins(Arc::new(Inner {
            line,
            clock,
            queues: Mutex::default(),
        }))
    }

    /// Joins `event_id`'s line: in the next call for the event, which goes at once if none
    /// is under way. `Err` is the error of the call that carried this join.
    pub async fn join(
        &self,
        event_id: &EventId,
        settings: &Arc<LineSettings>,
        joiner: Joiner,
    ) -> Result<Place> {
        if !self.0.line.combines_joins() {
            let at = At {
                event_id: event_id.as_str(),
                now: self.0.clock.now_ms(),
                settings,
            };
            return self.0.line.join(at, &joiner.user_id, joiner.claim).await;
        }
        let queue = self.queue(event_id);
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut st = queue.state.lock().expect("join queue lock");
            st.settings = Some(settings.clone());
            st.joiners.push(joiner);
            st.replies.push(reply);
            !std::mem::replace(&mut st.busy, true)
        };
        if start {
            tokio::spawn(self.clone().drive(queue));
        }
        answer.await.unwrap_or_else(|_| {
            Err(Error::Internal(anyhow::anyhow!(
                "the call carrying this join ended without an answer"
            )))
        })
    }

    fn queue(&self, event_id: &EventId) -> Arc<Queue> {
        let mut queues = self.0.queues.lock().expect("join queues lock");
        if let Some(q) = queues.get(event_id) {
            return q.clone();
        }
        if queues.len() >= MAX_IDLE_QUEUES {
            // A queue in use (busy, or held by a caller about to push) stays.
            queues.retain(|_, q| {
                Arc::strong_count(q) > 1 || q.state.lock().expect("join queue lock").busy
            });
        }
        let q = Arc::new(Queue {
            event_id: event_id.clone(),
            state: Mutex::default(),
        });
        queues.insert(event_id.clone(), q.clone());
        q
    }

    /// Calls the line with everything queued for the event, again and again, until nothing
    /// is left; then the next join starts a call of its own.
    async fn drive(self, queue: Arc<Queue>) {
        // Should a call panic, its joiners get an error (their replies are dropped) and the
        // queue is not left busy for ever: the guard passes the rest to a new task.
        let mut guard = Busy {
            queue: &queue,
            joins: &self,
            done: false,
        };
        loop {
            let (settings, joiners, replies) = {
                let mut st = queue.state.lock().expect("join queue lock");
                if st.joiners.is_empty() {
                    st.busy = false;
                    guard.done = true;
                    return;
                }
                let n = st.joiners.len().min(MAX_BATCH);
                let settings = st.settings.clone().expect("set with the first joiner");
                let joiners: Vec<Joiner> = st.joiners.drain(..n).collect();
                let replies: Vec<_> = st.replies.drain(..n).collect();
                (settings, joiners, replies)
            };
            let at = At {
                event_id: queue.event_id.as_str(),
                now: self.0.clock.now_ms(),
                settings: &settings,
            };
            match self.0.line.join_all(at, &joiners).await {
                Ok(places) if places.len() == replies.len() => {
                    for (reply, place) in replies.into_iter().zip(places) {
                        let _ = reply.send(Ok(place));
                    }
                }
                Ok(places) => {
                    let e = Error::Internal(anyhow::anyhow!(
                        "the line answered {} places for {} joins",
                        places.len(),
                        replies.len()
                    ));
                    for reply in replies {
                        let _ = reply.send(Err(e.for_another_caller()));
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(e.for_another_caller()));
                    }
                }
            }
        }
    }
}

/// Leaves the queue in order if a call panics or its task is dropped mid-call.
struct Busy<'a> {
    queue: &'a Arc<Queue>,
    joins: &'a Joins,
    done: bool,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut st = self.queue.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.joiners.is_empty() {
            st.busy = false;
        } else if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(self.joins.clone().drive(self.queue.clone()));
        } else {
            st.busy = false;
            st.joiners.clear();
            st.replies.clear();
        }
    }
}

#[cfg(test)]
mod tests;
