#!/usr/bin/env python3
"""REST server: /api/v1/notification-rules and /api/v1/notifications
(docs/notifications.md).

Create, read, list, patch and delete rules (the webhook secret is write-only
and stored encrypted), field errors, role checks and one audit row per
change (refusals included), and the outbox: an incident event written as the
incident engine writes it fans out to the matching rule and is listed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ENCRYPTION_KEY = "6d" * 32
SECRET = "hook-Shared-Secret-for-rest-0042"


class NotifyTest(harness.ServerTestCase):
    DB_PREFIX = "server_notify"

    @classmethod
    def server_env(cls):
        return {"ENCRYPTION_KEY": ENCRYPTION_KEY}

    @classmethod
    def tearDownClass(cls):
        output = cls.server.output()
        super().tearDownClass()
        assert SECRET not in output, "the server logged a webhook secret"

    def setUp(self):
        harness.psql(self.db, "DELETE FROM notification_rules")

    def reader(self):
        return self.token(roles=["Monitorage.Reader"], oid="reader-oid")

    def webhook_rule(self, **over):
        body = {"name": "ops hook", "channel": "webhook", "events": ["opened"],
                "webhook": {"url": "http://127.0.0.1:9/hook", "secret": SECRET, "timeout_ms": 2000}}
        body.update(over)
        return body

    def create_rule(self, **over):
        code, headers, data = self.call("POST", "/api/v1/notification-rules", self.webhook_rule(**over),
                                        self.token())
        self.assertEqual(code, 201, data)
        self.assertEqual(headers["location"], "/api/v1/notification-rules/" + data["id"])
        return data

    def test_create_read_list_without_the_secret(self):
        rule = self.create_rule()
        self.assertEqual(rule["webhook"], {"url": "http://127.0.0.1:9/hook", "timeout_ms": 2000, "secret_set": True})
        self.assertEqual(rule["events"], ["opened"])
        code, _, data = self.call("GET", "/api/v1/notification-rules/" + rule["id"], token=self.reader())
        self.assertEqual(code, 200, data)
        self.assertEqual(data, rule)
        code, _, data = self.call("GET", "/api/v1/notification-rules", token=self.reader())
        self.assertEqual(code, 200, data)
        self.assertEqual([r["id"] for r in data["items"]], [rule["id"]])
        stored = harness.psql(self.db, "SELECT secret FROM notification_rules")
        self.assertTrue(stored.startswith("mon1:"), stored)
        self.assertNotIn(SECRET, stored)

    def test_patch_keeps_the_secret_and_delete_removes(self):
        rule = self.create_rule()
        code, _, data = self.call("PATCH", "/api/v1/notification-rules/" + rule["id"],
                                  {"enabled": False, "webhook": {"timeout_ms": 3000}}, self.token(),
                                  content_type="application/merge-patch+json")
        self.assertEqual(code, 200, data)
        self.assertFalse(data["enabled"])
        self.assertEqual(data["webhook"]["timeout_ms"], 3000)
        self.assertTrue(data["webhook"]["secret_set"])
        code, _, data = self.call("DELETE", "/api/v1/notification-rules/" + rule["id"], token=self.token())
        self.assertEqual(code, 204, data)
        self.assertError(self.call("GET", "/api/v1/notification-rules/" + rule["id"], token=self.token()), 404)
        self.assertError(self.call("DELETE", "/api/v1/notification-rules/" + rule["id"], token=self.token()), 404)

    def test_bad_fields_are_named(self):
        cases = [({"name": "x", "channel": "sms"}, "channel"),
                 ({"name": "x", "channel": "webhook", "webhook": {"url": "ftp://h/x", "secret": SECRET}},
                  "webhook.url"),
                 ({"name": "x", "channel": "webhook", "webhook": {"url": "http://h/x", "secret": "short"}},
                  "webhook.secret"),
                 ({"name": "x", "channel": "jira", "events": ["closed"]}, "events[0]"),
                 ({"name": "x", "channel": "glpi", "glpi": {"urgency": 7}}, "glpi.urgency")]
        for body, field in cases:
            error = self.assertError(self.call("POST", "/api/v1/notification-rules", body, self.token()), 400, field)
            self.assertNotIn(SECRET, error["message"])
        self.create_rule()
        self.assertError(self.call("POST", "/api/v1/notification-rules", self.webhook_rule(), self.token()), 409,
                         "name")
        self.assertError(self.call("POST", "/api/v1/notification-rules", "[1]", self.token()), 400)
        self.assertError(self.call("POST", "/api/v1/notification-rules", "{}", self.token(), content_type="text/plain"),
                         415)

    def test_reader_cannot_change_and_every_change_is_audited(self):
        before = int(self.audit_rows("action LIKE 'notification_rule.%'"))
        self.assertError(self.call("POST", "/api/v1/notification-rules", self.webhook_rule(), self.reader()), 403)
        self.assertError(self.call("POST", "/api/v1/notification-rules", {"name": "x", "channel": "sms"},
                                   self.token()), 400, "channel")
        rule = self.create_rule()
        self.assertEqual(self.call("PATCH", "/api/v1/notification-rules/" + rule["id"], {"name": "renamed"},
                                   self.token())[0], 200)
        self.assertEqual(self.call("DELETE", "/api/v1/notification-rules/" + rule["id"], token=self.token())[0], 204)
        self.assertEqual(int(self.audit_rows("action LIKE 'notification_rule.%'")), before + 5)
        self.assertEqual(self.audit_rows("action = 'notification_rule.create' AND result = 'FAILURE'"
                                         " AND user_id = 'reader-oid'"), "1")
        self.assertEqual(self.audit_rows("action = 'notification_rule.update' AND result = 'SUCCESS'"
                                         " AND user_id = 'user-oid-1' AND user_email = 'alice@example.test'"
                                         " AND target = '%s'" % rule["id"]), "1")
        params = harness.psql(self.db, "SELECT string_agg(parameters::text, ' ') FROM action_logs")
        self.assertNotIn(SECRET, params)

    def test_outbox_lists_the_fanned_out_event(self):
        endpoint = self.create(type="TALEND")
        rule = self.create_rule(endpoint_type="TALEND")
        harness.psql(self.db, (
            "WITH i AS (INSERT INTO incidents (endpoint_id, kind, started_at, first_error, failed_checks, last_status)"
            " VALUES ('%s', 'down', now(), 'timeout', 2, 'DOWN') RETURNING *)"
            " INSERT INTO incident_events (incident_id, endpoint_id, kind, payload)"
            " SELECT i.id, i.endpoint_id, 'opened', jsonb_build_object('incident', jsonb_build_object('id', i.id))"
            " FROM i") % endpoint["id"])
        code, _, data = self.call("GET", "/api/v1/notifications?status=pending", token=self.reader())
        self.assertEqual(code, 200, data)
        self.assertEqual(len(data["items"]), 1, data)
        item = data["items"][0]
        self.assertEqual((item["rule_id"], item["event"], item["channel"], item["attempts"], item["endpoint_id"]),
                         (rule["id"], "opened", "webhook", 0, endpoint["id"]))
        code, _, data = self.call("GET", "/api/v1/notifications?status=sent&limit=5", token=self.reader())
        self.assertEqual((code, data["items"]), (200, []))
        self.assertError(self.call("GET", "/api/v1/notifications?status=lost", token=self.reader()), 400, "status")
        self.assertError(self.call("GET", "/api/v1/notifications?limit=0", token=self.reader()), 400, "limit")
        self.assertError(self.call("GET", "/api/v1/notifications?incident_id=nope", token=self.reader()), 400,
                         "incident_id")
        self.assertError(self.call("GET", "/api/v1/notifications"), 401)


if __name__ == "__main__":
    harness.main()
