#include <monitorage/monitorage.h>

#include "checkmain.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const key_a = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *const key_b = "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210";
static const char *const plaintext = "{\"token\":\"ghp_KnownSecretValue123\"}";

static mon_secret_key *make_key(const char *hex)
{
    mon_secret_key *key = NULL;
    ck_assert_int_eq(mon_secret_key_from_hex(&key, hex), MON_OK);
    return key;
}

static char *seal(const mon_secret_key *key, mon_secret_alg alg)
{
    mon_secret_encrypt_options opts = MON_SECRET_ENCRYPT_OPTIONS_INIT;
    char *text = NULL;
    opts.alg = alg;
    ck_assert_int_eq(mon_secret_encrypt(&text, key, plaintext, strlen(plaintext), &opts), MON_OK);
    return text;
}

static void setup(void)
{
    ck_assert_int_eq(mon_global_init(), MON_OK);
}
static void teardown(void)
{
    mon_global_cleanup();
}

static void round_trip(mon_secret_alg alg, const char *prefix)
{
    mon_secret_key *key = make_key(key_a);
    mon_secret_plain *plain = NULL;
    char *text = seal(key, alg), *again = seal(key, alg);

    ck_assert_msg(strncmp(text, prefix, strlen(prefix)) == 0, "%s", text);
    ck_assert_ptr_null(strstr(text, "KnownSecret"));
    ck_assert_str_ne(text, again); /* fresh nonce each time */
    ck_assert_int_eq(mon_secret_decrypt(&plain, key, text), MON_OK);
    ck_assert_uint_eq(mon_secret_plain_size(plain), strlen(plaintext));
    ck_assert_str_eq(mon_secret_plain_data(plain), plaintext);
    mon_secret_plain_free(plain);
    mon_free(text);
    mon_free(again);
    mon_secret_key_free(key);
}

START_TEST(xchacha_round_trips)
{
    round_trip(MON_SECRET_ALG_XCHACHA20POLY1305, "mon1:xc20p:");
}
END_TEST

START_TEST(aes_gcm_round_trips_when_available)
{
    mon_secret_key *key = make_key(key_a);
    char *text = NULL;
    if (!mon_secret_alg_available(MON_SECRET_ALG_AES256GCM)) {
        mon_secret_encrypt_options opts = MON_SECRET_ENCRYPT_OPTIONS_INIT;
        opts.alg = MON_SECRET_ALG_AES256GCM;
        ck_assert_int_eq(mon_secret_encrypt(&text, key, "x", 1, &opts), MON_EUNSUPPORTED);
        mon_secret_key_free(key);
        return;
    }
    mon_secret_key_free(key);
    round_trip(MON_SECRET_ALG_AES256GCM, "mon1:a256gcm:");
}
END_TEST

START_TEST(auto_prefers_aes_gcm)
{
    mon_secret_key *key = make_key(key_a);
    char *text = seal(key, MON_SECRET_ALG_AUTO);
    const char *expect = mon_secret_alg_available(MON_SECRET_ALG_AES256GCM) ? "mon1:a256gcm:" : "mon1:xc20p:";
    ck_assert_msg(strncmp(text, expect, strlen(expect)) == 0, "%s", text);
    mon_free(text);
    mon_secret_key_free(key);
}
END_TEST

START_TEST(empty_plaintext_round_trips)
{
    mon_secret_key *key = make_key(key_a);
    mon_secret_plain *plain = NULL;
    char *text = NULL;
    ck_assert_int_eq(mon_secret_encrypt(&text, key, "", 0, NULL), MON_OK);
    ck_assert_int_eq(mon_secret_decrypt(&plain, key, text), MON_OK);
    ck_assert_uint_eq(mon_secret_plain_size(plain), 0);
    ck_assert_str_eq(mon_secret_plain_data(plain), "");
    mon_secret_plain_free(plain);
    mon_free(text);
    mon_secret_key_free(key);
}
END_TEST

START_TEST(key_id_is_blake2b_prefix_and_stable)
{
    mon_secret_key *a = make_key(key_a), *a2 = NULL, *b = make_key(key_b);
    char id[MON_SECRET_KEY_ID_LEN + 1];
    char *text = seal(a, MON_SECRET_ALG_XCHACHA20POLY1305);

    /* Upper-case hex is the same key. */
    ck_assert_int_eq(
        mon_secret_key_from_hex(&a2, "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"),
        MON_OK);
    ck_assert_uint_eq(strlen(mon_secret_key_id(a)), MON_SECRET_KEY_ID_LEN);
    ck_assert_str_eq(mon_secret_key_id(a), mon_secret_key_id(a2));
    ck_assert_str_ne(mon_secret_key_id(a), mon_secret_key_id(b));
    ck_assert_int_eq(mon_secret_key_id_of(id, text), MON_OK);
    ck_assert_str_eq(id, mon_secret_key_id(a));
    ck_assert_uint_eq(mon_secret_key_bytes(), 32);
    ck_assert_uint_eq(mon_secret_key_hex_len(), 64);
    mon_free(text);
    mon_secret_key_free(a);
    mon_secret_key_free(a2);
    mon_secret_key_free(b);
}
END_TEST

START_TEST(bad_keys_are_refused)
{
    static const char *const bad[] = {
        "",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",   /* 63 */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", /* 65 */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",  /* non-hex */
        " 123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",  /* space */
        "0x23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mon_secret_key *key = (mon_secret_key *)1;
        ck_assert_int_eq(mon_secret_key_from_hex(&key, bad[i]), MON_EKEY);
        ck_assert_ptr_null(key);
        ck_assert_ptr_null(strstr(mon_error_last(), "0123456789"));
    }
    ck_assert_int_eq(mon_secret_key_from_hex(&(mon_secret_key *){NULL}, NULL), MON_EKEY);
}
END_TEST

START_TEST(key_from_env_names_the_variable)
{
    mon_secret_key *key = NULL;
    unsetenv("MON_TEST_KEY");
    ck_assert_int_eq(mon_secret_key_from_env(&key, "MON_TEST_KEY"), MON_EKEY);
    ck_assert_msg(strstr(mon_error_last(), "MON_TEST_KEY: is not set") != NULL, "%s", mon_error_last());
    setenv("MON_TEST_KEY", "abc", 1);
    ck_assert_int_eq(mon_secret_key_from_env(&key, "MON_TEST_KEY"), MON_EKEY);
    ck_assert_msg(strstr(mon_error_last(), "got 3") != NULL, "%s", mon_error_last());
    setenv("MON_TEST_KEY", key_a, 1);
    ck_assert_int_eq(mon_secret_key_from_env(&key, "MON_TEST_KEY"), MON_OK);
    mon_secret_key_free(key);
    unsetenv("MON_TEST_KEY");
}
END_TEST

START_TEST(wrong_key_names_both_key_ids)
{
    mon_secret_key *a = make_key(key_a), *b = make_key(key_b);
    mon_secret_plain *plain = NULL;
    char *text = seal(a, MON_SECRET_ALG_XCHACHA20POLY1305);
    char expect[128];

    ck_assert_int_eq(mon_secret_decrypt(&plain, b, text), MON_EWRONGKEY);
    ck_assert_ptr_null(plain);
    snprintf(expect, sizeof(expect), "encrypted with key %s; current key is %s", mon_secret_key_id(a),
             mon_secret_key_id(b));
    ck_assert_msg(strstr(mon_error_last(), expect) != NULL, "%s", mon_error_last());
    mon_free(text);
    mon_secret_key_free(a);
    mon_secret_key_free(b);
}
END_TEST

/* Index of the n-th ':' in text (n from 1), or strlen. */
static size_t colon_at(const char *text, int n)
{
    size_t i = 0;
    for (; text[i]; i++)
        if (text[i] == ':' && --n == 0)
            return i;
    return i;
}

static int decrypt_code(const mon_secret_key *key, const char *text)
{
    mon_secret_plain *plain = NULL;
    int rc = mon_secret_decrypt(&plain, key, text);
    mon_secret_plain_free(plain);
    return rc;
}

static void tamper_each_part(mon_secret_alg alg)
{
    mon_secret_key *key = make_key(key_a);
    char *text = seal(key, alg);
    size_t len = strlen(text);

    /* Flip one bit of every byte in turn: no flip may decrypt, and the code tells what broke. */
    for (size_t i = 0; i < len; i++) {
        char *copy = strdup(text);
        int rc;
        if (text[i] == ':') {
            free(copy);
            continue;
        }
        copy[i] ^= (i % 2) ? 0x01 : 0x02;
        rc = decrypt_code(key, copy);
        if (i < colon_at(text, 1))
            ck_assert_msg(rc == MON_EVERSION || rc == MON_EINVAL, "version byte %zu: %d", i, rc);
        else if (i < colon_at(text, 2))
            ck_assert_msg(rc == MON_EVERSION, "algorithm byte %zu: %d", i, rc);
        else if (i < colon_at(text, 3))
            ck_assert_msg(rc == MON_EWRONGKEY || rc == MON_ETAMPERED, "key id byte %zu: %d", i, rc);
        else
            ck_assert_msg(rc == MON_ETAMPERED, "nonce/data byte %zu (%s): %d %s", i, copy, rc,
                          mon_error_last());
        free(copy);
    }
    mon_free(text);
    mon_secret_key_free(key);
}

START_TEST(tampering_any_part_is_detected_xchacha)
{
    tamper_each_part(MON_SECRET_ALG_XCHACHA20POLY1305);
}
END_TEST

START_TEST(tampering_any_part_is_detected_aes)
{
    if (mon_secret_alg_available(MON_SECRET_ALG_AES256GCM))
        tamper_each_part(MON_SECRET_ALG_AES256GCM);
}
END_TEST

START_TEST(truncation_is_detected_at_every_length)
{
    mon_secret_key *key = make_key(key_a);
    char *text = seal(key, MON_SECRET_ALG_XCHACHA20POLY1305);
    size_t len = strlen(text);

    for (size_t cut = 5; cut < len; cut++) {
        char *copy = strndup(text, cut);
        int rc = decrypt_code(key, copy);
        ck_assert_msg(rc == MON_ETAMPERED || (cut < colon_at(text, 2) && rc == MON_EVERSION),
                      "cut at %zu: %d", cut, rc);
        free(copy);
    }
    mon_free(text);
    mon_secret_key_free(key);
}
END_TEST

START_TEST(malformed_and_unknown_versions_are_distinct)
{
    mon_secret_key *key = make_key(key_a);
    char id[MON_SECRET_KEY_ID_LEN + 1];
    ck_assert_int_eq(decrypt_code(key, "plain text"), MON_EINVAL);
    ck_assert_int_eq(decrypt_code(key, ""), MON_EINVAL);
    ck_assert_int_eq(decrypt_code(key, "mon:xc20p:"), MON_EINVAL);
    ck_assert_int_eq(decrypt_code(key, NULL), MON_EINVAL);
    ck_assert_int_eq(decrypt_code(key, "mon2:xc20p:0badc0de:AAAA:AAAA"), MON_EVERSION);
    ck_assert_msg(strstr(mon_error_last(), "mon2") != NULL, "%s", mon_error_last());
    ck_assert_int_eq(decrypt_code(key, "mon1:rot13:0badc0de:AAAA:AAAA"), MON_EVERSION);
    ck_assert_int_eq(decrypt_code(key, "mon1:xc20p:0badc0de"), MON_ETAMPERED);
    ck_assert_int_eq(mon_secret_key_id_of(id, "mon1:xc20p:0badc0de:AAAA:AAAA"), MON_OK);
    ck_assert_str_eq(id, "0badc0de");
    mon_secret_key_free(key);
}
END_TEST

START_TEST(options_init_checks_version)
{
    mon_secret_encrypt_options opts;
    ck_assert_int_eq(mon_secret_encrypt_options_init(&opts, MON_SECRET_ENCRYPT_OPTIONS_VERSION), MON_OK);
    ck_assert_int_eq(opts.alg, MON_SECRET_ALG_AUTO);
    ck_assert_int_eq(mon_secret_encrypt_options_init(&opts, 99), MON_EVERSION);
    mon_secret_key_free(NULL);
    mon_secret_plain_free(NULL);
}
END_TEST

static Suite *secret_suite(void)
{
    Suite *s = suite_create("secret");
    TCase *tc = tcase_create("secret");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, xchacha_round_trips);
    tcase_add_test(tc, aes_gcm_round_trips_when_available);
    tcase_add_test(tc, auto_prefers_aes_gcm);
    tcase_add_test(tc, empty_plaintext_round_trips);
    tcase_add_test(tc, key_id_is_blake2b_prefix_and_stable);
    tcase_add_test(tc, bad_keys_are_refused);
    tcase_add_test(tc, key_from_env_names_the_variable);
    tcase_add_test(tc, wrong_key_names_both_key_ids);
    tcase_add_test(tc, tampering_any_part_is_detected_xchacha);
    tcase_add_test(tc, tampering_any_part_is_detected_aes);
    tcase_add_test(tc, truncation_is_detected_at_every_length);
    tcase_add_test(tc, malformed_and_unknown_versions_are_distinct);
    tcase_add_test(tc, options_init_checks_version);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run_suite(secret_suite()) != EXIT_SUCCESS;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
