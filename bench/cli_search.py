#!/usr/bin/env python3
"""Latency of the whole `docent search` command (process start, open, query,
print) over a store built by bench/search.c: p50/p99 over the shared
collections' queries.

    bench/cli_search.py BIN DB [EVAL_DIR] [N]
"""
import json, os, subprocess, sys, tempfile, time

bin_, db = sys.argv[1], sys.argv[2]
eval_dir = sys.argv[3] if len(sys.argv) > 3 else "../shared/eval"
n = int(sys.argv[4]) if len(sys.argv) > 4 else 200
queries = []
for c in ("cranfield", "cisi", "med"):
    p = os.path.join(eval_dir, c, "queries.jsonl")
    if os.path.exists(p):
        queries += [json.loads(l)["text"] for l in open(p)]
if not queries:
    queries = ["robot battery", "quarterly revenue growth", "leave policy for parents"]
home = tempfile.mkdtemp(prefix="docent-bench-cli-")
os.symlink(os.path.abspath(db), os.path.join(home, "docent.db"))
env = dict(os.environ, DOCENT_HOME=home, DOCENT_CONFIG="/nonexistent")
lat = []
for i in range(n):
    t0 = time.monotonic()
    subprocess.run([bin_, "search", "--json", queries[i % len(queries)]], env=env,
                   stdout=subprocess.DEVNULL, check=True)
    lat.append((time.monotonic() - t0) * 1000)
os.unlink(os.path.join(home, "docent.db"))
os.rmdir(home)
lat.sort()
print(f"docent search command over {db}: {n} runs  p50={lat[n // 2]:.1f} ms  "
      f"p99={lat[int(0.99 * (n - 1))]:.1f} ms")
