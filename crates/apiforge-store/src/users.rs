//! Users and one-time login tokens: system scope (sign-in happens before anyone is a
//! tenant). The caller hashes secrets; the store only ever sees and compares hashes.

use crate::sql::{on_pool, transaction};
use crate::{Db, LoginTokenId, StoreError, UserId, now_ms};

/// A signed-up user. Users are created when they first sign in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    /// Trimmed and lower-cased ([`normalize_email`]).
    pub email: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

/// The form every email address is stored and looked up in: trimmed, lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Wrong codes a login token tolerates: once this many have been tried it is dead.
pub const MAX_LOGIN_ATTEMPTS: i64 = 5;

/// A magic link and a one-time code sent together; either signs in once.
#[derive(Debug, Clone)]
pub struct NewLoginToken {
    /// Normalised by the store.
    pub email: String,
    /// sha256 hex (or another hash) of the secret in the link; unique.
    pub token_hash: String,
    /// Hash of the short code the user may type instead.
    pub code_hash: String,
    pub expires_at: i64,
}

/// A stored login token (without its hashes).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginToken {
    pub id: LoginTokenId,
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub attempts: i64,
}

/// Inserts or finds the user; `$4` (a login time) replaces `last_login_at` when not NULL.
const UPSERT_USER: &str = "INSERT INTO users (id, email, created_at, last_login_at) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (email) DO UPDATE \
     SET last_login_at = COALESCE(excluded.last_login_at, users.last_login_at) \
     RETURNING id, email, created_at, last_login_at";

/// After a successful sign-in, the user's other outstanding tokens die with it.
const RETIRE_SIBLINGS: &str =
    "UPDATE login_tokens SET used_at = $2 WHERE email = $1 AND used_at IS NULL";

impl Db {
    /// The user with this email (normalised), created if new.
    pub async fn upsert_user(&self, email: &str) -> Result<User, StoreError> {
        let email = normalize_email(email);
        let id = UserId::new();
        let now = now_ms();
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, User>(UPSERT_USER)
                .bind(&id)
                .bind(&email)
                .bind(now)
                .bind(None::<i64>)
                .fetch_one(pool)
                .await?
        }))
    }

    /// The user with this id.
    pub async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, User>(
                "SELECT id, email, created_at, last_login_at FROM users WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The user with this email (normalised before the lookup).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let email = normalize_email(email);
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, User>(
                "SELECT id, email, created_at, last_login_at FROM users WHERE email = $1",
            )
            .bind(&email)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Stores a new login token for an email (the user need not exist yet).
    pub async fn create_login_token(&self, new: &NewLoginToken) -> Result<LoginToken, StoreError> {
        let id = LoginTokenId::new();
        let email = normalize_email(&new.email);
        let now = now_ms();
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, LoginToken>(
                "INSERT INTO login_tokens \
                 (id, email, token_hash, code_hash, created_at, expires_at, attempts) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0) \
                 RETURNING id, email, created_at, expires_at, used_at, attempts",
            )
            .bind(&id)
            .bind(&email)
            .bind(&new.token_hash)
            .bind(&new.code_hash)
            .bind(now)
            .bind(new.expires_at)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Signs in with the magic link: marks the live token with this hash used (exactly
    /// once, even under concurrent attempts) and returns its user, created if new. `None`
    /// when the token is unknown, used, expired or dead from wrong codes.
    pub async fn consume_login_token_by_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        let user_id = UserId::new();
        Ok(transaction!(self, Write, None, |conn| {
            let email: Option<String> = sqlx::query_scalar(
                "UPDATE login_tokens SET used_at = $2 \
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                 AND attempts < $3 \
                 RETURNING email",
            )
            .bind(token_hash)
            .bind(now)
            .bind(MAX_LOGIN_ATTEMPTS)
            .fetch_optional(&mut *conn)
            .await?;
            match email {
                None => None,
                Some(email) => {
                    sqlx::query(RETIRE_SIBLINGS)
                        .bind(&email)
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                    let user = sqlx::query_as::<_, User>(UPSERT_USER)
                        .bind(&user_id)
                        .bind(&email)
                        .bind(now)
                        .bind(Some(now))
                        .fetch_one(&mut *conn)
                        .await?;
                    Some(user)
                }
            }
        }))
    }

    /// Signs in with the typed code: like [`Db::consume_login_token_by_token`], for the
    /// newest live token of `email` whose code hash matches. A wrong code counts an attempt
    /// against every live token of the email; at [`MAX_LOGIN_ATTEMPTS`] they are dead.
    pub async fn consume_login_token_by_code(
        &self,
        email: &str,
        code_hash: &str,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        let email = normalize_email(email);
        let user_id = UserId::new();
        Ok(transaction!(self, Write, None, |conn| {
            let used: Vec<String> = sqlx::query_scalar(
                "UPDATE login_tokens SET used_at = $3 \
                 WHERE email = $1 AND code_hash = $2 AND used_at IS NULL \
                 AND expires_at > $3 AND attempts < $4 \
                 RETURNING email",
            )
            .bind(&email)
            .bind(code_hash)
            .bind(now)
            .bind(MAX_LOGIN_ATTEMPTS)
            .fetch_all(&mut *conn)
            .await?;
            if used.is_empty() {
                sqlx::query(
                    "UPDATE login_tokens SET attempts = attempts + 1 \
                     WHERE email = $1 AND used_at IS NULL AND expires_at > $2",
                )
                .bind(&email)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                None
            } else {
                sqlx::query(RETIRE_SIBLINGS)
                    .bind(&email)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                let user = sqlx::query_as::<_, User>(UPSERT_USER)
                    .bind(&user_id)
                    .bind(&email)
                    .bind(now)
                    .bind(Some(now))
                    .fetch_one(&mut *conn)
                    .await?;
                Some(user)
            }
        }))
    }

    /// How many login tokens were issued for `email` since `since` (rate limiting).
    pub async fn count_recent_login_tokens(
        &self,
        email: &str,
        since: i64,
    ) -> Result<i64, StoreError> {
        let email = normalize_email(email);
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM login_tokens WHERE email = $1 AND created_at >= $2",
            )
            .bind(&email)
            .bind(since)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Deletes login tokens that expired before `before`; returns how many.
    pub async fn prune_login_tokens(&self, before: i64) -> Result<u64, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_tokens WHERE expires_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
