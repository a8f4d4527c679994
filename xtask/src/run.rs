//! `cargo xtask test`: the one command README gives for running every check and test.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Crates that must stay pure: no async runtime, database or HTTP client beneath them.
const PURE_CRATES: [&str; 4] = [
    "apiforge-manifest",
    "apiforge-planner",
    "apiforge-spec",
    "apiforge-codegen",
];
const IMPURE_DEPENDENCIES: [&str; 6] = ["tokio", "sqlx", "reqwest", "hyper", "async-std", "rand"];

pub fn test_all() -> anyhow::Result<()> {
    let root = workspace_root();
    step("format", cargo(&root, &["fmt", "--all", "--", "--check"]))?;
    step(
        "clippy",
        cargo(
            &root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
    )?;
    step("docs", {
        let mut command = cargo(&root, &["doc", "--workspace", "--no-deps", "--quiet"]);
        command.env("RUSTDOCFLAGS", "-D warnings");
        command
    })?;
    purity(&root)?;
    crate::codegen::run(true).context("generated files are stale")?;
    corpus_matches_shared(&root)?;
    ui_test_packages(&root)?;
    step("tests", test_command(&root))?;
    step(
        "doc tests",
        cargo(&root, &["test", "--workspace", "--doc", "--quiet"]),
    )?;
    step("corpus eval", {
        let mut command = cargo(
            &root,
            &["run", "--quiet", "--package", "apiforge", "--", "eval"],
        );
        command.arg(root.join("corpus/prompts.jsonl"));
        command
    })?;
    crate::judge::run()?;
    eprintln!("xtask: all checks passed");
    Ok(())
}

/// nextest when installed (faster, per-test isolation), `cargo test` otherwise. Doc tests
/// are a step of their own because nextest does not run them.
fn test_command(root: &Path) -> Command {
    let has_nextest = Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_nextest {
        let mut command = cargo(root, &["nextest", "run", "--workspace", "--no-fail-fast"]);
        command.env("NEXTEST_HIDE_PROGRESS_BAR", "1");
        command
    } else {
        cargo(root, &["test", "--workspace", "--no-fail-fast"])
    }
}

fn purity(root: &Path) -> anyhow::Result<()> {
    for krate in PURE_CRATES {
        let output = cargo(
            root,
            &[
                "tree",
                "--quiet",
                "--edges",
                "normal",
                "--prefix",
                "none",
                "--package",
                krate,
            ],
        )
        .output()
        .context("running cargo tree")?;
        if !output.status.success() {
            bail!(
                "cargo tree failed for {krate}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let tree = String::from_utf8_lossy(&output.stdout);
        for line in tree.lines() {
            let name = line.split_whitespace().next().unwrap_or_default();
            if IMPURE_DEPENDENCIES.contains(&name) {
                bail!(
                    "{krate} must stay pure but depends on {name}; move the I/O to an edge crate"
                );
            }
        }
    }
    eprintln!("xtask: purity ok ({})", PURE_CRATES.join(", "));
    Ok(())
}

/// The browser test of the web app (`crates/apiforge/tests/it/ui.rs`) drives Chromium with
/// playwright-core and checks accessibility with axe-core: `npm ci` from the committed lock,
/// only when `node_modules` is missing or the lock changed since the last install.
fn ui_test_packages(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("crates/apiforge/tests/ui");
    let lock = std::fs::read(dir.join("package-lock.json"))
        .with_context(|| format!("reading {}/package-lock.json", dir.display()))?;
    let stamp = dir.join("node_modules/.apiforge-installed-lock.json");
    if std::fs::read(&stamp).ok().as_deref() == Some(lock.as_slice()) {
        eprintln!("xtask: web app test packages up to date");
        return Ok(());
    }
    let mut npm = Command::new("npm");
    npm.current_dir(&dir)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    step("npm ci (web app browser test)", npm)?;
    std::fs::write(&stamp, &lock).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

/// The corpus is vendored so a clean clone can test it; when the shared original sits next
/// to the checkout, the copy must not have drifted.
fn corpus_matches_shared(root: &Path) -> anyhow::Result<()> {
    let Some(shared) = shared_dir(root) else {
        return Ok(());
    };
    let original = shared.join("corpus");
    for entry in
        std::fs::read_dir(&original).with_context(|| format!("reading {}", original.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        let ours = root.join("corpus").join(&name);
        let theirs = std::fs::read(entry.path())?;
        if std::fs::read(&ours).ok().as_deref() != Some(theirs.as_slice()) {
            bail!(
                "corpus/{} differs from {}; copy it again",
                name.to_string_lossy(),
                entry.path().display()
            );
        }
    }
    eprintln!("xtask: corpus matches {}", original.display());
    Ok(())
}

/// `APIFORGE_SHARED_DIR`, else `../shared` beside the checkout, when it exists.
pub fn shared_dir(root: &Path) -> Option<PathBuf> {
    let candidate = std::env::var_os("APIFORGE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    candidate.join("corpus").is_dir().then_some(candidate)
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn cargo(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root).args(args);
    command
}

pub fn step(name: &str, mut command: Command) -> anyhow::Result<()> {
    eprintln!("xtask: {name}");
    let status = command
        .status()
        .with_context(|| format!("starting {name}"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}
