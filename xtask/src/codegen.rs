//! Committed generated files, rewritten by `cargo xtask codegen` and checked by `--check`.

use anyhow::{Context, bail};

use crate::run::{cargo, workspace_root};

pub fn run(check: bool) -> anyhow::Result<()> {
    let root = workspace_root();
    let output = cargo(
        &root,
        &[
            "run",
            "--quiet",
            "--package",
            "apiforge",
            "--",
            "plan",
            "--schema",
        ],
    )
    .output()
    .context("running apiforge plan --schema")?;
    if !output.status.success() {
        bail!(
            "apiforge plan --schema failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let path = root.join("schemas/manifest.schema.json");
    let current = std::fs::read(&path).unwrap_or_default();
    if current == output.stdout {
        eprintln!("xtask: {} is up to date", path.display());
        return Ok(());
    }
    if check {
        bail!(
            "{} is out of date; run `cargo xtask codegen`",
            path.display()
        );
    }
    std::fs::write(&path, &output.stdout).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("xtask: wrote {}", path.display());
    Ok(())
}
