//! PNG plots written by the drivers and examples (plotters, bundled font).

use crate::error::{InverseError, Result};
use std::path::Path;

/// Where a plot is drawn before [`commit`] renames it to `path`: the same folder,
/// `<stem>.partial.png` (plotters picks the encoder from the extension), so an
/// interrupted run never leaves a truncated PNG under the final name.
pub fn partial_path(path: &Path) -> std::path::PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}.partial.png"))
}

/// Renames the finished [`partial_path`] of `path` into place.
pub fn commit(path: &Path) -> Result<()> {
    std::fs::rename(partial_path(path), path).map_err(|e| InverseError::io(path, &e))
}

/// Registers the bundled font for plotters' text (so plots render without system fonts).
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let font: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono.ttf");
        let _ = plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, font);
    });
}

/// Line plot of named series over a shared x axis (`log10` of y when `log` is set;
/// non-positive values are left out of a log plot).
pub fn lines(path: &Path, title: &str, x_desc: &str, y_desc: &str, x: &[f64], series: &[(&str, Vec<f64>)], log: bool) -> Result<()> {
    use plotters::prelude::*;
    register_font();
    let err = |e: &dyn std::fmt::Display| InverseError::io(path, e);
    let tf = |v: f64| if log { if v > 0.0 { Some(v.log10()) } else { None } } else if v.is_finite() { Some(v) } else { None };
    let pts: Vec<Vec<(f64, f64)>> = series.iter().map(|(_, ys)| x.iter().zip(ys).filter_map(|(&a, &b)| tf(b).map(|b| (a, b))).collect()).collect();
    let (mut y0, mut y1) = pts.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    let (x0, x1) = (x.first().copied().unwrap_or(0.0), x.last().copied().unwrap_or(1.0).max(x.first().copied().unwrap_or(0.0) + 1.0));
    let partial = partial_path(path);
    let root = BitMapBackend::new(&partial, (900, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(|e| err(&e))?;
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw().map_err(|e| err(&e))?;
    let colors = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
    for (k, ((name, _), p)) in series.iter().zip(pts).enumerate() {
        let c = colors[k % colors.len()];
        chart
            .draw_series(LineSeries::new(p, c.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(*name)
            .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 20, py)], c.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    commit(path)
}

/// Dark blue → yellow-white for `t` in [0, 1].
pub fn sequential(t: f64) -> plotters::style::RGBColor {
    plotters::style::RGBColor((255.0 * t.sqrt()) as u8, (255.0 * t) as u8, (255.0 * (0.35 + 0.4 * t)) as u8)
}

/// Side-by-side heat maps (`rows × cols`, row-major, each scaled to the pair's common
/// maximum): e.g. observed vs simulated spectra.
pub fn heatmaps(path: &Path, panels: &[(&str, &[f64])], rows: usize, cols: usize) -> Result<()> {
    use plotters::prelude::*;
    register_font();
    let err = |e: &dyn std::fmt::Display| InverseError::io(path, e);
    if panels.iter().any(|(_, d)| d.len() != rows * cols) || rows == 0 || cols == 0 {
        return Err(InverseError::invalid("heat map", format!("panels must hold {rows} × {cols} values")));
    }
    let hi = panels.iter().flat_map(|(_, d)| d.iter()).cloned().fold(f64::MIN_POSITIVE, f64::max);
    let partial = partial_path(path);
    let root = BitMapBackend::new(&partial, (420 * panels.len() as u32, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    for (area, (title, data)) in root.split_evenly((1, panels.len())).iter().zip(panels) {
        let mut chart = ChartBuilder::on(area).caption(*title, ("sans-serif", 18)).margin(10).build_cartesian_2d(0..cols, 0..rows).map_err(|e| err(&e))?;
        chart
            .draw_series((0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))).map(|(r, c)| {
                let t = (data[r * cols + c] / hi).clamp(0.0, 1.0);
                Rectangle::new([(c, r), (c + 1, r + 1)], sequential(t).filled())
            }))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    commit(path)
}

/// Colour scale of a [`maps`] panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Dark → bright from the panel's minimum to its maximum (e.g. power in dB).
    Sequential,
    /// Blue (negative) – white (0) – red (positive), symmetric about zero and clipped at
    /// the 99th percentile of |x| so a few huge values (e.g. finite differences across a
    /// shadow edge) do not wash out the rest.
    Diverging,
    /// Dark → bright over a fixed `[lo, hi]` (panels to compare on one scale).
    Range(f64, f64),
}

/// 99th percentile of |x| over the finite values (at least the smallest positive f64).
fn clip_level(data: &[f64]) -> f64 {
    let mut a: Vec<f64> = data.iter().filter(|x| x.is_finite()).map(|x| x.abs()).collect();
    if a.is_empty() {
        return f64::MIN_POSITIVE;
    }
    a.sort_by(f64::total_cmp);
    a[((a.len() - 1) as f64 * 0.99) as usize].max(f64::MIN_POSITIVE)
}

/// Panels of `rows × cols` maps (row 0 at the bottom), each with its own colour scale;
/// `extent = (x0, x1, y0, y1)` labels the axes. Non-finite values are drawn grey.
pub fn maps(path: &Path, panels: &[(&str, &[f64], Scale)], rows: usize, cols: usize, extent: (f64, f64, f64, f64), x_desc: &str, y_desc: &str) -> Result<()> {
    use plotters::prelude::*;
    register_font();
    let err = |e: &dyn std::fmt::Display| InverseError::io(path, e);
    if panels.is_empty() || panels.iter().any(|(_, d, _)| d.len() != rows * cols) || rows == 0 || cols == 0 {
        return Err(InverseError::invalid("map", format!("need panels of {rows} × {cols} values")));
    }
    let (x0, x1, y0, y1) = extent;
    let (dx, dy) = ((x1 - x0) / cols as f64, (y1 - y0) / rows as f64);
    let partial = partial_path(path);
    let root = BitMapBackend::new(&partial, (520 * panels.len() as u32, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    for (area, (title, data, scale)) in root.split_evenly((1, panels.len())).iter().zip(panels) {
        let mut chart = ChartBuilder::on(area)
            .caption(*title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(&e))?;
        chart.configure_mesh().disable_mesh().x_desc(x_desc).y_desc(y_desc).draw().map_err(|e| err(&e))?;
        let finite = data.iter().filter(|x| x.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let clip = clip_level(data);
        let colour = |x: f64| -> RGBColor {
            if !x.is_finite() {
                return RGBColor(160, 160, 160);
            }
            match scale {
                Scale::Sequential => {
                    sequential(if hi > lo { ((x - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.5 })
                }
                Scale::Range(a, b) => sequential(if b > a { ((x - a) / (b - a)).clamp(0.0, 1.0) } else { 0.5 }),
                Scale::Diverging => {
                    let t = (x / clip).clamp(-1.0, 1.0);
                    let w = (255.0 * (1.0 - t.abs())) as u8;
                    if t >= 0.0 {
                        RGBColor(255, w, w)
                    } else {
                        RGBColor(w, w, 255)
                    }
                }
            }
        };
        chart
            .draw_series((0..rows).flat_map(|r| (0..cols).map(move |c| (r, c))).map(|(r, c)| {
                let (xa, ya) = (x0 + c as f64 * dx, y0 + r as f64 * dy);
                Rectangle::new([(xa, ya), (xa + dx, ya + dy)], colour(data[r * cols + c]).filled())
            }))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    commit(path)
}

pub(crate) fn borrowed(v: &[(String, Vec<f64>)]) -> Vec<(&str, &[f64])> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_slice())).collect()
}
