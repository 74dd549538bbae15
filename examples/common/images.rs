#![allow(dead_code, reason = "each example uses part of this module")]
//! Pictures for the generative examples: grids of 28x28 digits and loss
//! curves, written as PNG (the `png` crate; curves drawn with `plotters`
//! into a pixel buffer).

use std::error::Error;
use std::path::Path;

/// Writes an 8-bit PNG (`channels` 1 = grey, 3 = RGB), encoded in memory
/// and written atomically (`weights::write_atomic`): an interrupted run
/// leaves the previous picture whole.
fn write_png(
    path: &Path,
    width: u32,
    height: u32,
    channels: u8,
    data: &[u8],
) -> Result<(), Box<dyn Error>> {
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, width, height);
    enc.set_color(if channels == 1 {
        png::ColorType::Grayscale
    } else {
        png::ColorType::Rgb
    });
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(data)?;
    writer.finish()?;
    staticnet::weights::write_atomic(path, &bytes)?;
    Ok(())
}

/// A grid of 28x28 images (values in `[0, 1]`, row-major), `cols` per row,
/// each pixel drawn as `scale` x `scale`, 2-pixel gaps.
pub fn save_grid(
    path: impl AsRef<Path>,
    images: &[Vec<f32>],
    cols: usize,
    scale: usize,
) -> Result<(), Box<dyn Error>> {
    let rows = images.len().div_ceil(cols);
    let cell = 28 * scale + 2;
    let (w, h) = (cols * cell + 2, rows * cell + 2);
    let mut px = vec![40u8; w * h];
    for (k, img) in images.iter().enumerate() {
        let (r, c) = (k / cols, k % cols);
        for y in 0..28 * scale {
            for x in 0..28 * scale {
                let v = img[(y / scale) * 28 + x / scale].clamp(0.0, 1.0);
                px[(2 + r * cell + y) * w + 2 + c * cell + x] = (v * 255.0).round() as u8;
            }
        }
    }
    write_png(path.as_ref(), w as u32, h as u32, 1, &px)
}

/// Loss curves (one per `(name, values)`, value `i` at step `i * every`),
/// with axes, a caption and a legend. The text uses DejaVu Sans from the
/// system (Debian's fonts-dejavu-core).
pub fn plot_losses(
    path: impl AsRef<Path>,
    title: &str,
    every: usize,
    series: &[(&str, &[f32])],
) -> Result<(), Box<dyn Error>> {
    use plotters::prelude::*;
    let font = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        .map_err(|e| format!("DejaVuSans.ttf (apt-get install fonts-dejavu-core): {e}"))?;
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        Box::leak(font.into_boxed_slice()),
    )
    .map_err(|_| "cannot read the font")?;
    let (w, h) = (800u32, 480u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let n = series.iter().map(|(_, v)| v.len()).max().unwrap_or(1) * every;
        let top = series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0f32, f32::max)
            * 1.05;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0..n, 0.0f32..top)?;
        chart
            .configure_mesh()
            .x_desc("training step")
            .y_desc("loss")
            .draw()?;
        for (k, (name, values)) in series.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(i, &v)| (i * every, v)),
                    color.stroke_width(2),
                ))?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    write_png(path.as_ref(), w, h, 3, &buf)
}
