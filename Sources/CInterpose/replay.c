/*
 * Replay: taking turns. A thread at an intercepted call waits until the next message in the
 * ring is its own (repl_turn), checks that the call is the one the message records, performs it
 * or returns the recorded result, then completes the turn (repl_turn_done), which wakes exactly
 * the thread that owns the next message. Payloads arrive through payload area 0, in sequence
 * order, so whoever holds the turn reads the next bytes there.
 */
#include "interpose.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static REPL_TLS repl_waiter *my_waiter;
static REPL_TLS uint64_t my_waiter_key;

static repl_waiter *waiter_of_this_thread(void) {
    uint64_t key = (((uint64_t)repl_process << 32) | repl_self.thread) + 1;
    if (my_waiter_key != key) {  /* first turn, or a fork made this a new logical thread */
        my_waiter = repl_find_waiter(repl_region, repl_process, repl_self.thread, 1);
        my_waiter_key = key;
    }
    return my_waiter;
}

static void futex_wait(_Atomic uint32_t *word, uint32_t value) {
    struct timespec timeout = {0, 20 * 1000 * 1000};  /* a safety net; wake-ups are targeted */
    syscall(SYS_futex, word, FUTEX_WAIT, value, &timeout, NULL, 0);
}

static void stop_here(void) {
    for (;;) pause();  /* the replayer reports and ends the program */
}

static void diverge(repl_slot *slot, uint64_t sequence, uint16_t kind, uint64_t resource) {
    repl_shared *r = repl_region;
    uint32_t expected = 0;
    if (atomic_compare_exchange_strong_explicit(&r->diverged, &expected, 2, memory_order_acq_rel, memory_order_acquire)) {
        r->divergence = (struct repl_divergence){
            .sequence = sequence,
            .expected_resource = slot->resource, .observed_resource = resource,
            .expected_process = slot->process, .expected_thread = slot->thread,
            .observed_process = repl_process, .observed_thread = repl_self.thread,
            .expected_kind = slot->kind, .observed_kind = kind,
            .real_pid = (int32_t)syscall(SYS_getpid), .real_tid = (int32_t)syscall(SYS_gettid),
        };
        atomic_store_explicit(&r->diverged, 1, memory_order_release);
    }
    stop_here();
}

/* --stop-at: this thread is about to execute the chosen sequence number. It says who it is and
 * stops itself (SIGSTOP); replay goes on when it is resumed. */
static void stop_for_debugger(uint64_t sequence, uint16_t kind) {
    char line[256];
    long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);
    int n = snprintf(line, sizeof line,
                     "replplay: stopped before sequence %llu (call kind %u) in logical process %u thread %u: "
                     "real pid %ld, tid %ld\nreplplay: attach with: gdb -p %ld   (replay resumes on SIGCONT: kill -CONT %ld)\n",
                     (unsigned long long)sequence, kind, repl_process, repl_self.thread, pid, tid, tid, pid);
    if (n > 0) {
        ssize_t ignored = syscall(SYS_write, 2, line, (size_t)n);
        (void)ignored;
    }
    syscall(SYS_tgkill, pid, tid, SIGSTOP);
}

/* Wakes the thread that owns the message after `sequence`, if that is another thread. */
static void wake_next_owner(repl_shared *r, uint64_t sequence) {
    atomic_thread_fence(memory_order_seq_cst);  /* pairs with repl_publish_for_replay */
    repl_slot *next = repl_ring(r) + ((sequence + 1) & (REPL_RING_SLOTS - 1));
    if (atomic_load_explicit(&next->sequence, memory_order_acquire) == sequence + 1 &&
        (next->process != repl_process || next->thread != repl_self.thread))
        repl_wake_owner(r, next->process, next->thread);
}

/* A thread the layer did not see created (see REPL_UNKNOWN_THREAD) takes as its identity the
 * thread_start of its process that carries its handle. Such threads are rare and have no waiter
 * entry yet, so they poll; the claim is the compare-and-swap that completes the turn. A
 * thread_start that waits for a handle nobody has, for two seconds, is a divergence. */
static void adopt_thread(repl_shared *r) {
    repl_slot *ring = repl_ring(r);
    uint64_t handle = (uint64_t)pthread_self(), waiting_on = 0;
    unsigned rounds_on_other = 0;
    for (unsigned round = 0;; round++) {
        if (atomic_load_explicit(&r->diverged, memory_order_acquire)) stop_here();
        if (atomic_load_explicit(&r->promoted, memory_order_acquire)) return;
        uint64_t done = atomic_load_explicit(&r->next_sequence, memory_order_acquire);
        repl_slot *slot = ring + ((done + 1) & (REPL_RING_SLOTS - 1));
        if (atomic_load_explicit(&slot->sequence, memory_order_acquire) == done + 1 &&
            slot->kind == REPL_THREAD_START && slot->process == repl_process) {
            uint32_t thread = slot->thread;
            uint64_t resource = slot->resource;
            /* The slot cannot be refilled before its turn completes, which is the claim. */
            if (resource == handle &&
                atomic_compare_exchange_strong_explicit(&r->next_sequence, &done, done + 1, memory_order_acq_rel,
                                                        memory_order_acquire)) {
                repl_self.thread = thread;
                wake_next_owner(r, done + 1);
                return;
            }
            if (resource != handle) {
                rounds_on_other = waiting_on == done + 1 ? rounds_on_other + 1 : 0;
                waiting_on = done + 1;
                if (rounds_on_other > 10000) diverge(slot, done + 1, REPL_THREAD_START, handle);
            }
        }
        if (round < 4096) {
            __builtin_ia32_pause();
            continue;
        }
        struct timespec pause_time = {0, 200 * 1000};
        syscall(SYS_nanosleep, &pause_time, NULL);
    }
}

/* The first thread of a process to see the promotion makes its sockets real; the others wait
 * for that, so nobody accepts on a socket that does not listen yet. */
static void go_live(void) {
    static _Atomic int state;  /* 0: replaying, 1: going live, 2: live */
    int expected = 0;
    if (atomic_compare_exchange_strong_explicit(&state, &expected, 1, memory_order_acq_rel, memory_order_acquire)) {
        repl_sockets_go_live();
        atomic_store_explicit(&state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&state, memory_order_acquire) != 2) {
        struct timespec pause_time = {0, 100 * 1000};
        syscall(SYS_nanosleep, &pause_time, NULL);
    }
}

repl_slot *repl_turn(uint16_t kind, uint64_t resource, bool check_resource) {
    repl_shared *r = repl_region;
    repl_slot *ring = repl_ring(r);
    repl_self.depth++;
    if (REPL_UNLIKELY(repl_self.thread == REPL_UNKNOWN_THREAD)) adopt_thread(r);
    repl_waiter *waiter = waiter_of_this_thread();
    unsigned spins = 0;
    for (;;) {
        uint32_t word = atomic_load_explicit(&waiter->word, memory_order_acquire);
        if (REPL_UNLIKELY(atomic_load_explicit(&r->diverged, memory_order_acquire))) stop_here();
        if (REPL_UNLIKELY(atomic_load_explicit(&r->promoted, memory_order_acquire))) {
            go_live();
            repl_self.depth--;
            return NULL;  /* live: the caller performs the call for real */
        }
        uint64_t sequence = atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1;
        repl_slot *slot = ring + (sequence & (REPL_RING_SLOTS - 1));
        if (atomic_load_explicit(&slot->sequence, memory_order_acquire) == sequence &&
            slot->process == repl_process && slot->thread == repl_self.thread) {
            /* The owner fields were read after the sequence number; had another thread completed
             * this turn meanwhile, the replayer could have refilled the slot with a message
             * 65536 later, whose owner we may have read. The turn is still open, so the fields
             * are this message's, only if nobody completed it. */
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1 == sequence) {
                if (REPL_UNLIKELY(slot->kind == REPL_SIGNAL)) {  /* a delivery comes first */
                    repl_replay_signal(slot);
                    repl_self.depth++;
                    spins = 0;
                    continue;
                }
                if (slot->kind != kind || (check_resource && slot->resource != resource))
                    diverge(slot, sequence, kind, resource);
                if (REPL_UNLIKELY(r->stop_at == sequence)) stop_for_debugger(sequence, kind);
                return slot;
            }
            continue;
        }
        if (spins < 4096) {  /* about 50 µs: a turn handed over between running threads needs no sleep */
            spins++;
            __builtin_ia32_pause();
            continue;
        }
        __atomic_store_n(&waiter->sleeping, 1, __ATOMIC_RELEASE);
        atomic_thread_fence(memory_order_seq_cst);
        uint64_t again = atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1;
        repl_slot *check = ring + (again & (REPL_RING_SLOTS - 1));
        bool mine = atomic_load_explicit(&check->sequence, memory_order_acquire) == again &&
                    check->process == repl_process && check->thread == repl_self.thread;
        if (!mine) futex_wait(&waiter->word, word);
        __atomic_store_n(&waiter->sleeping, 0, __ATOMIC_RELEASE);
    }
}

void repl_turn_done(repl_slot *slot) {
    repl_shared *r = repl_region;
    uint64_t sequence = atomic_load_explicit(&slot->sequence, memory_order_relaxed);
    atomic_store_explicit(&r->next_sequence, sequence, memory_order_release);
    wake_next_owner(r, sequence);
    repl_self.depth--;
}

void repl_take_signal_turns(void) {
    repl_shared *r = repl_region;
    for (;;) {
        uint64_t sequence = atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1;
        repl_slot *slot = repl_ring(r) + (sequence & (REPL_RING_SLOTS - 1));
        if (atomic_load_explicit(&slot->sequence, memory_order_acquire) != sequence || slot->kind != REPL_SIGNAL ||
            slot->process != repl_process || slot->thread != repl_self.thread)
            return;
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1 != sequence) return;
        repl_self.depth++;  /* as in a turn; completing it leaves the layer */
        repl_replay_signal(slot);
    }
}

int64_t repl_turn_complete(repl_slot *slot) {
    int error = slot->error;
    int64_t result = slot->result;
    repl_turn_done(slot);
    if (error) errno = error;
    return result;
}

/* Where the next payload byte goes: pieces filled in order; bytes beyond them are dropped. */
struct delivery {
    const struct repl_piece *pieces;
    int count;
    int piece;
    size_t offset;
};

static void deliver(struct delivery *d, const uint8_t *from, size_t left) {
    while (left > 0 && d->piece < d->count) {
        size_t room = d->pieces[d->piece].length - d->offset;
        size_t n = left < room ? left : room;
        memcpy((uint8_t *)d->pieces[d->piece].data + d->offset, from, n);
        from += n;
        left -= n;
        d->offset += n;
        if (d->offset == d->pieces[d->piece].length) {
            d->piece++;
            d->offset = 0;
        }
    }
}

void repl_turn_payload(repl_slot *slot, const struct repl_piece *pieces, int count) {
    struct delivery d = {pieces, count, 0, 0};
    uint64_t total = slot->payload_length;
    if (total <= REPL_INLINE_PAYLOAD) {
        deliver(&d, slot->inline_payload, (size_t)total);
        return;
    }
    repl_payload_area *area = repl_area(repl_region, 0);
    uint8_t *data = repl_area_data(area);
    uint64_t tail = atomic_load_explicit(&area->tail, memory_order_relaxed);
    unsigned round = 0;
    while (total > 0) {
        uint64_t head = atomic_load_explicit(&area->head, memory_order_acquire);
        if (head == tail) {  /* the replayer is still streaming this payload in */
            if (++round > 256) {
                struct timespec pause_time = {0, 20 * 1000};
                syscall(SYS_nanosleep, &pause_time, NULL);
            }
            continue;
        }
        size_t at = (size_t)(tail % REPL_PAYLOAD_AREA_SIZE);
        size_t n = (size_t)(head - tail);
        if (n > total) n = (size_t)total;
        if (n > REPL_PAYLOAD_AREA_SIZE - at) n = REPL_PAYLOAD_AREA_SIZE - at;
        deliver(&d, data + at, n);
        tail += n;
        total -= n;
        atomic_store_explicit(&area->tail, tail, memory_order_release);
    }
}

bool repl_replay_outcome(uint16_t kind, uint64_t resource, bool check_resource, const struct repl_piece *pieces,
                         int count, int64_t *result) {
    repl_slot *slot = repl_turn(kind, resource, check_resource);
    if (!slot) return false;
    repl_turn_payload(slot, pieces, count);
    *result = repl_turn_complete(slot);
    return true;
}
