#ifndef CRANDOM_SHIM_H
#define CRANDOM_SHIM_H
/* getrandom(2): glibc declares it in <sys/random.h>, which Glibc's Swift module does not export.
 * Secrets calls it directly to draw a whole token, nonce or request id in one system call (every
 * module draws randomness through Secrets). */
#ifdef __linux__
#include <sys/random.h>
#endif
#endif
