//! Retries with persisted backoff, dead letters and retrying them, permanent errors,
//! panicking handlers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use apiforge_jobs::{Backoff, JobError, JobState, NewJob, Queue, Registry, WorkerConfig};
use serde_json::{Value, json};

use crate::{
    TestDb, assert_state, both, event_kinds, events, fast_config, final_job, spawn_worker,
};

both!(
    backoff_is_persisted_in_run_at,
    dead_after_max_attempts_then_retry,
    permanent_error_is_dead_at_once,
    panicking_handler_is_retried,
);

async fn backoff_is_persisted_in_run_at(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let registry = Registry::new().with_fn("fail", |ctx| async move {
        Err(JobError::failed(format!(
            "attempt {} failed",
            ctx.attempt()
        )))
    });
    let config = WorkerConfig {
        backoff: Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(150),
            jitter: 0.5,
        },
        ..fast_config("w")
    };
    let backoff = config.backoff;
    let worker = spawn_worker(&queue, config, registry);
    let id = queue
        .enqueue(NewJob::new("fail", json!({})).max_attempts(4))
        .await
        .unwrap();
    let job = final_job(&queue, &id).await;
    worker.stop().await;
    assert_state(&job, JobState::Dead);
    assert_eq!(job.attempts, 4);
    assert_eq!(job.last_error.as_deref(), Some("attempt 4 failed"));

    let all = events(&queue, &id).await;
    let retrying: Vec<&apiforge_jobs::JobEvent> =
        all.iter().filter(|e| e.kind == "retrying").collect();
    assert_eq!(retrying.len(), 3);
    for (index, event) in retrying.iter().enumerate() {
        let attempt = u32::try_from(index).unwrap() + 1;
        assert_eq!(event.data["attempt"], attempt);
        let delay = Duration::from_millis(event.data["delay_ms"].as_u64().unwrap());
        let (low, high) = backoff.bounds(attempt);
        // Millisecond rounding of the stored delay.
        assert!(
            low.saturating_sub(Duration::from_millis(1)) <= delay && delay <= high,
            "attempt {attempt}: {delay:?} not in {low:?}..={high:?}"
        );
        assert_eq!(
            event.data["run_at"].as_i64().unwrap(),
            event.at + event.data["delay_ms"].as_i64().unwrap()
        );
        // The next attempt did not start before run_at.
        let next_start = all
            .iter()
            .find(|e| e.kind == "started" && e.data["attempt"] == attempt + 1)
            .unwrap();
        assert!(next_start.at >= event.data["run_at"].as_i64().unwrap());
    }
    let upper: Vec<Duration> = (1..=4).map(|a| backoff.bounds(a).1).collect();
    assert_eq!(
        upper,
        [50, 100, 150, 150].map(Duration::from_millis),
        "doubling, capped at max"
    );
    let kinds = event_kinds(&queue, &id).await;
    assert_eq!(kinds.last().map(String::as_str), Some("dead"));
}

async fn dead_after_max_attempts_then_retry(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let broken = Arc::new(AtomicBool::new(true));
    let runs = Arc::new(AtomicUsize::new(0));
    let registry = {
        let (broken, runs) = (broken.clone(), runs.clone());
        Registry::new().with_fn("flaky", move |ctx| {
            let (broken, runs) = (broken.clone(), runs.clone());
            async move {
                let first: u32 = ctx.step("first", async { Ok(7) }).await?;
                runs.fetch_add(1, Ordering::SeqCst);
                if broken.load(Ordering::SeqCst) {
                    return Err(JobError::failed("upstream down"));
                }
                Ok(json!(first))
            }
        })
    };
    let worker = spawn_worker(&queue, fast_config("w"), registry);
    let id = queue
        .enqueue(NewJob::new("flaky", json!({})).max_attempts(2))
        .await
        .unwrap();
    let dead = final_job(&queue, &id).await;
    assert_state(&dead, JobState::Dead);
    assert_eq!(dead.attempts, 2);
    assert_eq!(dead.last_error.as_deref(), Some("upstream down"));
    assert!(dead.finished_at.is_some());
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let letters = queue.dead_jobs(10).await.unwrap();
    assert_eq!(letters.iter().map(|j| &j.id).collect::<Vec<_>>(), [&id]);
    assert_eq!(queue.queue_depth().await.unwrap().dead, 1);

    broken.store(false, Ordering::SeqCst);
    assert!(queue.retry(&id).await.unwrap());
    let job = final_job(&queue, &id).await;
    worker.stop().await;
    assert_state(&job, JobState::Succeeded);
    assert_eq!(job.attempts, 1, "attempts start again after a retry");
    assert_eq!(job.result, Some(json!(7)));
    assert!(queue.dead_jobs(10).await.unwrap().is_empty());
    assert!(
        !queue.retry(&id).await.unwrap(),
        "only dead jobs are retried"
    );
    let kinds = event_kinds(&queue, &id).await;
    assert!(kinds.iter().any(|k| k == "retried"), "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("succeeded"));
}

async fn permanent_error_is_dead_at_once(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let registry = Registry::new().with_fn("bad", |ctx| async move {
        ctx.step::<Value, _>("parse", async {
            Err(JobError::permanent("the prompt is empty"))
        })
        .await?;
        Ok(Value::Null)
    });
    let worker = spawn_worker(&queue, fast_config("w"), registry);
    let id = queue
        .enqueue(NewJob::new("bad", json!({})).max_attempts(5))
        .await
        .unwrap();
    let job = final_job(&queue, &id).await;
    worker.stop().await;
    assert_state(&job, JobState::Dead);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error.as_deref(), Some("the prompt is empty"));
    let all = events(&queue, &id).await;
    let dead = all.iter().find(|e| e.kind == "dead").unwrap();
    assert_eq!(dead.data["permanent"], true);
    let failed = all.iter().find(|e| e.kind == "step_failed").unwrap();
    assert_eq!(failed.data["step"], "parse");
    assert_eq!(failed.data["permanent"], true);
}

async fn panicking_handler_is_retried(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let registry = Registry::new().with_fn("panics", |ctx| async move {
        assert!(ctx.attempt() > 1, "boom on the first attempt");
        Ok(json!("fine"))
    });
    let worker = spawn_worker(&queue, fast_config("w"), registry);
    let id = queue
        .enqueue(NewJob::new("panics", json!({})))
        .await
        .unwrap();
    let job = final_job(&queue, &id).await;
    worker.stop().await;
    assert_state(&job, JobState::Succeeded);
    assert_eq!(job.attempts, 2);
    let retrying = events(&queue, &id)
        .await
        .into_iter()
        .find(|e| e.kind == "retrying")
        .unwrap();
    assert!(
        retrying.data["error"]
            .as_str()
            .unwrap()
            .contains("panicked")
    );
}
