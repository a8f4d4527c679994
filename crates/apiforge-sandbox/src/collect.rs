//! Reading results out of a work directory the sandbox could write. The host reads as root,
//! so every path component is opened relative to its parent's descriptor with `O_NOFOLLOW`:
//! a symlink (or one swapped in while we walk) to `/etc/shadow` or the forge's database
//! fails with `ELOOP`/`ENOTDIR` instead of being followed.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

fn invalid(reason: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, reason.to_owned())
}

fn c_name(bytes: &[u8]) -> std::io::Result<CString> {
    CString::new(bytes).map_err(|_| invalid("a NUL byte in the path"))
}

fn open_at(dir: libc::c_int, name: &CString, flags: libc::c_int) -> std::io::Result<OwnedFd> {
    // SAFETY: `name` is a valid C string; openat returns a new descriptor or -1.
    let fd = unsafe {
        libc::openat(
            dir,
            name.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: openat just returned this descriptor, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads the regular file `relative` under `work_dir` without following any symlink on the
/// way, as at most `max_bytes` bytes.
///
/// `relative` must be relative, without `..`. Every directory on the way is opened with
/// `O_NOFOLLOW` from its parent's descriptor, so renaming or swapping components during the
/// walk cannot redirect it; the last component is opened `O_PATH`, checked to be a regular
/// file with a single link (a hard link to a file the sandbox could not read is refused)
/// and only then reopened for reading, so a FIFO or device node left behind is never
/// opened.
///
/// # Errors
/// `InvalidInput` for an absolute path, `..` or a file longer than `max_bytes`; `ELOOP` when
/// the file is a symlink, `ENOTDIR` when a directory on the way is one; `EINVAL` for
/// anything but a regular file; `EMLINK` for a file with several hard links; any other I/O
/// error as is.
pub fn collect_file(work_dir: &Path, relative: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let mut names = Vec::new();
    for part in relative.components() {
        match part {
            Component::Normal(name) => names.push(c_name(name.as_bytes())?),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(invalid("the path must be relative, without `..`"));
            }
        }
    }
    let Some((file, dirs)) = names.split_last() else {
        return Err(invalid("the path names no file"));
    };
    // The work directory itself is the caller's; it too must not be a symlink.
    let root = c_name(work_dir.as_os_str().as_bytes())?;
    let mut dir = open_at(libc::AT_FDCWD, &root, libc::O_PATH | libc::O_DIRECTORY)?;
    for name in dirs {
        dir = open_at(dir.as_raw_fd(), name, libc::O_PATH | libc::O_DIRECTORY)?;
    }
    let path_fd = open_at(dir.as_raw_fd(), file, libc::O_PATH)?;
    // SAFETY: fstat fills the zeroed struct from a descriptor we own.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(path_fd.as_raw_fd(), &raw mut st) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if st.st_mode & libc::S_IFMT == libc::S_IFLNK {
        return Err(std::io::Error::from_raw_os_error(libc::ELOOP));
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    }
    if st.st_nlink != 1 {
        return Err(std::io::Error::from_raw_os_error(libc::EMLINK));
    }
    // Reopening through the descriptor reads exactly the inode checked above.
    let reopen = c_name(format!("/proc/self/fd/{}", path_fd.as_raw_fd()).as_bytes())?;
    // SAFETY: `reopen` is a valid C string; the magic link names the checked inode.
    let fd = unsafe {
        libc::open(
            reopen.as_ptr(),
            libc::O_RDONLY | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: open just returned this descriptor, owned by nobody else.
    let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut out = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)?;
    if out.len() as u64 > max_bytes {
        return Err(invalid("the file is larger than the limit"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_dotdot_and_absolute_paths() {
        let dir = std::env::temp_dir();
        for bad in ["../x", "a/../../x", "/etc/passwd", ""] {
            let err = collect_file(&dir, Path::new(bad), 10).expect_err(bad);
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
        }
    }
}
