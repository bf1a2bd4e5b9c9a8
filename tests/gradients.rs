//! Interior gradients of solver (A) against the Sionna-reference FD values and against
//! central finite differences of full re-solves.
#![allow(clippy::unwrap_used, clippy::needless_range_loop)]

mod common;
use glam::DVec3;
use rftwin::core::RadioMaterial;
use rftwin::{path_gradients, path_vertex_gradients, GradientParam, ItuMaterial, PathSolver, Paths, Radio, Scene, SceneGeometry, SolverOptions};

const TX: DVec3 = DVec3::new(-22.0, 1.0, 9.0);
const RX: DVec3 = DVec3::new(24.0, -2.0, 1.5);

/// Interaction types a configuration enables besides specular reflection.
#[derive(Clone, Copy)]
struct Kinds {
    refraction: bool,
    diffraction: bool,
}

const REFL: Kinds = Kinds { refraction: false, diffraction: false };
const REFR: Kinds = Kinds { refraction: true, diffraction: false };

fn solve(scene: &Scene, tx: DVec3, rx: DVec3, depth: usize, kinds: Kinds) -> Paths {
    let Kinds { refraction, diffraction } = kinds;
    let opts = SolverOptions { backend: rftwin::BackendChoice::Cpu, max_depth: depth, samples: 200_000, refraction, diffraction, ..Default::default() };
    PathSolver::new(opts).solve_scene(scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap()
}

fn grads(scene: &Scene, paths: &Paths, tx: DVec3, rx: DVec3, p: &str) -> rftwin::PathGradients {
    let geom = SceneGeometry::new(scene);
    path_gradients(scene, &geom, paths, &Radio::isotropic(tx), &Radio::isotropic(rx), &GradientParam::parse(p).unwrap()).unwrap()
}

fn rel_close(what: &str, got: f64, want: f64, rel: f64) {
    rftwin::core::testing::assert_close(what, got, want, rel, 0.0);
}

/// ../shared/reference/sionna/README.md, gradient table (REF = float64 FD).
#[test]
fn canyon_gradients_match_the_float64_reference() {
    for (mat, dp_dty, dp_drx) in [
        (ItuMaterial::Metal, -1.9070e-11, [-2.77839e-11, -3.03614e-12, -1.70815e-11]),
        (ItuMaterial::Wood, -1.5952e-11, [-1.64277e-11, 4.36002e-13, -1.01383e-11]),
    ] {
        let scene = Scene::canyon(mat);
        let paths = solve(&scene, TX, RX, 3, REFL);
        assert_eq!(paths.num_paths(), 10);
        let g = grads(&scene, &paths, TX, RX, "object/box_a/translation");
        rel_close(&format!("{mat:?} dP/dt_y"), g.total_power[1], dp_dty, 0.01);
        assert!(g.total_power[0].abs() < 1e-6 * dp_dty.abs() && g.total_power[2].abs() < 1e-6 * dp_dty.abs());
        let g = grads(&scene, &paths, TX, RX, "rx/position");
        for k in 0..3 {
            rel_close(&format!("{mat:?} dP/drx[{k}]"), g.total_power[k], dp_drx[k], 0.01);
        }
    }
    // dτ/dt_y of the single reflection off box_a: 2.286022e-9 s/m
    let scene = Scene::canyon(ItuMaterial::Metal);
    let paths = solve(&scene, TX, RX, 3, REFL);
    let g = grads(&scene, &paths, TX, RX, "object/box_a/translation");
    let i = (0..paths.num_paths()).find(|&i| common::our_signature(&paths, i) == "specular@box_a").unwrap();
    rel_close("dtau_A/dt_y", g.tau[i][1], 2.286022e-9, 1e-4);
}

#[test]
fn per_path_gradients_match_the_reference_model() {
    // grad_perpath_*.json: per-path dP and dτ from the float64 image-method model.
    for (file, mat) in [("grad_perpath_canyon_metal_d3.json", ItuMaterial::Metal), ("grad_perpath_canyon_wood_d3.json", ItuMaterial::Wood)] {
        let doc = common::load_json(&common::golden(&format!("sionna/gradients/{file}")));
        let scene = Scene::canyon(mat);
        let paths = solve(&scene, TX, RX, 3, REFL);
        for (target, param) in [("box_a", "object/box_a/translation"), ("rx", "rx/position")] {
            let g = grads(&scene, &paths, TX, RX, param);
            let rows = doc["results"][target]["rows"].as_array().unwrap();
            assert_eq!(rows.len(), paths.num_paths());
            let mut checked = 0;
            for row in rows {
                let objs: Vec<String> = row["path"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
                let tau = row["tau"].as_f64().unwrap();
                let i = (0..paths.num_paths()).min_by(|&a, &b| (paths.tau[a] - tau).abs().total_cmp(&(paths.tau[b] - tau).abs())).unwrap();
                let ours: Vec<String> = paths.object_names_of(i).iter().map(|s| s.to_string()).collect();
                if objs != ["LoS"] {
                    assert_eq!(ours, objs, "{file} {target}: path at τ {tau}");
                }
                for k in 0..3 {
                    let (want_p, want_t) = (row["ref_dpow"][k].as_f64().unwrap(), row["ref_dtau"][k].as_f64().unwrap());
                    let (got_p, got_t) = (g.power[i][k], g.tau[i][k]);
                    // the reference is an FD with h = 1e-6: ~1e-5 relative, plus a floor near zero
                    assert!((got_p - want_p).abs() <= 1e-3 * want_p.abs() + 1e-20, "{file} {target} {objs:?} dP[{k}]: {got_p:e} vs {want_p:e}");
                    assert!((got_t - want_t).abs() <= 1e-3 * want_t.abs() + 1e-16, "{file} {target} {objs:?} dτ[{k}]: {got_t:e} vs {want_t:e}");
                    checked += 1;
                }
            }
            assert_eq!(checked, 30);
        }
    }
}

/// The scene and radio positions with component `c` of `p` moved by `delta`
/// (rotation and scale about the object's vertex centroid; εr and σ through a custom
/// material of the same name).
fn perturb(scene: &Scene, tx: DVec3, rx: DVec3, p: &GradientParam, c: usize, delta: f64) -> (Scene, DVec3, DVec3) {
    let mut s = scene.clone();
    let (mut t, mut r) = (tx, rx);
    let mut step = DVec3::ZERO;
    step[c] = delta;
    match p {
        GradientParam::ObjectTranslation(o) => s.translate_object(o, step).unwrap(),
        GradientParam::ObjectRotation(o) | GradientParam::ObjectScale(o) => {
            let mesh = &mut s.object_mut(o).unwrap().mesh;
            let pivot = mesh.vertices.iter().sum::<DVec3>() / mesh.vertices.len() as f64;
            let rotate = matches!(p, GradientParam::ObjectRotation(_));
            let rot = [glam::DMat3::from_rotation_x, glam::DMat3::from_rotation_y, glam::DMat3::from_rotation_z][c](delta);
            for v in &mut mesh.vertices {
                let mut q = *v - pivot;
                if rotate {
                    q = rot * q;
                } else {
                    q[c] *= 1.0 + delta;
                }
                *v = pivot + q;
            }
        }
        GradientParam::TxPosition => t += step,
        GradientParam::RxPosition => r += step,
        GradientParam::MaterialThickness(m) => {
            let mat = s.materials().iter().find(|x| &x.name == m).unwrap().clone();
            let d = mat.thickness + delta;
            s.add_material(mat.with_thickness(d).unwrap()).unwrap();
        }
        GradientParam::MaterialEpsR(m) | GradientParam::MaterialSigma(m) => {
            let mat = s.materials().iter().find(|x| &x.name == m).unwrap().clone();
            let (e, sg) = mat.eps_r_sigma(28e9).unwrap();
            let (e, sg) = if matches!(p, GradientParam::MaterialEpsR(_)) { (e + delta, sg) } else { (e, sg + delta) };
            s.add_material(RadioMaterial::custom(m.clone(), e, sg, mat.thickness).unwrap()).unwrap();
        }
        _ => unreachable!(),
    }
    (s, t, r)
}

/// A named scene with its radios, depth and interaction kinds.
struct Config {
    label: &'static str,
    scene: Scene,
    tx: DVec3,
    rx: DVec3,
    depth: usize,
    kinds: Kinds,
}

/// Re-solves the scene with the parameter moved by ±h and checks τ, |a|² and P.
fn check_against_fd(cfg: &Config, param: &str, h: f64) {
    let Config { label, ref scene, tx, rx, depth, kinds } = *cfg;
    let base = solve(scene, tx, rx, depth, kinds);
    assert!(base.num_paths() >= 2, "{label}: too few paths");
    let g = grads(scene, &base, tx, rx, param);
    let p = GradientParam::parse(param).unwrap();
    for c in 0..p.components() {
        let perturbed = |sign: f64| -> Paths {
            let (s, t, r) = perturb(scene, tx, rx, &p, c, sign * h);
            solve(&s, t, r, depth, kinds)
        };
        // εr cannot go below 1 (metal sits at 1): there the stencil moves up by h,
        // a central difference at εr + h (error O(h), h = 1e-5).
        let at_bound = matches!(p, GradientParam::MaterialEpsR(_)) && {
            let m = match &p {
                GradientParam::MaterialEpsR(m) => m,
                _ => unreachable!(),
            };
            scene.materials().iter().find(|x| &x.name == m).unwrap().eps_r_sigma(28e9).unwrap().0 - h < 1.0
        };
        let (plus, minus) = if at_bound { (perturbed(2.0), perturbed(0.0)) } else { (perturbed(1.0), perturbed(-1.0)) };
        let sigs = |x: &Paths| (0..x.num_paths()).map(|i| common::our_signature(x, i)).collect::<Vec<_>>().join(" ");
        assert_eq!(plus.num_paths(), base.num_paths(), "{label}: path set changed under +h (choose another configuration): {} vs {}", sigs(&plus), sigs(&base));
        assert_eq!(minus.num_paths(), base.num_paths(), "{label}: path set changed under −h");
        let fd_p = (plus.total_power() - minus.total_power()) / (2.0 * h);
        let scale_p = base.total_power() / 1.0;
        assert!(
            (g.total_power[c] - fd_p).abs() <= 0.01 * fd_p.abs() + 1e-9 * scale_p,
            "{label} {param}[{c}] dP: analytic {:e}, FD {fd_p:e}, ratio {:.5}",
            g.total_power[c],
            g.total_power[c] / fd_p
        );
        // the same path in a perturbed solve: same signature, nearest delay
        let find = |other: &Paths, i: usize| -> usize {
            let sig = common::our_signature(&base, i);
            (0..other.num_paths())
                .filter(|&j| common::our_signature(other, j) == sig)
                .min_by(|&a, &b| (other.tau[a] - base.tau[i]).abs().total_cmp(&(other.tau[b] - base.tau[i]).abs()))
                .unwrap_or_else(|| panic!("{label}: path {sig} vanished under the perturbation"))
        };
        for i in 0..base.num_paths() {
            let (ip, im) = (find(&plus, i), find(&minus, i));
            let fd_t = (plus.tau[ip] - minus.tau[im]) / (2.0 * h);
            let fd_pw = (plus.a[ip].norm_sqr() - minus.a[im].norm_sqr()) / (2.0 * h);
            let tau_floor = 1e-9 * base.tau[i];
            assert!((g.tau[i][c] - fd_t).abs() <= 0.01 * fd_t.abs() + tau_floor, "{label} {param}[{c}] path {i} dτ: {:e} vs FD {fd_t:e}", g.tau[i][c]);
            let pw_floor = 1e-7 * base.a[i].norm_sqr();
            assert!(
                (g.power[i][c] - fd_pw).abs() <= 0.01 * fd_pw.abs() + pw_floor,
                "{label} {param}[{c}] path {i} ({}) d|a|²: {:e} vs FD {fd_pw:e}",
                common::our_signature(&base, i),
                g.power[i][c]
            );
        }
    }
}

/// Five configurations: the reference one, a grazing ground bounce, two canyon
/// positions with multi-bounce paths, and one with refraction through wood.
fn configurations() -> Vec<Config> {
    vec![
        Config { label: "reference", scene: Scene::canyon(ItuMaterial::Metal), tx: TX, rx: RX, depth: 3, kinds: REFL },
        Config { label: "grazing", scene: Scene::canyon(ItuMaterial::Concrete), tx: DVec3::new(-45.0, -2.0, 0.6), rx: DVec3::new(44.0, -4.0, 0.4), depth: 2, kinds: REFL },
        Config { label: "canyon multi-bounce", scene: Scene::canyon(ItuMaterial::Wood), tx: DVec3::new(-8.0, -3.0, 6.0), rx: DVec3::new(9.0, 4.0, 2.0), depth: 3, kinds: REFL },
        Config { label: "canyon low", scene: Scene::canyon(ItuMaterial::Metal), tx: DVec3::new(-12.0, 5.0, 2.5), rx: DVec3::new(14.0, -7.0, 7.0), depth: 3, kinds: REFL },
        Config { label: "refraction", scene: Scene::canyon(ItuMaterial::Wood), tx: TX, rx: DVec3::new(22.0, 14.0, 1.5), depth: 3, kinds: REFR },
        // the Sionna diffraction configuration: eight diffracted paths (with reflections
        // before and after the edge) and a refracted one
        Config { label: "diffraction", scene: Scene::canyon(ItuMaterial::Wood), tx: TX, rx: DVec3::new(22.0, 14.0, 1.5), depth: 2, kinds: Kinds { refraction: true, diffraction: true } },
    ]
}

#[test]
fn translation_gradients_match_finite_differences() {
    for cfg in configurations() {
        for obj in ["box_a", "box_b"] {
            check_against_fd(&cfg, &format!("object/{obj}/translation"), 1e-4);
        }
    }
}

#[test]
fn rotation_and_scale_gradients_match_finite_differences() {
    for cfg in configurations() {
        for obj in ["box_a", "box_b"] {
            check_against_fd(&cfg, &format!("object/{obj}/rotation"), 1e-6);
            check_against_fd(&cfg, &format!("object/{obj}/scale"), 1e-6);
        }
    }
}

#[test]
fn tx_and_rx_position_gradients_match_finite_differences() {
    for cfg in configurations() {
        check_against_fd(&cfg, "tx/position", 1e-4);
        check_against_fd(&cfg, "rx/position", 1e-4);
    }
}

#[test]
fn material_gradients_match_finite_differences() {
    for cfg in configurations() {
        let box_a = cfg.scene.materials()[cfg.scene.object("box_a").unwrap().material].name.clone();
        for m in ["itu_concrete".to_string(), box_a] {
            check_against_fd(&cfg, &format!("material/{m}/eps_r"), 1e-5);
            check_against_fd(&cfg, &format!("material/{m}/sigma"), 1e-5);
            check_against_fd(&cfg, &format!("material/{m}/thickness"), 1e-6);
        }
    }
}

#[test]
fn bad_gradient_requests_are_errors() {
    let scene = Scene::canyon(ItuMaterial::Metal);
    let paths = solve(&scene, TX, RX, 1, REFL);
    let geom = SceneGeometry::new(&scene);
    let (t, r) = (Radio::isotropic(TX), Radio::isotropic(RX));
    assert!(GradientParam::parse("object//translation").is_err());
    assert!(GradientParam::parse("tx/orientation").is_err());
    let e = path_gradients(&scene, &geom, &paths, &t, &r, &GradientParam::parse("object/nope/translation").unwrap()).unwrap_err().to_string();
    assert!(e.contains("nope"), "{e}");
    let e = path_gradients(&scene, &geom, &paths, &t, &r, &GradientParam::parse("material/itu_gold/eps_r").unwrap()).unwrap_err().to_string();
    assert!(e.contains("itu_gold"), "{e}");
    // paths from another scene are refused, not silently differentiated
    let other = Scene::canyon(ItuMaterial::Wood);
    let mut moved = other.clone();
    moved.translate_object("box_a", DVec3::new(0.0, 1.0, 0.0)).unwrap();
    let wrong = solve(&moved, TX, RX, 1, REFL);
    assert!(path_gradients(&other, &SceneGeometry::new(&other), &wrong, &t, &r, &GradientParam::TxPosition).is_err());
}

#[test]
fn cfr_gradient_matches_finite_differences() {
    use rftwin::trace::paths::channel::{cfr, cfr_gradient};
    let freqs: Vec<f64> = (0..8).map(|k| 28e9 + 5e6 * k as f64).collect();
    for cfg in configurations() {
        let Config { label, ref scene, tx, rx, depth, kinds: refr } = cfg;
        for param in ["object/box_a/translation", "rx/position", "material/itu_concrete/eps_r"] {
            let base = solve(scene, tx, rx, depth, refr);
            let g = grads(scene, &base, tx, rx, param);
            let p = GradientParam::parse(param).unwrap();
            // h balances truncation (phase curvature (2π/λ)² h² ≈ 3e-5 relative) against
            // f64 round-off in the phase 2π f τ (f τ ≈ 5000 cycles).
            let h = 1e-5;
            for c in 0..p.components() {
                let eval = |sign: f64| {
                    let (s, t, r) = perturb(scene, tx, rx, &p, c, sign * h);
                    cfr(&solve(&s, t, r, depth, refr), &freqs)
                };
                let (hp, hm) = (eval(1.0), eval(-1.0));
                let an = cfr_gradient(&base, &g, c, &freqs);
                let scale = cfr(&base, &freqs).iter().map(|x| x.norm()).fold(0.0, f64::max);
                for k in 0..freqs.len() {
                    let fd = (hp[k] - hm[k]) / (2.0 * h);
                    // the phase term 2πfτ' makes the CFR derivative large (~2π/λ per metre)
                    assert!((an[k] - fd).norm() <= 0.01 * fd.norm() + 1e-6 * scale, "{label} {param}[{c}] f{k}: {} vs FD {fd}", an[k]);
                }
            }
        }
    }
}

#[test]
fn vertex_gradients_match_finite_differences() {
    let mut checked = 0;
    let mut skipped = 0;
    for cfg in configurations() {
        let Config { label, scene, tx, rx, depth, kinds: refr } = cfg;
        let base = solve(&scene, tx, rx, depth, refr);
        let geom = SceneGeometry::new(&scene);
        for obj in ["box_a", "box_b", "ground"] {
            let g = path_vertex_gradients(&scene, &geom, &base, &Radio::isotropic(tx), &Radio::isotropic(rx), obj).unwrap();
            let nv = scene.object(obj).unwrap().mesh.vertices.len();
            for vi in 0..nv {
                if g.total_power[vi] == DVec3::ZERO {
                    continue; // no path touches this vertex: exactly zero
                }
                for c in 0..3 {
                    // The solver treats triangles whose planes agree to 1e-6 as one mirror
                    // (f32 meshes are never exactly coplanar), so the FD step must tilt the
                    // moved triangles by more than that: 1 mm on 10–100 m faces.
                    let h = 1e-3;
                    let eval = |sign: f64| {
                        let mut s = scene.clone();
                        s.object_mut(obj).unwrap().mesh.vertices[vi][c] += sign * h;
                        solve(&s, tx, rx, depth, refr)
                    };
                    let (p, m) = (eval(1.0), eval(-1.0));
                    // A reflection point close to the diagonal of a (now non-planar) quad
                    // can move to the other triangle: a validity boundary, where the
                    // interior derivative is not the FD one. Such components are skipped.
                    let prims = |x: &Paths| -> Vec<Vec<u32>> { (0..x.num_paths()).map(|i| x.path(i).primitives.to_vec()).collect() };
                    if p.num_paths() != base.num_paths() || m.num_paths() != base.num_paths() || prims(&p) != prims(&base) || prims(&m) != prims(&base) {
                        skipped += 1;
                        continue;
                    }
                    let fd = (p.total_power() - m.total_power()) / (2.0 * h);
                    let an = g.total_power[vi][c];
                    assert!((an - fd).abs() <= 0.01 * fd.abs() + 1e-7 * base.total_power(), "{label} {obj} vertex {vi}[{c}]: {an:e} vs FD {fd:e}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 60 && skipped * 4 < checked, "{checked} vertex components checked, {skipped} skipped at triangle boundaries");
}
