/*
 * js.h — a thin wrapper over the NATS C client (cnats, JetStream) for the
 * partition write-ahead logs (docs/scale-out.md).
 *
 * Partition n's log is the stream IDW_P<n> on the subject idw.p<n>.pg
 * (file storage, replicas configurable, default 3; a duplicate window for
 * Nats-Msg-Id de-duplication).  Pages are published one at a time,
 * synchronously, with their Msg-Id (cluster/wal.h); a publish that times
 * out or finds no stream leader (an election after a node died) is
 * retried with the same Msg-Id until the deadline, so a retry of a page
 * the server did store comes back as a duplicate, not a second copy.
 * Reading is by sequence number (js_GetMsg: a STREAM.MSG.GET request
 * answered by the stream leader, not the Direct Get API), so an applier
 * can resume from any sequence.
 *
 * Security (docs/scale-out.md, "Securing NATS"): the connection settings
 * (struct idw_js_opts) come from the configuration's cluster object —
 * TLS with server verification (a CA bundle, hostname verification always
 * on, an optional client certificate) and one authentication method (a
 * .creds file, a token, or a user and password).  Secrets come only from
 * files of mode 600 or environment variables, never from a URL (a URL
 * with user:password@ is refused, never logged), and never appear in err.
 *
 * One connection per process (idw_js_close also releases the library).
 * Not thread-safe.  Return codes (common/rc.h) are named per function.
 */
#ifndef IDW_JS_H
#define IDW_JS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"

#define IDW_JS_REPLICAS_DEFAULT 3
#define IDW_JS_DUP_WINDOW_S 600         /* de-duplication window of a partition stream */
#define IDW_JS_HEADER_ALLOWANCE 1024    /* room kept for the headers (Nats-Msg-Id, ...) of a message */

struct idw_js;

/*
 * How to reach and authenticate to the servers.  Filled by
 * idw_js_opts_load; the strings borrowed from the configuration (and
 * urls) must outlive it; tls_name, token and password are owned, freed
 * (the secrets wiped) by idw_js_opts_free.
 */
struct idw_js_opts {
    const char *const *urls;    /* n ≥ 1: nats://host:port or tls://host:port */
    size_t n;
    int tls;                    /* 1: TLS required (a CA file set, or a tls:// URL) */
    const char *ca_file;        /* PEM CA bundle the servers must chain to; NULL: the system's */
    char *tls_name;             /* owned: the name every server's certificate must carry (verified) */
    const char *cert_file;      /* client certificate (mutual TLS), with key_file; else NULL */
    const char *key_file;
    const char *creds_file;     /* a NATS .creds file (user JWT + NKey seed); else NULL */
    char *token;                /* owned secret; else NULL */
    const char *user;           /* with password */
    char *password;             /* owned secret; else NULL */
};

/*
 * Fills o from root's cluster object (the nats_* keys of docs/config.md)
 * and the server list urls (n of them: --nats, else cluster.nats): checks
 * that the files named exist, that the secret ones (key, .creds, token,
 * password files) are mode 600, and that at most one authentication
 * method is set (a .creds file; a token from nats_token_file or
 * $IDWATCH_NATS_TOKEN; nats_user with nats_password_file or
 * $IDWATCH_NATS_PASSWORD), and reads the token or password.  IDW_OK, or
 * IDW_ERR with err naming the key or variable, never the secret (*o then
 * holds nothing to free).
 */
enum idw_rc idw_js_opts_load(const json_t *root, const char *const *urls, size_t n, struct idw_js_opts *o,
                             char *err, size_t errlen) IDW_MUST_CHECK;

/* Wipes and frees o's secrets; o may be NULL. */
void idw_js_opts_free(struct idw_js_opts *o);

/*
 * Connects to the first reachable of o's servers with its TLS and
 * credentials, reconnecting to the others for ever after.  IDW_OK with
 * *out, or IDW_ERR with err naming the servers and the cause (no server
 * answered within timeout_ms, TLS handshake failed, authorization
 * violation), never a secret.
 */
enum idw_rc idw_js_connect(const struct idw_js_opts *o, int64_t timeout_ms, struct idw_js **out,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * idw_js_opts_load, idw_js_connect and idw_js_opts_free in one call: what
 * every command does with its configuration and --nats servers.
 */
enum idw_rc idw_js_dial(const json_t *root, const char *const *urls, size_t n, int64_t timeout_ms,
                                  struct idw_js **out, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Creates partition's stream if missing (an existing one is left as it
 * is).  Retries until deadline (ms since the epoch, as nats_Now) while the
 * cluster has no meta leader.  IDW_OK, or IDW_ERR with err.
 */
enum idw_rc idw_js_ensure_stream(struct idw_js *js, unsigned partition, int replicas,
                                 int64_t deadline_ms, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Publishes one encoded page to partition's stream with msg_id, waiting for
 * the stream's acknowledgement, retried as above until deadline_ms.  IDW_OK
 * with *seq (the stored sequence) and *duplicate (1: the stream already held
 * msg_id, *seq is that copy's), or IDW_ERR with err.
 */
enum idw_rc idw_js_publish(struct idw_js *js, unsigned partition, const char *msg_id, const void *data,
                           size_t len, int64_t deadline_ms, uint64_t *seq, int *duplicate,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The stream's last sequence (0: empty), retried until deadline_ms.  IDW_OK,
 * or IDW_ERR with err (at once when the stream does not exist).
 */
enum idw_rc idw_js_last_seq(struct idw_js *js, unsigned partition, int64_t deadline_ms, uint64_t *last,
                            char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The message at seq, retried until deadline_ms.  IDW_OK with *data
 * (malloc'd, NUL-terminated) and *len, or IDW_ERR with err.
 */
enum idw_rc idw_js_get(struct idw_js *js, unsigned partition, uint64_t seq, int64_t deadline_ms,
                       char **data, size_t *len, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The largest page encoding (cluster/wal.h idw_wal_split) one message may
 * carry on this connection: the server's max_payload (from its INFO; the
 * server checks headers plus body against it) minus IDW_JS_HEADER_ALLOWANCE
 * for the Nats-Msg-Id header and the protocol's own.  0 when the server's
 * max_payload is too small for any page.
 */
size_t idw_js_max_message(const struct idw_js *js);

/* Milliseconds since the epoch (the clock deadlines are given in). */
int64_t idw_js_now_ms(void);

/* ---- streams other than the partition logs (the alerts stream, cluster/alertstream.h) ---- */

/* A stream idw_js_ensure_named creates. */
struct idw_js_stream_spec {
    const char *name;               /* e.g. "IDW_ALERTS" */
    const char *subject;            /* e.g. "idw.alert.>" */
    int replicas;                   /* 1 … 5 */
    int64_t dup_window_s;           /* Nats-Msg-Id de-duplication window */
    int64_t max_age_s;              /* messages older than this are removed; 0: kept for ever */
};

/*
 * Creates the stream spec describes if missing (an existing stream keeps
 * its own configuration), retried like idw_js_ensure_stream.  IDW_OK, or
 * IDW_ERR with err.
 */
enum idw_rc idw_js_ensure_named(struct idw_js *js, const struct idw_js_stream_spec *spec,
                                int64_t deadline_ms, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Publishes data to subject with msg_id, waiting for the acknowledgement,
 * retried like idw_js_publish until deadline_ms (a subject no stream
 * takes is retried too: create the stream first).  IDW_OK with *seq and
 * *duplicate, or IDW_ERR with err.
 */
enum idw_rc idw_js_publish_subject(struct idw_js *js, const char *subject, const char *msg_id,
                                   const void *data, size_t len, int64_t deadline_ms, uint64_t *seq,
                                   int *duplicate, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Called for each message of idw_js_read_ordered, in stream order: data
 * (len bytes, NUL-terminated, valid during the call), its stream sequence
 * and its time (ms since the epoch).  0 to go on, < 0 to stop the read
 * with a failure (out of memory).
 */
typedef int (*idw_js_msg_fn)(const char *data, size_t len, uint64_t seq, int64_t ts_ms, void *ctx);

/*
 * Reads stream's messages on filter (a subject of the stream, wildcards
 * allowed) published at or after start_ms (0: from the first) through an
 * ordered consumer (ephemeral, no acknowledgements, flow-controlled: one
 * round trip per batch, not per message) until it has caught up with
 * what the stream held when the read began.  Each message stalls for at
 * most wait_ms.  IDW_OK with *count (may be NULL) the messages read;
 * IDW_NOTFOUND when the stream does not exist; IDW_ERR with err (fn
 * failed, or a stall).
 */
enum idw_rc idw_js_read_ordered(struct idw_js *js, const char *stream, const char *filter, int64_t start_ms,
                                int64_t wait_ms, idw_js_msg_fn fn, void *ctx, uint64_t *count,
                                char *err, size_t errlen) IDW_MUST_CHECK;

/* Closes the connection and releases the client library; js may be NULL. */
void idw_js_close(struct idw_js *js);

/* ---- any stream: retention, snapshots (cluster/snapshot.h) ------------------------------------- */

/* Partition n's stream name, "IDW_P<n>" (32 bytes is enough). */
void idw_js_partition_stream(unsigned partition, char out[32]);

/*
 * Like idw_js_ensure_stream, with a retention: messages older than
 * max_age_days are removed by the server (0: kept for ever).  An existing
 * stream keeps its own configuration (retention included).  IDW_OK, or
 * IDW_ERR with err.
 */
enum idw_rc idw_js_ensure_partition(struct idw_js *js, unsigned partition, int replicas, int max_age_days,
                                    int64_t deadline_ms, char *err, size_t errlen) IDW_MUST_CHECK;

/* A stream to create if missing (idw_js_ensure). */
struct idw_js_stream {
    const char *name;
    const char *const *subjects;
    int nsubjects;
    int replicas;
    int64_t max_age_s;          /* 0: no age limit */
    int32_t max_msg_size;       /* 0: the server's */
    int allow_rollup;           /* honour Nats-Rollup headers */
    int64_t max_msgs_per_subject;   /* 0: no limit; 1: only the latest message of each subject stays */
};

/* Creates s if missing (an existing stream is left as it is), retried until deadline_ms.  IDW_OK, IDW_ERR. */
enum idw_rc idw_js_ensure(struct idw_js *js, const struct idw_js_stream *s, int64_t deadline_ms,
                          char *err, size_t errlen) IDW_MUST_CHECK;

/* A message header to publish (key and value are copied). */
struct idw_js_header {
    const char *key, *value;
};

/*
 * Publishes data on subject with headers h (n of them; a "Nats-Msg-Id"
 * among them de-duplicates retries), synchronously, retried as
 * idw_js_publish until deadline_ms.  IDW_OK with *seq and *duplicate, or
 * IDW_ERR with err.
 */
enum idw_rc idw_js_publish_headers(struct idw_js *js, const char *subject, const struct idw_js_header *h,
                                   size_t n, const void *data, size_t len, int64_t deadline_ms,
                                   uint64_t *seq, int *duplicate, char *err, size_t errlen) IDW_MUST_CHECK;

/* One stored message, read back (idw_js_msg_free). */
struct idw_js_msg;

/*
 * The message at seq of stream (last_subject NULL), or the newest message
 * on last_subject, read from the stream leader (STREAM.MSG.GET), retried
 * until deadline_ms.  IDW_OK with *out; IDW_NOTFOUND (*out NULL) when the
 * stream does not exist or holds no such message (deleted, purged, aged
 * out, never published); IDW_ERR with err.
 */
enum idw_rc idw_js_stream_get(struct idw_js *js, const char *stream, uint64_t seq, const char *last_subject,
                              int64_t deadline_ms, struct idw_js_msg **out, char *err, size_t errlen)
    IDW_MUST_CHECK;

/* A read message's subject, sequence, payload (len bytes) and header value (NULL when absent). */
const char *idw_js_msg_subject(const struct idw_js_msg *m);
uint64_t idw_js_msg_seq(const struct idw_js_msg *m);
const void *idw_js_msg_data(const struct idw_js_msg *m, size_t *len);
const char *idw_js_msg_header(const struct idw_js_msg *m, const char *key);
void idw_js_msg_free(struct idw_js_msg *m);

/*
 * A stream's state: first and last sequence and message count (an empty
 * stream that held messages has first = last + 1).  IDW_OK; IDW_NOTFOUND
 * when the stream does not exist (all 0); IDW_ERR with err.  Retried until
 * deadline_ms.
 */
enum idw_rc idw_js_stream_state(struct idw_js *js, const char *stream, int64_t deadline_ms, uint64_t *first,
                                uint64_t *last, uint64_t *msgs, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Removes stream's messages on subject below sequence before (exclusive),
 * retried until deadline_ms; before ≤ 1 removes nothing and sends nothing
 * (nats-server 2.9.10 reads a subject purge with sequence 1 as one without a
 * sequence: every message on the subject).  IDW_OK, or IDW_ERR with err.
 */
enum idw_rc idw_js_purge(struct idw_js *js, const char *stream, const char *subject, uint64_t before,
                         int64_t deadline_ms, char *err, size_t errlen) IDW_MUST_CHECK;

#endif
