//! Boxoffice's own load generator. It targets a running server (loopback only, by design of
//! the tests and benchmarks that use it), runs for a bounded time, and prints medians.
//!
//! `boxoffice-load holds` measures seat holds per second under contention: it creates an
//! event through the admin API (minting tokens with the shared JWT secret, as any issuer
//! sharing `JWT_SECRET` may), then `--concurrency` buyers each loop: hold 1–4 random seats
//! from a pool of `--seats`, and (with `--release`, the default) cancel the hold at once so
//! the pool never drains and contention stays constant.
//!
//! `boxoffice-load fanout` measures Socket.IO fan-out (delivery latency, losses, server CPU
//! per push, memory per connection) with a lean client of its own ([`fanout`]), against
//! Boxoffice or, with `--peer`, the original design's Node stack.
//!
//! `boxoffice-load status` measures seat-status snapshots per second for a crowd of joiners
//! (10,000 by default) on a stadium event whose seats keep changing ([`status`]): the compact
//! `seat-status` or, for comparison, the v1 seat list.
//!
//! `boxoffice-load joins` measures waiting-room joins per second from this client. Two hidden
//! helpers serve `bench/joins-wrk.sh`, where wrk is the client (HS256 is impractical in wrk's
//! Lua): `tokens` pre-mints distinct users' tokens into files, `join-event` creates the event.

mod eio;
mod fanout;
mod status;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use boxoffice::auth::{Jwt, Role};
use boxoffice::UserId;
use clap::{Parser, Subcommand};
use futures::{StreamExt, TryStreamExt};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "boxoffice-load",
    about = "Load generator for a Boxoffice server"
)]
struct Cli {
    /// Base URL of the server (loopback). `fanout` takes it once per instance and spreads its
    /// sockets over them; the other commands use the first.
    #[arg(long, default_value = "http://127.0.0.1:3001", global = true)]
    url: Vec<String>,
    /// The server's JWT_SECRET, to mint admin and buyer tokens.
    #[arg(long, env = "JWT_SECRET", global = true, hide_env_values = true)]
    jwt_secret: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Seat holds per second under contention.
    Holds(HoldLoad),
    /// Best-available holds per second under contention (`POST /api/seats/best`): the same
    /// event, buyers and release as `holds`, each buyer asking for 1..=max-seats adjacent
    /// seats instead of picking random seats on the map.
    Best(HoldLoad),
    /// Waiting-room joins per second: `--users` distinct users join one event.
    Joins {
        /// Distinct users joining (bounded: at most 1,000,000).
        #[arg(long, default_value_t = 50_000)]
        users: usize,
        /// Concurrent requests.
        #[arg(long, default_value_t = 128)]
        concurrency: usize,
        /// The event's capacity (joiners beyond it wait in line).
        #[arg(long, default_value_t = 1000)]
        capacity: i64,
        /// The event has `botCheck: true`: every joiner's ALTCHA challenge is fetched and
        /// solved before the clock starts, and each join sends its payload in `X-Bot-Check`.
        /// Run the server with a low BOT_CHECK_MAX_NUMBER (e.g. 100) so solving 50,000 is
        /// quick: verifying costs the same at any difficulty.
        #[arg(long)]
        bot_check: bool,
    },
    /// Socket.IO fan-out: N sockets in one event's room, spaced purchases, delivery latency
    /// of every push, losses, server CPU per push and RSS per connection.
    Fanout(fanout::Options),
    /// Seat-status snapshots per second: N concurrent joiners (keep-alive, gzip) fetching one
    /// stadium event's status while writers hold and cancel seats.
    Status(status::Options),
    /// For external load tools (wrk): writes `--users` distinct users' tokens, one a line,
    /// dealt round-robin into `<out>.0` .. `<out>.<files - 1>` (one file per wrk thread).
    /// Every token has the same length, so a reader can index a file without splitting it.
    #[command(hide = true)]
    Tokens {
        /// How many users (bounded: at most 5,000,000).
        #[arg(long)]
        users: usize,
        /// Where to write them: `<out>.<k>`.
        #[arg(long)]
        out: String,
        #[arg(long, default_value_t = 1)]
        files: usize,
        /// User ids are `<prefix><i>`, `i` zero-padded to 7 digits.
        #[arg(long, default_value = "wrk-joiner-")]
        prefix: String,
    },
    /// For external load tools (wrk): creates a join-load event and prints its id.
    #[command(hide = true)]
    JoinEvent {
        /// The event's capacity (joiners beyond it wait in line).
        #[arg(long, default_value_t = 1000)]
        capacity: i64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    for url in &cli.url {
        let host = reqwest::Url::parse(url)?
            .host_str()
            .unwrap_or_default()
            .to_string();
        if !(host == "localhost" || host.starts_with("127.") || host == "[::1]" || host == "::1") {
            bail!("boxoffice-load only targets loopback addresses, not {host}");
        }
    }
    let url = cli.url[0].clone();
    let secret = cli
        .jwt_secret
        .clone()
        .context("--jwt-secret (or JWT_SECRET) is required to mint tokens")?;
    let jwt = Jwt::new(secret.as_bytes(), 3600)?;
    match cli.command {
        Command::Holds(load) => holds(&url, &jwt, load.run(false)).await,
        Command::Best(load) => holds(&url, &jwt, load.run(true)).await,
        Command::Joins {
            users,
            concurrency,
            capacity,
            bot_check,
        } => {
            joins(
                &url,
                &jwt,
                users.min(1_000_000),
                concurrency,
                capacity,
                bot_check,
            )
            .await
        }
        Command::Fanout(mut opts) => {
            opts.urls = cli.url.clone();
            opts.wait_seconds = opts.wait_seconds.min(300);
            fanout::run(&jwt, opts).await
        }
        Command::Status(opts) => status::run(&url, &jwt, opts).await,
        Command::Tokens {
            users,
            out,
            files,
            prefix,
        } => tokens(&jwt, users.min(5_000_000), &out, files.max(1), &prefix),
        Command::JoinEvent { capacity } => {
            let client = http_client(1)?;
            println!(
                "{}",
                join_event(&client, &url, &jwt, capacity, false).await?
            );
            Ok(())
        }
    }
}

/// Mints `users` session tokens for `<prefix>0000000..` into `<out>.<k>`, one a line.
fn tokens(jwt: &Jwt, users: usize, out: &str, files: usize, prefix: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut writers = (0..files)
        .map(|k| {
            Ok(std::io::BufWriter::new(std::fs::File::create(format!(
                "{out}.{k}"
            ))?))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut len = None;
    for i in 0..users {
        let token = jwt.issue(&UserId::parse(format!("{prefix}{i:07}"))?, Role::User, None)?;
        if *len.get_or_insert(token.len()) != token.len() {
            bail!("tokens of different lengths (the clock passed a power of ten?); run again");
        }
        writeln!(writers[i % files], "{token}")?;
    }
    for mut w in writers {
        w.flush()?;
    }
    Ok(())
}

/// The event `joins` (and wrk, through `join-event`) joins: no seats, `capacity` shoppers.
async fn join_event(
    client: &reqwest::Client,
    url: &str,
    jwt: &Jwt,
    capacity: i64,
    bot_check: bool,
) -> anyhow::Result<String> {
    create_event(
        client,
        url,
        jwt,
        json!({
            "name": format!("Join load {}", uuid::Uuid::new_v4().simple()),
            "startsAt": "2030-01-01T20:00:00Z",
            "capacity": capacity,
            "admitRatePerSec": 100,
            "botCheck": bot_check,
            "ticketTypes": [{"name": "GA", "price": 1000, "quantity": 1000}]
        }),
    )
    .await
}

// Over 80 lines on purpose, like `holds`: one benchmark scenario (set up, run the clock,
// report), read top to bottom like the figures it prints.
async fn joins(
    url: &str,
    jwt: &Jwt,
    users: usize,
    concurrency: usize,
    capacity: i64,
    bot_check: bool,
) -> anyhow::Result<()> {
    let client = http_client(concurrency)?;
    let event_id = join_event(&client, url, jwt, capacity, bot_check).await?;
    // Tokens are minted before the clock starts: the measurement is of joins, not signing.
    let tokens: Arc<Vec<String>> = Arc::new(
        (0..users)
            .map(|i| jwt.issue(&UserId::parse(format!("joiner-{i}"))?, Role::User, None))
            .collect::<Result<_, _>>()?,
    );
    // Solved bot checks, one per joiner, also made before the clock starts.
    let proofs: Arc<Vec<String>> = Arc::new(if bot_check {
        solved_bot_checks(&client, url, users, concurrency).await?
    } else {
        Vec::new()
    });
    println!(
        "event {event_id}: {users} users join, {concurrency} at a time, capacity {capacity}, bot check {}",
        if bot_check { "on" } else { "off" }
    );
    let next = Arc::new(AtomicU64::new(0));
    let (admitted, waiting, errors) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, tokens, next) = (client.clone(), tokens.clone(), next.clone());
        let proofs = proofs.clone();
        let (admitted, waiting, errors) = (admitted.clone(), waiting.clone(), errors.clone());
        let (url, event_id) = (url.to_string(), event_id.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= tokens.len() {
                    return latencies;
                }
                let t0 = Instant::now();
                let mut req = client
                    .post(format!("{url}/api/queue/join"))
                    .bearer_auth(&tokens[i])
                    .json(&json!({"eventId": event_id}));
                if let Some(proof) = proofs.get(i) {
                    req = req.header("X-Bot-Check", proof);
                }
                let r = req.send().await;
                latencies.push(t0.elapsed().as_micros() as u64);
                match r {
                    Ok(r) if r.status().is_success() => {
                        let body: Value = r.json().await.unwrap_or_default();
                        if body["admitted"] == true {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        } else {
                            waiting.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let median = quantile_ms(&latencies, 0.5);
    let p99 = quantile_ms(&latencies, 0.99);
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "joins: {users} in {elapsed:.2} s = {:.0} joins/s; {} admitted at once, {} waiting, {errors} errors; latency ms: median {median:.2}, p99 {p99:.2}",
        users as f64 / elapsed,
        admitted.load(Ordering::Relaxed),
        waiting.load(Ordering::Relaxed),
    );
    if errors > 0 {
        bail!("{errors} joins failed");
    }
    Ok(())
}

/// Fetches `n` bot-check challenges and solves them (on every core), as the `altcha` widget
/// would: find `number` with SHA-256(salt ‖ number) = challenge; returns the base64 payloads.
async fn solved_bot_checks(
    client: &reqwest::Client,
    url: &str,
    n: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    use base64::Engine;
    let started = Instant::now();
    let fetch = |_| async {
        let c: Value = client
            .get(format!("{url}/api/botcheck/challenge"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::Ok(c)
    };
    let challenges: Vec<Value> = futures::stream::iter(0..n)
        .map(fetch)
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    let maxnumber = challenges.first().and_then(|c| c["maxnumber"].as_u64());
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get());
    let chunk = n.div_ceil(threads).max(1);
    let mut solvers = Vec::new();
    for part in challenges.chunks(chunk).map(<[Value]>::to_vec) {
        solvers.push(tokio::task::spawn_blocking(move || {
            part.iter()
                .map(solve_bot_check)
                .collect::<anyhow::Result<Vec<_>>>()
        }));
    }
    let mut proofs = Vec::with_capacity(n);
    for s in solvers {
        proofs.extend(s.await??);
    }
    println!(
        "bot check: {n} challenges (maxnumber {}) fetched and solved in {:.1} s",
        maxnumber.unwrap_or_default(),
        started.elapsed().as_secs_f64()
    );
    Ok(proofs
        .into_iter()
        .map(|p| base64::engine::general_purpose::STANDARD.encode(p.to_string()))
        .collect())
}

fn solve_bot_check(c: &Value) -> anyhow::Result<Value> {
    use sha2::{Digest, Sha256};
    let salt = c["salt"].as_str().context("salt")?;
    let max = c["maxnumber"].as_u64().context("maxnumber")?;
    let mut target = [0u8; 32];
    hex::decode_to_slice(c["challenge"].as_str().context("challenge")?, &mut target)?;
    let prefix = Sha256::new_with_prefix(salt.as_bytes());
    let number = (0..=max)
        .find(|n| prefix.clone().chain_update(n.to_string()).finalize()[..] == target)
        .context("challenge not solvable within maxnumber")?;
    Ok(json!({
        "algorithm": c["algorithm"], "challenge": c["challenge"], "number": number,
        "salt": salt, "signature": c["signature"]
    }))
}

/// Joins the event's waiting room; returns the admission token (empty if not admitted).
async fn join(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    event_id: &str,
) -> anyhow::Result<String> {
    let body: Value = client
        .post(format!("{url}/api/queue/join"))
        .bearer_auth(token)
        .json(&json!({"eventId": event_id}))
        .send()
        .await?
        .json()
        .await?;
    Ok(body["admissionToken"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn http_client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// Creates the benchmark's own event through the admin API; returns its id.
async fn create_event(
    client: &reqwest::Client,
    url: &str,
    jwt: &Jwt,
    spec: Value,
) -> anyhow::Result<String> {
    let admin = jwt.issue(&UserId::parse("load-admin")?, Role::Admin, Some("load"))?;
    let event: Value = client
        .post(format!("{url}/api/admin/events"))
        .bearer_auth(&admin)
        .json(&spec)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(event["id"].as_str().context("event id")?.to_string())
}

#[derive(Default)]
struct Counters {
    held: AtomicU64,
    seats_held: AtomicU64,
    conflicts: AtomicU64,
    errors: AtomicU64,
    released: AtomicU64,
}

/// One `holds` or `best` run.
/// The flags `holds` and `best` share.
#[derive(clap::Args)]
struct HoldLoad {
    /// Concurrent buyers.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seats in the event (fewer seats, more contention).
    #[arg(long, default_value_t = 2000)]
    seats: usize,
    /// How long to run, in seconds (bounded: at most 300).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Largest number of seats per hold (each hold takes, or asks for, 1..=this).
    #[arg(long, default_value_t = 4)]
    max_seats: usize,
    /// Cancel each successful hold at once, keeping the pool from draining.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    release: bool,
}

impl HoldLoad {
    /// The run these flags ask for, bounded; `best` asks `POST /api/seats/best`.
    fn run(self, best: bool) -> Run {
        Run {
            concurrency: self.concurrency,
            seats: self.seats,
            seconds: self.seconds.min(300),
            max_seats: self.max_seats.max(1),
            release: self.release,
            best,
        }
    }
}

struct Run {
    concurrency: usize,
    seats: usize,
    seconds: u64,
    max_seats: usize,
    release: bool,
    /// Ask `POST /api/seats/best` for a quantity instead of picking seats on the map.
    best: bool,
}

// Over 80 lines on purpose: one benchmark scenario (an event, buyers that join, hold and
// cancel until the clock runs out, then the report), read top to bottom like its output.
async fn holds(url: &str, jwt: &Jwt, run: Run) -> anyhow::Result<()> {
    let Run {
        concurrency,
        seats,
        seconds,
        max_seats,
        release,
        best,
    } = run;
    let client = http_client(concurrency)?;
    let per_row = 50usize;
    let rows = seats.div_ceil(per_row).max(1);
    let sections: Vec<Value> = (0..rows.div_ceil(100))
        .map(|i| {
            json!({"name": format!("S{i}"), "rows": (rows - i * 100).min(100), "seatsPerRow": per_row, "ticketTypeIndex": 0})
        })
        .collect();
    let event_id = create_event(
        &client,
        url,
        jwt,
        json!({
            "name": format!("Load test {}", uuid::Uuid::new_v4().simple()),
            "startsAt": "2030-01-01T20:00:00Z",
            "capacity": 10_000_000,
            "holdSeconds": 600,
            "ticketTypes": [{"name": "Seat", "price": 1000}],
            "seatMap": {"sections": sections}
        }),
    )
    .await?;
    let seat_list: Value = client
        .get(format!("{url}/api/events/{event_id}/seats"))
        .send()
        .await?
        .json()
        .await?;
    let all: Arc<Vec<String>> = Arc::new(
        seat_list["seats"]
            .as_array()
            .context("seats")?
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect(),
    );
    let kind = if best { "best available" } else { "map picks" };
    println!(
        "event {event_id}: {} seats, {concurrency} buyers, {seconds} s, 1-{max_seats} seats per hold ({kind}), release={release}",
        all.len()
    );

    let counters = Arc::new(Counters::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, all, counters) = (client.clone(), all.clone(), counters.clone());
        let buyer = UserId::parse(format!("load-buyer-{worker}"))?;
        let token = jwt.issue(&buyer, Role::User, None)?;
        let (url, event_id) = (url.to_string(), event_id.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            // Shopping needs an admission; a cancel gives the slot back, so the buyer joins
            // again when told it is no longer admitted (the event's capacity is huge, so a
            // join admits at once). Joins are not counted as hold attempts.
            let mut admission = String::new();
            while Instant::now() < deadline {
                if admission.is_empty() {
                    admission = join(&client, &url, &token, &event_id)
                        .await
                        .unwrap_or_default();
                }
                let (path, body, n) = {
                    let mut rng = rand::thread_rng();
                    let n = rng.gen_range(1..=max_seats);
                    if best {
                        let body = json!({"eventId": event_id, "quantity": n});
                        ("best", body, n)
                    } else {
                        let wanted: Vec<String> =
                            all.choose_multiple(&mut rng, n).cloned().collect();
                        let body = json!({"eventId": event_id, "seatIds": wanted});
                        ("reserve", body, n)
                    }
                };
                let t0 = Instant::now();
                let resp = client
                    .post(format!("{url}/api/seats/{path}"))
                    .bearer_auth(&token)
                    .header("x-admission-token", &admission)
                    .json(&body)
                    .send()
                    .await;
                let status = resp.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
                latencies.push(t0.elapsed().as_micros() as u64);
                match status {
                    201 => {
                        counters.held.fetch_add(1, Ordering::Relaxed);
                        counters.seats_held.fetch_add(n as u64, Ordering::Relaxed);
                        let body: Value = resp.unwrap().json().await.unwrap_or_default();
                        if release {
                            if let Some(id) = body["reservation"]["id"].as_str() {
                                let ok = client
                                    .delete(format!("{url}/api/reservations/{id}"))
                                    .bearer_auth(&token)
                                    .send()
                                    .await
                                    .map(|r| r.status().is_success())
                                    .unwrap_or(false);
                                if ok {
                                    counters.released.fetch_add(1, Ordering::Relaxed);
                                    admission.clear();
                                }
                            }
                        }
                    }
                    409 => {
                        counters.conflicts.fetch_add(1, Ordering::Relaxed);
                    }
                    403 => {
                        latencies.pop();
                        admission.clear();
                    }
                    _ => {
                        counters.errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| quantile_ms(&latencies, p);
    let held = counters.held.load(Ordering::Relaxed);
    let conflicts = counters.conflicts.load(Ordering::Relaxed);
    let errors = counters.errors.load(Ordering::Relaxed);
    println!(
        "holds: {held} ok ({:.0}/s, {:.0} seats/s), {conflicts} conflicts (409), {errors} errors, {} released",
        held as f64 / elapsed,
        counters.seats_held.load(Ordering::Relaxed) as f64 / elapsed,
        counters.released.load(Ordering::Relaxed)
    );
    println!(
        "hold attempts: {:.0}/s; latency ms: median {:.2}, p90 {:.2}, p99 {:.2}",
        (held + conflicts + errors) as f64 / elapsed,
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}

/// The `p` quantile (0 to 1) of sorted latencies in microseconds, in milliseconds; 0 when
/// there are none. Every subcommand reports its latencies through it.
fn quantile_ms<T: Copy + Into<u64>>(sorted: &[T], p: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    sorted[((sorted.len() as f64 * p) as usize).min(last)].into() as f64 / 1000.0
}
