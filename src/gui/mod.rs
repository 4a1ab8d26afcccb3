//! The desktop app (its own issue); for now it reports that it is missing.

use std::path::PathBuf;

pub fn run(_session: Option<PathBuf>, _start: bool) -> anyhow::Result<()> {
    anyhow::bail!("the desktop app is not built yet; use `proctor run SESSION.toml`")
}
