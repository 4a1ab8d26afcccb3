//! Saving a session file: into a folder that still exists (a folder
//! deleted since the file was opened is not made again behind the user's
//! back), keeping the file's mode when it exists.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `text` to `dest` through a temp file and a rename. Refused with
/// a sentence when `dest`'s folder is gone.
pub fn write_session(dest: &Path, text: &str) -> Result<(), String> {
    let dir = match dest.parent() {
        Some(d) if d.as_os_str().is_empty() => Path::new("."),
        Some(d) => d,
        None => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!(
            "not saved: the folder {} no longer exists (File \u{25b8} Save as\u{2026} saves elsewhere)",
            dir.display()
        ));
    }
    let mode = std::fs::metadata(dest)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    let fail = |e: std::io::Error| format!("could not write {}: {e}", dest.display());
    let mut f = crate::journal::export::AtomicFile::create(dest).map_err(fail)?;
    f.writer().write_all(text.as_bytes()).map_err(fail)?;
    if let (Some(mode), Some(tmp)) = (mode, f.temp_path()) {
        std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(mode)).map_err(fail)?;
    }
    f.commit().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gone_folder_is_refused_and_a_files_mode_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.toml");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_session(&file, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o644);
        let gone = dir.path().join("gone");
        std::fs::create_dir(&gone).unwrap();
        std::fs::remove_dir(&gone).unwrap();
        let e = write_session(&gone.join("s.toml"), "x").unwrap_err();
        assert!(e.contains("no longer exists"), "{e}");
        assert!(!gone.exists(), "the folder is not made again");
    }
}
