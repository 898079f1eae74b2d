#!/usr/bin/env python3
"""The corpus and the store checks of test_kill.sh (ingest killed with
SIGKILL at random moments). Standard library only, plus scripts/mkdoc.py
for the PDF, DOCX and ODT files.

    kill_store.py corpus DIR SEED ROUND     writes round ROUND of the corpus
    kill_store.py next DIR SEED ROUND DB SECONDS
                                            writes round ROUND - 1 (kill round
                                            ROUND ingests it), then prints the moment
                                            of ROUND's kill (in [0, SECONDS])
                                            and the state of DB (below)
    kill_store.py run SECONDS OUT DB DIR CMD...
                                            runs CMD (output to OUT), kills it
                                            with SIGKILL after SECONDS; prints
                                            its exit status, how long it ran
                                            and the state of DB
    kill_store.py state DB DIR              one line: what is stored of DIR
    kill_store.py sound DB                  the store's invariants hold
    kill_store.py same DB1 DB2              both stores hold the same thing

The corpus has every format docent reads (text, Markdown, HTML, CSV, PDF,
DOCX, ODT) in a few folders, one pair of files with identical bytes, and
a different version at each round: most files rewritten, a few kept, some
removed, added and renamed, so that every round's ingest has about as much
to do as the first one (a kill lands mid-way however far the last one
got) and goes through replacing, deduplicating and pruning. Everything
follows from SEED and ROUND, so a failing run can be replayed.
"""
import hashlib
import os
import random
import sqlite3
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))

KINDS = ["txt", "md", "html", "csv", "pdf", "docx", "odt"]
FOLDERS = ["", "letters", "reports/2026"]
FILES = 84
# vectors of the same text differ a little with the batch they were
# embedded in (up to 4e-6 seen); a wrong vector differs by far more
TOLERANCE = 1e-4
WORDS = ("harbour tide buoy pilot vessel cargo crane berth quay ledger audit budget "
         "invoice leave policy sensor robot battery lidar pallet shift safety travel "
         "anchor beacon channel dredge ferry gantry hull keel mooring pier rudder").split()


def write_doc(rng, path, tag):
    """Writes one document of the kind its name says, tagged with TAG."""
    import mkdoc
    kind = path.rsplit(".", 1)[1]
    title = f"Record {tag} {rng.choice(WORDS)}"

    def para(k):
        return " ".join(rng.choice(WORDS) for _ in range(k)) + f" {tag}."

    paras = [para(rng.randint(30, 70)) for _ in range(rng.randint(2, 5))]
    if kind == "txt":
        text = title + "\n\n" + "\n\n".join(paras) + "\n"
    elif kind == "md":
        text = f"# {title}\n\n" + "".join(f"## Part {j}\n\n{p}\n\n" for j, p in enumerate(paras))
    elif kind == "html":
        text = (f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
                + "".join(f"<h2>Part {j}</h2><p>{p}</p>" for j, p in enumerate(paras))
                + "</body></html>\n")
    elif kind == "csv":
        rows = ["item,place,amount,note"]
        rows += [f"{rng.choice(WORDS)},{rng.choice(WORDS)},{rng.randint(1, 999)},{para(8)}"
                 for _ in range(rng.randint(10, 40))]
        text = "\n".join(rows) + "\n"
    else:
        md = f"# {title}\n\n" + "".join(
            f"## Part {j}\n\n{p}\n\n" + ("<!-- page -->\n\n" if j % 3 == 2 else "")
            for j, p in enumerate(paras))
        mkdoc.build(kind, md, path, title=title)
        return
    with open(path, "w") as f:
        f.write(text)


def listing(root):
    """The corpus's files, as paths relative to ROOT."""
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(out)


def corpus(root, seed, rnd):
    rng = random.Random(f"{seed}:{rnd}")
    if rnd == 0:
        for f in FOLDERS:
            os.makedirs(os.path.join(root, f), exist_ok=True)
        names = [os.path.join(FOLDERS[i % 3], f"d{i:03d}.{KINDS[i % 7]}") for i in range(FILES)]
    else:
        names = [n for n in listing(root) if not n.endswith("twin.md")]
        for n in rng.sample(names, 3):  # removed (pruned by the ingest)
            os.unlink(os.path.join(root, n))
            names.remove(n)
        # renamed, bytes unchanged; not a text or CSV file, whose title is
        # its file name: the stored content keeps the title of the name it
        # was first seen under (a known limit, not a crash's doing)
        old = rng.choice([n for n in names if not n.endswith((".txt", ".csv"))])
        new = os.path.join(rng.choice(FOLDERS), f"moved{rnd:02d}-" + os.path.basename(old))
        os.rename(os.path.join(root, old), os.path.join(root, new))
        names.remove(old)
        keep = set(rng.sample(names, len(names) // 10))  # unchanged
        names = [n for n in names if n not in keep]
        names += [os.path.join(rng.choice(FOLDERS), f"r{rnd:02d}n{i}.{rng.choice(KINDS)}")
                  for i in range(3)]  # added
    for n in names:
        write_doc(rng, os.path.join(root, n), f"tag{zlib.crc32(n.encode()) % 100000}v{rnd}")
    # two paths, one content (never the twin itself: opened for writing,
    # it would be emptied before it is read)
    src = os.path.join(root, sorted(n for n in listing(root)
                                    if n.endswith(".md") and not n.endswith("twin.md"))[0])
    with open(src, "rb") as f, open(os.path.join(root, "letters", "twin.md"), "wb") as g:
        g.write(f.read())


def delay(seed, rnd, seconds):
    # its own stream: the corpus's draws do not move the kills
    return random.Random(f"kill:{seed}:{rnd}").uniform(0, seconds)


def run(seconds, out, cmd):
    """Unlike sleep and kill, knows when a command that ended before its
    kill ended: that is how long a round's ingest takes now."""
    import signal
    import subprocess
    import time
    with open(out, "wb") as f:
        t0 = time.monotonic()
        # a group of its own: a wrapper script dies with what it runs
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            status = p.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            status = 128 + signal.SIGKILL
        return status, time.monotonic() - t0


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def state(db, root):
    """current/total files stored with their present bytes, documents of
    removed files, chunks without a vector: enough to tell how far an
    ingest got."""
    root = os.path.abspath(root)
    files = {os.path.join(root, n): sha256(os.path.join(root, n)) for n in listing(root)}
    if not os.path.exists(db):
        return f"current 0/{len(files)} removed 0 unembedded 0"
    c = sqlite3.connect(db)
    docs = dict(c.execute("select path, hash from documents where status = 'ok'"))
    current = sum(1 for p, h in files.items() if docs.get(p) == h)
    removed = sum(1 for p in docs if p not in files)
    unembedded = c.execute("select count(*) from chunks where id not in "
                           "(select chunk_id from embeddings)").fetchone()[0]
    return f"current {current}/{len(files)} removed {removed} unembedded {unembedded}"


def sound(db):
    """What a crash must never leave: part of a document, content nobody
    points at, chunks out of order, vector totals that disagree."""
    c = sqlite3.connect(db)
    bad = []

    def none(what, sql):
        rows = c.execute(sql).fetchall()
        if rows:
            bad.append(f"{what}: {rows[:5]}")

    none("documents without chunks", "select d.path from documents d where d.status = 'ok' "
         "and not exists (select 1 from chunks k where k.content_id = d.content_id)")
    none("contents no document points at", "select id from contents where id not in "
         "(select content_id from documents where content_id is not null)")
    none("chunk ordinals with gaps", "select content_id, count(*), max(ordinal) from chunks "
         "group by content_id having count(*) != max(ordinal) + 1 or min(ordinal) != 0")
    none("vector totals that disagree", "select c.name, c.vec_count, c.vec_idsum, "
         "count(e.chunk_id), coalesce(sum(e.chunk_id), 0) from collections c left join "
         "embeddings e on e.collection_id = c.id group by c.id "
         "having c.vec_count != count(e.chunk_id) or c.vec_idsum != coalesce(sum(e.chunk_id), 0)")
    none("vectors of another collection's chunks", "select e.chunk_id from embeddings e "
         "join chunks k on k.id = e.chunk_id join contents t on t.id = k.content_id "
         "where t.collection_id != e.collection_id")
    for b in bad:
        print(b)
    return not bad


def dump(db):
    """The store as comparable rows (ids left out: they differ between two
    stores with the same documents), and the vectors by (path, ordinal)."""
    c = sqlite3.connect(db)
    rows = []
    rows += [("collection",) + r for r in c.execute(
        "select name, embed_model, embed_dim, vec_count, "
        "(select count(*) from embeddings e where e.collection_id = c.id) from collections c")]
    rows += [("document",) + r for r in c.execute(
        "select c.name, d.path, d.size, d.hash, d.status, d.error, t.hash, t.title, t.format, "
        "t.text_bytes, t.npages from documents d join collections c on c.id = d.collection_id "
        "left join contents t on t.id = d.content_id")]
    rows += [("content",) + r for r in c.execute(
        "select t.hash, count(d.id) from contents t join documents d on d.content_id = t.id "
        "group by t.id")]
    rows += [("chunk",) + r for r in c.execute(
        "select t.hash, k.ordinal, k.text, k.context, k.heading, k.start_byte, k.end_byte, "
        "k.page_start, k.page_end, k.ntokens, k.nwords, e.chunk_id is not null "
        "from chunks k join contents t on t.id = k.content_id "
        "left join embeddings e on e.chunk_id = k.id")]
    vecs = {}
    for h, o, blob in c.execute("select t.hash, k.ordinal, e.vec from embeddings e "
                                "join chunks k on k.id = e.chunk_id "
                                "join contents t on t.id = k.content_id"):
        vecs[(h, o)] = struct.unpack(f"{len(blob) // 4}f", blob)
    return sorted(rows, key=repr), vecs


def same(db1, db2):
    rows1, vecs1 = dump(db1)
    rows2, vecs2 = dump(db2)
    ok = True
    if rows1 != rows2:
        ok = False
        s1, s2 = set(rows1), set(rows2)
        print(f"{len(rows1)} rows against {len(rows2)}; only in {db1}:")
        for r in sorted(s1 - s2, key=repr)[:10]:
            print("  ", repr(r)[:300])
        print(f"only in {db2}:")
        for r in sorted(s2 - s1, key=repr)[:10]:
            print("  ", repr(r)[:300])
        if len(s1) != len(rows1) or len(s2) != len(rows2):
            print("duplicated rows:", len(rows1) - len(s1), len(rows2) - len(s2))
    if vecs1.keys() != vecs2.keys():
        ok = False
        print("vectors of other chunks:", len(vecs1.keys() - vecs2.keys()),
              len(vecs2.keys() - vecs1.keys()))
    diff = {k: max(abs(a - b) for a, b in zip(vecs1[k], vecs2[k]))
            for k in vecs1.keys() & vecs2.keys()}
    worst = max(diff.values(), default=0.0)
    far = [k for k, v in diff.items() if v > TOLERANCE]
    if far:
        ok = False
        print(f"{len(far)} vectors differ by more than {TOLERANCE}, e.g. chunk {far[0]}")
    print(f"{len(rows1)} rows, {len(vecs1)} vectors; largest difference between "
          f"vectors {worst:g}")
    return ok


def main(argv):
    cmd = argv[1]
    if cmd == "corpus":
        corpus(argv[2], int(argv[3]), int(argv[4]))
    elif cmd == "next":
        root, seed, rnd, db = argv[2], int(argv[3]), int(argv[4]), argv[5]
        if rnd > 1:  # round 1 ingests the corpus as first made
            corpus(root, seed, rnd - 1)
        print(f"{delay(seed, rnd, float(argv[6])):.3f} {state(db, root)}")
    elif cmd == "run":
        status, took = run(float(argv[2]), argv[3], argv[6:])
        print(f"{status} {took:.3f} {state(argv[4], argv[5])}")
    elif cmd == "state":
        print(state(argv[2], argv[3]))
    elif cmd == "sound":
        return 0 if sound(argv[2]) else 1
    elif cmd == "same":
        return 0 if same(argv[2], argv[3]) else 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
