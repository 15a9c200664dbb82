/* System calls the tools need that Swift cannot call directly (variadic or macro-heavy). */
#ifndef REPLREC_PROCESS_SHIMS_H
#define REPLREC_PROCESS_SHIMS_H

#include <spawn.h>

#include <linux/memfd.h>
#include <signal.h>
#include <stddef.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* An anonymous shared-memory file (the region): it goes away with the last process that maps
 * it or holds it open, whatever kills them. */
static inline int replrec_memfd(const char *name) {
    return (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);  /* no _GNU_SOURCE: it would change fd_set's shape */
}

/* Turns address-space randomisation off for the programs this process starts. */
static inline int replrec_disable_aslr(void) {
    int current = personality(0xffffffff);
    if (current == -1) return -1;
    return personality((unsigned long)current | ADDR_NO_RANDOMIZE) == -1 ? -1 : 0;
}

/* Orphaned descendants are re-parented to this process, so it sees the whole tree exit. */
static inline int replrec_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* Whether `sig` is ignored in this process (ignored signals stay ignored across exec). */
static inline int replrec_is_ignored(int sig) {
    struct sigaction current;
    if (sigaction(sig, NULL, &current) != 0) return 0;
    return current.sa_handler == SIG_IGN;
}

/* glibc 2.29+; declared here because _GNU_SOURCE would change the system headers this module
 * shares with Swift's Glibc module. */
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *__restrict actions,
                                                const char *__restrict path);

/* Starts a spawned program in `directory`. */
static inline int replrec_spawn_chdir(posix_spawn_file_actions_t *actions, const char *directory) {
    return posix_spawn_file_actions_addchdir_np(actions, directory);
}

static inline int replrec_exited(int status) { return WIFEXITED(status); }
static inline int replrec_exit_status(int status) { return WEXITSTATUS(status); }
static inline int replrec_signaled(int status) { return WIFSIGNALED(status); }
static inline int replrec_term_signal(int status) { return WTERMSIG(status); }

#endif
