#ifndef MON_LIB_MIGRATIONS_H
#define MON_LIB_MIGRATIONS_H

#include <stddef.h>

/* The SQL files of migrations/, embedded at build time in file-name order. */
struct mon_migration {
    const char *name;
    const char *sql;
};

extern const struct mon_migration mon_migrations[];
extern const size_t mon_migration_count;

#endif
