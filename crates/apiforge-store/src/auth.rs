//! Sessions and API tokens: system scope (the server resolves them before it knows the
//! tenant). Token secrets never reach the store: it keeps the caller's hash of them.

use crate::sql::on_pool;
use crate::{ApiTokenId, Db, SessionId, StoreError, UserId, now_ms};

/// A new browser session.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: UserId,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A new API token for scripts.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: UserId,
    /// The user's label for it.
    pub name: String,
    /// sha256 hex of the secret; unique.
    pub token_hash: String,
    /// The first characters of the secret, shown in listings so users can tell tokens
    /// apart.
    pub prefix: String,
    pub expires_at: Option<i64>,
}

/// A stored API token (without its hash).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Db {
    /// Starts a session.
    pub async fn create_session(&self, new: &NewSession) -> Result<Session, StoreError> {
        let id = SessionId::new();
        let now = now_ms();
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, Session>(
                "INSERT INTO sessions (id, user_id, created_at, expires_at, ip, user_agent) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 RETURNING id, user_id, created_at, expires_at, revoked_at, ip, user_agent",
            )
            .bind(&id)
            .bind(&new.user_id)
            .bind(now)
            .bind(new.expires_at)
            .bind(&new.ip)
            .bind(&new.user_agent)
            .fetch_one(pool)
            .await?
        }))
    }

    /// The session if it is live at `now` (not revoked, not expired).
    pub async fn session(&self, id: &SessionId, now: i64) -> Result<Option<Session>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, Session>(
                "SELECT id, user_id, created_at, expires_at, revoked_at, ip, user_agent \
                 FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Revokes a session (logout); `false` if it was unknown or already revoked.
    pub async fn revoke_session(&self, id: &SessionId) -> Result<bool, StoreError> {
        let now = now_ms();
        Ok(on_pool!(self, |pool| {
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        }))
    }

    /// Revokes every live session of a user (log out everywhere); returns how many.
    pub async fn revoke_user_sessions(&self, user: &UserId) -> Result<u64, StoreError> {
        let now = now_ms();
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(user)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// Deletes sessions that expired or were revoked before `before`; returns how many.
    pub async fn prune_sessions(&self, before: i64) -> Result<u64, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Stores a new API token. Fails with [`StoreError::Conflict`] if the hash exists.
    pub async fn create_api_token(&self, new: &NewApiToken) -> Result<ApiToken, StoreError> {
        let id = ApiTokenId::new();
        let now = now_ms();
        let result = on_pool!(self, |pool| {
            sqlx::query_as::<_, ApiToken>(
                "INSERT INTO api_tokens \
                 (id, user_id, name, token_hash, prefix, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING id, user_id, name, prefix, created_at, last_used_at, expires_at, \
                 revoked_at",
            )
            .bind(&id)
            .bind(&new.user_id)
            .bind(&new.name)
            .bind(&new.token_hash)
            .bind(&new.prefix)
            .bind(now)
            .bind(new.expires_at)
            .fetch_one(pool)
            .await
        });
        result.map_err(|e| {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                StoreError::Conflict {
                    message: "an API token with this secret exists\nhint: generate a new secret"
                        .to_owned(),
                }
            } else {
                e
            }
        })
    }

    /// The API token with this hash if it is live at `now` (not revoked, not expired).
    pub async fn api_token_by_hash(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<ApiToken>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ApiToken>(
                "SELECT id, user_id, name, prefix, created_at, last_used_at, expires_at, \
                 revoked_at FROM api_tokens \
                 WHERE token_hash = $1 AND revoked_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > $2)",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records that a token was just used.
    pub async fn touch_api_token(&self, id: &ApiTokenId, now: i64) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Revokes one of `user`'s tokens; [`StoreError::NotFound`] if the user has no live
    /// token with this id.
    pub async fn revoke_api_token(&self, user: &UserId, id: &ApiTokenId) -> Result<(), StoreError> {
        let now = now_ms();
        let revoked = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $3 \
                 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(user)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if revoked == 1 {
            Ok(())
        } else {
            Err(StoreError::not_found("API token"))
        }
    }

    /// A user's tokens, revoked ones included, newest first.
    pub async fn list_api_tokens(&self, user: &UserId) -> Result<Vec<ApiToken>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ApiToken>(
                "SELECT id, user_id, name, prefix, created_at, last_used_at, expires_at, \
                 revoked_at FROM api_tokens WHERE user_id = $1 \
                 ORDER BY created_at DESC, id DESC",
            )
            .bind(user)
            .fetch_all(pool)
            .await?
        }))
    }
}
