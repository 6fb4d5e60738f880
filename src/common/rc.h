/*
 * rc.h — the one return convention of idwatch, as curl has CURLcode and
 * SQLite its result codes.
 *
 * Every function that can fail returns an enum idw_rc (or, for
 * constructors, a pointer that is NULL exactly on failure) and is declared
 * IDW_MUST_CHECK, so the compiler refuses a call that drops the answer.
 * Values travel through out-parameters, never through the return value:
 * "absent" and "read error" are different codes, so a failed read can
 * never pass for an empty one (a poller that loses its cursor to a read
 * error must stop, not start over).
 *
 *   IDW_OK        done; out-parameters are set as documented
 *   IDW_NOTFOUND  the thing asked for does not exist; out-parameters hold
 *                 the function's documented "absent" value
 *   IDW_EXISTS    it was already there (an insert that changed nothing)
 *   IDW_BUSY      someone else holds it (the writer lock)
 *   IDW_ERR       failed: err (when the function takes one) says why and
 *                 where, never with a secret in it; nothing was half-written
 *
 * Only IDW_ERR is negative, so `if (rc < 0)` is the error test everywhere
 * and a positive code is an answer, not a failure.  A function documents
 * which codes it can return.
 */
#ifndef IDW_RC_H
#define IDW_RC_H

enum idw_rc {
    IDW_ERR = -1,
    IDW_OK = 0,
    IDW_NOTFOUND = 1,
    IDW_EXISTS = 2,
    IDW_BUSY = 3,
};

/* On every declaration whose result says whether it worked. */
#define IDW_MUST_CHECK __attribute__((warn_unused_result))

/* "ok", "not found", "exists", "busy", "error": for logs and tests. */
const char *idw_rc_name(enum idw_rc rc);

#endif
