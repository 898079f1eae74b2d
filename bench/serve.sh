#!/bin/sh
# serve.sh - GET /api/search through `docent serve` under load (wrk), against
# the same search in-process (bench/search_threads.c), on two stores: the MED
# collection of ../shared/eval and a 100k-chunk synthetic store
# (bench/search.c builds it). For each: searches/s, latency p50/p99, errors
# (non-2xx and socket errors), the server's peak memory and CPU time per
# search; the same while `docent ingest` rewrites every document of another
# collection of the same database in a loop; and the ratios of the HTTP
# rate and CPU time to the in-process ones (2 threads, one per core). On a
# shared machine the rates follow the share of the cores each run gets;
# the CPU time per search does not.
#
#   bench/serve.sh [--build DIR] [--duration S] [--connections N] [--stores 'med 100k']
#
# Defaults: build, 60 s, 64 connections. Figures: docs/performance.md, "Web
# server". wrk runs on the same machine (2 threads), so it takes CPU from
# the server (its own CPU time is printed): the ratio is a floor. Both sides
# are measured warm: every query asked once first, untimed. The in-process
# run comes before and after the server's, and the ratios are taken against
# their mean.
set -eu
build=build duration=60 conns=64 stores="med 100k"
while [ $# -gt 0 ]; do
	case $1 in
	--stores) stores=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--connections) conns=$2; shift 2 ;;
	*) echo "usage: bench/serve.sh [--build DIR] [--duration S] [--connections N] [--stores 'med 100k']" >&2; exit 2 ;;
	esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
eval_dir="$root/../shared/eval"
[ -d "$eval_dir/med" ] || { echo "bench/serve.sh: needs $eval_dir/med" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench/serve.sh: needs wrk (scripts/bootstrap.sh)" >&2; exit 1; }
for b in "$build/docent" "$build/bench/search_threads" "$build/bench/search"; do
	[ -x "$b" ] || { echo "bench/serve.sh: build $b first (make && make $b)" >&2; exit 1; }
done
work=${TMPDIR:-/tmp}/docent-bench-serve
mkdir -p "$work"
docent=$root/$build/docent
inproc_s=$duration
[ "$inproc_s" -gt 20 ] && inproc_s=20

# queries: one a line, and URL-encoded for wrk
queries() { # NAME COLLECTIONS...
	_name=$1
	shift
	python3 - "$eval_dir" "$work/$_name.q" "$work/$_name.qurl" "$@" <<'EOF'
import json, sys, urllib.parse
ev, plain, enc = sys.argv[1:4]
qs = []
for c in sys.argv[4:]:
    for line in open(f"{ev}/{c}/queries.jsonl"):
        t = " ".join(json.loads(line)["text"].split())
        if t:
            qs.append(t)
open(plain, "w").write("".join(q + "\n" for q in qs))
open(enc, "w").write("".join(urllib.parse.quote_plus(q) + "\n" for q in qs))
EOF
}

# the MED store: each document a file, ingested by docent ingest
if [ ! -f "$work/med/home/docent.db" ]; then
	rm -rf "$work/med"
	mkdir -p "$work/med/docs" "$work/med/home"
	python3 - "$eval_dir/med/docs.jsonl" "$work/med/docs" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    open(f"{sys.argv[2]}/{d['id']}.txt", "w").write(f"{d.get('title') or ''}\n\n{d['text']}\n")
EOF
	DOCENT_HOME="$work/med/home" DOCENT_CONFIG=/dev/null "$docent" ingest -q "$work/med/docs"
fi
queries med med

# the 100k-chunk store (words drawn from the shared collections)
if [ ! -f "$work/100k/home/docent.db" ]; then
	"$build/bench/search" --chunks 100000 --eval-dir "$eval_dir" --queries 1 >/dev/null
	mkdir -p "$work/100k/home"
	cp /tmp/docent-bench-search-100000.db "$work/100k/home/docent.db"
fi
queries 100k cranfield cisi med

# a corpus for the ingest that runs during the second measurement
if [ ! -d "$work/bulk" ]; then
	mkdir -p "$work/bulk"
	python3 - "$eval_dir/cisi/docs.jsonl" "$work/bulk" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    open(f"{sys.argv[2]}/{d['id']}.txt", "w").write(f"{d.get('title') or ''}\n\n{d['text']}\n")
EOF
fi

# every request formatted once, at the start: wrk's own CPU time, taken
# from the same two cores, stays small (0.066 ms a request when formatted
# each time, measured 2026-12). Each request's query is drawn at random,
# as people searching independently would ask: walking the list in order,
# the connections of a wrk thread asked neighbouring queries together, and
# with wrk's random start unseeded both threads walked it in step, so that
# for a while all 64 connections asked the long queries of one collection.
cat >"$work/search.lua" <<EOF
local requests = {}
for line in io.lines("$work/QUERIES") do
	requests[#requests + 1] = wrk.format("GET", "/api/search?k=10&q=" .. line)
end
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("seed", threads)
end
function init(args)
	math.randomseed(seed)
end
request = function()
	return requests[math.random(#requests)]
end
EOF

# measure NAME HOME INGEST(0/1): one wrk run against a fresh server
measure() {
	_name=$1 _home=$2 _ingest=$3
	sed "s|QUERIES|$_name.qurl|" "$work/search.lua" >"$work/$_name.lua"
	: >"$work/serve.log" # here: the child's redirection may come after the grep below
	DOCENT_HOME=$_home DOCENT_CONFIG=/dev/null "$docent" serve --port 0 2>"$work/serve.log" &
	_pid=$!
	_i=0
	while ! grep -q 'serving http://127.0.0.1:[0-9]*/' "$work/serve.log" && [ $_i -lt 600 ]; do sleep 0.1; _i=$((_i + 1)); done
	_port=$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.log")
	[ -n "$_port" ] || { echo "docent serve did not start:"; cat "$work/serve.log"; exit 1; }
	# untimed: every query asked once or more, as a server that has been
	# up a while has (search_threads --warmup does the same)
	wrk -t2 -c"$conns" -d10s -s "$work/$_name.lua" "http://127.0.0.1:$_port" >/dev/null 2>&1
	rm -f "$work/stop"
	if [ "$_ingest" = 1 ]; then
		( n=0
		  while [ ! -f "$work/stop" ]; do
			# every file changed, so each run rewrites every document
			n=$((n + 1))
			python3 -c 'import glob, sys
for f in glob.glob(sys.argv[1] + "/*.txt"):
    lines = open(f).read().splitlines()
    lines = [l for l in lines if not l.startswith("revision ")]
    open(f, "w").write("\n".join(lines) + "\nrevision " + sys.argv[2] + "\n")' "$work/bulk" "$n"
			DOCENT_HOME=$_home DOCENT_CONFIG=/dev/null "$docent" ingest -q -c bulk "$work/bulk" \
				>>"$work/ingest.log" 2>&1 || echo "ingest failed" >>"$work/ingest.log"
			echo run >>"$work/ingest.runs"
		  done ) &
		_ing=$!
	fi
	_cpu0=$(awk '{ print $14 + $15 }' "/proc/$_pid/stat")
	# wrk under a wrapper that reports the CPU seconds it used itself
	_wrkcpu=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "w"), stderr=subprocess.STDOUT)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.ru_utime + r.ru_stime)' "$work/wrk.out" wrk -t2 -c"$conns" -d"${duration}s" --timeout 10s \
		--latency -s "$work/$_name.lua" "http://127.0.0.1:$_port")
	_cpu1=$(awk '{ print $14 + $15 }' "/proc/$_pid/stat")
	_rss=$(awk '/VmHWM/ { print $2 / 1024 }' "/proc/$_pid/status")
	if [ "$_ingest" = 1 ]; then
		touch "$work/stop"
		wait "$_ing"
	fi
	kill -TERM "$_pid"
	wait "$_pid" || echo "serve exited with status $?"
	_locked=$(grep -ci 'locked' "$work/serve.log" || true)
	python3 - "$work/wrk.out" "$_name" "$_ingest" "$_rss" "$_locked" "$((_cpu1 - _cpu0))" "$(getconf CLK_TCK)" \
		"$_wrkcpu" "$duration" <<'EOF'
import re, sys
out = open(sys.argv[1]).read()
name, ingest, rss, locked = sys.argv[2], sys.argv[3] == "1", float(sys.argv[4]), sys.argv[5]
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
m = re.search(r"Requests/sec:\s+([\d.]+)", out)
rate = float(m.group(1)) if m else 0.0
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
lat.setdefault("50", "0us")
lat.setdefault("99", "0us")
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
n2 = int(non2xx.group(1)) if non2xx else 0
timeouts = int(sock.group(4)) if sock else 0
errors = n2 + (sum(map(int, sock.groups())) if sock else 0)
m = re.search(r"(\d+) requests in", out)
total = int(m.group(1)) if m else 0
cpu = int(sys.argv[6]) / int(sys.argv[7]) * 1000 / max(total, 1)
print(f"http {name}{' +ingest' if ingest else ''}: {rate:.1f} searches/s ({total} in all), "
      f"p50 {ms(lat['50']):.1f} ms, p99 {ms(lat['99']):.1f} ms, errors {errors} "
      f"(non-2xx {n2}, client timeouts over 10 s {timeouts}), "
      f"'locked' in the log {locked}, server peak RSS {rss:.0f} MB, "
      f"server cpu {cpu:.3f} ms/search; wrk itself used {float(sys.argv[8]) * 1000 / max(total, 1):.3f} ms "
      f"of CPU a request, {float(sys.argv[8]) / float(sys.argv[9]) * 100:.0f} % of one core")
open(sys.argv[1] + ".rate", "w").write(f"{rate} {cpu}")
EOF
	[ "$_ingest" = 1 ] && echo "  ingest runs during it (each rewriting $(ls "$work/bulk" | wc -l) documents): $(wc -l <"$work/ingest.runs"), failures: $(grep -c 'failed' "$work/ingest.log" || true)"
	rm -f "$work/ingest.runs" "$work/ingest.log"
}

# inproc STORE: search_threads on it; sets inproc (searches/s), inproc_cpu
inproc() {
	"$build/bench/search_threads" --db "$work/$1/home/docent.db" --queries "$work/$1.q" \
		--threads 2 --seconds "$inproc_s" --warmup | tee "$work/inproc.out"
	inproc=$(sed -n 's/.* \([0-9.]*\) searches\/s.*/\1/p' "$work/inproc.out")
	inproc_cpu=$(sed -n 's/.*cpu=\([0-9.]*\) ms.*/\1/p' "$work/inproc.out")
}

for s in $stores; do
	home="$work/$s/home"
	echo "== $s: $(DOCENT_HOME=$home DOCENT_CONFIG=/dev/null "$docent" stats 2>/dev/null | grep -iE '^ *(documents|chunks)' | tr -s ' ' | tr '\n' ' ')"
	# in-process before and after the server's run, the ratios against
	# their mean: the machine's speed drifts by 15-30 % over minutes
	inproc "$s"
	r0=$inproc c0=$inproc_cpu
	measure "$s" "$home" 0
	set -- $(cat "$work/wrk.out.rate")
	inproc "$s"
	python3 -c "import sys; r, c, r0, c0, r1, c1 = map(float, sys.argv[1:]); ir, ic = (r0 + r1) / 2, (c0 + c1) / 2; print('  http / in-process (the mean of the runs before and after: %.1f searches/s, cpu %.3f ms): rate %.2f, cpu per search %.2f (in-process cpu / server cpu: %.2f)' % (ir, ic, r / ir, c / ic, ic / c))" "$1" "$2" "$r0" "$c0" "$inproc" "$inproc_cpu"
	measure "$s" "$home" 1
	# the ingest added a collection: searches now cover it too; start over next time
	DOCENT_HOME=$home DOCENT_CONFIG=/dev/null "$docent" collections rm bulk >/dev/null 2>&1 || true
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
