#!/usr/bin/env python3
"""REST server: /api/v1/incidents, /api/v1/endpoints/{id}/incidents, the
incident policies and /api/v1/maintenance-windows (docs/incidents.md).

Check results written as the scheduler writes them open and resolve
incidents that the routes list, page and read; a maintenance window made
through the API silences an endpoint; windows are created, read, listed,
patched and deleted with field errors, role checks and one audit row per
change (refusals included).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class IncidentsTest(harness.ServerTestCase):
    DB_PREFIX = "server_incidents"

    def setUp(self):
        harness.psql(self.db, "DELETE FROM maintenance_windows; DELETE FROM incidents")

    def reader(self):
        return self.token(roles=["Monitorage.Reader"], oid="reader-oid")

    def results(self, endpoint_id, statuses, minutes_ago=30):
        """One result per minute, oldest first, ending minutes_ago - len + 1 minutes ago."""
        values = ", ".join("('%s', '%s', now() - interval '%d minutes')" % (endpoint_id, s, minutes_ago - i)
                           for i, s in enumerate(statuses))
        harness.psql(self.db, "INSERT INTO health_history (endpoint_id, status, checked_at) VALUES " + values)

    def test_incidents_are_listed_paged_and_read(self):
        a, b = self.create(name="inc-a"), self.create(name="inc-b")
        self.results(a["id"], ["DOWN", "DOWN", "UP", "UP"], 40)
        self.results(b["id"], ["DOWN"], 20)
        code, _, page = self.call("GET", "/api/v1/incidents?limit=1", token=self.reader())
        self.assertEqual(code, 200, page)
        self.assertEqual([i["endpoint_name"] for i in page["incidents"]], ["inc-b"])
        self.assertEqual(page["incidents"][0]["state"], "open")
        code, _, page = self.call("GET", "/api/v1/incidents?limit=1&cursor=" + page["next_cursor"],
                                  token=self.reader())
        self.assertEqual(code, 200, page)
        self.assertEqual([i["endpoint_name"] for i in page["incidents"]], ["inc-a"])
        self.assertIsNone(page["next_cursor"])
        incident = page["incidents"][0]
        self.assertEqual((incident["kind"], incident["state"], incident["failed_checks"]), ("down", "resolved", 2))

        code, _, data = self.call("GET", "/api/v1/incidents/" + incident["id"], token=self.reader())
        self.assertEqual(code, 200, data)
        self.assertEqual([e["kind"] for e in data["events"]], ["opened", "resolved"])
        code, _, data = self.call("GET", "/api/v1/endpoints/%s/incidents?state=open" % a["id"], token=self.reader())
        self.assertEqual((code, data["incidents"]), (200, []))
        code, _, data = self.call("GET", "/api/v1/incidents?state=open&endpoint_id=" + b["id"], token=self.reader())
        self.assertEqual(len(data["incidents"]), 1, data)

        self.assertError(self.call("GET", "/api/v1/incidents?state=closed", token=self.reader()), 400, "state")
        self.assertError(self.call("GET", "/api/v1/incidents?limit=0", token=self.reader()), 400, "limit")
        self.assertError(self.call("GET", "/api/v1/incidents?from=yesterday", token=self.reader()), 400, "from")
        self.assertError(self.call("GET", "/api/v1/incidents?cursor=x", token=self.reader()), 400, "cursor")
        self.assertError(self.call("GET", "/api/v1/incidents?endpoint_id=00000000-0000-4000-8000-000000000000",
                                   token=self.reader()), 400, "endpoint_id")
        self.assertError(self.call("GET", "/api/v1/endpoints/00000000-0000-4000-8000-000000000000/incidents",
                                   token=self.reader()), 404)
        self.assertError(self.call("GET", "/api/v1/incidents/00000000-0000-4000-8000-000000000000",
                                   token=self.reader()), 404)
        self.assertError(self.call("GET", "/api/v1/incidents"), 401)

    def test_policy_read_by_readers_changed_by_admins(self):
        ep = self.create()
        code, _, data = self.call("GET", "/api/v1/incident-policy", token=self.reader())
        self.assertEqual((code, data["down_threshold"], data["up_threshold"]), (200, 1, 2), data)
        self.assertError(self.call("PATCH", "/api/v1/incident-policy", {"up_threshold": 3}, self.reader()), 403)
        path = "/api/v1/endpoints/%s/incident-policy" % ep["id"]
        code, _, data = self.call("PATCH", path, {"down_threshold": 3}, self.token())
        self.assertEqual(code, 200, data)
        self.assertEqual((data["down_threshold"], data["overrides"]), (3, {"down_threshold": 3}))
        self.results(ep["id"], ["DOWN", "DOWN"])
        self.assertEqual(harness.psql(self.db, "SELECT count(*) FROM incidents WHERE endpoint_id = '%s'" % ep["id"]),
                         "0")
        self.assertError(self.call("PATCH", path, {"down_threshold": 0}, self.token()), 400, "down_threshold")
        self.assertError(self.call("PATCH", "/api/v1/incident-policy", {"down_threshold": None}, self.token()), 400,
                         "down_threshold")
        self.assertEqual(self.audit_rows("action = 'incident_policy.set' AND target = '%s' AND result = 'SUCCESS'"
                                         % ep["id"]), "1")
        self.assertEqual(self.audit_rows("action = 'incident_policy.set' AND result = 'FAILURE'"
                                         " AND user_id = 'reader-oid'"), "1")

    def test_window_silences_its_endpoint(self):
        ep, other = self.create(name="in-maintenance"), self.create(name="not-in-maintenance")
        code, headers, window = self.call("POST", "/api/v1/maintenance-windows", {
            "name": "upgrade", "endpoint_id": ep["id"], "kind": "once",
            "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}, self.token())
        self.assertEqual(code, 201, window)
        self.assertEqual(headers["location"], "/api/v1/maintenance-windows/" + window["id"])
        self.assertTrue(window["active"])
        self.results(ep["id"], ["DOWN", "DOWN"])
        self.results(other["id"], ["DOWN"])
        self.assertEqual(harness.psql(self.db, "SELECT count(*) FROM incidents WHERE endpoint_id = '%s'" % ep["id"]),
                         "0")
        self.assertEqual(harness.psql(self.db, "SELECT count(*) FROM health_history_maintenance"), "2")
        code, _, data = self.call("GET", "/api/v1/incidents", token=self.reader())
        self.assertEqual([i["endpoint_name"] for i in data["incidents"]], ["not-in-maintenance"])

    def test_windows_round_trip_with_named_errors_and_audit(self):
        ep = self.create(type="DOMAIN")
        before = int(self.audit_rows("action LIKE 'maintenance_window.%'"))
        weekly = {"name": "sunday night", "endpoint_type": "DOMAIN", "kind": "weekly", "weekdays": ["sun", 1],
                  "start_time": "23:30", "duration_s": 7200, "time_zone": "Europe/Paris"}
        self.assertError(self.call("POST", "/api/v1/maintenance-windows", weekly, self.reader()), 403)
        code, _, window = self.call("POST", "/api/v1/maintenance-windows", weekly, self.token())
        self.assertEqual(code, 201, window)
        self.assertEqual((window["weekdays"], window["start_time"]), ([7, 1], "23:30:00"))
        code, _, data = self.call("GET", "/api/v1/maintenance-windows/" + window["id"], token=self.reader())
        self.assertEqual((code, data), (200, window))
        code, _, data = self.call("GET", "/api/v1/maintenance-windows?endpoint_id=" + ep["id"], token=self.reader())
        self.assertEqual((code, [w["id"] for w in data["items"]]), (200, [window["id"]]))
        code, _, data = self.call("PATCH", "/api/v1/maintenance-windows/" + window["id"],
                                  {"duration_s": 600, "time_zone": "UTC"}, self.token())
        self.assertEqual((code, data["duration_s"], data["time_zone"]), (200, 600, "UTC"), data)

        bad = [({"weekdays": [0]}, "weekdays[0]"), ({"time_zone": "Mars/Base"}, "time_zone"),
               ({"start_time": "25:00"}, "start_time"), ({"kind": "once", "starts_at": "2026-01-02T00:00:00Z",
                                                           "ends_at": "2026-01-01T00:00:00Z"}, "ends_at")]
        for change, field in bad:
            self.assertError(self.call("PATCH", "/api/v1/maintenance-windows/" + window["id"], change, self.token()),
                             400, field)
        error = self.assertError(self.call("POST", "/api/v1/maintenance-windows", dict(
            weekly, endpoint_type=None, endpoint_id="00000000-0000-4000-8000-000000000000"), self.token()), 404)
        self.assertTrue(error["message"].startswith("endpoint_id: "), error)
        self.assertError(self.call("POST", "/api/v1/maintenance-windows", "[]", self.token()), 400)
        self.assertError(self.call("GET", "/api/v1/maintenance-windows?endpoint_id=x", token=self.reader()), 400,
                         "endpoint_id")
        self.assertEqual(self.call("DELETE", "/api/v1/maintenance-windows/" + window["id"], token=self.token())[0],
                         204)
        self.assertError(self.call("GET", "/api/v1/maintenance-windows/" + window["id"], token=self.reader()), 404)
        self.assertError(self.call("DELETE", "/api/v1/maintenance-windows/" + window["id"], token=self.token()), 404)
        # 403, create, patch, 4 refused patches, 404 create, 400 body, delete, 404 delete: one row each.
        self.assertEqual(int(self.audit_rows("action LIKE 'maintenance_window.%'")), before + 11)
        self.assertEqual(self.audit_rows("action = 'maintenance_window.create' AND result = 'FAILURE'"
                                         " AND user_id = 'reader-oid'"), "1")
        self.assertEqual(self.audit_rows("action = 'maintenance_window.update' AND result = 'SUCCESS'"
                                         " AND user_email = 'alice@example.test' AND target = '%s'" % window["id"]),
                         "1")


if __name__ == "__main__":
    harness.main()
