/**
 * @file secret.h
 * @brief Encrypted credentials: the key, the ciphertext format, locked
 *        plaintext, and key rotation.
 *
 * Values are sealed with libsodium AEAD: AES-256-GCM where the CPU supports
 * it (crypto_aead_aes256gcm_is_available()), XChaCha20-Poly1305 otherwise.
 * The algorithm is chosen per value and written into it, so a database may
 * hold both and any machine with the key reads what it supports. The text
 * form is
 *
 *     mon1:<alg>:<keyid>:<base64 nonce>:<base64 ciphertext and tag>
 *
 * with alg "a256gcm" or "xc20p", keyid the key's 8-hex-character id, and
 * base64 the standard alphabet with padding. The header "mon1:<alg>:<keyid>:"
 * is authenticated as additional data. See docs/security.md.
 *
 * Plaintext is only handed out as a mon_secret_plain: locked memory
 * (sodium_malloc) that mon_secret_plain_free() wipes. No function of this
 * module puts a key or a plaintext into an error message.
 *
 * mon_global_init() must have run (it initialises libsodium).
 *
 * Thread safety: keys are immutable after creation and may be shared by
 * threads; a mon_secret_plain is used by one thread at a time.
 */
#ifndef MONITORAGE_SECRET_H
#define MONITORAGE_SECRET_H

#include "common.h"
#include "store.h"

MON_BEGIN_DECLS

/** An encryption key with its id (opaque; the key bytes live in locked memory). */
typedef struct mon_secret_key mon_secret_key;

/** Decrypted bytes in locked memory (opaque). */
typedef struct mon_secret_plain mon_secret_plain;

/** Key size in bytes (32) and in hexadecimal characters (64). */
#define MON_SECRET_KEY_BYTES 32
/** Key size in hexadecimal characters (64), without the NUL. */
#define MON_SECRET_KEY_HEX_LEN 64
/** Length of a key id in characters (8), without the NUL. */
#define MON_SECRET_KEY_ID_LEN 8

/** Function twins of the constants above, for FFI users. */
MON_EXTERN size_t mon_secret_key_bytes(void);
/** MON_SECRET_KEY_HEX_LEN as a function, for FFI users. */
MON_EXTERN size_t mon_secret_key_hex_len(void);

/**
 * Make a key from exactly 64 hexadecimal characters (either case, nothing
 * else: no spaces, no "0x"). Anything else is refused with MON_EKEY and a
 * detail saying what is wrong (length, non-hex character position), never
 * the value. The key id is the first 8 hex characters of BLAKE2b-256 of the
 * 32 key bytes. Free with mon_secret_key_free(). MON_EKEY, MON_ENOMEM.
 */
MON_EXTERN int mon_secret_key_from_hex(mon_secret_key **out, const char *hex);

/**
 * Same, reading the environment variable name (NULL means "ENCRYPTION_KEY").
 * MON_EKEY when it is unset, empty or malformed (the detail names the variable).
 */
MON_EXTERN int mon_secret_key_from_env(mon_secret_key **out, const char *name);

/** The key's id: 8 lower-case hex characters; borrowed, valid while the key lives. */
MON_EXTERN const char *mon_secret_key_id(const mon_secret_key *key);

/** Wipe and free a key. NULL is a no-op. */
MON_EXTERN void mon_secret_key_free(mon_secret_key *key);

/** AEAD algorithms of the format. */
typedef enum mon_secret_alg {
    MON_SECRET_ALG_AUTO = 0,             /**< AES-256-GCM if available, else XChaCha20-Poly1305 */
    MON_SECRET_ALG_AES256GCM = 1,        /**< "a256gcm": needs AES-NI + PCLMUL (x86-64) */
    MON_SECRET_ALG_XCHACHA20POLY1305 = 2 /**< "xc20p": available everywhere */
} mon_secret_alg;

/** 1 if alg can be used on this machine, else 0. AUTO is always available. */
MON_EXTERN int mon_secret_alg_available(mon_secret_alg alg);

/** Options of mon_secret_encrypt(). */
typedef struct mon_secret_encrypt_options {
    unsigned int version; /**< MON_SECRET_ENCRYPT_OPTIONS_VERSION */
    mon_secret_alg alg;   /**< default MON_SECRET_ALG_AUTO; forcing one is meant for tests */
} mon_secret_encrypt_options;

/** Current version of mon_secret_encrypt_options. */
#define MON_SECRET_ENCRYPT_OPTIONS_VERSION 1
/** Static initialiser of mon_secret_encrypt_options (algorithm MON_SECRET_ALG_AUTO). */
#define MON_SECRET_ENCRYPT_OPTIONS_INIT                                                                      \
    {                                                                                                        \
        MON_SECRET_ENCRYPT_OPTIONS_VERSION, MON_SECRET_ALG_AUTO                                              \
    }

/** Initialise options like MON_SECRET_ENCRYPT_OPTIONS_INIT. MON_EVERSION for an unknown version. */
MON_EXTERN int mon_secret_encrypt_options_init(mon_secret_encrypt_options *opts, unsigned int version);

/**
 * Encrypt len bytes of plain under key into the text format (*out, NUL
 * terminated, free with mon_free()). opts may be NULL. A fresh random nonce
 * is used each time. MON_EUNSUPPORTED when a forced algorithm is not
 * available here; MON_EINVAL, MON_ENOMEM, MON_ECRYPTO.
 */
MON_EXTERN int mon_secret_encrypt(char **out, const mon_secret_key *key, const void *plain, size_t len,
                                  const mon_secret_encrypt_options *opts);

/**
 * Decrypt text with key into locked memory (*out, free with
 * mon_secret_plain_free()). Errors, each distinct:
 * - MON_EINVAL: not this format at all (does not start with "mon<n>:");
 * - MON_EVERSION: a format version or algorithm this library does not know;
 * - MON_EWRONGKEY: made with another key; the detail reads
 *   "encrypted with key <id>; current key is <id>";
 * - MON_ETAMPERED: altered or truncated (a part is missing or malformed,
 *   or authentication failed);
 * - MON_EUNSUPPORTED: AES-256-GCM value on a machine without AES-NI.
 */
MON_EXTERN int mon_secret_decrypt(mon_secret_plain **out, const mon_secret_key *key, const char *text);

/** The decrypted bytes, followed by a NUL not counted in the size. Borrowed. */
MON_EXTERN const char *mon_secret_plain_data(const mon_secret_plain *plain);
/** Number of decrypted bytes, without the trailing NUL (0 for NULL). */
MON_EXTERN size_t mon_secret_plain_size(const mon_secret_plain *plain);

/** Wipe and free decrypted bytes. NULL is a no-op. */
MON_EXTERN void mon_secret_plain_free(mon_secret_plain *plain);

/**
 * Which key a ciphertext needs: copies its key id (8 characters and a NUL)
 * into out. MON_EINVAL / MON_EVERSION / MON_ETAMPERED as mon_secret_decrypt().
 */
MON_EXTERN int mon_secret_key_id_of(char out[MON_SECRET_KEY_ID_LEN + 1], const char *text);

/**
 * Re-encrypt every stored credential (the `connectors` and
 * `custom_connectors` tables, and the webhook secrets of
 * `notification_rules`) from old_key to new_key in one transaction:
 * either every value is rotated or none is. Values already under new_key
 * are left alone, so running it twice is harmless; a value under a third
 * key aborts the rotation with MON_EWRONGKEY naming the row's connector.
 * *rotated (may be NULL) receives how many values were re-encrypted.
 */
MON_EXTERN int mon_secret_rotate(mon_store *store, const mon_secret_key *old_key,
                                 const mon_secret_key *new_key, int *rotated);

MON_END_DECLS

#endif
