/*
 * partition.c — org → partition (partition.h): FNV-1a 32 mod P, with an
 * override table, read and checked from the configuration's "cluster"
 * object.
 */
#include "cluster/partition.h"

#include <stdio.h>
#include <string.h>

uint32_t idw_fnv1a32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static enum idw_rc load_partitions(const json_t *cl, unsigned *p, char *err, size_t errlen)
{
    const json_t *v = json_object_get(cl, "partitions");
    json_int_t n;

    *p = IDW_PARTITIONS_DEFAULT;
    if (!v)
        return IDW_OK;
    n = json_is_integer(v) ? json_integer_value(v) : 0;
    if (n < 1 || n > IDW_PARTITIONS_MAX) {
        snprintf(err, errlen, "cluster.partitions: must be an integer between 1 and %d",
                 IDW_PARTITIONS_MAX);
        return IDW_ERR;
    }
    *p = (unsigned)n;
    return IDW_OK;
}

/* Every override names a non-empty org and a partition below P. */
static enum idw_rc check_overrides(const json_t *ov, unsigned p, char *err, size_t errlen)
{
    const char *org;
    json_t *v;

    if (!json_is_object(ov)) {
        snprintf(err, errlen, "cluster.overrides: expected an object {\"org\": partition}");
        return IDW_ERR;
    }
    json_object_foreach((json_t *)ov, org, v) {
        if (!*org) {
            snprintf(err, errlen, "cluster.overrides: an empty org name");
            return IDW_ERR;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= (json_int_t)p) {
            snprintf(err, errlen, "cluster.overrides.%.128s: must be an integer between 0 and %u "
                     "(cluster.partitions - 1)", org, p - 1);
            return IDW_ERR;
        }
    }
    return IDW_OK;
}

enum idw_rc idw_partitioning_load(const json_t *root, struct idw_partitioning *out,
                                  char *err, size_t errlen)
{
    const json_t *cl = json_object_get(root, "cluster"), *ov;

    memset(out, 0, sizeof *out);
    if (cl && !json_is_object(cl)) {
        snprintf(err, errlen, "cluster: expected an object");
        return IDW_ERR;
    }
    if (load_partitions(cl, &out->partitions, err, errlen) < 0)
        return IDW_ERR;
    ov = json_object_get(cl, "overrides");
    if (ov) {
        if (check_overrides(ov, out->partitions, err, errlen) < 0)
            return IDW_ERR;
        out->overrides = json_incref((json_t *)ov);
    }
    return IDW_OK;
}

unsigned idw_partition_of(const struct idw_partitioning *pt, const char *org)
{
    const json_t *v = pt->overrides ? json_object_get(pt->overrides, org) : NULL;

    if (v)
        return (unsigned)json_integer_value(v);
    return idw_fnv1a32(org, strlen(org)) % pt->partitions;
}

void idw_partitioning_free(struct idw_partitioning *pt)
{
    json_decref(pt->overrides);
    pt->overrides = NULL;
}
