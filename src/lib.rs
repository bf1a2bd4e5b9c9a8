//! rftwin
