//! Prometheus metrics: one process-wide recorder (a recorder can be installed once), rendered
//! by `/api/metrics`. Names are the one list below, so dashboards and code agree.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Generations finished, by `outcome` (succeeded, failed, dead).
pub const GENERATIONS: &str = "apiforge_generations_total";
/// Seconds each pipeline step took, by `step`.
pub const STEP_SECONDS: &str = "apiforge_step_duration_seconds";
/// Jobs by `state` (gauge, refreshed at scrape time).
pub const QUEUE_DEPTH: &str = "apiforge_queue_jobs";
/// Sandbox runs, by `kind` (verify, preview) and `outcome`.
pub const SANDBOX_RUNS: &str = "apiforge_sandbox_runs_total";
/// Milliseconds from enqueue to the job's start.
pub const QUEUE_WAIT_SECONDS: &str = "apiforge_queue_wait_seconds";
/// HTTP requests by `status` class.
pub const HTTP_REQUESTS: &str = "apiforge_http_requests_total";
/// Live previews running (gauge).
pub const PREVIEWS_RUNNING: &str = "apiforge_previews_running";
/// Prompt executions finished, by `outcome` (succeeded, failed).
pub const PROMPT_EXECUTIONS: &str = "apiforge_prompt_executions_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The handle that renders the exposition; installs the recorder on first use. `None` when
/// another recorder was installed first (a library embedding us): metrics are then theirs.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(GENERATIONS, "Generation jobs finished, by outcome");
    metrics::describe_histogram!(STEP_SECONDS, "Duration of pipeline steps, by step");
    metrics::describe_gauge!(QUEUE_DEPTH, "Jobs in the queue, by state");
    metrics::describe_counter!(SANDBOX_RUNS, "Sandbox runs, by kind and outcome");
    metrics::describe_histogram!(QUEUE_WAIT_SECONDS, "Time from enqueue to job start");
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests, by status class");
    metrics::describe_gauge!(PREVIEWS_RUNNING, "Live previews running");
    metrics::describe_counter!(PROMPT_EXECUTIONS, "Prompt executions finished, by outcome");
}
