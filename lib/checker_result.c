/* A check's result as a caller keeps it: copied, freed, turned into the record
 * the store writes; and mon_check_url(), one check of a URL on a checker of
 * its own. Only the public API of the checker is used here. */

#include "error_priv.h"
#include "monitorage/monitorage.h"

#include <stdlib.h>
#include <string.h>

int mon_check_result_dup(mon_check_result **out, const mon_check_result *r)
{
    if (!out || !r)
        return mon__error(MON_EINVAL, NULL, "arguments must not be NULL");
    *out = NULL;
    const char *strings[4] = {r->endpoint_id ? r->endpoint_id : "", r->url ? r->url : "",
                              r->remote_ip ? r->remote_ip : "", r->error_message};
    size_t size = sizeof(mon_check_result);
    for (int i = 0; i < 4; i++)
        size += strings[i] ? strlen(strings[i]) + 1 : 0;
    mon_check_result *copy = malloc(size);
    if (!copy)
        return mon__error_nomem();
    *copy = *r;
    copy->version = MON_CHECK_RESULT_VERSION;
    char *p = (char *)(copy + 1);
    const char **fields[4] = {&copy->endpoint_id, &copy->url, &copy->remote_ip, &copy->error_message};
    for (int i = 0; i < 4; i++) {
        if (!strings[i]) {
            *fields[i] = NULL;
            continue;
        }
        size_t len = strlen(strings[i]) + 1;
        memcpy(p, strings[i], len);
        *fields[i] = p;
        p += len;
    }
    *out = copy;
    return MON_OK;
}

void mon_check_result_free(mon_check_result *result)
{
    free(result);
}

int mon_check_result_to_record(mon_check_record *record, const mon_check_result *r)
{
    if (!record || !r)
        return mon__error(MON_EINVAL, NULL, "arguments must not be NULL");
    if (record->version != MON_CHECK_RECORD_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown check record version %u", record->version);
    const char *id = r->endpoint_id ? r->endpoint_id : "";
    if (strlen(id) >= sizeof(record->endpoint_id))
        return mon__error(MON_EINVAL, "endpoint_id", "not a UUID");
    memcpy(record->endpoint_id, id, strlen(id) + 1);
    record->status = r->status;
    record->status_code = r->status_code;
    record->latency_ms = r->latency_ms;
    record->error_message = r->error_message;
    record->checked_at = r->checked_at;
    record->dns_ms = r->dns_ms;
    record->connect_ms = r->connect_ms;
    record->tls_ms = r->tls_ms;
    record->ttfb_ms = r->ttfb_ms;
    return MON_OK;
}

static void keep_result(mon_checker *c, const mon_check_result *r, void *payload)
{
    mon_check_result **out = payload;
    if (mon_check_result_dup(out, r) != MON_OK)
        *out = NULL;
}

int mon_check_url(mon_check_result **out, const char *url, int timeout_ms)
{
    if (!out || !url)
        return mon__error(MON_EINVAL, NULL, "out and url must not be NULL");
    *out = NULL;
    if (timeout_ms < 100 || timeout_ms > 60000)
        return mon__error(MON_EINVAL, "timeout", "must be between 100 and 60000 ms");
    mon_endpoint *ep = NULL;
    mon_checker *c = NULL;
    mon_check_result *result = NULL;
    int rc = mon_endpoint_new(&ep);
    if (rc == MON_OK)
        rc = mon_endpoint_set_name(ep, "url");
    if (rc == MON_OK)
        rc = mon_endpoint_set_type(ep, MON_ENDPOINT_DOMAIN);
    if (rc == MON_OK)
        rc = mon_endpoint_set_url(ep, url);
    if (rc == MON_OK)
        rc = mon_endpoint_set_check_interval(ep, 86400);
    if (rc == MON_OK)
        rc = mon_endpoint_set_timeout_ms(ep, timeout_ms);
    if (rc == MON_OK)
        rc = mon_endpoint_set_retries(ep, 0);
    if (rc == MON_OK)
        rc = mon_checker_new(&c, NULL);
    if (rc == MON_OK)
        rc = mon_checker_submit(c, ep, keep_result, &result);
    if (rc == MON_OK)
        rc = mon_checker_run(c, -1);
    if (rc == MON_OK && !result)
        rc = mon__error_nomem();
    mon_checker_free(c);
    mon_endpoint_free(ep);
    if (rc != MON_OK) {
        mon_check_result_free(result);
        return rc;
    }
    *out = result;
    return MON_OK;
}
