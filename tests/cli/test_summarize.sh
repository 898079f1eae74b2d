#!/bin/sh
# test_summarize.sh - `docent summarize`: usage errors and an unknown
# document, the extractive summary without a model (text and --json), a
# topic (--query), map-reduce through a scripted OpenAI-compatible server
# (references in the output, the cache on a second run), the tiny chat
# model in-process, and Ctrl-C while the model is busy (exit 130 at once).
. "$(dirname "$0")/lib.sh"

M="$SRC/build/models/tiny-chat.gguf"
[ -f "$M" ] || { echo "missing $M: run 'make tiny-models'"; exit 1; }
DOCS="$TMP/docs"
mkdir -p "$DOCS"
python3 - "$DOCS/report.md" <<'PY'
import sys
parts = []
for name, topic in (("Income", "taxes"), ("Spending", "roads"), ("Outlook", "schools")):
    parts.append("# %s\n" % name)
    for i in range(12):
        parts.append("The council's budget for %s changed in year %d by %d percent. "
                     "Officials said the %s plan was reviewed in meeting %d, and the "
                     "figures were published for residents.\n" % (topic, 2000 + i, i + 3, topic, i))
open(sys.argv[1], "w").write("\n".join(parts))
PY
printf 'A short note on the budget. The budget pays for roads and schools this year.\n' >"$DOCS/note.txt"

# clean COMMAND...: exits 0 and prints no sanitizer report
clean() {
	"$@" >"$TMP/.c.out" 2>"$TMP/.c.err"
	_s=$?
	cat "$TMP/.c.out" "$TMP/.c.err"
	[ $_s -eq 0 ] || { echo "exit status $_s"; return 1; }
	if grep -q -e "Sanitizer" -e "runtime error" "$TMP/.c.err"; then return 1; fi
}

# json EXPR COMMAND...: the command succeeds with no sanitizer report and
# prints JSON d with EXPR true
json() {
	_expr=$1
	shift
	json_check "assert ($_expr), d" "$@"
}

t "ingest" clean "$DOCENT" ingest --no-embed "$DOCS"
t "summarize --help" contains "Usage: docent summarize" "$DOCENT" summarize --help
t "no document is a usage error" expect_status 2 "$DOCENT" summarize
t "a bad length is a usage error" expect_status 2 "$DOCENT" summarize --length huge "$DOCS/note.txt"
t "a document and a topic is a usage error" expect_status 2 "$DOCENT" summarize -q x "$DOCS/note.txt"
t "an unknown document fails" expect_status 1 "$DOCENT" summarize "$DOCS/none.txt"
t "an unknown document says how to list them" expect_error 1 "docent docs" "$DOCENT" summarize "$DOCS/none.txt"
t "an unknown id fails" expect_status 1 "$DOCENT" summarize 999
t "an unknown collection fails" expect_status 1 "$DOCENT" summarize -c nope "$DOCS/note.txt"

# ---- without a model: extractive ----
t "extractive summary by path" clean "$DOCENT" summarize "$DOCS/report.md"
t "it is labelled extractive" contains "Extractive summary" "$DOCENT" summarize "$DOCS/report.md"
t "it hints at setting up a model" contains "docent models pull qwen2.5-0.5b-instruct" \
	"$DOCENT" summarize "$DOCS/report.md"
t "sentences carry their section" contains "(§ " "$DOCENT" summarize "$DOCS/report.md"
t "a relative path works" sh -c 'cd "$1" && "$2" summarize note.txt' sh "$DOCS" "$DOCENT"
t "by id" clean "$DOCENT" summarize 1
t "--json extractive" json \
	'd["mode"] == "extractive" and d["summary"] and len(d["sections"]) == 6 and d["cached_parts"] == 0 and set(d["timings"]) == {"map_ms", "reduce_ms", "total_ms"} and d["document"]["path"].endswith("report.md") and all(s["ref"].startswith("§") for s in d["sections"])' \
	"$DOCENT" summarize --json "$DOCS/report.md"
t "--length short keeps three sentences" json 'len(d["sections"]) == 3' \
	"$DOCENT" summarize --json --length short "$DOCS/report.md"
t "--query summarizes a topic" json \
	'd["topic"] == "roads budget" and d["mode"] == "extractive" and "roads" in d["summary"] and "report.md" in d["summary"]' \
	"$DOCENT" summarize --json --query "roads budget"
t "--query with nothing found fails" expect_status 1 "$DOCENT" summarize --query "zyxxyzzy"

# ---- a scripted server: map-reduce, references, the cache ----
python3 "$SRC/tests/cli/summary_server.py" "$TMP/port" "$TMP/calls" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$TMP/port" ] && break; sleep 0.3; done
S="http://127.0.0.1:$(cat "$TMP/port")/v1#scripted"
export DOCENT_ENGINE_CONTEXT=1000

t "map-reduce through the server" json \
	'd["mode"] == "generated" and len(d["sections"]) >= 2 and d["calls"] == len(d["sections"]) + 1 and d["cached_parts"] == 0 and d["model"] == "openai:scripted" and d["summary"].startswith("Combined:")' \
	"$DOCENT" summarize --json --length short -m "$S" "$DOCS/report.md"
t "the final summary keeps the sections' references" json \
	'all("(%s)" % s["ref"] in d["summary"] for s in d["sections"]) and all(s["cached"] for s in d["sections"])' \
	"$DOCENT" summarize --json --length short -m "$S" "$DOCS/report.md"
t "a second run is served from the cache" json \
	'd["calls"] == 0 and d["cached_parts"] == len(d["sections"]) + 1' \
	"$DOCENT" summarize --json --length short -m "$S" "$DOCS/report.md"
n=$(wc -l <"$TMP/calls")
t "streams the summary to stdout" contains "Combined: budget facts (§ Income" \
	"$DOCENT" summarize --length short --no-cache -m "$S" "$DOCS/report.md"
t "--no-stream prints it whole" contains "Combined:" \
	"$DOCENT" summarize --length short --no-stream -m "$S" "$DOCS/report.md"
t "a short text is one call" json 'd["calls"] == 1 and d["summary"] == "The whole text is about the budget."' \
	"$DOCENT" summarize --json --length short -m "$S" "$DOCS/note.txt"
t "a context too small is a clear error" expect_error 1 "too small" \
	env DOCENT_ENGINE_CONTEXT=300 "$DOCENT" summarize -m "$S" "$DOCS/report.md"
t "a server that is down fails" expect_status 1 "$DOCENT" summarize -m "http://127.0.0.1:9/v1#x" "$DOCS/note.txt"
unset DOCENT_ENGINE_CONTEXT

# ---- the tiny chat model in-process ----
t "the tiny model summarizes (gibberish, but whole)" json \
	'd["mode"] == "generated" and d["model"] == "tiny-chat.gguf" and d["calls"] >= 1' \
	"$DOCENT" summarize --json --length short -m "$M" "$DOCS/note.txt"
t "and the second time from the cache" json 'd["calls"] == 0 and d["cached_parts"] == 1' \
	"$DOCENT" summarize --json --length short -m "$M" "$DOCS/note.txt"

# ---- Ctrl-C while the model is busy ----
python3 "$SRC/tests/cli/summary_server.py" "$TMP/port2" "$TMP/calls2" hang &
hang=$!
trap 'kill $server $hang 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$TMP/port2" ] && break; sleep 0.3; done
H="http://127.0.0.1:$(cat "$TMP/port2")/v1#slow"
ctrl_c() {
	"$DOCENT" summarize --no-cache -m "$H" "$DOCS/note.txt" >"$TMP/int.out" 2>&1 &
	pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$TMP/calls2" ] && break; sleep 0.2; done
	kill -INT $pid
	start=$(date +%s%N)
	wait $pid
	st=$?
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	cat "$TMP/int.out"
	[ $st -eq 130 ] || { echo "exit status $st, expected 130"; return 1; }
	# the model's request is stopped, not left to the 1 s fallback alarm
	[ $took -lt 900 ] || { echo "took $took ms"; return 1; }
	! grep -q -e "Sanitizer" -e "runtime error" "$TMP/int.out"
}
t "Ctrl-C stops within a second, exit 130" ctrl_c

finish
