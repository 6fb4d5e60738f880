/*
 * listener.h — the daemon's loopback metrics endpoint (see listener.c).
 */
#ifndef IDW_LISTENER_H
#define IDW_LISTENER_H

#include <stddef.h>

#include "common/rc.h"

/*
 * Listens on "127.x.x.x:PORT" (loopback only), non-blocking.  IDW_OK with
 * *fd the socket (close it), or IDW_ERR with err set (*fd -1).
 */
enum idw_rc idw_listener_open(const char *hostport, int *fd, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Answers every connection waiting on fd with body(ctx) (malloc'd text,
 * freed here; NULL answers 500) and closes it.  Returns at once when none
 * is waiting.
 */
void idw_listener_serve(int fd, char *(*body)(void *ctx), void *ctx);

#endif
