#ifndef MON_LIB_AUDIT_PRIV_H
#define MON_LIB_AUDIT_PRIV_H

/* Shared between the audit files (append, query, verify). Never installed.
 * The canonical encoding is specified in docs/audit.md. */

#include "monitorage/audit.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#define MON__AUDIT_HASH_BYTES 32

/* Every appender and the retention take this transaction-level advisory lock
 * before reading the head of the chain, so appends are serialised in commit order. */
#define MON__AUDIT_LOCK_KEY 0x6d6f6e61756469LL

/* The fields of one row, as hashed. NULL strings are SQL NULLs. */
struct mon__audit_fields {
    int64_t seq;
    const unsigned char *prev_hash; /* MON__AUDIT_HASH_BYTES */
    const char *id;                 /* lower-case UUID text */
    const char *action;
    const char *target;
    const char *user_id;
    const char *user_email;
    const char *user_roles;         /* PostgreSQL's jsonb text of the value */
    const char *ip_address;
    const char *user_agent;
    const char *parameters;         /* PostgreSQL's jsonb text of the value */
    const char *result;             /* "SUCCESS" or "FAILURE" */
    const char *error_message;
    mon_time created_at;            /* microseconds since the epoch */
};

/* An entry validated and ready for the chain: its new id, roles and redacted parameters. */
struct mon__audit_prepared {
    char id[MON_AUDIT_ID_SIZE];
    const mon_audit_entry *entry; /* borrowed */
    json_t *roles;
    json_t *params;
};

/*
 * Validate e (errors name prefix + field, e.g. "entries[3].ip_address"),
 * parse its roles and parameters, redact the parameters and give it an id.
 * internal = 1 lets the library use its reserved action. On error the caller
 * still releases p's JSON values.
 */
int mon__audit_prepare(struct mon__audit_prepared *p, const mon_audit_entry *e, const char *prefix, int internal);

/* Release the JSON values of count prepared entries and free the array. */
void mon__audit_release(struct mon__audit_prepared *p, size_t count);

/*
 * 1 if key looks secret: it contains, ignoring case and '-', '_', one of the
 * words listed for mon_audit_redact_json(). The one list of the library
 * (audit parameters, connector audit events).
 */
int mon__audit_key_is_secret(const char *key);

/* BLAKE2b-256 (crypto_generichash) of the canonical encoding of f. */
void mon__audit_hash(unsigned char out[MON__AUDIT_HASH_BYTES], const struct mon__audit_fields *f);

/*
 * Record the error of a failed audit statement: the append-only trigger's
 * SQLSTATE MA001 becomes MON_EFORBIDDEN, anything else is mapped by
 * mon__store_result_error().
 */
int mon__audit_result_error(PGconn *conn, const PGresult *res, const char *what);

/*
 * Append the audit row of a library change: action on target with
 * parameters_json (may be NULL), by actor (NULL or no user_id: the system,
 * user id and email "system"), result from rc (MON_OK or an error whose detail
 * is mon_error_last(), stored as the row's error_message). When rc is an error
 * the caller's error (code, field, detail) is kept and rc is returned, else
 * the append's code.
 */
int mon__audit_change(mon_store *store, const mon_audit_entry *actor, const char *action, const char *target,
                      const char *parameters_json, int rc);

/* Decode "\x..." (bytea text output) into out; 0 on success, -1 if malformed or not 32 bytes. */
int mon__audit_hash_from_bytea(unsigned char out[MON__AUDIT_HASH_BYTES], const char *text);

#endif
