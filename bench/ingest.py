#!/usr/bin/env python3
"""Ingestion throughput of `docent ingest`: MB/s, files/s and peak memory.

    bench/ingest.py BIN [--mb 200] [--files 10000] [--corpus DIR] [--threads N]
    bench/ingest.py BIN --dir PATH        (an existing folder, e.g. doccorpus)
    bench/ingest.py BIN --mb 5 --files 250 --embed-model GGUF   (with embeddings)

Without --dir it generates (once, cached in --corpus) a corpus of plain text
and Markdown in paragraphs, sentences and headings, its words drawn with the
word frequencies of the shared collections' documents (../shared/eval:
real English, function words included), or pseudo-words with a Zipf-like
frequency when that is absent; then it ingests it into a fresh data directory and
reports wall time, MB/s, files/s and the peak RSS of the docent process.
Running it at two corpus sizes shows whether memory grows with the corpus.
With --embed-model the ingest also embeds every chunk with that model
in-process (e.g. the real-shape build/models/minilm-l6-random-f16.gguf from
`make bench-models`): it then reports the embedding step's chunks/s and
tokens/s too, and the peak RSS includes the model.
A benchmark, not a test: it prints figures and judges nothing.
"""
import argparse, os, random, resource, shutil, subprocess, sys, tempfile, time


def make_words(n, rnd):
    syll = ["ka", "lo", "mi", "ra", "te", "nu", "po", "si", "da", "ve", "re", "an", "or",
            "el", "ti", "mo", "ga", "pe", "lu", "ne", "ber", "son", "tion", "ing", "al"]
    words = set()
    while len(words) < n:
        words.add("".join(rnd.choice(syll) for _ in range(rnd.randint(1, 4))))
    return sorted(words)


def english_words(eval_dir):
    """Word frequencies of the shared collections' documents, or None."""
    import collections, json, re
    counts = collections.Counter()
    for c in ("cranfield", "cisi", "med"):
        p = os.path.join(eval_dir, c, "docs.jsonl")
        if not os.path.exists(p):
            continue
        for line in open(p):
            counts.update(re.findall(r"[a-z0-9]+", json.loads(line)["text"].lower()))
    if not counts:
        return None
    words, weights = zip(*counts.most_common())
    return list(words), list(weights)


def generate(root, total_mb, nfiles, eval_dir, seed=1):
    rnd = random.Random(seed)
    real = english_words(eval_dir)
    if real:
        words, weights = real
    else:
        words = make_words(30000, rnd)
        weights = [1.0 / (i + 1) for i in range(len(words))]
    per_file = total_mb * 1_000_000 // nfiles
    os.makedirs(root, exist_ok=True)
    pool = rnd.choices(words, weights, k=2_000_000)  # sampled once, reused
    pos = 0
    for i in range(nfiles):
        sub = os.path.join(root, f"d{i // 500:03d}")
        os.makedirs(sub, exist_ok=True)
        md = i % 5 == 0
        parts, size = [], 0
        while size < per_file:
            if md and rnd.random() < 0.1:
                line = "#" * rnd.randint(1, 3) + " " + " ".join(pool[pos:pos + 4]).title()
                pos += 4
            else:
                sents = []
                for _ in range(rnd.randint(2, 7)):
                    k = rnd.randint(6, 24)
                    if pos + k >= len(pool):
                        pos = rnd.randint(0, 1000)
                    s = " ".join(pool[pos:pos + k])
                    pos += k
                    sents.append(s[0].upper() + s[1:] + ".")
                line = " ".join(sents)
            parts.append(line)
            size += len(line) + 2
        with open(os.path.join(sub, f"f{i:05d}.{'md' if md else 'txt'}"), "w") as f:
            f.write("\n\n".join(parts) + "\n")


def corpus_size(root):
    total, files = 0, 0
    for d, _, fs in os.walk(root):
        for f in fs:
            total += os.path.getsize(os.path.join(d, f))
            files += 1
    return total, files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--corpus")
    ap.add_argument("--dir")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--embed-model")
    ap.add_argument("--eval-dir", default=os.path.join(os.path.dirname(__file__),
                                                       "..", "..", "shared", "eval"))
    a = ap.parse_args()

    root = a.dir
    if not root:
        kind = "english" if english_words(a.eval_dir) else "pseudo"
        root = a.corpus or os.path.join(tempfile.gettempdir(),
                                        f"docent-bench-corpus-{kind}-{a.mb}mb-{a.files}")
        if not os.path.exists(os.path.join(root, ".done")):
            print(f"generating {a.mb} MB in {a.files} files under {root} ...", file=sys.stderr)
            shutil.rmtree(root, ignore_errors=True)
            generate(root, a.mb, a.files, a.eval_dir)
            open(os.path.join(root, ".done"), "w").close()
    size, files = corpus_size(root)
    home = tempfile.mkdtemp(prefix="docent-bench-home-")
    env = dict(os.environ, DOCENT_HOME=home, DOCENT_CONFIG="/nonexistent",
               DOCENT_EMBED_MODEL=a.embed_model or "")
    cmd = [a.bin, "ingest", "-q", "-j", str(a.threads)] + (["--json"] if a.embed_model else []) + [root]
    t0 = time.monotonic()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    dt = time.monotonic() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    db = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(home) for f in fs)
    shutil.rmtree(home, ignore_errors=True)
    print(f"corpus={root} files={files} size={size / 1e6:.1f} MB  time={dt:.2f} s  "
          f"{size / 1e6 / dt:.1f} MB/s  {files / dt:.0f} files/s  peak RSS={rss:.0f} MB  "
          f"database={db / 1e6:.0f} MB  exit={r.returncode}")
    if a.embed_model and r.returncode in (0, 1):
        import json
        e = json.loads(r.stdout)["embedding"]
        text_s = dt - e["seconds"]
        print(f"  text: {size / 1e6 / text_s:.1f} MB/s in {text_s:.1f} s; embedding: "
              f"{e['chunks']} chunks, {e['tokens']} tokens in {e['seconds']:.1f} s = "
              f"{e['chunks'] / e['seconds']:.1f} chunks/s, {e['tokens'] / e['seconds']:.0f} "
              f"tokens/s; index {e['index']}")
    if r.returncode not in (0, 1):
        print(r.stdout[-2000:], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
