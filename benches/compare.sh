#!/usr/bin/env bash
# mssr against the textbook numpy computation (benches/numpy_reference.py), side by side:
# the same work, runs alternated (mssr, numpy, mssr, numpy, ...), medians and ratios, plus the
# peak resident memory of one mssr trial against the target of issue #4.
#
#   bash benches/compare.sh
#
# Environment: RUNS (alternations per workload, default 5), D (default 2000; n = 2d),
# MSSR (a prebuilt binary; default: cargo build --release, then target/release/mssr),
# WORKLOADS (default "single errors sweep sweep-errors"), OUT (default target/bench).
# Needs numpy and threadpoolctl (pip install numpy threadpoolctl) and /usr/bin/time
# (Debian package `time`). The numpy runs have OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset,
# in their own command only, so OpenBLAS picks its kernel for this CPU; which one it picked is
# printed.
#
# Timing: mssr is timed as a whole process (start-up, sampling, JSON output included);
# numpy by the script's own clock around sampling + computation (Python start-up and the
# numpy import excluded; the whole-process time is kept in the CSV too). Both start cold:
# one process per run, one repetition each.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-5}"
D="${D:-2000}"
N=$((2 * D))
OUT="${OUT:-target/bench}"
WORKLOADS="${WORKLOADS:-single errors sweep sweep-errors}"
mkdir -p "$OUT"
if [ -z "${MSSR:-}" ]; then
    cargo build --release -q
    MSSR=target/release/mssr
fi
python3 -c 'import numpy, threadpoolctl' 2>/dev/null || { echo "compare.sh: needs numpy and threadpoolctl: pip install numpy threadpoolctl" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "compare.sh: needs /usr/bin/time: apt-get update && apt-get install -y time" >&2; exit 2; }
NPENV=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
NP=("${NPENV[@]}" python3 benches/numpy_reference.py --d "$D" --n "$N" --reps 1 --json)
RUNS_CSV="$OUT/compare_runs.csv"
echo "workload,tool,run,ms,process_ms,others_before_pct,others_during_pct" > "$RUNS_CSV"

echo "# mssr vs numpy, d = $D, n = $N, $RUNS alternating runs per workload"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "mssr: $MSSR ($(git describe --always --dirty 2>/dev/null || echo 'no git'))"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-<unset>} in this shell (unset for numpy)"
"${NPENV[@]}" python3 -c 'import json, numpy; from threadpoolctl import threadpool_info; print("numpy", numpy.__version__, "BLAS:", json.dumps([{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")} for p in threadpool_info()]))'

now_ns() { date +%s%N; }

# cpu_ticks: the machine's busy and total CPU time (clock ticks, all cores)
cpu_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }

# busy_pct: CPU use of the whole machine over half a second, in % of all cores (we are idle then)
busy_pct() {
    local a b
    a=$(cpu_ticks)
    sleep 0.5
    b=$(cpu_ticks)
    echo "$a $b" | awk '{d = $4 - $2; printf "%.0f", (d > 0 ? 100 * ($3 - $1) / d : 0)}'
}

# wait_quiet: before each run, wait (up to QUIET_WAIT s, default 900) until other work on the
# machine uses under QUIET_PCT % (default 15) of it: OpenBLAS's threads collapse when another
# process holds a core (a numpy trial went from 4 s to 48 s here), so such runs compare
# nothing. BUSY keeps the share seen last.
BUSY=0
wait_quiet() {
    local deadline=$(( $(date +%s) + ${QUIET_WAIT:-900} ))
    BUSY=$(busy_pct)
    while [ "$BUSY" -gt "${QUIET_PCT:-15}" ] && [ "$(date +%s)" -lt "$deadline" ]; do
        sleep 5
        BUSY=$(busy_pct)
    done
}

# timed OUTFILE CMD...: runs CMD > OUTFILE after wait_quiet; sets WALL_MS (whole process) and
# OTHERS, the share (%) of the machine that other processes used meanwhile (/proc/stat's busy
# time less the command's own CPU time from GNU time). A run disturbed by more than QUIET_PCT
# is retried (up to 3 attempts, the last one is kept, its OTHERS recorded).
timed() {
    local out=$1; shift
    local attempt s0 s1 t0 t1
    for attempt in 1 2 3; do
        wait_quiet
        s0=$(cpu_ticks)
        t0=$(now_ns)
        /usr/bin/time -f "%U %S" -o "$OUT/cpu.txt" "$@" > "$out"
        t1=$(now_ns)
        s1=$(cpu_ticks)
        WALL_MS=$(( (t1 - t0) / 1000000 ))
        OTHERS=$(echo "$s0 $s1 $(tail -n1 "$OUT/cpu.txt")" | awk '{d = $4 - $2; o = ($3 - $1) - 100 * ($5 + $6); if (o < 0) o = 0; printf "%.0f", (d > 0 ? 100 * o / d : 0)}')
        # (CPU times come in 10 ms ticks: under a second the share is too coarse to act on)
        { [ "$OTHERS" -le "${QUIET_PCT:-15}" ] || [ "$WALL_MS" -lt 1000 ]; } && break
        echo "  (other processes used $OTHERS % of the machine during this run: retrying)" >&2
    done
}

# run_mssr WORKLOAD RUN ARGS...: the whole process's wall time
run_mssr() {
    local w=$1 r=$2; shift 2
    timed "$OUT/last_mssr_$w.json" "$MSSR" "$@"
    echo "$w,mssr,$r,$WALL_MS,$WALL_MS,$BUSY,$OTHERS" >> "$RUNS_CSV"
    echo "  $w run $r: mssr $WALL_MS ms (others: $BUSY % before, $OTHERS % during)" >&2
}

# run_numpy WORKLOAD TOOL RUN ARGS...: the script's own clock (sampling + computation)
run_numpy() {
    local w=$1 tool=$2 r=$3; shift 3
    timed "$OUT/last_${tool}_$w.json" "${NP[@]}" "$@"
    local ms
    ms=$(python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["ms"][0]))' "$OUT/last_${tool}_$w.json")
    echo "$w,$tool,$r,$ms,$WALL_MS,$BUSY,$OTHERS" >> "$RUNS_CSV"
    echo "  $w run $r: $tool $ms ms (process $WALL_MS ms; others: $BUSY % before, $OTHERS % during)" >&2
}

SIM=(simulate --d "$D" --alpha 2 --trials 1 -q --json)
for w in $WORKLOADS; do
    echo "running $w ..." >&2
    for r in $(seq 1 "$RUNS"); do
        case $w in
            single)
                run_mssr "$w" "$r" "${SIM[@]}" --lambda 0.1 --spectrum
                run_numpy "$w" numpy "$r" --lambdas 1 --work textbook
                run_numpy "$w" numpy_mssr_work "$r" --lambdas 1 --work mssr
                NP=(env OPENBLAS_NUM_THREADS=1 "${NP[@]}")
                run_numpy "$w" numpy_1thread "$r" --lambdas 1 --work textbook
                NP=("${NP[@]:2}") ;;
            errors)
                run_mssr "$w" "$r" "${SIM[@]}" --lambda 0.1
                run_numpy "$w" numpy "$r" --lambdas 1 --work errors ;;
            sweep)
                run_mssr "$w" "$r" "${SIM[@]}" --lambda 0.01:1:20:log --spectrum
                run_numpy "$w" numpy "$r" --lambdas 20 --work textbook
                run_numpy "$w" numpy_mssr_work "$r" --lambdas 20 --work mssr ;;
            sweep-errors)
                run_mssr "$w" "$r" "${SIM[@]}" --lambda 0.01:1:20:log
                run_numpy "$w" numpy "$r" --lambdas 20 --work errors ;;
            *) echo "unknown workload $w" >&2; exit 2 ;;
        esac
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# peak resident memory of one trial (GNU time's maximum resident set size, KiB)
peak_kib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'; }
MEM_ERR=$(peak_kib "$MSSR" "${SIM[@]}" --lambda 0.1)
MEM_SPEC=$(peak_kib "$MSSR" "${SIM[@]}" --lambda 0.1 --spectrum)
MEM_NP=$(peak_kib "${NP[@]}" --lambdas 1 --work textbook)
MEM_SWEEP=$(peak_kib "$MSSR" "${SIM[@]}" --lambda 0.01:1:20:log --spectrum)

python3 - "$RUNS_CSV" "$D" "$N" "$MEM_ERR" "$MEM_SPEC" "$MEM_NP" "$MEM_SWEEP" <<'EOF'
import csv, statistics, sys
path, d, n, mem_err, mem_spec, mem_np, mem_sweep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *map(int, sys.argv[4:8])
rows = list(csv.DictReader(open(path)))
med = {}
for r in rows:
    med.setdefault((r["workload"], r["tool"]), []).append(float(r["ms"]))
runs = {k: len(v) for k, v in med.items()}
noisy = [r for r in rows if int(r["others_before_pct"]) > 15 or (int(r["others_during_pct"]) > 15 and int(r["process_ms"]) >= 1000)]
med = {k: statistics.median(v) for k, v in med.items()}
targets = {"single": 1.0, "sweep": 0.3}
what = {
    "single": "one trial, 1 lambda, --spectrum",
    "errors": "one trial, 1 lambda, errors only",
    "sweep": "one trial, 20 lambdas, --spectrum",
    "sweep-errors": "one trial, 20 lambdas, errors only",
}
print()
print(f"| workload (d = {d}, n = {n}) | mssr median s | numpy median s | mssr / numpy | target | met? |")
print("|---|---:|---:|---:|---:|---|")
for w in what:
    if (w, "mssr") not in med:
        continue
    m, p = med[(w, "mssr")], med[(w, "numpy")]
    ratio = m / p
    t = targets.get(w)
    met = "-" if t is None else ("yes" if ratio <= t else "**no**")
    print(f"| {what[w]} ({runs[(w, 'mssr')]} runs each) | {m/1e3:.2f} | {p/1e3:.2f} | {ratio:.2f} | {'<= %.1f' % t if t else '-'} | {met} |")
    if (w, "numpy_mssr_work") in med:
        q = med[(w, "numpy_mssr_work")]
        print(f"| same, numpy doing mssr's own work (equal work) | {m/1e3:.2f} | {q/1e3:.2f} | {m/q:.2f} | - | - |")
    if (w, "numpy_1thread") in med:
        q = med[(w, "numpy_1thread")]
        print(f"| same, numpy textbook on one thread (OPENBLAS_NUM_THREADS=1) | {m/1e3:.2f} | {q/1e3:.2f} | {m/q:.2f} | - | - |")
target = (n * d + 3 * d * d) * 8 + 50e6
mb = lambda kib: kib * 1024 / 1e6
print()
print(f"peak resident memory, one trial at d = {d}, n = {n} (target (n d + 3 d^2) x 8 B + 50 MB = {target/1e6:.0f} MB):")
print(f"  mssr errors only:     {mb(mem_err):.0f} MB  ({'within' if mem_err*1024 <= target else 'OVER'} target)")
print(f"  mssr with --spectrum: {mb(mem_spec):.0f} MB  ({'within' if mem_spec*1024 <= target else 'OVER'} target)")
print(f"  mssr 20-lambda sweep with --spectrum: {mb(mem_sweep):.0f} MB  ({'within' if mem_sweep*1024 <= target else 'OVER'} target)")
print(f"  numpy textbook (reference, with the interpreter): {mb(mem_np):.0f} MB")
if noisy:
    print(f"WARNING: {len(noisy)} of {len(rows)} runs had other processes using > 15 % of the machine: not a clean comparison")
else:
    print(f"every run had the machine to itself (other processes < 15 % before and during each run)")
print(f"raw runs: {path}")
EOF
