#!/bin/sh
# test_answer.sh - the generating endpoints of `docent serve` on 127.0.0.1
# (port 0): POST /api/ask, /api/chat and /api/summarize as server-sent
# events and as JSON, extractive without a model, through a scripted
# OpenAI-compatible model server (tests/cli/chat_server.py) and the tiny
# in-process model; the generation gate (503 busy beyond
# server.generations + server.queue), a client that goes away stopping its
# answer, malformed bodies; GET /v1/models and POST /v1/chat/completions,
# also through the official `openai` npm client (openai_client.mjs).
. "$(dirname "$0")/../cli/lib.sh"

C="python3 $SRC/tests/web/client.py"
SERVE_PID=
SERVER=
trap 'kill $SERVE_PID $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT

# start_server [VAR=VALUE...]: docent serve on a port the system picks,
# with the settings given; sets URL and SERVE_PID
start_server() {
	: >"$TMP/serve.log"
	env "$@" "$DOCENT" serve --port 0 2>"$TMP/serve.log" &
	SERVE_PID=$!
	i=0
	until grep -q '^docent: serving http' "$TMP/serve.log"; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "the server did not start:"; cat "$TMP/serve.log"; break; }
		sleep 0.1
	done
	URL=$(sed -n 's|^docent: serving \(http://[^/]*\)/$|\1|p' "$TMP/serve.log" | head -1)
}

# stop_server: SIGTERM, exit 0, no sanitizer report in its log
stop_server() {
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	_s=$?
	SERVE_PID=
	[ "$_s" -eq 0 ] || { echo "serve exited $_s"; cat "$TMP/serve.log"; return 1; }
	if grep -E -q 'Sanitizer|runtime error:' "$TMP/serve.log"; then
		cat "$TMP/serve.log"
		return 1
	fi
	return 0
}

# the handbook every answer test asks about
D="$TMP/docs"
mkdir -p "$D"
cp "$SRC/tests/fixtures/handbook/leave.md" "$SRC/tests/fixtures/handbook/laptops.txt" "$D/"
t "ingest" expect_status 0 "$DOCENT" ingest --no-embed "$D"
Q="how many days of parental leave do employees get?"
ASK="{\"question\": \"$Q\"}"

# ---- without a language model: extractive answers ----
start_server
t "the server starts" test -n "$URL"
t "ask streams a token event, then done" json_check "
assert d['status'] == 200, d
assert d['headers']['content-type'].startswith('text/event-stream')
ev = d['events']
names = [e['event'] for e in ev]
assert names[-1] == 'done' and set(names[:-1]) == {'token'}, names
text = ''.join(e['data']['text'] for e in ev[:-1])
done = ev[-1]['data']
assert done['answer'] == text, (done['answer'], text)
assert done['mode'] == 'extractive', done['mode']
assert '45 working days' in text and '[1]' in text
c = done['citations'][0]
for k in ('n', 'document_id', 'chunk_id', 'path', 'page', 'heading', 'start_byte', 'end_byte', 'text'):
    assert k in c, k
assert c['n'] == 1 and c['document_id'] > 0 and c['path'].endswith('leave.md')
assert c['end_byte'] > c['start_byte'] and 'Parental leave' in c['heading']
assert all('document_id' in x and 'tokens' in x for x in done['context'])
assert 'total_ms' in done['timings'] and done['model'] is None
open('$TMP/docid', 'w').write(str(c['document_id']))
" $C "$URL" POST /api/ask "$ASK"
t "the cited byte range holds the cited text" json_check "
c = d['events'][-1]['data']['citations'][0]
src = open(c['path'], encoding='utf-8').read().encode()
assert c['text'].split(' … ')[0][:40].encode() in src
" $C "$URL" POST /api/ask "$ASK"
t "stream false: the answer object as JSON" json_check "
assert d['status'] == 200 and d['headers']['content-type'].startswith('application/json'), d
a = d['json']
assert a['mode'] == 'extractive' and '45 working days' in a['answer']
assert a['question'] == '$Q' and a['citations'][0]['document_id'] > 0
" $C "$URL" POST /api/ask "{\"question\": \"$Q\", \"stream\": false, \"k\": 5, \"mode\": \"bm25\", \"collection\": \"default\"}"
t "weak evidence: no_evidence, as ask" json_check "
a = d['json']
assert a['mode'] == 'no_evidence', a['mode']
assert a['citations'] == []
" $C "$URL" POST /api/ask '{"question": "who won the chess tournament in Reykjavik last winter?", "stream": false}'

# chat: a new conversation, then a follow-up in it
t "chat starts a conversation" json_check "
done = d['events'][-1]
assert done['event'] == 'done', d['events']
a = done['data']
assert a['conversation'] >= 1 and '45 working days' in a['answer'], a
open('$TMP/conv', 'w').write(str(a['conversation']))
" $C "$URL" POST /api/chat "{\"message\": \"$Q\", \"conversation\": null}"
CONV=$(cat "$TMP/conv" 2>/dev/null)
DOC=$(cat "$TMP/docid" 2>/dev/null)
t "a follow-up continues it, searched as a standalone query" json_check "
a = d['json']
assert a['conversation'] == $CONV, a['conversation']
assert 'parental' in a['query'] and 'leave' in a['query'], a['query']
assert a['mode'] == 'extractive' and a['citations'], a
" $C "$URL" POST /api/chat "{\"message\": \"and in how many parts?\", \"conversation\": $CONV, \"stream\": false}"
t "the conversation holds both turns, citations with their document" json_check "
import subprocess
convs = [c for c in d if c['id'] == $CONV]
assert convs and convs[0]['turns'] == 2, d
" "$DOCENT" chat --list --json
t "GET /api/conversations/ID returns the turns" json_check "
m = d['json']['messages']
assert [x['role'] for x in m] == ['user', 'assistant'] * 2, m
assert m[1]['citations'][0]['document_id'] > 0 and m[1]['citations'][0]['text'], m[1]
" $C "$URL" GET "/api/conversations/$CONV"
t "an unknown conversation is 404" json_check "
assert d['status'] == 404 and d['json']['error']['code'] == 'not_found', d
" $C "$URL" POST /api/chat '{"message": "hello", "conversation": 424242}'

# summaries
t "summarize a document: tokens then done" json_check "
ev = d['events']
assert ev[-1]['event'] == 'done' and ev[0]['event'] == 'token', [e['event'] for e in ev]
s = ev[-1]['data']
assert s['mode'] == 'extractive' and s['document']['id'] == $DOC, s
assert s['summary'] == ''.join(e['data']['text'] for e in ev[:-1]).strip()
assert s['sections'] and s['references'], s
assert '45 working days' in s['summary']
" $C "$URL" POST /api/summarize "{\"document\": $DOC}"
t "summarize a topic in a collection (JSON)" json_check "
s = d['json']
assert d['status'] == 200 and s['topic'] == 'travel meals hotels', d
assert 'Hotels' in s['summary'] or 'Meals' in s['summary'], s['summary']
" $C "$URL" POST /api/summarize '{"query": "travel meals hotels", "collection": "default", "length": "short", "stream": false}'
t "an unknown document is 404" json_check "
assert d['status'] == 404 and d['json']['error']['code'] == 'not_found', d
" $C "$URL" POST /api/summarize '{"document": 999}'

# malformed bodies: 400 with a message, never a crash
for body in '{bad json' '[1, 2]' '{}' '{"question": 42}' '{"question": "  "}' \
	'{"question": "x", "k": 0}' '{"question": "x", "k": "ten"}' '{"question": "x", "mode": "psychic"}' \
	'{"question": "x", "stream": "yes"}' '{"question": "x", "collection": 7}'; do
	t "ask $body is 400" json_check "
assert d['status'] == 400, d
assert d['json']['error']['code'] == 'bad_request' and d['json']['error']['message'], d
" $C "$URL" POST /api/ask "$body"
done
t "ask without a body is 400" json_check "assert d['status'] == 400, d" $C "$URL" POST /api/ask
t "ask an unknown collection is 404" json_check "
assert d['status'] == 404 and 'nope' in d['json']['error']['message'], d
" $C "$URL" POST /api/ask '{"question": "x", "collection": "nope"}'
for body in '{"message": ""}' '{"message": "x", "conversation": "one"}' '{"message": "x", "conversation": -1}'; do
	t "chat $body is 400" json_check "assert d['status'] == 400, d" $C "$URL" POST /api/chat "$body"
done
for body in '{}' '{"document": 1, "query": "x"}' '{"document": "one"}' '{"document": 1, "length": "epic"}'; do
	t "summarize $body is 400" json_check "assert d['status'] == 400, d" $C "$URL" POST /api/summarize "$body"
done
t "GET /api/ask is 405" json_check "assert d['status'] == 405, d" $C "$URL" GET /api/ask

# the OpenAI-compatible endpoint
t "GET /v1/models lists docent and docent:COLLECTION" json_check "
j = d['json']
assert j['object'] == 'list'
ids = [m['id'] for m in j['data']]
assert ids == ['docent', 'docent:default'], ids
assert all(m['object'] == 'model' for m in j['data'])
" $C "$URL" GET /v1/models
t "a chat completion answers from the documents, with citations" json_check "
j = d['json']
assert j['object'] == 'chat.completion', j
m = j['choices'][0]['message']
assert m['role'] == 'assistant' and '45 working days' in m['content'] and '[1]' in m['content']
assert j['citations'][0]['n'] == 1 and j['citations'][0]['document_id'] > 0
assert j['choices'][0]['finish_reason'] == 'stop' and 'total_tokens' in j['usage']
" $C "$URL" POST /v1/chat/completions "{\"model\": \"docent\", \"messages\": [{\"role\": \"user\", \"content\": \"$Q\"}]}"
t "streamed: chunks, citations in the last, then [DONE]" json_check "
ev = [e['data'] for e in d['events']]
assert ev[-1] == '[DONE]', ev[-1]
chunks = ev[:-1]
assert all(c['object'] == 'chat.completion.chunk' for c in chunks)
assert chunks[0]['choices'][0]['delta']['role'] == 'assistant'
text = ''.join(c['choices'][0]['delta'].get('content', '') for c in chunks)
assert '45 working days' in text
assert chunks[-1]['choices'][0]['finish_reason'] == 'stop' and chunks[-1]['citations'][0]['n'] == 1
assert all(e['event'] is None for e in d['events'])
" $C "$URL" POST /v1/chat/completions "{\"model\": \"docent:default\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"$Q\"}]}"
for body in '{bad' '{"model": "docent"}' '{"model": "docent", "messages": []}' \
	'{"model": "docent", "messages": [{"role": "assistant", "content": "hi"}]}' \
	'{"model": "docent", "messages": [{"content": "hi"}]}' '{"model": 5, "messages": [{"role": "user", "content": "hi"}]}'; do
	t "/v1 $body is 400 in OpenAI's shape" json_check "
assert d['status'] == 400, d
e = d['json']['error']
assert e['message'] and e['type'] == 'invalid_request_error' and e['code'], e
" $C "$URL" POST /v1/chat/completions "$body"
done
t "/v1 unknown model is 404 model_not_found" json_check "
assert d['status'] == 404 and d['json']['error']['code'] == 'model_not_found', d
" $C "$URL" POST /v1/chat/completions '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}'
t "the server stops cleanly" stop_server

# with an access token: /v1 needs it, and the openai client sends it
start_server DOCENT_TOKEN=s3cret-token
t "/v1 without the token is 401" json_check "
assert d['status'] == 401 and d['json']['error']['code'] == 'unauthorized', d
" $C "$URL" GET /v1/models
t "ask with the token" json_check "
assert d['status'] == 200 and d['json']['mode'] == 'extractive', d
" $C --token s3cret-token "$URL" POST /api/ask "{\"question\": \"$Q\", \"stream\": false}"
node --version >/dev/null 2>&1 && t "the openai npm client with the token as its API key (extractive)" \
	ok "openai client: ok" node "$SRC/tests/web/openai_client.mjs" "$URL" "45 working days" s3cret-token
t "the server stops cleanly" stop_server

# ---- a scripted language model (an OpenAI-compatible server) ----
python3 "$SRC/tests/cli/chat_server.py" "$TMP/port" "$TMP/reply" "$TMP/log" &
SERVER=$!
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
M="http://127.0.0.1:$(cat "$TMP/port")/v1#scripted"
printf 'You get 45 working days [1]; see also [7].' >"$TMP/reply"
printf 'parental leave parts' >"$TMP/reply.rewrite"

start_server DOCENT_CHAT_MODEL="$M" DOCENT_SERVER_GENERATIONS=1 DOCENT_SERVER_QUEUE=1
t "generated: token events in order, citations checked" json_check "
ev = d['events']
assert ev[-1]['event'] == 'done', ev
toks = [e['data']['text'] for e in ev if e['event'] == 'token']
assert len(toks) > 1, toks
assert ''.join(toks) == 'You get 45 working days [1]; see also .', toks
a = ev[-1]['data']
assert a['mode'] == 'generated' and a['answer'] == ''.join(toks)
assert a['removed_citations'] == [7] and [c['n'] for c in a['citations']] == [1]
assert a['model'].endswith('scripted') and a['citations'][0]['document_id'] > 0
" $C "$URL" POST /api/ask "$ASK"
$C "$URL" POST /api/chat "{\"message\": \"$Q\", \"stream\": false}" >"$TMP/c1"
CONV2=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['json']['conversation'])" "$TMP/c1")
t "generated chat, the follow-up rewritten by the model" json_check "
a = d['json']
assert a['conversation'] == $CONV2 and a['conversation'] != $CONV, a
assert a['mode'] == 'generated' and a['query'] == 'parental leave parts', a
" $C "$URL" POST /api/chat "{\"message\": \"and in how many parts?\", \"conversation\": $CONV2, \"stream\": false}"
printf 'A summary of the handbook (§ Parental leave).' >"$TMP/reply"
t "a written summary streams" json_check "
ev = d['events']
assert ev[-1]['event'] == 'done', ev
s = ev[-1]['data']
assert s['mode'] == 'generated' and s['summary'] == 'A summary of the handbook (§ Parental leave).', s
assert ''.join(e['data']['text'] for e in ev[:-1]).strip() == s['summary']
" $C "$URL" POST /api/summarize "{\"document\": $DOC, \"length\": \"short\"}"
printf 'You get 45 working days [1].' >"$TMP/reply"
t "/v1 with sampling fields" json_check "
assert d['status'] == 200 and '45 working days' in d['json']['choices'][0]['message']['content'], d
" $C "$URL" POST /v1/chat/completions "{\"model\": \"docent\", \"temperature\": 0, \"top_p\": 0.5, \"max_tokens\": 7, \"seed\": 42, \"stop\": \"xyz\", \"messages\": [{\"role\": \"user\", \"content\": \"$Q\"}]}"
t "... they reach the language model" sh -c 'tail -1 "$0" | python3 -c "
import json, sys
r = json.loads(sys.stdin.read())
assert r[\"temperature\"] == 0 and r[\"top_p\"] == 0.5 and r[\"seed\"] == 42, r
assert r[\"max_tokens\"] == 7 and r[\"stop\"] == [\"xyz\"], r
"' "$TMP/log"
for f in '"temperature": "hot"' '"temperature": 3' '"max_tokens": 0' '"stop": [1]' '"stop": ["a","b","c","d","e"]'; do
	t "/v1 {$f} is 400 invalid_value" json_check "
assert d['status'] == 400 and d['json']['error']['code'] == 'invalid_value', d
" $C "$URL" POST /v1/chat/completions "{\"model\": \"docent\", $f, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"
done
printf 'You get 45 working days [1] of parental leave at full pay.' >"$TMP/reply"
node --version >/dev/null 2>&1 && t "the official openai npm client (lists, plain, streamed, follow-up, errors)" \
	ok "openai client: ok" node "$SRC/tests/web/openai_client.mjs" "$URL" "45 working days [1]"

# the gate: one generation and one waiting; a third is told busy (the
# first answer takes 9 s, so a slow machine still finds both in the gate)
printf '0.6' >"$TMP/reply.delay"
$C "$URL" POST /api/ask "$ASK" >"$TMP/a1" 2>&1 &
A1=$!
sleep 0.5
$C "$URL" POST /api/ask "{\"question\": \"$Q\", \"stream\": false}" >"$TMP/a2" 2>&1 &
A2=$!
sleep 0.5
t "beyond generations + queue: 503 busy with Retry-After" json_check "
assert d['status'] == 503, d
assert d['json']['error']['code'] == 'busy' and int(d['headers']['retry-after']) > 0, d
" $C "$URL" POST /api/ask "$ASK"
t "... also in OpenAI's shape on /v1" json_check "
assert d['status'] == 503 and d['json']['error']['code'] == 'busy' and d['json']['error']['type'], d
" $C "$URL" POST /v1/chat/completions "{\"model\": \"docent\", \"messages\": [{\"role\": \"user\", \"content\": \"$Q\"}]}"
rm -f "$TMP/reply.delay" # the waiting one, read when its turn comes, is quick
wait $A1 $A2
t "the running answer finished" json_check "assert d['events'][-1]['event'] == 'done', d" cat "$TMP/a1"
t "the waiting one was answered after it" json_check "
assert d['status'] == 200 and d['json']['mode'] == 'generated', d
" cat "$TMP/a2"

# a client that gives up while waiting leaves the line to the next one
printf '0.6' >"$TMP/reply.delay"
$C "$URL" POST /api/ask "$ASK" >"$TMP/a1" 2>&1 &
A1=$!
sleep 0.5
t "a waiting client hangs up" json_check "
assert d.get('disconnected') and not any(e['event'] == 'token' for e in d['events']), d
" $C --disconnect-after 1 "$URL" POST /api/ask "$ASK"
sleep 0.3
rm -f "$TMP/reply.delay"
t "... its place in the line is free: the next one waits and is answered" json_check "
assert d['status'] == 200 and d['json']['mode'] == 'generated', d
" $C "$URL" POST /api/ask "{\"question\": \"$Q\", \"stream\": false}"
wait $A1

# a client that goes away stops its answer: the slot is free at once
printf 'You get 45 working days [1] of parental leave at full pay, in two parts within the first year of the child, as the handbook says.' >"$TMP/reply"
printf '0.2' >"$TMP/reply.delay"
t "a client disconnects mid-answer" json_check "
assert d.get('disconnected') and any(e['event'] == 'token' for e in d['events']), d
" $C --disconnect-after 1.5 "$URL" POST /api/ask "$ASK"
rm -f "$TMP/reply.delay"
printf 'Quick [1].' >"$TMP/reply"
t "... its generation stopped: the next answer does not wait for it" json_check "
assert d['status'] == 200 and d['json']['answer'] == 'Quick [1].', d
assert d['seconds'] < 4, d['seconds']
" $C "$URL" POST /api/ask "{\"question\": \"$Q\", \"stream\": false}"
t "the server stops cleanly" stop_server

# one server thread: a generation, streamed or not, runs on a thread of
# its own, so searches are answered while it waits on the model
start_server DOCENT_CHAT_MODEL="$M" DOCENT_SERVER_WORKERS=1 DOCENT_SERVER_QUEUE=1
printf 'You get 45 working days [1] of parental leave at full pay, in two parts.' >"$TMP/reply"
printf '0.3' >"$TMP/reply.delay"
$C "$URL" POST /api/ask "$ASK" >"$TMP/w1" 2>&1 &
W1=$!
$C "$URL" POST /api/ask "{\"question\": \"$Q\", \"stream\": false}" >"$TMP/w2" 2>&1 &
W2=$!
sleep 0.5
t "one server thread: a search is answered while two generations wait" json_check "
assert d['status'] == 200 and d['json']['results'], d
assert d['seconds'] < 1.5, d['seconds']
" $C "$URL" GET "/api/search?q=parental+leave"
rm -f "$TMP/reply.delay"
wait $W1 $W2
t "... the streamed answer finished" json_check "assert d['events'][-1]['event'] == 'done', d" cat "$TMP/w1"
t "... and the one replied as JSON" json_check "
assert d['status'] == 200 and d['json']['mode'] == 'generated', d
" cat "$TMP/w2"
# SIGTERM while an answer streams: the stream is told to stop, and the
# server exits at once (not after the whole answer)
printf '0.5' >"$TMP/reply.delay"
$C "$URL" POST /api/ask "$ASK" >"$TMP/w3" 2>&1 &
W3=$!
sleep 1.2
t0=$(date +%s)
t "SIGTERM during a streamed answer: status 0" stop_server
t "... at once" sh -c 'echo "$(( $(date +%s) - $0 )) s"; [ $(( $(date +%s) - $0 )) -le 3 ]' "$t0"
wait $W3
t "... the stream ended, some tokens sent but not the answer" json_check "
names = [e['event'] for e in d['events']]
assert 'token' in names and 'done' not in names, names
" cat "$TMP/w3"
rm -f "$TMP/reply.delay"

# server.generations 0 (the default) sends a model server several at once
start_server DOCENT_CHAT_MODEL="$M" DOCENT_SERVER_QUEUE=0
printf '0.3' >"$TMP/reply.delay"
for i in 1 2 3; do
	$C "$URL" POST /api/ask "$ASK" >"$TMP/p$i" 2>&1 &
	eval "P$i=\$!"
done
wait $P1 $P2 $P3
rm -f "$TMP/reply.delay"
for i in 1 2 3; do
	t "with a model server three answers run at once ($i)" json_check "
assert d['status'] == 200 and d['events'][-1]['event'] == 'done', d
" cat "$TMP/p$i"
done
t "a model server that is down: an error event" json_check "
ev = d['events']
assert ev[-1]['event'] == 'error', ev
assert ev[-1]['data']['code'] == 'internal' and ev[-1]['data']['message'], ev
assert 'http://' not in ev[-1]['data']['message'] and '/tmp' not in ev[-1]['data']['message']
" sh -c "kill $SERVER; sleep 0.3; $C '$URL' POST /api/ask '$ASK'"
t "the server stops cleanly" stop_server

# ---- the tiny in-process model and embedding model ----
T="$SRC/build/models/tiny-chat.gguf"
E="$SRC/build/models/tiny-embed.gguf"
if [ -f "$T" ] && [ -f "$E" ]; then
	t "ingest a collection with vectors" expect_status 0 env DOCENT_EMBED_MODEL="$E" \
		"$DOCENT" ingest -c vec "$D"
	start_server DOCENT_CHAT_MODEL="$T" DOCENT_EMBED_MODEL="$E" DOCENT_ENGINE_MAX_TOKENS=8
	t "an in-process answer, hybrid retrieval with the collection's model" json_check "
ev = d['events']
assert ev[-1]['event'] == 'done', ev
a = ev[-1]['data']
assert a['mode'] == 'generated' and a['retrieval'] == 'hybrid', (a['mode'], a['retrieval'])
assert a['prompt_tokens'] > 0 and a['completion_tokens'] > 0
" $C "$URL" POST /api/ask "{\"question\": \"$Q\", \"collection\": \"vec\"}"
	t "the slot's model is kept: a second answer reuses its cache" json_check "
a = d['json']
assert a['mode'] == 'generated' and a['cached_tokens'] > 0, a['cached_tokens']
" $C "$URL" POST /api/ask "{\"question\": \"How are hotels booked through the travel desk?\", \"collection\": \"vec\", \"stream\": false}"
	t "the server stops cleanly" stop_server
else
	echo "missing $T or $E: run 'make tiny-models'"; exit 1
fi

finish
