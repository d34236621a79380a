"""Process start-up time and peak memory of a one-line lumen command (median of 20 runs)."""
import os
import resource
import statistics
import subprocess
import sys
import time

lumen = sys.argv[1] if len(sys.argv) > 1 else ".build/release/lumen"
times = []
peak = 0
for _ in range(20):
    started = time.perf_counter()
    subprocess.run([lumen, "-e", "local x = torch.ones(4) + 1"], check=True)
    times.append(time.perf_counter() - started)
    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(f"{'startup_ms':28s} {statistics.median(times) * 1e3:10.3f} ms (median of 20)")
print(f"{'startup_peak_mib':28s} {peak / 1024:10.3f} MiB")
