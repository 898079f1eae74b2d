#!/usr/bin/env python3
"""A small HTTP client for the web tests: sends one request to docent
serve and prints what came back as one JSON object on stdout:

    {"status": 200, "headers": {...lower-case names...},
     "events": [{"event": "token", "data": {...}}, ...],   # text/event-stream
     "json": {...},                                        # a JSON body
     "body": "...", "seconds": 1.2}

    client.py [--disconnect-after S] [--token T] URL METHOD PATH [BODY]

A stream's data lines are parsed as JSON when they are ("[DONE]" stays a
string). --disconnect-after closes the connection S seconds after the
response began, as a client that goes away mid-answer. Exits 0 whenever a
response (of any status) was read.
"""
import http.client, json, socket, sys, threading, time, urllib.parse

args = sys.argv[1:]
disconnect = None
token = None
while args and args[0].startswith("--"):
    if args[0] == "--disconnect-after":
        disconnect = float(args[1])
    elif args[0] == "--token":
        token = args[1]
    args = args[2:]
url, method, path = args[0], args[1], args[2]
body = args[3].encode() if len(args) > 3 else None
u = urllib.parse.urlparse(url)
start = time.time()
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
headers = {"Content-Type": "application/json"} if body is not None else {}
if token:
    headers["Authorization"] = "Bearer " + token
conn.request(method, path, body=body, headers=headers)
resp = conn.getresponse()
out = {"status": resp.status, "headers": {k.lower(): v for k, v in resp.getheaders()}}
ctype = resp.getheader("Content-Type", "")
if ctype.startswith("text/event-stream"):
    events, event, data = [], None, []
    if disconnect is not None:
        def hang_up():
            # an abrupt close (RST): the server sees the peer go away
            out["disconnected"] = True
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            conn.sock.shutdown(socket.SHUT_RDWR)
        timer = threading.Timer(disconnect, hang_up)
        timer.start()
    while True:
        try:
            line = resp.readline()
        except (OSError, ValueError, http.client.HTTPException):
            break
        if not line:
            break
        line = line.decode().rstrip("\r\n")
        if line.startswith(":"):
            continue
        if line == "":
            if data:
                text = "\n".join(data)
                try:
                    payload = json.loads(text)
                except ValueError:
                    payload = text
                events.append({"event": event, "data": payload})
            event, data = None, []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[6:] if line[5:6] == " " else line[5:])
    if disconnect is not None:
        timer.cancel()
    out["events"] = events
else:
    raw = resp.read().decode()
    out["body"] = raw
    try:
        out["json"] = json.loads(raw)
    except ValueError:
        pass
out["seconds"] = time.time() - start
print(json.dumps(out))
