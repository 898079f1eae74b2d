#!/usr/bin/env python3
"""ask.py - how long `docent ask` takes to its first word, by stage, and
against llama-server reading the same prompt.

    python3 bench/ask.py build/docent [--model PATH] [--runs N] [--tokens N]
                         [--no-server] [--context N]

The demo corpus (examples/) is ingested into a temporary data directory,
then the questions below are asked in turn, RUNS rounds, with the in-process model
(default build/models/qwen2-0.5b-random-q4_k_m.gguf, from `make
bench-models`: random weights in Qwen2.5 0.5B's shape, Q4_K_M; compute does
not depend on the weights' values).

Each question follows another one, as when a person asks one thing after
another, so the model's state after the instructions comes from the data
directory's cache (cached tokens) and the rest of the prompt is read anew.
Per question it reports, from `docent ask --json` (medians over the runs):
  load      opening the model (mapping the GGUF, making the context)
  retrieve  retrieval; pack  evidence packing
  prompt    the prompt read by the model to the first generated piece
  first     the wall time from starting the process to the first byte of
            the answer on stdout (a streamed run): what a person waits
and the prompt's tokens. Then, unless --no-server, the same prompts (as
docent sends them, caught by a logging server) go to llama-server started
on the same model with the same threads and context, with its prompt cache
off, streamed: its time to the first piece against docent's `prompt`
stage gives the ratio (>= 1.0: docent reads a prompt no slower).

Every timed process takes /tmp/docent-bench.lock, so benchmarks do not
overlap. A benchmark prints figures; it judges nothing.
"""
import argparse, fcntl, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUESTIONS = [
    "How many days of parental leave do I get?",
    "How do I report a lost laptop?",
    "Who approves travel over 2000 euros?",
    "What was revenue growth in the third quarter?",
    "What caused the Harbor outage in August?",
    "How much is the home office allowance?",
    "How long does a Kestrel battery last?",
    "What does the onboarding checklist ask for on the first day?",
]


def locked(fn):
    with open("/tmp/docent-bench.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return fn()


def run_json(cmd, env):
    out = locked(lambda: subprocess.run(cmd, env=env, capture_output=True, text=True))
    if out.returncode != 0:
        sys.exit(f"ask.py: {' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def first_byte_ms(cmd, env):
    """Wall time from the start of the process to its first byte on stdout."""
    def go():
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        first = None
        while True:
            b = p.stdout.read(1)
            if not b:
                break
            if first is None and b not in (b"\n",):
                # the extractive label never appears with a model: the first
                # byte is the answer's
                first = (time.monotonic() - t0) * 1e3
        p.wait()
        return first
    return locked(go)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, what, seconds=120):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            sys.exit(f"ask.py: {what} exited early")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1):
                return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"ask.py: {what} did not start")


def server_ttft_ms(port, messages, tokens):
    body = json.dumps({"messages": messages, "stream": True, "max_tokens": tokens,
                       "temperature": 0, "cache_prompt": False}).encode()
    def go():
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
        t0 = time.monotonic()
        first = None
        with urllib.request.urlopen(req, timeout=300) as r:
            for line in r:
                if first is None and line.startswith(b"data: ") and b'"content"' in line:
                    ev = json.loads(line[6:])
                    delta = ev["choices"][0].get("delta", {})
                    if delta.get("content"):
                        first = (time.monotonic() - t0) * 1e3
        return first
    return locked(go)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("docent")
    ap.add_argument("--model", default=os.path.join(ROOT, "build/models/qwen2-0.5b-random-q4_k_m.gguf"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=8, help="tokens generated per answer")
    ap.add_argument("--context", type=int, default=0, help="engine.context (0: docent's default)")
    ap.add_argument("--no-server", action="store_true")
    a = ap.parse_args()
    docent = os.path.abspath(a.docent)
    if not os.path.exists(a.model):
        sys.exit(f"ask.py: no {a.model}; run make bench-models")

    tmp = tempfile.mkdtemp(prefix="docent-bench-ask.")
    env = dict(os.environ, DOCENT_HOME=os.path.join(tmp, "home"),
               DOCENT_CONFIG=os.path.join(tmp, "none.conf"), NO_COLOR="1")
    env.pop("DOCENT_CHAT_MODEL", None)
    env.pop("DOCENT_EMBED_MODEL", None)
    if a.context:
        env["DOCENT_ENGINE_CONTEXT"] = str(a.context)
    subprocess.run([docent, "ingest", "--no-embed", "--exclude", "README.md",
                    os.path.join(ROOT, "examples")], env=env, check=True, capture_output=True)
    procs = []
    try:
        rows = []
        print(f"model {os.path.basename(a.model)}, {a.runs} runs a question, {a.tokens} tokens "
              "generated; medians in ms")
        print(f"{'question':<44} {'tokens':>6} {'cached':>6} {'load':>6} {'retr':>6} {'pack':>6} "
              f"{'prompt':>7} {'first':>7}")
        # Each run follows another question, as when a person asks one
        # thing after another: the model's state after the instructions is
        # reused from the data directory's cache, the rest is read anew.
        base = [docent, "ask", "-n", str(a.tokens), "--model", a.model]
        alljs = {q: [] for q in QUESTIONS}
        allfirst = {q: [] for q in QUESTIONS}
        for _ in range(a.runs):
            for q in QUESTIONS:
                alljs[q].append(run_json(base + ["--json", q], env))
        for _ in range(a.runs):
            for q in QUESTIONS:
                if alljs[q][0]["mode"] == "generated":
                    allfirst[q].append(first_byte_ms(base + [q], env))
        for q in QUESTIONS:
            js, firsts = alljs[q], allfirst[q]
            if js[0]["mode"] != "generated":
                print(f"{q[:44]:<44} ({js[0]['mode']}: not timed)")
                continue
            t = lambda k: med([j["timings"][k] for j in js])
            row = dict(q=q, tokens=js[0]["prompt_tokens"],
                       cached=med([j["cached_tokens"] for j in js]), load=t("model_load_ms"),
                       retr=t("retrieval_ms"), pack=t("packing_ms"),
                       prompt=t("first_token_ms"), first=med(firsts))
            rows.append(row)
            print(f"{q[:44]:<44} {row['tokens']:>6} {row['cached']:>6.0f} {row['load']:>6.0f} {row['retr']:>6.1f} "
                  f"{row['pack']:>6.1f} {row['prompt']:>7.0f} {row['first']:>7.0f}", flush=True)
        if not rows:
            return
        print(f"{'median':<44} {med([r['tokens'] for r in rows]):>6.0f} "
              f"{med([r['cached'] for r in rows]):>6.0f} "
              f"{med([r['load'] for r in rows]):>6.0f} {med([r['retr'] for r in rows]):>6.1f} "
              f"{med([r['pack'] for r in rows]):>6.1f} {med([r['prompt'] for r in rows]):>7.0f} "
              f"{med([r['first'] for r in rows]):>7.0f}")
        if a.no_server:
            return

        # the prompts as docent sends them, caught by the scripted server
        log, reply, portf = (os.path.join(tmp, n) for n in ("log", "reply", "port"))
        open(reply, "w").write("ok")
        procs.append(subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/cli/chat_server.py"),
                                       portf, reply, log]))
        while not os.path.exists(portf):
            time.sleep(0.05)
        spec = f"http://127.0.0.1:{open(portf).read()}/v1#x"
        for r in rows:
            run_json([docent, "ask", "--json", "-n", str(a.tokens), "--model", spec, r["q"]], env)
        prompts = [json.loads(l)["messages"] for l in open(log)]

        bindir = subprocess.run([os.path.join(ROOT, "scripts/llama.sh"), "--bin"],
                                capture_output=True, text=True, check=True).stdout.strip()
        port = free_port()
        ctx = a.context or 8192
        procs.append(subprocess.Popen([os.path.join(bindir, "llama-server"), "-m", a.model,
                                       "--port", str(port), "--host", "127.0.0.1", "-t", "2",
                                       "-c", str(ctx), "-np", "1", "--no-webui"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(port, procs[-1], "llama-server")
        server_ttft_ms(port, prompts[0], a.tokens)  # warm-up
        print(f"\nllama-server, the same prompts, prompt cache off (ratio = server / docent prompt)")
        ratios = []
        for r, msgs in zip(rows, prompts):
            s = med([server_ttft_ms(port, msgs, a.tokens) for _ in range(a.runs)])
            ratios.append(s / r["prompt"])
            print(f"{r['q'][:44]:<44} server {s:>6.0f}  docent {r['prompt']:>6.0f}  "
                  f"ratio {s / r['prompt']:.3f}", flush=True)
        print(f"{'median ratio':<44} {med(ratios):.3f}")
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
