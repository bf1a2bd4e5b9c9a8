//! The GPU backend against the CPU reference on the Sionna configurations: identical
//! path sets, τ within 1e-7 and a within 1e-4 relative. Without an adapter the test
//! prints `SKIPPED: no GPU adapter` and passes, unless RFTWIN_REQUIRE_GPU=1.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "gpu")]

mod common;
use glam::DVec3;
use rftwin::core::io::load_scene;
use rftwin::{BackendChoice, ItuMaterial, PathSolver, Paths, Radio, Scene, SceneGeometry, SolverOptions};

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
    if !common::gpu_available() {
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

/// Diffracted paths: the same paths, their coefficients from the WGSL UTD kernel
/// (`shaders/common/utd.wgsl`, f32) within 1e-4 of the CPU's f64 (largest error printed),
/// on the Sionna diffraction configuration and three polarisations.
#[test]
fn gpu_diffraction_coefficients_match_the_cpu() {
    if !common::gpu_available() {
        return;
    }
    use rftwin::{Antenna, Polarization};
    let scene = Scene::canyon(ItuMaterial::Wood);
    let (tx, rx) = (DVec3::new(-22.0, 1.0, 9.0), DVec3::new(22.0, 14.0, 1.5));
    for pol in [Polarization::V, Polarization::H, Polarization::Slant(0.4)] {
        let opts = SolverOptions { max_depth: 2, samples: 200_000, refraction: true, diffraction: true, ..Default::default() };
        let radio = |position| Radio { position, antenna: Antenna::isotropic(pol) };
        let solve = |b| PathSolver::new(SolverOptions { backend: b, ..opts }).solve_scene(&scene, &radio(tx), &radio(rx)).unwrap();
        let (cpu, gpu) = (solve(BackendChoice::Cpu), solve(BackendChoice::Gpu));
        assert_eq!(cpu.num_paths(), 9);
        let worst = (0..cpu.num_paths()).map(|i| (cpu.a[i] - gpu.a[i]).norm() / cpu.a[i].norm()).fold(0.0, f64::max);
        println!("{pol:?}: largest relative coefficient difference {worst:.2e}");
        assert_same(&format!("diffraction {pol:?}"), &cpu, &gpu);
    }
}

#[test]
fn gpu_backend_finds_the_13_munich_paths() {
    if !common::gpu_available() {
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
    if !common::gpu_available() {
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
    use rftwin::trace::paths::candidates::{shoot_and_bounce_gpu_with, CandidateOptions};
    if !common::gpu_available() {
        return;
    }
    let ctx = rftwin::gpu::context::shared().unwrap();
    let scene = load_scene(common::shared_reference("sionna/scenes/munich/munich.xml")).unwrap();
    let geom = SceneGeometry::new(&scene);
    let f = 28e9;
    let materials = scene.slab_table(f).unwrap();
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

/// Solver (B): the GPU and CPU draw different random directions, so each GPU sample is
/// checked against the CPU model at its own point (hit triangle, density f = a / w,
/// the cone constant w cos θ / t²), and the estimates are compared statistically.
#[test]
fn gpu_scattering_samples_match_the_cpu_model_and_estimate() {
    use rftwin::core::constants::wavelength;
    use rftwin::trace::physics::field::slab_coefficients;
    use rftwin::trace::scattering::{scattering_density, surface_scattering, surface_scattering_gpu_records, ScatteringOptions, ScatteringResult};
    use rftwin::Mesh;
    if !common::gpu_available() {
        return;
    }
    let mut scene = Scene::new();
    scene.add_object("a", Mesh::letter_a(DVec3::new(0.0, 1.2, -0.25), 0.5, 0.4, 0.08, 0.05), "itu_metal").unwrap();
    // a wooden occluder over part of the letter and a back wall for second bounces
    let occ = Mesh::oriented_box(DVec3::new(-0.275, 0.8, 0.0), DVec3::new(0.175, 0.001, 0.45), [DVec3::X, DVec3::Y, DVec3::Z]);
    scene.add_object("occluder", occ, "itu_wood").unwrap();
    // a dihedral corner beside the letter for two-bounce echoes
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let edge = DVec3::new(0.6, 1.2, 0.0);
    for (name, along) in [("left", DVec3::new(-r, -r, 0.0)), ("right", DVec3::new(r, -r, 0.0))] {
        let normal = DVec3::Z.cross(along).normalize();
        scene.add_object(name, Mesh::oriented_box(edge + along * 0.15, DVec3::new(0.15, 0.001, 0.15), [along, normal, DVec3::Z]), "itu_metal").unwrap();
    }
    let geom = SceneGeometry::new(&scene);
    let center = DVec3::ZERO;
    let elements: Vec<DVec3> = (0..4).map(|k| DVec3::new(-0.006 + 0.004 * k as f64, 0.0, 0.0)).collect();
    let f = 77e9;
    let lambda = wavelength(f);
    let base = ScatteringOptions { frequency_hz: f, samples: 400_000, targets: vec!["a".into(), "left".into(), "right".into()], elements, second_bounce: true, ..Default::default() };
    let cpu = surface_scattering(&scene, &geom, center, &ScatteringOptions { backend: BackendChoice::Cpu, ..base.clone() }).unwrap();
    let (gpu, records) = surface_scattering_gpu_records(&scene, &geom, center, &base).unwrap();
    assert_eq!(records.len(), base.samples);
    assert!(gpu.samples.len() > 10_000, "{} GPU samples", gpu.samples.len());
    // the cone constant w cos θ / t² = 1 / (N p_ω) is the same for both backends
    let cone_constant = |r: &ScatteringResult| {
        let s = &r.samples[0];
        let t = (s.point - center).length();
        s.area_weight * geom.normals[s.triangle as usize].dot((s.point - center) / t).abs() / (t * t)
    };
    let k_cpu = cone_constant(&cpu);
    let raw: Vec<_> = records.iter().filter(|r| r.outcome == 0).collect();
    assert_eq!(raw.len(), gpu.samples.len());
    let mut wrong_triangle = 0;
    for (r, s) in raw.iter().zip(&gpu.samples) {
        let t = (s.point - center).length();
        let d = (s.point - center) / t;
        let hit = geom.closest_hit(center, d, geom.eps(), f64::INFINITY, None).unwrap();
        // the letter's strokes overlap: coplanar faces at the same distance are one surface
        let same_surface = hit.triangle == s.triangle || (geom.plane[hit.triangle as usize] == geom.plane[s.triangle as usize] && (hit.t - t).abs() < 1e-9 * t);
        if !same_surface {
            wrong_triangle += 1;
            continue;
        }
        assert!((hit.t - t).abs() < 1e-5 * t, "t {} vs {t}", hit.t);
        // the kernel's f32 amplitude and weight against the CPU's f64 model at the same point
        let cos = geom.normals[s.triangle as usize].dot(d).abs();
        let m = &scene.materials()[geom.material[s.triangle as usize] as usize];
        let c = slab_coefficients(m.complex_permittivity(f).unwrap(), m.thickness, lambda, cos);
        let density = scattering_density(lambda, t, cos, 0.5 * (c.r_te.norm() + c.r_tm.norm()), base.diffuse);
        assert!((r.amplitude as f64 / r.area_weight as f64 - density).abs() <= 1e-4 * density, "density");
        assert!((r.area_weight as f64 * cos / (t * t) - k_cpu).abs() <= 1e-4 * k_cpu, "area weight");
        assert!((s.amplitude.re - r.amplitude as f64).abs() <= 1e-4 * s.amplitude.re, "amplitude");
    }
    // rays that hit an edge between two triangles in f32 may name the neighbour
    assert!(wrong_triangle * 10_000 <= gpu.samples.len(), "{wrong_triangle} of {} samples on another triangle", gpu.samples.len());
    // the estimates: counts within 5σ (binomial), the surface integral within 1 %
    let n = base.samples as f64;
    for (what, a, b) in [
        ("samples", cpu.samples.len(), gpu.samples.len()),
        ("occluded", cpu.occluded as usize, gpu.occluded as usize),
        ("partially visible", cpu.partially_visible as usize, gpu.partially_visible as usize),
        ("missed", cpu.missed as usize, gpu.missed as usize),
    ] {
        let p = a as f64 / n;
        let sigma = (n * p * (1.0 - p)).sqrt().max(1.0);
        assert!((a as f64 - b as f64).abs() <= 5.0 * sigma * 2f64.sqrt(), "{what}: CPU {a}, GPU {b}");
    }
    assert!(cpu.partially_visible > 100 && cpu.occluded > 1000);
    let total = |r: &ScatteringResult| r.samples.iter().map(|s| s.amplitude.re).sum::<f64>();
    let (ta, tb) = (total(&cpu), total(&gpu));
    assert!((ta - tb).abs() <= 0.01 * ta, "∫ f dA: CPU {ta}, GPU {tb}");
    let total2 = |r: &ScatteringResult| r.second_bounce.iter().map(|s| s.amplitude.re).sum::<f64>();
    let (sa, sb) = (total2(&cpu), total2(&gpu));
    assert!(cpu.second_bounce.len() > 100, "{} two-bounce echoes", cpu.second_bounce.len());
    assert!((sa - sb).abs() <= 0.05 * sa, "two-bounce sum: CPU {sa}, GPU {sb}");
    for s in &gpu.second_bounce {
        let expect = (s.first_point - center).length() + (s.point - s.first_point).length() - (s.point - center).length();
        assert!((s.extra_path_m - expect).abs() < 1e-9);
    }
}

#[test]
fn gpu_ris_element_terms_and_phase_vjp_match_the_cpu() {
    if !common::gpu_available() {
        return;
    }
    use rftwin::core::ris::RisSurface;
    use rftwin::{Antenna, Mesh, Polarization};
    // a wall (y = −2) and a 12 × 12 RIS facing +x: legs with and without a reflection
    let mut scene = Scene::new();
    let wall = Mesh::new("wall", vec![DVec3::new(-1.0, -2.0, -2.0), DVec3::new(6.0, -2.0, -2.0), DVec3::new(6.0, -2.0, 2.0), DVec3::new(-1.0, -2.0, 2.0)], vec![[0, 1, 2], [0, 2, 3]]).unwrap();
    scene.add_object("wall", wall, "concrete").unwrap();
    let lambda = 299_792_458.0 / 28e9;
    let mut ris = RisSurface::new("ris", DVec3::ZERO, DVec3::X, DVec3::Z, [12, 12], [lambda / 2.0; 2]).unwrap();
    ris.configurations[0] = ris.focus(DVec3::new(3.0, 1.0, 0.2), DVec3::new(2.0, -1.0, -0.1), 2.0 * std::f64::consts::PI / lambda).unwrap();
    scene.add_ris(ris).unwrap();
    let tx = Radio { position: DVec3::new(3.0, 1.0, 0.2), antenna: Antenna::short_dipole(Polarization::V) };
    let rx = Radio { position: DVec3::new(2.0, -1.0, -0.1), antenna: Antenna::isotropic(Polarization::Slant(0.4)) };
    let opts = SolverOptions { frequency_hz: 28e9, max_depth: 2, samples: 20_000, refraction: false, ..Default::default() };
    let solve = |b| PathSolver::new(SolverOptions { backend: b, ..opts }).solve_scene(&scene, &tx, &rx).unwrap();
    let (cpu, gpu) = (solve(BackendChoice::Cpu), solve(BackendChoice::Gpu));
    assert!(cpu.ris_paths.len() >= 3, "TX–RIS–RX and the wall legs");
    assert_ris_terms_match(&cpu, &gpu);
    // the phase VJP of a wideband power loss, 64 subcarriers
    let freqs: Vec<f64> = (0..64).map(|i| 28e9 + (i as f64 - 32.0) * 2e6).collect();
    assert_phase_vjp_parity(&cpu, &freqs);
}

/// The RIS families of the CPU and GPU solves: the same families and element (pairs),
/// τ within 1e-7 and b within 1e-4 relative (1e-6 of the largest term for the weakest).
fn assert_ris_terms_match(cpu: &Paths, gpu: &Paths) {
    assert_eq!(cpu.ris_paths.len(), gpu.ris_paths.len(), "RIS families");
    let largest = cpu.ris_paths.iter().flat_map(|p| &p.terms).map(|t| t.b.norm()).fold(0.0, f64::max);
    for (c, g) in cpu.ris_paths.iter().zip(&gpu.ris_paths) {
        assert_eq!((&c.incoming, &c.outgoing, &c.second, c.terms.len()), (&g.incoming, &g.outgoing, &g.second, g.terms.len()));
        for (a, b) in c.terms.iter().zip(&g.terms) {
            assert_eq!((a.element, a.second_element), (b.element, b.second_element));
            assert!((a.tau - b.tau).abs() <= 1e-7 * a.tau, "τ of element {}", a.element);
            assert!((a.b - b.b).norm() <= 1e-4 * a.b.norm() + 1e-6 * largest, "element {:?}: {} vs {}", (a.element, a.second_element), a.b, b.b);
        }
    }
}

/// Paths through a RIS twice (TX → RIS → plate → RIS → RX): the GPU backend returns the
/// same two-RIS families with the same element-pair terms (the path-field kernel with two
/// `KIND_RIS` vertices), and the phase-VJP kernel, fed each element's share of every
/// term, matches the CPU.
#[test]
fn gpu_two_ris_terms_and_their_phase_vjp_shares_match_the_cpu() {
    if !common::gpu_available() {
        return;
    }
    use rftwin::core::ris::RisSurface;
    use rftwin::Mesh;
    let lambda = 299_792_458.0 / 28e9;
    let mut scene = Scene::new();
    let mut plate = Mesh::quad_xy(-0.3, 0.3, -0.3, 0.3, 0.0);
    plate.vertices.iter_mut().for_each(|v| *v = DVec3::new(0.8, v.x, v.y));
    scene.add_object("plate", plate, "metal").unwrap();
    let mut ris = RisSurface::new("ris", DVec3::ZERO, DVec3::X, DVec3::Z, [4, 4], [lambda / 2.0; 2]).unwrap();
    let (tx, rx) = (DVec3::new(0.4, 0.6, 0.1), DVec3::new(0.4, -0.6, -0.1));
    ris.configurations[0] = ris.focus(tx, rx, 2.0 * std::f64::consts::PI / lambda).unwrap();
    scene.add_ris(ris).unwrap();
    let opts = SolverOptions { frequency_hz: 28e9, max_depth: 3, samples: 20_000, max_ris_interactions: 2, ..Default::default() };
    let (cpu, gpu) = both(&scene, tx, rx, opts);
    let twice = |p: &Paths| p.ris_paths.iter().filter(|f| f.second.is_some()).count();
    assert!(twice(&cpu) >= 1, "a family through the RIS twice");
    assert_ris_terms_match(&cpu, &gpu);
    let freqs: Vec<f64> = (0..16).map(|i| 28e9 + (i as f64 - 8.0) * 5e6).collect();
    assert_phase_vjp_parity(&cpu, &freqs);
}

/// The phase VJP of RIS 0 for the wideband power loss `Σ |H(f)|²`, CPU against the GPU
/// kernel, within 1e-3 of the largest entry.
fn assert_phase_vjp_parity(paths: &Paths, freqs: &[f64]) {
    use rftwin::trace::paths::channel::cfr;
    use rftwin::trace::paths::ris::phase_vjp_on;
    let cot: Vec<rftwin::Complex> = cfr(paths, freqs).iter().map(|h| h * 2.0).collect();
    let on_cpu = phase_vjp_on(BackendChoice::Cpu, paths, 0, freqs, &cot).unwrap();
    let on_gpu = phase_vjp_on(BackendChoice::Gpu, paths, 0, freqs, &cot).unwrap();
    let scale = on_cpu.iter().map(|g| g.abs()).fold(0.0, f64::max);
    assert!(scale > 0.0);
    for (m, (a, b)) in on_cpu.iter().zip(&on_gpu).enumerate() {
        assert!((a - b).abs() <= 1e-3 * scale, "element {m}: {a} vs {b}");
    }
}
