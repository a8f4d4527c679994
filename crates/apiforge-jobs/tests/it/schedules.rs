//! Cron schedules enqueue each occurrence exactly once, whatever the number of workers.

use std::time::Duration;

use apiforge_jobs::{Queue, Registry, Schedule};
use serde_json::{Value, json};

use crate::{TestDb, both, fast_config, spawn_worker};

both!(
    schedule_claims_each_occurrence_once,
    schedules_fire_once_across_two_workers
);

async fn schedule_claims_each_occurrence_once(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let other = Queue::new(db.reopen().await);
    let mut schedule = Schedule::new("nightly", "0 2 * * *", "regenerate", json!({"all": true}));
    let info = queue.upsert_schedule(&schedule).await.unwrap();
    let slot = info.next_run_at;
    assert_eq!(slot % 86_400_000, 2 * 3_600_000, "02:00 UTC");
    assert!(slot > apiforge_store::now_ms());
    // Upserting the same cron keeps the planned run; a bad cron is refused.
    schedule.priority = 3;
    assert_eq!(
        queue.upsert_schedule(&schedule).await.unwrap().next_run_at,
        slot
    );
    let bad = Schedule::new("bad", "not cron", "regenerate", json!({}));
    assert!(queue.upsert_schedule(&bad).await.is_err());

    // Nothing is due yet.
    assert!(
        queue
            .enqueue_due_schedules(slot - 1)
            .await
            .unwrap()
            .is_empty()
    );
    // Eight ticks at once, on two pools, at the occurrence: one job.
    let ticks = (0..8).map(|i| {
        let q = if i % 2 == 0 {
            queue.clone()
        } else {
            other.clone()
        };
        tokio::spawn(async move { q.enqueue_due_schedules(slot + 5).await.unwrap() })
    });
    let mut enqueued = Vec::new();
    for tick in ticks {
        enqueued.extend(tick.await.unwrap());
    }
    assert_eq!(enqueued.len(), 1, "{enqueued:?}");
    let job = queue.job(&enqueued[0]).await.unwrap().unwrap();
    assert_eq!(
        (job.kind.as_str(), job.priority, job.run_at),
        ("regenerate", 3, slot)
    );
    assert_eq!(job.payload, json!({"all": true}));
    let info = queue.schedule("nightly").await.unwrap().unwrap();
    assert_eq!(info.next_run_at, slot + 86_400_000);
    assert_eq!(info.last_run_at, Some(slot));
    assert!(
        queue
            .enqueue_due_schedules(slot + 5)
            .await
            .unwrap()
            .is_empty()
    );

    // Disabled schedules do not fire; deleting works.
    schedule.enabled = false;
    queue.upsert_schedule(&schedule).await.unwrap();
    assert!(
        queue
            .enqueue_due_schedules(slot + 86_400_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(queue.delete_schedule("nightly").await.unwrap());
    assert!(queue.schedules().await.unwrap().is_empty());
}

async fn schedules_fire_once_across_two_workers(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let other = Queue::new(db.reopen().await);
    let registry = Registry::new().with_fn("tick", |_ctx| async { Ok(Value::Null) });
    // Every second (a seconds field), for about 2.5 s, with two workers ticking.
    queue
        .upsert_schedule(&Schedule::new(
            "every-second",
            "* * * * * *",
            "tick",
            json!({}),
        ))
        .await
        .unwrap();
    let w1 = spawn_worker(&queue, fast_config("w1"), registry.clone());
    let w2 = spawn_worker(&other, fast_config("w2"), registry);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    queue.delete_schedule("every-second").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    w1.stop().await;
    w2.stop().await;
    let (count, distinct, succeeded): (i64, i64, i64) = match db.db() {
        apiforge_store::Db::Sqlite(pool) => sqlx::query_as(SQL).fetch_one(pool).await.unwrap(),
        apiforge_store::Db::Postgres(pool) => sqlx::query_as(SQL).fetch_one(pool).await.unwrap(),
    };
    const SQL: &str = "SELECT COUNT(*), COUNT(DISTINCT run_at), \
         SUM(CASE WHEN state = 'succeeded' THEN 1 ELSE 0 END) FROM jobs WHERE kind = 'tick'";
    assert!((2..=3).contains(&count), "{count} jobs in 2.5 s");
    assert_eq!(count, distinct, "an occurrence was enqueued twice");
    assert_eq!(succeeded, count);
}
