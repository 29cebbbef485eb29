#!/usr/bin/env python3
"""OIDC authorization server stub for the dashboard's sign-in (authorization
code flow with PKCE, public client). Issuer http://127.0.0.1:<port>.

POST /__control {"client_id", "redirect_uri", "access_token"} sets what the
client must send and the token handed out (signed by the test).

  GET  /.well-known/openid-configuration   discovery (CORS open)
  GET  /authorize   checks response_type=code, client_id, redirect_uri and an
                    S256 code_challenge, then 302 to redirect_uri?code=…&state=…
  POST /token       form: grant_type=authorization_code, code (single use),
                    client_id, redirect_uri, code_verifier whose SHA-256 is the
                    challenge; answers the access token (CORS open)
Standard library only."""
import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode

from stubkit import LOCK, Handler, serve

CODES = {}
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Allow-Methods": "GET, POST"}


def one(query, name):
    values = query.get(name) or [""]
    return values[0]


class Oidc(Handler):
    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def route(self, method, path, query):
        sc = self.scenario()
        if method == "OPTIONS":
            return self.send(204, headers=CORS)
        if method == "GET" and path == "/.well-known/openid-configuration":
            b = self.base()
            return self.send(200, {"issuer": b, "authorization_endpoint": b + "/authorize",
                                   "token_endpoint": b + "/token", "response_types_supported": ["code"],
                                   "code_challenge_methods_supported": ["S256"]}, headers=CORS)
        if method == "GET" and path == "/authorize":
            problems = [name for name, want in (("response_type", "code"), ("client_id", sc.get("client_id")),
                                                ("redirect_uri", sc.get("redirect_uri")),
                                                ("code_challenge_method", "S256"))
                        if one(query, name) != want]
            if problems or len(one(query, "code_challenge")) != 43 or not one(query, "state"):
                return self.send(400, "bad authorization request: %s" % ", ".join(problems or ["challenge/state"]),
                                 "text/plain")
            code = secrets.token_urlsafe(16)
            with LOCK:
                CODES[code] = {"challenge": one(query, "code_challenge"), "client_id": one(query, "client_id"),
                               "redirect_uri": one(query, "redirect_uri")}
            target = one(query, "redirect_uri") + "?" + urlencode({"code": code, "state": one(query, "state")})
            return self.send(302, headers={"Location": target})
        if method == "POST" and path == "/token":
            form = parse_qs(self.body.decode())
            with LOCK:
                grant = CODES.pop(one(form, "code"), None)
            verifier = one(form, "code_verifier").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if (not grant or one(form, "grant_type") != "authorization_code" or
                    one(form, "client_id") != grant["client_id"] or
                    one(form, "redirect_uri") != grant["redirect_uri"] or challenge != grant["challenge"]):
                return self.send(400, {"error": "invalid_grant"}, headers=CORS)
            return self.send(200, {"access_token": sc.get("access_token"), "token_type": "Bearer",
                                   "expires_in": 600}, headers=CORS)
        return self.send(404, {"error": "not found"}, headers=CORS)

    do_OPTIONS = Handler.handle_any


if __name__ == "__main__":
    serve(Oidc)
