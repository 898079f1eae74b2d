#!/bin/sh
# serve_cpu.sh - one short measurement of `docent serve` on the MED store
# that bench/serve.sh builds (run it once first): wrk at N connections for
# S seconds, then the rate, p99 and the server's user and system CPU time
# per search (from /proc). For A/B comparisons of two binaries, run them
# alternately: the machine's speed drifts from minute to minute.
#
#   bench/serve_cpu.sh [--docent BIN] [--seconds S] [--connections N] [--workers W]
set -eu
docent=build/docent seconds=8 conns=64 workers=2
while [ $# -gt 0 ]; do
	case $1 in
	--docent) docent=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--connections) conns=$2; shift 2 ;;
	--workers) workers=$2; shift 2 ;;
	*) echo "usage: bench/serve_cpu.sh [--docent BIN] [--seconds S] [--connections N] [--workers W]" >&2; exit 2 ;;
	esac
done
work=${TMPDIR:-/tmp}/docent-bench-serve
[ -f "$work/med/home/docent.db" ] && [ -f "$work/search.lua" ] ||
	{ echo "bench/serve_cpu.sh: run bench/serve.sh --stores med once first" >&2; exit 1; }
sed "s|QUERIES|med.qurl|" "$work/search.lua" >"$work/cpu.lua"
DOCENT_SERVER_WORKERS=$workers DOCENT_HOME="$work/med/home" DOCENT_CONFIG=/dev/null \
	"$docent" serve --port 0 2>"$work/cpu.log" &
pid=$!
i=0
while ! grep -q 'serving http://127.0.0.1:[0-9]*/' "$work/cpu.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/cpu.log")
set -- $(awk '{ print $14, $15 }' "/proc/$pid/stat")
u0=$1 s0=$2
wrk -t2 -c"$conns" -d"${seconds}s" --latency -s "$work/cpu.lua" "http://127.0.0.1:$port" >"$work/cpu.wrk" 2>&1
set -- $(awk '{ print $14, $15 }' "/proc/$pid/stat")
kill -TERM "$pid"
wait "$pid"
n=$(sed -n 's/ *\([0-9]*\) requests in.*/\1/p' "$work/cpu.wrk")
awk -v n="$n" -v u="$(($1 - u0))" -v s="$(($2 - s0))" -v hz="$(getconf CLK_TCK)" \
	-v rate="$(sed -n 's/Requests\/sec: *//p' "$work/cpu.wrk")" \
	-v p99="$(awk '$1 == "99%" { print $2 }' "$work/cpu.wrk")" \
	'BEGIN { printf "%s searches/s, p99 %s, server CPU per search: user %.3f ms, system %.3f ms\n",
		 rate, p99, u * 1000 / hz / n, s * 1000 / hz / n }'
