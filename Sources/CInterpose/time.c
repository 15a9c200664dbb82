/*
 * Clocks, sleeps and randomness: time, gettimeofday, clock_gettime (every clock), clock,
 * nanosleep, clock_nanosleep, usleep, sleep, getrandom, getentropy, arc4random*. All
 * acquire-like: the real call, then the number, with the value the program saw as the payload
 * (or the result). Reads of /dev/urandom are input (io.c). At replay the recorded values are
 * returned and the real call is not made: a sleep returns its recorded outcome at its turn,
 * without waiting for real time to pass. A signal that cut a sleep short at record replays
 * there too: its delivery is the turn before the sleep's, whose outcome is EINTR and the time
 * left.
 */
#include "interpose.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/time.h>

REPL_EXPORT time_t time(time_t *out) {
    ENSURE(time);
    if (repl_replaying()) {
        int64_t recorded;
        if (repl_replay_outcome(REPL_TIME, 0, true, NULL, 0, &recorded)) {
            if (out) *out = (time_t)recorded;
            return (time_t)recorded;
        }
    }
    time_t result = repl_real.time(out);
    if (repl_active()) repl_record(REPL_TIME, 0, result, 0, NULL, 0);
    return result;
}

REPL_EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    ENSURE(gettimeofday);
    REPLAY_RECORDED(REPL_GETTIMEOFDAY, 0, tv, sizeof *tv, int);
    int result = repl_real.gettimeofday(tv, tz);
    if (repl_active()) repl_record(REPL_GETTIMEOFDAY, 0, result, result ? errno : 0, tv, !result ? sizeof *tv : 0);
    return result;
}

REPL_EXPORT int clock_gettime(clockid_t clock, struct timespec *ts) {
    ENSURE(clock_gettime);
    REPLAY_RECORDED(REPL_CLOCK_GETTIME, (uint64_t)(uint32_t)clock, ts, sizeof *ts, int);
    int result = repl_real.clock_gettime(clock, ts);
    if (repl_active())
        repl_record(REPL_CLOCK_GETTIME, (uint64_t)(uint32_t)clock, result, result ? errno : 0, ts, !result ? sizeof *ts : 0);
    return result;
}

REPL_EXPORT clock_t clock(void) {
    ENSURE(clock);
    REPLAY_RECORDED(REPL_CLOCK, 0, NULL, 0, clock_t);
    clock_t result = repl_real.clock();
    if (repl_active()) repl_record(REPL_CLOCK, 0, result, 0, NULL, 0);
    return result;
}

/* The time left, as the payload of a sleep that a signal cut short. */
static size_t time_left(int interrupted, const struct timespec *left) {
    return interrupted && left ? sizeof *left : 0;
}

REPL_EXPORT int nanosleep(const struct timespec *duration, struct timespec *left) {
    ENSURE(nanosleep);
    struct timespec ignored;
    REPLAY_RECORDED(REPL_SLEEP, 0, left ? left : &ignored, sizeof ignored, int);
    int result = repl_real.nanosleep(duration, left);
    if (repl_active())
        repl_record(REPL_SLEEP, 0, result, result ? errno : 0, left, time_left(result != 0 && errno == EINTR, left));
    return result;
}

/* Returns an error number, not -1 and errno. */
REPL_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *duration, struct timespec *left) {
    ENSURE(clock_nanosleep);
    uint64_t resource = (uint64_t)(uint32_t)clock | (uint64_t)(uint32_t)flags << 32;
    struct timespec ignored;
    REPLAY_RECORDED(REPL_SLEEP, resource, left ? left : &ignored, sizeof ignored, int);
    int result = repl_real.clock_nanosleep(clock, flags, duration, left);
    if (repl_active())
        repl_record(REPL_SLEEP, resource, result, 0, left, time_left(result == EINTR && !(flags & TIMER_ABSTIME), left));
    return result;
}

/* glibc makes these with its own nanosleep, out of the layer's sight: as glibc does, through
 * the wrapper above. */
REPL_EXPORT int usleep(useconds_t microseconds) {
    struct timespec duration = {(time_t)(microseconds / 1000000), (long)(microseconds % 1000000) * 1000};
    return nanosleep(&duration, NULL);
}

REPL_EXPORT unsigned int sleep(unsigned int seconds) {
    struct timespec duration = {(time_t)seconds, 0}, left;
    if (nanosleep(&duration, &left) == 0) return 0;
    return (unsigned int)left.tv_sec + (left.tv_nsec >= 500000000L);
}

/* Random bytes at replay: the recorded ones, never more than the buffer holds (a damaged log). */
static inline __attribute__((always_inline)) bool replay_random(uint16_t kind, uint64_t resource, void *buffer, size_t length,
                                                               int64_t most, int64_t *result) {
    struct repl_piece piece = {buffer, length};
    return repl_replaying() && repl_replay_input(kind, resource, &piece, 1, most, result);
}

REPL_EXPORT ssize_t getrandom(void *buffer, size_t length, unsigned int flags) {
    ENSURE(getrandom);
    int64_t recorded;
    if (replay_random(REPL_GETRANDOM, flags, buffer, length, (int64_t)length, &recorded)) return (ssize_t)recorded;
    ssize_t result = repl_real.getrandom(buffer, length, flags);
    if (repl_active()) repl_record(REPL_GETRANDOM, flags, result, result < 0 ? errno : 0, buffer, result > 0 ? (size_t)result : 0);
    return result;
}

REPL_EXPORT int getentropy(void *buffer, size_t length) {
    ENSURE(getentropy);
    int64_t recorded;
    if (replay_random(REPL_GETENTROPY, 0, buffer, length, 0, &recorded)) return (int)recorded;
    int result = repl_real.getentropy(buffer, length);
    if (repl_active()) repl_record(REPL_GETENTROPY, 0, result, result ? errno : 0, buffer, result == 0 ? length : 0);
    return result;
}

REPL_EXPORT uint32_t arc4random(void) {
    ENSURE(arc4random);
    REPLAY_RECORDED(REPL_ARC4RANDOM, 0, NULL, 0, uint32_t);
    uint32_t result = repl_real.arc4random();
    if (repl_active()) repl_record(REPL_ARC4RANDOM, 0, result, 0, NULL, 0);
    return result;
}

REPL_EXPORT void arc4random_buf(void *buffer, size_t length) {
    ENSURE(arc4random_buf);
    if (repl_replaying()) {
        struct repl_piece piece = {buffer, length};
        int64_t recorded;
        if (repl_replay_outcome(REPL_ARC4RANDOM, 1, true, &piece, 1, &recorded)) return;
    }
    repl_real.arc4random_buf(buffer, length);
    if (repl_active()) repl_record(REPL_ARC4RANDOM, 1, 0, 0, buffer, length);
}

REPL_EXPORT uint32_t arc4random_uniform(uint32_t bound) {
    ENSURE(arc4random_uniform);
    REPLAY_RECORDED(REPL_ARC4RANDOM, 2, NULL, 0, uint32_t);
    uint32_t result = repl_real.arc4random_uniform(bound);
    if (repl_active()) repl_record(REPL_ARC4RANDOM, 2, result, 0, NULL, 0);
    return result;
}

/* System calls programs make with syscall(2) that the layer records reach their wrappers:
 * random bytes (OpenSSL asks the kernel that way), identities, and signals to other processes.
 * Every other system call passes through untouched. */
REPL_EXPORT long syscall(long number, ...) {
    va_list arguments;
    va_start(arguments, number);
    long a = va_arg(arguments, long), b = va_arg(arguments, long), c = va_arg(arguments, long);
    long d = va_arg(arguments, long), e = va_arg(arguments, long), f = va_arg(arguments, long);
    va_end(arguments);
    if (repl_active() || repl_replaying()) {
        switch (number) {
        case SYS_getrandom: return getrandom((void *)a, (size_t)b, (unsigned int)c);
        case SYS_getpid: return getpid();
        case SYS_getppid: return getppid();
        case SYS_gettid: return gettid();
        case SYS_kill: return kill((pid_t)a, (int)b);
        case SYS_tgkill: return tgkill((pid_t)a, (pid_t)b, (int)c);
        }
    }
    ENSURE(syscall);
    return repl_real.syscall(number, a, b, c, d, e, f);
}
