//! Authentication and permissions: "with JWT authentication", "Agents and admins log in",
//! "Roles: admin, editor", "Only admins can delete tickets", "Posts can only be edited by
//! editors".
//!
//! Clauses that only talk about logging in, roles or permissions are consumed here, so the
//! people who log in become roles rather than entities (they become entities too when the
//! prompt gives them fields or links to them).

use std::sync::LazyLock;

use apiforge_manifest::Operation;
use apiforge_manifest::sanitize::field_name;
use apiforge_manifest::words::singular;
use regex::Regex;

use super::text::{self, regex};

/// What the prompt says about authentication.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct AuthFacts {
    /// Whether the API needs a login.
    pub enabled: bool,
    /// Role names in the order mentioned.
    pub roles: Vec<String>,
    /// Restrictions: entity phrase, operations, roles allowed.
    pub permissions: Vec<Permission>,
}

/// "Only admins can delete tickets."
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Permission {
    /// The entity phrase ("tickets").
    pub entity: String,
    /// The restricted operations.
    pub operations: Vec<Operation>,
    /// Roles allowed to perform them.
    pub roles: Vec<String>,
}

static AUTH_WORD: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(?:jwts?|json\s+web\s+tokens?|bearer|oauth2?|auth|authentication|authenticated|authorization|authorisation|log(?:s|ged)?[\s-]?in|login|logins|sign(?:s|ed)?[\s-]?in|sign-?on|sso|access\s+tokens?)\b",
    )
});

/// An authentication phrase inside a longer sentence, removed so it is not read as a resource.
static AUTH_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i),?\s*(?:\b(?:with|using|via|and|plus|protected\s+by|secured\s+(?:with|by)|requiring|behind|that\s+uses|supporting)\s+)?(?:an?\s+)?(?:(?:jwts?|json\s+web\s+tokens?|bearer|token|oauth2?|password|role|user)[\s-]*(?:based\s+)?)*\b(?:auth|authentication|authorization|authorisation|login|logins|tokens?)\b(?:\s+and\s+(?:roles?|authori[sz]ation|permissions|role-based\s+access(?:\s+control)?))?",
    )
});

static LOGIN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(.*?)\s+(?:can\s+|must\s+|should\s+|will\s+|need\s+to\s+|have\s+to\s+)?(?:log|sign)[\s-]?in\b",
    )
});

static ROLES_LIST: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)^(?:(?:there\s+are|with|we\s+have|the)\s+)?(?:(?:two|three|four|five|several|these|the\s+following)\s+)?(?:user\s+)?roles?\s*(?:are|:|include|such\s+as|like|-)?\s*(.+)$",
    )
});
/// "Use JWT auth with roles customer, agent and admin."
static ROLES_ANYWHERE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(?:user\s+)?roles\s*(?:are|:|include|such\s+as|like|-|of)?\s+(.+)$")
});
static LIST_OF_ROLES: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)^(?:with\s+|there\s+are\s+)?(.+?)\s+(?:user\s+)?roles$"));

const OPERATION_WORDS: &str = r"create|add|post|read|view|see|list|get|access|update|edit|modify|change|delete|remove|destroy|manage|created|added|posted|read|viewed|seen|listed|accessed|updated|edited|modified|changed|deleted|removed|destroyed|managed";

static ONLY_ROLES_CAN: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)^(?:but\s+)?only\s+(.+?)\s+(?:can|may|are\s+allowed\s+to|is\s+allowed\s+to|should\s+be\s+able\s+to|are\s+able\s+to|get\s+to)\s+((?:(?:{OPERATION_WORDS})(?:\s*,\s*|\s+or\s+|\s+and\s+|\s*/\s*)?)+)\s+(.+)$"
    ))
});
static CAN_ONLY_BE_BY: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?i)^(.+?)\s+(?:can|may|should|must)\s+only\s+be\s+((?:(?:{OPERATION_WORDS})(?:\s*,\s*|\s+or\s+|\s+and\s+|\s*/\s*)?)+)\s+by\s+(.+)$"
    ))
});

static OPERATION: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"(?i)\b(?:{OPERATION_WORDS})\b")));

/// Words that are not role names.
const NOT_ROLES: &[&str] = &[
    "they",
    "them",
    "everyone",
    "everybody",
    "anyone",
    "people",
    "all",
    "both",
    "who",
    "you",
    "we",
    "it",
    "only",
    "can",
    "api",
    "user's",
];

impl AuthFacts {
    /// Reads one clause. Returns the clause's remaining text for the rest of the planner, or
    /// `None` when the clause only talked about authentication.
    pub(super) fn read_clause(&mut self, clause: &str) -> Option<String> {
        if let Some(permission) = permission(clause) {
            self.enabled = true;
            for role in &permission.roles {
                self.add_role(role);
            }
            self.permissions.push(permission);
            return None;
        }
        if let Some(caps) = LOGIN.captures(clause) {
            self.enabled = true;
            let subject = caps.get(1).map_or("", |m| m.as_str());
            let roles = role_names(subject);
            let simple_subject =
                !roles.is_empty() && text::words(subject).len() <= 2 * roles.len() + 2;
            if simple_subject {
                for role in roles {
                    self.add_role(&role);
                }
                return None;
            }
        }
        let trimmed = clause.trim();
        let about_auth = starts_with_roles(trimmed) || AUTH_WORD.is_match(trimmed);
        let roles_caps = ROLES_LIST
            .captures(trimmed)
            .or_else(|| ROLES_ANYWHERE.captures(trimmed))
            .filter(|_| about_auth)
            .or_else(|| LIST_OF_ROLES.captures(trimmed));
        if let Some(caps) = roles_caps {
            let roles = role_names(caps.get(1).map_or("", |m| m.as_str()));
            if !roles.is_empty() {
                self.enabled = true;
                for role in roles {
                    self.add_role(&role);
                }
                return None;
            }
        }
        if AUTH_WORD.is_match(clause) {
            self.enabled = true;
            let rest = AUTH_PHRASE.replace_all(clause, "");
            let rest = rest.trim();
            return (!rest.is_empty()).then(|| rest.to_owned());
        }
        Some(clause.to_owned())
    }

    fn add_role(&mut self, role: &str) {
        if !self.roles.iter().any(|known| known == role) {
            self.roles.push(role.to_owned());
        }
    }
}

fn starts_with_roles(clause: &str) -> bool {
    let words = text::words(clause);
    words.iter().take(5).any(|w| w == "roles" || w == "role")
}

/// Role names from "agents and admins" → ["agent", "admin"].
fn role_names(list: &str) -> Vec<String> {
    let mut roles = Vec::new();
    for item in text::split_list(&list.replace(" or ", ", ").replace('/', ", ")) {
        let words = text::words(text::strip_determiners(&item.text));
        let words: Vec<&String> = words
            .iter()
            .filter(|w| !matches!(w.as_str(), "role" | "roles"))
            .collect();
        let Some(last) = words.last() else {
            continue;
        };
        if words.len() > 2 || NOT_ROLES.contains(&last.as_str()) {
            continue;
        }
        let phrase: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i + 1 == words.len() {
                    singular(w)
                } else {
                    (*w).clone()
                }
            })
            .collect();
        let role = field_name(&phrase.join(" "));
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles
}

fn permission(clause: &str) -> Option<Permission> {
    let clause = clause.trim();
    let (roles, operations, entity) = if let Some(caps) = ONLY_ROLES_CAN.captures(clause) {
        (caps.get(1)?, caps.get(2)?, caps.get(3)?)
    } else {
        let caps = CAN_ONLY_BE_BY.captures(clause)?;
        (caps.get(3)?, caps.get(2)?, caps.get(1)?)
    };
    let roles = role_names(roles.as_str());
    let operations = operations_of(operations.as_str());
    if roles.is_empty() || operations.is_empty() {
        return None;
    }
    Some(Permission {
        entity: entity.as_str().trim().to_owned(),
        operations,
        roles,
    })
}

fn operations_of(text: &str) -> Vec<Operation> {
    let mut out = Vec::new();
    for found in OPERATION.find_iter(text) {
        let word = found.as_str().to_ascii_lowercase();
        let ops: &[Operation] = match word.as_str() {
            "create" | "created" | "add" | "added" | "post" | "posted" => &[Operation::Create],
            "read" | "view" | "viewed" | "see" | "seen" | "list" | "listed" | "get" | "access"
            | "accessed" => &[Operation::Read],
            "update" | "updated" | "edit" | "edited" | "modify" | "modified" | "change"
            | "changed" => &[Operation::Update],
            "delete" | "deleted" | "remove" | "removed" | "destroy" | "destroyed" => {
                &[Operation::Delete]
            }
            "manage" | "managed" => &[Operation::Create, Operation::Update, Operation::Delete],
            _ => &[],
        };
        for op in ops {
            if !out.contains(op) {
                out.push(*op);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(clauses: &[&str], expect_roles: &[&str], expect_rest: &[&str]) -> AuthFacts {
        let mut facts = AuthFacts::default();
        let rest: Vec<String> = clauses
            .iter()
            .filter_map(|c| facts.read_clause(c))
            .collect();
        assert_eq!(facts.roles, expect_roles, "roles of {clauses:?}");
        assert_eq!(rest, expect_rest, "rest of {clauses:?}");
        facts
    }

    #[test]
    fn logins_roles_and_permissions() {
        let facts = check(
            &[
                "Create a REST API for an internal helpdesk with JWT authentication",
                "Agents and admins log in",
                "Only admins can delete tickets",
            ],
            &["agent", "admin"],
            &["Create a REST API for an internal helpdesk"],
        );
        assert!(facts.enabled);
        assert_eq!(
            facts.permissions,
            [Permission {
                entity: "tickets".into(),
                operations: vec![Operation::Delete],
                roles: vec!["admin".into()],
            }]
        );
        let facts = check(
            &[
                "Roles: admin, editor and viewer",
                "Posts can only be edited or deleted by editors and admins",
                "Authors have a name",
            ],
            &["admin", "editor", "viewer"],
            &["Authors have a name"],
        );
        assert_eq!(
            facts.permissions[0].operations,
            [Operation::Update, Operation::Delete]
        );
        let facts = check(&["Users sign in with a token"], &["user"], &[]);
        assert!(facts.enabled);
        let facts = check(&["Books have an author"], &[], &["Books have an author"]);
        assert!(!facts.enabled);
    }
}
