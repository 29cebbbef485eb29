"""Runs every program of examples/ against a loopback target and the private PostgreSQL,
so the examples keep compiling, running and saying what their comments promise."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clikit  # noqa: E402

EXAMPLES = os.environ.get("MONITORAGE_EXAMPLES_DIR", ".")


def example(name):
    return os.path.join(EXAMPLES, name)


class ExamplesTest(clikit.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.target = clikit.Stub("targets.py")
        cls.db, cls.drop = clikit.fresh_database("examples")
        # The database examples expect a migrated schema (their comments say so).
        cls.ctl = os.environ.get("MONITORAGECTL")
        if cls.ctl:
            result = clikit.run([cls.ctl, "migrate"], env={"DATABASE_URL": cls.db})
            assert result.returncode == 0, result.stderr

    @classmethod
    def tearDownClass(cls):
        cls.target.stop()
        cls.drop()

    def run_ok(self, argv, env=None, code=0):
        result = clikit.run(argv, env=env, stdin="")
        self.assertEqual(code, result.returncode,
                         "%s\nstdout: %s\nstderr: %s" % (argv, result.stdout, result.stderr))
        return result.stdout

    def test_check_urls_prints_a_table_and_exits_one_when_not_all_up(self):
        out = self.run_ok([example("check_urls"), self.target.url + "/ok"])
        self.assertRegex(out, r"/ok\s+UP\s+200")
        out = self.run_ok([example("check_urls"), self.target.url + "/ok", self.target.url + "/status/500"],
                          code=1)
        self.assertIn("expected 200, got 500", out)

    def test_poll_loop_drives_the_checker_from_poll(self):
        out = self.run_ok([example("poll_loop"), self.target.url + "/slow?ms=50", "4"])
        self.assertEqual(4, out.count(" UP 200"))
        self.assertIn("4 check(s) done in", out)

    def need_database(self):
        if not self.ctl:
            self.skipTest("monitoragectl is not built (MONITORAGE_BUILD_SERVER=OFF): no migrated database")

    def test_custom_connector_registers_tests_and_runs_its_action(self):
        self.need_database()
        out = self.run_ok([example("custom_connector"), self.target.url], env={"DATABASE_URL": self.db})
        self.assertIn('greet: {"greeting":"hello","params":{"name":"world"}}', out)
        self.assertIn("audit: GREETER.greet by example: success", out)
        self.assertIn('"base_url":"%s"' % self.target.url, out)

    def test_audit_log_appends_redacts_and_verifies(self):
        self.need_database()
        out = self.run_ok([example("audit_log")], env={"DATABASE_URL": self.db})
        self.assertIn("appended ", out)
        self.assertIn('"token": "[REDACTED]"', out)
        self.assertIn("chain intact", out)
        self.assertNotIn("not stored", out)

    def test_check_urls_py_through_the_bindings(self):
        if os.environ.get("MONITORAGE_SANITIZERS"):
            self.skipTest("the interpreter cannot load the instrumented library without the ASan runtime")
        env = {"MONITORAGE_LIBRARY": os.environ["MONITORAGE_LIBRARY"],
               "PYTHONPATH": os.path.join(clikit.SOURCE, "bindings", "python"),
               "PYTHONDONTWRITEBYTECODE": "1"}
        script = os.path.join(clikit.SOURCE, "examples", "check_urls.py")
        out = self.run_ok([sys.executable, script, self.target.url + "/ok", self.target.url + "/status/503"],
                          env=env, code=1)
        self.assertRegex(out, r"/ok\s+UP\s+200")
        self.assertIn("expected 200, got 503", out)


if __name__ == "__main__":
    clikit.main()
