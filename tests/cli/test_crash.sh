#!/bin/sh
# test_crash.sh - kill -9 in the middle of an ingest leaves a sound database
# with only whole documents, and the next ingest finishes the job.
. "$(dirname "$0")/lib.sh"

C="$TMP/many"
mkdir -p "$C"
python3 - "$C" <<'PY'
import random, sys
random.seed(7)
words = "robot battery warehouse policy leave revenue quarter sensor lidar pallet forklift shift safety audit budget travel expense".split()
for i in range(800):
    with open(f"{sys.argv[1]}/doc{i:04d}.txt", "w") as f:
        for p in range(100):
            f.write(" ".join(random.choice(words) for _ in range(60)) + f" marker{i}.\n\n")
PY

# commit every 20 ms so that the kill lands between commits
DOCENT_INGEST_COMMIT_INTERVAL=0.02 "$DOCENT" ingest -q -j 1 "$C" >/dev/null 2>&1 &
pid=$!
# wait until some documents are in, then kill without warning
for _ in $(seq 1 400); do
	n=$(sqlite3 "$DOCENT_HOME/docent.db" "select count(*) from documents" 2>/dev/null || echo 0)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null

db="$DOCENT_HOME/docent.db"
t "database is intact after kill -9" sh -c '[ "$(sqlite3 "$0" "pragma integrity_check")" = ok ]' "$db"
t "killed before the end" sh -c '[ "$(sqlite3 "$0" "select count(*) from documents")" -lt 800 ]' "$db"
t "no document without its chunks" sh -c \
	'[ "$(sqlite3 "$0" "select count(*) from documents d where d.status = '"'ok'"' and not exists (select 1 from chunks c where c.content_id = d.content_id)")" = 0 ]' "$db"
t "FTS index agrees with chunks" contains "check        ok" "$DOCENT" stats --check
t "the next ingest finishes the job" contains "800 files" "$DOCENT" ingest "$C"
t "all documents are there" sh -c '[ "$(sqlite3 "$0" "select count(*) from documents where status = '"'ok'"'")" = 800 ]' "$db"
t "the last file is searchable" contains "doc0799.txt" "$DOCENT" search marker799

# ---- Ctrl-C: stops cleanly, keeps what is done, says how to go on ----
export DOCENT_HOME="$TMP/home-int"
DOCENT_INGEST_COMMIT_INTERVAL=0.02 "$DOCENT" ingest -j 1 "$C" >"$TMP/int.out" 2>&1 &
pid=$!
db="$DOCENT_HOME/docent.db"
for _ in $(seq 1 400); do
	n=$(sqlite3 "$db" "select count(*) from documents" 2>/dev/null || echo 0)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.05
done
kill -INT $pid
wait $pid
status=$?
t "Ctrl-C ends ingest with status 1" finished 1 "$status" "$TMP/int.out"
t "and says how to continue" in_file "run the same command again" "$TMP/int.out"
t "documents done so far are kept" sh -c '[ "$(sqlite3 "$0" "select count(*) from documents")" -ge 1 ]' "$db"
t "the database is sound after Ctrl-C" contains "check        ok" "$DOCENT" stats --check
t "the next ingest completes it" sh -c '"$0" ingest -q "$1" && [ "$(sqlite3 "$2" "select count(*) from documents where status = '"'ok'"'")" = 800 ]' "$DOCENT" "$C" "$db"

# ---- kill -9 while embedding: the vectors stored so far stay, the index
# file (saved only at the end) is rebuilt, the next ingest embeds the rest ----
M="$SRC/build/models/tiny-embed.gguf"
export DOCENT_HOME="$TMP/home-emb" DOCENT_EMBED_MODEL="$M"
db="$DOCENT_HOME/docent.db"
E="$TMP/emb"
mkdir -p "$E"
for i in $(seq 1 20); do cp "$C/doc$(printf %04d "$i").txt" "$E/"; done
"$DOCENT" ingest -q "$E" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
	n=$(sqlite3 "$db" "select count(*) from embeddings" 2>/dev/null || echo 0)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
t "killed while embedding" sh -c '[ "$(sqlite3 "$0" "select count(*) from embeddings")" -lt "$(sqlite3 "$0" "select count(*) from chunks")" ]' "$db"
t "database is intact" sh -c '[ "$(sqlite3 "$0" "pragma integrity_check")" = ok ]' "$db"
t "vector totals agree with the vectors" sh -c \
	'[ "$(sqlite3 "$0" "select vec_count = (select count(*) from embeddings) from collections")" = 1 ]' "$db"
t "dense search works on what was embedded" expect_status 0 "$DOCENT" search --mode dense robot
t "the next ingest embeds the rest" sh -c '"$0" ingest -q "$1" && [ "$(sqlite3 "$2" "select count(*) from embeddings")" = "$(sqlite3 "$2" "select count(*) from chunks")" ]' \
	"$DOCENT" "$E" "$db"
t "and the index holds them all (no rebuild)" json_check \
	'assert d["vectors_rebuilt"] is False and d["hits"], d' "$DOCENT" search --json --mode dense robot

finish
