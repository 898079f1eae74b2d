#!/bin/sh
# llama_compare.sh [BUILD] - docent's in-process llama.cpp engines against
# llama.cpp's own tools, on the same GGUF files with the same settings:
#
#   embedding:  build/bench/embed     vs  llama-embedding (the same texts,
#               threads, batch = ubatch = the model's context of 512)
#   generation: build/bench/generate  vs  llama-bench (pp PROMPT and tg GEN,
#               the same threads, batch = ubatch = 512, flash attention auto)
#
# Every timed process runs under `flock /tmp/docent-bench.lock`; docent and
# llama.cpp take turns, ROUNDS times, and the tables give medians
# (embedding: one run a round each; generation: three runs a round each).
# ggml's threads wait for each other by spinning, so a run that shares the
# cores with any other busy process is slowed several times over: a run
# during which other processes used more than a tenth of a core is done
# again (up to 5 times; how many stayed disturbed is printed).
#
#   THREADS=2 ROUNDS=3 TEXTS=300 PROMPT=512 GEN=128
#   EMBED_MODEL=build/models/minilm-l6-random-f16.gguf
#   CHAT_MODEL=build/models/qwen2-0.5b-random-q4_k_m.gguf
#   EVAL_DIR=../shared/eval   (the texts; generated English without it)
#
# Needs `make bench-models build/bench/embed build/bench/generate`; the
# llama.cpp tools come from scripts/llama.sh --bin.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

threads=${THREADS:-2}
rounds=${ROUNDS:-3}
texts=${TEXTS:-300}
prompt=${PROMPT:-512}
gen=${GEN:-128}
embed_model=${EMBED_MODEL:-build/models/minilm-l6-random-f16.gguf}
chat_model=${CHAT_MODEL:-build/models/qwen2-0.5b-random-q4_k_m.gguf}
eval_dir=${EVAL_DIR:-$root/../shared/eval}
bin=$(scripts/llama.sh --bin)
lock=/tmp/docent-bench.lock

for f in "$embed_model" "$chat_model"; do
	[ -f "$f" ] || { echo "llama_compare: no $f; run make bench-models" >&2; exit 1; }
done
for p in embed generate; do
	[ -x "$build/bench/$p" ] || { echo "llama_compare: no $build/bench/$p; run make $build/bench/$p" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/docent-llama-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

# measure.sh OUT ERR CMD...: runs CMD (stdout to OUT, stderr to ERR) and
# prints its wall seconds and the CPU seconds all other processes used
# meanwhile (the machine's busy time less CMD's own, from `times`).
cat >"$tmp/measure.sh" <<'EOF'
out=$1 err=$2
shift 2
hz=$(getconf CLK_TCK)
busy() { awk -v hz="$hz" '/^cpu / { print ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat; }
b0=$(busy) t0=$(cut -d' ' -f1 /proc/uptime)
"$@" >"$out" 2>"$err" || { echo "llama_compare: $* failed:" >&2; tail -5 "$err" >&2; exit 1; }
b1=$(busy) t1=$(cut -d' ' -f1 /proc/uptime)
times >"$out.times"  # not in a pipe: a subshell would have no children
# the second line holds the children's user and system times, as 1m2.5s
awk -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" '
	function s(t,  p) { split(t, p, /[ms]/); return p[1] * 60 + p[2] }
	NR == 2 { print t1 - t0, b1 - b0 - s($1) - s($2) }' "$out.times"
EOF

disturbed=0
measure() { # measure OUT ERR CMD...: under the lock, again while disturbed
	try=1
	while :; do
		r=$(flock $lock sh "$tmp/measure.sh" "$@") || exit 1
		wall=${r% *} others=${r#* }
		if awk -v w="$wall" -v o="$others" 'BEGIN { exit !(o <= 0.1 * w) }'; then
			return 0
		fi
		if [ $try -ge 5 ]; then
			disturbed=$((disturbed + 1))
			return 0
		fi
		echo "  (other processes used $others CPU s during a $wall s run of ${3##*/}: again)" >&2
		try=$((try + 1))
	done
}

median() { # median of the numbers in file $1, one a line
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# seconds from a llama.cpp log timestamp (minutes.seconds.ms.us)
log_seconds='function secs(t,  p) { split(t, p, "."); return p[1] * 60 + p[2] + p[3] / 1e3 + p[4] / 1e6 }'

echo "== embedding: docent (bench/embed.c) vs llama-embedding, $threads threads"
texts_file=$tmp/texts.txt
i=1
while [ $i -le "$rounds" ]; do
	measure "$tmp/docent.out" "$tmp/docent.err" "$build/bench/embed" --model "$embed_model" \
		--threads "$threads" --batch 64 --texts "$texts" --runs 1 --eval-dir "$eval_dir" \
		--write-texts "$texts_file"
	[ $i = 1 ] && head -1 "$tmp/docent.out"
	sed -n 's/^run 1: \([0-9.]*\) s.*/\1/p' "$tmp/docent.out" >>"$tmp/embed_docent"
	# -b = -ub = 512 (the model's context, as docent); its default
	# --parallel 1 lets a batch hold up to 256 texts, docent's 64: with
	# texts of 150 tokens both fit 2-5 in a batch.
	measure "$tmp/llama.out" "$tmp/llama.err" "$bin/llama-embedding" -m "$embed_model" \
		-t "$threads" -b 512 -ub 512 -f "$texts_file" --embd-output-format array -lv 4
	# the batch loop: from the first batch to the closing statistics
	awk "$log_seconds"'
		/batch_decode:/ && !start { start = secs($1) }
		/llama_perf_context_print: *load time/ { print secs($1) - start }' \
		"$tmp/llama.err" >>"$tmp/embed_llama_loop"
	sed -n 's/.*prompt eval time = *\([0-9.]*\) ms.*/\1/p' "$tmp/llama.err" |
		awk '{ print $1 / 1000 }' >>"$tmp/embed_llama_compute"
	i=$((i + 1))
done
ntexts=$(wc -l <"$texts_file")
ntok=$(sed -n 's/.*texts, \([0-9]*\) tokens.*/\1/p' "$tmp/docent.out")
awk -v d="$(median "$tmp/embed_docent")" -v l="$(median "$tmp/embed_llama_loop")" \
    -v c="$(median "$tmp/embed_llama_compute")" -v n="$ntexts" -v t="$ntok" -v r="$rounds" 'BEGIN {
	printf "\n%d texts, %d tokens (the model'\''s tokenizer, without [CLS]/[SEP]); medians of %d runs\n\n", n, t, r
	print "| | time | tokens/s | texts/s | docent speed / this |"
	print "|---|---|---|---|---|"
	printf "| docent embedder_embed(), 64 texts a call | %.2f s | %.0f | %.1f | |\n", d, t / d, n / d
	printf "| llama-embedding, batch loop | %.2f s | %.0f | %.1f | %.3f |\n", l, t / l, n / l, l / d
	printf "| llama-embedding, compute only (its prompt eval time) | %.2f s | %.0f | %.1f | %.3f |\n", c, t / c, n / c, c / d
}'

echo
echo "== generation: docent (bench/generate.c) vs llama-bench, $threads threads"
i=1
while [ $i -le "$rounds" ]; do
	measure "$tmp/docent.out" "$tmp/docent.err" "$build/bench/generate" --model "$chat_model" \
		--threads "$threads" --prompt-tokens "$prompt" --gen-tokens "$gen" --runs 3
	[ $i = 1 ] && head -1 "$tmp/docent.out"
	sed -n 's/^prompt run .* \([0-9.]*\) tokens\/s$/\1/p' "$tmp/docent.out" >>"$tmp/pp_docent"
	sed -n 's/^prompt run .*first token \([0-9.]*\) ms.*/\1/p' "$tmp/docent.out" >>"$tmp/ttft_docent"
	sed -n 's/^generation run .* \([0-9.]*\) tokens\/s$/\1/p' "$tmp/docent.out" >>"$tmp/tg_docent"
	measure "$tmp/llama.out" "$tmp/llama.err" "$bin/llama-bench" -m "$chat_model" \
		-t "$threads" -b 512 -ub 512 -p "$prompt" -n "$gen" -r 3 -o jsonl
	for kind in pp tg; do
		if [ $kind = pp ]; then sel='"n_gen": 0,'; else sel='"n_prompt": 0,'; fi
		grep -F "$sel" "$tmp/llama.out" | sed 's/.*"samples_ts": \[\([^]]*\)\].*/\1/' |
			tr ',' '\n' | awk 'NF { print $1 }' >>"$tmp/${kind}_llama"
	done
	i=$((i + 1))
done
awk -v pd="$(median "$tmp/pp_docent")" -v pl="$(median "$tmp/pp_llama")" \
    -v fd="$(median "$tmp/ttft_docent")" -v td="$(median "$tmp/tg_docent")" \
    -v tl="$(median "$tmp/tg_llama")" -v p="$prompt" -v g="$gen" \
    -v n="$(wc -l <"$tmp/pp_docent")" 'BEGIN {
	printf "\nmedians of %d runs each\n\n", n
	printf "| | pp%d tokens/s | time to first token | tg%d tokens/s |\n", p, g
	print "|---|---|---|---|"
	printf "| docent generator_complete() | %.1f | %.0f ms | %.2f |\n", pd, fd, td
	printf "| llama-bench | %.1f | %.0f ms (the prompt alone) | %.2f |\n", pl, p * 1000 / pl, tl
	printf "| docent / llama.cpp | %.3f | | %.3f |\n", pd / pl, td / tl
}'

echo
[ $disturbed = 0 ] || echo "$disturbed runs stayed disturbed by other processes after 5 tries"
echo "reproduce: make bench-models $build/bench/embed $build/bench/generate &&" \
	"THREADS=$threads ROUNDS=$rounds TEXTS=$texts PROMPT=$prompt GEN=$gen bench/llama_compare.sh $build"
