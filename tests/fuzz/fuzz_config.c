/*
 * fuzz_config.c — the configuration loader (src/common/config.h) and the
 * loaders that read sections of the validated document: each org's
 * connector settings (idw_okta_org_read, org_url parsing included), the
 * org's auth object (idw_okta_auth_new, SSWS), the webhooks
 * (idw_webhook_targets, idw_webhooks_load), and the NATS connection
 * settings of the cluster object (idw_js_opts_load: TLS files, one
 * authentication method).
 *
 * The input is the configuration file's text.  Loaders that read secrets
 * or files get only the harness's own: every *_file setting is pointed at
 * a 0600 file the harness made, every *_env setting at a variable it set,
 * and private_key_jwt auth objects are not loaded (that path is a PEM
 * read by OpenSSL and an RSA key generation per input), so the fuzzer can
 * neither read the machine's files nor spend its time in key generation.
 *
 * Invariants: a rejected configuration has a message, and it names the
 * source or a key; an accepted one has valid domain ids and a db path;
 * accepted NATS settings with TLS have the name to verify.
 */
#include "fuzz_util.h"

#include <unistd.h>

#include "cluster/js.h"
#include "common/config.h"
#include "deliver/webhook.h"
#include "source/okta_auth.h"
#include "source/okta_poll.h"

static char secret_file[64];

static void remove_secret(void)
{
    unlink(secret_file);
}

static void setup_once(void)
{
    static int done;
    int fd;

    if (done++)
        return;
    snprintf(secret_file, sizeof secret_file, "/tmp/idw-fuzz-secret-XXXXXX");
    fd = mkstemp(secret_file);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(write(fd, "fuzz-secret\n", 12) == 12);
    close(fd);
    atexit(remove_secret);
    setenv("IDW_FUZZ_SECRET", "fuzz-secret", 1);
    unsetenv("IDWATCH_NATS_TOKEN");        /* the NATS secrets come from the harness's file only */
    unsetenv("IDWATCH_NATS_PASSWORD");
}

/* Points every file/env secret setting of obj at the harness's own. */
static void own_secrets(json_t *obj)
{
    static const char *const files[] = {"secret_file", "token_file", "ca_file", "private_key_file"};
    static const char *const envs[] = {"secret_env", "token_env"};

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (json_is_string(json_object_get(obj, files[i])))
            json_object_set_new(obj, files[i], json_string(secret_file));
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++)
        if (json_is_string(json_object_get(obj, envs[i])))
            json_object_set_new(obj, envs[i], json_string("IDW_FUZZ_SECRET"));
}

static void read_orgs(const struct idw_config *cfg)
{
    for (size_t i = 0; i < cfg->n_orgs; i++) {
        struct idw_okta_org org;
        struct idw_okta_auth *auth = NULL;
        char err[512] = "";
        json_t *a;

        FUZZ_CHECK(idw_domain_id_valid(cfg->orgs[i].domain_id));
        own_secrets(cfg->orgs[i].json);
        if (idw_okta_org_read(&cfg->orgs[i], &org, err, sizeof err) < 0) {
            FUZZ_CHECK(err[0] != '\0');
            continue;
        }
        FUZZ_CHECK(strncmp(org.base, "https://", 8) == 0);
        a = json_object_get(cfg->orgs[i].json, "auth");
        own_secrets(a);
        if (json_is_string(json_object_get(a, "method")) &&
            strcmp(json_string_value(json_object_get(a, "method")), "private_key_jwt") == 0)
            continue;
        if (idw_okta_auth_new(a, org.base, &auth, err, sizeof err) == 0) {
            (void)idw_okta_auth_describe(auth);
            idw_okta_auth_free(auth);
        } else {
            FUZZ_CHECK(err[0] != '\0');
        }
    }
}

static void read_webhooks(const struct idw_config *cfg)
{
    struct idw_outbox_target *t = NULL;
    struct idw_webhooks *wh = NULL;
    json_t *arr = json_object_get(cfg->root, "webhooks");
    size_t n = 0, i;
    json_t *w;
    char err[512] = "";

    if (idw_webhook_targets(cfg->root, &t, &n, err, sizeof err) < 0)
        FUZZ_CHECK(err[0] != '\0' && t == NULL);
    free(t);
    json_array_foreach(arr, i, w) own_secrets(w);
    err[0] = '\0';
    if (idw_webhooks_load(cfg->root, &wh, err, sizeof err) < 0)
        FUZZ_CHECK(err[0] != '\0' && wh == NULL);
    idw_webhooks_free(wh);
}

/* The cluster object's NATS settings, every file pointed at the harness's own (mode 600). */
static void read_nats(const struct idw_config *cfg)
{
    static const char *const files[] = {"nats_ca_file", "nats_cert_file", "nats_key_file",
                                        "nats_creds_file", "nats_token_file", "nats_password_file"};
    json_t *cluster = json_object_get(cfg->root, "cluster");
    const char *urls[16];
    struct idw_js_opts o;
    size_t n = 0, i;
    json_t *u;
    char err[512] = "";

    if (!json_is_object(cluster))
        return;
    for (i = 0; i < sizeof files / sizeof files[0]; i++)
        if (json_is_string(json_object_get(cluster, files[i])))
            json_object_set_new(cluster, files[i], json_string(secret_file));
    json_array_foreach(json_object_get(cluster, "nats"), i, u)
        if (n < 16)
            urls[n++] = json_string_value(u);
    if (idw_js_opts_load(cfg->root, urls, n, &o, err, sizeof err) < 0) {
        FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err));
        return;
    }
    FUZZ_CHECK(n > 0 && (!o.tls || o.tls_name != NULL));
    idw_js_opts_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct idw_config cfg;
    char err[1024] = "";
    char *text = fuzz_cstr(data, size);

    setup_once();
    if (!text)
        return 0;
    if (idw_config_parse(text, "fuzz.json", &cfg, err, sizeof err) < 0) {
        FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err));
        FUZZ_CHECK(cfg.root == NULL && cfg.orgs == NULL);
        free(text);
        return 0;
    }
    FUZZ_CHECK(cfg.db_path[0] != '\0');
    read_orgs(&cfg);
    read_webhooks(&cfg);
    read_nats(&cfg);
    idw_config_free(&cfg);
    free(text);
    return 0;
}
