"""`lumen serve`: every endpoint of the HTTP API, each kind of bad input, model errors, start-up
errors, graceful shutdown, and 200 concurrent requests checked against the model run directly in
Lua, with dynamic batching observed in /metrics. Stdlib only.

Run: LUMEN=.build/release/lumen python3 Tests/serve/test_serve.py
"""
import json
import os
import random
import re
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
LUMEN = os.path.abspath(os.environ.get("LUMEN", os.path.join(HERE, "..", "..", ".build", "release", "lumen")))
MODEL = os.path.join(HERE, "wafer_cnn.lua")
NAME = "wafer_cnn"


def make_fixture(folder):
    """Weights and expected outputs, computed in Lua by the model itself (make_fixture.lua)."""
    r = subprocess.run([LUMEN, os.path.join(HERE, "make_fixture.lua"), folder], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"make_fixture.lua failed: {r.stderr}")
    with open(os.path.join(folder, "expected.json")) as f:
        return json.load(f)


class Server:
    """A `lumen serve` process on a free loopback port (--port 0; the port is read from stdout)."""

    def __init__(self, *args, model=MODEL):
        self.proc = subprocess.Popen([LUMEN, "serve", model, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on http://([\d.]+):(\d+)", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.proc.stderr.read()}")
        self.base = f"http://{m.group(1)}:{m.group(2)}"
        self.banner = line

    def request(self, path, body=None, method=None, raw=None, timeout=60):
        """(status, parsed JSON or text) of one request; error statuses are returned, not raised."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data is not None else {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, text, ctype = resp.status, resp.read().decode(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, text, ctype = e.code, e.read().decode(), e.headers.get("Content-Type", "")
        return status, (json.loads(text) if ctype.startswith("application/json") else text)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


def infer_body(maps, **extra):
    """Open Inference Protocol request for a list of (1,32,32) maps, data flat."""
    flat = [v for m in maps for plane in m for row in plane for v in row]
    body = {"inputs": [{"name": "map", "shape": [len(maps), 1, 32, 32], "datatype": "FP32", "data": flat}]}
    body.update(extra)
    return body


def flatten(x):
    return [v for item in x for v in flatten(item)] if isinstance(x, list) else [x]


class ServeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.expected = make_fixture(cls.dir)
        cls.weights = os.path.join(cls.dir, "wafer_cnn.safetensors")
        cls.server = Server("--weights", cls.weights, "--workers", "2", "--max-batch", "8",
                            "--batch-window-ms", "5", "--max-body-bytes", "200000")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def assertClose(self, got, want, tol=1e-4):
        self.assertEqual(len(got), len(want))
        for g, w in zip(got, want):
            self.assertLessEqual(abs(g - w), tol * (1 + abs(w)), f"{g} vs {w}")

    def assertError(self, status, body, code, *fragments):
        self.assertEqual(status, code, body)
        self.assertIsInstance(body, dict, body)
        self.assertIn("error", body)
        for fragment in fragments:
            self.assertIn(fragment, body["error"])

    def check_outputs(self, outputs, indices):
        """Open Inference Protocol outputs for samples `indices` equal the Lua-computed ones."""
        by_name = {o["name"]: o for o in outputs}
        self.assertEqual(set(by_name), {"class", "logits"})
        logits, cls = by_name["logits"], by_name["class"]
        self.assertEqual((logits["datatype"], logits["shape"]), ("FP32", [len(indices), 9]))
        self.assertEqual((cls["datatype"], cls["shape"]), ("INT64", [len(indices)]))
        self.assertClose(logits["data"], [v for i in indices for v in self.expected["logits"][i]])
        self.assertEqual(cls["data"], [self.expected["class"][i] for i in indices])

    # ---- endpoints -------------------------------------------------------------------------

    def test_banner_and_health(self):
        self.assertIn(f'model "{NAME}"', self.server.banner)
        self.assertEqual(self.server.request("/v2/health/live"), (200, {"live": True}))
        self.assertEqual(self.server.request("/v2/health/ready"), (200, {"ready": True}))
        self.assertEqual(self.server.request(f"/v2/models/{NAME}/ready"), (200, {"name": NAME, "ready": True}))
        status, body = self.server.request("/v2")
        self.assertEqual((status, body["name"]), (200, "lumen"))

    def test_model_metadata(self):
        status, meta = self.server.request(f"/v2/models/{NAME}")
        self.assertEqual(status, 200)
        self.assertEqual((meta["name"], meta["platform"]), (NAME, "lumen"))
        self.assertEqual(meta["inputs"], [{"name": "map", "datatype": "FP32", "shape": [-1, 1, 32, 32]}])
        # Outputs were found by the start-up run (postprocess returns {class=, logits=}).
        self.assertEqual(meta["outputs"], [{"name": "class", "datatype": "INT64", "shape": [-1]},
                                           {"name": "logits", "datatype": "FP32", "shape": [-1, 9]}])

    def test_infer_one_and_several_samples(self):
        maps = self.expected["maps"]
        status, body = self.server.request(f"/v2/models/{NAME}/infer", infer_body([maps[3]], id="req-7"))
        self.assertEqual(status, 200, body)
        self.assertEqual((body["model_name"], body["id"]), (NAME, "req-7"))
        self.check_outputs(body["outputs"], [3])
        # Five samples in one request, data nested as the shape says.
        body = {"inputs": [{"name": "map", "shape": [5, 1, 32, 32], "datatype": "FP32", "data": maps[10:15]}]}
        status, body = self.server.request(f"/v2/models/{NAME}/infer", body)
        self.assertEqual(status, 200, body)
        self.assertNotIn("id", body)
        self.check_outputs(body["outputs"], list(range(10, 15)))

    def test_infer_selected_output(self):
        status, body = self.server.request(f"/v2/models/{NAME}/infer",
                                           infer_body([self.expected["maps"][0]], outputs=[{"name": "class"}]))
        self.assertEqual(status, 200, body)
        self.assertEqual([o["name"] for o in body["outputs"]], ["class"])
        status, body = self.server.request(f"/v2/models/{NAME}/infer",
                                           infer_body([self.expected["maps"][0]], outputs=[{"name": "nope"}]))
        self.assertError(status, body, 400, 'no output "nope"')

    def test_predict_forms(self):
        maps, logits, classes = self.expected["maps"], self.expected["logits"], self.expected["class"]
        status, body = self.server.request("/predict", {"inputs": maps[:3]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["outputs"]["class"], classes[:3])
        self.assertClose(flatten(body["outputs"]["logits"]), flatten(logits[:3]))
        # One sample without its batch dim gets outputs without it too.
        status, body = self.server.request("/predict", {"inputs": maps[5]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["outputs"]["class"], classes[5])
        self.assertClose(body["outputs"]["logits"], logits[5])
        # Instances: one prediction object per sample.
        status, body = self.server.request("/predict", {"instances": maps[6:9]})
        self.assertEqual(status, 200, body)
        self.assertEqual([p["class"] for p in body["predictions"]], classes[6:9])
        self.assertClose(flatten([p["logits"] for p in body["predictions"]]), flatten(logits[6:9]))
        status, body = self.server.request("/predict", {"instances": [{"map": maps[9]}]})
        self.assertEqual((status, body["predictions"][0]["class"]), (200, classes[9]))

    def test_metrics_format(self):
        self.server.request("/v2/health/live")
        status, text = self.server.request("/metrics")
        self.assertEqual(status, 200)
        self.assertIn("# TYPE lumen_http_requests_total counter", text)
        self.assertRegex(text, r'lumen_http_requests_total\{endpoint="/v2/health/live",method="GET",status="200"\} \d+')
        self.assertIn("# TYPE lumen_http_request_duration_seconds histogram", text)
        self.assertRegex(text, r'lumen_http_request_duration_seconds_bucket\{endpoint="/v2/health/live",le="\+Inf"\} \d+')
        self.assertIn(f'lumen_batch_size_count{{model="{NAME}"}}', text)
        self.assertIn(f'lumen_inference_errors_total{{model="{NAME}"}}', text)
        for line in text.splitlines():
            if line and not line.startswith("#"):
                self.assertRegex(line, r'^[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? [0-9.e+-]+$')

    # ---- bad input -------------------------------------------------------------------------

    def test_unknown_model_and_route(self):
        for path in ["/v2/models/nope", "/v2/models/nope/ready"]:
            self.assertError(*self.server.request(path), 404, 'unknown model "nope"', NAME)
        self.assertError(*self.server.request("/v2/models/nope/infer", infer_body([self.expected["maps"][0]])),
                         404, 'unknown model "nope"')
        self.assertError(*self.server.request("/no/such/route"), 404, "no route for GET /no/such/route")

    def test_malformed_requests(self):
        url = f"/v2/models/{NAME}/infer"
        m = self.expected["maps"][0]
        cases = [
            (b'{"inputs": [', "malformed JSON", "end of input"),
            (b'{"inputs": [1,]}', "malformed JSON at byte 14"),
            (b'[1, 2]', "must be a JSON object"),
            (b'{}', 'missing field "inputs"'),
            (b'{"inputs": []}', '"inputs" must be a non-empty array'),
            (json.dumps({"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]}).encode(), 'missing field "name"'),
            (json.dumps({"inputs": [{"name": "map", "shape": [1, 1, 32, 32], "datatype": "FP32"}]}).encode(),
             'missing field "data"'),
            (json.dumps(infer_body([m], id=5)).encode(), '"id" must be a string'),
        ]
        for raw, *fragments in cases:
            with self.subTest(raw=raw[:40]):
                self.assertError(*self.server.request(url, raw=raw, method="POST"), 400, *fragments)

    def test_wrong_shape_dtype_and_count(self):
        url = f"/v2/models/{NAME}/infer"
        flat = flatten(self.expected["maps"][0])
        def body(**fields):
            tensor = {"name": "map", "shape": [1, 1, 32, 32], "datatype": "FP32", "data": flat}
            tensor.update(fields)
            return {"inputs": [tensor]}
        cases = [
            (body(datatype="INT64"), 'datatype INT64 does not match the model\'s FP32'),
            (body(datatype="FP99"), 'unknown datatype "FP99"'),
            (body(shape=[1, 1, 28, 28], data=flat[:784]), "shape [1,1,28,28] does not match the model's [-1,1,32,32]"),
            (body(data=flat[:1000]), "shape [1,1,32,32] needs 1024 values; data has 1000"),
            (body(shape=[1, 1, 32, -32]), "shape element 4 must be a non-negative integer; got -32"),
            (body(shape=[1, 1, 32, 0.5]), "shape element 4 must be a non-negative integer; got 0.5"),
            (body(shape=[0, 1, 32, 32], data=[]), "batch size"),
            (body(data=flat[:1023] + ["x"]), 'input "map" data[1023] is a string; expected a number'),
            (body(data=[[1, 2], [3]]), "data[1] has 1 elements; expected 2"),
            (body(name="image"), 'has no input "image" (its inputs: map)'),
            ({"inputs": [body()["inputs"][0], body()["inputs"][0]]}, 'input "map" is given twice'),
            (body(data=[1e39] * 1024), "outside the float32 range"),
            (body(shape=[10 ** 14, 10 ** 14, 32, 32]), "shape [100000000000000,100000000000000,32,32] is too large"),
        ]
        for request, fragment in cases:
            with self.subTest(fragment=fragment):
                self.assertError(*self.server.request(url, request), 400, fragment)
        self.assertError(*self.server.request("/predict", {"inputs": [[1, 2, 3]]}), 400,
                         "shape [1,3] does not match the model's [-1,1,32,32]")
        self.assertError(*self.server.request("/predict", {"instances": [[1, 2], [1, 2, 3]]}), 400, "instances[1]")
        self.assertError(*self.server.request("/predict", {"rows": []}), 400, 'missing field "inputs"')

    def test_oversized_body_is_413(self):
        big = json.dumps(infer_body(self.expected["maps"][:40])).encode()  # ~ 160 KB of JSON ...
        big += b" " * (250_000 - len(big))                                 # ... padded past 200000
        status, body = self.server.request(f"/v2/models/{NAME}/infer", raw=big, method="POST")
        self.assertError(status, body, 413, "larger than the limit of 200000 bytes")
        self.assertEqual(self.server.request("/v2/health/live")[0], 200)

    def test_lua_error_is_500_and_server_survives(self):
        bad = [[[2.0] * 32] * 32]  # preprocess rejects values above 1
        status, body = self.server.request(f"/v2/models/{NAME}/infer", infer_body([bad]))
        self.assertError(status, body, 500, "[wafer_cnn] map values must lie in [0, 1]; got min 2, max 2")
        status, body = self.server.request(f"/v2/models/{NAME}/infer", infer_body([self.expected["maps"][1]]))
        self.assertEqual(status, 200, body)
        self.check_outputs(body["outputs"], [1])
        text = self.server.request("/metrics")[1]
        errors = int(re.search(r'lumen_inference_errors_total\{model="wafer_cnn"\} (\d+)', text).group(1))
        self.assertGreaterEqual(errors, 1)

    # ---- load ------------------------------------------------------------------------------

    def test_200_concurrent_requests_are_batched_and_correct(self):
        maps, n = self.expected["maps"], len(self.expected["maps"])
        before = self.batch_counts()
        results, failures = {}, []
        lock = threading.Lock()
        # One bad request rides along: it must fail alone, never its batch-mates.
        jobs = [(k, k % n) for k in range(200)]

        def client(my_jobs):
            for k, i in my_jobs:
                if k == 100:
                    status, body = self.server.request(f"/v2/models/{NAME}/infer", infer_body([[[[-1.0] * 32] * 32]]))
                    with lock:
                        results[k] = (status, body, None)
                    continue
                status, body = self.server.request(f"/v2/models/{NAME}/infer", infer_body([maps[i]], id=str(k)))
                with lock:
                    results[k] = (status, body, i)

        threads = [threading.Thread(target=client, args=(jobs[t::32],)) for t in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), 200)
        for k, (status, body, i) in sorted(results.items()):
            if i is None:
                self.assertError(status, body, 500, "map values must lie in [0, 1]")
                continue
            self.assertEqual(status, 200, (k, body))
            self.assertEqual(body["id"], str(k))
            self.check_outputs(body["outputs"], [i])
        after = self.batch_counts()
        batched = (after["count"] - after["1"]) - (before["count"] - before["1"])
        self.assertGreater(batched, 0, f"no forward pass joined more than one request: {before} -> {after}")
        self.assertLess(after["count"] - before["count"], 200, "every request ran alone")

    def batch_counts(self):
        text = self.server.request("/metrics")[1]
        counts = {m.group(1): int(m.group(2)) for m in
                  re.finditer(r'lumen_batch_size_bucket\{model="wafer_cnn",le="([^"]+)"\} (\d+)', text)}
        counts["count"] = int(re.search(r'lumen_batch_size_count\{model="wafer_cnn"\} (\d+)', text).group(1))
        return counts


class LifecycleTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.expected = make_fixture(cls.dir)
        cls.weights = os.path.join(cls.dir, "wafer_cnn.safetensors")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_fails(self, *args, fragment):
        r = subprocess.run([LUMEN, "serve", *args, "--port", "0"], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 2, (r.stdout, r.stderr))
        self.assertIn(fragment, r.stderr)
        self.assertNotIn("listening", r.stdout)

    def test_startup_errors_exit_2(self):
        self.start_fails(os.path.join(self.dir, "missing.lua"), fragment="model file not found")
        self.start_fails(MODEL, "--weights", os.path.join(self.dir, "none.safetensors"), fragment="weights file not found")
        self.start_fails(self.write("syntax.lua", "return nn.Linear(2,"), fragment="syntax.lua:1:")
        self.start_fails(self.write("raises.lua", "error('no model today')"), fragment="no model today")
        self.start_fails(self.write("number.lua", "return 42"), fragment="must return an nn.Module")
        other = self.write("other.lua", "return nn.Linear(3, 2)")
        self.start_fails(other, "--weights", self.weights, fragment="[load_state_dict]")
        self.start_fails(self.write("junk.lua", "return nn.Linear(3, 2)"), "--weights", self.write("junk.safetensors", "not a file"),
                         fragment="junk.safetensors")
        # Declared inputs the model cannot take are caught by the start-up run.
        self.start_fails(self.write("mismatch.lua", "return {model = nn.Linear(3, 2), inputs = {{name = 'x', shape = {-1, 4}}}}"),
                         fragment="the model fails on a batch of zeros")
        self.start_fails(MODEL, "--port", "99999", fragment="--port expects an integer")
        self.start_fails(MODEL, "--bogus", fragment="unknown option --bogus")

    def test_plain_module_with_name_and_one_worker(self):
        path = self.write("double.lua", "local m = nn.Linear(2, 1)\n"
                                        "torch.no_grad(function() m.weight:fill_(2); m.bias:fill_(1) end)\nreturn m")
        server = Server("--name", "lin", "--workers", "1", model=path)
        try:
            status, meta = server.request("/v2/models/lin")
            self.assertEqual(status, 200, meta)
            self.assertEqual(meta["inputs"][0]["name"], "input")
            status, body = server.request("/v2/models/lin/infer", {
                "inputs": [{"name": "input", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["outputs"][0]["data"], [7, 15])
            self.assertEqual(body["outputs"][0]["shape"], [2, 1])
            # Without declared inputs a wrong shape reaches the model: a Lua error, 500.
            status, body = server.request("/predict", {"inputs": [[1, 2, 3]]})
            self.assertEqual(status, 500, body)
            self.assertIn("[linear]", body["error"].lower())
            self.assertEqual(server.request("/predict", {"inputs": [[0.5, 0.5]]}), (200, {"outputs": [[3]]}))
        finally:
            self.assertEqual(server.stop(), 0)

    def test_different_shapes_are_never_batched_together(self):
        # Without declared inputs any shape is accepted; requests batch only with equal per-sample
        # shapes (joining a (1,3) with a (1,5) would fail), and each gets its own rows back.
        path = self.write("echo.lua", "return {model = nn.Identity(), postprocess = function(y) return y * 2 end}")
        server = Server("--max-batch", "8", "--batch-window-ms", "50", model=path)
        shapes = [[1, 3], [2, 5], [1, 2, 2], [3, 3]]
        results = {}

        def client(k):
            shape = shapes[k % len(shapes)]
            count = 1
            for d in shape:
                count *= d
            data = [k + j / 10 for j in range(count)]
            body = {"inputs": [{"name": "input", "shape": shape, "datatype": "FP32", "data": data}]}
            results[k] = (server.request("/v2/models/echo/infer", body), shape, data)

        try:
            threads = [threading.Thread(target=client, args=(k,)) for k in range(40)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for k, ((status, body), shape, data) in sorted(results.items()):
                self.assertEqual(status, 200, body)
                self.assertEqual(body["outputs"][0]["shape"], shape)
                self.assertEqual(len(body["outputs"][0]["data"]), len(data))
                for got, sent in zip(body["outputs"][0]["data"], data):
                    self.assertAlmostEqual(got, 2 * sent, places=4)
            text = server.request("/metrics")[1]
            forwards = int(re.search(r'lumen_batch_size_count\{model="echo"\} (\d+)', text).group(1))
            self.assertLess(forwards, 40, "requests of equal shapes should have been batched")
        finally:
            self.assertEqual(server.stop(), 0)

    def test_numbers_read_and_written_exactly(self):
        # FP64 through an identity model: every decimal must come back as the same double.
        path = self.write("ident.lua", "return {model = nn.Identity(), "
                                       "inputs = {{name = 'x', shape = {-1, -1}, datatype = 'FP64'}}}")
        rng = random.Random(1)
        texts = [repr(rng.uniform(-1e3, 1e3)) for _ in range(200)]
        texts += [repr(round(rng.uniform(-10, 10), k)) for k in range(8) for _ in range(20)]
        texts += ["0.1", "0.30000000000000004", "123456789012345.678", "0.1000000000000000055511151231257827",
                  "1e5", "2.5E-3", "5e-324", "1.7976931348623157e308", "9007199254740993", "1e22", "1e23",
                  "100000000000000000000000", "-0", "0.000000000000000000001"]
        body = '{"inputs":[{"name":"x","shape":[1,%d],"datatype":"FP64","data":[%s]}]}' % (len(texts), ",".join(texts))
        server = Server(model=path)
        try:
            status, out = server.request("/v2/models/ident/infer", raw=body.encode(), method="POST")
            self.assertEqual(status, 200, out)
            self.assertEqual(out["outputs"][0]["datatype"], "FP64")
            self.assertEqual(out["outputs"][0]["data"], [float(t) for t in texts])
        finally:
            server.stop()

    def test_sigterm_finishes_requests_in_flight(self):
        # A long batch window keeps the requests queued while the signal arrives.
        server = Server("--weights", self.weights, "--max-batch", "64", "--batch-window-ms", "4000")
        results = []

        def client(i):
            results.append(server.request(f"/v2/models/{NAME}/infer", infer_body([self.expected["maps"][i]])))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        time.sleep(1.5)  # all five are queued by now (they wait for the 4 s window)
        server.proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join()
        code = server.stop()
        self.assertEqual([status for status, _ in results], [200] * 5, results)
        self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
