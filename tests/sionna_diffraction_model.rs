//! Why our diffracted amplitudes differ from Sionna RT 2.2.0's, as assertions.
//!
//! `shared/reference/sionna/DIFFRACTION.md` reconstructs the rule Sionna RT 2.2.0 ships
//! (`RadioMaterial._diffraction_matrix`): Kouyoumjian–Pathak terms `d₁…d₄` combined as
//! `J = R₀(d₁ − d₄) + Rₙ(d₂ − d₃)` — the two reflection-boundary terms with the wrong
//! sign — plus a "wide exterior" rule and face terms in the shadow-boundary basis. This
//! test implements that rule and feeds it **our** geometry (the diffraction points,
//! wedges, faces and reflections our solver found): it reproduces the reference file's
//! eight diffracted coefficients to 1e-4, which proves that our wedge geometry, angles,
//! distances and transition function are Sionna's and that the amplitude differences
//! come from the combination rule alone. The same model with the sign corrected is
//! compared with ours (printed; `docs/physics.md`).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use glam::DVec3;
use num_complex::Complex64 as C;
use rftwin::core::dual::V3;
use rftwin::trace::physics::field::{apply_interaction, slab_coefficients, transport, CVec3, FieldInteraction};
use rftwin::trace::physics::utd::{diffraction_spreading, transition};
use rftwin::trace::scene_geometry::wedges::{wedges, Wedge};
use rftwin::{InteractionType, ItuMaterial, PathSolver, Radio, Scene, SceneGeometry, SolverOptions};
use std::f64::consts::PI;

/// Which combination of the four UTD terms.
#[derive(Clone, Copy, PartialEq)]
enum Rule {
    /// Sionna 2.2.0 as shipped: `R₀(d₁ − d₄) + Rₙ(d₂ − d₃)`.
    Shipped,
    /// The same with Kouyoumjian–Pathak's combination: `−(d₁ + d₂) I + R₀ d₄ + Rₙ d₃`.
    Corrected,
}

/// `W(k̂; û → v̂)`: components in the Jones basis `(û, k̂ × û)` to those in `(v̂, k̂ × v̂)`.
fn basis_change(k: DVec3, u: DVec3, v: DVec3) -> [[f64; 2]; 2] {
    let (c, s) = (u.dot(v), k.dot(u.cross(v)));
    [[c, s], [-s, c]]
}

fn mul(a: [[C; 2]; 2], b: [[C; 2]; 2]) -> [[C; 2]; 2] {
    [[a[0][0] * b[0][0] + a[0][1] * b[1][0], a[0][0] * b[0][1] + a[0][1] * b[1][1]], [a[1][0] * b[0][0] + a[1][1] * b[1][0], a[1][0] * b[0][1] + a[1][1] * b[1][1]]]
}

fn complex(m: [[f64; 2]; 2]) -> [[C; 2]; 2] {
    m.map(|r| r.map(|x| C::new(x, 0.0)))
}

/// Sionna 2.2.0's diffraction of field `e` at wedge `w` (DIFFRACTION.md, "Exact rule").
#[allow(clippy::too_many_arguments)]
fn sionna_wedge(e: CVec3, k_i: DVec3, k_o: DVec3, s_in: f64, s_out: f64, w: &Wedge, eta: C, thickness: f64, lambda: f64, rule: Rule) -> CVec3 {
    // face 0 is the face whose outward normal opposes k̂ᵢ; swapping reverses ê so that
    // t̂₀ = n̂₀ × ê still points into face 0
    let (mut n0, mut nn, mut edge) = (w.normals[0], w.normals[1], w.edge);
    if k_i.dot(n0) > 0.0 {
        (n0, nn, edge) = (nn, n0, -edge);
    }
    let n = (2.0 * PI - (-n0.dot(nn)).clamp(-1.0, 1.0).acos()) / PI;
    let sin_b = (1.0 - k_i.dot(edge).abs().powi(2)).max(0.0).sqrt();
    let t0 = n0.cross(edge);
    let angle = |d: DVec3| {
        let p = d.dot(n0).atan2(d.dot(t0));
        if p < 0.0 {
            p + 2.0 * PI
        } else {
            p
        }
    };
    let (phi_in, phi_out) = (angle(-k_i), angle(k_o));
    let k = 2.0 * PI / lambda;
    let kl = k * s_in * s_out * sin_b * sin_b / (s_in + s_out);
    let f = -C::from_polar(1.0, -PI / 4.0) / (2.0 * n * (2.0 * PI * k).sqrt() * sin_b);
    let a = |beta: f64, sign: f64| {
        let big_n = ((beta + sign * PI) / (2.0 * n * PI)).round();
        2.0 * (n * PI * big_n - beta / 2.0).cos().powi(2)
    };
    let term = |beta: f64, sign: f64| f * (1.0 / ((PI + sign * beta) / (2.0 * n)).tan()) * transition(kl * a(beta, sign));
    let (minus, plus) = (phi_out - phi_in, phi_out + phi_in);
    let (d1, d2, d3, d4) = (term(minus, 1.0), term(minus, -1.0), term(plus, 1.0), term(plus, -1.0));
    // face matrices in the shadow-boundary bases, at each face's incidence angle
    let phi_hat_in = k_i.cross(edge).normalize();
    let phi_hat_out = edge.cross(k_o).normalize();
    let face = |normal: DVec3| {
        let c = slab_coefficients(eta, thickness, lambda, k_i.dot(normal).abs());
        let s = k_i.cross(normal).normalize();
        let k_sb = k_i - 2.0 * k_i.dot(normal) * normal;
        let phi_sb = edge.cross(k_sb).normalize();
        let r = [[c.r_te, C::new(0.0, 0.0)], [C::new(0.0, 0.0), c.r_tm]];
        mul(complex(basis_change(k_sb, s, phi_sb)), mul(r, complex(basis_change(k_i, phi_hat_in, s))))
    };
    let r0 = face(n0);
    let minus_identity = [[C::new(-1.0, 0.0), C::new(0.0, 0.0)], [C::new(0.0, 0.0), C::new(-1.0, 0.0)]];
    // the "wide exterior" rule
    let rn = if n * PI > PI + phi_in { minus_identity } else { face(nn) };
    let j: [[C; 2]; 2] = std::array::from_fn(|r| {
        std::array::from_fn(|c| match rule {
            Rule::Shipped => r0[r][c] * (d1 - d4) + rn[r][c] * (d2 - d3),
            Rule::Corrected => minus_identity[r][c] * (d1 + d2) + r0[r][c] * d4 + rn[r][c] * d3,
        })
    });
    let b_in = [phi_hat_in, k_i.cross(phi_hat_in)];
    let b_out = [phi_hat_out, k_o.cross(phi_hat_out)];
    let u = [e.dot_real(V3::cst(b_in[0])), e.dot_real(V3::cst(b_in[1]))];
    let w0 = j[0][0] * u[0] + j[0][1] * u[1];
    let w1 = j[1][0] * u[0] + j[1][1] * u[1];
    CVec3::scaled_real(w0, V3::cst(b_out[0])).plus(&CVec3::scaled_real(w1, V3::cst(b_out[1])))
}

#[test]
fn sionna_2_2_rule_on_our_geometry_reproduces_the_reference_diffraction_coefficients() {
    let doc = load_json(&golden("sionna/nlos_wood_d2_spec_refr_diff.json"));
    let refs = reference_paths(&doc);
    let v = |x: &serde_json::Value| DVec3::new(x[0].as_f64().unwrap(), x[1].as_f64().unwrap(), x[2].as_f64().unwrap());
    let (tx, rx) = (Radio::isotropic(v(&doc["tx"]["position"])), Radio::isotropic(v(&doc["rx"]["position"])));
    let frequency = doc["frequency_hz"].as_f64().unwrap();
    let scene = Scene::canyon(ItuMaterial::Wood);
    let geom = SceneGeometry::new(&scene);
    let options = SolverOptions { frequency_hz: frequency, max_depth: 2, samples: 200_000, refraction: true, diffraction: true, seed: 42, backend: rftwin::BackendChoice::Cpu, ..Default::default() };
    let paths = PathSolver::new(options).solve(&scene, &geom, &tx, &rx).unwrap();
    let lambda = rftwin::core::constants::SPEED_OF_LIGHT / frequency;
    let slabs = scene.slab_table(frequency).unwrap();
    let all_wedges = wedges(&geom, false);
    let mut checked = 0;
    for i in (0..paths.num_paths()).filter(|&i| paths.path(i).interactions.contains(&InteractionType::Diffraction)) {
        let p = paths.path(i);
        let sig = our_signature(&paths, i);
        let r = refs.iter().filter(|r| r.sig == sig).min_by(|a, b| (a.tau - paths.tau[i]).abs().total_cmp(&(b.tau - paths.tau[i]).abs())).unwrap();
        let at = p.interactions.iter().position(|t| *t == InteractionType::Diffraction).unwrap();
        let triangle = |k: usize| geom.triangle_index(p.objects[k] as usize, p.primitives[k] as usize).unwrap();
        let wedge = all_wedges.wedges.iter().find(|w| w.faces.contains(&(triangle(at) as u32)) && w.contains(p.vertices[at], 1e-6)).unwrap();
        let (eta, thickness) = slabs[geom.material[wedge.faces[0] as usize] as usize];
        // the path through `vertices` with our wedges, faces and materials
        let model = |vertices: &[DVec3], rule: Rule| {
            let mut points = vec![tx.position];
            points.extend_from_slice(vertices);
            points.push(rx.position);
            let lens: Vec<f64> = points.windows(2).map(|w| (w[1] - w[0]).length()).collect();
            let (s_in, s_out) = (lens[..=at].iter().sum::<f64>(), lens[at + 1..].iter().sum::<f64>());
            let v3: Vec<V3<f64>> = points.iter().map(|&q| V3::cst(q)).collect();
            let e = transport(&v3, &tx.antenna, &rx.antenna, |k, e, k_i, k_o| {
                let (ki, ko) = (DVec3::from_array(k_i.0), DVec3::from_array(k_o.0));
                if k == at {
                    sionna_wedge(e, ki, ko, s_in, s_out, wedge, eta, thickness, lambda, rule)
                } else {
                    let t = triangle(k);
                    let (eta, thickness) = slabs[geom.material[t] as usize];
                    apply_interaction(e, k_i, k_o, &FieldInteraction { transmission: false, normal: V3::cst(geom.normals[t]), eta, thickness }, lambda)
                }
            });
            e * diffraction_spreading(s_in, s_out, lambda)
        };
        let theirs: Vec<DVec3> = r.vertices.iter().map(|&q| DVec3::from_array(q)).collect();
        let (shipped, corrected, on_theirs) = (model(p.vertices, Rule::Shipped), model(p.vertices, Rule::Corrected), model(&theirs, Rule::Shipped));
        let error = (shipped - r.a).norm() / r.a.norm();
        let error_theirs = (on_theirs - r.a).norm() / r.a.norm();
        let moved = p.vertices.iter().zip(&theirs).map(|(a, b)| a.distance(*b)).fold(0.0, f64::max);
        println!(
            "{sig:<36} 2.2.0 rule / reference: {:.6} ∠{:+.4}° (error {error:.1e}; {error_theirs:.1e} at Sionna's f32 vertices, {:.2} mm away); ours / corrected rule {:.3}",
            shipped.norm() / r.a.norm(),
            (shipped / r.a).arg().to_degrees(),
            moved * 1e3,
            paths.a[i].norm() / corrected.norm()
        );
        // our f64 points sit up to 0.6 mm from the f32 points the reference was computed
        // at, which moves paths near a boundary by a few 1e-4; at the reference's own
        // points the rule reproduces it to float32 precision
        assert!(error < 5e-4, "{sig}: the 2.2.0 rule on our geometry gives {shipped} against the reference {}", r.a);
        assert!(error_theirs < 1e-4, "{sig}: the 2.2.0 rule at the reference's points gives {on_theirs} against {}", r.a);
        checked += 1;
    }
    assert_eq!(checked, 8, "the reference has eight diffracted paths");
}
