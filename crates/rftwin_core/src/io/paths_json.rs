//! Paths as JSON in the layout of Sionna RT's path exports (`a` in the Sionna
//! convention), for plotting and comparison outside Rust.
//!
//! ```json
//! { "frequency_hz": 28e9, "num_paths": 13, "dropped_candidates": 0, "stats": { … },
//!   "paths": [ { "tau_s": …, "a_re": …, "a_im": …, "interactions": ["specular"],
//!                "objects": ["building_3"], "primitives": [412], "vertices": [[x, y, z]],
//!                "theta_t": …, "phi_t": …, "theta_r": …, "phi_r": … } ],
//!   "ris_paths": [ { "ris": 0, "incoming": ["wall"], "outgoing": [], "vertex": [x, y, z],
//!                    "second": null, "terms": 576, "tau_min_s": …, "tau_max_s": …,
//!                    "response_re": …, "response_im": … } ] }
//! ```
//! `second` is `{ "ris": 1, "middle": ["wall"], "vertex": [x, y, z] }` for a family
//! through two RIS interactions (then `outgoing` follows the second RIS).

use crate::antenna::theta_phi;
use crate::error::Result;
use crate::paths::Paths;
use serde_json::{json, Value};
use std::path::Path;

/// The paths and the solve's statistics as a JSON value.
pub fn to_json(paths: &Paths) -> Value {
    let list: Vec<Value> = (0..paths.num_paths())
        .map(|i| {
            let p = paths.path(i);
            let (theta_t, phi_t) = theta_phi(p.k_tx);
            let (theta_r, phi_r) = theta_phi(p.k_rx);
            json!({
                "tau_s": p.tau,
                "a_re": p.a.re,
                "a_im": p.a.im,
                "interactions": p.interactions.iter().map(|t| t.name()).collect::<Vec<_>>(),
                "objects": paths.object_names_of(i),
                "primitives": p.primitives,
                "vertices": p.vertices.iter().map(|v| [v.x, v.y, v.z]).collect::<Vec<_>>(),
                "theta_t": theta_t, "phi_t": phi_t, "theta_r": theta_r, "phi_r": phi_r,
            })
        })
        .collect();
    let s = &paths.stats;
    json!({
        "frequency_hz": paths.frequency_hz,
        "num_paths": paths.num_paths(),
        "dropped_candidates": s.dropped_candidates,
        "stats": {
            "rays_launched": s.rays_launched,
            "candidates": s.candidates,
            "rejected_candidates": s.rejected_candidates,
            "duplicate_paths": s.duplicate_paths,
            "wedges": s.wedges,
            "non_manifold_edges": s.non_manifold_edges,
            "contact_edges": s.contact_edges,
            "diffraction_candidates": s.diffraction_candidates,
            "rejected_diffraction_candidates": s.rejected_diffraction_candidates,
            "non_finite_paths": s.non_finite_paths,
            "zero_paths": s.zero_paths,
            "tx_inside_object": s.tx_inside.and_then(|o| paths.object_names.get(o as usize)),
            "rx_inside_object": s.rx_inside.and_then(|o| paths.object_names.get(o as usize)),
        },
        "paths": list,
        "ris_paths": paths.ris_paths.iter().map(|p| {
            let h = paths.ris_response(p, paths.frequency_hz);
            let names = |objects: &[u32]| objects.iter().map(|&o| paths.object_names.get(o as usize).map_or("?", |s| s.as_str())).collect::<Vec<_>>();
            let delays = p.terms.iter().map(|t| t.tau);
            json!({
                "ris": p.ris,
                "incoming": names(&p.incoming),
                "outgoing": names(&p.outgoing),
                "vertex": [p.vertex.x, p.vertex.y, p.vertex.z],
                "second": p.second.as_ref().map(|q| json!({"ris": q.ris, "middle": names(&q.middle), "vertex": [q.vertex.x, q.vertex.y, q.vertex.z]})),
                "terms": p.terms.len(),
                "tau_min_s": delays.clone().fold(f64::INFINITY, f64::min),
                "tau_max_s": delays.fold(f64::NEG_INFINITY, f64::max),
                "response_re": h.re,
                "response_im": h.im,
            })
        }).collect::<Vec<_>>(),
        "ris_blocked_paths": s.ris_blocked_paths,
        "ris_hidden_terms": s.ris_hidden_terms,
    })
}

/// Writes the paths ([`to_json`]) to `path` ([`crate::io::write_json_atomic`]).
pub fn write_paths(path: &Path, paths: &Paths) -> Result<()> {
    crate::io::write_json_atomic(path, &to_json(paths))
}
