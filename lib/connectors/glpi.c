#define _GNU_SOURCE /* asprintf, strcasestr */
/* GLPI: the legacy REST API apirest.php, GLPI 9.1 to 11 (CONNECTORS.md §7).
 * Every call opens a session (initSession with a user token or login and
 * password, plus the App-Token when configured), uses Session-Token, and
 * closes it (killSession). A session found invalid is re-opened once.
 * Paging: range=a-b with Content-Range "a-b/total"; no rate limiting. */
#include "http.h"
#include "error_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 50

struct glpi {
    mon_connector_call *call;
    char *api;     /* ".../apirest.php" */
    char *app;     /* "App-Token: ..." or NULL */
    char *session; /* "Session-Token: ..." or NULL */
    int reopened;
};

static int validate(mon_connector_call *call, void *payload)
{
    int rc;
    if ((rc = mon__check_base_url(call, 1)) != MON_OK)
        return rc;
    const char *user_token = mon__creds_get(call->creds, "user_token");
    /* An empty user_token counts as none, as in glpi_open(). */
    if (!(user_token && *user_token) &&
        !(mon__creds_get(call->creds, "login") && mon__creds_get(call->creds, "password")))
        return mon__error(MON_EINVAL, "credentials",
                          "GLPI connector needs \"user_token\" or \"login\" and \"password\"");
    return MON_OK;
}

static void glpi_free(struct glpi *g)
{
    free(g->api);
    mon__http_header_free(g->app);
    mon__http_header_free(g->session);
}

static int glpi_init(struct glpi *g, mon_connector_call *call)
{
    const char *app = mon__creds_get(call->creds, "app_token");
    size_t len = strlen(call->base_url);
    static const char suffix[] = "/apirest.php";

    memset(g, 0, sizeof(*g));
    g->call = call;
    mon__http_set_system(call, "GLPI");
    /* base_url may be the GLPI root or already end with /apirest.php. */
    if (len >= strlen(suffix) && strcmp(call->base_url + len - strlen(suffix), suffix) == 0)
        g->api = strdup(call->base_url);
    else if (asprintf(&g->api, "%s%s", call->base_url, suffix) < 0)
        g->api = NULL;
    if (app && *app)
        g->app = mon__http_header("App-Token", app);
    if (!g->api || (app && *app && !g->app)) {
        glpi_free(g);
        return mon__error_nomem();
    }
    return MON_OK;
}

static int glpi_open(struct glpi *g)
{
    const char *user_token = mon__creds_get(g->call->creds, "user_token");
    char *auth = NULL, *url = NULL, *value = NULL;
    const char *headers[4] = {NULL, "Content-Type: application/json", NULL, NULL};
    struct mon__http_response resp;
    const char *token;
    int rc;

    if (user_token && *user_token) {
        if (asprintf(&value, "user_token %s", user_token) >= 0)
            auth = mon__http_header("Authorization", value);
        mon__wipe_free(value);
    } else {
        auth = mon__http_basic_header(mon__creds_get(g->call->creds, "login"),
                                      mon__creds_get(g->call->creds, "password"));
    }
    headers[0] = auth;
    headers[2] = g->app;
    if (!auth || asprintf(&url, "%s/initSession", g->api) < 0) {
        mon__http_header_free(auth);
        return mon__error_nomem();
    }
    rc = mon__http_get_json(g->call, url, headers, &resp);
    free(url);
    mon__http_header_free(auth);
    if (rc != MON_OK)
        return rc;
    token = json_string_value(json_object_get(resp.json, "session_token"));
    if (!token || !*token) {
        mon__http_response_clear(&resp);
        return mon__call_error(g->call, MON_EPROTO, NULL, "GLPI: initSession answered without session_token");
    }
    mon__http_header_free(g->session);
    g->session = mon__http_header("Session-Token", token);
    mon__http_response_clear(&resp);
    return g->session ? MON_OK : mon__error_nomem();
}

/* killSession; rc is the action's result, whose error detail is kept. */
static void glpi_close(struct glpi *g, int rc)
{
    const char *headers[3] = {g->session, g->app, NULL};
    struct mon__http_request req = {"GET", NULL, headers, NULL, 0, NULL, MON__HTTP_KEEP_ERRORS};
    struct mon__http_response resp;
    struct mon__saved_error saved;
    char *url = NULL;

    if (!g->session || asprintf(&url, "%s/killSession", g->api) < 0)
        return;
    mon__error_save(&saved);
    req.url = url;
    if (mon__http_do(g->call, &req, &resp) == MON_OK)
        mon__http_response_clear(&resp);
    if (rc != MON_OK)
        mon__error_restore(&saved);
    free(url);
}

/* A request in the session; re-opens it once when GLPI says the token is
 * invalid. With range_end, ERROR_RANGE_EXCEED_TOTAL is not an error:
 * *resp has status 400 and the caller stops paging. */
static int glpi_request(struct glpi *g, const char *method, const char *path, const char *body, int range_end,
                        struct mon__http_response *resp)
{
    const char *headers[4] = {g->session, "Content-Type: application/json", g->app, NULL};
    struct mon__http_request req = {method, NULL, headers, body, 0, NULL, MON__HTTP_KEEP_ERRORS};
    char *url = NULL;
    int rc;

    if (asprintf(&url, "%s%s", g->api, path) < 0)
        return mon__error_nomem();
    req.url = url;
    for (;;) {
        headers[0] = g->session;
        if ((rc = mon__http_do(g->call, &req, resp)) != MON_OK)
            break;
        if (resp->status == 401 && !g->reopened && strstr(resp->body, "ERROR_SESSION_TOKEN_INVALID")) {
            mon__http_response_clear(resp);
            g->reopened = 1;
            if ((rc = glpi_open(g)) != MON_OK)
                break;
            continue;
        }
        if (range_end && resp->status == 400 && strstr(resp->body, "ERROR_RANGE_EXCEED_TOTAL"))
            break;
        if (resp->status < 200 || resp->status > 299) {
            rc = mon__http_status_error(g->call, resp);
            mon__http_response_clear(resp);
            break;
        }
        if (resp->body_len) {
            json_error_t error;
            if (!(resp->json = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, &error))) {
                mon__http_response_clear(resp);
                rc = mon__call_error(g->call, MON_EPROTO, NULL, "GLPI: malformed JSON in reply (line %d: %s)",
                                     error.line, error.text);
            }
        }
        break;
    }
    free(url);
    return rc;
}

static int test(char **result, mon_connector_call *call, void *payload)
{
    struct glpi g;
    struct mon__http_response resp;
    const json_t *session;
    int rc = glpi_init(&g, call);

    if (rc != MON_OK)
        return rc;
    if ((rc = glpi_open(&g)) == MON_OK &&
        (rc = glpi_request(&g, "GET", "/getFullSession", NULL, 0, &resp)) == MON_OK) {
        session = json_object_get(resp.json, "session");
        if (!json_is_object(session))
            rc = mon__call_error(call, MON_EPROTO, NULL, "GLPI: getFullSession without \"session\"");
        else
            rc = mon__result(
                result,
                json_pack("{s:b, s:O?, s:O?, s:O?}", "ok", 1, "user_id", json_object_get(session, "glpiID"),
                          "user", json_object_get(session, "glpiname"), "profile",
                          json_object_get(json_object_get(session, "glpiactiveprofile"), "name")));
        mon__http_response_clear(&resp);
    }
    glpi_close(&g, rc);
    glpi_free(&g);
    return rc;
}

static int create_ticket(char **result, struct glpi *g, json_t *params)
{
    static const char *const levels[] = {"urgency", "impact", "priority"};
    const char *name, *content;
    long long type, value;
    struct mon__http_response resp;
    json_t *input;
    char *text;
    int rc;

    if ((rc = mon__param_str(&name, g->call, params, "name", 1)) != MON_OK ||
        (rc = mon__param_str(&content, g->call, params, "content", 1)) != MON_OK ||
        (rc = mon__param_int(&type, g->call, params, "type", 1, 1, 2)) != MON_OK)
        return rc;
    input = json_pack("{s:s, s:s, s:I}", "name", name, "content", content, "type", (json_int_t)type);
    for (size_t i = 0; i < 3; i++) {
        if ((rc = mon__param_int(&value, g->call, params, levels[i], 0, 1, 6)) != MON_OK) {
            json_decref(input);
            return rc;
        }
        if (value)
            json_object_set_new(input, levels[i], json_integer(value));
    }
    input = json_pack("{s:o}", "input", input);
    text = json_dumps(input, JSON_COMPACT);
    json_decref(input);
    if (!text)
        return mon__error_nomem();
    if ((rc = glpi_open(g)) == MON_OK &&
        (rc = glpi_request(g, "POST", "/Ticket/", text, 0, &resp)) == MON_OK) {
        if (!json_is_integer(json_object_get(resp.json, "id")))
            rc = mon__call_error(g->call, MON_EPROTO, NULL, "GLPI: ticket created but no \"id\" in reply");
        else
            rc = mon__result(result, json_pack("{s:O, s:s?}", "id", json_object_get(resp.json, "id"),
                                               "location", resp.location));
        mon__http_response_clear(&resp);
    }
    free(text);
    return rc;
}

/* POST {"input":{"itemtype":"Ticket","items_id":<ticket_id>,"content":...}}
 * to path (ITILFollowup/ or ITILSolution/): a followup, or the solution that
 * moves the ticket to "solved". */
static int add_to_ticket(char **result, struct glpi *g, json_t *params, const char *path, const char *what)
{
    struct mon__http_response resp;
    const char *content;
    long long ticket;
    json_t *input;
    char *text;
    int rc;

    if ((rc = mon__param_int(&ticket, g->call, params, "ticket_id", 0, 1, (long long)1 << 53)) != MON_OK ||
        (rc = mon__param_str(&content, g->call, params, "content", 1)) != MON_OK)
        return rc;
    if (ticket == 0)
        return mon__call_error(g->call, MON_EINVAL, "params.ticket_id", "is required");
    input = json_pack("{s:{s:s, s:I, s:s}}", "input", "itemtype", "Ticket", "items_id", (json_int_t)ticket,
                      "content", content);
    text = json_dumps(input, JSON_COMPACT);
    json_decref(input);
    if (!text)
        return mon__error_nomem();
    if ((rc = glpi_open(g)) == MON_OK && (rc = glpi_request(g, "POST", path, text, 0, &resp)) == MON_OK) {
        if (!json_is_integer(json_object_get(resp.json, "id")))
            rc = mon__call_error(g->call, MON_EPROTO, NULL, "GLPI: %s added but no \"id\" in reply", what);
        else
            rc = mon__result(result, json_pack("{s:I, s:O}", "ticket_id", (json_int_t)ticket, "id",
                                               json_object_get(resp.json, "id")));
        mon__http_response_clear(&resp);
    }
    free(text);
    return rc;
}

/* "a-b/total" -> total, or -1. */
static long long range_total(const char *content_range)
{
    const char *slash = content_range ? strchr(content_range, '/') : NULL;
    return slash ? strtoll(slash + 1, NULL, 10) : -1;
}

/* Page through path (which gets "range=a-b" appended); items_key NULL means
 * the reply is the array itself (Ticket/), else the key of the array
 * (search: "data", total in "totalcount"). */
static int collect(char **result, struct glpi *g, const char *path, const char *items_key)
{
    json_t *items = json_array();
    long long start = 0, total = -1;
    int pages = 0, truncated = 0, rc;

    if ((rc = glpi_open(g)) != MON_OK) {
        json_decref(items);
        return rc;
    }
    for (;;) {
        struct mon__http_response resp;
        char *page_path = NULL;
        json_t *batch;
        size_t got;

        if (asprintf(&page_path, "%s%crange=%lld-%lld", path, strchr(path, '?') ? '&' : '?', start,
                     start + PAGE_SIZE - 1) < 0) {
            rc = mon__error_nomem();
            break;
        }
        rc = glpi_request(g, "GET", page_path, NULL, 1, &resp);
        free(page_path);
        if (rc != MON_OK)
            break;
        if (resp.status == 400) { /* ERROR_RANGE_EXCEED_TOTAL: past the end */
            mon__http_response_clear(&resp);
            if (total < 0)
                total = start;
            break;
        }
        batch = items_key ? json_object_get(resp.json, items_key) : resp.json;
        if (!json_is_array(batch)) {
            mon__http_response_clear(&resp);
            rc = mon__call_error(g->call, MON_EPROTO, NULL, "GLPI: reply is not a list of items");
            break;
        }
        json_array_extend(items, batch);
        got = json_array_size(batch);
        if (items_key && json_is_integer(json_object_get(resp.json, "totalcount")))
            total = json_integer_value(json_object_get(resp.json, "totalcount"));
        else if (range_total(resp.content_range) >= 0)
            total = range_total(resp.content_range);
        mon__http_response_clear(&resp);
        start += (long long)got;
        pages++;
        if (got == 0 || (total >= 0 && start >= total) || (total < 0 && got < PAGE_SIZE))
            break;
        if (pages >= g->call->max_pages) {
            truncated = 1;
            break;
        }
    }
    if (rc != MON_OK) {
        json_decref(items);
        return rc;
    }
    return mon__result(result, json_pack("{s:o, s:I, s:b, s:i}", items_key ? "results" : "tickets", items,
                                         "total", (json_int_t)(total >= 0 ? total : start), "truncated",
                                         truncated, "pages", pages));
}

/* Tickets whose description (search option 21) contains params.text: a
 * reference the caller wrote into a ticket it created, to find it again. */
static int find_tickets(char **result, struct glpi *g, json_t *params)
{
    const char *text;
    char *escaped, *path = NULL;
    int rc;

    if ((rc = mon__param_str(&text, g->call, params, "text", 1)) != MON_OK)
        return rc;
    if (strlen(text) < 8)
        return mon__call_error(g->call, MON_EINVAL, "params.text", "must be at least 8 characters");
    if (!(escaped = mon__http_escape(text)))
        return mon__error_nomem();
    if (asprintf(&path,
                 "/search/Ticket?criteria%%5B0%%5D%%5Bfield%%5D=21"
                 "&criteria%%5B0%%5D%%5Bsearchtype%%5D=contains&criteria%%5B0%%5D%%5Bvalue%%5D=%s"
                 "&forcedisplay%%5B0%%5D=2",
                 escaped) < 0)
        path = NULL;
    free(escaped);
    if (!path)
        return mon__error_nomem();
    rc = collect(result, g, path, "data");
    free(path);
    return rc;
}

static int run(char **result, mon_connector_call *call, const char *action, const char *params_json,
               void *payload)
{
    struct glpi g;
    json_t *params = mon__params(params_json);
    int rc = glpi_init(&g, call);

    if (rc == MON_OK) {
        if (strcmp(action, "create_ticket") == 0)
            rc = create_ticket(result, &g, params);
        else if (strcmp(action, "add_followup") == 0)
            rc = add_to_ticket(result, &g, params, "/ITILFollowup/", "followup");
        else if (strcmp(action, "solve_ticket") == 0)
            rc = add_to_ticket(result, &g, params, "/ITILSolution/", "solution");
        else if (strcmp(action, "find_tickets") == 0)
            rc = find_tickets(result, &g, params);
        else if (strcmp(action, "list_tickets") == 0)
            rc = collect(result, &g, "/Ticket/?sort=2&order=DESC", NULL);
        else
            rc = collect(result, &g,
                         "/search/Ticket?criteria%5B0%5D%5Bfield%5D=12&criteria%5B0%5D%5Bsearchtype%5D=equals"
                         "&criteria%5B0%5D%5Bvalue%5D=notold",
                         "data");
        glpi_close(&g, rc);
        glpi_free(&g);
    }
    json_decref(params);
    return rc;
}

static const mon_connector_action actions[] = {
    {"create_ticket", "Create a ticket (type 1 incident, 2 request).",
     "{\"type\":\"object\",\"required\":[\"name\",\"content\"],\"properties\":{\"name\":{\"type\":\"string\"}"
     ","
     "\"content\":{\"type\":\"string\"},\"type\":{\"enum\":[1,2]},\"urgency\":{\"type\":\"integer\","
     "\"minimum\":1,"
     "\"maximum\":5},\"impact\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},\"priority\":{\"type\":"
     "\"integer\","
     "\"minimum\":1,\"maximum\":6}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
    {"list_tickets", "Tickets, newest first (range pages up to max_pages).",
     "{\"type\":\"object\",\"additionalProperties\":false}", MON_CONNECTOR_ROLE_READER},
    {"find_tickets", "Tickets whose description contains text (search option 21, contains).",
     "{\"type\":\"object\",\"required\":[\"text\"],\"properties\":{\"text\":{\"type\":\"string\","
     "\"minLength\":8}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"search_open_tickets", "Tickets not solved or closed (search criteria status = notold).",
     "{\"type\":\"object\",\"additionalProperties\":false}", MON_CONNECTOR_ROLE_READER},
    {"add_followup", "Add a followup to a ticket.",
     "{\"type\":\"object\",\"required\":[\"ticket_id\",\"content\"],\"properties\":{\"ticket_id\":{"
     "\"type\":\"integer\",\"minimum\":1},\"content\":{\"type\":\"string\"}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
    {"solve_ticket", "Add a solution to a ticket, which GLPI then marks solved.",
     "{\"type\":\"object\",\"required\":[\"ticket_id\",\"content\"],\"properties\":{\"ticket_id\":{"
     "\"type\":\"integer\",\"minimum\":1},\"content\":{\"type\":\"string\"}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
};

static const char *const credential_fields[] = {"user_token", "app_token", "login", "password", NULL};

static const struct mon__env_field env[] = {
    {"GLPI_API_KEY", MON__ENV_CREDENTIAL, "user_token"},
    {"GLPI_BASE_URL", MON__ENV_BASE_URL, NULL},
    {NULL, MON__ENV_BASE_URL, NULL},
};

const struct mon__builtin mon__connector_glpi = {
    {MON_CONNECTOR_TYPE_VERSION, "GLPI",
     "GLPI service desk: create, follow up, solve, list and search tickets", credential_fields, actions,
     sizeof(actions) / sizeof(actions[0]), validate, test, run, NULL},
    env,
};
