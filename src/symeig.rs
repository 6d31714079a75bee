//! Eigenvalues (no vectors) of a dense symmetric matrix by two-stage reduction, the kernel of the
//! spectral sweep: T(lambda) of eq. (8) needs all its eigenvalues once per lambda.
//!
//! One-stage tridiagonalization (LAPACK dsytrd, faer's) spends half its flops in a matrix-vector
//! product over the whole trailing matrix per column: memory bound, and two of them side by side
//! share the memory bus. The two-stage scheme (LAPACK dsytrd_2stage; Haidar, Ltaief and Dongarra,
//! SC'11) moves those flops into matrix-matrix products:
//! 1. dense -> band of half-bandwidth `BAND` by blocked Householder QR of column panels, the
//!    trailing update as a symmetric rank-2b product (compute bound, faer's matmul);
//! 2. band -> tridiagonal by Householder bulge chasing, O(d^2 BAND) flops on data in cache;
//! 3. eigenvalues of the tridiagonal matrix by faer's implicit QR.
//!
//! Accuracy is that of any orthogonal reduction: eigenvalues within a small multiple of
//! eps * ||A|| of faer's (tested in this module and in tests/properties.rs).
use crate::error::{Error, Result};
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// Half-bandwidth after stage 1. Measured at d = 2000 (one core, EPYC): 16, 32, 48, 64 give
/// 0.64, 0.52, 0.55, 0.65 s in total; wider bands speed up stage 1 and slow down stage 2.
pub const BAND: usize = 32;

/// All eigenvalues, ascending, of the symmetric matrix whose lower triangle is `a` (the lower
/// triangle is overwritten, the strict upper one never read). `par` splits stage 1's products.
/// A is first scaled by a power of two to max |a_ij| in [1, 2) (exact; as LAPACK's dsyev), so
/// no reduction step overflows or works on subnormals; an eigenvalue beyond f64 is an error.
pub fn eigenvalues_lower(a: &mut Mat<f64>, par: Par) -> Result<Vec<f64>> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(Error::Numerical(format!("eigenvalues of a {n} x {} matrix: not square", a.ncols())));
    }
    let mut max = 0.0f64;
    for j in 0..n {
        for i in j..n {
            let x = a[(i, j)];
            if !x.is_finite() {
                return Err(Error::Numerical(format!("eigenvalues: entry ({i}, {j}) of the {n} x {n} matrix is {x}")));
            }
            max = max.max(x.abs());
        }
    }
    if max == 0.0 {
        return Ok(vec![0.0; n]);
    }
    let e = max.log2().floor() as i32;
    for j in 0..n {
        for i in j..n {
            a[(i, j)] = times_pow2(a[(i, j)], -e);
        }
    }
    reduce_to_band(a.as_mut(), BAND, par);
    let (diag, sub) = band_to_tridiagonal(a, BAND);
    if let Some(i) = diag.iter().chain(&sub).position(|x| !x.is_finite()) {
        return Err(Error::Numerical(format!("eigenvalues: the reduction of the {n} x {n} matrix to tridiagonal form gave a non-finite entry ({i})")));
    }
    let values: Vec<f64> = tridiagonal_eigenvalues(&diag, &sub)?.into_iter().map(|x| times_pow2(x, e)).collect();
    if values.iter().any(|x| !x.is_finite()) {
        return Err(Error::Numerical(format!("eigenvalues of the {n} x {n} matrix: the largest exceeds the range of f64")));
    }
    Ok(values)
}

/// x * 2^k, exactly unless the result overflows or is subnormal.
fn times_pow2(x: f64, k: i32) -> f64 {
    let pow2 = |k: i32| f64::from_bits(((k + 1023) as u64) << 52); // 2^k for k in -1022..=1023
    let (k1, k2) = (k / 2, k - k / 2);
    x * pow2(k1) * pow2(k2)
}

/// Householder reflector H = I - tau v v^T with H x = (beta, 0, ..., 0), computed in place:
/// x[0] becomes beta and x[1..] becomes v[1..] (v[0] = 1); returns tau. tau = 0 (H = I, x left
/// as it is) when the tail x[1..] is zero or below 1e-154 |x|_max, where the callers' zeroing of
/// it is a negligible perturbation. H is orthogonal to working precision for any x whose norm
/// fits in f64 (the matrix is scaled to max 1 first): a subnormal x (rounding noise of a
/// rank-deficient panel) is lifted by an exact power of two, as in LAPACK's dlarfg.
#[inline(always)]
fn householder(x: &mut [f64]) -> f64 {
    const LIFT: f64 = 4.149515568880993e180; // 2^600
    if x.len() < 2 {
        return 0.0;
    }
    let mut scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    let lifted = scale < f64::MIN_POSITIVE;
    if lifted {
        x.iter_mut().for_each(|v| *v *= LIFT);
        scale *= LIFT;
    }
    let tail2: f64 = x[1..].iter().map(|v| (v / scale) * (v / scale)).sum();
    if tail2 == 0.0 {
        if lifted {
            x.iter_mut().for_each(|v| *v /= LIFT);
        }
        return 0.0;
    }
    let alpha = x[0];
    let beta = -(scale * ((alpha / scale).powi(2) + tail2).sqrt()).copysign(alpha);
    let tau = (beta - alpha) / beta;
    // v = x / (alpha - beta) through scaled values (|alpha - beta| >= scale: no overflow)
    let inv = 1.0 / ((alpha - beta) / scale);
    x[1..].iter_mut().for_each(|v| *v = (*v / scale) * inv);
    x[0] = if lifted { beta / LIFT } else { beta };
    tau
}

/// Y = A X for the symmetric m x m matrix whose lower triangle is `a`, by blocks of columns.
fn symm_lower(mut y: MatMut<'_, f64>, a: MatRef<'_, f64>, x: MatRef<'_, f64>, par: Par) {
    use BlockStructure::{Rectangular, StrictTriangularUpper, TriangularLower};
    const BLOCK: usize = 256;
    let m = a.nrows();
    y.fill(0.0);
    for j0 in (0..m).step_by(BLOCK) {
        let jb = BLOCK.min(m - j0);
        let diag = a.submatrix(j0, j0, jb, jb);
        let (xj, mut yj) = (x.subrows(j0, jb), y.rb_mut().subrows_mut(j0, jb));
        tri_matmul(yj.rb_mut(), Rectangular, Accum::Add, diag, TriangularLower, xj, Rectangular, 1.0, par);
        tri_matmul(yj.rb_mut(), Rectangular, Accum::Add, diag.transpose(), StrictTriangularUpper, xj, Rectangular, 1.0, par);
        let below = m - j0 - jb;
        if below > 0 {
            let blk = a.submatrix(j0 + jb, j0, below, jb);
            matmul(yj, Accum::Add, blk.transpose(), x.subrows(j0 + jb, below), 1.0, par);
            matmul(y.rb_mut().subrows_mut(j0 + jb, below), Accum::Add, blk, xj, 1.0, par);
        }
    }
}

/// Stage 1: Q^T A Q with half-bandwidth b, on the lower triangle of `a` in place.
/// Panel k: QR of A[k+b.., k..k+b] = (I - V T V^T) R; the trailing block becomes
/// A22 - V Y^T - Y V^T with X = A22 V T and Y = X - V (T^T V^T X) / 2.
fn reduce_to_band(mut a: MatMut<'_, f64>, b: usize, par: Par) {
    let n = a.nrows();
    let mut k = 0;
    while n > k + b + 1 {
        let m = n - k - b;
        let nr = b.min(m - 1);
        let mut panel = a.rb_mut().submatrix_mut(k + b, k, m, b);
        let tau = panel_qr(panel.rb_mut(), nr);
        // [V | Y] with V unit lower trapezoidal; the panel keeps R and zeros below it
        let mut vy = Mat::<f64>::zeros(m, 2 * nr);
        for j in 0..nr {
            vy[(j, j)] = 1.0;
            let src = &mut column(panel.rb_mut(), j)[j + 1..];
            column(vy.as_mut(), j)[j + 1..].copy_from_slice(src);
            src.fill(0.0);
        }
        let v = vy.as_ref().subcols(0, nr);
        // T upper triangular with I - V T V^T = H_0 ... H_{nr-1} (LAPACK dlarft), from G = V^T V
        let mut g = Mat::<f64>::zeros(nr, nr);
        matmul(g.as_mut(), Accum::Replace, v.transpose(), v, 1.0, par);
        let mut t = Mat::<f64>::zeros(nr, nr);
        for j in 0..nr {
            t[(j, j)] = tau[j];
            for r in 0..j {
                t[(r, j)] = -tau[j] * (r..j).map(|q| t[(r, q)] * g[(q, j)]).sum::<f64>();
            }
        }
        let (mut vt, mut x) = (Mat::<f64>::zeros(m, nr), Mat::<f64>::zeros(m, nr));
        matmul(vt.as_mut(), Accum::Replace, v, t.as_ref(), 1.0, par);
        symm_lower(x.as_mut(), a.rb().submatrix(k + b, k + b, m, m), vt.as_ref(), par);
        let (mut vtx, mut ttvx) = (Mat::<f64>::zeros(nr, nr), Mat::<f64>::zeros(nr, nr));
        matmul(vtx.as_mut(), Accum::Replace, v.transpose(), x.as_ref(), 1.0, par);
        matmul(ttvx.as_mut(), Accum::Replace, t.transpose(), vtx.as_ref(), 1.0, par);
        matmul(x.as_mut(), Accum::Add, v, ttvx.as_ref(), -0.5, par);
        vy.as_mut().subcols_mut(nr, nr).copy_from(&x);
        let mut yv = Mat::<f64>::zeros(m, 2 * nr);
        yv.as_mut().subcols_mut(0, nr).copy_from(&x);
        yv.as_mut().subcols_mut(nr, nr).copy_from(vy.as_ref().subcols(0, nr));
        let a22 = a.rb_mut().submatrix_mut(k + b, k + b, m, m);
        use BlockStructure::{Rectangular, TriangularLower};
        tri_matmul(a22, TriangularLower, Accum::Add, vy.as_ref(), Rectangular, yv.as_ref().transpose(), Rectangular, -1.0, par);
        k += b;
    }
}

/// Column j of a column-major matrix as a slice.
fn column<'a>(m: MatMut<'a, f64>, j: usize) -> &'a mut [f64] {
    m.col_mut(j).try_as_col_major_mut().expect("column-major storage").as_slice_mut()
}

/// Whether this CPU has AVX2 and FMA, the features the kernels' fast path is compiled for.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    return false;
}

/// Unblocked Householder QR of the first `nr` columns of the m x b `p` (applied to all b);
/// returns the taus, with R in the upper triangle and the reflectors' tails below it.
fn panel_qr(p: MatMut<'_, f64>, nr: usize) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has the features `panel_qr_avx2` is compiled for
        return unsafe { panel_qr_avx2(p, nr) };
    }
    panel_qr_kernel::<false>(p, nr)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn panel_qr_avx2(p: MatMut<'_, f64>, nr: usize) -> Vec<f64> {
    panel_qr_kernel::<true>(p, nr)
}

#[inline(always)]
fn panel_qr_kernel<const FMA: bool>(mut p: MatMut<'_, f64>, nr: usize) -> Vec<f64> {
    let mut taus = vec![0.0; nr];
    for (j, tau) in taus.iter_mut().enumerate() {
        let (left, mut right) = p.rb_mut().split_at_col_mut(j + 1);
        let pj = &mut column(left, j)[j..];
        *tau = householder(pj);
        if *tau == 0.0 {
            continue;
        }
        for c in 0..right.ncols() {
            let pc = &mut column(right.rb_mut(), c)[j..];
            let s = pc[0] + dot::<FMA>(&pj[1..], &pc[1..]);
            pc[0] -= *tau * s;
            axpy::<FMA>(&mut pc[1..], -*tau * s, &pj[1..]);
        }
    }
    taus
}

/// Stage 2: the band matrix (half-bandwidth b, lower triangle of `a`) to tridiagonal form by
/// Householder bulge chasing; returns the diagonal and the subdiagonal.
fn band_to_tridiagonal(a: &mut Mat<f64>, b: usize) -> (Vec<f64>, Vec<f64>) {
    let n = a.nrows();
    // a Mat is column-major with row stride 1 and column stride >= n
    let cs = a.col_stride() as usize;
    let ptr = a.as_ptr_mut();
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: ptr and cs describe the n x n column-major `a`, borrowed mutably here; the CPU
        // has the features `chase_avx2` is compiled for
        unsafe { chase_avx2(ptr, cs, n, b) };
        return tridiagonal_of(a);
    }
    // SAFETY: ptr and cs describe the n x n column-major `a`, borrowed mutably here
    unsafe { chase::<false>(ptr, cs, n, b) };
    tridiagonal_of(a)
}

/// The diagonal and the subdiagonal of `a`.
fn tridiagonal_of(a: &Mat<f64>) -> (Vec<f64>, Vec<f64>) {
    let n = a.nrows();
    ((0..n).map(|i| a[(i, i)]).collect(), (0..n.saturating_sub(1)).map(|i| a[(i + 1, i)]).collect())
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn chase_avx2(ptr: *mut f64, cs: usize, n: usize, b: usize) {
    unsafe { chase::<true>(ptr, cs, n, b) }
}

/// a * b + c: fused (one rounding) in the FMA build of a kernel, plain otherwise (`mul_add`
/// without the CPU feature is a library call per flop).
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

#[inline(always)]
fn dot<const FMA: bool>(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let n4 = x.len() / 4 * 4;
    for (xa, ya) in x[..n4].chunks_exact(4).zip(y[..n4].chunks_exact(4)) {
        for l in 0..4 {
            acc[l] = madd::<FMA>(xa[l], ya[l], acc[l]);
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for q in n4..x.len() {
        s = madd::<FMA>(x[q], y[q], s);
    }
    s
}

#[inline(always)]
fn axpy<const FMA: bool>(y: &mut [f64], alpha: f64, x: &[f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = madd::<FMA>(xi, alpha, *yi);
    }
}

/// The bulge chase. Sweep i annihilates column i below the subdiagonal with a reflector on rows
/// [i+1, i+1+b); each reflector, applied from the right to the block below, fills a bulge whose
/// first column the next reflector annihilates (the rest of the bulge is the next sweep's), so
/// every step touches two b x b blocks. Blocks: [st, ed) diagonal, [st2, ed2) x [st, ed) below.
///
/// # Safety
/// `ptr` points to an n x n column-major matrix with column stride `cs`, not aliased elsewhere.
#[inline(always)]
unsafe fn chase<const FMA: bool>(ptr: *mut f64, cs: usize, n: usize, b: usize) {
    // rows [r0, r1) of column j
    let seg = |j: usize, r0: usize, r1: usize| -> &mut [f64] { unsafe { std::slice::from_raw_parts_mut(ptr.add(j * cs + r0), r1 - r0) } };
    let (mut v, mut v2, mut w) = (vec![0.0; b], vec![0.0; b], vec![0.0; b]);
    // the reflector from rows [r0, r1) of column j, which it annihilates below row r0, into `into`
    let reflect = |j: usize, r0: usize, r1: usize, into: &mut [f64]| {
        let c = seg(j, r0, r1);
        let tau = householder(c);
        into[0] = 1.0;
        into[1..c.len()].copy_from_slice(&c[1..]);
        c[1..].fill(0.0);
        tau
    };
    for i in 0..n.saturating_sub(2) {
        let (mut st, mut ed) = (i + 1, (i + 1 + b).min(n));
        let mut tau = reflect(i, st, ed, &mut v);
        loop {
            let len = ed - st;
            if tau != 0.0 {
                // two-sided on the diagonal block: w = tau B v - (tau^2 v^T B v / 2) v, B -= v w^T + w v^T
                let (w, v) = (&mut w[..len], &v[..len]);
                w.fill(0.0);
                for c in 0..len {
                    let cc = seg(st + c, st + c, ed);
                    axpy::<FMA>(&mut w[c + 1..], v[c], &cc[1..]);
                    w[c] += cc[0] * v[c] + dot::<FMA>(&cc[1..], &v[c + 1..]);
                }
                w.iter_mut().for_each(|x| *x *= tau);
                let alpha = -0.5 * tau * dot::<FMA>(w, v);
                axpy::<FMA>(w, alpha, v);
                for c in 0..len {
                    let cc = seg(st + c, st + c, ed);
                    axpy::<FMA>(cc, -w[c], &v[c..]);
                    axpy::<FMA>(cc, -v[c], &w[c..]);
                }
            }
            if ed >= n {
                break;
            }
            let (st2, ed2) = (ed, (ed + b).min(n));
            if tau != 0.0 {
                // from the right on the block below: E -= tau (E v) v^T
                let w = &mut w[..ed2 - st2];
                w.fill(0.0);
                for (c, &vc) in v[..len].iter().enumerate() {
                    axpy::<FMA>(w, vc, seg(st + c, st2, ed2));
                }
                for (c, &vc) in v[..len].iter().enumerate() {
                    axpy::<FMA>(seg(st + c, st2, ed2), -tau * vc, w);
                }
            }
            // the next reflector annihilates the bulge's first column; from the left on the rest
            let tau2 = reflect(st, st2, ed2, &mut v2);
            if tau2 != 0.0 {
                let v2 = &v2[..ed2 - st2];
                for c in 1..len {
                    let cc = seg(st + c, st2, ed2);
                    let s = dot::<FMA>(cc, v2);
                    axpy::<FMA>(cc, -tau2 * s, v2);
                }
            }
            std::mem::swap(&mut v, &mut v2);
            (tau, st, ed) = (tau2, st2, ed2);
        }
    }
}

/// Eigenvalues, ascending, of the symmetric tridiagonal matrix (diagonal, subdiagonal): faer's
/// implicit QR; failure to converge is an error.
fn tridiagonal_eigenvalues(diag: &[f64], sub: &[f64]) -> Result<Vec<f64>> {
    let n = diag.len();
    let scratch = faer::linalg::temp_mat_scratch::<f64>(n, 1);
    let mut mem = MemBuffer::new(StackReq::all_of(&[scratch, scratch]));
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    faer::linalg::evd::tridiagonal_self_adjoint_evd(
        faer::ColRef::from_slice(diag).as_diagonal(),
        faer::ColRef::from_slice(sub).as_diagonal(),
        s.as_mut(),
        None,
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|e| Error::Numerical(format!("eigenvalues of the {n} x {n} tridiagonal matrix: {e:?}")))?;
    let mut out: Vec<f64> = (0..n).map(|i| s.column_vector()[i]).collect();
    out.sort_by(f64::total_cmp);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Side;
    use rand::{Rng, SeedableRng};

    /// Max |ours - reference| and max |reference| for `a`; the reference is faer's solver on
    /// `a` scaled by 2^k (exact), scaled back: faer itself loses accuracy at extreme scales.
    fn max_diff_scaled(a: &Mat<f64>, k: i32) -> (f64, f64) {
        let up = Mat::from_fn(a.nrows(), a.ncols(), |i, j| times_pow2(a[(i, j)], k));
        let reference: Vec<f64> = up.self_adjoint_eigenvalues(Side::Lower).unwrap().iter().map(|&x| times_pow2(x, -k)).collect();
        let mut lower = a.clone();
        for j in 0..a.ncols() {
            for i in 0..j {
                lower[(i, j)] = f64::NAN; // the strict upper triangle must never be read
            }
        }
        let ours = eigenvalues_lower(&mut lower, Par::Seq).unwrap();
        assert_eq!(ours.len(), reference.len());
        let scale = reference.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(f64::MIN_POSITIVE);
        (ours.iter().zip(&reference).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max), scale)
    }

    fn max_diff(a: &Mat<f64>) -> (f64, f64) {
        max_diff_scaled(a, 0)
    }

    fn random_symmetric(n: usize, seed: u64) -> Mat<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let g = Mat::<f64>::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
        Mat::from_fn(n, n, |i, j| g[(i, j)] + g[(j, i)])
    }

    /// The second-difference matrix tridiag(-1, 2, -1), eigenvalues 2 - 2 cos(k pi / (n + 1)).
    fn second_difference(n: usize) -> Mat<f64> {
        Mat::from_fn(n, n, |i, j| if i == j { 2.0 } else if i.abs_diff(j) == 1 { -1.0 } else { 0.0 })
    }

    #[test]
    fn matches_faer_across_sizes_around_the_band() {
        for n in [1, 2, 3, BAND - 1, BAND, BAND + 1, BAND + 2, 2 * BAND + 3, 3 * BAND, 150, 301] {
            let (d, s) = max_diff(&random_symmetric(n, n as u64));
            assert!(d <= 1e-13 * s * (n as f64).sqrt().max(1.0), "n = {n}: max |diff| {d:e}, scale {s}");
        }
    }

    #[test]
    fn structured_matrices_take_the_zero_reflector_paths() {
        let n = 100;
        // diagonal, tridiagonal, identity plus rank one (a 99-fold eigenvalue), and a tiny and
        // a huge scale (the reflectors must not under- or overflow)
        let diagonal = Mat::from_fn(n, n, |i, j| if i == j { i as f64 - 40.0 } else { 0.0 });
        let rank_one = Mat::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 } + ((i + 1) * (j + 1)) as f64 / (n * n) as f64);
        for (name, m) in [("diagonal", diagonal), ("tridiagonal", second_difference(n)), ("rank one", rank_one), ("tiny", random_symmetric(n, 7) * faer::Scale(1e-150)), ("huge", random_symmetric(n, 8) * faer::Scale(1e150))] {
            let (d, s) = max_diff(&m);
            assert!(d <= 1e-12 * s, "{name}: max |diff| {d:e}, scale {s:e}");
        }
        let ev = eigenvalues_lower(&mut second_difference(n), Par::Seq).unwrap();
        for (k, e) in ev.iter().enumerate() {
            let exact = 2.0 - 2.0 * ((k + 1) as f64 * std::f64::consts::PI / (n + 1) as f64).cos();
            assert!((e - exact).abs() < 1e-13, "k = {k}: {e} vs {exact}");
        }
    }

    #[test]
    fn rank_deficient_matrices_at_extreme_scales() {
        // found by the property test: reflectors built from the subnormal rounding noise of a
        // rank-deficient panel were not orthogonal; a constant matrix then gave a tridiagonal
        // on which faer's QR did not converge, a low-rank one eigenvalues 0.6 % off at 1e-150
        let pattern = [0.0, -0.11540774060958162, -0.4320219673794886];
        for scale in [1e-300, 1e-150, 1e-80, 1.0, 1e150, 1e300] {
            let constant = Mat::from_fn(55, 55, |_, _| scale * -0.2768875023000545);
            let low_rank = Mat::from_fn(64, 64, |i: usize, j: usize| scale * pattern[(i.max(j) * (i.max(j) + 1) / 2 + i.min(j)) % 3]);
            for (name, m) in [("constant", constant), ("low rank", low_rank)] {
                let (d, s) = max_diff(&m);
                assert!(d <= 1e-14 * s, "{name} at scale {scale:e}: max |diff| {d:e}, scale {s:e}");
            }
        }
    }

    #[test]
    fn near_overflow_and_subnormal_matrices() {
        // found in review: entries of 1e307 gave NaN eigenvalues (Ok), subnormal ones
        // NoConvergence; the solver now scales A to max 1 first
        for n in [32, 200] {
            let big = Mat::from_fn(n, n, |_, _| 1e307 / n as f64);
            let (d, s) = max_diff_scaled(&big, -1000);
            assert!(d <= 1e-13 * s, "1e307 / {n}: max |diff| {d:e}, scale {s:e}");
        }
        let tiny = Mat::from_fn(40, 40, |i, j| times_pow2(random_symmetric(40, 5)[(i, j)], -1040));
        assert!(tiny[(3, 4)] != 0.0 && tiny[(3, 4)].abs() < f64::MIN_POSITIVE);
        let (d, s) = max_diff_scaled(&tiny, 1040);
        assert!(d <= 1e-13 * s, "subnormal: max |diff| {d:e}, scale {s:e}");
        // an eigenvalue beyond f64 (2.7e308) is an error, not infinity
        let mut over = Mat::from_fn(2, 2, |i, j| if i == j { 1.7e308 } else { 1e308 });
        let e = eigenvalues_lower(&mut over, Par::Seq).unwrap_err();
        assert!(e.to_string().contains("exceeds the range of f64"), "{e}");
        assert_eq!(eigenvalues_lower(&mut Mat::zeros(3, 3), Par::Seq).unwrap(), vec![0.0; 3]);
    }

    #[test]
    fn parallel_stage_one_gives_the_same_values() {
        let a = random_symmetric(200, 3);
        let seq = eigenvalues_lower(&mut a.clone(), Par::Seq).unwrap();
        let par = eigenvalues_lower(&mut a.clone(), Par::rayon(2)).unwrap();
        let d = seq.iter().zip(&par).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        assert!(d < 1e-12, "{d:e}");
    }

    #[test]
    fn non_finite_entries_are_an_error() {
        let mut a = random_symmetric(40, 1);
        a[(30, 2)] = f64::NAN;
        let e = eigenvalues_lower(&mut a, Par::Seq).unwrap_err();
        assert!(e.to_string().contains("entry (30, 2)"), "{e}");
        assert!(eigenvalues_lower(&mut Mat::<f64>::zeros(3, 4), Par::Seq).is_err());
        assert!(eigenvalues_lower(&mut Mat::<f64>::zeros(0, 0), Par::Seq).unwrap().is_empty());
    }

    #[test]
    fn the_portable_kernels_match_the_fma_ones() {
        // the fallback for CPUs without AVX2/FMA: same algorithm, unfused arithmetic
        let a = random_symmetric(150, 9);
        let run = |fma: bool| {
            let mut m = a.clone();
            let mut lower = m.as_mut();
            let nr = BAND.min(149);
            let mut panel = lower.rb_mut().submatrix_mut(BAND, 0, 150 - BAND, BAND);
            let tau = if fma { panel_qr_kernel::<true>(panel.rb_mut(), nr) } else { panel_qr_kernel::<false>(panel.rb_mut(), nr) };
            (tau, Mat::from_fn(150 - BAND, BAND, |i, j| panel[(i, j)]))
        };
        let ((t1, p1), (t0, p0)) = (run(true), run(false));
        assert!(t1.iter().zip(&t0).all(|(x, y)| (x - y).abs() < 1e-12));
        assert!((p1 - p0).norm_max() < 1e-12);
        let full = random_symmetric(120, 4);
        let band = Mat::from_fn(120, 120, |i, j| if i.abs_diff(j) <= BAND { full[(i, j)] } else { 0.0 });
        let mut chased = band.clone();
        let (ptr, cs) = (chased.as_ptr_mut(), chased.col_stride() as usize);
        // SAFETY: ptr and cs describe the 120 x 120 `chased`, borrowed mutably here
        unsafe { chase::<false>(ptr, cs, 120, BAND) };
        let (d, sub) = tridiagonal_of(&chased);
        let portable = tridiagonal_eigenvalues(&d, &sub).unwrap();
        let f = band.self_adjoint_eigenvalues(Side::Lower).unwrap();
        let diff = portable.iter().zip(&f).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        assert!(diff < 1e-12, "{diff:e}");
    }
}
