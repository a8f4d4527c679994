//! The LLM planner: a description → a manifest through the configured providers, with the
//! manifest's JSON Schema as the output constraint. An answer that does not validate is
//! sent back once with the validation errors (the chain's repair round, so at most two
//! attempts per provider); when no provider gives a valid manifest the built-in planner's
//! result is used and the fallback recorded. Used by `apiforge plan|spec|generate
//! --planner llm` and by generation jobs of projects created with `planner: "llm"`.

use std::collections::BTreeMap;

use apiforge_llm::{Chain, ChatRequest, Message};
use apiforge_manifest::ValidManifest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a manifest was planned, for the job's result, the CLI's log line and metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanNote {
    /// `llm` or `builtin`.
    pub planner: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// The first answer was invalid and the repaired one was used.
    pub repaired: bool,
    /// Why the built-in planner's result was used although the LLM planner was asked for.
    pub fallback: Option<String>,
    /// Providers that failed before the one that answered.
    pub failed_providers: Vec<String>,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_usd: Option<f64>,
    pub latency_ms: u64,
}

impl PlanNote {
    /// The registry's record of this call (its output is the manifest, when one came).
    pub fn outcome(&self, manifest: Option<&str>) -> apiforge_store::ExecutionOutcome {
        apiforge_store::ExecutionOutcome {
            succeeded: self.fallback.is_none(),
            rendered: None,
            provider: self.provider.clone(),
            model: self.model.clone(),
            output: manifest
                .filter(|_| self.fallback.is_none())
                .map(str::to_owned),
            latency_ms: i64::try_from(self.latency_ms).ok(),
            tokens_in: i64::try_from(self.tokens_in).ok(),
            tokens_out: i64::try_from(self.tokens_out).ok(),
            cost_micros: self.cost_usd.map(|usd| (usd * 1e6).round() as i64),
            error: self.fallback.clone(),
        }
    }

    /// One line for a log or a terminal.
    pub fn describe(&self) -> String {
        match (&self.fallback, &self.provider) {
            (Some(reason), _) => format!(
                "the LLM planner gave no valid manifest ({reason}); used the built-in planner"
            ),
            (None, Some(provider)) => format!(
                "planned by {provider} ({}){} in {} ms, {} + {} tokens",
                self.model.as_deref().unwrap_or("?"),
                if self.repaired {
                    " after one repair"
                } else {
                    ""
                },
                self.latency_ms,
                self.tokens_in,
                self.tokens_out
            ),
            (None, None) => "planned by the built-in planner".to_owned(),
        }
    }
}

/// The `plan` step's output for `description` with the LLM planner: the registry's current
/// planner template, [`plan`], and how it went in [`Planned::note`](crate::pipeline::Planned).
pub async fn planned(
    db: &apiforge_store::Db,
    chain: &Chain,
    description: &str,
) -> Result<crate::pipeline::Planned, crate::pipeline::PipelineError> {
    let template = crate::seed::template(
        db,
        apiforge_planner::llm::PLANNER_PROMPT,
        apiforge_planner::llm::PLANNER_TEMPLATE,
    )
    .await;
    let (manifest, note) = plan(chain, &template, description)
        .await
        .map_err(|e| crate::pipeline::PipelineError::Input(e.to_string()))?;
    let mut planned = crate::pipeline::planned(&manifest)?;
    planned.note = Some(note);
    Ok(planned)
}

/// The rendered planner prompt for `description`.
pub fn planner_prompt(template: &str, description: &str) -> Result<String, String> {
    let values = BTreeMap::from([("prompt".to_owned(), Value::String(description.to_owned()))]);
    crate::registry::template::render(template, &values)
}

/// Plans `description` with the chain (template: the registry's planner prompt); falls back
/// to the built-in planner. `Err` only when the built-in planner cannot plan it either.
pub async fn plan(
    chain: &Chain,
    template: &str,
    description: &str,
) -> Result<(ValidManifest, PlanNote), apiforge_planner::PlanError> {
    let fallback =
        |reason: String| -> Result<(ValidManifest, PlanNote), apiforge_planner::PlanError> {
            let manifest = apiforge_planner::plan_prompt(description)?;
            Ok((
                manifest,
                PlanNote {
                    planner: "builtin".into(),
                    fallback: Some(reason),
                    ..PlanNote::default()
                },
            ))
        };
    let rendered = match planner_prompt(template, description) {
        Ok(rendered) => rendered,
        Err(error) => return fallback(format!("the planner template: {error}")),
    };
    let request = ChatRequest::new(vec![Message::user(rendered)])
        .with_schema("manifest", apiforge_planner::llm::planner_output_schema());
    match chain
        .chat_validated(&request, apiforge_planner::llm::parse_answer)
        .await
    {
        Ok(success) => {
            let response = success.response;
            Ok((
                success.value,
                PlanNote {
                    planner: "llm".into(),
                    provider: Some(response.provider),
                    model: Some(response.model),
                    repaired: success.repaired,
                    fallback: None,
                    failed_providers: success.failures.into_iter().map(|f| f.provider).collect(),
                    tokens_in: response.usage.prompt_tokens,
                    tokens_out: response.usage.completion_tokens,
                    cost_usd: response.cost_usd,
                    latency_ms: u64::try_from(response.latency.as_millis()).unwrap_or(u64::MAX),
                },
            ))
        }
        Err(error) => fallback(error.summary()),
    }
}
