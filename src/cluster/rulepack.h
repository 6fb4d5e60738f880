/*
 * rulepack.h — a rule configuration as a message of a partition's log
 * (docs/scale-out.md, "Rules in the log"), so that which rules judged an
 * event is decided by the stream, not by whichever host applies it.
 *
 * A rule configuration is what `run` reloads on SIGHUP: the rules_dir's
 * top-level *.json files (the C rules' settings and the Sigma switches)
 * and every Sigma file under it (sigma/sigma.h idw_sigma_each_file), as
 * a list of {"path": <relative>, "text": <UTF-8 content>} sorted by path.
 * Its fingerprint is the hex SHA-256 over, for each file in that order,
 * path NUL, the text's length as 8 big-endian bytes, and the text: two
 * directories with the same files have the same fingerprint wherever
 * they are.
 *
 * The message (cluster/wal.h type "rules"):
 *   {"v": 2, "type": "rules", "release": "<idwatch version>", "fingerprint": "<64 hex>",
 *    "at": <ms>, "by": "<who>", "id": "<32 hex>", "size": <bytes of the list's JSON>,
 *    "files_z": "<base64 of the zlib-deflated compact JSON list>"}
 * "release" is the idwatch version that published it (the C rules are
 * code: cluster/apply.h stops on a release later than its own).  A
 * message is accepted only when it inflates to exactly "size" bytes
 * (at most IDW_RULEPACK_SIZE_MAX), parses as the list above, every path
 * is safe to write (relative, components of [A-Za-z0-9._-] not starting
 * with '.', at most 8 deep, ending .json at the top or .yml/.yaml), and
 * the fingerprint matches its content.
 *
 * Nothing here reads the wall clock.  Return codes (common/rc.h) are
 * named per function.
 */
#ifndef IDW_RULEPACK_H
#define IDW_RULEPACK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"

#define IDW_RULEPACK_FP_HEX 64
#define IDW_RULEPACK_SIZE_MAX (64u * 1024 * 1024)  /* the list's JSON, inflated */
#define IDW_RULEPACK_FILES_MAX 10000

/*
 * The rule configuration of dir (NULL, or a missing "rules" default: an
 * empty list, the built-in defaults).  IDW_OK with *files (json_decref),
 * or IDW_ERR with err naming the file (unreadable, not UTF-8, a path
 * that could not be written back).
 */
enum idw_rc idw_rulepack_read_dir(const char *dir, json_t **files, char *err, size_t errlen) IDW_MUST_CHECK;

/* The fingerprint of a file list into hex.  IDW_OK, or IDW_ERR (OpenSSL failed) with hex "". */
enum idw_rc idw_rulepack_fingerprint(const json_t *files, char hex[IDW_RULEPACK_FP_HEX + 1]) IDW_MUST_CHECK;

/*
 * The rules message of files (borrowed), published by release at at_ms by
 * `by`, with command id id (32 hex).  IDW_OK with *out (json_decref), or
 * IDW_ERR with err (out of memory, compression failed, too large).
 */
enum idw_rc idw_rulepack_message(const json_t *files, const char *release, int64_t at_ms, const char *by,
                                 const char *id, json_t **out, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Checks a rules message whole (the rules above) and returns its file
 * list.  IDW_OK with *files (json_decref), or IDW_ERR with err naming what
 * is wrong ("rules: files_z: does not inflate to 1234 bytes") and *bad
 * set when the message is at fault, clear when memory ran out (nothing
 * can then be concluded about the message).
 */
enum idw_rc idw_rulepack_files(const json_t *msg, json_t **files, int *bad, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * Writes files under root/<fingerprint>/ (created through a temporary
 * directory renamed into place, so a directory of that name is always
 * complete; one that exists is taken as it is).  The directory's path
 * into dir (dirlen bytes).  IDW_OK, or IDW_ERR with err naming the path.
 */
enum idw_rc idw_rulepack_unpack(const json_t *files, const char *root, char *dir, size_t dirlen,
                                char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Compares two release strings "a.b.c" numerically: <0, 0, >0.  A part
 * that is not a number compares as 0.
 */
int idw_rulepack_release_cmp(const char *a, const char *b) IDW_MUST_CHECK;

#endif
