#ifndef CSPAWN_H
#define CSPAWN_H
#include <sys/types.h>

/* Starts `path` with `argv` and `envp` (NULL-terminated), in `directory` (or the current one when
 * NULL), stdout and stderr appended to `output` (created), stdin from /dev/null, and no other
 * descriptor of ours inherited. Returns 0 and sets *pid, or an errno value.
 *
 * Why not Foundation's Process: on Linux its run() lists /proc/self/fd by copying each whole
 * `struct dirent` (256-byte name) out of readdir's buffer, which reads past the end of that buffer
 * when an entry sits at a page boundary — a crash whose chance depends on how many descriptors the
 * test process happens to hold (seen in 1 of 5 suite runs). */
int cspawn(const char *path, char *const argv[], char *const envp[], const char *directory, const char *output, pid_t *pid);

/* As cspawn, with stdin from the descriptor `input` (e.g. a pipe's read end; -1: /dev/null) and
 * stderr into `errors` when it is not NULL (else with stdout), for tests that talk to a child on
 * stdin and read its stdout and stderr apart. */
int cspawn_io(const char *path, char *const argv[], char *const envp[], const char *directory, int input,
              const char *output, const char *errors, pid_t *pid);

#endif
