#!/usr/bin/env python3
"""Talend Cloud stub (CONNECTORS.md §1): Bearer token, tasks paged with
limit/offset/total, executions. Token expected: argv[1]."""
import sys

from stubkit import Handler, serve

TOKEN = sys.argv[1] if len(sys.argv) > 1 else "talend-token"
TASKS = [{"executable": "task-%03d" % i, "name": "job_%03d" % i, "workspace": {"id": "ws1"}} for i in range(250)]


class Talend(Handler):
    def route(self, method, path, query):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.send(401, {"message": "Invalid token", "status": 401})
        if self.headers.get("Accept") != "application/json":
            return self.send(400, {"message": "Accept must be application/json"})
        if method == "GET" and path == "/orchestration/executables/tasks":
            limit = int(query.get("limit", ["100"])[0])
            offset = int(query.get("offset", ["0"])[0])
            if limit > 100:
                return self.send(400, {"message": "limit must be <= 100"})
            if "workspaceId" in query and query["workspaceId"][0] != "ws1":
                return self.send(403, {"message": "No permission on workspace"})
            return self.send(200, {"items": TASKS[offset:offset + limit], "limit": limit, "offset": offset,
                                   "total": len(TASKS)})
        if method == "POST" and path == "/processing/executions":
            body = self.json_body()
            if self.headers.get("Content-Type") != "application/json" or not isinstance(body, dict):
                return self.send(400, {"message": "JSON body expected"})
            if body.get("executable") == "missing":
                return self.send(404, {"message": "Task missing not found"})
            if not str(body.get("executable", "")).startswith("task-"):
                return self.send(400, {"message": "executable is required"})
            return self.send(201, {"executionId": "16fefb53-exec-" + body["executable"]})
        if method == "GET" and path.startswith("/processing/executions/"):
            exec_id = path.rsplit("/", 1)[1]
            status = "execution_failed" if exec_id.endswith("bad") else "EXECUTION_SUCCESSFUL"
            return self.send(200, {"executionId": exec_id, "jobId": "job-1", "executionStatus": status,
                                   "startTimestamp": "2024-05-01T10:00:00Z", "finishTimestamp": None,
                                   "numberOfProcessedRows": 100, "numberOfRejectedRows": 0})
        if method == "GET" and path == "/processing/executables/tasks/executions":
            if query.get("status") != ["execution_failed"] or "lastDays" not in query:
                return self.send(400, {"message": "status and lastDays expected"})
            return self.send(200, {"items": [{"executionId": "e1", "taskId": "task-001",
                                              "status": "execution_failed"}]})
        return self.send(404, {"message": "Not found: " + path})


if __name__ == "__main__":
    serve(Talend)
