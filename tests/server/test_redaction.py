#!/usr/bin/env python3
"""Endpoint header values (they may hold API keys) are shown verbatim to
admins only: readers and operators see the header names with each value
replaced by "[REDACTED]", in the endpoint read and the endpoint list."""
import json

from harness import ServerTestCase, main, psql

SECRET = "k-7f3a9c2e1b5d4f60"


class Redaction(ServerTestCase):
    DB_PREFIX = "server_redaction"

    def test_readers_and_operators_see_header_names_only(self):
        ep = self.create(headers={"X-Api-Key": SECRET, "Accept": "application/json"})
        self.assertEqual(ep["headers"]["X-Api-Key"], SECRET)  # the admin's own create answer
        redacted = {"X-Api-Key": "[REDACTED]", "Accept": "[REDACTED]"}
        for role in ("Monitorage.Reader", "Monitorage.Operator"):
            token = self.token(roles=[role])
            code, _, data = self.call("GET", "/api/v1/endpoints/" + ep["id"], token=token)
            self.assertEqual(code, 200, data)
            self.assertEqual(data["headers"], redacted)
            self.assertEqual(data["name"], ep["name"])
            code, _, data = self.call("GET", "/api/v1/endpoints?limit=1000", token=token)
            self.assertEqual(code, 200, data)
            mine = [e for e in data["items"] if e["id"] == ep["id"]]
            self.assertEqual(mine[0]["headers"], redacted)
            for path in ("/api/v1/endpoints?limit=1000", "/api/v1/endpoints/" + ep["id"], "/api/v1/status",
                         "/metrics"):
                code, _, data = self.call("GET", path, token=token)
                self.assertEqual(code, 200, data)
                text = data.decode() if isinstance(data, bytes) else json.dumps(data)
                self.assertNotIn(SECRET, text, path)
        # Stored verbatim; admins read it verbatim.
        self.assertIn(SECRET, psql(self.db, "SELECT headers::text FROM endpoints WHERE id = '%s'" % ep["id"]))
        code, _, data = self.call("GET", "/api/v1/endpoints/" + ep["id"], token=self.token())
        self.assertEqual(data["headers"]["X-Api-Key"], SECRET)
        code, _, data = self.call("GET", "/api/v1/endpoints?limit=1000", token=self.token())
        self.assertEqual([e for e in data["items"] if e["id"] == ep["id"]][0]["headers"]["X-Api-Key"], SECRET)

    def test_endpoint_without_headers_reads_alike_for_every_role(self):
        ep = self.create()
        code, _, admin = self.call("GET", "/api/v1/endpoints/" + ep["id"], token=self.token())
        code, _, reader = self.call("GET", "/api/v1/endpoints/" + ep["id"],
                                    token=self.token(roles=["Monitorage.Reader"]))
        self.assertEqual(code, 200, reader)
        self.assertEqual(admin, reader)
        self.assertEqual(reader["headers"], {})


if __name__ == "__main__":
    main()
