#!/bin/sh
# summarize.sh [BUILD] - how long `docent summarize` takes per page of a
# multi-page PDF: the extractive summary (no model), a written summary
# with the language model (map-reduce, cache empty), and the same again
# (every part from the cache). The whole command is timed, model loading
# included; each timed run holds /tmp/docent-bench.lock, as the other
# model benchmarks do.
#
#   MODEL=build/models/qwen2-0.5b-random-q4_k_m.gguf  (make bench-models)
#   PDF=../shared/eval/doccorpus/pdf/NIST-FIPS199.pdf
#   LENGTH=medium  CONTEXT=0 (the model's, at most 8192)
#
# A random-weight model never writes its end token, so every reply runs to
# its token cap: the times are an upper bound for a real model of that
# shape (which stops when its summary is done).
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
model=${MODEL:-build/models/qwen2-0.5b-random-q4_k_m.gguf}
pdf=${PDF:-../shared/eval/doccorpus/pdf/NIST-FIPS199.pdf}
length=${LENGTH:-medium}
[ -f "$model" ] || { echo "missing $model: run 'make bench-models'"; exit 1; }
[ -f "$pdf" ] || { echo "missing $pdf (../shared/eval/doccorpus)"; exit 1; }
pdf=$(cd "$(dirname "$pdf")" && pwd)/$(basename "$pdf")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/docent-bench-sum-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export DOCENT_HOME="$tmp/home" DOCENT_CONFIG="$tmp/none.conf"
export DOCENT_ENGINE_CONTEXT=${CONTEXT:-0}
"$build/docent" ingest --no-embed "$pdf" >/dev/null
pages=$("$build/docent" docs --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pages"])')
echo "$(basename "$pdf"): $pages pages, length $length, model $(basename "$model")"

run() { # LABEL ARGS...: one timed summary
	label=$1
	shift
	flock /tmp/docent-bench.lock python3 - "$label" "$pages" "$build/docent" "$@" <<'PY'
import json, subprocess, sys, time
label, pages, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
t0 = time.monotonic()
out = subprocess.run(cmd, capture_output=True, text=True)
wall = time.monotonic() - t0
if out.returncode != 0:
    sys.exit("%s failed: %s" % (label, out.stderr))
d = json.loads(out.stdout)
t = d["timings"]
print("%-28s %7.1f s  %6.2f s/page  parts %d, calls %d, cached %d, rounds %d, map %.1f s, reduce %.1f s"
      % (label, wall, wall / pages, len(d["sections"]), d["calls"], d["cached_parts"],
         d["rounds"], t["map_ms"] / 1000, t["reduce_ms"] / 1000))
PY
}
run "extractive (no model)" summarize --json --length "$length" "$pdf"
run "generated, cache empty" summarize --json --length "$length" -m "$model" "$pdf"
run "generated, all cached" summarize --json --length "$length" -m "$model" "$pdf"
