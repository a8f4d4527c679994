//! The server: `apiforge serve` (HTTP API, web app and an embedded worker) and
//! `apiforge worker` (a worker only). Everything is stored through `apiforge-store`, work is
//! queued through `apiforge-jobs`, and the generation job runs the same pipeline as the CLI.
//!
//! Handlers answer errors as RFC 9457 problems ([`problem`]), document themselves with
//! utoipa (`/api/openapi.json`, Swagger UI at `/api/docs`, assets vendored), and are
//! tenant-scoped through the store (row-level security on PostgreSQL).

pub mod config;
pub mod pipeline;
pub mod problem;

mod app;
mod audit;
mod auth;
mod events;
mod export;
mod extract;
pub mod fix;
mod generation;
mod limits;
mod llm_plan;
mod mail;
mod metrics;
mod openapi;
mod previews;
mod projects;
mod registry;
mod seed;
mod sharing;
mod state;
mod system;
mod tokens;
mod ui;

pub use app::{Server, ServerError, run_worker};
pub use config::{RateSettings, ServerConfig, SmtpConfig, WorkerSettings};
pub use llm_plan::{PlanNote, plan as plan_with_llm, planner_prompt};
pub use openapi::openapi_json;
