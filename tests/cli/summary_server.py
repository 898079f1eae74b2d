#!/usr/bin/env python3
"""summary_server.py PORTFILE LOGFILE [MODE] - a scripted OpenAI-compatible chat
server on 127.0.0.1 for the CLI tests. It writes its port to PORTFILE, one
line per request to LOGFILE, and streams a reply (server-sent events) that
says what kind of request it was: a part of a document, a combination of
parts (echoing the references it was given), or a whole text. MODE "hang"
answers nothing for a minute (for Ctrl-C tests)."""
import json
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, LOGFILE = sys.argv[1], sys.argv[2]
MODE = sys.argv[3] if len(sys.argv) > 3 else ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        req = json.loads(body)
        user = req["messages"][-1]["content"]
        if "Below are summaries" in user:
            refs = re.findall(r"\n\n\(([^)]*)\)", user)
            text = "Combined: " + " ".join("budget facts (%s)." % r for r in refs)
            kind = "reduce"
        elif "part of a document" in user:
            text = "A part about the budget."
            kind = "map"
        else:
            text = "The whole text is about the budget."
            kind = "one"
        with open(LOGFILE, "a") as f:
            f.write(kind + "\n")
        if MODE == "hang":
            time.sleep(60)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        pieces = (text[: len(text) // 2], text[len(text) // 2:])
        for i, piece in enumerate(pieces):
            chunk = {"choices": [{"delta": {"content": piece},
                                  "finish_reason": "stop" if i == len(pieces) - 1 else None}]}
            self.wfile.write(("data: %s\n\n" % json.dumps(chunk)).encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
