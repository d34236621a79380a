"""`lumen notebooks`: runs curriculum scripts in child processes, classifies PASS/FAIL/ERROR/TIMEOUT
from the scripts' result.json and exit codes, prints a summary, writes an HTML report, and exits
non-zero when any script failed. Run: LUMEN=.build/release/lumen python3 Tests/repl/test_notebooks.py"""
import json
import os
import re
import subprocess
import tempfile
import unittest

LUMEN = os.path.abspath(os.environ.get("LUMEN", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "lumen")))

PASSING = """
local nb = notebook.start{id = "001", title = "Passing <demo>", key_metrics = {"accuracy"},
  config = {epochs = 10}, quick = {epochs = 2}}
nb:section("training")
nb:metric("accuracy", 0.9 + nb.config.epochs / 1000)
nb:metric("loss", 0.125)
nb:table("models", {"model", "params"}, {{"mlp", 1234}})
plot.line(nb:figure("curve.png", "Learning curve"), {3, 2, 1.5, 1.2})
nb:check("accuracy >= 0.9", true, "0.902")
nb:finish()
"""

FAILING = """
local nb = notebook.start{id = "002", title = "Failing check", key_metrics = {"accuracy"}}
nb:metric("accuracy", 0.41)
nb:check("accuracy >= 0.9", 0.41 >= 0.9, "0.410 < 0.9")
nb:finish()
"""

CRASHING = """
local nb = notebook.start{id = "003", title = "Crashes midway"}
nb:metric("partial", 7)
local x = torch.zeros(2, 3):matmul(torch.zeros(4, 5))
"""


def run(*args, cwd):
    return subprocess.run([LUMEN, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


class NotebookRunnerTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.mkdir(os.path.join(self.dir, "scripts"))

    def script(self, name, text):
        with open(os.path.join(self.dir, "scripts", name), "w") as f:
            f.write(text)

    def read(self, *parts):
        with open(os.path.join(self.dir, *parts)) as f:
            return f.read()

    def test_all_pass_exits_0_with_summary_and_report(self):
        self.script("001_passing_demo.lua", PASSING)
        r = run("notebooks", "--quick", "--out", "rep", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"001\s+Passing <demo>\s+PASS\s+accuracy=0\.9020")
        self.assertIn("1/1 passed", r.stdout)
        self.assertIn("report: rep/index.html", r.stdout)
        index = self.read("rep", "index.html")
        self.assertIn('href="001/index.html"', index)
        self.assertIn("Passing &lt;demo&gt;", index)  # titles are escaped
        page = self.read("rep", "001", "index.html")
        self.assertIn('<img src="curve.png"', page)
        self.assertIn("Learning curve", page)
        self.assertIn("accuracy=0.9020", page)  # printed output is on the page
        self.assertIn("<td>mlp</td>", page)
        with open(os.path.join(self.dir, "rep", "001", "curve.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        result = json.loads(self.read("rep", "001", "result.json"))
        self.assertEqual(result["status"], "passed")
        self.assertTrue(result["quick"])

    def test_failed_check_reports_fail_and_exits_1(self):
        self.script("001_passing_demo.lua", PASSING)
        self.script("002_failing_check.lua", FAILING)
        r = run("notebooks", "--out", "rep", cwd=self.dir)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"002\s+Failing check\s+FAIL\s+outcome check failed: accuracy >= 0.9")
        self.assertIn("1/2 passed", r.stdout)
        page = self.read("rep", "002", "index.html")
        self.assertIn('class="status FAIL"', page)
        self.assertIn("0.410 &lt; 0.9", page)
        self.assertIn('class="status FAIL"', self.read("rep", "index.html"))

    def test_crash_is_error_and_keeps_partial_results(self):
        self.script("003_crashes.lua", CRASHING)
        r = run("notebooks", "003", "--out", "rep", cwd=self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"003\s+Crashes midway\s+ERROR\s+exited with status 1")
        page = self.read("rep", "003", "index.html")
        self.assertIn("partial", page)  # metrics reported before the crash survive
        self.assertIn("[matmul] inner dimensions differ", page)

    def test_script_without_checks_or_frame_is_not_a_pass(self):
        self.script("004_plain.lua", 'print("no frame")')
        self.script("005_nochecks.lua", 'local nb = notebook.start{id="005", title="t"}; nb:finish()')
        r = run("notebooks", "--out", "rep", cwd=self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no result.json", r.stdout)
        self.assertIn("declared no outcome checks", r.stdout)

    def test_timeout(self):
        self.script("006_slow.lua", 'local nb = notebook.start{id="006", title="slow"}; while true do end')
        r = run("notebooks", "--timeout", "1", "--out", "rep", cwd=self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"006\s+slow\s+TIMEOUT")

    def test_selection_and_usage_errors(self):
        self.script("001_passing_demo.lua", PASSING)
        self.script("002_failing_check.lua", FAILING)
        r = run("notebooks", "001", "--out", "rep", cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("002", re.sub(r"report:.*", "", r.stdout))
        r = run("notebooks", "042", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no script with id 042; available: 001 002", r.stderr)
        r = run("notebooks", "--bogus", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option --bogus", r.stderr)
        r = run("notebooks", "--scripts", "missing", cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot read the scripts folder missing", r.stderr)

    def test_script_rejects_unknown_arguments_and_bad_quick_overrides(self):
        path = os.path.join(self.dir, "scripts", "007_typo.lua")
        with open(path, "w") as f:
            f.write('local nb = notebook.start{id="007", title="t", config={epochs=3}, quick={epcohs=1}}')
        r = run(path, "--quick", cwd=self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn('quick override "epcohs" has no matching config field', r.stderr)
        r = run(path, "--fast", cwd=self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn('unknown argument "--fast"', r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
