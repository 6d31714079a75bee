#!/usr/bin/env python3
"""Textbook numpy reference for one SSR Monte Carlo trial (used by benches/compare.sh).

One trial, isotropic Σ = I, n samples in dimension d, for each lambda on the same X:

    X ~ N(0, I)                      (n x d)
    S = X^T X / n
    R = inv(S + lambda I),  D = diag(R)
    E_train = (1/d) sum_k (R_kk - lambda (R^2)_kk) / R_kk^2        (eq. (2))
    E_gen   = (1/d) sum_k (R Σ R)_kk / R_kk^2, Σ = I                (eq. (3))
    eigenvalues of T = D^{1/2} (S + lambda I) D^{1/2}  (eigvalsh)   -> A-hat's a = 1 - 1/t
    top eigenpair of S  (eigh)

With Σ = I, R Σ R = R^2: it is formed once (R @ R) and used for both errors (a generic Σ
would cost one more product). The 20-lambda sweep is this textbook computation repeated per
lambda on the same X (S included), as someone without mssr would write it.

--work mssr instead does what `mssr simulate --spectrum` does (isotropic, no spike), to compare
the two implementations of the same algorithm: one lambda: S once, one inverse of S + lambda I
(numpy by LU, mssr by Cholesky), the errors from it, then the eigenvalues (only) of T and of S;
several lambdas: one eigendecomposition of S, Diag(R) and Diag(R^2) for every lambda through
(U∘U), and per lambda only the eigenvalues of T.
--work errors: the errors only (no eigenvalues), like `mssr simulate` without --spectrum.

Requires numpy (and threadpoolctl for the BLAS report): pip install numpy threadpoolctl.
"""
import argparse
import json
import sys
import time

import numpy as np


def textbook(x, lam, spectrum=True):
    n, d = x.shape
    s = x.T @ x / n
    k = s + lam * np.eye(d)
    r = np.linalg.inv(k)
    dg = np.diag(r)
    r2 = r @ r  # (R^2)_kk, and R Σ R with Σ = I
    e_train = np.mean((dg - lam * np.diag(r2)) / dg**2)
    e_gen = np.mean(np.diag(r2) / dg**2)
    out = {"train_error": float(e_train), "gen_error": float(e_gen)}
    if spectrum:
        sq = np.sqrt(dg)
        t = sq[:, None] * k * sq[None, :]
        a = 1.0 - 1.0 / np.linalg.eigvalsh(t)
        w, v = np.linalg.eigh(s)
        top_vec = v[:, -1]
        out.update(ssr_top_eigenvalue=float(a[-1]), pca_top_eigenvalue=float(w[-1]), pca_top_vector_norm=float(top_vec @ top_vec))
    return out


def mssr_work(x, lams, spectrum=True):
    """The same steps as mssr's simulate --spectrum (run_trials_masked) at p = 0, no spike."""
    n, d = x.shape
    s = x.T @ x / n
    out = []
    if len(lams) == 1:
        lam = lams[0]
        k = s + lam * np.eye(d)
        r = np.linalg.inv(k)
        dg = np.diag(r)
        rr = np.einsum("ij,ij->j", r, r)
        res = {"train_error": float(np.mean((dg - lam * rr) / dg**2)), "gen_error": float(np.mean(rr / dg**2))}
        if spectrum:
            sq = np.sqrt(dg)
            tv = np.linalg.eigvalsh(sq[:, None] * k * sq[None, :])
            sv = np.linalg.eigvalsh(s)
            res.update(ssr_top_eigenvalue=float(1.0 - 1.0 / tv[-1]), pca_top_eigenvalue=float(sv[-1]))
        return [res]
    ev, u = np.linalg.eigh(s)
    ev = np.maximum(ev, 0.0)
    u2 = u * u
    g = np.stack([c for lam in lams for c in (1.0 / (ev + lam), 1.0 / (ev + lam) ** 2)], axis=1)
    diag = u2 @ g
    for i, lam in enumerate(lams):
        dg, rr = diag[:, 2 * i], diag[:, 2 * i + 1]
        res = {"train_error": float(np.mean((dg - lam * rr) / dg**2)), "gen_error": float(np.mean(rr / dg**2))}
        if spectrum:
            sq = np.sqrt(dg)
            t = sq[:, None] * (s + lam * np.eye(d)) * sq[None, :]
            tv = np.linalg.eigvalsh(t)
            res.update(ssr_top_eigenvalue=float(1.0 - 1.0 / tv[-1]), pca_top_eigenvalue=float(ev[-1]))
        out.append(res)
    return out


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")
    return [{k: p.get(k) for k in keep} for p in threadpool_info()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--d", type=int, default=2000)
    ap.add_argument("--n", type=int, default=None, help="samples (default 2d)")
    ap.add_argument("--lambdas", type=int, default=1, help="count: 1 -> lambda = 0.1; k > 1 -> k log-spaced in [0.01, 1] (mssr's 0.01:1:k:log)")
    ap.add_argument("--reps", type=int, default=1, help="repetitions, each a fresh X (timed: sampling + all lambdas)")
    ap.add_argument("--work", choices=["textbook", "mssr", "errors"], default="textbook")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    a = ap.parse_args()
    d = a.d
    n = a.n or 2 * d
    lambdas = [0.1] if a.lambdas == 1 else list(np.geomspace(0.01, 1.0, a.lambdas))
    rng = np.random.default_rng(a.seed)
    ms, last = [], None
    for rep in range(a.reps):
        t0 = time.perf_counter()
        x = rng.standard_normal((n, d))
        if a.work == "textbook":
            res = [textbook(x, lam) for lam in lambdas]
        elif a.work == "mssr":
            res = mssr_work(x, lambdas)
        else:
            res = [textbook(x, lam, spectrum=False) for lam in lambdas]
        ms.append((time.perf_counter() - t0) * 1e3)
        last = res
        if not a.json:
            print(f"rep {rep + 1}: {ms[-1]:.1f} ms (d = {d}, n = {n}, {len(lambdas)} lambda(s), work = {a.work})")
            sys.stdout.flush()
    summary = {
        "d": d,
        "n": n,
        "lambdas": len(lambdas),
        "work": a.work,
        "ms": ms,
        "median_ms": float(np.median(ms)),
        "first_lambda": last[0],
        "numpy": np.__version__,
        "blas": blas_info(),
    }
    if a.json:
        print(json.dumps(summary))
    else:
        print(f"median {summary['median_ms']:.1f} ms over {len(ms)} reps; first lambda: {last[0]}")
        for b in summary["blas"]:
            print(f"BLAS: {b}")


if __name__ == "__main__":
    main()
