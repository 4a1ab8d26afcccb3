//! Where a pool's workers run: on this machine (the default), on SSH hosts
//! (`hosts = ["local:2", "build1:8", "user@build2:4"]`), or as Slurm job
//! steps (`slurm = { partition = "debug", ... }`). Pure parsing and
//! checking, shared by the session file and the pool form.

/// Most worker slots one host may have.
pub const MAX_SLOTS: u32 = 1024;
/// The longest host name taken (DNS names have at most 253 characters).
pub const MAX_HOST_CHARS: usize = 255;
/// Most hosts one pool may list.
pub const MAX_HOSTS: usize = 4096;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// Every worker is a child of this machine.
    #[default]
    Local,
    /// Worker slots spread over hosts, each reached through OpenSSH (or
    /// this machine for `local`).
    Hosts {
        hosts: Vec<HostSlots>,
        /// Passed to every `ssh` before Proctor's own options.
        ssh_options: Vec<String>,
    },
    /// Each input is one Slurm job step (`srun`).
    Slurm(SlurmSpec),
}

impl Placement {
    /// The worker slots it defines, if it fixes their number (`hosts`).
    pub fn slots(&self) -> Option<u32> {
        match self {
            Placement::Hosts { hosts, .. } => {
                Some(hosts.iter().map(|h| h.slots).fold(0u32, u32::saturating_add))
            }
            _ => None,
        }
    }
    pub fn is_local(&self) -> bool {
        matches!(self, Placement::Local)
    }
}

/// One entry of `hosts`: `[user@]host[:slots]`, or `local[:slots]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostSlots {
    pub user: Option<String>,
    /// `None`: this machine (`local`).
    pub host: Option<String>,
    pub slots: u32,
}

impl HostSlots {
    /// What `ssh` is given: `user@host` or `host`.
    pub fn destination(&self) -> Option<String> {
        let h = self.host.as_ref()?;
        Some(match &self.user {
            Some(u) => format!("{u}@{h}"),
            None => h.clone(),
        })
    }
    /// How it is shown: `local`, `host` or `user@host`.
    pub fn label(&self) -> String {
        self.destination().unwrap_or_else(|| "local".into())
    }
}

impl std::fmt::Display for HostSlots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = self.host.as_deref().map(|h| {
            if h.contains(':') {
                format!("[{h}]")
            } else {
                h.to_string()
            }
        });
        match (&self.user, host) {
            (Some(u), Some(h)) => write!(f, "{u}@{h}:{}", self.slots),
            (None, Some(h)) => write!(f, "{h}:{}", self.slots),
            _ => write!(f, "local:{}", self.slots),
        }
    }
}

/// `slurm = { partition, cpus_per_task, time, extra }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlurmSpec {
    pub partition: Option<String>,
    pub cpus_per_task: u32,
    /// Slurm's time limit text (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH:MM`...).
    pub time: Option<String>,
    /// More `srun` options, passed as they are.
    pub extra: Vec<String>,
}

impl Default for SlurmSpec {
    fn default() -> Self {
        Self {
            partition: None,
            cpus_per_task: 1,
            time: None,
            extra: Vec::new(),
        }
    }
}

fn word(what: &str, s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if s.starts_with('-') {
        return Err(format!("the {what} `{}` starts with `-`", shown(s)));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the {what} `{}` has a space or a control character",
            shown(s)
        ));
    }
    Ok(())
}

fn shown(s: &str) -> String {
    let mut t: String = s.chars().take(40).flat_map(char::escape_default).collect();
    if s.chars().count() > 40 {
        t.push('\u{2026}');
    }
    t
}

/// One entry of `hosts`.
pub fn host_slots(text: &str) -> Result<HostSlots, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("a host is empty: write `host`, `host:SLOTS`, `user@host:SLOTS` or `local:SLOTS`".into());
    }
    let (user, host, slots) = split_entry(t)?;
    let slots = match slots {
        None => 1,
        // Digits only: `+2` is no way to write 2.
        Some(s) => match s
            .parse::<u64>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(())
        {
            Ok(n) if (1..=MAX_SLOTS as u64).contains(&n) => n as u32,
            Ok(n) => {
                return Err(format!(
                    "`{}`: {n} slots is out of range: use 1 to {MAX_SLOTS}",
                    shown(t)
                ))
            }
            Err(_) => {
                return Err(format!(
                    "`{}`: the slots `{}` are not a whole number (1 to {MAX_SLOTS})",
                    shown(t),
                    shown(s)
                ))
            }
        },
    };
    Ok(HostSlots { user, host, slots })
}

/// A task's `host`: `host`, `user@host` or `[v6::addr]`, checked as a
/// pool's host is; `None` for `local` (this machine).
pub fn task_host(text: &str) -> Result<Option<HostSlots>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the host is empty: write `host` or `user@host` (leave `host` out to run here)".into());
    }
    let (user, host, slots) = split_entry(t)?;
    if slots.is_some() {
        return Err(format!(
            "`{}`: a task runs once on its host: write it without `:SLOTS`",
            shown(t)
        ));
    }
    Ok(host.map(|h| HostSlots {
        user,
        host: Some(h),
        slots: 1,
    }))
}

/// An entry in pieces: user, host (`None`: `local`), slots as written.
type Entry<'a> = (Option<String>, Option<String>, Option<&'a str>);

/// `[user@]host[:slots]` in pieces, the user and host checked.
fn split_entry(t: &str) -> Result<Entry<'_>, String> {
    let (user, rest) = match t.split_once('@') {
        Some((u, r)) => {
            word("user", u)?;
            (Some(u.to_string()), r)
        }
        None => (None, t),
    };
    // `[v6::addr]:slots`, `host:slots` or `host`.
    let (host, slots) = if let Some(r) = rest.strip_prefix('[') {
        let (h, after) = r
            .split_once(']')
            .ok_or_else(|| format!("`{}`: `[` without `]`", shown(t)))?;
        match after {
            "" => (h, None),
            a => (
                h,
                Some(
                    a.strip_prefix(':')
                        .ok_or_else(|| format!("`{}`: expected `:SLOTS` after `]`", shown(t)))?,
                ),
            ),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, s)) if !h.contains(':') => (h, Some(s)),
            Some(_) => return Err(format!("`{}`: write an IPv6 address as `[ADDR]:SLOTS`", shown(t))),
            None => (rest, None),
        }
    };
    word("host", host)?;
    if host.contains('@') {
        return Err(format!(
            "`{}`: the host `{}` has an `@`: write `user@host`, with one `@`",
            shown(t),
            shown(host)
        ));
    }
    if host.chars().count() > MAX_HOST_CHARS {
        return Err(format!(
            "`{}`: the host is {} characters long; a host name (or ssh_config alias) has at most {MAX_HOST_CHARS}",
            shown(t),
            host.chars().count()
        ));
    }
    if host != "local" && host.eq_ignore_ascii_case("local") {
        return Err(format!("`{}`: this machine is `local`, in lower case", shown(t)));
    }
    if host == "local" {
        if user.is_some() {
            return Err(format!("`{}`: `local` takes no user", shown(t)));
        }
        return Ok((None, None, slots));
    }
    Ok((user, Some(host.to_string()), slots))
}

/// A task's host as written back: `host`, `user@host` or `[v6::addr]`.
pub fn task_host_text(h: &HostSlots) -> String {
    let s = h.to_string();
    match s.rsplit_once(':') {
        Some((head, _)) if h.host.is_some() => head.to_string(),
        _ => s,
    }
}

/// What a task's `host` cannot go with, as (field, why): `ssh_options`
/// without a host, and a terminal or a stdin pipe with one (the remote
/// side has neither).
pub fn task_host_conflicts(
    host: bool,
    ssh_options: bool,
    pty: bool,
    stdin: bool,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !host && ssh_options {
        out.push(("ssh_options", "`ssh_options` needs `host`".to_string()));
    }
    if host && pty {
        out.push((
            "pty",
            "a task on an SSH host runs without a terminal: leave `pty` out".to_string(),
        ));
    }
    if host && stdin {
        out.push((
            "stdin",
            "a task on an SSH host takes no input: leave `stdin` out".to_string(),
        ));
    }
    out
}

/// `ssh_options` (of a task or a pool): each a word ssh is given as it is,
/// except those that would undo the connection sharing Proctor runs (one
/// master per host, its socket in Proctor's own folder): a master that
/// makes no socket would leave the work waiting for it.
pub fn ssh_options(items: &[String]) -> Result<Vec<String>, String> {
    if let Some(o) = items
        .iter()
        .find(|o| o.is_empty() || o.chars().any(char::is_control))
    {
        return Err(format!(
            "the ssh option `{}` is empty or has a control character",
            shown(o)
        ));
    }
    if let Some(o) = items.iter().find(|o| shares_connection(o)) {
        return Err(format!(
            "the ssh option `{}` changes the connection sharing Proctor runs itself (ControlMaster, ControlPath, ControlPersist, -M, -S): leave it out",
            shown(o)
        ));
    }
    if let Some(why) = super::ssh_words::problem(items) {
        return Err(why);
    }
    Ok(items.to_vec())
}

/// A word as an error message shows it (cut, escaped).
pub(super) fn shown_word(s: &str) -> String {
    shown(s)
}

/// Whether an ssh word sets the connection sharing: `-M`, `-S...`, or a
/// `Control...` option (as `-oControlPath=none` or the word after `-o`).
fn shares_connection(word: &str) -> bool {
    let w = word.trim_start();
    let option = w
        .strip_prefix("-o")
        .unwrap_or(w)
        .trim_start()
        .to_ascii_lowercase();
    ["controlmaster", "controlpath", "controlpersist"]
        .iter()
        .any(|k| option.starts_with(k))
        || w == "-M"
        || w.starts_with("-S")
}

/// The whole `hosts` list; an empty list is an error (leave it out to run
/// locally).
pub fn hosts(items: &[String]) -> Result<Vec<HostSlots>, String> {
    if items.is_empty() {
        return Err("the list of hosts is empty: leave `hosts` out to run on this machine".into());
    }
    if items.len() > MAX_HOSTS {
        return Err(format!("{} hosts: at most {MAX_HOSTS}", items.len()));
    }
    let list = items
        .iter()
        .map(|h| host_slots(h))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = std::collections::HashSet::new();
    for h in &list {
        if !seen.insert(h.label()) {
            return Err(format!(
                "`{}` is listed twice: give it more slots instead",
                h.label()
            ));
        }
    }
    Ok(list)
}

/// The hosts as the form shows them: `a:2, user@b:4`.
pub fn hosts_text(hosts: &[HostSlots]) -> String {
    hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(", ")
}

/// The form's text field: hosts separated by commas or spaces.
pub fn parse_hosts_text(text: &str) -> Result<Vec<HostSlots>, String> {
    let items: Vec<String> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    hosts(&items)
}

/// A Slurm partition name.
pub fn partition(s: &str) -> Result<String, String> {
    word("partition", s)?;
    Ok(s.to_string())
}

/// A Slurm time limit: digits with `:` and `-` as Slurm writes them.
pub fn slurm_time(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 16
        && s.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '-')
        && s.chars().next().is_some_and(|c| c.is_ascii_digit())
        && s.chars().last().is_some_and(|c| c.is_ascii_digit());
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{}` is not a Slurm time limit (e.g. `30`, `00:10:00`, `1-00:00:00`)",
            shown(s)
        ))
    }
}

/// `cpus_per_task`: 1 to 4096.
pub fn cpus_per_task(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=4096).contains(&n) => Ok(n as u32),
        Ok(n) => Err(format!("{n} is out of range: use 1 to 4096")),
        Err(_) => Err(format!("`{}` is not a whole number (1 to 4096)", shown(s))),
    }
}

#[cfg(test)]
#[path = "placement_tests.rs"]
mod tests;
