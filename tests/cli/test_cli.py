"""End-to-end tests of monitoragectl against the private PostgreSQL and a loopback target."""
import getpass
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clikit  # noqa: E402
from clikit import KEY_A, KEY_B, psql  # noqa: E402

CTL = os.environ.get("MONITORAGECTL", "monitoragectl")


class MonitoragectlTest(clikit.unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db, cls.drop = clikit.fresh_database("ctl")
        cls.target = clikit.Stub("targets.py")
        cls.env = {"DATABASE_URL": cls.db}
        cls.ctl(cls, "migrate")

    @classmethod
    def tearDownClass(cls):
        cls.target.stop()
        cls.drop()

    def ctl(self, *args, env=None, stdin=None, code=0):
        result = clikit.run([CTL] + list(args), env=self.env if env is None else env, stdin=stdin)
        if code is not None and result.returncode != code:
            raise AssertionError("monitoragectl %s: exit %d, wanted %d\nstdout: %s\nstderr: %s" % (
                " ".join(args), result.returncode, code, result.stdout, result.stderr))
        return result

    def add(self, name, *extra):
        url = self.target.url + "/ok"
        return self.ctl("endpoint", "add", "--name", name, "--url", url, *extra).stdout.strip()

    def audit_rows(self, action):
        return json.loads(self.ctl("audit", "list", "--action", action, "--json").stdout)["items"]

    # ----------------------------------------------------------- general
    def test_version_names_tool_library_and_schema(self):
        out = self.ctl("version").stdout
        self.assertIn("monitoragectl 0.", out)
        self.assertIn("libmonitorage 0.", out)
        self.assertIn("schema migrations", out)

    def test_every_command_has_help(self):
        for command in (["--help"], ["migrate", "--help"], ["endpoint", "--help"],
                        ["endpoint", "add", "--help"],
                        ["check", "--help"], ["status", "--help"], ["connector", "--help"],
                        ["rotate-key", "--help"], ["audit", "--help"], ["audit", "verify", "--help"],
                        ["notify", "--help"], ["notify", "rule", "add", "--help"],
                        ["version", "--help"]):
            out = self.ctl(*command, env={}).stdout
            self.assertIn("Usage", out, command)

    def test_unknown_command_or_option_is_usage_error(self):
        self.assertIn("unknown command 'frobnicate'", self.ctl("frobnicate", code=2).stderr)
        self.assertIn("--help", self.ctl("endpoint", "list", "--bogus", code=2).stderr)
        self.assertIn("unknown subcommand", self.ctl("endpoint", "explode", code=2).stderr)
        self.ctl(code=2)

    def test_missing_database_url_is_configuration_error(self):
        result = self.ctl("status", env={}, code=4)
        self.assertIn("DATABASE_URL is not set", result.stderr)

    def test_unreachable_database_is_runtime_error_without_password(self):
        env = {"DATABASE_URL": "postgresql://user:hunter2@127.0.0.1:1/nothing?connect_timeout=2"}
        result = self.ctl("status", env=env, code=3)
        self.assertIn("DATABASE_URL", result.stderr)
        self.assertNotIn("hunter2", result.stderr + result.stdout)

    # ----------------------------------------------------------- migrate
    def test_migrate_again_applies_nothing_and_status_reports_zero_pending(self):
        self.assertIn("applied 0 migration(s)", self.ctl("migrate").stdout)
        self.assertIn("0 migration(s) pending", self.ctl("migrate", "--status").stdout)
        self.assertEqual(1, len(self.audit_rows("schema.migrate")))

    # ---------------------------------------------------------- endpoint
    def test_endpoint_add_list_show_from_flags_hides_header_values(self):
        ident = self.add("flags-ep", "--header", "X-Api-Key: sekrit-header-value", "--interval", "120",
                         "--type", "APIM")
        self.assertRegex(ident, r"^[0-9a-f-]{36}$")
        listing = self.ctl("endpoint", "list").stdout
        self.assertIn("flags-ep", listing)
        self.assertIn("APIM", listing)
        shown = self.ctl("endpoint", "show", ident).stdout
        self.assertIn("interval:        120 s", shown)
        self.assertIn("X-Api-Key", shown)
        as_json = json.loads(self.ctl("endpoint", "show", ident, "--json").stdout)
        self.assertEqual("[REDACTED]", as_json["headers"]["X-Api-Key"])
        everything = "".join(self.ctl(*a).stdout for a in (["endpoint", "list", "--json"],
                                                           ["status", "--json"], ["audit", "list", "--json"]))
        self.assertNotIn("sekrit-header-value", everything)
        row = [r for r in self.audit_rows("endpoint.create") if r["target"] == ident][0]
        self.assertEqual("cli", row["user_agent"])
        self.assertEqual(getpass.getuser(), row["user_id"])
        self.assertEqual("SUCCESS", row["result"])

    def test_endpoint_add_from_json_file_and_stdin(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "cli_ep_%d.json" % os.getpid())
        with open(path, "w") as file:
            json.dump({"name": "file-ep", "type": "DOMAIN", "url": self.target.url + "/ok", "timeout": 2000},
                      file)
        try:
            ident = self.ctl("endpoint", "add", "--file", path).stdout.strip()
        finally:
            os.unlink(path)
        self.assertIn("timeout:         2000 ms", self.ctl("endpoint", "show", ident).stdout)
        body = json.dumps({"name": "stdin-ep", "type": "TALEND", "url": self.target.url + "/ok"})
        shown = json.loads(self.ctl("endpoint", "add", "--file", "-", "--json", stdin=body).stdout)
        self.assertEqual("TALEND", shown["type"])

    def test_endpoint_add_rejects_bad_input_naming_the_field(self):
        result = self.ctl("endpoint", "add", "--name", "bad", "--url", "ftp://example.com", code=3)
        self.assertIn("url:", result.stderr)
        result = self.ctl("endpoint", "add", "--file", "-", stdin='{"name": "x", "type": "DOMAIN"}', code=3)
        self.assertIn("url", result.stderr)
        self.ctl("endpoint", "add", "--name", "x", "--url", "http://a", "--file", "-", code=2)
        self.ctl("endpoint", "add", "--name", "x", "--url", "http://a", "--interval", "often", code=2)
        result = self.ctl("endpoint", "add", "--name", "x", "--url", "http://a", "--header", "X-Key=hush",
                          code=2)
        self.assertIn("--header", result.stderr)
        self.assertNotIn("hush", result.stderr)

    def test_endpoint_disable_enable_rm_are_audited(self):
        ident = self.add("toggled")
        self.assertIn("disabled", self.ctl("endpoint", "disable", ident).stdout)
        self.assertIn("enabled:         no", self.ctl("endpoint", "show", ident).stdout)
        self.assertNotIn("toggled", self.ctl("endpoint", "list", "--enabled").stdout)
        self.ctl("endpoint", "enable", ident)
        self.assertIn("enabled:         yes", self.ctl("endpoint", "show", ident).stdout)
        self.ctl("endpoint", "rm", ident)
        result = self.ctl("endpoint", "show", ident, code=3)
        self.assertIn("MON_ENOTFOUND", result.stderr)
        for action in ("endpoint.disable", "endpoint.enable", "endpoint.delete"):
            self.assertTrue([r for r in self.audit_rows(action) if r["target"] == ident], action)

    def test_endpoint_rm_unknown_is_error_and_audited_as_failure(self):
        missing = "00000000-0000-4000-8000-000000000000"
        self.assertIn("MON_ENOTFOUND", self.ctl("endpoint", "rm", missing, code=3).stderr)
        rows = [r for r in self.audit_rows("endpoint.delete") if r["target"] == missing]
        self.assertEqual("FAILURE", rows[0]["result"])
        self.assertIn("MON_EINVAL", self.ctl("endpoint", "rm", "not-a-uuid", code=3).stderr)

    # ------------------------------------------------------------- check
    def test_check_all_up_exits_zero_with_table(self):
        out = self.ctl("check", self.target.url + "/ok", self.target.url + "/json", env={}).stdout
        self.assertEqual(3, len(out.strip().splitlines()))
        self.assertIn("URL", out.splitlines()[0])
        self.assertEqual(2, out.count(" UP "))

    def test_check_some_down_exits_one_and_json_has_timings(self):
        result = self.ctl("check", "--json", self.target.url + "/ok", self.target.url + "/status/503", env={},
                          code=1)
        results = json.loads(result.stdout)
        self.assertEqual(["UP", "DOWN"], [r["status"] for r in results])
        self.assertEqual(503, results[1]["status_code"])
        self.assertIn("503", results[1]["error"])
        self.assertGreaterEqual(results[0]["connect_ms"], 0)
        self.assertEqual("127.0.0.1", results[0]["remote_ip"])

    def test_check_options_and_bad_url(self):
        self.ctl("check", "--expected-status", "503", self.target.url + "/status/503", env={})
        self.ctl("check", "--timeout", "300", self.target.url + "/hang", env={}, code=1)
        self.assertIn("ftp://x", self.ctl("check", "ftp://x", env={}, code=2).stderr)
        self.ctl("check", env={}, code=2)

    # ------------------------------------------------------------ status
    def test_status_lists_endpoints_never_checked_as_unknown(self):
        self.add("status-ep")
        out = self.ctl("status").stdout
        line = [l for l in out.splitlines() if l.startswith("status-ep")][0]
        self.assertIn("UNKNOWN", line)
        self.assertIn("status-ep", [e["name"] for e in json.loads(self.ctl("status", "--json").stdout)])

    # --------------------------------------------------------- connector
    def test_connector_set_test_with_credentials_from_stdin_never_printed(self):
        glpi = clikit.Stub("glpi_stub.py", "glpi-user-token-xyz", "glpi-app-token-xyz")
        try:
            env = dict(self.env, ENCRYPTION_KEY=KEY_A)
            creds = json.dumps({"user_token": "glpi-user-token-xyz", "app_token": "glpi-app-token-xyz"})
            self.ctl("connector", "set", "GLPI", "--base-url", glpi.url + "/apirest.php",
                     "--credentials-file", "-", "--enable", env=env, stdin=creds)
            listing = self.ctl("connector", "list", env=env).stdout
            line = [l for l in listing.splitlines() if l.startswith("GLPI")][0]
            self.assertIn("set", line)
            tested = self.ctl("connector", "test", "GLPI", env=env)
            json.loads(tested.stdout)
            outputs = tested.stdout + tested.stderr + listing
            outputs += self.ctl("connector", "list", "--json", env=env).stdout
            outputs += self.ctl("audit", "list", "--json", "--limit", "1000").stdout
            self.assertNotIn("glpi-user-token-xyz", outputs)
            stored = psql(self.db, "SELECT credentials FROM connectors WHERE type = 'GLPI'")
            self.assertTrue(stored.startswith("mon1:"), "credentials not encrypted")
            self.assertNotIn("glpi-user-token-xyz", stored)
            configure = [r for r in self.audit_rows("connector.configure") if r["target"] == "GLPI"][0]
            self.assertTrue(json.loads(configure["parameters"])["credentials_changed"]
                            if isinstance(configure["parameters"], str) else
                            configure["parameters"]["credentials_changed"])
            self.assertTrue(self.audit_rows("connector.test"))
            # rotate-key: everything moves from key A to key B; the connector still works with B.
            both = dict(self.env, ENCRYPTION_KEY_OLD=KEY_A, ENCRYPTION_KEY=KEY_B)
            rotated = self.ctl("rotate-key", env=both)
            self.assertRegex(rotated.stdout, r"rotated [1-9]\d* value")
            self.assertNotIn(KEY_A, rotated.stdout + rotated.stderr)
            self.ctl("connector", "test", "GLPI", env=dict(self.env, ENCRYPTION_KEY=KEY_B))
            failed = self.ctl("connector", "test", "GLPI", env=env, code=3)
            self.assertIn("MON_EWRONGKEY", failed.stderr)
            self.assertEqual("SUCCESS", self.audit_rows("secrets.rotate")[0]["result"])
            again = self.ctl("rotate-key", env=both)
            self.assertIn("rotated 0 value", again.stdout)
        finally:
            glpi.stop()

    def test_connector_errors_name_the_problem(self):
        env = dict(self.env, ENCRYPTION_KEY=KEY_A)
        self.assertIn("MON_ENOTFOUND", self.ctl("connector", "test", "NOPE", env=env, code=3).stderr)
        self.assertIn("MON_EDISABLED", self.ctl("connector", "run", "JIRA", "search", env=env, code=3).stderr)
        self.assertIn("ENCRYPTION_KEY", self.ctl("connector", "test", "JIRA", env=self.env, code=4).stderr)
        bad = self.ctl("connector", "test", "JIRA", env=dict(self.env, ENCRYPTION_KEY="zz"), code=4)
        self.assertNotIn("zz", bad.stderr.replace("ENCRYPTION_KEY", ""))
        self.ctl("connector", "run", "JIRA", env=env, code=2)

    def test_rotate_key_without_old_key_is_configuration_error(self):
        result = self.ctl("rotate-key", env=dict(self.env, ENCRYPTION_KEY=KEY_B), code=4)
        self.assertIn("ENCRYPTION_KEY_OLD", result.stderr)
        result = self.ctl("rotate-key", "--old-key-env", "MY_OLD", env=dict(self.env, ENCRYPTION_KEY=KEY_B),
                          code=4)
        self.assertIn("MY_OLD", result.stderr)

    # ------------------------------------------------------------ notify
    def test_notify_rule_add_list_rm_audited_and_the_secret_never_printed(self):
        env = dict(self.env, ENCRYPTION_KEY=KEY_A)
        secret = "cli-webhook-secret-0123456789"
        rule = {"name": "cli hook", "channel": "webhook", "events": ["opened"],
                "webhook": {"url": "http://127.0.0.1:9/x", "secret": secret}}
        added = self.ctl("notify", "rule", "add", "-", env=env, stdin=json.dumps(rule))
        created = json.loads(added.stdout)
        self.assertTrue(created["webhook"]["secret_set"])
        listing = self.ctl("notify", "rule", "list").stdout
        line = [l for l in listing.splitlines() if "cli hook" in l][0]
        self.assertIn("webhook", line)
        self.assertIn("opened", line)
        listed = json.loads(self.ctl("notify", "rule", "list", "--json").stdout)
        self.assertIn(created["id"], [r["id"] for r in listed])
        self.assertIn("EVENT", self.ctl("notify", "list", "--status", "pending").stdout)
        self.assertEqual(json.loads(self.ctl("notify", "list", "--json").stdout), [])
        # Errors: no key for a webhook secret, a bad field, a bad filter, an unknown id.
        nokey = self.ctl("notify", "rule", "add", "-", stdin=json.dumps(dict(rule, name="other")), code=3)
        self.assertIn("MON_EKEY", nokey.stderr)
        bad = self.ctl("notify", "rule", "add", "-", env=env, code=3,
                       stdin=json.dumps(dict(rule, name="bad", webhook={"url": "ftp://x/", "secret": secret})))
        self.assertIn("webhook.url", bad.stderr)
        self.assertIn("status", self.ctl("notify", "list", "--status", "lost", code=3).stderr)
        self.ctl("notify", "rule", "explode", code=2)
        self.assertIn("removed", self.ctl("notify", "rule", "rm", created["id"]).stdout)
        self.assertIn("MON_ENOTFOUND", self.ctl("notify", "rule", "rm", created["id"], code=3).stderr)
        user = getpass.getuser()
        creates = [r for r in self.audit_rows("notification_rule.create") if r["user_id"] == user]
        self.assertEqual(sorted(r["result"] for r in creates), ["FAILURE", "FAILURE", "SUCCESS"])
        self.assertEqual(sorted(r["result"] for r in self.audit_rows("notification_rule.delete")),
                         ["FAILURE", "SUCCESS"])
        outputs = added.stdout + added.stderr + listing + nokey.stderr + bad.stderr
        outputs += self.ctl("audit", "list", "--json", "--limit", "1000").stdout
        self.assertNotIn(secret, outputs)

    # --------------------------------------------------- incidents, maintenance
    def test_incident_list_show_and_maintenance_add_list_rm_audited(self):
        for command in (["incident", "--help"], ["maintenance", "--help"]):
            self.assertIn("Usage", self.ctl(*command, env={}).stdout, command)
        endpoint = self.add("incident-target")
        quiet = self.add("maintained-target")
        window = json.loads(self.ctl("maintenance", "add", "--name", "cli window", "--endpoint", quiet,
                                     "--from", "2020-01-01T00:00:00Z", "--until", "2099-01-01T00:00:00Z").stdout)
        self.assertTrue(window["active"])
        weekly = json.loads(self.ctl("maintenance", "add", "--name", "cli weekly", "--type", "TALEND",
                                     "--weekly", "sat,sun", "--at", "23:00", "--duration", "7200",
                                     "--tz", "Europe/Paris").stdout)
        self.assertEqual(weekly["weekdays"], [6, 7])
        psql(self.db, "INSERT INTO health_history (endpoint_id, status, error_message) VALUES"
                      " ('%s', 'DOWN', 'connection refused'), ('%s', 'DOWN', 'connection refused')"
                      % (endpoint, quiet))
        listing = self.ctl("incident", "list", "--open").stdout
        self.assertIn("incident-target", listing)
        self.assertNotIn("maintained-target", listing)
        page = json.loads(self.ctl("incident", "list", "--endpoint", endpoint, "--json").stdout)
        incident = page["incidents"][0]
        shown = self.ctl("incident", "show", incident["id"]).stdout
        self.assertIn("connection refused", shown)
        self.assertIn("opened", shown)
        self.assertEqual(json.loads(self.ctl("incident", "show", incident["id"], "--json").stdout)["kind"], "down")
        self.assertIn("sat,sun 23:00:00 Europe/Paris", self.ctl("maintenance", "list").stdout)
        listed = json.loads(self.ctl("maintenance", "list", "--endpoint", quiet, "--json").stdout)
        self.assertEqual([w["name"] for w in listed], ["cli window"])
        bad = self.ctl("maintenance", "add", "--name", "bad", "--type", "APIM", "--weekly", "mon", "--at", "22:00",
                       "--duration", "3600", "--tz", "Mars/Base", code=3)
        self.assertIn("time_zone", bad.stderr)
        self.assertIn("ends_at", self.ctl("maintenance", "add", "--name", "bad", "--type", "APIM", "--from",
                                          "2026-01-02T00:00:00Z", "--until", "2026-01-01T00:00:00Z", code=3).stderr)
        self.ctl("maintenance", "add", "--name", "x", "--duration", "soon", code=2)
        self.ctl("incident", "frobnicate", code=2)
        self.assertIn("removed", self.ctl("maintenance", "rm", window["id"]).stdout)
        self.assertIn("MON_ENOTFOUND", self.ctl("maintenance", "rm", window["id"], code=3).stderr)
        self.assertIn("MON_EINVAL", self.ctl("incident", "show", "nope", code=3).stderr)
        user = getpass.getuser()
        creates = [r for r in self.audit_rows("maintenance_window.create") if r["user_id"] == user]
        self.assertEqual(sorted(r["result"] for r in creates), ["FAILURE", "FAILURE", "SUCCESS", "SUCCESS"])
        self.assertEqual(sorted(r["result"] for r in self.audit_rows("maintenance_window.delete")),
                         ["FAILURE", "SUCCESS"])

    # ------------------------------------------------------------- audit
    def test_audit_list_filters_and_verify_intact(self):
        self.add("audited")
        out = self.ctl("audit", "list", "--action", "endpoint.create", "--limit", "1").stdout
        self.assertIn("endpoint.create", out)
        self.assertEqual(2, len(out.strip().splitlines()) - out.count("more: --cursor"))
        self.ctl("audit", "list", "--result", "MAYBE", code=2)
        verify = self.ctl("audit", "verify")
        self.assertIn("intact", verify.stdout)
        report = json.loads(self.ctl("audit", "verify", "--json").stdout)
        self.assertTrue(report["ok"])


class ListTablesTest(clikit.unittest.TestCase):
    def test_list_tables_show_their_json_rows_in_padded_columns(self):
        """Each list's table is exactly its --json rows, one line each, columns padded."""
        db, drop = clikit.fresh_database("tables")
        self.addCleanup(drop)
        env = {"DATABASE_URL": db}

        def ctl(*args, stdin=None):
            result = clikit.run([CTL] + list(args), env=env, stdin=stdin)
            self.assertEqual(0, result.returncode, "%s: %s" % (args, result.stderr))
            return result

        ctl("migrate")
        endpoint = ctl("endpoint", "add", "--name", "table-target", "--url", "http://127.0.0.1:9/").stdout
        endpoint = endpoint.strip()
        rule = {"name": "table rule", "channel": "glpi", "events": ["opened", "resolved"],
                "endpoint_id": endpoint}
        ctl("notify", "rule", "add", "-", stdin=json.dumps(rule))
        typed = dict(rule, name="typed rule", endpoint_id=None, endpoint_type="APIM", events=["resolved"])
        ctl("notify", "rule", "add", "-", stdin=json.dumps(typed))
        ctl("maintenance", "add", "--name", "table once", "--endpoint", endpoint,
            "--from", "2030-01-01T00:00:00Z", "--until", "2030-01-02T00:00:00Z")
        ctl("maintenance", "add", "--name", "table weekly", "--type", "APIM", "--weekly", "mon,fri",
            "--at", "03:00", "--duration", "600", "--tz", "UTC")
        psql(db, "INSERT INTO health_history (endpoint_id, status, error_message) VALUES"
                 " ('%s', 'DOWN', 'table refused'), ('%s', 'DOWN', 'table refused')" % (endpoint, endpoint))
        psql(db, "UPDATE notification_outbox SET attempts = 2, ticket_key = 'T-9', last_error = 'boom'"
                 " WHERE endpoint_id = '%s'" % endpoint)

        def table(headers, rows):
            widths = [max(len(r[c]) for r in [headers] + rows) for c in range(len(headers))]
            return "".join("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(r[:-1])) +
                           ("  " if len(r) > 1 else "") + r[-1] + "\n" for r in [headers] + rows)

        def text(value):
            return value if isinstance(value, str) else "-"

        def scope(item, default):
            if item.get("endpoint_id"):
                return "endpoint " + item["endpoint_id"]
            return "type " + item["endpoint_type"] if item.get("endpoint_type") else default

        def when(w):
            if w["kind"] == "once":
                return "%s .. %s" % (text(w.get("starts_at")), text(w.get("ends_at")))
            days = ",".join(["", "mon", "tue", "wed", "thu", "fri", "sat", "sun"][d] for d in w["weekdays"])
            return "%s %s %s for %d s" % (days, w["start_time"], w["time_zone"], w["duration_s"])

        def yes(value):
            return "yes" if value is True else "no"

        cases = [
            (["connector", "list"], ["NAME", "BUILTIN", "ENABLED", "CREDENTIALS", "BASE URL"], None,
             lambda c: [c["name"], yes(c["builtin"]), yes(c["enabled"]),
                        "set" if c["credentials_set"] else "-", text(c.get("base_url"))]),
            (["notify", "rule", "list"], ["ID", "NAME", "CHANNEL", "SCOPE", "EVENTS", "ENABLED"], None,
             lambda r: [r["id"], r["name"], r["channel"], scope(r, "all"),
                        r["events"][0] + (",resolved" if len(r["events"]) > 1 else ""), yes(r["enabled"])]),
            (["notify", "list"], ["ID", "EVENT", "RULE", "STATUS", "ATTEMPTS", "TICKET", "LAST ERROR"], None,
             lambda o: [str(o["id"]), o["event"], o["rule_name"], o["status"], str(o["attempts"]),
                        text(o.get("ticket_key")), text(o.get("last_error"))]),
            (["incident", "list"], ["ID", "ENDPOINT", "KIND", "STATE", "STARTED", "FAILED", "FIRST ERROR"],
             "incidents",
             lambda i: [text(i.get("id")), text(i.get("endpoint_name")), text(i.get("kind")),
                        text(i.get("state")), text(i.get("started_at")), str(i["failed_checks"]),
                        text(i.get("first_error"))]),
            (["maintenance", "list"], ["ID", "NAME", "SCOPE", "WHEN", "ACTIVE"], None,
             lambda w: [w["id"], w["name"], scope(w, "type -"), when(w), yes(w["active"])]),
        ]
        for command, headers, key, row in cases:
            items = json.loads(ctl(*command, "--json").stdout)
            items = items[key] if key else items
            self.assertTrue(items, command)
            self.assertEqual(table(headers, [row(item) for item in items]), ctl(*command).stdout, command)
        outbox = json.loads(ctl("notify", "list", "--json").stdout)
        self.assertIn(["T-9", "boom"], [[o.get("ticket_key"), o.get("last_error")] for o in outbox])


class TamperedAuditTest(clikit.unittest.TestCase):
    def test_audit_verify_exits_one_on_an_edited_row(self):
        db, drop = clikit.fresh_database("tamper")
        try:
            env = {"DATABASE_URL": db}
            self.assertEqual(0, clikit.run([CTL, "migrate"], env=env).returncode)
            for name in ("a", "b"):
                clikit.run([CTL, "endpoint", "add", "--name", name, "--url", "http://127.0.0.1:9/"], env=env)
            # Only a superuser bypassing the table's triggers can do this: what verify must catch.
            psql(db, "SET session_replication_role = replica; "
                     "UPDATE action_logs SET target = 'forged' WHERE seq = 2")
            result = clikit.run([CTL, "audit", "verify"], env=env)
            self.assertEqual(1, result.returncode, result.stdout + result.stderr)
            self.assertIn("BROKEN", result.stdout)
            self.assertIn("edited", result.stdout)
        finally:
            drop()


if __name__ == "__main__":
    clikit.main()
