//! One OpenSSH master connection per host of a pool. A master is a local
//! `ssh -M -N` in the foreground, in its own process group, killed by the
//! kernel if Proctor dies (`PR_SET_PDEATHSIG`); its control socket lives
//! in a private folder. It is ready when the socket appears; a master that
//! exits is a host that refused or dropped out.

use super::argv;
use crate::session::HostSlots;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

enum State {
    /// This machine (`local`): no connection.
    Here,
    Connecting(Child),
    Up(Child),
    Down(String),
}

struct Host {
    label: String,
    dest: Option<String>,
    control: PathBuf,
    state: State,
    /// When its master was started.
    since: Instant,
}

/// A master that runs this long without making its control socket never
/// will (ssh gives up connecting after its ConnectTimeout of 10 s and a
/// few tries): options or an ssh config that turn off ControlMaster or
/// ControlPath make it so.
const NO_SOCKET_LIMIT: Duration = Duration::from_secs(45);

/// The hosts of one pool.
pub(in crate::engine) struct Hosts {
    hosts: Vec<Host>,
    ssh_options: Vec<String>,
    dir: Option<PathBuf>,
}

/// A host that came up or went down since the last look.
pub(in crate::engine) enum Change {
    Up,
    Down(usize, String),
}

fn private_dir() -> Result<PathBuf, String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    // Short: a socket path must fit in 108 bytes.
    let base = std::env::temp_dir();
    let dir = base.join(format!(
        "proctor-ssh-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    Ok(dir)
}
use std::os::unix::fs::DirBuilderExt;

fn spawn(argv: &[String], session: &str) -> std::io::Result<Child> {
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env(crate::engine::tree::SESSION_VAR, session)
        .process_group(0);
    // SAFETY: prctl with integer arguments is async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            Ok(())
        });
    }
    c.spawn()
}

/// What an exited `ssh` wrote on stderr (bounded), as one line.
fn why(child: &mut Child, code: Option<i32>) -> String {
    let mut text = String::new();
    if let Some(mut e) = child.stderr.take() {
        // It exited: its end of the pipe is closed, unless a proxy command
        // holds it; don't wait for that.
        use std::os::fd::AsRawFd;
        // SAFETY: setting O_NONBLOCK on a pipe we own.
        unsafe { libc::fcntl(e.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let mut buf = vec![0; 4096];
        if let Ok(n) = e.read(&mut buf) {
            text = String::from_utf8_lossy(&buf[..n]).into_owned();
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match (text.is_empty(), code) {
        (false, _) => text,
        (true, Some(c)) => format!("ssh exited with {c}"),
        (true, None) => "ssh was killed".to_string(),
    }
}

impl Hosts {
    pub fn none() -> Self {
        Self {
            hosts: Vec::new(),
            ssh_options: Vec::new(),
            dir: None,
        }
    }

    /// Starts a master for every host but `local`.
    pub fn connect(list: &[HostSlots], ssh_options: &[String], session: &str) -> Result<Self, String> {
        let dir = if list.iter().any(|h| h.host.is_some()) {
            Some(private_dir()?)
        } else {
            None
        };
        let mut hosts = Vec::new();
        for (i, h) in list.iter().enumerate() {
            let control = dir.as_ref().map(|d| d.join(format!("h{i}"))).unwrap_or_default();
            let state = match h.destination() {
                None => State::Here,
                Some(dest) => {
                    let argv = argv::master_argv(&dest, ssh_options, &control.to_string_lossy());
                    match spawn(&argv, session) {
                        Ok(c) => State::Connecting(c),
                        Err(e) => State::Down(format!("cannot run ssh: {e}")),
                    }
                }
            };
            hosts.push(Host {
                label: h.label(),
                dest: h.destination(),
                control,
                state,
                since: Instant::now(),
            });
        }
        Ok(Self {
            hosts,
            ssh_options: ssh_options.to_vec(),
            dir,
        })
    }

    pub fn label(&self, h: usize) -> &str {
        self.hosts.get(h).map_or("", |x| x.label.as_str())
    }
    pub fn ready(&self, h: usize) -> bool {
        self.hosts
            .get(h)
            .is_some_and(|x| matches!(x.state, State::Here | State::Up(_)))
    }
    pub fn down(&self, h: usize) -> bool {
        self.hosts
            .get(h)
            .is_none_or(|x| matches!(x.state, State::Down(_)))
    }
    /// Why host `h` is down, if it is.
    pub fn why_down(&self, h: usize) -> Option<&str> {
        match &self.hosts.get(h)?.state {
            State::Down(why) => Some(why),
            _ => None,
        }
    }
    pub fn remote(&self, h: usize) -> bool {
        self.hosts.get(h).is_some_and(|x| x.dest.is_some())
    }
    pub fn any_connecting(&self) -> bool {
        self.hosts.iter().any(|x| matches!(x.state, State::Connecting(_)))
    }
    pub fn any_usable(&self) -> bool {
        self.hosts.iter().any(|x| !matches!(x.state, State::Down(_)))
    }

    /// `ssh` for one worker slot on host `h`.
    pub fn worker_argv(&self, h: usize, remote_line: &str) -> Option<Vec<String>> {
        let x = self.hosts.get(h)?;
        let dest = x.dest.as_ref()?;
        Some(argv::ssh_argv(
            dest,
            &self.ssh_options,
            &x.control.to_string_lossy(),
            remote_line,
        ))
    }

    /// Looks at every master: which came up, which went down.
    pub fn poll(&mut self) -> Vec<Change> {
        let mut out = Vec::new();
        for (i, x) in self.hosts.iter_mut().enumerate() {
            let state = std::mem::replace(&mut x.state, State::Here);
            x.state = match state {
                State::Connecting(mut c) => match c.try_wait() {
                    Ok(Some(st)) => {
                        let why = why(&mut c, st.code());
                        out.push(Change::Down(i, format!("cannot connect: {why}")));
                        State::Down(why)
                    }
                    _ if x.control.exists() => {
                        out.push(Change::Up);
                        State::Up(c)
                    }
                    _ if x.since.elapsed() > NO_SOCKET_LIMIT => {
                        let _ = c.kill();
                        let _ = c.wait();
                        let why = format!(
                            "ssh made no control socket in {} s: Proctor shares one connection per host, so `ssh_options` or the ssh config must not turn off ControlMaster or ControlPath",
                            NO_SOCKET_LIMIT.as_secs()
                        );
                        out.push(Change::Down(i, why.clone()));
                        State::Down(why)
                    }
                    _ => State::Connecting(c),
                },
                State::Up(mut c) => match c.try_wait() {
                    Ok(Some(st)) => {
                        let why = why(&mut c, st.code());
                        out.push(Change::Down(i, format!("connection lost: {why}")));
                        State::Down(why)
                    }
                    _ => State::Up(c),
                },
                s => s,
            };
        }
        out
    }

    /// A worker found its host gone before the master did.
    pub fn mark_down(&mut self, h: usize, why: &str) -> bool {
        let Some(x) = self.hosts.get_mut(h) else {
            return false;
        };
        match std::mem::replace(&mut x.state, State::Down(why.to_string())) {
            State::Connecting(c) | State::Up(c) => {
                end_master(c, x.dest.as_deref(), &x.control, &self.ssh_options);
                true
            }
            State::Down(w) => {
                x.state = State::Down(w);
                false
            }
            State::Here => {
                x.state = State::Here;
                false
            }
        }
    }

    /// Ends every master (`ssh -O exit`, then a signal) and removes the
    /// control folder.
    pub fn close(&mut self) {
        for x in &mut self.hosts {
            if let State::Connecting(c) | State::Up(c) =
                std::mem::replace(&mut x.state, State::Down("closed".into()))
            {
                end_master(c, x.dest.as_deref(), &x.control, &self.ssh_options);
            }
        }
        if let Some(d) = self.dir.take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        self.close();
    }
}

/// Waits for a child up to `d`; true if it was reaped.
fn wait_for(c: &mut Child, d: Duration) -> bool {
    let until = Instant::now() + d;
    loop {
        if let Ok(Some(_)) = c.try_wait() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn end_master(mut c: Child, dest: Option<&str>, control: &std::path::Path, opts: &[String]) {
    if let (Some(dest), true) = (dest, control.exists()) {
        let a = argv::exit_argv(dest, opts, &control.to_string_lossy());
        if let Ok(mut x) = Command::new(&a[0])
            .args(&a[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            if !wait_for(&mut x, Duration::from_secs(1)) {
                let _ = x.kill();
                let _ = x.wait();
            }
        }
    }
    if wait_for(&mut c, Duration::from_millis(500)) {
        return;
    }
    // SAFETY: the master leads its own group; its pid is unreaped.
    unsafe { libc::kill(-(c.id() as i32), libc::SIGTERM) };
    if !wait_for(&mut c, Duration::from_millis(500)) {
        let _ = c.kill();
        let _ = c.wait();
    }
}
