#!/usr/bin/env python3
"""SIGHUP (a reload) keeps the server working: Kore reloads the module in its
workers, and the module (linked with -z nodelete) keeps its settings, database
connections, signing keys and token cache; the launcher forwards the signal."""
import os
import signal
import time

from harness import ServerTestCase, main


class Reload(ServerTestCase):
    DB_PREFIX = "server_reload"

    @classmethod
    def server_env(cls):
        return {"MONITORAGE_WORKERS": "2"}

    def answers(self, ep, reader):
        for _ in range(6):  # spread over both workers
            code, _, data = self.call("GET", "/api/v1/endpoints/" + ep["id"], token=reader)
            self.assertEqual(code, 200, data)
            code, _, data = self.call("GET", "/api/v1/status", token=reader)
            self.assertEqual(code, 200, data)
            code, _, data = self.call("GET", "/ready")
            self.assertEqual(code, 200, data)
        # A token not seen before: verified with the keys kept over the reload.
        code, _, data = self.call("GET", "/api/v1/me", token=self.token(oid="after-%f" % time.time()))
        self.assertEqual(code, 200, data)

    def test_sighup_keeps_settings_connections_and_keys(self):
        ep = self.create(name="reload-me")
        reader = self.token(roles=["Monitorage.Reader"])
        self.answers(ep, reader)
        for _ in range(2):
            os.kill(self.server.proc.pid, signal.SIGHUP)
            time.sleep(1)
            self.assertIsNone(self.server.proc.poll(), self.server.output())
            self.answers(ep, reader)
        code, _, data = self.call("PATCH", "/api/v1/endpoints/" + ep["id"], {"enabled": False}, self.token())
        self.assertEqual((code, data["enabled"]), (200, False))


if __name__ == "__main__":
    main()
