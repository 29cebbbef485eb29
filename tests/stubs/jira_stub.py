#!/usr/bin/env python3
"""Jira stub (CONNECTORS.md §8): Cloud (Basic email:token, /rest/api/3/search/jql
with nextPageToken) and Data Center (Bearer PAT, /rest/api/2/search with
startAt), comments and transitions (issue OPS-404 does not exist); a Cloud search
'labels = "x"' finds the issues created with that label. Scenario key
"create_then_hang": N creates the issue, then answers nothing for N seconds. argv: token email. Wrong Bearer gets Data Center's HTML 401 page,
wrong Basic gets Cloud's plain-text 401."""
import base64
import re
import sys
import time

from stubkit import LOCK, Handler, serve

TOKEN = sys.argv[1] if len(sys.argv) > 1 else "jira-token"
EMAIL = sys.argv[2] if len(sys.argv) > 2 else "ops@example.com"
ISSUES = [{"id": str(10000 + i), "key": "OPS-%d" % i,
           "fields": {"summary": "Issue %d" % i,
                      "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                      "assignee": {"displayName": "Ann"} if i % 2 else None}} for i in range(120)]
CREATED = []  # issues created through POST /rest/api/2/issue, found again by label in a Cloud search
TRANSITIONS = [{"id": "11", "name": "To Do", "to": {"name": "To Do"}},
               {"id": "21", "name": "In Progress", "to": {"name": "In Progress"}},
               {"id": "31", "name": "Resolve", "to": {"name": "Done"}}]


class Jira(Handler):
    def rate_limit(self, retry_after):
        self.send(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}},
                  headers={"Retry-After": str(retry_after), "X-RateLimit-Limit": "100",
                           "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2024-05-01T10:00:00Z",
                           "RateLimit-Reason": "jira-burst-based"})

    def flavour(self):
        auth = self.headers.get("Authorization", "")
        if auth == "Basic " + base64.b64encode(("%s:%s" % (EMAIL, TOKEN)).encode()).decode():
            return "cloud"
        if auth == "Bearer " + TOKEN:
            return "datacenter"
        if auth.startswith("Bearer "):
            self.send(401, "<html><head><title>Unauthorized (401)</title></head><body>Basic auth failed</body>"
                           "</html>", "text/html;charset=UTF-8")
        else:
            self.send(401, "Client must be authenticated to access this resource.", "text/plain")
        return None

    def page(self, query, items):
        start = int(query.get("startAt", ["0"])[0])
        size = min(int(query.get("maxResults", ["50"])[0]), 50)
        return {"startAt": start, "maxResults": size, "total": len(items), "issues": items[start:start + size]}

    def route(self, method, path, query):
        flavour = self.flavour()
        if flavour is None:
            return
        if self.headers.get("Accept") != "application/json":
            return self.send(406, {"errorMessages": ["Accept application/json"], "errors": {}})
        if method == "GET" and path == "/rest/api/2/myself":
            if flavour == "cloud":
                return self.send(200, {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": EMAIL,
                                       "displayName": "Ops Bot", "active": True, "timeZone": "Europe/Paris"})
            return self.send(200, {"name": "opsbot", "key": "JIRAUSER1", "displayName": "Ops Bot", "active": True})
        if method == "POST" and path == "/rest/api/2/issue":
            body = self.json_body()
            if self.headers.get("Content-Type") != "application/json" or not isinstance(body, dict):
                return self.send(415, {"errorMessages": ["Unsupported media type"], "errors": {}})
            fields = body.get("fields", {})
            if not fields.get("summary"):
                return self.send(400, {"errorMessages": [],
                                       "errors": {"summary": "You must specify a summary of the issue."}})
            if fields.get("project", {}).get("key") != "OPS":
                return self.send(400, {"errorMessages": [], "errors": {"project": "valid project is required"}})
            if fields.get("issuetype", {}).get("name") not in ("Bug", "Incident"):
                return self.send(400, {"errorMessages": [], "errors": {"issuetype": "valid issue type is required"}})
            if not isinstance(fields.get("labels"), list):
                return self.send(400, {"errorMessages": ["labels must be an array"], "errors": {}})
            with LOCK:
                CREATED.append({"id": "10024", "key": "OPS-24", "labels": fields["labels"],
                                "fields": {"summary": fields["summary"], "status": {"name": "To Do"}}})
            if self.scenario().get("create_then_hang"):
                time.sleep(self.scenario()["create_then_hang"])
                return None
            return self.send(201, {"id": "10024", "key": "OPS-24", "self": "http://jira/rest/api/2/issue/10024"})
        issue = re.fullmatch(r"/rest/api/2/issue/(OPS-\d+)/(comment|transitions)", path)
        if issue and issue.group(1) == "OPS-404":
            return self.send(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                                   "errors": {}})
        if issue and method == "POST" and issue.group(2) == "comment":
            body = self.json_body()
            if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
                return self.send(400, {"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}})
            return self.send(201, {"id": "10100", "body": body["body"]})
        if issue and method == "GET" and issue.group(2) == "transitions":
            return self.send(200, {"expand": "transitions", "transitions": TRANSITIONS})
        if issue and method == "POST" and issue.group(2) == "transitions":
            body = self.json_body()
            wanted = body.get("transition", {}).get("id") if isinstance(body, dict) else None
            if wanted not in [t["id"] for t in TRANSITIONS]:
                return self.send(400, {"errorMessages": ["Transition id '%s' is not valid for this issue." % wanted],
                                       "errors": {}})
            return self.send(204, b"")
        if method == "GET" and path == "/rest/agile/1.0/board/5/sprint":
            if query.get("state") != ["active"]:
                return self.send(400, {"errorMessages": ["state expected"], "errors": {}})
            return self.send(200, {"maxResults": 50, "startAt": 0, "isLast": True, "values": [
                {"id": 37, "state": "active", "name": "Sprint 12", "startDate": "2024-05-01T08:00:00.000Z",
                 "endDate": "2024-05-15T08:00:00.000Z", "originBoardId": 5, "goal": "Ship it"}]})
        if method == "GET" and path == "/rest/agile/1.0/board/6/sprint":
            return self.send(200, {"maxResults": 50, "startAt": 0, "isLast": True, "values": []})
        if method == "GET" and path.startswith("/rest/agile/1.0/board/") and path.endswith("/sprint"):
            return self.send(404, {"errorMessages": ["Board does not exist or you do not have permission to see it."],
                                   "errors": {}})
        if method == "GET" and path == "/rest/agile/1.0/board/5/sprint/37/issue":
            if query.get("fields") != ["summary,status,assignee"]:
                return self.send(400, {"errorMessages": ["fields expected"], "errors": {}})
            return self.send(200, self.page(query, ISSUES[:70]))
        if method == "GET" and path == "/rest/api/3/search/jql":
            if flavour != "cloud":
                return self.send(404, {"errorMessages": ["null for uri"], "errors": {}})
            if "jql" not in query:
                return self.send(400, {"errorMessages": ["JQL query is required"], "errors": {}})
            if "ORDER BY nonsense" in query["jql"][0]:
                return self.send(400, {"errorMessages": ["Field 'nonsense' does not exist or you do not have "
                                                         "permission to view it."], "errors": {}})
            by_label = re.match(r'labels = "([^"]+)"', query["jql"][0])
            if by_label:
                with LOCK:
                    found = [i for i in CREATED if by_label.group(1) in i["labels"]]
                return self.send(200, {"issues": found, "isLast": True})
            start = int(query.get("nextPageToken", ["0"])[0])
            size = min(int(query.get("maxResults", ["50"])[0]), 50)
            reply = {"issues": ISSUES[start:start + size], "isLast": start + size >= len(ISSUES)}
            if start + size < len(ISSUES):
                reply["nextPageToken"] = str(start + size)
            return self.send(200, reply)
        if method == "GET" and path in ("/rest/api/2/search", "/rest/api/3/search"):
            if flavour == "cloud":
                return self.send(410, {"errorMessages": ["The requested API has been removed. Please migrate to "
                                                         "the /rest/api/3/search/jql API."], "errors": {}})
            return self.send(200, self.page(query, ISSUES))
        return self.send(404, {"errorMessages": ["Not found: " + path], "errors": {}})


if __name__ == "__main__":
    serve(Jira)
