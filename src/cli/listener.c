/*
 * listener.c — the daemon's optional metrics endpoint: a loopback-only
 * TCP listener that answers any request with the Prometheus text and
 * closes.  It is served from the daemon's one thread between pages (the
 * run loop's naps are 100 ms slices), so it needs no locking; a scrape
 * waits at most one page.  Not a web server: one short GET per
 * connection, at most four connections per call, each bounded to 200 ms of
 * reading and 500 ms of writing, so a local client cannot stall the loop.
 */
#include "cli/listener.h"

#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum idw_rc idw_listener_open(const char *hostport, int *out, char *err, size_t errlen)
{
    char host[64];
    const char *colon = strrchr(hostport, ':');
    struct sockaddr_in sa = {.sin_family = AF_INET};
    long port;
    int fd, one = 1;

    *out = -1;
    port = colon ? strtol(colon + 1, NULL, 10) : 0;
    if (!colon || (size_t)(colon - hostport) >= sizeof host || port <= 0 || port > 65535) {
        snprintf(err, errlen, "metrics.listen: expected 127.0.0.1:PORT");
        return IDW_ERR;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
        snprintf(err, errlen, "metrics.listen: only loopback addresses (127.x.x.x) are allowed");
        return IDW_ERR;
    }
    sa.sin_port = htons((uint16_t)port);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "metrics.listen: socket: %s", strerror(errno));
        return IDW_ERR;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0) {
        snprintf(err, errlen, "metrics.listen: %s: %s", hostport, strerror(errno));
        close(fd);
        return IDW_ERR;
    }
    *out = fd;
    return IDW_OK;
}

/*
 * Reads the request head (up to a blank line or 4 KiB) within one 200 ms
 * deadline for the whole connection: a slow client cannot hold the
 * daemon's thread longer than that.  Returns 1 for "GET /metrics", 0 for
 * anything else (answered 404).
 */
static int read_request(int c)
{
    char buf[4096];
    size_t got = 0;
    int64_t deadline = idw_now_ms() + 200;
    struct pollfd p = {c, POLLIN, 0};

    while (got < sizeof buf - 1) {
        int64_t left = deadline - idw_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) != 1)
            break;
        ssize_t n = read(c, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
            break;
    }
    buf[got] = '\0';
    /* the request line only: "GET /metrics HTTP/1.x" (a query string is allowed) */
    return strncmp(buf, "GET /metrics ", 13) == 0 || strncmp(buf, "GET /metrics?", 13) == 0;
}

/* Writes within a 500 ms deadline on a non-blocking socket; a client that does not read loses. */
static void write_all(int c, const char *s, size_t len)
{
    int64_t deadline = idw_now_ms() + 500;
    struct pollfd p = {c, POLLOUT, 0};

    while (len > 0) {
        int64_t left = deadline - idw_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) != 1)
            return;
        ssize_t n = write(c, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

/* Answers one accepted connection c, then closes it. */
static void answer(int c, char *(*body)(void *ctx), void *ctx)
{
    char head[160], *text = NULL;
    int metrics = read_request(c);

    if (metrics)
        text = body(ctx);
    snprintf(head, sizeof head, "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             !metrics ? "404 Not Found" : text ? "200 OK" : "500 Internal Server Error",
             text ? strlen(text) : 0);
    write_all(c, head, strlen(head));
    if (text)
        write_all(c, text, strlen(text));
    free(text);
    close(c);
}

void idw_listener_serve(int fd, char *(*body)(void *ctx), void *ctx)
{
    /* a few connections per call: the loop comes back within 100 ms anyway */
    for (int k = 0; k < 4 && fd >= 0; k++) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0)
            break;
        answer(c, body, ctx);
    }
}
