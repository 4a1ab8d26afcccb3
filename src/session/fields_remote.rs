//! Reading where a pool runs: `hosts`, `ssh_options` and `slurm`.

use super::fields::{scalar_text, Fields};
use super::placement::{self, HostSlots, Placement, SlurmSpec};
use toml::de::DeValue;

impl Fields<'_, '_, '_, '_> {
    /// `hosts` (with `ssh_options`) or `slurm`, not both; `Local` when
    /// neither is given.
    pub(super) fn placement(&mut self) -> Placement {
        let hosts = self.string_list("hosts");
        let ssh_options = self.string_list("ssh_options");
        let slurm = self.slurm();
        match (hosts, slurm) {
            (Some(_), Some(_)) => {
                self.fail_at("slurm", "give either `hosts` or `slurm`, not both");
                Placement::Local
            }
            (Some(list), None) => match placement::hosts(&list) {
                Ok(hosts) => Placement::Hosts {
                    hosts,
                    ssh_options: match ssh_options.map(|o| placement::ssh_options(&o)) {
                        Some(Ok(o)) => o,
                        Some(Err(msg)) => {
                            self.fail_at("ssh_options", msg);
                            Vec::new()
                        }
                        None => Vec::new(),
                    },
                },
                Err(msg) => {
                    self.fail_at("hosts", msg);
                    Placement::Local
                }
            },
            (None, slurm) => {
                if ssh_options.is_some() {
                    self.fail_at("ssh_options", "`ssh_options` needs `hosts`");
                }
                slurm.map(Placement::Slurm).unwrap_or_default()
            }
        }
    }

    /// A task's `host` and `ssh_options`, checked with what they cannot
    /// go with.
    pub(super) fn task_host(&mut self, pty: bool, stdin: bool) -> (Option<HostSlots>, Vec<String>) {
        let mut bad = false;
        let host = match self.get("host") {
            None => None,
            Some(v) => match v.get_ref().as_str().map(placement::task_host) {
                Some(Ok(h)) => h,
                Some(Err(msg)) => {
                    bad = true;
                    self.fail(v.span(), "host", msg);
                    None
                }
                None => {
                    bad = true;
                    let msg = format!(
                        "expected a string like \"user@build2\", found {}",
                        v.get_ref().type_str()
                    );
                    self.fail(v.span(), "host", msg);
                    None
                }
            },
        };
        let has_opts = self.get("ssh_options").is_some();
        let opts = match self
            .string_list("ssh_options")
            .map(|o| placement::ssh_options(&o))
        {
            Some(Ok(o)) => o,
            Some(Err(msg)) => {
                self.fail_at("ssh_options", msg);
                Vec::new()
            }
            None => Vec::new(),
        };
        for (key, msg) in placement::task_host_conflicts(host.is_some() || bad, has_opts, pty, stdin) {
            self.fail_at(key, msg);
        }
        (host, opts)
    }

    fn slurm(&mut self) -> Option<SlurmSpec> {
        let v = self.get("slurm")?;
        let span = v.span();
        let Some(t) = v.get_ref().as_table() else {
            let msg = format!(
                "expected a table like {{ partition = \"debug\" }}, found {}",
                v.get_ref().type_str()
            );
            self.fail(span, "slurm", msg);
            return None;
        };
        let mut spec = SlurmSpec::default();
        let mut ok = true;
        for (k, val) in t.iter() {
            let key = k.get_ref().as_ref();
            let text = scalar_text(val.get_ref()).filter(|_| !matches!(val.get_ref(), DeValue::Boolean(_)));
            let r: Result<(), String> = match (key, text) {
                ("partition", Some(s)) => placement::partition(&s).map(|p| spec.partition = Some(p)),
                ("time", Some(s)) => placement::slurm_time(&s).map(|x| spec.time = Some(x)),
                ("cpus_per_task", Some(s)) => placement::cpus_per_task(&s).map(|n| spec.cpus_per_task = n),
                ("extra", _) => match val.get_ref().as_array() {
                    Some(items) => items
                        .iter()
                        .map(|i| {
                            i.get_ref().as_str().map(String::from).ok_or_else(|| {
                                format!("`extra` holds strings, found {}", i.get_ref().type_str())
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(|e| spec.extra = e),
                    None => Err(format!(
                        "`extra` is a list of strings, found {}",
                        val.get_ref().type_str()
                    )),
                },
                ("partition" | "time" | "cpus_per_task", None) => Err(format!(
                    "`{key}`: expected a string or a number, found {}",
                    val.get_ref().type_str()
                )),
                (other, _) => Err(format!(
                    "unknown key `{other}` (expected partition, cpus_per_task, time, extra)"
                )),
            };
            if let Err(msg) = r {
                self.fail(val.span(), "slurm", msg);
                ok = false;
            }
        }
        ok.then_some(spec)
    }
}
