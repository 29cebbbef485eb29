#!/usr/bin/env python3
"""No one gets in without a token, on any route (docs/security.md).

The routes and methods come from the server's own Kore configuration
(server/monitorage.conf.in, as test_openapi.py reads it) and the public ones
from docs/openapi.yaml (`security: []`), so a route added later is covered
without editing this file, and a route the reference calls public that asks
for a token, or the reverse, fails here. Every other operation is called with
no token, a malformed one, one signed by a key the issuer never published,
an expired one, one for another audience or issuer and one with no role: each
gets 401 (403 for the last; /api/v1/me alone answers a caller without a role),
with the error model and nothing changed in the database.
Changes (every method but GET) are refused to a reader too."""
import os
import re
import uuid

import harness
import test_openapi
from harness import SOURCE_DIR, ServerTestCase, psql, sign

CONF = os.path.join(SOURCE_DIR, "server", "monitorage.conf.in")
OPENAPI = os.path.join(SOURCE_DIR, "docs", "openapi.yaml")
# A value for each kind of path parameter the configuration's regexes take.
SAMPLES = {"[0-9a-fA-F-]{36}": str(uuid.uuid4()), "[A-Za-z][A-Za-z0-9_]{0,49}": "TALEND",
           "[a-z0-9_]{1,64}": "run_task", "[a-z0-9][a-z0-9._-]*": "app.js"}
# Any signed-in caller, even without a role, may ask who the token says they are (docs/openapi.yaml):
# the dashboard names the role that is missing.
ROLE_FREE = {("/api/v1/me", "get")}
# The tables a refused request must leave alone (the audit log may record the refusal).
TABLES = ("endpoints", "notification_rules", "maintenance_windows", "incident_policies", "connectors",
          "health_history", "incidents")


def route_regexes():
    """{template: regex} of the configuration's routes, templates named as test_openapi.served() does."""
    result = {}
    for line in open(CONF):
        words = line.split()
        if words[:1] == ["route"] and words[1] != "^/":
            result[test_openapi.PARAM_RE.sub("{id}", words[1]).lstrip("^").rstrip("$")] = words[1]
    return result


ROUTES = route_regexes()


def concrete(template):
    """The template with a sample value in each {id}, by the kind its regex group takes."""
    path = template
    for group in re.findall(r"\(([^)]*)\)", ROUTES[template]):
        path = path.replace("{id}", SAMPLES[group], 1)
    return path


def public_operations():
    """(template, method) of the operations docs/openapi.yaml documents with `security: []`."""
    result, path, method = set(), None, None
    for line in open(OPENAPI):
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path = re.sub(r"\{[^}]*\}", "{id}", m.group(1))
            continue
        m = re.match(r"^    (\w+):\s*$", line)
        if m:
            method = m.group(1)
            continue
        if re.match(r"^      security: \[\]\s*$", line):
            result.add((path, method))
    return result


class Access(ServerTestCase):
    DB_PREFIX = "access"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operations = test_openapi.served(CONF)
        cls.public = public_operations()

    def snapshot(self):
        return {t: psql(self.db, "SELECT count(*) FROM %s" % t) for t in TABLES}

    def request(self, method, template, token=None, raw_authorization=None):
        body = {} if method in ("post", "put", "patch") else None
        headers = {"Authorization": raw_authorization} if raw_authorization else None
        return self.call(method.upper(), concrete(template), body, token, headers)

    def test_the_reference_names_public_operations_that_exist(self):
        self.assertTrue(self.public, "docs/openapi.yaml documents no public operation")
        self.assertLessEqual(self.public | ROLE_FREE, self.operations)
        self.assertNotIn(("/api/v1/status", "get"), self.public)

    def test_public_operations_answer_without_a_token(self):
        for template, method in sorted(self.public):
            with self.subTest(route=template, method=method):
                code = self.request(method, template)[0]
                self.assertNotIn(code, (401, 403))
                self.assertLess(code, 500)

    def test_every_other_operation_refuses_missing_and_bad_tokens(self):
        now = self.claims()["iat"]
        bad = {
            "no token": dict(),
            "not a bearer token": dict(raw_authorization="Basic YWxpY2U6c2VjcmV0"),
            "malformed token": dict(raw_authorization="Bearer not.a.jwt"),
            "unknown signing key": dict(token=sign(self.claims(), self.key_other, "kA")),
            "expired": dict(token=self.token(exp=now - 3600, nbf=now - 7200, iat=now - 7200)),
            "another audience": dict(token=self.token(aud="api://someone-else")),
            "another issuer": dict(token=self.token(iss="https://evil.example.test/v2.0")),
        }
        before = self.snapshot()
        checked = 0
        for template, method in sorted(self.operations - self.public):
            for why, credentials in bad.items():
                with self.subTest(route=template, method=method, token=why):
                    response = self.request(method, template, **credentials)
                    self.assertError(response, 401)
                    self.assertIn("bearer", response[1].get("www-authenticate", "").lower())
                    checked += 1
        self.assertGreater(checked, 7 * 40)
        self.assertEqual(self.snapshot(), before)

    def test_a_token_without_a_role_is_forbidden_everywhere(self):
        no_role = self.token(roles=[], oid="no-role")
        before = self.snapshot()
        for template, method in sorted(self.operations - self.public - ROLE_FREE):
            with self.subTest(route=template, method=method):
                self.assertError(self.request(method, template, no_role), 403)
        self.assertEqual(self.snapshot(), before)

    def test_readers_cannot_change_anything(self):
        reader = self.token(roles=["Monitorage.Reader"], oid="reader-only")
        before = self.snapshot()
        changes = sorted((t, m) for t, m in self.operations - self.public if m != "get")
        self.assertGreater(len(changes), 15)
        for template, method in changes:
            with self.subTest(route=template, method=method):
                self.assertError(self.request(method, template, reader), 403)
        self.assertEqual(self.snapshot(), before)


if __name__ == "__main__":
    harness.main()
