/*
 * js.c — partition streams on NATS JetStream through cnats (js.h), and the
 * few calls on any stream that snapshots need (cluster/snapshot.h).
 *
 * Every call that talks to the cluster is retried until its deadline: on
 * loopback a leader election after a kill -9 takes about 8 s, during
 * which requests time out or find no responders.  Only errors that a
 * retry cannot fix (a message over max_payload, a bad argument) end the
 * loop early.
 */
#include "cluster/js.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "common/util.h"

#define RETRY_PAUSE_MS 200
#define REQUEST_WAIT_MS 2000

struct idw_js {
    natsConnection *nc;
    jsCtx *ctx;
};

int64_t idw_js_now_ms(void)
{
    return nats_Now();
}

static void set_err(char *err, size_t errlen, const char *what, natsStatus s, jsErrCode jerr)
{
    natsStatus last;
    const char *text = nats_GetLastError(&last);

    snprintf(err, errlen, "nats: %s: %s%s%s (js error %d)", what, natsStatus_GetText(s),
             text && *text ? ": " : "", text ? text : "", (int)jerr);
}

static int permanent(natsStatus s)
{
    return s == NATS_MAX_PAYLOAD || s == NATS_INVALID_ARG || s == NATS_NO_MEMORY;
}

/* Waits before the next attempt: 1 while time is left, 0 once deadline_ms has passed. */
static int again(int64_t deadline_ms)
{
    if (nats_Now() + RETRY_PAUSE_MS > deadline_ms)
        return 0;
    nats_Sleep(RETRY_PAUSE_MS);
    return 1;
}

static natsStatus make_opts(const struct idw_js_opts *c, int64_t timeout_ms, natsOptions **o)
{
    natsStatus s = natsOptions_Create(o);

    if (s == NATS_OK)
        s = natsOptions_SetServers(*o, (const char **)c->urls, (int)c->n);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(*o, timeout_ms);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(*o, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(*o, RETRY_PAUSE_MS);
    return s;
}

/*
 * TLS: verification is never skipped.  cnats checks the server's name only
 * when an expected hostname is set, so it always is (tls_name).  *what
 * names the setting a failure is about.
 */
static natsStatus set_tls(const struct idw_js_opts *c, natsOptions *o, const char **what)
{
    natsStatus s;

    if (!c->tls)
        return NATS_OK;
    *what = "TLS";
    s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK && c->ca_file) {
        *what = "cluster.nats_ca_file";
        s = natsOptions_LoadCATrustedCertificates(o, c->ca_file);
    }
    if (s == NATS_OK) {
        *what = "cluster.nats_tls_name";
        s = natsOptions_SetExpectedHostname(o, c->tls_name);
    }
    if (s == NATS_OK && c->cert_file) {
        *what = "cluster.nats_cert_file, nats_key_file";
        s = natsOptions_LoadCertificatesChain(o, c->cert_file, c->key_file);
    }
    return s;
}

static natsStatus set_auth(const struct idw_js_opts *c, natsOptions *o, const char **what)
{
    *what = "NATS authentication";
    if (c->creds_file)
        return natsOptions_SetUserCredentialsFromFiles(o, c->creds_file, NULL);
    if (c->token)
        return natsOptions_SetToken(o, c->token);
    if (c->user)
        return natsOptions_SetUserInfo(o, c->user, c->password);
    return NATS_OK;
}

/*
 * What a failed connection means, in the operator's words, and which setting
 * to look at.  With TLS 1.3 a server refuses a missing or untrusted client
 * certificate after the client's side of the handshake is done: the client
 * sees the connection closed before the server's first answer.
 */
static const char *cause(natsStatus s, int tls)
{
    if (tls && (s == NATS_PROTOCOL_ERROR || s == NATS_CONNECTION_CLOSED || s == NATS_IO_ERROR))
        return "TLS handshake failed: the server closed the connection (a server that requires a client "
               "certificate does so when none it trusts is presented: cluster.nats_cert_file, "
               "nats_key_file)";
    switch (s) {
    case NATS_SSL_ERROR:
        return "TLS handshake failed (check cluster.nats_ca_file, cluster.nats_tls_name and the client "
               "certificate)";
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
        return "authorization violation: the server refused the credentials (cluster.nats_creds_file, "
               "nats_token_file or $IDWATCH_NATS_TOKEN, nats_user with nats_password_file or "
               "$IDWATCH_NATS_PASSWORD)";
    case NATS_SECURE_CONNECTION_WANTED:
        return "TLS is required here but the server does not offer it";
    case NATS_SECURE_CONNECTION_REQUIRED:
        return "the server requires TLS (set cluster.nats_ca_file or use tls:// URLs)";
    case NATS_NO_SERVER:
        return "no server answered";
    default:
        return natsStatus_GetText(s);
    }
}

/* err for a connection that failed: the servers (URLs carry no secret: check_urls) and the cause. */
static void connect_err(const struct idw_js_opts *c, natsStatus s, char *err, size_t errlen)
{
    natsStatus last;
    const char *text = nats_GetLastError(&last);

    snprintf(err, errlen, "nats: cannot connect to %s", c->urls[0]);
    if (c->n > 1)
        idw_strappendf(err, errlen, " (or %zu other server%s)", c->n - 1, c->n > 2 ? "s" : "");
    idw_strappendf(err, errlen, ": %s", cause(s, c->tls));
    if (text && *text)
        idw_strappendf(err, errlen, " [%s]", text);
}

enum idw_rc idw_js_connect(const struct idw_js_opts *c, int64_t timeout_ms, struct idw_js **out,
                           char *err, size_t errlen)
{
    natsOptions *o = NULL;
    struct idw_js *js;
    const char *what = "options";
    natsStatus s;

    *out = NULL;
    js = calloc(1, sizeof *js);
    if (!js) {
        snprintf(err, errlen, "nats: out of memory");
        return IDW_ERR;
    }
    s = make_opts(c, timeout_ms, &o);
    if (s == NATS_OK)
        s = set_tls(c, o, &what);
    if (s == NATS_OK)
        s = set_auth(c, o, &what);
    if (s != NATS_OK) {
        set_err(err, errlen, what, s, 0);
        natsOptions_Destroy(o);
        idw_js_close(js);
        return IDW_ERR;
    }
    s = natsConnection_Connect(&js->nc, o);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&js->ctx, js->nc, NULL);
    natsOptions_Destroy(o);
    if (s != NATS_OK) {
        connect_err(c, s, err, errlen);
        idw_js_close(js);
        return IDW_ERR;
    }
    *out = js;
    return IDW_OK;
}

enum idw_rc idw_js_dial(const json_t *root, const char *const *urls, size_t n, int64_t timeout_ms,
                                  struct idw_js **out, char *err, size_t errlen)
{
    struct idw_js_opts o;
    enum idw_rc rc;

    *out = NULL;
    if (idw_js_opts_load(root, urls, n, &o, err, errlen) < 0)
        return IDW_ERR;
    rc = idw_js_connect(&o, timeout_ms, out, err, errlen);
    idw_js_opts_free(&o);
    return rc;
}

static void names(unsigned partition, char stream[32], char subject[48])
{
    snprintf(stream, 32, "IDW_P%u", partition);
    snprintf(subject, 48, "idw.p%u.pg", partition);
}

static jsOptions wait_opts(void)
{
    jsOptions o;

    jsOptions_Init(&o);
    o.Wait = REQUEST_WAIT_MS;
    return o;
}

/* The stream's state as its leader sees it. A replica of a replicated stream answers the info
 * request itself while it believes the stream has no leader (e.g. just restarted, before it
 * has heard from the leader or caught up), and its state may be stale: an answer naming no
 * leader is retried. A stream of a server outside a cluster names no cluster at all. On
 * NATS_OK *si is the caller's to destroy; *jerr is the server's error code, if any. */
static natsStatus leader_stream_info(struct idw_js *js, const char *stream, int64_t deadline_ms,
                                     jsStreamInfo **si, jsErrCode *jerr)
{
    jsOptions o = wait_opts();
    natsStatus s;

    for (;;) {
        *jerr = 0;
        *si = NULL;
        s = js_GetStreamInfo(si, js->ctx, stream, &o, jerr);
        if (s == NATS_OK && (*si)->Cluster && !((*si)->Cluster->Leader && (*si)->Cluster->Leader[0])) {
            jsStreamInfo_Destroy(*si);
            *si = NULL;
            s = NATS_TIMEOUT;       /* a leaderless answer: as if none came */
        }
        if (s == NATS_OK || permanent(s) || *jerr == JSStreamNotFoundErr || !again(deadline_ms))
            return s;
    }
}

enum idw_rc idw_js_ensure_stream(struct idw_js *js, unsigned partition, int replicas,
                                 int64_t deadline_ms, char *err, size_t errlen)
{
    char stream[32], subject[48];
    const char *subjects[1] = {subject};
    jsStreamConfig cfg;
    jsOptions o = wait_opts();
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    names(partition, stream, subject);
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = replicas;
    cfg.Duplicates = (int64_t)IDW_JS_DUP_WINDOW_S * 1000000000;
    do {
        jerr = 0;
        s = js_AddStream(&si, js->ctx, &cfg, &o, &jerr);
        jsStreamInfo_Destroy(si);
        si = NULL;
        if (s == NATS_OK || jerr == JSStreamNameExistErr)
            return IDW_OK;
    } while (!permanent(s) && again(deadline_ms));
    set_err(err, errlen, stream, s, jerr);
    return IDW_ERR;
}

static natsStatus publish_once(struct idw_js *js, const char *subject, const char *msg_id, const void *data,
                               size_t len, uint64_t *seq, int *duplicate, jsErrCode *jerr)
{
    jsPubOptions po;
    jsPubAck *ack = NULL;
    natsStatus s;

    jsPubOptions_Init(&po);
    po.MsgId = msg_id;
    po.MaxWait = REQUEST_WAIT_MS;
    s = js_Publish(&ack, js->ctx, subject, data, (int)len, &po, jerr);
    if (s == NATS_OK) {
        *seq = ack->Sequence;
        *duplicate = ack->Duplicate;
    }
    jsPubAck_Destroy(ack);
    return s;
}

size_t idw_js_max_message(const struct idw_js *js)
{
    int64_t max = natsConnection_GetMaxPayload(js->nc);

    return max > IDW_JS_HEADER_ALLOWANCE ? (size_t)(max - IDW_JS_HEADER_ALLOWANCE) : 0;
}

enum idw_rc idw_js_publish(struct idw_js *js, unsigned partition, const char *msg_id, const void *data,
                           size_t len, int64_t deadline_ms, uint64_t *seq, int *duplicate,
                           char *err, size_t errlen)
{
    char stream[32], subject[48];
    jsErrCode jerr = 0;
    natsStatus s;

    names(partition, stream, subject);
    do {
        jerr = 0;
        s = publish_once(js, subject, msg_id, data, len, seq, duplicate, &jerr);
        if (s == NATS_OK)
            return IDW_OK;
    } while (!permanent(s) && again(deadline_ms));
    set_err(err, errlen, subject, s, jerr);
    return IDW_ERR;
}

enum idw_rc idw_js_last_seq(struct idw_js *js, unsigned partition, int64_t deadline_ms, uint64_t *last,
                            char *err, size_t errlen)
{
    char stream[32], subject[48];
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    names(partition, stream, subject);
    s = leader_stream_info(js, stream, deadline_ms, &si, &jerr);
    if (s == NATS_OK) {
        *last = si->State.LastSeq;
        jsStreamInfo_Destroy(si);
        return IDW_OK;
    }
    if (jerr == JSStreamNotFoundErr) {
        snprintf(err, errlen, "nats: %s: no such stream (nothing was published to partition %u)", stream,
                 partition);
        return IDW_ERR;
    }
    set_err(err, errlen, stream, s, jerr);
    return IDW_ERR;
}

static enum idw_rc copy_data(natsMsg *m, char **data, size_t *len, char *err, size_t errlen)
{
    int n = natsMsg_GetDataLength(m);

    *data = malloc((size_t)n + 1);
    if (!*data) {
        snprintf(err, errlen, "nats: out of memory");
        return IDW_ERR;
    }
    memcpy(*data, natsMsg_GetData(m), (size_t)n);
    (*data)[n] = '\0';
    *len = (size_t)n;
    return IDW_OK;
}

enum idw_rc idw_js_get(struct idw_js *js, unsigned partition, uint64_t seq, int64_t deadline_ms,
                       char **data, size_t *len, char *err, size_t errlen)
{
    char stream[32], subject[48], what[64];
    jsOptions o = wait_opts();
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s;
    enum idw_rc rc;

    names(partition, stream, subject);
    *data = NULL;
    do {
        jerr = 0;
        s = js_GetMsg(&m, js->ctx, stream, seq, &o, &jerr);
        if (s == NATS_OK) {
            rc = copy_data(m, data, len, err, errlen);
            natsMsg_Destroy(m);
            return rc;
        }
    } while (!permanent(s) && again(deadline_ms));
    snprintf(what, sizeof what, "%s seq %llu", stream, (unsigned long long)seq);
    set_err(err, errlen, what, s, jerr);
    return IDW_ERR;
}

void idw_js_close(struct idw_js *js)
{
    if (js) {
        jsCtx_Destroy(js->ctx);
        natsConnection_Destroy(js->nc);
        free(js);
    }
    nats_Close();
}

/* ---- any stream: retention, snapshots (js.h) ------------------------------------------------- */

struct idw_js_msg {
    natsMsg *m;
};

void idw_js_partition_stream(unsigned partition, char out[32])
{
    snprintf(out, 32, "IDW_P%u", partition);
}

enum idw_rc idw_js_ensure(struct idw_js *js, const struct idw_js_stream *st, int64_t deadline_ms,
                          char *err, size_t errlen)
{
    jsStreamConfig cfg;
    jsOptions o = wait_opts();
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    jsStreamConfig_Init(&cfg);
    cfg.Name = st->name;
    cfg.Subjects = (const char **)st->subjects;
    cfg.SubjectsLen = st->nsubjects;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = st->replicas;
    cfg.MaxAge = st->max_age_s * 1000000000;
    if (st->max_msg_size)
        cfg.MaxMsgSize = st->max_msg_size;
    cfg.AllowRollup = st->allow_rollup != 0;
    if (st->max_msgs_per_subject > 0)
        cfg.MaxMsgsPerSubject = st->max_msgs_per_subject;
    do {
        jerr = 0;
        s = js_AddStream(&si, js->ctx, &cfg, &o, &jerr);
        jsStreamInfo_Destroy(si);
        si = NULL;
        if (s == NATS_OK || jerr == JSStreamNameExistErr)
            return IDW_OK;
    } while (!permanent(s) && again(deadline_ms));
    set_err(err, errlen, st->name, s, jerr);
    return IDW_ERR;
}

enum idw_rc idw_js_ensure_partition(struct idw_js *js, unsigned partition, int replicas, int max_age_days,
                                    int64_t deadline_ms, char *err, size_t errlen)
{
    char stream[32], subject[48];
    const char *subjects[1] = {subject};
    jsStreamConfig cfg;
    jsOptions o = wait_opts();
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    /* the same stream as idw_js_ensure_stream, plus its MaxAge */
    names(partition, stream, subject);
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = replicas;
    cfg.Duplicates = (int64_t)IDW_JS_DUP_WINDOW_S * 1000000000;
    cfg.MaxAge = (int64_t)max_age_days * 86400 * 1000000000;
    do {
        jerr = 0;
        s = js_AddStream(&si, js->ctx, &cfg, &o, &jerr);
        jsStreamInfo_Destroy(si);
        si = NULL;
        if (s == NATS_OK || jerr == JSStreamNameExistErr)
            return IDW_OK;
    } while (!permanent(s) && again(deadline_ms));
    set_err(err, errlen, stream, s, jerr);
    return IDW_ERR;
}

static natsStatus make_msg(natsMsg **m, const char *subject, const struct idw_js_header *h, size_t n,
                           const void *data, size_t len)
{
    natsStatus s = natsMsg_Create(m, subject, NULL, data, (int)len);

    for (size_t i = 0; s == NATS_OK && i < n; i++)
        s = natsMsgHeader_Set(*m, h[i].key, h[i].value);
    return s;
}

enum idw_rc idw_js_publish_headers(struct idw_js *js, const char *subject, const struct idw_js_header *h,
                                   size_t n, const void *data, size_t len, int64_t deadline_ms,
                                   uint64_t *seq, int *duplicate, char *err, size_t errlen)
{
    jsPubOptions po;
    jsPubAck *ack = NULL;
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    jsPubOptions_Init(&po);
    po.MaxWait = REQUEST_WAIT_MS;
    do {
        jerr = 0;
        /* a message is consumed by neither publish nor failure: built afresh for each attempt */
        s = make_msg(&m, subject, h, n, data, len);
        if (s == NATS_OK)
            s = js_PublishMsg(&ack, js->ctx, m, &po, &jerr);
        natsMsg_Destroy(m);
        m = NULL;
        if (s == NATS_OK) {
            *seq = ack->Sequence;
            *duplicate = ack->Duplicate;
            jsPubAck_Destroy(ack);
            return IDW_OK;
        }
    } while (!permanent(s) && again(deadline_ms));
    set_err(err, errlen, subject, s, jerr);
    return IDW_ERR;
}

static int absent(jsErrCode jerr)
{
    return jerr == JSNoMessageFoundErr || jerr == JSStreamNotFoundErr;
}

enum idw_rc idw_js_stream_get(struct idw_js *js, const char *stream, uint64_t seq, const char *last_subject,
                              int64_t deadline_ms, struct idw_js_msg **out, char *err, size_t errlen)
{
    jsOptions o = wait_opts();
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s;
    char what[192];

    *out = NULL;
    do {
        jerr = 0;
        if (last_subject)
            s = js_GetLastMsg(&m, js->ctx, stream, last_subject, &o, &jerr);
        else
            s = js_GetMsg(&m, js->ctx, stream, seq, &o, &jerr);
        if (s == NATS_OK) {
            *out = calloc(1, sizeof **out);
            if (!*out) {
                natsMsg_Destroy(m);
                snprintf(err, errlen, "nats: out of memory");
                return IDW_ERR;
            }
            (*out)->m = m;
            return IDW_OK;
        }
        if (absent(jerr))
            return IDW_NOTFOUND;
    } while (!permanent(s) && again(deadline_ms));
    if (last_subject)
        snprintf(what, sizeof what, "%s last %s", stream, last_subject);
    else
        snprintf(what, sizeof what, "%s seq %llu", stream, (unsigned long long)seq);
    set_err(err, errlen, what, s, jerr);
    return IDW_ERR;
}

const char *idw_js_msg_subject(const struct idw_js_msg *m)
{
    return natsMsg_GetSubject(m->m);
}

uint64_t idw_js_msg_seq(const struct idw_js_msg *m)
{
    return natsMsg_GetSequence(m->m);
}

const void *idw_js_msg_data(const struct idw_js_msg *m, size_t *len)
{
    *len = (size_t)natsMsg_GetDataLength(m->m);
    return natsMsg_GetData(m->m);
}

const char *idw_js_msg_header(const struct idw_js_msg *m, const char *key)
{
    const char *v = NULL;

    return natsMsgHeader_Get(m->m, key, &v) == NATS_OK ? v : NULL;
}

void idw_js_msg_free(struct idw_js_msg *m)
{
    if (m) {
        natsMsg_Destroy(m->m);
        free(m);
    }
}

enum idw_rc idw_js_stream_state(struct idw_js *js, const char *stream, int64_t deadline_ms, uint64_t *first,
                                uint64_t *last, uint64_t *msgs, char *err, size_t errlen)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    *first = *last = *msgs = 0;
    s = leader_stream_info(js, stream, deadline_ms, &si, &jerr);
    if (s == NATS_OK) {
        *first = si->State.FirstSeq;
        *last = si->State.LastSeq;
        *msgs = si->State.Msgs;
        jsStreamInfo_Destroy(si);
        return IDW_OK;
    }
    if (jerr == JSStreamNotFoundErr)
        return IDW_NOTFOUND;
    set_err(err, errlen, stream, s, jerr);
    return IDW_ERR;
}

enum idw_rc idw_js_purge(struct idw_js *js, const char *stream, const char *subject, uint64_t before,
                         int64_t deadline_ms, char *err, size_t errlen)
{
    jsOptions o = wait_opts();
    jsErrCode jerr = 0;
    natsStatus s;

    if (before <= 1)
        return IDW_OK;      /* nothing below 1; and the server would take 1 for "everything" */
    o.Stream.Purge.Subject = subject;
    o.Stream.Purge.Sequence = before;
    do {
        jerr = 0;
        s = js_PurgeStream(js->ctx, stream, &o, &jerr);
        if (s == NATS_OK)
            return IDW_OK;
    } while (!permanent(s) && again(deadline_ms));
    set_err(err, errlen, stream, s, jerr);
    return IDW_ERR;
}

/* ---- streams other than the partition logs (js.h) ------------------------------- */

enum idw_rc idw_js_ensure_named(struct idw_js *js, const struct idw_js_stream_spec *spec,
                                int64_t deadline_ms, char *err, size_t errlen)
{
    const char *subjects[1] = {spec->subject};
    jsStreamConfig cfg;
    jsOptions o = wait_opts();
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    jsStreamConfig_Init(&cfg);
    cfg.Name = spec->name;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = spec->replicas;
    cfg.Duplicates = spec->dup_window_s * 1000000000;
    cfg.MaxAge = spec->max_age_s * 1000000000;
    do {
        jerr = 0;
        s = js_AddStream(&si, js->ctx, &cfg, &o, &jerr);
        jsStreamInfo_Destroy(si);
        si = NULL;
        if (s == NATS_OK || jerr == JSStreamNameExistErr)
            return IDW_OK;
    } while (!permanent(s) && again(deadline_ms));
    set_err(err, errlen, spec->name, s, jerr);
    return IDW_ERR;
}

enum idw_rc idw_js_publish_subject(struct idw_js *js, const char *subject, const char *msg_id,
                                   const void *data, size_t len, int64_t deadline_ms, uint64_t *seq,
                                   int *duplicate, char *err, size_t errlen)
{
    jsErrCode jerr = 0;
    natsStatus s;

    do {
        jerr = 0;
        s = publish_once(js, subject, msg_id, data, len, seq, duplicate, &jerr);
        if (s == NATS_OK)
            return IDW_OK;
    } while (!permanent(s) && again(deadline_ms));
    set_err(err, errlen, subject, s, jerr);
    return IDW_ERR;
}

/* The stream's message count: IDW_OK, IDW_NOTFOUND (no such stream), IDW_ERR with err. */
static enum idw_rc stream_msgs(struct idw_js *js, const char *stream, uint64_t *msgs,
                               char *err, size_t errlen)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = leader_stream_info(js, stream, nats_Now() + REQUEST_WAIT_MS, &si, &jerr);

    if (jerr == JSStreamNotFoundErr)
        return IDW_NOTFOUND;
    if (s != NATS_OK) {
        set_err(err, errlen, stream, s, jerr);
        return IDW_ERR;
    }
    *msgs = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return IDW_OK;
}

/* An ordered consumer of stream on filter from start_ms; *none: it has nothing to deliver. */
static enum idw_rc subscribe_ordered(struct idw_js *js, const char *stream, const char *filter,
                                     int64_t start_ms, natsSubscription **sub, int *none,
                                     char *err, size_t errlen)
{
    jsOptions o = wait_opts();
    jsSubOptions so;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s;

    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Ordered = true;
    so.Config.DeliverPolicy = start_ms > 0 ? js_DeliverByStartTime : js_DeliverAll;
    so.Config.OptStartTime = start_ms > 0 ? start_ms * 1000000 : 0;
    s = js_SubscribeSync(sub, js->ctx, filter, &o, &so, &jerr);
    if (s == NATS_OK)
        s = natsSubscription_GetConsumerInfo(&ci, *sub, &o, &jerr);
    if (s != NATS_OK) {
        set_err(err, errlen, stream, s, jerr);
        natsSubscription_Destroy(*sub);
        *sub = NULL;
        return IDW_ERR;
    }
    *none = ci->NumPending == 0 && ci->Delivered.Consumer == 0;
    jsConsumerInfo_Destroy(ci);
    return IDW_OK;
}

/* One message to fn; *last: the consumer has caught up.  IDW_OK, or IDW_ERR with err. */
static enum idw_rc deliver_one(natsMsg *m, idw_js_msg_fn fn, void *ctx, int *last, char *err, size_t errlen)
{
    jsMsgMetaData *meta = NULL;
    natsStatus s = natsMsg_GetMetaData(&meta, m);
    int rc;

    if (s != NATS_OK) {
        set_err(err, errlen, "message metadata", s, 0);
        return IDW_ERR;
    }
    rc = fn(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), meta->Sequence.Stream,
            meta->Timestamp / 1000000, ctx);
    *last = meta->NumPending == 0;
    if (rc < 0)
        snprintf(err, errlen, "%s seq %llu: could not be taken (out of memory)", meta->Stream,
                 (unsigned long long)meta->Sequence.Stream);
    jsMsgMetaData_Destroy(meta);
    return rc < 0 ? IDW_ERR : IDW_OK;
}

enum idw_rc idw_js_read_ordered(struct idw_js *js, const char *stream, const char *filter, int64_t start_ms,
                                int64_t wait_ms, idw_js_msg_fn fn, void *ctx, uint64_t *count,
                                char *err, size_t errlen)
{
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    uint64_t msgs = 0, n = 0;
    int none = 0, last = 0;
    enum idw_rc rc = stream_msgs(js, stream, &msgs, err, errlen);

    if (rc == IDW_OK && msgs)
        rc = subscribe_ordered(js, stream, filter, start_ms, &sub, &none, err, errlen);
    while (rc == IDW_OK && msgs && !none && !last) {
        natsStatus s = natsSubscription_NextMsg(&m, sub, wait_ms);
        if (s != NATS_OK) {
            set_err(err, errlen, stream, s, 0);
            rc = IDW_ERR;
            break;
        }
        rc = deliver_one(m, fn, ctx, &last, err, errlen);
        natsMsg_Destroy(m);
        n++;
    }
    if (sub) {
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
    }
    if (count)
        *count = n;
    return rc;
}
