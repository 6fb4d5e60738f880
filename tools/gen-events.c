/*
 * gen-events.c — a deterministic generator of a synthetic Okta org's System
 * Log, in the real LogEvent shape: the bundled sample org, the integration
 * tests, `make bench`, and the labelled scenario suite (docs/scenarios.md).
 *
 * Background, always: people with a home city and ISP (some behind a shared
 * corporate VPN egress, some with a phone whose carrier geolocates it
 * hundreds of km from home), one or two devices, usual apps, a preferred
 * factor and working hours.  On working days they sign in and use their
 * apps.  Sometimes they mistype a password, retry a push, lock themselves
 * out, fly on a business trip (nothing during the flight, then a hotel
 * network at the destination) or get a new laptop.  Admins change group
 * memberships, reset factors for people who call the helpdesk, unlock
 * accounts, grant planned roles and onboard new hires, who then learn
 * everything from scratch.  Org admins work in the Admin Console every day
 * (policy, zone, app, OAuth client, log stream and event hook changes, role
 * revokes, API token rotation; the super admin grants Okta Support access),
 * from their own random stream.  The internet sprays unknown usernames.
 *
 * Attacks, with --attacks: each labelled scenario of `attacks` below is
 * injected once after day 14, on an established user, drawing from its own
 * random stream, so the background is byte-identical with or without the
 * flag.  --labels FILE writes one JSON line per injected attack; the
 * admin-plane and newer attacks name the uuids of their key events instead
 * of a rule.
 *
 * The day loop has three passes: each person's own day, then the org's
 * routines that involve two people (admin on user), then the attacks, which
 * read what everyone did today.  Output is ordered by published time, one
 * day at a time, so memory stays bounded whatever the length; the same
 * arguments always give byte-identical output.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC_MS 1000LL
#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define ATTACKS_FROM_DAY 15     /* day index: two weeks of baseline before any attack */

/* ---- deterministic randomness (splitmix64), two streams ------------------ */

/* The background and the attacks draw from separate streams: injecting attacks never changes the
 * background.  The org admins' admin-plane routine has a third stream, so adding it left the rest of
 * the background as it was. */
static uint64_t rng_background, rng_attacks, rng_admin, *rng = &rng_background;

static uint64_t rnd(void)
{
    uint64_t z = (*rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rnd_below(unsigned n) { return n ? (unsigned)(rnd() % n) : 0; }
static int chance(double p) { return (rnd() >> 11) * (1.0 / 9007199254740992.0) < p; }
static int64_t rnd_ms(int64_t lo, int64_t hi)
{
    return lo + (int64_t)rnd_below((unsigned)((hi - lo) / SEC_MS + 1)) * SEC_MS;
}

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
    unsigned char net[2];       /* first two octets of the network's addresses */
};

static const struct city cities[] = {
    {"San Francisco", "California", "United States", "94105", 37.7749, -122.4194, -8,
     7922, "Comcast Cable Communications", "comcast.net", {73, 162}},
    {"New York", "New York", "United States", "10001", 40.7128, -74.0060, -5,
     701, "Verizon Business", "verizon.net", {71, 190}},
    {"Chicago", "Illinois", "United States", "60601", 41.8781, -87.6298, -6,
     7018, "AT&T Services", "att.net", {99, 12}},
    {"Austin", "Texas", "United States", "78701", 30.2672, -97.7431, -6,
     11427, "Charter Communications", "spectrum.com", {70, 114}},
    {"Seattle", "Washington", "United States", "98101", 47.6062, -122.3321, -8,
     7922, "Comcast Cable Communications", "comcast.net", {73, 42}},
    {"Boston", "Massachusetts", "United States", "02108", 42.3601, -71.0589, -5,
     7015, "Comcast Cable Communications", "comcast.net", {24, 60}},
    {"Denver", "Colorado", "United States", "80202", 39.7392, -104.9903, -7,
     209, "CenturyLink", "centurylink.net", {75, 166}},
    {"Toronto", "Ontario", "Canada", "M5H", 43.6532, -79.3832, -5,
     812, "Rogers Communications", "rogers.com", {99, 224}},
    {"London", "England", "United Kingdom", "EC1A", 51.5074, -0.1278, 0,
     2856, "British Telecommunications", "bt.com", {86, 150}},
    {"Manchester", "England", "United Kingdom", "M1", 53.4808, -2.2426, 0,
     5089, "Virgin Media", "virginmedia.com", {82, 12}},
    {"Dublin", "Leinster", "Ireland", "D02", 53.3498, -6.2603, 0, 5466, "eircom", "eircom.net", {86, 40}},
    {"Berlin", "Land Berlin", "Germany", "10115", 52.5200, 13.4050, 1,
     3320, "Deutsche Telekom AG", "telekom.de", {79, 192}},
    {"Munich", "Bavaria", "Germany", "80331", 48.1351, 11.5820, 1,
     3209, "Vodafone GmbH", "vodafone.de", {88, 64}},
    {"Paris", "Ile-de-France", "France", "75001", 48.8566, 2.3522, 1, 3215, "Orange", "orange.fr", {90, 45}},
    {"Amsterdam", "North Holland", "Netherlands", "1012", 52.3676, 4.9041, 1,
     1136, "KPN B.V.", "kpn.com", {77, 160}},
    {"Madrid", "Madrid", "Spain", "28001", 40.4168, -3.7038, 1,
     3352, "Telefonica de Espana", "telefonica.es", {83, 32}},
    {"Stockholm", "Stockholm", "Sweden", "111 20", 59.3293, 18.0686, 1,
     3301, "Telia Company AB", "telia.com", {78, 70}},
    {"Warsaw", "Mazovia", "Poland", "00-001", 52.2297, 21.0122, 1,
     5617, "Orange Polska", "orange.pl", {83, 24}},
    {"Bangalore", "Karnataka", "India", "560001", 12.9716, 77.5946, 5,
     24560, "Bharti Airtel", "airtel.in", {122, 171}},
    {"Singapore", "Central Singapore", "Singapore", "018956", 1.3521, 103.8198, 8,
     9506, "Singtel Fibre Broadband", "singtel.com", {116, 86}},
    {"Tokyo", "Tokyo", "Japan", "100-0001", 35.6762, 139.6503, 9,
     2516, "KDDI Corporation", "kddi.com", {106, 72}},
    {"Sydney", "New South Wales", "Australia", "2000", -33.8688, 151.2093, 10,
     1221, "Telstra Corporation", "telstra.net", {101, 160}},
    {"Sao Paulo", "Sao Paulo", "Brazil", "01000", -23.5505, -46.6333, -3,
     28573, "Claro NXT", "claro.com.br", {177, 32}},
    {"Mexico City", "Mexico City", "Mexico", "06000", 19.4326, -99.1332, -6,
     8151, "Uninet", "telmex.com", {189, 203}},
};
#define NCITIES (sizeof cities / sizeof cities[0])

/* Corporate VPN egress: many users appear from these few addresses. */
static const struct city vpn_egress[] = {
    {"Ashburn", "Virginia", "United States", "20147", 39.0438, -77.4874, -5,
     53813, "Zscaler, Inc.", "zscaler.com", {165, 225}},
    {"Frankfurt am Main", "Hesse", "Germany", "60311", 50.1109, 8.6821, 1,
     53813, "Zscaler, Inc.", "zscaler.com", {147, 161}},
    {"Chicago", "Illinois", "United States", "60601", 41.8781, -87.6298, -6,
     53813, "Zscaler, Inc.", "zscaler.com", {165, 225}},
};

/* Mobile carriers geolocate their subscribers to a gateway city 300-900 km from home, in the same country. */
struct carrier {
    unsigned home;              /* index in cities[] */
    struct city geo;
};

static const struct carrier carriers[] = {
    {0, {"Los Angeles", "California", "United States", "90012", 34.0522, -118.2437, -8,
         21928, "T-Mobile USA, Inc.", "t-mobile.com", {172, 58}}},
    {1, {"Pittsburgh", "Pennsylvania", "United States", "15222", 40.4406, -79.9959, -5,
         6167, "Verizon Wireless", "verizonwireless.com", {174, 205}}},
    {2, {"Kansas City", "Missouri", "United States", "64106", 39.0997, -94.5786, -6,
         21928, "T-Mobile USA, Inc.", "t-mobile.com", {172, 56}}},
    {3, {"Oklahoma City", "Oklahoma", "United States", "73102", 35.4676, -97.5164, -6,
         6167, "Verizon Wireless", "verizonwireless.com", {174, 244}}},
    {4, {"Spokane", "Washington", "United States", "99201", 47.6588, -117.4260, -8,
         21928, "T-Mobile USA, Inc.", "t-mobile.com", {172, 59}}},
    {5, {"Philadelphia", "Pennsylvania", "United States", "19107", 39.9526, -75.1652, -5,
         6167, "Verizon Wireless", "verizonwireless.com", {174, 198}}},
    {6, {"Salt Lake City", "Utah", "United States", "84101", 40.7608, -111.8910, -7,
         21928, "T-Mobile USA, Inc.", "t-mobile.com", {172, 57}}},
    {8, {"Newcastle upon Tyne", "England", "United Kingdom", "NE1", 54.9783, -1.6178, 0,
         25135, "Vodafone Limited", "vodafone.co.uk", {85, 255}}},
    {9, {"Plymouth", "England", "United Kingdom", "PL1", 50.3755, -4.1427, 0,
         25135, "Vodafone Limited", "vodafone.co.uk", {85, 254}}},
    {11, {"Dusseldorf", "North Rhine-Westphalia", "Germany", "40213", 51.2277, 6.7735, 1,
          6805, "Telefonica Germany GmbH & Co.OHG", "telefonica.de", {176, 2}}},
    {12, {"Hamburg", "Hamburg", "Germany", "20095", 53.5511, 9.9937, 1,
          6805, "Telefonica Germany GmbH & Co.OHG", "telefonica.de", {176, 3}}},
};
#define NCARRIERS (sizeof carriers / sizeof carriers[0])

/* Hosting providers: where attackers rent their vantage points. */
static const struct city hosting[] = {
    {"Amsterdam", "North Holland", "Netherlands", "1098", 52.3520, 4.9392, 1,
     14061, "DigitalOcean, LLC", "digitalocean.com", {188, 166}},
    {"Singapore", "Central Singapore", "Singapore", "139964", 1.2897, 103.8501, 8,
     14061, "DigitalOcean, LLC", "digitalocean.com", {159, 89}},
    {"Sao Paulo", "Sao Paulo", "Brazil", "01323", -23.5475, -46.6361, -3,
     16509, "Amazon.com, Inc.", "amazonaws.com", {18, 231}},
    {"Ashburn", "Virginia", "United States", "20149", 39.0469, -77.4903, -5,
     16509, "Amazon.com, Inc.", "amazonaws.com", {44, 192}},
    {"Frankfurt am Main", "Hesse", "Germany", "60313", 50.1155, 8.6842, 1,
     16509, "Amazon.com, Inc.", "amazonaws.com", {3, 120}},
    {"Tokyo", "Tokyo", "Japan", "102-0082", 35.6895, 139.6917, 9,
     16509, "Amazon.com, Inc.", "amazonaws.com", {54, 250}},
    {"Bucharest", "Bucuresti", "Romania", "030167", 44.4323, 26.1063, 2,
     9009, "M247 Europe SRL", "m247.com", {185, 225}},
    {"Piscataway", "New Jersey", "United States", "08854", 40.5511, -74.4607, -5,
     20473, "The Constant Company, LLC", "vultr.com", {45, 77}},
};
#define NHOSTING (sizeof hosting / sizeof hosting[0])

/* Proxy networks (securityContext.isProxy true): where a distributed spray rotates its addresses. */
static const struct city proxies[] = {
    {"Los Angeles", "California", "United States", "90017", 34.0494, -118.2641, -8,
     60068, "Datacamp Limited", "datacamp.co.uk", {212, 102}},
    {"Frankfurt am Main", "Hesse", "Germany", "60314", 50.1109, 8.7200, 1,
     51852, "Private Layer INC", "privatelayer.com", {185, 107}},
    {"Dallas", "Texas", "United States", "75201", 32.7767, -96.7970, -6,
     62240, "Clouvider Limited", "clouvider.net", {45, 134}},
    {"London", "England", "United Kingdom", "E14", 51.5072, -0.0205, 0,
     9009, "M247 Ltd", "m247.com", {89, 46}},
};
#define NPROXIES (sizeof proxies / sizeof proxies[0])

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
#define AWS_CONSOLE 4
#define ADMIN_CONSOLE (NAPPS - 1)

struct ua { const char *raw, *os, *browser, *device; };

static const struct ua agents[] = {
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36", "Mac OS X", "CHROME", "Computer"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Windows 10", "EDGE_CHROMIUM", "Computer"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
     "Windows 10", "FIREFOX", "Computer"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", "Mac OS X", "SAFARI", "Computer"},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36", "Linux", "CHROME", "Computer"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "iOS", "MOBILE_SAFARI", "Mobile"},
};
#define NDESKTOP 5              /* agents[0..4] are computers */
#define PHONE_UA 5

/* The most common browser: what a residential-proxy kit presents. */
static const struct ua chrome_windows = {
    .raw = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Safari/537.36",
    .os = "Windows 10", .browser = "CHROME", .device = "Computer"};

static const struct ua scripted = {.raw = "python-requests/2.31.0", .os = "Unknown", .browser = "UNKNOWN",
                                   .device = "Unknown"};

static const char *const first_names[] = {
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara",
};
static const char *const last_names[] = {
    "smith", "jones", "garcia", "muller", "kowalski", "tanaka", "silva", "nguyen", "byrne", "rossi",
    "dubois", "larsen", "patel", "kim", "novak", "haddad", "okafor", "ivanova", "lopez", "schmidt",
};

static const char *const factors[] = {
    "OKTA_VERIFY_PUSH", "FIDO_WEBAUTHN", "SIGNED_NONCE", "OKTA_VERIFY_TOTP",
};
static const char *const authenticators[] = {
    "Okta Verify", "Security Key or Biometric", "Okta Verify", "Okta Verify",
};

struct role { const char *id, *name, *granted; };

static const struct role roles[] = {
    {"SUPER_ADMIN", "Super Administrator", "Super administrator"},
    {"ORG_ADMIN", "Organization Administrator", "Organization administrator"},
    {"HELP_DESK_ADMIN", "Help Desk Administrator", "Help desk administrator"},
    {"READ_ONLY_ADMIN", "Read-only Administrator", "Read only admin"},
};
enum { ROLE_SUPER, ROLE_ORG, ROLE_HELPDESK, ROLE_READONLY };

struct group { const char *id, *name; };

static const struct group groups[] = {
    {"00g1engineering01", "Engineering"}, {"00g1sales0000002", "Sales"}, {"00g1marketing003", "Marketing"},
    {"00g1finance00004", "Finance"}, {"00g1contractors5", "Contractors"}, {"00g1vpnusers0006", "VPN Users"},
};
#define NGROUPS (sizeof groups / sizeof groups[0])
static const struct group admin_group = {"00g1itadmins0007", "IT Administrators"};

static const struct city *home_city(unsigned home) { return &cities[home]; }

/* Rough continent from longitude: 0 the Americas, 1 Europe and Africa, 2 Asia and Oceania. */
static int region(const struct city *c) { return c->lon < -30 ? 0 : c->lon < 60 ? 1 : 2; }

static double dist_km(const struct city *a, const struct city *b)
{
    const double rad = 3.14159265358979323846 / 180.0;
    double dlat = (b->lat - a->lat) * rad, dlon = (b->lon - a->lon) * rad;
    double h = sin(dlat / 2) * sin(dlat / 2)
               + cos(a->lat * rad) * cos(b->lat * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * 6371.0 * asin(sqrt(h < 1 ? h : 1));
}

/* ---- people ------------------------------------------------------------------ */

/* How often each benign look-alike happened (--stats): the suite must contain them all. */
static struct {
    unsigned long trips, carrier, retried_push, lockouts, resets, grants, groups, hires;
    unsigned long consoles, configs, tokens, supports, revokes;     /* the admin plane */
} tally;

enum { NOT_ADMIN, HELPDESK, ORG_ADMIN };

struct device {
    char dt_hash[65], fingerprint[33];
    unsigned ua;                /* index in agents[] */
};

struct user;
struct admin_plane;

/* Where and how one event happens. */
struct ctx {
    struct user *u;
    const struct city *where;   /* NULL: no HTTP client (system events) */
    char ip[16];
    const struct device *dev;   /* NULL: no device token */
    const struct ua *ua;        /* NULL: the device's browser */
    char session[32];
    unsigned beh;               /* Okta behaviours that are POSITIVE (B_*) */
    const char *risk;           /* debugData.risk, NULL = low */
    int proxy;                  /* securityContext.isProxy */
};

/* What a person did today (first pass), for the org's routines and the attacks. */
struct today {
    int worked, away, locked;   /* away: on a trip, flying or just landed */
    int64_t start, end;         /* first sign-in, last activity */
    struct ctx ctx;             /* the usual place, device and today's session */
};

struct user {
    char id[21], login[96], name[64];
    unsigned home, app_mask, factor;
    int admin, vpn, carrier;    /* carrier: index in carriers[], -1 none */
    int hire_day;               /* a new hire created on this day index; -1 employed before */
    int created, enrolled;
    int64_t created_at;         /* new hires: when an admin created the account */
    struct device dev[2], travel_dev;
    int ndev;
    int trip_city, trip_days, trip_first, travel_browser;   /* trip_city -1: at home */
    int64_t blackout;           /* on a plane: no sign-in before this time */
    unsigned char host[2], trip_host[2];
    struct today today;
    struct admin_plane *plane;  /* org admins: their routine configuration work */
};

struct opts {
    unsigned users, days, seed;
    const char *start, *org, *out, *format, *labels;
    unsigned long max;
    int stats, attacks;
};

/* ---- output buffer of one day ----------------------------------------------- */

struct rec {
    int64_t t;
    size_t off, len;
};

struct day {
    char *text;
    size_t len, cap;
    struct rec *recs;
    size_t n, rcap;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        perror("gen-events");
        exit(1);
    }
    return p;
}

static void day_reserve(struct day *d, size_t more)
{
    if (d->len + more > d->cap) {
        while (d->len + more > d->cap)
            d->cap = d->cap ? d->cap * 2 : 1 << 20;
        d->text = xrealloc(d->text, d->cap);
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

/* ---- labels: the time span of each injected attack ------------------------------ */

static struct {
    int active;
    const char *name, *rule, *severity;
    char user[96], ip[16];
    int64_t first, last;
    int key;                    /* the events emitted now are the attack's key events */
    int nuuids;
    char uuids[160][37];        /* their uuids: what the alert must name */
} cur_label;
static FILE *labels_out;

static void fmt_time(int64_t ms, char *out)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, (int)(ms % 1000));
}

static void label_begin(const char *rule, const char *severity, const struct user *u, const char *ip)
{
    cur_label.active = 1;
    cur_label.rule = rule;
    cur_label.severity = severity;
    snprintf(cur_label.user, sizeof cur_label.user, "%s", u ? u->login : "");
    snprintf(cur_label.ip, sizeof cur_label.ip, "%s", ip ? ip : "");
    cur_label.first = cur_label.last = 0;
    cur_label.key = cur_label.nuuids = 0;
}

static void label_touch(int64_t t)
{
    if (!cur_label.first || t < cur_label.first)
        cur_label.first = t;
    if (t > cur_label.last)
        cur_label.last = t;
}

/* From here on (on) or no longer, the events emitted are the attack's key events. */
static void label_key(int on) { cur_label.key = on; }

static void label_note(int64_t t, const char *uuid)
{
    if (!cur_label.active)
        return;
    label_touch(t);
    if (cur_label.key && cur_label.nuuids < (int)(sizeof cur_label.uuids / sizeof cur_label.uuids[0]))
        strcpy(cur_label.uuids[cur_label.nuuids++], uuid);
}


static void json_or_null(FILE *f, const char *key, const char *s)
{
    if (*s)
        fprintf(f, ", \"%s\": \"%s\"", key, s);
    else
        fprintf(f, ", \"%s\": null", key);
}

static void label_end(void)
{
    char first[32], last[32];
    cur_label.active = 0;
    if (!labels_out)
        return;
    fmt_time(cur_label.first, first);
    fmt_time(cur_label.last, last);
    fprintf(labels_out, "{\"name\": \"%s\"", cur_label.name);
    json_or_null(labels_out, "rule", cur_label.rule ? cur_label.rule : "");
    fprintf(labels_out, ", \"min_severity\": \"%s\"", cur_label.severity);
    json_or_null(labels_out, "user", cur_label.user);
    json_or_null(labels_out, "ip", cur_label.ip);
    fprintf(labels_out, ", \"first\": \"%s\", \"last\": \"%s\"", first, last);
    if (!cur_label.rule) {      /* caught by whichever rule names a key event */
        fprintf(labels_out, ", \"uuids\": [");
        for (int i = 0; i < cur_label.nuuids; i++)
            fprintf(labels_out, "%s\"%s\"", i ? ", " : "", cur_label.uuids[i]);
        fprintf(labels_out, "]");
    }
    fprintf(labels_out, "}\n");
}

/* ---- one event ------------------------------------------------------------------- */

struct target { const char *id, *type, *alt, *name, *detail; };    /* detail: detailEntry JSON, or NULL */
struct actor { const char *id, *type, *alt, *name; };

struct evspec {
    const char *type, *display, *legacy, *outcome, *reason, *uri, *cred, *factor, *severity;
    const char *extra;          /* more debugData members, JSON text */
    const char *provider, *iface, *issuer_id, *issuer_type;     /* authenticationContext, NULL: null */
    const struct target *targets;
    int ntargets, threat;
};

enum { B_GEO = 1, B_DEVICE = 2, B_IP = 4, B_STATE = 8, B_COUNTRY = 16, B_VELOCITY = 32, B_CITY = 64 };
#define B_NEW_PLACE (B_GEO | B_IP | B_STATE | B_CITY)
static const char *const behavior_names[] = {
    "New Geo-Location", "New Device", "New IP", "New State", "New Country", "Velocity", "New City",
};
static const char *const risk_low = "{reasons=, level=LOW}";
static const char *const risk_high = "{reasons=Anomalous Location, Anomalous Device, New ASN, level=HIGH}";

static void json_str_or_null(struct day *d, const char *s)
{
    if (s)
        app_printf(d, "\"%s\"", s);
    else
        app_printf(d, "null");
}

static void write_actor(struct day *d, const struct actor *a)
{
    app_printf(d, "\"actor\":{\"id\":\"%s\",\"type\":\"%s\",\"alternateId\":\"%s\",\"displayName\":\"%s\","
               "\"detailEntry\":null}", a->id, a->type, a->alt, a->name);
}

static void write_geo(struct day *d, const struct city *w)
{
    app_printf(d, "\"geographicalContext\":{\"city\":\"%s\",\"state\":\"%s\",\"country\":\"%s\","
               "\"postalCode\":\"%s\",\"geolocation\":{\"lat\":%.4f,\"lon\":%.4f}}",
               w->city, w->state, w->country, w->postal, w->lat, w->lon);
}

static void write_client(struct day *d, const struct ctx *c)
{
    const struct ua *ua = c->ua ? c->ua : &agents[c->dev ? c->dev->ua : 0];
    if (!c->where) {
        app_printf(d, ",\"client\":{\"userAgent\":null,\"zone\":null,\"device\":null,\"id\":null,"
                   "\"ipAddress\":null,\"geographicalContext\":null}");
        return;
    }
    app_printf(d, ",\"client\":{\"userAgent\":{\"rawUserAgent\":\"%s\",\"os\":\"%s\",\"browser\":\"%s\"},"
               "\"zone\":\"null\",\"device\":\"%s\",\"id\":null,\"ipAddress\":\"%s\",",
               ua->raw, ua->os, ua->browser, ua->device, c->ip);
    write_geo(d, c->where);
    app_printf(d, "}");
}

static void write_authn(struct day *d, const struct ctx *c, const struct evspec *e)
{
    const char *s = c->session[0] ? c->session : NULL;
    app_printf(d, ",\"device\":null,\"authenticationContext\":{\"authenticationProvider\":");
    json_str_or_null(d, e->provider);
    app_printf(d, ",\"credentialProvider\":null,\"credentialType\":");
    json_str_or_null(d, e->cred);
    app_printf(d, ",\"interface\":");
    json_str_or_null(d, e->iface);
    if (e->issuer_id)
        app_printf(d, ",\"issuer\":{\"id\":\"%s\",\"type\":\"%s\"}", e->issuer_id, e->issuer_type);
    else
        app_printf(d, ",\"issuer\":null");
    app_printf(d, ",\"authenticationStep\":0,\"externalSessionId\":");
    json_str_or_null(d, s);
    app_printf(d, ",\"rootSessionId\":");
    json_str_or_null(d, s);
    app_printf(d, "}");
}

static void write_security(struct day *d, const struct ctx *c)
{
    const struct city *w = c->where;
    if (!w) {
        app_printf(d, ",\"securityContext\":{\"asNumber\":null,\"asOrg\":null,\"isp\":null,\"domain\":null,"
                   "\"isProxy\":null}");
        return;
    }
    app_printf(d, ",\"securityContext\":{\"asNumber\":%u,\"asOrg\":\"%s\",\"isp\":\"%s\",\"domain\":\"%s\","
               "\"isProxy\":%s}", w->asn, w->isp, w->isp, w->domain, c->proxy ? "true" : "false");
}

static void write_request(struct day *d, const struct ctx *c)
{
    if (!c->where) {
        app_printf(d, ",\"request\":{\"ipChain\":[]}");
        return;
    }
    app_printf(d, ",\"request\":{\"ipChain\":[{\"ip\":\"%s\",\"version\":\"V4\",\"source\":null,", c->ip);
    write_geo(d, c->where);
    app_printf(d, "}]}");
}

static void write_behaviors(struct day *d, unsigned bits)
{
    app_printf(d, ",\"behaviors\":\"{");
    for (unsigned i = 0; i < 7; i++)
        app_printf(d, "%s%s=%s", i ? ", " : "", behavior_names[i],
                   bits & (1u << i) ? "POSITIVE" : "NEGATIVE");
    app_printf(d, "}\"");
}

static void write_debug(struct day *d, const struct ctx *c, const struct evspec *e)
{
    char req[28];
    rnd_alnum(req, 27);
    app_printf(d, ",\"debugContext\":{\"debugData\":{\"requestId\":\"%s\",\"requestUri\":\"%s\","
               "\"url\":\"%s?\",\"threatSuspected\":\"%s\"",
               req, e->uri, e->uri, e->threat ? "true" : "false");
    if (c->dev)
        app_printf(d, ",\"dtHash\":\"%s\",\"deviceFingerprint\":\"%s\"",
                   c->dev->dt_hash, c->dev->fingerprint);
    if (e->factor)
        app_printf(d, ",\"factor\":\"%s\"", e->factor);
    if (c->where) {
        write_behaviors(d, c->beh);
        app_printf(d, ",\"risk\":\"%s\"", c->risk ? c->risk : risk_low);
    }
    if (e->extra)
        app_printf(d, ",%s", e->extra);
    app_printf(d, "}},\"transaction\":{\"type\":\"%s\",\"id\":\"%s\",\"detail\":{}}",
               c->where ? "WEB" : "JOB", req);
}

static void write_targets(struct day *d, const struct target *t, int n)
{
    if (!n) {
        app_printf(d, ",\"target\":null");
        return;
    }
    app_printf(d, ",\"target\":[");
    for (int i = 0; i < n; i++)
        app_printf(d, "%s{\"id\":\"%s\",\"type\":\"%s\",\"alternateId\":\"%s\",\"displayName\":\"%s\","
                   "\"detailEntry\":%s}", i ? "," : "", t[i].id, t[i].type, t[i].alt, t[i].name,
                   t[i].detail ? t[i].detail : "null");
    app_printf(d, "]");
}

static void emit(struct day *d, int64_t t, const struct ctx *c, const struct evspec *e, const struct actor *a)
{
    char uuid[37], ts[32];
    struct rec r = {t, d->len, 0};

    if (d->n == d->rcap) {
        d->rcap = d->rcap ? d->rcap * 2 : 4096;
        d->recs = xrealloc(d->recs, d->rcap * sizeof *d->recs);
    }
    rnd_uuid(uuid);
    fmt_time(t, ts);
    app_printf(d, "{\"uuid\":\"%s\",\"published\":\"%s\",\"eventType\":\"%s\",\"version\":\"0\","
               "\"severity\":\"%s\",\"legacyEventType\":",
               uuid, ts, e->type, e->severity ? e->severity : "INFO");
    json_str_or_null(d, e->legacy);
    app_printf(d, ",\"displayMessage\":\"%s\",", e->display);
    write_actor(d, a);
    write_client(d, c);
    write_authn(d, c, e);
    write_security(d, c);
    app_printf(d, ",\"outcome\":{\"result\":\"%s\",\"reason\":", e->outcome);
    json_str_or_null(d, e->reason);
    app_printf(d, "}");
    write_targets(d, e->targets, e->ntargets);
    write_debug(d, c, e);
    write_request(d, c);
    app_printf(d, "}\n");
    r.len = d->len - r.off;
    d->recs[d->n++] = r;
    label_note(t, uuid);
}

static struct actor actor_of(const struct user *u)
{
    return (struct actor){u->id, "User", u->login, u->name};
}

static struct target target_of(const struct user *u)
{
    return (struct target){u->id, "User", u->login, u->name, NULL};
}

static void emit_user(struct day *d, int64_t t, const struct ctx *c, const struct evspec *e)
{
    struct actor a = actor_of(c->u);
    emit(d, t, c, e, &a);
}

/* ---- building blocks: sign-ins and app use --------------------------------------- */

static void new_session(struct ctx *c)
{
    strcpy(c->session, "102");
    rnd_alnum(c->session + 3, 22);
}

static void failed_password(struct day *d, int64_t t, const struct ctx *c)
{
    struct evspec e = {.type = "user.session.start", .display = "User login to Okta",
                       .legacy = "core.user_auth.login_failed", .outcome = "FAILURE",
                       .reason = "INVALID_CREDENTIALS", .uri = "/idp/idx/identify", .cred = "PASSWORD",
                       .severity = "WARN"};
    emit_user(d, t, c, &e);
}

static void policy_allow(struct day *d, int64_t t, const struct ctx *c)
{
    struct evspec e = {.type = "policy.evaluate_sign_on", .display = "Evaluation of sign-on policy",
                       .outcome = "ALLOW", .reason = "Sign-on policy evaluation resulted in ALLOW",
                       .uri = "/idp/idx/identify"};
    emit_user(d, t, c, &e);
}

static void push_sent(struct day *d, int64_t t, const struct ctx *c)
{
    struct evspec e = {.type = "system.push.send_factor_verify_push",
                       .display = "Push notification sent for verification", .outcome = "SUCCESS",
                       .uri = "/idp/idx/challenge", .factor = "OKTA_VERIFY_PUSH"};
    emit_user(d, t, c, &e);
}

static void mfa(struct day *d, int64_t t, const struct ctx *c, const char *factor, const char *outcome)
{
    int ok = !strcmp(outcome, "SUCCESS");
    struct evspec e = {.type = "user.authentication.auth_via_mfa",
                       .display = "Authentication of user via MFA",
                       .legacy = ok ? "core.user.factor.attempt_success" : "core.user.factor.attempt_fail",
                       .outcome = outcome, .reason = ok ? NULL : "Okta Verify push was not answered",
                       .uri = "/idp/idx/authenticators/poll", .cred = "OTP", .factor = factor,
                       .severity = ok ? NULL : "WARN"};
    emit_user(d, t, c, &e);
}

/* A new session (the caller's ctx gets its id). */
static void session_start(struct day *d, int64_t t, struct ctx *c)
{
    struct evspec e = {.type = "user.session.start", .display = "User login to Okta",
                       .legacy = "core.user_auth.login_success", .outcome = "SUCCESS",
                       .uri = "/idp/idx/authenticators/poll", .cred = "PASSWORD"};
    new_session(c);
    emit_user(d, t, c, &e);
}

/* The everyday sign-in: maybe a typo, policy, push (retried if the first one times out), MFA, session.
 * Returns the session start. */
static int64_t sign_in(struct day *d, int64_t t, struct ctx *c)
{
    int64_t m = t + 9 * SEC_MS;

    c->session[0] = '\0';
    if (chance(0.03))
        failed_password(d, t - 40 * SEC_MS, c);
    policy_allow(d, t, c);
    if (c->u->factor == 0) {
        push_sent(d, t + 1500, c);
        if (chance(0.03)) {         /* the phone was asleep: the push times out, the second one is approved */
            tally.retried_push++;
            mfa(d, t + 61500, c, factors[0], "UNANSWERED");
            push_sent(d, t + 75 * SEC_MS, c);
            m = t + 83 * SEC_MS;
        }
    }
    mfa(d, m, c, factors[c->u->factor], "SUCCESS");
    session_start(d, m + 500, c);
    return m + 500;
}

static unsigned random_app(const struct user *u, int allow_admin)
{
    unsigned a;
    do
        a = rnd_below(NAPPS);
    while (!(u->app_mask & (1u << a)) || (!allow_admin && a == ADMIN_CONSOLE));
    return a;
}

static void sso(struct day *d, int64_t t, const struct ctx *c, unsigned a)
{
    struct target tg = {.id = apps[a].id, .type = "AppInstance", .alt = apps[a].name, .name = apps[a].name};
    struct evspec e = {.type = "user.authentication.sso", .display = "User single sign on to app",
                       .legacy = "app.auth.sso", .outcome = "SUCCESS", .uri = "/app/sso/saml",
                       .targets = &tg, .ntargets = 1};
    emit_user(d, t, c, &e);
}

/* App use over span after t, maybe a logout at the end.  Returns the last event's time. */
static int64_t use_apps(struct day *d, int64_t t, const struct ctx *c, int64_t span)
{
    int full = span >= 8 * HOUR_MS, n = full ? 3 + (int)rnd_below(13) : 2 + (int)rnd_below(4);
    int64_t last = t;
    for (int i = 0; i < n; i++) {
        int64_t at = t + MIN_MS + rnd_ms(0, span);
        sso(d, at, c, random_app(c->u, 1));
        last = at > last ? at : last;
    }
    if (chance(0.3)) {
        struct evspec e = {.type = "user.session.end", .display = "User logout from Okta",
                           .legacy = "core.user_auth.logout_success", .outcome = "SUCCESS",
                           .uri = "/login/signout"};
        last = t + span + (full ? HOUR_MS : 5 * MIN_MS);
        emit_user(d, last, c, &e);
    }
    return last;
}

static void emit_targeted(struct day *d, int64_t t, const struct ctx *c, const struct user *actor,
                          const struct evspec *e)
{
    struct actor a = actor_of(actor);
    emit(d, t, c, e, &a);
}

static void factor_activate(struct day *d, int64_t t, const struct ctx *c, unsigned factor)
{
    char enrollment[21];
    strcpy(enrollment, "pfd");
    rnd_alnum(enrollment + 3, 17);
    struct target tg[2] = {target_of(c->u),
                           {enrollment, "AuthenticatorEnrollment", "unknown", authenticators[factor], NULL}};
    struct evspec e = {.type = "user.mfa.factor.activate",
                       .display = "Activate factor or authenticator enrollment method for user",
                       .legacy = "core.user.factor.activate", .outcome = "SUCCESS",
                       .uri = "/idp/idx/credential/enroll", .factor = factors[factor],
                       .targets = tg, .ntargets = 2};
    emit_user(d, t, c, &e);
}

static void grant_role(struct day *d, int64_t t, const struct ctx *c, const struct user *grantee, int role)
{
    const struct role *r = &roles[role];
    char extra[96], uri[64];
    struct target tg[3] = {target_of(grantee),
                           {"ROLE_ASSIGNED", "ROLE_ASSIGNED", "unknown", "Role Assigned", NULL},
                           {r->id, "ROLE", r->id, r->name, NULL}};
    snprintf(extra, sizeof extra, "\"privilegeGranted\":\"%s\"", r->granted);
    snprintf(uri, sizeof uri, "/api/v1/users/%s/roles", grantee->id);
    struct evspec e = {.type = "user.account.privilege.grant", .display = "Grant user privilege",
                       .legacy = "core.user.admin_privilege.granted", .outcome = "SUCCESS", .uri = uri,
                       .extra = extra, .targets = tg, .ntargets = 3};
    emit_user(d, t, c, &e);
}

static void membership(struct day *d, int64_t t, const struct ctx *c, const struct user *who,
                       const struct group *g, int add)
{
    char uri[64];
    struct target tg[2] = {{g->id, "UserGroup", "unknown", g->name, NULL}, target_of(who)};
    snprintf(uri, sizeof uri, "/api/v1/groups/%s/users/%s", g->id, who->id);
    struct evspec e = {.type = add ? "group.user_membership.add" : "group.user_membership.remove",
                       .display = add ? "Add user to group membership" : "Remove user from group membership",
                       .legacy = add ? "core.user_group_member.user_add"
                                     : "core.user_group_member.user_remove",
                       .outcome = "SUCCESS", .uri = uri, .targets = tg, .ntargets = 2};
    emit_user(d, t, c, &e);
}

static void reset_factors(struct day *d, int64_t t, const struct ctx *admin, const struct user *who)
{
    char uri[80];
    struct target tg = target_of(who);
    snprintf(uri, sizeof uri, "/api/v1/users/%s/lifecycle/reset_factors", who->id);
    struct evspec e = {.type = "user.mfa.factor.reset_all", .display = "Reset all factors for user",
                       .legacy = "core.user.factor.reset_all", .outcome = "SUCCESS", .uri = uri,
                       .targets = &tg, .ntargets = 1};
    emit_user(d, t, admin, &e);
}

/* ---- a person's own day (first pass) ----------------------------------------------- */

static void new_device(struct device *dv, unsigned ua)
{
    rnd_hex(dv->dt_hash, 64);
    rnd_hex(dv->fingerprint, 32);
    dv->ua = ua;
}

static int carrier_of(unsigned home)
{
    for (unsigned k = 0; k < NCARRIERS; k++)
        if (carriers[k].home == home)
            return (int)k;
    return -1;
}

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
    u->admin = i == 0 ? ORG_ADMIN : chance(0.05) ? (chance(0.3) ? ORG_ADMIN : HELPDESK) : NOT_ADMIN;
    u->vpn = chance(0.2);
    u->factor = rnd_below(4);
    u->ndev = 1 + chance(0.4);
    u->carrier = !u->vpn && chance(0.35) ? carrier_of(u->home) : -1;
    if (u->carrier >= 0)
        u->ndev = 2;            /* carrier users have the phone that roams on it */
    for (int k = 0; k < u->ndev; k++)
        new_device(&u->dev[k], k == 1 ? PHONE_UA : rnd_below(NDESKTOP));
    for (int k = 0, n = 3 + (int)rnd_below(6); k < n; k++)
        u->app_mask |= 1u << rnd_below(NAPPS - 1);
    if (u->admin)
        u->app_mask |= 1u << ADMIN_CONSOLE;
    u->host[0] = (unsigned char)rnd_below(256);
    u->host[1] = (unsigned char)(1 + rnd_below(254));
    u->trip_city = -1;
    u->hire_day = i && !u->admin && o->days > 7 && chance(0.02)
                  ? 3 + (int)rnd_below(o->days * 3 / 5 - 2) : -1;
    u->created = u->enrolled = u->hire_day < 0;
}

static void set_place(struct ctx *c, const struct user *u)
{
    if (u->trip_city >= 0) {
        c->where = &cities[u->trip_city];       /* the hotel's network, on the local ISP */
        snprintf(c->ip, sizeof c->ip, "%u.%u.%u.%u", c->where->net[0], c->where->net[1],
                 u->trip_host[0], u->trip_host[1]);
    } else if (u->vpn) {
        c->where = &vpn_egress[u->home % 3];
        snprintf(c->ip, sizeof c->ip, "%u.%u.%u.%u", c->where->net[0], c->where->net[1],
                 10 + u->home % 3, 20 + rnd_below(4));
    } else {
        c->where = home_city(u->home);
        /* home addresses drift a little inside the ISP's range */
        unsigned third = chance(0.1) ? rnd_below(256) : u->host[0];
        snprintf(c->ip, sizeof c->ip, "%u.%u.%u.%u", c->where->net[0], c->where->net[1], third, u->host[1]);
    }
}

/* The UTC time of hour:00 local (timezone tz) within the UTC day that starts at day0. */
static int64_t local_hour(int64_t day0, int tz, int hour)
{
    return day0 + (int64_t)((hour - tz + 48) % 24) * HOUR_MS;
}

/* Today's first sign-in, 08:00-10:00 local or soon after landing; 0 when the person is still travelling. */
static int day_start(const struct user *u, int64_t day0, int tz, int64_t *start)
{
    *start = local_hour(day0, tz, 8) + MIN_MS + rnd_ms(0, 2 * HOUR_MS);
    if (*start >= u->blackout)
        return 1;
    if (u->blackout + 90 * MIN_MS > *start + 10 * HOUR_MS)
        return 0;
    *start = u->blackout + rnd_ms(30 * MIN_MS, 90 * MIN_MS);
    return 1;
}

/* Flight time: distance at 800 km/h plus 2 hours, plus getting to and from the airports. */
static int64_t flight_ms(const struct city *a, const struct city *b)
{
    return (int64_t)((dist_km(a, b) / 800.0 + 2.0) * HOUR_MS) + rnd_ms(30 * MIN_MS, 3 * HOUR_MS);
}

/* Half the trips stay on the home continent; none is shorter than 300 km. */
static void depart(struct user *u, int64_t last)
{
    const struct city *from = home_city(u->home);
    int regional = chance(0.5), dest;
    do
        dest = (int)rnd_below(NCITIES);
    while (dist_km(from, &cities[dest]) < 300 || (regional && region(&cities[dest]) != region(from)));
    u->trip_city = dest;
    u->trip_days = 2 + (int)rnd_below(4);
    u->trip_first = 1;
    u->trip_host[0] = (unsigned char)rnd_below(256);
    u->trip_host[1] = (unsigned char)(1 + rnd_below(254));
    u->travel_browser = chance(0.3);    /* a fresh browser: a hotel PC or a new profile */
    if (u->travel_browser)
        new_device(&u->travel_dev, rnd_below(NDESKTOP));
    u->blackout = last + flight_ms(from, &cities[dest]);
    tally.trips++;
}

static void come_home(struct user *u, int64_t last)
{
    u->blackout = last + flight_ms(&cities[u->trip_city], home_city(u->home));
    u->trip_city = -1;
}

/* What Okta's behaviour detection says on the first day at a trip's destination. */
static unsigned trip_behaviors(const struct user *u)
{
    unsigned b = B_NEW_PLACE | (u->travel_browser ? B_DEVICE : 0);
    if (strcmp(cities[u->trip_city].country, home_city(u->home)->country))
        b |= B_COUNTRY;
    return b;
}

/* The phone signs in through the mobile carrier, then the laptop is back on the home network within the
 * hour. */
static int64_t carrier_visit(struct day *d, int64_t t, struct user *u, const struct ctx *home)
{
    const struct city *g = &carriers[u->carrier].geo;
    struct ctx c = {0};
    c.u = u;
    c.where = g;
    c.dev = &u->dev[1];
    snprintf(c.ip, sizeof c.ip, "%u.%u.%u.%u", g->net[0], g->net[1], rnd_below(256), 1 + rnd_below(254));
    int64_t s = sign_in(d, t, &c);
    sso(d, s + rnd_ms(30 * SEC_MS, 3 * MIN_MS), &c, random_app(u, 0));
    int64_t back = s + rnd_ms(5 * MIN_MS, 35 * MIN_MS);
    sso(d, back, home, random_app(u, 0));
    tally.carrier++;
    return back;
}

/* A new hire's first sign-in: set a password, enroll the factor.  Returns when the sign-in can follow. */
static int64_t onboard(struct day *d, int64_t t, struct ctx *c)
{
    struct target tg = target_of(c->u);
    struct evspec e = {.type = "user.account.update_password", .display = "User update password for Okta",
                       .legacy = "core.user.config.password_update.success", .outcome = "SUCCESS",
                       .uri = "/idp/idx/challenge/answer", .cred = "PASSWORD", .targets = &tg, .ntargets = 1};
    c->beh = B_NEW_PLACE | B_DEVICE | B_COUNTRY;
    emit_user(d, t, c, &e);
    factor_activate(d, t + 40 * SEC_MS, c, c->u->factor);
    c->u->enrolled = 1;
    return t + 2 * MIN_MS;
}

/* Ten mistyped passwords from the usual place, and Okta locks the account; the second pass unlocks it. */
static void lock_out(struct day *d, int64_t t, struct ctx *c)
{
    struct evspec lock = {.type = "user.account.lock", .display = "Max sign in attempts exceeded",
                          .legacy = "core.user_auth.account_locked", .outcome = "FAILURE",
                          .reason = "LOCKED_OUT", .uri = "/idp/idx/identify", .severity = "DEBUG"};
    c->session[0] = '\0';
    for (int i = 0; i < 10; i++) {
        failed_password(d, t, c);
        t += rnd_ms(8 * SEC_MS, 40 * SEC_MS);
    }
    emit_user(d, t, c, &lock);
    tally.lockouts++;
    c->u->today = (struct today){.locked = 1, .start = t, .end = t, .ctx = *c};
}

static int works_today(const struct user *u, int weekday)
{
    if (!u->created)
        return 0;
    if (weekday >= 5 && !chance(0.08))
        return 0;
    return chance(0.93);        /* else a day off */
}

static int may_leave(const struct user *u, int64_t day0)
{
    return !u->vpn && u->hire_day < 0 && u->blackout < day0 - 3 * DAY_MS && chance(0.01);
}

static void user_day(struct day *d, int64_t day0, int weekday, struct user *u)
{
    struct ctx c = {0};
    int64_t start, last;

    memset(&u->today, 0, sizeof u->today);
    if (!works_today(u, weekday))
        return;
    if (u->ndev < 2 && chance(0.003))
        new_device(&u->dev[0], rnd_below(NDESKTOP));     /* a new laptop */
    c.u = u;
    c.dev = u->trip_city >= 0 && u->travel_browser ? &u->travel_dev
                                                   : &u->dev[u->ndev > 1 && chance(0.25) ? 1 : 0];
    set_place(&c, u);
    if (!day_start(u, day0, c.where->tz, &start) || start < u->created_at + HOUR_MS)
        return;                 /* in the air, landing too late to work, or not hired yet */
    int landed = u->blackout > start - DAY_MS;
    if (u->trip_city >= 0 && u->trip_first) {
        c.beh = trip_behaviors(u);
        u->trip_first = 0;
    }
    if (!u->enrolled)
        start = onboard(d, start, &c);
    if (!landed && u->trip_city < 0 && chance(0.0015)) {
        lock_out(d, start, &c);
        return;
    }
    int leaving = u->trip_city >= 0 ? u->trip_days <= 1 : may_leave(u, day0);
    sign_in(d, start, &c);
    last = use_apps(d, start + 20 * SEC_MS, &c, leaving ? rnd_ms(2 * HOUR_MS, 3 * HOUR_MS) : 8 * HOUR_MS);
    if (u->carrier >= 0 && u->trip_city < 0 && !leaving && !landed && chance(0.5)) {
        int64_t back = carrier_visit(d, start + rnd_ms(10 * MIN_MS, 50 * MIN_MS), u, &c);
        last = back > last ? back : last;
    }
    u->today = (struct today){.worked = 1, .away = u->trip_city >= 0 || leaving || landed,
                              .start = start, .end = last, .ctx = c};
    if (leaving && u->trip_city < 0)
        depart(u, last);
    else if (leaving)
        come_home(u, last);
    else if (u->trip_city >= 0)
        u->trip_days--;
}

/* ---- the org's routines: an admin and another person (second pass) --------------------- */

static int admin_group_granted;

static int at_home_today(const struct user *u) { return u->today.worked && !u->today.away; }

/* A time inside someone's working window today. */
static int64_t at_work(const struct user *u)
{
    return rnd_ms(u->today.start, u->today.end);
}

/* An admin at their usual place whose working window today contains t, other than `except`. */
static struct user *admin_at(struct user *users, unsigned n, int64_t t, const struct user *except)
{
    unsigned s = rnd_below(n);
    for (unsigned k = 0; k < n; k++) {
        struct user *a = &users[(s + k) % n];
        if (a->admin && a != except && at_home_today(a) && a->today.start <= t && t <= a->today.end)
            return a;
    }
    return NULL;
}

/* A self-service password reset (which unlocks), or an admin's unlock; then the person signs in. */
static void resolve_lockout(struct day *d, struct user *u, struct user *users, unsigned n)
{
    int64_t t = u->today.start + rnd_ms(10 * MIN_MS, 50 * MIN_MS);
    struct ctx c = u->today.ctx;
    struct target tg = target_of(u);
    struct user *a = chance(0.6) ? admin_at(users, n, t, u) : NULL;
    if (a) {
        struct evspec e = {.type = "user.account.unlock_by_admin", .display = "User account unlock by admin",
                           .outcome = "SUCCESS", .uri = "/api/v1/users/unlock",
                           .targets = &tg, .ntargets = 1};
        emit_targeted(d, t, &a->today.ctx, a, &e);
    } else {
        struct evspec e = {.type = "user.account.reset_password",
                           .display = "Fired when the user's Okta password is reset",
                           .legacy = "core.user.config.user_status.password_reset", .outcome = "SUCCESS",
                           .uri = "/idp/idx/recover", .targets = &tg, .ntargets = 1};
        emit_user(d, t, &c, &e);
    }
    int64_t s = sign_in(d, t + rnd_ms(2 * MIN_MS, 10 * MIN_MS), &c);
    int64_t last = use_apps(d, s + 20 * SEC_MS, &c, 6 * HOUR_MS);
    u->today = (struct today){.worked = 1, .start = s, .end = last, .ctx = c};
}

/* The helpdesk resets someone's factors (new phone); they re-enroll from their usual place and device
 * within hours. */
static void helpdesk_reset(struct day *d, struct user *a, struct user *users, unsigned n)
{
    for (int tries = 0; tries < 20; tries++) {
        struct user *v = &users[rnd_below(n)];
        int64_t lo = a->today.start > v->today.start ? a->today.start : v->today.start;
        int64_t hi = a->today.end < v->today.end ? a->today.end : v->today.end;
        if (v == a || !at_home_today(v) || !v->enrolled || hi - lo < 30 * MIN_MS)
            continue;
        int64_t t = rnd_ms(lo, hi - 30 * MIN_MS);
        struct ctx c = v->today.ctx;
        reset_factors(d, t, &a->today.ctx, v);
        t += rnd_ms(20 * MIN_MS, 3 * HOUR_MS);
        policy_allow(d, t, &c);
        factor_activate(d, t + 50 * SEC_MS, &c, v->factor);
        mfa(d, t + 70 * SEC_MS, &c, factors[v->factor], "SUCCESS");
        session_start(d, t + 71 * SEC_MS, &c);
        sso(d, t + 3 * MIN_MS, &c, random_app(v, 1));
        tally.resets++;
        return;
    }
}

/* The super admin delegates an admin role to a group: org configuration, from the usual place. */
static void grant_admin_group(struct day *d, const struct user *a)
{
    const struct role *r = &roles[ROLE_ORG];
    struct target tg[2] = {{admin_group.id, "UserGroup", "unknown", admin_group.name, NULL},
                           {r->id, "ROLE", r->id, r->name, NULL}};
    char extra[96];
    snprintf(extra, sizeof extra, "\"privilegeGranted\":\"%s\"", r->granted);
    struct evspec e = {.type = "group.privilege.grant", .display = "Group Privilege granted",
                       .legacy = "group.privilege.grant", .outcome = "SUCCESS",
                       .uri = "/api/v1/groups/00g1itadmins0007/roles", .extra = extra,
                       .targets = tg, .ntargets = 2};
    emit_user(d, at_work(a), &a->today.ctx, &e);
    admin_group_granted = 1;
}

static struct user *random_regular(struct user *users, unsigned n)
{
    for (int tries = 0; tries < 50; tries++) {
        struct user *g = &users[rnd_below(n)];
        if (!g->admin && g->created && !g->created_at)
            return g;
    }
    return NULL;
}

static void admin_routine(struct day *d, struct user *a, struct user *users, unsigned n)
{
    if (a == &users[0] && !admin_group_granted)
        grant_admin_group(d, a);
    if (chance(0.4)) {          /* joiners, movers, leavers of ordinary groups */
        struct user *who = &users[rnd_below(n)];
        int64_t t = at_work(a);
        if (who->created && who->created_at < t) {
            membership(d, t, &a->today.ctx, who, &groups[rnd_below(NGROUPS)], chance(0.75));
            tally.groups++;
        }
    }
    if (chance(0.05))
        helpdesk_reset(d, a, users, n);
    if (a->admin == ORG_ADMIN && chance(0.02)) {    /* a planned, limited role */
        struct user *g = random_regular(users, n);
        if (g) {
            grant_role(d, at_work(a), &a->today.ctx, g, chance(0.5) ? ROLE_HELPDESK : ROLE_READONLY);
            tally.grants++;
        }
    }
}

/* An admin creates and activates the new hire, who starts the next working day. */
static void hire(struct day *d, struct user *u, struct user *users, unsigned n)
{
    struct user *a = NULL;
    for (unsigned k = 0, s = rnd_below(n); k < n && !a; k++)
        if (users[(s + k) % n].admin && at_home_today(&users[(s + k) % n]))
            a = &users[(s + k) % n];
    if (!a) {
        u->hire_day++;          /* no admin at work today */
        return;
    }
    struct target tg = target_of(u);
    int64_t t = at_work(a);
    struct evspec create = {.type = "user.lifecycle.create", .display = "Create okta user",
                            .legacy = "core.user.config.user_creation.success", .outcome = "SUCCESS",
                            .uri = "/api/v1/users", .targets = &tg, .ntargets = 1};
    struct evspec activate = {.type = "user.lifecycle.activate", .display = "Activate Okta user",
                              .legacy = "core.user.config.user_activated", .outcome = "SUCCESS",
                              .uri = "/api/v1/users/lifecycle/activate", .targets = &tg, .ntargets = 1};
    emit_user(d, t, &a->today.ctx, &create);
    emit_user(d, t + MIN_MS, &a->today.ctx, &activate);
    membership(d, t + 2 * MIN_MS, &a->today.ctx, u, &groups[rnd_below(NGROUPS - 1)], 1);
    u->created = 1;
    u->created_at = t;
    tally.hires++;
}


/* ---- the admin plane: org admins configuring the org (second pass, own random stream) ---------- */

#define NTOKENS 3               /* integration tokens each org admin owns and rotates */

struct admin_plane {
    char token[NTOKENS][21];    /* the live token of each integration */
    int token_due[NTOKENS];     /* day index of its next rotation */
    int support_due;            /* the super admin: day index of the next support case */
    unsigned next_config;       /* the next kind of routine change, in turn */
};

static const char *const token_names[NTOKENS] = {"SCIM provisioning", "SIEM log export", "Terraform"};

/* The org's configuration objects that routine work touches. */
#define TARGET(i, ty, a, n, de) {.id = (i), .type = (ty), .alt = (a), .name = (n), .detail = (de)}
static const struct target policy_signon = TARGET("00p1signon0000001", "PolicyEntity", "unknown",
                                                  "Default Policy", "{\"policyType\":\"OktaSignOn\"}");
static const struct target rule_mfa = TARGET("0pr1requiremfa001", "PolicyRule", "00p1signon0000001",
                                             "Require MFA off network", NULL);
static const struct target policy_password = TARGET("00p1password00002", "PolicyEntity", "unknown",
                                                    "Default Policy", "{\"policyType\":\"Password\"}");
static const struct target zone_corp = TARGET("nzo1corpnet000001", "NetworkZoneEntity", "unknown",
                                              "Corporate Network", NULL);
static const struct target zone_block = TARGET("nzo1blocklist0002", "NetworkZoneEntity", "unknown",
                                               "Blocked IP ranges", NULL);
static const struct target oauth_client = TARGET("0oa1svcsiem000020", "AppInstance", "SIEM collector",
                                                 "SIEM collector", NULL);
static const struct target log_stream = TARGET("0ls1splunk0000001", "LogStream", "unknown", "Splunk Cloud",
                                               NULL);
static const struct target event_hook = TARGET("who1provision0001", "EventHook", "unknown",
                                               "HR provisioning hook", NULL);

static struct target console_target(void)
{
    return (struct target)TARGET(apps[ADMIN_CONSOLE].id, "AppInstance", apps[ADMIN_CONSOLE].name,
                                 apps[ADMIN_CONSOLE].name, NULL);
}

/* Opening the Admin Console. */
static void admin_console(struct day *d, int64_t t, const struct ctx *c)
{
    struct target console = console_target();
    struct evspec e = {.type = "user.session.access_admin_app", .display = "User accessing Okta admin app",
                       .outcome = "SUCCESS", .uri = "/admin/sso/callback", .targets = &console,
                       .ntargets = 1};
    emit_user(d, t, c, &e);
}

/* One admin-plane change: type, message, legacy type, URI, targets. */
static void admin_change(struct day *d, int64_t t, const struct ctx *c, const char *type, const char *display,
                         const char *legacy, const char *uri, const struct target *tg, int ntg)
{
    struct evspec e = {.type = type, .display = display, .legacy = legacy, .outcome = "SUCCESS", .uri = uri,
                       .targets = tg, .ntargets = ntg};
    emit_user(d, t, c, &e);
}

static void new_token_id(char *out)
{
    strcpy(out, "00T");
    rnd_alnum(out + 3, 17);
}

/* An API token: created (then revoked when rotated out). */
static void api_token(struct day *d, int64_t t, const struct ctx *c, const char *id, const char *name,
                      int create)
{
    struct target tg = TARGET(id, "Token", "unknown", name, NULL);
    admin_change(d, t, c, create ? "system.api_token.create" : "system.api_token.revoke",
                 create ? "Create API token" : "Revoke API token",
                 create ? "api.token.create" : "api.token.revoke",
                 create ? "/api/internal/tokens" : "/api/internal/tokens/revoke", &tg, 1);
}

/* A read-only role taken back from a regular employee. */
static void revoke_role(struct day *d, int64_t t, const struct ctx *c, const struct user *who)
{
    const struct role *r = &roles[ROLE_READONLY];
    char uri[64];
    struct target tg[2] = {target_of(who), TARGET(r->id, "ROLE", r->id, r->name, NULL)};
    snprintf(uri, sizeof uri, "/api/v1/users/%s/roles", who->id);
    admin_change(d, t, c, "user.account.privilege.revoke", "Revoke user privilege",
                 "core.user.admin_privilege.revoked", uri, tg, 2);
}

#define NCONFIG 8               /* the kinds of routine change below */

static void routine_change(struct day *d, int64_t t, const struct ctx *c, unsigned kind,
                           struct user *users, unsigned n)
{
    struct target two[2] = {policy_signon, rule_mfa};
    unsigned a = rnd_below(NAPPS - 1);
    struct target app = TARGET(apps[a].id, "AppInstance", apps[a].name, apps[a].name, NULL);
    struct user *who;

    switch (kind) {
    case 0:
        admin_change(d, t, c, "policy.rule.update", "Update policy rule", "policy.rule.updated",
                     "/api/v1/policies/00p1signon0000001/rules/0pr1requiremfa001", two, 2);
        break;
    case 1:
        admin_change(d, t, c, "policy.lifecycle.update", "Update policy", "policy.updated",
                     "/api/v1/policies/00p1password00002", &policy_password, 1);
        break;
    case 2:
        admin_change(d, t, c, "zone.update", "Network zone update", "zone.update",
                     "/api/v1/zones/nzo1corpnet000001",
                     chance(0.5) ? &zone_corp : &zone_block, 1);
        break;
    case 3:
        admin_change(d, t, c, "application.lifecycle.update", "Update application",
                     "app.generic.config.app_updated",
                     "/api/v1/apps", &app, 1);
        break;
    case 4:
        admin_change(d, t, c, "app.oauth2.client.lifecycle.update", "Update OAuth client", NULL,
                     "/oauth2/v1/clients/0oa1svcsiem000020", &oauth_client, 1);
        break;
    case 5:
        admin_change(d, t, c, "system.log_stream.lifecycle.update", "Log stream updated", NULL,
                     "/api/v1/logStreams/0ls1splunk0000001", &log_stream, 1);
        break;
    case 6:
        admin_change(d, t, c, "event_hook.updated", "Event hook updated", NULL,
                     "/api/v1/eventHooks/who1provision0001", &event_hook, 1);
        break;
    default:
        who = random_regular(users, n);
        if (who) {
            revoke_role(d, t, c, who);
            tally.revokes++;
        }
        return;
    }
    tally.configs++;
}

/* Okta Support asked for access on a case: the super admin grants it, support opens a session as the
 * admin within hours and ends it. */
static void support_case(struct day *d, int64_t t, const struct user *a)
{
    static const struct city okta_support = {.city = "San Francisco", .state = "California",
                                             .country = "United States", .postal = "94105", .lat = 37.79,
                                             .lon = -122.40, .tz = -8, .asn = 18713, .isp = "Okta, Inc.",
                                             .domain = "okta.com", .net = {198, 51}};
    static const struct actor support = {.id = "00u1oktasupport01", .type = "User", .alt = "support@okta.com",
                                         .name = "Okta Support"};
    struct ctx c = {.where = &okta_support, .ua = &agents[0]};
    struct target tg = target_of(a);
    struct evspec grant = {.type = "user.session.impersonation.grant",
                           .display = "Enable impersonation grant",
                           .legacy = "core.user.impersonation.grant.enabled", .outcome = "SUCCESS",
                           .uri = "/api/internal/impersonation/grant"};
    struct evspec open = {.type = "user.session.impersonation.initiate",
                          .display = "Initiate impersonation session",
                          .legacy = "core.user.impersonation.session.initiated", .outcome = "SUCCESS",
                          .uri = "/api/internal/impersonation/initiate", .targets = &tg, .ntargets = 1};
    struct evspec end = {.type = "user.session.impersonation.end", .display = "End impersonation session",
                         .legacy = "core.user.impersonation.session.ended", .outcome = "SUCCESS",
                         .uri = "/api/internal/impersonation/end", .targets = &tg, .ntargets = 1};
    emit_user(d, t, &a->today.ctx, &grant);
    snprintf(c.ip, sizeof c.ip, "198.51.%u.%u", 100 + rnd_below(4), 1 + rnd_below(254));
    t += rnd_ms(HOUR_MS, 4 * HOUR_MS);
    emit(d, t, &c, &open, &support);
    emit(d, t + rnd_ms(20 * MIN_MS, 90 * MIN_MS), &c, &end, &support);
    tally.supports++;
}

static void rotate_tokens(struct day *d, int64_t t, struct user *a, int day)
{
    struct admin_plane *p = a->plane;
    for (int k = 0; k < NTOKENS; k++) {
        if (day < p->token_due[k])
            continue;
        char fresh[21];
        new_token_id(fresh);
        api_token(d, t, &a->today.ctx, fresh, token_names[k], 1);
        t += rnd_ms(2 * MIN_MS, 20 * MIN_MS);      /* the integration is switched over, the old one goes */
        api_token(d, t, &a->today.ctx, p->token[k], token_names[k], 0);
        strcpy(p->token[k], fresh);
        p->token_due[k] = day + 10 + (int)rnd_below(5);
        tally.tokens++;
    }
}

static struct admin_plane *plane_of(struct user *a)
{
    if (!a->plane) {
        a->plane = calloc(1, sizeof *a->plane);
        if (!a->plane) {
            perror("gen-events");
            exit(1);
        }
        for (int k = 0; k < NTOKENS; k++) {
            new_token_id(a->plane->token[k]);
            a->plane->token_due[k] = 2 * k + (int)rnd_below(3);
        }
        a->plane->support_due = 1;
        a->plane->next_config = rnd_below(NCONFIG);
    }
    return a->plane;
}

/* An org admin's working day in the Admin Console: three or four routine changes (each kind in turn),
 * token rotations when due, and for the super admin a support case about once a week. */
static void admin_plane_day(struct day *d, int day, struct user *a, struct user *users, unsigned n)
{
    struct admin_plane *p = plane_of(a);
    int64_t t = a->today.start + rnd_ms(5 * MIN_MS, 40 * MIN_MS), end = a->today.end - 10 * MIN_MS;
    if (end <= t)
        return;
    admin_console(d, t, &a->today.ctx);
    tally.consoles++;
    for (int k = 3 + chance(0.5); k > 0; k--)
        routine_change(d, rnd_ms(t + MIN_MS, end), &a->today.ctx, p->next_config++ % NCONFIG, users, n);
    rotate_tokens(d, rnd_ms(t + MIN_MS, end), a, day);
    if (a == &users[0] && day >= p->support_due) {
        support_case(d, rnd_ms(t + MIN_MS, end), a);
        p->support_due = day + 3 + (int)rnd_below(3);
    }
}

static void org_day(struct day *d, int day, struct user *users, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct user *u = &users[i];
        if (u->today.locked)
            resolve_lockout(d, u, users, n);
        if (!u->created && u->hire_day == day)
            hire(d, u, users, n);
        if (u->admin && at_home_today(u))
            admin_routine(d, u, users, n);
        if (u->admin == ORG_ADMIN && at_home_today(u)) {
            rng = &rng_admin;
            admin_plane_day(d, day, u, users, n);
            rng = &rng_background;
        }
    }
}

/* ---- internet noise ------------------------------------------------------------------------ */

static void spray_noise(struct day *d, int64_t day0)
{
    int n = 5 + (int)rnd_below(25);
    static const struct city nowhere = {"Unknown City", "Unknown", "Netherlands", "0000", 52.37, 4.89, 0,
                                        14061, "DigitalOcean, LLC", "digitalocean.com", {0, 0}};
    for (int i = 0; i < n; i++) {
        struct ctx c = {0};
        char typed[40];
        c.where = &nowhere;
        snprintf(c.ip, sizeof c.ip, "%u.%u.%u.%u", 45 + rnd_below(150), rnd_below(256), rnd_below(256),
                 1 + rnd_below(254));
        snprintf(typed, sizeof typed, "%s%u", first_names[rnd_below(20)], rnd_below(1000));
        struct actor a = {.id = "unknown", .type = "User", .alt = typed, .name = "unknown"};
        struct evspec e = {.type = "user.session.start", .display = "User login to Okta",
                           .legacy = "core.user_auth.login_failed", .outcome = "FAILURE",
                           .reason = "VERIFICATION_ERROR", .uri = "/api/v1/authn", .cred = "PASSWORD",
                           .severity = "WARN"};
        emit(d, day0 + (int64_t)rnd_below(86400) * SEC_MS, &c, &e, &a);
    }
}

static void system_noise(struct day *d, int64_t day0, const struct user *users, unsigned nusers)
{
    static const struct city okta_dc = {.city = "Ashburn", .state = "Virginia", .country = "United States",
                                        .postal = "20147", .lat = 39.04, .lon = -77.49, .tz = -5,
                                        .asn = 16509, .isp = "Amazon.com, Inc.", .domain = "amazonaws.com",
                                        .net = {3, 3}};
    static const struct actor okta = {.id = "spr1okta0system01", .type = "SystemPrincipal",
                                      .alt = "system@okta.com", .name = "Okta System"};
    struct ctx c = {0};
    const struct user *u = &users[rnd_below(nusers)];
    struct target tg = target_of(u);
    c.where = &okta_dc;
    strcpy(c.ip, "3.3.14.15");
    struct evspec e = {.type = "application.provision.user.push", .display = "Push user to app",
                       .outcome = "SUCCESS", .uri = "/api/internal/provision", .targets = &tg, .ntargets = 1};
    struct evspec w = {.type = "system.org.rate_limit.warning", .display = "Rate limit warning",
                       .outcome = "SUCCESS", .uri = "/api/v1/logs", .severity = "WARN"};
    int64_t t = day0 + (int64_t)rnd_below(86400) * SEC_MS;
    if (u->created && u->created_at < t)
        emit(d, t, &c, &e, &okta);
    if (chance(0.2))
        emit(d, day0 + (int64_t)rnd_below(86400) * SEC_MS, &c, &w, &okta);
}

/* ---- attacks (--attacks; third pass, own random stream) ------------------------------------ */

static unsigned char *victimized;   /* per user: already used by an attack */
static const char *org_name;
static int64_t today0;

typedef int (*user_pred)(const struct user *u);

/* An established person (never a new hire, not yet attacked) for whom ok() holds. */
static struct user *pick(struct user *users, unsigned n, user_pred ok)
{
    unsigned s = rnd_below(n);
    for (unsigned k = 0; k < n; k++) {
        struct user *u = &users[(s + k) % n];
        if (u->hire_day < 0 && !victimized[u - users] && ok(u)) {
            victimized[u - users] = 1;
            return u;
        }
    }
    return NULL;
}

/* Gives back a person picked for an attack that cannot happen today.  Returns 0 (not injected). */
static int unpick(const struct user *users, const struct user *u)
{
    if (u)
        victimized[u - users] = 0;
    return 0;
}

static const struct city *usual_place(const struct user *u)
{
    return u->vpn ? &vpn_egress[u->home % 3] : home_city(u->home);
}

/* A hosting provider on another continent than `from`. */
static const struct city *far_host(const struct city *from)
{
    const struct city *h;
    do
        h = &hosting[rnd_below(NHOSTING)];
    while (region(h) == region(from));
    return h;
}

/* The attacker's side of an event about victim v: where, a fresh address, the tooling's device. */
static void attacker(struct ctx *c, struct user *v, const struct city *where, const struct device *dev)
{
    memset(c, 0, sizeof *c);
    c->u = v;
    c->where = where;
    c->dev = dev;
    c->beh = B_NEW_PLACE | B_COUNTRY | (dev ? B_DEVICE : 0);
    c->risk = risk_high;
    snprintf(c->ip, sizeof c->ip, "%u.%u.%u.%u", where->net[0], where->net[1], rnd_below(256),
             1 + rnd_below(254));
}

/* A device with another browser than the victim's. */
static void attacker_device(struct device *dv, const struct user *v)
{
    unsigned ua;
    do
        ua = rnd_below(NDESKTOP);
    while (ua == v->dev[0].ua);
    new_device(dv, ua);
}

/* Password and a relayed (phished) one-time code: policy, MFA, session.  Returns the session start. */
static int64_t attacker_login(struct day *d, int64_t t, struct ctx *c, const char *factor)
{
    policy_allow(d, t, c);
    mfa(d, t + rnd_ms(15 * SEC_MS, 40 * SEC_MS), c, factor, "SUCCESS");
    session_start(d, t + 45 * SEC_MS, c);
    return t + 45 * SEC_MS;
}

static int ok_home_today(const struct user *u) { return at_home_today(u); }
static int ok_push_at_home(const struct user *u) { return u->factor == 0 && at_home_today(u); }
static int ok_any(const struct user *u) { return u->created; }
static int ok_regular(const struct user *u) { return !u->admin && u->created; }
static int ok_remote_admin(const struct user *u) { return u->admin && !u->vpn; }
static int ok_admin_at_home(const struct user *u) { return u->admin && !u->vpn && at_home_today(u); }
static int ok_regular_at_home(const struct user *u) { return !u->admin && at_home_today(u); }
static int ok_chrome_mac(const struct user *u)
{
    return !u->vpn && at_home_today(u) && u->today.ctx.dev && u->today.ctx.dev->ua == 0;
}

/* The nearest city of another country: plausible to reach overnight, new to the person. */
static const struct city *nearest_abroad(const struct user *u)
{
    const struct city *home = home_city(u->home), *best = NULL;
    for (unsigned k = 0; k < NCITIES; k++)
        if (strcmp(cities[k].country, home->country) &&
            (!best || dist_km(home, &cities[k]) < dist_km(home, best)))
            best = &cities[k];
    return best;
}

static int ok_new_context(const struct user *u)
{
    return !u->vpn && !u->admin && u->created && !(u->app_mask & (1u << AWS_CONSOLE)) && u->trip_city < 0 &&
           u->blackout < today0 - DAY_MS && dist_km(home_city(u->home), nearest_abroad(u)) < 3500;
}

static int atk_impossible_travel(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_home_today);
    struct device dev;
    struct ctx c;
    if (!v)
        return 0;
    attacker_device(&dev, v);
    attacker(&c, v, far_host(v->today.ctx.where), &dev);
    c.beh |= B_VELOCITY;
    label_begin("impossible_travel", "high", v, c.ip);
    int64_t s = attacker_login(d, v->today.start + rnd_ms(30 * MIN_MS, 90 * MIN_MS), &c, "OKTA_VERIFY_TOTP");
    sso(d, s + rnd_ms(20 * SEC_MS, 2 * MIN_MS), &c, random_app(v, 0));
    sso(d, s + rnd_ms(3 * MIN_MS, 9 * MIN_MS), &c, random_app(v, 0));
    label_end();
    return 1;
}

static void deny_push(struct day *d, int64_t t, const struct ctx *c)
{
    struct evspec e = {.type = "user.mfa.okta_verify.deny_push", .display = "User rejected Okta push verify",
                       .legacy = "core.user.factor.attempt_fail", .outcome = "FAILURE",
                       .reason = "User rejected Okta push verify", .uri = "/idp/idx/authenticators/poll",
                       .factor = "OKTA_VERIFY_PUSH", .severity = "WARN"};
    emit_user(d, t, c, &e);
}

/* Eight pushes in about six minutes, three denied, the last one approved. */
static int atk_mfa_fatigue(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_push_at_home);
    struct device dev;
    struct ctx c;
    if (!v)
        return 0;
    attacker_device(&dev, v);
    attacker(&c, v, far_host(v->today.ctx.where), &dev);
    label_begin("mfa_fatigue", "critical", v, c.ip);
    int64_t t = v->today.start + rnd_ms(HOUR_MS, 6 * HOUR_MS), p = t;
    policy_allow(d, t, &c);
    for (int k = 0; k < 8; k++) {
        p = t + 5 * SEC_MS + k * 45 * SEC_MS + rnd_ms(0, 10 * SEC_MS);
        push_sent(d, p, &c);
        if (k == 1 || k == 3 || k == 5)
            deny_push(d, p + rnd_ms(10 * SEC_MS, 25 * SEC_MS), &c);
    }
    mfa(d, p + 20 * SEC_MS, &c, factors[0], "SUCCESS");
    session_start(d, p + 21 * SEC_MS, &c);
    sso(d, p + rnd_ms(MIN_MS, 4 * MIN_MS), &c, random_app(v, 0));
    label_end();
    return 1;
}

static void spray_unknown(struct day *d, int64_t t, const struct ctx *c, int k)
{
    char typed[96];
    struct actor a = {.id = "unknown", .type = "User", .alt = typed, .name = "unknown"};
    struct evspec e = {.type = "user.session.start", .display = "User login to Okta",
                       .legacy = "core.user_auth.login_failed", .outcome = "FAILURE",
                       .reason = "VERIFICATION_ERROR", .uri = "/api/v1/authn", .cred = "PASSWORD",
                       .severity = "WARN"};
    /* initial + surname: guessed from a leaked list, not this org's first.last format */
    snprintf(typed, sizeof typed, "%c%s%s@%s.example", first_names[(k * 7) % 20][0],
             last_names[(k * 3 + 1) % 20], k % 3 ? "" : "1", org_name);
    emit(d, t, c, &e, &a);
}

/* Thirty accounts (real and unknown), one or two tries each over 40 minutes, from one hosting address. */
static int atk_spray(struct day *d, struct user *users, unsigned n, int succeed)
{
    const struct city *h = &hosting[rnd_below(NHOSTING)];
    struct user *real[18] = {0};
    struct ctx c;
    int64_t t0 = today0 + rnd_ms(0, 20 * HOUR_MS);
    int found = 0;
    while (found < 18) {
        real[found] = pick(users, n, ok_any);
        if (!real[found])
            break;
        found++;
    }
    for (int k = found < 18 ? 0 : succeed; k < found; k++)
        victimized[real[k] - users] = 0;    /* failures only: still fair game for other attacks */
    if (found < 18)
        return 0;
    attacker(&c, real[0], h, NULL);
    c.ua = &agents[1];
    label_begin("password_spray", succeed ? "critical" : "high", succeed ? real[0] : NULL, c.ip);
    for (int k = 0; k < 30; k++) {
        for (int tries = 1 + chance(0.3); tries > 0; tries--) {
            int64_t t = t0 + rnd_ms(0, 38 * MIN_MS);
            if (k < 18) {
                c.u = real[k];
                failed_password(d, t, &c);
            } else {
                spray_unknown(d, t, &c, k);
            }
        }
    }
    if (succeed) {
        c.u = real[0];
        policy_allow(d, t0 + 40 * MIN_MS, &c);
        session_start(d, t0 + 40 * MIN_MS + 2 * SEC_MS, &c);
    }
    label_end();
    return 1;
}

static int atk_spray_failed(struct day *d, struct user *users, unsigned n)
{
    return atk_spray(d, users, n, 0);
}

static int atk_spray_success(struct day *d, struct user *users, unsigned n)
{
    return atk_spray(d, users, n, 1);
}

/* Fifteen wrong passwords in 20 minutes from a foreign address, then the right one. */
static int atk_brute_force(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_any);
    struct device dev;
    struct ctx c;
    if (!v)
        return 0;
    attacker_device(&dev, v);
    attacker(&c, v, far_host(usual_place(v)), &dev);
    label_begin("brute_force", "critical", v, c.ip);
    int64_t t = today0 + rnd_ms(0, 20 * HOUR_MS);
    for (int k = 0; k < 15; k++)
        failed_password(d, t + k * 78 * SEC_MS + rnd_ms(0, 8 * SEC_MS), &c);
    t += 21 * MIN_MS + rnd_ms(0, 2 * MIN_MS);
    policy_allow(d, t, &c);
    session_start(d, t + 3 * SEC_MS, &c);
    label_end();
    return 1;
}

/* A compromised admin, from a country and network new to them, makes a regular user Super Administrator. */
static int atk_grant_super_admin(struct day *d, struct user *users, unsigned n)
{
    struct user *a = pick(users, n, ok_remote_admin), *g = a ? pick(users, n, ok_regular) : NULL;
    struct device dev;
    struct ctx c;
    if (!g)
        return unpick(users, a);
    attacker_device(&dev, a);
    attacker(&c, a, far_host(usual_place(a)), &dev);
    label_begin("privilege_grant", "high", g, c.ip);
    int64_t s = attacker_login(d, today0 + rnd_ms(0, 20 * HOUR_MS), &c, "OKTA_VERIFY_TOTP");
    struct target console = {.id = apps[ADMIN_CONSOLE].id, .type = "AppInstance",
                             .alt = apps[ADMIN_CONSOLE].name, .name = apps[ADMIN_CONSOLE].name};
    struct evspec access = {.type = "user.session.access_admin_app",
                            .display = "User accessing Okta admin app",
                            .outcome = "SUCCESS", .uri = "/admin/sso/callback",
                            .targets = &console, .ntargets = 1};
    emit_user(d, s + MIN_MS, &c, &access);
    grant_role(d, s + rnd_ms(3 * MIN_MS, 8 * MIN_MS), &c, g, ROLE_SUPER);
    label_end();
    return 1;
}

/* A usual admin, from the usual place, adds a regular user to the group that holds an admin role. */
static int atk_admin_group_add(struct day *d, struct user *users, unsigned n)
{
    if (!admin_group_granted)
        return 0;
    struct user *a = pick(users, n, ok_admin_at_home), *h = a ? pick(users, n, ok_regular) : NULL;
    if (!h)
        return unpick(users, a);
    label_begin("privilege_grant", "high", h, a->today.ctx.ip);
    membership(d, at_work(a), &a->today.ctx, h, &admin_group, 1);
    label_end();
    return 1;
}

/* The helpdesk is talked into resetting factors; within the hour the attacker enrolls and signs in. */
static int atk_factor_reset(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_regular_at_home), *a;
    struct device dev;
    struct ctx c;
    if (!v)
        return 0;
    int64_t t = at_work(v);
    a = admin_at(users, n, t, v);
    if (!a)
        return unpick(users, v);
    attacker_device(&dev, v);
    attacker(&c, v, far_host(usual_place(v)), &dev);
    label_begin("factor_reset", "critical", v, c.ip);
    reset_factors(d, t, &a->today.ctx, v);
    t += rnd_ms(15 * MIN_MS, 50 * MIN_MS);
    policy_allow(d, t, &c);
    factor_activate(d, t + 40 * SEC_MS, &c, 0);
    mfa(d, t + 60 * SEC_MS, &c, factors[0], "SUCCESS");
    session_start(d, t + 61 * SEC_MS, &c);
    sso(d, t + rnd_ms(2 * MIN_MS, 6 * MIN_MS), &c, random_app(v, 0));
    label_end();
    return 1;
}

/* The session cookie of a normal Chrome-on-macOS sign-in, replayed by a script from a hosting provider. */
static int atk_session_replay(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_chrome_mac);
    struct ctx c;
    if (!v)
        v = pick(users, n, ok_home_today);
    if (!v)
        return 0;
    attacker(&c, v, far_host(v->today.ctx.where), NULL);
    c.ua = &scripted;
    strcpy(c.session, v->today.ctx.session);
    label_begin("session_hijack", "high", v, c.ip);
    int64_t t = v->today.start + 20 * MIN_MS + rnd_ms(0, 2 * MIN_MS);
    for (int k = 3 + (int)rnd_below(3); k > 0; k--) {
        sso(d, t, &c, random_app(v, 0));
        t += rnd_ms(MIN_MS, 4 * MIN_MS);
    }
    label_end();
    return 1;
}

/* An admin's session replayed from another ASN: app access works, the Admin Console's ASN binding trips. */
static int atk_client_roaming(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_admin_at_home);
    struct ctx c;
    if (!v)
        return 0;
    attacker(&c, v, far_host(v->today.ctx.where), NULL);
    c.ua = &agents[v->today.ctx.dev->ua];       /* the kit forwards the victim's user agent */
    strcpy(c.session, v->today.ctx.session);
    label_begin("session_hijack", "high", v, c.ip);
    int64_t t = v->today.start + rnd_ms(20 * MIN_MS, 40 * MIN_MS);
    sso(d, t, &c, random_app(v, 0));
    struct evspec e = {.type = "security.session.detect_client_roaming",
                       .display = "Roaming session detected for user", .outcome = "DENY",
                       .reason = "Session ASN changed", .uri = "/admin/dashboard", .severity = "WARN"};
    emit_user(d, t + rnd_ms(MIN_MS, 3 * MIN_MS), &c, &e);
    label_end();
    return 1;
}

/* 03:00 at home: a sign-in from a neighbouring country on a new device, straight to AWS Console. */
static int atk_new_context(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_new_context);
    struct device dev;
    struct ctx c;
    if (!v)
        return 0;
    attacker_device(&dev, v);
    attacker(&c, v, nearest_abroad(v), &dev);
    c.risk = "{reasons=New Device, New Country, level=MEDIUM}";
    label_begin("new_context", "medium", v, c.ip);
    int64_t t = local_hour(today0, home_city(v->home)->tz, 3) + rnd_ms(0, 40 * MIN_MS);
    int64_t s = attacker_login(d, t, &c, "OKTA_VERIFY_TOTP");
    sso(d, s + rnd_ms(MIN_MS, 3 * MIN_MS), &c, AWS_CONSOLE);
    sso(d, s + rnd_ms(8 * MIN_MS, 20 * MIN_MS), &c, AWS_CONSOLE);
    label_end();
    return 1;
}

/* ThreatInsight blocks a spraying address before any username is known. */
static int atk_threatinsight(struct day *d, struct user *users, unsigned n)
{
    struct ctx c;
    (void)n;
    attacker(&c, users, &hosting[rnd_below(NHOSTING)], NULL);
    c.ua = &agents[1];
    c.beh = 0;
    c.risk = NULL;
    struct actor a = {.id = c.ip, .type = "IP address", .alt = "unknown", .name = c.ip};
    struct evspec e = {.type = "security.threat.detected", .display = "Request from suspicious actor",
                       .legacy = "security.threat.detected", .outcome = "DENY",
                       .reason = "Password Spray, Login failures with high unknown users count",
                       .uri = "/idp/idx/identify", .severity = "WARN", .threat = 1,
                       .extra = "\"threatDetections\":\"{\\\"Password Spray\\\":\\\"HIGH\\\","
                                "\\\"Login failures with high unknown users count\\\":\\\"HIGH\\\"}\""};
    /* Okta denied every request: medium, keyed by the IP (a success from it would be high) */
    label_begin("okta_threat", "medium", NULL, c.ip);
    int64_t t = today0 + rnd_ms(0, 22 * HOUR_MS);
    for (int k = 0; k < 3; k++)
        emit(d, t + k * rnd_ms(20 * SEC_MS, 60 * SEC_MS), &c, &e, &a);
    label_end();
    return 1;
}

/* Identity Threat Protection raises a user's risk to HIGH. */
static int atk_user_risk(struct day *d, struct user *users, unsigned n)
{
    static const struct actor okta = {.id = "spr1okta0system01", .type = "SystemPrincipal",
                                      .alt = "system@okta.com", .name = "Okta System"};
    struct user *v = pick(users, n, ok_any);
    struct ctx c = {0};
    char extra[256], trace[37];
    if (!v)
        return 0;
    c.u = v;
    rnd_uuid(trace);
    snprintf(extra, sizeof extra, "\"risk\":\"{previousLevel=LOW, level=HIGH, "
             "detectionName=Session Influenced User Risk, reasons=Anomalous Location, Anomalous Device, "
             "issuer=OKTA}\",\"traceId\":\"%s\"", trace);
    struct target tg = target_of(v);
    struct evspec e = {.type = "user.risk.detect", .display = "User risk detected", .outcome = "SUCCESS",
                       .uri = "/api/internal/risk", .severity = "WARN", .extra = extra,
                       .targets = &tg, .ntargets = 1};
    label_begin("okta_threat", "high", v, NULL);
    emit(d, today0 + rnd_ms(0, 22 * HOUR_MS), &c, &e, &okta);
    label_end();
    return 1;
}

/* The person reports a new-device notification they did not cause. */
static int atk_user_report(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_home_today);
    const struct city *h;
    char extra[640], when[32];
    if (!v)
        return 0;
    h = far_host(v->today.ctx.where);
    int64_t t = at_work(v);
    fmt_time(t - rnd_ms(2 * HOUR_MS, 10 * HOUR_MS), when);
    snprintf(extra, sizeof extra, "\"suspiciousActivityBrowser\":\"CHROME\","
             "\"suspiciousActivityEventCity\":\"%s\",\"suspiciousActivityEventCountry\":\"%s\","
             "\"suspiciousActivityEventId\":\"%u\","
             "\"suspiciousActivityEventIp\":\"%u.%u.%u.%u\",\"suspiciousActivityEventState\":\"%s\","
             "\"suspiciousActivityEventType\":\"system.email.new_device_notification.sent_message\","
             "\"suspiciousActivityOs\":\"Windows 10\",\"suspiciousActivityTimestamp\":\"%s\"",
             h->city, h->country, 1000000 + rnd_below(9000000), h->net[0], h->net[1], rnd_below(256),
             1 + rnd_below(254), h->state, when);
    struct target tg = target_of(v);
    struct evspec e = {.type = "user.account.report_suspicious_activity_by_enduser",
                       .display = "User report suspicious activity",
                       .legacy = "core.user.account.report_suspicious_activity_by_enduser",
                       .outcome = "SUCCESS",
                       .uri = "/api/v1/users/me/suspicious-activity", .severity = "WARN", .extra = extra,
                       .targets = &tg, .ntargets = 1};
    label_begin("okta_threat", "high", v, v->today.ctx.ip);
    emit_user(d, t, &v->today.ctx, &e);
    label_end();
    return 1;
}


/* ---- attacks on the admin plane, and the quieter ways in ------------------------------------- */

static int ok_org_admin(const struct user *u) { return u->admin == ORG_ADMIN && u->created; }
static int ok_org_admin_at_home(const struct user *u) { return u->admin == ORG_ADMIN && at_home_today(u); }

/* A helpdesk admin at work at t (any other admin when no helpdesk admin is). */
static struct user *helpdesk_at(struct user *users, unsigned n, int64_t t, const struct user *except)
{
    unsigned s = rnd_below(n);
    for (unsigned k = 0; k < n; k++) {
        struct user *a = &users[(s + k) % n];
        if (a->admin == HELPDESK && a != except && at_home_today(a) && a->today.start <= t &&
            t <= a->today.end)
            return a;
    }
    return admin_at(users, n, t, except);
}

/* The attacker signs in as a compromised admin from a hosting network abroad and opens the Admin Console.
 * Returns when the console is open. */
static int64_t admin_takeover_login(struct day *d, int64_t t, struct ctx *c, struct user *a,
                                    struct device *dev)
{
    attacker_device(dev, a);
    attacker(c, a, far_host(usual_place(a)), dev);
    int64_t s = attacker_login(d, t, c, "OKTA_VERIFY_TOTP");
    admin_console(d, s + rnd_ms(30 * SEC_MS, 2 * MIN_MS), c);
    return s + 2 * MIN_MS;
}

/* The helpdesk resets an org admin's factors; the attacker enrolls, opens the console, mints an API
 * token and makes another account Super Administrator. */
static int atk_helpdesk_takeover(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_org_admin_at_home), *g = v ? pick(users, n, ok_regular) : NULL, *h;
    struct device dev;
    struct ctx c;
    char token[21];
    if (!g)
        return unpick(users, v);
    int64_t t = at_work(v);
    h = helpdesk_at(users, n, t, v);
    if (!h) {
        unpick(users, g);
        return unpick(users, v);
    }
    attacker_device(&dev, v);
    attacker(&c, v, far_host(usual_place(v)), &dev);
    label_begin(NULL, "high", v, c.ip);
    reset_factors(d, t, &h->today.ctx, v);
    t += rnd_ms(20 * MIN_MS, 60 * MIN_MS);
    policy_allow(d, t, &c);
    factor_activate(d, t + 40 * SEC_MS, &c, 0);
    mfa(d, t + 60 * SEC_MS, &c, factors[0], "SUCCESS");
    session_start(d, t + 61 * SEC_MS, &c);
    t += 2 * MIN_MS;
    admin_console(d, t, &c);
    new_token_id(token);
    label_key(1);
    api_token(d, t + rnd_ms(MIN_MS, 4 * MIN_MS), &c, token, "okta-sync", 1);
    grant_role(d, t + rnd_ms(5 * MIN_MS, 10 * MIN_MS), &c, g, ROLE_SUPER);
    label_key(0);
    label_end();
    return 1;
}

/* A compromised admin adds and activates an identity provider; within the hour someone signs in through
 * it (the attacker's IdP asserts whoever they choose). */
static int atk_idp_impersonation(struct day *d, struct user *users, unsigned n)
{
    struct user *a = pick(users, n, ok_org_admin), *v = a ? pick(users, n, ok_regular) : NULL;
    struct device dev;
    struct ctx c;
    char idp[21], uri[64];
    if (!v)
        return unpick(users, a);
    strcpy(idp, "0oa");
    rnd_alnum(idp + 3, 17);
    int64_t t = admin_takeover_login(d, today0 + rnd_ms(0, 20 * HOUR_MS), &c, a, &dev);
    label_begin(NULL, "high", a, c.ip);
    label_touch(t - 2 * MIN_MS - 45 * SEC_MS);     /* the label spans the admin's sign-in too */
    struct target tg = TARGET(idp, "IdentityProvider", "unknown", "Partner SSO", "{\"idpType\":\"SAML2\"}");
    snprintf(uri, sizeof uri, "/api/v1/idps/%s", idp);
    label_key(1);
    admin_change(d, t + rnd_ms(MIN_MS, 3 * MIN_MS), &c, "system.idp.lifecycle.create", "Create IdP", NULL,
                 "/api/v1/idps", &tg, 1);
    admin_change(d, t + rnd_ms(4 * MIN_MS, 6 * MIN_MS), &c, "system.idp.lifecycle.activate", "Activate IdP",
                 NULL, uri, &tg, 1);
    label_key(0);
    /* the attacker's own browser, as the asserted user: no Okta device token yet */
    c.u = v;
    c.dev = NULL;
    t += rnd_ms(15 * MIN_MS, 55 * MIN_MS);
    struct target via = TARGET(idp, "IdentityProvider", "unknown", "Partner SSO", NULL);
    struct evspec e = {.type = "user.authentication.auth_via_IDP", .display = "Authenticate user via IDP",
                       .legacy = "core.user_auth.idp.saml.login_success", .outcome = "SUCCESS",
                       .uri = "/sso/saml2/0oa", .cred = "ASSERTION", .provider = "FEDERATION",
                       .iface = "IDP Instance", .issuer_id = idp, .issuer_type = "SAML2", .targets = &via,
                       .ntargets = 1};
    new_session(&c);
    emit_user(d, t, &c, &e);
    struct evspec start = {.type = "user.session.start", .display = "User login to Okta",
                           .legacy = "core.user_auth.login_success", .outcome = "SUCCESS",
                           .uri = "/sso/saml2/0oa", .cred = "ASSERTION", .provider = "FEDERATION",
                           .issuer_id = idp, .issuer_type = "SAML2"};
    emit_user(d, t + 2 * SEC_MS, &c, &start);
    sso(d, t + rnd_ms(MIN_MS, 4 * MIN_MS), &c, random_app(v, 0));
    label_end();
    return 1;
}

/* A compromised admin blinds the org: a sign-on rule, a network zone, ThreatInsight, the log stream. */
static int atk_defense_evasion(struct day *d, struct user *users, unsigned n)
{
    struct user *a = pick(users, n, ok_org_admin);
    struct device dev;
    struct ctx c;
    if (!a)
        return 0;
    int64_t t = admin_takeover_login(d, today0 + rnd_ms(0, 20 * HOUR_MS), &c, a, &dev);
    label_begin(NULL, "high", a, c.ip);
    label_touch(t - 2 * MIN_MS - 45 * SEC_MS);
    struct target rule[2] = {policy_signon, rule_mfa};
    struct evspec threat = {.type = "security.threat.configuration.update",
                            .display = "A ThreatInsight configuration was updated",
                            .legacy = "security.threat.configuration.update", .outcome = "SUCCESS",
                            .uri = "/api/v1/threats/configuration"};
    label_key(1);
    t += rnd_ms(MIN_MS, 3 * MIN_MS);
    admin_change(d, t, &c, "policy.rule.deactivate", "Deactivate policy rule", "policy.rule.deactivated",
                 "/api/v1/policies/00p1signon0000001/rules/0pr1requiremfa001/lifecycle/deactivate", rule, 2);
    t += rnd_ms(MIN_MS, 4 * MIN_MS);
    admin_change(d, t, &c, "zone.deactivate", "Network zone deactivate", "zone.deactivate",
                 "/api/v1/zones/nzo1blocklist0002/lifecycle/deactivate", &zone_block, 1);
    t += rnd_ms(MIN_MS, 4 * MIN_MS);
    emit_user(d, t, &c, &threat);
    t += rnd_ms(MIN_MS, 4 * MIN_MS);
    admin_change(d, t, &c, "system.log_stream.lifecycle.deactivate", "Log stream deactivated", NULL,
                 "/api/v1/logStreams/0ls1splunk0000001/lifecycle/deactivate", &log_stream, 1);
    label_key(0);
    label_end();
    return 1;
}

#define SPRAY_MAX_TRIES 120

/* 40-60 accounts, one or two tries each over 6-8 hours, rotated over 20+ hosting and proxy addresses so
 * that no address tries more than three times. */
static int atk_low_and_slow(struct day *d, struct user *users, unsigned n)
{
    struct user *real[36] = {0};
    struct ctx addr[SPRAY_MAX_TRIES / 3 + 24];
    int who[SPRAY_MAX_TRIES], naccts = 40 + (int)rnd_below(21), nreal = naccts * 3 / 5, tries = 0;
    for (int k = 0; k < nreal; k++) {
        real[k] = pick(users, n, ok_any);
        if (!real[k])
            nreal = k;
    }
    for (int k = 0; k < nreal; k++)
        victimized[real[k] - users] = 0;    /* failures only: still fair game for other attacks */
    if (nreal < naccts / 2)
        return 0;
    for (int k = 0; k < naccts; k++)
        for (int r = 1 + chance(0.4); r > 0; r--)
            who[tries++] = k;
    int naddr = 20 + (int)rnd_below(6);
    if (naddr < (tries + 2) / 3)
        naddr = (tries + 2) / 3;
    for (int k = 0; k < naddr; k++) {
        int proxy = k % 2;
        const struct city *w = proxy ? &proxies[rnd_below(NPROXIES)] : &hosting[rnd_below(NHOSTING)];
        attacker(&addr[k], users, w, NULL);
        /* a distinct third octet per address: no two of them collide */
        snprintf(addr[k].ip, sizeof addr[k].ip, "%u.%u.%u.%u", w->net[0], w->net[1],
                 (unsigned)(k * 7) + rnd_below(7), 1 + rnd_below(254));
        addr[k].proxy = proxy;
        addr[k].ua = &agents[rnd_below(NDESKTOP)];
    }
    int64_t t0 = today0 + rnd_ms(0, 14 * HOUR_MS), span = rnd_ms(6 * HOUR_MS, 8 * HOUR_MS);
    label_begin(NULL, "medium", NULL, NULL);
    label_key(1);
    for (int i = 0; i < tries; i++) {
        struct ctx *c = &addr[i % naddr];          /* round robin: at most three tries per address */
        int64_t t = t0 + rnd_ms(0, span);
        if (who[i] < nreal) {
            c->u = real[who[i]];
            failed_password(d, t, c);
        } else {
            spray_unknown(d, t, c, 40 + who[i]);
        }
    }
    label_key(0);
    label_end();
    return 1;
}

/* Another city of the person's own country, on another ISP when there is one. */
static const struct city *same_country_city(const struct user *u)
{
    const struct city *home = home_city(u->home), *best = NULL;
    for (unsigned k = 0; k < NCITIES; k++) {
        const struct city *c = &cities[k];
        if (c == home || strcmp(c->country, home->country))
            continue;
        if (!best || (best->asn == home->asn && c->asn != home->asn))
            best = c;
    }
    return best;
}

static int ok_in_country(const struct user *u)
{
    return !u->vpn && !u->admin && at_home_today(u) && same_country_city(u);
}

/* A residential proxy in the victim's own country: a common browser on a new device, then apps the
 * victim never used. */
static int atk_residential_proxy(struct day *d, struct user *users, unsigned n)
{
    struct user *v = pick(users, n, ok_in_country);
    struct device dev;
    struct ctx c;
    if (!v)
        return 0;
    const struct city *w = same_country_city(v);
    new_device(&dev, 0);
    attacker(&c, v, w, &dev);
    c.ua = &chrome_windows;
    c.beh = B_GEO | B_IP | B_CITY | B_DEVICE | (strcmp(w->state, home_city(v->home)->state) ? B_STATE : 0);
    c.risk = NULL;              /* a clean residential address: Okta sees nothing wrong */
    label_begin(NULL, "medium", v, c.ip);
    int64_t t = v->today.start + rnd_ms(HOUR_MS, 5 * HOUR_MS);
    policy_allow(d, t, &c);
    mfa(d, t + rnd_ms(15 * SEC_MS, 40 * SEC_MS), &c, "OKTA_VERIFY_TOTP", "SUCCESS");
    label_key(1);
    session_start(d, t + 45 * SEC_MS, &c);
    t += 45 * SEC_MS;
    unsigned used = v->app_mask | (1u << ADMIN_CONSOLE);
    for (int k = 2 + chance(0.5); k > 0; k--) {
        unsigned a;
        do
            a = rnd_below(NAPPS);
        while (used & (1u << a));
        used |= 1u << a;
        t += rnd_ms(MIN_MS, 6 * MIN_MS);
        sso(d, t, &c, a);
        label_key(0);
    }
    label_end();
    return 1;
}

struct attack {
    const char *name;
    /* 0: no fitting victim today, retry tomorrow */
    int (*inject)(struct day *d, struct user *users, unsigned n);
    unsigned day;
    int done;
};

static struct attack attacks[] = {
    {"impossible_travel/hosting_sign_in", atk_impossible_travel, 0, 0},
    {"mfa_fatigue/push_bombing_approved", atk_mfa_fatigue, 0, 0},
    {"password_spray/hosting", atk_spray_failed, 0, 0},
    {"password_spray/then_success", atk_spray_success, 0, 0},
    {"brute_force/foreign_then_success", atk_brute_force, 0, 0},
    {"privilege_grant/super_admin_from_new_place", atk_grant_super_admin, 0, 0},
    {"privilege_grant/admin_group_membership", atk_admin_group_add, 0, 0},
    {"factor_reset/takeover_chain", atk_factor_reset, 0, 0},
    {"session_hijack/cookie_replay", atk_session_replay, 0, 0},
    {"session_hijack/client_roaming", atk_client_roaming, 0, 0},
    {"new_context/aws_console_3am", atk_new_context, 0, 0},
    {"okta_threat/threatinsight", atk_threatinsight, 0, 0},
    {"okta_threat/user_risk_high", atk_user_risk, 0, 0},
    {"okta_threat/user_report", atk_user_report, 0, 0},
    {"admin_plane/helpdesk_takeover", atk_helpdesk_takeover, 0, 0},
    {"admin_plane/idp_impersonation", atk_idp_impersonation, 0, 0},
    {"admin_plane/defense_evasion", atk_defense_evasion, 0, 0},
    {"password_spray/low_and_slow", atk_low_and_slow, 0, 0},
    {"new_context/residential_proxy", atk_residential_proxy, 0, 0},
};
#define NATTACKS (sizeof attacks / sizeof attacks[0])

static void schedule_attacks(unsigned days)
{
    unsigned span = days > ATTACKS_FROM_DAY + 3 ? days - ATTACKS_FROM_DAY - 2 : 1;
    rng = &rng_attacks;
    for (size_t i = 0; i < NATTACKS; i++)
        attacks[i].day = ATTACKS_FROM_DAY + rnd_below(span);
    rng = &rng_background;
}

static void run_attacks(struct day *d, int64_t day0, unsigned day, struct user *users, unsigned n)
{
    today0 = day0;
    rng = &rng_attacks;
    for (size_t i = 0; i < NATTACKS; i++) {
        if (attacks[i].done || day < attacks[i].day)
            continue;
        cur_label.name = attacks[i].name;
        attacks[i].done = attacks[i].inject(d, users, n);
    }
    rng = &rng_background;
}

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
            next.recs = xrealloc(next.recs, next.rcap * sizeof *next.recs);
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
               "                  [--format jsonl|array] [--max-events N] [--org NAME] [--out FILE|-]"
               " [--stats]\n"
               "                  [--attacks] [--labels FILE]\n");
}

/* Sets the option a that takes the value v; -1: a is no such option. */
static int set_valued_opt(struct opts *o, const char *a, const char *v)
{
    if (!strcmp(a, "--users")) o->users = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--days")) o->days = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--seed")) o->seed = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--start")) o->start = v;
    else if (!strcmp(a, "--format")) o->format = v;
    else if (!strcmp(a, "--max-events")) o->max = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--org")) o->org = v;
    else if (!strcmp(a, "--out")) o->out = v;
    else if (!strcmp(a, "--labels")) o->labels = v;
    else return -1;
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--stats")) {
            o->stats = 1;
            continue;
        }
        if (!strcmp(a, "--attacks")) {
            o->attacks = 1;
            continue;
        }
        if (!strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!v || set_valued_opt(o, a, v) < 0) {
            usage(stderr);
            return -1;
        }
        i++;
    }
    if (!o->users || !o->days || parse_day(o->start) < 0 ||
        (strcmp(o->format, "jsonl") && strcmp(o->format, "array"))) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Writes the day's records that belong to it; returns how many. */
static size_t flush_day(struct day *d, FILE *out, int64_t day0, int last, int array, int *first,
                        unsigned long *written, unsigned long max, unsigned long long *bytes)
{
    size_t k = 0;
    qsort(d->recs, d->n, sizeof *d->recs, by_time);
    for (; k < d->n && (!max || *written < max); k++, (*written)++) {
        if (!last && d->recs[k].t >= day0 + DAY_MS)
            break;      /* belongs to tomorrow: carried over to keep the output ordered */
        size_t len = d->recs[k].len - (array ? 1 : 0);     /* drop the newline inside arrays */
        if (array && !*first)
            fputs(",\n", out);
        fwrite(d->text + d->recs[k].off, 1, len, out);
        *bytes += len;
        *first = 0;
    }
    return k;
}

static void report_attacks(const struct opts *o)
{
    if (!o->attacks)
        return;
    if (o->days <= ATTACKS_FROM_DAY)
        fprintf(stderr, "gen-events: --attacks needs --days %d or more: no attack injected\n",
                ATTACKS_FROM_DAY + 1);
    else
        for (size_t i = 0; i < NATTACKS; i++)
            if (!attacks[i].done)
                fprintf(stderr, "gen-events: attack %s found no fitting victim: not injected\n",
                        attacks[i].name);
}

static void print_stats(unsigned long written, unsigned long long bytes, unsigned long user_days)
{
    fprintf(stderr, "gen-events: %lu events, %llu bytes, %.0f bytes/event, %lu user-days\n", written, bytes,
            written ? (double)bytes / written : 0.0, user_days);
    fprintf(stderr, "gen-events: background: %lu trips, %lu carrier sign-ins, %lu retried pushes, "
            "%lu lockouts, %lu helpdesk resets, %lu planned grants, %lu group changes, %lu new hires\n",
            tally.trips, tally.carrier, tally.retried_push, tally.lockouts, tally.resets, tally.grants,
            tally.groups, tally.hires);
    fprintf(stderr, "gen-events: admin plane: %lu console sessions, %lu config changes, %lu token rotations, "
            "%lu support grants, %lu role revokes\n", tally.consoles, tally.configs, tally.tokens,
            tally.supports, tally.revokes);
}

/* One day: everyone's own day, the org's routines, internet noise, the attacks due. */
static void simulate_day(struct day *d, int64_t day0, unsigned day, struct user *users, const struct opts *o)
{
    int weekday = (int)(((day0 / DAY_MS) + 3) % 7);      /* Monday = 0 */
    for (unsigned i = 0; i < o->users; i++)
        user_day(d, day0, weekday, &users[i]);
    org_day(d, (int)day, users, o->users);
    spray_noise(d, day0);
    system_noise(d, day0, users, o->users);
    if (o->attacks)
        run_attacks(d, day0, day, users, o->users);
}

int main(int argc, char **argv)
{
    struct opts o = {.users = 50, .days = 14, .seed = 1, .start = "2026-09-01", .org = "acme", .out = "-",
                     .format = "jsonl", .labels = NULL, .max = 0, .stats = 0, .attacks = 0};
    struct day d = {0};
    unsigned long written = 0, user_days = 0;
    unsigned long long bytes = 0;
    int array, first = 1;

    if (parse_opts(argc, argv, &o) < 0)
        return 2;
    array = !strcmp(o.format, "array");
    org_name = o.org;
    rng_background = 0x1d3a7c00ULL ^ ((uint64_t)o.seed << 20);
    rng_attacks = 0xa77ac5ULL ^ ((uint64_t)o.seed << 24);
    rng_admin = 0xad3171ULL ^ ((uint64_t)o.seed << 28);
    FILE *out = strcmp(o.out, "-") ? fopen(o.out, "w") : stdout;
    struct user *users = calloc(o.users, sizeof *users);
    victimized = calloc(o.users, 1);
    labels_out = o.labels ? fopen(o.labels, "w") : NULL;
    if (!out || !users || !victimized || (o.labels && !labels_out)) {
        perror("gen-events");
        return 1;
    }
    for (unsigned i = 0; i < o.users; i++)
        make_user(&users[i], i, &o);
    schedule_attacks(o.days);
    int64_t start = parse_day(o.start);
    if (array)
        fputs("[\n", out);
    for (unsigned day = 0; day < o.days && (!o.max || written < o.max); day++) {
        int64_t day0 = start + (int64_t)day * DAY_MS;
        simulate_day(&d, day0, day, users, &o);
        for (unsigned i = 0; i < o.users; i++)
            user_days += users[i].created && users[i].created_at < day0 + DAY_MS;
        carry_over(&d, flush_day(&d, out, day0, day + 1 == o.days, array, &first, &written, o.max, &bytes));
    }
    if (array)
        fputs("\n]\n", out);
    if (o.stats)
        print_stats(written, bytes, user_days);
    report_attacks(&o);
    for (unsigned i = 0; i < o.users; i++)
        free(users[i].plane);
    free(users);
    free(victimized);
    free(d.text);
    free(d.recs);
    if ((out != stdout && fclose(out) != 0) || (labels_out && fclose(labels_out) != 0)) {
        perror("gen-events");
        return 1;
    }
    return 0;
}
