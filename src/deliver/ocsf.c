/*
 * ocsf.c — an alert as an OCSF Detection Finding (class_uid 2004,
 * category 2 Findings), for SOARs and data lakes that speak OCSF.
 *
 * Mapping (docs/webhook.md):
 *   activity      Create (1) for version 1, Update (2) for later versions
 *   severity_id   low 2, medium 3, high 4, critical 5
 *   status_id     open New (1), acknowledged In Progress (2),
 *                 false_positive Suppressed (3), resolved Resolved (4)
 *   finding_info  uid = alert_id, title = summary, desc = evidence,
 *                 analytic = the rule, attacks = MITRE techniques,
 *                 related_events = the Okta event uuids
 *   evidences     the affected user and the source endpoint (IP)
 *   risk_score    the alert's score; unmapped.idwatch = the native alert
 */
#include "deliver/webhook.h"

#include <string.h>

#include "alert/alert.h"

static const char *severity_word(int id)
{
    static const char *const w[] = {"Unknown", "Informational", "Low", "Medium", "High", "Critical"};
    return id >= 0 && id <= 5 ? w[id] : "Unknown";
}

static const char *status_word(int id)
{
    static const char *const w[] = {"Unknown", "New", "In Progress", "Suppressed", "Resolved"};
    return id >= 0 && id <= 4 ? w[id] : "Other";
}

static int status_id(const char *s)
{
    if (!s || !strcmp(s, "open"))
        return 1;
    if (!strcmp(s, "acknowledged"))
        return 2;
    if (!strcmp(s, "false_positive"))
        return 3;
    return 4;
}

static json_t *attacks(const json_t *mitre)
{
    json_t *a = json_array(), *t;
    size_t i;
    json_array_foreach(mitre, i, t)
        json_array_append_new(a, json_pack("{s:{s:O}}", "technique", "uid", t));
    return a;
}

static json_t *related_events(const json_t *ids)
{
    json_t *a = json_array(), *u;
    size_t i;
    json_array_foreach(ids, i, u)
        json_array_append_new(a, json_pack("{s:O, s:s}", "uid", u, "product_uid", "okta"));
    return a;
}

static json_t *evidences(const json_t *alert)
{
    const json_t *user = json_object_get(alert, "user"), *ip = json_object_get(alert, "ip");
    json_t *e = json_object();

    if (json_is_string(user))
        json_object_set_new(e, "actor", json_pack("{s:{s:O, s:O?, s:s}}", "user", "name", user,
                                                  "uid", json_object_get(alert, "tuid"),
                                                  "type", "User"));
    if (json_is_string(ip))
        json_object_set_new(e, "src_endpoint", json_pack("{s:O}", "ip", ip));
    json_object_set_new(e, "data", json_pack("{s:O, s:O?}", "evidence", json_object_get(alert, "evidence"),
                                             "context", json_object_get(alert, "context")));
    return json_pack("[o]", e);
}

static json_t *finding_info(const json_t *alert)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:{s:O, s:O, s:i, s:s}, s:o, s:o, s:[O]}",
                     "uid", json_object_get(alert, "alert_id"),
                     "title", json_object_get(alert, "summary"),
                     "desc", json_object_get(alert, "evidence"),
                     "first_seen_time", json_object_get(alert, "first_seen_ms"),
                     "last_seen_time", json_object_get(alert, "last_seen_ms"),
                     "analytic", "uid", json_object_get(alert, "rule"),
                     "name", json_object_get(alert, "rule"),
                     "type_id", 1, "type", "Rule",
                     "attacks", attacks(json_object_get(alert, "mitre")),
                     "related_events", related_events(json_object_get(alert, "event_ids")),
                     "types", json_object_get(alert, "stage"));
}

json_t *idw_ocsf_detection_finding(const json_t *alert)
{
    int sev = (int)idw_alert_severity(alert) + 1;   /* OCSF: low 2 ... critical 5 */
    int update = idw_alert_version(alert) > 1;
    const char *status = json_string_value(json_object_get(alert, "status"));
    json_t *info = finding_info(alert);

    if (!info)
        return NULL;
    return json_pack("{s:i, s:s, s:i, s:s, s:i, s:s, s:i, s:i, s:s, s:i, s:s, s:O, s:O, s:O,"
                     " s:o, s:o, s:{s:s, s:{s:s, s:s, s:s}, s:O, s:O}, s:{s:O}}",
                     "class_uid", 2004, "class_name", "Detection Finding",
                     "category_uid", 2, "category_name", "Findings",
                     "activity_id", update ? 2 : 1, "activity_name", update ? "Update" : "Create",
                     "type_uid", 200400 + (update ? 2 : 1),
                     "severity_id", sev, "severity", severity_word(sev),
                     "status_id", status_id(status), "status", status_word(status_id(status)),
                     "time", json_object_get(alert, "last_seen_ms"),
                     "message", json_object_get(alert, "summary"),
                     "risk_score", json_object_get(alert, "score"),
                     "finding_info", info, "evidences", evidences(alert),
                     "metadata", "version", "1.3.0",
                     "product", "name", "idwatch", "vendor_name", "idwatch", "version", IDW_VERSION,
                     "tenant_uid", json_object_get(alert, "domain_id"),
                     "uid", json_object_get(alert, "alert_id"),
                     "unmapped", "idwatch", alert);
}
