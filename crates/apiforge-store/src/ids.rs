//! Typed ids: UUIDv7 strings, so a user id cannot be passed where a project id belongs.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered (UUIDv7) id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Parses an id received from outside (a URL, a token): `None` unless it is a
            /// UUID in its canonical hyphenated form, so it can never smuggle other text.
            pub fn parse(text: &str) -> Option<Self> {
                let uuid = uuid::Uuid::try_parse(text).ok()?;
                let canonical = uuid.hyphenated().to_string();
                (canonical == text).then_some(Self(canonical))
            }

            /// The id as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A user (`users.id`).
    UserId
);
id_type!(
    /// A project (`projects.id`).
    ProjectId
);
id_type!(
    /// A version of a project (`versions.id`); versions are addressed by number in the API.
    VersionId
);
id_type!(
    /// A login session (`sessions.id`).
    SessionId
);
id_type!(
    /// An API token (`api_tokens.id`), not its secret.
    ApiTokenId
);
id_type!(
    /// A one-time login token (`login_tokens.id`), not its secret.
    LoginTokenId
);
id_type!(
    /// An audit event (`audit_events.id`).
    AuditEventId
);
id_type!(
    /// A prompt of the registry (`prompts.id`).
    PromptId
);
id_type!(
    /// One run of a prompt (`executions.id`).
    ExecutionId
);
