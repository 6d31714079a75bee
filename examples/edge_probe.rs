//! Probe of the multi-interval edge finder: 1000 random 3-atom models at alpha < 1 (where point
//! masses and large |delta| live). Counts typed errors of `Problem::edges` and bulks whose
//! density is not zero just outside and positive just inside each edge.
//! `cargo run --release --example edge_probe`
use masked_ssr::model::Population;
use masked_ssr::spectral::Problem;
fn main() {
    let mut seed: u64 = 12345;
    let mut u = || { seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (seed >> 11) as f64 / (1u64 << 53) as f64 };
    let (mut bad_edges, mut n, mut bad_density, mut maxres) = (0, 0, 0, 0.0f64);
    for _ in 0..1000 {
        let psi: Vec<f64> = (0..3).map(|_| 0.1f64 * (100f64).powf(u())).collect();
        let mut w: Vec<f64> = (0..3).map(|_| 0.05 + u()).collect();
        let s: f64 = w.iter().sum(); for x in &mut w { *x /= s; }
        let s2: f64 = w[..2].iter().sum(); w[2] = 1.0 - s2;
        let alpha = 0.1 + 0.9 * u();
        let lambda = 10f64.powf(-3.0 + 3.0 * u());
        let pop = Population::atoms(&psi, &w).unwrap();
        let pr = Problem::ssr(&pop, alpha, lambda).unwrap();
        n += 1;
        match pr.edges(200) {
            Err(e) => { bad_edges += 1; if bad_edges <= 8 { eprintln!("edges psi={psi:?} w={w:?} a={alpha} l={lambda}: {e}"); } }
            Ok(bulks) => {
                for (lo, hi) in &bulks {
                    maxres = maxres.max(lo.residual).max(hi.residual);
                    let h = 1e-7 * hi.t;
                    let dn = |t: f64| pr.density(t).unwrap();
                    let (lo_in, hi_in) = (dn(lo.t + h), dn(hi.t - h));
                    let ok = lo_in > 0.0 && hi_in > 0.0 && dn(lo.t - h) < 1e-3 * lo_in && dn(hi.t + h) < 1e-3 * hi_in;
                    if !ok { bad_density += 1; if bad_density <= 5 { eprintln!("density check psi={psi:?} w={w:?} a={alpha} l={lambda}: [{}, {}] res {} {}", lo.t, hi.t, lo.residual, hi.residual); } }
                }
            }
        }
    }
    println!("{n} models: edges errors {bad_edges}, bulks failing the density check {bad_density}, max edge residual {maxres:.2e}");
}
