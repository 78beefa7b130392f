"""Thread churn on demand: for each line N read from stdin, start N threads one after another, each
sleeping 1 ms in select(2) (one stretch off CPU: a relative timeout always blocks, where
time.sleep's absolute deadline may have passed already on a busy host) and exiting, join them, and
print "done N"."""
import select
import sys
import threading


def work():
    select.select([], [], [], 0.001)


for line in sys.stdin:
    n = int(line)
    for _ in range(n):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    print(f"done {n}", flush=True)
