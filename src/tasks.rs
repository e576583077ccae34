//! Background work, owned by one [`Supervisor`].
//!
//! Boxoffice keeps a handful of loops running beside the server: the waiting-room ticker, the
//! task that counts cancellations as shoppers' activity, the hold-expiry and idempotency
//! sweeps, the real-time fan-out of changes and of the line, and the socket-lease heartbeat.
//! They are registered while the application is assembled but started only by
//! [`Supervisor::start`], after every fallible start-up step (binding the port, reaching
//! Redis), so a start that fails leaves nothing running. One cancellation token stops them
//! all: each loop checks it only between ticks, so on shutdown every task finishes the tick
//! it is in (a sweep commits, a batch is pushed) and then ends.
//! A task that panics, or returns while the server still runs, is logged at ERROR and started
//! again a second later: background work is never silently gone.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

type TaskFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type Make = Box<dyn FnMut(CancellationToken) -> TaskFuture + Send>;

/// How long a failed task waits before it is started again.
const RESTART_AFTER: Duration = Duration::from_secs(1);

struct Spec {
    name: &'static str,
    make: Make,
    /// Restart when it ends or panics before shutdown (loops); one-off tasks are not.
    restart: bool,
}

/// Owns every background task: registers them, starts them together, stops them together.
#[derive(Default)]
pub struct Supervisor {
    token: CancellationToken,
    pending: Vec<Spec>,
    running: Vec<(&'static str, JoinHandle<()>)>,
}

impl Supervisor {
    pub fn new() -> Self {
        Self::default()
    }

    /// A loop that runs until `token` is cancelled. `make` builds it (again, after a failure).
    pub fn keep<F, Fut>(&mut self, name: &'static str, mut make: F)
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.pending.push(Spec {
            name,
            make: Box::new(move |token| Box::pin(make(token))),
            restart: true,
        });
    }

    /// Runs `tick` every `period` until shutdown; a tick under way when shutdown comes
    /// finishes first.
    pub fn every<F, Fut>(&mut self, name: &'static str, period: Duration, tick: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let tick = Arc::new(tick);
        self.keep(name, move |token| {
            let tick = tick.clone();
            async move {
                let mut every = tokio::time::interval(period);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        biased;
                        _ = token.cancelled() => return,
                        _ = every.tick() => {}
                    }
                    tick().await;
                }
            }
        });
    }

    /// Runs `task` once, at start.
    pub fn once<Fut>(&mut self, name: &'static str, task: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut task = Some(task);
        self.pending.push(Spec {
            name,
            make: Box::new(move |_| match task.take() {
                Some(t) => Box::pin(t),
                None => Box::pin(async {}),
            }),
            restart: false,
        });
    }

    /// Starts everything registered so far.
    pub fn start(&mut self) {
        for spec in self.pending.drain(..) {
            let name = spec.name;
            let handle = tokio::spawn(run(spec, self.token.clone()));
            self.running.push((name, handle));
        }
    }

    /// Stops every task: each finishes its current tick, within `grace`; any still running
    /// then is aborted (and named in the log).
    pub async fn shutdown(self, grace: Duration) {
        self.token.cancel();
        let deadline = tokio::time::Instant::now() + grace;
        for (name, mut handle) in self.running {
            if tokio::time::timeout_at(deadline, &mut handle)
                .await
                .is_err()
            {
                tracing::warn!(
                    task = name,
                    "background task did not finish its tick in time; aborted"
                );
                handle.abort();
            }
        }
    }
}

async fn run(mut spec: Spec, token: CancellationToken) {
    loop {
        let task = (spec.make)(token.clone());
        let outcome = AssertUnwindSafe(task).catch_unwind().await;
        if token.is_cancelled() {
            return;
        }
        match outcome {
            Ok(()) if !spec.restart => return,
            Ok(()) => tracing::error!(
                task = spec.name,
                "background task stopped by itself; starting it again"
            ),
            Err(_) => tracing::error!(
                task = spec.name,
                restart = spec.restart,
                "background task panicked"
            ),
        }
        if !spec.restart {
            return;
        }
        tokio::select! {
            biased;
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(RESTART_AFTER) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_or_stops_is_started_again() {
        let starts = Arc::new(AtomicUsize::new(0));
        let mut tasks = Supervisor::new();
        let counted = starts.clone();
        tasks.keep("flaky", move |token| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 => panic!("first run fails"),
                    1 => {} // second run returns by itself
                    _ => token.cancelled().await,
                }
            }
        });
        tasks.start();
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(starts.load(Ordering::SeqCst), 3);
        tasks.shutdown(Duration::from_secs(1)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_lets_the_current_tick_finish() {
        let finished = Arc::new(AtomicUsize::new(0));
        let mut tasks = Supervisor::new();
        let done = finished.clone();
        tasks.every("slow tick", Duration::from_millis(100), move || {
            let done = done.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                done.fetch_add(1, Ordering::SeqCst);
            }
        });
        tasks.start();
        // The first tick starts at once and is half-way through when shutdown comes.
        tokio::time::sleep(Duration::from_millis(250)).await;
        tasks.shutdown(Duration::from_secs(5)).await;
        assert_eq!(
            finished.load(Ordering::SeqCst),
            1,
            "the tick under way finished"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_runs_before_start_and_one_off_tasks_run_once() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Supervisor::new();
        let r = runs.clone();
        tasks.once("once", async move {
            r.fetch_add(1, Ordering::SeqCst);
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 0, "registered, not started");
        tasks.start();
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        tasks.shutdown(Duration::from_secs(1)).await;
    }
}
