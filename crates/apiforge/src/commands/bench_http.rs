//! `apiforge bench api` and `apiforge bench jobs`: a running server measured from another
//! process over real HTTP, as its users reach it.
//!
//! `api`: N keep-alive connections each send one GET after another (the next as soon as the
//! previous answer's body is read) for the given time, after a one-second warm-up that is
//! not counted; latency is request sent → body read. Rate limits answer 429 quickly and
//! would flatter the figures, so any non-2xx answer fails the run (start the server with
//! `APIFORGE_IP_RATE=off APIFORGE_USER_RATE=off` to measure it unthrottled).
//!
//! `jobs`: N projects created at once, then followed through `GET /api/projects` until
//! every one is ready or failed; generations per hour is N over that wall time, and each
//! job's queue-to-done time comes from the server's own timestamps.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use super::bench::percentile;
use super::client::{Target, runtime};
use crate::cli::{BenchApiArgs, BenchJobsArgs, BenchServerArgs};
use crate::exit::{BadInput, Failed};
use crate::output::{eprint_line, print_line};

const LIBRARY: &str = "A library API. Books have a title, an ISBN and a publication year. \
    Authors have a name. Each book belongs to an author.";

/// The server of `bench api` / `bench jobs`.
fn target(args: &BenchServerArgs, connections: usize) -> Result<Target, BadInput> {
    Target::new(&args.url, &args.token, connections)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

pub fn bench_api(args: &BenchApiArgs) -> anyhow::Result<ExitCode> {
    if !(1..=10_000).contains(&args.connections) {
        return Err(BadInput("--connections must be between 1 and 10000".into()).into());
    }
    if !(1..=3600).contains(&args.duration) {
        return Err(BadInput("--duration must be between 1 and 3600 seconds".into()).into());
    }
    let target = Arc::new(target(&args.server, args.connections)?);
    runtime()?.block_on(async move {
        let paths = Arc::new(read_paths(&target, &args.paths).await?);
        let warm_up = Duration::from_secs(1);
        let start = Instant::now();
        let measure_from = start + warm_up;
        let end = measure_from + Duration::from_secs(args.duration);
        let mut tasks = tokio::task::JoinSet::new();
        for connection in 0..args.connections {
            let (target, paths) = (target.clone(), paths.clone());
            tasks.spawn(async move {
                let mut samples = Vec::new();
                let mut failures = Vec::new();
                let mut turn = connection;
                while Instant::now() < end {
                    let path = &paths[turn % paths.len()];
                    turn += 1;
                    let sent = Instant::now();
                    let outcome = target.call("GET", path, None).await;
                    if sent < measure_from {
                        continue;
                    }
                    match outcome {
                        Ok((status, _)) if (200..300).contains(&status) => {
                            samples.push(sent.elapsed());
                        }
                        Ok((status, body)) => failures.push(format!(
                            "GET {path}: {status} {}",
                            String::from_utf8_lossy(&body).chars().take(120).collect::<String>()
                        )),
                        Err(error) => failures.push(format!("{error:#}")),
                    }
                }
                (samples, failures)
            });
        }
        let mut samples = Vec::new();
        let mut failures = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (s, f) = done.context("a load task failed")?;
            samples.extend(s);
            failures.extend(f);
        }
        let elapsed = Instant::now().saturating_duration_since(measure_from);
        samples.sort_unstable();
        let report = json!({
            "url": target.base(),
            "paths": *paths,
            "connections": args.connections,
            "seconds": elapsed.as_secs_f64(),
            "requests": samples.len(),
            "requests_per_second": (samples.len() as f64 / elapsed.as_secs_f64()).round(),
            "latency_ms": {
                "p50": ms(percentile(&samples, 50)),
                "p95": ms(percentile(&samples, 95)),
                "p99": ms(percentile(&samples, 99)),
                "max": ms(samples.last().copied().unwrap_or_default()),
            },
            "failures": failures.len(),
            "first_failure": failures.first(),
        });
        if args.server.json {
            print_line(&report.to_string());
        } else {
            print_line(&format!(
                "{} GETs over {} connections in {:.1} s: {} req/s; latency P50 {} ms, P95 {} ms, P99 {} ms, max {} ms",
                samples.len(),
                args.connections,
                elapsed.as_secs_f64(),
                report["requests_per_second"],
                report["latency_ms"]["p50"],
                report["latency_ms"]["p95"],
                report["latency_ms"]["p99"],
                report["latency_ms"]["max"],
            ));
        }
        if let Some(first) = failures.first() {
            return Err(Failed(format!(
                "{} requests failed (first: {first}); a 429 means the server's rate limits are on: start it with APIFORGE_IP_RATE=off APIFORGE_USER_RATE=off to measure it unthrottled",
                failures.len()
            ))
            .into());
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The paths to load: the given ones, else the project list and one project's pages.
async fn read_paths(target: &Target, given: &[String]) -> anyhow::Result<Vec<String>> {
    let paths = if given.is_empty() {
        let projects = target.get_json("/api/projects").await?;
        let mut paths = vec!["/api/projects".to_owned()];
        if let Some(id) = projects[0]["id"].as_str() {
            for suffix in ["", "/status", "/versions"] {
                paths.push(format!("/api/projects/{id}{suffix}"));
            }
        }
        paths
    } else {
        given.to_vec()
    };
    for path in &paths {
        if !path.starts_with('/') {
            return Err(BadInput(format!("--path {path:?} must start with /")).into());
        }
        let (status, body) = target.call("GET", path, None).await?;
        if !(200..300).contains(&status) {
            return Err(BadInput(format!(
                "GET {path} answered {status} before the load started: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))
            .into());
        }
    }
    Ok(paths)
}

pub fn bench_jobs(args: &BenchJobsArgs) -> anyhow::Result<ExitCode> {
    if !(1..=1000).contains(&args.jobs) {
        return Err(BadInput("--jobs must be between 1 and 1000".into()).into());
    }
    let target = target(&args.server, 4)?;
    let prompt = args.prompt.clone().unwrap_or_else(|| LIBRARY.to_owned());
    runtime()?.block_on(async move {
        let started = Instant::now();
        let mut projects = Vec::new();
        for _ in 0..args.jobs {
            let (status, body) = target
                .call("POST", "/api/projects", Some(&json!({ "prompt": prompt })))
                .await?;
            if status != 202 {
                return Err(BadInput(format!(
                    "creating a project answered {status}: {}",
                    String::from_utf8_lossy(&body)
                ))
                .into());
            }
            let created: Value = serde_json::from_slice(&body).context("the answer is not JSON")?;
            let id = created["project"]["id"].as_str().unwrap_or_default().to_owned();
            let job = created["job_id"].as_str().unwrap_or_default().to_owned();
            projects.push((id, job));
        }
        eprint_line(&format!("{} projects created; waiting for their jobs", args.jobs));
        // One list call per poll, whatever the number of jobs (the API is rate limited).
        loop {
            let listed = target.get_json("/api/projects").await?;
            let open = listed
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter(|p| projects.iter().any(|(id, _)| p["id"] == id.as_str()))
                        .filter(|p| !matches!(p["status"].as_str(), Some("ready" | "failed")))
                        .count()
                })
                .unwrap_or(0);
            if open == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let wall = started.elapsed();
        let mut durations = Vec::new();
        let mut failed = 0;
        for (_, job) in &projects {
            let job = target.get_json(&format!("/api/jobs/{job}")).await?;
            if job["state"] != "succeeded" {
                failed += 1;
            }
            if let (Some(created), Some(finished)) =
                (job["created_at"].as_i64(), job["finished_at"].as_i64())
            {
                durations.push(Duration::from_millis(
                    u64::try_from(finished - created).unwrap_or(0),
                ));
            }
        }
        durations.sort_unstable();
        let per_hour = (args.jobs as f64 / wall.as_secs_f64() * 3600.0).round();
        let report = json!({
            "url": target.base(),
            "jobs": args.jobs,
            "failed": failed,
            "wall_seconds": wall.as_secs_f64(),
            "generations_per_hour": per_hour,
            "queue_to_done_s": {
                "p50": ms(percentile(&durations, 50)) / 1000.0,
                "p95": ms(percentile(&durations, 95)) / 1000.0,
            },
        });
        if args.server.json {
            print_line(&report.to_string());
        } else {
            print_line(&format!(
                "{} generations in {:.1} s: {per_hour} per hour; queue to done P50 {} s, P95 {} s; {failed} failed",
                args.jobs,
                wall.as_secs_f64(),
                report["queue_to_done_s"]["p50"],
                report["queue_to_done_s"]["p95"],
            ));
        }
        if failed > 0 {
            return Err(Failed(format!("{failed} of {} generations failed", args.jobs)).into());
        }
        Ok(ExitCode::SUCCESS)
    })
}
