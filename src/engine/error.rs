use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("cannot set up the event loop: {0}")]
    Setup(#[source] std::io::Error),
    #[error("cannot start the supervisor thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("cannot create the session journal in {dir}: {source}")]
    Journal {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the supervisor has stopped")]
    Stopped,
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
