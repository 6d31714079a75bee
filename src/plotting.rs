//! Rendering of figure descriptions to PNG with plotters and an embedded font.
//!
//! Layout: the figure title on top, the panels side by side below it. Each panel has a
//! title, axis labels, tick labels, a light mesh, a frame and a legend box inside the plot.
//!
//! Geometry (range fitting, breaking lines at missing values, clipping) is computed in the
//! *unit square* of a panel: `u = (t(x) - t(lo)) / (t(hi) - t(lo))` with `t = ln` on log axes
//! and the identity otherwise, so both axis kinds are affine there and `[0, 1]^2` is exactly
//! the visible plot area. Drawing maps the clipped shapes back to data coordinates and is
//! generic over plotters' coordinate specs (linear `a..b` or `(a..b).log_scale()` per axis).
//! The figure is drawn at twice the output resolution and averaged down (anti-aliasing).
use crate::error::{Error, Result};
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::ranged1d::{BoldPoints, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::OnceLock;

/// How one series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Style {
    /// Solid line through (x, y).
    Line,
    /// Dashed line through (x, y).
    Dashed,
    /// Markers at (x, y).
    Markers,
    /// Hollow rings at (x, y): marked points of a theory curve (an optimum), distinct from the
    /// filled simulation markers.
    Rings,
    /// Markers at (x, y) with vertical error bars y +- err.
    ErrorBars,
    /// Vertical dashed lines at each x (y ignored), spanning the panel.
    VLines,
    /// Horizontal dashed line at y[0] (x ignored), spanning the panel.
    HLine,
    /// Histogram: x holds bin edges (len = y.len() + 1), y the bar heights.
    Histogram,
    /// Shaded band between y and y2 along x.
    Band,
}

/// One data series in a panel.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry; None keeps it out of the legend.
    pub label: Option<String>,
    /// Index into the shared colour palette (same index -> same colour across panels).
    pub color: usize,
    pub style: Style,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Error bar half-widths (ErrorBars) or the upper curve (Band).
    pub y2: Vec<f64>,
}

/// One set of axes.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_log: bool,
    pub y_log: bool,
    /// Explicit axis ranges; None -> fitted to the data with a margin.
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub series: Vec<Series>,
}

/// A figure: a title and one or more panels side by side.
#[derive(Debug, Clone)]
pub struct Figure {
    pub title: String,
    pub panels: Vec<Panel>,
    pub width: u32,
    pub height: u32,
}

/// Renders `fig` to a PNG file at `path` (written atomically).
pub fn render(fig: &Figure, path: &Path) -> Result<()> {
    let frames = figure_frames(fig)?;
    register_embedded_font()?;
    let fail = |e: String| Error::Numerical(format!("rendering {}: {e}", path.display()));
    let rgb = rasterize(fig, &frames).map_err(fail)?;
    crate::table::write_atomic(path, |tmp| {
        // The backend picks the PNG encoder from the extension, which `tmp` keeps.
        let mut png = BitMapBackend::new(tmp, (fig.width, fig.height));
        png.blit_bitmap((0, 0), (fig.width, fig.height), &rgb).map_err(|e| fail(e.to_string()))?;
        png.present().map_err(|e| fail(e.to_string()))
    })
}

/// One line per series whose finite points fall outside its panel's axes and are not drawn
/// (markers, rings, error-bar centres): a fixed axis range that hides data should say so.
pub fn off_scale_points(fig: &Figure) -> Result<Vec<String>> {
    let frames = figure_frames(fig)?;
    let mut out = Vec::new();
    for (panel, frame) in fig.panels.iter().zip(&frames) {
        for s in panel.series.iter().filter(|s| matches!(s.style, Style::Markers | Style::Rings | Style::ErrorBars)) {
            let finite: Vec<usize> = (0..s.x.len().min(s.y.len())).filter(|&i| s.x[i].is_finite() && s.y[i].is_finite()).collect();
            let hidden = finite.iter().filter(|&&i| frame.unit(s.x[i], s.y[i]).is_none_or(|p| !inside(p))).count();
            if hidden > 0 {
                let what = match (&s.label, s.style) {
                    (Some(l), _) => format!("points of '{l}'"),
                    (None, Style::Rings) => "ring points".into(),
                    (None, Style::ErrorBars) => "error-bar points".into(),
                    (None, _) => "marker points".into(),
                };
                out.push(format!("{hidden} of {} {what} in panel '{}' lie outside its axes and are not drawn", finite.len(), panel.title));
            }
        }
    }
    Ok(out)
}

/// Draws the figure at `SS` times the output resolution and averages `SS`x`SS` blocks, which
/// anti-aliases lines and markers (plotters' bitmap backend does not). Returns RGB bytes.
fn rasterize(fig: &Figure, frames: &[Frame]) -> std::result::Result<Vec<u8>, String> {
    let (w, h) = (fig.width as usize, fig.height as usize);
    let (bw, bh) = (w * SS as usize, h * SS as usize);
    let mut big = vec![0u8; bw * bh * 3];
    {
        let root = BitMapBackend::with_buffer(&mut big, (bw as u32, bh as u32)).into_drawing_area();
        draw_figure(fig, frames, &root)?;
        root.present().map_err(msg)?;
    }
    let k = SS as usize;
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in 0..k {
                    let row = (y * k + dy) * bw;
                    for dx in 0..k {
                        sum += u32::from(big[(row + x * k + dx) * 3 + c]);
                    }
                }
                out[(y * w + x) * 3 + c] = ((sum + (k * k / 2) as u32) / (k * k) as u32) as u8;
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Style constants
// ---------------------------------------------------------------------------------------

/// The font family used for all text (registered from the embedded DejaVu Sans).
const FONT: &str = "sans-serif";
/// DejaVu Sans, embedded so that rendering never depends on system fonts.
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Supersampling factor: drawing happens at `SS` times the output resolution, so every
/// length below is in drawing pixels, i.e. `SS` times the output pixels it stands for.
const SS: u32 = 2;
/// `n` output pixels in drawing pixels.
const fn px(n: i32) -> i32 {
    n * SS as i32
}

/// Font sizes (drawing pixels).
const TITLE_SIZE: f64 = 24.0 * SS as f64;
const PANEL_TITLE_SIZE: f64 = 19.0 * SS as f64;
const AXIS_LABEL_SIZE: f64 = 17.0 * SS as f64;
const TICK_SIZE: f64 = 14.0 * SS as f64;
const LEGEND_SIZE: f64 = 14.0 * SS as f64;

/// Margin around each panel.
const PANEL_MARGIN: i32 = px(12);
/// Length of the tick marks; plotters puts tick labels at twice this distance from the axis.
const TICK_LEN: i32 = px(5);
/// Stroke width of lines and error bars.
const LINE_W: u32 = 2 * SS;
/// Stroke width of the frame, axes, histogram outlines.
const THIN_W: u32 = SS;
/// Dash and gap length of dashed lines.
const DASH: (u32, u32) = (9 * SS, 5 * SS);
/// Marker radius.
const MARKER_R: i32 = px(4);
const RING_R: i32 = px(7);
/// Half-width of error-bar caps.
const CAP_HALF: i32 = px(4);
/// Opacity of histogram bars and of bands.
const HIST_ALPHA: f64 = 0.35;
const BAND_ALPHA: f64 = 0.25;

/// The matplotlib "tab10" palette, indexed by `Series::color % 10`.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// The palette colour for a series colour index.
fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Registers the embedded font as "sans-serif" (once per process).
fn register_embedded_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Numerical("loading the embedded font assets/DejaVuSans.ttf".into()))
    }
}

/// A text style of the given pixel size in the embedded font.
fn text_style(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&BLACK)
}

/// How far the ab_glyph renderer draws digits above the centre of their layout box, as a
/// fraction of the font size: it puts the baseline at half the font size below the top of
/// a box that is only ~0.8 font sizes high. Used to centre labels on ticks and legend rows.
const GLYPH_RAISE: f64 = 0.21;

// ---------------------------------------------------------------------------------------
// Axes and ranges
// ---------------------------------------------------------------------------------------

/// One axis of a panel: its visible range and whether it is logarithmic.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Axis {
    /// True when `v` can be placed on this axis (finite, and positive on a log axis).
    fn accepts(&self, v: f64) -> bool {
        accepts(v, self.log)
    }
    fn t(&self, v: f64) -> f64 {
        if self.log {
            v.ln()
        } else {
            v
        }
    }
    /// Position of the value `v` in unit coordinates (0 at `lo`, 1 at `hi`); None if not placeable.
    fn unit(&self, v: f64) -> Option<f64> {
        self.accepts(v).then(|| (self.t(v) - self.t(self.lo)) / (self.t(self.hi) - self.t(self.lo)))
    }
    /// The data value at unit coordinate `u`.
    fn value(&self, u: f64) -> f64 {
        let t = self.t(self.lo) + u * (self.t(self.hi) - self.t(self.lo));
        if self.log {
            t.exp()
        } else {
            t
        }
    }
}

/// True when `v` can be placed on an axis (finite, and positive if `log`).
fn accepts(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// The two axes of a panel.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    x: Axis,
    y: Axis,
}

/// A point in unit coordinates.
type P = (f64, f64);

impl Frame {
    /// The point (x, y) in unit coordinates; None if either value is not placeable.
    fn unit(&self, x: f64, y: f64) -> Option<P> {
        Some((self.x.unit(x)?, self.y.unit(y)?))
    }
    /// The data point at unit coordinates `p`.
    fn data(&self, p: P) -> (f64, f64) {
        (self.x.value(p.0), self.y.value(p.1))
    }
}

/// Validates the figure and fits the axes of every panel.
fn figure_frames(fig: &Figure) -> Result<Vec<Frame>> {
    let (w, h) = (fig.width, fig.height);
    if !(100..=8192).contains(&w) || !(100..=8192).contains(&h) || u64::from(w) * u64::from(h) > 1 << 24 {
        return Err(Error::input(format!(
            "figure size {w}x{h} must be 100 to 8192 pixels per side and at most 16.7 megapixels"
        )));
    }
    fig.panels
        .iter()
        .map(|p| {
            let (xs, ys) = extents(p);
            let what = |axis: &str| format!("{axis} range of panel '{}'", p.title);
            Ok(Frame {
                x: fit_axis(&xs, p.x_log, p.x_range).map_err(|m| Error::input(format!("{}: {m}", what("x"))))?,
                y: fit_axis(&ys, p.y_log, p.y_range).map_err(|m| Error::input(format!("{}: {m}", what("y"))))?,
            })
        })
        .collect()
}

/// All data values of a panel that should be visible on the x and on the y axis.
fn extents(panel: &Panel) -> (Vec<f64>, Vec<f64>) {
    let (xl, yl) = (panel.x_log, panel.y_log);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for s in &panel.series {
        match s.style {
            Style::Line | Style::Dashed | Style::Markers | Style::Rings => {
                for (&x, &y) in s.x.iter().zip(&s.y) {
                    if accepts(x, xl) && accepts(y, yl) {
                        xs.push(x);
                        ys.push(y);
                    }
                }
            }
            Style::ErrorBars => {
                for (i, (&x, &y)) in s.x.iter().zip(&s.y).enumerate() {
                    if accepts(x, xl) && accepts(y, yl) {
                        xs.push(x);
                        ys.push(y);
                        let e = s.y2.get(i).copied().unwrap_or(f64::NAN).abs();
                        ys.extend([y - e, y + e].into_iter().filter(|&v| accepts(v, yl)));
                    }
                }
            }
            Style::Band => {
                for (i, &x) in s.x.iter().enumerate() {
                    let lo = s.y.get(i).copied().unwrap_or(f64::NAN);
                    let hi = s.y2.get(i).copied().unwrap_or(f64::NAN);
                    if accepts(x, xl) && (accepts(lo, yl) || accepts(hi, yl)) {
                        xs.push(x);
                        ys.extend([lo, hi].into_iter().filter(|&v| accepts(v, yl)));
                    }
                }
            }
            Style::Histogram => {
                xs.extend(s.x.iter().copied().filter(|&v| accepts(v, xl)));
                ys.extend(s.y.iter().copied().filter(|&v| accepts(v, yl)));
                if !yl && !s.y.is_empty() {
                    ys.push(0.0);
                }
            }
            Style::VLines => xs.extend(s.x.iter().copied().filter(|&v| accepts(v, xl))),
            Style::HLine => ys.extend(s.y.first().copied().filter(|&v| accepts(v, yl))),
        }
    }
    (xs, ys)
}

/// The visible range of one axis: `explicit` if given, else the data range plus a 5% margin
/// (multiplicative on log axes). Degenerate data ranges are widened.
fn fit_axis(values: &[f64], log: bool, explicit: Option<(f64, f64)>) -> std::result::Result<Axis, String> {
    if let Some((lo, hi)) = explicit {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(format!("explicit range ({lo}, {hi}) must be finite with lo < hi"));
        }
        if log && lo <= 0.0 {
            return Err(format!("explicit range ({lo}, {hi}) of a log axis must be positive"));
        }
        if log && hi.log10() - lo.log10() > MAX_DECADES {
            return Err(format!("explicit range ({lo}, {hi}) spans more than {MAX_DECADES} decades"));
        }
        return Ok(with_slack(Axis { lo, hi, log }));
    }
    let finite = values.iter().copied().filter(|&v| accepts(v, log));
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (mut lo, mut hi) = if lo > hi {
        // No data at all: a neutral default range.
        if log {
            (1.0, 10.0)
        } else {
            (0.0, 1.0)
        }
    } else {
        (lo, hi)
    };
    if log {
        // Work with decimal exponents, which cannot overflow.
        let (mut a, mut b) = (lo.log10(), hi.log10());
        let span = b - a;
        if span > MAX_DECADES {
            return Err(format!("data from {lo:e} to {hi:e} spans more than {MAX_DECADES} decades"));
        } else if span < 1e-9 {
            (a, b) = (a - 0.3, b + 0.3);
        } else {
            let m = (0.05 * span).min((MAX_DECADES - span) / 2.0);
            (a, b) = (a - m, b + m);
        }
        (lo, hi) = (10f64.powf(a), 10f64.powf(b));
    } else {
        let scale = lo.abs().max(hi.abs());
        if hi - lo <= 1e-12 * scale {
            let d = if scale == 0.0 { 1.0 } else { 0.1 * scale };
            (lo, hi) = (lo - d, hi + d);
        } else {
            let m = 0.05 * (hi - lo);
            (lo, hi) = (lo - m, hi + m);
        }
    }
    if !(lo.is_finite() && hi.is_finite() && lo < hi && (!log || lo > 0.0)) {
        return Err(format!("data from {lo:e} to {hi:e} is too wide to plot"));
    }
    Ok(with_slack(Axis { lo, hi, log }))
}

/// The widest log axis: plotters' log ticks need hi/lo to be a finite f64.
const MAX_DECADES: f64 = 300.0;

/// Widens a log axis by a relative 1e-9 so that plotters, which steps through the decades
/// by repeated multiplication, does not lose a tick label sitting exactly on an end.
fn with_slack(a: Axis) -> Axis {
    if a.log {
        Axis { lo: a.lo * (1.0 - 1e-9), hi: a.hi * (1.0 + 1e-9), ..a }
    } else {
        a
    }
}

// ---------------------------------------------------------------------------------------
// Geometry in unit coordinates
// ---------------------------------------------------------------------------------------

/// Tolerance for "inside the unit square", so that points on the frame are kept.
const EPS: f64 = 1e-9;

fn inside(p: P) -> bool {
    (-EPS..=1.0 + EPS).contains(&p.0) && (-EPS..=1.0 + EPS).contains(&p.1)
}

/// A drawing primitive of one series, in unit coordinates, already clipped to the plot.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// A polyline, solid or dashed.
    Path { pts: Vec<P>, dashed: bool },
    /// A filled circle marker.
    Dot(P),
    /// A hollow circle marker, larger than a dot.
    Ring(P),
    /// A vertical error bar at `x` from `lo` to `hi`, with caps where the bar is not clipped.
    Bar { x: f64, lo: f64, hi: f64, cap_lo: bool, cap_hi: bool },
    /// A filled, outlined rectangle with corners `a` and `b` (histogram bar).
    Rect { a: P, b: P },
    /// A filled polygon (band).
    Fill(Vec<P>),
}

/// Clips the segment a-b to the unit square (Liang-Barsky). Returns the visible part and
/// whether its start and end were cut.
fn clip_segment(a: P, b: P) -> Option<(P, P, bool, bool)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (lo, hi) = (-EPS, 1.0 + EPS);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, a.0 - lo), (dx, hi - a.0), (-dy, a.1 - lo), (dy, hi - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((at(t0), at(t1), t0 > 0.0, t1 < 1.0))
}

/// Clips a polyline to the unit square, splitting it where it leaves the square.
fn clip_polyline(pts: &[P]) -> Vec<Vec<P>> {
    let mut out = Vec::new();
    let mut cur: Vec<P> = Vec::new();
    let flush = |cur: &mut Vec<P>, out: &mut Vec<Vec<P>>| {
        if cur.len() >= 2 {
            out.push(std::mem::take(cur));
        }
        cur.clear();
    };
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1]) {
            None => flush(&mut cur, &mut out),
            Some((a, b, cut_a, cut_b)) => {
                if cut_a || cur.is_empty() {
                    flush(&mut cur, &mut out);
                    cur.push(a);
                }
                cur.push(b);
                if cut_b {
                    flush(&mut cur, &mut out);
                }
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Clips a polygon to the unit square (Sutherland-Hodgman).
fn clip_polygon(poly: &[P]) -> Vec<P> {
    let mut out = poly.to_vec();
    // Each boundary: coordinate index, bound, and whether "inside" is >= bound.
    for (c, bound, keep_ge) in [(0, -EPS, true), (0, 1.0 + EPS, false), (1, -EPS, true), (1, 1.0 + EPS, false)] {
        let coord = |p: P| if c == 0 { p.0 } else { p.1 };
        let is_in = |p: P| if keep_ge { coord(p) >= bound } else { coord(p) <= bound };
        let cross = |a: P, b: P| {
            let t = (bound - coord(a)) / (coord(b) - coord(a));
            (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
        };
        let input = std::mem::take(&mut out);
        let Some(&last) = input.last() else { break };
        let mut prev = last;
        for &p in &input {
            if is_in(p) {
                if !is_in(prev) {
                    out.push(cross(prev, p));
                }
                out.push(p);
            } else if is_in(prev) {
                out.push(cross(prev, p));
            }
            prev = p;
        }
    }
    out
}

/// Maximal runs of consecutive indices for which `point(i)` is Some.
fn runs<T>(n: usize, point: impl Fn(usize) -> Option<T>) -> Vec<Vec<T>> {
    let mut out = vec![Vec::new()];
    for i in 0..n {
        match point(i) {
            Some(p) => out.last_mut().unwrap().push(p),
            None if out.last().unwrap().is_empty() => {}
            None => out.push(Vec::new()),
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// The clipped primitives that draw series `s` in `frame`.
fn shapes(s: &Series, frame: &Frame) -> Vec<Shape> {
    let (fx, fy) = (frame.x, frame.y);
    let n = s.x.len().min(s.y.len());
    let at = |i: usize| frame.unit(s.x[i], s.y[i]);
    let paths = |dashed: bool| {
        runs(n, at).iter().flat_map(|r| clip_polyline(r)).map(|pts| Shape::Path { pts, dashed }).collect::<Vec<_>>()
    };
    match s.style {
        Style::Line => paths(false),
        Style::Dashed => paths(true),
        Style::Markers => (0..n).filter_map(at).filter(|&p| inside(p)).map(Shape::Dot).collect(),
        Style::Rings => (0..n).filter_map(at).filter(|&p| inside(p)).map(Shape::Ring).collect(),
        Style::ErrorBars => {
            let mut out = Vec::new();
            for i in 0..n {
                let Some(p) = at(i) else { continue };
                let e = s.y2.get(i).copied().unwrap_or(f64::NAN).abs();
                if e.is_finite() && e > 0.0 && (-EPS..=1.0 + EPS).contains(&p.0) {
                    // The lower end may be unplaceable on a log axis: then it runs off the bottom.
                    let lo = fy.unit(s.y[i] - e).unwrap_or(f64::NEG_INFINITY);
                    let hi = fy.unit(s.y[i] + e).unwrap_or(f64::INFINITY);
                    if hi >= 0.0 && lo <= 1.0 {
                        let (cap_lo, cap_hi) = (lo >= -EPS, hi <= 1.0 + EPS);
                        out.push(Shape::Bar { x: p.0, lo: lo.max(0.0), hi: hi.min(1.0), cap_lo, cap_hi });
                    }
                }
                if inside(p) {
                    out.push(Shape::Dot(p));
                }
            }
            out
        }
        Style::VLines => {
            s.x.iter()
                .filter_map(|&x| fx.unit(x))
                .filter(|u| (-EPS..=1.0 + EPS).contains(u))
                .map(|u| Shape::Path { pts: vec![(u, 0.0), (u, 1.0)], dashed: true })
                .collect()
        }
        Style::HLine => {
            s.y.first()
                .and_then(|&y| fy.unit(y))
                .filter(|v| (-EPS..=1.0 + EPS).contains(v))
                .map(|v| Shape::Path { pts: vec![(0.0, v), (1.0, v)], dashed: true })
                .into_iter()
                .collect()
        }
        Style::Histogram => {
            // Bars rise from 0, or from the bottom of a log axis.
            let base = if fy.log { 0.0 } else { fy.unit(0.0).unwrap_or(0.0) };
            let mut out = Vec::new();
            for (i, &h) in s.y.iter().enumerate() {
                let (Some(&x0), Some(&x1)) = (s.x.get(i), s.x.get(i + 1)) else { break };
                let (Some(u0), Some(u1), Some(v)) = (fx.unit(x0), fx.unit(x1), fy.unit(h)) else { continue };
                let clamp = |t: f64| t.clamp(0.0, 1.0);
                let (a, b) = ((clamp(u0.min(u1)), clamp(base.min(v))), (clamp(u0.max(u1)), clamp(base.max(v))));
                if b.0 > a.0 && b.1 > a.1 {
                    out.push(Shape::Rect { a, b });
                }
            }
            out
        }
        Style::Band => {
            let m = n.min(s.y2.len());
            let at2 = |i: usize| Some((at(i)?, fy.unit(s.y2[i])?));
            runs(m, at2)
                .into_iter()
                .filter(|r| r.len() >= 2)
                .filter_map(|r| {
                    let mut poly: Vec<P> = r.iter().map(|(p, _)| *p).collect();
                    poly.extend(r.iter().rev().map(|&(p, v2)| (p.0, v2)));
                    let clipped = clip_polygon(&poly);
                    (clipped.len() >= 3).then_some(Shape::Fill(clipped))
                })
                .collect()
        }
    }
}

/// Points along a shape (in unit coordinates), used to keep the legend off the data.
fn sample_points(shape: &Shape, out: &mut Vec<P>) {
    let step = 0.01;
    let mut segment = |a: P, b: P| {
        let k = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) / step).ceil().max(1.0) as usize;
        out.extend((0..=k).map(|j| {
            let t = j as f64 / k as f64;
            (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
        }));
    };
    match shape {
        Shape::Path { pts, .. } => pts.windows(2).for_each(|w| segment(w[0], w[1])),
        Shape::Dot(p) | Shape::Ring(p) => segment(*p, *p),
        Shape::Bar { x, lo, hi, .. } => segment((*x, *lo), (*x, *hi)),
        Shape::Rect { a, b } => {
            let mut y = a.1;
            while y <= b.1 {
                segment((a.0, y), (b.0, y));
                y += 2.0 * step;
            }
            segment((a.0, b.1), (b.0, b.1));
        }
        Shape::Fill(poly) => {
            for i in 0..poly.len() {
                segment(poly[i], poly[(i + 1) % poly.len()]);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tick labels
// ---------------------------------------------------------------------------------------

/// How the tick labels of one axis are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TickFmt {
    /// Fixed-point with this many decimals.
    Fixed(usize),
    /// Mantissa with this many decimals times a power of ten.
    Sci(usize),
    /// Powers of ten, as 10^k with a superscript k (log axes labelled at decades).
    Pow10,
    /// Each value in its shortest form (other log-axis labels).
    Short,
}

/// True when `v` is (numerically) a power of ten.
fn is_pow10(v: f64) -> bool {
    v > 0.0 && (v.log10() - v.log10().round()).abs() < 1e-9
}

/// The format for a set of tick values: on linear axes, the fewest decimals that write
/// them all exactly; on log axes 10^k when all are powers of ten.
fn tick_format(ticks: &[f64], log: bool) -> TickFmt {
    if log {
        return if ticks.iter().all(|&v| is_pow10(v)) { TickFmt::Pow10 } else { TickFmt::Short };
    }
    let big = ticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let exact = |d: usize, scaled: &dyn Fn(f64) -> f64| {
        ticks.iter().all(|&v| {
            let s = scaled(v) * 10f64.powi(d as i32);
            (s - s.round()).abs() < 1e-6 * s.abs().max(1.0)
        })
    };
    if big != 0.0 && !(1e-3..1e5).contains(&big) {
        let d = (0..6).find(|&d| exact(d, &|v: f64| mantissa(v).0)).unwrap_or(6);
        return TickFmt::Sci(d);
    }
    TickFmt::Fixed((0..10).find(|&d| exact(d, &|v| v)).unwrap_or(10))
}

/// Splits `v` into mantissa in [1, 10) and decimal exponent.
fn mantissa(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (0.0, 0);
    }
    let e = v.abs().log10().floor() as i32;
    let m = v / 10f64.powi(e);
    // log10 can round up just below a power of ten, leaving a mantissa of 10.
    if (m.abs() - 10.0).abs() < 1e-9 {
        (m / 10.0, e + 1)
    } else {
        (m, e)
    }
}

/// Writes an integer exponent with superscript digits.
fn superscript(e: i32) -> String {
    e.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d.to_digit(10).unwrap_or(0) as usize],
        })
        .collect()
}

/// Uses the typographic minus sign.
fn minus(s: String) -> String {
    s.replace('-', "−")
}

/// The tick label of `v` in format `fmt`.
fn fmt_tick(v: f64, fmt: TickFmt) -> String {
    match fmt {
        TickFmt::Fixed(d) => {
            let s = format!("{v:.d$}");
            // Avoid "-0" / "-0.0".
            if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
                s.trim_start_matches('-').to_string()
            } else {
                minus(s)
            }
        }
        TickFmt::Sci(d) => {
            if v == 0.0 {
                return "0".into();
            }
            let (m, e) = mantissa(v);
            minus(format!("{m:.d$}×10{}", superscript(e)))
        }
        TickFmt::Pow10 => minus(format!("10{}", superscript(v.log10().round() as i32))),
        TickFmt::Short => {
            if (1e-3..1e5).contains(&v.abs()) {
                // Shortest form of v rounded to 10 significant digits.
                let tidy: f64 = format!("{v:.9e}").parse().unwrap_or(v);
                minus(format!("{tidy}"))
            } else {
                let (m, e) = mantissa(v);
                let tidy: f64 = format!("{m:.9e}").parse().unwrap_or(m);
                minus(format!("{tidy}×10{}", superscript(e)))
            }
        }
    }
}

/// The exact double nearest to 10^e.
fn pow10(e: i32) -> f64 {
    format!("1e{e}").parse().unwrap_or(f64::NAN)
}

/// The values m * 10^e (m from `mantissas`) inside [lo, hi].
fn multiples_in(lo: f64, hi: f64, mantissas: &[f64]) -> Vec<f64> {
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (e0..=e1).flat_map(|e| mantissas.iter().map(move |m| m * pow10(e))).filter(|v| (lo..=hi).contains(v)).collect()
}

/// Labelled tick values of an axis, at most about `n` of them. Linear axes use plotters'
/// nice numbers. Log axes of up to four decades use 1..9 (under two decades) or 1-2-5
/// multiples when they fit, so that a reader can read values off a short log axis; longer
/// ones use powers of ten (every k-th one if there are many), or else linear nice numbers.
/// (plotters' own log ticks skip values below 1e-16 and misbehave on very wide ranges.)
fn tick_values(axis: &Axis, n: usize) -> Vec<f64> {
    let linear = || RangedCoordf64::from(axis.lo..axis.hi).key_points(BoldPoints(n));
    if !axis.log {
        return linear();
    }
    let (e0, e1) = (axis.lo.log10().ceil() as i32, axis.hi.log10().floor() as i32);
    let decades = e1 - e0 + 1;
    let short = (axis.hi / axis.lo).log10() <= 4.0;
    let ones: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    let candidates: &[&[f64]] = match (decades < 2, short) {
        (true, _) => &[ones, &[1.0, 2.0, 5.0]],
        (false, true) => &[&[1.0, 2.0, 5.0]],
        (false, false) => &[],
    };
    for mantissas in candidates {
        let v = multiples_in(axis.lo, axis.hi, mantissas);
        if (2..=n).contains(&v.len()) {
            return v;
        }
    }
    if decades >= 2 {
        let k = (decades as usize).div_ceil(n.max(1)).max(1) as i32;
        // Prefer exponents that are multiples of k (10^0, 10^5, ...), if that leaves two labels.
        let aligned: Vec<f64> = (e0..=e1).filter(|e| e.rem_euclid(k) == 0).map(pow10).collect();
        if aligned.len() >= 2 {
            return aligned;
        }
        return (e0..=e1).step_by(k as usize).map(pow10).collect();
    }
    linear()
}

/// Unlabelled minor grid values of a log axis: the 2..9 multiples of each power of ten for
/// spans up to 12 decades, the unlabelled powers of ten up to 60 decades, else none.
fn minor_values(axis: &Axis, bold: &[f64]) -> Vec<f64> {
    if !axis.log || (axis.hi / axis.lo).log10() > 60.0 {
        return Vec::new();
    }
    let span = (axis.hi / axis.lo).log10();
    let mantissas: &[f64] = if span <= 12.0 { &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0] } else { &[1.0] };
    let is_bold = |v: f64| bold.iter().any(|b| (v / b - 1.0).abs() < 1e-9);
    multiples_in(axis.lo, axis.hi, mantissas).into_iter().filter(|&v| !is_bold(v)).collect()
}

/// The labelled ticks of one axis.
struct Ticks {
    values: Vec<f64>,
    /// The label budget that produced `values`.
    hint: usize,
    fmt: TickFmt,
    /// Width of the widest label (pixels).
    max_w: i32,
}

/// Picks the most ticks (at most 10) whose labels, placed along an axis of `len` pixels,
/// stay at least `gap` pixels apart. Label extents along the axis are widths if `along_x`,
/// else heights; `measure` gives a label's size.
fn choose_ticks(
    axis: &Axis,
    len: i32,
    gap: i32,
    along_x: bool,
    measure: impl Fn(&str) -> std::result::Result<(i32, i32), String>,
) -> std::result::Result<Ticks, String> {
    let mut n = 10;
    loop {
        let values = tick_values(axis, n);
        let fmt = tick_format(&values, axis.log);
        // (pixel position, width, height) of each label
        let mut placed = Vec::with_capacity(values.len());
        for &v in &values {
            let (w, h) = measure(&fmt_tick(v, fmt))?;
            placed.push(((axis.unit(v).unwrap_or(0.0) * len as f64).round() as i32, w, h));
        }
        placed.sort_by_key(|p| p.0);
        let extent = |p: &(i32, i32, i32)| if along_x { p.1 } else { p.2 };
        let fits = placed.windows(2).all(|q| 2 * (q[1].0 - q[0].0) >= extent(&q[0]) + extent(&q[1]) + 2 * gap);
        if fits || n == 2 {
            let max_w = placed.iter().map(|p| p.1).max().unwrap_or(0);
            return Ok(Ticks { values, hint: n, fmt, max_w });
        }
        n -= 1;
    }
}

// ---------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
/// Drawing errors as text (plotters' error types are generic over the backend).
type DrawResult = std::result::Result<(), String>;

/// Converts any displayable error into the drawing error text.
fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws the whole figure onto `root`.
fn draw_figure(fig: &Figure, frames: &[Frame], root: &Area) -> DrawResult {
    root.fill(&WHITE).map_err(msg)?;
    let body = if fig.title.trim().is_empty() {
        root.clone()
    } else {
        // a title wider than the figure (a long model label) is set smaller, never clipped
        let room = root.dim_in_pixel().0 as f64 - 2.0 * px(10) as f64;
        let wide = root.estimate_text_size(&fig.title, &text_style(TITLE_SIZE)).map_err(msg)?.0 as f64;
        let size = if wide > room { TITLE_SIZE * room / wide } else { TITLE_SIZE };
        let style = text_style(size).pos(Pos::new(HPos::Center, VPos::Top));
        let top = px(10) + (TITLE_SIZE * GLYPH_RAISE) as i32;
        let centre = root.dim_in_pixel().0 as i32 / 2;
        root.draw_text(&fig.title, &style, (centre, top)).map_err(msg)?;
        root.split_vertically(top + (TITLE_SIZE * 1.1) as i32).1
    };
    if fig.panels.is_empty() {
        return Ok(());
    }
    let cells = body.split_evenly((1, fig.panels.len()));
    // Reserve the same title and x-label space in every panel so that the plots line up.
    let layout = Layout {
        title: fig.panels.iter().any(|p| !p.title.trim().is_empty()),
        x_label: fig.panels.iter().any(|p| !p.x_label.trim().is_empty()),
    };
    for ((panel, frame), cell) in fig.panels.iter().zip(frames).zip(&cells) {
        // The coordinate type differs per axis kind; one generic function draws them all.
        match (frame.x.log, frame.y.log) {
            (false, false) => draw_panel::<Linear, Linear>(cell, panel, &layout, frame),
            (true, false) => draw_panel::<Log, Linear>(cell, panel, &layout, frame),
            (false, true) => draw_panel::<Linear, Log>(cell, panel, &layout, frame),
            (true, true) => draw_panel::<Log, Log>(cell, panel, &layout, frame),
        }?;
    }
    Ok(())
}

/// What space the panels of a figure reserve, shared so that their plots line up.
struct Layout {
    /// Some panel has a title.
    title: bool,
    /// Some panel has an x-axis label.
    x_label: bool,
}

/// A kind of axis: how to build its plotters coordinate spec.
trait AxisKind {
    type Coord: Ranged<ValueType = f64> + ValueFormatter<f64>;
    /// The coordinate spec of `axis` carrying the labelled `ticks`.
    fn coord(axis: &Axis, ticks: &Ticks) -> Self::Coord;
}

/// A linear axis: plotters' `lo..hi`, whose own key points are the ticks (see `tick_values`).
struct Linear;
impl AxisKind for Linear {
    type Coord = RangedCoordf64;
    fn coord(axis: &Axis, _: &Ticks) -> RangedCoordf64 {
        (axis.lo..axis.hi).into()
    }
}

/// A log axis: plotters' `(lo..hi).log_scale()` with our ticks and minor grid as key points.
struct Log;
impl AxisKind for Log {
    type Coord = WithKeyPoints<LogCoord<f64>>;
    fn coord(axis: &Axis, ticks: &Ticks) -> Self::Coord {
        (axis.lo..axis.hi)
            .log_scale()
            .with_key_points(ticks.values.clone())
            .with_light_points(minor_values(axis, &ticks.values))
    }
}

/// Draws one panel in `area`; `X`, `Y` say whether the axes are linear or logarithmic.
fn draw_panel<X: AxisKind, Y: AxisKind>(area: &Area, panel: &Panel, layout: &Layout, frame: &Frame) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let tick_style = text_style(TICK_SIZE);
    let text_size = |s: &str, style: &TextStyle| area.estimate_text_size(s, style).map_err(msg);
    let label_gap = 2 * TICK_LEN; // plotters' distance between axis and tick labels
    let has_x_label = !panel.x_label.trim().is_empty();
    let has_y_label = !panel.y_label.trim().is_empty();
    let has_title = !panel.title.trim().is_empty();
    let desc_h = (AXIS_LABEL_SIZE * 1.2) as i32;

    // Label areas: room for the tick labels, the gap to the axis and the axis label.
    let x_area = label_gap + (TICK_SIZE * 0.9) as i32 + if layout.x_label { desc_h + px(6) } else { px(4) };
    // Height of a plotters caption (text height plus twice its padding).
    let title_h = if layout.title {
        let th = text_size("Ag", &text_style(PANEL_TITLE_SIZE))?.1 as i32;
        th + 2 * (th / 2).min(5) // plotters' own padding rule (not scaled)
    } else {
        0
    };
    let plot_h = (h - 2 * PANEL_MARGIN - title_h - x_area).max(px(50));
    let measure = |s: &str| text_size(s, &tick_style).map(|(w, h)| (w as i32, h as i32));
    // As many y ticks as fit with ~1.7 lines of space between labels.
    let y_ticks = choose_ticks(&frame.y, plot_h, (1.7 * TICK_SIZE) as i32, false, measure)?;
    let y_area = label_gap + y_ticks.max_w + if has_y_label { desc_h + px(5) } else { px(4) };
    let plot_w = (w - 2 * PANEL_MARGIN - y_area).max(px(50));
    // As many x ticks as fit side by side with at least ~1.2 em between labels.
    let x_ticks = choose_ticks(&frame.x, plot_w, (1.2 * TICK_SIZE) as i32, true, measure)?;
    let (x_fmt, y_fmt) = (x_ticks.fmt, y_ticks.fmt);

    let mut builder = ChartBuilder::on(area);
    builder
        .margin(PANEL_MARGIN)
        // A panel without a title leaves the title's space empty (see `Layout`).
        .margin_top(PANEL_MARGIN + if layout.title && !has_title { title_h } else { 0 })
        // The last x tick label is centred on the right end of the axis: leave it room.
        .margin_right(PANEL_MARGIN.max(x_ticks.max_w / 2 + px(6)))
        .x_label_area_size(x_area)
        .y_label_area_size(y_area);
    if has_title {
        builder.caption(&panel.title, text_style(PANEL_TITLE_SIZE));
    }
    let mut chart =
        builder.build_cartesian_2d(X::coord(&frame.x, &x_ticks), Y::coord(&frame.y, &y_ticks)).map_err(msg)?;

    let x_fmt_fn = move |v: &f64| fmt_tick(*v, x_fmt);
    let y_fmt_fn = move |v: &f64| fmt_tick(*v, y_fmt);
    let mut mesh = chart.configure_mesh();
    // On linear axes plotters recomputes the ticks from this hint (same as `tick_values`).
    mesh.x_labels(x_ticks.hint)
        .y_labels(y_ticks.hint)
        .x_label_formatter(&x_fmt_fn)
        .y_label_formatter(&y_fmt_fn)
        .label_style(tick_style.clone())
        .axis_desc_style(text_style(AXIS_LABEL_SIZE))
        .y_label_offset((TICK_SIZE * GLYPH_RAISE).round() as i32)
        .set_all_tick_mark_size(TICK_LEN)
        .bold_line_style(BLACK.mix(0.12).stroke_width(THIN_W))
        // Minor grid lines only on log axes: 0 turns off plotters' linear ones, while log
        // axes draw their `minor_values` whatever the limit.
        .x_max_light_lines(usize::from(frame.x.log))
        .y_max_light_lines(usize::from(frame.y.log))
        .light_line_style(BLACK.mix(0.05).stroke_width(THIN_W))
        .axis_style(BLACK.stroke_width(THIN_W));
    if has_x_label {
        mesh.x_desc(panel.x_label.as_str());
    }
    if has_y_label {
        mesh.y_desc(panel.y_label.as_str());
    }
    mesh.draw().map_err(msg)?;

    // Data, in series order.
    let plot = chart.plotting_area();
    let (pw, ph) = plot.dim_in_pixel();
    let scale = (f64::from(pw.max(2) - 1), f64::from(ph.max(2) - 1)); // pixels per unit
    let mut samples = Vec::new();
    let mut legend = Vec::new();
    for s in &panel.series {
        let color = palette(s.color);
        for shape in shapes(s, frame) {
            sample_points(&shape, &mut samples);
            draw_shape(plot, frame, &shape, color, scale)?;
        }
        if let Some(label) = s.label.as_deref().filter(|l| !l.trim().is_empty()) {
            legend.push((label, color, s.style));
        }
    }

    // Frame (the mesh drew the left and bottom axes) and legend, in pixel coordinates.
    let pixels = plot.strip_coord_spec();
    let (right, bottom) = (scale.0 as i32, scale.1 as i32);
    pixels
        .draw(&PathElement::new(vec![(0, 0), (right, 0), (right, bottom)], BLACK.stroke_width(THIN_W)))
        .map_err(msg)?;
    let samples: Vec<(i32, i32)> =
        samples.iter().map(|&(u, v)| ((u * scale.0).round() as i32, ((1.0 - v) * scale.1).round() as i32)).collect();
    draw_legend(&pixels, &legend, &samples)
}

/// Draws one clipped shape in data coordinates on the plotting area; `scale` is the size of
/// the plotting area in pixels (to measure dashes).
fn draw_shape<CT>(
    plot: &DrawingArea<BitMapBackend, CT>,
    frame: &Frame,
    shape: &Shape,
    color: RGBColor,
    scale: P,
) -> DrawResult
where
    CT: CoordTranslate<From = (f64, f64)>,
{
    let line = color.stroke_width(LINE_W);
    let data = |pts: &[P]| pts.iter().map(|&p| frame.data(p)).collect::<Vec<_>>();
    match shape {
        Shape::Path { pts, dashed } => {
            let pieces = if *dashed { dashes(pts, scale) } else { vec![pts.clone()] };
            pieces.iter().try_for_each(|piece| stroke(plot, &data(piece), line))
        }
        Shape::Dot(p) => plot.draw(&Circle::new(frame.data(*p), MARKER_R, color.filled())).map_err(msg),
        Shape::Ring(p) => plot.draw(&Circle::new(frame.data(*p), RING_R, color.stroke_width(LINE_W))).map_err(msg),
        Shape::Bar { x, lo, hi, cap_lo, cap_hi } => {
            let (bottom, top) = (frame.data((*x, *lo)), frame.data((*x, *hi)));
            plot.draw(&PathElement::new(vec![bottom, top], line)).map_err(msg)?;
            for (end, cap) in [(bottom, cap_lo), (top, cap_hi)] {
                if *cap {
                    let tick = PathElement::new(vec![(-CAP_HALF, 0), (CAP_HALF, 0)], line);
                    plot.draw(&(EmptyElement::at(end) + tick)).map_err(msg)?;
                }
            }
            Ok(())
        }
        Shape::Rect { a, b } => {
            let corners = [frame.data(*a), frame.data(*b)];
            plot.draw(&Rectangle::new(corners, color.mix(HIST_ALPHA).filled())).map_err(msg)?;
            plot.draw(&Rectangle::new(corners, color.stroke_width(THIN_W))).map_err(msg)
        }
        Shape::Fill(poly) => plot.draw(&Polygon::new(data(poly), color.mix(BAND_ALPHA).filled())).map_err(msg),
    }
}

/// Draws a wide polyline segment by segment, with round joins. (plotters turns a whole wide
/// path into one polygon, which spikes at sharp turns and has holes where the path crosses
/// itself; noisy simulation curves do both.)
fn stroke<C, CT>(area: &DrawingArea<BitMapBackend, CT>, pts: &[C], style: ShapeStyle) -> DrawResult
where
    C: Copy + 'static,
    CT: CoordTranslate<From = C>,
{
    for w in pts.windows(2) {
        area.draw(&PathElement::new(vec![w[0], w[1]], style)).map_err(msg)?;
    }
    let joint = (style.stroke_width / 2) as i32;
    for &v in pts.iter().skip(1).take(pts.len().saturating_sub(2)) {
        area.draw(&Circle::new(v, joint, style.filled())).map_err(msg)?;
    }
    Ok(())
}

/// Splits a polyline into the dashes of a dashed line (`DASH` on and off lengths in pixels);
/// `scale` converts the point coordinates to pixels along x and y.
fn dashes(pts: &[P], scale: P) -> Vec<Vec<P>> {
    let (on, off) = (f64::from(DASH.0), f64::from(DASH.1));
    let mut out = Vec::new();
    let mut cur: Vec<P> = pts.first().copied().into_iter().collect();
    let (mut drawing, mut left) = (true, on);
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = ((b.0 - a.0) * scale.0).hypot((b.1 - a.1) * scale.1);
        let mut t = 0.0; // pixels done along this segment
        while len - t > left {
            t += left;
            let p = (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
            if drawing {
                cur.push(p);
                out.push(std::mem::take(&mut cur));
            } else {
                cur = vec![p];
            }
            drawing = !drawing;
            left = if drawing { on } else { off };
        }
        left -= len - t;
        if drawing {
            cur.push(b);
        }
    }
    if drawing && cur.len() >= 2 {
        out.push(cur);
    }
    out
}

/// Draws the legend box inside the plot (pixel coordinates `area`): at the upper right
/// unless another corner covers fewer of the data `samples`.
fn draw_legend(area: &Area, entries: &[(&str, RGBColor, Style)], samples: &[(i32, i32)]) -> DrawResult {
    if entries.is_empty() {
        return Ok(());
    }
    const PAD: i32 = px(8);
    const INSET: i32 = px(10);
    const SAMPLE_W: i32 = px(34);
    const GAP: i32 = px(8);
    const SLACK: i32 = px(3);
    let font = text_style(LEGEND_SIZE);
    let row_h = (LEGEND_SIZE * 1.55).round() as i32;
    let mut text_w = 0;
    for (label, ..) in entries {
        text_w = text_w.max(area.estimate_text_size(label, &font).map_err(msg)?.0 as i32);
    }
    let (bw, bh) = (PAD + SAMPLE_W + GAP + text_w + PAD, 2 * (PAD / 2) + row_h * entries.len() as i32);
    let (pw, ph) = area.dim_in_pixel();
    let (pw, ph) = (pw as i32, ph as i32);
    let (right, bottom) = ((pw - INSET - bw).max(0), (ph - INSET - bh).max(0));
    // Candidate corners in order of preference; ties keep the earlier one.
    let corners = [(right, INSET), (INSET, INSET), (right, bottom), (INSET, bottom)];
    let covered = |&(x0, y0): &(i32, i32)| {
        samples
            .iter()
            .filter(|&&(x, y)| x >= x0 - SLACK && x <= x0 + bw + SLACK && y >= y0 - SLACK && y <= y0 + bh + SLACK)
            .count()
    };
    let (x0, y0) = corners
        .iter()
        .fold((corners[0], usize::MAX), |best, c| {
            let n = covered(c);
            if n < best.1 {
                (*c, n)
            } else {
                best
            }
        })
        .0;

    let frame = [(x0, y0), (x0 + bw, y0 + bh)];
    area.draw(&Rectangle::new(frame, WHITE.filled())).map_err(msg)?;
    area.draw(&Rectangle::new(frame, BLACK.mix(0.35).stroke_width(THIN_W))).map_err(msg)?;
    for (i, &(label, color, style)) in entries.iter().enumerate() {
        let cy = y0 + PAD / 2 + row_h * i as i32 + row_h / 2;
        let (sx0, sx1) = (x0 + PAD, x0 + PAD + SAMPLE_W);
        draw_legend_sample(area, style, color, (sx0, sx1), cy)?;
        let top = cy - (LEGEND_SIZE * (0.5 - GLYPH_RAISE)).round() as i32;
        let text = font.pos(Pos::new(HPos::Left, VPos::Top));
        area.draw_text(label, &text, (sx1 + GAP, top)).map_err(msg)?;
    }
    Ok(())
}

/// Draws the legend symbol of a series style between x0 and x1 on the row centred at cy.
fn draw_legend_sample(area: &Area, style: Style, color: RGBColor, (x0, x1): (i32, i32), cy: i32) -> DrawResult {
    let line = color.stroke_width(LINE_W);
    let xm = (x0 + x1) / 2;
    match style {
        Style::Line => area.draw(&PathElement::new(vec![(x0, cy), (x1, cy)], line)),
        Style::Dashed | Style::VLines | Style::HLine => {
            area.draw(&DashedPathElement::new(vec![(x0, cy), (x1, cy)], DASH.0, DASH.1, line))
        }
        Style::Markers => area.draw(&Circle::new((xm, cy), MARKER_R, color.filled())),
        Style::Rings => area.draw(&Circle::new((xm, cy), RING_R, color.stroke_width(LINE_W))),
        Style::ErrorBars => {
            let e = px(7);
            area.draw(&PathElement::new(vec![(xm, cy - e), (xm, cy + e)], line)).map_err(msg)?;
            for y in [cy - e, cy + e] {
                area.draw(&PathElement::new(vec![(xm - CAP_HALF, y), (xm + CAP_HALF, y)], line)).map_err(msg)?;
            }
            area.draw(&Circle::new((xm, cy), MARKER_R, color.filled()))
        }
        Style::Histogram => {
            let r = [(x0 + px(4), cy - px(6)), (x1 - px(4), cy + px(6))];
            area.draw(&Rectangle::new(r, color.mix(HIST_ALPHA).filled())).map_err(msg)?;
            area.draw(&Rectangle::new(r, color.stroke_width(THIN_W)))
        }
        Style::Band => area.draw(&Rectangle::new([(x0, cy - px(6)), (x1, cy + px(6))], color.mix(BAND_ALPHA).filled())),
    }
    .map_err(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(label: Option<&str>, color: usize, style: Style, x: &[f64], y: &[f64], y2: &[f64]) -> Series {
        Series { label: label.map(str::to_string), color, style, x: x.to_vec(), y: y.to_vec(), y2: y2.to_vec() }
    }

    /// Two panels covering every style, the right one log-log, with missing values.
    fn every_style_figure() -> Figure {
        let x: Vec<f64> = (0..40).map(|i| 0.1 * i as f64).collect();
        let mut y: Vec<f64> = x.iter().map(|v| (v * 1.5).sin()).collect();
        y[17] = f64::NAN;
        let lo: Vec<f64> = y.iter().map(|v| v - 0.2).collect();
        let hi: Vec<f64> = y.iter().map(|v| v + 0.2).collect();
        let linear = Panel {
            title: "linear".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![
                series(Some("band"), 0, Style::Band, &x, &lo, &hi),
                series(Some("line"), 0, Style::Line, &x, &y, &[]),
                series(Some("dashed"), 1, Style::Dashed, &x, &x.iter().map(|v| 0.3 * v - 1.0).collect::<Vec<_>>(), &[]),
                series(Some("markers"), 2, Style::Markers, &x[..10], &y[..10], &[]),
                series(Some("rings"), 2, Style::Rings, &[x[20]], &[y[20]], &[]),
                series(Some("errors"), 3, Style::ErrorBars, &[0.5, 1.5, 2.5], &[0.5, -0.5, f64::NAN], &[0.1, 0.2, 0.1]),
                series(Some("vlines"), 4, Style::VLines, &[1.0, 3.0], &[], &[]),
                series(Some("hline"), 5, Style::HLine, &[], &[0.0], &[]),
                series(Some("histogram"), 6, Style::Histogram, &[0.0, 1.0, 2.0, 3.0], &[0.2, 0.6, 0.4], &[]),
            ],
            ..Default::default()
        };
        let n: Vec<f64> = (0..20).map(|i| 10f64.powf(1.0 + 0.15 * i as f64)).collect();
        let err: Vec<f64> = n.iter().map(|v| 1.0 / v.sqrt()).collect();
        let loglog = Panel {
            title: "log-log".into(),
            x_label: "n".into(),
            y_label: "error".into(),
            x_log: true,
            y_log: true,
            series: vec![
                series(
                    None,
                    0,
                    Style::Band,
                    &n,
                    &err.iter().map(|e| 0.8 * e).collect::<Vec<_>>(),
                    &err.iter().map(|e| 1.2 * e).collect::<Vec<_>>(),
                ),
                series(Some("1/√n"), 0, Style::Line, &n, &err, &[]),
                series(Some("sim"), 3, Style::ErrorBars, &n[..5], &err[..5], &[0.01; 5]),
                series(Some("zero is missing"), 7, Style::Markers, &[10.0, 100.0], &[0.0, 0.1], &[]),
                series(Some("hline"), 8, Style::HLine, &[], &[0.01], &[]),
            ],
            ..Default::default()
        };
        Figure { title: "every style".into(), panels: vec![linear, loglog], width: 1400, height: 560 }
    }

    #[test]
    fn renders_every_style_to_a_png_of_the_requested_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fig.png");
        render(&every_style_figure(), &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        assert_eq!((be(&bytes[16..20]), be(&bytes[20..24])), (1400, 560));
        // No temporary file is left next to the figure.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("fig.png")]);
    }

    #[test]
    fn rendering_into_a_missing_directory_fails_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir");
        assert!(render(&every_style_figure(), &missing.join("fig.png")).is_err());
        assert!(!dir.path().join("no").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn every_series_leaves_pixels_of_its_colour() {
        register_embedded_font().unwrap();
        let fig = every_style_figure();
        let rgb = rasterize(&fig, &figure_frames(&fig).unwrap()).unwrap();
        let count = |c: RGBColor| {
            rgb.chunks(3)
                .filter(|p| {
                    let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).abs();
                    d(p[0], c.0) + d(p[1], c.1) + d(p[2], c.2) < 24
                })
                .count()
        };
        // Solid colours of lines, markers, error bars, dashed and reference lines.
        for i in [0, 1, 2, 3, 4, 5, 7, 8] {
            assert!(count(palette(i)) > 30, "colour {i} hardly visible: {}", count(palette(i)));
        }
        // Histogram bars are filled with the translucent colour over white.
        let c = palette(6);
        let mix = |v: u8| (f64::from(v) * HIST_ALPHA + 255.0 * (1.0 - HIST_ALPHA)).round() as u8;
        assert!(count(RGBColor(mix(c.0), mix(c.1), mix(c.2))) > 1000);
    }

    #[test]
    fn invalid_figures_are_rejected_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fig.png");
        let mut fig = every_style_figure();
        fig.panels[1].x_range = Some((0.0, 10.0)); // non-positive on a log axis
        assert!(render(&fig, &path).is_err());
        let mut fig = every_style_figure();
        fig.panels[0].y_range = Some((1.0, 1.0));
        assert!(render(&fig, &path).is_err());
        let mut fig = every_style_figure();
        fig.width = 0;
        assert!(render(&fig, &path).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn points_outside_a_fixed_range_are_reported() {
        let series = |style, y: Vec<f64>| Series { label: Some("sim".into()), color: 0, style, x: vec![1.0, 2.0, 3.0, 4.0], y, y2: vec![] };
        let mut fig = Figure {
            title: String::new(),
            panels: vec![Panel { title: "p".into(), y_range: Some((0.0, 1.0)), series: vec![series(Style::Markers, vec![0.5, 2.0, f64::NAN, -1.0]), series(Style::Line, vec![5.0; 4])], ..Panel::default() }],
            width: 400,
            height: 300,
        };
        assert_eq!(off_scale_points(&fig).unwrap(), vec!["2 of 3 points of 'sim' in panel 'p' lie outside its axes and are not drawn".to_string()]);
        fig.panels[0].series[0].label = None;
        fig.panels[0].series[0].style = Style::ErrorBars;
        assert_eq!(off_scale_points(&fig).unwrap(), vec!["2 of 3 error-bar points in panel 'p' lie outside its axes and are not drawn".to_string()]);
        fig.panels[0].y_range = None;
        assert!(off_scale_points(&fig).unwrap().is_empty());
    }

    #[test]
    fn figures_without_titles_labels_or_panels_render() {
        let dir = tempfile::tempdir().unwrap();
        let empty = Figure { title: String::new(), panels: vec![], width: 800, height: 600 };
        render(&empty, &dir.path().join("a.png")).unwrap();
        let bare = Figure { title: String::new(), panels: vec![Panel::default()], width: 800, height: 600 };
        render(&bare, &dir.path().join("b.png")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn auto_ranges_cover_the_data_with_a_margin() {
        let a = fit_axis(&[0.0, 10.0, f64::NAN, f64::INFINITY], false, None).unwrap();
        assert!((a.lo + 0.5).abs() < 1e-12 && (a.hi - 10.5).abs() < 1e-12, "{a:?}");
        // Degenerate and empty ranges are widened.
        let a = fit_axis(&[3.0, 3.0], false, None).unwrap();
        assert!(a.lo < 3.0 && a.hi > 3.0);
        let a = fit_axis(&[0.0], false, None).unwrap();
        assert!(a.lo < 0.0 && a.hi > 0.0);
        let a = fit_axis(&[], false, None).unwrap();
        assert!(a.lo < a.hi);
        // Log axes ignore non-positive values.
        let a = fit_axis(&[-1.0, 0.0, 2.0, 8.0], true, None).unwrap();
        let f = 4f64.powf(0.05);
        assert!((a.lo / (2.0 / f) - 1.0).abs() < 1e-6 && (a.hi / (8.0 * f) - 1.0).abs() < 1e-6, "{a:?}");
        let a = fit_axis(&[1e-3, 1e2], true, None).unwrap();
        let f = 1e5f64.powf(0.05);
        assert!((a.lo / (1e-3 / f) - 1.0).abs() < 1e-6 && (a.hi / (1e2 * f) - 1.0).abs() < 1e-6, "{a:?}");
        let a = fit_axis(&[3.0, 3.0], true, None).unwrap();
        assert!(a.lo < 3.0 && a.hi > 3.0);
        // Extreme data: an error, not a panic or a hang, when the span is not representable.
        assert!(fit_axis(&[1e-100, 1e100], true, None).is_ok());
        assert!(fit_axis(&[1e-300, 1e300], true, None).is_err());
        assert!(fit_axis(&[], true, Some((1e-300, 1e300))).is_err());
        assert!(fit_axis(&[-1e308, 1e308], false, None).is_err());
        // Explicit ranges are kept (up to an invisible slack on log axes).
        assert_eq!(fit_axis(&[5.0], false, Some((0.0, 1.0))).unwrap(), Axis { lo: 0.0, hi: 1.0, log: false });
        assert!(fit_axis(&[], true, Some((-1.0, 1.0))).is_err());
        assert!(fit_axis(&[], false, Some((1.0, 0.0))).is_err());
        assert!(fit_axis(&[], false, Some((0.0, f64::NAN))).is_err());
    }

    #[test]
    fn extents_follow_the_style_rules() {
        let p = Panel {
            series: vec![
                series(None, 0, Style::ErrorBars, &[1.0], &[2.0], &[0.5]),
                series(None, 0, Style::Histogram, &[3.0, 4.0], &[5.0], &[]),
                series(None, 0, Style::VLines, &[-7.0], &[100.0], &[]),
                series(None, 0, Style::HLine, &[100.0], &[-9.0, 50.0], &[]),
                series(None, 0, Style::Line, &[11.0, 12.0], &[f64::NAN, 1.0], &[]),
            ],
            ..Default::default()
        };
        let (mut xs, mut ys) = extents(&p);
        xs.sort_by(f64::total_cmp);
        ys.sort_by(f64::total_cmp);
        assert_eq!(xs, vec![-7.0, 1.0, 3.0, 4.0, 12.0]);
        assert_eq!(ys, vec![-9.0, 0.0, 1.0, 1.5, 2.0, 2.5, 5.0]);
    }

    #[test]
    fn lines_break_at_missing_values_and_are_clipped_to_the_frame() {
        let frame = Frame { x: Axis { lo: 0.0, hi: 1.0, log: false }, y: Axis { lo: 0.0, hi: 1.0, log: false } };
        let s = series(None, 0, Style::Line, &[0.0, 0.2, 0.4, 0.6, 0.8], &[0.5, 0.5, f64::NAN, 0.5, 2.5], &[]);
        let drawn = shapes(&s, &frame);
        assert_eq!(drawn.len(), 2);
        assert_eq!(drawn[0], Shape::Path { pts: vec![(0.0, 0.5), (0.2, 0.5)], dashed: false });
        let Shape::Path { pts, .. } = &drawn[1] else { panic!() };
        assert_eq!(pts[0], (0.6, 0.5));
        assert!((pts[1].0 - 0.65).abs() < 1e-6 && (pts[1].1 - 1.0).abs() < 1e-6, "{pts:?}");
        // A line that leaves and re-enters becomes two pieces; one entirely outside vanishes.
        assert_eq!(clip_polyline(&[(0.1, 0.5), (0.5, 1.5), (0.9, 0.5)]).len(), 2);
        assert!(clip_polyline(&[(1.5, 0.0), (1.5, 1.0)]).is_empty());
        // Markers outside the frame or at missing values are skipped.
        let m = series(None, 0, Style::Markers, &[0.5, 0.5, 2.0], &[0.5, f64::NAN, 0.5], &[]);
        assert_eq!(shapes(&m, &frame), vec![Shape::Dot((0.5, 0.5))]);
        let r = series(None, 0, Style::Rings, &[0.5, 0.5, 2.0], &[0.5, f64::NAN, 0.5], &[]);
        assert_eq!(shapes(&r, &frame), vec![Shape::Ring((0.5, 0.5))]);
    }

    #[test]
    fn log_axes_map_decades_evenly_and_clip_error_bars() {
        let frame = Frame { x: Axis { lo: 1.0, hi: 100.0, log: true }, y: Axis { lo: 0.1, hi: 10.0, log: true } };
        assert!((frame.x.unit(10.0).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(frame.y.unit(0.0), None);
        let (x, y) = frame.data((0.5, 0.5));
        assert!((x - 10.0).abs() < 1e-9 && (y - 1.0).abs() < 1e-9);
        // The lower end (1 - 2 < 0) cannot be shown: the bar runs to the bottom without a cap.
        let e = series(None, 0, Style::ErrorBars, &[10.0], &[1.0], &[2.0]);
        let Shape::Bar { lo, cap_lo, cap_hi, .. } = shapes(&e, &frame)[0] else { panic!() };
        assert_eq!((lo, cap_lo, cap_hi), (0.0, false, true));
    }

    #[test]
    fn bands_become_clipped_polygons() {
        let frame = Frame { x: Axis { lo: 0.0, hi: 1.0, log: false }, y: Axis { lo: 0.0, hi: 1.0, log: false } };
        let b = series(None, 0, Style::Band, &[0.0, 1.0], &[0.5, 0.5], &[1.5, 1.5]);
        let Shape::Fill(poly) = &shapes(&b, &frame)[0] else { panic!() };
        assert!(poly.iter().all(|&p| inside(p)));
        let area: f64 = (0..poly.len())
            .map(|i| {
                let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum::<f64>()
            .abs()
            / 2.0;
        assert!((area - 0.5).abs() < 1e-6, "{poly:?}");
    }

    #[test]
    fn sharp_zigzags_stay_inside_the_plot() {
        register_embedded_font().unwrap();
        // A saw-tooth: a single wide polygon for this path would spike far out of the plot.
        let x: Vec<f64> = (0..2000).map(|i| i as f64).collect();
        let y: Vec<f64> = (0..2000).map(|i| (i % 2) as f64 + 1e-3 * i as f64).collect();
        let panel = Panel { series: vec![series(None, 3, Style::Line, &x, &y, &[])], ..Default::default() };
        let fig = Figure { title: String::new(), panels: vec![panel], width: 400, height: 300 };
        let rgb = rasterize(&fig, &figure_frames(&fig).unwrap()).unwrap();
        let c = palette(3);
        let reddish =
            |p: &[u8]| p[0] > 150 && p[1] < 120 && p[2] < 120 && (i32::from(p[0]) - i32::from(c.0)).abs() < 60;
        let rows =
            |r: std::ops::Range<usize>| r.flat_map(|y| (0..400).map(move |x| (y * 400 + x) * 3)).collect::<Vec<_>>();
        // The plot starts below the top margin: nothing of the line may show above it.
        assert!(rows(0..8).iter().all(|&i| !reddish(&rgb[i..i + 3])));
        assert!(rows(100..200).iter().any(|&i| reddish(&rgb[i..i + 3])));
    }

    #[test]
    fn dashes_follow_the_pattern() {
        // A 100-pixel line: on 18, off 10, on 18, ... (drawing pixels).
        let d = dashes(&[(0.0, 0.0), (0.6, 0.0), (1.0, 0.0)], (100.0, 100.0));
        let lengths: Vec<f64> = d.iter().map(|p| (p.last().unwrap().0 - p[0].0) * 100.0).collect();
        let (on, off) = (f64::from(DASH.0), f64::from(DASH.1));
        assert_eq!(d.len(), (100.0 / (on + off)).ceil() as usize);
        assert!((lengths[0] - on).abs() < 1e-9 && (d[1][0].0 * 100.0 - on - off).abs() < 1e-9, "{d:?}");
        // The dash across the vertex at 60 keeps the vertex.
        assert!(d.iter().any(|p| p.len() == 3 && p[1] == (0.6, 0.0)));
    }

    #[test]
    fn tick_labels_are_tidy() {
        assert_eq!(tick_format(&[0.0, 0.5, 1.0], false), TickFmt::Fixed(1));
        assert_eq!(tick_format(&[0.0, 0.25, 0.5], false), TickFmt::Fixed(2));
        assert_eq!(tick_format(&[0.1 + 0.2, 1.0], false), TickFmt::Fixed(1));
        assert_eq!(fmt_tick(0.30000000000000004, TickFmt::Fixed(1)), "0.3");
        assert_eq!(fmt_tick(-0.0, TickFmt::Fixed(1)), "0.0");
        assert_eq!(fmt_tick(-2.0, TickFmt::Fixed(0)), "−2");
        assert_eq!(tick_format(&[0.0, 2e-5, 4e-5], false), TickFmt::Sci(0));
        assert_eq!(fmt_tick(2e-5, TickFmt::Sci(0)), "2×10⁻⁵");
        assert_eq!(tick_format(&[0.01, 1.0, 100.0], true), TickFmt::Pow10);
        assert_eq!(fmt_tick(1e3, TickFmt::Pow10), "10³");
        assert_eq!(fmt_tick(0.001, TickFmt::Pow10), "10⁻³");
        assert_eq!(tick_format(&[1.0, 2.0, 5.0], true), TickFmt::Short);
        assert_eq!(fmt_tick(1.0, TickFmt::Short), "1");
        assert_eq!(fmt_tick(0.020000000000000004, TickFmt::Short), "0.02");
        assert_eq!(fmt_tick(2e-7, TickFmt::Short), "2×10⁻⁷");
    }

    #[test]
    fn log_ticks_are_powers_of_ten_or_simple_multiples() {
        let axis = |lo: f64, hi: f64| Axis { lo, hi, log: true };
        assert_eq!(tick_values(&axis(0.5, 2e3), 10), vec![1.0, 10.0, 100.0, 1000.0]);
        // Far below 1e-16, where plotters' own log ticks give up.
        assert_eq!(tick_values(&axis(3e-22, 2e-18), 10), vec![1e-21, 1e-20, 1e-19, 1e-18]);
        // Many decades: every k-th power, aligned to multiples of k.
        assert_eq!(tick_values(&axis(1e-7, 1e13), 5), vec![1e-5, 1.0, 1e5, 1e10]);
        // Less than two decades: 1..9 or 1-2-5 multiples.
        assert_eq!(tick_values(&axis(1.8, 8.6), 10), vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert_eq!(tick_values(&axis(1.8, 8.6), 3), vec![2.0, 5.0]);
        assert_eq!(tick_values(&axis(0.15, 3.0), 6), vec![0.2, 0.5, 1.0, 2.0]);
        // A sliver of a decade gets linear nice numbers.
        assert!(tick_values(&axis(1.1, 1.2), 5).len() >= 2);
        // Up to four decades: 1-2-5 multiples when they fit, else powers of ten.
        assert_eq!(tick_values(&axis(0.25, 35.0), 10), vec![0.5, 1.0, 2.0, 5.0, 10.0, 20.0]);
        assert_eq!(tick_values(&axis(0.25, 35.0), 5), vec![1.0, 10.0]);
        assert_eq!(tick_format(&tick_values(&axis(0.25, 35.0), 10), true), TickFmt::Short);
        // Minor grid: unlabelled 2..9 multiples.
        let a = axis(1.0, 100.0);
        assert_eq!(tick_values(&a, 10), vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]);
        let minor = minor_values(&a, &tick_values(&a, 10));
        assert_eq!(minor.len(), 12);
        assert_eq!(minor_values(&a, &tick_values(&a, 3)).len(), 16);
        assert!(minor_values(&axis(1e-100, 1e100), &[]).is_empty());
        assert!(minor_values(&Axis { lo: 0.0, hi: 1.0, log: false }, &[]).is_empty());
    }
}
