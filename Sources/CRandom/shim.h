#ifndef CRANDOM_SHIM_H
#define CRANDOM_SHIM_H
/* getrandom(2): glibc declares it in <sys/random.h>, which Glibc's Swift module does not export.
 * Secrets calls it directly to draw a whole token or nonce in one system call. */
#ifdef __linux__
#include <sys/random.h>
#endif
#endif
