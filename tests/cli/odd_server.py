#!/usr/bin/env python3
"""An OpenAI-compatible chat server on 127.0.0.1 that misbehaves in the ways
real servers do, for the generate tests. The mode is the first path part
of the URL, so one server serves them all: http://127.0.0.1:PORT/MODE/v1.

  plain     answers a streamed request with one plain JSON object (no
            server-sent events), on one line
  pretty    the same, indented over many lines
  ignore    streams 40 pieces "w1 w2 ..." whatever max_tokens says
  stall     sends the headers of a stream, then nothing for 60 s
  silent    reads the request and sends nothing at all for 60 s

    odd_server.py PORTFILE

Writes the port it listens on to PORTFILE; serves until killed.
"""
import http.server, json, os, sys, time

portfile = sys.argv[1]
REPLY = "A plain reply that was not streamed."


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        json.loads(self.rfile.read(n) or b"{}")
        mode = self.path.strip("/").split("/")[0]
        if mode in ("plain", "pretty"):
            chat = self.path.endswith("/chat/completions")
            choice = ({"message": {"role": "assistant", "content": REPLY}} if chat
                      else {"text": REPLY})
            choice["finish_reason"] = "stop"
            body = json.dumps({"choices": [choice],
                               "usage": {"prompt_tokens": 7, "completion_tokens": 8}},
                              indent=2 if mode == "pretty" else None)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())
            return
        if mode == "silent":
            time.sleep(60)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        try:
            if mode == "stall":
                time.sleep(60)
                return
            for i in range(1, 41):
                ev = {"choices": [{"delta": {"content": " w%d" % i}, "text": " w%d" % i,
                                   "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(ev)}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.01)
            ev = {"choices": [{"delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(ev)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
