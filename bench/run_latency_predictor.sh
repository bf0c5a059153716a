#!/usr/bin/env bash
# The latency predictor's figures of BENCHMARKS.md and docs/decisions/0009, into bench/results/latency_predictor/.
#   bash bench/run_latency_predictor.sh [TABLE]
# 1. leave-one-device-out over every lat_* column, 5 seeds (the adopted settings);
# 2. the settings grid, on five of the ten devices (the other five confirm the choice in 1).
set -euo pipefail
T=${1:-../shared/benchmarks/nb201.csv}
OUT=bench/results/latency_predictor
mkdir -p "$OUT"
python -m bench.latency_predictor --table "$T" --samples 10 --seeds 5 | tee "$OUT/loo.txt"
TUNE=lat_fpga_ms,lat_pixel3_ms,lat_gold_6226_ms,lat_pixel2_ms,lat_pixel_litert_cifar100_ms
grid() { python -m bench.latency_predictor --table "$T" --hold-out "$TUNE" --seeds 2 "$@"; }
for k in 4 8 16; do grid --features "$k" | tee "$OUT/grid_features$k.txt"; done
for n in 0.02 0.1; do grid --noise "$n" | tee "$OUT/grid_noise$n.txt"; done
grid --jitter 0.01 | tee "$OUT/grid_jitter0.01.txt"
