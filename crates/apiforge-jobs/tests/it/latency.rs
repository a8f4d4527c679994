//! `measure_start_latency` works on both backends (the figures themselves come from the
//! ignored `latency_report_*` tests and `apiforge bench jobs`).

use std::time::Duration;

use apiforge_jobs::{LatencyOptions, Queue, measure_start_latency};

use crate::{TestDb, both, fresh_postgres, fresh_sqlite};

both!(latency_probe_measures_and_cleans_up);

async fn latency_probe_measures_and_cleans_up(db: TestDb) {
    let options = LatencyOptions {
        jobs: 20,
        ..LatencyOptions::default()
    };
    let report = measure_start_latency(db.db().clone(), options)
        .await
        .unwrap();
    assert_eq!(report.jobs, 20);
    assert!(report.p50 <= report.p95 && report.p95 <= report.p99 && report.p99 <= report.max);
    // Woken by the enqueue, not by the 1 s poll.
    assert!(report.p95 < Duration::from_millis(500), "{report:?}");
    let depth = Queue::new(db.db().clone()).queue_depth().await.unwrap();
    assert_eq!(depth.succeeded, 0, "probe jobs are deleted");
}

async fn report(label: &str, db: &TestDb, separate: bool, poll: Duration) {
    let options = LatencyOptions {
        jobs: 500,
        separate_worker_queue: if separate {
            Some(db.reopen().await)
        } else {
            None
        },
        poll,
    };
    let r = measure_start_latency(db.db().clone(), options)
        .await
        .unwrap();
    eprintln!(
        "{label}: n={} p50={:.2?} p95={:.2?} p99={:.2?} max={:.2?} mean={:.2?}",
        r.jobs, r.p50, r.p95, r.p99, r.max, r.mean
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: cargo nextest run -p apiforge-jobs --run-ignored only --no-capture latency_report"]
async fn latency_report_sqlite() {
    let db = fresh_sqlite().await;
    report(
        "sqlite, same queue (local Notify)",
        &db,
        false,
        Duration::from_secs(1),
    )
    .await;
    report(
        "sqlite, worker on another pool (poll 50 ms)",
        &db,
        true,
        Duration::from_millis(50),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: cargo nextest run -p apiforge-jobs --run-ignored only --no-capture latency_report"]
async fn latency_report_postgres() {
    let db = fresh_postgres().await;
    report(
        "postgres, same queue (local Notify)",
        &db,
        false,
        Duration::from_secs(1),
    )
    .await;
    report(
        "postgres, worker on another pool (LISTEN/NOTIFY, poll 1 s)",
        &db,
        true,
        Duration::from_secs(1),
    )
    .await;
}
