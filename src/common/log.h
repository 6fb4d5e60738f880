/*
 * log.h — the one way idwatch writes diagnostics: to stderr, one line per
 * message.  When stderr is a terminal the line is human text; otherwise it
 * is a JSON object {"ts","level","msg", fields...} so collectors can parse
 * it and filter on fields (org, alert_id, webhook...).
 *
 * Contract: callers never pass secrets (keys, tokens, assertions, webhook
 * secrets) to these functions.  Messages are plain text; the JSON form
 * escapes them.
 */
#ifndef IDW_LOG_H
#define IDW_LOG_H

#include <jansson.h>

#include "common/rc.h"

enum idw_log_level { IDW_LOG_DEBUG, IDW_LOG_INFO, IDW_LOG_WARN, IDW_LOG_ERROR };

/* Messages below this level are dropped.  Default INFO. */
void idw_log_set_level(enum idw_log_level level);
/* Parses "debug|info|warn|error"; IDW_OK, or IDW_ERR for anything else. */
enum idw_rc idw_log_parse_level(const char *s, enum idw_log_level *out) IDW_MUST_CHECK;
/* Forces JSON (1) or human (0) output; -1 restores the TTY-based choice. */
void idw_log_set_json(int mode);

void idw_log(enum idw_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The same with structured fields merged into the JSON line (a TTY shows
 * only the message).  Takes the reference on fields (may be NULL), e.g.
 *   idw_log_fields(IDW_LOG_INFO, json_pack("{s:s}", "alert_id", id), "delivered %s", id);
 */
void idw_log_fields(enum idw_log_level level, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) idw_log(IDW_LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  idw_log(IDW_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  idw_log(IDW_LOG_WARN, __VA_ARGS__)
#define log_error(...) idw_log(IDW_LOG_ERROR, __VA_ARGS__)

#endif
