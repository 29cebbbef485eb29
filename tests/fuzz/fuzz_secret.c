/* The ciphertext format "mon1:<alg>:<keyid>:<nonce>:<data>": parsing and
 * decryption of arbitrary text under a fixed key, and the encrypt/decrypt
 * round trip of arbitrary bytes. Invariants: a value that decrypts names
 * this key (mon_secret_key_id_of agrees), re-encrypts and decrypts to the
 * same bytes; a refused value gives no plaintext and a message; any bytes
 * encrypt and decrypt back unchanged with each available algorithm. */
#include "fuzz.h"

#include <monitorage/monitorage.h>

/* A fixed key: seeds in corpus/secret/ were made with it (id in seeds). */
#define FUZZ_KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static mon_secret_key *fixed_key(void)
{
    static mon_secret_key *key;
    if (!key) {
        FUZZ_ASSERT(mon_global_init() == MON_OK);
        FUZZ_ASSERT(mon_secret_key_from_hex(&key, FUZZ_KEY_HEX) == MON_OK);
    }
    return key;
}

static void check_round_trip(const mon_secret_key *key, const void *bytes, size_t len, mon_secret_alg alg)
{
    mon_secret_encrypt_options opts = MON_SECRET_ENCRYPT_OPTIONS_INIT;
    mon_secret_plain *plain = NULL;
    char *sealed = NULL;

    if (!mon_secret_alg_available(alg))
        return;
    opts.alg = alg;
    FUZZ_ASSERT(mon_secret_encrypt(&sealed, key, bytes, len, &opts) == MON_OK);
    FUZZ_ASSERT(mon_secret_decrypt(&plain, key, sealed) == MON_OK);
    FUZZ_ASSERT(mon_secret_plain_size(plain) == len);
    FUZZ_ASSERT(len == 0 || memcmp(mon_secret_plain_data(plain), bytes, len) == 0);
    FUZZ_ASSERT(mon_secret_plain_data(plain)[len] == '\0');
    mon_secret_plain_free(plain);
    mon_free(sealed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const mon_secret_key *key = fixed_key();
    char *text = fuzz_text(data, size);
    char id[MON_SECRET_KEY_ID_LEN + 1];
    mon_secret_plain *plain = NULL;
    mon_secret_key *other = NULL;
    int rc = mon_secret_decrypt(&plain, key, text);
    int id_rc = mon_secret_key_id_of(id, text);

    if (rc == MON_OK) {
        FUZZ_ASSERT(plain != NULL);
        FUZZ_ASSERT(id_rc == MON_OK && strcmp(id, mon_secret_key_id(key)) == 0);
        check_round_trip(key, mon_secret_plain_data(plain), mon_secret_plain_size(plain),
                         MON_SECRET_ALG_XCHACHA20POLY1305);
    } else {
        FUZZ_ASSERT(plain == NULL);
        FUZZ_ASSERT(*mon_error_last() != '\0');
        /* Both calls parse first: a format error is the same error in both. */
        if (id_rc != MON_OK)
            FUZZ_ASSERT(rc == id_rc);
    }
    mon_secret_plain_free(plain);
    check_round_trip(key, data, size, MON_SECRET_ALG_AES256GCM);
    check_round_trip(key, data, size, MON_SECRET_ALG_XCHACHA20POLY1305);
    if (mon_secret_key_from_hex(&other, text) == MON_OK)
        FUZZ_ASSERT(strlen(mon_secret_key_id(other)) == MON_SECRET_KEY_ID_LEN);
    mon_secret_key_free(other);
    free(text);
    return 0;
}
