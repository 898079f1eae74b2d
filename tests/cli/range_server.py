#!/usr/bin/env python3
"""A file server on 127.0.0.1 for the download tests: honours Range
requests, logs each request's Range header, and can cut the first transfer
of a file after N bytes (to test resuming). With "norange" it ignores Range
headers and always sends the whole file, as some servers do.

    range_server.py DIR PORTFILE LOGFILE [CUT_BYTES [norange]]

Writes the port it listens on to PORTFILE; serves until killed.
"""
import http.server, os, sys

root, portfile, logfile = sys.argv[1], sys.argv[2], sys.argv[3]
cut = int(sys.argv[4]) if len(sys.argv) > 4 else 0
norange = len(sys.argv) > 5 and sys.argv[5] == "norange"
served = set()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        path = os.path.join(root, os.path.basename(self.path))
        rng = self.headers.get("Range")
        with open(logfile, "a") as f:
            f.write(f"{self.path} {rng}\n")
        if not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        start = 0
        if rng and rng.startswith("bytes=") and not norange:
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut and self.path not in served:
            served.add(self.path)
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.close()  # cut off mid-transfer
            return
        self.wfile.write(body)


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(portfile, "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
