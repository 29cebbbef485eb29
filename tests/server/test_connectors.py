#!/usr/bin/env python3
"""REST server: /api/v1/connectors (docs/server.md, "Connectors").

Configure the TALEND connector against tests/stubs/talend_stub.py, read it
back (credentials never shown), test it with good and bad credentials, list
and run actions (the stub records the call), a hanging upstream (504 while
/health keeps answering), role checks and audit rows; a JIRA incident through
tests/stubs/jira_stub.py; malformed bodies; a server without ENCRYPTION_KEY;
and the bearer token that POST /endpoints/{id}/check sends for a TALEND
endpoint.
"""
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TOKEN = "talend-secret-token-4711"
ENCRYPTION_KEY = "5c" * 32
BUILTINS = {"TALEND", "APIM", "GITHUB", "KEYCLOAK", "DOMAIN_HEALTH", "CLOUDFLARE", "GLPI", "JIRA"}


class ConnectorStub(harness.Stub):
    """A connector stub of tests/stubs/ (stubkit: /__control, /__log) expecting TOKEN."""

    def __init__(self, name):  # pylint: disable=super-init-not-called
        path = os.path.join(harness.SOURCE_DIR, "tests", "stubs", name + "_stub.py")
        self.proc = subprocess.Popen([sys.executable, path, TOKEN], stdout=subprocess.PIPE, text=True,
                                     preexec_fn=harness.die_with_parent)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "PORT", name + " stub did not start"
        self.port = int(line[1])

    def scenario(self, **sc):
        self.call("POST", "/__control", sc or {"mode": "normal"})

    def log(self):
        return self.call("GET", "/__log")


class TalendStub(ConnectorStub):
    """tests/stubs/talend_stub.py expecting TOKEN (also used by test_faults.py)."""

    def __init__(self):
        super().__init__("talend")


class ConnectorsTest(harness.ServerTestCase):
    DB_PREFIX = "server_connectors"

    @classmethod
    def server_env(cls):
        return {"ENCRYPTION_KEY": ENCRYPTION_KEY}

    @classmethod
    def setUpClass(cls):
        cls.talend = TalendStub()
        cls.jira = ConnectorStub("jira")
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        output = cls.server.output()
        try:
            super().tearDownClass()
        finally:
            cls.talend.stop()
            cls.jira.stop()
        assert TOKEN not in output, "the server logged a credential"

    def setUp(self):
        self.talend.scenario()

    def reader(self):
        return self.token(roles=["Monitorage.Reader"], oid="reader-oid")

    def operator(self):
        return self.token(roles=["Monitorage.Operator"], oid="operator-oid")

    def configure_talend(self, token=TOKEN, **over):
        body = {"base_url": "http://127.0.0.1:%d" % self.talend.port, "options": {"timeout_ms": 1500},
                "credentials": {"token": token}, "enabled": True}
        body.update(over)
        code, _, data = self.call("PUT", "/api/v1/connectors/TALEND", body, self.token())
        self.assertEqual(code, 200, data)
        return data

    # -- reads -------------------------------------------------------------------
    def test_list_shows_every_builtin_type_without_credentials(self):
        code, _, data = self.call("GET", "/api/v1/connectors", token=self.reader())
        self.assertEqual(code, 200, data)
        self.assertTrue(BUILTINS <= {c["name"] for c in data["items"]})
        for c in data["items"]:
            self.assertIn(c["credentials_set"], (True, False))
            self.assertEqual(set(c["credential_fields_set"]), set(c["credential_fields"]))
            self.assertIn(c["configured"], (True, False))
            self.assertIsInstance(c["credential_fields"], list)
            self.assertNotIn("credentials", c)

    def test_read_unknown_connector_is_404(self):
        self.assertError(self.call("GET", "/api/v1/connectors/NOPE", token=self.reader()), 404)

    def test_read_requires_sign_in(self):
        self.assertError(self.call("GET", "/api/v1/connectors"), 401)

    def test_actions_list_has_parameter_schemas(self):
        code, _, data = self.call("GET", "/api/v1/connectors/TALEND/actions", token=self.reader())
        self.assertEqual(code, 200, data)
        run = [a for a in data["items"] if a["name"] == "run_task"][0]
        self.assertEqual(run["min_role"], "operator")
        self.assertEqual(run["params_schema"]["required"], ["task_id"])
        self.assertError(self.call("GET", "/api/v1/connectors/NOPE/actions", token=self.reader()), 404)

    # -- configuration -----------------------------------------------------------
    def test_configure_then_read_back_without_the_secret(self):
        data = self.configure_talend()
        self.assertTrue(data["credentials_set"])
        self.assertTrue(data["configured"])
        self.assertTrue(data["enabled"])
        self.assertEqual(data["options"], {"timeout_ms": 1500})
        self.assertEqual(data["credential_fields"], ["token"])
        self.assertEqual(data["credential_fields_set"], {"token": True})
        code, _, raw = self.call("GET", "/api/v1/connectors/talend", token=self.reader())
        self.assertEqual(code, 200)
        self.assertNotIn(TOKEN, json.dumps(raw))
        self.assertTrue(raw["credentials_set"])
        # Stored encrypted; the audit row has the body with the credentials redacted.
        self.assertNotIn(TOKEN, harness.psql(self.db, "SELECT credentials FROM connectors WHERE type = 'TALEND'"))
        rows = harness.psql(self.db, "SELECT parameters::text FROM action_logs WHERE action = "
                            "'connector.configure' AND target = 'TALEND'")
        self.assertTrue(rows)
        self.assertNotIn(TOKEN, rows)

    def test_patch_merges_options_and_keeps_credentials(self):
        self.configure_talend()
        code, _, data = self.call("PATCH", "/api/v1/connectors/TALEND",
                                  {"options": {"workspace_id": "ws1"}}, self.token(),
                                  content_type="application/merge-patch+json")
        self.assertEqual(code, 200, data)
        self.assertEqual(data["options"], {"timeout_ms": 1500, "workspace_id": "ws1"})
        self.assertTrue(data["credentials_set"])
        code, _, data = self.call("PATCH", "/api/v1/connectors/TALEND", {"options": {"workspace_id": None}},
                                  self.token())
        self.assertEqual(data["options"], {"timeout_ms": 1500})

    def test_configure_rejects_bad_fields(self):
        for body, field in (({"enabled": "yes"}, "enabled"), ({"options": []}, "options"),
                            ({"credentials": {"token": 5}}, "credentials"), ({"colour": 1}, "colour"),
                            ({"base_url": "ftp://x", "enabled": False}, "base_url"),
                            ({"options": {"timeout_ms": 0}}, "options")):
            self.assertError(self.call("PATCH", "/api/v1/connectors/GITHUB", body, self.token()), 400, field)
        self.assertError(self.call("PUT", "/api/v1/connectors/GITHUB", "[1]", self.token()), 400)
        self.assertError(self.call("PUT", "/api/v1/connectors/GITHUB", "{}", self.token(),
                                   content_type="text/plain"), 415)
        self.assertError(self.call("PUT", "/api/v1/connectors/NOPE", {}, self.token()), 404)

    def test_operator_cannot_configure_and_the_refusal_is_audited(self):
        before = int(self.audit_rows("action = 'connector.configure' AND result = 'FAILURE' "
                                     "AND user_id = 'operator-oid'"))
        err = self.assertError(self.call("PUT", "/api/v1/connectors/JIRA", {"enabled": False}, self.operator()),
                               403)
        self.assertIn("Monitorage.Admin", err["message"])
        after = int(self.audit_rows("action = 'connector.configure' AND result = 'FAILURE' "
                                    "AND user_id = 'operator-oid'"))
        self.assertEqual(after, before + 1)

    # -- test and actions --------------------------------------------------------
    def test_connection_test_succeeds_and_is_audited(self):
        self.configure_talend()
        code, _, data = self.call("POST", "/api/v1/connectors/TALEND/test", token=self.operator())
        self.assertEqual(code, 200, data)
        self.assertTrue(data["ok"])
        self.assertEqual(data["action"], "test")
        self.assertEqual(self.talend.log()[0]["headers"]["authorization"], "Bearer " + TOKEN)
        self.assertGreaterEqual(int(self.audit_rows("action = 'connector.test' AND target = 'TALEND.test' "
                                                    "AND result = 'SUCCESS'")), 1)

    def test_connection_test_with_bad_credentials_is_502(self):
        self.configure_talend(token="wrong-token")
        try:
            err = self.assertError(self.call("POST", "/api/v1/connectors/TALEND/test", token=self.operator()),
                                   502)
            self.assertEqual(err["code"], "upstream_auth")
            self.assertNotIn("wrong-token", err["message"])
            self.assertGreaterEqual(int(self.audit_rows("action = 'connector.test' AND result = 'FAILURE'")), 1)
        finally:
            self.configure_talend()

    def test_unconfigured_connector_test_is_409(self):
        err = self.assertError(self.call("POST", "/api/v1/connectors/KEYCLOAK/test", token=self.operator()), 409)
        self.assertIn(err["code"], ("disabled", "not_configured"))

    def test_run_action_reaches_the_stub_and_is_audited(self):
        self.configure_talend()
        code, _, data = self.call("POST", "/api/v1/connectors/TALEND/actions/run_task",
                                  {"task_id": "task-001", "parameters": {"password": "p4ss"}}, self.operator())
        self.assertEqual(code, 200, data)
        self.assertEqual(data["result"]["execution_id"] if "execution_id" in data["result"]
                         else data["result"].get("executionId"), "16fefb53-exec-task-001")
        calls = [e for e in self.talend.log() if e["path"] == "/processing/executions"]
        self.assertEqual(len(calls), 1)
        self.assertEqual(json.loads(calls[0]["body"])["executable"], "task-001")
        params = harness.psql(self.db, "SELECT parameters::text FROM action_logs WHERE action = 'connector.run' "
                              "AND target = 'TALEND.run_task' AND result = 'SUCCESS' ORDER BY id DESC LIMIT 1")
        self.assertIn("task-001", params)
        self.assertNotIn("p4ss", params)

    def test_jira_incident_is_created_through_the_api(self):
        code, _, data = self.call("PUT", "/api/v1/connectors/JIRA",
                                  {"base_url": "http://127.0.0.1:%d" % self.jira.port, "enabled": True,
                                   "options": {"deployment": "datacenter", "project_key": "OPS"},
                                   "credentials": {"api_token": TOKEN}}, self.token())
        self.assertEqual(code, 200, data)
        self.jira.call("POST", "/__control", {"mode": "normal"})
        code, _, data = self.call("POST", "/api/v1/connectors/JIRA/test", token=self.operator())
        self.assertEqual(code, 200, data)
        code, _, data = self.call("POST", "/api/v1/connectors/JIRA/actions/create_incident",
                                  {"summary": "Talend task daily_load failed", "labels": ["monitoring"]},
                                  self.operator())
        self.assertEqual(code, 200, data)
        self.assertTrue(str(data["result"].get("key", "")).startswith("OPS-"), data)
        sent = [e for e in self.jira.call("GET", "/__log") if e["path"] == "/rest/api/2/issue"]
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["headers"]["authorization"], "Bearer " + TOKEN)
        self.assertEqual(json.loads(sent[0]["body"])["fields"]["summary"], "Talend task daily_load failed")
        self.assertGreaterEqual(int(self.audit_rows("action = 'connector.run' AND target = "
                                                    "'JIRA.create_incident' AND result = 'SUCCESS'")), 1)

    def test_action_without_body_gets_empty_parameters(self):
        self.configure_talend()
        code, _, data = self.call("POST", "/api/v1/connectors/TALEND/actions/list_tasks", token=self.operator())
        self.assertEqual(code, 200, data)

    def test_action_errors(self):
        self.configure_talend()
        self.assertError(self.call("POST", "/api/v1/connectors/TALEND/actions/run_task", {}, self.operator()),
                         400, "params.task_id")
        self.assertError(self.call("POST", "/api/v1/connectors/TALEND/actions/no_such", {}, self.operator()),
                         404)
        self.assertError(self.call("POST", "/api/v1/connectors/NOPE/actions/run_task", {}, self.operator()), 404)
        self.assertError(self.call("POST", "/api/v1/connectors/TALEND/actions/run_task", "[]", self.operator()),
                         400)
        # The remote system's 404 is an upstream error, not a missing route.
        err = self.assertError(self.call("POST", "/api/v1/connectors/TALEND/actions/run_task",
                                         {"task_id": "missing"}, self.operator()), 502)
        self.assertIn("404", err["message"])

    def test_upstream_failures_map_to_gateway_errors(self):
        self.configure_talend(options={"timeout_ms": 1500, "rate_limit_max_wait_s": 0})
        try:
            self.talend.scenario(mode="ratelimit", count=1, retry_after=120)
            err = self.assertError(self.call("POST", "/api/v1/connectors/TALEND/test", token=self.operator()),
                                   503)
            self.assertEqual(err["code"], "upstream_rate_limited")
            self.talend.scenario(mode="malformed")
            err = self.assertError(self.call("POST", "/api/v1/connectors/TALEND/test", token=self.operator()),
                                   502)
            self.assertEqual(err["code"], "upstream_error")
        finally:
            self.configure_talend()

    def test_disabled_connector_is_409(self):
        self.configure_talend(enabled=False)
        try:
            err = self.assertError(self.call("POST", "/api/v1/connectors/TALEND/actions/list_tasks", {},
                                             self.operator()), 409)
            self.assertEqual(err["code"], "disabled")
        finally:
            self.configure_talend()

    def test_reader_cannot_run_actions_and_the_refusal_is_audited(self):
        before = int(self.audit_rows("action = 'connector.run' AND user_id = 'reader-oid'"))
        err = self.assertError(self.call("POST", "/api/v1/connectors/TALEND/actions/list_tasks", {},
                                         self.reader()), 403)
        self.assertIn("Monitorage.Operator", err["message"])
        self.assertError(self.call("POST", "/api/v1/connectors/TALEND/test", token=self.reader()), 403)
        self.assertEqual(int(self.audit_rows("action = 'connector.run' AND user_id = 'reader-oid' "
                                             "AND result = 'FAILURE'")), before + 1)

    def test_hanging_upstream_times_out_while_the_server_answers(self):
        self.configure_talend()
        self.talend.scenario(mode="hang", seconds=8)
        answer = {}

        def run():
            started = time.monotonic()
            answer["response"] = self.call("POST", "/api/v1/connectors/TALEND/actions/list_tasks", {},
                                           self.operator())
            answer["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.3)
        # One worker (harness): the event loop is free while the action waits.
        started = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        c.request("GET", "/health")
        self.assertEqual(c.getresponse().status, 200)
        c.close()
        self.assertLess(time.monotonic() - started, 1.0)
        thread.join(30)
        err = self.assertError(answer["response"], 504)
        self.assertEqual(err["code"], "upstream_timeout")
        self.assertLess(answer["seconds"], 7)

    def test_malformed_input_never_gives_a_500(self):
        self.configure_talend()
        rng = random.Random(6)
        samples = ['{', '[]', '"x"', '1e999999', '{"base_url": 12}', '{"options": {"timeout_ms": "x"}}',
                   '{"credentials": {"token": null}}', "{\"enabled\": \"' OR 1=1 --\"}", '{"\u0000": 1}',
                   '{"task_id": ' + "9" * 400 + '}', '{"options": ' + '{"a":' * 60 + '1' + '}' * 60 + '}']
        for _ in range(80):
            samples.append(json.dumps({rng.choice(["base_url", "options", "credentials", "enabled", "task_id",
                                                   "x\u00e9", "'; DROP TABLE connectors; --"]):
                                       rng.choice([None, True, 3, -1.5, "s" * rng.randrange(50), [], {"k": "v"}])}))
        for body in samples:
            for method, path, token in (("PATCH", "/api/v1/connectors/GITHUB", self.token()),
                                        ("PUT", "/api/v1/connectors/CLOUDFLARE", self.token()),
                                        ("POST", "/api/v1/connectors/TALEND/actions/run_task", self.operator())):
                code, _, data = self.call(method, path, body, token)
                self.assertTrue(code < 500 or code in (502, 503), (method, path, body, code, data))
        self.assertEqual(self.call("GET", "/health")[0], 200)
        code, _, data = self.call("GET", "/api/v1/connectors/TALEND", token=self.reader())
        self.assertEqual(code, 200)
        self.assertTrue(data["credentials_set"])

    def test_hanging_actions_do_not_starve_other_jobs(self):
        self.configure_talend(options={"timeout_ms": 4000})
        self.talend.scenario(mode="hang", seconds=10)
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(self.call(
            "POST", "/api/v1/connectors/TALEND/actions/list_tasks", {}, self.operator())[0])) for _ in range(3)]
        try:
            for t in threads:
                t.start()
            time.sleep(0.5)
            # /metrics is a job too: it must find a free task thread.
            started = time.monotonic()
            code, _, _ = self.call("GET", "/metrics", headers={"Authorization": "Bearer " + harness.METRICS_TOKEN})
            self.assertEqual(code, 200)
            self.assertLess(time.monotonic() - started, 2.0)
        finally:
            for t in threads:
                t.join(30)
            self.configure_talend()
        self.assertEqual(answers, [504, 504, 504])

    # -- TALEND endpoint checks ----------------------------------------------------
    def checked_task_requests(self, endpoint_type, query=""):
        """Create an endpoint of endpoint_type on the stub's task list, check it now: the requests it sent."""
        ep = self.create(type=endpoint_type, url="http://127.0.0.1:%d/orchestration/executables/tasks%s"
                         % (self.talend.port, query))
        code, _, data = self.call("POST", "/api/v1/endpoints/%s/check" % ep["id"], token=self.operator())
        self.assertEqual(code, 200, data)
        hits = [e for e in self.talend.log() if e["path"] == "/orchestration/executables/tasks"]
        self.assertTrue(hits)
        return data, hits

    def test_talend_endpoint_check_sends_the_connector_token(self):
        self.configure_talend()
        data, hits = self.checked_task_requests("TALEND", "?limit=1")
        self.assertEqual(hits[0]["headers"].get("authorization"), "Bearer " + TOKEN)
        self.assertNotIn(TOKEN, json.dumps(data))

    def test_disabled_talend_connector_gives_no_token(self):
        self.configure_talend(enabled=False)
        try:
            _, hits = self.checked_task_requests("TALEND")
            self.assertNotIn("authorization", hits[0]["headers"])
        finally:
            self.configure_talend()

    def test_apim_endpoint_check_sends_no_token(self):
        self.configure_talend()
        _, hits = self.checked_task_requests("APIM")
        self.assertNotIn("authorization", hits[0]["headers"])


class ConnectorsWithoutKeyTest(harness.ServerTestCase):
    """A server without ENCRYPTION_KEY: configuration without credentials only."""
    DB_PREFIX = "server_connectors_nokey"

    @classmethod
    def server_env(cls):
        return {"ENCRYPTION_KEY": ""}

    def test_credentials_need_the_encryption_key(self):
        err = self.assertError(self.call("PUT", "/api/v1/connectors/GITHUB",
                                         {"credentials": {"token": TOKEN}}, self.token()), 503)
        self.assertEqual(err["code"], "encryption_key_unavailable")
        self.assertNotIn(TOKEN, err["message"])
        code, _, data = self.call("PUT", "/api/v1/connectors/GITHUB",
                                  {"base_url": "https://api.github.com", "options": {"owner": "o"}}, self.token())
        self.assertEqual(code, 200, data)
        self.assertFalse(data["credentials_set"])
        self.assertEqual(data["credential_fields_set"], {"token": False})


if __name__ == "__main__":
    harness.main()
