//! Pseudo-terminals for tasks with `pty = true`: the child gets the slave
//! as stdin, stdout and stderr (and as its controlling terminal, in a
//! session of its own); Proctor reads its output from the master. The
//! terminal has a size, and no output post-processing, so lines end in
//! `\n` as they would in a pipe.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// The size the terminal says it has (rows, columns).
pub const SIZE: (u16, u16) = (50, 200);

pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// A new pseudo-terminal of `SIZE`, with output post-processing off.
pub fn open() -> io::Result<Pty> {
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    let size = libc::winsize {
        ws_row: SIZE.0,
        ws_col: SIZE.1,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: valid out-pointers; no name buffer; termios left default.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openpty returned two new descriptors we now own.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    for fd in [&master, &slave] {
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on a descriptor we own.
        unsafe {
            let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFD);
            libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, flags | libc::FD_CLOEXEC);
        }
    }
    {
        use std::os::fd::AsRawFd;
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid terminal descriptor and out-pointer.
        if unsafe { libc::tcgetattr(slave.as_raw_fd(), &mut t) } == 0 {
            t.c_oflag &= !libc::OPOST;
            // SAFETY: as above.
            unsafe { libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t) };
        }
    }
    Ok(Pty { master, slave })
}

/// The environment with `PYTHONUNBUFFERED=1` added when `unbuffered` and
/// the definition does not set it itself (an empty value turns it off).
pub fn child_env(
    env: &BTreeMap<String, String>,
    unbuffered: bool,
) -> std::borrow::Cow<'_, BTreeMap<String, String>> {
    if !unbuffered || env.contains_key("PYTHONUNBUFFERED") {
        return std::borrow::Cow::Borrowed(env);
    }
    let mut e = env.clone();
    e.insert("PYTHONUNBUFFERED".into(), "1".into());
    std::borrow::Cow::Owned(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_has_its_size() {
        use std::os::fd::AsRawFd;
        let p = open().expect("a pty");
        // SAFETY: winsize is plain data; TIOCGWINSZ fills it.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        // SAFETY: a valid terminal descriptor and out-pointer.
        assert_eq!(
            unsafe { libc::ioctl(p.slave.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) },
            0
        );
        assert_eq!((ws.ws_row, ws.ws_col), SIZE);
    }

    #[test]
    fn unbuffered_is_added_unless_set_or_turned_off() {
        let mut env = BTreeMap::new();
        assert_eq!(
            child_env(&env, true).get("PYTHONUNBUFFERED").map(String::as_str),
            Some("1")
        );
        assert!(child_env(&env, false).get("PYTHONUNBUFFERED").is_none());
        env.insert("PYTHONUNBUFFERED".into(), String::new());
        assert_eq!(
            child_env(&env, true).get("PYTHONUNBUFFERED").map(String::as_str),
            Some("")
        );
    }
}
