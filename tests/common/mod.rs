//! Helpers shared by the cross-crate tests.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use rftwin::core::Paths;
use serde_json::Value;
use std::path::PathBuf;

/// `tests/golden/...` inside the repository.
pub fn golden(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(rel)
}

/// The shared reference folder `../shared/reference` beside the checkout. Tests that
/// need it fail (not skip) when it is missing, naming the path.
pub fn shared_reference(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference").join(rel);
    assert!(p.exists(), "reference data missing: {} (the shared/ folder must sit beside the checkout)", p.display());
    p
}

pub fn load_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Signature of a path: interaction types and object names.
pub fn signature(types: &[String], objects: &[String]) -> String {
    types.iter().zip(objects).map(|(t, o)| format!("{t}@{o}")).collect::<Vec<_>>().join(",")
}

pub struct RefPath {
    pub tau: f64,
    pub a: num_complex::Complex64,
    pub sig: String,
    pub vertices: Vec<[f64; 3]>,
}

pub fn reference_paths(doc: &Value) -> Vec<RefPath> {
    doc["paths"]
        .as_array()
        .expect("paths array")
        .iter()
        .map(|p| {
            let strs = |k: &str| -> Vec<String> {
                p[k].as_array().expect(k).iter().map(|v| v.as_str().expect("string").to_string()).collect()
            };
            RefPath {
                tau: p["tau_s"].as_f64().expect("tau"),
                a: num_complex::Complex64::new(p["a_re"].as_f64().expect("a_re"), p["a_im"].as_f64().expect("a_im")),
                sig: signature(&strs("interaction_types"), &strs("objects")),
                vertices: p["vertices"]
                    .as_array()
                    .expect("vertices")
                    .iter()
                    .map(|v| {
                        let a = v.as_array().expect("vertex");
                        [a[0].as_f64().expect("x"), a[1].as_f64().expect("y"), a[2].as_f64().expect("z")]
                    })
                    .collect(),
            }
        })
        .collect()
}

pub fn our_signature(paths: &Paths, i: usize) -> String {
    let p = paths.path(i);
    let types: Vec<String> = p.interactions.iter().map(|t| t.name().to_string()).collect();
    let objects: Vec<String> = paths.object_names_of(i).iter().map(|s| s.to_string()).collect();
    signature(&types, &objects)
}

/// Asserts that `paths` holds exactly the reference paths: same signatures, τ within
/// `tau_rel`, `a` within `a_rel` (relative to |a_ref|), vertices within `vert_m`.
pub fn assert_paths_match(label: &str, paths: &Paths, refs: &[RefPath], tau_rel: f64, a_rel: f64, vert_m: f64) {
    assert_paths_match_with(label, paths, refs, tau_rel, |_| a_rel, vert_m)
}

/// [`assert_paths_match`] with the coefficient tolerance chosen per reference signature.
pub fn assert_paths_match_with(label: &str, paths: &Paths, refs: &[RefPath], tau_rel: f64, a_rel_of: impl Fn(&str) -> f64, vert_m: f64) {
    let mut ours: Vec<(String, usize)> = (0..paths.num_paths()).map(|i| (our_signature(paths, i), i)).collect();
    let mut report = Vec::new();
    let mut used = vec![false; ours.len()];
    for r in refs {
        // Among our paths with the same signature, take the closest in delay.
        let best = ours
            .iter()
            .enumerate()
            .filter(|(k, (s, _))| !used[*k] && *s == r.sig)
            .min_by(|a, b| (paths.tau[a.1 .1] - r.tau).abs().total_cmp(&(paths.tau[b.1 .1] - r.tau).abs()));
        let Some((k, &(_, i))) = best else {
            report.push(format!("missing path {} (tau {:.9e})", r.sig, r.tau));
            continue;
        };
        used[k] = true;
        let p = paths.path(i);
        let tau_err = (p.tau - r.tau).abs() / r.tau;
        let a_err = (p.a - r.a).norm() / r.a.norm();
        let v_err = p
            .vertices
            .iter()
            .zip(&r.vertices)
            .map(|(v, w)| (*v - glam::DVec3::from_array(*w)).length())
            .fold(0.0, f64::max);
        if tau_err > tau_rel || a_err > a_rel_of(&r.sig) || v_err > vert_m {
            report.push(format!(
                "{}: tau {:.9e} vs {:.9e} (rel {tau_err:.2e}), a {:.6e} vs {:.6e} (rel {a_err:.2e}), vertex error {v_err:.2e} m",
                r.sig, p.tau, r.tau, p.a, r.a
            ));
        }
    }
    for (k, (s, i)) in ours.drain(..).enumerate() {
        if !used[k] {
            report.push(format!("extra path {s} (tau {:.9e}, |a| {:.3e})", paths.tau[i], paths.a[i].norm()));
        }
    }
    assert!(report.is_empty(), "{label}: {} problems:\n{}", report.len(), report.join("\n"));
}

/// Whether a GPU adapter exists (printing it). Without one: prints
/// `SKIPPED: no GPU adapter` and returns false, unless `RFTWIN_REQUIRE_GPU=1`, which
/// turns the skip into a failure.
#[cfg(feature = "gpu")]
pub fn gpu_available() -> bool {
    rftwin::gpu::context::shared_or_skip().is_some()
}

/// Runs a golden-data check on each backend: `for_each_backend!(name, check)` defines a
/// module `name` with tests `cpu` and `gpu` calling `check(BackendChoice::…)`; the GPU
/// one is skipped (reporting it) without an adapter, unless `RFTWIN_REQUIRE_GPU=1`.
#[macro_export]
macro_rules! for_each_backend {
    ($name:ident, $check:path) => {
        mod $name {
            #[test]
            fn cpu() {
                $check(rftwin::BackendChoice::Cpu);
            }
            #[cfg(feature = "gpu")]
            #[test]
            fn gpu() {
                if super::common::gpu_available() {
                    $check(rftwin::BackendChoice::Gpu);
                }
            }
        }
    };
}
