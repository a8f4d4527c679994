//! The pinned package set: `runtimes/python/requirements.lock`, embedded in the binary, and
//! the identity of a runtime built from it.

use sha2::{Digest, Sha256};

/// The lock file every runtime is built from (see `runtimes/python/lock.py`).
pub const LOCK: &str = include_str!("../../../runtimes/python/requirements.lock");

/// The Python version (major.minor) the lock's wheels are for; the sandbox runs Debian's
/// `/usr/bin/python3`, which must be this version too.
pub const PYTHON_VERSION: &str = "3.11";

/// One pinned package of a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Normalised name (`psycopg-binary`).
    pub name: String,
    /// Exact version.
    pub version: String,
    /// sha256 digests (lower-case hex) of the wheels allowed.
    pub hashes: Vec<String>,
}

/// Lower-case hex sha256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// sha256 of the embedded lock.
pub fn lock_sha256() -> String {
    sha256_hex(LOCK)
}

/// The directory name of the runtime built from a lock with this sha256:
/// `python-<first 16 hex digits>`.
pub fn runtime_dir_name(lock_sha256: &str) -> String {
    let short: String = lock_sha256.chars().take(16).collect();
    format!("python-{short}")
}

/// The pins of a lock in pip's requirements format (`name==version \` then
/// `--hash=sha256:…` continuation lines; comments and blank lines ignored).
///
/// # Errors
/// The first line that is not a pin or a hash, with its 1-based number.
pub fn parse_lock(text: &str) -> Result<Vec<Pin>, String> {
    let mut pins: Vec<Pin> = Vec::new();
    // Join continuation lines first, keeping the number of each requirement's first line.
    let mut logical: Vec<(usize, String)> = Vec::new();
    let mut continuing = false;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split_once(" #").map_or(raw, |(code, _)| code).trim();
        let (body, next) = match line.strip_suffix('\\') {
            Some(body) => (body.trim(), true),
            None => (line, false),
        };
        if continuing {
            if let Some((_, current)) = logical.last_mut() {
                current.push(' ');
                current.push_str(body);
            }
        } else if !body.is_empty() && !body.starts_with('#') {
            logical.push((index + 1, body.to_owned()));
        }
        continuing = next;
    }
    for (number, line) in logical {
        let mut words = line.split_whitespace();
        let requirement = words.next().unwrap_or_default();
        let Some((name, version)) = requirement.split_once("==") else {
            return Err(format!(
                "line {number}: `{requirement}` is not pinned with =="
            ));
        };
        let mut hashes = Vec::new();
        for word in words {
            let digest = word
                .strip_prefix("--hash=sha256:")
                .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| format!("line {number}: `{word}` is not --hash=sha256:<64 hex>"))?;
            hashes.push(digest.to_ascii_lowercase());
        }
        if hashes.is_empty() {
            return Err(format!("line {number}: {name}=={version} has no --hash"));
        }
        pins.push(Pin {
            name: normalise(name),
            version: version.to_owned(),
            hashes,
        });
    }
    Ok(pins)
}

/// PEP 503 normalised name: lower case, runs of `-_.` become `-`.
fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Result<Vec<(&str, &str, usize)>, &str>) {
        let got = parse_lock(text).map(|pins| {
            pins.iter()
                .map(|p| (p.name.clone(), p.version.clone(), p.hashes.len()))
                .collect::<Vec<_>>()
        });
        let expect = expect
            .map(|pins| {
                pins.into_iter()
                    .map(|(n, v, h)| (n.to_owned(), v.to_owned(), h))
                    .collect::<Vec<_>>()
            })
            .map_err(ToOwned::to_owned);
        match (&got, &expect) {
            (Err(got), Err(want)) => assert!(got.contains(want.as_str()), "{got}"),
            _ => assert_eq!(got, expect),
        }
    }

    const H1: &str = "9970712cfb81ea26c8658d378aaa5b8f6ff9146e5bb111d70497c164016cf598";
    const H2: &str = "6bc31bbbec6dfaaedc1676dbc11dbda96fe22a2b5c400e9ebad113fec44a9dc6";

    #[test]
    fn parses_pins_with_continuations() {
        check(
            &format!(
                "# header\n\nalembic==1.20.1 \\\n    --hash=sha256:{H1}\nPsycopg_Binary==3.3.9 \\\n    --hash=sha256:{H1} \\\n    --hash=sha256:{H2}\n"
            ),
            Ok(vec![
                ("alembic", "1.20.1", 1),
                ("psycopg-binary", "3.3.9", 2),
            ]),
        );
        check(
            &format!("x==1 --hash=sha256:{H1}\n"),
            Ok(vec![("x", "1", 1)]),
        );
    }

    #[test]
    fn rejects_unpinned_and_unhashed() {
        check(
            "fastapi>=0.1\n",
            Err("line 1: `fastapi>=0.1` is not pinned"),
        );
        check("# c\nfastapi==1\n", Err("line 2: fastapi==1 has no --hash"));
        check("x==1 --hash=md5:00\n", Err("is not --hash=sha256"));
    }

    #[test]
    fn embedded_lock_is_complete() {
        let pins = parse_lock(LOCK).expect("the embedded lock parses");
        let names: Vec<&str> = pins.iter().map(|p| p.name.as_str()).collect();
        for top in [
            "fastapi",
            "fastapi-offline",
            "uvicorn",
            "pytest",
            "ruff",
            "httpx",
            "psycopg-binary",
        ] {
            assert!(names.contains(&top), "{top} in the lock");
        }
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "the lock is sorted");
    }

    #[test]
    fn runtime_dir_names() {
        assert_eq!(runtime_dir_name(&sha256_hex("")), "python-e3b0c44298fc1c14");
        assert_eq!(runtime_dir_name(&lock_sha256()).len(), "python-".len() + 16);
    }
}
