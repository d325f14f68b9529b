//! Named network namespaces held open by bind mounts, as `ip netns add` makes them, and
//! running code inside one on a dedicated thread.
//!
//! A namespace `NAME` is the file `<dir>/NAME` with the namespace bind-mounted on it
//! (`/run/netns` by default, so `ip netns` sees it; Docker uses `/var/run/docker/netns`).
//! `setns` only ever happens on a thread spawned for the purpose, so the caller's thread never
//! changes namespace. This module owns those syscalls and nothing else.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::error::LinuxError;

/// The directory holding namespace files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetnsDir {
    dir: PathBuf,
}

impl Default for NetnsDir {
    fn default() -> NetnsDir {
        NetnsDir::new("/run/netns")
    }
}

impl NetnsDir {
    /// Namespace files live in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> NetnsDir {
        NetnsDir { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The file of namespace `name`.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Whether namespace `name` exists here.
    pub fn exists(&self, name: &str) -> bool {
        self.file(name).exists()
    }

    /// Names of the namespace files in the directory (none if it does not exist).
    pub fn list(&self) -> io::Result<Vec<String>> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in rd {
            if let Some(n) = entry?.file_name().to_str() {
                names.push(n.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Opens namespace `name` (a handle usable with `setns` and `IFLA_NET_NS_FD`).
    pub fn open(&self, name: &str) -> Result<File, LinuxError> {
        File::open(self.file(name)).map_err(|source| LinuxError::Netns {
            name: name.into(),
            action: "open",
            source,
        })
    }

    /// Creates namespace `name` like `ip netns add`: a fresh namespace bind-mounted on
    /// `<dir>/name`. Fails with `EEXIST` when the file exists; leaves nothing behind on error.
    pub fn create(&self, name: &str) -> Result<(), LinuxError> {
        let err = |action, source| LinuxError::Netns {
            name: name.into(),
            action,
            source,
        };
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(err("create", io::Error::from_raw_os_error(libc::EINVAL)));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| err("create", e))?;
        let path = self.file(name);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| err("create", e))?;
        let target = path.clone();
        let mounted = std::thread::spawn(move || -> io::Result<()> {
            // SAFETY: unshare only changes this thread's (a throwaway thread's) namespace.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                return Err(io::Error::last_os_error());
            }
            bind_mount(Path::new("/proc/thread-self/ns/net"), &target)
        })
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")));
        if let Err(e) = mounted {
            let _ = std::fs::remove_file(&path);
            return Err(err("mount", e));
        }
        Ok(())
    }

    /// Deletes namespace `name` like `ip netns del`: detaches the bind mount and removes the
    /// file. The namespace itself goes away with its last user.
    pub fn delete(&self, name: &str) -> Result<(), LinuxError> {
        let path = self.file(name);
        let err = |source| LinuxError::Netns {
            name: name.into(),
            action: "delete",
            source,
        };
        if !path.exists() {
            return Err(err(io::Error::from_raw_os_error(libc::ENOENT)));
        }
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| err(io::Error::from_raw_os_error(libc::EINVAL)))?;
        // SAFETY: `c` is a valid NUL-terminated path; umount2 does not keep the pointer.
        if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } != 0 {
            let e = io::Error::last_os_error();
            // EINVAL: not a mount point (a stale file); still remove it.
            if e.raw_os_error() != Some(libc::EINVAL) {
                return Err(err(e));
            }
        }
        std::fs::remove_file(&path).map_err(err)
    }
}

fn bind_mount(src: &Path, dst: &Path) -> io::Result<()> {
    let s = CString::new(src.as_os_str().as_bytes())?;
    let d = CString::new(dst.as_os_str().as_bytes())?;
    let none = c"none";
    // SAFETY: all pointers are valid NUL-terminated strings for the duration of the call;
    // a bind mount takes no data argument.
    let rc = unsafe {
        libc::mount(
            s.as_ptr(),
            d.as_ptr(),
            none.as_ptr(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Runs `f` on a new thread that first enters the namespace `ns`; the calling thread never
/// changes namespace. Sockets `f` opens stay bound to `ns`.
pub fn run_in<R: Send + 'static>(
    ns: &File,
    f: impl FnOnce() -> R + Send + 'static,
) -> io::Result<R> {
    let fd = ns.try_clone()?;
    std::thread::spawn(move || -> io::Result<R> {
        // SAFETY: setns on a valid namespace fd changes only this dedicated thread.
        if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(f())
    })
    .join()
    .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")))
}
