#include "monitorage/monitorage.h"
#include "error_priv.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int init_count;

const char *mon_version(void) { return MON_VERSION_STRING; }

int mon_version_number(void) { return MON_VERSION_NUMBER; }

int mon_global_init(void)
{
    int rc = MON_OK;

    pthread_mutex_lock(&init_lock);
    if (init_count == 0) {
        if (sodium_init() < 0)
            rc = mon__error(MON_ECRYPTO, NULL, "libsodium failed to initialise");
        else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            rc = mon__error(MON_ENET, NULL, "libcurl failed to initialise");
    }
    if (rc == MON_OK)
        init_count++;
    pthread_mutex_unlock(&init_lock);
    return rc;
}

void mon_global_cleanup(void)
{
    pthread_mutex_lock(&init_lock);
    if (init_count > 0 && --init_count == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&init_lock);
}

void mon_free(void *ptr) { free(ptr); }
