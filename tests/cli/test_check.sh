#!/bin/sh
# test_check.sh - `docent stats --check` finds each kind of damage it
# claims to: a database index that disagrees with its table (which SQLite's
# quick_check does not see, only the full integrity_check), a keyword index
# out of step with the chunks, and a vector index that is garbage, holds
# other vectors than the store (right count, wrong contents), or is gone;
# one merely behind the store, as a kill -9 leaves it, is sound.
# Each result is in --json; the exit status is 1 on any damage.
. "$(dirname "$0")/lib.sh"

M="$SRC/build/models/tiny-embed.gguf"
[ -f "$M" ] || { echo "missing $M: run 'make tiny-models'"; exit 1; }
export DOCENT_EMBED_MODEL="$M"
D="$TMP/docs"
mkdir -p "$D"
for i in 1 2 3 4 5 6; do
	printf 'Document %s is about robots, batteries and topic number %s.\n' "$i" "$i" >"$D/f$i.txt"
done
db="$DOCENT_HOME/docent.db"
vec="$DOCENT_HOME/docent.vectors/1.faiss"

t "ingest with vectors" expect_status 0 "$DOCENT" ingest -q "$D"
t "a sound database passes" ok "check        ok: the database is sound" "$DOCENT" stats --check
t "... and its vectors" ok "vectors of 'default' sound (6, 6 looked up)" "$DOCENT" stats --check
t "--json has each result" json_check '
c = d["check"]
assert c["ok"] is True and c["database"] == {"ok": True} and c["keywords"] == {"ok": True}, c
v = c["vectors"][0]
assert v["collection"] == "default" and v["ok"] and v["stored"] == v["indexed"] == 6, v
assert v["probed"] == v["found"] == 6, v' "$DOCENT" stats --check --json
t "without --check there is no check in the JSON" json_check 'assert "check" not in d, d' \
	"$DOCENT" stats --json
cp "$db" "$TMP/good.db"
cp "$vec" "$TMP/good.faiss"

# restore: put back the sound database and index
restore() {
	cp "$TMP/good.db" "$db"
	rm -f "$db-wal" "$db-shm"
	cp "$TMP/good.faiss" "$vec"
}

# ---- the vector index ----
printf 'not a faiss index' >"$vec"
t "a garbage vector index fails the check" expect_error 1 "is damaged or not a FAISS index" \
	"$DOCENT" stats --check
t "... in the JSON too" sh -c '"$0" stats --check --json >"$1"; s=$?; [ $s -eq 1 ] &&
python3 -c "import json,sys; v=json.load(open(sys.argv[1]))[\"check\"][\"vectors\"][0]
assert v[\"ok\"] is False and v[\"indexed\"] == -1 and \"reindex\" in v[\"message\"], v" "$1"' \
	"$DOCENT" "$TMP/c.json"

head -c 700 "$TMP/good.faiss" >"$vec"
# FAISS leaks what it read of a truncated file (tests/lsan.supp says why)
t "a truncated vector index fails the check" expect_error 1 "is damaged or not a FAISS index" \
	"$DOCENT" stats --check
t "... and is rebuilt by a dense search" json_check 'assert d["vectors_rebuilt"] is True and d["hits"], d' \
	"$DOCENT" search --json --mode dense robots

cp "$TMP/good.faiss" "$vec"
# right size, right header, other numbers: scramble the stored floats
python3 - "$vec" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for i in range(len(b) // 3, len(b) // 3 + 600):
    b[i] = (b[i] * 7 + 13) & 0xff
open(p, "wb").write(b)
PY
t "a vector index holding other vectors fails the check" expect_error 1 "does not hold the stored vectors" \
	"$DOCENT" stats --check
t "... the JSON counts what was not found" sh -c '"$0" stats --check --json >"$1"; [ $? -eq 1 ] &&
python3 -c "import json,sys; v=json.load(open(sys.argv[1]))[\"check\"][\"vectors\"][0]
assert v[\"ok\"] is False and v[\"indexed\"] == 6 and v[\"probed\"] == 6 and v[\"found\"] < 6, v" "$1"' \
	"$DOCENT" "$TMP/c.json"
rm -f "$vec"
t "a missing vector index fails the check" expect_error 1 "is missing (6 vectors in the database)" \
	"$DOCENT" stats --check
t "reindex repairs it" expect_status 0 "$DOCENT" reindex
t "... and the check passes again" ok "vectors of 'default' sound" "$DOCENT" stats --check
restore

# ---- an index file behind the database: what kill -9 between a commit
# and the file's save leaves; sound (the next open rebuilds it), noted ----
printf 'Document 7 is about ferries.\n' >"$D/f7.txt"
t "one more document with its vector" expect_status 0 "$DOCENT" ingest -q "$D"
saved_then=$(sqlite3 "$TMP/good.db" "select faiss_count || ',' || faiss_idsum from collections")
cp "$TMP/good.faiss" "$vec"
sqlite3 "$db" "update collections set faiss_count = ${saved_then%,*}, faiss_idsum = ${saved_then#*,}"
t "a file behind the database passes the check" ok "is behind the database (6 vectors, the database 7)" \
	"$DOCENT" stats --check
t "... with the note in the JSON" json_check '
v = d["check"]["vectors"][0]
assert d["check"]["ok"] and v["ok"] and v["behind"] is True and "rebuilds it" in v["note"], v' \
	"$DOCENT" stats --check --json
sqlite3 "$db" "update collections set faiss_count = null, faiss_idsum = null"
t "... also when its save was cut short (no totals recorded)" ok "is behind the database" \
	"$DOCENT" stats --check
sqlite3 "$db" "update collections set faiss_count = 5, faiss_idsum = ${saved_then#*,}"
t "a file behind, but not what its save recorded, fails" expect_error 1 \
	"holds other vectors than it was saved with (6, saved 5)" "$DOCENT" stats --check
sqlite3 "$db" "update collections set faiss_count = vec_count, faiss_idsum = vec_idsum"
t "a file short of the vectors its save recorded fails" expect_error 1 \
	"holds 6 vectors, the database 7" "$DOCENT" stats --check
t "a search brings the file up to date" json_check 'assert d["vectors_rebuilt"] is True and d["hits"], d' \
	"$DOCENT" search --json --mode dense ferries
t "... and the check finds it in step" json_check '
v = d["check"]["vectors"][0]
assert d["check"]["ok"] and v["ok"] and "behind" not in v and v["indexed"] == 7, v' \
	"$DOCENT" stats --check --json
rm -f "$D/f7.txt"
restore

# ---- the keyword index ----
sqlite3 "$db" "insert into chunks(content_id, ordinal, text, nwords)
	select content_id, 9999, 'a row the keyword index never saw', 7 from chunks limit 1"
t "a keyword index out of step fails the check" expect_error 1 "keyword index of $db does not match" \
	"$DOCENT" stats --check
t "... says so in the JSON" sh -c '"$0" stats --check --json >"$1"; [ $? -eq 1 ] &&
python3 -c "import json,sys; c=json.load(open(sys.argv[1]))[\"check\"]
assert c[\"ok\"] is False and c[\"keywords\"][\"ok\"] is False and c[\"database\"][\"ok\"] is True, c" "$1"' \
	"$DOCENT" "$TMP/c.json"
restore

# ---- the database file ----
# The index documents_content now claims to be on another column: its
# entries no longer match the table. quick_check does not compare index
# entries with rows; integrity_check does.
sqlite3 "$db" "PRAGMA writable_schema = ON;
	UPDATE sqlite_master SET sql = 'CREATE INDEX documents_content ON documents(mtime_ns)'
	WHERE name = 'documents_content';"
t "quick_check alone would call it sound" sh -c '[ "$(sqlite3 "$0" "pragma quick_check")" = ok ]' "$db"
t "a damaged database fails the check" expect_error 1 "is damaged" "$DOCENT" stats --check
t "... says so in the JSON" sh -c '"$0" stats --check --json >"$1"; [ $? -eq 1 ] &&
python3 -c "import json,sys; c=json.load(open(sys.argv[1]))[\"check\"]
assert c[\"ok\"] is False and c[\"database\"][\"ok\"] is False and \"damaged\" in c[\"database\"][\"message\"], c" "$1"' \
	"$DOCENT" "$TMP/c.json"
restore
t "restored, the check passes" ok "check        ok" "$DOCENT" stats --check

finish
