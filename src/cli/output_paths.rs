//! What `proctor run` checks of its output paths before anything starts:
//! none may name the session file, a pool's inputs file or another output.

use super::run::RunArgs;
use crate::session::{InputSource, Session};
use std::path::{Path, PathBuf};

pub(crate) use crate::journal::output::same_file;

/// Outputs must not name the session file or each other.
pub(super) fn check_output_paths(args: &RunArgs, session: &Session) -> std::result::Result<(), String> {
    let outputs = [
        ("--export", &args.export),
        ("--results", &args.results),
        ("--timeline", &args.timeline),
    ];
    // The files a pool reads its inputs from are inputs too.
    let inputs: Vec<(String, PathBuf)> = session
        .pools
        .iter()
        .filter_map(|p| match &p.inputs {
            InputSource::File(f) => Some((p.name.clone(), crate::session::resolve_dir(&p.base_dir, Some(f)))),
            InputSource::List(_) => None,
        })
        .collect();
    for (flag, path) in &outputs {
        if let Some(p) = path {
            if same_file(p, &args.session) {
                return Err(format!(
                    "{flag} {} is the session file; it would be overwritten",
                    p.display()
                ));
            }
            if let Some((pool, _)) = inputs.iter().find(|(_, f)| same_file(p, f)) {
                return Err(format!(
                    "{flag} {} is the inputs file of pool `{pool}`; it would be overwritten",
                    p.display()
                ));
            }
        }
    }
    if let Some(t) = &args.timeline {
        // Drawn as SVG only (a journal or a file of another kind named by
        // mistake is not overwritten with a picture).
        let svg = t.extension().is_some_and(|x| x.eq_ignore_ascii_case("svg"));
        let device = std::fs::metadata(t).is_ok_and(|m| !m.is_file() && !m.is_dir());
        if !svg && !device {
            return Err(format!(
                "--timeline {} must end in .svg (the timeline is drawn as SVG)",
                t.display()
            ));
        }
    }
    // Two streams into one device (/dev/null) are fine; into one file not.
    let device = |p: &Path| {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(p).is_ok_and(|m| m.file_type().is_char_device())
    };
    for (i, (a_flag, a)) in outputs.iter().enumerate() {
        for (b_flag, b) in &outputs[i + 1..] {
            if let (Some(a), Some(b)) = (a, b) {
                if same_file(a, b) && !device(a) {
                    return Err(format!(
                        "{a_flag} and {b_flag} name the same file ({}); give each its own",
                        a.display()
                    ));
                }
            }
        }
    }
    Ok(())
}
