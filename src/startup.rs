//! Building and running the application: configuration in, a listening server out.
//!
//! [`Application::build`] connects to the database, migrates, seeds, binds the port and
//! assembles the state; [`Application::run_until`] serves until the given shutdown future
//! completes (Ctrl-C / SIGTERM in `main`, a test's own signal in tests), then drains
//! ([`crate::drain`]) and stops. Tests bind port 0 and read the real one with
//! [`Application::port`].

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use socketioxide::adapter::{Adapter, LocalAdapter};
use socketioxide::handler::ConnectHandler;
use socketioxide::{SocketIo, SocketIoBuilder};
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use tokio::net::TcpListener;

use crate::auth::{Jwt, Passwords, Users};
use crate::botcheck::{
    BotCheck, MemoryLedger, RedisLedger, SolutionLedger, MEMORY_LEDGER_CAPACITY,
};
use crate::clock::Clock;
use crate::config::Config;
use crate::coord::{Coord, MemoryCoord, RedisCoord};
use crate::db::Db;
use crate::drain::Drain;
use crate::health::Readiness;
use crate::http::rate_limit::{Buckets, Limits};
use crate::idempotency::IdempotencyStore;
use crate::inventory::{supervise_settings_watcher, supervise_sweeper, ChangeFeed, Inventory};
use crate::metrics::prometheus::{self, Exposition};
use crate::metrics::Metrics;
use crate::realtime::snapshots::SnapshotCache;
use crate::realtime::{self, fanout, redis_driver::CountingDriver};
use crate::redis_client::redact;
use crate::shopping::Shopping;
use crate::state::{AppState, Services, Settings};
use crate::stats::LiveFigures;
use crate::tasks::Supervisor;
use crate::waiting_room::line::Line;
use crate::waiting_room::memory::MemoryLine;
use crate::waiting_room::redis::RedisLine;
use crate::waiting_room::WaitingRoom;

/// Change-feed messages buffered per subscriber before it is told it lagged.
const FEED_CAPACITY: usize = 16 * 1024;

/// How often each instance deletes expired Idempotency-Key rows.
const IDEMPOTENCY_SWEEP_EVERY: Duration = Duration::from_secs(600);
/// How long background tasks get at shutdown to finish the tick they are in.
const TASK_GRACE: Duration = Duration::from_secs(10);

/// Moves the sockets away over the given spread, then closes Socket.IO
/// ([`realtime::drain::move_sockets`]).
type MoveSockets =
    Box<dyn FnOnce(Drain, Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

pub struct Application {
    listener: TcpListener,
    state: AppState,
    router: Router,
    /// Every background task, registered here and started by `run_until` once nothing can
    /// fail any more; stopped on shutdown after finishing its current tick.
    tasks: Supervisor,
    move_sockets: MoveSockets,
    /// `DRAIN_SECONDS`: the window over which a drain moves the sockets away.
    drain_spread: Duration,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        Self::build_on(config, Clock::system()).await
    }

    /// As [`Application::build`], with the clock the domain should read (tests pass a
    /// manual one to move time forward without sleeping). Only with the `test-util` feature.
    #[cfg(any(test, feature = "test-util"))]
    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<Application> {
        Self::build_on(config, clock).await
    }

    /// Assembles the application in order: storage, services, background work, the socket
    /// layer, and last the listening port. Background tasks are only registered here; they
    /// start in [`Application::run_until`], so a step that fails leaves nothing running.
    async fn build_on(config: Config, clock: Clock) -> anyhow::Result<Application> {
        if config.jwt_secret.is_none() || config.database_url.starts_with("sqlite:") {
            // Embedded mode keeps its secret and (by default) its database here: owner only.
            secure_data_dir(&config.data_dir);
        }
        let secret = jwt_secret(&config)?;
        let accepted = config.accepted_secrets()?;
        let database_url = config.effective_database_url()?;
        let db = Db::connect(&database_url, config.database_max_connections)
            .await
            .with_context(|| format!("cannot open database {}", redact(&database_url)))?;
        // One client (TLS, password) for every Redis user; checked once before any of them.
        let redis = crate::redis_client::client(&config)?;
        if let Some(client) = &redis {
            crate::redis_client::probe(client).await?;
        }
        let (state, snapshots) =
            services(&config, &secret, &accepted, db, redis.as_ref(), clock).await?;
        // Where event settings revisions stand, before anything is cached: every change from
        // here on is seen by the watcher.
        state.inventory.poll_settings().await?;
        let mut tasks = Supervisor::new();
        state
            .waiting_room
            .supervise(&mut tasks, config.queue_ticker());
        // Event settings changed on any instance reach this one within a second.
        supervise_settings_watcher(&state.inventory, &mut tasks);
        crate::inventory::supervise_waitlist(state.inventory.clone(), &mut tasks);
        if config.sweep_interval_ms > 0 {
            let every = Duration::from_millis(config.sweep_interval_ms);
            supervise_sweeper(state.inventory.clone(), every, &mut tasks);
            // Saved Idempotency-Key answers past their day, with the other sweeps (off in tests).
            state
                .idempotency
                .clone()
                .supervise_sweeper(IDEMPOTENCY_SWEEP_EVERY, &mut tasks);
        }

        // Socket.IO shares the port: its layer answers /socket.io/ and passes the rest on.
        let http = crate::http::app(state.clone());
        let (router, move_sockets) =
            socket_layer(http, &config, &state, snapshots, redis, &mut tasks).await?;
        // While draining, new Socket.IO handshakes get 503 (the load balancer tries another).
        let router = router.layer(axum::middleware::from_fn_with_state(
            state.drain.clone(),
            realtime::drain::gate,
        ));
        // Outermost, so Socket.IO requests reach engineioxide with heads of their own.
        let router = router.layer(axum::middleware::map_request(
            realtime::request_head::own_request_head,
        ));
        // Every answer, Socket.IO's included, carries the security headers.
        let router = crate::http::security::with_security_headers(router);
        // Outermost: each request's id, span and `x-request-id` answer header.
        let router = crate::http::request_id::with_request_id(router);

        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
        Ok(Application {
            listener,
            state,
            router,
            tasks,
            move_sockets,
            drain_spread: Duration::from_secs(config.drain_seconds),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The assembled services, for tests that check state behind the API (`test-util`).
    #[cfg(any(test, feature = "test-util"))]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The instance's drain handle: [`Drain::begin`] stops the server as `shutdown` does;
    /// [`Drain::hurry`] moves the sockets at once instead of over `DRAIN_SECONDS`.
    pub fn drain(&self) -> Drain {
        self.state.drain.clone()
    }

    /// Starts the background tasks and serves until `shutdown` completes (or the drain is
    /// begun otherwise), then drains ([`crate::drain`]): readiness and new Socket.IO
    /// handshakes answer 503 at once, the sockets are moved away over `DRAIN_SECONDS` while
    /// REST is still served, then the listener closes, in-flight requests finish and the
    /// background tasks stop, each after its current tick.
    pub async fn run_until(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.tasks.start();
        tracing::info!(addr = %self.listener.local_addr()?, "boxoffice listening");
        let (move_sockets, drain, spread) = (
            self.move_sockets,
            self.state.drain.clone(),
            self.drain_spread,
        );
        // Open sockets would keep a graceful shutdown waiting for ever: move them first.
        let shutdown = async move {
            tokio::select! {
                _ = shutdown => drain.begin(),
                _ = drain.begun() => {}
            }
            move_sockets(drain, spread).await;
        };
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        tracing::info!("listener closed, in-flight requests answered");
        self.tasks.shutdown(TASK_GRACE).await;
        tracing::info!("background tasks stopped");
        served.context("server failed")
    }
}

/// The domain and its services over the opened stores: users (and the administrator),
/// the demo event, inventory, the line and coordination (Redis or in-process, chosen once,
/// here), the bot check, the shopping service, and the limits.
async fn services(
    config: &Config,
    secret: &str,
    accepted: &[Vec<u8>],
    db: Db,
    redis: Option<&redis::Client>,
    clock: Clock,
) -> anyhow::Result<(AppState, Arc<SnapshotCache>)> {
    let jwt = Jwt::new(secret.as_bytes(), config.token_ttl_seconds)?.accepting(accepted)?;
    let metrics = Arc::new(Metrics::default());
    let counted = metrics.clone();
    let inventory = Inventory::new(
        db.clone(),
        clock.clone(),
        ChangeFeed::new(FEED_CAPACITY).observed_by(Arc::new(
            move |change: &crate::inventory::InventoryChange| counted.recorded.change(change),
        )),
        config.max_tickets_per_order,
    );
    let users = Users::new(db.clone(), jwt, clock.clone()).with_passwords(
        Passwords::new(
            config.password_hash_concurrency,
            Duration::from_millis(config.password_hash_wait_ms),
        )
        .with_refusal_counter(metrics.auth_busy.clone()),
    );
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) {
        users.ensure_admin(email, password).await?;
        tracing::info!(%email, "administrator account ready");
    }
    if config.seed_demo {
        crate::demo::seed(&inventory).await?;
    }
    let (coord, line, ledger): (Arc<dyn Coord>, Arc<dyn Line>, Arc<dyn SolutionLedger>) =
        match redis {
            Some(client) => {
                let coord = RedisCoord::connect(client, &config.redis_prefix)
                    .await
                    .context("cannot reach Redis")?;
                let line = RedisLine::new(coord.connection(), &config.redis_prefix);
                let ledger =
                    RedisLedger::new(coord.connection(), &config.redis_prefix, clock.clone());
                (Arc::new(coord), Arc::new(line), Arc::new(ledger))
            }
            None => (
                Arc::new(MemoryCoord::new()),
                Arc::new(MemoryLine::new()),
                Arc::new(MemoryLedger::new(clock.clone(), MEMORY_LEDGER_CAPACITY)),
            ),
        };
    let waiting_room = Arc::new(WaitingRoom::new(crate::waiting_room::Parts {
        line,
        inventory: inventory.clone(),
        db: db.clone(),
        clock: clock.clone(),
        metrics: metrics.clone(),
        secret: secret.as_bytes().to_vec(),
        accepted_secrets: accepted.to_vec(),
        tick_ms: config.queue_tick_ms,
        recovery_seconds: config.line_recovery_seconds,
    }));
    let bot_check = Arc::new(BotCheck::new(
        secret.as_bytes(),
        accepted,
        crate::botcheck::Settings {
            mode: config.bot_check,
            max_number: config.bot_check_max_number,
            ttl_seconds: config.bot_check_ttl_seconds,
        },
        clock.clone(),
        ledger,
        inventory.clone(),
        metrics.clone(),
    ));
    let drain = Drain::new();
    let readiness = Arc::new(Readiness::new(db.clone(), coord.clone(), drain.clone()));
    let exposition = Arc::new(Exposition::new(prometheus::Sources {
        metrics: metrics.clone(),
        db: db.clone(),
        waiting_room: waiting_room.clone(),
        coordination: coord.kind(),
        token: config.metrics_token.clone(),
    }));
    let live = Arc::new(LiveFigures::new(crate::stats::Parts {
        coord: coord.clone(),
        stock: inventory.view(),
        waiting_room: waiting_room.clone(),
        metrics: metrics.clone(),
        clock: clock.clone(),
    }));
    // One snapshot cache for `join:event` and `GET …/seat-status`: the real-time layer
    // keeps it current, the HTTP edge reads it through a trait.
    let snapshots = Arc::new(SnapshotCache::new(metrics.clone()));
    let seat_status = Arc::new(realtime::snapshots::SeatStatusReader {
        cache: snapshots.clone(),
        stock: inventory.view(),
    });
    let state = AppState::new(Services {
        seat_status,
        live,
        shopping: Shopping::new(inventory.clone(), waiting_room.clone(), metrics.clone()),
        exposition,
        inventory,
        users: Arc::new(users),
        waiting_room,
        idempotency: IdempotencyStore::new(db.clone(), clock),
        coord,
        metrics,
        bot_check,
        limits: Arc::new(Limits {
            identity: Buckets::new(config.auth_rate_per_ip, config.auth_rate_per_ip * 4.0),
            shopping: Buckets::new(config.shop_rate_per_user, config.shop_rate_per_user * 4.0),
            trusted: config.trusted_proxies.clone(),
        }),
        settings: Arc::new(Settings {
            allow_guests: config.allow_guests,
            max_body_bytes: config.max_body_bytes,
            web_dir: config.web_dir.clone(),
            frontend_url: config.frontend_url.clone(),
            backend: db.backend,
            default_currency: config.default_currency,
        }),
        drain,
        readiness,
    });
    Ok((state, snapshots))
}

/// Socket.IO on the same router: the in-process adapter, or the Redis adapter with the
/// relay of changes between instances. Registers the real-time background tasks.
async fn socket_layer(
    http: Router,
    config: &Config,
    state: &AppState,
    snapshots: Arc<SnapshotCache>,
    redis: Option<redis::Client>,
    tasks: &mut Supervisor,
) -> anyhow::Result<(Router, MoveSockets)> {
    let metrics = state.metrics.clone();
    let rt = Arc::new(realtime::Realtime {
        stock: state.inventory.view(),
        queue: state.waiting_room.view(),
        sessions: state.users.jwt().clone(),
        coord: state.coord.clone(),
        metrics: metrics.clone(),
        snapshots,
        live: state.live.clone(),
        watched: realtime::admin::Watched::default(),
        events_per_sec: config.socket_events_per_sec,
        event_burst: config.socket_event_burst,
        max_sockets_per_user: config.max_sockets_per_user,
        socket_lease: Duration::from_secs(config.socket_lease_seconds),
    });
    let mut realtime_tasks = RealtimeTasks {
        feed: state.inventory.feed().clone(),
        waiting_room: state.waiting_room.clone(),
        window: Duration::from_millis(config.push_batch_ms),
        relay: None,
    };
    let Some(client) = redis else {
        let (layer, io) = engine_config(SocketIo::builder())
            .with_state(rt.clone())
            .build_layer();
        io.ns(
            "/",
            realtime::on_connect::<LocalAdapter>.with(realtime::authenticate::<LocalAdapter>),
        );
        realtime_tasks.supervise(&io, &metrics, rt, tasks);
        return Ok((http.layer(layer), mover(io)));
    };
    let driver = CountingDriver::new(&client, metrics.redis_dropped.clone())
        .await
        .context("cannot open the Redis pub/sub connection (Redis 7+ with RESP3 is required)")?;
    let relay =
        realtime::relay::Relay::start(driver.clone(), &config.redis_prefix, rt.snapshots.clone())
            .await
            .context("cannot subscribe to other instances' inventory changes")?;
    let adapter = RedisAdapterCtr::new_with_driver(
        driver,
        RedisAdapterConfig::new()
            .with_prefix(format!("{}:socket.io", config.redis_prefix))
            .with_stream_buffer(config.redis_stream_buffer.max(1)),
    );
    type Redis = CustomRedisAdapter<socketioxide::adapter::Emitter, CountingDriver>;
    let (layer, io) = engine_config(SocketIo::builder().with_adapter::<Redis>(adapter))
        .with_state(rt.clone())
        .build_layer();
    io.ns(
        "/",
        realtime::on_connect::<Redis>.with(realtime::authenticate::<Redis>),
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot start the Redis adapter: {e}"))?;
    realtime_tasks.relay = Some(Arc::new(relay));
    realtime_tasks.supervise(&io, &metrics, rt, tasks);
    Ok((http.layer(layer), mover(io)))
}

/// Largest Socket.IO packet a client may send (WebSocket message or frame, polling body,
/// binary attachments): 16 KiB, as `shared/PROTOCOL.md` (Fairness) fixes. Snapshots the
/// server sends may be larger.
pub const MAX_CLIENT_PACKET: usize = 16 * 1024;

/// Engine settings shared by both adapters. A watcher sends almost nothing, so its read
/// buffer is small. The outgoing queue stays at 256 packets: a full queue drops pushes for
/// that socket, and 256 is over a second of batched pushes for a slow client (64 saved only
/// ~3 KiB per connection in `bench/fanout.mjs`, not worth the risk).
fn engine_config<A: Adapter>(b: SocketIoBuilder<A>) -> SocketIoBuilder<A> {
    b.ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .max_buffer_size(256)
        .max_payload(MAX_CLIENT_PACKET as u64)
        .ws_read_buffer_size(512)
        // A WebSocket frame or message over the cap closes the connection as soon as its
        // header announces the length: nothing is buffered (engineioxide allows 64 MiB).
        .ws_max_message_size(MAX_CLIENT_PACKET)
        .ws_max_frame_size(MAX_CLIENT_PACKET)
        .with_parser(
            socketioxide::ParserConfig::common()
                .max_incoming_binary_buf_size(MAX_CLIENT_PACKET)
                .max_incoming_binaries(1),
        )
        .connect_timeout(Duration::from_secs(10))
}

/// What the real-time layer's background tasks consume, whichever adapter carries them.
struct RealtimeTasks {
    feed: ChangeFeed,
    waiting_room: Arc<WaitingRoom>,
    window: Duration,
    relay: Option<Arc<realtime::relay::Relay>>,
}

impl RealtimeTasks {
    /// The fan-out of inventory changes and of the line, and the socket-lease heartbeat.
    fn supervise<A: Adapter>(
        self,
        io: &SocketIo<A>,
        metrics: &Arc<Metrics>,
        rt: realtime::Rt,
        tasks: &mut Supervisor,
    ) {
        let (io2, metrics2, snapshots) = (io.clone(), metrics.clone(), rt.snapshots.clone());
        let (feed, window, relay) = (self.feed, self.window, self.relay);
        tasks.keep("change fan-out", move |token| {
            fanout::run(
                io2.clone(),
                feed.subscribe(),
                window,
                metrics2.clone(),
                snapshots.clone(),
                relay.clone(),
                token,
            )
        });
        let (io2, metrics2, room) = (io.clone(), metrics.clone(), self.waiting_room);
        tasks.keep("line fan-out", move |token| {
            fanout::run_queue(io2.clone(), room.subscribe(), metrics2.clone(), token)
        });
        // Every instance publishes its figures each second (others' operators count it), and
        // sends `admin:stats` to its own sockets watching an event.
        let (io2, rt2) = (io.clone(), rt.clone());
        tasks.every("admin stats", crate::stats::PUBLISH_EVERY, move || {
            let (io, rt) = (io2.clone(), rt2.clone());
            async move { realtime::admin::tick(&io, &rt).await }
        });
        let (io2, metrics2, stock) = (io.clone(), metrics.clone(), rt.stock.clone());
        tasks.keep("waitlist offers fan-out", move |token| {
            realtime::waitlist::run(
                io2.clone(),
                stock.subscribe_offers(),
                metrics2.clone(),
                token,
            )
        });
        let (io2, stock) = (io.clone(), rt.stock.clone());
        tasks.keep("event:updated", move |token| {
            let changes = stock.settings_changes();
            realtime::event_updates::run(io2.clone(), stock.clone(), changes, token)
        });
        if rt.max_sockets_per_user > 0 {
            let io = io.clone();
            tasks.every("socket-lease heartbeat", rt.socket_lease / 3, move || {
                let (io, rt) = (io.clone(), rt.clone());
                async move { realtime::renew_socket_leases(&io, &rt).await }
            });
        }
    }
}

fn mover<A: Adapter>(io: SocketIo<A>) -> MoveSockets {
    Box::new(move |drain, spread| Box::pin(realtime::drain::move_sockets(io, drain, spread)))
}

/// The signing key: JWT_SECRET, or in embedded mode one generated once and kept under the
/// data dir so restarts keep sessions. A cluster must share one explicit secret.
fn jwt_secret(config: &Config) -> anyhow::Result<String> {
    if let Some(s) = &config.jwt_secret {
        anyhow::ensure!(
            s.len() >= crate::auth::MIN_SECRET_LEN,
            "JWT_SECRET must be at least {} bytes",
            crate::auth::MIN_SECRET_LEN
        );
        return Ok(s.clone());
    }
    anyhow::ensure!(
        config.effective_redis_url().is_none(),
        "JWT_SECRET is required when REDIS_URL is set: every instance must share one key"
    );
    let path = config.data_dir.join("jwt_secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if s.len() >= crate::auth::MIN_SECRET_LEN {
            crate::db::make_private_file(&path, false)
                .with_context(|| format!("cannot restrict {}", path.display()))?;
            return Ok(s);
        }
    }
    let secret = {
        use rand::RngCore;
        let mut bytes = [0u8; 48];
        rand::thread_rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    };
    write_private(&path, &secret)?;
    tracing::warn!(path = %path.display(), "JWT_SECRET not set: generated one and saved it (embedded mode only)");
    Ok(secret)
}

/// The data dir, 0700 (created so if missing); a failure is logged, not fatal, since the
/// files in it are 0600 in any case.
fn secure_data_dir(dir: &Path) {
    let done = if dir.exists() {
        crate::db::make_private_dir(dir)
    } else {
        crate::db::create_private_dir(dir)
    };
    if let Err(e) = done {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot make the data dir private (0700)");
    }
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            crate::db::create_private_dir(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}
