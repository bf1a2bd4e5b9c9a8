//! Interaction chains as codes: a path's interactions, transmitter to receiver, each one
//! `u32`. A specular reflection is the id of its reflecting *plane*
//! ([`super::SceneGeometry::plane`]: coplanar triangles are one mirror, as in Sionna RT);
//! a thin-slab refraction is [`REFRACTION_CODE`].

/// Chain code of a refraction event; any other code is the plane id of a specular reflection.
pub const REFRACTION_CODE: u32 = u32::MAX;
