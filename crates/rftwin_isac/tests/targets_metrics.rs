//! Image metrics and the procedural silhouettes against the spec's worked examples
//! (`ris_inr_imaging.md` §§5, 9).

#![allow(clippy::unwrap_used)]

use rftwin_isac::metrics::{mse, psnr, ssim};
use rftwin_isac::targets::{GrayImage, Pose, SplitMix64};

#[test]
fn ssim_mse_psnr_on_the_worked_example() {
    let a: Vec<f64> = (0..9).flat_map(|i| (0..9).map(move |j| ((3 * i + 5 * j) % 11) as f64 / 10.0)).collect();
    let b: Vec<f64> = (0..9).flat_map(|i| (0..9).map(move |j| ((3 * i + 5 * j + (i * j) % 3) % 11) as f64 / 10.0)).collect();
    assert!((ssim(&b, &a, 9, 9).unwrap() - 0.722010192146).abs() < 1e-12);
    assert!((mse(&b, &a).unwrap() - 0.0518518519).abs() < 1e-10);
    assert!((psnr(&b, &a).unwrap() - 12.852357).abs() < 1e-6);
    assert!(ssim(&a, &a, 9, 9).unwrap() > 1.0 - 1e-12);
    assert!(ssim(&a, &a, 3, 27).is_err(), "windows need 7 × 7 pixels");
}

#[test]
fn disk_against_itself_shifted() {
    let disk: Vec<f64> = (0..100).flat_map(|r| (0..100).map(move |c| if (r as f64 - 49.5).powi(2) + (c as f64 - 49.5).powi(2) <= 400.0 { 1.0 } else { 0.0 })).collect();
    let shifted: Vec<f64> = (0..100).flat_map(|r| (0..100).map(move |c| (r, (c + 97) % 100))).map(|(r, c)| disk[r * 100 + c]).collect();
    assert!((ssim(&shifted, &disk, 100, 100).unwrap() - 0.895380530655).abs() < 1e-9);
}

#[test]
fn silhouettes_match_the_prototype() {
    let mut rng = SplitMix64::new(0);
    assert_eq!([rng.next_u64(), rng.next_u64(), rng.next_u64()], [0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f]);
    let p0 = Pose::new(0);
    assert!((p0.0[0] - 57.666216).abs() < 1e-6 && (p0.0[1] - 55.452224).abs() < 1e-6 && (p0.0[2] - 0.805287).abs() < 1e-6, "{:?}", p0.0);
    for (seed, sum) in [(0, 994.75), (1, 1527.875), (2, 1305.0)] {
        let img = Pose::new(seed).render();
        let got: f64 = img.data.iter().sum();
        assert!((got - sum).abs() <= 0.5, "seed {seed}: pixel sum {got} vs {sum}");
    }
    let (a, b) = (Pose::at(1, 1.0).render(), Pose::at(1, 0.0).render());
    assert!((ssim(&a.data, &b.data, 100, 100).unwrap() - 0.95934).abs() < 1e-3);
}

#[test]
fn png_round_trip_and_bad_files() {
    let dir = std::env::temp_dir().join(format!("rftwin_targets_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let img = Pose::new(2).render();
    let path = dir.join("silhouette.png");
    img.save(&path).unwrap();
    let back = GrayImage::load(&path, 100, 100).unwrap();
    assert!(back.data.iter().zip(&img.data).all(|(a, b)| (a - b).abs() <= 0.5 / 255.0 + 1e-12));
    let half = GrayImage::load(&path, 50, 50).unwrap();
    assert_eq!(half.data.len(), 2500);
    std::fs::write(dir.join("not.png"), b"plain text").unwrap();
    assert!(GrayImage::load(&dir.join("not.png"), 10, 10).unwrap_err().to_string().contains("not.png"));
    assert!(GrayImage::load(&dir.join("missing.png"), 10, 10).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_phantom_has_its_ellipse_levels() {
    use rftwin_isac::targets::phantom;
    let p = phantom(200).unwrap();
    let at = |x: f64, y: f64| {
        // pixel whose centre is nearest to (x, y) in [−1, 1]², y up
        let col = ((x + 1.0) / 2.0 * 200.0 - 0.5).round() as usize;
        let row = ((1.0 - y) / 2.0 * 200.0 - 0.5).round() as usize;
        p.data[row * 200 + col]
    };
    // outside every ellipse; the outer shell only (1); shell + interior (1 − 0.6);
    // a dark lobe (0.4 − 0.3); the bright region (0.4 + 0.4)
    assert_eq!(at(-0.95, 0.95), 0.0);
    assert!((at(0.0, 0.91) - 1.0).abs() < 1e-12, "{}", at(0.0, 0.91));
    assert!((at(0.5, -0.5) - 0.4).abs() < 1e-12);
    assert!((at(0.22, 0.0) - 0.1).abs() < 1e-12);
    assert!((at(0.0, 0.4) - 0.8).abs() < 1e-12);
    assert!(p.data.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(phantom(1).is_err());
}

#[test]
fn volumes_and_images_refuse_the_wrong_grid() {
    use glam::DVec3;
    use rftwin_isac::geometry::VoxelGrid;
    use rftwin_isac::volume::Volume;
    let disk = GrayImage { rows: 4, cols: 6, data: (0..24).map(|i| (i % 6) as f64 / 5.0).collect() };
    let v = Volume::extruded(&disk, [5, 4, 6], 2).unwrap();
    // slices 1 and 2 of 5 hold the image, the rest are empty
    assert_eq!(v.slice(1).unwrap().data, disk.data);
    assert_eq!(v.slice(2).unwrap().data, disk.data);
    assert!(v.slice(0).unwrap().data.iter().chain(&v.slice(3).unwrap().data).all(|&x| x == 0.0));
    assert_eq!(v.max_projection().data, disk.data);
    let grid3 = VoxelGrid { centre: DVec3::new(4.0, 0.0, 0.0), dims: [5, 4, 6], voxel: 0.05 };
    let grid2 = VoxelGrid { dims: [1, 4, 6], ..grid3.clone() };
    assert_eq!(v.on_grid(&grid3).unwrap().len(), 120);
    let e = v.on_grid(&grid2).unwrap_err().to_string();
    assert!(e.contains("3-D target of 5 range slices") && e.contains("2-D grid"), "{e}");
    let e = v.on_grid(&VoxelGrid { dims: [5, 4, 7], ..grid3.clone() }).unwrap_err().to_string();
    assert!(e.contains("does not match"), "{e}");
    let e = disk.on_grid(&grid3).unwrap_err().to_string();
    assert!(e.contains("2-D image cannot be imaged on a 3-D grid"), "{e}");
    assert_eq!(disk.on_grid(&grid2).unwrap(), disk);
    assert!(Volume::extruded(&disk, [2, 4, 6], 3).is_err());
    assert!(Volume::extruded(&disk, [2, 0, 6], 1).is_err());
    let broken = Volume { dims: [5, 4, 6], data: vec![f64::NAN; 120] };
    assert!(broken.on_grid(&grid3).is_err());
}
