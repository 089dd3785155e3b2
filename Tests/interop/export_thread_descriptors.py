"""Prints, for each thread of this process, its name and the descriptors its
table holds, after a SQLite statement started the export threads and after
the program closed every descriptor from 3 up (as daemons and sandboxes do),
then runs another statement. Used under otel-instrument: export threads whose
exporter confines its descriptors have an (almost) empty table of their own."""
import os
import sqlite3
import sys
import time

connection = sqlite3.connect(":memory:")
connection.execute("select 1")  # a span and a metric record: the export threads start
time.sleep(float(sys.argv[1]))
for tid in sorted(os.listdir("/proc/self/task")):
    with open(f"/proc/self/task/{tid}/comm") as comm:
        name = comm.read().strip()
    descriptors = sorted(int(fd) for fd in os.listdir(f"/proc/self/task/{tid}/fd"))
    print(name, " ".join(map(str, descriptors)), flush=True)
os.closerange(3, 1 << 16)
connection = sqlite3.connect(":memory:")
connection.execute("select 2")
time.sleep(float(sys.argv[1]))
