"""ONNX export checked against onnxruntime: Tests/deploy/export_models.lua exports an MLP, a CNN with
BatchNorm (eval) and the same CNN after structured pruning, a 2-layer LSTM, a bidirectional GRU, a Conv1d + 2-layer ReLU RNN with a given initial state, an attention block, an Embedding model, a model
of tensor operations between modules and an int8 QDQ model, and saves Lumen's inputs and outputs (two batch sizes, to exercise the dynamic batch
dimension). Each file must pass onnx.checker (full check, with shape inference) and onnxruntime must
reproduce Lumen's outputs within 1e-4.

The QDQ model runs with graph optimizations disabled, so onnxruntime does not fuse
DequantizeLinear -> Conv/Gemm -> QuantizeLinear into integer kernels but emulates the QDQ arithmetic
in float, as Lumen's forward does.

Needs numpy, onnx and onnxruntime (`make test-deploy` installs them into .venv-test/).
Run: LUMEN=.build/release/lumen .venv-test/bin/python Tests/deploy/test_onnx.py"""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
LUMEN = os.path.abspath(os.environ.get("LUMEN", os.path.join(HERE, "..", "..", ".build", "release", "lumen")))
TOLERANCE = 1e-4
DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "I8": np.int8, "U8": np.uint8,
          "BOOL": np.bool_}


def read_safetensors(path):
    """name -> numpy array (8-byte little-endian header length, JSON header, row-major data)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return out


class OnnxExportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        r = subprocess.run([LUMEN, os.path.join(HERE, "export_models.lua"), cls.dir], capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise RuntimeError("export_models.lua failed:\n" + r.stdout + r.stderr)
        print(r.stdout, end="")

    def check(self, name, disable_optimizations=False):
        path = os.path.join(self.dir, name + ".onnx")
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        self.assertGreaterEqual(model.ir_version, 7)
        self.assertGreaterEqual(model.opset_import[0].version, 13)
        options = ort.SessionOptions()
        if disable_optimizations:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        record = read_safetensors(os.path.join(self.dir, name + ".safetensors"))
        worst = 0.0
        for tag in ("a", "b"):
            feeds = {k.split(".", 2)[2]: v for k, v in record.items() if k.startswith(tag + ".in.")}
            expected = {k.split(".", 2)[2]: v for k, v in record.items() if k.startswith(tag + ".out.")}
            names = [o.name for o in session.get_outputs()]
            self.assertEqual(sorted(names), sorted(expected))
            got = session.run(names, feeds)
            for n, g in zip(names, got):
                self.assertEqual(g.shape, expected[n].shape, f"{name} {tag} {n}")
                diff = float(np.max(np.abs(g.astype(np.float64) - expected[n].astype(np.float64)))) if g.size else 0.0
                worst = max(worst, diff)
                self.assertLessEqual(diff, TOLERANCE, f"{name} batch {tag} output {n}: max |onnxruntime - lumen| = {diff}")
        print(f"{name:10s} max |onnxruntime - lumen| = {worst:.2e}")
        return model

    def test_mlp(self):
        model = self.check("mlp")
        self.assertIn("Gemm", [n.op_type for n in model.graph.node])
        dim = model.graph.input[0].type.tensor_type.shape.dim[0]
        self.assertEqual(dim.dim_param, "batch")

    def test_cnn_batchnorm(self):
        ops = [n.op_type for n in self.check("cnn").graph.node]
        for op in ("Conv", "BatchNormalization", "MaxPool", "GlobalAveragePool", "Gemm"):
            self.assertIn(op, ops)

    def test_structured_pruned_cnn(self):
        model = self.check("cnn_pruned")
        conv = [i for i in model.graph.initializer if len(i.dims) == 4]
        # conv1 loses half its channels; conv2 feeds a grouped conv, which structured pruning leaves alone
        self.assertEqual([i.dims[0] for i in conv], [4, 16, 16])
        self.assertEqual(conv[1].dims[1], 4)

    def test_lstm(self):
        self.assertEqual([n.op_type for n in self.check("lstm").graph.node].count("LSTM"), 2)

    def test_gru(self):
        self.assertIn("GRU", [n.op_type for n in self.check("gru").graph.node])

    def test_conv1d_rnn_with_initial_state(self):
        model = self.check("rnn")
        self.assertEqual([i.name for i in model.graph.input], ["x", "h0"])
        self.assertEqual([n.op_type for n in model.graph.node].count("RNN"), 2)

    def test_attention_block(self):
        ops = [n.op_type for n in self.check("attention").graph.node]
        for op in ("MatMul", "Softmax", "Transpose", "Reshape", "LayerNormalization", "Add"):
            self.assertIn(op, ops)

    def test_causal_attention_block(self):
        self.assertIn("Where", [n.op_type for n in self.check("causal").graph.node])

    def test_embedding(self):
        self.assertIn("Gather", [n.op_type for n in self.check("embed").graph.node])

    def test_tensor_ops(self):
        ops = [n.op_type for n in self.check("ops").graph.node]
        for op in ("Concat", "Slice", "ReduceMean", "ReduceSum", "LeakyRelu", "AveragePool", "LogSoftmax", "Softplus"):
            self.assertIn(op, ops)

    def test_qdq_int8(self):
        model = self.check("qdq", disable_optimizations=True)
        ops = [n.op_type for n in model.graph.node]
        self.assertIn("QuantizeLinear", ops)
        self.assertGreaterEqual(ops.count("DequantizeLinear"), 7)
        int8 = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8 and len(i.dims) >= 2]
        self.assertEqual(len(int8), 3, "the three weight tensors are stored as int8")

    def test_qdq_from_deploy_quantize(self):
        """A model made by deploy.quantize: onnxruntime = Lumen's float64 QDQ emulation within 1e-4, and
        Lumen's int8 kernels within one output quantization step of onnxruntime."""
        model = self.check_real_qdq()
        ops = [n.op_type for n in model.graph.node]
        self.assertIn("QuantizeLinear", ops)
        self.assertIn("Conv", ops)

    def check_real_qdq(self):
        path = os.path.join(self.dir, "qdq_real.onnx")
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        record = read_safetensors(os.path.join(self.dir, "qdq_real.safetensors"))
        step = float(record["output_scale"][0])
        name = session.get_inputs()[0].name
        out = session.get_outputs()[0].name
        for tag in ("a", "b"):
            got = session.run([out], {name: record[f"{tag}.in.{name}"]})[0].astype(np.float64)
            emulated = record[f"{tag}.out.{out}"].astype(np.float64)
            int8 = record[f"{tag}.int8.{out}"].astype(np.float64)
            self.assertLessEqual(float(np.max(np.abs(got - emulated))), TOLERANCE, f"batch {tag}: onnxruntime vs emulation")
            self.assertLessEqual(float(np.max(np.abs(got - int8))), step * 1.001 + 1e-6,
                                 f"batch {tag}: int8 kernels more than one output step from onnxruntime")
            print(f"qdq_real   batch {tag}: |ort - emulation| = {np.max(np.abs(got - emulated)):.2e}, "
                  f"|ort - int8| = {np.max(np.abs(got - int8)):.3g} (output step {step:.3g}), "
                  f"{int(np.sum(np.abs(got - int8) > 1e-6))} of {got.size} elements differ")
        return model


if __name__ == "__main__":
    unittest.main(verbosity=2)
