//! The generation job: plan → spec → codegen → verify → preview → save, each a persisted
//! step, so a job retried after a failure or taken over from a dead worker continues after
//! its last finished step. The sandboxed steps block and run on Tokio's blocking pool.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use apiforge_jobs::{Handler, JobCtx, JobError};
use apiforge_runtime::PythonRuntime;
use apiforge_sandbox::AuditSink;
use apiforge_store::{Db, NewFile, NewVersion, Ownership, ProjectId, ProjectStatus, UserId};
use serde::{Deserialize, Serialize};

use crate::audit::DbAudit;
use crate::metrics as names;
use crate::pipeline::{
    self, Contract, Generated, PipelineError, Planned, PreviewChecked, Source, Verified,
};

/// The job kind.
pub const GENERATE: &str = "generate";

/// The job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenerateJob {
    pub project_id: String,
    pub user_id: String,
    pub target: String,
    pub source: Source,
    /// `builtin` (default) or `llm`.
    #[serde(default = "builtin_planner")]
    pub planner: String,
}

fn builtin_planner() -> String {
    "builtin".into()
}

/// Runs generation jobs.
#[derive(Debug, Clone)]
pub struct GenerateHandler {
    pub db: Db,
    /// Where the prepared runtime is.
    pub data_dir: PathBuf,
    /// The LLM providers (projects planned with `planner: "llm"`).
    pub llm: Arc<apiforge_llm::Chain>,
}

fn job_error(error: PipelineError) -> JobError {
    match error {
        // The user's input cannot get better by retrying.
        PipelineError::Input(message) => JobError::Permanent(message),
        PipelineError::Internal(message) => JobError::Failed(message),
    }
}

fn timed<T>(step: &'static str, start: Instant, result: T) -> T {
    metrics::histogram!(names::STEP_SECONDS, "step" => step).record(start.elapsed().as_secs_f64());
    result
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, PipelineError> + Send + 'static,
) -> Result<T, JobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| JobError::Failed(format!("the step's thread failed: {e}")))?
        .map_err(job_error)
}

impl GenerateHandler {
    fn runtime(&self) -> Result<PythonRuntime, JobError> {
        PythonRuntime::find(&self.data_dir).map_err(|e| {
            JobError::Failed(format!(
                "no prepared Python runtime in {}: run `apiforge runtimes install` ({e})",
                self.data_dir.display()
            ))
        })
    }

    async fn generate(
        &self,
        ctx: &JobCtx,
        job: &GenerateJob,
        project: &ProjectId,
    ) -> Result<serde_json::Value, JobError> {
        let audit: Arc<dyn AuditSink> = Arc::new(DbAudit::new(
            self.db.clone(),
            Some(project.clone()),
            UserId::parse(&job.user_id),
        ));
        self.db
            .set_project_status(project, ProjectStatus::Running)
            .await
            .map_err(|e| JobError::Failed(e.to_string()))?;

        let source = job.source.clone();
        let (db, llm, use_llm) = (self.db.clone(), self.llm.clone(), job.planner == "llm");
        let user = UserId::parse(&job.user_id);
        let planned: Planned = ctx
            .step("plan", async move {
                let start = Instant::now();
                let planned = match &source {
                    Source::Prompt { text } if use_llm => {
                        llm_plan_step(&db, &llm, text, user.as_ref()).await
                    }
                    _ => pipeline::plan(&source).map_err(job_error),
                };
                timed("plan", start, planned)
            })
            .await?;
        let for_spec = planned.clone();
        let contract: Contract = ctx
            .step("spec", async move {
                let start = Instant::now();
                timed("spec", start, pipeline::spec(&for_spec).map_err(job_error))
            })
            .await?;
        let (for_codegen, target) = (planned.clone(), job.target.clone());
        let generated: Generated = ctx
            .step("codegen", async move {
                let start = Instant::now();
                timed(
                    "codegen",
                    start,
                    pipeline::codegen(&for_codegen, &target).map_err(job_error),
                )
            })
            .await?;

        let runtime = self.runtime()?;
        let (files, rt, sink) = (generated.clone(), runtime.clone(), Arc::clone(&audit));
        let verified: Verified = ctx
            .step("verify", async move {
                let start = Instant::now();
                let result = blocking(move || pipeline::verify(&files, &rt, Some(sink))).await;
                let outcome = match &result {
                    Ok(v) if v.ok => "passed",
                    Ok(_) => "failed",
                    Err(_) => "error",
                };
                metrics::counter!(names::SANDBOX_RUNS, "kind" => "verify", "outcome" => outcome)
                    .increment(1);
                timed("verify", start, result)
            })
            .await?;

        // The auto-fix loop, when verification failed and an LLM is configured.
        let (generated, verified) = if !verified.ok && !self.llm.is_builtin_only() {
            let (llm, db, rt, sink) = (
                self.llm.clone(),
                self.db.clone(),
                runtime.clone(),
                Arc::clone(&audit),
            );
            let (files, failed, target) = (
                generated.files.clone(),
                verified.clone(),
                generated.target.clone(),
            );
            let fix_user = UserId::parse(&job.user_id);
            let fixed: crate::fix::Fixed = ctx
                .step("fix", async move {
                    let start = Instant::now();
                    let template = crate::seed::template(
                        &db,
                        apiforge_planner::llm::FIXER_PROMPT,
                        apiforge_planner::llm::FIXER_TEMPLATE,
                    )
                    .await;
                    let verify = |files: Vec<pipeline::FileOut>| {
                        let (rt, sink, target) = (rt.clone(), Arc::clone(&sink), target.clone());
                        async move {
                            let generated = Generated { target, files };
                            blocking(move || pipeline::verify(&generated, &rt, Some(sink)))
                                .await
                                .map_err(|e| e.to_string())
                        }
                    };
                    let fixed =
                        crate::fix::fix(&llm, &template, &target, files, failed, verify).await;
                    tracing::info!(
                        attempts = fixed.attempts.len(),
                        verified = fixed.verified.ok,
                        "auto-fix loop finished"
                    );
                    if let Some(user) = &fix_user {
                        for attempt in &fixed.attempts {
                            let input =
                                serde_json::json!({ "target": target, "attempt": attempt.attempt });
                            crate::seed::record_execution(
                                &db,
                                user,
                                apiforge_planner::llm::FIXER_PROMPT,
                                &input,
                                &attempt.outcome(),
                            )
                            .await;
                        }
                    }
                    timed("fix", start, Ok(fixed))
                })
                .await?;
            let mut verified = fixed.verified;
            if let serde_json::Value::Object(report) = &mut verified.report {
                report.insert(
                    "fixes".to_owned(),
                    serde_json::to_value(&fixed.attempts).unwrap_or_default(),
                );
            }
            (
                Generated {
                    target: generated.target.clone(),
                    files: fixed.files,
                },
                verified,
            )
        } else {
            (generated, verified)
        };

        let preview: Option<PreviewChecked> = if verified.ok {
            let (files, rt, sink) = (generated.clone(), runtime, Arc::clone(&audit));
            Some(
                ctx.step("preview", async move {
                    let start = Instant::now();
                    let result =
                        blocking(move || pipeline::smoke_preview(&files, &rt, Some(sink))).await;
                    timed("preview", start, result)
                })
                .await?,
            )
        } else {
            None
        };

        let db = self.db.clone();
        let (project_id, job_id) = (project.clone(), ctx.job().id.to_string());
        let (p, c, g, v) = (
            planned.clone(),
            contract.clone(),
            generated.clone(),
            verified.clone(),
        );
        let number: i64 = ctx
            .step("save", async move {
                let version = db
                    .add_version(&project_id, &new_version(&p, &c, &g, &v, job_id))
                    .await
                    .map_err(|e| JobError::Failed(e.to_string()))?;
                Ok(version.number)
            })
            .await?;

        let status = if verified.ok {
            ProjectStatus::Ready
        } else {
            ProjectStatus::Failed
        };
        self.db
            .set_project_status(project, status)
            .await
            .map_err(|e| JobError::Failed(e.to_string()))?;
        metrics::counter!(names::GENERATIONS, "outcome" => if verified.ok { "succeeded" } else { "failed" }).increment(1);
        Ok(serde_json::json!({
            "planner": planned.note,
            "ok": verified.ok,
            "version": number,
            "manifest_sha256": planned.manifest_sha256,
            "tests": verified.report["tests"],
            "preview_startup_ms": preview.map(|p| p.startup_ms),
        }))
    }
}

/// The plan step with the LLM planner: the registry's current planner template (the
/// embedded one if the registry has none), the built-in planner as the fallback.
async fn llm_plan_step(
    db: &Db,
    llm: &apiforge_llm::Chain,
    text: &str,
    user: Option<&UserId>,
) -> Result<Planned, JobError> {
    let planned = crate::llm_plan::planned(db, llm, text)
        .await
        .map_err(job_error)?;
    let Some(note) = &planned.note else {
        return Ok(planned);
    };
    tracing::info!(planner = %note.describe(), "planned");
    if let Some(user) = user {
        let input = serde_json::json!({ "prompt": text });
        let outcome = note.outcome(Some(&planned.manifest.to_string()));
        crate::seed::record_execution(
            db,
            user,
            apiforge_planner::llm::PLANNER_PROMPT,
            &input,
            &outcome,
        )
        .await;
    }
    Ok(planned)
}

fn new_version(
    planned: &Planned,
    contract: &Contract,
    generated: &Generated,
    verified: &Verified,
    job_id: String,
) -> NewVersion {
    NewVersion {
        manifest: planned.manifest.to_string(),
        manifest_sha256: planned.manifest_sha256.clone(),
        spec_json: contract.json.clone(),
        spec_yaml: contract.yaml.clone(),
        postman: contract.postman.clone(),
        test_report: Some(verified.report.to_string()),
        verified: verified.ok,
        job_id: Some(job_id),
        files: generated
            .files
            .iter()
            .map(|f| NewFile {
                path: f.path.clone(),
                contents: f.contents.clone().into_bytes(),
                ownership: if f.ownership == "user" {
                    Ownership::User
                } else {
                    Ownership::Generated
                },
            })
            .collect(),
    }
}

#[async_trait::async_trait]
impl Handler for GenerateHandler {
    async fn run(&self, ctx: JobCtx) -> Result<serde_json::Value, JobError> {
        let job: GenerateJob = ctx.payload()?;
        let project = ProjectId::parse(&job.project_id).ok_or_else(|| {
            JobError::Permanent(format!(
                "the job names no valid project: {:?}",
                job.project_id
            ))
        })?;
        let result = self.generate(&ctx, &job, &project).await;
        if let Err(error) = &result {
            // The project shows the failure; a retry will set it running again.
            let _ = self
                .db
                .set_project_status(&project, ProjectStatus::Failed)
                .await;
            if matches!(error, JobError::Permanent(_)) {
                metrics::counter!(names::GENERATIONS, "outcome" => "dead").increment(1);
            }
        }
        result
    }
}
