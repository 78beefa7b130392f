# A thread woken on a known schedule, run inside or outside a namespace:
#   python3 sleeper.py NAME COUNT SLEEP_MS WORK_MS
# names itself NAME (the comm the kernel shows), waits for one line (or the end of file) on
# standard input, which the caller writes once the tool that watches it is ready, then COUNT times
# sleeps SLEEP_MS and computes for WORK_MS. Prints {"done": COUNT} at the end.
import ctypes, json, sys, time

name, count, sleep_ms, work_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
sys.stdin.readline()
for _ in range(count):
    time.sleep(sleep_ms / 1000)
    end = time.perf_counter() + work_ms / 1000
    while time.perf_counter() < end:
        pass
print(json.dumps({'done': count}), flush=True)
