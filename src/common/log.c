/*
 * log.c — stderr logging, human on a TTY and JSON Lines elsewhere.
 * jansson does the escaping of the JSON form.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "common/util.h"

static enum idw_log_level min_level = IDW_LOG_INFO;
static int json_mode = -1;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void idw_log_set_level(enum idw_log_level level) { min_level = level; }
void idw_log_set_json(int mode) { json_mode = mode; }

enum idw_rc idw_log_parse_level(const char *s, enum idw_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (s && strcasecmp(s, level_names[i]) == 0) {
            *out = (enum idw_log_level)i;
            return IDW_OK;
        }
    }
    return IDW_ERR;
}

static void emit(enum idw_log_level level, json_t *fields, const char *msg)
{
    char ts[IDW_TIME_STRLEN];
    int as_json = json_mode >= 0 ? json_mode : !isatty(STDERR_FILENO);

    idw_time_format(idw_now_ms(), ts);
    if (!as_json) {
        fprintf(stderr, "idwatch: %s%s%s\n",
                level >= IDW_LOG_WARN ? level_names[level] : "",
                level >= IDW_LOG_WARN ? ": " : "", msg);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level_names[level], "msg", msg);
    if (o && fields)
        json_object_update_missing(o, fields);  /* ts, level and msg cannot be overridden */
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line)
        fprintf(stderr, "%s\n", line);
    else
        fprintf(stderr, "idwatch: %s: %s\n", level_names[level], msg);
    free(line);
    json_decref(o);
}

void idw_log(enum idw_log_level level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(level, NULL, msg);
}

void idw_log_fields(enum idw_log_level level, json_t *fields, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;

    if (level >= min_level) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        emit(level, fields, msg);
    }
    json_decref(fields);
}
