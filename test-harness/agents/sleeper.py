# A thread woken on a known schedule, run inside or outside a namespace:
#   python3 sleeper.py NAME COUNT SLEEP_MS WORK_MS [RT_PRIORITY]
# names itself NAME (the comm the kernel shows), with RT_PRIORITY runs as SCHED_FIFO at that
# priority (other load on its CPU then cannot preempt it around its sleeps), waits for one line (or
# the end of file) on standard input, which the caller writes once the tool that watches it is
# ready, then COUNT times
# sleeps SLEEP_MS and computes for WORK_MS. Prints {"done": COUNT, "sleeps": [[voluntary,
# involuntary, elapsed_us], ...]} at the end: for each sleep, the thread's context switches during
# the call and how long it took, so a caller knows which sleeps were one clean block off CPU.
#
# The sleep is relative (libc nanosleep), not Python's time.sleep: that one sleeps until a deadline
# taken before the call, so a thread preempted for longer than the sleep just before the call
# blocks only microseconds.
import ctypes, json, os, resource, sys, time


class Timespec(ctypes.Structure):
    _fields_ = [('tv_sec', ctypes.c_long), ('tv_nsec', ctypes.c_long)]


name, count, sleep_ms, work_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
if len(sys.argv) > 5 and int(sys.argv[5]):
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(int(sys.argv[5])))
sys.stdin.readline()
ns = int(sleep_ms * 1e6)
req = Timespec(ns // 10**9, ns % 10**9)
sleeps = []
for _ in range(count):
    r0 = resource.getrusage(resource.RUSAGE_THREAD)
    t0 = time.monotonic_ns()
    libc.nanosleep(ctypes.byref(req), None)
    t1 = time.monotonic_ns()
    r1 = resource.getrusage(resource.RUSAGE_THREAD)
    sleeps.append([r1.ru_nvcsw - r0.ru_nvcsw, r1.ru_nivcsw - r0.ru_nivcsw, (t1 - t0) // 1000])
    end = time.perf_counter() + work_ms / 1000
    while time.perf_counter() < end:
        pass
print(json.dumps({'done': count, 'sleeps': sleeps}), flush=True)
