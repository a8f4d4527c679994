//! Prompt text → manifest. (Owned by the planner work; placeholder until it lands.)

use apiforge_manifest::ValidManifest;

use crate::PlanError;

/// Plans a manifest from a plain-language description.
pub fn plan_prompt(prompt: &str) -> Result<ValidManifest, PlanError> {
    crate::check_prompt(prompt)?;
    Err(PlanError::NothingToPlan)
}
