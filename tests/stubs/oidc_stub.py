#!/usr/bin/env python3
"""OIDC authorization server stub for the dashboard's sign-in (authorization
code flow with PKCE, public client, refresh tokens with rotation).
Issuer http://127.0.0.1:<port>.

POST /__control sets the scenario (and empties the request log):
  {"client_id", "redirect_uri"}   what the client must send
  "key": {"kid", "n", "d"}        RSA key (n, d in hex) the access tokens are signed
                                  with (RS256): the test's key, which the server trusts
  "claims": {...}                 claims of every access token; iat, nbf, exp and a
                                  unique uti are added per token
  "expires_in": 600               lifetime answered and written into exp
  "token_lifetime": n             exp = now + n instead (a token that dies before
                                  the client expects it to)
  "reject_refresh": true          every refresh_token grant gets 400 invalid_grant

  GET  /.well-known/openid-configuration   discovery (CORS open)
  GET  /authorize   checks response_type=code, client_id, redirect_uri and an
                    S256 code_challenge, then 302 to redirect_uri?code=…&state=…
  POST /token       grant_type=authorization_code: code (single use), client_id,
                    redirect_uri, code_verifier whose SHA-256 is the challenge;
                    grant_type=refresh_token: a refresh token issued here and not
                    used before (rotation: each use returns a new one and the old
                    one is dead), the client id it was issued to, no client
                    secret or assertion (public client), an Origin header (Azure
                    AD redeems a SPA's refresh token only cross-origin).
                    A refresh token is issued when the scope has offline_access.
  GET  /__grants    every /token answer: {"grant_type", "client_id", "chain"
                    (one per sign-in), "presented", "issued", "error"}; never emptied
The request log (GET /__log, stubkit) has every call with its headers and body.
Standard library only."""
import base64
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qs, urlencode

from stubkit import LOCK, Handler, serve

CODES = {}
REFRESH = {}  # live refresh token -> {"client_id", "scope", "chain"}
GRANTS = []
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Allow-Methods": "GET, POST"}
# DER prefix of a SHA-256 DigestInfo (RFC 8017, EMSA-PKCS1-v1_5)
SHA256_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def one(query, name):
    values = query.get(name) or [""]
    return values[0]


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rs256(claims, key):
    """A JWT signed RSASSA-PKCS1-v1_5 with SHA-256, with the bare RSA numbers of `key`."""
    n, d = int(key["n"], 16), int(key["d"], 16)
    size = (n.bit_length() + 7) // 8
    signing_input = (b64u(json.dumps({"alg": "RS256", "typ": "JWT", "kid": key["kid"]}).encode()) + "." +
                     b64u(json.dumps(claims).encode()))
    digest = SHA256_INFO + hashlib.sha256(signing_input.encode()).digest()
    encoded = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    signature = pow(int.from_bytes(encoded, "big"), d, n).to_bytes(size, "big")
    return signing_input + "." + b64u(signature)


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
                                   "grant_types_supported": ["authorization_code", "refresh_token"],
                                   "code_challenge_methods_supported": ["S256"]}, headers=CORS)
        if method == "GET" and path == "/__grants":
            with LOCK:
                return self.send(200, GRANTS)
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
                               "redirect_uri": one(query, "redirect_uri"), "scope": one(query, "scope")}
            target = one(query, "redirect_uri") + "?" + urlencode({"code": code, "state": one(query, "state")})
            return self.send(302, headers={"Location": target})
        if method == "POST" and path == "/token":
            form = parse_qs(self.body.decode())
            grant_type = one(form, "grant_type")
            if grant_type == "authorization_code":
                return self.code_grant(sc, form)
            if grant_type == "refresh_token":
                return self.refresh_grant(sc, form)
            return self.refuse(form, None, "unsupported_grant_type")
        return self.send(404, {"error": "not found"}, headers=CORS)

    def refuse(self, form, chain, error, status=400):
        with LOCK:
            GRANTS.append({"grant_type": one(form, "grant_type"), "client_id": one(form, "client_id"),
                           "chain": chain, "presented": one(form, "refresh_token") or None, "issued": None,
                           "error": error})
        return self.send(status, {"error": error}, headers=CORS)

    def code_grant(self, sc, form):
        with LOCK:
            grant = CODES.pop(one(form, "code"), None)
        verifier = one(form, "code_verifier").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if (not grant or one(form, "client_id") != grant["client_id"] or
                one(form, "redirect_uri") != grant["redirect_uri"] or challenge != grant["challenge"]):
            return self.refuse(form, None, "invalid_grant")
        with LOCK:
            chain = 1 + max([g["chain"] or 0 for g in GRANTS] or [0])
        return self.answer(sc, form, {"client_id": grant["client_id"], "scope": grant["scope"], "chain": chain})

    def refresh_grant(self, sc, form):
        if one(form, "client_secret") or one(form, "client_assertion"):
            return self.refuse(form, None, "invalid_client", 401)  # AADSTS700025: the client is public
        if not self.headers.get("Origin"):
            return self.refuse(form, None, "invalid_request")  # AADSTS9002327: SPA tokens cross-origin only
        with LOCK:
            grant = REFRESH.pop(one(form, "refresh_token"), None)  # single use: rotation
        if not grant or grant["client_id"] != one(form, "client_id"):
            return self.refuse(form, grant and grant["chain"], "invalid_grant")
        if sc.get("reject_refresh"):
            return self.refuse(form, grant["chain"], "invalid_grant")
        return self.answer(sc, form, grant)

    def answer(self, sc, form, grant):
        now = int(time.time())
        expires_in = int(sc.get("expires_in", 600))
        claims = dict(sc.get("claims") or {})
        claims.update({"iat": now, "nbf": now - 10, "exp": now + int(sc.get("token_lifetime", expires_in)),
                       "uti": secrets.token_urlsafe(8)})
        body = {"access_token": rs256(claims, sc["key"]), "token_type": "Bearer", "expires_in": expires_in,
                "scope": grant["scope"]}
        if "offline_access" in grant["scope"].split():
            body["refresh_token"] = "rt-" + secrets.token_urlsafe(24)
        with LOCK:
            if "refresh_token" in body:
                REFRESH[body["refresh_token"]] = grant
            GRANTS.append({"grant_type": one(form, "grant_type"), "client_id": one(form, "client_id"),
                           "chain": grant["chain"], "presented": one(form, "refresh_token") or None,
                           "issued": body.get("refresh_token"), "error": None})
        return self.send(200, body, headers=CORS)

    do_OPTIONS = Handler.handle_any


if __name__ == "__main__":
    serve(Oidc)
