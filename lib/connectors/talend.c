#define _GNU_SOURCE /* asprintf, strcasestr */
/* TALEND: Talend Cloud / Qlik Talend Management Console (CONNECTORS.md §1).
 * Bearer personal access token; tasks paged with limit/offset/total. */
#include "http.h"
#include "error_priv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE_SIZE 100

static int validate(mon_connector_call *call, void *payload)
{
    const char *token;
    int rc;
    if ((rc = mon__check_base_url(call, 1)) != MON_OK ||
        (rc = mon__need_cred(&token, call, "token")) != MON_OK ||
        (rc = mon__check_opt_string(call, "workspace_id", 0)) != MON_OK ||
        (rc = mon__check_opt_string(call, "environment_id", 0)) != MON_OK)
        return rc;
    return MON_OK;
}

/* Authorization and Accept headers; free with free_headers(). */
static int make_headers(char *headers[3], mon_connector_call *call)
{
    const char *token;
    char *value = NULL;
    int rc;

    mon__http_set_system(call, "Talend");
    headers[0] = headers[1] = headers[2] = NULL;
    if ((rc = mon__need_cred(&token, call, "token")) != MON_OK)
        return rc;
    if (asprintf(&value, "Bearer %s", token) < 0 ||
        !(headers[0] = mon__http_header("Authorization", value))) {
        mon__wipe_free(value);
        return mon__error_nomem();
    }
    mon__wipe_free(value);
    headers[1] = "Accept: application/json";
    return MON_OK;
}

static void free_headers(char *headers[3])
{
    mon__http_header_free(headers[0]);
}

static int test(char **result, mon_connector_call *call, void *payload)
{
    char *headers[3], *url;
    struct mon__http_response resp;
    int rc;

    if ((rc = make_headers(headers, call)) != MON_OK)
        return rc;
    url = mon__http_url(call, "/orchestration/executables/tasks?limit=1");
    rc = url ? mon__http_add_query(&url, "workspaceId", mon__opt_str(call, "workspace_id", NULL))
             : mon__error_nomem();
    if (rc == MON_OK)
        rc = mon__http_get_json(call, url, (const char *const *)headers, &resp);
    if (rc == MON_OK)
        rc = mon__result(
            result, json_pack("{s:b, s:s, s:I}", "ok", 1, "checked", "GET /orchestration/executables/tasks",
                              "total", (json_int_t)json_integer_value(json_object_get(resp.json, "total"))));
    mon__http_response_clear(&resp);
    free(url);
    free_headers(headers);
    return rc;
}

static json_t *task_summary(const json_t *item)
{
    const json_t *id = json_object_get(item, "executable");
    const json_t *workspace = json_object_get(json_object_get(item, "workspace"), "id");
    if (!json_is_string(id))
        id = json_object_get(item, "id");
    return json_pack("{s:O?, s:O?, s:O?, s:O?}", "id", id, "name", json_object_get(item, "name"),
                     "workspace_id", workspace, "environment_id",
                     json_object_get(json_object_get(item, "environment"), "id"));
}

static int list_tasks(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    const char *workspace, *environment;
    json_t *tasks = json_array();
    long long total = -1, offset = 0;
    int pages = 0, truncated = 0, rc;

    if ((rc = mon__param_str(&workspace, call, params, "workspace_id", 0)) != MON_OK ||
        (rc = mon__param_str(&environment, call, params, "environment_id", 0)) != MON_OK) {
        json_decref(tasks);
        return rc;
    }
    workspace = workspace ? workspace : mon__opt_str(call, "workspace_id", NULL);
    environment = environment ? environment : mon__opt_str(call, "environment_id", NULL);
    for (;;) {
        struct mon__http_response resp;
        json_t *items, *item;
        size_t i, got;
        char *url =
            mon__http_url(call, "/orchestration/executables/tasks?limit=%d&offset=%lld", PAGE_SIZE, offset);

        if (!url || mon__http_add_query(&url, "workspaceId", workspace) != MON_OK ||
            mon__http_add_query(&url, "environmentId", environment) != MON_OK) {
            free(url);
            rc = mon__error_nomem();
            break;
        }
        rc = mon__http_get_json(call, url, (const char *const *)headers, &resp);
        free(url);
        if (rc != MON_OK)
            break;
        items = json_is_array(resp.json) ? resp.json : json_object_get(resp.json, "items");
        if (!json_is_array(items)) {
            mon__http_response_clear(&resp);
            rc = mon__call_error(call, MON_EPROTO, NULL, "Talend: task list without \"items\"");
            break;
        }
        json_array_foreach(items, i, item) json_array_append_new(tasks, task_summary(item));
        if (json_is_integer(json_object_get(resp.json, "total")))
            total = json_integer_value(json_object_get(resp.json, "total"));
        got = json_array_size(items);
        offset += (long long)got;
        pages++;
        mon__http_response_clear(&resp);
        /* Without "total", a short page is the last one. */
        if (got == 0 || (total >= 0 && offset >= total) || (total < 0 && got < PAGE_SIZE))
            break;
        if (pages >= call->max_pages) {
            truncated = 1;
            break;
        }
    }
    if (rc != MON_OK) {
        json_decref(tasks);
        return rc;
    }
    return mon__result(result, json_pack("{s:o, s:I, s:b, s:i}", "tasks", tasks, "total",
                                         (json_int_t)(total >= 0 ? total : (long long)json_array_size(tasks)),
                                         "truncated", truncated, "pages", pages));
}

static int run_task(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    const char *task, *level;
    long long timeout;
    json_t *body, *parameters = json_object_get(params, "parameters");
    struct mon__http_request req = {
        "POST", NULL, (const char *const *)headers, NULL, 0, "application/json", MON__HTTP_JSON};
    struct mon__http_response resp;
    char *url, *text;
    int rc;

    if ((rc = mon__param_str(&task, call, params, "task_id", 1)) != MON_OK ||
        (rc = mon__param_str(&level, call, params, "log_level", 0)) != MON_OK ||
        (rc = mon__param_int(&timeout, call, params, "timeout", 0, 0, 86400)) != MON_OK)
        return rc;
    if (parameters && !json_is_object(parameters))
        return mon__call_error(call, MON_EINVAL, "params.parameters", "must be an object of strings");
    body = json_pack("{s:s}", "executable", task);
    if (level)
        json_object_set_new(body, "logLevel", json_string(level));
    if (parameters)
        json_object_set(body, "parameters", parameters);
    if (timeout > 0)
        json_object_set_new(body, "timeout", json_integer(timeout));
    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    url = mon__http_url(call, "/processing/executions");
    if (!text || !url) {
        free(text);
        free(url);
        return mon__error_nomem();
    }
    req.url = url;
    req.body = text;
    rc = mon__http_do(call, &req, &resp);
    if (rc == MON_OK && !json_is_string(json_object_get(resp.json, "executionId")))
        rc = mon__call_error(call, MON_EPROTO, NULL,
                             "Talend: execution started but no \"executionId\" in reply");
    if (rc == MON_OK)
        rc = mon__result(result, json_pack("{s:O, s:s}", "execution_id",
                                           json_object_get(resp.json, "executionId"), "task_id", task));
    mon__http_response_clear(&resp);
    free(text);
    free(url);
    return rc;
}

/* executing -> running; FAIL / REJECT / TERMINAT -> failed; SUCCESS -> succeeded. */
static const char *state_of(const char *status)
{
    if (!status)
        return "unknown";
    if (strcasestr(status, "fail") || strcasestr(status, "reject") || strcasestr(status, "terminat"))
        return "failed";
    if (strcasestr(status, "success"))
        return "succeeded";
    if (strcasestr(status, "execut") || strcasestr(status, "running") || strcasestr(status, "dispatch"))
        return "running";
    return "unknown";
}

static int execution_status(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    const char *id;
    char *escaped, *url;
    struct mon__http_response resp;
    json_t *j;
    int rc;

    if ((rc = mon__param_str(&id, call, params, "execution_id", 1)) != MON_OK)
        return rc;
    if (!(escaped = mon__http_escape(id)))
        return mon__error_nomem();
    url = mon__http_url(call, "/processing/executions/%s", escaped);
    free(escaped);
    if (!url)
        return mon__error_nomem();
    rc = mon__http_get_json(call, url, (const char *const *)headers, &resp);
    free(url);
    if (rc == MON_OK && !json_is_object(resp.json))
        rc = mon__call_error(call, MON_EPROTO, NULL, "Talend: execution status is not a JSON object");
    if (rc == MON_OK) {
        j = resp.json;
        rc = mon__result(result, json_pack("{s:s, s:O?, s:s, s:O?, s:O?, s:O?, s:O?, s:O?}", "execution_id",
                                           id, "status", json_object_get(j, "executionStatus"), "state",
                                           state_of(json_string_value(json_object_get(j, "executionStatus"))),
                                           "job_id", json_object_get(j, "jobId"), "started_at",
                                           json_object_get(j, "startTimestamp"), "finished_at",
                                           json_object_get(j, "finishTimestamp"), "rows_processed",
                                           json_object_get(j, "numberOfProcessedRows"), "rows_rejected",
                                           json_object_get(j, "numberOfRejectedRows")));
    }
    mon__http_response_clear(&resp);
    return rc;
}

static int recent_failures(char **result, mon_connector_call *call, json_t *params, char *headers[3])
{
    const char *environment;
    long long days;
    char *url;
    struct mon__http_response resp;
    json_t *items;
    int rc;

    if ((rc = mon__param_int(&days, call, params, "last_days", 7, 1, 90)) != MON_OK ||
        (rc = mon__param_str(&environment, call, params, "environment_id", 0)) != MON_OK)
        return rc;
    environment = environment ? environment : mon__opt_str(call, "environment_id", NULL);
    url = mon__http_url(
        call, "/processing/executables/tasks/executions?lastDays=%lld&status=execution_failed", days);
    if (!url || mon__http_add_query(&url, "environmentId", environment) != MON_OK) {
        free(url);
        return mon__error_nomem();
    }
    rc = mon__http_get_json(call, url, (const char *const *)headers, &resp);
    free(url);
    if (rc != MON_OK)
        return rc;
    items = json_is_array(resp.json) ? resp.json : json_object_get(resp.json, "items");
    if (!json_is_array(items))
        rc = mon__call_error(call, MON_EPROTO, NULL,
                             "Talend: failure list is neither an array nor has \"items\"");
    else
        rc = mon__result(result, json_pack("{s:O, s:I}", "executions", items, "last_days", (json_int_t)days));
    mon__http_response_clear(&resp);
    return rc;
}

static int run(char **result, mon_connector_call *call, const char *action, const char *params_json,
               void *payload)
{
    char *headers[3];
    json_t *params = mon__params(params_json);
    int rc = make_headers(headers, call);

    if (rc == MON_OK) {
        if (strcmp(action, "list_tasks") == 0)
            rc = list_tasks(result, call, params, headers);
        else if (strcmp(action, "run_task") == 0)
            rc = run_task(result, call, params, headers);
        else if (strcmp(action, "execution_status") == 0)
            rc = execution_status(result, call, params, headers);
        else
            rc = recent_failures(result, call, params, headers);
    }
    free_headers(headers);
    json_decref(params);
    return rc;
}

static const mon_connector_action actions[] = {
    {"list_tasks", "List the executable tasks (all pages up to max_pages).",
     "{\"type\":\"object\",\"properties\":{\"workspace_id\":{\"type\":\"string\"},"
     "\"environment_id\":{\"type\":\"string\"}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"run_task", "Start an execution of a task.",
     "{\"type\":\"object\",\"required\":[\"task_id\"],\"properties\":{\"task_id\":{\"type\":\"string\"},"
     "\"log_level\":{\"enum\":[\"INFO\",\"WARN\",\"ERROR\"]},\"parameters\":{\"type\":\"object\"},"
     "\"timeout\":{\"type\":\"integer\",\"minimum\":0}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
    {"execution_status", "Status of one execution (running, succeeded, failed).",
     "{\"type\":\"object\",\"required\":[\"execution_id\"],\"properties\":{\"execution_id\":{\"type\":"
     "\"string\"}},"
     "\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"recent_failures", "Failed task executions of the last days.",
     "{\"type\":\"object\",\"properties\":{\"last_days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":90},"
     "\"environment_id\":{\"type\":\"string\"}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
};

static const char *const credential_fields[] = {"token", NULL};

static const struct mon__env_field env[] = {
    {"TALEND_API_KEY", MON__ENV_CREDENTIAL, "token"},
    {"TALEND_BASE_URL", MON__ENV_BASE_URL, NULL},
    {NULL, MON__ENV_BASE_URL, NULL},
};

const struct mon__builtin mon__connector_talend = {
    {MON_CONNECTOR_TYPE_VERSION, "TALEND", "Talend Cloud: tasks, executions and recent failures",
     credential_fields, actions, sizeof(actions) / sizeof(actions[0]), validate, test, run, NULL},
    env,
};
