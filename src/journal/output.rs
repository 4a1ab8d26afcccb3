//! Writing an output file where the user said, as a careful Unix tool
//! does (see docs/journal.md for exports):
//! - a regular file (new or existing) is written atomically: a temp file
//!   with an unpredictable name, made with `O_EXCL|O_NOFOLLOW` in the same
//!   folder, renamed over the target on `commit` (it keeps the target's
//!   permissions); dropped without commit, the target is untouched;
//! - a symlink is written through, to the file it points at, as a shell
//!   redirection would; the link stays;
//! - a device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named pipe)
//!   and `-` (standard output) are streamed to directly, never replaced;
//! - an existing file in a folder where no temp file can be made (a
//!   read-only folder) is rewritten in place.

use std::fs::File;
use std::io::{self, BufWriter};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

enum Target {
    /// Renamed from `tmp` to `dest` on commit.
    Atomic { tmp: PathBuf, dest: PathBuf },
    /// Written as it goes (a device, FIFO, stdout, or in place).
    Direct,
}

/// The same file, whether or not it exists yet: the canonical folder plus
/// the name (and the file's own canonical path when it exists, which sees
/// through links).
pub fn same_file(a: &Path, b: &Path) -> bool {
    fn key(p: &Path) -> Option<PathBuf> {
        if let Ok(c) = std::fs::canonicalize(p) {
            return Some(c);
        }
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
    }
    match (key(a), key(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// An output file; see the module's notes for where the bytes go.
pub struct AtomicFile {
    target: Target,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Opens the output now, so that an unwritable destination is an error
    /// before any work starts.
    pub fn create(dest: &Path) -> io::Result<Self> {
        if dest.as_os_str() == "-" {
            use std::os::fd::AsFd;
            let fd = io::stdout().as_fd().try_clone_to_owned()?;
            return Ok(Self::direct(File::from(fd)));
        }
        // Through a symlink, to what it names (as `>` does).
        let meta = std::fs::metadata(dest);
        let real = match std::fs::symlink_metadata(dest) {
            Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(dest) {
                Ok(p) => p,
                // A dangling link: the shell would create its target.
                Err(_) => return Self::open_direct(dest, true),
            },
            _ => dest.to_path_buf(),
        };
        if let Ok(m) = &meta {
            let t = m.file_type();
            if t.is_dir() {
                return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory"));
            }
            if t.is_fifo() {
                return Self::open_fifo(&real);
            }
            if t.is_char_device() || t.is_block_device() || t.is_socket() {
                return Self::open_direct(&real, false);
            }
        }
        let dir = match real.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = real
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        match create_temp_beside(&dir, &name.to_string_lossy()) {
            Ok((tmp, file)) => {
                if let Ok(m) = &meta {
                    // The replaced file's permissions, not the umask's.
                    let _ = file
                        .set_permissions(std::fs::Permissions::from_mode(m.permissions().mode() & 0o7777));
                }
                Ok(Self {
                    target: Target::Atomic { tmp, dest: real },
                    file: Some(BufWriter::with_capacity(256 * 1024, file)),
                })
            }
            // No temp file can be made beside it, but the file itself is
            // writable: rewrite it in place.
            Err(e)
                if meta.is_ok()
                    && matches!(e.raw_os_error(), Some(libc::EACCES | libc::EROFS | libc::EPERM)) =>
            {
                Self::open_direct(&real, true).map_err(|_| e)
            }
            Err(e) => Err(e),
        }
    }

    fn direct(file: File) -> Self {
        Self {
            target: Target::Direct,
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
        }
    }

    fn open_direct(path: &Path, truncate: bool) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(truncate)
            .truncate(truncate)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)?;
        Ok(Self::direct(file))
    }

    /// A FIFO is opened without waiting: with no reader at the other end
    /// that is an error now, not a hang before anything starts.
    fn open_fifo(path: &Path) -> io::Result<Self> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_CLOEXEC | libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENXIO) => io::Error::new(io::ErrorKind::BrokenPipe, "a FIFO with no reader"),
                _ => e,
            })?;
        // Blocking writes from here on: the reader sets the pace.
        // SAFETY: fcntl on a descriptor we own.
        unsafe {
            let fl = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(file.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK);
        }
        Ok(Self::direct(file))
    }

    /// The temp file's path, for an atomic write.
    pub fn temp_path(&self) -> Option<&Path> {
        match &self.target {
            Target::Atomic { tmp, .. } => Some(tmp),
            Target::Direct => None,
        }
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("writer used after commit")
    }

    /// Makes the output whole: renames it into place, or flushes it.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("committed twice");
        let file = match file.into_inner() {
            Ok(f) => f,
            Err(e) => {
                // A full disk: the temp file goes, the target stays.
                if let Target::Atomic { tmp, .. } = &self.target {
                    let _ = std::fs::remove_file(tmp);
                }
                return Err(e.into_error());
            }
        };
        match &self.target {
            Target::Atomic { tmp, dest } => {
                let done = file.sync_all().and_then(|()| {
                    drop(file);
                    std::fs::rename(tmp, dest)
                });
                if done.is_err() {
                    let _ = std::fs::remove_file(tmp);
                }
                done
            }
            Target::Direct => match file.sync_all() {
                // Pipes, terminals and most devices cannot be synced.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EROFS | libc::ENOTSUP)) => {
                    Ok(())
                }
                other => other,
            },
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            if let Target::Atomic { tmp, .. } = &self.target {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

/// A new file `.NAME.RANDOM.tmp` in `dir`, made with `O_EXCL|O_NOFOLLOW`:
/// never one that exists already (another save of the same file running at
/// the same time, or a link someone planted), and its name not guessable.
fn create_temp_beside(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..16 {
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", random_u64()?));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// 64 random bits from the kernel.
fn random_u64() -> io::Result<u64> {
    let mut v = 0u64;
    // SAFETY: getrandom writes at most 8 bytes into a valid u64.
    let n = unsafe { libc::getrandom((&mut v as *mut u64).cast(), 8, 0) };
    if n == 8 {
        Ok(v)
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn atomic_file_leaves_destination_intact_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.txt");
        std::fs::write(&dest, "old").unwrap();
        {
            let mut f = AtomicFile::create(&dest).unwrap();
            f.writer().write_all(b"new").unwrap();
            // dropped without commit
        }
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file removed"
        );
        let mut f = AtomicFile::create(&dest).unwrap();
        f.writer().write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
    }

    #[test]
    fn overlapping_writers_of_one_file_do_not_share_a_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("session.toml");
        let mut a = AtomicFile::create(&dest).unwrap();
        let mut b = AtomicFile::create(&dest).unwrap();
        assert_ne!(a.temp_path(), b.temp_path());
        a.writer().write_all(b"first").unwrap();
        b.writer().write_all(b"second").unwrap();
        a.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "first");
        b.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["session.toml"], "no temp file left");
    }

    #[test]
    fn many_threads_saving_one_file_each_succeed_with_a_whole_text() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.jsonl");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let dest = dest.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        let mut f = AtomicFile::create(&dest).unwrap();
                        f.writer()
                            .write_all(format!("{t}").repeat(10_000).as_bytes())
                            .unwrap();
                        f.commit().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("every save succeeds");
        }
        let text = std::fs::read_to_string(&dest).unwrap();
        assert_eq!(text.len(), 10_000);
        assert!(
            text.chars().all(|c| text.starts_with(c)),
            "one writer's whole text"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn a_failed_rename_leaves_the_earlier_file_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.csv");
        std::fs::write(&dest, "earlier").unwrap();
        // A trailing slash: the temp file is made, the rename onto a file
        // that is not a folder fails.
        let mut slashed = dest.clone().into_os_string();
        slashed.push("/");
        let mut f = AtomicFile::create(Path::new(&slashed)).unwrap();
        f.writer().write_all(b"new").unwrap();
        assert!(f.commit().is_err());
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "earlier");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file removed"
        );
    }

    #[test]
    fn a_device_is_written_to_never_replaced() {
        let mut f = AtomicFile::create(Path::new("/dev/null")).unwrap();
        assert!(f.temp_path().is_none());
        f.writer().write_all(b"gone").unwrap();
        f.commit().unwrap();
        let m = std::fs::metadata("/dev/null").unwrap();
        assert!(m.file_type().is_char_device(), "/dev/null is still a device");
    }

    #[test]
    fn a_fifo_reader_gets_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(&fifo).unwrap())
        };
        // The reader's open may come a moment later: until then there is
        // no reader, which is an error, not a wait.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut f = loop {
            match AtomicFile::create(&fifo) {
                Ok(f) => break f,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(5))
                }
                Err(e) => panic!("{e}"),
            }
        };
        f.writer().write_all(b"through the pipe").unwrap();
        f.commit().unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        let m = std::fs::symlink_metadata(&fifo).unwrap();
        assert!(m.file_type().is_fifo(), "still a FIFO");
    }

    #[test]
    fn a_fifo_with_no_reader_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = AtomicFile::create(&fifo).err().expect("no reader: an error");
        assert!(e.to_string().contains("no reader"), "{e}");
    }

    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut f = AtomicFile::create(&link).unwrap();
        f.writer().write_all(b"new").unwrap();
        f.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "the replaced file's mode is kept");
    }

    #[test]
    fn a_planted_link_at_a_temp_name_is_never_followed() {
        // Temp names are random; even a link at every guessable name of
        // the old scheme is left alone and its victim untouched.
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let dest = dir.path().join("out.csv");
        let planted = dir.path().join(format!(".out.csv.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let mut f = AtomicFile::create(&dest).unwrap();
        assert_ne!(f.temp_path(), Some(planted.as_path()));
        f.writer().write_all(b"data").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "data");
    }
}
