//! Enforces docs/capabilities.md: every "supported" cell of the channel-path table
//! agrees with finite differences, every "refused" cell is an error.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin::core::RadioMaterial;
use rftwin::trace::paths::channel::{cfr, cfr_gradient};
use rftwin::{path_gradients, GradientParam, ItuMaterial, PathSolver, Paths, Radio, Scene, SceneGeometry, SolverOptions};

const TX: DVec3 = DVec3::new(-22.0, 1.0, 9.0);
const RX: DVec3 = DVec3::new(24.0, -2.0, 1.5);

fn rows() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/capabilities.md")).unwrap();
    let section = text.split("## Channel paths").nth(1).expect("channel-path section");
    let table: Vec<Vec<String>> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_string()).collect())
        .collect();
    assert_eq!(table[0][2], "paths (τ, a)");
    assert_eq!(table[0][3], "CFR");
    assert_eq!(table[0][4], "diffracted paths (τ, a)");
    table.into_iter().skip(2).collect()
}

fn solve(scene: &Scene, tx: DVec3, rx: DVec3) -> Paths {
    solve_with(scene, tx, rx, false)
}

fn solve_with(scene: &Scene, tx: DVec3, rx: DVec3, diffraction: bool) -> Paths {
    let o = SolverOptions { backend: rftwin::BackendChoice::Cpu, max_depth: 2, samples: 100_000, refraction: false, diffraction, ..Default::default() };
    PathSolver::new(o).solve_scene(scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap()
}

/// Total power and CFR at one frequency after moving component 0 of `p` by `delta`.
fn perturbed(p: &GradientParam, delta: f64, diffraction: bool) -> (f64, num_complex::Complex64) {
    let mut s = Scene::canyon(ItuMaterial::Wood);
    let (mut t, mut r) = (TX, RX);
    match p {
        GradientParam::ObjectTranslation(o) => s.translate_object(o, DVec3::new(delta, 0.0, 0.0)).unwrap(),
        GradientParam::ObjectRotation(o) | GradientParam::ObjectScale(o) => {
            let rotate = matches!(p, GradientParam::ObjectRotation(_));
            let mesh = &mut s.object_mut(o).unwrap().mesh;
            let pivot = mesh.vertices.iter().sum::<DVec3>() / mesh.vertices.len() as f64;
            for v in &mut mesh.vertices {
                let r = *v - pivot;
                *v = pivot + if rotate { glam::DMat3::from_rotation_x(delta) * r } else { DVec3::new(r.x * (1.0 + delta), r.y, r.z) };
            }
        }
        GradientParam::TxPosition => t.x += delta,
        GradientParam::RxPosition => r.x += delta,
        GradientParam::MaterialEpsR(m) | GradientParam::MaterialSigma(m) | GradientParam::MaterialThickness(m) => {
            let mat = s.materials().iter().find(|x| &x.name == m).unwrap().clone();
            let (e, sg) = mat.eps_r_sigma(28e9).unwrap();
            let new = match p {
                GradientParam::MaterialEpsR(_) => RadioMaterial::custom(m.clone(), e + delta, sg, mat.thickness).unwrap(),
                GradientParam::MaterialSigma(_) => RadioMaterial::custom(m.clone(), e, sg + delta, mat.thickness).unwrap(),
                _ => mat.clone().with_thickness(mat.thickness + delta).unwrap(),
            };
            s.add_material(new).unwrap();
        }
        _ => unreachable!(),
    }
    let paths = solve_with(&s, t, r, diffraction);
    (paths.total_power(), cfr(&paths, &[28e9])[0])
}

#[test]
fn every_row_of_the_capability_table_holds() {
    let table = rows();
    assert!(table.len() >= 9, "the table lost rows");
    let scene = Scene::canyon(ItuMaterial::Wood);
    let geom = SceneGeometry::new(&scene);
    let base = solve(&scene, TX, RX);
    let diffracted = solve_with(&scene, TX, RX, true);
    assert!(diffracted.num_paths() > base.num_paths(), "the diffraction column needs diffracted paths");
    let mut supported = 0;
    for row in &table {
        let name = row[1].replace("<name>", if row[1].starts_with("material") { "itu_concrete" } else { "box_a" }).replace("<index>", "0");
        for (col, what) in [(2, "paths"), (3, "CFR"), (4, "diffracted paths")] {
            let diffraction = what == "diffracted paths";
            let base = if diffraction { &diffracted } else { &base };
            match row[col].as_str() {
                "supported" if name.starts_with("mesh/") => {
                    let g = rftwin::path_vertex_gradients(&scene, &geom, base, &Radio::isotropic(TX), &Radio::isotropic(RX), "box_a").unwrap();
                    let vi = (0..g.total_power.len()).max_by(|&a, &b| g.total_power[a].length().total_cmp(&g.total_power[b].length())).unwrap();
                    let h = 1e-3; // above the solver's coplanarity tolerance, see tests/gradients.rs
                    let eval = |sign: f64| {
                        let mut s = Scene::canyon(ItuMaterial::Wood);
                        s.object_mut("box_a").unwrap().mesh.vertices[vi].y += sign * h;
                        solve_with(&s, TX, RX, diffraction).total_power()
                    };
                    let fd = (eval(1.0) - eval(-1.0)) / (2.0 * h);
                    assert!((g.total_power[vi].y - fd).abs() <= 0.01 * fd.abs(), "{name}: {} vs FD {fd}", g.total_power[vi].y);
                    supported += 1;
                }
                "supported" => {
                    let p = GradientParam::parse(&name).unwrap_or_else(|e| panic!("{name} is listed as supported for {what}: {e}"));
                    let g = path_gradients(&scene, &geom, base, &Radio::isotropic(TX), &Radio::isotropic(RX), &p).unwrap();
                    let h = if matches!(p, GradientParam::MaterialThickness(_)) { 1e-6 } else { 1e-5 };
                    let ((pp, hp), (pm, hm)) = (perturbed(&p, h, diffraction), perturbed(&p, -h, diffraction));
                    if what != "CFR" {
                        let fd = (pp - pm) / (2.0 * h);
                        assert!((g.total_power[0] - fd).abs() <= 0.01 * fd.abs() + 1e-9 * base.total_power(), "{name}: dP {} vs FD {fd}", g.total_power[0]);
                    } else {
                        let an = cfr_gradient(base, &g, 0, &[28e9])[0];
                        let fd = (hp - hm) / (2.0 * h);
                        assert!((an - fd).norm() <= 0.01 * fd.norm() + 1e-6 * cfr(base, &[28e9])[0].norm(), "{name}: dH {an} vs FD {fd}");
                    }
                    supported += 1;
                }
                "refused" => assert!(GradientParam::parse(&name).is_err(), "{name} is listed as refused for {what} but is accepted"),
                other => panic!("unknown cell '{other}' for {name} / {what}"),
            }
        }
        for cell in &row[5..] {
            assert_eq!(cell, "no API yet", "{name}: radar outputs have no gradient entry point yet; update the test with the API");
        }
    }
    assert_eq!(supported, 26);
}

mod solver_b {
    use glam::DVec3;
    use rftwin::core::RadioMaterial;
    use rftwin::trace::scattering::{surface_scattering, ScatteringOptions};
    use rftwin::trace::scattering::grad::{center_gradient, material_gradient, object_gradient, reevaluate_samples, vertex_gradients, EchoCotangent};
    use rftwin::{GradientParam, Mesh, Scene, SceneGeometry};

    #[test]
    fn every_row_of_the_solver_b_table_holds() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/capabilities.md")).unwrap();
        let section = text.split("## Radar surface scattering").nth(1).unwrap();
        let rows: Vec<Vec<String>> = section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_string()).collect())
            .collect();
        assert_eq!(rows.len(), 9);
        let mut scene = Scene::new();
        scene.add_object("t", Mesh::icosphere(DVec3::new(0.05, 1.1, 0.0), 0.2, 2), "itu_wood").unwrap();
        let geom = SceneGeometry::new(&scene);
        let opts = ScatteringOptions { samples: 2000, ..Default::default() };
        let res = surface_scattering(&scene, &geom, DVec3::ZERO, &opts).unwrap();
        let cot: Vec<EchoCotangent> = res
            .samples
            .iter()
            .enumerate()
            .map(|(i, _)| EchoCotangent { point: DVec3::new((i % 3) as f64 - 1.0, 0.5, 0.2), amplitude: rftwin::Complex::new(1e5 * ((i % 5) as f64 - 2.0), 0.0) })
            .collect();
        // a loss of the echoes as the radar sees them: positions relative to the radar
        let loss = |s: &Scene, c: DVec3| -> f64 {
            reevaluate_samples(s, &geom, &res, c, &opts).unwrap().iter().zip(&cot).map(|(e, k)| k.point.dot(e.point - c) + k.amplitude.re * e.a.re).sum()
        };
        let vg = vertex_gradients(&scene, &geom, &res, DVec3::ZERO, &opts, &cot).unwrap();
        let h = 1e-6;
        for row in &rows {
            let name = row[1].replace("<name>", if row[1].starts_with("material") { "itu_wood" } else { "t" });
            match row[2].as_str() {
                "supported" => {
                    let (an, fd) = if name == "mesh/t/vertices" {
                        let (mut p, mut m) = (scene.clone(), scene.clone());
                        p.object_mut("t").unwrap().mesh.vertices[7].x += h;
                        m.object_mut("t").unwrap().mesh.vertices[7].x -= h;
                        (vg[0][7].x, (loss(&p, DVec3::ZERO) - loss(&m, DVec3::ZERO)) / (2.0 * h))
                    } else if name == "radar/position" {
                        let g = center_gradient(&scene, &geom, &res, DVec3::ZERO, &opts, &cot).unwrap();
                        (g.y, (loss(&scene, DVec3::Y * h) - loss(&scene, -DVec3::Y * h)) / (2.0 * h))
                    } else {
                        let p = GradientParam::parse(&name).unwrap();
                        let moved = |sign: f64| {
                            let mut s = scene.clone();
                            match &p {
                                GradientParam::ObjectTranslation(_) | GradientParam::ObjectRotation(_) | GradientParam::ObjectScale(_) => {
                                    let mesh = &mut s.object_mut("t").unwrap().mesh;
                                    let pivot = mesh.vertices.iter().sum::<DVec3>() / mesh.vertices.len() as f64;
                                    for v in &mut mesh.vertices {
                                        let r = *v - pivot;
                                        *v = match p {
                                            GradientParam::ObjectTranslation(_) => *v + DVec3::X * sign * h,
                                            GradientParam::ObjectRotation(_) => pivot + glam::DMat3::from_rotation_x(sign * h) * r,
                                            _ => pivot + DVec3::new(r.x * (1.0 + sign * h), r.y, r.z),
                                        };
                                    }
                                }
                                _ => {
                                    let mat = s.materials()[0].clone();
                                    let (e, sg) = mat.eps_r_sigma(77e9).unwrap();
                                    let new = match p {
                                        GradientParam::MaterialEpsR(_) => RadioMaterial::custom("itu_wood", e + sign * h, sg, mat.thickness).unwrap(),
                                        GradientParam::MaterialSigma(_) => RadioMaterial::custom("itu_wood", e, sg + sign * h, mat.thickness).unwrap(),
                                        _ => mat.clone().with_thickness(mat.thickness + sign * h).unwrap(),
                                    };
                                    s.add_material(new).unwrap();
                                }
                            }
                            loss(&s, DVec3::ZERO)
                        };
                        let an = match p {
                            GradientParam::MaterialEpsR(_) | GradientParam::MaterialSigma(_) | GradientParam::MaterialThickness(_) => {
                                material_gradient(&scene, &geom, &res, DVec3::ZERO, &opts, &cot, &p).unwrap()
                            }
                            _ => object_gradient(&scene, &vg, &p).unwrap()[0],
                        };
                        (an, (moved(1.0) - moved(-1.0)) / (2.0 * h))
                    };
                    assert!((an - fd).abs() <= 1e-4 * fd.abs() + 1e-9, "{name}: analytic {an} vs FD {fd}");
                }
                "refused" => {
                    let two = surface_scattering(&scene, &geom, DVec3::ZERO, &ScatteringOptions { second_bounce: true, ..opts.clone() }).unwrap();
                    let c2 = vec![EchoCotangent::default(); two.samples.len()];
                    if !two.second_bounce.is_empty() {
                        assert!(vertex_gradients(&scene, &geom, &two, DVec3::ZERO, &opts, &c2).is_err());
                    }
                    // a convex sphere has no second bounce: the refusal is checked on a result that has one
                    let mut fake = two.clone();
                    fake.second_bounce.push(rftwin::trace::scattering::SecondBounceSample {
                        first_triangle: 0,
                        first_point: DVec3::ZERO,
                        triangle: 0,
                        point: DVec3::ZERO,
                        extra_path_m: 0.0,
                        amplitude: rftwin::Complex::new(0.0, 0.0),
                    });
                    let err = vertex_gradients(&scene, &geom, &fake, DVec3::ZERO, &opts, &c2).unwrap_err();
                    assert!(matches!(&err, rftwin::trace::TraceError::UnsupportedGradient { output, .. } if output.contains("two-bounce")), "{err}");
                }
                other => panic!("unknown cell {other}"),
            }
        }
    }
}

/// The reconstruction table names, for every row with a gradient, the test that checks
/// it against finite differences; every named test must exist.
#[test]
fn reconstruction_rows_name_existing_tests() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/capabilities.md")).unwrap();
    let section = text.split("## Reconstruction — `rftwin_inverse`").nth(1).expect("reconstruction section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for row in section.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| quantity") && !l.starts_with("|---")) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 4, "row {row}");
        if cells[2].starts_with("**missing**") {
            assert_eq!(cells[3], "—", "a missing gradient names no test: {row}");
            continue;
        }
        assert!(cells[2].starts_with("supported"), "row {row}");
        let name = cells[3].split('`').nth(1).unwrap_or_else(|| panic!("no test named in {row}"));
        if let Some((module, test)) = name.split_once("::tests::") {
            let dir = root.join("crates/rftwin_inverse/src");
            let file = [dir.join(format!("{module}.rs")), dir.join(module).join("mod.rs")].into_iter().find(|f| f.exists());
            let src = std::fs::read_to_string(file.unwrap_or_else(|| panic!("no source file for module {module}"))).unwrap();
            assert!(src.contains(&format!("fn {test}(")), "{name} not found");
        } else {
            assert!(name.starts_with("tests/") && name.ends_with(".rs"), "unrecognised test reference {name}");
            assert!(root.join(name).exists() || root.join("crates/rftwin_inverse").join(name).exists(), "{name} not found");
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} rows checked");
}
