#!/bin/sh
# test_search.sh - `docent search` on what retrieval adds: a copy of a file
# in a second collection and a near-identical copy collapse into the best
# hit, which says so; --group keeps one result per document (and --json
# says grouped); the title line of a text file finds every chunk of it; a
# CSV snippet is the row that matches. Each command must exit 0 with no
# sanitizer report.
. "$(dirname "$0")/lib.sh"

# clean COMMAND...: exits 0 and prints no sanitizer report
clean() {
	_o=$("$@" 2>&1)
	_s=$?
	printf '%s\n' "$_o"
	[ "$_s" -eq 0 ] || { echo "exit status $_s"; return 1; }
	if printf '%s' "$_o" | grep -E -q 'Sanitizer|runtime error'; then
		echo "sanitizer report"
		return 1
	fi
}

# json PYTHON-EXPRESSION ARGS...: `docent search --json ARGS` is clean and
# the expression holds for its parsed output `d`
json() {
	_e=$1
	shift
	clean "$DOCENT" search --json "$@" >"$TMP/.json" || return 1
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert $_e, d" "$TMP/.json"
}

C="$TMP/corpus"
mkdir -p "$C/a" "$C/b"
{
	echo "Greenhouse manual"
	echo
	i=0
	while [ $i -lt 40 ]; do
		echo "Paragraph $i of the manual: water the tomato seedlings every morning and open the vents when the sun is high."
		echo
		i=$((i + 1))
	done
} >"$C/a/manual.txt"
printf 'The tomato harvest starts in August; pick the fruit when it is red.\n' >"$C/a/harvest.txt"
printf 'The tomato harvest starts in August; pick the fruit when it is red!\n' >"$C/a/harvest-copy.txt"
cp "$C/a/harvest.txt" "$C/b/harvest.txt"
printf 'name,city,crop\nAda,Lisbon,peppers\nGrace,Oslo,tomato\nLinus,Rome,basil\n' >"$C/a/growers.csv"

t "ingest one folder" clean "$DOCENT" ingest -q "$C/a"
t "ingest a copy into another collection" clean "$DOCENT" ingest -q -c other "$C/b"

t "help names --group" contains "--group" "$DOCENT" search --help
t "many chunks of one file without --group" json \
	'sum(h["path"].endswith("manual.txt") for h in d["hits"]) > 1 and d["grouped"] is False' \
	-k 20 tomato seedlings
t "--group: one hit per document" json \
	'len(d["hits"]) == len({h["doc_id"] for h in d["hits"]}) and d["grouped"] is True' \
	--group -k 20 tomato
t "--group still fills k" json 'len(d["hits"]) == 3' --group -k 3 tomato
t "copies collapse into one hit that counts them" json \
	'[h["duplicates"] for h in d["hits"] if "harvest" in h["path"]] == [2]' \
	-k 20 tomato harvest August
t "the copies are not listed" json \
	'sum("harvest" in h["path"] for h in d["hits"]) == 1' -k 20 harvest August
t "the text shows the duplicates" contains "near-identical" "$DOCENT" search harvest August
t "the title line finds the file's later chunks" json \
	'all(h["path"].endswith("manual.txt") for h in d["hits"]) and len(d["hits"]) == 5' \
	greenhouse
t "a csv snippet is the matching row" json \
	'"Oslo" in d["hits"][0]["snippet"] and "Lisbon" not in d["hits"][0]["snippet"] and "Rome" not in d["hits"][0]["snippet"]' \
	Grace Oslo
t "a T is searched for" clean "$DOCENT" search --json T cells
t "--group with bm25 mode" clean "$DOCENT" search --group --mode bm25 tomato

finish
