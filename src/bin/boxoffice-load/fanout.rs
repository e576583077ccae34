//! `boxoffice-load fanout`: how fast, how completely and at what server cost a change reaches
//! every watching browser.
//!
//! Why a client of our own: the official JavaScript client spends about 19 µs per received
//! message in one Node thread, so with thousands of sockets the latencies it reports are mostly
//! its own queue. This one speaks Engine.IO v4 / Socket.IO v5 straight over tokio-tungstenite
//! ([`super::eio`]), on every core, and its receive loop only looks at the start of each
//! message and scans for one number.
//!
//! The scenario, the same for Boxoffice and (`--peer`) for the original design's Node stack:
//! N sockets (distinct users, round-robin over the `--url`s, from source addresses
//! 127.0.0.2.. so that 20,000 of them do not run out of ephemeral ports) connect and join one
//! event's room; a buyer then makes spaced purchases of a general-admission ticket type over
//! REST, one every `--spacing-ms`, stamping each when it is sent. Every purchase lowers the
//! remaining quantity by one, so a push's `remainingQuantity` names the purchase it carries:
//! each socket records when it got each one. Missing ones are losses. Server CPU comes from
//! `/proc/<pid>/stat` of `--server-pids` around the purchases, memory per connection from their
//! RSS before and after connecting. An optional burst of purchases as fast as possible gives
//! the CPU per delivered change when the server can batch.

use crate::quantile_ms;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use boxoffice::auth::{unix_now, Claims, Jwt, Role};
use boxoffice::UserId;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpSocket;
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use super::eio::{self, Packet};

/// The most sockets one run opens.
pub const MAX_CLIENTS: usize = 20_000;

/// Boxoffice's `GET /api/metrics` counters of pushes it dropped.
const DROP_COUNTERS: [&str; 4] = [
    "socketQueueFull",
    "redisDropped",
    "feedLagged",
    "clusterPushFailures",
];

/// File descriptors kept for everything but the sockets (HTTP pool, runtime, stdio).
const FD_HEADROOM: u64 = 128;

/// What `boxoffice-load fanout` was asked to do.
#[derive(clap::Args)]
pub struct Options {
    /// Filled from the global `--url`s (one per instance).
    #[arg(skip)]
    pub urls: Vec<String>,
    /// Sockets (bounded: at most 20,000), round-robin over the `--url`s.
    #[arg(long, default_value_t = 5000)]
    pub clients: usize,
    /// Spaced purchases, each pushed to every socket.
    #[arg(long, default_value_t = 40)]
    pub purchases: usize,
    /// Milliseconds between two spaced purchases.
    #[arg(long, default_value_t = 250)]
    pub spacing_ms: u64,
    /// Purchases made as fast as possible after the spaced ones (0: no burst phase).
    #[arg(long, default_value_t = 0)]
    pub burst: usize,
    /// Buyers making the burst's purchases at the same time.
    #[arg(long, default_value_t = 32)]
    pub burst_concurrency: usize,
    /// Target the original design's Node stack (shared/peers/node-seed) instead.
    #[arg(long)]
    pub peer: bool,
    /// Server process ids whose CPU time and RSS are measured (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub server_pids: Vec<u32>,
    /// Print one JSON line of results instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Source addresses 127.0.0.2.. to spread the sockets over (ephemeral ports are
    /// per source address).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u8).range(1..=250))]
    pub source_addrs: u8,
    /// Handshakes under way at once.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// Pause after connecting and after joining, milliseconds (the peer acks no join).
    #[arg(long, default_value_t = 2000)]
    pub settle_ms: u64,
    /// Longest wait for the last pushes of a phase, seconds.
    #[arg(long, default_value_t = 20)]
    pub wait_seconds: u64,
}

/// What the sockets are told to do next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Command {
    Idle,
    Join,
    Close,
}

/// State every socket task shares with the conductor.
struct Shared {
    /// Receive and send times are microseconds since this instant.
    base: Instant,
    /// Remaining quantity before the first purchase: purchase `i` leaves `stock - 1 - i`.
    stock: i64,
    purchases: usize,
    /// The `join:event` packet (with ack id 0 when an ack is expected).
    join_packet: String,
    wants_ack: bool,
    connected: AtomicUsize,
    joined: AtomicUsize,
    failed: AtomicUsize,
    first_error: Mutex<Option<String>>,
    /// (socket, spaced purchase) pairs received so far.
    spaced_received: AtomicU64,
    /// Burst purchases covered so far, summed over sockets (a push with remaining quantity R
    /// covers every burst purchase down to R for the socket that gets it).
    burst_covered: AtomicU64,
    burst_messages: AtomicU64,
}

impl Shared {
    fn now_us(&self) -> u32 {
        self.base.elapsed().as_micros().min(u32::MAX as u128 - 1) as u32 + 1
    }

    fn fail(&self, error: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap();
        first.get_or_insert(error);
    }
}

/// One socket's record, returned when it closes.
struct Tally {
    /// Receive time (µs after `base`, 0 = never) of each spaced purchase's push.
    spaced: Vec<u32>,
    /// Pushes that repeated a spaced purchase already received.
    duplicates: u32,
    /// Pushes the socket got after it joined, of any kind.
    pushes: u32,
}

/// A purchase the buyer makes: where, as whom, with what body.
struct Buyer {
    token: String,
    admission: Option<String>,
}

/// The event under test, on whichever target.
struct Scenario {
    event_id: String,
    ticket_type_id: String,
    buyers: Vec<Buyer>,
    /// The status a successful purchase answers with.
    created: u16,
}

// Over 80 lines on purpose, like `holds`: one benchmark scenario (set up, connect, join,
// purchases, burst, report), read top to bottom like the figures it prints.
pub async fn run(jwt: &Jwt, opts: Options) -> anyhow::Result<()> {
    let requested = opts.clients.clamp(1, MAX_CLIENTS);
    let nofile = raise_nofile(requested as u64 + FD_HEADROOM);
    // Past the open-files limit a socket fails with EMFILE; fewer sockets make a clean run.
    let clients = requested.min(nofile.saturating_sub(FD_HEADROOM) as usize);
    if clients < requested {
        eprintln!(
            "warning: RLIMIT_NOFILE is {} and cannot be raised (hard limit; raising it needs \
             CAP_SYS_RESOURCE): opening {clients} sockets instead of {requested}",
            nofile
        );
    }
    if clients == 0 {
        bail!(
            "no file descriptors left for sockets (RLIMIT_NOFILE {})",
            nofile
        );
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.burst_concurrency.max(1))
        .timeout(Duration::from_secs(30))
        // Below Node's 5 s keep-alive: a pooled connection the peer has just closed would
        // reset the next purchase.
        .pool_idle_timeout(Duration::from_secs(1))
        .build()?;
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let stock = (opts.purchases + opts.burst + 10) as i64;
    let scenario = if opts.peer {
        peer_scenario(&client, &opts, jwt, &run_id, stock).await?
    } else {
        boxoffice_scenario(&client, &opts, jwt, &run_id, stock).await?
    };
    let target = if opts.peer { "peer" } else { "boxoffice" };
    let join_arg = if opts.peer {
        json!(scenario.event_id)
    } else {
        json!({"eventId": scenario.event_id, "seats": false})
    };
    let shared = Arc::new(Shared {
        base: Instant::now(),
        stock,
        purchases: opts.purchases,
        join_packet: eio::event("join:event", &join_arg, (!opts.peer).then_some(0)),
        wants_ack: !opts.peer,
        connected: AtomicUsize::new(0),
        joined: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        first_error: Mutex::new(None),
        spaced_received: AtomicU64::new(0),
        burst_covered: AtomicU64::new(0),
        burst_messages: AtomicU64::new(0),
    });
    // Tokens before the clock starts: the measurement is of the server, not of signing.
    let tokens: Vec<String> = (0..clients)
        .map(|i| session_token(jwt, &format!("fanout-{run_id}-{i}")))
        .collect::<anyhow::Result<_>>()?;
    let servers = resolve(&opts.urls).await?;
    let sources: Vec<Ipv4Addr> = (0..opts.source_addrs.max(1))
        .map(|k| Ipv4Addr::new(127, 0, 0, 2 + k))
        .collect();
    let say = |line: String| {
        if !opts.json {
            println!("{line}");
        }
    };
    say(format!(
        "{target}: event {}, {clients} sockets over {} instance(s) from {} source addresses, {} purchases every {} ms, burst {}; open files limit {}",
        scenario.event_id, servers.len(), sources.len(), opts.purchases, opts.spacing_ms, opts.burst, nofile
    ));

    let rss_before = rss_kib(&opts.server_pids);
    let (cmd_tx, cmd_rx) = watch::channel(Command::Idle);
    let gate = Arc::new(Semaphore::new(opts.connect_concurrency.max(1)));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for (i, token) in tokens.into_iter().enumerate() {
        let (server, host) = servers[i % servers.len()].clone();
        let source = sources[i % sources.len()];
        let (shared, cmd, gate) = (shared.clone(), cmd_rx.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            socket(server, host, source, token, shared, cmd, gate).await
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    wait_until(deadline, || {
        shared.connected.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed) >= clients
    })
    .await;
    let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
    let connected = shared.connected.load(Ordering::Relaxed);
    say(format!(
        "connected {connected}/{clients} sockets in {connect_ms:.0} ms{}",
        failures(&shared)
    ));
    tokio::time::sleep(Duration::from_millis(opts.settle_ms)).await;
    let rss_idle = rss_kib(&opts.server_pids);

    let joining = Instant::now();
    cmd_tx.send(Command::Join)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    wait_until(deadline, || {
        shared.joined.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed) >= clients
    })
    .await;
    let join_ms = joining.elapsed().as_secs_f64() * 1000.0;
    let joined = shared.joined.load(Ordering::Relaxed);
    // The peer does not ack a join: the settle time lets its joins take effect (for both).
    tokio::time::sleep(Duration::from_millis(opts.settle_ms)).await;
    let rss_joined = rss_kib(&opts.server_pids);
    let per_conn = |after: &[u64]| {
        let grown: i64 = after
            .iter()
            .zip(&rss_before)
            .map(|(a, b)| *a as i64 - *b as i64)
            .sum();
        grown as f64 / connected.max(1) as f64
    };
    say(format!(
        "joined {joined} sockets in {join_ms:.0} ms ({}); server RSS per connection: {:.1} KiB idle, {:.1} KiB joined",
        if opts.peer { "sent; the peer does not ack" } else { "acked" },
        per_conn(&rss_idle),
        per_conn(&rss_joined)
    ));

    // Spaced purchases: one every `spacing_ms`, each stamped when it is sent.
    let url0 = &opts.urls[0];
    let cpu0 = cpu_ticks(&opts.server_pids);
    let own_cpu0 = cpu_ticks(&[std::process::id()]);
    let mut sent = Vec::with_capacity(opts.purchases);
    let mut answered = Vec::with_capacity(opts.purchases);
    let spaced_start = Instant::now();
    for i in 0..opts.purchases {
        let at = spaced_start + Duration::from_millis(opts.spacing_ms * i as u64);
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        let stamp = shared.now_us();
        sent.push(stamp);
        purchase(&client, url0, &scenario, &scenario.buyers[0]).await?;
        answered.push(shared.now_us() - stamp);
    }
    let expected = joined as u64 * opts.purchases as u64;
    let deadline = Instant::now() + Duration::from_secs(opts.wait_seconds);
    wait_until(deadline, || {
        shared.spaced_received.load(Ordering::Relaxed) >= expected
    })
    .await;
    let cpu = ticks_to_secs(cpu_ticks(&opts.server_pids).saturating_sub(cpu0));
    let own_cpu = ticks_to_secs(cpu_ticks(&[std::process::id()]).saturating_sub(own_cpu0));
    let received = shared.spaced_received.load(Ordering::Relaxed);

    // The burst: purchases as fast as `burst_concurrency` buyers can make them, on every url.
    let mut burst_report = Value::Null;
    if opts.burst > 0 {
        let cpu0 = cpu_ticks(&opts.server_pids);
        let begun = Instant::now();
        let next = Arc::new(AtomicUsize::new(0));
        let (scenario, urls, burst) = (&scenario, &opts.urls, opts.burst);
        let mut buyers = Vec::new();
        for b in 0..opts.burst_concurrency.max(1) {
            let (client, next) = (&client, next.clone());
            buyers.push(async move {
                let buyer = &scenario.buyers[b % scenario.buyers.len()];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= burst {
                        return anyhow::Ok(());
                    }
                    purchase(client, &urls[i % urls.len()], scenario, buyer).await?;
                }
            });
        }
        futures::future::try_join_all(buyers).await?;
        let burst_secs = begun.elapsed().as_secs_f64();
        let expected = joined as u64 * opts.burst as u64;
        let deadline = Instant::now() + Duration::from_secs(opts.wait_seconds);
        wait_until(deadline, || {
            shared.burst_covered.load(Ordering::Relaxed) >= expected
        })
        .await;
        let cpu = ticks_to_secs(cpu_ticks(&opts.server_pids).saturating_sub(cpu0));
        let covered = shared.burst_covered.load(Ordering::Relaxed);
        let messages = shared.burst_messages.load(Ordering::Relaxed);
        say(format!(
            "burst: {} purchases in {burst_secs:.2} s ({:.0}/s); sockets got {messages} push messages covering {covered}/{expected} changes; server CPU {cpu:.2} s = {:.2} µs per delivered change",
            opts.burst,
            opts.burst as f64 / burst_secs,
            cpu * 1e6 / covered.max(1) as f64
        ));
        burst_report = json!({
            "purchases": opts.burst, "seconds": burst_secs, "messages": messages,
            "changesExpected": expected, "changesDelivered": covered,
            "serverCpuSeconds": cpu, "cpuUsPerChange": cpu * 1e6 / covered.max(1) as f64,
        });
    }

    cmd_tx.send(Command::Close)?;
    // Boxoffice counts what it dropped (a full socket queue, the Redis adapter's buffer, the
    // feed lagging): losses the client sees are then the server's, or not.
    let mut drops = Value::Null;
    if !opts.peer {
        let admin = jwt.issue(&UserId::parse("load-admin")?, Role::Admin, Some("load"))?;
        let mut sums = [0u64; 4];
        for url in &opts.urls {
            let m: Value = client
                .get(format!("{url}/api/metrics"))
                .bearer_auth(&admin)
                .send()
                .await?
                .json()
                .await?;
            for (sum, key) in sums.iter_mut().zip(DROP_COUNTERS) {
                *sum += m[key].as_u64().unwrap_or(0);
            }
        }
        drops = Value::Object(
            DROP_COUNTERS
                .iter()
                .zip(sums)
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect(),
        );
        say(format!(
            "server drop counters (all instances, whole run): {drops}"
        ));
    }
    let mut latencies: Vec<u32> = Vec::with_capacity(received as usize);
    let (mut lost, mut gaps, mut duplicates, mut pushes) = (0u64, 0u64, 0u64, 0u64);
    // Sockets that missed each purchase: one missing everywhere, or on one instance's
    // sockets, or scattered, point at different causes.
    let mut lost_by_purchase = vec![0u64; opts.purchases];
    // Per instance the socket is on: the one that made the change pushes straight to its
    // sockets, the others get it through Redis first.
    let mut by_instance: Vec<Vec<u32>> = vec![Vec::new(); servers.len()];
    for (n, t) in tasks.into_iter().enumerate() {
        let Ok(Ok(Some(tally))) = tokio::time::timeout(Duration::from_secs(10), t).await else {
            continue;
        };
        duplicates += u64::from(tally.duplicates);
        pushes += u64::from(tally.pushes);
        let last = tally.spaced.iter().rposition(|&r| r != 0);
        for (i, &r) in tally.spaced.iter().enumerate() {
            if r == 0 {
                lost += 1;
                lost_by_purchase[i] += 1;
                // A gap: a later purchase's push came, this one's never did.
                gaps += u64::from(last.is_some_and(|l| l > i));
            } else {
                latencies.push(r.saturating_sub(sent[i]));
                by_instance[n % servers.len()].push(r.saturating_sub(sent[i]));
            }
        }
    }
    let lost_by_purchase: serde_json::Map<String, Value> = lost_by_purchase
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(i, &n)| (i.to_string(), json!(n)))
        .collect();
    let by_instance: Vec<Value> = by_instance
        .iter_mut()
        .map(|l| {
            l.sort_unstable();
            json!({"p50": quantile_ms(l, 0.5), "p99": quantile_ms(l, 0.99)})
        })
        .collect();
    latencies.sort_unstable();
    let ms = |p: f64| quantile_ms(&latencies, p);
    answered.sort_unstable();
    let cpu_per_push = cpu * 1e6 / received.max(1) as f64;
    say(format!(
        "spaced: {} purchases, REST answer median {:.2} ms; pushes received {received}/{expected} ({lost} lost, {gaps} of them gaps, {duplicates} duplicates){}",
        opts.purchases,
        quantile_ms(&answered, 0.5),
        if lost > 0 { format!("; sockets missing each purchase (by index): {}", Value::Object(lost_by_purchase.clone())) } else { String::new() }
    ));
    say(format!(
        "delivery latency from send: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0
    ));
    say(format!(
        "by instance (the first url takes the purchases): {}",
        Value::Array(by_instance.clone())
    ));
    say(format!(
        "server CPU {cpu:.2} s = {cpu_per_push:.2} µs per delivered push (pids {:?}); this client {own_cpu:.2} s",
        opts.server_pids
    ));
    if opts.json {
        println!(
            "{}",
            json!({
                "target": target, "clients": clients, "clientsRequested": requested, "instances": servers.len(),
                "connected": connected, "joined": joined, "failed": shared.failed.load(Ordering::Relaxed),
                "firstError": shared.first_error.lock().unwrap().clone(),
                "connectMs": connect_ms, "joinMs": join_ms,
                "purchases": opts.purchases, "spacingMs": opts.spacing_ms,
                "restMedianMs": quantile_ms(&answered, 0.5),
                "expected": expected, "received": received, "lost": lost, "gaps": gaps, "lostByPurchase": lost_by_purchase,
                "duplicates": duplicates, "pushes": pushes,
                "latencyMs": {"p50": ms(0.5), "p90": ms(0.9), "p99": ms(0.99),
                              "max": latencies.last().copied().unwrap_or(0) as f64 / 1000.0},
                "latencyMsByInstance": by_instance,
                "serverCpuSeconds": cpu, "cpuUsPerPush": cpu_per_push, "clientCpuSeconds": own_cpu,
                "rssKiBPerConnIdle": per_conn(&rss_idle), "rssKiBPerConnJoined": per_conn(&rss_joined),
                "serverPids": opts.server_pids, "nofile": nofile,
                "burst": burst_report, "serverDrops": drops,
            })
        );
    }
    Ok(())
}

/// Boxoffice: an event with one general-admission type through the admin API, and buyers
/// admitted through the waiting room (the event's capacity admits them at once).
async fn boxoffice_scenario(
    client: &reqwest::Client,
    opts: &Options,
    jwt: &Jwt,
    run_id: &str,
    stock: i64,
) -> anyhow::Result<Scenario> {
    let url = &opts.urls[0];
    let admin = jwt.issue(&UserId::parse("load-admin")?, Role::Admin, Some("load"))?;
    let buyers_needed = opts.burst_concurrency.max(1);
    // Each buyer stays under the per-customer limit (at most 10,000 tickets).
    if (opts.purchases + opts.burst.div_ceil(buyers_needed)) as i64 > 10_000 {
        bail!("too many purchases per buyer: raise --burst-concurrency or lower --burst");
    }
    let event: Value = client
        .post(format!("{url}/api/admin/events"))
        .bearer_auth(&admin)
        .json(&json!({
            "name": format!("Fan-out {run_id}"),
            "startsAt": "2030-01-01T20:00:00Z",
            "capacity": 1_000_000,
            "holdSeconds": 86_400,
            "admissionTtlSeconds": 86_400,
            "idleTimeoutSeconds": 86_400,
            "maxTicketsPerCustomer": 10_000,
            "ticketTypes": [{"name": "GA", "price": 1000, "quantity": stock}]
        }))
        .send()
        .await?
        .error_for_status()
        .context("creating the event")?
        .json()
        .await?;
    let event_id = event["id"].as_str().context("event id")?.to_string();
    let ticket_type_id = event["ticketTypes"][0]["id"]
        .as_str()
        .context("ticket type id")?
        .to_string();
    let mut buyers = Vec::new();
    for b in 0..buyers_needed {
        let token = session_token(jwt, &format!("fanout-buyer-{run_id}-{b}"))?;
        let joined: Value = client
            .post(format!("{url}/api/queue/join"))
            .bearer_auth(&token)
            .json(&json!({"eventId": event_id}))
            .send()
            .await?
            .error_for_status()
            .context("buyer joining the line")?
            .json()
            .await?;
        let admission = joined["admissionToken"]
            .as_str()
            .context("buyer not admitted at once")?
            .to_string();
        buyers.push(Buyer {
            token,
            admission: Some(admission),
        });
    }
    Ok(Scenario {
        event_id,
        ticket_type_id,
        buyers,
        created: 201,
    })
}

/// The Node peer: a stock counter set through its admin call; no line, no admission.
async fn peer_scenario(
    client: &reqwest::Client,
    opts: &Options,
    jwt: &Jwt,
    run_id: &str,
    stock: i64,
) -> anyhow::Result<Scenario> {
    let event_id = format!("bo-fanout-{run_id}");
    let ticket_type_id = "ga".to_string();
    client
        .post(format!("{}/api/admin/stock", opts.urls[0]))
        .json(&json!({"eventId": event_id, "ticketTypeId": ticket_type_id, "quantity": stock}))
        .send()
        .await?
        .error_for_status()
        .context("setting the peer's stock")?;
    let buyers = (0..opts.burst_concurrency.max(1))
        .map(|b| {
            Ok(Buyer {
                token: session_token(jwt, &format!("fanout-buyer-{run_id}-{b}"))?,
                admission: None,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Scenario {
        event_id,
        ticket_type_id,
        buyers,
        created: 200,
    })
}

/// One ticket, over REST (the same call on both targets).
async fn purchase(
    client: &reqwest::Client,
    url: &str,
    scenario: &Scenario,
    buyer: &Buyer,
) -> anyhow::Result<()> {
    let mut req = client
        .post(format!("{url}/api/reservations"))
        .bearer_auth(&buyer.token)
        .json(&json!({"eventId": scenario.event_id, "ticketTypeId": scenario.ticket_type_id, "quantity": 1}));
    if let Some(admission) = &buyer.admission {
        req = req.header("x-admission-token", admission);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    if status != scenario.created {
        let body = resp.text().await.unwrap_or_default();
        bail!("purchase refused: {status} {body}");
    }
    resp.bytes().await?;
    Ok(())
}

/// A session token both targets accept: the user id in `sub` (Boxoffice) and in `userId`
/// (the original design, which the peer reads).
fn session_token(jwt: &Jwt, user: &str) -> anyhow::Result<String> {
    let now = unix_now();
    Ok(jwt.sign(&Claims {
        sub: Some(user.to_string()),
        user_id: Some(user.to_string()),
        exp: now + 3600,
        iat: now,
        role: Role::User,
        name: None,
        typ: None,
    })?)
}

/// One socket's life: connect (at most `gate` at a time), join when told, record pushes,
/// close when told. `None` if it never connected.
async fn socket(
    server: SocketAddr,
    host: String,
    source: Ipv4Addr,
    token: String,
    shared: Arc<Shared>,
    mut cmd: watch::Receiver<Command>,
    gate: Arc<Semaphore>,
) -> Option<Tally> {
    let permit = gate.acquire_owned().await.ok()?;
    let mut ws = match open(server, &host, source, &token).await {
        Ok(ws) => ws,
        Err(e) => {
            shared.fail(format!("{e:#}"));
            return None;
        }
    };
    drop(permit);
    shared.connected.fetch_add(1, Ordering::Relaxed);
    let mut tally = Tally {
        spaced: vec![0; shared.purchases],
        duplicates: 0,
        pushes: 0,
    };
    let burst_start = shared.stock - shared.purchases as i64;
    // The lowest remaining quantity this socket has seen in the burst.
    let mut burst_low = burst_start;
    let mut joined = false;
    loop {
        tokio::select! {
            changed = cmd.changed() => {
                let now = if changed.is_ok() { *cmd.borrow_and_update() } else { Command::Close };
                match now {
                    Command::Join if !joined => {
                        joined = true;
                        if ws.send(Message::text(shared.join_packet.clone())).await.is_err() {
                            shared.fail("join: send failed".into());
                            return Some(tally);
                        }
                        if !shared.wants_ack {
                            shared.joined.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Command::Close => {
                        let _ = ws.close(None).await;
                        return Some(tally);
                    }
                    _ => {}
                }
            }
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None => {
                        shared.fail("the server closed the connection".into());
                        return Some(tally);
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        shared.fail(format!("read: {e}"));
                        return Some(tally);
                    }
                };
                match eio::parse(&text) {
                    Packet::Ping => {
                        let _ = ws.send(Message::text(eio::PONG)).await;
                    }
                    Packet::Event(array) if eio::is_event(array, "ticket:updated") => {
                        let at = shared.now_us();
                        tally.pushes += 1;
                        let Some(remaining) = eio::int_field(array, "remainingQuantity") else {
                            continue;
                        };
                        let index = shared.stock - 1 - remaining;
                        if (0..shared.purchases as i64).contains(&index) {
                            let slot = &mut tally.spaced[index as usize];
                            if *slot == 0 {
                                *slot = at;
                                shared.spaced_received.fetch_add(1, Ordering::Relaxed);
                            } else {
                                tally.duplicates += 1;
                            }
                        } else if remaining < burst_start {
                            shared.burst_messages.fetch_add(1, Ordering::Relaxed);
                            if remaining < burst_low {
                                shared.burst_covered.fetch_add((burst_low - remaining) as u64, Ordering::Relaxed);
                                burst_low = remaining;
                            }
                        }
                    }
                    Packet::Event(_) => tally.pushes += 1,
                    Packet::Ack(0, array) if shared.wants_ack => {
                        if array.starts_with("[{\"ok\":true") || array.contains("\"ok\":true") {
                            shared.joined.fetch_add(1, Ordering::Relaxed);
                        } else {
                            shared.fail(format!("join refused: {array}"));
                        }
                    }
                    Packet::Disconnect | Packet::Close => {
                        shared.fail("the server disconnected the socket".into());
                        return Some(tally);
                    }
                    _ => {}
                }
            }
        }
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// TCP from `source` to `server`, the WebSocket handshake, then Engine.IO OPEN and the
/// Socket.IO CONNECT with the token.
async fn open(server: SocketAddr, host: &str, source: Ipv4Addr, token: &str) -> anyhow::Result<Ws> {
    let tcp = TcpSocket::new_v4()?;
    tcp.bind(SocketAddr::from((source, 0)))
        .with_context(|| format!("binding {source}"))?;
    let stream = tcp
        .connect(server)
        .await
        .with_context(|| format!("connecting {source} -> {server}"))?;
    stream.set_nodelay(true)?;
    let request =
        format!("ws://{host}/socket.io/?EIO=4&transport=websocket").into_client_request()?;
    // Small buffers: 20,000 sockets at tungstenite's default 128 KiB read buffer would
    // take 2.5 GiB. Pushes here are a few hundred bytes.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    let mut sent_connect = false;
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(30), ws.next())
        .await
        .context("handshake timed out")?
    {
        let Message::Text(text) = msg? else { continue };
        match eio::parse(&text) {
            Packet::Open if !sent_connect => {
                ws.send(Message::text(eio::connect(token))).await?;
                sent_connect = true;
            }
            Packet::Ping => ws.send(Message::text(eio::PONG)).await?,
            Packet::Connect => return Ok(ws),
            Packet::ConnectError(why) => bail!("connect refused: {why}"),
            _ => {}
        }
    }
    bail!("closed during the handshake")
}

/// Each url's socket address and `host:port` (loopback, checked by the caller).
async fn resolve(urls: &[String]) -> anyhow::Result<Vec<(SocketAddr, String)>> {
    let mut out = Vec::new();
    for url in urls {
        let parsed = reqwest::Url::parse(url)?;
        let host = parsed.host_str().context("url without host")?;
        let port = parsed.port_or_known_default().context("url without port")?;
        let addr = tokio::net::lookup_host((host, port))
            .await?
            .find(SocketAddr::is_ipv4)
            .with_context(|| format!("{url}: no IPv4 address"))?;
        out.push((addr, format!("{host}:{port}")));
    }
    Ok(out)
}

/// Raises the open-files limit towards `want` (the hard limit too, when allowed: root with
/// CAP_SYS_RESOURCE); returns the soft limit now.
pub fn raise_nofile(want: u64) -> u64 {
    use rlimit::Resource;
    if let Ok((_, hard)) = Resource::NOFILE.get() {
        if hard < want {
            let _ = Resource::NOFILE.set(want, want);
        }
    }
    match rlimit::increase_nofile_limit(want) {
        Ok(now) => now,
        Err(_) => Resource::NOFILE.get().map_or(0, |l| l.0),
    }
}

async fn wait_until(deadline: Instant, done: impl Fn() -> bool) {
    while !done() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn failures(shared: &Shared) -> String {
    let failed = shared.failed.load(Ordering::Relaxed);
    if failed == 0 {
        return String::new();
    }
    let first = shared
        .first_error
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_default();
    format!(" ({failed} failed; first: {first})")
}

/// utime + stime of the processes, in clock ticks.
fn cpu_ticks(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| {
            // Fields after the command name, which may hold spaces: state is field 3, so
            // utime (14) and stime (15) are the 12th and 13th after ") ".
            let rest = stat.rsplit_once(") ")?.1;
            let mut f = rest.split_ascii_whitespace().skip(11);
            Some(f.next()?.parse::<u64>().ok()? + f.next()?.parse::<u64>().ok()?)
        })
        .sum()
}

fn ticks_to_secs(ticks: u64) -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let tck = *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    });
    ticks as f64 / tck
}

/// VmRSS of each process, KiB (0 for one that cannot be read).
fn rss_kib(pids: &[u32]) -> Vec<u64> {
    pids.iter()
        .map(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
                    line.split_ascii_whitespace().nth(1)?.parse().ok()
                })
                .unwrap_or(0)
        })
        .collect()
}
