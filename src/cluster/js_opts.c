/*
 * js_opts.c — the NATS connection settings of js.h (struct idw_js_opts)
 * from the configuration's cluster object: the server list, TLS (a CA
 * bundle, the name to verify, a client certificate) and at most one
 * authentication method, with its secret read from a mode-600 file or an
 * environment variable (docs/config.md, docs/scale-out.md "Securing NATS").
 *
 * Everything is checked here, before any connection, so a mistake is
 * reported naming its key (or variable) rather than surfacing later as a
 * handshake failure; the secret itself never reaches an error message.
 */
#include "cluster/js.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define ENV_TOKEN "IDWATCH_NATS_TOKEN"
#define ENV_PASSWORD "IDWATCH_NATS_PASSWORD"
#define HOST_MAX 256

/* A string key of the cluster object; "" counts as unset. */
static const char *key_str(const json_t *cluster, const char *key)
{
    const char *v = json_string_value(json_object_get(cluster, key));

    return v && *v ? v : NULL;
}

/* An environment variable; empty counts as unset. */
static const char *env_str(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

/* Refuses credentials in a URL (never echoed: it may hold a password); *tls = 1 when one is tls://. */
static enum idw_rc check_urls(const char *const *urls, size_t n, int *tls, char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "nats: no server URL (cluster.nats)");
        return IDW_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        if (strchr(urls[i], '@')) {
            snprintf(err, errlen, "nats: server URL %zu (--nats or cluster.nats): credentials in a URL "
                     "are not supported: use cluster.nats_creds_file, nats_token_file or nats_user "
                     "(docs/config.md)", i + 1);
            return IDW_ERR;
        }
        if (strncasecmp(urls[i], "tls://", 6) == 0)
            *tls = 1;
    }
    return IDW_OK;
}

/* A file that is not secret (CA bundle, certificate): it must exist and be readable now. */
static enum idw_rc public_file(const char *path, const char *key, char *err, size_t errlen)
{
    struct stat sb;

    if (stat(path, &sb) != 0 || access(path, R_OK) != 0) {
        snprintf(err, errlen, "cluster.%s: %s: %s", key, path, strerror(errno));
        return IDW_ERR;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "cluster.%s: %s: not a regular file", key, path);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* A secret file cnats reads itself (client key, .creds): the shared checks, mode 600 first. */
static enum idw_rc secret_file(const char *path, const char *key, char *err, size_t errlen)
{
    char what[64];
    size_t len = 0;
    char *buf;

    snprintf(what, sizeof what, "cluster.%s", key);
    buf = idw_secret_file_read(path, what, IDW_SECRET_FILE_MAX, &len, err, errlen);
    if (!buf)
        return IDW_ERR;
    idw_secret_buf_free(buf, len);
    return IDW_OK;
}

/* The host part of a URL (scheme://host:port, [v6]:port, or host:port). */
static void url_host(const char *url, char out[HOST_MAX])
{
    const char *p = strstr(url, "://");
    size_t len;

    p = p ? p + 3 : url;
    if (*p == '[') {
        p++;
        len = strcspn(p, "]");
    } else {
        len = strcspn(p, ":/");
    }
    snprintf(out, HOST_MAX, "%.*s", (int)len, p);
}

/*
 * The name every server's certificate must carry: cluster.nats_tls_name,
 * else the servers' common host.  cnats verifies one name for all servers
 * (and for those the cluster announces), so servers on different hosts
 * need the name given.
 */
static enum idw_rc tls_name(const json_t *cluster, struct idw_js_opts *o, char *err, size_t errlen)
{
    const char *name = key_str(cluster, "nats_tls_name");
    char first[HOST_MAX], h[HOST_MAX];

    if (!name) {
        url_host(o->urls[0], first);
        for (size_t i = 1; i < o->n; i++) {
            url_host(o->urls[i], h);
            if (strcasecmp(h, first) != 0) {
                snprintf(err, errlen, "cluster.nats_tls_name: the servers are on different hosts (%s, %s): "
                         "set the name every server's TLS certificate carries (it is verified)", first, h);
                return IDW_ERR;
            }
        }
        name = first;
    }
    o->tls_name = strdup(name);
    if (!o->tls_name) {
        snprintf(err, errlen, "cluster.nats_tls_name: out of memory");
        return IDW_ERR;
    }
    return IDW_OK;
}

static enum idw_rc load_tls(const json_t *cluster, struct idw_js_opts *o, char *err, size_t errlen)
{
    o->ca_file = key_str(cluster, "nats_ca_file");
    o->cert_file = key_str(cluster, "nats_cert_file");
    o->key_file = key_str(cluster, "nats_key_file");
    if (!o->cert_file != !o->key_file) {
        snprintf(err, errlen, "cluster.%s is set without cluster.%s: a client certificate needs both",
                 o->cert_file ? "nats_cert_file" : "nats_key_file",
                 o->cert_file ? "nats_key_file" : "nats_cert_file");
        return IDW_ERR;
    }
    if (o->ca_file || o->cert_file)
        o->tls = 1;
    if (!o->tls)
        return IDW_OK;
    if ((o->ca_file && public_file(o->ca_file, "nats_ca_file", err, errlen) < 0) ||
        (o->cert_file && (public_file(o->cert_file, "nats_cert_file", err, errlen) < 0 ||
                          secret_file(o->key_file, "nats_key_file", err, errlen) < 0)))
        return IDW_ERR;
    return tls_name(cluster, o, err, errlen);
}

/* The names of the authentication settings present, for the "more than one method" error. */
static int auth_methods(const json_t *cluster, char *names, size_t cap)
{
    int n = 0;

    names[0] = '\0';
    if (key_str(cluster, "nats_creds_file")) {
        idw_strappendf(names, cap, "%scluster.nats_creds_file", n++ ? ", " : "");
    }
    if (key_str(cluster, "nats_token_file") || env_str(ENV_TOKEN)) {
        idw_strappendf(names, cap, "%s%s", n++ ? ", " : "",
                       key_str(cluster, "nats_token_file") ? "cluster.nats_token_file" : "$" ENV_TOKEN);
    }
    if (key_str(cluster, "nats_user") || key_str(cluster, "nats_password_file") || env_str(ENV_PASSWORD)) {
        idw_strappendf(names, cap, "%s%s", n++ ? ", " : "",
                       key_str(cluster, "nats_user") ? "cluster.nats_user"
                       : key_str(cluster, "nats_password_file") ? "cluster.nats_password_file"
                       : "$" ENV_PASSWORD);
    }
    return n;
}

/* The secret of file_key, or else of the environment variable env; both set is an error. */
static char *load_secret(const json_t *cluster, const char *file_key, const char *env, char *err,
                         size_t errlen)
{
    const char *file = key_str(cluster, file_key);
    char what[64];

    if (file && env_str(env)) {
        snprintf(err, errlen, "cluster.%s and $%s are both set: use one", file_key, env);
        return NULL;
    }
    if (file) {
        snprintf(what, sizeof what, "cluster.%s", file_key);
        return idw_secret_load(file, NULL, what, err, errlen);
    }
    snprintf(what, sizeof what, "$%s", env);
    return idw_secret_load(NULL, env, what, err, errlen);
}

static enum idw_rc load_user(const json_t *cluster, struct idw_js_opts *o, char *err, size_t errlen)
{
    o->user = key_str(cluster, "nats_user");
    if (!o->user) {
        snprintf(err, errlen, "%s is set without cluster.nats_user",
                 key_str(cluster, "nats_password_file") ? "cluster.nats_password_file" : "$" ENV_PASSWORD);
        return IDW_ERR;
    }
    if (!key_str(cluster, "nats_password_file") && !env_str(ENV_PASSWORD)) {
        snprintf(err, errlen, "cluster.nats_user needs cluster.nats_password_file or $%s", ENV_PASSWORD);
        return IDW_ERR;
    }
    o->password = load_secret(cluster, "nats_password_file", ENV_PASSWORD, err, errlen);
    return o->password ? IDW_OK : IDW_ERR;
}

static enum idw_rc load_auth(const json_t *cluster, struct idw_js_opts *o, char *err, size_t errlen)
{
    char names[160];
    int n = auth_methods(cluster, names, sizeof names);

    if (n > 1) {
        snprintf(err, errlen, "%s: more than one NATS authentication method: set only one", names);
        return IDW_ERR;
    }
    o->creds_file = key_str(cluster, "nats_creds_file");
    if (o->creds_file)
        return secret_file(o->creds_file, "nats_creds_file", err, errlen);
    if (key_str(cluster, "nats_token_file") || env_str(ENV_TOKEN)) {
        o->token = load_secret(cluster, "nats_token_file", ENV_TOKEN, err, errlen);
        return o->token ? IDW_OK : IDW_ERR;
    }
    return n ? load_user(cluster, o, err, errlen) : IDW_OK;
}

enum idw_rc idw_js_opts_load(const json_t *root, const char *const *urls, size_t n, struct idw_js_opts *o,
                             char *err, size_t errlen)
{
    const json_t *cluster = json_object_get(root, "cluster");

    memset(o, 0, sizeof *o);
    o->urls = urls;
    o->n = n;
    if (check_urls(urls, n, &o->tls, err, errlen) < 0 || load_tls(cluster, o, err, errlen) < 0 ||
        load_auth(cluster, o, err, errlen) < 0) {
        idw_js_opts_free(o);
        return IDW_ERR;
    }
    return IDW_OK;
}

void idw_js_opts_free(struct idw_js_opts *o)
{
    if (!o)
        return;
    idw_secret_free(o->token);
    idw_secret_free(o->password);
    free(o->tls_name);
    o->token = o->password = o->tls_name = NULL;
}
