//! The generation pipeline as the job's steps see it: each step takes the previous step's
//! persisted output (plain serde data, so a resumed job needs nothing in memory) and returns
//! its own. `plan`, `spec` and `codegen` are pure; `verify` and `smoke_preview` run the
//! project in the sandbox and block, so the job runs them on the blocking pool.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use apiforge_codegen::{Ownership, Target};
use apiforge_manifest::{Manifest, ValidManifest};
use apiforge_runtime::{PreviewOptions, PythonRuntime, VerifyOptions};
use apiforge_sandbox::AuditSink;
use serde::{Deserialize, Serialize};

/// What a project is generated from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    Prompt { text: String },
    Csv { file_name: String, text: String },
}

/// Why a step failed. `Input` failures are the user's (a prompt the planner cannot read):
/// retrying cannot help, so the job goes straight to the dead-letter state.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Internal(String),
}

impl PipelineError {
    fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{context}: {error}"))
    }
}

/// The `plan` step's output: the validated manifest, canonical.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Planned {
    pub manifest: serde_json::Value,
    pub manifest_sha256: String,
    /// How it was planned, when the LLM planner was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<crate::llm_plan::PlanNote>,
}

/// The `spec` step's output: the contract in both renderings and its Postman collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contract {
    pub json: String,
    pub yaml: String,
    pub postman: String,
}

/// One generated file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileOut {
    pub path: String,
    pub contents: String,
    /// `generated` (rewritten by every generation) or `user` (created once).
    pub ownership: String,
}

/// The `codegen` step's output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Generated {
    pub target: String,
    pub files: Vec<FileOut>,
}

/// Plans the manifest of `source` with the built-in planner.
pub fn plan(source: &Source) -> Result<Planned, PipelineError> {
    let manifest = match source {
        Source::Prompt { text } => apiforge_planner::plan_prompt(text),
        Source::Csv { file_name, text } => apiforge_planner::plan_csv(file_name, text.as_bytes()),
    }
    .map_err(|e| PipelineError::Input(e.to_string()))?;
    planned(&manifest)
}

/// The `plan` step's output for a manifest planned elsewhere (the LLM planner).
pub fn planned(manifest: &ValidManifest) -> Result<Planned, PipelineError> {
    let value = serde_json::from_str(&manifest.canonical_json())
        .map_err(|e| PipelineError::internal("canonical manifest", e))?;
    Ok(Planned {
        manifest: value,
        manifest_sha256: manifest.hash(),
        note: None,
    })
}

/// The manifest a `plan` step produced, validated again (a stored step output is data).
pub fn manifest(planned: &Planned) -> Result<ValidManifest, PipelineError> {
    Manifest::parse_json(&planned.manifest.to_string())
        .map_err(|e| PipelineError::internal("stored manifest", e))
}

/// The contract, validated against the OpenAPI 3.1 schema.
pub fn spec(planned: &Planned) -> Result<Contract, PipelineError> {
    let manifest = manifest(planned)?;
    let document = apiforge_spec::generate(&manifest);
    apiforge_spec::validate(&document).map_err(|invalid| {
        PipelineError::Internal(format!(
            "the generated contract is not valid OpenAPI 3.1 ({invalid}); please report the prompt"
        ))
    })?;
    let postman = apiforge_spec::postman(&document);
    Ok(Contract {
        json: apiforge_spec::render(&document, apiforge_spec::Format::Json),
        yaml: apiforge_spec::render(&document, apiforge_spec::Format::Yaml),
        postman: serde_json::to_string_pretty(&postman)
            .map_err(|e| PipelineError::internal("postman collection", e))?,
    })
}

/// The project's files.
pub fn codegen(planned: &Planned, target: &str) -> Result<Generated, PipelineError> {
    let target = parse_target(target)?;
    let manifest = manifest(planned)?;
    let mut project = apiforge_codegen::generate(&manifest, target)
        .map_err(|e| PipelineError::internal("code generation", e))?;
    apiforge_project::add_manifest(&mut project, &manifest);
    Ok(Generated {
        target: target.name().to_owned(),
        files: project
            .files
            .into_iter()
            .map(|file| {
                let contents = String::from_utf8(file.contents).map_err(|_| {
                    PipelineError::Internal(format!("generated file {} is not UTF-8", file.path))
                })?;
                Ok(FileOut {
                    path: file.path,
                    contents,
                    ownership: match file.ownership {
                        Ownership::Generated => "generated",
                        Ownership::User => "user",
                    }
                    .to_owned(),
                })
            })
            .collect::<Result<_, PipelineError>>()?,
    })
}

/// The targets the server generates.
pub fn parse_target(target: &str) -> Result<Target, PipelineError> {
    match target {
        "fastapi" => Ok(Target::FastApi),
        other => Err(PipelineError::Input(format!(
            "target {other:?} is not available: use \"fastapi\""
        ))),
    }
}

/// Writes `files` under `dir` (which must exist and be empty).
pub fn write_files(dir: &Path, files: &[FileOut]) -> Result<(), PipelineError> {
    for file in files {
        // Paths come from our own generator; refuse anything that could leave `dir` anyway.
        let relative = Path::new(&file.path);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(PipelineError::Internal(format!(
                "generated file path {:?} is not a plain relative path",
                file.path
            )));
        }
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                PipelineError::internal(&format!("creating {}", parent.display()), e)
            })?;
        }
        std::fs::write(&path, &file.contents)
            .map_err(|e| PipelineError::internal(&format!("writing {}", path.display()), e))?;
    }
    Ok(())
}

/// The `verify` step's output: the report as JSON (as `apiforge verify --json` prints it)
/// and whether every check passed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verified {
    pub ok: bool,
    pub report: serde_json::Value,
}

/// Lint, compile and test the files in the sandbox (blocking).
pub fn verify(
    generated: &Generated,
    runtime: &PythonRuntime,
    audit: Option<Arc<dyn AuditSink>>,
) -> Result<Verified, PipelineError> {
    let dir = tempfile::tempdir().map_err(|e| PipelineError::internal("temporary directory", e))?;
    write_files(dir.path(), &generated.files)?;
    let options = VerifyOptions {
        audit,
        ..VerifyOptions::default()
    };
    let report = apiforge_runtime::verify_with(dir.path(), runtime, &options)
        .map_err(|e| PipelineError::internal("verification", e))?;
    Ok(Verified {
        ok: report.ok(),
        report: report.to_json(),
    })
}

/// The `preview` step's output: the app started in the sandbox and answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreviewChecked {
    pub startup_ms: u64,
}

/// Starts the verified app in the sandbox, checks that it serves its contract, stops it.
pub fn smoke_preview(
    generated: &Generated,
    runtime: &PythonRuntime,
    audit: Option<Arc<dyn AuditSink>>,
) -> Result<PreviewChecked, PipelineError> {
    let dir = tempfile::tempdir().map_err(|e| PipelineError::internal("temporary directory", e))?;
    write_files(dir.path(), &generated.files)?;
    let options = PreviewOptions {
        audit,
        ..PreviewOptions::default()
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let preview = apiforge_runtime::Preview::start_with(dir.path(), runtime, addr, &options)
        .map_err(|e| PipelineError::internal("starting the preview", e))?;
    let startup = preview.startup_time();
    let answered = fetch_status(preview.addr(), "/openapi.json");
    let _ = preview.stop();
    match answered {
        Ok(200) => Ok(PreviewChecked {
            startup_ms: u64::try_from(startup.as_millis()).unwrap_or(u64::MAX),
        }),
        Ok(status) => Err(PipelineError::Internal(format!(
            "the preview answered /openapi.json with HTTP {status}"
        ))),
        Err(e) => Err(PipelineError::internal(
            "asking the preview for /openapi.json",
            e,
        )),
    }
}

/// One HTTP/1.0 GET over a blocking socket: the smallest client that proves the app serves.
fn fetch_status(addr: SocketAddr, path: &str) -> std::io::Result<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: preview\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP response"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const LIBRARY: &str = "A library API. Books have a title, an ISBN and a publication year. Each book belongs to an author. Authors have a name.";

    #[test]
    fn pure_steps_chain_through_their_stored_outputs() {
        let source = Source::Prompt {
            text: LIBRARY.into(),
        };
        let planned = plan(&source).unwrap();
        // A step's output goes through JSON in the jobs table: it must survive the trip.
        let planned: Planned =
            serde_json::from_str(&serde_json::to_string(&planned).unwrap()).unwrap();
        let contract = spec(&planned).unwrap();
        assert!(contract.json.contains("\"openapi\": \"3.1.0\""));
        assert!(
            contract.yaml.starts_with("openapi: \"3.1.0\""),
            "{}",
            &contract.yaml[..40]
        );
        let generated = codegen(&planned, "fastapi").unwrap();
        assert!(generated.files.iter().any(|f| f.path == "app/main.py"));
        assert!(generated.files.iter().any(|f| f.ownership == "user"));
        // Same input, same bytes.
        assert_eq!(
            serde_json::to_string(&codegen(&planned, "fastapi").unwrap()).unwrap(),
            serde_json::to_string(&generated).unwrap()
        );
    }

    #[test]
    fn unreadable_input_and_unknown_targets_are_the_users_errors() {
        let error = plan(&Source::Prompt { text: "   ".into() }).unwrap_err();
        assert!(matches!(error, PipelineError::Input(_)), "{error}");
        let planned = plan(&Source::Prompt {
            text: LIBRARY.into(),
        })
        .unwrap();
        let error = codegen(&planned, "cobol").unwrap_err();
        assert!(matches!(error, PipelineError::Input(_)), "{error}");
    }

    #[test]
    fn csv_sources_plan_one_entity() {
        let source = Source::Csv {
            file_name: "sensor readings.csv".into(),
            text: "sensor_id,temperature,taken_at\nA1,21.5,2024-01-02T10:00:00Z\n".into(),
        };
        let planned = plan(&source).unwrap();
        assert_eq!(planned.manifest["entities"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn file_paths_that_leave_the_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for path in ["../escape.py", "/etc/passwd", "a/../../b"] {
            let files = [FileOut {
                path: path.into(),
                contents: String::new(),
                ownership: "generated".into(),
            }];
            assert!(write_files(dir.path(), &files).is_err(), "{path}");
        }
    }
}
