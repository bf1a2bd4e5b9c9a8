//! The GPU backend against the CPU reference on the Sionna configurations: identical
//! path sets, τ within 1e-7 and a within 1e-4 relative. Without an adapter the test
//! prints `SKIPPED: no GPU adapter` and passes, unless RFTWIN_REQUIRE_GPU=1.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "gpu")]

mod common;
use glam::DVec3;
use rftwin::core::io::load_scene;
use rftwin::{BackendChoice, ItuMaterial, PathSolver, Paths, Radio, Scene, SceneGeometry, SolverOptions};

fn gpu_available() -> bool {
    match rftwin::gpu::context::shared() {
        Ok(c) => {
            println!("GPU adapter: {}", c.describe());
            true
        }
        Err(e) => {
            if std::env::var("RFTWIN_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("RFTWIN_REQUIRE_GPU=1 but {e}");
            }
            println!("SKIPPED: no GPU adapter ({e})");
            false
        }
    }
}

fn both(scene: &Scene, tx: DVec3, rx: DVec3, opts: SolverOptions) -> (Paths, Paths) {
    let solve = |b| PathSolver::new(SolverOptions { backend: b, ..opts }).solve_scene(scene, &Radio::isotropic(tx), &Radio::isotropic(rx)).unwrap();
    (solve(BackendChoice::Cpu), solve(BackendChoice::Gpu))
}

fn assert_same(label: &str, cpu: &Paths, gpu: &Paths) {
    let key = |p: &Paths, i: usize| (common::our_signature(p, i), p.path(i).primitives.to_vec());
    let mut a: Vec<_> = (0..cpu.num_paths()).map(|i| (key(cpu, i), i)).collect();
    let mut b: Vec<_> = (0..gpu.num_paths()).map(|i| (key(gpu, i), i)).collect();
    a.sort();
    b.sort();
    assert_eq!(a.iter().map(|x| &x.0).collect::<Vec<_>>(), b.iter().map(|x| &x.0).collect::<Vec<_>>(), "{label}: path sets differ");
    for ((_, i), (_, j)) in a.iter().zip(&b) {
        assert!((cpu.tau[*i] - gpu.tau[*j]).abs() <= 1e-7 * cpu.tau[*i], "{label}: τ");
        assert!((cpu.a[*i] - gpu.a[*j]).norm() <= 1e-4 * cpu.a[*i].norm(), "{label}: a");
    }
}

#[test]
fn gpu_backend_finds_the_cpu_paths_on_the_canyon_configurations() {
    if !gpu_available() {
        return;
    }
    let (tx, los, nlos) = (DVec3::new(-22.0, 1.0, 9.0), DVec3::new(24.0, -2.0, 1.5), DVec3::new(22.0, 14.0, 1.5));
    for (label, mat, rx, depth, refraction) in [
        ("los_metal_d1", ItuMaterial::Metal, los, 1, false),
        ("los_metal_d3", ItuMaterial::Metal, los, 3, false),
        ("los_wood_d3", ItuMaterial::Wood, los, 3, false),
        ("nlos_wood_d2_spec_refr", ItuMaterial::Wood, nlos, 2, true),
    ] {
        let opts = SolverOptions { max_depth: depth, samples: 200_000, refraction, ..Default::default() };
        let (cpu, gpu) = both(&Scene::canyon(mat), tx, rx, opts);
        assert!(cpu.num_paths() >= 1);
        assert_same(label, &cpu, &gpu);
        assert_eq!(gpu.stats.dropped_candidates, 0);
    }
}

#[test]
fn gpu_backend_finds_the_13_munich_paths() {
    if !gpu_available() {
        return;
    }
    let scene = load_scene(common::shared_reference("sionna/scenes/munich/munich.xml")).unwrap();
    let opts = SolverOptions { max_depth: 3, samples: 1_000_000, refraction: true, ..Default::default() };
    let (cpu, gpu) = both(&scene, DVec3::new(8.5, 21.0, 27.0), DVec3::new(45.0, 90.0, 1.5), opts);
    assert_eq!(cpu.num_paths(), 13);
    assert_same("munich", &cpu, &gpu);
}

#[test]
fn gpu_field_kernel_matches_the_cpu_for_every_antenna_pattern() {
    if !gpu_available() {
        return;
    }
    use rftwin::{Antenna, AntennaPattern, Polarization};
    let scene = Scene::canyon(ItuMaterial::Wood);
    let (tx, rx) = (DVec3::new(-22.0, 1.0, 9.0), DVec3::new(24.0, -2.0, 1.5));
    for (pt, pr) in [
        (Antenna::short_dipole(Polarization::V), Antenna::short_dipole(Polarization::V)),
        (Antenna::isotropic(Polarization::H), Antenna::isotropic(Polarization::Slant(0.4))),
        (
            Antenna { pattern: AntennaPattern::HalfWaveDipole, polarization: Polarization::V, orientation: DVec3::new(0.3, 0.5, -0.2) },
            Antenna { pattern: AntennaPattern::ShortDipole, polarization: Polarization::H, orientation: DVec3::new(-1.0, 0.2, 0.1) },
        ),
    ] {
        let opts = SolverOptions { max_depth: 3, samples: 100_000, refraction: true, ..Default::default() };
        let solve = |b| {
            PathSolver::new(SolverOptions { backend: b, ..opts })
                .solve_scene(&scene, &Radio { position: tx, antenna: pt }, &Radio { position: rx, antenna: pr })
                .unwrap()
        };
        let (cpu, gpu) = (solve(BackendChoice::Cpu), solve(BackendChoice::Gpu));
        assert!(cpu.num_paths() >= 8);
        assert_same(&format!("{:?}/{:?}", pt.pattern, pr.pattern), &cpu, &gpu);
    }
}

#[test]
fn device_deduplication_gives_the_host_candidate_set() {
    use rftwin::gpu::sbr::DedupSettings;
    use rftwin::trace::candidates::{shoot_and_bounce_gpu_with, CandidateOptions};
    if !gpu_available() {
        return;
    }
    let ctx = rftwin::gpu::context::shared().unwrap();
    let scene = load_scene(common::shared_reference("sionna/scenes/munich/munich.xml")).unwrap();
    let geom = SceneGeometry::new(&scene);
    let f = 28e9;
    let materials: Vec<_> = scene.materials().iter().map(|m| (m.complex_permittivity(f).unwrap(), m.thickness)).collect();
    let opts = CandidateOptions {
        samples: 300_000,
        max_depth: 3,
        specular: true,
        refraction: true,
        seed: 7,
        max_candidates: 1_000_000,
        wavelength: rftwin::core::constants::wavelength(f),
    };
    let tx = DVec3::new(8.5, 21.0, 27.0);
    let host = shoot_and_bounce_gpu_with(ctx, &geom, &materials, tx, &opts, None).unwrap();
    assert!(host.chains.len() > 1000, "{} candidates", host.chains.len());
    let default = DedupSettings::default();
    for (label, settings) in [
        ("default", default),
        // 4 distinct keys: nearly every prefix collides with a different chain and overflows
        ("colliding keys", DedupSettings { key_mask: 3, overflow_capacity: 4 << 20, ..default }),
        // one probe in a small table: prefixes that find no slot overflow
        ("full table", DedupSettings { capacity: 8192, max_probes: 1, overflow_capacity: 4 << 20, ..default }),
        // lists too small: falls back to reading every chain
        ("fallback", DedupSettings { capacity: 64, overflow_capacity: 64, ..default }),
    ] {
        let dev = shoot_and_bounce_gpu_with(ctx, &geom, &materials, tx, &opts, Some(settings)).unwrap();
        assert_eq!(dev.chains.len(), host.chains.len(), "{label}: candidate count");
        assert!(dev.chains == host.chains, "{label}: candidate sets differ");
        assert_eq!((dev.dropped, dev.rays), (host.dropped, host.rays), "{label}");
    }
}
