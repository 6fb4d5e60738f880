/*
 * pipeline.c — normalize, de-duplicate, identify, enrich and update
 * personas, one LMDB write transaction per batch (see pipeline.h).
 *
 * Every accepted event goes to the rules; only a person's own events, and
 * a person acting on another, of a listed kind, update personas (the
 * subject's, and the acting admin's).  The rest (a SystemPrincipal, a
 * client app or an unknown username acting, an unlisted type) is judged
 * against the personas as they are and leaves them untouched: such events
 * cost a de-duplication entry, no persona write.
 *
 * Personas are kept decoded in a write-back cache so a user with many
 * events is decoded once and encoded once per batch.  Dirty entries are
 * written into the open transaction when the cache fills up and at commit;
 * after a commit the cached copies equal what is stored (the codec is
 * lossless), so they stay valid for the next batch.  An abort drops the
 * whole cache, so an aborted batch leaves no trace in memory either.  The
 * pipeline assumes it is the only writer of its domain's personas.
 */
#include "engine/pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "event/normalize.h"
#include "event/select.h"
#include "store/evstore.h"

#define CACHE_SLOTS 4096            /* personas kept decoded (~23 KiB each, touched lazily) */
#define CACHE_HASH (CACHE_SLOTS * 2)
#define PRUNE_PER_COMMIT 20000      /* bounded de-dup pruning work per commit */
#define DAY_MS 86400000LL

struct cache {
    struct idw_persona *p;          /* CACHE_SLOTS personas */
    unsigned char *dirty;           /* per slot: changed since last written */
    short hash[CACHE_HASH];         /* -1 empty, else slot index */
    unsigned used;
};

struct idw_pipeline {
    struct idw_store *st;
    const struct idw_config *cfg;
    struct idw_pipeline_opts o;
    char domain[IDW_DOMAIN_MAX];
    struct idw_norm_opts norm;
    struct idw_event_selection sel; /* the org's event_types */
    struct idw_persona_params prm;
    int64_t horizon_ms;
    int64_t retention_ms;           /* events kept this long before the newest; -1 = none kept */
    struct idw_evrec *evrec;        /* the record of the event being kept */
    int64_t future_skew_ms;         /* events later than now + this are refused as FUTURE */
    int64_t latest_ok;              /* clock + future_skew_ms at the open batch's start */
    int64_t clock_ms;               /* the clock of the next batches (idw_pipeline_set_clock); 0: wall */
    unsigned char user_key[32];     /* keys the hash of unknown usernames */
    unsigned long geo_errors;       /* GeoIP lookups that failed (first few are logged) */

    MDB_txn *txn;                   /* open batch, or NULL */
    unsigned pending;               /* events applied in the open batch */
    struct idw_pipeline_stats run;  /* this pipeline's life */
    struct idw_pipeline_stats batch;/* the open batch, folded into run at commit */
    int64_t newest_stored;          /* newest published committed before this batch */
    int anchor_clamped;             /* newest_stored was clamped: rewrite it at the next commit */
    struct cache cache;
    struct idw_persona *actor_copy; /* see actor_before() */
    struct idw_persona *subject_copy;   /* see persona_peek() */
    uint64_t generation;            /* idw_store_persona_generation when the cache was filled */
};

/* ---- persona write-back cache ------------------------------------------------ */

static void cache_reset(struct cache *c)
{
    memset(c->hash, 0xff, sizeof c->hash);
    c->used = 0;
}

/* Writes the dirty personas into the open transaction. */
static int cache_write(struct idw_pipeline *pl, char *err, size_t errlen)
{
    for (unsigned i = 0; i < pl->cache.used; i++) {
        if (!pl->cache.dirty[i])
            continue;
        if (idw_store_persona_put(pl->st, pl->txn, pl->domain, &pl->cache.p[i], err, errlen) < 0)
            return -1;
        pl->cache.dirty[i] = 0;
    }
    return 0;
}

/* The cached persona for tuid, or NULL. */
static struct idw_persona *cache_peek(struct cache *c, const char *tuid, unsigned *slot)
{
    unsigned h = (unsigned)(idw_hash64(tuid) % CACHE_HASH);

    for (; c->hash[h] >= 0; h = (h + 1) % CACHE_HASH)
        if (strcmp(c->p[c->hash[h]].tuid, tuid) == 0) {
            *slot = (unsigned)c->hash[h];
            return &c->p[*slot];
        }
    *slot = h;      /* the free hash position, for an insert */
    return NULL;
}

/* The persona for tuid, loaded into the cache if needed, marked dirty (about to change). */
static struct idw_persona *cache_get(struct idw_pipeline *pl, const char *tuid,
                                     char *err, size_t errlen)
{
    struct cache *c = &pl->cache;
    unsigned pos;
    struct idw_persona *p = cache_peek(c, tuid, &pos);

    if (p) {
        c->dirty[pos] = 1;
        return p;
    }
    if (c->used == CACHE_SLOTS) {
        if (cache_write(pl, err, errlen) < 0)
            return NULL;
        cache_reset(c);
        cache_peek(c, tuid, &pos);
    }
    p = &c->p[c->used];
    if (idw_store_persona_get(pl->st, pl->txn, pl->domain, tuid, p, err, errlen) < 0) {
        /* a corrupt record is rebuilt from here on rather than blocking ingest */
        log_warn("%s; starting that persona afresh", err);
        idw_persona_init(p, tuid);
    }
    c->dirty[c->used] = 1;
    c->hash[pos] = (short)c->used++;
    return p;
}

/* ---- statistics stored per domain ---------------------------------------------- */

static const char *const stat_names[] = {
    "received", "accepted", "duplicates", "skipped_type", "skipped_no_human",
    "stale", "rejected", "enriched", "persona_updates", "alerts", "commits", "future", "filtered",
    "rules_only",
};

static uint64_t *stat_field(struct idw_pipeline_stats *s, unsigned i)
{
    uint64_t *fields[] = {
        &s->received, &s->accepted, &s->duplicates, &s->skipped_type, &s->skipped_no_human,
        &s->stale, &s->rejected, &s->enriched, &s->persona_updates, &s->alerts, &s->commits,
        &s->future, &s->filtered, &s->rules_only,
    };
    return fields[i];
}

#define NSTATS (sizeof stat_names / sizeof stat_names[0])

static int stats_store(struct idw_pipeline *pl, char *err, size_t errlen)
{
    json_t *doc = NULL;
    int rc = idw_store_meta_get(pl->st, pl->txn, "ingest_stats", pl->domain, &doc, err, errlen);

    if (rc < 0)
        return -1;
    if (!doc)
        doc = json_object();
    for (unsigned i = 0; i < NSTATS; i++) {
        json_int_t prev = json_integer_value(json_object_get(doc, stat_names[i]));
        json_object_set_new(doc, stat_names[i],
                            json_integer(prev + (json_int_t)*stat_field(&pl->batch, i)));
    }
    if (pl->batch.newest_published > pl->newest_stored || pl->anchor_clamped)
        json_object_set_new(doc, "newest_published_ms",
                            json_integer(pl->batch.newest_published > pl->newest_stored
                                             ? pl->batch.newest_published : pl->newest_stored));
    rc = idw_store_meta_put(pl->st, pl->txn, "ingest_stats", pl->domain, doc, err, errlen);
    json_decref(doc);
    return rc;
}

/*
 * A stored horizon anchor beyond the wall clock (an older release let a
 * far-future event set it) would refuse every real event as stale:
 * anchor at the latest acceptable time instead, and say so.
 */
static void clamp_anchor(struct idw_pipeline *pl)
{
    int64_t latest = idw_now_ms() + pl->future_skew_ms;
    char when[IDW_TIME_STRLEN];

    if (pl->newest_stored <= latest)
        return;
    idw_time_format(pl->newest_stored, when);
    log_warn("%s: the de-duplication horizon was anchored in the future (%s); anchoring it at the "
             "wall clock instead (see `idwatch horizon`)", pl->domain, when);
    pl->newest_stored = latest;
    pl->anchor_clamped = 1;
}

/* What the pipeline needs from earlier runs: the newest event time and the hashing key. */
static int load_state(struct idw_pipeline *pl, char *err, size_t errlen)
{
    json_t *doc = NULL;
    MDB_txn *txn;
    int rc;

    if (idw_store_begin(pl->st, 0, &txn, err, errlen) < 0)
        return -1;
    rc = idw_store_meta_get(pl->st, txn, "ingest_stats", pl->domain, &doc, err, errlen);
    if (rc < 0 || idw_store_secret(pl->st, txn, "unknown_user_key", pl->user_key, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return -1;
    }
    if (idw_store_commit(txn, err, errlen) < 0) {
        json_decref(doc);
        return -1;
    }
    pl->norm.unknown_user_key = pl->user_key;
    pl->newest_stored = doc ? json_integer_value(json_object_get(doc, "newest_published_ms")) : 0;
    json_decref(doc);
    clamp_anchor(pl);
    return 0;
}

/* ---- batches ----------------------------------------------------------------------- */

static int batch_begin(struct idw_pipeline *pl, char *err, size_t errlen)
{
    uint64_t g;

    if (pl->txn)
        return 0;

    if (idw_store_begin(pl->st, 0, &pl->txn, err, errlen) < 0)
        return -1;
    if (idw_store_persona_generation(pl->st, pl->txn, pl->domain, &g, err, errlen) < 0) {
        /* an unknown generation could hide an analyst's change behind a stale cached copy */
        mdb_txn_abort(pl->txn);
        pl->txn = NULL;
        return -1;
    }
    if (g != pl->generation) {
        cache_reset(&pl->cache);    /* an analyst changed personas: reload them */
        pl->generation = g;
    }
    memset(&pl->batch, 0, sizeof pl->batch);
    pl->pending = 0;
    pl->latest_ok = (pl->clock_ms ? pl->clock_ms : idw_now_ms()) + pl->future_skew_ms;
    return 0;
}

enum idw_rc idw_pipeline_set_detect(struct idw_pipeline *pl, struct idw_detect *detect)
{
    if (pl->txn)
        return IDW_ERR;
    pl->o.detect = detect;
    return IDW_OK;
}

void idw_pipeline_set_live_from(struct idw_pipeline *pl, int64_t live_from_ms)
{
    pl->o.live_from_ms = live_from_ms;
}

void idw_pipeline_set_clock(struct idw_pipeline *pl, int64_t now_ms)
{
    pl->clock_ms = now_ms;
}

void idw_pipeline_set_geo(struct idw_pipeline *pl, const struct idw_geodb *geo)
{
    pl->o.geo = geo;
}

void idw_pipeline_abort(struct idw_pipeline *pl)
{
    if (pl->txn)
        mdb_txn_abort(pl->txn);
    pl->txn = NULL;
    pl->pending = 0;
    cache_reset(&pl->cache);
    memset(&pl->batch, 0, sizeof pl->batch);
}

static int prune_seen(struct idw_pipeline *pl, char *err, size_t errlen)
{
    int64_t newest = pl->batch.newest_published > pl->newest_stored
                         ? pl->batch.newest_published : pl->newest_stored;
    size_t pruned = 0;
    if (!newest)
        return 0;
    return idw_store_seen_prune(pl->st, pl->txn, pl->domain, newest - pl->horizon_ms,
                                PRUNE_PER_COMMIT, &pruned, err, errlen);
}

/*
 * Stored events older than the retention (by event time, before the newest
 * event applied) go, a bounded number per commit: a daemon catches up over
 * its next commits after a long backfill or a shortened retention.
 */
static int prune_events(struct idw_pipeline *pl, char *err, size_t errlen)
{
    int64_t newest = pl->batch.newest_published > pl->newest_stored
                         ? pl->batch.newest_published : pl->newest_stored;
    size_t pruned = 0;
    if (!newest)
        return 0;
    return idw_evstore_prune(pl->st, pl->txn, pl->domain,
                             pl->retention_ms < 0 ? newest + 1 : newest - pl->retention_ms,
                             PRUNE_PER_COMMIT, &pruned, err, errlen);
}

static void fold_batch(struct idw_pipeline *pl)
{
    for (unsigned i = 0; i < NSTATS; i++)
        *stat_field(&pl->run, i) += *stat_field(&pl->batch, i);
    if (pl->batch.newest_published > pl->run.newest_published)
        pl->run.newest_published = pl->batch.newest_published;
    if (pl->batch.newest_published > pl->newest_stored)
        pl->newest_stored = pl->batch.newest_published;
}

enum idw_rc idw_pipeline_commit(struct idw_pipeline *pl, idw_commit_hook hook, void *ctx,
                                char *err, size_t errlen)
{
    if (!pl->txn && !hook)
        return IDW_OK;
    if (batch_begin(pl, err, errlen) < 0)
        return IDW_ERR;
    pl->batch.commits++;
    if (cache_write(pl, err, errlen) < 0 || prune_seen(pl, err, errlen) < 0 ||
        prune_events(pl, err, errlen) < 0 || stats_store(pl, err, errlen) < 0 ||
        (hook && hook(pl->st, pl->txn, ctx, err, errlen) != IDW_OK)) {
        idw_pipeline_abort(pl);
        return IDW_ERR;
    }
    enum idw_rc rc = idw_store_commit(pl->txn, err, errlen);
    pl->txn = NULL;
    if (rc < 0) {
        idw_pipeline_abort(pl);
        return IDW_ERR;
    }
    fold_batch(pl);
    memset(&pl->batch, 0, sizeof pl->batch);
    pl->pending = 0;
    pl->anchor_clamped = 0;
    return IDW_OK;
}

/* ---- one event ---------------------------------------------------------------------- */

/* Fills location and network owner from GeoIP when Okta left them out. */
static void enrich(struct idw_pipeline *pl, struct idw_event *ev)
{
    struct idw_geo_result r;
    char err[160];
    int need_geo = ev->geo.source == IDW_GEO_NONE, need_asn = ev->asn == 0;

    if (!pl->o.geo || !ev->ip || (!need_geo && !need_asn))
        return;
    enum idw_rc rc = idw_geo_lookup(pl->o.geo, ev->ip, &r, err, sizeof err);
    if (rc < 0 && pl->geo_errors++ < 10)
        /* a corrupt database or an odd address: the event is kept, unenriched */
        log_warn("geoip lookup failed (event %s): %s", ev->uuid, err);
    if (rc != IDW_OK)
        return;     /* nothing found, or the error above */
    if (need_geo && r.has_city) {
        struct idw_event_own *own = &ev->own;
        idw_strlcpy(own->geo_city, r.city, sizeof own->geo_city);
        idw_strlcpy(own->geo_state, r.state, sizeof own->geo_state);
        idw_strlcpy(own->geo_country, r.country, sizeof own->geo_country);
        idw_strlcpy(own->geo_postal, r.postal_code, sizeof own->geo_postal);
        ev->geo.city = own->geo_city[0] ? own->geo_city : NULL;
        ev->geo.state = own->geo_state[0] ? own->geo_state : NULL;
        ev->geo.country = own->geo_country[0] ? own->geo_country : NULL;
        ev->geo.postal_code = own->geo_postal[0] ? own->geo_postal : NULL;
        ev->geo.lat = r.lat;
        ev->geo.lon = r.lon;
        ev->geo.has_coords = r.has_coords;
        ev->geo.accuracy_km = r.accuracy_km;
        ev->geo.source = IDW_GEO_MAXMIND;
    }
    if (need_asn && r.has_asn) {
        ev->asn = r.asn;
        if (!ev->as_org) {
            idw_strlcpy(ev->own.as_org, r.as_org, sizeof ev->own.as_org);
            ev->as_org = ev->own.as_org;
        }
    }
    pl->batch.enriched += (need_geo && r.has_city) || (need_asn && r.has_asn);
}

/*
 * The tuid of a person.  A person whose persona is cached under the same
 * Okta id and login is known: the identity table needs no lookup.
 */
static int resolve_tuid(struct idw_pipeline *pl, const struct idw_principal *who,
                        char tuid[IDW_UUID_STRLEN], char *err, size_t errlen)
{
    unsigned slot;
    const struct idw_persona *p;

    idw_store_derive_tuid(pl->domain, who->id, tuid);
    p = cache_peek(&pl->cache, tuid, &slot);
    if (p && strcmp(p->okta_id, who->id) == 0 && who->login && strcasecmp(p->login, who->login) == 0)
        return 0;
    return idw_store_tuid(pl->st, pl->txn, pl->domain, who->id, who->login, 1, tuid, err, errlen);
}

/*
 * Rules judge the event against the personas as they were before it: the
 * subject's, and the acting admin's when an admin acted on someone else.
 * Returns 1 when a medium-or-higher alert was raised (the event is
 * "alerting" for baseline hygiene), 0 when not, -1 on error.
 */
static int run_rules(struct idw_pipeline *pl, const struct idw_event *ev,
                     const struct idw_persona *before, const struct idw_persona *actor,
                     char *err, size_t errlen)
{
    enum idw_severity worst = 0;
    unsigned n;

    if (!pl->o.detect)
        return 0;
    if (idw_detect_event(pl->o.detect, pl->st, pl->txn, pl->domain, ev, before, actor, &pl->prm,
                         pl->o.historical || ev->published_ms < pl->o.live_from_ms, &n, &worst,
                         err, errlen) < 0)
        return -1;
    pl->batch.alerts += n;
    return worst >= IDW_SEV_MEDIUM;
}

/*
 * Which of the event's ASN, /24 and country the persona trusts (bits 0, 1,
 * 2; an absent value counts as trusted).  Provisional values do not count:
 * an attacker's network must not become "used by many of our users".
 */
static unsigned networks_known(const struct idw_persona *p, const struct idw_event *ev,
                               char asn[24], char pfx[IDW_PV_VALUE])
{
    unsigned known = 0;
    idw_asn_key(ev->asn, asn);
    pfx[0] = '\0';
    if (ev->ip)
        idw_ip_prefix(ev->ip, pfx, IDW_PV_VALUE);
    known |= !ev->asn || idw_persona_knows(p, IDW_DIM_ASNS, asn) ? 1u : 0u;
    known |= !pfx[0] || idw_persona_knows(p, IDW_DIM_PREFIXES, pfx) ? 2u : 0u;
    known |= !ev->geo.country || idw_persona_knows(p, IDW_DIM_COUNTRIES, ev->geo.country) ? 4u : 0u;
    return known;
}

/* Could this event teach the subject's persona a network (persona.c's proves_person)? */
static int teaches_context(const struct idw_event *ev)
{
    const unsigned f = ev->kind->flags;
    return ev->subject_is_actor && idw_outcome_ok(ev->outcome) && !(f & IDW_K_PUSH) &&
           (f & (IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA | IDW_K_ADMIN_ACCESS));
}

/* Org-wide counters: one more user of the org has this network or country in their routine. */
static int count_org(struct idw_pipeline *pl, const struct idw_persona *p, const struct idw_event *ev,
                     int was_new, unsigned known_before, char *err, size_t errlen)
{
    char asn[24], pfx[IDW_PV_VALUE], key[IDW_PV_VALUE + 8];
    unsigned gained = networks_known(p, ev, asn, pfx) & ~known_before;

    if (was_new && idw_store_org_add(pl->st, pl->txn, pl->domain, "users", err, errlen) < 0)
        return -1;
    if (!gained)
        return 0;
    for (unsigned bit = 0; bit < 3; bit++) {
        if (!(gained & (1u << bit)))
            continue;
        snprintf(key, sizeof key, "%s:%s", bit == 0 ? "asn" : bit == 1 ? "pfx" : "cty",
                 bit == 0 ? asn : bit == 1 ? pfx : ev->geo.country);
        if (idw_store_org_add(pl->st, pl->txn, pl->domain, key, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/*
 * The acting admin's persona, copied: fetching the subject's may evict it
 * from the cache.  NULL when no human other than the subject acted.
 */
static const struct idw_persona *actor_before(struct idw_pipeline *pl, const struct idw_event *ev,
                                              char tuid[IDW_UUID_STRLEN], char *err, size_t errlen,
                                              int *failed)
{
    struct idw_persona *a = NULL;

    *failed = 0;
    if (ev->subject_is_actor || !ev->actor_is_human)
        return NULL;
    if (resolve_tuid(pl, &ev->actor, tuid, err, errlen) >= 0)
        a = cache_get(pl, tuid, err, errlen);
    if (!a) {
        *failed = 1;
        return NULL;
    }
    memcpy(pl->actor_copy, a, sizeof *a);
    return pl->actor_copy;
}

/*
 * A person's persona as it is, for the rules, changing nothing: no
 * identity written, no cache slot dirtied or taken.  Returns the cached
 * copy, or the stored one read into buf (a fresh one when there is none);
 * NULL on error.
 */
static const struct idw_persona *persona_peek(struct idw_pipeline *pl, const struct idw_principal *who,
                                              char tuid[IDW_UUID_STRLEN], struct idw_persona *buf,
                                              char *err, size_t errlen)
{
    const struct idw_persona *p;
    unsigned slot;
    enum idw_rc rc = idw_store_tuid(pl->st, pl->txn, pl->domain, who->id, who->login, 0, tuid,
                                    err, errlen);

    if (rc == IDW_ERR)
        return NULL;
    if (rc == IDW_NOTFOUND)
        idw_store_derive_tuid(pl->domain, who->id, tuid);     /* the tuid it will get */
    p = cache_peek(&pl->cache, tuid, &slot);
    if (p)
        return p;
    if (idw_store_persona_get(pl->st, pl->txn, pl->domain, tuid, buf, err, errlen) == IDW_ERR) {
        log_warn("%s; judging with a fresh persona", err);
        idw_persona_init(buf, tuid);
    }
    return buf;
}

/* Does this event teach personas?  A person acted, and its type is in the table. */
static int teaches_personas(const struct idw_event *ev)
{
    return ev->subject.id && ev->actor_is_human && idw_kind_listed(ev->kind);
}

/*
 * An event that teaches no persona: the rules judge it against the
 * subject's persona (a target user acted on by the system, say) and the
 * acting person's, as they are.
 */
static int judge_only(struct idw_pipeline *pl, struct idw_event *ev, char *err, size_t errlen)
{
    const struct idw_persona *before = NULL, *actor = NULL;
    char actor_tuid[IDW_UUID_STRLEN];

    if (ev->subject.id) {
        before = persona_peek(pl, &ev->subject, ev->tuid, pl->subject_copy, err, errlen);
        if (!before)
            return -1;
    }
    if (ev->actor_is_human && !ev->subject_is_actor) {
        actor = persona_peek(pl, &ev->actor, actor_tuid, pl->actor_copy, err, errlen);
        if (!actor)
            return -1;
    }
    pl->batch.rules_only++;
    return run_rules(pl, ev, before, actor, err, errlen) < 0 ? -1 : 0;
}

static int update_personas(struct idw_pipeline *pl, struct idw_event *ev, char *err, size_t errlen)
{
    struct idw_persona *p;
    const struct idw_persona *actor;
    char actor_tuid[IDW_UUID_STRLEN], asn[24], pfx[IDW_PV_VALUE];
    int alerting, failed, was_new;
    unsigned known;

    if (!teaches_personas(ev))
        return judge_only(pl, ev, err, errlen);
    actor = actor_before(pl, ev, actor_tuid, err, errlen, &failed);
    if (failed || resolve_tuid(pl, &ev->subject, ev->tuid, err, errlen) < 0)
        return -1;
    p = cache_get(pl, ev->tuid, err, errlen);
    if (!p)
        return -1;
    alerting = run_rules(pl, ev, p, actor, err, errlen);
    if (alerting < 0)
        return -1;
    was_new = p->events == 0;
    /* only events that prove the person teach networks; most come from known ones */
    known = teaches_context(ev) ? networks_known(p, ev, asn, pfx) : 7u;
    idw_persona_update(p, ev, IDW_ROLE_SUBJECT, &pl->prm, alerting);
    pl->batch.persona_updates++;
    if ((was_new || known != 7u) && count_org(pl, p, ev, was_new, known, err, errlen) < 0)
        return -1;
    if (!actor)
        return 0;
    /* an admin acting on someone else: the admin's own routine learns too */
    p = cache_get(pl, actor_tuid, err, errlen);
    if (!p)
        return -1;
    idw_persona_update(p, ev, IDW_ROLE_ADMIN_ACTOR, &pl->prm, alerting);
    pl->batch.persona_updates++;
    return 0;
}

/* Keeps the accepted event for investigation (store/evstore.h), unless retention is 0. */
static int keep_event(struct idw_pipeline *pl, const struct idw_event *ev, char *err, size_t errlen)
{
    char actor_tuid[IDW_UUID_STRLEN] = "";

    if (pl->retention_ms < 0)
        return 0;
    if (!ev->subject_is_actor && ev->actor_is_human && ev->actor.id)
        idw_store_derive_tuid(pl->domain, ev->actor.id, actor_tuid);
    idw_evrec_from_event(pl->evrec, ev, actor_tuid);
    return idw_evstore_put(pl->st, pl->txn, pl->domain, pl->evrec, err, errlen) < 0 ? -1 : 0;
}

static void emit(struct idw_pipeline *pl, const struct idw_event *ev)
{
    json_t *doc = idw_event_to_json(ev);
    if (doc && json_dumpf(doc, pl->o.emit, JSON_COMPACT) == 0)
        fputc('\n', pl->o.emit);
    json_decref(doc);
}

static enum idw_feed_result classify_status(enum idw_norm_status st, struct idw_pipeline_stats *b)
{
    switch (st) {
    case IDW_NORM_SKIP_TYPE:
        b->skipped_type++;
        return IDW_FEED_SKIPPED_TYPE;
    case IDW_NORM_SKIP_NO_HUMAN:
        b->skipped_no_human++;
        return IDW_FEED_SKIPPED_NO_HUMAN;
    default:
        b->rejected++;
        return IDW_FEED_REJECTED;
    }
}

/* Storage failure: the batch is rolled back and the error reported. */
static int storage_failed(struct idw_pipeline *pl, char *reason, size_t reasonlen,
                          const char *err)
{
    snprintf(reason, reasonlen, "%s", err);
    idw_pipeline_abort(pl);
    return -1;
}

static int apply(struct idw_pipeline *pl, struct idw_event *ev, enum idw_feed_result *result,
                 char *reason, size_t reasonlen)
{
    char err[256];
    int rc;
    char ns[96];

    if (ev->published_ms > pl->latest_ok) {
        /* a clock gone wrong or a forged event: it must not move the horizon */
        char when[IDW_TIME_STRLEN];
        idw_time_format(ev->published_ms, when);
        snprintf(reason, reasonlen, "event %s published %s, more than %lld s ahead of %s "
                 "(ingest.max_future_skew_s)", ev->uuid, when, (long long)(pl->future_skew_ms / 1000),
                 pl->clock_ms ? "the time its page was fetched" : "this host's clock");
        pl->batch.future++;
        *result = IDW_FEED_FUTURE;
        return 0;
    }
    if (pl->newest_stored && ev->published_ms < pl->newest_stored - pl->horizon_ms) {
        /* beyond the de-dup horizon we could count it twice: refuse, visibly */
        char when[IDW_TIME_STRLEN];
        idw_time_format(ev->published_ms, when);
        snprintf(reason, reasonlen, "event %s published %s, older than the de-duplication horizon "
                 "(%d days before the newest event; ingest.dedup_horizon_days)", ev->uuid, when,
                 pl->cfg->dedup_horizon_days);
        pl->batch.stale++;
        *result = IDW_FEED_STALE;
        return 0;
    }
    rc = idw_store_seen_add(pl->st, pl->txn, pl->domain, ev->uuid, ev->published_ms,
                            err, sizeof err);
    if (rc < 0)
        return storage_failed(pl, reason, reasonlen, err);
    if (rc == IDW_EXISTS) {
        pl->batch.duplicates++;
        *result = IDW_FEED_DUPLICATE;
        return 0;
    }
    ev->domain_id = pl->domain;
    snprintf(ns, sizeof ns, "idwatch-event:%s", pl->domain);
    idw_uuid_derive(ns, ev->uuid, ev->event_id);
    enrich(pl, ev);
    if (update_personas(pl, ev, err, sizeof err) < 0 || keep_event(pl, ev, err, sizeof err) < 0)
        return storage_failed(pl, reason, reasonlen, err);
    if (pl->o.emit)
        emit(pl, ev);
    pl->batch.accepted++;
    pl->pending++;
    if (ev->published_ms > pl->batch.newest_published)
        pl->batch.newest_published = ev->published_ms;
    *result = IDW_FEED_ACCEPTED;
    return 0;
}

enum idw_rc idw_pipeline_feed(struct idw_pipeline *pl, json_t *raw, enum idw_feed_result *result,
                              char *reason, size_t reasonlen)
{
    struct idw_event ev;
    enum idw_norm_status st;
    char err[256];
    int rc;

    reason[0] = '\0';
    if (batch_begin(pl, err, sizeof err) < 0)
        return storage_failed(pl, reason, reasonlen, err);
    pl->batch.received++;
    st = idw_normalize(raw, &pl->norm, &ev, reason, reasonlen);
    if (st != IDW_NORM_OK) {
        *result = classify_status(st, &pl->batch);
        return IDW_OK;
    }
    if (!idw_selection_match(&pl->sel, ev.okta_type, ev.kind)) {
        idw_event_clear(&ev);
        pl->batch.filtered++;
        *result = IDW_FEED_FILTERED;
        return IDW_OK;
    }
    rc = apply(pl, &ev, result, reason, reasonlen);
    idw_event_clear(&ev);
    if (rc < 0)
        return IDW_ERR;
    if (pl->o.auto_commit && pl->pending >= pl->o.auto_commit &&
        idw_pipeline_commit(pl, NULL, NULL, reason, reasonlen) < 0)
        return IDW_ERR;
    return IDW_OK;
}

/* ---- the Okta poller's page sink (source/page_sink.h) -------------------------------- */

static enum idw_rc sink_feed(void *ctx, json_t *raw, enum idw_page_verdict *verdict,
                             const char **refusal, char *reason, size_t reasonlen)
{
    enum idw_feed_result res;

    if (idw_pipeline_feed(ctx, raw, &res, reason, reasonlen) < 0)
        return IDW_ERR;
    switch (res) {
    case IDW_FEED_ACCEPTED:
        *verdict = IDW_PAGE_ACCEPTED;
        break;
    case IDW_FEED_REJECTED:
    case IDW_FEED_STALE:
    case IDW_FEED_FUTURE:
        *verdict = IDW_PAGE_REFUSED;
        *refusal = res == IDW_FEED_REJECTED ? "rejected" : res == IDW_FEED_STALE ? "stale" : "future";
        break;
    default:
        *verdict = IDW_PAGE_IGNORED;
        break;
    }
    return IDW_OK;
}

static enum idw_rc sink_commit(void *ctx, idw_page_hook hook, void *hook_ctx, char *err, size_t errlen)
{
    return idw_pipeline_commit(ctx, hook, hook_ctx, err, errlen);
}

static void sink_live_from(void *ctx, int64_t live_from_ms)
{
    idw_pipeline_set_live_from(ctx, live_from_ms);
}

void idw_pipeline_page_sink(struct idw_pipeline *pl, struct idw_page_sink *sink)
{
    sink->ctx = pl;
    sink->feed = sink_feed;
    sink->commit = sink_commit;
    sink->set_live_from = sink_live_from;
}

/* ---- life cycle ------------------------------------------------------------------------ */

static void norm_opts_for(struct idw_pipeline *pl)
{
    if (pl->cfg->event_types) {
        pl->norm.allow_types = (const char *const *)pl->cfg->event_types;
        pl->norm.n_allow_types = pl->cfg->n_event_types;
    }
}

/* The org's event_types selection (everything when the domain has no org entry). */
static int read_selection(struct idw_pipeline *pl, char *err, size_t errlen)
{
    const struct idw_org_config *oc = idw_config_org(pl->cfg, pl->domain);
    char where[IDW_DOMAIN_MAX + 32];

    snprintf(where, sizeof where, "orgs[%s].event_types", pl->domain);
    return idw_selection_read(oc ? json_object_get(oc->json, "event_types") : NULL, where, &pl->sel,
                              err, errlen);
}

/* A zeroed pipeline with its persona cache and actor copy allocated, or
 * NULL when memory ran out (nothing is left allocated then). */
static struct idw_pipeline *pipeline_alloc(void)
{
    struct idw_pipeline *pl = calloc(1, sizeof *pl);

    if (!pl)
        return NULL;
    pl->cache.p = malloc(CACHE_SLOTS * sizeof *pl->cache.p);
    pl->cache.dirty = calloc(CACHE_SLOTS, 1);
    pl->actor_copy = malloc(sizeof *pl->actor_copy);
    pl->subject_copy = malloc(sizeof *pl->subject_copy);
    pl->evrec = malloc(sizeof *pl->evrec);
    if (!pl->cache.p || !pl->cache.dirty || !pl->actor_copy || !pl->subject_copy || !pl->evrec) {
        free(pl->evrec);
        free(pl->cache.p);
        free(pl->cache.dirty);
        free(pl->actor_copy);
        free(pl->subject_copy);
        free(pl);
        return NULL;
    }
    return pl;
}

enum idw_rc idw_pipeline_open(struct idw_store *st, const struct idw_config *cfg,
                              const struct idw_pipeline_opts *opts, struct idw_pipeline **out,
                              char *err, size_t errlen)
{
    struct idw_pipeline *pl;

    *out = NULL;
    if (!idw_domain_id_valid(opts->domain_id)) {
        snprintf(err, errlen, "invalid domain id '%.80s'", opts->domain_id ? opts->domain_id : "");
        return IDW_ERR;
    }
    pl = pipeline_alloc();
    if (!pl) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    pl->st = st;
    pl->cfg = cfg;
    pl->o = *opts;
    idw_strlcpy(pl->domain, opts->domain_id, sizeof pl->domain);
    pl->o.domain_id = pl->domain;
    idw_persona_params_init(&pl->prm, cfg->half_life_days, cfg->learning_days,
                            cfg->learning_signins, cfg->relearn_after_days);
    pl->horizon_ms = (int64_t)cfg->dedup_horizon_days * DAY_MS;
    pl->future_skew_ms = (int64_t)cfg->max_future_skew_s * 1000;
    /* a kept event is found by uuid through the de-duplication table: never keep one longer */
    int keep_days = cfg->retention_days < cfg->dedup_horizon_days ? cfg->retention_days
                                                                  : cfg->dedup_horizon_days;
    pl->retention_ms = keep_days <= 0 ? -1 : (int64_t)keep_days * DAY_MS;
    norm_opts_for(pl);
    cache_reset(&pl->cache);
    if (read_selection(pl, err, errlen) < 0 || load_state(pl, err, errlen) < 0) {
        idw_pipeline_close(pl);
        return IDW_ERR;
    }
    *out = pl;
    return IDW_OK;
}

const struct idw_pipeline_stats *idw_pipeline_stats(const struct idw_pipeline *pl)
{
    return &pl->run;
}

void idw_pipeline_close(struct idw_pipeline *pl)
{
    if (!pl)
        return;
    idw_pipeline_abort(pl);
    OPENSSL_cleanse(pl->user_key, sizeof pl->user_key);
    idw_selection_free(&pl->sel);
    free(pl->cache.p);
    free(pl->cache.dirty);
    free(pl->actor_copy);
    free(pl->subject_copy);
    free(pl->evrec);
    free(pl);
}
