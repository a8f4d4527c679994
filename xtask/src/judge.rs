//! Runs the independent judge (openapi-spec-validator, Spectral, Redocly) on the contract
//! the product generates for every corpus case. Any error from any tool fails the run.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::run::{cargo, shared_dir, step, workspace_root};

pub fn run() -> anyhow::Result<()> {
    let root = workspace_root();
    let judge = judge_script(&root);
    step(
        "build apiforge",
        cargo(&root, &["build", "--quiet", "--package", "apiforge"]),
    )?;
    let binary = target_dir(&root).join("debug/apiforge");
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
    if !failed.is_empty() {
        bail!("the judge rejected the contract of: {}", failed.join(", "));
    }
    eprintln!(
        "xtask: judge passed every corpus contract ({})",
        judge.display()
    );
    Ok(())
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
