//! The manifest: SmartAPIForge's stable contract between planning and everything after it.
//!
//! This crate owns the manifest types (serde, exactly as DESIGN.md documents them), identifier
//! sanitising (any text → a name valid in Python, TypeScript and SQL), validation with precise
//! errors, normalisation (inverse relations), the canonical JSON form with its sha256 hash, and
//! the JSON Schema published by `apiforge plan --schema`.
//!
//! It is a pure crate: no I/O, no clock, no randomness, no async. Every other workspace crate
//! may depend on it; it depends on none of them.

mod canonical;
mod model;
pub mod sanitize;
mod schema;
mod validate;
pub mod words;

pub use canonical::{canonical_json, manifest_hash};
pub use model::{
    Auth, Entity, Field, FieldType, Manifest, Operation, Permissions, Relation, RelationKind,
};
pub use schema::json_schema;
pub use validate::{ValidManifest, ValidationError, ValidationErrors};

/// Everything that can go wrong turning untrusted JSON into a valid manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The text is not JSON of the manifest's shape (unknown key, wrong type, …).
    #[error("the manifest is not valid JSON of the manifest shape")]
    Parse(#[from] serde_json::Error),
    /// The JSON has the right shape but breaks a rule (duplicate names, unknown targets, …).
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
}

impl Manifest {
    /// Parses manifest JSON, normalises it and validates it.
    pub fn parse_json(text: &str) -> Result<ValidManifest, ManifestError> {
        let manifest: Manifest = serde_json::from_str(text)?;
        Ok(manifest.validate()?)
    }
}
