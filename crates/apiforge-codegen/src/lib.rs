//! Code generation, a pure stage: a [`ValidManifest`] (and the contract `apiforge-spec`
//! derives from it) → the files of a project, each with its sha256. No I/O, no clock, no
//! environment: the same manifest gives byte-identical files. Templates are files under
//! `templates/<target>/`, embedded with `include_str!` and rendered with minijinja. Writing them to disk, the lock
//! file and regeneration are the caller's (see the binary's `generate` command).

mod fastapi;
mod project;

pub use project::{GeneratedFile, LOCK_PATH, Ownership, Project, Target, sha256_hex};

use apiforge_manifest::ValidManifest;

/// Why a project could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// A template failed to render (a bug in the generator: report it).
    #[error(
        "template {template} failed to render: {reason}\nhint: this is a bug in apiforge; report it with the manifest"
    )]
    Template {
        /// The template's name.
        template: String,
        /// What went wrong.
        reason: String,
    },
    /// The contract and the manifest disagree about a route or schema (a bug in apiforge).
    #[error(
        "the contract does not match the manifest: {detail}\nhint: this is a bug in apiforge; report it with the manifest"
    )]
    Contract {
        /// What differs.
        detail: String,
    },
}

/// The files of the `target` project for `manifest`, sorted by path.
///
/// # Errors
/// [`CodegenError`] when a template fails (a bug, never the manifest's fault).
pub fn generate(manifest: &ValidManifest, target: Target) -> Result<Project, CodegenError> {
    match target {
        Target::FastApi => project::fastapi_project(manifest),
    }
}
