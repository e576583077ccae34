//! `boxoffice-load status`: how many seat-status snapshots per second a server hands to a
//! crowd of joiners, and how many bytes each costs, while the seats keep changing.
//!
//! The scenario (issue 17, "report status snapshots per second for 10,000 concurrent
//! joiners"): a stadium event (`--seats`, default 50,000 = 20 sections × 50 rows × 50 seats)
//! created through the admin API; `--joiners` concurrent clients (default 10,000), each on a
//! keep-alive HTTP connection of its own with `Accept-Encoding: gzip` as a browser sends it,
//! fetch the event's status snapshot over and over until `--seconds` run out; meanwhile
//! `--writers` buyers hold 1–4 random seats and cancel at once, so the snapshot changes all
//! the time (every change invalidates the server's encoded copy). `--form compact` asks
//! `GET /api/events/:id/seat-status`, `--form v1` the v1 `GET /api/events/:id/seats`, so
//! `bench/status.sh` can set one beside the other.
//!
//! It reports snapshots/s, latency p50/p99, bytes on the wire per snapshot (as received,
//! before decompression), and errors. Bounded: at most 20,000 joiners and 300 s, loopback
//! only (checked in `main`), and it stops by itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::quantile_ms;
use boxoffice::auth::{Jwt, Role};
use boxoffice::UserId;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

/// The most joiners one run starts.
pub const MAX_JOINERS: usize = 20_000;

/// How long after the run a fetch still under way may finish (and count).
const GRACE: Duration = Duration::from_secs(5);

/// File descriptors kept for everything but the joiners' connections.
const FD_HEADROOM: u64 = 256;

/// Which snapshot the joiners fetch.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Form {
    /// `GET /api/events/:id/seat-status` (2 bits a seat, versions run-length encoded).
    Compact,
    /// The v1 `GET /api/events/:id/seats` (every seat as an object).
    V1,
}

#[derive(clap::Args)]
pub struct Options {
    /// Concurrent joiners, each on a keep-alive connection of its own (bounded: 20,000).
    #[arg(long, default_value_t = 10_000)]
    pub joiners: usize,
    /// How long the joiners fetch, in seconds (bounded: at most 300).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seats in the event: sections of 50 rows × 50 seats (the last one shorter).
    #[arg(long, default_value_t = 50_000)]
    pub seats: usize,
    /// Buyers holding and cancelling random seats meanwhile (0: the snapshot never changes).
    #[arg(long, default_value_t = 4)]
    pub writers: usize,
    #[arg(long, value_enum, default_value_t = Form::Compact)]
    pub form: Form,
    /// Use this existing event instead of creating one.
    #[arg(long)]
    pub event: Option<String>,
    /// Send `Accept-Encoding: gzip` (as browsers do); `false` asks for identity.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub gzip: bool,
    /// Connections opened at once while the joiners start.
    #[arg(long, default_value_t = 512)]
    pub connect_concurrency: usize,
}

#[derive(Default)]
struct Tally {
    snapshots: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
    /// Fetches still unanswered [`GRACE`] after the run ended.
    unfinished: AtomicU64,
    holds: AtomicU64,
    cancels: AtomicU64,
}

// Over 80 lines on purpose, like `holds`: one benchmark scenario (event, joiners, writers,
// the clock, the report), read top to bottom like the figures it prints.
pub async fn run(url: &str, jwt: &Jwt, opts: Options) -> anyhow::Result<()> {
    let requested = opts.joiners.clamp(1, MAX_JOINERS);
    let nofile = super::fanout::raise_nofile(requested as u64 + FD_HEADROOM);
    let joiners = requested.min(nofile.saturating_sub(FD_HEADROOM) as usize);
    if joiners < requested {
        eprintln!(
            "warning: RLIMIT_NOFILE is {nofile}: starting {joiners} joiners instead of {requested}"
        );
    }
    if joiners == 0 {
        bail!("no file descriptors left for connections (RLIMIT_NOFILE {nofile})");
    }
    let seconds = opts.seconds.clamp(1, 300);
    let setup = super::http_client(opts.writers.max(4))?;
    let event_id = match &opts.event {
        Some(id) => id.clone(),
        None => stadium_event(&setup, url, jwt, opts.seats).await?,
    };
    let seat_ids = seat_ids(&setup, url, &event_id).await?;
    let (path, form) = match opts.form {
        Form::Compact => (
            format!("{url}/api/events/{event_id}/seat-status"),
            "compact",
        ),
        Form::V1 => (format!("{url}/api/events/{event_id}/seats"), "v1"),
    };
    println!(
        "event {event_id}: {} seats; {joiners} joiners fetching the {form} snapshot{} for {seconds} s; {} writers holding and cancelling",
        seat_ids.len(),
        if opts.gzip { " (Accept-Encoding: gzip)" } else { "" },
        opts.writers
    );

    // One client per joiner: a connection of its own, kept alive, as browsers each have.
    // (One shared pool would let joiners take turns on fewer connections.) No automatic
    // decompression: the bytes counted are those on the wire.
    let encoding = if opts.gzip { "gzip" } else { "identity" };
    let tally = Arc::new(Tally::default());
    let connecting = Arc::new(tokio::sync::Semaphore::new(opts.connect_concurrency.max(1)));
    let start = Arc::new(tokio::sync::Notify::new());
    let ready = Arc::new(AtomicU64::new(0));
    let deadline = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let mut tasks = Vec::with_capacity(joiners);
    for _ in 0..joiners {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(60))
            .build()?;
        let (path, tally, connecting) = (path.clone(), tally.clone(), connecting.clone());
        let (start, ready, deadline) = (start.clone(), ready.clone(), deadline.clone());
        let health = format!("{url}/api/health");
        tasks.push(tokio::spawn(async move {
            let fetch = |client: &reqwest::Client| {
                let req = client.get(&path).header("accept-encoding", encoding);
                async move {
                    let resp = req.send().await?.error_for_status()?;
                    anyhow::Ok(resp.bytes().await?.len() as u64)
                }
            };
            // Open the connection (a cheap request, not counted) before the clock starts.
            {
                let _permit = connecting.acquire().await;
                let _ = client.get(&health).send().await;
            }
            let notified = start.notified();
            ready.fetch_add(1, Ordering::Relaxed);
            notified.await;
            let end = deadline.lock().unwrap().expect("set before the start");
            let mut latencies = Vec::new();
            while Instant::now() < end {
                let t0 = Instant::now();
                // A fetch still waiting when the run is over is given up, not an error: a
                // server that cannot keep up shows as fewer snapshots and "unfinished".
                let grace = tokio::time::Instant::from_std(end + GRACE);
                match tokio::time::timeout_at(grace, fetch(&client)).await {
                    Ok(Ok(n)) => {
                        latencies.push(t0.elapsed().as_micros() as u64);
                        tally.snapshots.fetch_add(1, Ordering::Relaxed);
                        tally.bytes.fetch_add(n, Ordering::Relaxed);
                    }
                    Ok(Err(_)) => {
                        tally.errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(_) => {
                        tally.unfinished.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let opening = Instant::now();
    while (ready.load(Ordering::Relaxed) as usize) < joiners {
        if opening.elapsed() > Duration::from_secs(180) {
            bail!("joiners did not connect within 180 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "{joiners} joiners connected in {:.1} s",
        opening.elapsed().as_secs_f64()
    );

    let end = Instant::now() + Duration::from_secs(seconds);
    *deadline.lock().unwrap() = Some(end);
    let started = Instant::now();
    start.notify_waiters();
    let seat_ids = Arc::new(seat_ids);
    let mut writers = Vec::new();
    for w in 0..opts.writers {
        let token = jwt.issue(
            &UserId::parse(format!("status-writer-{w}"))?,
            Role::User,
            None,
        )?;
        let (client, url, event_id) = (setup.clone(), url.to_string(), event_id.clone());
        let (seat_ids, tally) = (seat_ids.clone(), tally.clone());
        writers.push(tokio::spawn(async move {
            write_loop(&client, &url, &token, &event_id, &seat_ids, &tally, end).await
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    for w in writers {
        w.await?;
    }
    latencies.sort_unstable();
    let pct = |p: f64| quantile_ms(&latencies, p);
    let snapshots = tally.snapshots.load(Ordering::Relaxed);
    let bytes = tally.bytes.load(Ordering::Relaxed);
    let errors = tally.errors.load(Ordering::Relaxed);
    let unfinished = tally.unfinished.load(Ordering::Relaxed);
    println!(
        "status: {snapshots} {form} snapshots in {elapsed:.2} s = {:.0} snapshots/s; {:.0} bytes per snapshot; latency ms: p50 {:.2}, p99 {:.2}; {errors} errors, {unfinished} unfinished",
        snapshots as f64 / elapsed,
        bytes as f64 / snapshots.max(1) as f64,
        pct(0.5),
        pct(0.99),
    );
    println!(
        "writers: {} holds and {} cancels ({:.0} changes/s)",
        tally.holds.load(Ordering::Relaxed),
        tally.cancels.load(Ordering::Relaxed),
        (tally.holds.load(Ordering::Relaxed) + tally.cancels.load(Ordering::Relaxed)) as f64
            / elapsed
    );
    if errors > 0 {
        bail!("{errors} snapshot fetches failed");
    }
    Ok(())
}

/// Creates an event of `seats` seats in sections of 50 × 50 (the issue's stadium: 50,000 =
/// 20 sections); returns its id.
async fn stadium_event(
    client: &reqwest::Client,
    url: &str,
    jwt: &Jwt,
    seats: usize,
) -> anyhow::Result<String> {
    let rows = seats.div_ceil(50).max(1);
    let sections: Vec<Value> = (0..rows.div_ceil(50))
        .map(|i| {
            json!({"name": format!("S{}", i + 1), "rows": (rows - i * 50).min(50),
                "seatsPerRow": 50, "ticketTypeIndex": 0})
        })
        .collect();
    let t0 = Instant::now();
    let id = super::create_event(
        client,
        url,
        jwt,
        json!({
            "name": format!("Status load {}", uuid::Uuid::new_v4().simple()),
            "startsAt": "2030-01-01T20:00:00Z",
            "capacity": 10_000_000,
            "holdSeconds": 600,
            "ticketTypes": [{"name": "Seat", "price": 1000}],
            "seatMap": {"sections": sections}
        }),
    )
    .await?;
    println!("created the event in {:.2} s", t0.elapsed().as_secs_f64());
    Ok(id)
}

async fn seat_ids(
    client: &reqwest::Client,
    url: &str,
    event_id: &str,
) -> anyhow::Result<Vec<String>> {
    let list: Value = client
        .get(format!("{url}/api/events/{event_id}/seats"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(list["seats"]
        .as_array()
        .context("seats")?
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect())
}

/// One writer: hold 1–4 random seats, cancel at once, until `end`.
async fn write_loop(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    event_id: &str,
    seat_ids: &[String],
    tally: &Tally,
    end: Instant,
) {
    let mut admission = String::new();
    while Instant::now() < end {
        if admission.is_empty() {
            admission = super::join(client, url, token, event_id)
                .await
                .unwrap_or_default();
        }
        let wanted: Vec<String> = {
            let mut rng = rand::thread_rng();
            let n = rng.gen_range(1..=4);
            seat_ids.choose_multiple(&mut rng, n).cloned().collect()
        };
        let resp = client
            .post(format!("{url}/api/seats/reserve"))
            .bearer_auth(token)
            .header("x-admission-token", &admission)
            .json(&json!({"eventId": event_id, "seatIds": wanted}))
            .send()
            .await;
        let Ok(resp) = resp else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        match resp.status().as_u16() {
            201 => {
                tally.holds.fetch_add(1, Ordering::Relaxed);
                let body: Value = resp.json().await.unwrap_or_default();
                if let Some(id) = body["reservation"]["id"].as_str() {
                    let ok = client
                        .delete(format!("{url}/api/reservations/{id}"))
                        .bearer_auth(token)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if ok {
                        tally.cancels.fetch_add(1, Ordering::Relaxed);
                        admission.clear();
                    }
                }
            }
            403 => admission.clear(),
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}
