#!/usr/bin/env python3
"""Keycloak stub (CONNECTORS.md §4): realm "ops", confidential client
argv[2] (default "monitorage") with secret argv[1]; client_credentials tokens
by form POST or HTTP Basic; admin API checked for the bearer token.

Scenario keys (besides stubkit's modes):
  "legacy": true       serve under /auth only (Keycloak < 17)
  "expires_in": n      lifetime of the tokens issued (default 300)
  "generation": g      tokens issued before generation g are rejected (revoked)
  "token_limit": n     at most n tokens in this scenario, then 503
  "forbidden": true    the service account lacks realm-management roles (403)
"""
import base64
import sys
import threading
from urllib.parse import parse_qs, unquote

from stubkit import Handler, LOCK, STATE, serve

SECRET = sys.argv[1] if len(sys.argv) > 1 else "kc-secret"
CLIENT_ID = sys.argv[2] if len(sys.argv) > 2 else "monitorage"
REALM = "ops"
USERS = [{"id": "u-%03d" % i, "username": "user%03d" % i, "email": "user%03d@example.com" % i,
          "firstName": "First%d" % i, "lastName": "Last%d" % i, "enabled": i % 10 != 0,
          "createdTimestamp": 1700000000000 + i} for i in range(250)]
CLIENT_UUID = "c0ffee00-0000-4000-8000-000000000001"
TOKENS = {}  # token -> generation
ISSUED = [0]
LOGGED_OUT = set()
TLOCK = threading.Lock()


class Keycloak(Handler):
    def route(self, method, path, query):
        sc = self.scenario()
        if sc.get("legacy"):
            if not path.startswith("/auth/"):
                return self.send(404, {"error": "RESTEASY003210: Could not find resource for full path"})
            path = path[len("/auth"):]
        elif path.startswith("/auth/"):
            return self.send(404, {"error": "Unable to find matching target resource method"})
        realm_prefix = "/realms/"
        if path.startswith(realm_prefix):
            realm, _, rest = path[len(realm_prefix):].partition("/")
            if rest == ".well-known/openid-configuration" and method == "GET":
                if "authorization" in {k.lower() for k in self.headers.keys()}:
                    return self.send(400, {"error": "well-known must be fetched without credentials"})
                if realm != REALM:
                    return self.send(404, {"error": "Realm does not exist"})
                issuer = "http://%s/realms/%s" % (self.headers.get("Host"), realm)
                return self.send(200, {"issuer": issuer, "token_endpoint": issuer + "/protocol/openid-connect/token"})
            if rest == "protocol/openid-connect/token" and method == "POST":
                return self.token(realm, sc)
        if path.startswith("/admin/realms/"):
            return self.admin(method, path[len("/admin/realms/"):], query, sc)
        return self.send(404, {"error": "Unable to find matching target resource method"})

    def token(self, realm, sc):
        if realm != REALM:
            return self.send(404, {"error": "Realm does not exist"})
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return self.send(400, {"error": "invalid_request", "error_description": "form expected"})
        form = parse_qs(self.body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return self.send(400, {"error": "unsupported_grant_type"})
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            ok = user == CLIENT_ID and password == SECRET and "client_secret" not in form
        else:
            ok = form.get("client_id") == [CLIENT_ID] and form.get("client_secret") == [SECRET]
        if not ok:
            return self.send(401, {"error": "invalid_client",
                                   "error_description": "Invalid client or Invalid client credentials"})
        generation = sc.get("generation", 0)
        with LOCK:  # the request log restarts with each scenario
            asked = sum(1 for r in STATE["log"] if r["path"].endswith("/protocol/openid-connect/token"))
        if "token_limit" in sc and asked > sc["token_limit"]:
            return self.send(503, {"error": "temporarily_unavailable",
                                   "error_description": "token limit of the scenario reached"})
        with TLOCK:
            ISSUED[0] += 1
            token = "eyJ.tok-%d-%d" % (generation, ISSUED[0])
            TOKENS[token] = generation
        return self.send(200, {"access_token": token, "expires_in": sc.get("expires_in", 300),
                               "refresh_expires_in": 0, "token_type": "Bearer", "not-before-policy": 0,
                               "scope": "profile email"})

    def admin(self, method, rest, query, sc):
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        with TLOCK:
            valid = token in TOKENS and TOKENS[token] >= sc.get("generation", 0)
        if not valid:
            return self.send(401, {"error": "HTTP 401 Unauthorized"})
        if self.headers.get("Accept") != "application/json":
            return self.send(406, {"error": "Accept must be application/json"})
        realm, _, sub = rest.partition("/")
        if realm != REALM:
            return self.send(404, {"error": "Realm not found."})
        if sc.get("forbidden"):
            return self.send(403, {"error": "HTTP 403 Forbidden"})
        sub = "/" + sub if sub else ""
        if method == "GET" and sub == "":
            return self.send(200, {"id": "r-1", "realm": REALM, "enabled": True})
        if method == "GET" and sub in ("/users", "/users/count"):
            search = query.get("search", [""])[0].lower()
            users = [u for u in USERS if search in u["username"] or search in u["email"]]
            if sub == "/users/count":
                return self.send(200, str(len(users)))
            if "first" not in query or "max" not in query:
                return self.send(400, {"error": "first and max expected"})
            first, size = int(query["first"][0]), int(query["max"][0])
            if size > 100:
                return self.send(400, {"error": "max must be <= 100"})
            return self.send(200, users[first:first + size])
        if sub.startswith("/users/"):
            user_id, _, what = unquote(sub[len("/users/"):]).partition("/")
            if not any(u["id"] == user_id for u in USERS):
                return self.send(404, {"error": "User not found"})
            if method == "GET" and what == "sessions":
                if user_id in LOGGED_OUT:
                    return self.send(200, [])
                return self.send(200, [{"id": "s-1", "username": "user", "userId": user_id, "ipAddress": "10.0.0.5",
                                        "start": 1700000000000, "lastAccess": 1700000100000,
                                        "clients": {CLIENT_UUID: "my-app"}}])
            if method == "POST" and what == "logout":
                if self.body:
                    return self.send(400, {"error": "logout takes no body"})
                with LOCK:
                    LOGGED_OUT.add(user_id)
                return self.send(204)
        if method == "GET" and sub == "/clients":
            wanted = query.get("clientId", [None])[0]
            return self.send(200, [{"id": CLIENT_UUID, "clientId": "my-app"}] if wanted == "my-app" else [])
        if method == "GET" and sub == "/clients/%s/session-count" % CLIENT_UUID:
            return self.send(200, {"count": 3})
        if method == "GET" and sub == "/client-session-stats":
            return self.send(200, [{"id": CLIENT_UUID, "clientId": "my-app", "active": "3", "offline": "0"},
                                   {"id": "c-2", "clientId": "other", "active": 7, "offline": "1"}])
        return self.send(404, {"error": "Unable to find matching target resource method"})


if __name__ == "__main__":
    serve(Keycloak)
