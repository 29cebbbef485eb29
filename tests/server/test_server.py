#!/usr/bin/env python3
"""The REST server's core routes: liveness, auth, roles, endpoints, status,
history, uptime, check-now, audit, malformed input, dev mode. The harness
(server, JWKS stub, tokens, database) is tests/server/harness.py."""
import base64
import http.client
import json
import os
import random
import socket
import time
import unittest
import urllib.parse

from cryptography.hazmat.primitives import serialization

from harness import (DEV_TOKEN, METRICS_TOKEN, PG_DIR, Server, ServerTestCase, b64u, free_port, jwk_of, main,
                     psql, sign)


class Api(ServerTestCase):
    DB_PREFIX = "server_api"

    # -- liveness, readiness, routing ------------------------------------------------
    def test_health_answers_without_auth_or_database(self):
        code, headers, data = self.call("GET", "/health")
        self.assertEqual((code, data), (200, {"status": "ok"}))
        self.assertEqual(headers["content-type"], "application/json")

    def test_ready_when_database_reachable_and_schema_current(self):
        code, _, data = self.call("GET", "/ready")
        self.assertEqual(code, 200, data)
        self.assertEqual(data["status"], "ready")

    def test_metrics_in_prometheus_text(self):
        ep = self.create(name='metrics "quoted" \\ name')
        psql(self.db, "INSERT INTO health_history (endpoint_id, status, status_code, latency_ms) "
                      "VALUES ('%s', 'DOWN', 503, 1500)" % ep["id"])
        # Enough endpoints for a page of about 1 MB: growing it takes mremap(), which the sandbox must allow.
        psql(self.db, "INSERT INTO endpoints (name, type, url) SELECT 'metrics-bulk-' || g, 'DOMAIN', "
                      "'http://127.0.0.1:9/' || g FROM generate_series(1, 3000) g")
        self.call("GET", "/health")
        scraper = {"Authorization": "Bearer " + METRICS_TOKEN}
        code, headers, text = self.call("GET", "/metrics", headers=scraper)
        self.assertEqual(code, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        text = text.decode()
        labels = '{id="%s",name="metrics \\"quoted\\" \\\\ name",type="APIM"}' % ep["id"]
        self.assertIn("monitorage_endpoint_up" + labels + " 0\n", text)
        self.assertIn("monitorage_endpoint_status_code" + labels + " 1\n", text)
        self.assertIn("monitorage_endpoint_latency_seconds" + labels + " 1.500\n", text)
        self.assertGreaterEqual(text.count('monitorage_endpoint_up{id="'), 3001)
        self.assertIn("# TYPE monitorage_http_responses_total counter", text)
        self.assertRegex(text, r'monitorage_http_responses_total\{handler="health",code="2xx"\} [1-9]')
        self.assertRegex(text, r'monitorage_http_responses_total\{handler="metrics",code="2xx"\} [1-9]')
        self.assertEqual(self.call("GET", "/metrics", token=self.token(roles=["Monitorage.Reader"]))[0], 200)
        self.assertError(self.call("GET", "/metrics"), 401)
        wrong = {"Authorization": scraper["Authorization"][:-1]}
        self.assertError(self.call("GET", "/metrics", headers=wrong), 401)
        self.assertError(self.call("GET", "/metrics", token=self.token(roles=None)), 403)

    def test_unknown_route_is_json_404(self):
        self.assertError(self.call("GET", "/api/v1/nothing-here"), 404)
        self.assertError(self.call("GET", "/api/v1/endpoints/not-a-uuid", token=self.token()), 404)

    def test_wrong_method_is_405(self):
        self.assertEqual(self.call("POST", "/health")[0], 405)
        self.assertEqual(self.call("DELETE", "/api/v1/endpoints", token=self.token())[0], 405)

    # -- auth ------------------------------------------------------------------------
    def test_me_with_valid_token(self):
        code, _, data = self.call("GET", "/api/v1/me", token=self.token())
        self.assertEqual(code, 200, data)
        self.assertEqual(data["id"], "user-oid-1")
        self.assertEqual(data["email"], "alice@example.test")
        self.assertEqual(data["roles"], ["Monitorage.Admin"])
        self.assertEqual(data["permissions"], {"read": True, "operate": True, "admin": True})

    def test_me_uses_sub_when_no_oid_and_second_audience(self):
        code, _, data = self.call("GET", "/api/v1/me", token=self.token(oid=None, aud=["x", "other-api"]))
        self.assertEqual((code, data["id"]), (200, "user-sub-1"))

    def test_missing_or_garbage_authorization_is_401(self):
        for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "},
                        {"Authorization": "Bearer not.a.jwt"}, {"Authorization": "Bearer " + "a" * 3000},
                        {"Authorization": "Bearer a.b.c"}, {"Authorization": "bearer " + "x" * 40}):
            response = self.call("GET", "/api/v1/me", headers=headers)
            self.assertError(response, 401)
            self.assertIn("bearer", response[1].get("www-authenticate", "").lower())
        # Kore itself refuses a header value that is not printable ASCII (400, empty body).
        code = self.call("GET", "/api/v1/me", headers={
            "Authorization": "Bearer \u00e9t\u00e9".encode("utf-8").decode("latin-1")})[0]
        self.assertIn(code, (400, 401))

    def assert_rejected(self, token, reason_word):
        error = self.assertError(self.call("GET", "/api/v1/me", token=token), 401)
        self.assertIn(reason_word, error["message"])

    def test_expired_token_is_401(self):
        self.assert_rejected(self.token(exp=int(time.time()) - 3600), "expired")

    def test_token_within_clock_skew_is_accepted(self):
        code = self.call("GET", "/api/v1/me", token=self.token(exp=int(time.time()) - 20))[0]
        self.assertEqual(code, 200)

    def test_not_yet_valid_token_is_401(self):
        self.assert_rejected(self.token(nbf=int(time.time()) + 3600), "nbf")

    def test_wrong_issuer_is_401(self):
        self.assert_rejected(self.token(iss="https://sts.windows.net/tenant-1/"), "issuer")

    def test_wrong_audience_is_401(self):
        self.assert_rejected(self.token(aud="api://someone-else"), "aud")

    def test_tampered_signature_is_401(self):
        head, payload, sig = self.token().split(".")
        forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
        forged["roles"] = ["Monitorage.Admin", "Extra"]
        self.assert_rejected(head + "." + b64u(json.dumps(forged).encode()) + "." + sig, "signature")

    def test_key_of_another_issuer_under_known_kid_is_401(self):
        self.assert_rejected(sign(self.claims(), self.key_other, "kA"), "signature")

    def test_alg_none_is_401(self):
        self.assert_rejected(sign(self.claims(), None, "kA", alg="none"), "RS256")

    def test_hs256_with_public_key_as_secret_is_401(self):
        pem = self.key_a.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        self.assert_rejected(sign(self.claims(), None, "kA", alg="HS256", hmac_secret=pem), "RS256")

    def test_unknown_kid_refreshes_keys_once(self):
        self.stub.serve([jwk_of(self.key_a, "kA"), jwk_of(self.key_b, "kB")])
        code, _, data = self.call("GET", "/api/v1/me", token=sign(self.claims(), self.key_b, "kB"))
        self.assertEqual(code, 200, data)
        self.assertEqual(self.stub.fetches(), 1)
        for _ in range(3):
            self.assert_rejected(sign(self.claims(), self.key_b, "kC"), "unknown key")
        self.assertEqual(self.stub.fetches(), 1, "refreshes are limited to one a minute")

    def test_reader_reads_but_cannot_change(self):
        reader = self.token(roles=["Monitorage.Reader"])
        self.assertEqual(self.call("GET", "/api/v1/endpoints", token=reader)[0], 200)
        self.assertEqual(self.call("GET", "/api/v1/status", token=reader)[0], 200)
        error = self.assertError(self.call("POST", "/api/v1/endpoints", self.endpoint_body(), reader), 403)
        self.assertIn("Monitorage.Admin", error["message"])
        operator = self.token(roles=["Monitorage.Operator"], oid="operator-1")
        ep = self.create()
        self.assertError(self.call("DELETE", "/api/v1/endpoints/" + ep["id"], token=operator), 403)
        self.assertEqual(self.audit_rows("user_id = 'operator-1' AND action = 'endpoint.delete' "
                                         "AND result = 'FAILURE' AND target = '%s'" % ep["id"]), "1")

    def test_no_role_is_403_naming_reader(self):
        nobody = self.token(roles=None)
        error = self.assertError(self.call("GET", "/api/v1/endpoints", token=nobody), 403)
        self.assertIn("Monitorage.Reader", error["message"])
        self.assertEqual(self.call("GET", "/api/v1/me", token=nobody)[2]["roles"], [])

    # -- endpoints -------------------------------------------------------------------------
    def test_endpoint_lifecycle_and_audit(self):
        admin = self.token(oid="admin-life")
        body = self.endpoint_body(headers={"X-Api-Key": "s3cret-value"})
        code, headers, ep = self.call("POST", "/api/v1/endpoints", body, admin,
                                      headers={"User-Agent": "lifecycle-test/1"})
        self.assertEqual(code, 201, ep)
        self.assertEqual(headers["location"], "/api/v1/endpoints/" + ep["id"])
        path = "/api/v1/endpoints/" + ep["id"]
        code, _, got = self.call("GET", path, token=admin)
        self.assertEqual((code, got["name"], got["url"]), (200, body["name"], body["url"]))
        code, _, got = self.call("GET", path.upper().replace("/API/V1/ENDPOINTS/", "/api/v1/endpoints/"),
                                 token=admin)
        self.assertEqual(code, 200, "ids are case-insensitive")

        replaced = self.endpoint_body(name="replaced", type="DOMAIN", check_interval=120)
        code, _, got = self.call("PUT", path, replaced, admin)
        self.assertEqual((code, got["name"], got["type"], got["check_interval"]),
                         (200, "replaced", "DOMAIN", 120))
        self.assertEqual(got["created_at"], ep["created_at"])

        code, _, got = self.call("PATCH", path, {"enabled": False}, admin,
                                 content_type="application/merge-patch+json")
        self.assertEqual((code, got["enabled"], got["name"]), (200, False, "replaced"))

        self.assertEqual(self.call("DELETE", path, token=admin)[0], 204)
        self.assertError(self.call("GET", path, token=admin), 404)
        self.assertError(self.call("DELETE", path, token=admin), 404)

        for action in ("endpoint.create", "endpoint.update", "endpoint.patch", "endpoint.delete"):
            where = "user_id = 'admin-life' AND action = '%s' AND result = 'SUCCESS' AND target = '%s'"
            self.assertEqual(self.audit_rows(where % (action, ep["id"])), "1", action)
        row = psql(self.db, "SELECT user_email || '|' || user_roles::text || '|' || ip_address || '|' || "
                            "user_agent || '|' || parameters::text FROM action_logs "
                            "WHERE user_id = 'admin-life' AND action = 'endpoint.create'")
        self.assertIn("alice@example.test|", row)
        self.assertIn("Monitorage.Admin", row)
        self.assertIn("|127.0.0.1|lifecycle-test/1|", row)
        self.assertNotIn("s3cret-value", row, "secret-looking parameters are redacted")
        self.assertIn("REDACTED", row)
        self.assertEqual(self.audit_rows("user_id = 'admin-life' AND action = 'endpoint.delete' AND "
                                         "result = 'FAILURE' AND error_message LIKE '%no endpoint%'"), "1")

    def test_audit_log_is_queried_by_admins(self):
        admin = self.token(oid="auditor-1")
        for i in range(3):
            self.create(name="audited-%d" % i, headers={"Authorization": "Basic c2VjcmV0"})
            self.call("POST", "/api/v1/endpoints", self.endpoint_body(), admin)
        code, _, page = self.call("GET", "/api/v1/audit?user_id=auditor-1&limit=2", token=admin)
        self.assertEqual((code, len(page["items"])), (200, 2), page)
        self.assertTrue(page["next_cursor"])
        self.assertTrue(all(r["user_id"] == "auditor-1" and r["action"] == "endpoint.create"
                            for r in page["items"]))
        seen = {r["id"] for r in page["items"]}
        code, _, more = self.call("GET", "/api/v1/audit?user_id=auditor-1&limit=2&cursor="
                                  + urllib.parse.quote(page["next_cursor"]), token=admin)
        self.assertEqual(code, 200, more)
        self.assertFalse(seen & {r["id"] for r in more["items"]})
        code, _, mine = self.call("GET", "/api/v1/audit?action=endpoint.create&result=SUCCESS&limit=1000",
                                  token=admin)
        texts = json.dumps(mine["items"])
        self.assertIn("audited-0", texts)
        self.assertNotIn("c2VjcmV0", texts, "header values are redacted")
        operator = self.token(roles=["Monitorage.Operator"])
        error = self.assertError(self.call("GET", "/api/v1/audit", token=operator), 403)
        self.assertIn("Monitorage.Admin", error["message"])
        self.assertError(self.call("GET", "/api/v1/audit?result=maybe", token=admin), 400, "result")
        self.assertError(self.call("GET", "/api/v1/audit?from=never", token=admin), 400, "from")
        self.assertError(self.call("GET", "/api/v1/audit?cursor=garbage", token=admin), 400, "cursor")
        self.assertError(self.call("GET", "/api/v1/audit?limit=0", token=admin), 400, "limit")

    def test_audit_verify_runs_off_the_event_loop_and_finds_an_edit(self):
        admin = self.token()
        self.create()
        code, _, report = self.call("GET", "/api/v1/audit/verify", token=admin)
        self.assertEqual((code, report["ok"], report["reason"]), (200, True, "intact"), report)
        self.assertGreater(report["rows_checked"], 0)
        reader = self.token(roles=["Monitorage.Reader"])
        self.assertError(self.call("GET", "/api/v1/audit/verify", token=reader), 403)
        self.assertError(self.call("GET", "/api/v1/audit/verify?x=1", token=admin), 400)
        victim = psql(self.db, "SELECT id FROM action_logs ORDER BY seq LIMIT 1 OFFSET 1")
        psql(self.db, "SET session_replication_role = replica; "
                      "UPDATE action_logs SET target = 'tampered' WHERE id = '%s'" % victim)
        code, _, report = self.call("GET", "/api/v1/audit/verify", token=admin)
        self.assertEqual((code, report["ok"], report["reason"], report["broken_id"]),
                         (200, False, "edited", victim), report)

    def test_check_now_records_and_returns_the_result(self):
        up = self.create(url="http://127.0.0.1:%d/keys" % self.stub.port, retries=0)
        down = self.create(url="http://127.0.0.1:%d/x" % free_port(), retries=0, timeout=1000)
        operator = self.token(roles=["Monitorage.Operator"], oid="operator-check")
        code, _, result = self.call("POST", "/api/v1/endpoints/%s/check" % up["id"], token=operator)
        self.assertEqual((code, result["status"], result["status_code"], result["endpoint_id"]),
                         (200, "UP", 200, up["id"]), result)
        self.assertIsInstance(result["connect_ms"], float)
        code, _, result = self.call("POST", "/api/v1/endpoints/%s/check" % down["id"], token=operator)
        self.assertEqual((code, result["status"]), (200, "DOWN"), result)
        self.assertTrue(result["error_message"])
        code, _, hist = self.call("GET", "/api/v1/endpoints/%s/history" % up["id"], token=operator)
        self.assertEqual([h["status"] for h in hist["items"]], ["UP"])
        self.assertEqual(self.audit_rows("user_id = 'operator-check' AND action = 'endpoint.check' AND "
                                         "result = 'SUCCESS'"), "2")
        reader = self.token(roles=["Monitorage.Reader"], oid="reader-check")
        check_up = "/api/v1/endpoints/%s/check" % up["id"]
        error = self.assertError(self.call("POST", check_up, token=reader), 403)
        self.assertIn("Monitorage.Operator", error["message"])
        self.assertEqual(self.audit_rows("user_id = 'reader-check' AND action = 'endpoint.check' AND "
                                         "result = 'FAILURE'"), "1")
        self.assertError(self.call("POST", "/api/v1/endpoints/00000000-0000-4000-8000-00000000abcd/check",
                                   token=operator), 404)
        self.assertEqual(self.call("GET", "/api/v1/endpoints/%s/check" % up["id"], token=operator)[0], 405)

    def test_create_rejects_bad_input_with_field(self):
        admin = self.token()
        create = "/api/v1/endpoints"
        self.assertError(self.call("POST", create, self.endpoint_body(url="ftp://x/"), admin), 400, "url")
        self.assertError(self.call("POST", create, self.endpoint_body(timeout="slow"), admin), 400, "timeout")
        self.assertError(self.call("POST", "/api/v1/endpoints", self.endpoint_body(colour="red"), admin), 400)
        self.assertError(self.call("POST", "/api/v1/endpoints", '{"name": "x",', admin), 400, "body")
        self.assertError(self.call("POST", "/api/v1/endpoints", "[1, 2]", admin), 400, "body")
        self.assertError(self.call("POST", "/api/v1/endpoints", "", admin), 400, "body")
        self.assertError(self.call("POST", "/api/v1/endpoints", self.endpoint_body(), admin,
                                   content_type="text/plain"), 415)
        self.assertError(self.call("POST", "/api/v1/endpoints", self.endpoint_body(), admin,
                                   content_type="application/merge-patch+json"), 415)

    def test_duplicate_id_is_409(self):
        ep = self.create()
        again = self.endpoint_body(id=ep["id"])
        self.assertError(self.call("POST", "/api/v1/endpoints", again, self.token()), 409)

    def test_put_with_other_id_and_unknown_id(self):
        ep = self.create()
        path = "/api/v1/endpoints/" + ep["id"]
        other = "00000000-0000-4000-8000-000000000001"
        self.assertError(self.call("PUT", path, self.endpoint_body(id=other), self.token()), 400, "id")
        missing = "/api/v1/endpoints/" + other
        self.assertError(self.call("PUT", missing, self.endpoint_body(), self.token()), 404)
        self.assertError(self.call("PATCH", missing, {"enabled": True}, self.token()), 404)
        self.assertError(self.call("PATCH", path, {"id": other}, self.token()), 400, "id")

    def test_oversized_body_is_413(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            head = ("POST /api/v1/endpoints HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                    "Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n" % self.token())
            s.sendall(head.encode())
            self.assertIn(b" 413 ", s.recv(4096).split(b"\r\n")[0] + b" ")

    def test_list_filters_and_paging(self):
        tag = "flt%d" % random.randrange(1 << 30)
        for i in range(3):
            self.create(name="%s-%d" % (tag, i), type="TALEND", enabled=(i != 1))
        admin = self.token()
        code, _, page = self.call("GET", "/api/v1/endpoints?type=TALEND&enabled=false&limit=1000",
                                  token=admin)
        self.assertEqual(code, 200, page)
        self.assertIn("%s-1" % tag, [e["name"] for e in page["items"]])
        self.assertTrue(all(e["type"] == "TALEND" and not e["enabled"] for e in page["items"]))
        code, _, page = self.call("GET", "/api/v1/endpoints?limit=2&offset=1&status=UNKNOWN", token=admin)
        self.assertEqual((code, len(page["items"]), page["limit"], page["offset"]), (200, 2, 2, 1))
        self.assertGreaterEqual(page["total"], 3)
        for query, field in (("type=FTP", "type"), ("enabled=yes", "enabled"), ("status=up", "status"),
                             ("limit=0", "limit"), ("limit=1001", "limit"), ("offset=-1", "offset"),
                             ("limit=9999999999999999999999", "limit"), ("bogus=1", "bogus"),
                             ("limit=1&limit=2", "limit"), ("type=%zz", "type")):
            self.assertError(self.call("GET", "/api/v1/endpoints?" + query, token=admin), 400, field)

    def test_status_history_and_uptime(self):
        ep = self.create()
        psql(self.db, "INSERT INTO health_history (endpoint_id, status, status_code, latency_ms, checked_at) "
                      "VALUES ('%s', 'UP', 200, 42, now() - interval '1 hour'), "
                      "('%s', 'DOWN', 500, 7, now() - interval '2 hours')" % (ep["id"], ep["id"]))
        admin = self.token(roles=["Monitorage.Reader"])
        code, _, status = self.call("GET", "/api/v1/status", token=admin)
        self.assertEqual(code, 200, status)
        mine = [s for s in status["items"] if s["endpoint_id"] == ep["id"]]
        self.assertEqual((len(mine), mine[0]["status"], mine[0]["latency_ms"]), (1, "UP", 42))

        path = "/api/v1/endpoints/%s/history" % ep["id"]
        code, _, hist = self.call("GET", path, token=admin)
        self.assertEqual((code, [h["status"] for h in hist["items"]]), (200, ["UP", "DOWN"]))
        code, _, hist = self.call("GET", path + "?limit=1", token=admin)
        self.assertEqual(len(hist["items"]), 1)
        since = urllib.parse.quote(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5400)))
        code, _, hist = self.call("GET", path + "?from=" + since, token=admin)
        self.assertEqual([h["status"] for h in hist["items"]], ["UP"])
        self.assertError(self.call("GET", path + "?from=yesterday", token=admin), 400, "from")
        self.assertError(self.call("GET", path + "?limit=10001", token=admin), 400, "limit")
        self.assertError(self.call("GET", path + "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
                                   token=admin), 400, "to")
        self.assertError(self.call("GET", "/api/v1/endpoints/00000000-0000-4000-8000-00000000abcd/history",
                                   token=admin), 404)

        path = "/api/v1/endpoints/%s/uptime" % ep["id"]
        code, _, up = self.call("GET", path, token=admin)
        self.assertEqual((code, up["window"], up["checks"], up["up"], up["down"]), (200, "24h", 2, 1, 1), up)
        self.assertAlmostEqual(up["uptime_percent"], 50.0)
        code, _, up = self.call("GET", path + "?window=30d", token=admin)
        self.assertEqual((code, up["window"], up["window_seconds"]), (200, "30d", 30 * 86400))
        self.assertError(self.call("GET", path + "?window=1y", token=admin), 400, "window")
        self.assertError(self.call("GET", "/api/v1/endpoints/00000000-0000-4000-8000-00000000abcd/uptime",
                                   token=admin), 404)

    def test_overview_gives_status_uptime_and_recent_checks_in_one_request(self):
        ep = self.create(name="overview one request")
        psql(self.db, "INSERT INTO health_history (endpoint_id, status, status_code, latency_ms, checked_at) "
                      "VALUES ('{0}', 'UP', 200, 5, now() - interval '30 hours'), "
                      "('{0}', 'UP', 200, 42, now() - interval '30 minutes'), "
                      "('{0}', 'DOWN', NULL, NULL, now() - interval '20 minutes'), "
                      "('{0}', 'DEGRADED', 200, 300, now() - interval '10 minutes')".format(ep["id"]))
        reader = self.token(roles=["Monitorage.Reader"])
        code, _, page = self.call("GET", "/api/v1/overview", token=reader)
        self.assertEqual(code, 200, page)
        self.assertEqual((page["limit"], page["offset"], page["recent"]), (1000, 0, 30))
        self.assertEqual(len(page["items"]), min(page["total"], 1000))
        code, _, page = self.call("GET", "/api/v1/overview?limit=10000", token=reader)
        self.assertEqual(code, 200, page)
        self.assertEqual(len(page["items"]), page["total"])
        mine = [s for s in page["items"] if s["endpoint_id"] == ep["id"]][0]
        self.assertEqual(mine["recent_latency_ms"], [5, 42, None, 300])
        self.assertEqual(mine["recent_status"], ["UP", "UP", "DOWN", "DEGRADED"])
        # The same figure as the uptime route's, to the last digit.
        code, _, up = self.call("GET", "/api/v1/endpoints/%s/uptime?window=24h" % ep["id"], token=reader)
        self.assertEqual(code, 200, up)
        self.assertEqual(mine["uptime_24h_percent"], up["uptime_percent"])
        self.assertAlmostEqual(mine["uptime_24h_percent"], 200 / 3)
        # The status members are the status route's.
        status = [s for s in self.call("GET", "/api/v1/status", token=reader)[2]["items"]
                  if s["endpoint_id"] == ep["id"]][0]
        self.assertEqual({k: mine[k] for k in status}, status)

        code, _, page = self.call("GET", "/api/v1/overview?status=DEGRADED&type=APIM&enabled=true&recent=2",
                                  token=reader)
        self.assertEqual(code, 200, page)
        self.assertEqual({s["status"] for s in page["items"]}, {"DEGRADED"})
        mine = [s for s in page["items"] if s["endpoint_id"] == ep["id"]][0]
        self.assertEqual((mine["recent_latency_ms"], mine["recent_status"]),
                         ([None, 300], ["DOWN", "DEGRADED"]))
        code, _, page = self.call("GET", "/api/v1/overview?limit=1&offset=0&recent=0", token=reader)
        self.assertEqual((code, len(page["items"]), page["items"][0]["recent_latency_ms"]), (200, 1, []))
        code, _, page = self.call("GET", "/api/v1/overview?offset=100000", token=reader)
        self.assertEqual((code, page["items"]), (200, []))
        self.assertGreaterEqual(page["total"], 1)

        for query, field in (("type=FTP", "type"), ("enabled=yes", "enabled"), ("status=up", "status"),
                             ("limit=0", "limit"), ("limit=10001", "limit"), ("offset=-1", "offset"),
                             ("recent=61", "recent"), ("recent=-1", "recent"), ("recent=x", "recent"),
                             ("bogus=1", "bogus"), ("recent=1&recent=2", "recent")):
            self.assertError(self.call("GET", "/api/v1/overview?" + query, token=reader), 400, field)
        self.assertError(self.call("GET", "/api/v1/overview"), 401)
        error = self.assertError(self.call("GET", "/api/v1/overview", token=self.token(roles=None)), 403)
        self.assertIn("Monitorage.Reader", error["message"])
        text = self.call("GET", "/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN})[2].decode()
        self.assertRegex(text, r'monitorage_http_responses_total\{handler="overview",code="2xx"\} [1-9]')
        self.assertRegex(text, r'monitorage_http_responses_total\{handler="overview",code="4xx"\} [1-9]')

    def test_strings_are_stored_verbatim(self):
        for name in ("Robert'); DROP TABLE endpoints;--", "\u65e5\u672c\u8a9e \U0001F600 caf\u00e9",
                     "\"quoted\" \\ back", "%s%n%x"):
            ep = self.create(name=name)
            code, _, got = self.call("GET", "/api/v1/endpoints/" + ep["id"], token=self.token())
            self.assertEqual((code, got["name"]), (200, name))

    def test_database_down_is_503_then_recovers(self):
        psql(self.admin_url, "ALTER DATABASE %s WITH ALLOW_CONNECTIONS false" % self.dbname)
        try:
            psql(self.admin_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'"
                 % self.dbname)
            self.assertError(self.call("GET", "/ready"), 503)
            self.assertError(self.call("GET", "/api/v1/endpoints", token=self.token()), 503)
            self.assertError(self.call("GET", "/api/v1/status", token=self.token()), 503)
            self.assertEqual(self.call("GET", "/health")[0], 200)
        finally:
            psql(self.admin_url, "ALTER DATABASE %s WITH ALLOW_CONNECTIONS true" % self.dbname)
        self.assertEqual(self.call("GET", "/ready")[0], 200)
        self.assertEqual(self.call("GET", "/api/v1/endpoints", token=self.token())[0], 200)

    def test_thousand_malformed_requests_get_4xx_and_server_survives(self):
        rnd = random.Random(6)
        admin = self.token()
        valid = json.dumps(self.endpoint_body())
        junk = ["", "{", "}", "null", "[]", "\"x\"", "1e999999", "-0", "{\"name\":" + "9" * 5000 + "}",
                "{\"name\": {\"$ne\": 1}}", "{\"type\": 1}", "{\"name\":\"\u0000\"}", "\ud800",
                "{'single': 1}", "{\"url\": \"javascript:alert(1)\"}", "' OR 1=1 --"]
        statuses = {}
        target_ep = self.create()["id"]
        for i in range(1000):
            target = "/api/v1/endpoints" if i % 2 else "/api/v1/endpoints/" + target_ep
            kind = i % 5
            if kind == 0:
                body = valid[:rnd.randrange(len(valid))]
            elif kind == 1:
                body = rnd.choice(junk)
            elif kind == 2:
                b = self.endpoint_body()
                b[rnd.choice(["name", "type", "url", "timeout", "check_interval", "headers", "enabled",
                              "expected_status", "conditions", "retries"])] = rnd.choice(
                    [10 ** 30, -1, 1.5, "", None, [], {}, True, "x" * 600, "'; DROP TABLE endpoints; --",
                     "\u202e\u0000", {"a": [1, {"b": None}]}])
                body = json.dumps(b)
            elif kind == 3:
                body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200)))
            else:
                short = [j for j in junk if len(j) < 100] + ["\u00e9", "%", "&&&", "=="]
                q = urllib.parse.quote(rnd.choice(short).encode("utf-8", "surrogatepass"), safe="%&=")
                code = self.call("GET", "/api/v1/endpoints?limit=" + q, token=admin)[0]
                self.assertTrue(400 <= code < 500, (i, q, code))
                continue
            method = "POST" if i % 2 else rnd.choice(["PUT", "PATCH"])
            code, _, data = self.call(method, target,
                                      body if isinstance(body, bytes)
                                      else body.encode("utf-8", "surrogatepass"),
                                      admin)
            self.assertTrue(400 <= code < 500 or code in (200, 201), (i, method, body[:80], code, data))
            statuses[code] = statuses.get(code, 0) + 1
        self.assertEqual(self.call("GET", "/health")[0], 200)
        self.assertEqual(self.call("GET", "/api/v1/me", token=admin)[0], 200)
        self.assertGreater(sum(n for c, n in statuses.items() if c >= 400), 700, statuses)


class DevMode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin_url = open(os.path.join(PG_DIR, "database_url")).read().strip()
        cls.dbname = "server_dev_%d" % os.getpid()
        psql(cls.admin_url, "DROP DATABASE IF EXISTS %s" % cls.dbname)
        psql(cls.admin_url, "CREATE DATABASE %s" % cls.dbname)
        cls.db = cls.admin_url.replace("/monitorage?", "/%s?" % cls.dbname)

    @classmethod
    def tearDownClass(cls):
        psql(cls.admin_url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % cls.dbname)

    def test_dev_token_is_admin_on_loopback(self):
        server = Server({"DATABASE_URL": self.db, "MONITORAGE_DEV_TOKEN": DEV_TOKEN, "OIDC_ISSUER": "",
                         "OIDC_JWKS_URL": "", "OIDC_AUDIENCE": "", "AZURE_TENANT_ID": "",
                         "AZURE_CLIENT_ID": ""})
        try:
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            c.request("GET", "/api/v1/me", headers={"Authorization": "Bearer " + DEV_TOKEN})
            r = c.getresponse()
            me = json.loads(r.read())
            self.assertEqual((r.status, me["dev"], me["permissions"]["admin"]), (200, True, True))
            c.request("GET", "/api/v1/me", headers={"Authorization": "Bearer " + DEV_TOKEN + "x"})
            self.assertEqual(c.getresponse().status, 401)
            self.assertEqual(server.output().count("WARNING: dev mode"), 1,
                             "logged once, not once per worker")
            server.proc.terminate()
            self.assertEqual(server.proc.wait(15), 0, "SIGTERM stops the server cleanly")
        finally:
            server.stop()

    def test_dev_token_refused_beyond_loopback(self):
        server = Server({"DATABASE_URL": self.db, "MONITORAGE_DEV_TOKEN": DEV_TOKEN,
                         "MONITORAGE_BIND": "0.0.0.0"}, wait=False)
        try:
            self.assertNotEqual(server.proc.wait(20), 0)
            self.assertIn("listens beyond loopback", server.output())
        finally:
            server.stop()

    def test_missing_database_url_fails_fast(self):
        server = Server({"DATABASE_URL": "", "MONITORAGE_DEV_TOKEN": DEV_TOKEN}, wait=False)
        try:
            self.assertNotEqual(server.proc.wait(20), 0)
            self.assertIn("DATABASE_URL", server.output())
        finally:
            server.stop()

    def test_unreachable_database_fails_fast(self):
        url = "postgresql://postgres@127.0.0.1:%d/x?connect_timeout=2" % free_port()
        server = Server({"DATABASE_URL": url, "MONITORAGE_DEV_TOKEN": DEV_TOKEN}, wait=False)
        try:
            self.assertNotEqual(server.proc.wait(20), 0)
            self.assertIn("database", server.output())
        finally:
            server.stop()


if __name__ == "__main__":
    main()
