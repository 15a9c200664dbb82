/*
 * Output commit (record): a write to a socket waits until every message numbered before it is
 * in the log file, so that a backup that goes live knows everything the primary's clients were
 * told. The thread raises commit_wanted and wakes the recorder, spins briefly (a frame write
 * takes some microseconds), then sleeps on commit_word until `committed` covers it.
 */
#include "interpose.h"

REPL_NO_HEAP

/* How far this thread's outputs are covered: what was committed for its last socket write,
 * extended by its own writes' messages when nothing else was numbered in between (a server that
 * answers several clients in a row waits once). */
static REPL_TLS uint64_t output_mark;

void repl_note_output(void) {
    repl_shared *r = repl_region;
    if (r->output_commit && atomic_load_explicit(&r->next_sequence, memory_order_relaxed) == output_mark + 1) output_mark++;
}

static bool committed_through(repl_shared *r, uint64_t sequence) {
    return atomic_load_explicit(&r->committed, memory_order_acquire) >= sequence;
}

static void want_commit(repl_shared *r, uint64_t upto) {
    uint64_t wanted = atomic_load_explicit(&r->commit_wanted, memory_order_relaxed);
    while (wanted < upto && !atomic_compare_exchange_weak_explicit(&r->commit_wanted, &wanted, upto, memory_order_release,
                                                                   memory_order_relaxed)) {
    }
    repl_wake_recorder(r);
}

/* Sleeps until `upto` is committed; gives up after about two seconds, since a number whose
 * process died before publishing it never arrives. */
static void sleep_until_committed(repl_shared *r, uint64_t upto) {
    atomic_fetch_add_explicit(&r->commit_waiters, 1, memory_order_acq_rel);
    for (unsigned round = 0; round <= 1000; round++) {
        uint32_t word = atomic_load_explicit(&r->commit_word, memory_order_acquire);
        atomic_thread_fence(memory_order_seq_cst);  /* pairs with repl_set_committed */
        if (committed_through(r, upto)) break;
        struct timespec timeout = {0, 2 * 1000 * 1000};
        repl_syscall(SYS_futex, &r->commit_word, FUTEX_WAIT, word, &timeout, NULL, 0);
        if ((round & 63) == 63) repl_check_tool();
    }
    atomic_fetch_sub_explicit(&r->commit_waiters, 1, memory_order_acq_rel);
}

void repl_commit_output(void) {
    repl_shared *r = repl_region;
    if (!r->output_commit) return;
    atomic_fetch_add_explicit(&r->commit_writes, 1, memory_order_relaxed);
    uint64_t upto = atomic_load_explicit(&r->next_sequence, memory_order_acquire);
    if (upto <= output_mark || committed_through(r, upto)) return;
    uint64_t started = repl_monotonic_ns();  /* a system call: nothing beside a wait for the log */
    want_commit(r, upto);
    unsigned spin = 0;
    while (!committed_through(r, upto) && spin++ < 2048) __builtin_ia32_pause();
    if (!committed_through(r, upto)) sleep_until_committed(r, upto);
    output_mark = upto;
    atomic_fetch_add_explicit(&r->commit_waits, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->commit_wait_ns, repl_monotonic_ns() - started, memory_order_relaxed);
}
