#!/bin/sh
# test_models_pull.sh - `docent models pull` against a local HTTP server:
# a whole download, a checksum, a download cut off and resumed, a wrong
# checksum, a missing file, a catalogue name, and a server that is down;
# nothing broken is ever installed: a stale .part from another URL, a .part
# larger than the file, a server without ranges, a file that is not GGUF or
# is truncated, a malformed --sha256.
. "$(dirname "$0")/lib.sh"

SRV="$TMP/srv"
mkdir -p "$SRV"
# the served models are real GGUF files (the tiny test models)
TINY="$SRC/build/models"
cp "$TINY/tiny-embed.gguf" "$SRV/model-a.gguf"
cp "$TINY/tiny-phi3.gguf" "$SRV/model-b.gguf"
cp "$SRV/model-a.gguf" "$SRV/model-c.gguf"
cp "$TINY/tiny-gemma2.gguf" "$SRV/model-d.gguf"
cp "$TINY/tiny-rerank.gguf" "$SRV/model-e.gguf"
SUM_A=$(sha256sum "$SRV/model-a.gguf" | cut -d' ' -f1)
SUM_B=$(sha256sum "$SRV/model-b.gguf" | cut -d' ' -f1)

# the server cuts the first transfer of each file after 1 MB
python3 "$SRC/tests/cli/range_server.py" "$SRV" "$TMP/port" "$TMP/requests" 1000000 &
server=$!
# a server that does not cut transfers, and one that ignores Range
python3 "$SRC/tests/cli/range_server.py" "$SRV" "$TMP/port2" "$TMP/requests2" &
server2=$!
python3 "$SRC/tests/cli/range_server.py" "$SRV" "$TMP/port3" "$TMP/requests3" 0 norange &
server3=$!
trap 'kill $server $server2 $server3 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 50); do [ -s "$TMP/port" ] && [ -s "$TMP/port2" ] && [ -s "$TMP/port3" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$TMP/port")"
URL2="http://127.0.0.1:$(cat "$TMP/port2")"
URL3="http://127.0.0.1:$(cat "$TMP/port3")"
MD="$DOCENT_HOME/models"

t "pull --help lists the catalogue" contains "qwen2.5-0.5b-instruct" "$DOCENT" models pull --help
t "an interrupted download fails" expect_status 1 "$DOCENT" models pull --sha256 "$SUM_A" "$URL/model-a.gguf"
t "it leaves no model file" test ! -e "$MD/model-a.gguf"
t "it keeps the part to resume" test -s "$MD/model-a.gguf.part"
t "the next pull resumes" contains "resumed, checksum verified" "$DOCENT" models pull --sha256 "$SUM_A" "$URL/model-a.gguf"
t "with a Range request" grep -q "model-a.gguf bytes=" "$TMP/requests"
t "the file is whole" cmp "$MD/model-a.gguf" "$SRV/model-a.gguf"
t "pulling it again says it is there" expect_error 1 "already there" "$DOCENT" models pull "$URL/model-a.gguf"
"$DOCENT" models pull "$URL/model-b.gguf" >/dev/null 2>&1   # cut off once
t "a wrong checksum is refused" expect_error 1 "does not match its checksum" "$DOCENT" models pull --sha256 "$SUM_A" "$URL/model-b.gguf"
t "and the download is deleted" test ! -e "$MD/model-b.gguf" -a ! -e "$MD/model-b.gguf.part"
t "a missing file says so" expect_error 1 "not found" "$DOCENT" models pull "$URL/nothing.gguf"
printf '[tiny]\nurl = %s/model-c.gguf\nkind = chat\nabout = test\nsha256 = %s\n' "$URL" "$SUM_A" >"$TMP/cat.conf"
printf '[tiny-two]\nurl = %s/model-d.gguf\nkind = chat\nabout = test\n' "$URL2" >>"$TMP/cat.conf"
printf '[rerank-one]\nurl = %s/model-e.gguf\nkind = reranking\nabout = test\n' "$URL2" >>"$TMP/cat.conf"
printf '[not-pulled]\nurl = %s/model-f.gguf\nkind = chat\nabout = test\n' "$URL" >>"$TMP/cat.conf"
export DOCENT_MODELS_CATALOGUE="$TMP/cat.conf"
CONF="$TMP/user.conf"
export DOCENT_CONFIG="$CONF"
printf '# my settings\n[search]\n# more results\nk = 7\n' >"$CONF"
cp "$CONF" "$TMP/orig.conf"
"$DOCENT" models pull "$URL/model-c.gguf" >/dev/null 2>&1; rm -f "$MD/model-c.gguf.part"
t "a catalogue name resolves and becomes the default chat model" \
	contains "engine.chat_model = tiny (the default now, written to $CONF)" "$DOCENT" models pull tiny
t "written to the user's configuration file" grep -q "^chat_model = tiny$" "$CONF"
t "which keeps its comments and settings" sh -c 'head -4 "$0" | cmp - "$1"' "$CONF" "$TMP/orig.conf"
t "docent config reads it from there" sh -c '"$0" config >"$1" && grep -q "engine.chat_model *= *tiny" "$1"' "$DOCENT" "$TMP/cfg.out"
t "docent models shows it" contains "chat model:      tiny" "$DOCENT" models
t "another chat model does not replace it" contains "docent models use tiny-two" "$DOCENT" models pull tiny-two
t "the default stays" grep -q "^chat_model = tiny$" "$CONF"
t "a reranker becomes the reranking default" contains "engine.rerank_model = rerank-one" \
	"$DOCENT" models pull rerank
t "models use switches the default" contains "engine.chat_model = tiny-two (the default now" \
	"$DOCENT" models use tiny-two
t "in place: one chat_model line" sh -c 'test "$(grep -c "^chat_model" "$0")" -eq 1 && grep -q "^chat_model = tiny-two$" "$0"' "$CONF"
t "models use of a model not pulled says how to pull it" expect_error 1 "docent models pull not-pulled" \
	"$DOCENT" models use not-pulled
t "and fails" expect_status 1 "$DOCENT" models use not-pulled
t "models use of a GGUF file reads its kind" contains "engine.embed_model = $SRC/build/models/tiny-embed.gguf" \
	"$DOCENT" models use "$SRC/build/models/tiny-embed.gguf"
t "and mentions reindex" contains "docent reindex" "$DOCENT" models use "$SRC/build/models/tiny-embed.gguf"
t "a server model needs --as" expect_status 2 "$DOCENT" models use "http://127.0.0.1:8080/v1#m"
t "models use --as chat URL" contains "engine.chat_model = http://127.0.0.1:8080/v1#m" \
	"$DOCENT" models use --as chat "http://127.0.0.1:8080/v1#m"
t "models use --help" contains "Usage: docent models use" "$DOCENT" models use --help
t "a config file that did not exist is created" sh -c \
	'DOCENT_CONFIG="$1/new/docent.conf" "$0" models use tiny >/dev/null && grep -q "^chat_model = tiny$" "$1/new/docent.conf"' \
	"$DOCENT" "$TMP"
unset DOCENT_MODELS_CATALOGUE
t "an unknown name says how to list them" expect_error 1 "models pull --help" "$DOCENT" models pull no-such-model
t "a server that is down" expect_error 1 "run the same command again" "$DOCENT" models pull "http://127.0.0.1:9/x.gguf"
t "leaves nothing behind" test ! -e "$MD/x.gguf.part" -a ! -e "$MD/x.gguf.part.url"

# ---- nothing broken is installed ----
export DOCENT_CONFIG="$TMP/none.conf"
cp "$TINY/tiny-llama.gguf" "$SRV/model-g.gguf"
cp "$TINY/tiny-chat.gguf" "$SRV/model-h.gguf"
cp "$TINY/tiny-rerank-tmpl.gguf" "$SRV/model-i.gguf"
head -c 200000 /dev/urandom >"$SRV/random.gguf"
head -c 3000000 "$TINY/tiny-embed.gguf" >"$SRV/truncated.gguf"
printf 'GGUF not really a model\n' >"$SRV/badmeta.gguf"

# a stale .part from another URL is never resumed
head -c 500000 /dev/urandom >"$MD/model-g.gguf.part"
printf '%s' "$URL2/elsewhere/model-g.gguf" >"$MD/model-g.gguf.part.url"
t "a .part from another URL is not resumed" ok "saved" "$DOCENT" models pull "$URL2/model-g.gguf"
t "so no Range request was made" sh -c '! grep -q "model-g.gguf bytes=" "$0"' "$TMP/requests2"
t "and the file is whole" cmp "$MD/model-g.gguf" "$SRV/model-g.gguf"
t "the URL note is gone" test ! -e "$MD/model-g.gguf.part.url"
# a .part without its URL note (an older docent's) is not trusted either
rm -f "$MD/model-g.gguf"
head -c 500000 /dev/urandom >"$MD/model-g.gguf.part"
t "a .part without a URL note is not resumed" ok "saved" "$DOCENT" models pull "$URL2/model-g.gguf"
t "and the file is whole (2)" cmp "$MD/model-g.gguf" "$SRV/model-g.gguf"

# a .part larger than the remote file (same URL) is discarded, not installed
{ cat "$SRV/model-h.gguf"; head -c 1000 /dev/urandom; } >"$MD/model-h.gguf.part"
printf '%s' "$URL2/model-h.gguf" >"$MD/model-h.gguf.part.url"
t "a .part larger than the file starts over" ok "saved" "$DOCENT" models pull "$URL2/model-h.gguf"
t "and the file is the remote one" cmp "$MD/model-h.gguf" "$SRV/model-h.gguf"

# a server without range support: a stale .part restarts cleanly, every run
head -c 700000 "$SRV/model-i.gguf" >"$MD/model-i.gguf.part"
printf '%s' "$URL3/model-i.gguf" >"$MD/model-i.gguf.part.url"
t "a server that ignores Range: the download restarts" ok "saved" "$DOCENT" models pull "$URL3/model-i.gguf"
t "and the file is whole (3)" cmp "$MD/model-i.gguf" "$SRV/model-i.gguf"
t "the server was asked for a range" grep -q "model-i.gguf bytes=700000-" "$TMP/requests3"

# files that are not whole GGUF models are deleted, with a message
t "a file that is not GGUF fails" expect_status 1 "$DOCENT" models pull "$URL2/random.gguf"
t "it says why" expect_error 1 "not a GGUF file" "$DOCENT" models pull "$URL2/random.gguf"
t "and installs nothing" test ! -e "$MD/random.gguf" -a ! -e "$MD/random.gguf.part"
t "a truncated GGUF fails" expect_error 1 "is truncated: its tensors end" "$DOCENT" models pull "$URL2/truncated.gguf"
t "and installs nothing (2)" test ! -e "$MD/truncated.gguf" -a ! -e "$MD/truncated.gguf.part"
t "unreadable GGUF metadata fails" expect_error 1 "metadata cannot be read" "$DOCENT" models pull "$URL2/badmeta.gguf"
t "and installs nothing (3)" test ! -e "$MD/badmeta.gguf" -a ! -e "$MD/badmeta.gguf.part"

# a malformed --sha256 fails before downloading
t "a malformed --sha256 is a usage error" expect_status 2 "$DOCENT" models pull --sha256 abc123 "$URL2/model-j.gguf"
t "naming the option" expect_error 2 "not 64 hexadecimal digits" "$DOCENT" models pull --sha256 "$SUM_A"x "$URL2/model-j.gguf"
t "and nothing was requested" sh -c '! grep -q "model-j.gguf" "$0"' "$TMP/requests2"
t "nor written" test ! -e "$MD/model-j.gguf.part"
t "a 404 leaves nothing behind" test ! -e "$MD/nothing.gguf.part" -a ! -e "$MD/nothing.gguf.part.url"

finish
