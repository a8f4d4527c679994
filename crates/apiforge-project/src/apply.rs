//! The one engine behind [`crate::write_new`] and [`crate::regenerate`]: decide what to do with
//! every file first (reading only), then write, delete, and write the lock last.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use apiforge_codegen::{LOCK_PATH, Ownership, Project};
use similar::{ChangeTag, TextDiff};

use crate::lock::{self, Lock};
use crate::{ProjectError, fsutil, sha256_hex};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It did not exist and was written.
    Created,
    /// A generated file the user had not edited, rewritten with new content.
    Updated,
    /// Already had exactly the new content: not touched (its mtime is kept).
    Unchanged,
    /// A generated file the user had edited (or a file apiforge did not write), replaced
    /// because `force` was given.
    Overwritten,
    /// A generated file the user edited since it was generated, for which the generator now
    /// has other content: left alone.
    ConflictEdited,
    /// A generated file the user edited, for which the generator has nothing new (its content
    /// is what was generated last time): left alone, not a conflict.
    EditedUnchanged,
    /// A file apiforge did not write (not in the lock) where the project has a generated
    /// file: left alone.
    ConflictUntracked,
    /// A user-owned file that already exists: never overwritten.
    KeptUser,
    /// A generated file the project no longer has, unedited: deleted.
    Deleted,
    /// A generated file the project no longer has, edited: kept, it is the user's now.
    NoLongerGenerated,
}

impl Action {
    /// The action's name in reports (`conflict` for both kinds of conflict, `kept` for both
    /// kinds of kept file).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Overwritten => "overwritten",
            Self::ConflictEdited | Self::ConflictUntracked => "conflict",
            Self::EditedUnchanged => "edited",
            Self::KeptUser | Self::NoLongerGenerated => "kept",
            Self::Deleted => "deleted",
        }
    }

    /// Why the file was left alone or overwritten, for people; `None` for plain actions.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Self::ConflictEdited => Some("edited since it was generated"),
            Self::ConflictUntracked => Some("exists but was not written by apiforge"),
            Self::Overwritten => Some("its previous content was replaced"),
            Self::KeptUser => Some("your file: never overwritten"),
            Self::EditedUnchanged => Some("edited by you; the generator has no changes for it"),
            Self::NoLongerGenerated => Some("no longer generated, but edited: yours now"),
            _ => None,
        }
    }

    /// Whether the file was left alone although the generator has other content for it.
    pub fn is_conflict(self) -> bool {
        matches!(self, Self::ConflictEdited | Self::ConflictUntracked)
    }

    /// Whether the file was written.
    pub fn wrote(self) -> bool {
        matches!(self, Self::Created | Self::Updated | Self::Overwritten)
    }
}

/// One file of the project (or of the old lock) and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// Project-relative path.
    pub path: String,
    /// Generated or the user's.
    pub ownership: Ownership,
    /// What happened.
    pub action: Action,
    /// sha256 of the project's bytes for it (`None` for a file the project no longer has).
    pub sha256: Option<String>,
}

/// A unified diff of a changed generated file: from what was on disk to the generator's new
/// content (for a conflict: what regenerating would change in the user's version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Project-relative path.
    pub path: String,
    /// `Updated`, `Overwritten` or a conflict.
    pub action: Action,
    /// The unified diff (`--- a/PATH`, `+++ b/PATH`, hunks with 3 lines of context), or one
    /// line saying binary files differ.
    pub unified: String,
    /// Lines added.
    pub added: usize,
    /// Lines removed.
    pub removed: usize,
}

/// What writing or regenerating did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The project directory.
    pub dir: PathBuf,
    /// Whether this was a regeneration (the directory had a lock file).
    pub regenerated: bool,
    /// Every file of the new project, then the old lock's files it no longer has, sorted by
    /// path.
    pub files: Vec<FileOutcome>,
    /// Diffs of updated, overwritten and conflicting generated files, sorted by path.
    pub diffs: Vec<FileDiff>,
    /// Whether the lock file was written (it is not when its text is unchanged).
    pub lock_written: bool,
}

impl Report {
    /// Paths of the files with `action`.
    pub fn paths(&self, action: Action) -> Vec<&str> {
        self.files
            .iter()
            .filter(|f| f.action == action)
            .map(|f| f.path.as_str())
            .collect()
    }

    /// The conflicting files (left alone although the generator has other content).
    pub fn conflicts(&self) -> Vec<&FileOutcome> {
        self.files
            .iter()
            .filter(|f| f.action.is_conflict())
            .collect()
    }

    /// Whether any file was written or deleted (the lock file aside).
    pub fn changed_anything(&self) -> bool {
        self.files
            .iter()
            .any(|f| f.action.wrote() || f.action == Action::Deleted)
    }
}

/// One decision, made before anything is written.
struct Step<'a> {
    parts: Vec<&'a str>,
    outcome: FileOutcome,
    /// The project's bytes (`None` for removed files).
    contents: Option<&'a [u8]>,
    /// What was on disk, when it matters for a diff.
    before: Option<Vec<u8>>,
}

pub(crate) fn apply(
    dir: &Path,
    old: Option<&Lock>,
    project: &Project,
    force: bool,
) -> Result<Report, ProjectError> {
    let steps = plan(dir, old, project, force)?;
    for step in &steps {
        match (step.outcome.action, step.contents) {
            (action, Some(contents)) if action.wrote() => {
                fsutil::write(dir, &step.parts, contents)?;
            }
            (Action::Deleted, _) => fsutil::remove(dir, &step.parts)?,
            _ => {}
        }
    }
    let lock = new_lock(old, project, &steps);
    let lock_parts = fsutil::parts(LOCK_PATH)?;
    let text = lock.to_text();
    let lock_written = fsutil::read(dir, &lock_parts)?.as_deref() != Some(text.as_bytes());
    if lock_written {
        fsutil::write(dir, &lock_parts, text.as_bytes())?;
    }
    let diffs = steps
        .iter()
        .filter(|step| {
            let action = step.outcome.action;
            matches!(action, Action::Updated | Action::Overwritten) || action.is_conflict()
        })
        .filter_map(|step| {
            let before = step.before.as_deref()?;
            let after = step.contents?;
            Some(diff(&step.outcome.path, step.outcome.action, before, after))
        })
        .collect();
    Ok(Report {
        dir: dir.to_path_buf(),
        regenerated: old.is_some(),
        files: steps.into_iter().map(|step| step.outcome).collect(),
        diffs,
        lock_written,
    })
}

/// Decides every file's action, reading the disk only.
fn plan<'a>(
    dir: &Path,
    old: Option<&'a Lock>,
    project: &'a Project,
    force: bool,
) -> Result<Vec<Step<'a>>, ProjectError> {
    let recorded = |path: &str| old.and_then(|lock| lock.files.get(path));
    check_paths(project)?;
    let mut steps = Vec::new();
    for file in &project.files {
        let parts = fsutil::parts(&file.path)?;
        let existing = fsutil::read(dir, &parts)?;
        let sha = file.sha256();
        let (action, before) = match (file.ownership, existing) {
            (_, None) => (Action::Created, None),
            (_, Some(bytes)) if bytes == file.contents => (Action::Unchanged, None),
            (Ownership::User, Some(_)) => (Action::KeptUser, None),
            (Ownership::Generated, Some(bytes)) => {
                let action = match recorded(&file.path) {
                    Some(was) if *was == sha256_hex(&bytes) => Action::Updated,
                    _ if force => Action::Overwritten,
                    Some(was) if *was == sha => Action::EditedUnchanged,
                    Some(_) => Action::ConflictEdited,
                    None => Action::ConflictUntracked,
                };
                (action, Some(bytes))
            }
        };
        steps.push(Step {
            parts,
            outcome: FileOutcome {
                path: file.path.clone(),
                ownership: file.ownership,
                action,
                sha256: Some(sha),
            },
            contents: Some(&file.contents),
            before,
        });
    }
    if let Some(lock) = old {
        let current: BTreeSet<&str> = project.files.iter().map(|f| f.path.as_str()).collect();
        for (path, was) in &lock.files {
            if current.contains(path.as_str()) {
                continue;
            }
            let parts = fsutil::parts(path)?;
            let Some(bytes) = fsutil::read(dir, &parts)? else {
                continue;
            };
            let action = if sha256_hex(&bytes) == *was {
                Action::Deleted
            } else {
                Action::NoLongerGenerated
            };
            steps.push(Step {
                parts,
                outcome: FileOutcome {
                    path: path.clone(),
                    ownership: Ownership::Generated,
                    action,
                    sha256: None,
                },
                contents: None,
                before: None,
            });
        }
    }
    steps.sort_by(|a, b| a.outcome.path.cmp(&b.outcome.path));
    Ok(steps)
}

/// Refuses unsafe paths, duplicates, the lock file's own path, and a path that is both a
/// file and a directory, before anything is read or written.
fn check_paths(project: &Project) -> Result<(), ProjectError> {
    let mut seen = BTreeSet::new();
    for file in &project.files {
        fsutil::parts(&file.path)?;
        if file.path == LOCK_PATH {
            return Err(ProjectError::InvalidPath {
                path: file.path.clone(),
                reason: "it is the lock file's path",
            });
        }
        if !seen.insert(file.path.as_str()) {
            return Err(ProjectError::InvalidPath {
                path: file.path.clone(),
                reason: "two files have this path",
            });
        }
    }
    for path in &seen {
        let mut prefix = String::new();
        for part in path.split('/') {
            if !prefix.is_empty() && seen.contains(prefix.as_str()) {
                return Err(ProjectError::InvalidPath {
                    path: prefix,
                    reason: "it is both a file and a directory",
                });
            }
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
        }
    }
    Ok(())
}

/// The new lock: every generated file with the sha now on disk as apiforge wrote it. A
/// conflicting file keeps its old entry (what apiforge last wrote there), or none when
/// apiforge never wrote it.
fn new_lock(old: Option<&Lock>, project: &Project, steps: &[Step<'_>]) -> Lock {
    let mut files = BTreeMap::new();
    for step in steps {
        let outcome = &step.outcome;
        if outcome.ownership != Ownership::Generated {
            continue;
        }
        let Some(sha) = &outcome.sha256 else {
            continue;
        };
        if outcome.action.is_conflict() || outcome.action == Action::EditedUnchanged {
            if let Some(was) = old.and_then(|lock| lock.files.get(&outcome.path)) {
                files.insert(outcome.path.clone(), was.clone());
            }
        } else {
            files.insert(outcome.path.clone(), sha.clone());
        }
    }
    Lock {
        generator: lock::generator(),
        target: project.target.name().to_owned(),
        manifest_sha256: project.manifest_sha256.clone(),
        files,
    }
}

fn diff(path: &str, action: Action, before: &[u8], after: &[u8]) -> FileDiff {
    let (unified, added, removed) = match (std::str::from_utf8(before), std::str::from_utf8(after))
    {
        (Ok(before), Ok(after)) => {
            let diff = TextDiff::from_lines(before, after);
            let (mut added, mut removed) = (0, 0);
            for change in diff.iter_all_changes() {
                match change.tag() {
                    ChangeTag::Insert => added += 1,
                    ChangeTag::Delete => removed += 1,
                    ChangeTag::Equal => {}
                }
            }
            let unified = diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string();
            (unified, added, removed)
        }
        _ => (format!("Binary files a/{path} and b/{path} differ\n"), 0, 0),
    };
    FileDiff {
        path: path.to_owned(),
        action,
        unified,
        added,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apiforge_codegen::{GeneratedFile, Target};

    fn project(files: Vec<GeneratedFile>) -> Project {
        Project {
            target: Target::FastApi,
            manifest_sha256: "0".repeat(64),
            files,
        }
    }

    fn check_refused(files: Vec<GeneratedFile>, expect: &str) {
        match check_paths(&project(files)) {
            Err(ProjectError::InvalidPath { reason, .. }) => {
                assert!(reason.contains(expect), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn project_paths_are_checked() {
        check_refused(
            vec![GeneratedFile::generated("../x", "")],
            "leaves the project",
        );
        check_refused(vec![GeneratedFile::generated(LOCK_PATH, "")], "lock file");
        check_refused(
            vec![
                GeneratedFile::generated("a.py", ""),
                GeneratedFile::user("a.py", ""),
            ],
            "two files",
        );
        check_refused(
            vec![
                GeneratedFile::generated("app", ""),
                GeneratedFile::generated("app/main.py", ""),
            ],
            "both a file and a directory",
        );
        assert!(
            check_paths(&project(vec![
                GeneratedFile::generated("app/main.py", ""),
                GeneratedFile::generated("app/models.py", ""),
                GeneratedFile::user("app/hooks/books.py", ""),
            ]))
            .is_ok()
        );
    }

    #[test]
    fn diffs_count_lines_and_name_the_file() {
        let diff = diff(
            "app/models.py",
            Action::Updated,
            b"a\nb\nc\n",
            b"a\nB\nc\nd\n",
        );
        assert_eq!((diff.added, diff.removed), (2, 1));
        assert!(
            diff.unified
                .starts_with("--- a/app/models.py\n+++ b/app/models.py\n@@"),
            "{}",
            diff.unified
        );
        assert!(diff.unified.contains("-b\n+B\n"), "{}", diff.unified);
        let binary = super::diff("logo.png", Action::Updated, b"\xff\x00", b"\xfe");
        assert_eq!(
            binary.unified,
            "Binary files a/logo.png and b/logo.png differ\n"
        );
    }

    #[test]
    fn action_names() {
        assert_eq!(Action::ConflictUntracked.as_str(), "conflict");
        assert!(Action::ConflictEdited.is_conflict());
        assert!(!Action::KeptUser.is_conflict());
        assert!(Action::Overwritten.wrote());
        assert!(!Action::Unchanged.wrote());
    }
}
