#!/usr/bin/env python3
"""Runs a command and prints the CPU seconds of its whole process tree.

/usr/bin/time counts only the children a process waits for; a Go test
binary does not wait for the node processes jsii starts, so their CPU (the
synth itself) is missing from its figure. Here this process becomes the
child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER): orphaned descendants
are re-parented to it, reaped, and counted.

    python3 scripts/treecpu.py go test -count=1 ./constructs/datasync/
"""
import ctypes
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36

def main():
    if len(sys.argv) < 2:
        sys.exit("usage: treecpu.py COMMAND [ARG...]")
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    start = time.time()
    rc = subprocess.Popen(sys.argv[1:]).wait()
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    sys.stderr.write("%.1f s CPU (%.1f user, %.1f sys), %.1f s wall, load %.1f, exit %d\n"
                     % (r.ru_utime + r.ru_stime, r.ru_utime, r.ru_stime, time.time() - start, load, rc))
    sys.exit(rc)

if __name__ == "__main__":
    main()
