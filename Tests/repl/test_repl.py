"""REPL tests driven through a pseudo-terminal, as a person types: completion, multi-line input,
auto-print, Ctrl-C (during a Lua loop, during engine work, at the prompt), Ctrl-D, history
persisted across sessions, and hot reload of a model file. Run: python3 Tests/repl/test_repl.py"""
import os
import pty
import select
import signal
import sys
import tempfile
import time
import unittest

LUMEN = os.path.abspath(os.environ.get("LUMEN", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "lumen")))


class Session:
    """A `lumen` REPL on a pty. `send` types a line; `expect` waits for text in the output."""

    def __init__(self, env_extra=None, cwd=None):
        env = dict(os.environ, TERM="xterm", **(env_extra or {}))
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            if cwd:
                os.chdir(cwd)
            os.execve(LUMEN, [LUMEN], env)
        self.output = b""
        self.expect("> ")

    def read(self, timeout=0.2):
        end = time.time() + timeout
        while time.time() < end:
            ready, _, _ = select.select([self.fd], [], [], max(0, end - time.time()))
            if not ready:
                break
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk
        return self.output

    def expect(self, text, timeout=10):
        end = time.time() + timeout
        needle = text.encode()
        while time.time() < end:
            if needle in self.output:
                position = self.output.index(needle) + len(needle)
                seen, self.output = self.output[:position], self.output[position:]
                return seen.decode(errors="replace")
            self.read(0.1)
        raise AssertionError(f"timed out waiting for {text!r}; output so far: {self.output.decode(errors='replace')!r}")

    def send(self, text):
        os.write(self.fd, text.encode())

    def line(self, text):
        self.send(text + "\r")

    def close(self):
        try:
            self.send("\x04")  # Ctrl-D
            deadline = time.time() + 5
            while time.time() < deadline:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    return os.waitstatus_to_exitcode(status)
                self.read(0.05)
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            return None
        finally:
            os.close(self.fd)


class ReplTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.env = {"LUMEN_HISTORY": os.path.join(self.dir, "history")}

    def session(self):
        return Session(self.env, cwd=self.dir)

    def test_auto_print_multiline_and_semicolon(self):
        s = self.session()
        s.line("1 + 2")
        s.expect("3")
        s.line("for i = 1, 2 do")
        s.expect(">> ")
        s.line("print('line', i)")
        s.line("end")
        s.expect("line\t2")
        s.line("x = torch.ones(2); x")
        s.expect("shape=(2), dtype=float32")
        s.line("torch.zeros(3);")
        out = s.expect("> ")
        self.assertNotIn("tensor(", out)
        self.assertEqual(s.close(), 0)

    def test_errors_do_not_end_the_session(self):
        s = self.session()
        s.line("torch.zeros(2, 3):matmul(torch.zeros(4, 5))")
        s.expect("[matmul] inner dimensions differ: (2,3) x (4,5)")
        s.line("error('boom')")
        s.expect("boom")
        s.line("1 +")
        s.expect(">> ")
        s.line("")
        s.line("2")
        s.expect("3")
        s.line("40 + 2")
        s.expect("42")
        self.assertEqual(s.close(), 0)

    def test_completion_of_globals_fields_and_methods(self):
        s = self.session()
        s.send("torch.ra\t")
        out = s.expect("torch.randperm")
        self.assertIn("torch.randn", out)
        s.send("\x15")  # Ctrl-U clears the line
        s.line("x = torch.ones(2)")
        s.expect("> ")
        s.send("x:su\t")
        out = s.expect("x:sum")
        self.assertIn("x:sub", out)
        s.send("\x15")
        s.send("prin\t")
        s.expect("print")
        s.send("\x15")
        self.assertEqual(s.close(), 0)

    def test_ctrl_c_interrupts_a_lua_loop_and_an_engine_loop(self):
        s = self.session()
        s.line("while true do end")
        time.sleep(0.5)
        s.send("\x03")
        s.expect("interrupted")
        s.expect("> ")
        s.line("a = torch.randn(300, 300); for i = 1, 1e9 do a = (a:matmul(a) / 300):tanh() end")
        time.sleep(1.0)
        s.send("\x03")
        s.expect("interrupted")
        s.line("print('still alive', a:size(1))")
        s.expect("still alive\t300")
        self.assertEqual(s.close(), 0)

    def test_ctrl_c_at_the_prompt_clears_the_line(self):
        s = self.session()
        s.send("half typed")
        time.sleep(0.3)
        s.send("\x03")
        s.expect("^C")
        s.line("print('after', 7 * 6)")
        s.expect("after\t42")
        self.assertEqual(s.close(), 0)

    def test_history_persists_across_sessions(self):
        s = self.session()
        s.line("marker_value = 12345")
        s.expect("> ")
        self.assertEqual(s.close(), 0)
        with open(self.env["LUMEN_HISTORY"]) as f:
            self.assertIn("marker_value = 12345", f.read())
        s = self.session()
        s.send("\x1b[A")  # Up arrow recalls the previous session's line
        s.expect("marker_value = 12345")
        s.send("\x15")
        self.assertEqual(s.close(), 0)

    def test_help(self):
        s = self.session()
        s.line("?torch.zeros")
        s.expect("torch.zeros(sizes...")
        s.line("?x:sum")
        s.expect("sum over all or given dims")
        self.assertEqual(s.close(), 0)

    def test_hot_reload_of_forward_keeps_weights(self):
        path = os.path.join(self.dir, "hotmodel.lua")
        with open(path, "w") as f:
            f.write(MODEL.replace("SCALE", "1"))
        s = self.session()
        s.line("package.path = './?.lua;' .. package.path")
        s.line("M = hot.require 'hotmodel'; torch.manual_seed(0); net = M.Net(3); x = torch.ones(1, 3)")
        s.line("w = net.fc.weight; y1 = net(x):sum():item(); print('y1', y1)")
        s.expect("y1\t")
        time.sleep(0.05)
        with open(path, "w") as f:
            f.write(MODEL.replace("SCALE", "10"))
        s.line("print('same', net.fc.weight == w, math.abs(net(x):sum():item() - 10 * y1) < 1e-4)")
        s.expect("reloaded")
        s.expect("same\ttrue\ttrue")
        # A syntax error keeps the old definition.
        with open(path, "w") as f:
            f.write("this is not lua")
        s.line("print('kept', math.abs(net(x):sum():item() - 10 * y1) < 1e-4)")
        s.expect("failed; keeping the previous definition")
        s.expect("kept\ttrue")
        self.assertEqual(s.close(), 0)


MODEL = """
local M = {}
M.Net = nn.Module:extend("Net")
function M.Net:init(d) self.fc = nn.Linear(d, 2) end
function M.Net:forward(x) return self.fc(x) * SCALE end
return M
"""

if __name__ == "__main__":
    unittest.main(verbosity=2)
