//! Timeline lanes grouped by host: when a session's work ran on more than
//! one host (this machine counts as `local`), the lanes come under a
//! header per host, `local` first, then the others by name; within a host
//! they keep their order (processes, then each pool's workers). A session
//! that ran here only is drawn as before, without headers.

use super::timeline::Lane;

/// What this machine is called in the headers (and in `hosts = [...]`).
pub const LOCAL: &str = "local";

/// A row of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum LaneRow {
    /// The header of a host's lanes: its name and how many lanes follow.
    Host {
        host: String,
        lanes: usize,
    },
    Lane(Lane),
}

/// The host a lane is under.
pub fn host_of(l: &Lane) -> &str {
    l.host.as_deref().unwrap_or(LOCAL)
}

/// The lanes as rows: grouped under a header per host when more than one
/// host is involved, else the lanes as they are.
pub fn group_by_host(lanes: Vec<Lane>) -> Vec<LaneRow> {
    let mut hosts: Vec<&str> = lanes.iter().map(host_of).collect();
    hosts.sort_by(|a, b| (*a != LOCAL, *a).cmp(&(*b != LOCAL, *b)));
    hosts.dedup();
    if hosts.len() < 2 {
        return lanes.into_iter().map(LaneRow::Lane).collect();
    }
    let hosts: Vec<String> = hosts.into_iter().map(String::from).collect();
    let mut groups: Vec<Vec<Lane>> = vec![Vec::new(); hosts.len()];
    for l in lanes {
        // Every lane's host is in `hosts`; the first group is a fallback.
        let g = hosts.iter().position(|h| h == host_of(&l)).unwrap_or(0);
        groups[g].push(l);
    }
    let mut out = Vec::new();
    for (host, group) in hosts.into_iter().zip(groups) {
        out.push(LaneRow::Host {
            host,
            lanes: group.len(),
        });
        out.extend(group.into_iter().map(LaneRow::Lane));
    }
    out
}

/// The header's text: `build1 · 3 lanes`.
pub fn header_text(host: &str, lanes: usize) -> String {
    format!(
        "{host} \u{00b7} {lanes} lane{}",
        if lanes == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pictures::timeline::LaneKey;

    fn lane(i: usize, host: Option<&str>) -> Lane {
        Lane {
            key: LaneKey::Proc(i),
            label: format!("p{i}"),
            pool: None,
            host: host.map(String::from),
        }
    }

    fn shape(rows: &[LaneRow]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                LaneRow::Host { host, lanes } => format!("[{host} {lanes}]"),
                LaneRow::Lane(l) => l.label.clone(),
            })
            .collect()
    }

    #[test]
    fn a_session_on_one_host_has_no_headers() {
        let all = vec![lane(0, None), lane(1, Some("local"))];
        assert_eq!(shape(&group_by_host(all)), ["p0", "p1"]);
        let all = vec![lane(0, Some("b1")), lane(1, Some("b1"))];
        assert_eq!(shape(&group_by_host(all)), ["p0", "p1"]);
        assert!(group_by_host(Vec::new()).is_empty());
    }

    #[test]
    fn lanes_come_under_their_host_local_first_in_their_order() {
        let all = vec![
            lane(0, Some("zeta")),
            lane(1, None),
            lane(2, Some("b1")),
            lane(3, Some("zeta")),
            lane(4, Some("local")),
        ];
        assert_eq!(
            shape(&group_by_host(all)),
            ["[local 2]", "p1", "p4", "[b1 1]", "p2", "[zeta 2]", "p0", "p3"]
        );
        // No local lane: the hosts by name.
        let all = vec![lane(0, Some("u@b")), lane(1, Some("a"))];
        assert_eq!(shape(&group_by_host(all)), ["[a 1]", "p1", "[u@b 1]", "p0"]);
        assert_eq!(header_text("b1", 1), "b1 \u{00b7} 1 lane");
    }

    /// From events: the host a task or worker said it runs on groups its
    /// lane, in the app's rows and in the SVG.
    #[test]
    fn the_pictures_group_what_ran_elsewhere() {
        use crate::event::{Event, EventKind};
        use crate::pictures::timeline::lanes;
        let mut p = crate::pictures::Pictures::default();
        let spawned = |n: &str, pid| {
            Event::now(EventKind::Spawned {
                command: "sleep 1".into(),
            })
            .process(n, Some(pid))
        };
        p.apply(&spawned("here", 10));
        p.apply(&spawned("there", 11));
        let all = group_by_host(lanes(&p));
        assert_eq!(shape(&all), ["here", "there"], "all here: no headers");
        let before = p.hosts_changed;
        p.apply(
            &Event::now(EventKind::WorkerHost {
                host: "build1".into(),
            })
            .process("there", None),
        );
        assert_eq!(p.hosts_changed, before + 1);
        assert_eq!(
            shape(&group_by_host(lanes(&p))),
            ["[local 1]", "here", "[build1 1]", "there"]
        );
        let svg = crate::pictures::svg::svg(&p, false);
        assert!(svg.contains("local \u{00b7} 1 lane"), "{svg}");
        assert!(svg.contains(r#"class="host""#));
        assert!(svg.contains("build1 \u{00b7} 1 lane"));
    }
}
