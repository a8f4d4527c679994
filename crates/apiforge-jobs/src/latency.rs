//! Measures enqueue → first step start latency with a real worker (for
//! `apiforge bench jobs` and the issue's ≤ 10 ms P95 budget).

use std::time::Duration;

use apiforge_store::Db;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::QueueError;
use crate::model::NewJob;
use crate::queue::Queue;
use crate::worker::{Registry, Worker, WorkerConfig};

/// The job kind the measurement uses (its jobs are deleted afterwards).
pub const LATENCY_PROBE_KIND: &str = "apiforge.latency_probe";

/// How to measure.
#[derive(Debug, Clone)]
pub struct LatencyOptions {
    /// Jobs to time, one after the other (each waits for the previous one's start, so
    /// the figure is the latency of an idle worker, not queueing behind other jobs).
    pub jobs: usize,
    /// The worker uses its own `Queue` (own pool and, on PostgreSQL, its own LISTEN
    /// connection), as a worker in another process would: it is woken only by `NOTIFY`
    /// (PostgreSQL) or its poll (SQLite), not by the enqueuing queue's local wake-up.
    pub separate_worker_queue: Option<Db>,
    /// The worker's poll interval.
    pub poll: Duration,
}

impl Default for LatencyOptions {
    fn default() -> Self {
        LatencyOptions {
            jobs: 500,
            separate_worker_queue: None,
            poll: Duration::from_secs(1),
        }
    }
}

/// Percentiles of the measured latencies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyReport {
    pub jobs: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl LatencyReport {
    fn from_samples(mut samples: Vec<Duration>) -> LatencyReport {
        samples.sort();
        let pick = |q: f64| -> Duration {
            if samples.is_empty() {
                return Duration::ZERO;
            }
            // Nearest rank.
            let rank = (q * samples.len() as f64).ceil() as usize;
            samples[rank.clamp(1, samples.len()) - 1]
        };
        let total: Duration = samples.iter().sum();
        LatencyReport {
            jobs: samples.len(),
            p50: pick(0.50),
            p95: pick(0.95),
            p99: pick(0.99),
            max: samples.last().copied().unwrap_or_default(),
            mean: total / u32::try_from(samples.len().max(1)).unwrap_or(u32::MAX),
        }
    }
}

/// Enqueues `options.jobs` probe jobs one at a time on `db` and measures, for each, the
/// time from calling `enqueue` to the start of the job's first step in a worker of this
/// process. The probe jobs are deleted at the end.
pub async fn measure_start_latency(
    db: Db,
    options: LatencyOptions,
) -> Result<LatencyReport, QueueError> {
    let queue = Queue::new(db.clone());
    let worker_queue = match &options.separate_worker_queue {
        Some(other) => Queue::new(other.clone()),
        None => queue.clone(),
    };
    // The worker may start a job before `enqueue` returns its id: starts are reported
    // with their ids through a channel.
    let (starts, mut started_rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let registry = Registry::new().with_fn(LATENCY_PROBE_KIND, move |ctx| {
        let starts = starts.clone();
        async move {
            ctx.step("probe", async {
                let _ = starts.send((ctx.id().as_str().to_owned(), Instant::now()));
                Ok(Value::Null)
            })
            .await
        }
    });
    let config = WorkerConfig {
        worker_id: "latency-probe".into(),
        concurrency: 4,
        poll: options.poll,
        per_user_limit: 0,
        ..WorkerConfig::default()
    };
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(Worker::new(worker_queue, config, registry).run(shutdown.clone()));
    // Let the worker start (and LISTEN) before timing.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut samples = Vec::with_capacity(options.jobs);
    let mut failure = None;
    for index in 0..options.jobs {
        let job = NewJob::new(LATENCY_PROBE_KIND, json!({"index": index})).max_attempts(1);
        let begin = Instant::now();
        let id = match queue.enqueue(job).await {
            Ok(id) => id,
            Err(error) => {
                failure = Some(error);
                break;
            }
        };
        let deadline = begin + Duration::from_secs(10);
        let started = loop {
            match tokio::time::timeout_at(deadline, started_rx.recv()).await {
                Ok(Some((started_id, at))) if started_id == id.as_str() => break Some(at),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break None,
            }
        };
        let Some(started) = started else {
            failure = Some(QueueError::InvalidJob(format!(
                "probe job {id} did not start within 10 s"
            )));
            break;
        };
        samples.push(started.saturating_duration_since(begin));
    }
    shutdown.cancel();
    let _ = worker.await;
    let cleanup = crate::backend::on_pool!(&db, |pool| {
        sqlx::query("DELETE FROM jobs WHERE kind = $1")
            .bind(LATENCY_PROBE_KIND)
            .execute(pool)
            .await
            .map(|_| ())
    });
    if let Some(error) = failure {
        return Err(error);
    }
    cleanup?;
    Ok(LatencyReport::from_samples(samples))
}
