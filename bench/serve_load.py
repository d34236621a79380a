"""Load test of `lumen serve` on the wafer CNN (Tests/serve/wafer_cnn.lua): a closed loop of
CONCURRENCY client threads, each keeping one request in flight on its own keep-alive connection
for DURATION seconds, with dynamic batching off (--max-batch 1) and on (--max-batch 8).
Prints throughput, p50/p90/p99 latency, the mean batch size the server reports in /metrics and
the server's CPU time per request (less sensitive to other load on a shared machine). Loopback only; bounded in time. Stdlib only.

Run: python3 bench/serve_load.py [.build/release/lumen] [--concurrency 16] [--duration 10]
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODEL = os.path.join(ROOT, "Tests", "serve", "wafer_cnn.lua")
FIXTURE = os.path.join(ROOT, "Tests", "serve", "make_fixture.lua")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def start_server(lumen, weights, extra):
    proc = subprocess.Popen([lumen, "serve", MODEL, "--weights", weights, "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on http://([\d.]+):(\d+)", line)
    if not m:
        proc.kill()
        sys.exit(f"server did not start: {line!r}")
    return proc, m.group(1), int(m.group(2))


def batch_stats(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    total = float(re.search(r"lumen_batch_size_sum\{[^}]*\} ([\d.e+]+)", text).group(1))
    count = int(re.search(r"lumen_batch_size_count\{[^}]*\} (\d+)", text).group(1))
    return total, count


def process_cpu_seconds(pid):
    """User + system CPU time of a process (Linux /proc), to compare server work per request."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(host, port, bodies, concurrency, duration):
    """Closed-loop load; returns (latencies in seconds, errors, elapsed seconds)."""
    latencies, errors = [], []
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def client(offset):
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine, k = [], offset
        while time.perf_counter() < stop_at:
            body = bodies[k % len(bodies)]
            k += concurrency
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/v2/models/wafer_cnn/infer", body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException) as e:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                with lock:
                    errors.append(repr(e))
            if ok:
                mine.append(time.perf_counter() - t0)
            elif not errors or errors[-1] != "status":
                with lock:
                    errors.append("status")
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(latencies), errors, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lumen", nargs="?", default=os.path.join(ROOT, ".build", "release", "lumen"))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    folder = tempfile.mkdtemp()
    subprocess.run([args.lumen, FIXTURE, folder], check=True, capture_output=True)
    weights = os.path.join(folder, "wafer_cnn.safetensors")
    with open(os.path.join(folder, "expected.json")) as f:
        maps = json.load(f)["maps"]
    bodies = [json.dumps({"inputs": [{"name": "map", "shape": [1, 1, 32, 32], "datatype": "FP32", "data": [m]}]}).encode()
              for m in maps]

    print(f"lumen serve, wafer CNN (1x32x32 -> 9 classes), {args.workers} workers, "
          f"{args.concurrency} concurrent clients, {args.duration:g} s per run, configurations alternated "
          f"{args.rounds} times (the machine is shared: compare runs of the same round)")
    print(f"{'configuration':<34} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'batch':>6} {'cpu ms/req':>10} {'errors':>6}")
    configurations = [("no batching (--max-batch 1)", ["--max-batch", "1"]),
                      ("batching (--max-batch 8, 2 ms)", ["--max-batch", "8", "--batch-window-ms", "2"])]
    for _ in range(args.rounds):
        for label, extra in configurations:
            proc, host, port = start_server(args.lumen, weights, ["--workers", str(args.workers), *extra])
            try:
                load(host, port, bodies, args.concurrency, 1.0)  # warm-up
                sum0, count0 = batch_stats(host, port)
                cpu0 = process_cpu_seconds(proc.pid)
                latencies, errors, elapsed = load(host, port, bodies, args.concurrency, args.duration)
                cpu1 = process_cpu_seconds(proc.pid)
                sum1, count1 = batch_stats(host, port)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            mean_batch = (sum1 - sum0) / max(1, count1 - count0)
            ms = [v * 1000 for v in latencies]
            cpu_per_request = (cpu1 - cpu0) / max(1, len(ms)) * 1000
            print(f"{label:<34} {len(ms):>8} {len(ms) / elapsed:>8.0f} {percentile(ms, 50):>8.2f} {percentile(ms, 90):>8.2f} "
                  f"{percentile(ms, 99):>8.2f} {mean_batch:>6.2f} {cpu_per_request:>10.3f} {len(errors):>6}")


if __name__ == "__main__":
    main()
