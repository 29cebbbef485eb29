#!/usr/bin/env python3
"""GLPI apirest.php stub (CONNECTORS.md §7). argv: user_token app_token.
initSession needs Content-Type: application/json, App-Token and
Authorization: user_token <t>; later calls need Session-Token + App-Token.
A GET with a body is refused. Scenario key "expire_next": the next session
call gets 401 ERROR_SESSION_TOKEN_INVALID and its session is dropped.
Followups and solutions (ITILFollowup/, ITILSolution/) exist only for ticket 15.
Every ticket created is ticket 15 and is kept: search/Ticket with criteria field 21
(description) searchtype contains finds them (case-insensitive, like GLPI's LIKE);
with field 12 equals notold it searches the fixed list. Scenario key
"create_then_hang": N creates the ticket, then answers nothing for N seconds."""
import secrets
import sys
import threading
import time

from stubkit import Handler, LOCK, STATE, serve

USER_TOKEN = sys.argv[1] if len(sys.argv) > 1 else "user-token"
APP_TOKEN = sys.argv[2] if len(sys.argv) > 2 else "app-token"
SESSIONS = set()
SESSIONS_LOCK = threading.Lock()
TICKETS = [{"id": 200 - i, "name": "Ticket %d" % (200 - i), "status": 1 + i % 6, "urgency": 3,
            "date": "2024-05-01 10:00:00", "date_mod": "2024-05-01 10:00:00"} for i in range(120)]
CREATED = []  # tickets created through POST /Ticket/, found again by a search on their description
PREFIX = "/apirest.php"


class Glpi(Handler):
    def error(self, status, code, message):
        self.send(status, [code, message])

    def route(self, method, path, query):
        if not path.startswith(PREFIX):
            return self.send(404, "<html><title>404 Not Found</title></html>", "text/html")
        path = path[len(PREFIX):]
        if method == "GET" and self.body:
            return self.error(400, "ERROR_JSON_PAYLOAD_FORBIDDEN", "GET Request should not have json payload")
        if self.headers.get("App-Token") != APP_TOKEN:
            return self.error(400, "ERROR_APP_TOKEN_PARAMETERS_MISSING",
                              "missing parameter app_token; view documentation in your browser at /apirest.php/#ERROR_APP_TOKEN_PARAMETERS_MISSING")
        if path == "/initSession":
            if self.headers.get("Content-Type") != "application/json":
                return self.error(400, "ERROR_BAD_ARRAY", "Content-Type must be application/json")
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("user_token "):
                return self.error(400, "ERROR_LOGIN_PARAMETERS_MISSING", "parameter(s) login, password or user_token are missing")
            if auth != "user_token " + USER_TOKEN:
                return self.error(401, "ERROR_GLPI_LOGIN_USER_TOKEN", "parameter user_token seems invalid")
            token = secrets.token_hex(13)
            with SESSIONS_LOCK:
                SESSIONS.add(token)
            return self.send(200, {"session_token": token})
        token = self.headers.get("Session-Token")
        with LOCK:
            expire = STATE["scenario"].pop("expire_next", False)
        with SESSIONS_LOCK:
            if expire:
                SESSIONS.discard(token)
            valid = token in SESSIONS
        if not valid:
            return self.error(401, "ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid")
        if path == "/killSession":
            with SESSIONS_LOCK:
                SESSIONS.discard(token)
            return self.send(200, b"")
        if path == "/getFullSession":
            return self.send(200, {"session": {"glpiID": 2, "glpiname": "glpi",
                                               "glpiactiveprofile": {"name": "Super-Admin"}}})
        if method == "POST" and path == "/Ticket/":
            body = self.json_body()
            ticket = body.get("input") if isinstance(body, dict) else None
            if not isinstance(ticket, dict) or not ticket.get("name"):
                return self.error(400, "ERROR_BAD_ARRAY", "input parameter must be an array of objects")
            if ticket.get("urgency", 3) > 5:
                return self.error(400, "ERROR_GLPI_ADD", "Urgency out of range")
            if ticket.get("name") == "forbidden":
                return self.error(403, "ERROR_RIGHT_MISSING", "You don't have permission to perform this action.")
            with LOCK:
                CREATED.append({"1": ticket["name"], "2": 15, "12": 1, "content": ticket.get("content", "")})
            if self.scenario().get("create_then_hang"):
                time.sleep(self.scenario()["create_then_hang"])
                return None
            return self.send(201, {"id": 15, "message": ""},
                             headers={"Location": "http://127.0.0.1/apirest.php/Ticket/15"})
        if method == "POST" and path in ("/ITILFollowup/", "/ITILSolution/"):
            body = self.json_body()
            item = body.get("input") if isinstance(body, dict) else None
            if not isinstance(item, dict) or item.get("itemtype") != "Ticket" or not item.get("content"):
                return self.error(400, "ERROR_BAD_ARRAY", "input parameter must be an array of objects")
            if item.get("items_id") != 15:
                return self.error(400, "ERROR_GLPI_ADD", "Item not found")
            return self.send(201, {"id": 7 if path == "/ITILFollowup/" else 8, "message": ""})
        if method == "GET" and path in ("/Ticket/", "/search/Ticket"):
            start, end = (int(x) for x in query.get("range", ["0-49"])[0].split("-"))
            if path == "/search/Ticket" and query.get("criteria[0][field]") == ["21"]:
                if query.get("criteria[0][searchtype]") != ["contains"] or query.get("forcedisplay[0]") != ["2"]:
                    return self.error(400, "ERROR_BAD_ARRAY", "criteria expected")
                text = query.get("criteria[0][value]", [""])[0].lower()
                with LOCK:
                    rows = [{k: t[k] for k in ("1", "2", "12")} for t in CREATED if text in t["content"].lower()]
                if start >= len(rows):
                    return self.error(400, "ERROR_RANGE_EXCEED_TOTAL", "Provided range exceed total count of data: %d" % len(rows))
                page = rows[start:end + 1]
                return self.send(200, {"totalcount": len(rows), "count": len(page), "data": page},
                                 headers={"Content-Range": "%d-%d/%d" % (start, start + len(page) - 1, len(rows))})
            if path == "/search/Ticket":
                if query.get("criteria[0][field]") != ["12"] or query.get("criteria[0][value]") != ["notold"] or \
                        query.get("criteria[0][searchtype]") != ["equals"]:
                    return self.error(400, "ERROR_BAD_ARRAY", "criteria expected")
                rows = [{"1": t["name"], "2": t["id"], "12": t["status"]} for t in TICKETS if t["status"] < 5]
                if start >= len(rows):
                    return self.error(400, "ERROR_RANGE_EXCEED_TOTAL", "Provided range exceed total count of data: %d" % len(rows))
                page = rows[start:end + 1]
                return self.send(200, {"totalcount": len(rows), "count": len(page), "data": page},
                                 headers={"Content-Range": "%d-%d/%d" % (start, start + len(page) - 1, len(rows))})
            if query.get("sort") != ["2"] or query.get("order") != ["DESC"]:
                return self.error(400, "ERROR_BAD_ARRAY", "sort expected")
            if start >= len(TICKETS):
                return self.error(400, "ERROR_RANGE_EXCEED_TOTAL", "Provided range exceed total count of data: %d" % len(TICKETS))
            page = TICKETS[start:end + 1]
            status = 206 if start + len(page) < len(TICKETS) else 200
            return self.send(status, page, headers={"Content-Range": "%d-%d/%d" % (start, start + len(page) - 1, len(TICKETS)),
                                                    "Accept-Range": "Ticket 1000"})
        return self.error(400, "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM", "resource not found or not an instance of CommonDBTM")


if __name__ == "__main__":
    serve(Glpi)
