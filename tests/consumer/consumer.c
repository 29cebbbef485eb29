/* A program outside the project, built against the installed library. */
#include <monitorage/monitorage.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    mon_store *store = NULL;

    if (mon_global_init() != MON_OK)
        return 1;
    if (strcmp(mon_version(), MON_VERSION_STRING) != 0) {
        fprintf(stderr, "header version %s, library %s\n", MON_VERSION_STRING, mon_version());
        return 1;
    }
    if (mon_store_open(&store, "") != MON_EINVAL || strcmp(mon_error_field(), "database_url") != 0) {
        fprintf(stderr, "unexpected: %s\n", mon_error_last());
        return 1;
    }
    printf("consumer linked libmonitorage %s (%zu migrations embedded)\n", mon_version(),
           mon_store_migration_count());
    mon_global_cleanup();
    return 0;
}
