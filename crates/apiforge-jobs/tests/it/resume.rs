//! Finished steps are not run again: after a failed attempt, and after a crashed worker's
//! job is taken over.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use apiforge_jobs::{JobError, JobState, NewJob, Queue, Registry, StepState, WorkerConfig};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{TestDb, assert_state, both, events, fast_config, final_job, spawn_worker};

both!(
    steps_reused_after_failed_attempt,
    crash_takeover_resumes_after_last_step
);

#[derive(Default)]
struct Counts {
    plan: AtomicUsize,
    spec: AtomicUsize,
    verify: AtomicUsize,
}

async fn steps_reused_after_failed_attempt(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let counts = Arc::new(Counts::default());
    let registry = {
        let counts = counts.clone();
        Registry::new().with_fn("gen", move |ctx| {
            let counts = counts.clone();
            async move {
                let plan: String = ctx
                    .step("plan", async {
                        counts.plan.fetch_add(1, Ordering::SeqCst);
                        Ok("the plan".to_owned())
                    })
                    .await?;
                let spec: Value = ctx
                    .step("spec", async {
                        counts.spec.fetch_add(1, Ordering::SeqCst);
                        Ok(json!({"from": plan}))
                    })
                    .await?;
                let attempt = ctx.attempt();
                let verified: bool = ctx
                    .step("verify", async {
                        counts.verify.fetch_add(1, Ordering::SeqCst);
                        if attempt == 1 {
                            Err(JobError::failed("tests failed"))
                        } else {
                            Ok(true)
                        }
                    })
                    .await?;
                Ok(json!({"spec": spec, "verified": verified}))
            }
        })
    };
    let id = queue
        .enqueue(NewJob::new("gen", json!({})).max_attempts(3))
        .await
        .unwrap();
    let worker = spawn_worker(&queue, fast_config("w"), registry);
    let job = final_job(&queue, &id).await;
    worker.stop().await;
    assert_state(&job, JobState::Succeeded);
    assert_eq!(job.attempts, 2);
    assert_eq!(
        job.result,
        Some(json!({"spec": {"from": "the plan"}, "verified": true}))
    );
    assert_eq!(counts.plan.load(Ordering::SeqCst), 1, "plan ran again");
    assert_eq!(counts.spec.load(Ordering::SeqCst), 1, "spec ran again");
    assert_eq!(counts.verify.load(Ordering::SeqCst), 2);

    let steps = queue.steps(&id).await.unwrap();
    let summary: Vec<(&str, u32, StepState, u32)> = steps
        .iter()
        .map(|s| (s.name.as_str(), s.position, s.state, s.attempts))
        .collect();
    assert_eq!(
        summary,
        [
            ("plan", 0, StepState::Succeeded, 1),
            ("spec", 1, StepState::Succeeded, 1),
            ("verify", 2, StepState::Succeeded, 2),
        ]
    );
    let kinds: Vec<(String, Value)> = events(&queue, &id)
        .await
        .into_iter()
        .map(|e| (e.kind, e.data["step"].clone()))
        .collect();
    let has = |kind: &str, step: &str| kinds.iter().any(|(k, s)| k == kind && s == step);
    assert!(has("step_failed", "verify"));
    assert!(
        has("step_reused", "plan") && has("step_reused", "spec"),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|(k, _)| k == "retrying"));
}

async fn crash_takeover_resumes_after_last_step(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let counts = Arc::new(Counts::default());
    let in_step_two = Arc::new(Notify::new());
    let registry = {
        let counts = counts.clone();
        let in_step_two = in_step_two.clone();
        Registry::new().with_fn("gen", move |ctx| {
            let counts = counts.clone();
            let in_step_two = in_step_two.clone();
            async move {
                let plan: String = ctx
                    .step("plan", async {
                        counts.plan.fetch_add(1, Ordering::SeqCst);
                        Ok("plan".to_owned())
                    })
                    .await?;
                let spec: String = ctx
                    .step("spec", async {
                        let run = counts.spec.fetch_add(1, Ordering::SeqCst);
                        if run == 0 {
                            // The first worker "crashes" in here.
                            in_step_two.notify_one();
                            std::future::pending::<()>().await;
                        }
                        Ok(format!("spec of {plan}"))
                    })
                    .await?;
                Ok(json!(spec))
            }
        })
    };
    let id = queue.enqueue(NewJob::new("gen", json!({}))).await.unwrap();
    // Worker A: short lease, so its job is free soon after it dies.
    let short = WorkerConfig {
        lease: Duration::from_millis(300),
        heartbeat: Duration::from_millis(100),
        ..fast_config("A")
    };
    let shutdown_a = CancellationToken::new();
    let worker_a = tokio::spawn(
        apiforge_jobs::Worker::new(queue.clone(), short.clone(), registry.clone())
            .run(shutdown_a.clone()),
    );
    tokio::time::timeout(Duration::from_secs(10), in_step_two.notified())
        .await
        .expect("worker A reaches step 2");
    // Crash: no graceful shutdown, the lease is not released.
    worker_a.abort();
    let _ = worker_a.await;
    let held = queue.job(&id).await.unwrap().unwrap();
    assert_state(&held, JobState::Running);
    assert!(held.lease_owner.as_deref().unwrap().starts_with("A/"));

    // Worker B on its own pool, as another process would be.
    let other = Queue::new(db.reopen().await);
    let worker_b = spawn_worker(
        &other,
        WorkerConfig {
            worker_id: "B".into(),
            ..short
        },
        registry,
    );
    let job = final_job(&queue, &id).await;
    worker_b.stop().await;
    assert_state(&job, JobState::Succeeded);
    assert_eq!(job.result, Some(json!("spec of plan")));
    assert_eq!(job.attempts, 2);
    assert_eq!(
        counts.plan.load(Ordering::SeqCst),
        1,
        "plan ran again after the takeover"
    );
    assert_eq!(counts.spec.load(Ordering::SeqCst), 2);
    let started: Vec<Value> = events(&queue, &id)
        .await
        .into_iter()
        .filter(|e| e.kind == "started")
        .map(|e| e.data["worker"].clone())
        .collect();
    assert_eq!(started, [json!("A"), json!("B")]);
    let steps = queue.steps(&id).await.unwrap();
    assert!(steps.iter().all(|s| s.state == StepState::Succeeded));
    assert_eq!(steps[1].attempts, 2);
}
