#!/usr/bin/env python3
"""Azure API Management stub (CONNECTORS.md §2), three hosts in one:
the gateway (/status-0123456789abcdef, /echo/resource with
Ocp-Apim-Subscription-Key argv[2]), Entra ID (/tenant-1/oauth2/v2.0/token,
client app-1 with secret argv[1]) and ARM (/subscriptions/sub-1/resourceGroups/
rg-1/providers/Microsoft.ApiManagement/service/contoso, 250 APIs paged by an
absolute nextLink).

Scenario keys (besides stubkit's modes):
  "forbidden": true     ARM answers 403 AuthorizationFailed
  "state": "Failed"     provisioningState of the service
  "evil_next": true     nextLink points at another host
  "token_limit": n      at most n tokens in this scenario, then 500
"""
import sys
import threading
from urllib.parse import parse_qs

from stubkit import Handler, LOCK, STATE, serve

SECRET = sys.argv[1] if len(sys.argv) > 1 else "apim-secret"
KEY = sys.argv[2] if len(sys.argv) > 2 else "apim-key"
TENANT, CLIENT_ID = "tenant-1", "app-1"
SERVICE = "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.ApiManagement/service/"
APIS = [{"id": SERVICE + "contoso/apis/api-%03d" % i, "name": "api-%03d" % i,
         "properties": {"displayName": "API %d" % i, "path": "p%d" % i, "isCurrent": True, "apiRevision": "1"}}
        for i in range(250)]
TOKENS = set()
ISSUED = [0]
TLOCK = threading.Lock()


def arm_error(code, message):
    return {"error": {"code": code, "message": message}}


class Apim(Handler):
    def rate_limit(self, retry_after):
        self.send(429, arm_error("TooManyRequests", "Too many requests, retry later."),
                  headers={"Retry-After": str(retry_after)})

    def route(self, method, path, query):
        sc = self.scenario()
        if method == "GET" and path in ("/status-0123456789abcdef", "/echo/resource"):
            key = self.headers.get("Ocp-Apim-Subscription-Key")
            if path == "/echo/resource" and key is None:
                return self.send(401, {"statusCode": 401, "message": "Access denied due to missing subscription key. "
                                       "Make sure to include subscription key when making requests to an API."})
            if key is not None and key != KEY:
                return self.send(401, {"statusCode": 401, "message": "Access denied due to invalid subscription key. "
                                       "Make sure to provide a valid key for an active subscription."})
            return self.send(200, b"", "text/plain")
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            return self.token(path.split("/")[1], sc)
        if path.startswith(SERVICE):
            return self.arm(method, path[len(SERVICE):], query, sc)
        return self.send(404, arm_error("NotFound", "no route " + path))

    def token(self, tenant, sc):
        form = parse_qs(self.body.decode())
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return self.send(400, {"error": "invalid_request", "error_description": "AADSTS900144: form expected"})
        if tenant != TENANT:
            return self.send(400, {"error": "invalid_request",
                                   "error_description": "AADSTS90002: Tenant '%s' not found." % tenant})
        if form.get("grant_type") != ["client_credentials"] or \
                form.get("scope") != ["https://management.azure.com/.default"]:
            return self.send(400, {"error": "invalid_scope", "error_description": "AADSTS70011: bad scope or grant"})
        if form.get("client_id") != [CLIENT_ID] or form.get("client_secret") != [SECRET]:
            return self.send(401, {"error": "invalid_client",
                                   "error_description": "AADSTS7000215: Invalid client secret provided."})
        with LOCK:
            asked = sum(1 for r in STATE["log"] if r["path"].endswith("/oauth2/v2.0/token"))
        if "token_limit" in sc and asked > sc["token_limit"]:
            return self.send(500, {"error": "temporarily_unavailable", "error_description": "token limit reached"})
        with TLOCK:
            ISSUED[0] += 1
            token = "eyJ.arm-%d" % ISSUED[0]
            TOKENS.add(token)
        return self.send(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    def arm(self, method, rest, query, sc):
        auth = self.headers.get("Authorization", "")
        with TLOCK:
            valid = auth.startswith("Bearer ") and auth[7:] in TOKENS
        if not valid:
            return self.send(401, arm_error("InvalidAuthenticationToken", "The access token is invalid."))
        if query.get("api-version") != ["2022-08-01"]:
            return self.send(400, arm_error("InvalidApiVersionParameter", "api-version is missing or unsupported"))
        if sc.get("forbidden"):
            return self.send(403, arm_error("AuthorizationFailed", "The client 'app-1' does not have authorization "
                                            "to perform action 'Microsoft.ApiManagement/service/read'."))
        name, _, sub = rest.partition("/")
        if name != "contoso":
            return self.send(404, arm_error("ResourceNotFound", "The Resource 'Microsoft.ApiManagement/service/%s' "
                                            "under resource group 'rg-1' was not found." % name))
        if method == "GET" and sub == "":
            return self.send(200, {"name": "contoso", "sku": {"name": "Developer", "capacity": 1},
                                   "properties": {"provisioningState": sc.get("state", "Succeeded"),
                                                  "gatewayUrl": "https://contoso.azure-api.net"}})
        if method == "GET" and sub == "apis":
            top = int(query.get("$top", ["100"])[0])
            skip = int(query.get("$skip", ["0"])[0])
            if top > 100:
                return self.send(400, arm_error("InvalidParameter", "$top must be <= 100"))
            page = APIS[skip:skip + top]
            next_link = None
            if skip + top < len(APIS):
                host = "127.0.0.2:9" if sc.get("evil_next") else self.headers.get("Host")
                next_link = "http://%s%scontoso/apis?api-version=2022-08-01&$top=%d&$skip=%d" % (
                    host, SERVICE, top, skip + top)
            return self.send(200, {"value": page, "count": len(APIS), "nextLink": next_link})
        return self.send(404, arm_error("NotFound", "no route " + rest))


if __name__ == "__main__":
    serve(Apim)
