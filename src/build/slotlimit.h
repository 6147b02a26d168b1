/* slotlimit.h - a counting limit shared by concurrent builds: at most N commands at once over the whole engine, handed out first come, first served. */
#ifndef JMAKE_SLOTLIMIT_H
#define JMAKE_SLOTLIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* One build's place in the queue. Build threads sleep in poll(), not on a
 * condition variable (they also wait for their compilers and check threads),
 * so a slot handed to a waiter is announced by posting its wake descriptor. */
typedef struct slot_waiter {
    int wake_fd;                /* sys_wake descriptor, -1 = none (the waiter polls with a timeout) */
    size_t granted;             /* slots handed to this waiter and not taken yet */
    bool queued;
    struct slot_waiter *next;
} slot_waiter;

typedef struct slotlimit {
    pthread_mutex_t mu;
    size_t capacity, in_use;    /* in_use counts granted slots too */
    slot_waiter *head, *tail;   /* non-empty only while every slot is in use */
} slotlimit;

void slotlimit_init(slotlimit *l, size_t capacity);
void slotlimit_destroy(slotlimit *l);

/* Takes a slot for w (borrowed; it must stay valid until slotlimit_leave).
 * Returns false when none is free: w is then queued, and its wake_fd is
 * posted once a slot was set aside for it (the next call takes it). */
bool slotlimit_try_acquire(slotlimit *l, slot_waiter *w);

/* Gives a slot back: to the first queued waiter when there is one. */
void slotlimit_release(slotlimit *l);

/* w stops waiting: leaves the queue and gives back slots set aside for it. */
void slotlimit_leave(slotlimit *l, slot_waiter *w);

#endif
