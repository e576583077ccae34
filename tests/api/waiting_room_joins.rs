//! Batched joins (`Line::join_all`) answer the same on both lines: the same batches, in the
//! same states of the line (sale open, before the sale, during a recovery, with shoppers
//! lapsing), give the same places in memory and in Redis, where `line.lua` takes a batch
//! through its own fast path while the sale is open. Each batch has re-joins in it, of
//! users from earlier batches and of users earlier in the same batch.

use boxoffice::waiting_room::line::{At, Claim, Joiner, Line, LineSettings, Recovery};
use boxoffice::waiting_room::memory::MemoryLine;
use boxoffice::waiting_room::redis::RedisLine;

/// One step: the time, when the sale opens, and the batch of (user, claim).
type Step<'a> = (i64, i64, Vec<(&'a str, Claim)>);

fn joiners(users: &[(&str, Claim)]) -> Vec<Joiner> {
    users
        .iter()
        .map(|(u, c)| Joiner {
            user_id: u.to_string(),
            claim: *c,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_joins_answer_the_same_in_memory_and_in_redis() {
    let client = redis::Client::open(crate::helpers::redis_url()).unwrap();
    let conn = redis::aio::ConnectionManager::new(client)
        .await
        .expect("Redis is required for this test");
    let prefix = format!("bo-joins-{}", uuid::Uuid::new_v4().simple());
    let lines: [Box<dyn Line>; 2] = [
        Box::new(MemoryLine::new()),
        Box::new(RedisLine::new(conn.clone(), &prefix)),
    ];
    let settings = |opens| LineSettings {
        capacity: 3,
        admit_rate_per_sec: 1.0,
        idle_ms: 60_000,
        turn_ms: 120_000,
        sale_opens_at: opens,
        tick_ms: 200,
        gate: Default::default(),
    };
    let none = Claim::None;
    // (now, sale opens at, the batch); each step also ticks the line afterwards.
    let steps: Vec<Step> = vec![
        // Sale open: 3 straight in, then numbers; re-joins within the batch.
        (
            1_000,
            0,
            vec![
                ("a", none),
                ("b", none),
                ("a", none),
                ("c", none),
                ("d", none),
                ("e", none),
                ("d", none),
            ],
        ),
        // Re-joins of shoppers and of waiting users from before, and newcomers.
        (
            2_000,
            0,
            vec![
                ("c", none),
                ("f", none),
                ("a", none),
                ("g", none),
                ("f", none),
                ("e", none),
            ],
        ),
        // Shoppers idle past the timeout lapse before the batch: room again, but people wait.
        (70_000, 0, vec![("h", none), ("b", none), ("d", none)]),
        // Another event's line, before its sale opens (not the fast path). One early joiner
        // only: the opening shuffles the early ones, at random in each line.
        (1_000, 50_000, vec![("p", none), ("p", none)]),
        (60_000, 50_000, vec![("r", none), ("p", none), ("q", none)]),
    ];
    let mut answers: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
    for (i, line) in lines.iter().enumerate() {
        for (step, (now, opens, batch)) in steps.iter().enumerate() {
            let event = if *opens > 0 {
                "joins-presale"
            } else {
                "joins-open"
            };
            let s = settings(*opens);
            let at = At {
                event_id: event,
                now: *now,
                settings: &s,
            };
            if step == 0 || step == 3 {
                line.init(at, "epoch").await.unwrap();
            }
            let places = line.join_all(at, &joiners(batch)).await.unwrap();
            assert_eq!(places.len(), batch.len());
            answers[i].push(format!("{places:?}"));
            // Single joins go the same way as batches of one (not before the sale: see above).
            if now >= opens {
                let lone = line.join(at, &format!("lone-{step}"), none).await.unwrap();
                answers[i].push(format!("{lone:?}"));
            }
            let tick = line
                .tick(At {
                    now: now + 500,
                    ..at
                })
                .await
                .unwrap();
            answers[i].push(format!(
                "serving {} waiting {} admitted {:?}",
                tick.serving, tick.waiting, tick.admitted
            ));
        }
        // A recovery: numbers come back with claims, newcomers wait behind (not the fast
        // path), then the window closes and they are numbered.
        let s = settings(0);
        let at = |now| At {
            event_id: "joins-recovery",
            now,
            settings: &s,
        };
        line.recover(
            at(1_000),
            &Recovery {
                new_epoch: "rebuilt".into(),
                seen_epoch: String::new(),
                next: 10,
                serving: 4,
                active: 1,
                window_ms: 10_000,
                pause_ms: 5_000,
                reserve_ms: 60_000,
            },
        )
        .await
        .unwrap();
        let batch = joiners(&[
            ("x", Claim::Number(7)),
            ("y", none),
            ("x", Claim::Number(7)),
            ("z", Claim::Number(3)),
            ("w", Claim::Number(9)),
        ]);
        let places = line.join_all(at(2_000), &batch).await.unwrap();
        answers[i].push(format!("{places:?}"));
        line.tick(at(12_000)).await.unwrap();
        let after = joiners(&[("y", none), ("v", none), ("x", none)]);
        let places = line.join_all(at(12_500), &after).await.unwrap();
        answers[i].push(format!("{places:?}"));
    }
    for (m, r) in answers[0].iter().zip(&answers[1]) {
        assert_eq!(m, r, "memory and Redis differ");
    }
    assert_eq!(answers[0].len(), answers[1].len());
    // The first batch: three in, then numbers 1 and 2; re-joins keep their places.
    let first = &answers[0][0];
    assert_eq!(first.matches("Admitted").count(), 4, "{first}");
    assert!(
        first.contains("number: 1") && first.contains("number: 2"),
        "{first}"
    );
    // Nothing of the test is left in Redis.
    let mut c = conn.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut c)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut c)
            .await
            .unwrap();
    }
}
