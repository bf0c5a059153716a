#!/usr/bin/env bash
# The six NB201 device problems of BENCHMARKS.md, each method at budget 100, into one results folder.
#   bash bench/run_nb201.sh [TABLE] [OUT] [METHODS] [SEEDS]
# defaults: ../shared/benchmarks/nb201.csv, bench/results/nb201, every method, 10 seeds.
# Rerunning skips the (method, seed, problem) rows already in OUT/results.csv.
set -euo pipefail
T=${1:-../shared/benchmarks/nb201.csv}
OUT=${2:-bench/results/nb201}
METHODS=${3:-latentnas,random,nsga2,motpe,onehot-bo,pool-bo}
SEEDS=${4:-10}
export OMP_NUM_THREADS=1  # every method on one thread, as the search's own default
run() { python -m bench.mobo --table "$T" --methods "$METHODS" --seeds "$SEEDS" --out "$OUT" "$@"; }
run --accuracy acc_cifar10 --latency lat_raspi4_ms
run --accuracy acc_cifar10 --latency lat_pixel3_ms
run --accuracy acc_cifar100 --latency lat_pi5_litert_cifar100_ms
run --accuracy acc_imagenet16 --latency lat_fpga_ms
run --accuracy acc_imagenet16 --latency lat_eyeriss_ms
run --accuracy acc_cifar100 --latency lat_pi5_litert_cifar100_ms --energy energy_pi5_litert_cifar100_mj
