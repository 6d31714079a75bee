//! Spectrum of A-hat through T = Dbar^{1/2}(S + lambda I)Dbar^{1/2} (SSR) and of S (PCA):
//! the fixed point (9) at complex z, the density (10), and the exact bulk edges
//! (theory/README.md section 7). SSR and PCA share every routine here; they differ only in
//! the components they pass in (Dbar = I and lambda = 0 for PCA).
use crate::error::{Error, Result};
use crate::model::{Coordinates, Population};
use num_complex::Complex64 as C;

/// One atom of the spectral problem: eigenvalue `e` of Σ0 with weight `w`, the diagonal
/// Dbar = `b` of its coordinates and the ridge `lam` acting on them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    pub e: f64,
    pub w: f64,
    pub b: f64,
    pub lam: f64,
}

/// Which matrix a `Problem` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// T = Dbar^{1/2}(S + lambda I)Dbar^{1/2}, whose eigenvalues t give A-hat's a = 1 - 1/t.
    Ssr,
    /// The sample covariance S (generalized Marchenko-Pastur).
    Pca,
}

/// The resolvent problem (9): M_j(z) = e_j/(1+delta) + lam_j - z/b_j,
/// delta(z) = gamma sum_j w_j e_j / M_j(z), m(z) = sum_j w_j / (b_j M_j(z)).
#[derive(Debug, Clone)]
pub struct Problem {
    pub method: Method,
    pub gamma: f64,
    pub comps: Vec<Component>,
    /// Masking ratio p of A_p (0 for SSR and PCA): A_p's eigenvalues are (1 - 1/t)/(1 - p).
    pub mask_ratio: f64,
}

/// Relative tolerance of the fixed point (9).
const TOL: f64 = 1e-12;

impl Problem {
    /// SSR's T for a model whose Dbar is a function of the atoms (diagonal or delocalized).
    pub fn ssr(pop: &Population, alpha: f64, lambda: f64) -> Result<Self> {
        Self::masked(pop, alpha, lambda, 0.0)
    }

    /// T_K = D_K^{1/2} K D_K^{1/2} of masking ratio p (eq. (14)): the components of K's population
    /// (1-p) Σ with the ridge profile p Diag(Σ) + lambda0/(1-p); p = 0 is SSR's T.
    pub fn masked(pop: &Population, alpha: f64, lambda0: f64, p: f64) -> Result<Self> {
        let (eq, pr) = crate::solver::solve_masked(pop, alpha, lambda0, p)?;
        let b_of = |j: usize| match &pop.coords {
            Coordinates::Diagonal => Ok(eq.dbar[j]),
            Coordinates::Delocalized => Ok(eq.dbar[0]),
            Coordinates::Dense { .. } => Err(Error::input(
                "the spectrum of A-hat is implemented for noise atoms and AR(1) models, not for --cov/--data",
            )),
        };
        let comps = (0..pop.eig.len())
            .map(|j| Ok(Component { e: pr.e[j], w: pop.weight[j], b: b_of(j)?, lam: pr.lam[j] }))
            .collect::<Result<_>>()?;
        Ok(Problem { method: Method::Ssr, gamma: 1.0 / alpha, comps, mask_ratio: p })
    }

    /// The predictor's eigenvalue for an eigenvalue t of T: a = (1 - 1/t)/(1 - p) (eq. (8)).
    pub fn a_of(&self, t: f64) -> f64 {
        a_of_t(t) / (1.0 - self.mask_ratio)
    }

    /// T's eigenvalue for a predictor eigenvalue a (inverse of `a_of`).
    pub fn t_of(&self, a: f64) -> f64 {
        t_of_a(a * (1.0 - self.mask_ratio))
    }

    /// PCA's S: the same problem with Dbar = I and lambda = 0.
    pub fn pca(pop: &Population, alpha: f64) -> Result<Self> {
        crate::error::finite("alpha", alpha)?;
        if alpha <= 0.0 {
            return Err(Error::input(format!("alpha must be positive, got {alpha}")));
        }
        let comps = pop.eig.iter().zip(&pop.weight).map(|(&e, &w)| Component { e, w, b: 1.0, lam: 0.0 }).collect();
        Ok(Problem { method: Method::Pca, gamma: 1.0 / alpha, comps, mask_ratio: 0.0 })
    }

    /// The same problem with every ridge replaced by `lam(component)` (Hellmann-Feynman shifts).
    pub fn with_ridge(&self, lam: impl Fn(&Component) -> f64) -> Self {
        let comps = self.comps.iter().map(|c| Component { lam: lam(c), ..*c }).collect();
        Problem { comps, ..self.clone() }
    }

    /// F(delta; z) = delta - gamma sum w e / M and dF/d(delta), at complex arguments.
    fn f_complex(&self, delta: C, z: C) -> (C, C) {
        let opd = C::new(1.0, 0.0) + delta;
        let (mut s, mut ds) = (C::new(0.0, 0.0), C::new(0.0, 0.0));
        for c in &self.comps {
            let m = c.e / opd + c.lam - z / c.b;
            s += c.w * c.e / m;
            ds += c.w * c.e * c.e / (opd * opd * m * m);
        }
        (delta - self.gamma * s, C::new(1.0, 0.0) - self.gamma * ds)
    }

    /// Newton on (9) at complex z from `start`; None if it does not converge. Where delta is
    /// large (z next to a point mass b_j lam_j, where delta has a pole) the solve is redone in
    /// u = 1/(1+delta), in which (9) stays well conditioned.
    fn newton_complex(&self, z: C, start: C) -> Option<(C, f64, usize)> {
        self.newton_delta(z, start).or_else(|| if start.norm() > 10.0 { self.newton_u(z, start) } else { None })
    }

    /// Newton on (9) in u = 1/(1+delta): H(u) = 1 - u - gamma u sum_j w_j e_j / (e_j u + lam_j - z/b_j)
    /// = u F, whose nonzero roots are those of (9). Returns delta.
    fn newton_u(&self, z: C, start: C) -> Option<(C, f64, usize)> {
        let one = C::new(1.0, 0.0);
        let mut u = one / (one + start);
        for it in 1..=100 {
            let (mut s, mut ds) = (C::new(0.0, 0.0), C::new(0.0, 0.0));
            for c in &self.comps {
                let cj = c.lam - z / c.b;
                let m = c.e * u + cj;
                s += c.w * c.e / m;
                ds += c.w * c.e * cj / (m * m);
            }
            let h = one - u - self.gamma * u * s;
            if h.norm() < TOL && u.norm() > 0.0 {
                let d = one / u - one;
                return Some((d, h.norm(), it));
            }
            let dh = -one - self.gamma * ds;
            if !(dh.norm() > 0.0) || !h.is_finite() {
                return None;
            }
            u -= h / dh;
        }
        None
    }

    /// Newton on (9) in delta.
    fn newton_delta(&self, z: C, start: C) -> Option<(C, f64, usize)> {
        let mut d = start;
        for it in 1..=100 {
            let (f, df) = self.f_complex(d, z);
            let res = f.norm() / (1.0 + d.norm());
            if res < TOL {
                return Some((d, res, it));
            }
            if !(df.norm() > 0.0) || !f.is_finite() {
                return None;
            }
            let mut step = f / df;
            // damping: never move further than the current scale of delta
            let cap = 0.5 * (1.0 + d.norm());
            if step.norm() > cap {
                step *= cap / step.norm();
            }
            d -= step;
        }
        None
    }

    /// delta(z) on the Stieltjes branch at real z = t (limit from Im z > 0), by continuation in
    /// Im z from a large value down to 0. Returns (delta, residual, iterations).
    pub fn delta_at(&self, t: f64) -> Result<(C, f64, usize)> {
        let scale = 1.0 + t.abs();
        // start far above the whole spectrum, where delta is small and Newton from 0 finds the
        // Stieltjes branch
        let mut eta = 10.0 * scale.max(self.t_range().1);
        let mut d = C::new(0.0, 0.0);
        let mut iters = 0;
        let mut ratio: f64 = 0.1;
        while eta > 1e-14 * scale {
            // at Im z > 0 the Stieltjes branch has Im delta > 0: a root below the axis is another
            // branch that Newton jumped to (seen where |delta| is large), so the step is retried shorter
            let on_branch = |nd: &C| nd.im >= -1e-12 * (1.0 + nd.norm());
            match self.newton_complex(C::new(t, eta), d).filter(|(nd, _, _)| on_branch(nd)) {
                Some((nd, _, it)) => {
                    d = C::new(nd.re, nd.im.max(0.0));
                    iters += it;
                    eta *= ratio;
                }
                None => {
                    ratio = ratio.sqrt();
                    eta /= ratio; // back off: a smaller step in eta
                    if ratio > 0.95 {
                        return Err(self.no_conv(t, iters));
                    }
                }
            }
        }
        let (nd, res, it) = self.newton_complex(C::new(t, 0.0), d).ok_or_else(|| self.no_conv(t, iters))?;
        let nd = if nd.im < 0.0 { nd.conj() } else { nd };
        Ok((nd, res, iters + it))
    }

    fn no_conv(&self, t: f64, iterations: usize) -> Error {
        Error::NoConvergence {
            what: "delta(z) (eq. 9)",
            at: format!("{:?} spectrum, z = {t}", self.method),
            residual: f64::NAN,
            iterations,
        }
    }

    /// The Stieltjes transform m(z) = sum_j w_j / (b_j M_j(z)) of the matrix (T or S).
    pub fn m_of(&self, delta: C, z: C) -> C {
        let opd = C::new(1.0, 0.0) + delta;
        self.comps.iter().map(|c| c.w / (c.b * (c.e / opd + c.lam - z / c.b))).sum()
    }

    /// Point masses of the spectrum (eigenvalues b_j lam_j of the null space of S when alpha < 1):
    /// (location, mass) with mass = max(0, (weight of the b-class) - alpha).
    pub fn point_masses(&self) -> Vec<(f64, f64)> {
        let alpha = 1.0 / self.gamma;
        let mut groups: Vec<(f64, f64)> = Vec::new(); // (b*lam, weight)
        for c in &self.comps {
            let loc = c.b * c.lam;
            match groups.iter_mut().find(|g| (g.0 - loc).abs() <= 1e-12 * (1.0 + loc.abs())) {
                Some(g) => g.1 += c.w,
                None => groups.push((loc, c.w)),
            }
        }
        groups.into_iter().filter(|g| g.1 > alpha + 1e-12).map(|g| (g.0, g.1 - alpha)).collect()
    }

    /// A t-range containing the whole spectrum: T >= Dbar^{1/2} Λ Dbar^{1/2} gives the lower end,
    /// max(b) (max(e) (1+sqrt(gamma))^2 + max(lam)) (with a margin) the upper end.
    pub fn t_range(&self) -> (f64, f64) {
        let g = (1.0 + self.gamma.sqrt()).powi(2);
        let fold_max = |f: &dyn Fn(&Component) -> f64| self.comps.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        let hi = fold_max(&|c| c.b) * (fold_max(&|c| c.e) * g + fold_max(&|c| c.lam).max(0.0));
        let lo = self.comps.iter().map(|c| c.b * c.lam).fold(f64::INFINITY, f64::min).max(0.0);
        let pad = 0.02 * (hi - lo) + 1e-300;
        ((lo - pad).max(0.0), hi + pad)
    }

    /// Density of the eigenvalues (absolutely continuous part) at real t (eq. (10)):
    /// rho(t) = Im m(t + i0) / pi.
    pub fn density(&self, t: f64) -> Result<f64> {
        let (d, _, _) = self.delta_at(t)?;
        Ok(self.density_from(d, t))
    }

    fn density_from(&self, d: C, t: f64) -> f64 {
        if d.im <= 1e-11 * (1.0 + d.norm()) {
            0.0
        } else {
            (self.m_of(d, C::new(t, 0.0)).im / std::f64::consts::PI).max(0.0)
        }
    }

    /// Residuals of the edge system: F = 0 and dF/d(delta) = 0, with the Jacobian.
    fn edge_system(&self, delta: f64, z: f64) -> ([f64; 2], [[f64; 2]; 2]) {
        let opd = 1.0 + delta;
        let g = self.gamma;
        let (mut s, mut fd, mut fz, mut gd, mut gz) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for c in &self.comps {
            let m = c.e / opd + c.lam - z / c.b;
            s += c.w * c.e / m;
            fd += c.w * c.e * c.e / (opd * opd * m * m);
            fz += c.w * c.e / (c.b * m * m);
            gd += c.w * c.e * c.e / (opd.powi(3) * m * m) * (1.0 - c.e / (opd * m));
            gz += c.w * c.e * c.e / (opd * opd * c.b * m.powi(3));
        }
        let f = delta - g * s;
        let fdelta = 1.0 - g * fd;
        ([f, fdelta], [[fdelta, -g * fz], [2.0 * g * gd, -2.0 * g * gz]])
    }

    /// Polishes an edge: Newton on the 2x2 system F = 0, dF/d(delta) = 0 in (delta, z).
    pub fn refine_edge(&self, delta0: f64, z0: f64) -> Result<Edge> {
        let (mut d, mut z) = (delta0, z0);
        for it in 1..=100 {
            let (r, j) = self.edge_system(d, z);
            let res = r[0].abs() / (1.0 + d.abs()) + r[1].abs();
            if res < 1e-13 {
                return Ok(Edge { t: z, delta: d, residual: res, iterations: it });
            }
            let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
            if det == 0.0 || !det.is_finite() {
                break;
            }
            let sd = (r[0] * j[1][1] - r[1] * j[0][1]) / det;
            let sz = (j[0][0] * r[1] - j[1][0] * r[0]) / det;
            // backtracking: halve the step until the residual decreases
            let mut k = 1.0;
            loop {
                let (nd, nz) = (d - k * sd, z - k * sz);
                let (nr, _) = self.edge_system(nd, nz);
                let nres = nr[0].abs() / (1.0 + nd.abs()) + nr[1].abs();
                if (nres < res && nres.is_finite()) || k < 1e-6 {
                    d = nd;
                    z = nz;
                    break;
                }
                k *= 0.5;
            }
        }
        let (r, _) = self.edge_system(d, z);
        let res = r[0].abs() / (1.0 + d.abs()) + r[1].abs();
        if res < 1e-11 {
            // converged to the rounding level of this scale
            return Ok(Edge { t: z, delta: d, residual: res, iterations: 100 });
        }
        Err(Error::NoConvergence {
            what: "bulk edge (2x2 Newton)",
            at: format!("{:?} spectrum near z = {z0:.6}", self.method),
            residual: r[0].abs() + r[1].abs(),
            iterations: 100,
        })
    }

    /// All bulk intervals [lo, hi] of the continuous spectrum, each edge solved exactly:
    /// bracketed on a grid of `coarse` points, then polished by `refine_edge`.
    pub fn edges(&self, coarse: usize) -> Result<Vec<(Edge, Edge)>> {
        let (lo, _) = self.t_range();
        let top = self.right_edge()?;
        let hi = top.t + 0.02 * (top.t - lo) + 1e-12 * top.t.abs();
        let n = coarse.max(50);
        // a linear grid plus a geometric one, so that bulks of small atoms are resolved even when
        // the spectrum spans many orders of magnitude
        let mut ts: Vec<f64> = (0..=n).map(|i| lo + (hi - lo) * i as f64 / n as f64).collect();
        let glo = lo.max(hi * 1e-12);
        ts.extend((0..=n).map(|i| glo * (hi / glo).powf(i as f64 / n as f64)));
        ts.sort_by(|a, b| a.total_cmp(b));
        ts.dedup_by(|a, b| (*a - *b).abs() <= 1e-14 * b.abs().max(1e-300));
        let mut deltas = Vec::with_capacity(ts.len());
        for &t in &ts {
            deltas.push(self.delta_at(t)?.0);
        }
        let inside = |d: &C| d.im > 1e-9 * (1.0 + d.norm());
        let mut out = Vec::new();
        let mut i = 0;
        while i < ts.len() {
            if !inside(&deltas[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i + 1 < ts.len() && inside(&deltas[i + 1]) {
                i += 1;
            }
            let end = i;
            // edges lie between the last outside and first inside grid points
            let left = self.edge_between(ts[start.saturating_sub(1)], ts[start], deltas[start.saturating_sub(1)], deltas[start])?;
            let right = self.edge_between(ts[end], ts[(end + 1).min(ts.len() - 1)], deltas[end], deltas[(end + 1).min(ts.len() - 1)])?;
            out.push((left, right));
            i += 1;
        }
        Ok(out)
    }

    fn edge_between(&self, t0: f64, t1: f64, d0: C, d1: C) -> Result<Edge> {
        let inside = |d: &C| d.im > 1e-9 * (1.0 + d.norm());
        let in_bracket = |e: &Edge| {
            let tol = 1e-9 * (t1 - t0).abs().max(1e-300);
            e.t >= t0.min(t1) - tol && e.t <= t0.max(t1) + tol
        };
        // start from the outside point (delta real there)
        let (t_out, d_out) = if d0.im.abs() < d1.im.abs() { (t0, d0) } else { (t1, d1) };
        if let Ok(e) = self.refine_edge(d_out.re, t_out) {
            if in_bracket(&e) {
                return Ok(e);
            }
        }
        // Newton left the bracket: shrink the bracket by bisection on "inside the bulk", then polish
        let (mut a, mut b, mut da) = (t0, t1, d0);
        let a_inside = inside(&d0);
        for _ in 0..80 {
            let m = 0.5 * (a + b);
            if m <= a.min(b) || m >= a.max(b) {
                break;
            }
            let (dm, _, _) = self.delta_at(m)?;
            if inside(&dm) == a_inside {
                a = m;
                da = dm;
            } else {
                b = m;
            }
        }
        let (t_edge, d_edge) = if a_inside { (b, self.delta_at(b)?.0) } else { (a, da) };
        let e = self.refine_edge(d_edge.re, t_edge)?;
        // a tiny residual and a position next to the bisected edge (Im delta -> 0 like a square root
        // there, so the bisection itself is only accurate to a small relative error)
        if (e.t - t_edge).abs() <= 1e-5 * t_edge.abs() + (t1 - t0).abs() {
            Ok(e)
        } else {
            Err(Error::NoConvergence {
                what: "bulk edge (2x2 Newton)",
                at: format!("{:?}: converged to z = {} away from the bisected edge {t_edge}", self.method, e.t),
                residual: e.residual,
                iterations: e.iterations,
            })
        }
    }

    /// delta(z) for real z right of the whole bulk: the larger real root of F, on the branch
    /// where every M_j < 0 (F is convex there). None when z is inside or left of the bulk.
    pub fn delta_right(&self, z: f64) -> Option<f64> {
        let fr = |d: f64| {
            let (f, df) = self.f_complex(C::new(d, 0.0), C::new(z, 0.0));
            (f.re, df.re)
        };
        // right of the bulk the resolvent is negative definite: every M_j < 0, which needs z/b > lam
        if self.comps.iter().any(|c| z / c.b <= c.lam) {
            return None;
        }
        // poles: 1 + delta = e / (z/b - lam)
        let pole = self
            .comps
            .iter()
            .filter(|c| z / c.b > c.lam)
            .map(|c| c.e / (z / c.b - c.lam) - 1.0)
            .fold(-1.0, f64::max);
        // minimum of the convex F on (pole, inf): bisection on F' (increasing)
        let (mut a, mut b) = (pole, pole + 1.0);
        while fr(b).1 < 0.0 {
            b = pole + 2.0 * (b - pole);
            if b > 1e15 {
                return None;
            }
        }
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if fr(m).1 < 0.0 {
                a = m;
            } else {
                b = m;
            }
            if b - a < 1e-15 * (1.0 + b.abs()) {
                break;
            }
        }
        let dmin = b;
        if fr(dmin).0 > 0.0 {
            return None;
        }
        let mut hi = dmin + 1.0;
        while fr(hi).0 <= 0.0 {
            hi = dmin + 2.0 * (hi - dmin);
        }
        crate::rootfind::newton_bracketed("delta right of the bulk", fr, dmin, hi, hi, 1e-14, |d| 1.0 + d.abs())
            .ok()
            .map(|r| r.x)
    }

    /// The right edge of the bulk. Whether z is right of the whole bulk is monotone in z (the
    /// minimum of F over the branch with every M_j < 0 decreases with z, eq. (S4)), so the edge is
    /// bracketed by bisection between the bounds of `t_range` and polished by `refine_edge`.
    pub fn right_edge(&self) -> Result<Edge> {
        let (lo, mut hi) = self.t_range();
        let mut k = 0;
        while self.delta_right(hi).is_none() {
            hi *= 2.0;
            k += 1;
            if k > 60 {
                return Err(Error::Numerical(format!("{:?}: no real branch above the bulk", self.method)));
            }
        }
        let (mut z_in, mut z_out) = (lo, hi);
        if self.delta_right(z_in).is_some() {
            return Err(Error::Numerical(format!("{:?}: no bulk found in [{lo}, {hi}]", self.method)));
        }
        for _ in 0..200 {
            let m = 0.5 * (z_in + z_out);
            if m <= z_in || m >= z_out {
                break;
            }
            if self.delta_right(m).is_some() {
                z_out = m;
            } else {
                z_in = m;
            }
        }
        let d = self.delta_right(z_out).expect("outside point has a real branch");
        self.refine_edge(d, z_out).or_else(|e| {
            // the bisection itself is exact to rounding: accept it when Newton cannot improve it
            let (r, _) = self.edge_system(d, z_out);
            if r[0].abs() / (1.0 + d.abs()) < 1e-12 && r[1].abs() < 1e-6 {
                Ok(Edge { t: z_out, delta: d, residual: r[0].abs() / (1.0 + d.abs()) + r[1].abs(), iterations: 200 })
            } else {
                Err(e)
            }
        })
    }
}

/// A bulk edge: position t (in the matrix's own scale), delta there, and the solve's report.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Edge {
    pub t: f64,
    pub delta: f64,
    pub residual: f64,
    pub iterations: usize,
}

/// A-hat's eigenvalue a = 1 - 1/t for an eigenvalue t of T (eq. (8)).
pub fn a_of_t(t: f64) -> f64 {
    1.0 - 1.0 / t
}

/// T's eigenvalue t = 1/(1-a) for an eigenvalue a of A-hat (eq. (8)).
pub fn t_of_a(a: f64) -> f64 {
    1.0 / (1.0 - a)
}

/// Density on a grid, continuing delta from point to point (Newton at Im z = 0 from the previous
/// solution) and falling back to Im z-continuation where that fails or the phase changes.
pub fn density_grid(p: &Problem, ts: &[f64]) -> Result<Vec<(f64, f64, f64, usize)>> {
    let mut out = Vec::with_capacity(ts.len());
    let mut prev: Option<C> = None;
    for &t in ts {
        let fast = prev.filter(|d| d.im > 1e-9 * (1.0 + d.norm())).and_then(|d| p.newton_complex(C::new(t, 0.0), d));
        let (d, res, it) = match fast {
            Some((d, res, it)) if d.im > 1e-9 * (1.0 + d.norm()) => (d, res, it),
            _ => p.delta_at(t)?,
        };
        prev = Some(d);
        out.push((t, p.density_from(d, t), res, it));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::solve_delta;

    #[test]
    fn isotropic_pca_edges_are_marchenko_pastur() {
        for alpha in [2.0, 4.0, 1.25] {
            let g: f64 = 1.0 / alpha;
            let p = Problem::pca(&Population::isotropic(), alpha).unwrap();
            let e = p.edges(400).unwrap();
            assert_eq!(e.len(), 1);
            let (lo, hi) = ((1.0 - g.sqrt()).powi(2), (1.0 + g.sqrt()).powi(2));
            assert!((e[0].0.t - lo).abs() < 1e-10 && (e[0].1.t - hi).abs() < 1e-10, "{e:?} vs {lo} {hi}");
            // the density integrates to 1 (no point mass for alpha > 1)
            let n = 4000;
            let h = (hi - lo) / n as f64;
            let ts: Vec<f64> = (0..n).map(|i| lo + h * (i as f64 + 0.5)).collect();
            let total: f64 = density_grid(&p, &ts).unwrap().iter().map(|r| r.1 * h).sum();
            assert!((total - 1.0).abs() < 2e-3, "mass {total}");
        }
    }

    #[test]
    fn isotropic_ssr_edges_are_the_image_of_pca_through_scalar_dbar() {
        let (alpha, lambda) = (2.0, 0.1);
        let g: f64 = 1.0 / alpha;
        let pop = Population::isotropic();
        let q = solve_delta(&pop, alpha, lambda, None).unwrap().dbar[0];
        let e = Problem::ssr(&pop, alpha, lambda).unwrap().edges(400).unwrap();
        let lo = q * ((1.0 - g.sqrt()).powi(2) + lambda);
        let hi = q * ((1.0 + g.sqrt()).powi(2) + lambda);
        assert!((e[0].0.t - lo).abs() < 1e-10 && (e[0].1.t - hi).abs() < 1e-10);
    }

    #[test]
    fn model_h_edges_match_the_notes() {
        let pop = Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap();
        let ssr = Problem::ssr(&pop, 2.0, 0.1).unwrap().edges(600).unwrap();
        let pca = Problem::pca(&pop, 2.0).unwrap().edges(600).unwrap();
        let top = ssr.last().unwrap().1.t;
        assert!((top - 4.360293).abs() < 1e-6, "{top}");
        assert!((a_of_t(top) - 0.770658).abs() < 1e-6);
        assert!((pca.last().unwrap().1.t - 4.649975).abs() < 1e-6);
        // the right edge agrees with where the real branch of delta ends
        let p = Problem::ssr(&pop, 2.0, 0.1).unwrap();
        assert!(p.delta_right(top + 1e-6).is_some());
        assert!(p.delta_right(top - 1e-3).is_none());
    }

    /// Mass of the density over the found intervals, by midpoint rule on `n` points each.
    fn mass(p: &Problem, iv: &[(Edge, Edge)], n: usize) -> f64 {
        iv.iter()
            .map(|(l, h)| {
                let w = (h.t - l.t) / n as f64;
                let ts: Vec<f64> = (0..n).map(|i| l.t + w * (i as f64 + 0.5)).collect();
                density_grid(p, &ts).unwrap().iter().map(|r| r.1 * w).sum::<f64>()
            })
            .sum()
    }

    #[test]
    fn separated_atoms_give_two_intervals_with_all_the_mass() {
        // S has one interval per well-separated atom (SSR's T whitens them into one, checked below)
        let pop = Population::atoms(&[0.1, 10.0], &[0.3, 0.7]).unwrap();
        let ssr = Problem::ssr(&pop, 10.0, 0.05).unwrap();
        let iv = ssr.edges(800).unwrap();
        assert_eq!(iv.len(), 1, "{iv:?}");
        assert!((mass(&ssr, &iv, 3000) - 1.0).abs() < 2e-3);
        for p in [Problem::pca(&pop, 10.0).unwrap()] {
            let iv = p.edges(800).unwrap();
            assert_eq!(iv.len(), 2, "{:?}: {iv:?}", p.method);
            for (l, h) in &iv {
                assert!(l.residual < 1e-12 && h.residual < 1e-12);
            }
            // zero density in the gap, total mass 1, and each interval carries its atom's weight
            let gap = 0.5 * (iv[0].1.t + iv[1].0.t);
            assert_eq!(p.density(gap).unwrap(), 0.0);
            let m = mass(&p, &iv, 3000);
            assert!((m - 1.0).abs() < 2e-3, "{:?}: mass {m}", p.method);
            let m0 = mass(&p, &iv[..1], 3000);
            assert!((m0 - 0.3).abs() < 2e-3, "{:?}: first interval mass {m0}", p.method);
        }
    }

    #[test]
    fn point_mass_when_alpha_below_one() {
        // PCA: mass 1 - alpha at 0; the continuous part carries alpha
        let p = Problem::pca(&Population::isotropic(), 0.5).unwrap();
        assert_eq!(p.point_masses(), vec![(0.0, 0.5)]);
        let iv = p.edges(600).unwrap();
        assert!((mass(&p, &iv, 4000) - 0.5).abs() < 2e-3);
    }

    #[test]
    fn model_h_ssr_density_integrates_to_one() {
        let pop = Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap();
        let p = Problem::ssr(&pop, 2.0, 0.1).unwrap();
        let iv = p.edges(600).unwrap();
        assert!((mass(&p, &iv, 4000) - 1.0).abs() < 2e-3);
    }
}
