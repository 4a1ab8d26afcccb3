//! Pseudo-terminals for tasks with `pty = true`: the child gets the slave
//! as stdin, stdout and stderr (and as its controlling terminal, in a
//! session of its own); Proctor reads its output from the master. The
//! terminal has a size, and no output post-processing, so lines end in
//! `\n` as they would in a pipe. Echo is off: a line Proctor writes to the
//! task's stdin (`stdin = true`) is not shown back as its output (a program
//! that wants echo, like an interactive shell, turns it on itself). In
//! line mode (canonical, the terminal's default) a line holds at most
//! `MAX_LINE` bytes; a longer one is refused whole, never cut.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// The size the terminal says it has (rows, columns).
pub const SIZE: (u16, u16) = (50, 200);

pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// The longest line a terminal in line mode takes (Linux: 4096 bytes with
/// its newline; the rest would be dropped).
pub const MAX_LINE: usize = 4095;

/// Why a line cannot be written whole to the terminal `fd` (a pty master)
/// as it is now set; `None`: it can (raw mode takes any length).
pub fn line_refused(fd: std::os::fd::BorrowedFd<'_>, line: &str) -> Option<String> {
    use std::os::fd::AsRawFd;
    // SAFETY: termios is plain data; tcgetattr fills it.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and out-pointer.
    if unsafe { libc::tcgetattr(fd.as_raw_fd(), &mut t) } != 0 || t.c_lflag & libc::ICANON == 0 {
        return None;
    }
    if line.len() > MAX_LINE {
        return Some(format!(
            "the line has {} bytes; its terminal (pty = true) is in line mode, which holds at most {MAX_LINE}: \
             nothing was sent (send shorter lines, or run the task without pty)",
            line.len()
        ));
    }
    if line.chars().any(|c| c.is_ascii_control() && c != '\t') {
        return Some(
            "the line holds a control character, which its terminal (pty = true) would act on \
             (erase, interrupt, end of file): nothing was sent"
                .into(),
        );
    }
    None
}

/// A new pseudo-terminal of `SIZE`, with output post-processing and echo
/// off.
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
            t.c_lflag &= !(libc::ECHO | libc::ECHONL);
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
    fn echo_is_off_and_a_line_too_long_for_line_mode_is_refused() {
        use std::os::fd::{AsFd, AsRawFd};
        let p = open().expect("a pty");
        // SAFETY: as above.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid terminal descriptor and out-pointer.
        assert_eq!(unsafe { libc::tcgetattr(p.master.as_raw_fd(), &mut t) }, 0);
        assert_eq!(t.c_lflag & libc::ECHO, 0, "echo off");
        assert_ne!(t.c_lflag & libc::ICANON, 0, "line mode, as a terminal starts");
        assert!(line_refused(p.master.as_fd(), &"x".repeat(MAX_LINE)).is_none());
        let why = line_refused(p.master.as_fd(), &"x".repeat(MAX_LINE + 1)).expect("refused");
        assert!(
            why.contains("4096 bytes") && why.contains("at most 4095"),
            "{why}"
        );
        assert!(line_refused(p.master.as_fd(), "a\u{3}b").is_some());
        assert!(line_refused(p.master.as_fd(), "a\tb").is_none());
        // Raw mode (what a full-screen program sets) takes any length.
        t.c_lflag &= !libc::ICANON;
        // SAFETY: as above.
        unsafe { libc::tcsetattr(p.slave.as_raw_fd(), libc::TCSANOW, &t) };
        assert!(line_refused(p.master.as_fd(), &"x".repeat(10_000)).is_none());
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
