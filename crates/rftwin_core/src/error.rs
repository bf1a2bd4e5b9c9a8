//! The error type of `rftwin_core`.

use std::path::PathBuf;

/// Result alias with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when building or loading a scene.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or read.
    // The cause is part of the message and deliberately not a `source`: error
    // reporters that walk the chain (anyhow) would print it twice.
    #[error("cannot read '{path}': {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        cause: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write '{path}': {cause}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        cause: std::io::Error,
    },
    /// A file was read but its content is malformed.
    #[error("malformed {format} file '{path}': {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// File format (`OBJ`, `PLY`, `XML`, `JSON`).
        format: &'static str,
        /// What is wrong, with the line or element where it is known.
        message: String,
    },
    /// A mesh holds invalid geometry.
    #[error("invalid mesh '{mesh}': {message}")]
    InvalidMesh {
        /// Mesh or object name.
        mesh: String,
        /// What is wrong.
        message: String,
    },
    /// A material parameter is out of its physical range.
    #[error("invalid material '{material}': {message}")]
    InvalidMaterial {
        /// Material name.
        material: String,
        /// What is wrong.
        message: String,
    },
    /// A material name is not in the ITU-R P.2040 table nor defined in the scene.
    #[error("unknown material '{name}'{context}; known ITU materials: {known}")]
    UnknownMaterial {
        /// The requested name.
        name: String,
        /// Where it was requested (e.g. " for object 'box'").
        context: String,
        /// Comma-separated list of valid names.
        known: String,
    },
    /// A scene description refers to something that does not exist or is inconsistent.
    #[error("invalid scene: {0}")]
    InvalidScene(String),
    /// A numeric argument is outside its valid range.
    #[error("invalid argument '{name}': {message}")]
    InvalidArgument {
        /// Argument name.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Io { path: path.into(), cause }
    }

    pub(crate) fn write(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Write { path: path.into(), cause }
    }

    pub(crate) fn parse(path: impl Into<PathBuf>, format: &'static str, message: impl Into<String>) -> Self {
        Error::Parse { path: path.into(), format, message: message.into() }
    }
}
