/* Notification rules and the replies of ticket trackers, parsed without a
 * database: the rule JSON of the API (lib/notify.c: parsing, every field,
 * each channel's block, the webhook URL and secret) and the ticket key the
 * dispatcher reads from a JIRA or GLPI connector's reply, which a hostile
 * or broken upstream controls (lib/notify_deliver.c). Input: a mode byte
 * (0 rule; 1 Jira create, 2 GLPI create, 3 Jira search, 4 GLPI search) and
 * the text. Invariants: a rule that validates has a known channel, at least
 * one event, a config object without the webhook secret, and a webhook
 * rule has its URL; the outcome, the error message and the config are the
 * same when the secret is replaced by another value of the same length (so
 * neither holds it). A ticket key read from a reply is the reply's value
 * whole, one the close step's connector action accepts (GLPI: an id from 1
 * to 2^53), without control characters; a refused reply has a message. */
#include "fuzz.h"

#include "notify_priv.h"

#include <monitorage/monitorage.h>

/* Validate in; *message receives the error message (or NULL), *config the config JSON (or NULL). */
static int rule_check(json_t *in, char **message, char **config)
{
    struct mon__notify_rule r;
    int rc = mon__notify_rule_check(&r, in);

    *message = rc != MON_OK ? strdup(mon_error_last()) : NULL;
    *config = rc == MON_OK ? json_dumps(r.config, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    FUZZ_ASSERT(rc == MON_OK ? *config != NULL : *message != NULL && **message != '\0');
    if (rc == MON_OK) {
        FUZZ_ASSERT(strcmp(r.channel, "webhook") == 0 || strcmp(r.channel, "jira") == 0 ||
                    strcmp(r.channel, "glpi") == 0);
        FUZZ_ASSERT(r.name && *r.name && (r.on_opened || r.on_resolved));
        FUZZ_ASSERT(json_is_object(r.config) && !json_object_get(r.config, "secret"));
        FUZZ_ASSERT(strcmp(r.channel, "webhook") != 0 || json_is_string(json_object_get(r.config, "url")));
        FUZZ_ASSERT(!r.secret || (strlen(r.secret) >= 16 && strlen(r.secret) <= 512));
    }
    json_decref(r.config);
    return rc;
}

/* The rule is validated twice: as given, and with its webhook secret replaced by another value of the
 * same length. Only the secret's length may matter: the same outcome, message and config both times. */
static void check_rule(const char *text)
{
    json_t *in = NULL, *other, *block;
    char *message, *config, *other_message, *other_config;
    const char *secret;
    int rc;

    if (mon__notify_parse_object(&in, text, "rule") != MON_OK) {
        FUZZ_ASSERT(in == NULL && *mon_error_last() != '\0');
        return;
    }
    other = json_deep_copy(in);
    FUZZ_ASSERT(other != NULL);
    rc = rule_check(in, &message, &config);
    block = json_object_get(other, "webhook");
    secret = json_string_value(json_object_get(block, "secret"));
    if (secret) {
        size_t len = json_string_length(json_object_get(block, "secret"));
        char *replaced = malloc(len + 1);
        FUZZ_ASSERT(replaced != NULL);
        memset(replaced, secret[0] == 'S' ? 'T' : 'S', len);
        replaced[len] = '\0';
        FUZZ_ASSERT(json_object_set_new(block, "secret", json_stringn(replaced, len)) == 0);
        free(replaced);
        FUZZ_ASSERT(rule_check(other, &other_message, &other_config) == rc);
        FUZZ_ASSERT(rc == MON_OK ? strcmp(config, other_config) == 0 : strcmp(message, other_message) == 0);
        free(other_message);
        free(other_config);
    }
    free(message);
    free(config);
    json_decref(other);
    json_decref(in);
}

/* The value the reply names as the ticket (mode 1 to 4), or NULL. */
static json_t *reply_value(json_t *reply, int jira, int search)
{
    json_t *item = search ? json_array_get(json_object_get(reply, jira ? "issues" : "results"), 0) : reply;
    return json_object_get(item, jira ? "key" : search ? "2" : "id");
}

static void check_reply(const char *text, int jira, int search)
{
    char key[MON__TICKET_KEY_MAX];
    json_t *reply = json_loads(text, 0, NULL), *value = reply_value(reply, jira, search);

    memset(key, 'x', sizeof(key));
    if (mon__notify_reply_ticket(key, text, jira, search) != MON_OK) {
        FUZZ_ASSERT(*mon_error_last() != '\0');
        json_decref(reply);
        return;
    }
    FUZZ_ASSERT(memchr(key, '\0', sizeof(key)) != NULL);
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        FUZZ_ASSERT(*c >= 0x20 && *c != 0x7f);
    if (*key && jira) {
        FUZZ_ASSERT(strcmp(key, json_string_value(value)) == 0);
    } else if (*key) {
        char *end;
        long long id = strtoll(key, &end, 10);
        FUZZ_ASSERT(*end == '\0' && id == json_integer_value(value));
        FUZZ_ASSERT(id >= 1 && id <= (1LL << 53));
    }
    json_decref(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    char *text;
    int mode;

    if (!ready) {
        FUZZ_ASSERT(mon_global_init() == MON_OK);
        ready = 1;
    }
    if (size < 1)
        return 0;
    text = fuzz_text(data + 1, size - 1);
    mode = data[0] % 5;
    if (mode == 0)
        check_rule(text);
    else
        check_reply(text, mode % 2 == 1, mode >= 3);
    free(text);
    return 0;
}
