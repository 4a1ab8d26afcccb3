//! The session's CPU and memory by task, stacked: every process's series
//! put into common time buckets and added up per task (a pool's workers
//! count as their pool). A sample holds until the next one (or the end of
//! its run), so a plot finer than the sampling has no gaps. The largest groups are kept, the rest is `other`.

use super::fold::Pictures;

/// Groups shown by name; the rest are added up as `other`.
pub const MAX_GROUPS: usize = 8;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    pub name: String,
    /// Percent of one CPU, per bucket.
    pub cpu: Vec<f32>,
    /// Resident memory, kB, per bucket.
    pub rss_kb: Vec<u64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stack {
    pub t0: f64,
    /// Seconds per bucket.
    pub step: f64,
    pub groups: Vec<Group>,
}

/// `buckets` buckets over `[t0, t1]`. In each, a process counts with its
/// mean CPU and its highest memory of the samples that fall in it.
pub fn stacked(p: &Pictures, t0: f64, t1: f64, buckets: usize) -> Stack {
    let buckets = buckets.clamp(1, 4096);
    let step = ((t1 - t0) / buckets as f64).max(1e-3);
    let mut groups: Vec<Group> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut sum = vec![0f32; buckets];
    let mut n = vec![0u32; buckets];
    let mut max = vec![0u64; buckets];
    for lane in &p.procs {
        if lane.series.is_empty() {
            continue;
        }
        sum.iter_mut().for_each(|x| *x = 0.0);
        n.iter_mut().for_each(|x| *x = 0);
        max.iter_mut().for_each(|x| *x = 0);
        // Each sample holds until the next one, or the end of its run.
        let pts: Vec<_> = lane.series.points().collect();
        for (k, pt) in pts.iter().enumerate() {
            let run_end = lane
                .runs
                .iter()
                .rev()
                .find(|r| r.start <= pt.t)
                .map_or(pt.t + 1.0, |r| r.end_or(p.last));
            let until = pts
                .get(k + 1)
                .map_or(run_end, |next| next.t.min(run_end.max(pt.t)));
            let first = ((pt.t - t0) / step).floor().max(0.0);
            // At least its own bucket.
            let last = ((until - t0) / step).ceil().max(first + 1.0).min(buckets as f64);
            if first.is_nan() || last.is_nan() || first >= last {
                continue;
            }
            for b in first as usize..last as usize {
                if pt.cpu.is_finite() {
                    sum[b] += pt.cpu.max(0.0);
                }
                n[b] += 1;
                max[b] = max[b].max(pt.rss_kb);
            }
        }
        let name = lane.pool.clone().unwrap_or_else(|| lane.name.clone());
        let g = *index.entry(name.clone()).or_insert_with(|| {
            groups.push(Group {
                name,
                cpu: vec![0.0; buckets],
                rss_kb: vec![0; buckets],
            });
            groups.len() - 1
        });
        let g = &mut groups[g];
        for b in 0..buckets {
            if n[b] > 0 {
                g.cpu[b] += sum[b] / n[b] as f32;
                g.rss_kb[b] = g.rss_kb[b].saturating_add(max[b]);
            }
        }
    }
    let weight = |g: &Group| {
        g.rss_kb.iter().map(|&k| k as f64).sum::<f64>()
            + g.cpu.iter().map(|&c| f64::from(c) * 1e4).sum::<f64>()
    };
    groups.sort_by(|a, b| weight(b).total_cmp(&weight(a)));
    if groups.len() > MAX_GROUPS {
        let rest = groups.split_off(MAX_GROUPS - 1);
        let mut other = Group {
            name: format!("other ({})", rest.len()),
            cpu: vec![0.0; buckets],
            rss_kb: vec![0; buckets],
        };
        for g in rest {
            for b in 0..buckets {
                other.cpu[b] += g.cpu[b];
                other.rss_kb[b] = other.rss_kb[b].saturating_add(g.rss_kb[b]);
            }
        }
        groups.push(other);
    }
    Stack { t0, step, groups }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, ProcSample};
    use crate::pictures::fold::tests_support::at;

    #[test]
    fn processes_add_up_by_task_and_pool() {
        let mut p = Pictures::default();
        p.apply(&at(0, EventKind::Spawned { command: "a".into() }).process("a", Some(1)));
        for (w, pid) in [("p/worker-1", 2), ("p/worker-2", 3)] {
            p.apply(
                &at(0, EventKind::Spawned { command: "w".into() })
                    .process(w, Some(pid))
                    .pool("p", None),
            );
        }
        for s in 1..=4 {
            p.apply(&at(
                s * 1000,
                EventKind::Samples {
                    procs: vec![
                        ProcSample(1, 10.0, 100),
                        ProcSample(2, 50.0, 1000),
                        ProcSample(3, 30.0, 2000),
                    ],
                    trees: vec![],
                },
            ));
        }
        let st = stacked(&p, 0.0, 4.0, 4);
        assert_eq!(st.groups.len(), 2);
        assert_eq!(st.groups[0].name, "p", "the larger first");
        assert_eq!(st.groups[0].cpu[1..], [80.0, 80.0, 80.0]);
        assert_eq!(st.groups[0].rss_kb[2], 3000);
        assert_eq!(st.groups[1].cpu[0], 0.0, "nothing sampled in the first second");
        assert_eq!(st.groups[1].rss_kb[3], 100);
        // Finer than the sampling: each sample holds until the next.
        let fine = stacked(&p, 0.0, 4.0, 40);
        assert!(
            fine.groups[0].cpu[10..40].iter().all(|&c| c == 80.0),
            "{:?}",
            fine.groups[0].cpu
        );
        assert!(fine.groups[0].cpu[..10].iter().all(|&c| c == 0.0));
    }

    #[test]
    fn many_tasks_keep_a_bounded_number_of_groups() {
        let mut p = Pictures::default();
        for i in 0..20u32 {
            p.apply(
                &at(0, EventKind::Spawned { command: "x".into() }).process(&format!("t{i}"), Some(i + 1)),
            );
        }
        let procs = (0..20u32).map(|i| ProcSample(i + 1, 1.0, 10)).collect();
        p.apply(&at(500, EventKind::Samples { procs, trees: vec![] }));
        let st = stacked(&p, 0.0, 1.0, 2);
        assert_eq!(st.groups.len(), MAX_GROUPS);
        assert_eq!(st.groups.last().unwrap().name, "other (13)");
        assert_eq!(
            st.groups.iter().map(|g| g.rss_kb[1]).sum::<u64>(),
            200,
            "the sample at 0.5s is in the second bucket"
        );
        assert!(stacked(&p, 5.0, 1.0, 0).groups.iter().all(|g| g.cpu.len() == 1));
    }
}
