/*
 * The layer's own system calls. They go straight to the kernel, never through a symbol: the
 * layer exports `syscall` itself (time.c), and a call from inside would come back through that
 * wrapper. They return -errno on failure and leave the program's errno alone.
 */
#ifndef REPLREC_RAW_H
#define REPLREC_RAW_H

#if !defined(__x86_64__)
#error "libreplintercept.so makes raw system calls for x86-64 only"
#endif

#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

static inline long repl_raw_syscall6(long number, long a, long b, long c, long d, long e, long f) {
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return result;
}

#define REPL_SYSCALL_PADDED(number, a, b, c, d, e, f, ...)                                     \
    repl_raw_syscall6((long)(number), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* repl_syscall(SYS_name, arguments...): up to six arguments. */
#define repl_syscall(...) REPL_SYSCALL_PADDED(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

/* CLOCK_MONOTONIC in nanoseconds, through the kernel (the layer's own timing, never the
 * program's clock, which the layer records). */
static inline uint64_t repl_monotonic_ns(void) {
    struct timespec now;
    repl_syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

#endif
