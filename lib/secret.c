#include "secret_priv.h"
#include "error_priv.h"
#include "store_priv.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_VERSION "mon1"
#define ALG_AESGCM "a256gcm"
#define ALG_XCHACHA "xc20p"
/* Both AEADs use a 16-byte tag; nonces differ (12 and 24 bytes). */
#define TAG_BYTES 16
#define NONCE_MAX 24

struct mon_secret_key {
    unsigned char *bytes; /* MON_SECRET_KEY_BYTES, sodium_malloc'd (locked, guarded) */
    char id[MON_SECRET_KEY_ID_LEN + 1];
};

struct mon_secret_plain {
    unsigned char *data; /* size + 1 bytes, sodium_malloc'd, NUL-terminated */
    size_t size;
};

/* A parsed ciphertext; the pointers reference the caller's text. */
struct parsed {
    mon_secret_alg alg;
    const char *header; /* "mon1:<alg>:<keyid>:" is bound as additional data */
    size_t header_len;
    char key_id[MON_SECRET_KEY_ID_LEN + 1];
    const char *nonce_b64;
    size_t nonce_b64_len;
    const char *data_b64;
};

/* sodium_malloc() aborts before sodium_init(); sodium_init() is idempotent
 * and thread-safe, so a caller that forgot mon_global_init() gets a working
 * call instead of an abort. */
static int sodium_ready(void)
{
    return sodium_init() >= 0 ? MON_OK : mon__error(MON_ECRYPTO, NULL, "libsodium failed to initialise");
}

size_t mon_secret_key_bytes(void)
{
    return MON_SECRET_KEY_BYTES;
}

size_t mon_secret_key_hex_len(void)
{
    return MON_SECRET_KEY_HEX_LEN;
}

static int key_from_hex(mon_secret_key **out, const char *hex, const char *field)
{
    mon_secret_key *key;
    unsigned char digest[crypto_generichash_BYTES];
    size_t len;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!hex || !*hex)
        return mon__error(MON_EKEY, field, "is not set: it must be %d hexadecimal characters (32 bytes)",
                          MON_SECRET_KEY_HEX_LEN);
    len = strlen(hex);
    if (len != MON_SECRET_KEY_HEX_LEN)
        return mon__error(MON_EKEY, field, "must be exactly %d hexadecimal characters (32 bytes), got %zu",
                          MON_SECRET_KEY_HEX_LEN, len);
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)hex[i]))
            return mon__error(MON_EKEY, field, "character %zu is not hexadecimal", i + 1);
    if (sodium_ready() != MON_OK)
        return MON_ECRYPTO;
    key = calloc(1, sizeof(*key));
    if (!key || !(key->bytes = sodium_malloc(MON_SECRET_KEY_BYTES))) {
        free(key);
        return mon__error_nomem();
    }
    if (sodium_hex2bin(key->bytes, MON_SECRET_KEY_BYTES, hex, len, NULL, NULL, NULL) != 0) {
        mon_secret_key_free(key);
        return mon__error(MON_EKEY, field, "cannot be decoded as hexadecimal");
    }
    sodium_mprotect_readonly(key->bytes);
    crypto_generichash(digest, sizeof(digest), key->bytes, MON_SECRET_KEY_BYTES, NULL, 0);
    sodium_bin2hex(key->id, sizeof(key->id), digest, MON_SECRET_KEY_ID_LEN / 2);
    *out = key;
    return MON_OK;
}

int mon_secret_key_from_hex(mon_secret_key **out, const char *hex)
{
    return key_from_hex(out, hex, "key");
}

int mon_secret_key_from_env(mon_secret_key **out, const char *name)
{
    const char *var = name ? name : "ENCRYPTION_KEY";
    return key_from_hex(out, getenv(var), var);
}

const char *mon_secret_key_id(const mon_secret_key *key)
{
    return key ? key->id : "";
}

void mon_secret_key_free(mon_secret_key *key)
{
    if (!key)
        return;
    sodium_free(key->bytes); /* wipes before unmapping */
    free(key);
}

int mon_secret_alg_available(mon_secret_alg alg)
{
    switch (alg) {
    case MON_SECRET_ALG_AUTO:
    case MON_SECRET_ALG_XCHACHA20POLY1305:
        return 1;
    case MON_SECRET_ALG_AES256GCM:
        return crypto_aead_aes256gcm_is_available();
    }
    return 0;
}

int mon_secret_encrypt_options_init(mon_secret_encrypt_options *opts, unsigned int version)
{
    mon_secret_encrypt_options init = MON_SECRET_ENCRYPT_OPTIONS_INIT;
    if (!opts)
        return mon__error(MON_EINVAL, "opts", "must not be NULL");
    if (version != MON_SECRET_ENCRYPT_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "version", "unknown options version %u", version);
    *opts = init;
    return MON_OK;
}

static const char *alg_name(mon_secret_alg alg)
{
    return alg == MON_SECRET_ALG_AES256GCM ? ALG_AESGCM : ALG_XCHACHA;
}

static size_t nonce_bytes(mon_secret_alg alg)
{
    return alg == MON_SECRET_ALG_AES256GCM ? crypto_aead_aes256gcm_NPUBBYTES
                                           : crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
}

int mon_secret_encrypt(char **out, const mon_secret_key *key, const void *plain, size_t len,
                       const mon_secret_encrypt_options *opts)
{
    mon_secret_alg alg = opts ? opts->alg : MON_SECRET_ALG_AUTO;
    unsigned char nonce[NONCE_MAX];
    unsigned char *sealed;
    unsigned long long sealed_len = 0;
    char header[64];
    size_t header_len, nlen, nonce_b64, data_b64, total;
    char *text;
    int ok;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!key)
        return mon__error(MON_EINVAL, "key", "must not be NULL");
    if (!plain && len > 0)
        return mon__error(MON_EINVAL, "plain", "must not be NULL");
    if (opts && opts->version != MON_SECRET_ENCRYPT_OPTIONS_VERSION)
        return mon__error(MON_EVERSION, "opts.version", "unknown options version %u", opts->version);
    if (alg == MON_SECRET_ALG_AUTO)
        alg = crypto_aead_aes256gcm_is_available() ? MON_SECRET_ALG_AES256GCM
                                                   : MON_SECRET_ALG_XCHACHA20POLY1305;
    if (alg != MON_SECRET_ALG_AES256GCM && alg != MON_SECRET_ALG_XCHACHA20POLY1305)
        return mon__error(MON_EINVAL, "opts.alg", "unknown algorithm %d", (int)alg);
    if (!mon_secret_alg_available(alg))
        return mon__error(MON_EUNSUPPORTED, "opts.alg",
                          "AES-256-GCM needs AES-NI, not available on this CPU");
    if (len > (size_t)1 << 24)
        return mon__error(MON_EINVAL, "plain", "longer than 16 MiB");

    header_len = (size_t)snprintf(header, sizeof(header), FORMAT_VERSION ":%s:%s:", alg_name(alg), key->id);
    nlen = nonce_bytes(alg);
    randombytes_buf(nonce, nlen);
    sealed = malloc(len + TAG_BYTES);
    if (!sealed)
        return mon__error_nomem();
    if (alg == MON_SECRET_ALG_AES256GCM)
        ok = crypto_aead_aes256gcm_encrypt(sealed, &sealed_len, plain, len, (const unsigned char *)header,
                                           header_len, NULL, nonce, key->bytes) == 0;
    else
        ok = crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, &sealed_len, plain, len,
                                                        (const unsigned char *)header, header_len, NULL,
                                                        nonce, key->bytes) == 0;
    if (!ok) {
        free(sealed);
        return mon__error(MON_ECRYPTO, NULL, "encryption failed");
    }
    nonce_b64 = sodium_base64_ENCODED_LEN(nlen, sodium_base64_VARIANT_ORIGINAL);
    data_b64 = sodium_base64_ENCODED_LEN(sealed_len, sodium_base64_VARIANT_ORIGINAL);
    total = header_len + nonce_b64 + 1 + data_b64;
    text = malloc(total);
    if (!text) {
        free(sealed);
        return mon__error_nomem();
    }
    memcpy(text, header, header_len);
    sodium_bin2base64(text + header_len, nonce_b64, nonce, nlen, sodium_base64_VARIANT_ORIGINAL);
    header_len += strlen(text + header_len);
    text[header_len++] = ':';
    sodium_bin2base64(text + header_len, data_b64, sealed, sealed_len, sodium_base64_VARIANT_ORIGINAL);
    free(sealed); /* ciphertext: nothing secret to wipe */
    *out = text;
    return MON_OK;
}

static int parse(struct parsed *p, const char *text)
{
    const char *cursor, *colon;
    size_t version_len;

    memset(p, 0, sizeof(*p));
    if (!text)
        return mon__error(MON_EINVAL, "ciphertext", "must not be NULL");
    /* "mon<digits>:" identifies the format; anything else is not ours. */
    if (strncmp(text, "mon", 3) != 0 || !isdigit((unsigned char)text[3]))
        return mon__error(MON_EINVAL, "ciphertext", "not an encrypted value (expected \"mon1:...\")");
    version_len = 3;
    while (isdigit((unsigned char)text[version_len]))
        version_len++;
    if (text[version_len] != ':')
        return mon__error(MON_EINVAL, "ciphertext", "not an encrypted value (expected \"mon1:...\")");
    if (version_len != strlen(FORMAT_VERSION) || strncmp(text, FORMAT_VERSION, version_len) != 0)
        return mon__error(MON_EVERSION, "ciphertext",
                          "format version \"%.*s\" is not supported (this library reads mon1)",
                          (int)(version_len > 12 ? 12 : version_len), text);
    cursor = text + version_len + 1;
    colon = strchr(cursor, ':');
    if (!colon)
        return mon__error(MON_ETAMPERED, "ciphertext", "truncated: algorithm missing");
    if ((size_t)(colon - cursor) == strlen(ALG_AESGCM) &&
        strncmp(cursor, ALG_AESGCM, strlen(ALG_AESGCM)) == 0)
        p->alg = MON_SECRET_ALG_AES256GCM;
    else if ((size_t)(colon - cursor) == strlen(ALG_XCHACHA) &&
             strncmp(cursor, ALG_XCHACHA, strlen(ALG_XCHACHA)) == 0)
        p->alg = MON_SECRET_ALG_XCHACHA20POLY1305;
    else
        return mon__error(MON_EVERSION, "ciphertext", "unknown algorithm \"%.*s\" (known: a256gcm, xc20p)",
                          (int)((colon - cursor) > 16 ? 16 : (colon - cursor)), cursor);
    cursor = colon + 1;
    colon = strchr(cursor, ':');
    if (!colon || colon - cursor != MON_SECRET_KEY_ID_LEN)
        return mon__error(MON_ETAMPERED, "ciphertext", "altered or truncated: key id malformed");
    for (int i = 0; i < MON_SECRET_KEY_ID_LEN; i++) {
        if (!isxdigit((unsigned char)cursor[i]) || isupper((unsigned char)cursor[i]))
            return mon__error(MON_ETAMPERED, "ciphertext", "altered or truncated: key id malformed");
        p->key_id[i] = cursor[i];
    }
    p->header = text;
    p->header_len = (size_t)(colon + 1 - text);
    cursor = colon + 1;
    colon = strchr(cursor, ':');
    if (!colon)
        return mon__error(MON_ETAMPERED, "ciphertext", "truncated: nonce or data missing");
    p->nonce_b64 = cursor;
    p->nonce_b64_len = (size_t)(colon - cursor);
    p->data_b64 = colon + 1;
    if (strchr(p->data_b64, ':'))
        return mon__error(MON_ETAMPERED, "ciphertext", "altered: too many parts");
    return MON_OK;
}

int mon_secret_key_id_of(char out[MON_SECRET_KEY_ID_LEN + 1], const char *text)
{
    struct parsed p;
    int rc;
    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    if ((rc = parse(&p, text)) != MON_OK)
        return rc;
    memcpy(out, p.key_id, sizeof(p.key_id));
    return MON_OK;
}

int mon_secret_decrypt(mon_secret_plain **out, const mon_secret_key *key, const char *text)
{
    struct parsed p;
    unsigned char nonce[NONCE_MAX];
    unsigned char *sealed = NULL;
    size_t nlen, sealed_cap, sealed_len = 0, nonce_len = 0;
    unsigned long long plain_len = 0;
    mon_secret_plain *plain;
    int rc, ok;

    if (!out)
        return mon__error(MON_EINVAL, "out", "must not be NULL");
    *out = NULL;
    if (!key)
        return mon__error(MON_EINVAL, "key", "must not be NULL");
    if ((rc = parse(&p, text)) != MON_OK)
        return rc;
    if (sodium_ready() != MON_OK)
        return MON_ECRYPTO;
    if (strcmp(p.key_id, key->id) != 0)
        return mon__error(MON_EWRONGKEY, "ciphertext", "encrypted with key %s; current key is %s", p.key_id,
                          key->id);
    if (!mon_secret_alg_available(p.alg))
        return mon__error(MON_EUNSUPPORTED, "ciphertext",
                          "encrypted with AES-256-GCM, which this CPU cannot run (no AES-NI)");
    nlen = nonce_bytes(p.alg);
    if (sodium_base642bin(nonce, sizeof(nonce), p.nonce_b64, p.nonce_b64_len, NULL, &nonce_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        nonce_len != nlen)
        return mon__error(MON_ETAMPERED, "ciphertext", "altered or truncated: nonce malformed");
    sealed_cap = strlen(p.data_b64) / 4 * 3 + 3;
    if (!(sealed = malloc(sealed_cap)))
        return mon__error_nomem();
    if (sodium_base642bin(sealed, sealed_cap, p.data_b64, strlen(p.data_b64), NULL, &sealed_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        sealed_len < TAG_BYTES) {
        free(sealed);
        return mon__error(MON_ETAMPERED, "ciphertext", "altered or truncated: data malformed");
    }
    plain = calloc(1, sizeof(*plain));
    if (!plain || !(plain->data = sodium_malloc(sealed_len - TAG_BYTES + 1))) {
        free(plain);
        free(sealed);
        return mon__error_nomem();
    }
    if (p.alg == MON_SECRET_ALG_AES256GCM)
        ok = crypto_aead_aes256gcm_decrypt(plain->data, &plain_len, NULL, sealed, sealed_len,
                                           (const unsigned char *)p.header, p.header_len, nonce,
                                           key->bytes) == 0;
    else
        ok = crypto_aead_xchacha20poly1305_ietf_decrypt(plain->data, &plain_len, NULL, sealed, sealed_len,
                                                        (const unsigned char *)p.header, p.header_len, nonce,
                                                        key->bytes) == 0;
    free(sealed);
    if (!ok) {
        mon_secret_plain_free(plain);
        return mon__error(MON_ETAMPERED, "ciphertext", "altered or truncated: authentication failed");
    }
    plain->size = (size_t)plain_len;
    plain->data[plain->size] = '\0';
    *out = plain;
    return MON_OK;
}

const char *mon_secret_plain_data(const mon_secret_plain *plain)
{
    return plain ? (const char *)plain->data : NULL;
}

size_t mon_secret_plain_size(const mon_secret_plain *plain)
{
    return plain ? plain->size : 0;
}

void mon_secret_plain_free(mon_secret_plain *plain)
{
    if (!plain)
        return;
    sodium_free(plain->data); /* sodium_free wipes the whole allocation */
    free(plain);
}

static int reencrypt(char **out, const mon_secret_key *old_key, const mon_secret_key *new_key,
                     const char *text, const char *label)
{
    mon_secret_plain *plain = NULL;
    struct parsed p;
    mon_secret_encrypt_options opts = MON_SECRET_ENCRYPT_OPTIONS_INIT;
    int rc = mon_secret_decrypt(&plain, old_key, text);

    if (rc != MON_OK) {
        char detail[512];
        snprintf(detail, sizeof(detail), "%s", mon_error_last());
        return mon__error(rc, "credentials", "%s: %s", label, detail);
    }
    /* Keep the value's algorithm: rotation changes the key, nothing else. */
    if (parse(&p, text) == MON_OK && mon_secret_alg_available(p.alg))
        opts.alg = p.alg;
    rc = mon_secret_encrypt(out, new_key, plain->data, plain->size, &opts);
    mon_secret_plain_free(plain);
    return rc;
}

int mon__secret_rotate_column(mon_store *store, const char *table, const char *label_column,
                              const char *column, const mon_secret_key *old_key,
                              const mon_secret_key *new_key, int *rotated)
{
    PGconn *conn = mon__store_conn(store);
    char *qt = NULL, *ql = NULL, *qc = NULL;
    char sql[512];
    PGresult *res = NULL;
    int rc = MON_OK;

    if (!conn)
        return MON_ECONN;
    qt = PQescapeIdentifier(conn, table, strlen(table));
    ql = PQescapeIdentifier(conn, label_column, strlen(label_column));
    qc = PQescapeIdentifier(conn, column, strlen(column));
    if (!qt || !ql || !qc) {
        rc = mon__error_nomem();
        goto done;
    }
    snprintf(sql, sizeof(sql),
             "SELECT ctid, %s::text, %s FROM %s WHERE %s IS NOT NULL AND %s <> '' FOR UPDATE", ql, qc, qt, qc,
             qc);
    res = mon__store_exec(store, "read encrypted values", sql, 0, NULL, 0, &rc);
    if (!res)
        goto done;
    snprintf(sql, sizeof(sql), "UPDATE %s SET %s = $2 WHERE ctid = $1::tid", qt, qc);
    for (int row = 0; row < PQntuples(res) && rc == MON_OK; row++) {
        char id[MON_SECRET_KEY_ID_LEN + 1];
        const char *text = PQgetvalue(res, row, 2);
        char *fresh = NULL;
        PGresult *upd;

        if (mon_secret_key_id_of(id, text) == MON_OK && strcmp(id, new_key->id) == 0)
            continue;
        if ((rc = reencrypt(&fresh, old_key, new_key, text, PQgetvalue(res, row, 1))) != MON_OK)
            break;
        {
            const char *params[] = {PQgetvalue(res, row, 0), fresh};
            upd = mon__store_exec(store, "write re-encrypted value", sql, 2, params, 0, &rc);
        }
        free(fresh);
        PQclear(upd);
        if (rc == MON_OK)
            (*rotated)++;
    }
done:
    PQclear(res);
    PQfreemem(qt);
    PQfreemem(ql);
    PQfreemem(qc);
    return rc;
}

/* Every table holding encrypted credentials, with the column naming its rows. */
static const struct {
    const char *table, *label_column, *column;
} encrypted_columns[] = {
    {"connectors", "type", "credentials"},
    {"custom_connectors", "name", "credentials"},
    {"notification_rules", "name", "secret"},
};

int mon_secret_rotate(mon_store *store, const mon_secret_key *old_key, const mon_secret_key *new_key,
                      int *rotated)
{
    int rc, count = 0;

    if (!store || !old_key || !new_key)
        return mon__error(MON_EINVAL,
                          !store     ? "store"
                          : !old_key ? "old_key"
                                     : "new_key",
                          "must not be NULL");
    if ((rc = mon__store_command(store, "begin key rotation", "BEGIN")) != MON_OK)
        return rc;
    for (size_t i = 0; rc == MON_OK && i < sizeof(encrypted_columns) / sizeof(encrypted_columns[0]); i++)
        rc = mon__secret_rotate_column(store, encrypted_columns[i].table, encrypted_columns[i].label_column,
                                       encrypted_columns[i].column, old_key, new_key, &count);
    if (rc != MON_OK) {
        PGconn *conn = mon__store_conn(store);
        if (conn)
            PQclear(PQexec(conn, "ROLLBACK"));
        return rc;
    }
    if ((rc = mon__store_command(store, "commit key rotation", "COMMIT")) != MON_OK)
        return rc;
    if (rotated)
        *rotated = count;
    return MON_OK;
}
