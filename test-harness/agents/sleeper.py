# A thread woken on a known schedule, run inside or outside a namespace:
#   python3 sleeper.py NAME START_DELAY_S COUNT SLEEP_MS WORK_MS
# names itself NAME (the comm the kernel shows), waits START_DELAY_S, then COUNT times sleeps
# SLEEP_MS and computes for WORK_MS. Prints {"done": COUNT} at the end.
import ctypes, json, sys, time

name, start, count, sleep_ms, work_ms = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
time.sleep(start)
for _ in range(count):
    time.sleep(sleep_ms / 1000)
    end = time.perf_counter() + work_ms / 1000
    while time.perf_counter() < end:
        pass
print(json.dumps({'done': count}), flush=True)
