//! Enqueue, claim, succeed; priorities; the per-user limit; cancel; events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apiforge_jobs::{JobState, NewJob, Queue, QueueError, Registry};
use serde_json::{Value, json};

use crate::{
    TestDb, assert_state, both, event_kinds, events, fast_config, final_job, job_until,
    spawn_worker,
};

both!(
    enqueue_claim_succeed,
    priority_order,
    per_user_limit,
    cancel_queued_and_running,
    invalid_jobs_are_refused,
    finished_jobs_are_compacted,
);

/// Old finished jobs lose their events and step outputs; their states stay, and running
/// or recent jobs are untouched.
async fn finished_jobs_are_compacted(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let registry = Registry::new().with_fn("once", |ctx| async move {
        let value: i64 = ctx.step("compute", async { Ok(7) }).await?;
        Ok(json!({ "value": value }))
    });
    let done = queue.enqueue(NewJob::new("once", json!({}))).await.unwrap();
    let worker = spawn_worker(&queue, fast_config("w1"), registry);
    let finished = final_job(&queue, &done).await;
    worker.stop().await;
    let waiting = queue.enqueue(NewJob::new("once", json!({}))).await.unwrap();
    assert!(!events(&queue, &done).await.is_empty());

    // Nothing is old enough yet.
    let before = finished.finished_at.unwrap();
    assert_eq!(queue.compact(before).await.unwrap(), (0, 0));
    let (deleted, cleared) = queue.compact(before + 1).await.unwrap();
    assert!(
        deleted >= 4,
        "enqueued, started, step events, succeeded: {deleted}"
    );
    assert_eq!(cleared, 1);
    assert!(events(&queue, &done).await.is_empty());
    let steps = queue.steps(&done).await.unwrap();
    assert_eq!(steps[0].output, None);
    assert_eq!(steps[0].attempts, 1, "the step's record stays");
    assert_state(
        &queue.job(&done).await.unwrap().unwrap(),
        JobState::Succeeded,
    );
    assert_eq!(
        event_kinds(&queue, &waiting).await,
        ["enqueued"],
        "a queued job keeps its events"
    );
}

async fn enqueue_claim_succeed(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let registry = Registry::new().with_fn("double", |ctx| async move {
        let n: i64 = ctx.payload::<Value>()?["n"].as_i64().unwrap_or(0);
        let doubled: i64 = ctx.step("double", async { Ok(n * 2) }).await?;
        ctx.emit("note", json!({"doubled": doubled})).await?;
        Ok(json!({"result": doubled}))
    });
    let id = queue
        .enqueue(
            NewJob::new("double", json!({"n": 21}))
                .user("u1")
                .project("p1"),
        )
        .await
        .unwrap();
    let queued = queue.job(&id).await.unwrap().unwrap();
    assert_state(&queued, JobState::Queued);
    assert_eq!(queued.attempts, 0);
    assert_eq!(queue.queue_depth().await.unwrap().queued, 1);
    assert_eq!(queue.due_count().await.unwrap(), 1);

    let worker = spawn_worker(&queue, fast_config("w1"), registry);
    let job = final_job(&queue, &id).await;
    assert_state(&job, JobState::Succeeded);
    assert_eq!(job.result, Some(json!({"result": 42})));
    assert_eq!(job.attempts, 1);
    assert_eq!(job.user_id.as_deref(), Some("u1"));
    assert_eq!(job.project_id.as_deref(), Some("p1"));
    assert_eq!(job.lease_owner, None);
    assert!(job.started_at.unwrap() >= job.created_at);
    assert!(job.finished_at.unwrap() >= job.started_at.unwrap());

    let steps = queue.steps(&id).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].name, "double");
    assert_eq!(steps[0].output, Some(json!(42)));
    assert_eq!(steps[0].attempts, 1);

    assert_eq!(
        event_kinds(&queue, &id).await,
        [
            "enqueued",
            "started",
            "step_started",
            "step_finished",
            "note",
            "succeeded"
        ]
    );
    let all = events(&queue, &id).await;
    assert_eq!(all[1].data["attempt"], 1);
    assert!(all[1].data["queued_ms"].as_i64().unwrap() >= 0);
    assert_eq!(all[1].data["worker"], "w1");
    assert!(all[3].data["duration_ms"].as_i64().unwrap() >= 0);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    // Paging from an id, and waiting returns at once when events exist.
    let rest = queue.events_after(&id, all[2].id, 2).await.unwrap();
    assert_eq!(
        rest.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["step_finished", "note"]
    );
    let last = all.last().unwrap().id;
    let started = std::time::Instant::now();
    let none = queue
        .wait_for_events(&id, last, 10, Duration::from_millis(150))
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(140));

    let depth = queue.queue_depth().await.unwrap();
    assert_eq!((depth.queued, depth.running, depth.succeeded), (0, 0, 1));
    worker.stop().await;
}

async fn priority_order(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut ids = Vec::new();
    for (name, priority) in [
        ("low-1", 0),
        ("high-1", 10),
        ("mid", 5),
        ("low-2", 0),
        ("high-2", 10),
    ] {
        let job = NewJob::new("record", json!(name)).priority(priority);
        ids.push(queue.enqueue(job).await.unwrap());
    }
    let registry = {
        let order = order.clone();
        Registry::new().with_fn("record", move |ctx| {
            let order = order.clone();
            async move {
                order.lock().unwrap().push(ctx.payload::<String>()?);
                Ok(Value::Null)
            }
        })
    };
    let worker = spawn_worker(
        &queue,
        apiforge_jobs::WorkerConfig {
            concurrency: 1,
            ..fast_config("w")
        },
        registry,
    );
    for id in &ids {
        final_job(&queue, id).await;
    }
    worker.stop().await;
    assert_eq!(
        *order.lock().unwrap(),
        ["high-1", "high-2", "mid", "low-1", "low-2"]
    );
}

async fn per_user_limit(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    // user → (running now, most at once)
    let running: Arc<Mutex<HashMap<String, (usize, usize)>>> = Arc::default();
    let overall = Arc::new(AtomicUsize::new(0));
    let overall_max = Arc::new(AtomicUsize::new(0));
    let registry = {
        let (running, overall, overall_max) =
            (running.clone(), overall.clone(), overall_max.clone());
        Registry::new().with_fn("busy", move |ctx| {
            let (running, overall, overall_max) =
                (running.clone(), overall.clone(), overall_max.clone());
            async move {
                let user = ctx.job().user_id.clone().unwrap_or_else(|| "-".into());
                {
                    let mut map = running.lock().unwrap();
                    let entry = map.entry(user.clone()).or_default();
                    entry.0 += 1;
                    entry.1 = entry.1.max(entry.0);
                }
                let now = overall.fetch_add(1, Ordering::SeqCst) + 1;
                overall_max.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(150)).await;
                overall.fetch_sub(1, Ordering::SeqCst);
                running.lock().unwrap().get_mut(&user).unwrap().0 -= 1;
                Ok(Value::Null)
            }
        })
    };
    let mut ids = Vec::new();
    for user in ["a", "a", "a", "b", "b"] {
        ids.push(
            queue
                .enqueue(NewJob::new("busy", json!({})).user(user))
                .await
                .unwrap(),
        );
    }
    ids.push(queue.enqueue(NewJob::new("busy", json!({}))).await.unwrap());
    let config = apiforge_jobs::WorkerConfig {
        per_user_limit: 1,
        concurrency: 4,
        ..fast_config("w")
    };
    // Two workers (one on its own pool) so the limit holds across workers too.
    let other = Queue::new(db.reopen().await);
    let w1 = spawn_worker(&queue, config.clone(), registry.clone());
    let w2 = spawn_worker(
        &other,
        apiforge_jobs::WorkerConfig {
            worker_id: "w2".into(),
            ..config
        },
        registry,
    );
    for id in &ids {
        assert_state(&final_job(&queue, id).await, JobState::Succeeded);
    }
    w1.stop().await;
    w2.stop().await;
    let map = running.lock().unwrap();
    assert_eq!(map["a"].1, 1, "user a ran more than one job at once");
    assert_eq!(map["b"].1, 1, "user b ran more than one job at once");
    assert!(
        overall_max.load(Ordering::SeqCst) >= 2,
        "users did not run in parallel"
    );
}

async fn cancel_queued_and_running(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let ran = Arc::new(AtomicUsize::new(0));
    let registry = {
        let ran = ran.clone();
        Registry::new().with_fn("wait", move |ctx| {
            let ran = ran.clone();
            async move {
                ran.fetch_add(1, Ordering::SeqCst);
                // Runs until cancelled; the worker stops it at its next heartbeat.
                ctx.step("forever", async {
                    std::future::pending::<()>().await;
                    Ok(())
                })
                .await?;
                Ok(Value::Null)
            }
        })
    };
    // A queued job cancelled before any worker runs never runs.
    let queued = queue
        .enqueue(NewJob::new("wait", json!({})).run_at(apiforge_store::now_ms() + 60_000))
        .await
        .unwrap();
    assert!(queue.cancel(&queued).await.unwrap());
    assert!(!queue.cancel(&queued).await.unwrap(), "cancelling twice");

    let config = apiforge_jobs::WorkerConfig {
        heartbeat: Duration::from_millis(50),
        ..fast_config("w")
    };
    let worker = spawn_worker(&queue, config, registry);
    let running = queue.enqueue(NewJob::new("wait", json!({}))).await.unwrap();
    job_until(&queue, &running, |job| job.state == JobState::Running).await;
    crate::wait_for(|| async {
        let steps = queue.steps(&running).await.unwrap();
        (!steps.is_empty()).then_some(())
    })
    .await;
    assert!(queue.cancel(&running).await.unwrap());
    // The worker notices, stops the handler and does not touch the job again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let job = queue.job(&running).await.unwrap().unwrap();
    assert_state(&job, JobState::Cancelled);
    assert_eq!(job.lease_owner, None);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    let kinds = event_kinds(&queue, &running).await;
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("cancelled"),
        "{kinds:?}"
    );
    assert_state(
        &queue.job(&queued).await.unwrap().unwrap(),
        JobState::Cancelled,
    );
    // The worker still works.
    let after = queue.enqueue(NewJob::new("wait", json!({}))).await.unwrap();
    job_until(&queue, &after, |job| job.state == JobState::Running).await;
    assert!(queue.cancel(&after).await.unwrap());
    worker.stop().await;
}

async fn invalid_jobs_are_refused(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let error = queue
        .enqueue(NewJob::new("x", json!({})).max_attempts(0))
        .await
        .unwrap_err();
    assert!(matches!(error, QueueError::InvalidJob(_)), "{error}");
    assert!(queue.enqueue(NewJob::new("", json!({}))).await.is_err());
    let missing: apiforge_jobs::JobId = "0190a0f0-0000-7000-8000-000000000000".parse().unwrap();
    assert_eq!(queue.job(&missing).await.unwrap(), None);
    assert!(!queue.retry(&missing).await.unwrap());
    assert!(!queue.cancel(&missing).await.unwrap());
}
