#!/usr/bin/env bash
# The parallel-search benchmark of BENCHMARKS.md (section 8): 10-s and 2-s evaluations,
# 1, 2, 4 and 8 Ray workers, budget 64, into one results folder (a rerun skips what is there).
#   bash bench/run_parallel.sh [TABLE] [OUT]
set -euo pipefail
T=${1:-../shared/benchmarks/nb201.csv}
OUT=${2:-bench/results/parallel}
export OMP_NUM_THREADS=1
python -m bench.parallel --table "$T" --workers 1,2,4,8 --eval-seconds 10 --budget 64 --seeds 3 --out "$OUT"
python -m bench.parallel --table "$T" --workers 1,2,4,8 --eval-seconds 2 --budget 64 --seeds 2 --out "$OUT"
