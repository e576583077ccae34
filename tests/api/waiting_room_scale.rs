//! The waiting room at scale, in Redis (bounded: 100,000 users, one event, capacity 1,000):
//! active shoppers never exceed capacity, nobody is admitted twice, everyone who joined
//! before the sale opened is let in before anyone who joined after, and post-opening
//! joiners are let in first come, first served. Prints the join rate it saw (a figure for
//! the notes, not an assertion: this machine is shared).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use boxoffice::waiting_room::line::{At, Claim, Line, LineSettings, Place};
use boxoffice::waiting_room::redis::RedisLine;

const USERS: usize = 100_000;
const PRESALE: usize = 10_000;
const CAPACITY: i64 = 1_000;
const JOINERS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_join_one_event() {
    let client = redis::Client::open(crate::helpers::redis_url()).unwrap();
    let conn = redis::aio::ConnectionManager::new(client)
        .await
        .expect("Redis is required for this test");
    let prefix = format!("bo-scale-{}", uuid::Uuid::new_v4().simple());
    let line: Arc<dyn Line> = Arc::new(RedisLine::new(conn.clone(), &prefix));
    let event = "scale-event";
    let opens = 1_000_000;
    let settings = Arc::new(LineSettings {
        capacity: CAPACITY,
        admit_rate_per_sec: 50_000.0,
        idle_ms: 3_600_000,
        turn_ms: 3_600_000,
        sale_opens_at: opens,
        tick_ms: 200,
        gate: Default::default(),
    });

    line.init(
        At {
            event_id: event,
            now: 0,
            settings: &settings,
        },
        "scale-epoch",
    )
    .await
    .unwrap();

    // 10,000 join before the sale opens, 90,000 after; 64 joiners at a time.
    let join_all = |range: std::ops::Range<usize>, now: i64| {
        let (line, settings) = (line.clone(), settings.clone());
        async move {
            let started = Instant::now();
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(range.start));
            let mut tasks = Vec::new();
            for _ in 0..JOINERS {
                let (line, settings, next) = (line.clone(), settings.clone(), next.clone());
                let end = range.end;
                tasks.push(tokio::spawn(async move {
                    let mut places = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= end {
                            return places;
                        }
                        let user = format!("u{i:06}");
                        let p = line
                            .join(
                                At {
                                    event_id: event,
                                    now,
                                    settings: &settings,
                                },
                                &user,
                                Claim::None,
                            )
                            .await
                            .unwrap();
                        places.push((user, p));
                    }
                }));
            }
            let mut places = Vec::new();
            for t in tasks {
                places.extend(t.await.unwrap());
            }
            (places, started.elapsed())
        }
    };
    let (pre, pre_time) = join_all(0..PRESALE, opens - 10_000).await;
    assert!(pre.iter().all(|(_, p)| matches!(p, Place::Presale { .. })));
    let (post, post_time) = join_all(PRESALE..USERS, opens + 1).await;
    let rate = USERS as f64 / (pre_time + post_time).as_secs_f64();
    eprintln!(
        "waiting room scale: {USERS} joins in {:.2} s = {rate:.0} joins/s ({JOINERS} concurrent joiners, Redis Lua, one instance's client)",
        (pre_time + post_time).as_secs_f64()
    );
    // After opening, the shuffled early crowd waits ahead, so every later joiner waits too
    // and gets a number above all of theirs.
    let mut post_numbers = Vec::new();
    for (user, p) in &post {
        match p {
            Place::Waiting { number, .. } => post_numbers.push((*number, user.clone())),
            other => panic!("{user} should wait, got {other:?}"),
        }
    }
    post_numbers.sort();
    assert!(post_numbers[0].0 > PRESALE as i64);

    // Drain: tick, let each admitted shopper finish (release), until everyone is in.
    let mut admitted_order: Vec<String> = Vec::with_capacity(USERS);
    let mut seen = HashSet::with_capacity(USERS);
    let mut now = opens + 1_000;
    let mut ticks = 0;
    while admitted_order.len() < USERS {
        now += 1_000;
        ticks += 1;
        assert!(
            ticks < 10_000,
            "line stalled at {} admitted",
            admitted_order.len()
        );
        let tick = line
            .tick(At {
                event_id: event,
                now,
                settings: &settings,
            })
            .await
            .unwrap();
        assert!(!tick.skipped);
        assert!(
            tick.active_shoppers <= CAPACITY,
            "{} active > capacity",
            tick.active_shoppers
        );
        for u in &tick.admitted {
            assert!(seen.insert(u.clone()), "{u} admitted twice");
        }
        admitted_order.extend(tick.admitted.iter().cloned());
        // The admitted shoppers finish: their slots come back for the next tick.
        let chunks: Vec<Vec<String>> = tick.admitted.chunks(64).map(|c| c.to_vec()).collect();
        let mut tasks = Vec::new();
        for chunk in chunks {
            let (line, settings) = (line.clone(), settings.clone());
            tasks.push(tokio::spawn(async move {
                for u in chunk {
                    line.release(
                        At {
                            event_id: event,
                            now,
                            settings: &settings,
                        },
                        &u,
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
    assert_eq!(seen.len(), USERS);
    let early: HashSet<&String> = pre.iter().map(|(u, _)| u).collect();
    assert!(
        admitted_order[..PRESALE].iter().all(|u| early.contains(u)),
        "everyone who came before the opening is let in before anyone who came after"
    );
    let later: Vec<&String> = admitted_order[PRESALE..].iter().collect();
    let fifo: Vec<&String> = post_numbers.iter().map(|(_, u)| u).collect();
    assert_eq!(
        later, fifo,
        "post-opening joiners are let in in the order they joined"
    );
    eprintln!("waiting room scale: drained in {ticks} ticks of at most {CAPACITY} admissions");

    let mut c = conn.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut c)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut c)
            .await
            .unwrap();
    }
}
