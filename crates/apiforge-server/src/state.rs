//! What every handler shares.

use std::sync::Arc;

use apiforge_jobs::Queue;
use apiforge_store::Db;

use crate::config::ServerConfig;
use crate::limits::UserLimits;
use crate::mail::Mailer;
use crate::previews::Previews;
use crate::tokens::JwtKeys;

/// The server's shared state (cheap to clone).
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub queue: Queue,
    pub config: Arc<ServerConfig>,
    pub keys: JwtKeys,
    /// The server key: signs JWTs and salts one-time-code hashes.
    pub secret: Arc<str>,
    pub mailer: Mailer,
    pub previews: Previews,
    /// Per-user request rate (the per-IP limit is a layer).
    pub user_limits: UserLimits,
    /// The configured LLM providers, in fallback order.
    pub llm: Arc<apiforge_llm::Chain>,
}
