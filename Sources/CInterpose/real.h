/*
 * The real functions behind the layer's wrappers: one list, from which attach.c builds the
 * table (repl_real) and resolves it once. An entry is X(return type, name, (parameters)).
 * A wrapper calls repl_real.name; a new intercepted function is one line here.
 */
#ifndef REPLREC_REAL_H
#define REPLREC_REAL_H

#define REPL_REAL_FUNCTIONS(X)                                                                 \
    /* sync.c */                                                                               \
    X(int, pthread_mutex_lock, (pthread_mutex_t *))                                            \
    X(int, pthread_mutex_trylock, (pthread_mutex_t *))                                         \
    X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))              \
    X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *))   \
    X(int, pthread_cond_clockwait, (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *)) \
    X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                        \
    X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                        \
    X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                                     \
    X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                                     \
    X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))          \
    X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))          \
    X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t, const struct timespec *)) \
    X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t, const struct timespec *)) \
    X(int, pthread_spin_lock, (pthread_spinlock_t *))                                          \
    X(int, pthread_spin_trylock, (pthread_spinlock_t *))                                       \
    X(int, sem_wait, (sem_t *))                                                                \
    X(int, sem_trywait, (sem_t *))                                                             \
    X(int, sem_timedwait, (sem_t *, const struct timespec *))                                  \
    X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))                       \
    X(int, sem_post, (sem_t *))                                                                \
    X(int, pthread_barrier_wait, (pthread_barrier_t *))                                        \
    X(int, pthread_once, (pthread_once_t *, void (*)(void)))                                   \
    X(int, pthread_join, (pthread_t, void **))                                                 \
    X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))   \
    /* time.c */                                                                               \
    X(time_t, time, (time_t *))                                                                \
    X(int, gettimeofday, (struct timeval *, void *))                                           \
    X(int, clock_gettime, (clockid_t, struct timespec *))                                      \
    X(clock_t, clock, (void))                                                                  \
    X(int, nanosleep, (const struct timespec *, struct timespec *))                            \
    X(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *))      \
    X(ssize_t, getrandom, (void *, size_t, unsigned int))                                      \
    X(int, getentropy, (void *, size_t))                                                       \
    X(uint32_t, arc4random, (void))                                                            \
    X(void, arc4random_buf, (void *, size_t))                                                  \
    X(uint32_t, arc4random_uniform, (uint32_t))                                                \
    X(long, syscall, (long, ...))                                                              \
    /* io.c */                                                                                 \
    X(ssize_t, read, (int, void *, size_t))                                                    \
    X(ssize_t, readv, (int, const struct iovec *, int))                                        \
    X(ssize_t, pread, (int, void *, size_t, off_t))                                            \
    X(ssize_t, preadv, (int, const struct iovec *, int, off_t))                                \
    X(ssize_t, recv, (int, void *, size_t, int))                                               \
    X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))           \
    X(ssize_t, recvmsg, (int, struct msghdr *, int))                                           \
    X(int, poll, (struct pollfd *, nfds_t, int))                                               \
    X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))        \
    X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                      \
    X(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *)) \
    X(int, epoll_wait, (int, struct epoll_event *, int, int))                                  \
    X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))               \
    X(ssize_t, write, (int, const void *, size_t))                                             \
    X(ssize_t, writev, (int, const struct iovec *, int))                                       \
    X(ssize_t, pwrite, (int, const void *, size_t, off_t))                                     \
    X(ssize_t, pwritev, (int, const struct iovec *, int, off_t))                               \
    X(ssize_t, send, (int, const void *, size_t, int))                                         \
    X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))   \
    X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                     \
    /* transfer.c */                                                                           \
    X(ssize_t, sendfile, (int, int, off_t *, size_t))                                          \
    X(ssize_t, splice, (int, off64_t *, int, off64_t *, size_t, unsigned int))                 \
    X(ssize_t, tee, (int, int, size_t, unsigned int))                                          \
    X(ssize_t, copy_file_range, (int, off64_t *, int, off64_t *, size_t, unsigned int))        \
    X(ssize_t, vmsplice, (int, const struct iovec *, size_t, unsigned int))                    \
    /* stat.c */                                                                               \
    X(int, fstat, (int, struct stat *))                                                        \
    X(int, __fxstat, (int, int, struct stat *))                                                \
    X(int, isatty, (int))                                                                      \
    /* net.c */                                                                                \
    X(int, accept, (int, struct sockaddr *, socklen_t *))                                      \
    X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                                \
    X(int, connect, (int, const struct sockaddr *, socklen_t))                                 \
    X(int, bind, (int, const struct sockaddr *, socklen_t))                                    \
    X(int, listen, (int, int))                                                                 \
    X(int, getsockname, (int, struct sockaddr *, socklen_t *))                                 \
    X(int, getpeername, (int, struct sockaddr *, socklen_t *))                                 \
    X(int, getsockopt, (int, int, int, void *, socklen_t *))                                   \
    X(int, setsockopt, (int, int, int, const void *, socklen_t))                               \
    /* fd.c */                                                                                 \
    X(int, socket, (int, int, int))                                                            \
    X(int, socketpair, (int, int, int, int[2]))                                                \
    X(int, pipe, (int[2]))                                                                     \
    X(int, pipe2, (int[2], int))                                                               \
    X(int, open, (const char *, int, ...))                                                     \
    X(int, open64, (const char *, int, ...))                                                   \
    X(int, openat, (int, const char *, int, ...))                                              \
    X(int, openat64, (int, const char *, int, ...))                                            \
    X(int, close, (int))                                                                       \
    X(int, dup, (int))                                                                         \
    X(int, dup2, (int, int))                                                                   \
    X(int, dup3, (int, int, int))                                                              \
    X(int, epoll_create, (int))                                                                \
    X(int, epoll_create1, (int))                                                               \
    X(int, fcntl, (int, int, ...))                                                             \
    X(int, fcntl64, (int, int, ...))                                                           \
    X(int, eventfd, (unsigned int, int))                                                       \
    X(int, timerfd_create, (int, int))                                                         \
    X(int, signalfd, (int, const sigset_t *, int))                                             \
    X(int, inotify_init, (void))                                                               \
    X(int, inotify_init1, (int))                                                               \
    X(int, memfd_create, (const char *, unsigned int))                                         \
    /* names.c */                                                                              \
    X(int, access, (const char *, int))                                                        \
    X(int, faccessat, (int, const char *, int, int))                                           \
    X(ssize_t, readlink, (const char *, char *, size_t))                                       \
    X(ssize_t, readlinkat, (int, const char *, char *, size_t))                                \
    X(int, unlink, (const char *))                                                             \
    X(int, unlinkat, (int, const char *, int))                                                 \
    X(int, rename, (const char *, const char *))                                               \
    X(int, renameat, (int, const char *, int, const char *))                                   \
    X(int, renameat2, (int, const char *, int, const char *, unsigned int))                    \
    X(int, mkdir, (const char *, mode_t))                                                      \
    X(int, mkdirat, (int, const char *, mode_t))                                               \
    X(int, rmdir, (const char *))                                                              \
    X(int, link, (const char *, const char *))                                                 \
    X(int, linkat, (int, const char *, int, const char *, int))                                \
    X(int, symlink, (const char *, const char *))                                              \
    X(int, symlinkat, (const char *, int, const char *))                                       \
    /* dir.c */                                                                                \
    X(struct dirent64 *, readdir64, (DIR *))                                                   \
    X(int, closedir, (DIR *))                                                                  \
    /* lock.c */                                                                               \
    X(int, flock, (int, int))                                                                  \
    X(int, lockf, (int, int, off_t))                                                           \
    /* process.c */                                                                            \
    X(pid_t, fork, (void))                                                                     \
    X(int, execve, (const char *, char *const[], char *const[]))                               \
    X(int, execveat, (int, const char *, char *const[], char *const[], int))                   \
    X(int, fexecve, (int, char *const[], char *const[]))                                       \
    X(int, execvpe, (const char *, char *const[], char *const[]))                              \
    X(int, system, (const char *))                                                             \
    X(pid_t, waitpid, (pid_t, int *, int))                                                     \
    X(pid_t, wait4, (pid_t, int *, int, struct rusage *))                                      \
    X(int, waitid, (idtype_t, id_t, siginfo_t *, int))                                         \
    X(void, exit, (int))                                                                       \
    X(void, _exit, (int))                                                                      \
    X(int, posix_spawn, (pid_t *, const char *, const void *, const void *, char *const[], char *const[])) \
    X(int, posix_spawnp, (pid_t *, const char *, const void *, const void *, char *const[], char *const[])) \
    /* signal.c */                                                                             \
    X(int, sigaction, (int, const struct sigaction *, struct sigaction *))                     \
    X(int, sigprocmask, (int, const sigset_t *, sigset_t *))                                   \
    X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *))                               \
    X(int, sigsuspend, (const sigset_t *))                                                     \
    X(int, sigtimedwait, (const sigset_t *, siginfo_t *, const struct timespec *))             \
    /* kill.c */                                                                               \
    X(int, kill, (pid_t, int))                                                                 \
    X(int, killpg, (pid_t, int))                                                               \
    X(int, sigqueue, (pid_t, int, const union sigval))                                         \
    X(int, tgkill, (pid_t, pid_t, int))                                                        \
    X(int, pthread_kill, (pthread_t, int))                                                     \
    /* stream.c */                                                                             \
    X(FILE *, fopen, (const char *, const char *))                                             \
    X(FILE *, fopen64, (const char *, const char *))                                           \
    X(FILE *, fdopen, (int, const char *))                                                     \
    X(FILE *, freopen, (const char *, const char *, FILE *))                                   \
    X(FILE *, freopen64, (const char *, const char *, FILE *))

/* Functions with several symbol versions, resolved with dlvsym: X(return type, field, symbol,
 * version, whether an unversioned lookup may stand in, (parameters)). The condition variables
 * of GLIBC_2.2.5 have another layout than the default GLIBC_2.3.2 ones (see sync.c). */
#define REPL_REAL_VERSIONED(X)                                                                 \
    X(int, pthread_cond_wait, "pthread_cond_wait", "GLIBC_2.3.2", true,                        \
      (pthread_cond_t *, pthread_mutex_t *))                                                   \
    X(int, pthread_cond_timedwait, "pthread_cond_timedwait", "GLIBC_2.3.2", true,              \
      (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))                          \
    X(int, pthread_cond_wait_old, "pthread_cond_wait", "GLIBC_2.2.5", false,                   \
      (pthread_cond_t *, pthread_mutex_t *))                                                   \
    X(int, pthread_cond_timedwait_old, "pthread_cond_timedwait", "GLIBC_2.2.5", false,         \
      (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))

#define REPL_REAL_FIELD(type, name, parameters) type(*name) parameters;
#define REPL_REAL_VERSIONED_FIELD(type, field, symbol, version, fallback, parameters) type(*field) parameters;

/* The table: repl_real.name is the next definition of `name` after this library. */
struct repl_real_table {
    REPL_REAL_FUNCTIONS(REPL_REAL_FIELD)
    REPL_REAL_VERSIONED(REPL_REAL_VERSIONED_FIELD)
};

#undef REPL_REAL_FIELD
#undef REPL_REAL_VERSIONED_FIELD

#endif
