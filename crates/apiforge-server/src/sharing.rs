//! Who may see a project: its members (owner, editor, viewer). Owners share a project by
//! e-mail address; someone without an account gets one and signs in by magic link as usual.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use apiforge_store::{Member, Role, UserId};

use crate::auth::CurrentUser;
use crate::extract::{ApiJson, ApiPath, project_id};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, share_project))
        .routes(routes!(remove_member))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberInfo {
    pub user_id: String,
    pub email: String,
    /// owner, editor or viewer.
    pub role: String,
    pub created_at: i64,
}

impl From<Member> for MemberInfo {
    fn from(member: Member) -> Self {
        Self {
            user_id: member.user_id.to_string(),
            email: member.email,
            role: member.role.as_str().to_owned(),
            created_at: member.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShareRequest {
    /// The member's e-mail address.
    pub email: String,
    /// `editor` or `viewer` (a project has one owner, its creator).
    pub role: String,
}

/// The project's members.
#[utoipa::path(get, path = "/api/projects/{id}/members", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "Members in the order they joined", body = Vec<MemberInfo>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project that you can see", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn list_members(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<Vec<MemberInfo>>> {
    let members = state.db.tenant(&user.id).members(&project_id(&id)?).await?;
    Ok(axum::Json(
        members.into_iter().map(MemberInfo::from).collect(),
    ))
}

/// Share the project with someone (or change their role). Owners only.
#[utoipa::path(put, path = "/api/projects/{id}/members", tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = ShareRequest,
    responses(
        (status = 200, description = "The member", body = MemberInfo),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only owners share", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project that you can see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The owner's role cannot change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad address or role", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn share_project(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<ShareRequest>,
) -> ApiResult<axum::Json<MemberInfo>> {
    let project = project_id(&id)?;
    let role = match Role::parse(&request.role) {
        Some(role @ (Role::Editor | Role::Viewer)) => role,
        _ => {
            return Err(Problem::unprocessable(format!(
                "role {:?} cannot be given: use \"editor\" or \"viewer\"",
                request.role
            )));
        }
    };
    let email = crate::auth::normalise_email(&request.email)?;
    let tenant = state.db.tenant(&user.id);
    // Check the caller's role before creating an account for the address.
    match tenant.role(&project).await? {
        None => {
            return Err(Problem::not_found(format!(
                "no project {id:?} that you can see"
            )));
        }
        Some(Role::Owner) => {}
        Some(_) => return Err(Problem::forbidden("only the project's owner can share it")),
    }
    let member = state.db.upsert_user(&email).await?;
    let added = tenant.add_member(&project, &member.id, role).await?;
    Ok(axum::Json(added.into()))
}

/// Remove a member. Owners only; the owner cannot be removed.
#[utoipa::path(delete, path = "/api/projects/{id}/members/{user_id}", tag = "projects",
    params(
        ("id" = String, Path, description = "Project id"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only owners remove members", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The owner cannot be removed", body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, member)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let project = project_id(&id)?;
    let member = UserId::parse(&member)
        .ok_or_else(|| Problem::not_found(format!("no member {member:?}")))?;
    state
        .db
        .tenant(&user.id)
        .remove_member(&project, &member)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
