#!/usr/bin/env python3
"""End-to-end test of the web dashboard (CTest dashboard_e2e): the real REST
server (tests/server/harness.py: kore + module, private PostgreSQL, JWKS stub,
signed tokens), loopback check targets (tests/stubs/targets.py: fast, slow ->
DEGRADED, a closed port -> DOWN), checks run through check-now, then
e2e.mjs drives headless Chromium (/usr/bin/chromium, playwright-core from
tests/dashboard/node_modules, installed by scripts/install-deps) through the
pages with reader, operator and admin tokens pasted in the dev-mode sign-in
form. Screenshots go to $MONITORAGE_DASHBOARD_OUT (the build tree).

Exits 77 (skipped) without the private cluster, node_modules or chromium."""
import http.client
import json
import os
import subprocess
import sys
import time

from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))

from harness import (DEV_TOKEN, SOURCE_DIR, ServerTestCase, die_with_parent, free_port, main,  # noqa: E402
                     psql)

CHROMIUM = "/usr/bin/chromium"
UI_CLIENT_ID = "00000000-0000-4000-8000-0000000000c1"


class Dashboard(ServerTestCase):
    DB_PREFIX = "dashboard"

    @classmethod
    def server_env(cls):
        # Dev mode (the paste-a-token form) and OIDC sign-in together, the issuer being the loopback
        # authorization server stub (the JWKS stays the harness's). No clock skew: a token is refused
        # the second it expires, so the renewal checks see the expiry.
        return {"MONITORAGE_DEV_TOKEN": DEV_TOKEN, "AZURE_CLIENT_ID_FRONTEND": UI_CLIENT_ID,
                "OIDC_ISSUER": cls.issuer, "MONITORAGE_JWT_SKEW": "0"}

    @staticmethod
    def start_stub(name):
        proc = subprocess.Popen([sys.executable, os.path.join(SOURCE_DIR, "tests", "stubs", name)],
                                stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        line = proc.stdout.readline().split()
        assert line and line[0] == "PORT", "%s did not start" % name
        return proc, int(line[1])

    @classmethod
    def setUpClass(cls):
        cls.oidc, oidc_port = cls.start_stub("oidc_stub.py")
        cls.issuer = "http://127.0.0.1:%d" % oidc_port
        cls.targets, cls.target_port = cls.start_stub("targets.py")
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        for proc in (cls.targets, cls.oidc):
            proc.terminate()
            proc.wait(10)
        super().tearDownClass()

    def claims(self, **over):
        over.setdefault("iss", self.issuer)
        return super().claims(**over)

    def oidc_control(self, scenario):
        c = http.client.HTTPConnection("127.0.0.1", int(self.issuer.rsplit(":", 1)[1]), timeout=10)
        c.request("POST", "/__control", body=json.dumps(scenario))
        self.assertEqual(c.getresponse().status, 200)
        c.close()

    def add(self, name, type_, path, **over):
        url = path if path.startswith("http") else "http://127.0.0.1:%d%s" % (self.target_port, path)
        return self.create(name=name, type=type_, url=url, timeout=3000, check_interval=60, **over)

    def check(self, ep, times):
        for _ in range(times):
            code, _, data = self.call("POST", "/api/v1/endpoints/%s/check" % ep["id"], body=b"",
                                      token=self.token())
            self.assertEqual(code, 200, data)
        return data

    def test_dashboard_in_chromium(self):
        alpha = self.add("Alpha API", "APIM", "/ok")
        beta = self.add("Beta JSON service", "TALEND", "/json")
        gamma = self.add("Gamma slow service", "DOMAIN", "/slow?ms=600", degraded_ms=250)
        delta = self.add("Delta closed port", "DOMAIN", "http://127.0.0.1:%d/" % free_port(), retries=0)
        self.add("Epsilon never checked", "APIM", "/ok")
        for ep in (alpha, beta, gamma):
            self.check(ep, 4)
        down = self.check(delta, 3)
        self.assertEqual(down["status"], "DOWN", down)
        self.assertEqual(self.check(gamma, 1)["status"], "DEGRADED")
        # A connector whose actions need nothing beyond this machine: DOMAIN_HEALTH's dns on localhost.
        code, _, data = self.call("PUT", "/api/v1/connectors/DOMAIN_HEALTH",
                                  {"enabled": True, "options": {"domain": "localhost"}}, self.token())
        self.assertEqual(code, 200, data)

        base = "http://127.0.0.1:%d" % self.server.port
        # What the authorization server hands out after a PKCE sign-in: reader tokens signed with the key
        # the server trusts (e2e.mjs changes their lifetime and refusals through /__control).
        claims = self.claims(roles=["Monitorage.Reader"], oid="sso-1", name="Sam Sso",
                             preferred_username="sam@example.test", exp=None, nbf=None, iat=None)
        numbers = self.key_a.private_numbers()
        scenario = {"client_id": UI_CLIENT_ID, "redirect_uri": base + "/ui/", "claims": claims,
                    "key": {"kid": "kA", "n": "%x" % numbers.public_numbers.n, "d": "%x" % numbers.d},
                    "expires_in": 600}
        self.oidc_control(scenario)
        out = os.environ.get("MONITORAGE_DASHBOARD_OUT") or os.path.join(os.getcwd(), "dashboard_e2e")
        os.makedirs(out, exist_ok=True)
        env = dict(os.environ)
        env.update({
            "MONITORAGE_URL": base,
            "MONITORAGE_DASHBOARD_OUT": out,
            "MONITORAGE_OIDC_ORIGIN": self.issuer,
            "OIDC_SCENARIO": json.dumps(scenario),
            "UI_CLIENT_ID": UI_CLIENT_ID,
            "EXPIRED_TOKEN": self.token(roles=["Monitorage.Reader"], exp=int(time.time()) - 120),
            # e2e.mjs signs a reader token that expires while in use (kid kA, the key the server trusts).
            "SIGNING_KEY": self.key_a.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()).decode(),
            "READER_CLAIMS": json.dumps(self.claims(roles=["Monitorage.Reader"], oid="reader-2",
                                                    name="Pat Paste", exp=None, nbf=None, iat=None)),
            "EXPECT": json.dumps({"Alpha API": "UP", "Beta JSON service": "UP", "Gamma slow service": "DEGRADED",
                                  "Delta closed port": "DOWN", "Epsilon never checked": "UNKNOWN"}),
            "DOWN_ID": delta["id"],
            "DEGRADED_ID": gamma["id"],
            "DOWN_ERROR": down["error_message"],
            "READER_TOKEN": self.token(roles=["Monitorage.Reader"], oid="reader-1", name="Rita Reader",
                                       preferred_username="rita@example.test"),
            "OPERATOR_TOKEN": self.token(roles=["Monitorage.Operator"], oid="operator-1", name="Otto Operator",
                                         preferred_username="otto@example.test"),
            "ADMIN_TOKEN": self.token(roles=["Monitorage.Admin"], oid="admin-1", name="Ada Admin",
                                      preferred_username="ada@example.test"),
        })
        started = time.time()
        run = subprocess.run(["node", os.path.join(HERE, "e2e.mjs")], env=env, capture_output=True, text=True,
                             timeout=300)
        print(run.stdout)
        print(run.stderr, file=sys.stderr)
        self.assertEqual(run.returncode, 0, "browser checks failed (screenshots in %s)" % out)
        # The operator's confirmed check is in the audit log, by the operator.
        rows = psql(self.db, "SELECT count(*) FROM action_logs WHERE action = 'endpoint.check' AND user_id = "
                             "'operator-1' AND target = '%s' AND created_at > to_timestamp(%d)" %
                    (delta["id"], int(started) - 1))
        self.assertEqual(rows, "1")
        rows = psql(self.db, "SELECT count(*) FROM action_logs WHERE action = 'connector.run' AND user_id = "
                             "'operator-1' AND target = 'DOMAIN_HEALTH.dns' AND result = 'SUCCESS'")
        self.assertEqual(rows, "1")
        self.assertEqual(self.audit_rows("action = 'connector.run' AND user_id = 'reader-1'"), "0")


if __name__ == "__main__":
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        print("tests/dashboard/node_modules missing: run scripts/install-deps (npm ci)")
        sys.exit(77)
    if not os.access(CHROMIUM, os.X_OK):
        print("%s missing: run scripts/install-deps (Debian package chromium)" % CHROMIUM)
        sys.exit(77)
    main()
