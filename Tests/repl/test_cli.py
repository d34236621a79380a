"""Command-line behaviour of `lumen`: exit codes, `arg`, -e/-i, errors with tracebacks, running
from any directory, and flat memory in long tensor loops. Run: python3 Tests/repl/test_cli.py"""
import os
import resource
import subprocess
import tempfile
import unittest

LUMEN = os.path.abspath(os.environ.get("LUMEN", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "lumen")))


def run(*args, cwd=None, stdin=None):
    return subprocess.run([LUMEN, *args], capture_output=True, text=True, cwd=cwd, input=stdin, timeout=300)


class CliTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def script(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_version_and_help(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertIn("lumen", r.stdout)
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: lumen", r.stdout)

    def test_usage_errors_exit_2(self):
        r = run("--bogus")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option --bogus", r.stderr)
        self.assertEqual(run("-e").returncode, 2)

    def test_script_arguments_and_exit_codes(self):
        path = self.script("args.lua", "print(arg[0], arg[1], arg[2], select('#', ...))")
        r = run(path, "a", "b c")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), f"{path}\ta\tb c\t2")

    def test_script_error_exits_1_with_message_and_traceback(self):
        path = self.script("bad.lua", "local function f()\n  return torch.zeros(2, 3):matmul(torch.zeros(4, 5))\nend\nf()\n")
        r = run(path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.lua:2: [matmul] inner dimensions differ: (2,3) x (4,5)", r.stderr)
        self.assertIn("stack traceback", r.stderr)
        self.assertIn("in local 'f'", r.stderr)
        r = run(self.script("syntax.lua", "x = = 1"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("syntax.lua:1:", r.stderr)
        self.assertEqual(run(os.path.join(self.dir, "missing.lua")).returncode, 1)

    def test_dash_e_and_any_directory(self):
        r = run("-e", "print((torch.ones(4) + 1):sum():item())", cwd="/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "8.0")
        r = run("-e", "x = 2", "-e", "print(x * 21)")
        self.assertEqual(r.stdout.strip(), "42")
        self.assertEqual(run("-e", "error('no')").returncode, 1)

    def test_interactive_after_script(self):
        path = self.script("setup.lua", "value = 41")
        r = run("-i", path, stdin="print(value + 1)\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("42", r.stdout)

    def test_memory_stays_flat_without_collectgarbage(self):
        # 100,000 tensors of 256 KB (25 GB in total) must run in well under 500 MiB.
        code = "for i = 1, 100000 do local x = torch.zeros(65536) end print('done')"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        r = run("-e", code)
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("done", r.stdout)
        self.assertLess(max(peak_kib, before) / 1024, 500, f"peak RSS {peak_kib / 1024:.0f} MiB")

    def test_lua_tests_report_failures(self):
        path = self.script("test_fail.lua", "test('fails', function() assert_eq(1, 2) end)\ntest('passes', function() end)")
        r = run("test", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("1 passed, 1 failed", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
