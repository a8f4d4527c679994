//! The sandbox's writable work directory: a tmpfs with a size and an inode quota.
//!
//! The parent creates it detached (`fsopen`/`fsmount`: it is mounted nowhere on the host),
//! copies the caller's directory into it, hands the mount to the sandbox, which attaches it
//! at `/app` (`move_mount`), and reads the results back through its own descriptor after the
//! run. A disk or inode bomb fills the tmpfs, never the host disk; nothing stays mounted if
//! the forge dies, because the tmpfs lives only as long as the last descriptor or mount.
//!
//! The copy back never follows or creates a symbolic link on either side, opens every file
//! with `O_NOFOLLOW`, strips set-id bits and gives new files the owner of the caller's
//! directory, so nothing the sandbox left behind makes the host write outside the directory
//! or read a file it should not. It runs after the sandbox's pid namespace died, so nothing
//! changes the tmpfs during the walk. Deletions inside the sandbox are not propagated.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use crate::SandboxError;

/// `FSCONFIG_SET_STRING` and `FSCONFIG_CMD_CREATE` of `<linux/mount.h>`.
const FSCONFIG_SET_STRING: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;

/// What a file looked like right after the copy in: unchanged files are not copied back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
    ino: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Self {
        Self {
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            ino: meta.ino(),
        }
    }
}

/// Stamps of everything copied in, by path relative to the work directory.
#[derive(Debug, Default)]
pub(crate) struct Snapshot(HashMap<PathBuf, Stamp>);

/// What the copy back did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopiedBack {
    /// New or changed regular files written to the caller's directory, relative to it, in
    /// walk order (sorted by name at each level).
    pub copied: Vec<String>,
    /// Entries left in the sandbox, with the reason (links, special files, name clashes).
    pub skipped: Vec<(String, &'static str)>,
}

/// A detached tmpfs owned by the parent.
#[derive(Debug)]
pub(crate) struct Workspace {
    mount: OwnedFd,
    /// `/proc/self/fd/<mount>`: the tmpfs's root, reachable by path from this process only.
    root: PathBuf,
}

fn last_error(what: &str) -> SandboxError {
    SandboxError::host(what.to_owned(), io::Error::last_os_error())
}

fn c_string(text: &str) -> Result<CString, SandboxError> {
    CString::new(text).map_err(|_| SandboxError::Config(format!("a NUL byte in {text:?}")))
}

/// Permission bits without set-uid, set-gid and sticky.
fn plain_mode(meta: &fs::Metadata) -> u32 {
    meta.permissions().mode() & 0o777
}

/// True for the errors a full tmpfs gives.
fn is_full(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
}

impl Workspace {
    /// A new tmpfs of `bytes` and `inodes` whose root belongs to `uid`:`gid`.
    pub(crate) fn create(
        bytes: u64,
        inodes: u64,
        uid: u32,
        gid: u32,
    ) -> Result<Self, SandboxError> {
        // SAFETY: fsopen takes a C string and flags and returns a new descriptor or -1.
        let fs =
            unsafe { libc::syscall(libc::SYS_fsopen, c"tmpfs".as_ptr(), libc::FSOPEN_CLOEXEC) };
        if fs < 0 {
            return Err(last_error(
                "creating the work directory's tmpfs (fsopen, Linux 5.2+)",
            ));
        }
        // SAFETY: fsopen just returned this descriptor, owned by nobody else.
        let fs = unsafe { OwnedFd::from_raw_fd(fs as RawFd) };
        for (key, value) in [
            ("size", bytes.to_string()),
            ("nr_inodes", inodes.to_string()),
            ("mode", "0755".to_owned()),
            ("uid", uid.to_string()),
            ("gid", gid.to_string()),
        ] {
            let (key_c, value_c) = (c_string(key)?, c_string(&value)?);
            // SAFETY: both strings are valid C strings; fsconfig only reads them.
            let ret = unsafe {
                libc::syscall(
                    libc::SYS_fsconfig,
                    fs.as_raw_fd(),
                    FSCONFIG_SET_STRING,
                    key_c.as_ptr(),
                    value_c.as_ptr(),
                    0,
                )
            };
            if ret < 0 {
                return Err(last_error(&format!(
                    "setting the work tmpfs option {key}={value}"
                )));
            }
        }
        // SAFETY: a command without arguments on our fs context.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                fs.as_raw_fd(),
                FSCONFIG_CMD_CREATE,
                std::ptr::null::<libc::c_char>(),
                std::ptr::null::<libc::c_void>(),
                0,
            )
        };
        if ret < 0 {
            return Err(last_error("creating the work directory's tmpfs"));
        }
        // SAFETY: fsmount on our created fs context returns a new mount descriptor or -1.
        let mount = unsafe {
            libc::syscall(
                libc::SYS_fsmount,
                fs.as_raw_fd(),
                libc::FSMOUNT_CLOEXEC,
                libc::MOUNT_ATTR_NOSUID | libc::MOUNT_ATTR_NODEV,
            )
        };
        if mount < 0 {
            return Err(last_error("mounting the work directory's tmpfs (fsmount)"));
        }
        // SAFETY: fsmount just returned this descriptor, owned by nobody else.
        let mount = unsafe { OwnedFd::from_raw_fd(mount as RawFd) };
        let root = PathBuf::from(format!("/proc/self/fd/{}", mount.as_raw_fd()));
        Ok(Self { mount, root })
    }

    /// The mount descriptor the sandbox attaches at `/app`.
    pub(crate) fn fd(&self) -> RawFd {
        self.mount.as_raw_fd()
    }

    /// True when the tmpfs has no free blocks or no free inodes left.
    pub(crate) fn is_full(&self) -> bool {
        // SAFETY: fstatvfs fills the zeroed struct it is given.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: our own descriptor and a valid out-pointer.
        if unsafe { libc::fstatvfs(self.mount.as_raw_fd(), &raw mut st) } != 0 {
            return false;
        }
        st.f_bavail == 0 || st.f_favail == 0
    }

    /// Copies the caller's directory `from` in. Entries owned by the directory's owner become
    /// the sandbox's (`uid`:`gid`); others keep a foreign owner (host root, unmapped inside)
    /// and their permission bits, so a file the directory's owner does not own stays as
    /// protected inside as it was.
    ///
    /// # Errors
    /// [`SandboxError::WorkDirFull`] when it does not fit the quota, [`SandboxError::WorkDir`]
    /// for anything else.
    pub(crate) fn copy_in(
        &self,
        from: &Path,
        uid: u32,
        gid: u32,
    ) -> Result<Snapshot, SandboxError> {
        let owner = fs::metadata(from)
            .map_err(|e| work_dir_error(from, &e))?
            .uid();
        let mut copy = CopyIn {
            from,
            to: &self.root,
            owner,
            sandbox: (uid, gid),
            snapshot: Snapshot::default(),
        };
        match copy.walk(Path::new("")) {
            Ok(()) => Ok(copy.snapshot),
            Err(e) if is_full(&e) => Err(SandboxError::WorkDirFull {
                path: from.to_path_buf(),
            }),
            Err(e) => Err(work_dir_error(from, &e)),
        }
    }

    /// Copies new and changed regular files and directories back into `to`.
    pub(crate) fn copy_back(&self, to: &Path, snapshot: &Snapshot) -> io::Result<CopiedBack> {
        let owner = fs::metadata(to)?;
        let mut back = CopyBack {
            owner: (owner.uid(), owner.gid()),
            snapshot,
            report: CopiedBack::default(),
        };
        back.walk(&self.root, to, Path::new(""))?;
        Ok(back.report)
    }

    /// Connects to the Unix socket `name` the sandboxed program listens on at the top of its
    /// work directory. The socket is opened `O_PATH | O_NOFOLLOW` relative to the tmpfs and
    /// checked to be a socket before connecting through that descriptor, so a symbolic link
    /// the sandbox put there (to a host socket such as PostgreSQL's) is refused, and a swap
    /// after the check cannot redirect the connection.
    pub(crate) fn connect(&self, name: &str) -> io::Result<UnixStream> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("socket name {name:?} must be a plain file name in the work directory"),
            ));
        }
        let c_name = CString::new(name.as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the name"))?;
        // SAFETY: a valid C string relative to our own directory descriptor.
        let fd = unsafe {
            libc::openat(
                self.mount.as_raw_fd(),
                c_name.as_ptr(),
                libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: openat just returned this descriptor, owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: fstat fills the zeroed struct it is given.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: our own descriptor (fstat accepts `O_PATH` ones) and a valid out-pointer.
        if unsafe { libc::fstat(fd.as_raw_fd(), &raw mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if st.st_mode & libc::S_IFMT != libc::S_IFSOCK {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name} in the work directory is not a socket (a link or a file)"),
            ));
        }
        UnixStream::connect(format!("/proc/self/fd/{}", fd.as_raw_fd()))
    }
}

fn work_dir_error(path: &Path, e: &io::Error) -> SandboxError {
    SandboxError::WorkDir {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

struct CopyIn<'a> {
    from: &'a Path,
    to: &'a Path,
    owner: u32,
    sandbox: (u32, u32),
    snapshot: Snapshot,
}

impl CopyIn<'_> {
    /// Owner of the copy of an entry owned by `uid` on the host.
    fn owner_of(&self, uid: u32) -> (u32, u32) {
        if uid == self.owner {
            self.sandbox
        } else {
            (0, 0)
        }
    }

    fn walk(&mut self, rel: &Path) -> io::Result<()> {
        for entry in fs::read_dir(self.from.join(rel))? {
            let entry = entry?;
            let rel = rel.join(entry.file_name());
            let (source, target) = (self.from.join(&rel), self.to.join(&rel));
            // `file_type` does not follow links: a link is copied as a link, and inside the
            // sandbox it can only resolve within the sandbox's own root.
            let kind = entry.file_type()?;
            let meta = entry.metadata()?;
            let (uid, gid) = self.owner_of(meta.uid());
            if kind.is_dir() {
                fs::create_dir(&target)?;
                std::os::unix::fs::chown(&target, Some(uid), Some(gid))?;
                fs::set_permissions(&target, fs::Permissions::from_mode(plain_mode(&meta)))?;
                self.walk(&rel)?;
            } else if kind.is_file() {
                let mut input = OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&source)?;
                let mode = plain_mode(&input.metadata()?);
                let mut output = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&target)?;
                io::copy(&mut input, &mut output)?;
                std::os::unix::fs::fchown(&output, Some(uid), Some(gid))?;
                output.set_permissions(fs::Permissions::from_mode(mode))?;
                self.snapshot.0.insert(rel, Stamp::of(&output.metadata()?));
            } else if kind.is_symlink() {
                std::os::unix::fs::symlink(fs::read_link(&source)?, &target)?;
                std::os::unix::fs::lchown(&target, Some(uid), Some(gid))?;
                self.snapshot
                    .0
                    .insert(rel, Stamp::of(&fs::symlink_metadata(&target)?));
            }
            // Sockets, FIFOs and devices stay behind: the sandbox has no use for them.
        }
        Ok(())
    }
}

struct CopyBack<'a> {
    owner: (u32, u32),
    snapshot: &'a Snapshot,
    report: CopiedBack,
}

impl CopyBack<'_> {
    fn walk(&mut self, stage: &Path, dir: &Path, rel: &Path) -> io::Result<()> {
        let mut entries = fs::read_dir(stage.join(rel))?.collect::<io::Result<Vec<_>>>()?;
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let rel = rel.join(entry.file_name());
            let (source, target) = (stage.join(&rel), dir.join(&rel));
            let shown = rel.display().to_string();
            let kind = entry.file_type()?;
            let existing = match fs::symlink_metadata(&target) {
                Ok(meta) => Some(meta.file_type()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            };
            if kind.is_dir() {
                match existing {
                    None => {
                        fs::create_dir(&target)?;
                        std::os::unix::fs::chown(&target, Some(self.owner.0), Some(self.owner.1))?;
                        fs::set_permissions(
                            &target,
                            fs::Permissions::from_mode(plain_mode(&entry.metadata()?)),
                        )?;
                    }
                    Some(t) if t.is_dir() => {}
                    Some(_) => {
                        self.report
                            .skipped
                            .push((shown, "a file or link of that name is on the host"));
                        continue;
                    }
                }
                self.walk(stage, dir, &rel)?;
            } else if kind.is_file() {
                if self.snapshot.0.get(&rel) == Some(&Stamp::of(&entry.metadata()?)) {
                    continue;
                }
                if existing.is_some_and(|t| !t.is_file()) {
                    self.report
                        .skipped
                        .push((shown, "a directory or link of that name is on the host"));
                    continue;
                }
                self.copy_file(&source, &target, existing.is_none())?;
                self.report.copied.push(shown);
            } else if kind.is_symlink() {
                // Following or recreating a link the sandbox made could point a later host
                // write or read anywhere; links are never copied back.
                if self.snapshot.0.get(&rel) != Some(&Stamp::of(&entry.metadata()?)) {
                    self.report
                        .skipped
                        .push((shown, "symbolic links are not copied back"));
                }
            } else {
                self.report
                    .skipped
                    .push((shown, "not a regular file or directory"));
            }
        }
        Ok(())
    }

    fn copy_file(&self, source: &Path, target: &Path, new: bool) -> io::Result<()> {
        let mut input = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(source)?;
        let meta = input.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::other(format!(
                "{} is not a regular file",
                source.display()
            )));
        }
        let mode = plain_mode(&meta);
        let mut output = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(target)?;
        io::copy(&mut input, &mut output)?;
        if new {
            std::os::unix::fs::fchown(&output, Some(self.owner.0), Some(self.owner.1))?;
        }
        output.set_permissions(fs::Permissions::from_mode(mode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_tmpfs_refuses_the_copy_in() {
        let ws = Workspace::create(64 << 10, 64, 65534, 65534).expect("tmpfs (needs root)");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("big"), vec![7u8; 1 << 20]).expect("write");
        let err = ws.copy_in(dir.path(), 65534, 65534).expect_err("too large");
        assert!(matches!(err, SandboxError::WorkDirFull { .. }), "{err}");
    }

    #[test]
    fn copy_in_keeps_foreign_owners_and_modes() {
        let ws = Workspace::create(1 << 20, 64, 65534, 65534).expect("tmpfs (needs root)");
        let dir = tempfile::tempdir().expect("temp dir");
        std::os::unix::fs::chown(dir.path(), Some(1000), Some(1000)).expect("chown");
        let mine = dir.path().join("mine");
        std::fs::write(&mine, "a").expect("write");
        std::os::unix::fs::chown(&mine, Some(1000), Some(1000)).expect("chown");
        let theirs = dir.path().join("theirs");
        std::fs::write(&theirs, "b").expect("write");
        std::fs::set_permissions(&theirs, fs::Permissions::from_mode(0o4600)).expect("chmod");
        ws.copy_in(dir.path(), 65534, 65534).expect("copy in");
        let mine = fs::metadata(ws.root.join("mine")).expect("mine");
        assert_eq!((mine.uid(), mine.gid()), (65534, 65534));
        let theirs = fs::metadata(ws.root.join("theirs")).expect("theirs");
        assert_eq!((theirs.uid(), theirs.mode() & 0o7777), (0, 0o600));
    }

    #[test]
    fn connect_refuses_links_and_paths() {
        let ws = Workspace::create(1 << 20, 64, 65534, 65534).expect("tmpfs (needs root)");
        std::os::unix::fs::symlink("/run/postgresql/.s.PGSQL.5432", ws.root.join("app.sock"))
            .expect("symlink");
        let err = ws.connect("app.sock").expect_err("a link is refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        assert!(ws.connect("../app.sock").is_err());
        assert!(ws.connect("").is_err());
        std::fs::write(ws.root.join("file"), "x").expect("write");
        assert!(ws.connect("file").is_err());
    }
}
