#define _GNU_SOURCE
#include "cspawn.h"
#include <fcntl.h>
#include <spawn.h>

int cspawn(const char *path, char *const argv[], char *const envp[], const char *directory, const char *output, pid_t *pid) {
    return cspawn_io(path, argv, envp, directory, -1, output, NULL, pid);
}

int cspawn_io(const char *path, char *const argv[], char *const envp[], const char *directory, int input,
              const char *output, const char *errors, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    if (input >= 0) rc = posix_spawn_file_actions_adddup2(&actions, input, 0);
    else rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (rc == 0) {
        if (errors != NULL) rc = posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_APPEND, 0600);
        else rc = posix_spawn_file_actions_adddup2(&actions, 1, 2);
    }
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (rc == 0 && directory != NULL) rc = posix_spawn_file_actions_addchdir_np(&actions, directory);
    if (rc == 0) rc = posix_spawn(pid, path, &actions, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}
