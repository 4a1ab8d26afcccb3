use clap::Parser;
use proctor::cli::{self, Action, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any handler is installed: what the user's shell ignored stays
    // ignored in the children.
    proctor::engine::dispositions::record_startup_ignored();
    let args = Cli::parse();
    match cli::main(args) {
        Ok(Action::Exit(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        Ok(Action::Gui { session, start }) => match proctor::gui::run(session, start) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        },
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
