//! Why a project could not be written. Messages say what was wrong and, after `hint:`, what
//! to do; the binary prints them on one line.

use std::path::{Path, PathBuf};

use apiforge_codegen::LOCK_PATH;

/// Everything that can stop writing or regenerating a project.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The directory has files but no lock file: writing there could clobber unrelated work.
    #[error(
        "{} is not empty and holds no generated project ({LOCK_PATH} is missing)\nhint: give a new or empty directory, or force writing into it (--force)",
        .dir.display()
    )]
    NotEmpty {
        /// The directory.
        dir: PathBuf,
    },
    /// A new project was asked for where one already is.
    #[error(
        "{} already holds a generated project\nhint: regenerate it instead, or force writing a new one over it (--force)",
        .dir.display()
    )]
    AlreadyAProject {
        /// The directory.
        dir: PathBuf,
    },
    /// Regeneration was asked for a directory without a lock file.
    #[error(
        "{} holds no generated project ({LOCK_PATH} is missing)\nhint: generate a new project there first",
        .dir.display()
    )]
    NotAProject {
        /// The directory.
        dir: PathBuf,
    },
    /// The project directory (or one of its ancestors) is not a directory.
    #[error("{} is not a directory\nhint: give the path of a new or existing directory", .path.display())]
    NotADirectory {
        /// The offending path.
        path: PathBuf,
    },
    /// A path inside the project is a symbolic link; writing through it could land outside.
    #[error(
        "{} is a symbolic link; refusing to write through it\nhint: replace the link with a real directory or file",
        .path.display()
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// Something of the wrong kind occupies a path the project needs.
    #[error("{} is in the way: the project needs {expected} there\nhint: move it away", .path.display())]
    InTheWay {
        /// The path.
        path: PathBuf,
        /// What the project needs there ("a directory", "a regular file").
        expected: &'static str,
    },
    /// A file path of the project is not a safe relative path (a generator bug).
    #[error(
        "the generator produced an unsafe file path {path:?} ({reason})\nhint: this is a bug in apiforge; report it with the manifest"
    )]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The lock file exists but cannot be used.
    #[error(
        "the lock file {} is unusable: {reason}\nhint: restore it (e.g. from version control), or generate into a new directory",
        .path.display()
    )]
    BadLock {
        /// The lock file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The directory was generated for another target.
    #[error(
        "{} was generated for {found}, not {wanted}\nhint: generate {wanted} into a new directory",
        .dir.display()
    )]
    TargetMismatch {
        /// The directory.
        dir: PathBuf,
        /// The lock file's target.
        found: String,
        /// The requested target.
        wanted: String,
    },
    /// An I/O operation failed.
    #[error("cannot {action} {}: {}", .path.display(), reason(.error))]
    Io {
        /// What was being done ("write", "read", …).
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
}

impl ProjectError {
    /// An I/O error on `path`.
    pub(crate) fn io(action: &'static str, path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            error,
        }
    }

    /// Whether the error is apiforge's own fault (a generator bug) rather than the input's or
    /// the environment's.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::InvalidPath { .. })
    }
}

/// The reason of an I/O error in words, without the OS error number.
fn reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "no such file or directory".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        ErrorKind::StorageFull => "no space left on the device".into(),
        _ => error.to_string(),
    }
}
