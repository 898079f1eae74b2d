#!/bin/sh
# test_mcp.sh - `docent mcp` end to end: the official MCP TypeScript SDK
# client (tests/web/mcp_client.mjs) spawning the server on a data directory
# filled by `docent ingest`: tools listed, search, ask (extractive), read,
# errors; raw JSON-RPC exchanges over a pipe for clients of 2025-06-18 and
# 2024-11-05; stdout holding protocol messages only; and, with the tiny
# models, a written answer, hybrid search and a cancelled ask.
. "$(dirname "$0")/../cli/lib.sh"

NODE_SDK="$SRC/web/node_modules/@modelcontextprotocol/sdk"
if ! command -v node >/dev/null 2>&1 || [ ! -d "$NODE_SDK" ]; then
	echo "node or $NODE_SDK is missing: run scripts/bootstrap.sh"
	[ -n "${CI:-}" ] && exit 1
	finish
fi

# the handbook every answer test asks about
D="$TMP/docs"
mkdir -p "$D"
cp "$SRC/tests/fixtures/handbook/leave.md" "$SRC/tests/fixtures/handbook/laptops.txt" "$D/"

t "mcp --help" ok "mcpServers" "$DOCENT" mcp --help
t "mcp takes no arguments" expect_status 2 "$DOCENT" mcp extra
t "no database: exit 1, saying how to make one" sh -c '
out=$("$0" mcp </dev/null 2>"$1/.err"); s=$?
[ $s -eq 1 ] || { echo "status $s"; exit 1; }
[ -z "$out" ] || { echo "stdout: $out"; exit 1; }
grep -q "docent ingest" "$1/.err" || { cat "$1/.err"; exit 1; }' "$DOCENT" "$TMP"
t "ingest" expect_status 0 "$DOCENT" ingest --no-embed "$D"

# ---- the SDK client ----
t "the MCP SDK client: tools, search, ask, read_document, errors" \
	ok "mcp client: ok" node "$SRC/tests/web/mcp_client.mjs" "$DOCENT" basic

# ---- raw JSON-RPC over a pipe ----
init() { # init VERSION: an initialize request and the initialized notification
	printf '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"%s","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}\n' "$1"
	printf '{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
}
exchange() { # exchange VERSION: initialize, list the tools, search, ask
	init "$1"
	printf '%s\n' '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' \
		'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search","arguments":{"query":"lost laptop"}}}' \
		'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"ask","arguments":{"question":"how many days of parental leave do employees get?"}}}'
}
# every line on stdout is one JSON-RPC message; they become a list by id
RPC_PY='
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert all(m["jsonrpc"] == "2.0" for m in msgs), msgs
r = {m["id"]: m for m in msgs}
'
rpc_check() { # rpc_check PYTHON INPUT_FUNCTION ARGS...: the answers pass PYTHON
	_py=$1
	shift
	"$@" | "$DOCENT" mcp >"$TMP/.rpc" 2>"$TMP/.rpc.err"
	_s=$?
	cat "$TMP/.rpc.err"
	[ "$_s" -eq 0 ] || { echo "exit status $_s"; return 1; }
	if grep -E -q 'Sanitizer|runtime error:' "$TMP/.rpc.err"; then echo "sanitizer report"; return 1; fi
	python3 -c "$RPC_PY
$_py" "$TMP/.rpc" || { cat "$TMP/.rpc"; return 1; }
}
t "a 2025-06-18 client: that version, structured results" rpc_check '
assert r[1]["result"]["protocolVersion"] == "2025-06-18"
assert r[1]["result"]["serverInfo"]["name"] == "docent"
tools = {t["name"]: t for t in r[2]["result"]["tools"]}
assert set(tools) == {"search", "ask", "read_document"}, tools
assert all("outputSchema" in t and "inputSchema" in t for t in tools.values())
s = r[3]["result"]
assert not s["isError"]
assert s["structuredContent"]["hits"][0]["path"].endswith("laptops.txt")
assert "laptops.txt" in s["content"][0]["text"]
a = r[4]["result"]["structuredContent"]
assert a["mode"] == "extractive" and "45 working days" in a["answer"], a
assert a["sources"][0]["path"].endswith("leave.md")
assert len(msgs) == 4, msgs
' exchange 2025-06-18
t "a 2024-11-05 client: that version, text results" rpc_check '
assert r[1]["result"]["protocolVersion"] == "2024-11-05"
assert all("outputSchema" not in t for t in r[2]["result"]["tools"])
assert "structuredContent" not in r[3]["result"]
assert "laptops.txt" in r[3]["result"]["content"][0]["text"]
assert "leave.md" in r[4]["result"]["content"][0]["text"]
' exchange 2024-11-05
t "an unknown version gets 2025-11-25" rpc_check '
assert r[1]["result"]["protocolVersion"] == "2025-11-25"
' init 2099-01-01
bad_lines() {
	init 2025-11-25
	printf '%s\n' '{"jsonrpc":"2.0","id":2,"method":"prompts/get"}' 'not json at all' \
		'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope","arguments":{}}}' \
		'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"search","arguments":{"query":"leave","collection":"nope"}}}' \
		'{"jsonrpc":"2.0","id":5,"method":"ping"}'
}
t "errors: -32601, -32700, -32602, a tool error, then a ping" rpc_check '
assert r[2]["error"]["code"] == -32601
assert r[None]["error"]["code"] == -32700
assert r[3]["error"]["code"] == -32602
assert r[4]["result"]["isError"] is True and "nope" in r[4]["result"]["content"][0]["text"]
assert r[5]["result"] == {}
' bad_lines
t "-c serves one collection" sh -c '
printf "%s\n" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search\",\"arguments\":{\"query\":\"leave\",\"collection\":\"other\"}}}" |
"$0" mcp -c default 2>/dev/null | grep -q "serves the collection .default. only"' "$DOCENT"
t "-c with no such collection fails at start" expect_status 1 "$DOCENT" mcp -c nope </dev/null

# ---- with the tiny models: a written answer, hybrid search, a cancel ----
M="$SRC/build/models"
if [ -f "$M/tiny-chat.gguf" ] && [ -f "$M/tiny-embed.gguf" ]; then
	export DOCENT_HOME="$TMP/home-models"
	t "ingest with an embedding model" expect_status 0 \
		env DOCENT_EMBED_MODEL="$M/tiny-embed.gguf" "$DOCENT" ingest "$D"
	t "the SDK client: a generated answer, hybrid search" ok "mcp client: ok" \
		env DOCENT_EMBED_MODEL="$M/tiny-embed.gguf" DOCENT_CHAT_MODEL="$M/tiny-chat.gguf" \
		DOCENT_ENGINE_MAX_TOKENS=16 node "$SRC/tests/web/mcp_client.mjs" "$DOCENT" generated
	t "the SDK client cancels an ask; the server goes on" ok "cancelling the running ask" \
		env DOCENT_EMBED_MODEL="$M/tiny-embed.gguf" DOCENT_CHAT_MODEL="$M/tiny-chat.gguf" \
		DOCENT_ENGINE_MAX_TOKENS=100000 node "$SRC/tests/web/mcp_client.mjs" "$DOCENT" cancel
	# the model's loading messages go to stderr: stdout stays the protocol's
	export DOCENT_EMBED_MODEL="$M/tiny-embed.gguf" DOCENT_CHAT_MODEL="$M/tiny-chat.gguf"
	export DOCENT_ENGINE_MAX_TOKENS=8
	t "stdout holds protocol messages only, with a model loaded" rpc_check '
assert r[4]["result"]["structuredContent"]["mode"] in ("generated", "no_evidence"), r[4]
assert r[4]["result"]["structuredContent"]["model"]
assert len(msgs) == 4
' exchange 2025-06-18
	# two collections of one embedding model share it
	t "ingest a second collection" expect_status 0 "$DOCENT" ingest -c second "$D/laptops.txt"
	two_collections() {
		for c in default second default; do
			printf '{"jsonrpc":"2.0","id":"%s-%s","method":"tools/call","params":{"name":"search","arguments":{"query":"laptop","collection":"%s"}}}\n' "$c" "$(date +%N)" "$c"
		done
		printf '%s\n' '{"jsonrpc":"2.0","id":"all","method":"tools/call","params":{"name":"search","arguments":{"query":"laptop"}}}'
	}
	t "hybrid search in each collection, and in all" rpc_check '
assert len(msgs) == 4, msgs
for m in msgs:
    st = m["result"]["structuredContent"]
    assert st["mode"] == "hybrid", st
    assert st["hits"][0]["path"].endswith("laptops.txt"), st
# the copy in the other collection is collapsed into the first, and counted
assert r["all"]["result"]["structuredContent"]["hits"][0]["duplicates"] == 1
' two_collections
	# a running server sees what an ingest beside it adds, vectors included
	cat >"$TMP/live.py" <<'PY'
import json, subprocess, sys
docent, new_file = sys.argv[1], sys.argv[2]
p = subprocess.Popen([docent, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(sys.argv[3], "w"))
def search(i, q):
    p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params":
        {"name": "search", "arguments": {"query": q}}}) + "\n").encode())
    p.stdin.flush()
    return json.loads(p.stdout.readline())["result"]["structuredContent"]
before = search(1, "submarine periscope")
assert all(h["path"] != new_file for h in before["hits"]), before
open(new_file, "w").write("The submarine periscope is cleaned every Friday by the crew.\n")
subprocess.run([docent, "ingest", "-q", new_file], check=True)
after = search(2, "submarine periscope")
assert after["mode"] == "hybrid", after
assert after["hits"][0]["path"] == new_file, after
p.stdin.close()
assert p.wait() == 0
PY
	t "a running server sees a new ingest (vectors reopened)" sh -c '
python3 "$0" "$2" "$1/live.txt" "$1/live.err" || { cat "$1/live.err"; exit 1; }
cat "$1/live.err"
grep -q "changed: reopening" "$1/live.err" || exit 1
if grep -E -q "Sanitizer|runtime error:" "$1/live.err"; then exit 1; fi' "$TMP/live.py" "$TMP" "$DOCENT"
	unset DOCENT_EMBED_MODEL DOCENT_CHAT_MODEL DOCENT_ENGINE_MAX_TOKENS
else
	echo "missing $M/tiny-chat.gguf: run 'make tiny-models'"; exit 1
fi

finish
