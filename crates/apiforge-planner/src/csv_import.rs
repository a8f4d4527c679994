//! CSV → one-entity manifest. (Placeholder until it lands.)

use apiforge_manifest::ValidManifest;

use crate::PlanError;

/// Plans a one-entity manifest from a CSV file: header → fields, types inferred from rows.
pub fn plan_csv(file_name: &str, data: &[u8]) -> Result<ValidManifest, PlanError> {
    let _ = (file_name, data);
    Err(PlanError::CsvEmpty)
}
