/* The latest status this replica saw per endpoint. A claim returns the
 * database's latest status, which lags behind the results still waiting to
 * be written (a batch not yet due, the database away); comparing a check
 * with it alone would report the same change again. */
#include "scheduler_priv.h"
#include "error_priv.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_CAPACITY 1024

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 128 bits of a UUID text (dashes skipped); 0 when it is not one. */
static int uuid_bits(const char *id, uint64_t *hi, uint64_t *lo)
{
    uint64_t half[2] = {0, 0};
    int digits = 0;
    for (const char *p = id; *p; p++) {
        int v = *p == '-' ? -2 : hex_value(*p);
        if (v == -2)
            continue;
        if (v < 0 || digits == 32)
            return 0;
        half[digits / 16] = half[digits / 16] << 4 | (uint64_t)v;
        digits++;
    }
    *hi = half[0];
    *lo = half[1];
    return digits == 32;
}

static size_t home_slot(const struct mon__status_map *map, uint64_t hi, uint64_t lo)
{
    uint64_t h = (hi ^ (lo * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
    return (size_t)(h >> 17) & (map->capacity - 1);
}

static struct mon__status_entry *find(struct mon__status_map *map, uint64_t hi, uint64_t lo)
{
    if (!map->count)
        return NULL;
    for (size_t i = home_slot(map, hi, lo);; i = (i + 1) & (map->capacity - 1)) {
        struct mon__status_entry *e = &map->slots[i];
        if (!e->checked_at)
            return NULL;
        if (e->hi == hi && e->lo == lo)
            return e;
    }
}

/* Linear probing without tombstones: later entries of the run move back. */
static void erase(struct mon__status_map *map, struct mon__status_entry *e)
{
    size_t mask = map->capacity - 1, hole = (size_t)(e - map->slots);
    for (size_t i = (hole + 1) & mask; map->slots[i].checked_at; i = (i + 1) & mask) {
        size_t home = home_slot(map, map->slots[i].hi, map->slots[i].lo);
        /* Move it when its home is not within (hole, i]. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            map->slots[hole] = map->slots[i];
            hole = i;
        }
    }
    map->slots[hole].checked_at = 0;
    map->count--;
}

static struct mon__status_entry *insert_slot(struct mon__status_map *map, uint64_t hi, uint64_t lo)
{
    size_t i = home_slot(map, hi, lo);
    while (map->slots[i].checked_at)
        i = (i + 1) & (map->capacity - 1);
    map->slots[i].hi = hi;
    map->slots[i].lo = lo;
    map->count++;
    return &map->slots[i];
}

/* Keep the load at most one half. */
static int grow(struct mon__status_map *map)
{
    struct mon__status_map bigger = {NULL, map->capacity ? map->capacity * 2 : FIRST_CAPACITY, 0};
    if (!(bigger.slots = calloc(bigger.capacity, sizeof(*bigger.slots))))
        return mon__error_nomem();
    for (size_t i = 0; i < map->capacity; i++) {
        const struct mon__status_entry *e = &map->slots[i];
        if (e->checked_at)
            *insert_slot(&bigger, e->hi, e->lo) = *e;
    }
    free(map->slots);
    *map = bigger;
    return MON_OK;
}

mon_status mon__status_seen(struct mon__status_map *map, const char *id, mon_status db_status, mon_time db_at)
{
    uint64_t hi, lo;
    struct mon__status_entry *e = uuid_bits(id, &hi, &lo) ? find(map, hi, lo) : NULL;
    if (!e)
        return db_status;
    if (e->checked_at > db_at)
        return e->status;
    erase(map, e);
    return db_status;
}

int mon__status_remember(struct mon__status_map *map, const char *id, mon_status status, mon_time checked_at)
{
    uint64_t hi, lo;
    struct mon__status_entry *e;
    int rc;
    if (!uuid_bits(id, &hi, &lo))
        return MON_OK;
    if (checked_at <= 0)
        checked_at = 1;
    if ((e = find(map, hi, lo))) {
        if (checked_at >= e->checked_at) {
            e->checked_at = checked_at;
            e->status = status;
        }
        return MON_OK;
    }
    if ((map->count + 1) * 2 > map->capacity && (rc = grow(map)) != MON_OK)
        return rc;
    e = insert_slot(map, hi, lo);
    e->checked_at = checked_at;
    e->status = status;
    return MON_OK;
}

void mon__status_map_free(struct mon__status_map *map)
{
    free(map->slots);
    map->slots = NULL;
    map->capacity = map->count = 0;
}
