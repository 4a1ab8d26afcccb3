//! Tests of `placement`.

use super::*;

#[test]
fn host_entries() {
    let h = host_slots("user@build2:4").unwrap();
    assert_eq!(
        (h.user.as_deref(), h.host.as_deref(), h.slots),
        (Some("user"), Some("build2"), 4)
    );
    assert_eq!(h.destination().as_deref(), Some("user@build2"));
    let h = host_slots("build1").unwrap();
    assert_eq!((h.host.as_deref(), h.slots), (Some("build1"), 1));
    let h = host_slots("local:2").unwrap();
    assert_eq!((h.host, h.slots), (None, 2));
    let h = host_slots("[::1]:3").unwrap();
    assert_eq!((h.host.as_deref(), h.slots), (Some("::1"), 3));
    assert_eq!(h.to_string(), "[::1]:3");
}

#[test]
fn bad_host_entries_say_why() {
    assert!(host_slots("").unwrap_err().contains("empty"));
    assert!(host_slots("a:0").unwrap_err().contains("out of range"));
    assert!(host_slots("a:x").unwrap_err().contains("not a whole number"));
    assert!(host_slots("a:99999").unwrap_err().contains("out of range"));
    assert!(host_slots("-oProxyCommand=x")
        .unwrap_err()
        .contains("starts with `-`"));
    assert!(host_slots("@h").unwrap_err().contains("user"));
    assert!(host_slots("u@").unwrap_err().contains("host"));
    assert!(host_slots("u@local").unwrap_err().contains("no user"));
    assert!(host_slots("::1:3").unwrap_err().contains("IPv6"));
    assert!(host_slots("a b").unwrap_err().contains("space"));
    assert!(hosts(&[]).unwrap_err().contains("empty"));
    assert!(hosts(&["a:1".into(), "a:2".into()])
        .unwrap_err()
        .contains("twice"));
}

#[test]
fn task_hosts_are_checked_as_pool_hosts_are() {
    let h = task_host("user@build2").unwrap().unwrap();
    assert_eq!(h.destination().as_deref(), Some("user@build2"));
    assert_eq!(h.label(), "user@build2");
    assert_eq!(task_host("[::1]").unwrap().unwrap().host.as_deref(), Some("::1"));
    assert_eq!(task_host("local").unwrap(), None);
    assert!(host_slots("LOCAL:2").unwrap_err().contains("lower case"));
    assert!(host_slots("b:+2").unwrap_err().contains("not a whole number"));
    assert!(task_host("build1:8").unwrap_err().contains("without `:SLOTS`"));
    assert!(task_host("").unwrap_err().contains("empty"));
    assert!(task_host("-oProxyCommand=x")
        .unwrap_err()
        .contains("starts with `-`"));
    assert!(task_host("u@local").unwrap_err().contains("no user"));
    assert!(task_host("a b").unwrap_err().contains("space"));
    assert_eq!(task_host_text(&task_host("[::1]").unwrap().unwrap()), "[::1]");
    assert_eq!(task_host_text(&task_host("u@b").unwrap().unwrap()), "u@b");
    assert!(ssh_options(&["-p".into(), "22".into()]).is_ok());
    assert!(task_host_conflicts(true, true, false, false).is_empty());
    let c = task_host_conflicts(false, true, true, true);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].0, "ssh_options");
    let c: Vec<&str> = task_host_conflicts(true, false, true, true)
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(c, ["pty", "stdin"]);
    assert!(ssh_options(&["".into()]).is_err());
    for bad in [
        &["-o", "ControlPath=none"][..],
        &["-oControlMaster=no"],
        &["-o", "controlpersist yes"],
        &["-S", "none"],
        &["-Snone"],
        &["-M"],
    ] {
        let words: Vec<String> = bad.iter().map(|w| w.to_string()).collect();
        let e = ssh_options(&words).unwrap_err();
        assert!(e.contains("connection sharing"), "{bad:?}: {e}");
    }
    assert!(ssh_options(&["-o".into(), "ConnectTimeout=3".into(), "-F".into(), "cfg".into()]).is_ok());
}

#[test]
fn form_text_round_trips() {
    let h = parse_hosts_text("local:2, build1:8 user@b2:4").unwrap();
    assert_eq!(hosts_text(&h), "local:2, build1:8, user@b2:4");
    assert_eq!(parse_hosts_text(&hosts_text(&h)).unwrap(), h);
    assert_eq!(
        Placement::Hosts {
            hosts: h,
            ssh_options: vec![]
        }
        .slots(),
        Some(14)
    );
}

#[test]
fn slurm_values() {
    for ok in ["30", "00:10:00", "1-00:00:00", "10:00"] {
        assert_eq!(slurm_time(ok).unwrap(), ok);
    }
    for bad in ["", "ten", "10:", "-5", "1 0"] {
        assert!(slurm_time(bad).is_err(), "{bad}");
    }
    assert_eq!(cpus_per_task("2"), Ok(2));
    assert!(cpus_per_task("0").is_err());
    assert!(partition("de bug").is_err());
    assert!(partition("-p").is_err());
}
