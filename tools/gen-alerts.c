/*
 * gen-alerts.c — fills a database with N synthetic alerts for the alert
 * queue's benchmark (tests/bench/queue.sh): varied rules, severities,
 * users and times, with summaries and evidence of a real alert's length.
 * Each is raised through the alert module (idw_alert_raise_connector, its
 * own transaction) into a store opened IDW_STORE_NOSYNC (a throw-away
 * database).
 *
 *   gen-alerts DBDIR N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "common/util.h"
#include "store/store.h"

static void fill(struct idw_alert_candidate *c, int i)
{
    static const char *const stages[] = {"Compromise Identity", "Privilege Escalation", "Persistence",
                                         "Defense Evasion"};
    memset(c, 0, sizeof *c);
    c->severity = (enum idw_severity)(IDW_SEV_LOW + i % 4);
    c->score = 20 + i % 80;
    c->window_ms = 1;
    c->mitre = "T1078,T1110";
    c->stage = stages[i % 4];
    snprintf(c->entity, sizeof c->entity, "user:bench-%06d", i);
    snprintf(c->summary, sizeof c->summary, "user%04d@acme.example: %d failed sign-ins then a success from "
             "a network never seen in this person's routine (AS%d)", i % 1500, 5 + i % 20, 64500 + i % 200);
    snprintf(c->evidence, sizeof c->evidence, "failures from 198.51.%d.%d within %d minutes, then a success; "
             "usual networks: AS5466 (eircom), AS2110 (BT Ireland); usual countries: Ireland; device new; "
             "app Office 365 usual; the persona has learned from %d sign-ins over %d days",
             i % 250, i % 200, 3 + i % 10, 40 + i % 300, 14 + i % 60);
}

int main(int argc, char **argv)
{
    static const char *const rules[] = {"brute_force", "impossible_travel", "mfa_fatigue", "password_spray",
                                        "new_context", "privilege_grant", "factor_reset", "session_hijack"};
    struct idw_store *st;
    struct idw_alerts *al;
    struct idw_alert_candidate c;
    char err[512];
    long n = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
    int64_t t0 = idw_now_ms() - 30 * IDW_DAY_MS;

    if (n <= 0) {
        fprintf(stderr, "usage: gen-alerts DBDIR N\n");
        return 2;
    }
    al = idw_alerts_new();
    if (!al || idw_store_open(argv[1], 4096, IDW_STORE_NOSYNC, &st, err, sizeof err) < 0) {
        fprintf(stderr, "gen-alerts: %s\n", al ? err : "out of memory");
        idw_alerts_free(al);
        return 1;
    }
    for (long i = 0; i < n; i++) {
        fill(&c, (int)i);
        int64_t when = t0 + i * 60000;
        if (idw_alert_raise_connector(al, st, "acme", rules[i % 8], &c, when, err, sizeof err) < 0) {
            fprintf(stderr, "gen-alerts: alert %ld: %s\n", i, err);
            break;
        }
    }
    idw_alerts_free(al);
    idw_store_close(st);
    return 0;
}
