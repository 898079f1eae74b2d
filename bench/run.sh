#!/bin/sh
# run.sh BUILD - runs the benchmarks and prints their figures (see
# docs/performance.md for recorded results and how to read them).
#
#   BENCH_1M=1     also measure search at 1M chunks (builds a ~1.5 GB store)
#   BENCH_MB=200   size of the generated ingestion corpus
#   BENCH_SERVE_SECONDS=60  length of each wrk run of bench/serve.sh
#   BENCH_MODELS=1 also compare the llama.cpp engines with llama.cpp's tools
#                  (bench/llama_compare.sh; runs anyway when the models of
#                  `make bench-models` are there, BENCH_MODELS=0 skips it)
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
eval_dir="$root/../shared/eval"
cd "$root"

echo "== retrieval quality (bench/eval.c)"
"$build/bench/eval" --eval-dir "$eval_dir"

echo "== packed context against the top 10 chunks (bench/context.c)"
"$build/bench/context" --eval-dir "$eval_dir" --sweep

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
echo "== search through docent serve at 64 connections (bench/serve.sh)"
bench/serve.sh --build "$build" --duration "${BENCH_SERVE_SECONDS:-60}"
have_models=1
for m in minilm-l6-random-f16 qwen2-0.5b-random-q4_k_m; do
	[ -f "build/models/$m.gguf" ] || have_models=0
done
if [ "${BENCH_MODELS:-$have_models}" = 1 ]; then
	echo "== embedding and generation against llama.cpp (bench/llama_compare.sh)"
	[ $have_models = 1 ] || make --no-print-directory bench-models
	bench/llama_compare.sh "$build"
fi

echo "== reranking 20 passages of 256 tokens (bench/rerank.c)"
m=build/models/rerank-base-random-f16.gguf
[ -f "$m" ] || m=build/models/tiny-rerank.gguf
[ -f "$m" ] && "$build/bench/rerank" --model "$m" --passages 20 --tokens 256
exit 0
