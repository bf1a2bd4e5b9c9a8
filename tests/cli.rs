//! The examples' command lines: every example answers `--help` with its options and
//! defaults, refuses an unknown option, and refuses bad values before any simulation
//! (each case must fail within seconds, with a message naming the problem).
//!
//! Runs the example binaries `cargo test` builds into `target/<profile>/examples/`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const EXAMPLES: [&str; 28] = [
    "bvh_bench",
    "coverage_gradient",
    "diffraction",
    "estimate_material",
    "ft_imaging",
    "gpu_bench",
    "gradient_accuracy",
    "irs_isac",
    "landscape",
    "mf_ris",
    "paths",
    "quickstart",
    "radar_scene",
    "reconstruct",
    "reconstruct_pose",
    "ris_comm_se",
    "ris_imaging",
    "ris_imaging_3d",
    "ris_imaging_baselines",
    "ris_imaging_dynamic",
    "ris_imaging_multipath",
    "ris_imaging_sweep",
    "ris_imaging_table2",
    "ris_optimise",
    "ris_paths",
    "ris_room_imaging",
    "scattering_bench",
    "shape_prior",
];

/// `target/<profile>/examples/<name>`, next to this test's `deps/` folder.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing: `cargo test` builds the examples before the tests", path.display());
    path
}

/// Runs an example with `args`; returns (exit code, stdout + stderr, seconds).
fn run(name: &str, args: &[&str]) -> (i32, String, f64) {
    let started = Instant::now();
    let out = Command::new(example(name)).args(args).env("RUST_BACKTRACE", "0").current_dir(std::env::temp_dir()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text, started.elapsed().as_secs_f64())
}

#[test]
fn every_example_has_help_with_defaults_and_refuses_unknown_options() {
    for name in EXAMPLES {
        let (code, text, _) = run(name, &["--help"]);
        assert_eq!(code, 0, "{name} --help: {text}");
        assert!(text.contains("Usage:") && text.contains("--"), "{name} --help: {text}");
        let (code, text, _) = run(name, &["--no-such-option", "1"]);
        assert_ne!(code, 0, "{name} accepted an unknown option: {text}");
        assert!(text.contains("unexpected argument"), "{name}: {text}");
    }
    // defaults are shown
    let (_, text, _) = run("ris_imaging", &["--help"]);
    assert!(text.contains("[default: 200]") && text.contains("[possible values: random, dft, none]"), "{text}");
}

#[test]
fn bad_values_are_refused_before_any_work() {
    let missing = std::env::temp_dir().join("rftwin_cli_missing.xml");
    let missing = missing.to_str().unwrap();
    let cases: [(&str, &[&str], &str); 30] = [
        ("ris_imaging", &["--epochs", "0"], "epoch"),
        ("ris_imaging", &["--k", "0"], "K = 0"),
        ("ris_imaging", &["--target", "/nonexistent/target.png"], "target.png"),
        ("ris_imaging", &["--ris", "hexagonal"], "invalid value"),
        ("ris_imaging_sweep", &["--ks", "0"], "K = 0"),
        ("ris_imaging_3d", &["--depth", "9"], "depth"),
        ("ris_imaging_multipath", &["--sir", "nan"], "finite"),
        ("ris_imaging_dynamic", &["--paper", "--lr", "1e-4"], "cannot be used with"),
        ("reconstruct", &["--lambda", "-1"], "lambda"),
        ("reconstruct", &["--mesh", "/nonexistent/mesh.obj"], "mesh.obj"),
        ("estimate_material", &["--eps-r", "0.5"], "≥ 1"),
        ("coverage_gradient", &["--cells", "1"], "--cells"),
        ("paths", &[missing, "--tx", "0,0,1", "--rx", "nan,0,1"], "finite"),
        ("paths", &[missing, "--tx", "0,0,1", "--rx", "1,0,1", "--grad", "object/x/colour"], "colour"),
        ("gpu_bench", &["--munich", missing], "no such file"),
        ("ft_imaging", &["--bits", "3"], "3"),
        ("landscape", &["--steps", "2"], "2"),
        ("mf_ris", &["--m", "0x4"], "--m"),
        ("mf_ris", &["--users-t", "1,-1,0"], "users_t"),
        ("mf_ris", &["--protocol", "xs"], "xs"),
        ("mf_ris", &["--power-dbm", "5", "--ris-power-dbm", "10"], "total_power_dbm"),
        ("ris_comm_se", &["--hand", "nan,0,0"], "finite"),
        ("ris_comm_se", &["--ris-side", "0"], "0"),
        ("irs_isac", &["--trials", "1"], "10"),
        ("ris_optimise", &["--side", "0"], "--side"),
        ("ris_optimise", &["--step", "0"], "spacing"),
        ("ris_paths", &["--rx", "nan,0,0"], "finite"),
        ("ris_room_imaging", &["--voxels", "2"], "--voxels"),
        ("ris_room_imaging", &["--leg-coupling", "0"], "--leg-coupling"),
        ("ris_room_imaging", &["--operator", "exact"], "--operator"),
    ];
    for (name, args, needle) in cases {
        let (code, text, seconds) = run(name, args);
        assert_ne!(code, 0, "{name} {args:?} succeeded: {text}");
        assert!(text.contains(needle), "{name} {args:?}: the message should name '{needle}': {text}");
        assert!(!text.contains("panicked"), "{name} {args:?} panicked: {text}");
        assert!(seconds < Duration::from_secs(30).as_secs_f64(), "{name} {args:?} took {seconds:.1} s to refuse");
    }
}

#[test]
fn ris_optimise_runs_small_and_ends_with_its_summary() {
    let out = std::env::temp_dir().join("rftwin_cli_ris_optimise");
    let args = ["--side", "6", "--step", "3.5", "--iterations", "20", "--samples", "3000", "--cost-side", "8", "--quiet", "--out", out.to_str().unwrap()];
    let (code, text, _) = run("ris_optimise", &args);
    assert_eq!(code, 0, "{text}");
    let summary = text.lines().last().and_then(|l| l.strip_prefix("summary: ")).unwrap_or_else(|| panic!("no summary line: {text}"));
    let v: serde_json::Value = serde_json::from_str(summary).unwrap();
    let gain = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {summary}"));
    // the optimiser starts from the gradient profile and never ends below it
    assert!(gain("gain_db_vs_gradient_profile") >= -1e-9, "{summary}");
    assert!(gain("gain_db_vs_off").is_finite() && gain("gain_db_after_quantisation").is_finite() && gain("reverse_forward_ratio") > 0.0, "{summary}");
    assert!(out.join("ris_optimise.png").exists() && out.join("ris_phases.png").exists());
}
