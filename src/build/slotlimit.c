/* slotlimit.c - the engine-wide bound on commands in flight, FIFO between builds so one large build cannot starve another. */
#include "slotlimit.h"

#include "sys.h"

void slotlimit_init(slotlimit *l, size_t capacity)
{
    pthread_mutex_init(&l->mu, NULL);
    l->capacity = capacity ? capacity : 1;
    l->in_use = 0;
    l->head = l->tail = NULL;
}

void slotlimit_destroy(slotlimit *l)
{
    pthread_mutex_destroy(&l->mu);
}

static void enqueue(slotlimit *l, slot_waiter *w)
{
    w->queued = true;
    w->next = NULL;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
}

bool slotlimit_try_acquire(slotlimit *l, slot_waiter *w)
{
    pthread_mutex_lock(&l->mu);
    bool got = false;
    if (w->granted) {
        w->granted--;
        got = true;
    } else if (!l->head && l->in_use < l->capacity) {
        l->in_use++;
        got = true;
    } else if (!w->queued) {
        enqueue(l, w);
    }
    pthread_mutex_unlock(&l->mu);
    return got;
}

/* Caller holds l->mu. The slot stays counted in in_use: it moves to the head waiter. */
static void release_locked(slotlimit *l)
{
    slot_waiter *w = l->head;
    if (!w) {
        if (l->in_use)
            l->in_use--;
        return;
    }
    l->head = w->next;
    if (!l->head)
        l->tail = NULL;
    w->queued = false;
    w->next = NULL;
    w->granted++;
    if (w->wake_fd >= 0)
        sys_wake_post(w->wake_fd);
}

void slotlimit_release(slotlimit *l)
{
    pthread_mutex_lock(&l->mu);
    release_locked(l);
    pthread_mutex_unlock(&l->mu);
}

void slotlimit_leave(slotlimit *l, slot_waiter *w)
{
    pthread_mutex_lock(&l->mu);
    if (w->queued) {
        slot_waiter **pp = &l->head, *prev = NULL;
        while (*pp && *pp != w) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        if (*pp) {
            *pp = w->next;
            if (l->tail == w)
                l->tail = prev;
        }
        w->queued = false;
        w->next = NULL;
    }
    while (w->granted) {
        w->granted--;
        release_locked(l);
    }
    pthread_mutex_unlock(&l->mu);
}
