//! The tenant scope: everything a signed-in user does to projects goes through a
//! [`Tenant`], whose every method runs in its own transaction. On PostgreSQL that
//! transaction runs as the `apiforge_tenant` role with `apiforge.user_id` set, so the
//! row-level-security policies decide what exists; on SQLite (and on PostgreSQL too, as
//! defence in depth) the queries themselves filter by membership.

use crate::{Db, Role, StoreError, UserId};

/// One user's view of the store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub(crate) db: Db,
    pub(crate) user: UserId,
}

impl Db {
    /// The store as `user` sees it.
    pub fn tenant(&self, user: &UserId) -> Tenant {
        Tenant {
            db: self.clone(),
            user: user.clone(),
        }
    }
}

impl Tenant {
    /// Whose view this is.
    pub fn user(&self) -> &UserId {
        &self.user
    }
}

/// `SELECT role` of a user on a project; bind project, user.
pub(crate) const ROLE_OF: &str =
    "SELECT role FROM project_members WHERE project_id = $1 AND user_id = $2";

/// Turns the result of [`ROLE_OF`] into the caller's role, or the error to answer:
/// not a member → [`StoreError::NotFound`] (the project's existence is not revealed),
/// a member below `needed` → [`StoreError::Forbidden`].
pub(crate) fn require_role(
    found: Option<String>,
    needed: Role,
    action: &'static str,
) -> Result<Role, StoreError> {
    let Some(found) = found else {
        return Err(StoreError::not_found("project"));
    };
    let role = Role::try_from(found)?;
    if role >= needed {
        Ok(role)
    } else {
        Err(StoreError::Forbidden { action, needed })
    }
}
