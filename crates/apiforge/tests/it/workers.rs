//! `apiforge worker` processes on PostgreSQL, as a deployment runs them: a server without
//! an embedded worker, workers started and killed as separate processes.
//! - Crash: `kill -9` of the worker while it verifies; a new worker takes the job over when
//!   the lease expires, and the finished steps (plan, spec, codegen) are not run again.
//! - Scale-out: two workers share 30 generation jobs, each run exactly once.

use std::path::Path;
use std::process::{Child, Command as HostCommand, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::{PgDatabase, Server, assert_ok, wait_for};
use crate::{LIBRARY, shared_data_dir};

/// A short lease, so a crashed worker's job is taken over within seconds.
const LEASE_SECONDS: &str = "3";

struct WorkerProcess {
    child: Child,
    log: std::path::PathBuf,
}

impl WorkerProcess {
    fn start(database_url: &str, log_dir: &Path, name: &str) -> WorkerProcess {
        let log = log_dir.join(format!("{name}.log"));
        let stderr = std::fs::File::create(&log).expect("worker log created");
        let child = HostCommand::new(assert_cmd::cargo::cargo_bin("apiforge"))
            .args(["worker", "--database-url", database_url, "--data-dir"])
            .arg(shared_data_dir())
            .args(["--lease", LEASE_SECONDS, "--concurrency", "2"])
            .env("APIFORGE_LOG", "info")
            .env_remove("APIFORGE_OFFLINE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("apiforge worker starts");
        WorkerProcess { child, log }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no graceful release, no chance to finish the step.
    fn kill_9(&mut self) {
        self.child.kill().expect("the worker is killed");
        self.child.wait().expect("the worker is reaped");
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_project(server: &Server, jwt: &str, prompt: &str) -> (String, String) {
    let created = server.post_json("/api/projects", Some(jwt), &json!({ "prompt": prompt }));
    assert_eq!(created.status, 202, "create: {}", created.describe());
    let created = created.json();
    (
        created["project"]["id"]
            .as_str()
            .expect("project id")
            .to_owned(),
        created["job_id"].as_str().expect("job id").to_owned(),
    )
}

fn step<'a>(job: &'a Value, name: &str) -> Option<&'a Value> {
    job["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["name"] == name))
}

#[test]
fn a_worker_killed_during_verify_is_taken_over_without_rerunning_finished_steps() {
    let database = PgDatabase::create();
    let server = Server::start_with(Some(&database.url), &["--no-worker"], &[]);
    let logs = tempfile::tempdir().expect("a log directory");
    let ada = server.sign_in("ada@example.com");
    let (project, job_id) = create_project(&server, &ada, LIBRARY);

    let mut first = WorkerProcess::start(&database.url, logs.path(), "first");
    let during_verify = wait_for(
        &server,
        &ada,
        &job_id,
        Duration::from_secs(120),
        "the verify step starting",
        |job| step(job, "verify").is_some_and(|s| s["state"] == "running"),
    );
    for finished in ["plan", "spec", "codegen"] {
        let s = step(&during_verify, finished).expect("a finished step");
        assert_eq!(s["state"], "succeeded", "{during_verify:#}");
    }
    let finished_before: Vec<Value> = ["plan", "spec", "codegen"]
        .iter()
        .map(|name| step(&during_verify, name).cloned().expect("step"))
        .collect();
    first.kill_9();
    let first_log = first.log_text();

    let second = WorkerProcess::start(&database.url, logs.path(), "second");
    let done = wait_for(
        &server,
        &ada,
        &job_id,
        Duration::from_secs(180),
        "the job finishing after the takeover",
        |job| matches!(job["state"].as_str(), Some("succeeded" | "failed" | "dead")),
    );
    assert_eq!(
        done["state"],
        "succeeded",
        "{done:#}\nfirst worker:\n{first_log}\nsecond worker:\n{}",
        second.log_text()
    );
    assert_eq!(done["attempts"], 2, "one attempt per worker: {done:#}");
    for before in &finished_before {
        let name = before["name"].as_str().expect("step name");
        let after = step(&done, name).expect("the step is still there");
        assert_eq!(
            after["attempts"], 1,
            "{name} ran once, before the crash: {done:#}"
        );
        assert_eq!(
            after["started_at"], before["started_at"],
            "{name} was not started again: {done:#}"
        );
        assert_eq!(after["finished_at"], before["finished_at"], "{done:#}");
    }
    let verify = step(&done, "verify").expect("verify");
    assert_eq!(verify["state"], "succeeded", "{done:#}");
    assert_eq!(
        verify["attempts"], 2,
        "verify ran again after the crash: {done:#}"
    );
    for later in ["preview", "save"] {
        assert_eq!(step(&done, later).expect("step")["attempts"], 1, "{done:#}");
    }
    // The project got exactly one version, verified.
    let versions = server.get(&format!("/api/projects/{project}/versions"), Some(&ada));
    assert_ok("versions", &versions);
    let versions = versions.json();
    let versions = versions.as_array().expect("a list");
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0]["verified"], true, "{versions:?}");
    // The killed worker's sandbox did not outlive it (PR_SET_PDEATHSIG): the second
    // worker's log shows the takeover, not a conflict.
    assert!(
        !second.log_text().contains("ERROR"),
        "{}",
        second.log_text()
    );
}

#[test]
fn two_worker_processes_share_thirty_jobs_each_run_exactly_once() {
    const JOBS: usize = 30;
    let database = PgDatabase::create();
    let server = Server::start_with(Some(&database.url), &["--no-worker"], &[]);
    let logs = tempfile::tempdir().expect("a log directory");
    // Several users: the per-user concurrency limit (2) would otherwise serialise them.
    let users: Vec<String> = (0..5)
        .map(|i| server.sign_in(&format!("user{i}@example.com")))
        .collect();
    // Small APIs: the test is about the queue, not the size of the projects.
    let prompts = [
        "Notes have a title and a body.",
        "Tasks have a title, a due date and a done flag.",
        "Tags have a name.",
    ];
    let jobs: Vec<(String, String)> = (0..JOBS)
        .map(|i| {
            let jwt = &users[i % users.len()];
            let (_, job) = create_project(&server, jwt, prompts[i % prompts.len()]);
            (jwt.clone(), job)
        })
        .collect();
    let workers = [
        WorkerProcess::start(&database.url, logs.path(), "a"),
        WorkerProcess::start(&database.url, logs.path(), "b"),
    ];
    let started = Instant::now();
    let mut finished = Vec::new();
    for (jwt, job_id) in &jobs {
        finished.push(wait_for(
            &server,
            jwt,
            job_id,
            Duration::from_secs(900),
            "every job finishing",
            |job| matches!(job["state"].as_str(), Some("succeeded" | "failed" | "dead")),
        ));
    }
    eprintln!("{JOBS} jobs on two workers took {:?}", started.elapsed());
    for job in &finished {
        assert_eq!(
            job["state"],
            "succeeded",
            "{job:#}\n{}\n{}",
            workers[0].log_text(),
            workers[1].log_text()
        );
        assert_eq!(job["attempts"], 1, "claimed exactly once: {job:#}");
        for step in job["steps"].as_array().expect("steps") {
            assert_eq!(step["attempts"], 1, "each step ran once: {job:#}");
        }
    }
    // Both processes did work (the queue is shared, not drained by whoever came first).
    let claimed_by = |worker: &WorkerProcess| {
        finished
            .iter()
            .filter(|job| {
                let id = job["id"].as_str().unwrap_or("?");
                worker.log_text().contains(id)
            })
            .count()
    };
    let (a, b) = (claimed_by(&workers[0]), claimed_by(&workers[1]));
    assert!(a > 0 && b > 0, "worker a ran {a} jobs, worker b {b}");
}
