//! A small SVG plot: one panel per series (each has its own unit), a polyline over time with
//! its axes, a few tick labels and the series' slope. No plotting crate: the soak needs lines
//! on axes, nothing more.

use std::fmt::Write as _;

/// One series of a plot.
pub struct Series {
    /// Name and unit, shown as the panel's title.
    pub name: String,
    /// `(seconds, value)`; non-finite values are gaps.
    pub points: Vec<(f64, f64)>,
    /// Least-squares slope per minute, shown beside the title.
    pub slope_per_min: f64,
}

const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 210.0;
const COLUMNS: usize = 2;
/// Margins inside a panel: left (y labels), right, top (title), bottom (x labels).
const ML: f64 = 64.0;
const MR: f64 = 30.0;
const MT: f64 = 30.0;
const MB: f64 = 34.0;
const HEADER: f64 = 36.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A compact label: 3 significant digits, no exponent for the usual sizes.
fn label(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The value range to draw: the data's, widened a little, never empty.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    // Start at zero when the data is not far from it: a flat line then looks flat.
    if lo > 0.0 && lo < hi * 0.5 {
        lo = 0.0;
    }
    if hi - lo < 1e-9 {
        let pad = if hi.abs() > 1e-9 { hi.abs() * 0.1 } else { 1.0 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.08;
    (if lo == 0.0 { 0.0 } else { lo - pad }, hi + pad)
}

/// The SVG document of `series` under `title`.
pub fn svg(title: &str, series: &[Series]) -> String {
    let rows = series.len().div_ceil(COLUMNS).max(1);
    let width = PANEL_W * COLUMNS as f64;
    let height = HEADER + PANEL_H * rows as f64;
    let t_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" font-size="14" text-anchor="middle">{}</text>"#,
        width / 2.0,
        escape(title)
    );
    for (i, s) in series.iter().enumerate() {
        let x0 = PANEL_W * (i % COLUMNS) as f64;
        let y0 = HEADER + PANEL_H * (i / COLUMNS) as f64;
        panel(&mut out, s, x0, y0, t_max);
    }
    out.push_str("</svg>\n");
    out
}

fn panel(out: &mut String, s: &Series, x0: f64, y0: f64, t_max: f64) {
    let (left, right) = (x0 + ML, x0 + PANEL_W - MR);
    let (top, bottom) = (y0 + MT, y0 + PANEL_H - MB);
    let (lo, hi) = range(s.points.iter().map(|p| p.1));
    let x = |t: f64| left + (right - left) * t / t_max;
    let y = |v: f64| bottom - (bottom - top) * (v - lo) / (hi - lo);
    let _ = writeln!(
        out,
        r#"<text x="{left}" y="{}" font-size="12">{} — slope {:+.3}/min</text>"#,
        y0 + 18.0,
        escape(&s.name),
        s.slope_per_min
    );
    // Axes, and a light grid line at the middle value.
    let _ = writeln!(
        out,
        r##"<path d="M{left} {top} V{bottom} H{right}" fill="none" stroke="#333"/>"##
    );
    let mid = (lo + hi) / 2.0;
    let _ = writeln!(
        out,
        r##"<line x1="{left}" y1="{ym}" x2="{right}" y2="{ym}" stroke="#ddd"/>"##,
        ym = y(mid)
    );
    for v in [lo, mid, hi] {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 6.0,
            y(v) + 4.0,
            label(v)
        );
    }
    let minutes = t_max / 60.0;
    for f in [0.0, 0.5, 1.0] {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">{} min</text>"#,
            left + (right - left) * f,
            bottom + 16.0,
            label(minutes * f)
        );
    }
    // The data: one polyline per run of finite points.
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(t, v) in &s.points {
        if v.is_finite() {
            if let Some(run) = runs.last_mut() {
                run.push((x(t), y(v)));
            }
        } else if runs.last().is_some_and(|r| !r.is_empty()) {
            runs.push(Vec::new());
        }
    }
    for run in runs.iter().filter(|r| !r.is_empty()) {
        let pts: Vec<String> = run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let _ = writeln!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#1f6fb2" stroke-width="1.5"/>"##,
            pts.join(" ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_panel_per_series_with_gaps() {
        let s = |name: &str, pts: Vec<(f64, f64)>| Series {
            name: name.into(),
            points: pts,
            slope_per_min: 0.5,
        };
        let doc = svg(
            "t <&>",
            &[
                s(
                    "a",
                    vec![(0.0, 1.0), (5.0, f64::NAN), (10.0, 2.0), (15.0, 3.0)],
                ),
                s("b", vec![(0.0, 4.0), (15.0, 4.0)]),
                s("c", vec![]),
            ],
        );
        assert!(doc.starts_with("<svg"));
        assert!(doc.contains("t &lt;&amp;&gt;"));
        // `a` is split by its gap: two polylines; `b` one; `c` none.
        assert_eq!(doc.matches("<polyline").count(), 3);
        assert_eq!(doc.matches("slope +0.500/min").count(), 3);
    }

    #[test]
    fn ranges_are_never_empty() {
        assert_eq!(range([].into_iter()), (0.0, 1.0));
        let (lo, hi) = range([5.0, 5.0].into_iter());
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = range([10.0, 12.0].into_iter());
        assert!(lo < 10.0 && hi > 12.0);
        assert_eq!(range([1.0, 10.0].into_iter()).0, 0.0);
    }
}
