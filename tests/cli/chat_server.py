#!/usr/bin/env python3
"""A scripted OpenAI-compatible chat server on 127.0.0.1 for the answer
tests: POST /v1/chat/completions answers the text in REPLYFILE (read at
each request, so a test can change it between calls), streamed as
server-sent events in pieces of 4 bytes, or whole when "stream" is false.
Each request's JSON body is appended to LOGFILE, one line per request.

    chat_server.py PORTFILE REPLYFILE LOGFILE

When REPLYFILE.delay exists it holds the seconds to wait before each piece
(a slow model, to test Ctrl-C). When REPLYFILE.rewrite exists, a request
whose last message asks for a standalone search query (docent chat
rewriting a follow-up) is answered with its text instead.

Writes the port it listens on to PORTFILE; serves until killed.
"""
import http.server, json, os, sys, time

portfile, replyfile, logfile = sys.argv[1], sys.argv[2], sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": "scripted", "object": "model"}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        with open(logfile, "a") as f:
            f.write(json.dumps(req) + "\n")
        reply = open(replyfile, encoding="utf-8").read()
        msgs = req.get("messages") or [{}]
        if (os.path.exists(replyfile + ".rewrite")
                and "standalone search query" in (msgs[-1].get("content") or "")):
            reply = open(replyfile + ".rewrite", encoding="utf-8").read()
        if not req.get("stream"):
            body = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply},
                                            "finish_reason": "stop"}],
                               "usage": {"prompt_tokens": 10, "completion_tokens": 5}})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        delay = 0.0
        if os.path.exists(replyfile + ".delay"):
            delay = float(open(replyfile + ".delay").read())
        try:
            for i in range(0, len(reply), 4):
                time.sleep(delay)
                ev = {"choices": [{"delta": {"content": reply[i:i + 4]}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(ev)}\n\n".encode())
                self.wfile.flush()
            ev = {"choices": [{"delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(ev)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
