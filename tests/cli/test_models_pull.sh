#!/bin/sh
# test_models_pull.sh - `docent models pull` against a local HTTP server:
# a whole download, a checksum, a download cut off and resumed, a wrong
# checksum, a missing file, a catalogue name, and a server that is down.
. "$(dirname "$0")/lib.sh"

SRV="$TMP/srv"
mkdir -p "$SRV"
head -c 3000000 /dev/urandom >"$SRV/model-a.gguf"
head -c 2000000 /dev/urandom >"$SRV/model-b.gguf"
cp "$SRV/model-a.gguf" "$SRV/model-c.gguf"
SUM_A=$(sha256sum "$SRV/model-a.gguf" | cut -d' ' -f1)
SUM_B=$(sha256sum "$SRV/model-b.gguf" | cut -d' ' -f1)

# the server cuts the first transfer of each file after 1 MB
python3 "$SRC/tests/cli/range_server.py" "$SRV" "$TMP/port" "$TMP/requests" 1000000 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$TMP/port")"
MD="$DOCENT_HOME/models"

t "pull --help lists the catalogue" contains "qwen2.5-0.5b-instruct" "$DOCENT" models pull --help
t "an interrupted download fails" expect_status 1 "$DOCENT" models pull --sha256 "$SUM_A" "$URL/model-a.gguf"
t "it leaves no model file" test ! -e "$MD/model-a.gguf"
t "it keeps the part to resume" test -s "$MD/model-a.gguf.part"
t "the next pull resumes" contains "resumed, checksum verified" "$DOCENT" models pull --sha256 "$SUM_A" "$URL/model-a.gguf"
t "with a Range request" grep -q "model-a.gguf bytes=" "$TMP/requests"
t "the file is whole" cmp "$MD/model-a.gguf" "$SRV/model-a.gguf"
t "pulling it again says it is there" contains "already there" "$DOCENT" models pull "$URL/model-a.gguf"
"$DOCENT" models pull "$URL/model-b.gguf" >/dev/null 2>&1   # cut off once
t "a wrong checksum is refused" contains "does not match its checksum" "$DOCENT" models pull --sha256 "$SUM_A" "$URL/model-b.gguf"
t "and the download is deleted" test ! -e "$MD/model-b.gguf" -a ! -e "$MD/model-b.gguf.part"
t "a missing file says so" contains "not found" "$DOCENT" models pull "$URL/nothing.gguf"
printf '[tiny]\nurl = %s/model-c.gguf\nkind = chat\nabout = test\nsha256 = %s\n' "$URL" "$SUM_A" >"$TMP/cat.conf"
"$DOCENT" models pull "$URL/model-c.gguf" >/dev/null 2>&1; rm -f "$MD/model-c.gguf.part"
t "a catalogue name resolves" contains "use it: set engine.chat_model = model-c.gguf" \
	env DOCENT_MODELS_CATALOGUE="$TMP/cat.conf" "$DOCENT" models pull tiny
t "an unknown name says how to list them" contains "models pull --help" "$DOCENT" models pull no-such-model
t "a server that is down" contains "run the same command again" "$DOCENT" models pull "http://127.0.0.1:9/x.gguf"

finish
