//! The lock file `.apiforge/lock.json`: which generator wrote the project, for which target
//! and manifest, and the sha256 of every generated file as it was written.
//!
//! ```json
//! {
//!   "generator": "apiforge 0.1.0",
//!   "target": "fastapi",
//!   "manifest_sha256": "…",
//!   "files": { "openapi.json": "…", "openapi.yaml": "…" }
//! }
//! ```
//! Keys in this order, `files` sorted by path, two-space indentation, a trailing newline: the
//! same project always gives the same bytes, so the file diffs well in version control.

use std::collections::BTreeMap;
use std::path::Path;

use apiforge_codegen::LOCK_PATH;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{ProjectError, fsutil};

/// The parsed lock file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Lock {
    /// `apiforge <version>` of the binary that wrote it.
    pub generator: String,
    /// The target's name (`fastapi`).
    pub target: String,
    /// The canonical hash of the manifest the project was generated from.
    pub manifest_sha256: String,
    /// Generated file path → lowercase hex sha256 of the bytes written.
    pub files: BTreeMap<String, String>,
}

/// The generator line of locks written by this build.
pub(crate) fn generator() -> String {
    format!("apiforge {}", env!("CARGO_PKG_VERSION"))
}

impl Lock {
    /// Reads the lock file of `dir`; `None` when there is none.
    ///
    /// # Errors
    /// [`ProjectError::BadLock`] when it is not a lock file of this format (including a path
    /// in it that is not a safe relative path), links and I/O errors.
    pub fn read(dir: &Path) -> Result<Option<Self>, ProjectError> {
        let parts = fsutil::parts(LOCK_PATH)?;
        let Some(bytes) = fsutil::read(dir, &parts)? else {
            return Ok(None);
        };
        Self::parse(&bytes)
            .map(Some)
            .map_err(|reason| ProjectError::BadLock {
                path: dir.join(LOCK_PATH),
                reason,
            })
    }

    fn parse(bytes: &[u8]) -> Result<Self, String> {
        let lock: Self =
            serde_json::from_slice(bytes).map_err(|e| format!("not a lock file: {e}"))?;
        for (path, sha) in &lock.files {
            if fsutil::parts(path).is_err() || path == LOCK_PATH {
                return Err(format!("it lists the unsafe path {path:?}"));
            }
            if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("the sha256 of {path:?} is not 64 hex digits"));
            }
        }
        Ok(lock)
    }

    /// The lock file's text.
    pub fn to_text(&self) -> String {
        let files: Map<String, Value> = self
            .files
            .iter()
            .map(|(path, sha)| (path.clone(), Value::String(sha.clone())))
            .collect();
        let mut object = Map::new();
        object.insert("generator".into(), Value::String(self.generator.clone()));
        object.insert("target".into(), Value::String(self.target.clone()));
        object.insert(
            "manifest_sha256".into(),
            Value::String(self.manifest_sha256.clone()),
        );
        object.insert("files".into(), Value::Object(files));
        // Serialising a `Value` of strings cannot fail; fall back to compact just in case.
        let text = serde_json::to_string_pretty(&Value::Object(object.clone()))
            .unwrap_or_else(|_| Value::Object(object).to_string());
        text + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(files: &[(&str, &str)]) -> Lock {
        Lock {
            generator: "apiforge 0.1.0".into(),
            target: "fastapi".into(),
            manifest_sha256: "ab".repeat(32),
            files: files
                .iter()
                .map(|(p, s)| ((*p).to_owned(), (*s).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn text_is_stable_sorted_and_reads_back() {
        let sha = "0".repeat(64);
        let lock = lock(&[("z.py", &sha), ("a/b.py", &sha)]);
        let text = lock.to_text();
        assert!(text.ends_with("}\n"));
        let expected = format!(
            "{{\n  \"generator\": \"apiforge 0.1.0\",\n  \"target\": \"fastapi\",\n  \"manifest_sha256\": \"{}\",\n  \"files\": {{\n    \"a/b.py\": \"{sha}\",\n    \"z.py\": \"{sha}\"\n  }}\n}}\n",
            "ab".repeat(32)
        );
        assert_eq!(text, expected);
        assert_eq!(Lock::parse(text.as_bytes()), Ok(lock));
    }

    fn check_refused(text: &str, expect: &str) {
        match Lock::parse(text.as_bytes()) {
            Err(reason) => assert!(reason.contains(expect), "{reason}"),
            Ok(lock) => panic!("accepted {lock:?}"),
        }
    }

    #[test]
    fn refuses_bad_locks() {
        let sha = "0".repeat(64);
        check_refused("{", "not a lock file");
        check_refused(r#"{"generator":"x"}"#, "missing field");
        let with = |path: &str, sha: &str| {
            format!(
                r#"{{"generator":"g","target":"fastapi","manifest_sha256":"","files":{{"{path}":"{sha}"}}}}"#
            )
        };
        check_refused(&with("../../etc/passwd", &sha), "unsafe path");
        check_refused(&with("/etc/passwd", &sha), "unsafe path");
        check_refused(&with(LOCK_PATH, &sha), "unsafe path");
        check_refused(&with("a.py", "xyz"), "64 hex digits");
    }
}
