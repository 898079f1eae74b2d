#!/bin/sh
# run.sh BUILD - runs the benchmarks and prints their figures (see
# docs/performance.md for recorded results and how to read them).
#
#   BENCH_1M=1     also measure search at 1M chunks (builds a ~1.5 GB store)
#   BENCH_MB=200   size of the generated ingestion corpus
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
eval_dir="$root/../shared/eval"
cd "$root"

echo "== retrieval quality (bench/eval.c)"
"$build/bench/eval" --eval-dir "$eval_dir"

echo "== ingestion throughput (bench/ingest.py)"
python3 bench/ingest.py "$build/docent" --mb "${BENCH_MB:-200}" --files 10000
python3 bench/ingest.py "$build/docent" --mb 50 --files 2500
[ -d "$eval_dir/doccorpus" ] && python3 bench/ingest.py "$build/docent" --dir "$eval_dir/doccorpus"

echo "== keyword search latency (bench/search.c), in-process"
"$build/bench/search" --chunks 100000 --eval-dir "$eval_dir"
[ "${BENCH_1M:-0}" = 1 ] && "$build/bench/search" --chunks 1000000 --eval-dir "$eval_dir"

echo "== keyword search latency, whole docent search command"
python3 bench/cli_search.py "$build/docent" /tmp/docent-bench-search-100000.db "$eval_dir"
[ "${BENCH_1M:-0}" = 1 ] && python3 bench/cli_search.py "$build/docent" /tmp/docent-bench-search-1000000.db "$eval_dir"
exit 0
