#!/usr/bin/env python3
"""Cloudflare API v4 stub (CONNECTORS.md §6). argv: api_token zone_id.
Bearer token or legacy X-Auth-Email/X-Auth-Key (email ops@example.com);
every reply is the {"success","errors","messages","result"} envelope.
Token "inactive-token" verifies as disabled; zone "pending-zone" is pending.
429 + retry-after on rate limit; dns_records paged by page/per_page."""
import sys

from stubkit import Handler, serve

TOKEN = sys.argv[1] if len(sys.argv) > 1 else "cf-token"
ZONE = sys.argv[2] if len(sys.argv) > 2 else "023e105f4ecef8ad9ca31a8372d0c353"
RECORDS = [{"id": "372e%04d" % i, "type": "A" if i % 3 else "CNAME", "name": "host%d.example.com" % i,
            "content": "203.0.113.%d" % (i % 250), "proxied": True, "ttl": 1} for i in range(230)]


def envelope(result, success=True, errors=None, result_info=None):
    body = {"success": success, "errors": errors or [], "messages": [], "result": result}
    if result_info:
        body["result_info"] = result_info
    return body


class Cloudflare(Handler):
    def rate_limit(self, retry_after):
        self.send(429, envelope(None, False, [{"code": 971, "message": "Please wait and consider throttling your "
                                                                          "request speed"}]),
                  headers={"retry-after": str(retry_after), "Ratelimit": "\"default\";r=0;t=%s" % retry_after,
                           "Ratelimit-Policy": "\"default\";q=1200;w=300"})

    def fail(self, status, code, message):
        self.send(status, envelope(None, False, [{"code": code, "message": message}]))

    def route(self, method, path, query):
        prefix = "/client/v4"
        if not path.startswith(prefix):
            return self.send(404, "not found", "text/plain")
        path = path[len(prefix):]
        auth = self.headers.get("Authorization")
        legacy = self.headers.get("X-Auth-Email")
        if legacy is not None:
            if legacy != "ops@example.com" or self.headers.get("X-Auth-Key") != TOKEN or auth:
                return self.fail(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")
        elif auth not in ("Bearer " + TOKEN, "Bearer inactive-token"):
            # Cloudflare answers a bad token with 400 and code 1000 on some routes.
            return self.fail(400 if path.endswith("/verify") else 403, 1000, "Invalid API Token")
        if path == "/user/tokens/verify" or path == "/accounts/acc1/tokens/verify":
            if legacy is not None:
                return self.fail(400, 1000, "Invalid API Token")
            status = "disabled" if auth == "Bearer inactive-token" else "active"
            return self.send(200, envelope({"id": "ed17574386854bf78a67040be0a770b0", "status": status,
                                            "expires_on": "2030-01-01T00:00:00Z"}))
        if path.startswith("/accounts/") and path.endswith("/tokens/verify"):
            return self.fail(404, 7003, "Could not route to /accounts/x/tokens/verify, perhaps your object "
                                        "identifier is invalid?")
        zone_path = "/zones/" + ZONE
        if path.startswith("/zones/") and not path.startswith(zone_path) and not path.startswith("/zones/pending-zone"):
            return self.fail(403, 10000, "Authentication error")
        if method == "GET" and path in (zone_path, "/zones/pending-zone"):
            status = "pending" if "pending" in path else "active"
            return self.send(200, envelope({"id": path.rsplit("/", 1)[1], "name": "example.com", "status": status,
                                            "paused": False, "name_servers": ["ns1.cloudflare.com",
                                                                              "ns2.cloudflare.com"]}))
        if method == "POST" and path == zone_path + "/purge_cache":
            body = self.json_body()
            if self.headers.get("Content-Type") != "application/json" or not isinstance(body, dict):
                return self.fail(400, 1012, "Request must contain one of \"purge_everything\", \"files\"")
            if body.get("purge_everything") is True and len(body) == 1:
                return self.send(200, envelope({"id": ZONE}))
            files = body.get("files")
            if not isinstance(files, list) or not files:
                return self.fail(400, 1012, "Request must contain one of \"purge_everything\", \"files\"")
            if len(files) > 30:
                return self.fail(400, 1015, "You may purge up to 30 files at a time.")
            if any(not f.startswith("https://") for f in files):
                return self.fail(400, 1016, "Invalid url")
            return self.send(200, envelope({"id": ZONE}))
        if method == "GET" and path == zone_path + "/dns_records":
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("per_page", ["100"])[0])
            if per_page < 5 or per_page > 5000:
                return self.fail(400, 1004, "DNS Validation Error: per_page")
            records = [r for r in RECORDS if r["type"] == query["type"][0]] if "type" in query else RECORDS
            total_pages = max(1, (len(records) + per_page - 1) // per_page)
            chunk = records[(page - 1) * per_page:page * per_page]
            return self.send(200, envelope(chunk, result_info={"page": page, "per_page": per_page,
                                                               "count": len(chunk), "total_count": len(records),
                                                               "total_pages": total_pages}))
        return self.fail(404, 7003, "Could not route to %s, perhaps your object identifier is invalid?" % path)


if __name__ == "__main__":
    serve(Cloudflare)
