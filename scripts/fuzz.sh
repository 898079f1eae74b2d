#!/bin/sh
# fuzz.sh BUILD SECONDS NAME... - runs each libFuzzer target
# BUILD/fuzz/fuzz_NAME for SECONDS over a copy of its seeds
# (fuzz/corpus/NAME) and regressions (fuzz/regressions/NAME), one at a
# time, in BUILD/fuzz-run/NAME (the corpus it grows stays there). Prints one
# line per target with its executions and exec/s. A crash, a leak, a
# sanitizer report, a failed check, a timeout or running out of memory is a
# finding: its input is kept in BUILD/fuzz-run/NAME/findings/, the end of
# the log is printed, and the script exits 1 after the other targets ran.
# To make a finding a test: fix the bug, then copy the input to
# fuzz/regressions/NAME/ (the replay unit tests run it in `make test`).
set -u
build=$1 secs=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
# the targets' scratch files (config, GGUF): in memory when /dev/shm is
# there (config_file_set syncs every file it writes)
scratch=$(mktemp -d /dev/shm/docent-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0

for name in "$@"; do
	bin=$root/$build/fuzz/fuzz_$name
	run=$root/$build/fuzz-run/$name
	if [ ! -x "$bin" ]; then
		echo "fuzz: no target $name (fuzz/fuzz_$name.c)" >&2
		status=1
		continue
	fi
	rm -rf "$run/findings"
	mkdir -p "$run/corpus" "$run/findings"
	for d in "$root/fuzz/corpus/$name" "$root/fuzz/regressions/$name"; do
		[ -d "$d" ] && cp "$d"/* "$run/corpus/" 2>/dev/null
	done
	TMPDIR=$scratch "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$run/findings/" "$run/corpus" \
		>"$run/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run/log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$run/log" | tail -1)
	found=$(ls "$run/findings" 2>/dev/null | head -1)
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		status=1
		tail -40 "$run/log"
		echo "fuzz: $name FAILED after ${execs:-?} runs: input in $run/findings/$found" \
			"(log: $run/log)"
	else
		printf 'fuzz: %-12s ok  %s s, %s runs, %s exec/s, %s, corpus %s files\n' "$name" \
			"$secs" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$(ls "$run/corpus" | wc -l)"
	fi
done
exit $status
