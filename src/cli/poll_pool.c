/*
 * poll_pool.c — the daemon's fetch threads (see poll_pool.h).  Two queues
 * under one mutex: jobs waiting for a thread, and jobs done waiting for
 * the daemon.  Nothing here touches LMDB.
 */
#include "cli/poll_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct job {
    struct idw_okta_poller *p;
    void *tag;
    struct job *next;
};

struct queue {
    struct job *head, *tail;
};

struct idw_poll_pool {
    pthread_mutex_t mu;
    pthread_cond_t work, done_cv;
    struct queue todo, done;
    size_t busy;                /* submitted and not yet taken back */
    int stopping;
    pthread_t *threads;
    size_t nthreads;
};

static void push(struct queue *q, struct job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static struct job *pop(struct queue *q)
{
    struct job *j = q->head;

    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
    }
    return j;
}

static void *worker(void *arg)
{
    struct idw_poll_pool *pool = arg;

    pthread_mutex_lock(&pool->mu);
    for (;;) {
        struct job *j;
        while (!pool->stopping && !pool->todo.head)
            pthread_cond_wait(&pool->work, &pool->mu);
        if (pool->stopping)
            break;
        j = pop(&pool->todo);
        pthread_mutex_unlock(&pool->mu);
        idw_okta_poll_fetch(j->p);
        pthread_mutex_lock(&pool->mu);
        push(&pool->done, j);
        pthread_cond_signal(&pool->done_cv);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

enum idw_rc idw_poll_pool_new(size_t nthreads, struct idw_poll_pool **out)
{
    struct idw_poll_pool *pool;

    *out = NULL;
    if (nthreads < 1 || nthreads > 256)
        return IDW_ERR;
    pool = calloc(1, sizeof *pool);
    if (!pool)
        return IDW_ERR;
    pool->threads = calloc(nthreads, sizeof *pool->threads);
    if (!pool->threads) {
        free(pool);
        return IDW_ERR;
    }
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done_cv, NULL);
    for (; pool->nthreads < nthreads; pool->nthreads++)
        if (pthread_create(&pool->threads[pool->nthreads], NULL, worker, pool) != 0) {
            idw_poll_pool_free(pool, NULL);
            return IDW_ERR;
        }
    *out = pool;
    return IDW_OK;
}

enum idw_rc idw_poll_pool_submit(struct idw_poll_pool *pool, struct idw_okta_poller *p, void *tag)
{
    struct job *j = malloc(sizeof *j);

    if (!j)
        return IDW_ERR;
    j->p = p;
    j->tag = tag;
    pthread_mutex_lock(&pool->mu);
    push(&pool->todo, j);
    pool->busy++;
    pthread_cond_signal(&pool->work);
    pthread_mutex_unlock(&pool->mu);
    return IDW_OK;
}

void *idw_poll_pool_take_done(struct idw_poll_pool *pool)
{
    struct job *j;
    void *tag = NULL;

    pthread_mutex_lock(&pool->mu);
    j = pop(&pool->done);
    if (j) {
        pool->busy--;
        tag = j->tag;
    }
    pthread_mutex_unlock(&pool->mu);
    free(j);
    return tag;
}

void idw_poll_pool_wait(struct idw_poll_pool *pool, long ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&pool->mu);
    while (!pool->done.head && pthread_cond_timedwait(&pool->done_cv, &pool->mu, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&pool->mu);
}

size_t idw_poll_pool_busy(struct idw_poll_pool *pool)
{
    size_t n;

    pthread_mutex_lock(&pool->mu);
    n = pool->busy;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

static void drain(struct queue *q, void (*drop)(void *tag))
{
    struct job *j;

    for (j = pop(q); j; j = pop(q)) {
        if (drop)
            drop(j->tag);
        free(j);
    }
}

void idw_poll_pool_free(struct idw_poll_pool *pool, void (*drop)(void *tag))
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    drain(&pool->todo, drop);       /* not started: nothing was fetched */
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->mu);
    for (size_t i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    drain(&pool->done, drop);       /* fetched, never applied */
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done_cv);
    free(pool->threads);
    free(pool);
}
