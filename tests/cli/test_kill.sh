#!/bin/sh
# test_kill.sh - `docent ingest` killed with SIGKILL at 50 random moments,
# over a corpus of every format with embeddings on: after each kill
# `stats --check` is clean and the store whole (tests/cli/kill_store.py
# sound), the next round's ingest goes on from there (and is killed in
# turn), and in the end an ingest completes and the store equals a clean
# ingest of the same corpus: documents, contents, chunks and vectors,
# nothing duplicated or lost.
#
# Each round changes most of the corpus (kill_store.py corpus), so each
# ingest has about a whole ingest's work; the kill comes at a moment drawn
# uniformly over the time a whole ingest takes here: measured first, and
# again whenever a round's ingest ends before its kill, so that the kills
# stay mid-ingest under ASan and on a busy machine. The seed is printed:
# DOCENT_KILL_SEED=N replays the corpus and the kill moments (as fractions
# of the measured time); DOCENT_KILL_ROUNDS changes the count.
. "$(dirname "$0")/lib.sh"

M="$SRC/build/models/tiny-embed.gguf"
[ -f "$M" ] || skip "no $M (make tiny-models)"
export DOCENT_EMBED_MODEL="$M"
# one embedding thread: on a machine busy with other work (CI, other tests)
# llama.cpp's threads spin waiting for each other and an ingest's length
# swings tenfold with the load; one thread keeps it steady
export DOCENT_ENGINE_THREADS=1
# a transaction every 20 ms instead of every second: many commits for the
# kills to fall between and in
export DOCENT_INGEST_COMMIT_INTERVAL=0.02
H="$SRC/tests/cli/kill_store.py"
ROUNDS=${DOCENT_KILL_ROUNDS:-50}
SEED=${DOCENT_KILL_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "seed $SEED (DOCENT_KILL_SEED=$SEED replays this run)"
C="$TMP/corpus"
db="$DOCENT_HOME/docent.db"

t "the corpus of every format" python3 "$H" corpus "$C" "$SEED" 0
t "... holds every format" sh -c 'for e in txt md html csv pdf docx odt; do
	ls "$0"/*."$e" "$0"/*/*."$e" "$0"/*/*/*."$e" 2>/dev/null | grep -q . || exit 1; done' "$C"

set -- $(python3 "$H" run 900 "$TMP/timing.out" "$TMP/timing/docent.db" "$C" \
	env DOCENT_HOME="$TMP/timing" "$DOCENT" ingest --prune "$C")
t "a whole ingest, timed" finished 0 "$1" "$TMP/timing.out"
t "... embeds" in_file "^Embedded" "$TMP/timing.out"
T=$2
echo "a whole ingest takes $T s here: the first kill falls in [0, $T] s"

# killed_sound STATUS: the killed (or finished) ingest did not fail, and
# the store it left is sound
killed_sound() {
	case $1 in
	0 | 137) ;;
	*) echo "the ingest exited $1:"; cat "$TMP/ingest.out"; return 1 ;;
	esac
	# killed before the database was made (only the first round can be)
	if [ ! -e "$db" ]; then
		expect_error 1 "no database at $db yet" "$DOCENT" stats --check
		return
	fi
	ok "check        ok" "$DOCENT" stats --check && python3 "$H" sound "$db"
}

mid=0 late=0 n_start=0 n_text=0 n_embed=0 n_save=0
r=1
while [ $r -le "$ROUNDS" ]; do
	# the corpus of this round (the first is made), the kill's moment,
	# and what is stored before the ingest
	next=$(python3 "$H" next "$C" "$SEED" $r "$db" "$T")
	d=${next%% *} before=${next#* }
	set -- $(python3 "$H" run "$d" "$TMP/ingest.out" "$db" "$C" "$DOCENT" ingest -q --prune "$C")
	status=$1 took=$2
	shift 2
	s="$*"
	# one that ended before its kill says how long a round takes now (the
	# machine's load changes): the next kills are spread over that
	[ "$status" -ne 137 ] && T=$took
	# how far it got, from "current N/M removed R unembedded U": N of the
	# M files stored with this round's bytes, R documents of deleted files
	# not yet pruned, U chunks without a vector
	if [ "$status" -ne 137 ]; then
		phase="after the end, at $took s" late=$((late + 1))
	elif [ "$s" = "$before" ]; then
		phase="before its first commit" n_start=$((n_start + 1))
	elif [ "${2%/*}" != "${2#*/}" ] || [ "$4" != 0 ]; then
		phase="storing text" n_text=$((n_text + 1))
	elif [ "$6" != 0 ]; then
		phase="embedding" n_embed=$((n_embed + 1))
	else
		phase="saving the vector index" n_save=$((n_save + 1))
	fi
	[ "$status" -eq 137 ] && mid=$((mid + 1))
	t "kill $r at $d s, $phase ($s): the store is sound" killed_sound "$status"
	r=$((r + 1))
done
echo "kills: $mid of $ROUNDS mid-ingest ($n_start before the first commit, $n_text storing" \
	"text, $n_embed embedding, $n_save saving the index), $late after the end (seed $SEED)"
t "most kills landed mid-ingest ($mid of $ROUNDS)" [ $((mid * 2)) -ge "$ROUNDS" ]

# ---- then an ingest completes, and the store is what a clean one makes ----
t "an ingest after the last kill completes" saved 0 "$TMP/last.out" "$DOCENT" ingest --prune "$C"
t "... and leaves nothing to do" ok "0 added, 0 updated" "$DOCENT" ingest -v --prune "$C"
t "... not a vector" ok_lacks "Embedded" "$DOCENT" ingest --prune "$C"
t "stats --check is clean" ok "check        ok" "$DOCENT" stats --check
t "a clean ingest of the same corpus" expect_status 0 env DOCENT_HOME="$TMP/clean" "$DOCENT" ingest -q "$C"
t "the same documents, contents, chunks and vectors as the clean ingest" \
	saved 0 "$TMP/same.out" python3 "$H" same "$db" "$TMP/clean/docent.db"
tail -1 "$TMP/same.out"
t "the vector index holds every vector once" json_check '
v = d["check"]["vectors"][0]
assert d["check"]["ok"] and v["ok"] and "behind" not in v, d
assert v["stored"] == v["indexed"] == d["chunks"] == d["vectors"] > 0, d' \
	"$DOCENT" stats --check --json
t "no temporary index file is left" sh -c '[ "$(ls "$0")" = 1.faiss ]' "$DOCENT_HOME/docent.vectors"

finish
