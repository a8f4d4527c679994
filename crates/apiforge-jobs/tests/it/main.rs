//! Integration tests of the jobs engine; every behaviour runs on SQLite and on
//! PostgreSQL (127.0.0.1:5432 or `TEST_DATABASE_URL`; the tests fail if it is down).

#![expect(clippy::unwrap_used, reason = "tests")]

use std::future::Future;
use std::time::Duration;

use apiforge_jobs::{
    Backoff, Job, JobEvent, JobId, JobState, Queue, Registry, Worker, WorkerConfig,
};
pub use apiforge_store::testing::{TestDb, fresh_postgres, fresh_sqlite};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

mod basics;
mod failures;
mod latency;
mod resume;
mod schedules;
mod sharing;
mod shutdown;

/// Runs `$test(db: TestDb)` once per backend, as `$test::sqlite` and `$test::postgres`.
macro_rules! both {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test($crate::fresh_sqlite().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$test($crate::fresh_postgres().await).await;
            }
        }
    )*};
}
pub(crate) use both;

/// Short leases and polls so tests run fast.
pub fn fast_config(worker_id: &str) -> WorkerConfig {
    WorkerConfig {
        worker_id: worker_id.to_owned(),
        concurrency: 4,
        lease: Duration::from_secs(2),
        heartbeat: Duration::from_millis(200),
        poll: Duration::from_millis(50),
        per_user_limit: 0,
        backoff: Backoff {
            base: Duration::from_millis(20),
            max: Duration::from_millis(100),
            jitter: 0.0,
        },
        grace: Duration::from_secs(5),
    }
}

/// A running worker and how to stop it.
#[derive(Debug)]
pub struct Running {
    pub shutdown: CancellationToken,
    pub task: JoinHandle<()>,
}

impl Running {
    /// Graceful shutdown, waiting for the worker to finish.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("the worker stops")
            .expect("the worker does not panic");
    }
}

pub fn spawn_worker(queue: &Queue, config: WorkerConfig, registry: Registry) -> Running {
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(Worker::new(queue.clone(), config, registry).run(shutdown.clone()));
    Running { shutdown, task }
}

/// Waits (≤ 20 s) for the job to be final and returns it.
pub async fn final_job(queue: &Queue, id: &JobId) -> Job {
    let job = queue
        .wait_until_final(id, Duration::from_secs(20))
        .await
        .unwrap()
        .expect("the job exists");
    assert!(job.state.is_final(), "job still {}: {job:?}", job.state);
    job
}

/// Waits (≤ 20 s) until `check` holds for the job.
pub async fn job_until(queue: &Queue, id: &JobId, check: impl Fn(&Job) -> bool) -> Job {
    wait_for(|| async {
        let job = queue.job(id).await.unwrap().expect("the job exists");
        check(&job).then_some(job)
    })
    .await
}

/// Polls `probe` every 10 ms until it returns `Some` (≤ 20 s).
pub async fn wait_for<T, F, Fut>(probe: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// All events of a job.
pub async fn events(queue: &Queue, id: &JobId) -> Vec<JobEvent> {
    queue.events_after(id, 0, 1000).await.unwrap()
}

/// The kinds of a job's events, in order.
pub async fn event_kinds(queue: &Queue, id: &JobId) -> Vec<String> {
    events(queue, id)
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

pub fn assert_state(job: &Job, state: JobState) {
    assert_eq!(job.state, state, "{job:?}");
}
