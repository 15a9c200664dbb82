/*
 * Synchronisation: mutexes, condition variables, rwlocks, spinlocks, semaphores, barriers,
 * pthread_once, thread creation and join.
 *
 * Acquire-like (real call first, then the number, R1): every lock, wait, join, once. The
 * number of a lock is therefore taken while holding it; a condition wait's after it returns
 * with the mutex held again. Release-like (number first): sem_post and pthread_create, neither
 * of which blocks. Unlocks and signals are pure releases observed only through an acquire: no
 * number.
 */
#include "interpose.h"

#include <errno.h>
#include <stdlib.h>

#define ENSURE(name)                                                                         \
    do {                                                                                     \
        if (REPL_UNLIKELY(!repl_real.name)) repl_resolve();                                  \
    } while (0)

/* A call whose result is its return value (pthread functions return the error number). */
#define ACQUIRE_RETURNING(kind, name, object, ...)                                           \
    ENSURE(name);                                                                            \
    int result = repl_real.name(__VA_ARGS__);                                                \
    if (repl_active()) repl_record(kind, (uintptr_t)(object), result, 0, NULL, 0);           \
    return result

/* A call that returns -1 and sets errno (semaphores). */
#define ACQUIRE_ERRNO(kind, name, object, ...)                                               \
    ENSURE(name);                                                                            \
    int result = repl_real.name(__VA_ARGS__);                                                \
    if (repl_active()) repl_record(kind, (uintptr_t)(object), result, result ? errno : 0, NULL, 0); \
    return result

REPL_EXPORT int pthread_mutex_lock(pthread_mutex_t *m) { ACQUIRE_RETURNING(REPL_MUTEX_LOCK, pthread_mutex_lock, m, m); }
REPL_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m) { ACQUIRE_RETURNING(REPL_MUTEX_TRYLOCK, pthread_mutex_trylock, m, m); }
REPL_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t) {
    ACQUIRE_RETURNING(REPL_MUTEX_TIMEDLOCK, pthread_mutex_timedlock, m, m, t);
}

/* Condition variables come in two symbol versions: GLIBC_2.3.2 (the default) and GLIBC_2.2.5
 * (old binaries; their condition variables have another layout). Each version gets a wrapper
 * of its own that calls the same version in libc (libreplintercept.map declares the versions). */
__asm__(".symver repl_cond_wait_new, pthread_cond_wait@@GLIBC_2.3.2");
__asm__(".symver repl_cond_wait_old, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver repl_cond_timedwait_new, pthread_cond_timedwait@@GLIBC_2.3.2");
__asm__(".symver repl_cond_timedwait_old, pthread_cond_timedwait@GLIBC_2.2.5");

REPL_EXPORT int repl_cond_wait_new(pthread_cond_t *c, pthread_mutex_t *m) {
    ACQUIRE_RETURNING(REPL_COND_WAIT, pthread_cond_wait, c, c, m);
}
REPL_EXPORT int repl_cond_timedwait_new(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t) {
    ACQUIRE_RETURNING(REPL_COND_TIMEDWAIT, pthread_cond_timedwait, c, c, m, t);
}
REPL_EXPORT int repl_cond_wait_old(pthread_cond_t *c, pthread_mutex_t *m) {
    ACQUIRE_RETURNING(REPL_COND_WAIT, pthread_cond_wait_old, c, c, m);
}
REPL_EXPORT int repl_cond_timedwait_old(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t) {
    ACQUIRE_RETURNING(REPL_COND_TIMEDWAIT, pthread_cond_timedwait_old, c, c, m, t);
}

REPL_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l) { ACQUIRE_RETURNING(REPL_RWLOCK_RDLOCK, pthread_rwlock_rdlock, l, l); }
REPL_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l) { ACQUIRE_RETURNING(REPL_RWLOCK_WRLOCK, pthread_rwlock_wrlock, l, l); }
REPL_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) { ACQUIRE_RETURNING(REPL_RWLOCK_TRYRDLOCK, pthread_rwlock_tryrdlock, l, l); }
REPL_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l) { ACQUIRE_RETURNING(REPL_RWLOCK_TRYWRLOCK, pthread_rwlock_trywrlock, l, l); }
REPL_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *t) {
    ACQUIRE_RETURNING(REPL_RWLOCK_TIMEDRDLOCK, pthread_rwlock_timedrdlock, l, l, t);
}
REPL_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *t) {
    ACQUIRE_RETURNING(REPL_RWLOCK_TIMEDWRLOCK, pthread_rwlock_timedwrlock, l, l, t);
}

REPL_EXPORT int pthread_spin_lock(pthread_spinlock_t *l) { ACQUIRE_RETURNING(REPL_SPIN_LOCK, pthread_spin_lock, l, l); }
REPL_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l) { ACQUIRE_RETURNING(REPL_SPIN_TRYLOCK, pthread_spin_trylock, l, l); }

REPL_EXPORT int sem_wait(sem_t *s) { ACQUIRE_ERRNO(REPL_SEM_WAIT, sem_wait, s, s); }
REPL_EXPORT int sem_trywait(sem_t *s) { ACQUIRE_ERRNO(REPL_SEM_TRYWAIT, sem_trywait, s, s); }
REPL_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t) { ACQUIRE_ERRNO(REPL_SEM_TIMEDWAIT, sem_timedwait, s, s, t); }

REPL_EXPORT int sem_post(sem_t *s) {
    ENSURE(sem_post);
    if (!repl_active()) return repl_real.sem_post(s);
    repl_self.depth++;
    uint64_t sequence = repl_take();  /* release-like: numbered before the post */
    int result = repl_real.sem_post(s);
    int error = result ? errno : 0;
    repl_publish(sequence, REPL_SEM_POST, (uintptr_t)s, result, error, NULL, 0);
    repl_self.depth--;
    errno = error ? error : errno;
    return result;
}

REPL_EXPORT int pthread_barrier_wait(pthread_barrier_t *b) { ACQUIRE_RETURNING(REPL_BARRIER_WAIT, pthread_barrier_wait, b, b); }
REPL_EXPORT int pthread_once(pthread_once_t *o, void (*init)(void)) { ACQUIRE_RETURNING(REPL_ONCE, pthread_once, o, o, init); }

REPL_EXPORT int pthread_join(pthread_t thread, void **value) {
    ACQUIRE_RETURNING(REPL_THREAD_JOIN, pthread_join, 0, thread, value);
}

/* ---- thread creation ------------------------------------------------------------------- */

struct thread_start {
    void *(*routine)(void *);
    void *argument;
    uint32_t thread;
};

static void *thread_trampoline(void *raw) {
    struct thread_start start = *(struct thread_start *)raw;
    free(raw);
    repl_self.thread = start.thread;
    repl_self.area = REPL_NO_AREA;
    repl_self.depth = 0;
    atomic_fetch_add_explicit(&repl_region->threads_started, 1, memory_order_relaxed);
    return start.routine(start.argument);
}

REPL_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*routine)(void *), void *argument) {
    ENSURE(pthread_create);
    if (!repl_active()) return repl_real.pthread_create(thread, attr, routine, argument);
    struct thread_start *start = malloc(sizeof *start);
    if (!start) return EAGAIN;
    repl_self.depth++;
    /* Release-like: the new thread can observe what came before; its logical id is the
     * creation's sequence number (R3). */
    uint64_t sequence = repl_take();
    *start = (struct thread_start){routine, argument, (uint32_t)sequence};
    int result = repl_real.pthread_create(thread, attr, thread_trampoline, start);
    if (result != 0) free(start);
    repl_publish(sequence, REPL_THREAD_CREATE, (uint32_t)sequence, result, 0, NULL, 0);
    repl_self.depth--;
    return result;
}
