#!/bin/sh
# demo.sh BIN - docent's demo: ingests the fictional Northwind Robotics corpus
# in examples/ into a throw-away data directory and runs a few searches.
#
#   scripts/demo.sh build/docent        (or: make demo)
#
# The data directory is a fresh temporary folder, removed at the end unless
# DOCENT_KEEP is set (then its path is printed, so you can try your own
# searches with DOCENT_HOME=that-path BIN search ...). The demo uses its own
# configuration file, so your ~/.config/docent/docent.conf does not change
# the results; it turns on redaction of e-mail addresses and API keys, which
# the corpus contains on purpose.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BIN   (for example: $0 build/docent)" >&2
	exit 2
fi

# The binary's path may be relative to where we were started from.
case $1 in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
if [ ! -x "$bin" ]; then
	echo "$0: $1: no such program (run make first)" >&2
	exit 1
fi

# Everything else is relative to the repository root.
cd "$(dirname "$0")/.."

DOCENT_HOME=$(mktemp -d "${TMPDIR:-/tmp}/docent-demo.XXXXXX")
export DOCENT_HOME
cleanup() {
	if [ -n "${DOCENT_KEEP:-}" ]; then
		echo
		echo "Data kept in $DOCENT_HOME (DOCENT_KEEP is set)."
	else
		rm -rf "$DOCENT_HOME"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DOCENT_CONFIG=$DOCENT_HOME/docent.conf
export DOCENT_CONFIG
cat >"$DOCENT_CONFIG" <<'CONF'
# Written by scripts/demo.sh for the demo only.
[clean]
redact = email apikey
CONF

say() {
	printf '\n==> %s\n' "$*"
}

search() {
	# search "what is being shown" QUERY
	printf '\n==> %s\n$ docent search -k 3 "%s"\n' "$1" "$2"
	"$bin" search -k 3 "$2"
}

ask() {
	# ask "what is being shown" QUESTION
	printf '\n==> %s\n$ docent ask "%s"\n' "$1" "$2"
	"$bin" ask "$2"
}

say "Ingesting examples/: the fictional Northwind Robotics corpus (Markdown, PDF, DOCX, ODT, HTML, CSV, text)"
echo "    E-mail addresses and API keys are replaced by [REDACTED] before anything is stored."
echo "\$ docent ingest examples/ --exclude README.md"
"$bin" ingest examples/ --exclude README.md

say "What is in the index"
echo "\$ docent stats"
"$bin" stats

search "The employee handbook (Markdown, a table of leave entitlements): parental leave" \
	"how many days of parental leave"
search "The quarterly report (a 4-page PDF with running headers and footers): revenue growth" \
	"what was revenue growth in the third quarter"
search "The travel and expense policy (DOCX): approval of expensive trips" \
	"who approves travel over 2000 euros"
search "The information security policy (ODT): a lost laptop" \
	"how do I report a lost laptop"
search "The product FAQ (HTML; its nav bar, scripts and footer are left out): batteries" \
	"robot battery replacement"

say "Questions, answered from the documents with cited sources"
echo "    No language model is set up here, so each answer is extractive: the"
echo "    sentences that best answer the question, each with its source. With a"
echo "    model (docent models pull qwen2.5-0.5b-instruct) the answers are written."
ask "Parental leave, from the handbook's table" \
	"How many days of parental leave do I get?"
ask "A lost laptop, from the security policy (ODT)" \
	"How do I report a lost laptop?"
ask "Travel approval, from the expense policy (DOCX)" \
	"Who approves travel over 2000 euros?"
ask "A question the documents cannot answer: docent says so instead of guessing" \
	"What is the company's policy on bringing dogs to the office?"

say "The documents"
echo "\$ docent docs"
"$bin" docs
