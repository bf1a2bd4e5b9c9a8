//! Enforces docs/capabilities.md: every "supported" cell of the channel-path table
//! agrees with finite differences, every "refused" cell is an error.
#![allow(clippy::unwrap_used)]

use glam::DVec3;
use rftwin::core::RadioMaterial;
use rftwin::trace::channel::{cfr, cfr_gradient};
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
    table.into_iter().skip(2).collect()
}

fn solve(scene: &Scene, tx: DVec3, rx: DVec3) -> Paths {
    let o = SolverOptions { max_depth: 2, samples: 100_000, refraction: false, ..Default::default() };
    PathSolver::new(o).solve_scene(scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap()
}

/// Total power and CFR at one frequency after moving component 0 of `p` by `delta`.
fn perturbed(p: &GradientParam, delta: f64) -> (f64, num_complex::Complex64) {
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
    let paths = solve(&s, t, r);
    (paths.total_power(), cfr(&paths, &[28e9])[0])
}

#[test]
fn every_row_of_the_capability_table_holds() {
    let table = rows();
    assert!(table.len() >= 10, "the table lost rows");
    let scene = Scene::canyon(ItuMaterial::Wood);
    let geom = SceneGeometry::new(&scene);
    let base = solve(&scene, TX, RX);
    let mut supported = 0;
    for row in &table {
        let name = row[1].replace("<name>", if row[1].starts_with("material") { "itu_concrete" } else { "box_a" }).replace("<index>", "0");
        for (col, what) in [(2, "paths"), (3, "CFR")] {
            match row[col].as_str() {
                "supported" => {
                    let p = GradientParam::parse(&name).unwrap_or_else(|e| panic!("{name} is listed as supported for {what}: {e}"));
                    let g = path_gradients(&scene, &geom, &base, &Radio::isotropic(TX), &Radio::isotropic(RX), &p).unwrap();
                    let h = if matches!(p, GradientParam::MaterialThickness(_)) { 1e-6 } else { 1e-5 };
                    let ((pp, hp), (pm, hm)) = (perturbed(&p, h), perturbed(&p, -h));
                    if what == "paths" {
                        let fd = (pp - pm) / (2.0 * h);
                        assert!((g.total_power[0] - fd).abs() <= 0.01 * fd.abs() + 1e-9 * base.total_power(), "{name}: dP {} vs FD {fd}", g.total_power[0]);
                    } else {
                        let an = cfr_gradient(&base, &g, 0, &[28e9])[0];
                        let fd = (hp - hm) / (2.0 * h);
                        assert!((an - fd).norm() <= 0.01 * fd.norm() + 1e-6 * cfr(&base, &[28e9])[0].norm(), "{name}: dH {an} vs FD {fd}");
                    }
                    supported += 1;
                }
                "refused" => assert!(GradientParam::parse(&name).is_err(), "{name} is listed as refused for {what} but is accepted"),
                other => panic!("unknown cell '{other}' for {name} / {what}"),
            }
        }
        for cell in &row[4..] {
            assert_eq!(cell, "no API yet", "{name}: radar outputs have no gradient entry point yet; update the test with the API");
        }
    }
    assert_eq!(supported, 16);
}
