/*
 * Synchronisation: mutexes, condition variables, rwlocks, spinlocks, semaphores, barriers,
 * pthread_once, thread creation and join; the timed waits in both forms, on CLOCK_REALTIME
 * (*timed*) and on a clock of the caller's choice (*clock*, glibc 2.30 on).
 *
 * At replay the kind of each call is checked against the log, not the object's address: glibc
 * gives threads malloc arenas in an order that depends on timing, so a heap-allocated lock can
 * sit at another address in a replay that is otherwise exact.
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

/* Replay of a blocking acquire: its turn first, then the real call (it may wait briefly on a
 * holder, who releases without a turn), then the next turn. */
#define REPLAY_TURN_THEN_REAL(kind, name, object, ...)                                       \
    if (repl_replaying()) {                                                                  \
        REPL_GUARD();                                                                         \
        repl_slot *slot = repl_turn(kind, (uintptr_t)(object), false);                        \
        int real_result = repl_real.name(__VA_ARGS__);                                       \
        if (slot) repl_turn_done(slot);                                                      \
        return real_result;                                                                  \
    }

/* Records a call whose result is its return value (pthread functions return the error number). */
#define RECORD_RETURNING(kind, name, object, ...)                                            \
    if (REPL_UNLIKELY(repl_chaos)) repl_chaos_pause();                                       \
    int result = repl_real.name(__VA_ARGS__);                                                \
    if (repl_active()) repl_record(kind, (uintptr_t)(object), result, 0, NULL, 0);           \
    return result

/* A blocking acquire whose result is its return value. */
#define ACQUIRE_RETURNING(kind, name, object, ...)                                           \
    ENSURE(name);                                                                            \
    REPLAY_TURN_THEN_REAL(kind, name, object, __VA_ARGS__)                                   \
    RECORD_RETURNING(kind, name, object, __VA_ARGS__)

/* A call that returns -1 and sets errno (semaphores). */
#define ACQUIRE_ERRNO(kind, name, object, ...)                                               \
    ENSURE(name);                                                                            \
    REPLAY_TURN_THEN_REAL(kind, name, object, __VA_ARGS__)                                   \
    int result = repl_real.name(__VA_ARGS__);                                                \
    if (repl_active()) repl_record(kind, (uintptr_t)(object), result, result ? errno : 0, NULL, 0); \
    return result

/* Replay of a try or timed acquire: the recorded outcome. When the recorded call got the lock,
 * so does the replayed one (blocking: the holder releases without a turn). */
#define REPLAY_OUTCOME(kind, object, acquire)                                                \
    if (repl_replaying()) {                                                                  \
        REPL_GUARD();                                                                         \
        repl_slot *slot = repl_turn(kind, (uintptr_t)(object), false);                        \
        if (slot) {                                                                          \
            int outcome = (int)repl_turn_result(slot);                                       \
            if (outcome == 0) acquire;                                                       \
            repl_turn_done(slot);                                                            \
            return outcome;                                                                  \
        }                                                                                    \
    }

REPL_EXPORT int pthread_mutex_lock(pthread_mutex_t *m) { ACQUIRE_RETURNING(REPL_MUTEX_LOCK, pthread_mutex_lock, m, m); }
REPL_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m) {
    ENSURE(pthread_mutex_lock);
    REPLAY_OUTCOME(REPL_MUTEX_TRYLOCK, m, repl_real.pthread_mutex_lock(m));
    ACQUIRE_RETURNING(REPL_MUTEX_TRYLOCK, pthread_mutex_trylock, m, m);
}
REPL_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t) {
    ENSURE(pthread_mutex_lock);
    REPLAY_OUTCOME(REPL_MUTEX_TIMEDLOCK, m, repl_real.pthread_mutex_lock(m));
    ACQUIRE_RETURNING(REPL_MUTEX_TIMEDLOCK, pthread_mutex_timedlock, m, m, t);
}
REPL_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *t) {
    ENSURE(pthread_mutex_lock);
    REPLAY_OUTCOME(REPL_MUTEX_CLOCKLOCK, m, repl_real.pthread_mutex_lock(m));
    ACQUIRE_RETURNING(REPL_MUTEX_CLOCKLOCK, pthread_mutex_clocklock, m, m, clock, t);
}

/* Condition variables come in two symbol versions: GLIBC_2.3.2 (the default) and GLIBC_2.2.5
 * (old binaries; their condition variables have another layout). Each version gets a wrapper
 * of its own that calls the same version in libc (libreplintercept.map declares the versions). */
__asm__(".symver repl_cond_wait_new, pthread_cond_wait@@GLIBC_2.3.2");
__asm__(".symver repl_cond_wait_old, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver repl_cond_timedwait_new, pthread_cond_timedwait@@GLIBC_2.3.2");
__asm__(".symver repl_cond_timedwait_old, pthread_cond_timedwait@GLIBC_2.2.5");

/* Replay of a condition wait: release the mutex, wait for the turn, take the mutex again.
 * POSIX allows the spurious wake-up this looks like; the recorded result is returned. */
#define REPLAY_COND(kind, name, c, m)                                                        \
    ENSURE(name);                                                                            \
    ENSURE(pthread_mutex_lock);                                                              \
    if (repl_replaying()) {                                                                  \
        pthread_mutex_unlock(m);                                                             \
        REPL_GUARD();                                                                         \
        repl_slot *slot = repl_turn(kind, (uintptr_t)(c), false);                             \
        repl_real.pthread_mutex_lock(m);                                                     \
        if (!slot) return 0;                                                                 \
        int outcome = (int)slot->call.result;                                                     \
        repl_turn_done(slot);                                                                \
        return outcome;                                                                      \
    }

REPL_EXPORT int repl_cond_wait_new(pthread_cond_t *c, pthread_mutex_t *m) {
    REPLAY_COND(REPL_COND_WAIT, pthread_cond_wait, c, m)
    RECORD_RETURNING(REPL_COND_WAIT, pthread_cond_wait, c, c, m);
}
REPL_EXPORT int repl_cond_timedwait_new(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t) {
    REPLAY_COND(REPL_COND_TIMEDWAIT, pthread_cond_timedwait, c, m)
    RECORD_RETURNING(REPL_COND_TIMEDWAIT, pthread_cond_timedwait, c, c, m, t);
}
REPL_EXPORT int repl_cond_wait_old(pthread_cond_t *c, pthread_mutex_t *m) {
    REPLAY_COND(REPL_COND_WAIT, pthread_cond_wait_old, c, m)
    RECORD_RETURNING(REPL_COND_WAIT, pthread_cond_wait_old, c, c, m);
}
REPL_EXPORT int repl_cond_timedwait_old(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t) {
    REPLAY_COND(REPL_COND_TIMEDWAIT, pthread_cond_timedwait_old, c, m)
    RECORD_RETURNING(REPL_COND_TIMEDWAIT, pthread_cond_timedwait_old, c, c, m, t);
}

/* Only in the default condition variable layout (glibc 2.30 on). */
REPL_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock, const struct timespec *t) {
    REPLAY_COND(REPL_COND_CLOCKWAIT, pthread_cond_clockwait, c, m)
    RECORD_RETURNING(REPL_COND_CLOCKWAIT, pthread_cond_clockwait, c, c, m, clock, t);
}

REPL_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l) { ACQUIRE_RETURNING(REPL_RWLOCK_RDLOCK, pthread_rwlock_rdlock, l, l); }
REPL_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l) { ACQUIRE_RETURNING(REPL_RWLOCK_WRLOCK, pthread_rwlock_wrlock, l, l); }
REPL_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) {
    ENSURE(pthread_rwlock_rdlock);
    REPLAY_OUTCOME(REPL_RWLOCK_TRYRDLOCK, l, repl_real.pthread_rwlock_rdlock(l));
    ACQUIRE_RETURNING(REPL_RWLOCK_TRYRDLOCK, pthread_rwlock_tryrdlock, l, l);
}
REPL_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l) {
    ENSURE(pthread_rwlock_wrlock);
    REPLAY_OUTCOME(REPL_RWLOCK_TRYWRLOCK, l, repl_real.pthread_rwlock_wrlock(l));
    ACQUIRE_RETURNING(REPL_RWLOCK_TRYWRLOCK, pthread_rwlock_trywrlock, l, l);
}
REPL_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *t) {
    ENSURE(pthread_rwlock_rdlock);
    REPLAY_OUTCOME(REPL_RWLOCK_TIMEDRDLOCK, l, repl_real.pthread_rwlock_rdlock(l));
    ACQUIRE_RETURNING(REPL_RWLOCK_TIMEDRDLOCK, pthread_rwlock_timedrdlock, l, l, t);
}
REPL_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *t) {
    ENSURE(pthread_rwlock_wrlock);
    REPLAY_OUTCOME(REPL_RWLOCK_TIMEDWRLOCK, l, repl_real.pthread_rwlock_wrlock(l));
    ACQUIRE_RETURNING(REPL_RWLOCK_TIMEDWRLOCK, pthread_rwlock_timedwrlock, l, l, t);
}

REPL_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *t) {
    ENSURE(pthread_rwlock_rdlock);
    REPLAY_OUTCOME(REPL_RWLOCK_CLOCKRDLOCK, l, repl_real.pthread_rwlock_rdlock(l));
    ACQUIRE_RETURNING(REPL_RWLOCK_CLOCKRDLOCK, pthread_rwlock_clockrdlock, l, l, clock, t);
}
REPL_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock, const struct timespec *t) {
    ENSURE(pthread_rwlock_wrlock);
    REPLAY_OUTCOME(REPL_RWLOCK_CLOCKWRLOCK, l, repl_real.pthread_rwlock_wrlock(l));
    ACQUIRE_RETURNING(REPL_RWLOCK_CLOCKWRLOCK, pthread_rwlock_clockwrlock, l, l, clock, t);
}

REPL_EXPORT int pthread_spin_lock(pthread_spinlock_t *l) { ACQUIRE_RETURNING(REPL_SPIN_LOCK, pthread_spin_lock, l, l); }
REPL_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l) {
    ENSURE(pthread_spin_lock);
    REPLAY_OUTCOME(REPL_SPIN_TRYLOCK, l, repl_real.pthread_spin_lock(l));
    ACQUIRE_RETURNING(REPL_SPIN_TRYLOCK, pthread_spin_trylock, l, l);
}

/* Semaphores report failure as -1 and errno; a recorded success takes the token for real. */
REPL_EXPORT int sem_wait(sem_t *s) { ACQUIRE_ERRNO(REPL_SEM_WAIT, sem_wait, s, s); }
REPL_EXPORT int sem_trywait(sem_t *s) {
    ENSURE(sem_wait);
    REPLAY_OUTCOME(REPL_SEM_TRYWAIT, s, repl_real.sem_wait(s));
    ACQUIRE_ERRNO(REPL_SEM_TRYWAIT, sem_trywait, s, s);
}
REPL_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t) {
    ENSURE(sem_wait);
    REPLAY_OUTCOME(REPL_SEM_TIMEDWAIT, s, repl_real.sem_wait(s));
    ACQUIRE_ERRNO(REPL_SEM_TIMEDWAIT, sem_timedwait, s, s, t);
}

REPL_EXPORT int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *t) {
    ENSURE(sem_wait);
    REPLAY_OUTCOME(REPL_SEM_CLOCKWAIT, s, repl_real.sem_wait(s));
    ACQUIRE_ERRNO(REPL_SEM_CLOCKWAIT, sem_clockwait, s, s, clock, t);
}

REPL_EXPORT int sem_post(sem_t *s) {
    ENSURE(sem_post);
    if (repl_replaying()) {  /* release-like: the turn, then the effect */
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_SEM_POST, (uintptr_t)s, false);
        if (slot) repl_turn_done(slot);
        return repl_real.sem_post(s);
    }
    if (!repl_active()) return repl_real.sem_post(s);
    int result, error;
    {
        REPL_GUARD();
        uint64_t sequence = repl_take(REPL_SEM_POST);  /* release-like: numbered before the post */
        result = repl_real.sem_post(s);
        error = result ? errno : 0;
        repl_publish(sequence, REPL_SEM_POST, (uintptr_t)s, result, error, NULL, 0);
    }
    if (error) errno = error;
    return result;
}

/* Replay of calls whose effect needs other threads to make progress first (all of a barrier's
 * threads arriving, a joined thread finishing, pthread_once's initialiser running): the real
 * call, then the turn; the recorded result is returned. */
#define REPLAY_EFFECT_THEN_TURN(kind, object, real_call)                                          \
    if (repl_replaying()) {                                                                  \
        int real_result = (real_call);                                                            \
        REPL_GUARD();                                                                         \
        repl_slot *slot = repl_turn(kind, (uintptr_t)(object), false);                        \
        if (!slot) return real_result;                                                       \
        int outcome = (int)slot->call.result;                                                     \
        repl_turn_done(slot);                                                                \
        return outcome;                                                                      \
    }

REPL_EXPORT int pthread_barrier_wait(pthread_barrier_t *b) {
    ENSURE(pthread_barrier_wait);
    REPLAY_EFFECT_THEN_TURN(REPL_BARRIER_WAIT, b, repl_real.pthread_barrier_wait(b));
    RECORD_RETURNING(REPL_BARRIER_WAIT, pthread_barrier_wait, b, b);
}

REPL_EXPORT int pthread_once(pthread_once_t *o, void (*init)(void)) {
    ENSURE(pthread_once);
    REPLAY_EFFECT_THEN_TURN(REPL_ONCE, o, repl_real.pthread_once(o, init));
    RECORD_RETURNING(REPL_ONCE, pthread_once, o, o, init);
}

/* At replay the join waits in slices: a signal the joining thread took during its wait on the
 * primary is its turn while the joined thread still runs, and must not wait for the join. */
static int join_taking_signals(pthread_t thread, void **value) {
    for (;;) {
        struct timespec deadline;
        repl_real.clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += 2 * 1000 * 1000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
        int result = pthread_timedjoin_np(thread, value, &deadline);
        if (result != ETIMEDOUT) return result;
        repl_take_signal_turns(false, NULL, false);
    }
}

REPL_EXPORT int pthread_join(pthread_t thread, void **value) {
    ENSURE(pthread_join);
    REPLAY_EFFECT_THEN_TURN(REPL_THREAD_JOIN, 0, join_taking_signals(thread, value));
    RECORD_RETURNING(REPL_THREAD_JOIN, pthread_join, 0, thread, value);
}

/* ---- thread creation ------------------------------------------------------------------- */

struct thread_start {
    void *(*routine)(void *);
    void *argument;
    uint32_t thread;
};

static void *thread_trampoline(void *raw) {
    struct thread_start start = *(struct thread_start *)raw;
    repl_self.thread = start.thread;
    repl_self.area = REPL_NO_AREA;
    free(raw);  /* once the thread has its identity: the allocator may take sequenced locks */
    if (!repl_replay_mode) atomic_fetch_add_explicit(&repl_region->threads_started, 1, memory_order_relaxed);
    return start.routine(start.argument);
}

REPL_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*routine)(void *), void *argument) {
    ENSURE(pthread_create);
    if (repl_replaying()) {
        /* Allocated before the turn, as at record, so that the allocator's own locking is
         * sequenced the same way in both modes. */
        struct thread_start *start = malloc(sizeof *start);
        if (!start) return EAGAIN;
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_THREAD_CREATE, 0, false);
        if (!slot) {
            free(start);
            return repl_real.pthread_create(thread, attr, routine, argument);
        }
        /* The new thread's logical id is this turn's sequence number, as at record. */
        *start = (struct thread_start){routine, argument, (uint32_t)repl_turn_sequence(slot)};
        int result = repl_real.pthread_create(thread, attr, thread_trampoline, start);
        if (result != 0) free(start);
        repl_turn_done(slot);
        return result;
    }
    if (!repl_active()) return repl_real.pthread_create(thread, attr, routine, argument);
    struct thread_start *start = malloc(sizeof *start);
    if (!start) return EAGAIN;
    REPL_GUARD();
    /* Release-like: the new thread can observe what came before; its logical id is the
     * creation's sequence number (R3). */
    uint64_t sequence = repl_take(REPL_THREAD_CREATE);
    *start = (struct thread_start){routine, argument, (uint32_t)sequence};
    int result = repl_real.pthread_create(thread, attr, thread_trampoline, start);
    if (result != 0) free(start);
    repl_publish(sequence, REPL_THREAD_CREATE, (uint32_t)sequence, result, 0, NULL, 0);
    return result;
}
