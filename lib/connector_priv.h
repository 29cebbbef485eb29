#ifndef MON_LIB_CONNECTOR_PRIV_H
#define MON_LIB_CONNECTOR_PRIV_H

/* Registry internals shared by connector.c (registry, calls, audit) and
 * connector_store.c (stored configuration, environment import). */

#include "connectors/connectors_priv.h"

struct mon__registered {
    mon_connector_type type;
    const struct mon__builtin *builtin; /* NULL for a type registered by the program */
};

#define MON__CACHE_MAX 16
struct mon__cache_entry {
    char connector[51];
    char key[32];
    char *value;          /* sodium_malloc'd; NULL when the slot is free */
    long long expires_at; /* CLOCK_MONOTONIC seconds */
};

struct mon_connectors {
    mon_store *store;
    const mon_secret_key *key;
    struct mon__registered *types;
    size_t count, cap;
    mon_connector_audit_fn hook;
    void *hook_payload;
    struct mon__cache_entry cache[MON__CACHE_MAX];
};

/* A connector's row (connectors or custom_connectors); absent rows read as defaults. */
struct mon__stored {
    char *base_url;    /* NULL when unset */
    char *options;     /* JSON object text, never NULL after load */
    char *credentials; /* ciphertext, NULL when none */
    int enabled;
    char *created_at, *updated_at; /* NULL when no row exists */
};

const struct mon__registered *mon__registry_find(const mon_connectors *reg, const char *name);
/* mon__registry_find() into *rt, or MON_ENOTFOUND (field "connector") naming the missing type. */
int mon__registry_get(const struct mon__registered **rt, const mon_connectors *reg, const char *name);
int mon__stored_load(struct mon__stored *out, mon_connectors *reg, const struct mon__registered *rt);
int mon__stored_save(mon_connectors *reg, const struct mon__registered *rt, const struct mon__stored *stored);
void mon__stored_clear(struct mon__stored *stored);

/* Decrypt with reg's key and parse stored->credentials into *creds (left NULL
 * when there are none). MON_EKEY without a key; mon_secret_decrypt() and
 * mon__creds_parse() errors otherwise. Free with mon__creds_free(). */
int mon__stored_creds(struct mon__creds **creds, const mon_connectors *reg, const struct mon__stored *stored);

/* Build a call from a stored (or about to be stored) configuration: common
 * options checked, credentials from plain (already decrypted or given by the
 * caller, plain_len bytes) or else decrypted from stored->credentials. Free
 * with mon__call_free(). connector.c runs every test and action through it;
 * tests/fuzz/fuzz_connector.c too. */
int mon__call_new(mon_connector_call **out, mon_connectors *reg, const struct mon__registered *rt,
                  const struct mon__stored *stored, const char *plain, size_t plain_len);
void mon__call_free(mon_connector_call *call);

/* Check the merged configuration: common options, credential names, the type's validate(). */
int mon__config_validate(mon_connectors *reg, const struct mon__registered *rt,
                         const struct mon__stored *stored, const char *credentials_plain,
                         size_t credentials_len);

/* Forget cached values (tokens) of one connector. */
void mon__cache_drop_connector(mon_connectors *reg, const char *name);

#endif
