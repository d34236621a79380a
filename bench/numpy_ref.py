"""numpy's time for the engine benchmark's bandwidth workloads (same shapes), for side-by-side ratios."""
import time
import numpy as np

def best(fn, iterations, repeats=5):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn()
        times.append((time.perf_counter() - t0) / iterations)
    return min(times)

m = 4 * 1024 * 1024
x = np.random.rand(m).astype(np.float32)
y = np.random.rand(m).astype(np.float32)
print(f"{'numpy_add4m_ms':28s} {best(lambda: x + y, 20) * 1e3:10.3f} ms")
print(f"{'numpy_sum4m_ms':28s} {best(lambda: x.sum(), 20) * 1e3:10.3f} ms")
