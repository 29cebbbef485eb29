#!/usr/bin/env python3
"""OIDC key server stub: GET /keys answers the JWKS that the test posted
with POST /__control {"jwks": {"keys": [...]}}; GET /__log lists the
fetches (the server's key refreshes). Standard library only."""
from stubkit import Handler, serve


class Jwks(Handler):
    def route(self, method, path, query):
        if method == "GET" and path == "/keys":
            return self.send(200, self.scenario().get("jwks", {"keys": []}))
        return self.send(404, {"error": "not found"})


if __name__ == "__main__":
    serve(Jwks)
