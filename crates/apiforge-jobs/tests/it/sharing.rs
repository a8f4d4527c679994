//! Two workers (two pools, as two processes) share one queue: each job runs exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apiforge_jobs::{JobId, JobState, NewJob, Queue, Registry, WorkerConfig};
use serde_json::{Value, json};

use crate::{TestDb, assert_state, both, fast_config, final_job, spawn_worker};

both!(two_workers_run_each_job_exactly_once);

async fn two_workers_run_each_job_exactly_once(db: TestDb) {
    let queue = Queue::new(db.db().clone());
    let other = Queue::new(db.reopen().await);
    let runs: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let registry = {
        let runs = runs.clone();
        Registry::new().with_fn("work", move |ctx| {
            let runs = runs.clone();
            async move {
                let worker = ctx.job().lease_owner.clone().unwrap_or_default();
                ctx.step("work", async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(())
                })
                .await?;
                let worker = worker.split('/').next().unwrap_or_default().to_owned();
                runs.lock()
                    .unwrap()
                    .entry(ctx.id().to_string())
                    .or_default()
                    .push(worker);
                Ok(Value::Null)
            }
        })
    };
    let config = WorkerConfig {
        concurrency: 3,
        ..fast_config("w1")
    };
    let w1 = spawn_worker(&queue, config.clone(), registry.clone());
    let w2 = spawn_worker(
        &other,
        WorkerConfig {
            worker_id: "w2".into(),
            ..config
        },
        registry,
    );
    let mut ids: Vec<JobId> = Vec::new();
    for n in 0..30 {
        // Half through each queue, so both enqueue paths are exercised.
        let q = if n % 2 == 0 { &queue } else { &other };
        ids.push(
            q.enqueue(NewJob::new("work", json!({"n": n})))
                .await
                .unwrap(),
        );
    }
    for id in &ids {
        let job = final_job(&queue, id).await;
        assert_state(&job, JobState::Succeeded);
        assert_eq!(job.attempts, 1, "{job:?}");
    }
    w1.stop().await;
    w2.stop().await;
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 30);
    for id in &ids {
        assert_eq!(
            runs[id.as_str()].len(),
            1,
            "job {id} ran {:?}",
            runs[id.as_str()]
        );
    }
    let by_worker = |w: &str| runs.values().filter(|r| r[0] == w).count();
    assert_eq!(by_worker("w1") + by_worker("w2"), 30);
    eprintln!("w1 ran {}, w2 ran {}", by_worker("w1"), by_worker("w2"));
}
