#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>

#ifdef __linux__
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
/* Names the calling thread for the kernel (top -H, gdb, perf; at most 15 bytes). Glibc's Swift
 * module does not export pthread_setname_np, and Foundation's Thread.name setter on Linux does not
 * always reach the kernel: a new thread otherwise keeps the name of the thread that created it. */
static inline int csqlite_name_current_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
#else
static inline int csqlite_name_current_thread(const char *name) { (void)name; return 0; }
#endif

#endif
