//! The built-in planner: plain-language prompt or CSV file → validated manifest.
//!
//! Deterministic and offline: the same input always gives the same manifest, with no model,
//! no network, no clock and no randomness. Prompt text is treated strictly as data describing
//! resources; nothing in it is executed or obeyed as an instruction (a prompt asking for an
//! endpoint that runs shell commands yields an ordinary CRUD API and no such endpoint).
//!
//! This crate owns reading prompts and CSV; it must not do I/O (callers pass text and bytes)
//! and must not know about OpenAPI or code generation.

mod csv_import;
mod error;
pub mod eval;
pub mod llm;
mod prompt;

pub use csv_import::plan_csv;
pub use error::PlanError;
pub use prompt::plan_prompt;

/// Longest prompt accepted, in characters.
pub const MAX_PROMPT_CHARS: usize = 20_000;

/// Checks what every prompt must satisfy before planning: not blank, not too long, not binary.
pub fn check_prompt(prompt: &str) -> Result<(), PlanError> {
    if prompt.trim().is_empty() {
        return Err(PlanError::EmptyPrompt);
    }
    let chars = prompt.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return Err(PlanError::PromptTooLong {
            chars,
            max: MAX_PROMPT_CHARS,
        });
    }
    if prompt
        .chars()
        .any(|c| c == '\0' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(PlanError::BinaryPrompt);
    }
    Ok(())
}
