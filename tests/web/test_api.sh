#!/bin/sh
# test_api.sh - `docent serve` and the JSON API, driven over HTTP on
# 127.0.0.1 (a port the system picks): every library endpoint, the error
# paths (bad JSON, unknown route, wrong method, bodies and uploads over the
# limit), the token rule, a slow client dropped by the idle timeout while
# others are served, SIGTERM, and searches while `docent ingest` writes.
. "$(dirname "$0")/../cli/lib.sh"

# ---- helpers ----

# start_server [VAR=VALUE...] [-- SERVE-ARGS...]: serve in the background;
# sets PID, PORT and B (the base URL); the log is $TMP/serve.log
start_server() {
	_env=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do _env="$_env $1"; shift; done
	[ "${1:-}" = "--" ] && shift
	: >"$TMP/serve.log"
	env $_env "$DOCENT" serve --port 0 "$@" 2>"$TMP/serve.log" &
	PID=$!
	_i=0
	while ! grep -q 'serving http' "$TMP/serve.log" && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	PORT=$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/serve.log")
	B="http://127.0.0.1:$PORT"
	[ -n "$PORT" ] || { echo "the server did not start:"; cat "$TMP/serve.log"; }
}

# stop_server: SIGTERM, and the server's exit status is 0
stop_server() {
	kill -TERM "$PID"
	wait "$PID"
	_st=$?
	[ "$_st" -eq 0 ] || { echo "serve exited $_st"; cat "$TMP/serve.log"; return 1; }
}

# http STATUS METHOD PATH [CURL-ARGS...]: the response has that status and
# the server's log no sanitizer report; the body is in $TMP/body
http() {
	_want=$1 _m=$2 _p=$3
	shift 3
	_got=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$_m" "$@" "$B$_p")
	cat "$TMP/body"
	echo
	[ "$_got" = "$_want" ] || { echo "status $_got, expected $_want"; return 1; }
	if grep -E -q 'Sanitizer|runtime error:' "$TMP/serve.log"; then
		echo "sanitizer report:"; cat "$TMP/serve.log"; return 1
	fi
}

# hjson STATUS PYTHON METHOD PATH [CURL-ARGS...]: as http, and the JSON
# body (d) and headers (h, lower-case names) pass the assertions
hjson() {
	_st=$1 _py=$2
	shift 2
	http "$_st" "$@" || return 1
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
h = {}
for line in open(sys.argv[2], encoding='latin-1'):
    if ':' in line:
        k, v = line.split(':', 1)
        h[k.strip().lower()] = v.strip()
$_py" "$TMP/body" "$TMP/headers"
}

# ---- documents to search ----

mkdir -p "$TMP/docs" "$TMP/more"
cat >"$TMP/docs/leave.md" <<'EOF'
# Leave policy

## Annual leave

Every employee gets 25 days of annual leave. Up to five unused days carry
over into the next year when the quokkaberry form is filed by March.

## Sick leave

Sick leave needs a note from a doctor after three days.
EOF
printf 'The cafeteria opens at eight. Lunch is served until two.\n' >"$TMP/docs/food.txt"
for i in $(seq 1 300); do
	printf 'Report %d on turbine maintenance, bearings and vibration limits.\n\nThe inspection of unit %d found wear on the gearbox seals.\n' "$i" "$i" \
		>"$TMP/more/report-$i.txt"
done
t "ingest the test documents" ok "Ingested" "$DOCENT" ingest "$TMP/docs"
"$DOCENT" ingest -c other "$TMP/docs/food.txt" >/dev/null 2>&1

# ---- the server ----

start_server DOCENT_SERVER_MAX_BODY=2000 DOCENT_SERVER_MAX_UPLOAD=200k DOCENT_SERVER_TIMEOUT=2
t "serve prints where it listens" test -n "$PORT"

t "health" hjson 200 'assert d["status"] == "ok" and d["version"]
assert "script-src '"'"'self'"'"'" in h["content-security-policy"], h
assert "frame-ancestors '"'"'none'"'"'" in h["content-security-policy"]
assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer"
assert h["content-type"].startswith("application/json")' GET /api/health
t "the page is served at /" http 200 GET / 
t "... as HTML with a Cache-Control and the CSP" sh -c 'grep -qi "^content-type: text/html" "$0" &&
	grep -qi "^cache-control:" "$0" && grep -qi "^content-security-policy:" "$0"' "$TMP/headers"
t "HEAD of the page" sh -c 'curl -s -I "$0/" | grep -q "^HTTP/1.1 200"' "$B"
t "an asset that does not exist is a plain 404" http 404 GET /nothing.js
t "... not JSON" sh -c '! grep -q "{" "$0"' "$TMP/body"
t "an asset takes GET and HEAD only" http 405 POST /index.html
t "an unknown API path is a 404 with a code" hjson 404 \
	'assert d["error"]["code"] == "not_found" and d["error"]["message"]' GET /api/nothing
t "a wrong method is a 405 with Allow" hjson 405 \
	'assert d["error"]["code"] == "method_not_allowed"; assert "GET" in h["allow"]' PUT /api/collections

# collections
t "collections list" hjson 200 'names = {c["name"]: c for c in d["collections"]}
assert set(names) == {"default", "other"}, names
c = names["default"]
assert c["documents"] == 2 and c["chunks"] > 0 and c["vectors"] == 0 and c["embedding_model"] is None' \
	GET /api/collections
t "create a collection" hjson 201 'assert d == {"name": "notes"}' POST /api/collections \
	-H 'Content-Type: application/json' -d '{"name":"notes"}'
t "creating it again is a conflict" hjson 409 'assert d["error"]["code"] == "conflict"' \
	POST /api/collections -d '{"name":"notes"}'
t "a malformed body is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"
assert "JSON" in d["error"]["message"]' POST /api/collections -d '{"name":'
t "a body without a name is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"' \
	POST /api/collections -d '[1,2]'
t "a name with a slash is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"' \
	POST /api/collections -d '{"name":"a/b"}'
t "a body over server.max_body is a 413" hjson 413 'assert d["error"]["code"] == "too_large"' \
	POST /api/collections -d "{\"name\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}"
t "... also when sent in chunks (no length given)" hjson 413 \
	'assert d["error"]["code"] == "too_large"' POST /api/collections \
	-H 'Transfer-Encoding: chunked' -d "{\"name\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}"
t "remove a collection" hjson 200 'assert d == {"removed": "notes"}' DELETE /api/collections/notes
t "removing it again is a 404" hjson 404 'assert d["error"]["code"] == "not_found"' \
	DELETE /api/collections/notes

# documents
t "documents list" hjson 200 'assert d["total"] == 3 and d["offset"] == 0 and d["limit"] == 50
doc = [x for x in d["documents"] if x["path"].endswith("leave.md")][0]
for k in ("id","collection","path","title","format","pages","size","status","error","chunks","ingested_at"):
    assert k in doc, k
assert doc["status"] == "ok" and doc["format"] == "markdown" and doc["chunks"] >= 1' GET /api/documents
t "documents paged" hjson 200 'assert d["total"] == 3 and len(d["documents"]) == 1 and d["offset"] == 1' \
	GET '/api/documents?offset=1&limit=1'
t "documents of a collection" hjson 200 'assert d["total"] == 1
assert d["documents"][0]["collection"] == "other"' GET '/api/documents?collection=other'
t "documents by status" hjson 200 'assert d["total"] == 0' GET '/api/documents?status=error'
t "a limit over 500 is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"' \
	GET '/api/documents?limit=501'
t "an unknown collection is a 404" hjson 404 'assert d["error"]["code"] == "not_found"' \
	GET '/api/documents?collection=nope'

# search
t "search" hjson 200 'assert d["query"] == "quokkaberry form" and d["mode"] == "bm25"
r = d["results"][0]
for k in ("rank","score","chunk_id","document_id","collection","path","title","page","heading","start_byte","end_byte","snippet"):
    assert k in r, k
assert r["path"].endswith("leave.md") and r["rank"] == 1 and "quokkaberry" in r["snippet"]
assert d["timings"]["total_ms"] >= 0
open(sys.argv[1] + ".hit", "w").write("%d %d %d" % (r["document_id"], r["start_byte"], r["end_byte"]))' \
	GET '/api/search?q=quokkaberry+form'
set -- $(cat "$TMP/body.hit")
DOC=$1 START=$2 END=$3
t "search in one collection, k and group" hjson 200 'assert len(d["results"]) == 1
assert d["results"][0]["collection"] == "other"' GET '/api/search?q=cafeteria+lunch&collection=other&k=1&group=1'
t "search without q is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"' GET /api/search
t "search with a bad mode is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"' \
	GET '/api/search?q=x&mode=magic'
t "search with k=0 is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"' \
	GET '/api/search?q=x&k=0'
t "dense search without an embedding model is a 400" hjson 400 \
	'assert "embedding model" in d["error"]["message"]' GET '/api/search?q=x&mode=dense'
t "search of an unknown collection is a 404" hjson 404 'assert d["error"]["code"] == "not_found"' \
	GET '/api/search?q=x&collection=nope'
t "search of operators and quotes is fine" hjson 200 'assert "results" in d' \
	GET '/api/search?q=%22NEAR(%20OR%20*%20-%22'

# the text around a span
t "the text of a search hit" hjson 200 "assert d['document']['id'] == $DOC
assert d['document']['path'].endswith('leave.md') and d['document']['format'] == 'markdown'
assert d['start_byte'] == $START and d['end_byte'] == $END
assert 'quokkaberry' in d['text'], d
assert d['before'] or d['after']
assert 'heading' in d and 'page' in d" GET "/api/documents/$DOC/text?start=$START&end=$END&context=200"
t "the text with no context" hjson 200 'assert d["before"] == "" and d["after"] == ""' \
	GET "/api/documents/$DOC/text?start=$START&end=$END&context=0"
t "without an end, the passage the start is in" hjson 200 "assert d['start_byte'] == $START and d['end_byte'] == $END" \
	GET "/api/documents/$DOC/text?start=$START"
t "without a span, the first passage" hjson 200 'assert d["end_byte"] > d["start_byte"] and d["text"].startswith("Annual leave")
assert d["before"] == "" and d["after"].startswith("\n\nSick leave"), d' \
	GET "/api/documents/$DOC/text"
t "a span beyond the text is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"' \
	GET "/api/documents/$DOC/text?start=0&end=99999999"
t "the text of a missing document is a 404" hjson 404 'assert d["error"]["code"] == "not_found"' \
	GET /api/documents/999999/text
t "a document id that is not a number is a 400" hjson 400 \
	'assert d["error"]["code"] == "bad_request"' GET /api/documents/abc/text

# upload
printf 'The zorblax engine runs on recycled starlight.\n' >"$TMP/zorblax.txt"
printf '# Notes\n\nMeeting about the flibbertigibbet budget.\n' >"$TMP/notes.md"
t "upload two files, one named with ../" hjson 202 'assert d["job"] >= 1
assert d["files"] == ["zorblax.txt", "evil.md"], d
open(sys.argv[1] + ".job", "w").write(str(d["job"]))' POST '/api/documents?collection=up' \
	-F "file=@$TMP/zorblax.txt" -F "file=@$TMP/notes.md;filename=../../evil.md"
JOB=$(cat "$TMP/body.job")
i=0
while [ $i -lt 100 ]; do
	curl -s "$B/api/jobs/$JOB" | grep -q '"state":"done"' && break
	sleep 0.1
	i=$((i + 1))
done
t "the upload job finishes" hjson 200 'assert d["state"] == "done" and d["total"] == 2
assert d["done"] == 2 and d["added"] == 2 and d["failed"] == 0
assert [f["status"] for f in d["files"]] == ["added", "added"]' GET "/api/jobs/$JOB"
t "the job's events end with done" sh -c 'curl -s -N --max-time 5 "$0" >"$1" &&
	grep -q "^event: done" "$1" && grep -q "^data: {" "$1"' "$B/api/jobs/$JOB/events" "$TMP/events"
t "an unknown job is a 404" hjson 404 'assert d["error"]["code"] == "not_found"' GET /api/jobs/4242
t "uploads are saved in DATA_DIR/uploads/COLLECTION with safe names" \
	sh -c 'test -f "$0/uploads/up/zorblax.txt" && test -f "$0/uploads/up/evil.md" &&
	! test -e "$0/evil.md" && ! ls "$0"/uploads/.upload-* 2>/dev/null' "$DOCENT_HOME"
t "uploaded text is searchable" hjson 200 'assert d["results"][0]["path"].endswith("uploads/up/zorblax.txt")
open(sys.argv[1] + ".doc", "w").write(str(d["results"][0]["document_id"]))' \
	GET '/api/search?q=zorblax&collection=up'
UPDOC=$(cat "$TMP/body.doc")
printf 'first copy\n' >"$TMP/dup1.txt"
printf 'second copy\n' >"$TMP/dup2.txt"
t "two parts with one name are both kept" hjson 202 'assert d["files"] == ["dup.txt", "dup-2.txt"], d' \
	POST '/api/documents?collection=up' -F "file=@$TMP/dup1.txt;filename=dup.txt" \
	-F "file=@$TMP/dup2.txt;filename=dup.txt"
t "an upload that is not multipart is a 415" hjson 415 \
	'assert d["error"]["code"] == "unsupported_media_type"' POST /api/documents \
	-H 'Content-Type: application/json' -d '{}'
t "an upload without a file is a 400" hjson 400 'assert d["error"]["code"] == "bad_request"' \
	POST /api/documents -F 'other=1'
head -c 300000 /dev/zero | tr '\0' a >"$TMP/big.txt"
t "an upload over server.max_upload is a 413" hjson 413 'assert d["error"]["code"] == "too_large"' \
	POST /api/documents -F "file=@$TMP/big.txt"
t "... and leaves no temporary file" sh -c '! ls "$0"/uploads/.upload-* 2>/dev/null' "$DOCENT_HOME"
t "a file named .. is refused" hjson 400 'assert d["error"]["code"] == "bad_request"' \
	POST /api/documents -F "file=@$TMP/notes.md;filename=.."

# removal
t "remove a document" hjson 200 "assert d == {'removed': $UPDOC}" DELETE "/api/documents/$UPDOC"
t "... it is gone" hjson 404 'assert d["error"]["code"] == "not_found"' DELETE "/api/documents/$UPDOC"
t "... and so is its uploaded file" sh -c '! test -e "$0/uploads/up/zorblax.txt"' "$DOCENT_HOME"
t "... and it is no longer found" hjson 200 'assert d["results"] == []' \
	GET '/api/search?q=zorblax&collection=up'

# conversations (stored by docent chat)
echo "how many days of annual leave carry over?" | "$DOCENT" chat >/dev/null 2>&1
t "conversations list" hjson 200 'c = d["conversations"]
assert len(c) == 1 and c[0]["turns"] == 1 and "annual leave" in c[0]["title"]
for k in ("id","title","collection","turns","updated_at"):
    assert k in c[0], k
open(sys.argv[1] + ".conv", "w").write(str(c[0]["id"]))' GET /api/conversations
CONV=$(cat "$TMP/body.conv")
t "a conversation" hjson 200 "assert d['id'] == $CONV and d['title']
m = d['messages']
assert [x['role'] for x in m] == ['user', 'assistant'], m
assert isinstance(m[1]['citations'], list) and m[1]['content']" GET "/api/conversations/$CONV"
t "delete a conversation" hjson 200 "assert d == {'removed': $CONV}" DELETE "/api/conversations/$CONV"
t "... it is gone" hjson 404 'assert d["error"]["code"] == "not_found"' GET "/api/conversations/$CONV"

# a slow client holds nothing: dropped after the idle timeout (2 s here)
python3 - "$PORT" >"$TMP/slow" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"G")
t0 = time.time()
s.settimeout(15)
try:
    data = s.recv(100)
except (ConnectionResetError, socket.timeout) as e:
    data = str(e).encode()
print("closed after %.1f s: %r" % (time.time() - t0, data))
EOF
SLOW=$!
sleep 0.5
t "another request is served while a slow client stalls" hjson 200 'assert d["status"] == "ok"' \
	GET /api/health
wait $SLOW
t "the slow client is dropped after the timeout" sh -c 'cat "$0"; grep -Eq "closed after [2-6]\.[0-9] s: b.." "$0"' "$TMP/slow"

# searches while docent ingest writes to the same database
"$DOCENT" ingest -q -c bulk "$TMP/more" >"$TMP/ingest.out" 2>&1 &
ING=$!
: >"$TMP/codes"
n=0
while kill -0 $ING 2>/dev/null || [ $n -lt 20 ]; do
	curl -s -o "$TMP/sbody" -w '%{http_code}\n' "$B/api/search?q=turbine+gearbox+seals" >>"$TMP/codes"
	grep -qi 'locked' "$TMP/sbody" && echo locked >>"$TMP/codes"
	n=$((n + 1))
	[ $n -ge 2000 ] && break
done
wait $ING
ING_ST=$?
t "docent ingest ran beside the server" sh -c 'cat "$0"; [ "$1" -eq 0 ]' "$TMP/ingest.out" "$ING_ST"
t "every search during the ingest answered 200" sh -c 'sort "$0" | uniq -c; [ "$(grep -cv "^200$" "$0")" -eq 0 ]' "$TMP/codes"
t "... and none said 'database is locked'" sh -c '! grep -qi locked "$0" "$1"' "$TMP/codes" "$TMP/serve.log"
t "... and the new documents are found" hjson 200 'assert len(d["results"]) == 10' \
	GET '/api/search?q=turbine+gearbox&collection=bulk'

t "the access log has method, path (no query), status and time" \
	sh -c 'grep -Eq "^docent: GET /api/search 200 [0-9.]+ ms$" "$0" && ! grep -q "quokkaberry" "$0"' \
	"$TMP/serve.log"
t "SIGTERM stops the server with status 0" stop_server
t "... after saying so" contains "stopped" cat "$TMP/serve.log"

# connections: accepted by the server's own thread and shared among MHD's,
# the limits still apply (server.max_per_ip 2 here)
start_server DOCENT_SERVER_MAX_PER_IP=2
t "two connections from one address are served, a third is closed, a fourth after one left is served" \
	python3 - "$PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
def ask(s):
    s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    s.settimeout(5)
    try:
        d = s.recv(4096)
    except ConnectionResetError:
        d = b""
    return d.split(b"\r\n")[0] if d else b"closed"
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
time.sleep(0.3)
got = [ask(c) for c in cs]
print(got)
assert got == [b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"closed"], got
cs[0].close()
time.sleep(0.3)
got = ask(socket.create_connection(("127.0.0.1", port)))
assert got == b"HTTP/1.1 200 OK", got
EOF
t "... and the limit was logged" contains "connection limit" cat "$TMP/serve.log"
t "stop" stop_server
start_server DOCENT_SERVER_MAX_CONNECTIONS=2
t "with server.max_connections open, a new connection waits, and is served once one closes" \
	python3 - "$PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
ask = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
for c in cs:
    c.sendall(ask)
    c.settimeout(5)
    assert c.recv(4096).startswith(b"HTTP/1.1 200 OK")
third = socket.create_connection(("127.0.0.1", port))
third.sendall(ask)
third.settimeout(1)
try:
    got = third.recv(4096)
except socket.timeout:
    got = None
assert got is None, got  # not refused, not answered: waiting
cs[0].close()
third.settimeout(5)
got = third.recv(4096)
assert got.startswith(b"HTTP/1.1 200 OK"), got
EOF
t "stop" stop_server
start_server DOCENT_SERVER_WORKERS=2
t "64 connections opened at once are all served, twice each; 64 more at once as those close; shared evenly between the 2 threads" \
	python3 - "$PORT" "$PID" <<'EOF'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def serve(cs, times):
    for _ in range(times):
        for c in cs:
            c.sendall(b"GET /api/search?q=leave HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for c in cs:
            c.settimeout(10)
            d = b""
            while b"\r\n\r\n" not in d:
                d += c.recv(65536)
            assert d.startswith(b"HTTP/1.1 200 OK"), d[:100]
            head, body = d.split(b"\r\n\r\n", 1)
            n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
            while len(body) < n:
                body += c.recv(65536)
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
serve(cs, 2)
# as a load generator's second run: the old connections close while the
# new ones open (left to MHD, one thread took 58 of 64 then)
for c in cs:
    c.close()
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
serve(cs, 1)
time.sleep(0.5)
# each MHD thread's epoll set: its connections and its wake-up descriptor
sets = []
for fd in os.listdir(f"/proc/{pid}/fd"):
    if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[eventpoll]":
        with open(f"/proc/{pid}/fdinfo/{fd}") as f:
            sets.append(sum(1 for l in f if l.startswith("tfd:")) - 1)
print("connections per thread:", sets)
assert len(sets) == 2 and sum(sets) == 64 and max(sets) <= 36, sets
EOF
t "stop" stop_server

# few open files allowed: the server serves as many connections as they
# leave room for, says so, and keeps the others waiting until some close
printf '#!/bin/sh\nulimit -n 40\nexec "%s" "$@"\n' "$DOCENT" >"$TMP/docent-40-files"
chmod +x "$TMP/docent-40-files"
_docent=$DOCENT
DOCENT="$TMP/docent-40-files"
start_server DOCENT_SERVER_WORKERS=1
DOCENT=$_docent
t "with 40 open files at most, 60 connections at once are all served as others close" \
	python3 - "$PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
for c in cs:
    c.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    c.settimeout(0.05)
def answered():
    got = []
    for i in sorted(waiting):
        try:
            d = cs[i].recv(4096)
        except socket.timeout:
            continue
        assert d.startswith(b"HTTP/1.1 200 OK"), (i, d[:80])
        waiting.discard(i)
        got.append(i)
    return got
waiting = set(range(60))
time.sleep(1)
first = answered()
print("answered at first:", len(first))
assert len(first) == 8, first  # the others wait: not refused, not answered
deadline = time.time() + 20
while waiting and time.time() < deadline:
    for i in first:
        cs[i].close()  # room for others
    first = answered()
assert not waiting, sorted(waiting)
EOF
t "... and the log says why some waited" contains "serving at most 8 connections at once" \
	cat "$TMP/serve.log"
t "stop" stop_server
# a soft limit below what the connections need, a hard one above: serve
# raises the soft one and serves them all
printf '#!/bin/sh\nulimit -S -n 40\nexec "%s" "$@"\n' "$DOCENT" >"$TMP/docent-soft-40"
chmod +x "$TMP/docent-soft-40"
if [ "$(ulimit -H -n)" = unlimited ] || [ "$(ulimit -H -n)" -ge 200 ]; then
	DOCENT="$TMP/docent-soft-40"
	start_server
	DOCENT=$_docent
	t "with a soft limit of 40 open files, serve raises it for its 128 connections" \
		sh -c 'awk "/Max open files/ { exit !(\$4 >= 160) }" /proc/$0/limits' "$PID"
	t "... without a word of serving fewer" sh -c '! grep -q "serving at most" "$0"' "$TMP/serve.log"
	t "stop" stop_server
fi

# ---- a collection with vectors: hybrid search with its own model ----

M="$SRC/build/models/tiny-embed.gguf"
[ -f "$M" ] || { echo "missing $M: run 'make tiny-models'"; exit 1; }
mkdir -p "$DOCENT_HOME/models" "$TMP/vec"
cp "$M" "$DOCENT_HOME/models/tiny-embed.gguf"
printf 'Employees get twenty-five days of paid annual leave each year.\n' >"$TMP/vec/leave.txt"
printf 'Laptops are replaced every three years by the IT service desk.\n' >"$TMP/vec/laptops.txt"
t "ingest a collection with embeddings" ok "Embedded" \
	env DOCENT_EMBED_MODEL="$DOCENT_HOME/models/tiny-embed.gguf" "$DOCENT" ingest -c vec "$TMP/vec"
start_server
t "the collection's model is listed" hjson 200 'c = [c for c in d["collections"] if c["name"] == "vec"][0]
assert c["vectors"] == 2 and c["embedding_model"] == "tiny-embed.gguf", c' GET /api/collections
t "search of it is hybrid, with the collection's own model" hjson 200 'assert d["mode"] == "hybrid", d
assert d["results"][0]["path"].endswith("leave.txt")' GET '/api/search?q=annual+leave&collection=vec'
t "dense search" hjson 200 'assert d["mode"] == "dense" and len(d["results"]) == 2' \
	GET '/api/search?q=laptops&collection=vec&mode=dense'
# many at once: one model shared by the connections, a call at a time
pids=""
for i in $(seq 1 16); do
	curl -s -o /dev/null -w '%{http_code}\n' "$B/api/search?q=leave+$i&collection=vec&mode=hybrid" \
		>"$TMP/par.$i" &
	pids="$pids $!"
done
wait $pids
t "sixteen hybrid searches at once all answer" sh -c 'cat "$0"/par.* | sort | uniq -c; [ "$(cat "$0"/par.* | grep -c "^200$")" -eq 16 ]' "$TMP"
printf 'The quarterly offsite is in the mountains this spring.\n' >"$TMP/offsite.txt"
t "an upload into it" hjson 202 'assert d["files"] == ["offsite.txt"]
open(sys.argv[1] + ".job", "w").write(str(d["job"]))' POST '/api/documents?collection=vec' \
	-F "file=@$TMP/offsite.txt"
JOB=$(cat "$TMP/body.job")
i=0
while [ $i -lt 100 ]; do
	curl -s "$B/api/jobs/$JOB" | grep -q '"state":"done"' && break
	sleep 0.1
	i=$((i + 1))
done
t "... is embedded with the collection's model" hjson 200 'c = [c for c in d["collections"] if c["name"] == "vec"][0]
assert c["vectors"] == 3, c' GET /api/collections
t "... and found by meaning" hjson 200 'assert len(d["results"]) == 3' \
	GET '/api/search?q=mountains&collection=vec&mode=dense'
t "remove a document with vectors" hjson 200 'assert "removed" in d' \
	DELETE "/api/documents/$(curl -s "$B/api/documents?collection=vec" | python3 -c 'import json,sys; print([x["id"] for x in json.load(sys.stdin)["documents"] if x["path"].endswith("laptops.txt")][0])')"
t "... its vector goes too" hjson 200 'assert d["mode"] == "dense" and len(d["results"]) == 2, d' \
	GET '/api/search?q=laptops&collection=vec&mode=dense'
# a client stalled in the middle of its body does not hold the shutdown up
python3 - "$PORT" <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /api/collections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          b"Content-Length: 1000\r\n\r\n{\"name\":")
time.sleep(20)
EOF
STALL=$!
sleep 0.5
t0=$(date +%s)
t "SIGTERM with a client stalled mid-body: status 0" stop_server
t "... at once, not after the wait for requests in progress" sh -c 'echo "$(( $(date +%s) - $0 )) s"; [ $(( $(date +%s) - $0 )) -le 3 ]' "$t0"
kill $STALL 2>/dev/null

# ---- other sites: DNS rebinding and cross-site requests ----
start_server
t "without a token, a Host that is not localhost is refused (DNS rebinding)" hjson 403 \
	'assert d["error"]["code"] == "forbidden" and "localhost" in d["error"]["message"], d' \
	GET /api/collections -H 'Host: rebound.example:8080'
t "... localhost by name is served" hjson 200 'assert "collections" in d' \
	GET /api/collections -H 'Host: localhost'
t "a change asked by another site's page is refused" hjson 403 \
	'assert d["error"]["code"] == "forbidden" and "another site" in d["error"]["message"], d' \
	POST /api/collections -H 'Origin: http://evil.example' -H 'Content-Type: application/json' \
	--data '{"name":"csrf"}'
t "... and nothing was made" hjson 200 'assert "csrf" not in [c["name"] for c in d["collections"]]' \
	GET /api/collections
t "... an upload from another site too" hjson 403 'assert d["error"]["code"] == "forbidden"' \
	POST /api/documents -H 'Origin: null' -F "file=@$TMP/offsite.txt"
t "the page's own origin may change things" sh -c 'port=${0##*:}; curl -s -o /dev/null -w "%{http_code}" -X POST \
	-H "Origin: http://127.0.0.1:$port" -H "Content-Type: application/json" --data "{\"name\":\"same\"}" \
	"$0/api/collections" | grep -q "^201$"' "$B"
t "... a search from another site's page is not a change, but gets no CORS headers" sh -c 'curl -s -D - -o /dev/null \
	-H "Origin: http://evil.example" "$0/api/search?q=x" | grep -q "^HTTP/1.1 200" &&
	! curl -s -D - -o /dev/null -H "Origin: http://evil.example" "$0/api/search?q=x" | grep -qi "access-control"' "$B"
t "stop" stop_server

# ---- the token ----

start_server DOCENT_TOKEN=s3cret-token
t "with a token, a request without it is a 401" hjson 401 \
	'assert d["error"]["code"] == "unauthorized"' GET /api/health
t "... with a wrong one too" hjson 401 'assert d["error"]["code"] == "unauthorized"' \
	GET /api/health -H 'Authorization: Bearer s3cret-tokex'
t "... and a longer one" hjson 401 'assert d["error"]["code"] == "unauthorized"' \
	GET /api/health -H 'Authorization: Bearer s3cret-token-and-more'
t "... the right one passes" hjson 200 'assert d["status"] == "ok"' \
	GET /api/health -H 'Authorization: Bearer s3cret-token'
t "... an unknown route is still a 401 without the token" hjson 401 \
	'assert d["error"]["code"] == "unauthorized"' GET /v1/models
t "... assets need no token" http 200 GET /
t "docent config does not show the token" sh -c 'DOCENT_TOKEN=s3cret-token "$0" config | grep "^server.token" | grep -q "not shown" &&
	! DOCENT_TOKEN=s3cret-token "$0" config --json | grep -q s3cret' "$DOCENT"
t "... the token is never logged" sh -c '! grep -q "s3cret" "$0"' "$TMP/serve.log"
t "SIGTERM again" stop_server

printf 'file-token-42\n' >"$TMP/token"
start_server -- --token-file "$TMP/token"
t "--token-file sets the token" hjson 200 'assert d["status"] == "ok"' \
	GET /api/health -H 'Authorization: Bearer file-token-42'
t "... and it is required" http 401 GET /api/health
t "SIGTERM once more" stop_server

t "a non-loopback address without a token is refused" expect_status 1 \
	"$DOCENT" serve --host 0.0.0.0 --port 0
t "... saying how to set one" expect_error 1 "DOCENT_TOKEN" "$DOCENT" serve --host 0.0.0.0 --port 0
t "serve --help" ok "--token-file" "$DOCENT" serve --help
t "a bad port is a usage error" expect_status 2 "$DOCENT" serve --port 99999

finish
