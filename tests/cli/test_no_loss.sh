#!/bin/sh
# test_no_loss.sh - nothing is lost or wrong without a word: results whose
# path is not UTF-8 stay in --json output (encoded losslessly), an invalid
# UTF-8 query is a usage error, `ingest --force` re-extracts, titles and
# settings pass the redactor, a corrupt vector index is rebuilt.
. "$(dirname "$0")/lib.sh"

D="$TMP/docs"
mkdir -p "$D"

# ---- --json keeps paths that are not UTF-8 ----
BAD=$(printf 'caf\351 \377notes.txt')   # Latin-1 e-acute and a stray 0xFF
printf 'The zebra migration report.\n' >"$D/$BAD"
printf 'Another zebra, with a plain name.\n' >"$D/plain.txt"
t "ingest a file whose name is not UTF-8" ok "2 added" "$DOCENT" ingest --no-embed "$D"
# the decoded path_bytes are the file's exact name
EXPECT=$(printf '%s' "$D/$BAD" | base64 -w0)
t "search --json keeps the hit" json_check "
hits = d['hits']
assert len(hits) == 2, hits
bad = [h for h in hits if 'path_bytes' in h]
assert len(bad) == 1, hits
import base64
assert base64.b64encode(base64.b64decode(bad[0]['path_bytes'])).decode() == '$EXPECT'
assert bad[0]['path'].endswith('caf\ufffd \ufffdnotes.txt'), bad[0]['path']
assert all('path_bytes' not in h for h in hits if h['path'].endswith('plain.txt'))
" "$DOCENT" search --json zebra
t "docs --json keeps the document" json_check "
assert len(d) == 2, d
bad = [x for x in d if 'path_bytes' in x]
assert len(bad) == 1 and bad[0]['path_bytes'] == '$EXPECT', d
" "$DOCENT" docs --json
t "the bytes open the file" sh -c '
	"$0" docs --json | python3 -c "
import json, sys, base64, os
d = json.load(sys.stdin)
p = [base64.b64decode(x[\"path_bytes\"]) for x in d if \"path_bytes\" in x][0]
assert open(p, \"rb\").read().startswith(b\"The zebra\")
"' "$DOCENT"
t "an invalid UTF-8 query is a usage error" expect_status 2 "$DOCENT" search --json "$(printf 'ze\377bra')"
t "that says so" expect_error 2 "not valid UTF-8" "$DOCENT" search --json "$(printf 'ze\377bra')"
t "and prints no JSON" sh -c 'test -z "$("$0" search --json "$(printf "ze\377bra")" 2>/dev/null)"' "$DOCENT"
t "so is an invalid UTF-8 question" expect_status 2 "$DOCENT" ask "$(printf 'why ze\377bra')"

# ---- ingest --force re-extracts, re-chunks, re-embeds only what changed ----
M="$SRC/build/models/tiny-embed.gguf"
F="$TMP/force"
mkdir -p "$F"
cat >"$F/handbook.md" <<'DOC'
# Handbook

## Leave

Employees get twenty-five days of paid annual leave each year, booked in the
staff portal at least two weeks ahead.

## Contact

Questions about payroll go to alice.payroll@example.com or the front desk.

## Laptops

Laptops are replaced every three years by the IT service desk.
DOC
export DOCENT_EMBED_MODEL="$M"
t "ingest with vectors" json_check "assert d['chunks'] >= 3 and d['embedding']['chunks'] == d['chunks'], d" \
	"$DOCENT" ingest --json -c force "$F"
N=$("$DOCENT" docs --json -c force | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["chunks"])')
t "a plain --force keeps every chunk and vector" json_check "
assert d['updated'] == 1 and d['chunks'] == 0 and d['chunks_kept'] == $N, d
assert d['embedding']['chunks'] == 0, d" \
	"$DOCENT" ingest --json --force -c force "$F"
t "without --force, new settings do not reach the stored text" json_check "
assert d['unchanged'] == 1, d" env DOCENT_CLEAN_REDACT=email "$DOCENT" ingest --json -c force "$F"
t "the address is still stored" ok "alice.payroll@example.com" "$DOCENT" search -c force --full payroll
t "--force with redaction on re-chunks the document" json_check "
assert d['updated'] == 1, d
assert d['chunks'] == 1 and d['chunks_kept'] == $N - 1, d
assert d['embedding']['chunks'] == 1, d" \
	env DOCENT_CLEAN_REDACT=email "$DOCENT" ingest --json --force -c force "$F"
t "the address is gone from the stored text" ok_lacks "alice.payroll@example.com" \
	"$DOCENT" search -c force --full --mode bm25 payroll
t "and redacted" ok "[REDACTED]" "$DOCENT" search -c force --full --mode bm25 payroll
t "every chunk has its vector after --force" json_check "
assert len(d['hits']) == $N, d
assert all(h['dense_rank'] for h in d['hits']), d" \
	"$DOCENT" search --json -c force --mode dense -k 50 leave laptops payroll
t "stats --check is clean" ok "ok" "$DOCENT" stats --check -c force

# ---- a damaged vector index is verified at open and rebuilt ----
IDX=$(ls "$DOCENT_HOME"/docent.vectors/*.faiss)
# zero the vectors, keep the header and ids: FAISS still reads the file
python3 - "$IDX" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
n = len(d)
# zero the middle half of the file: the vectors of a small flat index
d[n // 4: 3 * n // 4] = bytes(3 * n // 4 - n // 4)
open(p, "wb").write(d)
PY
t "a damaged index is noticed and rebuilt" ok "the vector index was damaged and was rebuilt" \
	"$DOCENT" search -c force --mode dense leave
t "dense search is sound again" json_check "
assert d['hits'] and all(0 < h['dense_score'] <= 1.0001 for h in d['hits']), d" \
	"$DOCENT" search --json -c force --mode dense leave
t "and stays so (no second rebuild)" ok_lacks "rebuilt" "$DOCENT" search -c force --mode dense leave
rm -f "$IDX"
mkdir "$IDX"
t "an index path that is a folder: hybrid goes on with keywords" ok "keyword search only" \
	"$DOCENT" search -c force --mode hybrid leave
t "saying what to do" ok "move it away" "$DOCENT" search -c force --mode hybrid leave
t "dense search fails, saying what to do" expect_error 1 "is a folder, not the vector index file" \
	"$DOCENT" search -c force --mode dense leave
t "with exit status 1" expect_status 1 "$DOCENT" search -c force --mode dense leave
rmdir "$IDX"
t "once moved, the index is rebuilt" ok "rebuilt" "$DOCENT" search -c force --mode dense leave
unset DOCENT_EMBED_MODEL

# ---- redaction: names checked, titles from file names redacted ----
R="$TMP/redact"
mkdir -p "$R"
printf 'Minutes of the budget meeting.\n' >"$R/jane.doe@example.com minutes.txt"
t "an unknown redaction name is a usage error" expect_status 2 env DOCENT_CLEAN_REDACT=emails "$DOCENT" ingest -c red "$R"
t "listing the valid names" expect_error 2 "the names are email apikey ipv4 card" env DOCENT_CLEAN_REDACT=emails "$DOCENT" ingest -c red "$R"
t "and nothing is ingested" sh -c 'test "$("$0" docs --json -c red 2>/dev/null | python3 -c "import json,sys; print(len(json.load(sys.stdin)))" 2>/dev/null || echo 0)" = 0' "$DOCENT"
t "a title from the file name is redacted" json_check "
assert [x['title'] for x in d] == ['[REDACTED] minutes'], d" \
	sh -c 'DOCENT_CLEAN_REDACT=email "$0" ingest -q -c red "$1" >/dev/null && "$0" docs --json -c red' "$DOCENT" "$R"
t "and so is the chunks' context" json_check "
assert d['hits'] and all('example.com' not in h['title'] + (h['heading'] or '') for h in d['hits']), d" \
	"$DOCENT" search --json -c red --mode bm25 budget
t "a regex is explicit: re:PATTERN" json_check "
assert 'Minutes of the [REDACTED]' in d['hits'][0]['text'], d" \
	sh -c 'DOCENT_CLEAN_REDACT="email re:budget\\s+meeting" "$0" ingest -q --force -c red "$1" >/dev/null && "$0" search --json --full -c red --mode bm25 minutes' "$DOCENT" "$R"

finish
