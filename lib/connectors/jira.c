#define _GNU_SOURCE /* asprintf, strcasestr */
/* JIRA: Jira Cloud and Data Center REST + Agile APIs (CONNECTORS.md §8).
 * Cloud: Basic email:api_token; Data Center: Bearer PAT. Pages: startAt /
 * maxResults / total (Agile, Data Center search), nextPageToken (Cloud search). */
#include "http.h"
#include "error_priv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE_SIZE 50
#define ISSUE_FIELDS "summary,status,assignee"

static int is_cloud(const mon_connector_call *call)
{
    const char *deployment = mon__opt_str(call, "deployment", NULL);
    const char *host = strstr(call->base_url, "://");
    size_t len;
    if (deployment)
        return strcmp(deployment, "cloud") == 0;
    /* Default: Cloud for *.atlassian.net, Data Center elsewhere. */
    host = host ? host + 3 : call->base_url;
    len = strcspn(host, ":/");
    return len >= strlen(".atlassian.net") && strncasecmp(host + len - strlen(".atlassian.net"),
                                                          ".atlassian.net", strlen(".atlassian.net")) == 0;
}

static int validate(mon_connector_call *call, void *payload)
{
    const char *value;
    int rc;
    if ((rc = mon__check_base_url(call, 1)) != MON_OK ||
        (rc = mon__need_cred(&value, call, "api_token")) != MON_OK ||
        (rc = mon__check_opt_string(call, "deployment", 0)) != MON_OK ||
        (rc = mon__check_opt_string(call, "email", 0)) != MON_OK ||
        (rc = mon__check_opt_string(call, "project_key", 0)) != MON_OK ||
        (rc = mon__check_opt_string(call, "issue_type", 0)) != MON_OK ||
        (rc = mon__check_opt_int(call, "board_id", 1, (long long)1 << 53)) != MON_OK)
        return rc;
    value = mon__opt_str(call, "deployment", "cloud");
    if (strcmp(value, "cloud") != 0 && strcmp(value, "datacenter") != 0)
        return mon__error(MON_EINVAL, "options", "\"deployment\" must be \"cloud\" or \"datacenter\"");
    if (is_cloud(call) && !mon__opt_str(call, "email", NULL))
        return mon__error(MON_EINVAL, "options", "JIRA Cloud needs option \"email\" (Basic email:api_token)");
    return MON_OK;
}

static int make_headers(char *headers[3], mon_connector_call *call)
{
    const char *token;
    int rc;

    mon__http_set_system(call, "Jira");
    headers[0] = headers[1] = headers[2] = NULL;
    if ((rc = mon__need_cred(&token, call, "api_token")) != MON_OK)
        return rc;
    if (is_cloud(call)) {
        headers[0] = mon__http_basic_header(mon__opt_str(call, "email", ""), token);
    } else {
        char *value = NULL;
        if (asprintf(&value, "Bearer %s", token) >= 0)
            headers[0] = mon__http_header("Authorization", value);
        mon__wipe_free(value);
    }
    if (!headers[0])
        return mon__error_nomem();
    headers[1] = "Accept: application/json";
    return MON_OK;
}

static int test(char **result, mon_connector_call *call, void *payload)
{
    char *headers[3], *url = NULL;
    struct mon__http_response resp;
    const json_t *j;
    int rc = make_headers(headers, call);

    if (rc == MON_OK)
        rc = (url = mon__http_url(call, "/rest/api/2/myself")) ? MON_OK : mon__error_nomem();
    if (rc == MON_OK)
        rc = mon__http_get_json(call, url, (const char *const *)headers, &resp);
    if (rc == MON_OK && !json_is_object(resp.json))
        rc = mon__call_error(call, MON_EPROTO, NULL, "Jira: /myself is not a JSON object");
    if (rc == MON_OK) {
        j = resp.json;
        rc = mon__result(result,
                         json_pack("{s:b, s:s, s:O?, s:O?, s:O?}", "ok", 1, "deployment",
                                   is_cloud(call) ? "cloud" : "datacenter", "display_name",
                                   json_object_get(j, "displayName"), "account",
                                   json_object_get(j, json_object_get(j, "accountId") ? "accountId" : "name"),
                                   "active", json_object_get(j, "active")));
    }
    mon__http_response_clear(&resp);
    free(url);
    mon__http_header_free(headers[0]);
    return rc;
}

static int create_incident(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    const char *summary, *description, *priority, *issue_type, *project;
    json_t *labels = json_object_get(params, "labels"), *fields, *item, *body;
    struct mon__http_request req = {
        "POST", NULL, (const char *const *)headers, NULL, 0, "application/json", MON__HTTP_JSON};
    struct mon__http_response resp;
    char *url, *text;
    size_t i;
    int rc;

    if ((rc = mon__param_str(&summary, call, params, "summary", 1)) != MON_OK ||
        (rc = mon__param_str(&description, call, params, "description", 0)) != MON_OK ||
        (rc = mon__param_str(&priority, call, params, "priority", 0)) != MON_OK ||
        (rc = mon__param_str(&issue_type, call, params, "issue_type", 0)) != MON_OK ||
        (rc = mon__param_str(&project, call, params, "project_key", 0)) != MON_OK)
        return rc;
    project = project ? project : mon__opt_str(call, "project_key", NULL);
    if (!project)
        return mon__call_error(call, MON_EINVAL, "params.project_key",
                               "is required (or set option project_key)");
    if (labels && !json_is_array(labels))
        return mon__call_error(call, MON_EINVAL, "params.labels", "must be an array of strings");
    json_array_foreach(labels, i, item)
    {
        if (!json_is_string(item))
            return mon__call_error(call, MON_EINVAL, "params.labels", "must be an array of strings");
    }
    fields = json_pack("{s:{s:s}, s:s, s:{s:s}}", "project", "key", project, "summary", summary, "issuetype",
                       "name", issue_type ? issue_type : mon__opt_str(call, "issue_type", "Bug"));
    if (description)
        json_object_set_new(fields, "description", json_string(description));
    if (priority)
        json_object_set_new(fields, "priority", json_pack("{s:s}", "name", priority));
    json_object_set_new(fields, "labels", labels ? json_incref(labels) : json_pack("[s]", "monitoring"));
    body = json_pack("{s:o}", "fields", fields);
    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    url = mon__http_url(call, "/rest/api/2/issue");
    if (!text || !url) {
        free(text);
        free(url);
        return mon__error_nomem();
    }
    req.url = url;
    req.body = text;
    rc = mon__http_do(call, &req, &resp);
    if (rc == MON_OK && !json_is_string(json_object_get(resp.json, "key")))
        rc = mon__call_error(call, MON_EPROTO, NULL, "Jira: issue created but no \"key\" in reply");
    if (rc == MON_OK)
        rc = mon__result(result, json_pack("{s:O, s:O?, s:O?}", "key", json_object_get(resp.json, "key"),
                                           "id", json_object_get(resp.json, "id"), "self",
                                           json_object_get(resp.json, "self")));
    mon__http_response_clear(&resp);
    free(text);
    free(url);
    return rc;
}

static json_t *issue_summary(const json_t *issue)
{
    const json_t *fields = json_object_get(issue, "fields");
    const json_t *status = json_object_get(fields, "status");
    return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "key", json_object_get(issue, "key"), "summary",
                     json_object_get(fields, "summary"), "status", json_object_get(status, "name"),
                     "status_category", json_object_get(json_object_get(status, "statusCategory"), "key"),
                     "assignee", json_object_get(json_object_get(fields, "assignee"), "displayName"));
}

/* Fetch pages of issues: the path gets "startAt=N" (offset paging) or
 * "nextPageToken=T" (Cloud search) appended. */
static int collect_issues(mon_connector_call *call, char *headers[3], const char *first_url, int token_paging,
                          json_t *issues, json_int_t *total, int *pages, int *truncated)
{
    char *url = strdup(first_url);
    long long start = 0;
    int rc = url ? MON_OK : mon__error_nomem();

    *pages = *truncated = 0;
    *total = -1;
    while (rc == MON_OK && url) {
        struct mon__http_response resp;
        json_t *items, *item, *next;
        size_t i, got;

        rc = mon__http_get_json(call, url, (const char *const *)headers, &resp);
        free(url);
        url = NULL;
        if (rc != MON_OK)
            break;
        items = json_object_get(resp.json, "issues");
        if (!json_is_array(items)) {
            mon__http_response_clear(&resp);
            rc = mon__call_error(call, MON_EPROTO, NULL, "Jira: reply without \"issues\"");
            break;
        }
        json_array_foreach(items, i, item) json_array_append_new(issues, issue_summary(item));
        got = json_array_size(items);
        start += (long long)got;
        (*pages)++;
        if (json_is_integer(json_object_get(resp.json, "total")))
            *total = json_integer_value(json_object_get(resp.json, "total"));
        next = json_object_get(resp.json, "nextPageToken");
        if (token_paging ? (json_is_string(next) && !json_is_true(json_object_get(resp.json, "isLast")))
                         : (got > 0 && *total >= 0 && start < *total)) {
            if (*pages >= call->max_pages) {
                *truncated = 1;
            } else if (token_paging) {
                url = strdup(first_url);
                rc = url ? mon__http_add_query(&url, "nextPageToken", json_string_value(next))
                         : mon__error_nomem();
            } else {
                char number[32];
                snprintf(number, sizeof(number), "%lld", start);
                url = strdup(first_url);
                rc = url ? mon__http_add_query(&url, "startAt", number) : mon__error_nomem();
            }
        }
        mon__http_response_clear(&resp);
    }
    free(url);
    if (*total < 0)
        *total = (json_int_t)json_array_size(issues);
    return rc;
}

static int active_sprint(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    long long board;
    struct mon__http_response resp;
    json_t *sprint, *issues;
    json_int_t total;
    int pages, truncated, rc;
    char *url;

    if ((rc = mon__param_int(&board, call, params, "board_id", mon__opt_int(call, "board_id", 0), 1,
                             (long long)1 << 53)) != MON_OK)
        return rc;
    if (board == 0)
        return mon__call_error(call, MON_EINVAL, "params.board_id", "is required (or set option board_id)");
    if (!(url = mon__http_url(call, "/rest/agile/1.0/board/%lld/sprint?state=active", board)))
        return mon__error_nomem();
    rc = mon__http_get_json(call, url, (const char *const *)headers, &resp);
    free(url);
    if (rc != MON_OK)
        return rc;
    if (!json_is_array(json_object_get(resp.json, "values"))) {
        mon__http_response_clear(&resp);
        return mon__call_error(call, MON_EPROTO, NULL, "Jira: sprint list without \"values\"");
    }
    sprint = json_array_get(json_object_get(resp.json, "values"), 0);
    if (!sprint) {
        mon__http_response_clear(&resp);
        return mon__result(result, json_pack("{s:n, s:[], s:i}", "sprint", "issues", "total", 0));
    }
    sprint = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "id", json_object_get(sprint, "id"), "name",
                       json_object_get(sprint, "name"), "state", json_object_get(sprint, "state"),
                       "start_date", json_object_get(sprint, "startDate"), "end_date",
                       json_object_get(sprint, "endDate"), "goal", json_object_get(sprint, "goal"));
    mon__http_response_clear(&resp);
    url =
        mon__http_url(call, "/rest/agile/1.0/board/%lld/sprint/%lld/issue?maxResults=%d&fields=" ISSUE_FIELDS,
                      board, (long long)json_integer_value(json_object_get(sprint, "id")), PAGE_SIZE);
    issues = json_array();
    rc = url ? collect_issues(call, headers, url, 0, issues, &total, &pages, &truncated) : mon__error_nomem();
    free(url);
    if (rc != MON_OK) {
        json_decref(sprint);
        json_decref(issues);
        return rc;
    }
    return mon__result(result, json_pack("{s:o, s:o, s:I, s:b, s:i}", "sprint", sprint, "issues", issues,
                                         "total", total, "truncated", truncated, "pages", pages));
}

static int search(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    const char *jql, *fields;
    char *url = NULL;
    json_t *issues;
    json_int_t total;
    int pages, truncated, cloud = is_cloud(call), rc;

    if ((rc = mon__param_str(&jql, call, params, "jql", 1)) != MON_OK ||
        (rc = mon__param_str(&fields, call, params, "fields", 0)) != MON_OK)
        return rc;
    url = mon__http_url(
        call, cloud ? "/rest/api/3/search/jql?maxResults=%d" : "/rest/api/2/search?maxResults=%d", PAGE_SIZE);
    if (!url || mon__http_add_query(&url, "jql", jql) != MON_OK ||
        mon__http_add_query(&url, "fields", fields ? fields : ISSUE_FIELDS) != MON_OK) {
        free(url);
        return mon__error_nomem();
    }
    issues = json_array();
    rc = collect_issues(call, headers, url, cloud, issues, &total, &pages, &truncated);
    free(url);
    if (rc != MON_OK) {
        json_decref(issues);
        return rc;
    }
    return mon__result(result, json_pack("{s:o, s:I, s:b, s:i}", "issues", issues, "total", total,
                                         "truncated", truncated, "pages", pages));
}

/* POST body to url (JSON), expecting a 2xx; the reply is returned in *resp. */
static int post_json(mon_connector_call *call, char *headers[3], const char *url, json_t *body,
                     struct mon__http_response *resp)
{
    struct mon__http_request req = {
        "POST", url, (const char *const *)headers, NULL, 0, "application/json", MON__HTTP_JSON};
    char *text = json_dumps(body, JSON_COMPACT);
    int rc;

    json_decref(body);
    if (!text)
        return mon__error_nomem();
    req.body = text;
    rc = mon__http_do(call, &req, resp);
    free(text);
    return rc;
}

/* "/rest/api/2/issue/<escaped key><suffix>" from params.key. */
static int issue_url(char **url, mon_connector_call *call, json_t *params, const char *suffix)
{
    const char *key;
    char *escaped;
    int rc;

    *url = NULL;
    if ((rc = mon__param_str(&key, call, params, "key", 1)) != MON_OK)
        return rc;
    if (!(escaped = mon__http_escape(key)))
        return mon__error_nomem();
    *url = mon__http_url(call, "/rest/api/2/issue/%s%s", escaped, suffix);
    free(escaped);
    return *url ? MON_OK : mon__error_nomem();
}

static int add_comment(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    struct mon__http_response resp;
    const char *body;
    char *url;
    int rc;

    if ((rc = mon__param_str(&body, call, params, "body", 1)) != MON_OK ||
        (rc = issue_url(&url, call, params, "/comment")) != MON_OK)
        return rc;
    rc = post_json(call, headers, url, json_pack("{s:s}", "body", body), &resp);
    free(url);
    if (rc != MON_OK)
        return rc;
    rc = mon__result(result, json_pack("{s:O, s:O?}", "key", json_object_get(params, "key"), "comment_id",
                                       json_object_get(resp.json, "id")));
    mon__http_response_clear(&resp);
    return rc;
}

/* The id of the transition named name (case-insensitive, the transition's
 * name or its target status) among those the issue offers now. */
static int find_transition(const char **id, char available[200], const json_t *list, const char *name)
{
    const json_t *item;
    size_t i, used = 0;

    *id = NULL;
    json_array_foreach(list, i, item)
    {
        const char *tname = json_string_value(json_object_get(item, "name"));
        const char *to = json_string_value(json_object_get(json_object_get(item, "to"), "name"));
        if ((tname && strcasecmp(tname, name) == 0) || (to && strcasecmp(to, name) == 0)) {
            *id = json_string_value(json_object_get(item, "id"));
            return *id ? MON_OK : MON_EPROTO;
        }
        if (tname && used + strlen(tname) + 5 < 200)
            used += (size_t)snprintf(available + used, 200 - used, "%s\"%s\"", used ? ", " : "", tname);
    }
    return MON_ENOTFOUND;
}

static int transition_issue(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    struct mon__http_response resp, done;
    const char *name, *id = NULL;
    char *url, available[200] = "";
    int rc;

    if ((rc = mon__param_str(&name, call, params, "transition", 1)) != MON_OK ||
        (rc = issue_url(&url, call, params, "/transitions")) != MON_OK)
        return rc;
    if ((rc = mon__http_get_json(call, url, (const char *const *)headers, &resp)) != MON_OK) {
        free(url);
        return rc;
    }
    rc = find_transition(&id, available, json_object_get(resp.json, "transitions"), name);
    if (rc == MON_ENOTFOUND)
        rc = mon__call_error(call, MON_EINVAL, "params.transition",
                             "the issue offers no transition \"%.80s\" (offered: %s)", name,
                             *available ? available : "none");
    else if (rc != MON_OK)
        rc = mon__call_error(call, MON_EPROTO, NULL, "Jira: transition without \"id\"");
    if (rc == MON_OK)
        rc = post_json(call, headers, url, json_pack("{s:{s:s}}", "transition", "id", id), &done);
    if (rc == MON_OK) {
        mon__http_response_clear(&done);
        rc = mon__result(result, json_pack("{s:O, s:s, s:s}", "key", json_object_get(params, "key"),
                                           "transition", name, "transition_id", id));
    }
    mon__http_response_clear(&resp);
    free(url);
    return rc;
}

static int run(char **result, mon_connector_call *call, const char *action, const char *params_json,
               void *payload)
{
    char *headers[3];
    json_t *params = mon__params(params_json);
    int rc = make_headers(headers, call);

    if (rc == MON_OK) {
        if (strcmp(action, "create_incident") == 0)
            rc = create_incident(result, call, params, headers);
        else if (strcmp(action, "active_sprint") == 0)
            rc = active_sprint(result, call, params, headers);
        else if (strcmp(action, "add_comment") == 0)
            rc = add_comment(result, call, params, headers);
        else if (strcmp(action, "transition_issue") == 0)
            rc = transition_issue(result, call, params, headers);
        else
            rc = search(result, call, params, headers);
    }
    mon__http_header_free(headers[0]);
    json_decref(params);
    return rc;
}

static const mon_connector_action actions[] = {
    {"create_incident", "Create an issue (default type Bug) in the project, labelled monitoring.",
     "{\"type\":\"object\",\"required\":[\"summary\"],\"properties\":{\"summary\":{\"type\":\"string\"},"
     "\"description\":{\"type\":\"string\"},\"priority\":{\"type\":\"string\"},\"issue_type\":{\"type\":"
     "\"string\"},"
     "\"project_key\":{\"type\":\"string\"},\"labels\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
     "\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
    {"active_sprint", "The board's active sprint and its issues (pages up to max_pages).",
     "{\"type\":\"object\",\"properties\":{\"board_id\":{\"type\":\"integer\",\"minimum\":1}},"
     "\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"search",
     "Issues matching a JQL query (Cloud: /rest/api/3/search/jql; Data Center: /rest/api/2/search).",
     "{\"type\":\"object\",\"required\":[\"jql\"],\"properties\":{\"jql\":{\"type\":\"string\"},"
     "\"fields\":{\"type\":\"string\"}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"add_comment", "Add a comment to an issue.",
     "{\"type\":\"object\",\"required\":[\"key\",\"body\"],\"properties\":{\"key\":{\"type\":"
     "\"string\"},\"body\":{\"type\":\"string\"}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
    {"transition_issue",
     "Move an issue through the workflow transition of that name (or leading to the status of that name).",
     "{\"type\":\"object\",\"required\":[\"key\",\"transition\"],\"properties\":{\"key\":{\"type\":"
     "\"string\"},\"transition\":{\"type\":\"string\"}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
};

static const char *const credential_fields[] = {"api_token", NULL};

static const struct mon__env_field env[] = {
    {"JIRA_API_KEY", MON__ENV_CREDENTIAL, "api_token"},
    {"JIRA_BASE_URL", MON__ENV_BASE_URL, NULL},
    {"JIRA_PROJECT_KEY", MON__ENV_OPTION, "project_key"},
    {"JIRA_BOARD_ID", MON__ENV_OPTION_INT, "board_id"},
    {NULL, MON__ENV_BASE_URL, NULL},
};

const struct mon__builtin mon__connector_jira = {
    {MON_CONNECTOR_TYPE_VERSION, "JIRA",
     "Jira Cloud / Data Center: incidents, comments, transitions, active sprint, JQL search",
     credential_fields, actions, sizeof(actions) / sizeof(actions[0]), validate, test, run, NULL},
    env,
};
