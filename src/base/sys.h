/* sys.h - the Linux-specific calls (procfs, SO_PEERCRED, eventfd) behind one small interface. */
#ifndef JMAKE_SYS_H
#define JMAKE_SYS_H

#include <stddef.h>
#include <sys/types.h>

/* The running executable's path into buf (NUL-terminated). 0 or -errno. */
int sys_self_exe(char *buf, size_t bufsize);

/* The process umask as the kernel reports it (umask(2) cannot be read without
 * setting it, which races with threads creating files); -1 when unknown. */
int sys_self_umask(void);

/* The resident set size of this process in KiB, or -1 when unknown. */
long sys_self_rss_kib(void);

/* Calls fn for every process in session sid except this one (a live process
 * of another user may be listed too: kill tells). */
void sys_for_each_in_session(pid_t sid, void (*fn)(pid_t pid, void *ctx), void *ctx);

/* Raises the soft limit on open descriptors to the hard limit (a daemon
 * serving many clients needs them); returns the limit now in force, or -1. */
long sys_raise_fd_limit(void);
/* In a process started by one that raised its limit: the soft limit as it was
 * before (the raise leaves it in the environment). Compilers inherit it: gcc's
 * driver closes every descriptor up to the limit before each exec, so at a
 * raised limit of tens of thousands each compile and link paid tens of ms. */
void sys_restore_inherited_fd_limit(void);
/* The soft limit on open descriptors, or -1. */
long sys_fd_limit(void);

/* Hands memory that malloc keeps after large frees back to the system. */
void sys_release_free_memory(void);

/* The uid of the peer of a connected Unix socket. 0 or -errno. */
int sys_peer_uid(int fd, uid_t *uid);

/* A non-blocking, close-on-exec wake-up descriptor (an eventfd): sys_wake_post
 * makes it readable, sys_wake_drain clears it. -errno when none can be made. */
int sys_wake_open(void);
void sys_wake_post(int fd);
void sys_wake_drain(int fd);

#endif
