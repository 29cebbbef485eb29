#define _GNU_SOURCE /* asprintf */
/* GITHUB: GitHub REST API (CONNECTORS.md §3). Bearer PAT, versioned JSON
 * media type; runs paged through the Link header; primary and secondary
 * rate limits handled by the HTTP helper. */
#include "http.h"
#include "error_priv.h"

#include <stdlib.h>
#include <string.h>

#define API_VERSION "2022-11-28"

static int validate(mon_connector_call *call, void *payload)
{
    const char *token;
    int rc;
    if ((rc = mon__check_base_url(call, 1)) != MON_OK ||
        (rc = mon__need_cred(&token, call, "token")) != MON_OK ||
        (rc = mon__check_opt_string(call, "owner", 1)) != MON_OK ||
        (rc = mon__check_opt_string(call, "repo", 1)) != MON_OK)
        return rc;
    return MON_OK;
}

struct gh {
    char *headers[4];
    char *repo_path; /* "/repos/<owner>/<repo>", escaped */
};

static void gh_free(struct gh *gh)
{
    mon__http_header_free(gh->headers[0]);
    free(gh->repo_path);
}

static int gh_init(struct gh *gh, mon_connector_call *call)
{
    const char *token, *owner, *repo;
    char *value = NULL, *o = NULL, *r = NULL;
    int rc;

    memset(gh, 0, sizeof(*gh));
    mon__http_set_system(call, "GitHub");
    if ((rc = mon__need_cred(&token, call, "token")) != MON_OK ||
        (rc = mon__need_opt(&owner, call, "owner")) != MON_OK ||
        (rc = mon__need_opt(&repo, call, "repo")) != MON_OK)
        return rc;
    if (asprintf(&value, "Bearer %s", token) < 0)
        value = NULL;
    gh->headers[0] = value ? mon__http_header("Authorization", value) : NULL;
    mon__wipe_free(value);
    gh->headers[1] = "Accept: application/vnd.github+json";
    gh->headers[2] = "X-GitHub-Api-Version: " API_VERSION;
    o = mon__http_escape(owner);
    r = mon__http_escape(repo);
    if (o && r && asprintf(&gh->repo_path, "/repos/%s/%s", o, r) < 0)
        gh->repo_path = NULL;
    free(o);
    free(r);
    if (!gh->headers[0] || !gh->repo_path) {
        gh_free(gh);
        return mon__error_nomem();
    }
    return MON_OK;
}

static int test(char **result, mon_connector_call *call, void *payload)
{
    struct gh gh;
    struct mon__http_response resp;
    char *url;
    json_t *j;
    int rc = gh_init(&gh, call);

    if (rc != MON_OK)
        return rc;
    url = mon__http_url(call, "%s", gh.repo_path);
    rc = url ? mon__http_get_json(call, url, (const char *const *)gh.headers, &resp) : mon__error_nomem();
    if (rc == MON_OK && !json_is_object(resp.json))
        rc = mon__call_error(call, MON_EPROTO, NULL, "GitHub: repository is not a JSON object");
    if (rc == MON_OK) {
        j = resp.json;
        rc = mon__result(result,
                         json_pack("{s:b, s:O?, s:O?, s:O?, s:O?, s:O?, s:I}", "ok", 1, "full_name",
                                   json_object_get(j, "full_name"), "private", json_object_get(j, "private"),
                                   "default_branch", json_object_get(j, "default_branch"), "archived",
                                   json_object_get(j, "archived"), "permissions",
                                   json_object_get(j, "permissions"), "rate_limit_remaining",
                                   (json_int_t)resp.ratelimit_remaining));
    }
    mon__http_response_clear(&resp);
    free(url);
    gh_free(&gh);
    return rc;
}

static json_t *run_summary(const json_t *run)
{
    static const char *const keys[] = {"id",         "name",        "head_branch", "head_sha",
                                       "run_number", "run_attempt", "event",       "status",
                                       "conclusion", "workflow_id", "html_url",    "created_at"};
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *value = json_object_get(run, keys[i]);
        json_object_set(out, keys[i], value ? value : json_null());
    }
    return out;
}

static int list_failed_runs(char **result, mon_connector_call *call, json_t *params, struct gh *gh)
{
    const char *branch, *status;
    long long per_page;
    char *url = NULL, *b = NULL, *s = NULL;
    json_t *runs = json_array();
    json_int_t total = 0;
    int pages = 0, truncated = 0, rc;

    if ((rc = mon__param_str(&branch, call, params, "branch", 0)) != MON_OK ||
        (rc = mon__param_str(&status, call, params, "status", 0)) != MON_OK ||
        (rc = mon__param_int(&per_page, call, params, "per_page", 20, 1, 100)) != MON_OK) {
        json_decref(runs);
        return rc;
    }
    s = mon__http_escape(status ? status : "failure");
    b = branch ? mon__http_escape(branch) : NULL;
    if (s && (!branch || b))
        url = mon__http_url(call, "%s/actions/runs?status=%s%s%s&per_page=%lld&page=1", gh->repo_path, s,
                            b ? "&branch=" : "", b ? b : "", per_page);
    free(s);
    free(b);
    while (url) {
        struct mon__http_response resp;
        json_t *items, *item;
        size_t i;

        rc = mon__http_get_json(call, url, (const char *const *)gh->headers, &resp);
        free(url);
        url = NULL;
        if (rc != MON_OK)
            break;
        items = json_object_get(resp.json, "workflow_runs");
        if (!json_is_array(items)) {
            mon__http_response_clear(&resp);
            rc = mon__call_error(call, MON_EPROTO, NULL, "GitHub: run list without \"workflow_runs\"");
            break;
        }
        json_array_foreach(items, i, item) json_array_append_new(runs, run_summary(item));
        total = json_integer_value(json_object_get(resp.json, "total_count"));
        pages++;
        if (resp.link_next && pages >= call->max_pages)
            truncated = 1;
        else if (resp.link_next && mon__http_same_origin(call, resp.link_next))
            url = strdup(resp.link_next);
        else if (resp.link_next)
            rc = mon__call_error(call, MON_EPROTO, NULL, "GitHub: next page link points to another host");
        mon__http_response_clear(&resp);
        if (rc != MON_OK)
            break;
    }
    if (rc == MON_OK && pages == 0)
        rc = mon__error_nomem();
    if (rc != MON_OK) {
        json_decref(runs);
        return rc;
    }
    return mon__result(result, json_pack("{s:o, s:I, s:b, s:i}", "runs", runs, "total_count", total,
                                         "truncated", truncated, "pages", pages));
}

/* POST a body-less or JSON request under the repository (any 2xx is success). */
static int post(mon_connector_call *call, struct gh *gh, const char *path, const char *body)
{
    struct mon__http_request req = {
        "POST", NULL, (const char *const *)gh->headers, body, 0, body ? "application/json" : NULL, 0};
    struct mon__http_response resp;
    char *url = mon__http_url(call, "%s%s", gh->repo_path, path);
    int rc;

    if (!url)
        return mon__error_nomem();
    req.url = url;
    rc = mon__http_do(call, &req, &resp);
    mon__http_response_clear(&resp);
    free(url);
    return rc;
}

static int run_verb(char **result, mon_connector_call *call, json_t *params, struct gh *gh, const char *verb)
{
    long long run_id;
    char path[96];
    int rc;

    if (!json_object_get(params, "run_id"))
        return mon__call_error(call, MON_EINVAL, "params.run_id", "is required");
    if ((rc = mon__param_int(&run_id, call, params, "run_id", 0, 1, (long long)1 << 53)) != MON_OK)
        return rc;
    snprintf(path, sizeof(path), "/actions/runs/%lld/%s", run_id, verb);
    if ((rc = post(call, gh, path, NULL)) != MON_OK)
        return rc;
    return mon__result(
        result, json_pack("{s:I, s:s, s:b}", "run_id", (json_int_t)run_id, "requested", verb, "accepted", 1));
}

static int dispatch(char **result, mon_connector_call *call, json_t *params, struct gh *gh)
{
    const char *workflow, *ref;
    json_t *inputs = json_object_get(params, "inputs"), *body;
    char *text, *escaped, path[600];
    int rc;

    if ((rc = mon__param_str(&workflow, call, params, "workflow", 1)) != MON_OK ||
        (rc = mon__param_str(&ref, call, params, "ref", 0)) != MON_OK)
        return rc;
    if (inputs && !json_is_object(inputs))
        return mon__call_error(call, MON_EINVAL, "params.inputs", "must be an object");
    ref = ref ? ref : mon__opt_str(call, "default_branch", "main");
    body = json_pack("{s:s}", "ref", ref);
    if (inputs)
        json_object_set(body, "inputs", inputs);
    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    escaped = mon__http_escape(workflow);
    if (!text || !escaped) {
        free(text);
        free(escaped);
        return mon__error_nomem();
    }
    snprintf(path, sizeof(path), "/actions/workflows/%s/dispatches", escaped);
    rc = post(call, gh, path, text);
    free(text);
    free(escaped);
    if (rc != MON_OK)
        return rc;
    return mon__result(result,
                       json_pack("{s:s, s:s, s:b}", "workflow", workflow, "ref", ref, "dispatched", 1));
}

static int run(char **result, mon_connector_call *call, const char *action, const char *params_json,
               void *payload)
{
    struct gh gh;
    json_t *params = mon__params(params_json);
    int rc = gh_init(&gh, call);

    if (rc == MON_OK) {
        if (strcmp(action, "list_failed_runs") == 0)
            rc = list_failed_runs(result, call, params, &gh);
        else if (strcmp(action, "rerun_failed_jobs") == 0)
            rc = run_verb(result, call, params, &gh, "rerun-failed-jobs");
        else if (strcmp(action, "rerun") == 0)
            rc = run_verb(result, call, params, &gh, "rerun");
        else if (strcmp(action, "cancel_run") == 0)
            rc = run_verb(result, call, params, &gh, "cancel");
        else
            rc = dispatch(result, call, params, &gh);
        gh_free(&gh);
    }
    json_decref(params);
    return rc;
}

#define RUN_ID_SCHEMA                                                                                        \
    "{\"type\":\"object\",\"required\":[\"run_id\"],\"properties\":{\"run_id\":{\"type\":\"integer\","       \
    "\"minimum\":1}},"                                                                                       \
    "\"additionalProperties\":false}"

static const mon_connector_action actions[] = {
    {"list_failed_runs",
     "List workflow runs with a status (default failure), following pages up to max_pages.",
     "{\"type\":\"object\",\"properties\":{\"branch\":{\"type\":\"string\"},\"status\":{\"type\":\"string\"},"
     "\"per_page\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_READER},
    {"rerun_failed_jobs", "Re-run the failed jobs of a workflow run.", RUN_ID_SCHEMA,
     MON_CONNECTOR_ROLE_OPERATOR},
    {"rerun", "Re-run a whole workflow run.", RUN_ID_SCHEMA, MON_CONNECTOR_ROLE_OPERATOR},
    {"cancel_run", "Cancel a workflow run.", RUN_ID_SCHEMA, MON_CONNECTOR_ROLE_OPERATOR},
    {"dispatch_workflow", "Start a workflow (workflow_dispatch) on a ref with inputs.",
     "{\"type\":\"object\",\"required\":[\"workflow\"],\"properties\":{\"workflow\":{\"type\":\"string\"},"
     "\"ref\":{\"type\":\"string\"},\"inputs\":{\"type\":\"object\"}},\"additionalProperties\":false}",
     MON_CONNECTOR_ROLE_OPERATOR},
};

static const char *const credential_fields[] = {"token", NULL};

static const struct mon__env_field env[] = {
    {"GITHUB_PAT", MON__ENV_CREDENTIAL, "token"},
    {"GITHUB_OWNER", MON__ENV_OPTION, "owner"},
    {"GITHUB_REPO", MON__ENV_OPTION, "repo"},
    {NULL, MON__ENV_BASE_URL, NULL},
};

const struct mon__builtin mon__connector_github = {
    {MON_CONNECTOR_TYPE_VERSION, "GITHUB", "GitHub Actions: failed runs, re-runs, cancel, workflow dispatch",
     credential_fields, actions, sizeof(actions) / sizeof(actions[0]), validate, test, run, NULL},
    env,
};
