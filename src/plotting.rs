//! Rendering of figure descriptions to PNG with plotters and an embedded font.
//! (Interface below; the renderer lives in `render`.)
use crate::error::Result;
use std::path::Path;

/// How one series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Style {
    /// Solid line through (x, y).
    Line,
    /// Dashed line through (x, y).
    Dashed,
    /// Markers at (x, y).
    Markers,
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
    let _ = (fig, path);
    todo!("renderer")
}
