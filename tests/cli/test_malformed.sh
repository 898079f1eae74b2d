#!/bin/sh
# test_malformed.sh - the malformed-input catalogue: truncated, broken,
# deeply nested, entity-expanding, zip-bombing, mislabelled and enormous
# files (made at test time by tests/ingest/malformed/make_inputs.py), each
# ingested alone into a fresh data folder. Each check asserts the exit
# status, the message (what is wrong, and the setting to change where one
# helps), that nothing a sanitizer reports, and the peak resident memory
# against the goal: at most 256 MB over the baseline, which is the peak of
# ingesting a one-line text file.
#
# The memory bound is checked in the normal build only. Under
# AddressSanitizer the peak includes its shadow memory (an eighth of the
# heap) and its quarantine of freed blocks (up to 256 MB more by default),
# which would measure ASan rather than docent; there the bound is loose
# (1 GB over the baseline), still enough to catch a 1 GB file read or a
# large page's tree built whole again. Either way the peaks are printed at
# the end.
. "$(dirname "$0")/lib.sh"

IN="$TMP/in"
PEAK="$SRC/tests/ingest/malformed/peak.py"
python3 "$SRC/tests/ingest/malformed/make_inputs.py" "$IN" || {
	echo "cannot make the inputs"
	exit 1
}
if grep -q -a __asan_report_load "$DOCENT"; then
	BOUND=$((1024 * 1024)) # KiB
	echo "AddressSanitizer build: memory bound loosened to 1 GB over the baseline"
else
	BOUND=$((256 * 1024))
fi

# ingest_alone NAME FILE [ARGS...]: ingests FILE into a data folder of its
# own ($TMP/home-NAME), its peak memory (KiB) written to $TMP/peak-NAME
ingest_alone() {
	_n=$1
	_f=$2
	shift 2
	DOCENT_HOME="$TMP/home-$_n"
	export DOCENT_HOME
	python3 "$PEAK" "$TMP/peak-$_n" "$DOCENT" ingest --no-embed "$@" "$_f"
}

# bounded STATUS TEXT FILE [ARGS...]: ingesting FILE alone exits STATUS,
# prints TEXT, and peaks within the bound over the baseline
bounded() {
	_want=$1
	_text=$2
	_file=$3
	shift 3
	_base=$(basename "$_file")
	expect_error "$_want" "$_text" ingest_alone "$_base" "$IN/$_file" "$@" || return 1
	_kb=$(cat "$TMP/peak-$_base")
	echo "peak $((_kb / 1024)) MB, baseline $((BASE / 1024)) MB"
	printf '  %-22s %5d MB\n' "$_base" $(((_kb - BASE) / 1024)) >>"$TMP/peaks"
	[ $((_kb - BASE)) -le "$BOUND" ] ||
		{ echo "over the bound: $(((_kb - BASE) / 1024)) MB > $((BOUND / 1024)) MB"; return 1; }
}

# found NAME QUERY TEXT: the document ingested as NAME is searchable by
# QUERY, and the result shows TEXT, the query's words in [brackets] (its
# text was read, not lost)
found() {
	DOCENT_HOME="$TMP/home-$1"
	export DOCENT_HOME
	ok "$3" "$DOCENT" search "$2"
}

printf 'One line of text.\n' >"$TMP/base.txt"
t "baseline: a one-line text file" ingest_alone base "$TMP/base.txt"
BASE=$(cat "$TMP/peak-base")
echo "baseline peak: $((BASE / 1024)) MB"

# truncated and broken
t "truncated PDF: a failure" bounded 1 "corrupt or unreadable PDF" truncated.pdf
t "PDF with a broken xref table: read" bounded 0 "1 added" broken-xref.pdf
t "  its text" found broken-xref.pdf survives "Broken xref [survives]"
t "truncated DOCX: a failure" bounded 1 "corrupt or truncated DOCX" truncated.docx
t "truncated ODT: a failure" bounded 1 "corrupt or truncated ODT" truncated.odt
t "truncated zip: skipped, said so" bounded 0 "corrupt or truncated zip archive" truncated.zip
t "zip named .docx without its document: a failure" \
	bounded 1 "corrupt DOCX: word/document.xml is missing" not-a-document.docx

# nesting and entities
t "HTML nested 100,000 deep: read whole" bounded 0 "1 added" nested.html
t "  its text" found nested.html deep "[Deep] nested text"
t "DOCX XML nested 100,000 deep: read whole" bounded 0 "1 added" nested.docx
t "  its text" found nested.docx deep "[Deep] DOCX text"
t "billion laughs in HTML: not expanded" bounded 0 "1 added" laughs.html
t "billion laughs in DOCX XML: refused" bounded 1 "declares a DTD" laughs.docx

# zip bombs
t "zip bomb, one 300 MB entry: refused naming the setting" \
	bounded 1 "ingest.max_unpacked_size" bomb-one.docx
t "zip bomb, 300 MB of short paragraphs: refused naming the setting" \
	bounded 1 "half of ingest.max_unpacked_size" bomb-paras.docx
t "zip bomb, 400 entries of 1 MB: the document read" bounded 0 "1 added" bomb-many.docx
t "zip inside a zip: skipped, said so" bounded 0 "does not read inside other archives" nested.zip

# mislabelled
t "PDF named .docx: read as PDF" bounded 0 "1 added" pdf-named.docx
t "  its text" found pdf-named.docx disguise "A PDF in [disguise]"
t "binary named .txt: a failure" bounded 1 "binary content, not text" binary.txt
t "UTF-16 without a BOM: named as such" bounded 1 "UTF-16LE text without a byte-order mark" \
	utf16-nobom.txt
t "invalid UTF-8: read, bad bytes replaced" bounded 0 "1 added" invalid-utf8.txt

# enormous
t "10 MB on a single line: read" bounded 0 "1 added" single-line.txt
t "48 MB of HTML: read" bounded 0 "1 added" big.html
t "  its text" found big.html harbour "The [harbour] ledger records"
t "1 GB sparse file named .txt: judged on its head" \
	bounded 1 "binary content, not text" sparse.txt --max-file-size 2G
t "1 GB file over the size limit: skipped naming the setting" \
	bounded 0 "--max-file-size" sparse.txt --max-file-size 500MB
t "empty file: skipped" bounded 0 "empty file" empty.txt

echo "peak memory over the baseline ($((BASE / 1024)) MB), bound $((BOUND / 1024)) MB:"
sort -u "$TMP/peaks"
finish
