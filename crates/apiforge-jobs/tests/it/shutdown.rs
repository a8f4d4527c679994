//! Graceful shutdown: the current step finishes and the job is released, or, after the
//! grace period, the lease is released; another worker takes the job at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apiforge_jobs::{JobState, NewJob, Queue, Registry, WorkerConfig};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::{TestDb, assert_state, both, event_kinds, fast_config, final_job, spawn_worker};

both!(
    shutdown_finishes_current_step_then_releases,
    shutdown_releases_lease_after_grace
);

fn two_steps(
    first: Arc<AtomicUsize>,
    second: Arc<AtomicUsize>,
    started: Arc<Notify>,
    first_forever: bool,
) -> Registry {
    Registry::new().with_fn("two", move |ctx| {
        let (first, second, started) = (first.clone(), second.clone(), started.clone());
        async move {
            ctx.step("one", async {
                let run = first.fetch_add(1, Ordering::SeqCst);
                started.notify_one();
                if run == 0 {
                    if first_forever {
                        std::future::pending::<()>().await;
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Ok(1)
            })
            .await?;
            ctx.step("two", async {
                second.fetch_add(1, Ordering::SeqCst);
                Ok(2)
            })
            .await?;
            Ok(Value::Null)
        }
    })
}

async fn shutdown_finishes_current_step_then_releases(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let (first, second, started) = (Arc::default(), Arc::default(), Arc::new(Notify::new()));
    let registry = two_steps(
        Arc::clone(&first),
        Arc::clone(&second),
        started.clone(),
        false,
    );
    let worker = spawn_worker(&queue, fast_config("w1"), registry.clone());
    let id = queue.enqueue(NewJob::new("two", json!({}))).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .unwrap();
    worker.stop().await;

    let job = queue.job(&id).await.unwrap().unwrap();
    assert_state(&job, JobState::Queued);
    assert_eq!(job.attempts, 0, "a released attempt is not counted");
    assert_eq!(job.lease_owner, None);
    assert!(job.run_at <= apiforge_store::now_ms());
    let steps = queue.steps(&id).await.unwrap();
    assert_eq!(steps.len(), 1, "step one finished, step two never started");
    assert_eq!(steps[0].output, Some(json!(1)));
    assert_eq!(
        event_kinds(&queue, &id).await.last().map(String::as_str),
        Some("released")
    );

    let worker = spawn_worker(&queue, fast_config("w2"), registry);
    let job = final_job(&queue, &id).await;
    worker.stop().await;
    assert_state(&job, JobState::Succeeded);
    assert_eq!(job.attempts, 1);
    assert_eq!(first.load(Ordering::SeqCst), 1);
    assert_eq!(second.load(Ordering::SeqCst), 1);
}

async fn shutdown_releases_lease_after_grace(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let (first, second, started) = (Arc::default(), Arc::default(), Arc::new(Notify::new()));
    let registry = two_steps(
        Arc::clone(&first),
        Arc::clone(&second),
        started.clone(),
        true,
    );
    let config = WorkerConfig {
        grace: Duration::from_millis(200),
        ..fast_config("w1")
    };
    let worker = spawn_worker(&queue, config, registry.clone());
    let id = queue.enqueue(NewJob::new("two", json!({}))).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .unwrap();
    let stopping = Instant::now();
    worker.stop().await;
    assert!(
        stopping.elapsed() >= Duration::from_millis(200),
        "waited for the grace period"
    );
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "did not wait for the lease"
    );

    let job = queue.job(&id).await.unwrap().unwrap();
    assert_state(&job, JobState::Queued);
    assert_eq!(
        (
            job.attempts,
            job.lease_owner.as_deref(),
            job.lease_expires_at
        ),
        (0, None, None)
    );
    // Due now: another worker takes it at once, not after the 2 s lease.
    let taking_over = Instant::now();
    let worker = spawn_worker(&queue, fast_config("w2"), registry);
    let job = final_job(&queue, &id).await;
    assert!(taking_over.elapsed() < Duration::from_secs(1));
    worker.stop().await;
    assert_state(&job, JobState::Succeeded);
    assert_eq!(job.attempts, 1);
    assert_eq!(
        first.load(Ordering::SeqCst),
        2,
        "the interrupted step runs again"
    );
    assert_eq!(second.load(Ordering::SeqCst), 1);
}
