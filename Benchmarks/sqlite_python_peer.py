"""100 000 single-row INSERTs in one transaction through Python's sqlite3
module, for the peer measurement of the SQLite instrumentation
(docs/performance.md). Run it plain, under OpenTelemetry Python's
opentelemetry-instrument (opentelemetry-instrumentation-sqlite3), and under
otel-instrument:

    python3 Benchmarks/sqlite_python_peer.py
    opentelemetry-instrument --traces_exporter none --metrics_exporter none --logs_exporter none python3 Benchmarks/sqlite_python_peer.py
    otel-instrument --traces_exporter none -- python3 Benchmarks/sqlite_python_peer.py
"""
import sqlite3
import time

connection = sqlite3.connect(":memory:")
cursor = connection.cursor()  # OpenTelemetry Python's instrumentation only wraps cursor calls
cursor.execute("create table t(id integer, name text)")
cursor.execute("begin")
start = time.perf_counter_ns()
for i in range(100_000):
    cursor.execute("insert into t values (?, ?)", (i, "name"))
elapsed = time.perf_counter_ns() - start
cursor.execute("commit")
print(f"{elapsed / 100_000:.2f} us per INSERT" if False else f"{elapsed / 100_000 / 1000:.2f} us per INSERT")
