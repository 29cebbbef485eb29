#!/usr/bin/env python3
"""GitHub REST stub (CONNECTORS.md §3). Checks the Bearer PAT (argv[1]),
the media type, the API version header and a User-Agent; repository octo/app;
runs paged through the Link header; 403 + x-ratelimit-remaining 0 rate limit."""
import sys
import time

from stubkit import Handler, serve

TOKEN = sys.argv[1] if len(sys.argv) > 1 else "ghp_token"
RUNS = [{"id": 30433600 + i, "name": "CI", "head_branch": "main", "head_sha": "acb5%04d" % i, "run_number": i,
         "run_attempt": 1, "event": "push", "status": "completed", "conclusion": "failure", "workflow_id": 159038,
         "html_url": "https://github.com/octo/app/actions/runs/%d" % (30433600 + i),
         "created_at": "2024-05-01T10:00:00Z"} for i in range(45)]


class GitHub(Handler):
    def rate_limit(self, retry_after):
        reset = int(time.time()) + int(retry_after)
        self.send(403, {"message": "API rate limit exceeded for user ID 1.",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits"},
                  headers={"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
                           "x-ratelimit-reset": str(reset), "x-ratelimit-resource": "core"})

    def route(self, method, path, query):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.send(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
                                   "status": "401"})
        if self.headers.get("Accept") != "application/vnd.github+json" or \
                self.headers.get("X-GitHub-Api-Version") != "2022-11-28" or not self.headers.get("User-Agent"):
            return self.send(400, {"message": "Missing media type, API version or User-Agent"})
        rl = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1717000000"}
        if not path.startswith("/repos/octo/app"):
            return self.send(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        rest = path[len("/repos/octo/app"):]
        if method == "GET" and rest == "":
            return self.send(200, {"id": 1296269, "full_name": "octo/app", "private": True, "default_branch": "main",
                                   "archived": False, "permissions": {"admin": False, "push": True, "pull": True}},
                             headers=rl)
        if method == "GET" and rest == "/actions/runs":
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            if query.get("status") != ["failure"]:
                return self.send(422, {"message": "Validation Failed",
                                       "errors": [{"resource": "Run", "field": "status", "code": "invalid"}]})
            runs = [r for r in RUNS if "branch" not in query or r["head_branch"] == query["branch"][0]]
            last = max(1, (len(runs) + per_page - 1) // per_page)
            headers = dict(rl)
            base = "http://%s:%d%s?status=failure&per_page=%d" % (self.server.server_address[0],
                                                                  self.server.server_address[1], path, per_page)
            if page < last:
                headers["Link"] = '<%s&page=%d>; rel="next", <%s&page=%d>; rel="last"' % (base, page + 1, base, last)
            return self.send(200, {"total_count": len(runs),
                                   "workflow_runs": runs[(page - 1) * per_page:page * per_page]}, headers=headers)
        if method == "POST" and rest.startswith("/actions/runs/"):
            parts = rest.split("/")  # ['', 'actions', 'runs', id, verb]
            if len(parts) != 5 or self.body:
                return self.send(400, {"message": "bad request"})
            if parts[3] == "1":
                return self.send(403, {"message": "Must have admin rights to Repository.",
                                       "documentation_url": "https://docs.github.com/rest"})
            if parts[3] == "2":
                return self.send(409, {"message": "This workflow run is not completed"})
            if parts[4] in ("rerun", "rerun-failed-jobs"):
                return self.send(201, {})
            if parts[4] == "cancel":
                return self.send(202, {})
        if method == "POST" and rest.startswith("/actions/workflows/") and rest.endswith("/dispatches"):
            body = self.json_body()
            if self.headers.get("Content-Type") != "application/json" or not isinstance(body, dict) \
                    or "ref" not in body:
                return self.send(422, {"message": "Invalid request.\n\n\"ref\" wasn't supplied.",
                                       "documentation_url": "https://docs.github.com/rest"})
            if rest != "/actions/workflows/deploy.yml/dispatches":
                return self.send(404, {"message": "Not Found"})
            if body.get("inputs", {}).get("env") not in ("prod", None):
                return self.send(422, {"message": "Unexpected inputs provided: [\"env\"]"})
            return self.send(204)
        return self.send(404, {"message": "Not Found"})


if __name__ == "__main__":
    serve(GitHub)
