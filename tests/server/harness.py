#!/usr/bin/env python3
"""Shared harness of the REST server suites (tests/server/test_*.py).

Drives the real REST server (kore + monitorage_rest.so, seccomp sandbox on)
on a free loopback port, with a fresh database in the private PostgreSQL
cluster and a loopback JWKS stub serving RSA keys made here; tokens are
signed here with `cryptography`. Suites exit 77 (skipped) without the cluster.

Environment (from CTest): MONITORAGE_TEST_PG_DIR, MONITORAGE_SOURCE_DIR,
MONITORAGE_SERVER_DIR (build directory holding monitorage-server) and, in a
sanitizer build, MONITORAGE_SANITIZER_REPORTS (the directory ASAN_OPTIONS and
UBSAN_OPTIONS write reports into: any file there fails the suite,
tests/support/sanitizer_reports.py).

A suite subclasses ServerTestCase; `server_env()` adds environment for the
server, `DB_PREFIX` names its database.
"""
import base64
import ctypes
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import sanitizer_reports  # noqa: E402

PG_DIR = os.environ.get("MONITORAGE_TEST_PG_DIR", "")
SOURCE_DIR = os.environ.get("MONITORAGE_SOURCE_DIR", "")
SERVER_DIR = os.environ.get("MONITORAGE_SERVER_DIR", "")
ISSUER = "https://login.example.test/tenant-1/v2.0"
AUDIENCE = "api://monitorage-test"
DEV_TOKEN = "dev-token-for-tests-0123456789"
METRICS_TOKEN = "metrics-token-for-tests-0123456789"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64u(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_of(key, kid):
    pub = key.public_key().public_numbers()
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": int_b64u(pub.n), "e": int_b64u(pub.e)}


def sign(claims, key, kid, alg="RS256", hmac_secret=None):
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    signing_input = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
    if alg == "RS256":
        sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    elif alg == "HS256":
        sig = hmac.new(hmac_secret, signing_input.encode(), hashlib.sha256).digest()
    else:
        sig = b""
    return signing_input + "." + b64u(sig)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """Child processes get SIGTERM when the test process dies, even killed."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def psql(url, sql):
    out = subprocess.run(["psql", url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


class Stub:
    """tests/stubs/jwks_stub.py as a child process."""

    def __init__(self):
        path = os.path.join(SOURCE_DIR, "tests", "stubs", "jwks_stub.py")
        self.proc = subprocess.Popen([sys.executable, path], stdout=subprocess.PIPE, text=True,
                                     preexec_fn=die_with_parent)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "PORT", "stub did not start"
        self.port = int(line[1])

    def call(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request(method, path, body=json.dumps(body) if body is not None else None)
        r = c.getresponse()
        data = json.loads(r.read() or b"null")
        c.close()
        return data

    def serve(self, keys):
        self.call("POST", "/__control", {"mode": "normal", "jwks": {"keys": keys}})

    def fetches(self):
        return len([e for e in self.call("GET", "/__log") if e["path"] == "/keys"])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Server:
    """server/monitorage-server from the build tree, on a free loopback port."""

    def __init__(self, env_extra, wait=True):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="monitorage-server-", suffix=".log", delete=False)
        env = dict(os.environ)
        env.update({"PORT": str(self.port), "MONITORAGE_BIND": "127.0.0.1", "MONITORAGE_WORKERS": "1"})
        env.update(env_extra)
        self.proc = subprocess.Popen([os.path.join(SERVER_DIR, "monitorage-server")], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
                                     start_new_session=True)
        if wait:
            self.wait_ready()

    def wait_ready(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited %d:\n%s" % (self.proc.returncode, self.output()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    c.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not answer /health:\n" + self.output())

    def output(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                # kore stuck (a worker whose thread the sandbox killed is never reaped):
                # end the launcher's whole process group, which this test started.
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.unlink(self.log.name)


class ServerTestCase(unittest.TestCase):
    DB_PREFIX = "server"

    @classmethod
    def server_env(cls):
        """Extra environment for the server of this suite."""
        return {}

    @classmethod
    def cluster_dir(cls):
        """Directory of the PostgreSQL cluster (scripts/pg-private) the suite's database lives in."""
        return PG_DIR

    @classmethod
    def setUpClass(cls):
        cluster = open(os.path.join(cls.cluster_dir(), "database_url")).read().strip()
        cls.dbname = "%s_%d" % (cls.DB_PREFIX, os.getpid())
        psql(cluster, "DROP DATABASE IF EXISTS %s" % cls.dbname)
        psql(cluster, "CREATE DATABASE %s" % cls.dbname)
        cls.admin_url = cluster
        cls.db = cluster.replace("/monitorage?", "/%s?" % cls.dbname)
        cls.key_a, cls.key_b, cls.key_other = new_key(), new_key(), new_key()
        cls.stub = Stub()
        cls.stub.serve([jwk_of(cls.key_a, "kA")])
        cls.server = Server({"DATABASE_URL": cls.db, "OIDC_ISSUER": ISSUER,
                             "OIDC_JWKS_URL": "http://127.0.0.1:%d/keys" % cls.stub.port,
                             "OIDC_AUDIENCE": "other-api, " + AUDIENCE,
                             "MONITORAGE_METRICS_TOKEN": METRICS_TOKEN, **cls.server_env()})

    @classmethod
    def tearDownClass(cls):
        output = cls.server.output()
        cls.server.stop()
        cls.stub.stop()
        psql(cls.admin_url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % cls.dbname)
        # No worker may have died (sandbox violation, crash) during the run.
        assert "died" not in output and "sandbox violation" not in output, output

    # -- helpers ------------------------------------------------------------------
    def claims(self, **over):
        now = int(time.time())
        c = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "nbf": now - 10, "iat": now - 10,
             "oid": "user-oid-1", "sub": "user-sub-1", "preferred_username": "alice@example.test",
             "name": "Alice", "roles": ["Monitorage.Admin"]}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def token(self, **over):
        return sign(self.claims(**over), self.key_a, "kA")

    def call(self, method, path, body=None, token=None, headers=None, content_type="application/json"):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            h.setdefault("Content-Type", content_type)
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=15)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        raw = r.read()
        c.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def assertError(self, response, status, field=None):
        code, headers, data = response
        self.assertEqual(code, status, data)
        self.assertIn("application/json", headers.get("content-type", ""))
        self.assertIsInstance(data["error"]["code"], str)
        self.assertIsInstance(data["error"]["message"], str)
        if field:
            self.assertEqual(data["error"].get("field"), field, data)
        return data["error"]

    def endpoint_body(self, **over):
        b = {"name": "ep-%d" % random.randrange(1 << 30), "type": "APIM", "url": "http://127.0.0.1:9/health"}
        b.update(over)
        return b

    def create(self, **over):
        code, _, data = self.call("POST", "/api/v1/endpoints", self.endpoint_body(**over), self.token())
        self.assertEqual(code, 201, data)
        return data

    def audit_rows(self, where):
        return psql(self.db, "SELECT count(*) FROM action_logs WHERE " + where)


def main():
    """Run the calling suite; 77 (skipped) without the private cluster; fail on a sanitizer report."""
    if not PG_DIR or not os.path.exists(os.path.join(PG_DIR, "database_url")):
        print("no private PostgreSQL cluster (MONITORAGE_TEST_PG_DIR)")
        sys.exit(77)
    sanitizer_reports.clear()
    ok = unittest.main(verbosity=2, exit=False).result.wasSuccessful()
    sys.exit(sanitizer_reports.exit_status(ok))
