//! Magic-link sign-in, sessions (cookie + bearer JWT), API tokens, and the extractor that
//! turns a request's credentials into the signed-in user.
//!
//! `POST /api/auth/login {email}` stores a one-time token and code (hashed) and mails both
//! (or logs them when no SMTP is configured); `POST /api/auth/verify {token}` or
//! `{email, code}` consumes it once and opens a session: an HttpOnly, SameSite=Lax cookie and
//! the same JWT in the body for scripts. The JWT names its session, so logout revokes both.

use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use apiforge_store::{
    ApiTokenId, NewApiToken, NewLoginToken, NewSession, SessionId, User, UserId, now_ms,
};

use crate::extract::ApiJson;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::tokens::{self, API_TOKEN_PREFIX, SessionClaims};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "apiforge_session";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(verify))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    /// The session, when signed in with a session (cookie or JWT) rather than an API token.
    pub session_id: Option<SessionId>,
}

impl<S> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (credential, from_cookie) = credential(&parts.headers).ok_or_else(|| {
            Problem::unauthorized(
                "sign in first: send `Authorization: Bearer <token>` (a session JWT or an API token) or the session cookie",
            )
        })?;
        // A cookie rides along on cross-site requests; state changes must come from our pages.
        if from_cookie && !is_safe(&parts.method) && !same_origin(&parts.headers) {
            return Err(Problem::forbidden(
                "cross-site request refused: the Origin header does not match this server",
            ));
        }
        authenticate(&state, &credential).await
    }
}

/// The header that carries the forge's own credential on preview requests (`/p/…`), whose
/// `Authorization` belongs to the previewed API.
pub const PREVIEW_CREDENTIAL_HEADER: &str = "x-apiforge-token";

/// The signed-in user of a preview request: the session cookie or `X-Apiforge-Token`.
pub async fn preview_user(state: &AppState, headers: &HeaderMap) -> Result<CurrentUser, Problem> {
    let credential = headers
        .get(PREVIEW_CREDENTIAL_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("Bearer ").to_owned())
        .or_else(|| {
            axum_extra::extract::CookieJar::from_headers(headers)
                .get(SESSION_COOKIE)
                .map(|c| c.value().to_owned())
        })
        .ok_or_else(|| {
            Problem::unauthorized(format!(
                "sign in first: previews need the session cookie or the `{PREVIEW_CREDENTIAL_HEADER}` header (Authorization goes to the previewed API)"
            ))
        })?;
    authenticate(state, &credential).await
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on every cross-site unsafe request; none means not a browser.
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split("://").nth(1);
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

/// The bearer token, else the session cookie (and whether it came from the cookie).
fn credential(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
            return Some((token.trim().to_owned(), false));
        }
        return None;
    }
    let cookies = axum_extra::extract::CookieJar::from_headers(headers);
    cookies
        .get(SESSION_COOKIE)
        .map(|c| (c.value().to_owned(), true))
}

async fn authenticate(state: &AppState, credential: &str) -> Result<CurrentUser, Problem> {
    let user = identify(state, credential).await?;
    state.user_limits.check(user.id.as_str())?;
    Ok(user)
}

async fn identify(state: &AppState, credential: &str) -> Result<CurrentUser, Problem> {
    let invalid =
        || Problem::unauthorized("the credential is invalid, expired or revoked: sign in again");
    if credential.starts_with(API_TOKEN_PREFIX) {
        let token = state
            .db
            .api_token_by_hash(&tokens::hash(&[credential]), now_ms())
            .await?
            .ok_or_else(invalid)?;
        let user = state.db.user(&token.user_id).await?.ok_or_else(invalid)?;
        state.db.touch_api_token(&token.id, now_ms()).await?;
        return Ok(CurrentUser {
            id: user.id,
            email: user.email,
            session_id: None,
        });
    }
    let claims = state.keys.verify(credential).ok_or_else(invalid)?;
    let sid = SessionId::parse(&claims.sid).ok_or_else(invalid)?;
    let session = state
        .db
        .session(&sid, now_ms())
        .await?
        .ok_or_else(invalid)?;
    if session.user_id.as_str() != claims.sub {
        return Err(invalid());
    }
    let user = state.db.user(&session.user_id).await?.ok_or_else(invalid)?;
    Ok(CurrentUser {
        id: user.id,
        email: user.email,
        session_id: Some(session.id),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Where to send the sign-in link and code.
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAccepted {
    /// Always the same text, whether or not the address has an account.
    pub message: String,
    /// Seconds the link and code stay valid.
    pub expires_in: u64,
}

/// Send a one-time sign-in link and code to an e-mail address.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 202, description = "Link and code sent (or logged for the operator)", body = LoginAccepted),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an e-mail address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-in requests", body = Problem, content_type = "application/problem+json"),
    ), security(()))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<(StatusCode, axum::Json<LoginAccepted>)> {
    let email = normalise_email(&request.email)?;
    let now = now_ms();
    let window = now - 15 * 60 * 1000;
    let recent = state.db.count_recent_login_tokens(&email, window).await?;
    if recent >= i64::from(state.config.logins_per_email) {
        return Err(Problem::too_many_requests(
            format!(
                "too many sign-in requests for this address: at most {} per 15 minutes; use the last link or code you received",
                state.config.logins_per_email
            ),
            15 * 60,
        ));
    }
    let token = tokens::random_secret();
    let code = tokens::random_code();
    let ttl = state.config.login_ttl;
    state
        .db
        .create_login_token(&NewLoginToken {
            email: email.clone(),
            token_hash: tokens::hash(&[&token]),
            code_hash: tokens::hash(&[&state.secret, &email, &code]),
            expires_at: now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
        })
        .await?;
    let link = format!(
        "{}/auth/callback?token={token}",
        public_url(&state, &headers)
    );
    state
        .mailer
        .send_login(&email, &link, &code)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(LoginAccepted {
            message: "if the address can sign in, a link and a code are on their way".into(),
            expires_in: ttl.as_secs(),
        }),
    ))
}

fn public_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| state.config.addr.to_string(), str::to_owned);
    format!("http://{host}")
}

/// A plausible address, lower-cased: the one form users are stored under.
pub(crate) fn normalise_email(email: &str) -> Result<String, Problem> {
    let email = apiforge_store::normalize_email(email);
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(Problem::unprocessable(format!(
            "{:?} is not an e-mail address: give one like ada@example.com",
            email.chars().take(80).collect::<String>()
        )))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The token from the link, or
    pub token: Option<String>,
    /// the address and
    pub email: Option<String>,
    /// the six-digit code from the mail.
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// A bearer JWT for scripts (the same session as the cookie).
    pub token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub user: UserInfo,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserInfo {
    pub id: String,
    pub email: String,
}

impl From<User> for UserInfo {
    fn from(user: User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email,
        }
    }
}

/// Exchange a sign-in token (or e-mail and code) for a session.
#[utoipa::path(post, path = "/api/auth/verify", tag = "auth", request_body = VerifyRequest,
    responses(
        (status = 200, description = "Signed in: session cookie set, JWT in the body", body = Session),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, used or expired token or code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither a token nor an e-mail and code", body = Problem, content_type = "application/problem+json"),
    ), security(()))]
async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> ApiResult<Response> {
    let now = now_ms();
    let user = match (&request.token, &request.email, &request.code) {
        (Some(token), None, None) => {
            state
                .db
                .consume_login_token_by_token(&tokens::hash(&[token.trim()]), now)
                .await?
        }
        (None, Some(email), Some(code)) => {
            let email = normalise_email(email)?;
            let code_hash = tokens::hash(&[&state.secret, &email, code.trim()]);
            state
                .db
                .consume_login_token_by_code(&email, &code_hash, now)
                .await?
        }
        _ => {
            return Err(Problem::unprocessable(
                "send either {\"token\"} from the link or {\"email\", \"code\"} from the mail",
            ));
        }
    };
    let user = user.ok_or_else(|| {
        Problem::unauthorized(
            "the link or code is unknown, already used or expired: ask for a new one",
        )
    })?;
    let (jwt, ttl) = open_session(&state, &user, &headers).await?;
    let cookie = Cookie::build((SESSION_COOKIE, jwt.clone()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time_duration(ttl))
        .build();
    let body = Session {
        token: jwt,
        token_type: "Bearer".into(),
        expires_in: ttl.as_secs(),
        user: user.into(),
    };
    Ok(([(header::SET_COOKIE, cookie.to_string())], axum::Json(body)).into_response())
}

fn time_duration(ttl: std::time::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
}

async fn open_session(
    state: &AppState,
    user: &User,
    headers: &HeaderMap,
) -> Result<(String, std::time::Duration), Problem> {
    let now = now_ms();
    let ttl = state.config.session_ttl;
    let expires_at = now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect());
    let session = state
        .db
        .create_session(&NewSession {
            user_id: user.id.clone(),
            expires_at,
            ip: None,
            user_agent,
        })
        .await?;
    let claims = SessionClaims {
        sub: user.id.to_string(),
        sid: session.id.to_string(),
        iat: now / 1000,
        exp: expires_at / 1000,
    };
    let jwt = state
        .keys
        .sign(&claims)
        .map_err(|e| Problem::internal(&e))?;
    Ok((jwt, ttl))
}

/// End the current session (cookie and JWT alike).
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn logout(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    if let Some(session) = &user.session_id {
        state.db.revoke_session(session).await?;
    }
    let expired = Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time_duration(std::time::Duration::ZERO))
        .build();
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, expired.to_string())],
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The signed-in user", body = UserInfo),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn me(user: CurrentUser) -> axum::Json<UserInfo> {
    axum::Json(UserInfo {
        id: user.id.to_string(),
        email: user.email,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenRequest {
    /// What the token is for (shown in listings).
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenInfo {
    pub id: String,
    pub name: String,
    /// The first characters, to recognise it.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret: shown once, store it now.
    pub token: String,
    #[serde(flatten)]
    pub info: ApiTokenInfo,
}

fn token_info(token: apiforge_store::ApiToken) -> ApiTokenInfo {
    ApiTokenInfo {
        id: token.id.to_string(),
        name: token.name,
        prefix: token.prefix,
        created_at: token.created_at,
        last_used_at: token.last_used_at,
    }
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/api/auth/tokens", tag = "auth",
    responses(
        (status = 200, description = "API tokens (secrets are never shown again)", body = Vec<ApiTokenInfo>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn list_tokens(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<axum::Json<Vec<ApiTokenInfo>>> {
    let tokens = state.db.list_api_tokens(&user.id).await?;
    Ok(axum::Json(tokens.into_iter().map(token_info).collect()))
}

/// Create an API token for scripts.
#[utoipa::path(post, path = "/api/auth/tokens", tag = "auth", request_body = NewTokenRequest,
    responses(
        (status = 201, description = "The token; its secret is shown only now", body = CreatedToken),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad name", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(request): ApiJson<NewTokenRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedToken>)> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Problem::unprocessable(
            "give the token a name of 1 to 100 characters",
        ));
    }
    let (secret, hashed) = tokens::new_api_token();
    let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
    let token = state
        .db
        .create_api_token(&NewApiToken {
            user_id: user.id.clone(),
            name: name.to_owned(),
            token_hash: hashed,
            prefix,
            expires_at: None,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedToken {
            token: secret,
            info: token_info(token),
        }),
    ))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/auth/tokens/{id}", tag = "auth",
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token of yours", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    crate::extract::ApiPath(id): crate::extract::ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id = ApiTokenId::parse(&id)
        .ok_or_else(|| Problem::not_found("no API token of yours has this id"))?;
    state.db.revoke_api_token(&user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(
            normalise_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "ada@.com",
            "a@b@c.com",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origin_must_match_host_for_cookie_writes() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&headers));
    }
}
