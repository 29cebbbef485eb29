#ifndef MON_LIB_SECRET_PRIV_H
#define MON_LIB_SECRET_PRIV_H

/* Internal helpers of the secrets module for other modules that store
 * encrypted columns. Never installed. */

#include "monitorage/secret.h"

/*
 * Re-encrypt, inside the caller's open transaction, every non-empty value of
 * table.column (rows named by label_column in messages) from old_key to
 * new_key, locking the rows (FOR UPDATE). Values already under new_key are
 * skipped. Adds the number re-encrypted to *rotated. table, column and
 * label_column are identifiers written in the library's code, never user
 * input; they are quoted anyway. mon_secret_rotate() runs it for each
 * credentials table in one transaction; a module with its own encrypted
 * column adds a call there.
 */
int mon__secret_rotate_column(mon_store *store, const char *table, const char *label_column,
                              const char *column, const mon_secret_key *old_key,
                              const mon_secret_key *new_key, int *rotated);

#endif
