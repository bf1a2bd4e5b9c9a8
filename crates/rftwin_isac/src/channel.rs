//! Free-space hops between points (time factor `e^{+jωt}`: a hop of length d has phase
//! `e^{−jkd}`). The hops themselves are defined once, in `rftwin_core::ris` (the ray tracer's RIS
//! element sum uses them too), and re-exported here.

pub use rftwin_core::ris::{hop, spherical_wave};
