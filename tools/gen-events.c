/*
 * gen-events.c — a deterministic generator of synthetic Okta System Log
 * events in the real LogEvent shape, for the bundled sample org, the
 * integration tests and `make bench`.
 *
 * A simulated org: people with a home city and ISP (some behind a shared
 * corporate VPN egress), one or two devices, a set of usual apps, a
 * preferred factor and working hours.  Each working day they sign in (push,
 * MFA, session start, policy evaluation), use their apps, and sometimes
 * mistype a password, travel, or get a new device.  Admins change other
 * users; the internet sprays unknown usernames.  Output is ordered by
 * published time, one day at a time, so memory stays bounded whatever the
 * length; the same arguments always give byte-identical output.
 *
 * Attack scenarios (for the detection issue) plug into the day loop: see
 * `scenarios` below, empty for now.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- deterministic randomness (splitmix64) ------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rnd_below(unsigned n) { return n ? (unsigned)(rnd() % n) : 0; }
static int chance(double p) { return (rnd() >> 11) * (1.0 / 9007199254740992.0) < p; }

static void rnd_hex(char *out, int n)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < n; i++)
        out[i] = hex[rnd_below(16)];
    out[n] = '\0';
}

static void rnd_alnum(char *out, int n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < n; i++)
        out[i] = a[rnd_below(sizeof a - 1)];
    out[n] = '\0';
}

static void rnd_uuid(char *out)
{
    char h[33];
    rnd_hex(h, 32);
    h[12] = '4';
    h[16] = "89ab"[rnd_below(4)];
    sprintf(out, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

/* ---- the world ------------------------------------------------------------ */

struct city {
    const char *city, *state, *country, *postal;
    double lat, lon;
    int tz;                     /* hours from UTC */
    unsigned asn;
    const char *isp, *domain;
    unsigned char net[2];       /* first two octets of home ISP addresses */
};

static const struct city cities[] = {
    {"San Francisco", "California", "United States", "94105", 37.7749, -122.4194, -8, 7922, "Comcast Cable Communications", "comcast.net", {73, 162}},
    {"New York", "New York", "United States", "10001", 40.7128, -74.0060, -5, 701, "Verizon Business", "verizon.net", {71, 190}},
    {"Chicago", "Illinois", "United States", "60601", 41.8781, -87.6298, -6, 7018, "AT&T Services", "att.net", {99, 12}},
    {"Austin", "Texas", "United States", "78701", 30.2672, -97.7431, -6, 11427, "Charter Communications", "spectrum.com", {70, 114}},
    {"Seattle", "Washington", "United States", "98101", 47.6062, -122.3321, -8, 7922, "Comcast Cable Communications", "comcast.net", {73, 42}},
    {"Boston", "Massachusetts", "United States", "02108", 42.3601, -71.0589, -5, 7015, "Comcast Cable Communications", "comcast.net", {24, 60}},
    {"Denver", "Colorado", "United States", "80202", 39.7392, -104.9903, -7, 209, "CenturyLink", "centurylink.net", {75, 166}},
    {"Toronto", "Ontario", "Canada", "M5H", 43.6532, -79.3832, -5, 812, "Rogers Communications", "rogers.com", {99, 224}},
    {"London", "England", "United Kingdom", "EC1A", 51.5074, -0.1278, 0, 2856, "British Telecommunications", "bt.com", {86, 150}},
    {"Manchester", "England", "United Kingdom", "M1", 53.4808, -2.2426, 0, 5089, "Virgin Media", "virginmedia.com", {82, 12}},
    {"Dublin", "Leinster", "Ireland", "D02", 53.3498, -6.2603, 0, 5466, "eircom", "eircom.net", {86, 40}},
    {"Berlin", "Land Berlin", "Germany", "10115", 52.5200, 13.4050, 1, 3320, "Deutsche Telekom AG", "telekom.de", {79, 192}},
    {"Munich", "Bavaria", "Germany", "80331", 48.1351, 11.5820, 1, 3209, "Vodafone GmbH", "vodafone.de", {88, 64}},
    {"Paris", "Ile-de-France", "France", "75001", 48.8566, 2.3522, 1, 3215, "Orange", "orange.fr", {90, 45}},
    {"Amsterdam", "North Holland", "Netherlands", "1012", 52.3676, 4.9041, 1, 1136, "KPN B.V.", "kpn.com", {77, 160}},
    {"Madrid", "Madrid", "Spain", "28001", 40.4168, -3.7038, 1, 3352, "Telefonica de Espana", "telefonica.es", {83, 32}},
    {"Stockholm", "Stockholm", "Sweden", "111 20", 59.3293, 18.0686, 1, 3301, "Telia Company AB", "telia.com", {78, 70}},
    {"Warsaw", "Mazovia", "Poland", "00-001", 52.2297, 21.0122, 1, 5617, "Orange Polska", "orange.pl", {83, 24}},
    {"Bangalore", "Karnataka", "India", "560001", 12.9716, 77.5946, 5, 24560, "Bharti Airtel", "airtel.in", {122, 171}},
    {"Singapore", "Central Singapore", "Singapore", "018956", 1.3521, 103.8198, 8, 9506, "Singtel Fibre Broadband", "singtel.com", {116, 86}},
    {"Tokyo", "Tokyo", "Japan", "100-0001", 35.6762, 139.6503, 9, 2516, "KDDI Corporation", "kddi.com", {106, 72}},
    {"Sydney", "New South Wales", "Australia", "2000", -33.8688, 151.2093, 10, 1221, "Telstra Corporation", "telstra.net", {101, 160}},
    {"Sao Paulo", "Sao Paulo", "Brazil", "01000", -23.5505, -46.6333, -3, 28573, "Claro NXT", "claro.com.br", {177, 32}},
    {"Mexico City", "Mexico City", "Mexico", "06000", 19.4326, -99.1332, -6, 8151, "Uninet", "telmex.com", {189, 203}},
};
#define NCITIES (sizeof cities / sizeof cities[0])

/* Corporate VPN egress: many users appear from these few addresses. */
static const struct city vpn_egress[] = {
    {"Ashburn", "Virginia", "United States", "20147", 39.0438, -77.4874, -5, 53813, "Zscaler, Inc.", "zscaler.com", {165, 225}},
    {"Frankfurt am Main", "Hesse", "Germany", "60311", 50.1109, 8.6821, 1, 53813, "Zscaler, Inc.", "zscaler.com", {147, 161}},
    {"Chicago", "Illinois", "United States", "60601", 41.8781, -87.6298, -6, 53813, "Zscaler, Inc.", "zscaler.com", {165, 225}},
};

struct app { const char *id, *name; };

static const struct app apps[] = {
    {"0oa1sfdc0prod0001", "Salesforce Production"}, {"0oa1slack00000002", "Slack"},
    {"0oa1gwork00000003", "Google Workspace"}, {"0oa1github0000004", "GitHub Enterprise"},
    {"0oa1aws0console05", "AWS Console"}, {"0oa1zoom000000006", "Zoom"},
    {"0oa1jira000000007", "Jira Cloud"}, {"0oa1confl00000008", "Confluence"},
    {"0oa1workday00009", "Workday"}, {"0oa1box0000000010", "Box"},
    {"0oa1o365000000011", "Microsoft Office 365"}, {"0oa1zendesk00012", "Zendesk"},
    {"0oa1datadog00013", "Datadog"}, {"0oa1figma0000014", "Figma"},
    {"0oa1notion000015", "Notion"}, {"0oa1snow00000016", "ServiceNow"},
    {"0oa1docu00000017", "DocuSign"}, {"0oa1netsuite0018", "NetSuite"},
    {"0oa1gcp000000019", "Google Cloud Console"}, {"0oa1adminconsole", "Okta Admin Console"},
};
#define NAPPS (sizeof apps / sizeof apps[0])
#define ADMIN_CONSOLE (NAPPS - 1)

struct ua { const char *raw, *os, *browser, *device; };

static const struct ua agents[] = {
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Mac OS X", "CHROME", "Computer"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Windows 10", "EDGE_CHROMIUM", "Computer"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0", "Windows 10", "FIREFOX", "Computer"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Mac OS X", "SAFARI", "Computer"},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Linux", "CHROME", "Computer"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "iOS", "MOBILE_SAFARI", "Mobile"},
};
#define NAGENTS (sizeof agents / sizeof agents[0])

static const char *const first_names[] = {
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara",
};
static const char *const last_names[] = {
    "smith", "jones", "garcia", "muller", "kowalski", "tanaka", "silva", "nguyen", "byrne", "rossi",
    "dubois", "larsen", "patel", "kim", "novak", "haddad", "okafor", "ivanova", "lopez", "schmidt",
};

static const char *const factors[] = {"OKTA_VERIFY_PUSH", "FIDO_WEBAUTHN", "SIGNED_NONCE", "OKTA_VERIFY_TOTP"};

struct device { char dt_hash[65], fingerprint[33]; unsigned ua; };

struct user {
    char id[21], login[96], name[64];
    unsigned home, app_mask, factor;
    int admin, vpn;
    struct device dev[2];
    int ndev;
    int trip_city, trip_days;   /* travelling: city index and days left */
    unsigned char host[2];      /* last two octets of the home address */
};

struct opts { unsigned users, days, seed; const char *start, *org, *out, *format; unsigned long max; int stats; };

/* ---- output buffer of one day ----------------------------------------------- */

struct rec { int64_t t; size_t off, len; };

struct day {
    char *text;
    size_t len, cap;
    struct rec *recs;
    size_t n, rcap;
};

static void day_reserve(struct day *d, size_t more)
{
    if (d->len + more > d->cap) {
        while (d->len + more > d->cap)
            d->cap = d->cap ? d->cap * 2 : 1 << 20;
        d->text = realloc(d->text, d->cap);
        if (!d->text) {
            perror("gen-events");
            exit(1);
        }
    }
}

static void app_printf(struct day *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void app_printf(struct day *d, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = d->cap - d->len;
        va_start(ap, fmt);
        int n = vsnprintf(d->text + d->len, room, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < room) {
            d->len += (size_t)n;
            return;
        }
        day_reserve(d, (size_t)(n > 0 ? n : 0) + 1);
    }
}

/* ---- one event ------------------------------------------------------------------- */

struct ctx {
    const struct user *u;
    const struct city *where;
    char ip[16];
    const struct device *dev;
    char session[32];
};

struct target { const char *id, *type, *alt, *name; };

static void fmt_time(int64_t ms, char *out)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, (int)(ms % 1000));
}

static void json_str_or_null(struct day *d, const char *s)
{
    if (s)
        app_printf(d, "\"%s\"", s);
    else
        app_printf(d, "null");
}

static void write_actor(struct day *d, const char *id, const char *type, const char *alt, const char *name)
{
    app_printf(d, "\"actor\":{\"id\":\"%s\",\"type\":\"%s\",\"alternateId\":\"%s\",\"displayName\":\"%s\",\"detailEntry\":null}",
               id, type, alt, name);
}

static void write_client(struct day *d, const struct ctx *c)
{
    const struct ua *ua = &agents[c->dev ? c->dev->ua : 0];
    const struct city *w = c->where;
    app_printf(d, ",\"client\":{\"userAgent\":{\"rawUserAgent\":\"%s\",\"os\":\"%s\",\"browser\":\"%s\"},"
               "\"zone\":\"null\",\"device\":\"%s\",\"id\":null,\"ipAddress\":\"%s\","
               "\"geographicalContext\":{\"city\":\"%s\",\"state\":\"%s\",\"country\":\"%s\",\"postalCode\":\"%s\","
               "\"geolocation\":{\"lat\":%.4f,\"lon\":%.4f}}}",
               ua->raw, ua->os, ua->browser, ua->device, c->ip, w->city, w->state, w->country,
               w->postal, w->lat, w->lon);
}

static void write_security(struct day *d, const struct ctx *c)
{
    const struct city *w = c->where;
    app_printf(d, ",\"securityContext\":{\"asNumber\":%u,\"asOrg\":\"%s\",\"isp\":\"%s\",\"domain\":\"%s\",\"isProxy\":false}",
               w->asn, w->isp, w->isp, w->domain);
}

static void write_request(struct day *d, const struct ctx *c)
{
    const struct city *w = c->where;
    app_printf(d, ",\"request\":{\"ipChain\":[{\"ip\":\"%s\",\"version\":\"V4\",\"source\":null,"
               "\"geographicalContext\":{\"city\":\"%s\",\"state\":\"%s\",\"country\":\"%s\",\"postalCode\":\"%s\","
               "\"geolocation\":{\"lat\":%.4f,\"lon\":%.4f}}}]}",
               c->ip, w->city, w->state, w->country, w->postal, w->lat, w->lon);
}

static void write_debug(struct day *d, const struct ctx *c, const char *uri, const char *factor)
{
    char req[28];
    rnd_alnum(req, 27);
    app_printf(d, ",\"debugContext\":{\"debugData\":{\"requestId\":\"%s\",\"requestUri\":\"%s\",\"url\":\"%s?\","
               "\"threatSuspected\":\"false\"", req, uri, uri);
    if (c->dev)
        app_printf(d, ",\"dtHash\":\"%s\",\"deviceFingerprint\":\"%s\"", c->dev->dt_hash, c->dev->fingerprint);
    if (factor)
        app_printf(d, ",\"factor\":\"%s\"", factor);
    app_printf(d, ",\"behaviors\":\"{New Geo-Location=NEGATIVE, New Device=NEGATIVE, New IP=NEGATIVE, "
               "New State=NEGATIVE, New Country=NEGATIVE, Velocity=NEGATIVE, New City=NEGATIVE}\","
               "\"risk\":\"{reasons=, level=LOW}\"}}");
    app_printf(d, ",\"transaction\":{\"type\":\"WEB\",\"id\":\"%s\",\"detail\":{}}", req);
}

static void write_targets(struct day *d, const struct target *t, int n)
{
    if (!n) {
        app_printf(d, ",\"target\":null");
        return;
    }
    app_printf(d, ",\"target\":[");
    for (int i = 0; i < n; i++)
        app_printf(d, "%s{\"id\":\"%s\",\"type\":\"%s\",\"alternateId\":\"%s\",\"displayName\":\"%s\",\"detailEntry\":null}",
                   i ? "," : "", t[i].id, t[i].type, t[i].alt, t[i].name);
    app_printf(d, "]");
}

struct evspec {
    const char *type, *display, *legacy, *outcome, *reason, *uri, *cred, *factor, *severity;
    const struct target *targets;
    int ntargets;
};

static void emit(struct day *d, int64_t t, const struct ctx *c, const struct evspec *e,
                 const char *actor_id, const char *actor_type, const char *actor_alt, const char *actor_name)
{
    char uuid[37], ts[32];
    struct rec r;

    if (d->n == d->rcap) {
        d->rcap = d->rcap ? d->rcap * 2 : 4096;
        d->recs = realloc(d->recs, d->rcap * sizeof *d->recs);
        if (!d->recs) {
            perror("gen-events");
            exit(1);
        }
    }
    r.t = t;
    r.off = d->len;
    rnd_uuid(uuid);
    fmt_time(t, ts);
    app_printf(d, "{\"uuid\":\"%s\",\"published\":\"%s\",\"eventType\":\"%s\",\"version\":\"0\","
               "\"severity\":\"%s\",\"legacyEventType\":", uuid, ts, e->type, e->severity ? e->severity : "INFO");
    json_str_or_null(d, e->legacy);
    app_printf(d, ",\"displayMessage\":\"%s\",", e->display);
    write_actor(d, actor_id, actor_type, actor_alt, actor_name);
    write_client(d, c);
    app_printf(d, ",\"device\":null,\"authenticationContext\":{\"authenticationProvider\":null,"
               "\"credentialProvider\":null,\"credentialType\":");
    json_str_or_null(d, e->cred);
    app_printf(d, ",\"interface\":null,\"issuer\":null,\"authenticationStep\":0,\"externalSessionId\":");
    json_str_or_null(d, c->session[0] ? c->session : NULL);
    app_printf(d, ",\"rootSessionId\":");
    json_str_or_null(d, c->session[0] ? c->session : NULL);
    app_printf(d, "}");
    write_security(d, c);
    app_printf(d, ",\"outcome\":{\"result\":\"%s\",\"reason\":", e->outcome);
    json_str_or_null(d, e->reason);
    app_printf(d, "}");
    write_targets(d, e->targets, e->ntargets);
    write_debug(d, c, e->uri, e->factor);
    write_request(d, c);
    app_printf(d, "}\n");
    r.len = d->len - r.off;
    d->recs[d->n++] = r;
}

static void emit_user(struct day *d, int64_t t, const struct ctx *c, const struct evspec *e)
{
    emit(d, t, c, e, c->u->id, "User", c->u->login, c->u->name);
}

/* ---- behaviour ---------------------------------------------------------------------- */

static void make_user(struct user *u, unsigned i, const struct opts *o)
{
    memset(u, 0, sizeof *u);
    strcpy(u->id, "00u");
    rnd_alnum(u->id + 3, 17);
    const char *fn = first_names[i % 20], *ln = last_names[(i / 20) % 20];
    if (i < 400)
        snprintf(u->login, sizeof u->login, "%s.%s@%s.example", fn, ln, o->org);
    else
        snprintf(u->login, sizeof u->login, "%s.%s%u@%s.example", fn, ln, i / 400, o->org);
    snprintf(u->name, sizeof u->name, "%c%s %c%s", fn[0] - 32, fn + 1, ln[0] - 32, ln + 1);
    u->home = rnd_below(NCITIES);
    u->admin = chance(0.05) || i == 0;
    u->vpn = chance(0.2);
    u->factor = rnd_below(4);
    u->ndev = 1 + chance(0.4);
    for (int k = 0; k < u->ndev; k++) {
        rnd_hex(u->dev[k].dt_hash, 64);
        rnd_hex(u->dev[k].fingerprint, 32);
        u->dev[k].ua = k == 1 ? 5 : rnd_below(NAGENTS - 1);
    }
    for (int k = 0, n = 3 + (int)rnd_below(6); k < n; k++)
        u->app_mask |= 1u << rnd_below(NAPPS - 1);
    if (u->admin)
        u->app_mask |= 1u << ADMIN_CONSOLE;
    u->host[0] = (unsigned char)rnd_below(256);
    u->host[1] = (unsigned char)(1 + rnd_below(254));
    u->trip_city = -1;
}

static void set_place(struct ctx *c, struct user *u)
{
    if (u->trip_city >= 0) {
        c->where = &cities[u->trip_city];
        snprintf(c->ip, sizeof c->ip, "%u.%u.%u.%u", c->where->net[0], c->where->net[1],
                 rnd_below(256), 1 + rnd_below(254));
    } else if (u->vpn) {
        c->where = &vpn_egress[u->home % 3];
        snprintf(c->ip, sizeof c->ip, "%u.%u.%u.%u", c->where->net[0], c->where->net[1], 10 + u->home % 3, 20 + rnd_below(4));
    } else {
        c->where = &cities[u->home];
        /* home addresses drift a little inside the ISP's range */
        unsigned third = chance(0.1) ? rnd_below(256) : u->host[0];
        snprintf(c->ip, sizeof c->ip, "%u.%u.%u.%u", c->where->net[0], c->where->net[1], third, u->host[1]);
    }
}

static void sign_in(struct day *d, int64_t t, struct ctx *c)
{
    const struct user *u = c->u;
    const char *factor = factors[u->factor];
    struct evspec e = {0};

    c->session[0] = '\0';
    if (chance(0.03)) {   /* a mistyped password first */
        e = (struct evspec){"user.session.start", "User login to Okta", "core.user_auth.login_failed",
                            "FAILURE", "INVALID_CREDENTIALS", "/idp/idx/identify", "PASSWORD", NULL, "WARN", NULL, 0};
        emit_user(d, t - 40000, c, &e);
    }
    e = (struct evspec){"policy.evaluate_sign_on", "Evaluation of sign-on policy", NULL, "ALLOW",
                        "Sign-on policy evaluation resulted in ALLOW", "/idp/idx/identify", NULL, NULL, NULL, NULL, 0};
    emit_user(d, t, c, &e);
    if (u->factor == 0) {
        e = (struct evspec){"system.push.send_factor_verify_push", "Push notification sent for verification",
                            NULL, "SUCCESS", NULL, "/idp/idx/challenge", NULL, factor, NULL, NULL, 0};
        emit_user(d, t + 1500, c, &e);
    }
    e = (struct evspec){"user.authentication.auth_via_mfa", "Authentication of user via MFA",
                        "core.user.factor.attempt_success", "SUCCESS", NULL, "/idp/idx/authenticators/poll",
                        "OTP", factor, NULL, NULL, 0};
    emit_user(d, t + 9000, c, &e);
    strcpy(c->session, "102");
    rnd_alnum(c->session + 3, 22);
    e = (struct evspec){"user.session.start", "User login to Okta", "core.user_auth.login_success", "SUCCESS",
                        NULL, "/idp/idx/authenticators/poll", "PASSWORD", NULL, NULL, NULL, 0};
    emit_user(d, t + 9500, c, &e);
}

static void use_apps(struct day *d, int64_t t, struct ctx *c)
{
    int n = 3 + (int)rnd_below(13);
    for (int i = 0; i < n; i++) {
        unsigned a;
        do
            a = rnd_below(NAPPS);
        while (!(c->u->app_mask & (1u << a)));
        struct target tg = {apps[a].id, "AppInstance", apps[a].name, apps[a].name};
        struct evspec e = {"user.authentication.sso", "User single sign on to app", "app.auth.sso", "SUCCESS",
                           NULL, "/app/sso/saml", NULL, NULL, NULL, &tg, 1};
        emit_user(d, t + (int64_t)rnd_below(8 * 3600) * 1000 + 60000, c, &e);
    }
    if (chance(0.3)) {
        struct evspec e = {"user.session.end", "User logout from Okta", "core.user_auth.logout_success",
                           "SUCCESS", NULL, "/login/signout", NULL, NULL, NULL, NULL, 0};
        emit_user(d, t + 9 * 3600 * 1000LL, c, &e);
    }
}

static void admin_action(struct day *d, int64_t t, struct ctx *c, const struct user *victim)
{
    static const struct { const char *type, *display; } acts[] = {
        {"group.user_membership.add", "Add user to group membership"},
        {"user.mfa.factor.reset_all", "Reset all factors for user"},
        {"user.account.unlock", "Unlock user account"},
        {"user.lifecycle.activate", "Activate Okta user"},
    };
    unsigned k = rnd_below(4);
    struct target tg[2] = {{victim->id, "User", victim->login, victim->name},
                           {"00g1engineering01", "UserGroup", "Engineering", "Engineering"}};
    struct evspec e = {acts[k].type, acts[k].display, NULL, "SUCCESS", NULL, "/api/v1/users", NULL, NULL,
                       NULL, tg, k == 0 ? 2 : 1};
    emit_user(d, t, c, &e);
}

static void spray_noise(struct day *d, int64_t day0)
{
    int n = 5 + (int)rnd_below(25);
    static const struct city nowhere = {"Unknown City", "Unknown", "Netherlands", "0000", 52.37, 4.89, 0,
                                        14061, "DigitalOcean, LLC", "digitalocean.com", {0, 0}};
    for (int i = 0; i < n; i++) {
        struct ctx c = {0};
        char typed[40];
        c.where = &nowhere;
        snprintf(c.ip, sizeof c.ip, "%u.%u.%u.%u", 45 + rnd_below(150), rnd_below(256), rnd_below(256), 1 + rnd_below(254));
        snprintf(typed, sizeof typed, "%s%u", first_names[rnd_below(20)], rnd_below(1000));
        struct evspec e = {"user.session.start", "User login to Okta", "core.user_auth.login_failed", "FAILURE",
                           "VERIFICATION_ERROR", "/api/v1/authn", "PASSWORD", NULL, "WARN", NULL, 0};
        emit(d, day0 + (int64_t)rnd_below(86400) * 1000, &c, &e, "unknown", "User", typed, "unknown");
    }
}

static void system_noise(struct day *d, int64_t day0, const struct user *users, unsigned nusers)
{
    struct ctx c = {0};
    const struct user *u = &users[rnd_below(nusers)];
    struct target tg = {u->id, "User", u->login, u->name};
    static const struct city okta_dc = {"Ashburn", "Virginia", "United States", "20147", 39.04, -77.49, -5,
                                        16509, "Amazon.com, Inc.", "amazonaws.com", {3, 3}};
    c.where = &okta_dc;
    strcpy(c.ip, "3.3.14.15");
    struct evspec e = {"application.provision.user.push", "Push user to app", NULL, "SUCCESS", NULL,
                       "/api/internal/provision", NULL, NULL, NULL, &tg, 1};
    emit(d, day0 + (int64_t)rnd_below(86400) * 1000, &c, &e, "spr1okta0system01", "SystemPrincipal",
         "system@okta.com", "Okta System");
    struct evspec w = {"system.org.rate_limit.warning", "Rate limit warning", NULL, "SUCCESS", NULL,
                       "/api/v1/logs", NULL, NULL, "WARN", NULL, 0};
    if (chance(0.2))
        emit(d, day0 + (int64_t)rnd_below(86400) * 1000, &c, &w, "spr1okta0system01", "SystemPrincipal",
             "system@okta.com", "Okta System");
}

static void user_day(struct day *d, int64_t day0, int weekday, struct user *u,
                     const struct user *users, unsigned nusers)
{
    struct ctx c = {0};
    if (weekday >= 5 && !chance(0.08))
        return;
    if (!chance(0.93))
        return;                 /* a day off */
    if (u->trip_city < 0 && chance(0.01)) {
        u->trip_city = (int)rnd_below(NCITIES);
        u->trip_days = 2 + (int)rnd_below(4);
    }
    if (u->ndev < 2 && chance(0.003)) {
        rnd_hex(u->dev[0].dt_hash, 64);     /* a new laptop */
        u->dev[0].ua = rnd_below(NAGENTS - 1);
    }
    c.u = u;
    c.dev = &u->dev[u->ndev > 1 && chance(0.25) ? 1 : 0];
    set_place(&c, u);
    int tz = c.where->tz;
    /* 08:00 local, as an hour of this UTC day, plus up to two hours */
    int64_t start = day0 + ((int64_t)((8 - tz + 24) % 24) * 3600 + 60 + (int64_t)rnd_below(7200)) * 1000;
    sign_in(d, start, &c);
    use_apps(d, start + 20000, &c);
    if (u->admin && chance(0.5))
        admin_action(d, start + (int64_t)rnd_below(6 * 3600) * 1000, &c, &users[rnd_below(nusers)]);
    if (u->trip_city >= 0 && --u->trip_days <= 0)
        u->trip_city = -1;
}

/* Scenario hooks: functions that inject attacks into a day. None yet. */
typedef void (*scenario_fn)(struct day *d, int64_t day0, struct user *users, unsigned nusers);
static const scenario_fn scenarios[] = {NULL};

/* ---- main loop ---------------------------------------------------------------------------- */

static int by_time(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Keeps records k.. (tomorrow's) as the start of the next day's buffer. */
static void carry_over(struct day *d, size_t k)
{
    struct day next = {0};
    for (; k < d->n; k++) {
        day_reserve(&next, d->recs[k].len);
        memcpy(next.text + next.len, d->text + d->recs[k].off, d->recs[k].len);
        if (next.n == next.rcap) {
            next.rcap = next.rcap ? next.rcap * 2 : 1024;
            next.recs = realloc(next.recs, next.rcap * sizeof *next.recs);
            if (!next.recs) {
                perror("gen-events");
                exit(1);
            }
        }
        next.recs[next.n++] = (struct rec){d->recs[k].t, next.len, d->recs[k].len};
        next.len += d->recs[k].len;
    }
    free(d->text);
    free(d->recs);
    *d = next;
}

static int64_t parse_day(const char *s)
{
    struct tm tm = {0};
    if (sscanf(s, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: gen-events [--users N] [--days D] [--start YYYY-MM-DD] [--seed S]\n"
               "                  [--format jsonl|array] [--max-events N] [--org NAME] [--out FILE|-] [--stats]\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--stats")) { o->stats = 1; continue; }
        if (!strcmp(a, "--help")) { usage(stdout); exit(0); }
        if (!v) { usage(stderr); return -1; }
        if (!strcmp(a, "--users")) o->users = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--days")) o->days = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seed")) o->seed = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--start")) o->start = v;
        else if (!strcmp(a, "--format")) o->format = v;
        else if (!strcmp(a, "--max-events")) o->max = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--org")) o->org = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else { usage(stderr); return -1; }
        i++;
    }
    if (!o->users || !o->days || parse_day(o->start) < 0 ||
        (strcmp(o->format, "jsonl") && strcmp(o->format, "array"))) {
        usage(stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {50, 14, 1, "2026-09-01", "acme", "-", "jsonl", 0, 0};
    struct day d = {0};
    unsigned long written = 0;
    unsigned long long bytes = 0;
    int array, first = 1;

    if (parse_opts(argc, argv, &o) < 0)
        return 2;
    array = !strcmp(o.format, "array");
    rng_state = 0x1d3a7c00ULL ^ ((uint64_t)o.seed << 20);
    FILE *out = strcmp(o.out, "-") ? fopen(o.out, "w") : stdout;
    struct user *users = calloc(o.users, sizeof *users);
    if (!out || !users) {
        perror("gen-events");
        return 1;
    }
    for (unsigned i = 0; i < o.users; i++)
        make_user(&users[i], i, &o);
    int64_t start = parse_day(o.start);
    if (array)
        fputs("[\n", out);
    for (unsigned day = 0; day < o.days && (!o.max || written < o.max); day++) {
        int64_t day0 = start + (int64_t)day * 86400000;
        int weekday = (int)(((day0 / 86400000) + 3) % 7);      /* Monday = 0 */
        for (unsigned i = 0; i < o.users; i++)
            user_day(&d, day0, weekday, &users[i], users, o.users);
        spray_noise(&d, day0);
        system_noise(&d, day0, users, o.users);
        for (size_t s = 0; scenarios[s]; s++)
            scenarios[s](&d, day0, users, o.users);
        qsort(d.recs, d.n, sizeof *d.recs, by_time);
        int last = day + 1 == o.days;
        size_t k = 0;
        for (; k < d.n && (!o.max || written < o.max); k++, written++) {
            if (!last && d.recs[k].t >= day0 + 86400000)
                break;      /* belongs to tomorrow: carried over to keep the output ordered */
            size_t len = d.recs[k].len - (array ? 1 : 0);   /* drop the newline inside arrays */
            if (array && !first)
                fputs(",\n", out);
            fwrite(d.text + d.recs[k].off, 1, len, out);
            bytes += len;
            first = 0;
        }
        carry_over(&d, k);
    }
    if (array)
        fputs("\n]\n", out);
    if (o.stats)
        fprintf(stderr, "gen-events: %lu events, %llu bytes, %.0f bytes/event\n", written, bytes,
                written ? (double)bytes / written : 0.0);
    free(users);
    free(d.text);
    free(d.recs);
    if (out != stdout && fclose(out) != 0) {
        perror("gen-events");
        return 1;
    }
    return 0;
}
