//! Solver (A) against an independent exhaustive image-method model of the canyon
//! scene, at transmitter/receiver positions and frequencies other than the stored
//! Sionna configurations.
//!
//! The oracle knows the scene analytically (13 axis-aligned rectangles), enumerates
//! every sequence of up to `max_depth` mirror faces, builds the image-method path,
//! and keeps it if every vertex lies inside its face and no segment crosses another
//! face — or, with refraction, turns each crossing into a refraction as long as the
//! total count stays within `max_depth`. Its field calculation is written out again
//! here from ITU-R P.2040 and Sionna's conventions, without the library's code.
#![allow(clippy::unwrap_used)]

mod common;
use glam::DVec3;
use num_complex::Complex64 as C;
use rand::{Rng, SeedableRng};
use rftwin::{ItuMaterial, PathSolver, Radio, Scene, SolverOptions};
use std::f64::consts::PI;

#[derive(Clone, Copy)]
struct Face {
    axis: usize,  // normal axis
    coord: f64,   // plane coordinate
    lo: [f64; 2], // bounds on the other two axes (in increasing axis order)
    hi: [f64; 2],
    object: &'static str,
    material: ItuMaterial,
}

fn others(axis: usize) -> [usize; 2] {
    match axis {
        0 => [1, 2],
        1 => [0, 2],
        _ => [0, 1],
    }
}

fn canyon_faces(box_a: ItuMaterial) -> Vec<Face> {
    let mut faces = vec![Face { axis: 2, coord: 0.0, lo: [-50.0, -50.0], hi: [50.0, 50.0], object: "ground", material: ItuMaterial::Concrete }];
    for (name, min, max, mat) in [
        ("box_a", [-15.0, 8.0, 0.0], [15.0, 18.0, 12.0], box_a),
        ("box_b", [-15.0, -20.0, 0.0], [15.0, -10.0, 15.0], ItuMaterial::Concrete),
    ] {
        for axis in 0..3 {
            let [a, b] = others(axis);
            for coord in [min[axis], max[axis]] {
                faces.push(Face { axis, coord, lo: [min[a], min[b]], hi: [max[a], max[b]], object: name, material: mat });
            }
        }
    }
    faces
}

/// Distance of `p` (on the face plane) to the face border: > 0 inside.
fn inside_margin(f: &Face, p: DVec3) -> f64 {
    let [a, b] = others(f.axis);
    let q = [p[a], p[b]];
    (0..2).map(|k| (q[k] - f.lo[k]).min(f.hi[k] - q[k])).fold(f64::INFINITY, f64::min)
}

/// Crossings of the open segment p→q with faces (except `skip`): (t, face, margin).
fn crossings(faces: &[Face], p: DVec3, q: DVec3, skip: &[usize]) -> Vec<(f64, usize, f64)> {
    let mut out = Vec::new();
    for (i, f) in faces.iter().enumerate() {
        if skip.contains(&i) {
            continue;
        }
        let (pa, qa) = (p[f.axis] - f.coord, q[f.axis] - f.coord);
        if pa * qa >= 0.0 {
            continue;
        }
        let t = pa / (pa - qa);
        let x = p + (q - p) * t;
        let m = inside_margin(f, x);
        if m > -1e-3 {
            out.push((t, i, m));
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

struct OraclePath {
    sig: String,
    tau: f64,
    a: C,
    ambiguous: bool,
}

fn theta_hat(k: DVec3) -> DVec3 {
    let th = k.z.clamp(-1.0, 1.0).acos();
    let ph = k.y.atan2(k.x);
    DVec3::new(th.cos() * ph.cos(), th.cos() * ph.sin(), -th.sin())
}

/// ITU-R P.2040 slab coefficient (TE, TM) for reflection or transmission.
fn slab(mat: ItuMaterial, f_hz: f64, cos_t: f64, transmit: bool) -> (C, C) {
    let fg = f_hz / 1e9;
    let p = mat.parameters().iter().find(|p| fg >= p.f_min_ghz && fg <= p.f_max_ghz).expect("frequency in range");
    let eps = p.a * fg.powf(p.b);
    let sigma = p.c * fg.powf(p.d);
    let eta = C::new(eps, -sigma / (8.8541878128e-12 * 2.0 * PI * f_hz));
    let lam = 299792458.0 / f_hz;
    let s = (eta - C::new(1.0 - cos_t * cos_t, 0.0)).sqrt();
    let q = s * (2.0 * PI * 0.1 / lam);
    let j = C::new(0.0, 1.0);
    let r = [(C::new(cos_t, 0.0) - s) / (C::new(cos_t, 0.0) + s), (eta * cos_t - s) / (eta * cos_t + s)];
    let f = |r: C| {
        let d = C::new(1.0, 0.0) - r * r * (-j * 2.0 * q).exp();
        if transmit {
            (C::new(1.0, 0.0) - r * r) * (-j * q).exp() / d
        } else {
            r * (C::new(1.0, 0.0) - (-j * 2.0 * q).exp()) / d
        }
    };
    (f(r[0]), f(r[1]))
}

fn oracle(faces: &[Face], tx: DVec3, rx: DVec3, f_hz: f64, max_depth: usize, refraction: bool) -> Vec<OraclePath> {
    let lam = 299792458.0 / f_hz;
    let mut out = Vec::new();
    let mut seqs: Vec<Vec<usize>> = vec![vec![]];
    for _ in 0..max_depth {
        let next: Vec<Vec<usize>> = seqs
            .iter()
            .filter(|s| s.len() == seqs.last().map_or(0, |l| l.len()))
            .flat_map(|s| (0..faces.len()).filter(move |&i| s.last() != Some(&i)).map(move |i| [s.clone(), vec![i]].concat()))
            .collect();
        seqs.extend(next);
    }
    for seq in seqs {
        // images
        let mut img = vec![tx];
        for &i in &seq {
            let mut p = *img.last().unwrap();
            p[faces[i].axis] = 2.0 * faces[i].coord - p[faces[i].axis];
            img.push(p);
        }
        // back-trace vertices
        let mut verts = vec![DVec3::ZERO; seq.len()];
        let mut cur = rx;
        let mut ok = true;
        let mut ambiguous = false;
        for j in (0..seq.len()).rev() {
            let f = &faces[seq[j]];
            let aim = img[j + 1];
            let (ca, aa) = (cur[f.axis] - f.coord, aim[f.axis] - f.coord);
            if ca * aa >= 0.0 {
                ok = false;
                break;
            }
            let v = cur + (aim - cur) * (ca / (ca - aa));
            let m = inside_margin(f, v);
            if m < 0.0 {
                ok = false;
                break;
            }
            ambiguous |= m < 1e-3;
            verts[j] = v;
            cur = v;
        }
        if !ok {
            continue;
        }
        // segments: crossings become refractions or block the path
        let mut points = vec![tx];
        points.extend_from_slice(&verts);
        points.push(rx);
        let mut chain: Vec<(usize, bool, DVec3)> = Vec::new(); // (face, transmission, point)
        for s in 0..points.len() - 1 {
            let skip: Vec<usize> = [s.checked_sub(1).map(|k| seq[k]), seq.get(s).copied()].into_iter().flatten().collect();
            for (t, i, m) in crossings(faces, points[s], points[s + 1], &skip) {
                ambiguous |= m < 1e-3;
                if !refraction {
                    ok = false;
                }
                chain.push((i, true, points[s] + (points[s + 1] - points[s]) * t));
            }
            if s < seq.len() {
                chain.push((seq[s], false, verts[s]));
            }
        }
        if !ok || chain.len() > max_depth {
            continue;
        }
        // field
        let mut pts = vec![tx];
        pts.extend(chain.iter().map(|c| c.2));
        pts.push(rx);
        let dirs: Vec<DVec3> = pts.windows(2).map(|w| (w[1] - w[0]).normalize()).collect();
        let len: f64 = pts.windows(2).map(|w| (w[1] - w[0]).length()).sum();
        let mut e = [C::new(0.0, 0.0); 3];
        let th = theta_hat(dirs[0]);
        for k in 0..3 {
            e[k] = C::new(th[k], 0.0);
        }
        for (k, &(fi, transmit, _)) in chain.iter().enumerate() {
            let mut n = DVec3::ZERO;
            n[faces[fi].axis] = 1.0;
            let (ki, ko) = (dirs[k], dirs[k + 1]);
            let (te, tm) = slab(faces[fi].material, f_hz, ki.dot(n).abs(), transmit);
            let cr = ki.cross(n);
            let sh = if cr.length() > 1e-12 { cr.normalize() } else { ki.any_orthonormal_vector() };
            let (pi, po) = (sh.cross(ki), sh.cross(ko));
            let es: C = (0..3).map(|q| e[q] * sh[q]).sum();
            let ep: C = (0..3).map(|q| e[q] * pi[q]).sum();
            for q in 0..3 {
                e[q] = te * es * sh[q] + tm * ep * po[q];
            }
        }
        let cr = theta_hat(-dirs[dirs.len() - 1]);
        let a: C = (0..3).map(|q| e[q] * cr[q]).sum::<C>() * (lam / (4.0 * PI * len));
        let sig = chain
            .iter()
            .map(|c| format!("{}@{}", if c.1 { "refraction" } else { "specular" }, faces[c.0].object))
            .collect::<Vec<_>>()
            .join(",");
        out.push(OraclePath { sig, tau: len / 299792458.0, a, ambiguous });
    }
    out
}

fn outside_boxes(p: DVec3) -> bool {
    let inside = |min: [f64; 3], max: [f64; 3]| (0..3).all(|k| p[k] > min[k] - 0.5 && p[k] < max[k] + 0.5);
    !inside([-15.0, 8.0, 0.0], [15.0, 18.0, 12.0]) && !inside([-15.0, -20.0, 0.0], [15.0, -10.0, 15.0])
}

fn compare(label: &str, box_a: ItuMaterial, tx: DVec3, rx: DVec3, f_hz: f64, depth: usize, refraction: bool) -> usize {
    let scene = Scene::canyon(box_a);
    let opts = SolverOptions { backend: rftwin::BackendChoice::Cpu, frequency_hz: f_hz, max_depth: depth, samples: 300_000, refraction, ..Default::default() };
    let paths = PathSolver::new(opts).solve_scene(&scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap();
    let expected = oracle(&canyon_faces(box_a), tx, rx, f_hz, depth, refraction);
    let ours: Vec<(String, f64, C)> = (0..paths.num_paths()).map(|i| (common::our_signature(&paths, i), paths.tau[i], paths.a[i])).collect();
    let mut problems = Vec::new();
    let mut matched = vec![false; ours.len()];
    for e in &expected {
        let found = ours.iter().enumerate().find(|(k, o)| !matched[*k] && o.0 == e.sig && ((o.1 - e.tau).abs() / e.tau) < 1e-9);
        match found {
            Some((k, o)) => {
                matched[k] = true;
                let rel = (o.2 - e.a).norm() / e.a.norm();
                if rel > 1e-6 {
                    problems.push(format!("{} a {:.6e} vs oracle {:.6e} (rel {rel:.1e})", e.sig, o.2, e.a));
                }
            }
            None if e.ambiguous => {}
            None => problems.push(format!("missing {} tau {:.6e} |a| {:.2e}", e.sig, e.tau, e.a.norm())),
        }
    }
    for (k, o) in ours.iter().enumerate() {
        if !matched[k] && !expected.iter().any(|e| e.ambiguous && e.sig == o.0) {
            problems.push(format!("extra {} tau {:.6e}", o.0, o.1));
        }
    }
    eprintln!("{label}: {} oracle paths, {} ours; tx {tx} rx {rx} f {f_hz:e} {box_a:?}", expected.len(), ours.len());
    assert!(problems.is_empty(), "{label}: tx {tx} rx {rx} f {f_hz:e} depth {depth} refraction {refraction}:\n{}", problems.join("\n"));
    expected.len()
}

#[test]
fn random_positions_and_frequencies_match_the_oracle_specular() {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(2024);
    let mut total = 0;
    let mut cases = 0;
    while cases < 12 {
        // Two thirds inside the street canyon between the boxes (rich multi-bounce), the rest anywhere.
        let (x_range, y_range) = if cases % 3 == 2 { (-45.0..45.0, -45.0..45.0) } else { (-20.0..20.0, -9.0..7.0) };
        let p = |rng: &mut rand_pcg::Pcg64| {
            DVec3::new(rng.gen_range(x_range.clone()), rng.gen_range(y_range.clone()), rng.gen_range(1.0..20.0))
        };
        let (tx, rx) = (p(&mut rng), p(&mut rng));
        if !outside_boxes(tx) || !outside_boxes(rx) {
            continue;
        }
        let f = [3.5e9, 10e9, 28e9, 60e9, 95e9][cases % 5];
        let mat = [ItuMaterial::Metal, ItuMaterial::Wood, ItuMaterial::Concrete][cases % 3];
        total += compare("specular", mat, tx, rx, f, 3, false);
        cases += 1;
    }
    assert!(total > 50, "the random cases should contain many paths, got {total}");
}

#[test]
fn random_positions_match_the_oracle_with_refraction() {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(77);
    let mut cases = 0;
    while cases < 6 {
        let p = |rng: &mut rand_pcg::Pcg64| DVec3::new(rng.gen_range(-45.0..45.0), rng.gen_range(-25.0..25.0), rng.gen_range(1.0..20.0));
        let (tx, rx) = (p(&mut rng), p(&mut rng));
        if !outside_boxes(tx) || !outside_boxes(rx) {
            continue;
        }
        compare("refraction", ItuMaterial::Wood, tx, rx, [28e9, 5e9][cases % 2], 2, true);
        cases += 1;
    }
}

#[test]
fn reciprocity_swapping_tx_and_rx_keeps_delays_and_coefficients() {
    let scene = Scene::canyon(ItuMaterial::Wood);
    let opts = SolverOptions { backend: rftwin::BackendChoice::Cpu, max_depth: 3, samples: 200_000, refraction: false, ..Default::default() };
    let (a, b) = (DVec3::new(-22.0, 1.0, 9.0), DVec3::new(24.0, -2.0, 1.5));
    let fwd = PathSolver::new(opts).solve_scene(&scene, &Radio::isotropic(a), &Radio::isotropic(b)).unwrap();
    let bwd = PathSolver::new(opts).solve_scene(&scene, &Radio::isotropic(b), &Radio::isotropic(a)).unwrap();
    assert_eq!(fwd.num_paths(), bwd.num_paths());
    for i in 0..fwd.num_paths() {
        assert!((fwd.tau[i] - bwd.tau[i]).abs() < 1e-15);
        assert!((fwd.a[i] - bwd.a[i]).norm() < 1e-9 * fwd.a[i].norm(), "{} vs {}", fwd.a[i], bwd.a[i]);
    }
}

#[test]
fn returned_vertices_obey_the_law_of_reflection() {
    let scene = Scene::canyon(ItuMaterial::Concrete);
    let opts = SolverOptions { backend: rftwin::BackendChoice::Cpu, max_depth: 3, samples: 200_000, refraction: false, ..Default::default() };
    let (tx, rx) = (DVec3::new(-30.0, 2.0, 6.0), DVec3::new(31.0, -4.0, 2.0));
    let paths = PathSolver::new(opts).solve_scene(&scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap();
    let geom = rftwin::SceneGeometry::new(&scene);
    let mut checked = 0;
    for i in 0..paths.num_paths() {
        let p = paths.path(i);
        let mut pts = vec![tx];
        pts.extend_from_slice(p.vertices);
        pts.push(rx);
        for k in 0..p.vertices.len() {
            let obj = p.objects[k] as usize;
            let base: usize = scene.objects()[..obj].iter().map(|o| o.mesh.triangles.len()).sum();
            let n = geom.normals[base + p.primitives[k] as usize];
            let (ki, ko) = ((pts[k + 1] - pts[k]).normalize(), (pts[k + 2] - pts[k + 1]).normalize());
            // angle of incidence equals angle of reflection, and k_i, k_o, n are coplanar
            assert!((ki.dot(n) + ko.dot(n)).abs() < 1e-9, "path {i} vertex {k}");
            assert!(ki.cross(ko).dot(n).abs() < 1e-9);
            checked += 1;
        }
    }
    assert!(checked >= 10);
}
