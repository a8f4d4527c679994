//! Runs the independent judge (openapi-spec-validator, Spectral, Redocly) on the contract
//! the product generates for every corpus case, then all four tools (Schemathesis too) on
//! live previews of the generated FastAPI project for [`LIVE_CASES`]. Any error from any
//! tool fails the run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::run::{cargo, shared_dir, step, workspace_root};

/// Corpus cases judged on a live preview. Schemathesis cannot log in, so none has auth.
const LIVE_CASES: [&str; 5] = ["library", "blog", "shop", "events", "reserved_words"];
/// How long a preview may take to print its URL.
const PREVIEW_START: Duration = Duration::from_secs(120);
/// How long a preview may take to stop after SIGTERM before it is killed.
const PREVIEW_STOP: Duration = Duration::from_secs(20);
/// The line `apiforge preview` prints with its address.
const URL_PREFIX: &str = "  url:";

pub fn run() -> anyhow::Result<()> {
    let start = Instant::now();
    let result = contracts().and_then(|()| live_previews());
    eprintln!(
        "xtask: judge step took {:.1} s",
        start.elapsed().as_secs_f64()
    );
    result
}

/// The three static tools on the contract of every corpus case.
fn contracts() -> anyhow::Result<()> {
    let root = workspace_root();
    let judge = judge_script(&root);
    step(
        "build apiforge",
        cargo(&root, &["build", "--quiet", "--package", "apiforge"]),
    )?;
    let binary = apiforge_binary(&root);
    let out = target_dir(&root).join("judge-specs");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let corpus = std::fs::read_to_string(root.join("corpus/prompts.jsonl"))?;
    let mut failed = Vec::new();
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let (id, prompt) = id_and_prompt(line)?;
        let spec = out.join(format!("{id}.yaml"));
        let mut command = Command::new(&binary);
        command.arg("spec").arg("-o").arg(&spec);
        match prompt.strip_prefix("@csv:") {
            Some(file) => command.arg("--csv").arg(root.join("corpus").join(file)),
            None => command.arg(&prompt),
        };
        step(&format!("spec {id}"), command)?;
        eprintln!("xtask: judge {id}");
        let status = Command::new("bash")
            .arg(&judge)
            .arg(&spec)
            .status()
            .context("starting judge.sh")?;
        if !status.success() {
            failed.push(id);
        }
    }
    // The server documents itself too (`/api/openapi.json`): the same three tools.
    let server_spec = out.join("apiforge-server.json");
    let document = Command::new(&binary)
        .args(["serve", "--openapi"])
        .output()
        .context("running apiforge serve --openapi")?;
    if !document.status.success() {
        bail!(
            "apiforge serve --openapi failed: {}",
            String::from_utf8_lossy(&document.stderr)
        );
    }
    std::fs::write(&server_spec, &document.stdout)
        .with_context(|| format!("writing {}", server_spec.display()))?;
    eprintln!("xtask: judge the server's own /api/openapi.json");
    let status = Command::new("bash")
        .arg(&judge)
        .arg(&server_spec)
        .status()
        .context("starting judge.sh")?;
    if !status.success() {
        failed.push("the server's /api/openapi.json".to_owned());
    }
    if !failed.is_empty() {
        bail!("the judge rejected the contract of: {}", failed.join(", "));
    }
    eprintln!(
        "xtask: judge passed every corpus contract and the server's own ({})",
        judge.display()
    );
    Ok(())
}

/// All four tools, Schemathesis with every check and phase, on a live preview of the FastAPI
/// project generated for each of [`LIVE_CASES`].
fn live_previews() -> anyhow::Result<()> {
    let root = workspace_root();
    let judge = judge_script(&root);
    let binary = apiforge_binary(&root);
    let target = target_dir(&root);
    let projects = target.join("judge-previews");
    let data_dir = target.join("judge-data");
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    step("runtimes install (judge previews)", {
        let mut command = Command::new(&binary);
        command
            .args(["runtimes", "install"])
            .env("APIFORGE_DATA_DIR", &data_dir);
        command
    })?;

    let corpus = std::fs::read_to_string(root.join("corpus/prompts.jsonl"))?;
    let mut cases = Vec::new();
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let (id, prompt) = id_and_prompt(line)?;
        if LIVE_CASES.contains(&id.as_str()) {
            cases.push((id, prompt));
        }
    }
    if cases.len() != LIVE_CASES.len() {
        bail!(
            "corpus/prompts.jsonl lacks some of the live judge cases {}",
            LIVE_CASES.join(", ")
        );
    }

    let mut failed = Vec::new();
    let mut summary = Vec::new();
    for (id, prompt) in &cases {
        let dir = projects.join(id);
        step(&format!("generate {id}"), {
            let mut command = Command::new(&binary);
            command
                .arg("generate")
                .arg(prompt)
                .args(["--target", "fastapi", "--force", "--no-verify", "-o"])
                .arg(&dir)
                .env("APIFORGE_DATA_DIR", &data_dir)
                .stdout(Stdio::null());
            command
        })?;
        let started = Instant::now();
        let outcome = judge_preview(&binary, &data_dir, &judge, &dir);
        let secs = started.elapsed().as_secs_f64();
        match outcome {
            Ok(Judged { passed: true, st }) => {
                summary.push(format!("{id}: pass ({secs:.0} s) {st}"))
            }
            Ok(Judged { passed: false, st }) => {
                summary.push(format!("{id}: FAIL ({secs:.0} s) {st}"));
                failed.push(id.clone());
            }
            Err(error) => {
                summary.push(format!("{id}: FAIL ({secs:.0} s) {error:#}"));
                failed.push(id.clone());
            }
        }
    }
    for line in &summary {
        eprintln!("xtask: live judge {line}");
    }
    if !failed.is_empty() {
        bail!(
            "the judge failed on the live preview of: {}",
            failed.join(", ")
        );
    }
    eprintln!(
        "xtask: judge passed all four tools on live previews of {}",
        LIVE_CASES.join(", ")
    );
    Ok(())
}

/// What judge.sh said about one preview.
struct Judged {
    passed: bool,
    /// Its `schemathesis:` line (the case count and the seed).
    st: String,
}

/// Starts the preview of `dir`, runs judge.sh on its contract and URL, stops the preview.
fn judge_preview(
    binary: &Path,
    data_dir: &Path,
    judge: &Path,
    dir: &Path,
) -> anyhow::Result<Judged> {
    let mut preview = Preview::start(binary, data_dir, dir)?;
    let url = preview.url()?;
    eprintln!("xtask: judge {} at {url}", dir.display());
    let mut child = Command::new("bash")
        .arg(judge)
        .arg(dir.join("openapi.yaml"))
        .arg(&url)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting judge.sh")?;
    let mut st = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading judge.sh's output")?;
            if let Some(rest) = line.strip_prefix("schemathesis:") {
                st = rest.trim().to_owned();
            }
            eprintln!("{line}");
        }
    }
    let status = child.wait().context("waiting for judge.sh")?;
    // The preview must have survived the run and must stop cleanly.
    preview.stop()?;
    Ok(Judged {
        passed: status.success(),
        st,
    })
}

/// A running `apiforge preview DIR --port 0`, stopped with SIGTERM when dropped.
struct Preview {
    child: Child,
    lines: mpsc::Receiver<String>,
    stopped: bool,
}

impl Preview {
    fn start(binary: &Path, data_dir: &Path, dir: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .arg("preview")
            .arg(dir)
            .args(["--port", "0"])
            .env("APIFORGE_DATA_DIR", data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting apiforge preview")?;
        let (sender, lines) = mpsc::channel();
        let stdout: Option<ChildStdout> = child.stdout.take();
        if let Some(stdout) = stdout {
            // Drains stdout for the preview's whole life, passing the lines on.
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    eprintln!("preview: {line}");
                    let _ = sender.send(line);
                }
            });
        }
        Ok(Self {
            child,
            lines,
            stopped: false,
        })
    }

    /// The URL from the preview's `  url:` line, waiting for it to start.
    fn url(&mut self) -> anyhow::Result<String> {
        let deadline = Instant::now() + PREVIEW_START;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix(URL_PREFIX) {
                        return Ok(url.trim().to_owned());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                    "apiforge preview printed no URL within {} s",
                    PREVIEW_START.as_secs()
                ),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().context("waiting for apiforge preview")?;
                    self.stopped = true;
                    bail!("apiforge preview ended before printing its URL ({status})");
                }
            }
        }
    }

    /// SIGTERM, then wait (SIGKILL after [`PREVIEW_STOP`]); an error when it had already
    /// ended or did not exit 0.
    fn stop(&mut self) -> anyhow::Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        if let Some(status) = self.child.try_wait()? {
            bail!("apiforge preview ended during the judge run ({status})");
        }
        let pid = self.child.id().to_string();
        let term = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + PREVIEW_STOP;
        while term.as_ref().is_ok_and(|s| s.success()) && Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    bail!("apiforge preview did not stop cleanly ({status})");
                }
                return Ok(());
            }
            thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        bail!(
            "apiforge preview did not stop within {} s of SIGTERM; killed",
            PREVIEW_STOP.as_secs()
        )
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("xtask: {error:#}");
        }
    }
}

/// The debug binary `contracts` builds.
fn apiforge_binary(root: &Path) -> PathBuf {
    target_dir(root).join("debug/apiforge")
}

/// The shared judge when it sits beside the checkout, else the vendored copy.
fn judge_script(root: &Path) -> PathBuf {
    shared_dir(root)
        .map(|shared| shared.join("judge/judge.sh"))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| root.join("tools/judge/judge.sh"))
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}

/// The `id` and `prompt` of one corpus line.
fn id_and_prompt(line: &str) -> anyhow::Result<(String, String)> {
    let value: serde_json::Value = serde_json::from_str(line).context("corpus line is not JSON")?;
    let text = |key: &str| {
        value[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("corpus line without a string `{key}`"))
    };
    Ok((text("id")?, text("prompt")?))
}
