//! Built-in prompts: the planner's and the fixer's templates, registered in the prompt
//! registry at start (a changed template becomes a new version), so their versions and
//! executions are visible like any other prompt's.

use apiforge_planner::llm;
use apiforge_store::{Db, NewPrompt, NewPromptVersion, Seeded, StoreError};

/// A built-in prompt's template as the registry holds it now (its current version), or
/// `embedded` when the registry has none or cannot be read.
pub async fn template(db: &Db, name: &str, embedded: &str) -> String {
    match db.builtin_prompt(name).await {
        Ok(Some((_, version))) => version.template,
        _ => embedded.to_owned(),
    }
}

/// Records a call of a built-in prompt (the planner's, the fixer's) as an execution of
/// `user`'s, so the registry's execution metrics cover the forge's own LLM use. Best
/// effort: a failure to record is logged, never the job's failure.
pub async fn record_execution(
    db: &Db,
    user: &apiforge_store::UserId,
    name: &str,
    input: &serde_json::Value,
    outcome: &apiforge_store::ExecutionOutcome,
) {
    let recorded = async {
        let Some((prompt, version)) = db.builtin_prompt(name).await? else {
            return Ok(());
        };
        let input = crate::registry::redact::redact_json(input, &[]);
        let execution = db
            .tenant(user)
            .create_execution(&apiforge_store::NewExecution {
                prompt_id: prompt.id,
                version: version.version,
                priority: apiforge_store::Priority::Normal,
                input: input.to_string(),
                retry_of: None,
            })
            .await?;
        db.finish_execution(&execution.id, outcome).await
    };
    if let Err(error) = recorded.await {
        tracing::warn!(%error, prompt = name, "recording a built-in prompt's execution failed");
    }
}

/// Seeds (or updates) every built-in prompt.
pub async fn builtin_prompts(db: &Db) -> Result<(), StoreError> {
    let prompts = [
        (
            llm::PLANNER_PROMPT,
            "The LLM planner: a description → a manifest (constrained to the manifest's JSON Schema)",
            llm::PLANNER_TEMPLATE,
            llm::planner_variables(),
            llm::planner_output_schema(),
        ),
        (
            llm::FIXER_PROMPT,
            "The auto-fix loop: failing checks and the implicated files → whole-file patches",
            llm::FIXER_TEMPLATE,
            llm::fixer_variables(),
            llm::fixer_output_schema(),
        ),
    ];
    for (name, description, template, variables, schema) in prompts {
        let seeded = db
            .seed_builtin_prompt(&NewPrompt {
                name: name.to_owned(),
                description: description.to_owned(),
                version: NewPromptVersion {
                    template: template.to_owned(),
                    variables: variables.to_string(),
                    output_schema: Some(schema.to_string()),
                    output_regex: None,
                    max_length: None,
                },
            })
            .await?;
        if seeded != Seeded::Unchanged {
            tracing::info!(prompt = name, ?seeded, "built-in prompt registered");
        }
    }
    Ok(())
}
