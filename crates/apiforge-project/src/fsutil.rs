//! Safe file operations inside a project directory.
//!
//! Every path is a validated relative path ([`parts`]); every directory on the way is checked
//! with `symlink_metadata` and must be a real directory, never a link; final files are opened
//! with `O_NOFOLLOW` (reads) or `O_CREAT|O_EXCL` (the temporary file of a write), and a write
//! is a rename over the target, which replaces a directory entry and never writes through it.
//! What remains is a race with a process that swaps a checked directory for a link between
//! the check and the write: outside the threat model of a local CLI writing into a directory
//! its user owns (the sandbox, which runs untrusted code, never shares the project directory
//! while it is being written: it works on a copy).

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::ProjectError;

/// The components of a project-relative path, refused unless it is plainly relative.
pub(crate) fn parts(path: &str) -> Result<Vec<&str>, ProjectError> {
    let refuse = |reason| ProjectError::InvalidPath {
        path: path.to_owned(),
        reason,
    };
    if path.is_empty() {
        return Err(refuse("it is empty"));
    }
    if path.starts_with('/') {
        return Err(refuse("it is absolute"));
    }
    if path.contains('\\') {
        return Err(refuse("it contains a backslash"));
    }
    if path.contains('\0') {
        return Err(refuse("it contains a NUL byte"));
    }
    let parts: Vec<&str> = path.split('/').collect();
    for part in &parts {
        match *part {
            "" => return Err(refuse("it has an empty component")),
            "." => return Err(refuse("it has a `.` component")),
            ".." => return Err(refuse("it leaves the project directory (`..`)")),
            _ => {}
        }
    }
    Ok(parts)
}

/// The directory holding `parts`' last component, each directory on the way checked (and
/// created when `create`); `None` when one is missing and not created.
fn parent(dir: &Path, parts: &[&str], create: bool) -> Result<Option<PathBuf>, ProjectError> {
    let mut path = dir.to_path_buf();
    let directories = parts.len().saturating_sub(1);
    for part in &parts[..directories] {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_symlink() => {
                return Err(ProjectError::Symlink { path });
            }
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => {
                return Err(ProjectError::InTheWay {
                    path,
                    expected: "a directory",
                });
            }
            Err(error) if error.kind() == ErrorKind::NotFound => {
                if !create {
                    return Ok(None);
                }
                // `mkdir` never follows a link in its last component: a link planted since the
                // check makes it fail with "exists".
                fs::create_dir(&path)
                    .map_err(|e| ProjectError::io("create directory", &path, e))?;
            }
            Err(error) => return Err(ProjectError::io("read", &path, error)),
        }
    }
    Ok(Some(path))
}

/// The kind of the entry at `path`, refusing links and anything but regular files.
fn regular_file(path: &Path) -> Result<Option<fs::Metadata>, ProjectError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_symlink() => Err(ProjectError::Symlink { path: path.into() }),
        Ok(metadata) if metadata.is_file() => Ok(Some(metadata)),
        Ok(_) => Err(ProjectError::InTheWay {
            path: path.into(),
            expected: "a regular file",
        }),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ProjectError::io("read", path, error)),
    }
}

/// The bytes of the file at `parts` under `dir`, `None` when it does not exist.
pub(crate) fn read(dir: &Path, parts: &[&str]) -> Result<Option<Vec<u8>>, ProjectError> {
    let Some(mut path) = parent(dir, parts, false)? else {
        return Ok(None);
    };
    path.push(parts.last().copied().unwrap_or_default());
    if regular_file(&path)?.is_none() {
        return Ok(None);
    }
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| ProjectError::io("read", &path, e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| ProjectError::io("read", &path, e))?;
    Ok(Some(bytes))
}

/// Writes `contents` to `parts` under `dir` atomically (a temporary file in the same
/// directory, renamed over the target), creating directories on the way. An existing file's
/// permissions are kept.
pub(crate) fn write(dir: &Path, parts: &[&str], contents: &[u8]) -> Result<(), ProjectError> {
    let Some(directory) = parent(dir, parts, true)? else {
        return Err(ProjectError::io(
            "create directory",
            dir,
            ErrorKind::NotFound.into(),
        ));
    };
    let path = directory.join(parts.last().copied().unwrap_or_default());
    let existing = regular_file(&path)?;
    let temporary = directory.join(format!(".apiforge-tmp.{}", std::process::id()));
    // A leftover of a killed run: remove it (a link is removed, never followed).
    match fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => return Err(ProjectError::io("remove", &temporary, error)),
    }
    let result = write_temporary(&temporary, contents, existing.as_ref()).and_then(|()| {
        fs::rename(&temporary, &path).map_err(|e| ProjectError::io("write", &path, e))
    });
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

fn write_temporary(
    temporary: &Path,
    contents: &[u8],
    existing: Option<&fs::Metadata>,
) -> Result<(), ProjectError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(temporary)
        .map_err(|e| ProjectError::io("write", temporary, e))?;
    file.write_all(contents)
        .map_err(|e| ProjectError::io("write", temporary, e))?;
    if let Some(metadata) = existing {
        file.set_permissions(metadata.permissions())
            .map_err(|e| ProjectError::io("write", temporary, e))?;
    }
    Ok(())
}

/// Removes the file at `parts` under `dir` (nothing when absent), then the directories it
/// leaves empty, up to `dir` itself (kept).
pub(crate) fn remove(dir: &Path, parts: &[&str]) -> Result<(), ProjectError> {
    let Some(directory) = parent(dir, parts, false)? else {
        return Ok(());
    };
    let path = directory.join(parts.last().copied().unwrap_or_default());
    if regular_file(&path)?.is_none() {
        return Ok(());
    }
    fs::remove_file(&path).map_err(|e| ProjectError::io("remove", &path, e))?;
    for depth in (1..parts.len()).rev() {
        let mut directory = dir.to_path_buf();
        directory.extend(&parts[..depth]);
        // Fails on a directory that still has entries: then its ancestors do too.
        if fs::remove_dir(&directory).is_err() {
            break;
        }
    }
    Ok(())
}

/// Creates the project directory and its missing ancestors.
pub(crate) fn create_dir_all(dir: &Path) -> Result<(), ProjectError> {
    fs::create_dir_all(dir).map_err(|e| ProjectError::io("create directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expect: Result<&[&str], &str>) {
        match (parts(path), expect) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{path}"),
            (Err(ProjectError::InvalidPath { reason, .. }), Err(want)) => {
                assert!(reason.contains(want), "{path}: {reason}");
            }
            (got, want) => panic!("{path}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn paths() {
        check("openapi.yaml", Ok(&["openapi.yaml"]));
        check("app/api/books.py", Ok(&["app", "api", "books.py"]));
        check(
            ".apiforge/manifest.json",
            Ok(&[".apiforge", "manifest.json"]),
        );
        check("", Err("empty"));
        check("/etc/passwd", Err("absolute"));
        check("../x", Err("`..`"));
        check("a/../../x", Err("`..`"));
        check("a//b", Err("empty component"));
        check("a/", Err("empty component"));
        check("./a", Err("`.`"));
        check("a\\b", Err("backslash"));
        check("a\0b", Err("NUL"));
    }
}
