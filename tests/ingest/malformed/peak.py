#!/usr/bin/env python3
"""peak.py OUT COMMAND... - runs COMMAND, writes its peak resident memory
(KiB, the largest of its process tree: getrusage(RUSAGE_CHILDREN)) to OUT,
and exits with COMMAND's status (its output passes through)."""
import resource
import subprocess
import sys

rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc if rc >= 0 else 128 - rc)
