#!/bin/sh
# test_vectors.sh - embeddings during ingest, the FAISS index kept in step
# with the database (changes, removals, a lost or stale file), hybrid and
# dense search, and `docent reindex` (rebuild, model change), with the
# generated tiny embedding model in-process.
. "$(dirname "$0")/lib.sh"

M="$SRC/build/models/tiny-embed.gguf"
[ -f "$M" ] || { echo "missing $M: run 'make tiny-models'"; exit 1; }
cp "$M" "$TMP/other-embed.gguf"   # the same weights under another name: another model
DOCS="$TMP/docs"
mkdir -p "$DOCS"
printf '# Leave\n\nEmployees get twenty-five days of paid annual leave each year.\n' >"$DOCS/leave.md"
printf 'The expense policy covers travel, hotels and meals on business trips.\n' >"$DOCS/expenses.txt"
printf 'Laptops are replaced every three years by the IT service desk.\n' >"$DOCS/laptops.txt"

# json EXPR COMMAND...: COMMAND exits 0 with no sanitizer report and prints
# JSON for which the Python expression EXPR holds, d being the parsed value
json() {
	_expr=$1
	shift
	json_check "assert ($_expr), d" "$@"
}
export DOCENT_EMBED_MODEL="$M"

t "ingest embeds the new chunks" json \
	'd["embedding"]["chunks"] == d["chunks"] == 3 and d["embedding"]["tokens"] > 10 and d["embedding"]["vectors"] == 3 and not d["embedding"]["rebuilt"]' \
	"$DOCENT" ingest --json "$DOCS"
t "the vector file is beside the database" test -s "$DOCENT_HOME/docent.vectors/1.faiss"
t "stats counts vectors" contains "3 with vectors" "$DOCENT" stats
t "search is hybrid by default, with both ranks" json \
	'd["mode"] == "hybrid" and len(d["hits"]) == 3 and all("keyword_rank" in h and h["dense_rank"] for h in d["hits"])' \
	"$DOCENT" search --json "annual leave"
t "hybrid puts the matching document first" json \
	'd["hits"][0]["path"].endswith("leave.md") and d["hits"][0]["keyword_rank"] == 1' \
	"$DOCENT" search --json "annual leave"
t "dense search ranks every chunk by meaning" json \
	'd["mode"] == "dense" and len(d["hits"]) == 3 and all(h["keyword_rank"] is None for h in d["hits"]) and [h["dense_rank"] for h in d["hits"]] == [1, 2, 3]' \
	"$DOCENT" search --json --mode dense "annual leave"
t "bm25 mode has keyword ranks only" json \
	'd["mode"] == "bm25" and len(d["hits"]) == 1 and d["hits"][0]["dense_rank"] is None' \
	"$DOCENT" search --json --mode bm25 "annual leave"
t "dense snippets fall back to the chunk's first words" json \
	'all(h["snippet"] for h in d["hits"])' "$DOCENT" search --json --mode dense "zzzz"
t "an unknown mode is a usage error" expect_status 2 "$DOCENT" search --mode fuzzy x
# the collection remembers its model: search finds it in the models folder
t "without a configured model search uses the collection's" json \
	'd["mode"] == "hybrid" and d["hits"][0]["dense_rank"]' \
	env DOCENT_EMBED_MODEL= DOCENT_ENGINE_MODELS_DIR="$SRC/build/models" "$DOCENT" search --json leave
t "and dense search too" json 'd["mode"] == "dense" and len(d["hits"]) == 3' \
	env DOCENT_EMBED_MODEL= DOCENT_ENGINE_MODELS_DIR="$SRC/build/models" "$DOCENT" search --json --mode dense leave
t "a recorded model missing from the models folder is named" expect_error 1 "tiny-embed.gguf, which is not in the models folder" \
	env DOCENT_EMBED_MODEL= "$DOCENT" search leave
t "and that is a failure, not a quiet keyword search" expect_status 1 env DOCENT_EMBED_MODEL= "$DOCENT" search leave
t "bm25 needs no model" json 'd["mode"] == "bm25"' env DOCENT_EMBED_MODEL= "$DOCENT" search --json --mode bm25 leave

# ---- changes reach the index without a rebuild ----
t "an unchanged run embeds nothing" json \
	'd["embedding"]["chunks"] == 0 and d["embedding"]["vectors"] == 3 and not d["embedding"]["rebuilt"]' \
	"$DOCENT" ingest --json "$DOCS"
printf 'Laptops are replaced every four years; phones every two.\n' >"$DOCS/laptops.txt"
printf 'Parking at the office is free for cyclists and car pools.\n' >"$DOCS/parking.txt"
t "a changed and a new file: old vector dropped, two embedded" json \
	'd["updated"] == 1 and d["added"] == 1 and d["embedding"]["chunks"] == 2 and d["embedding"]["vectors"] == 4 and not d["embedding"]["rebuilt"]' \
	"$DOCENT" ingest --json "$DOCS"
t "rm drops the document's vectors" expect_status 0 "$DOCENT" rm "$DOCS/parking.txt"
t "... stats counts 3" json 'd["vectors"] == 3' "$DOCENT" stats --json
t "after rm the index is in step (no rebuild)" json_check \
	'assert d["vectors_rebuilt"] is False and len(d["hits"]) == 3, d' "$DOCENT" search --json --mode dense leave
rm "$DOCS/expenses.txt" "$DOCS/parking.txt"
t "prune drops vectors too" json \
	'd["pruned"] == 1 and d["embedding"]["vectors"] == 2 and not d["embedding"]["rebuilt"]' \
	"$DOCENT" ingest --json --prune "$DOCS"

# ---- a lost or stale index is rebuilt from the database ----
rm "$DOCENT_HOME/docent.vectors/1.faiss"
t "a deleted index file is rebuilt at search" contains "vector index was out of date and was rebuilt" "$DOCENT" search --mode dense leave
t "and then it is in step again" json_check \
	'assert d["vectors_rebuilt"] is False and len(d["hits"]) == 2, d' "$DOCENT" search --json --mode dense leave
sqlite3 "$DOCENT_HOME/docent.db" "DELETE FROM embeddings WHERE chunk_id = (SELECT max(chunk_id) FROM embeddings)"
t "vectors changed behind its back: rebuilt" json_check 'assert d["vectors_rebuilt"] is True, d' \
	"$DOCENT" search --json --mode dense leave
t "the missing vector is embedded again by the next ingest" json \
	'd["embedding"]["chunks"] == 1 and d["embedding"]["vectors"] == 2' "$DOCENT" ingest --json "$DOCS"
printf 'not a faiss index' >"$DOCENT_HOME/docent.vectors/1.faiss"
t "a corrupt index file is rebuilt" json 'len(d["hits"]) == 2' "$DOCENT" search --json --mode dense leave

# ---- models ----
t "another model is refused with the way out" expect_error 1 "docent reindex" \
	env DOCENT_EMBED_MODEL="$TMP/other-embed.gguf" "$DOCENT" ingest "$DOCS"
t "refused before any work" expect_status 1 env DOCENT_EMBED_MODEL="$TMP/other-embed.gguf" "$DOCENT" ingest "$DOCS"
t "search with another model names both and the fix" env DOCENT_EMBED_MODEL="$TMP/other-embed.gguf" sh -c \
	'"$0" search leave >"$1" 2>&1; s=$?; cat "$1"; test $s -eq 1 && grep -q "embedded with tiny-embed.gguf, not with the configured other-embed.gguf" "$1" && grep -q "docent reindex" "$1"' \
	"$DOCENT" "$TMP/.mm"
t "reindex with the same model rebuilds" json \
	'd[0]["action"] == "rebuilt" and d[0]["vectors"] == 2' "$DOCENT" reindex --json
t "reindex with a new model embeds everything again" json \
	'd[0]["action"] == "re-embedded" and d[0]["embedded"] == 2 and d[0]["model"] == "other-embed.gguf"' \
	env DOCENT_EMBED_MODEL="$TMP/other-embed.gguf" "$DOCENT" reindex --json
t "then that model searches" json 'd["mode"] == "hybrid" and d["hits"][0]["dense_rank"]' \
	env DOCENT_EMBED_MODEL="$TMP/other-embed.gguf" "$DOCENT" search --json leave
t "reindex without a model rebuilds from stored vectors" contains "rebuilding the vector indexes" \
	env DOCENT_EMBED_MODEL= "$DOCENT" reindex
t "reindex --help" contains "Usage: docent reindex" "$DOCENT" reindex --help

# ---- an embedding model that cannot be opened ----
printf 'not a model' >"$TMP/bad.gguf"
t "a broken embedding model fails the ingest and names --no-embed" expect_error 1 "add --no-embed" \
	env DOCENT_EMBED_MODEL="$TMP/bad.gguf" "$DOCENT" ingest -c other "$DOCS"
t "... which then ingests the text" json_check 'assert d["added"] == 2 and "embedding" not in d, d' \
	env DOCENT_EMBED_MODEL="$TMP/bad.gguf" "$DOCENT" ingest --json --no-embed -c other "$DOCS"
t "... removed again" expect_status 0 "$DOCENT" collections rm other

# ---- a collection embedded later ----
t "ingest --no-embed stores text only" json 'd["chunks"] == 1 and "embedding" not in d' \
	"$DOCENT" ingest --json --no-embed -c later "$DOCS/leave.md"
t "hybrid on it says it used keywords only" contains "has no vectors yet" \
	"$DOCENT" search -c later leave
t "reindex embeds it" json 'd[0]["action"] == "embedded" and d[0]["embedded"] == 1' \
	"$DOCENT" reindex --json -c later
t "removing a collection removes its index file" sh -c \
	'"$0" collections rm later && ! ls "$1"/docent.vectors/ | grep -q "^2.faiss"' "$DOCENT" "$DOCENT_HOME"
t "the database stays sound" expect_status 0 "$DOCENT" stats --check

finish
