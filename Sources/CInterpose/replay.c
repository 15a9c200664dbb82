/*
 * Replay: taking turns. A thread at an intercepted call waits until the next message in the
 * ring is its own (repl_turn), checks that the call is the one the message records, performs it
 * or returns the recorded result, then completes the turn (repl_turn_done), which wakes exactly
 * the thread that owns the next message. Payloads arrive through payload area 0, in sequence
 * order, so whoever holds the turn reads the next bytes there.
 *
 * The caller holds a guard (REPL_GUARD) from before its turn until it has completed it.
 */
#include "interpose.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

REPL_NO_HEAP

static REPL_TLS repl_waiter *my_waiter;
static REPL_TLS uint64_t my_waiter_key;
static pthread_key_t waiter_key; /* gives a thread's waiter entry back when it exits */

static void release_waiter(void *waiter) {
    if (waiter && waiter == my_waiter) repl_release_waiter(waiter);
    my_waiter = NULL;
    my_waiter_key = 0;
}

void repl_prepare_waiters(void) {
    pthread_key_create(&waiter_key, release_waiter);
}

/* This thread's entry in the waiter table; NULL when the table is full of live threads (more
 * than REPL_WAITERS at once): the thread then polls for its turns (sleep_for_turn). */
static repl_waiter *waiter_of_this_thread(void) {
    uint64_t key = (((uint64_t)repl_process << 32) | repl_self.thread) + 1;
    if (my_waiter_key != key) {  /* first turn, or a fork made this a new logical thread */
        my_waiter = repl_find_waiter(repl_region, repl_process, repl_self.thread, 1);
        my_waiter_key = my_waiter ? key : 0;
        if (my_waiter) my_waiter->tid = (int32_t)repl_syscall(SYS_gettid);
        pthread_setspecific(waiter_key, my_waiter);
    }
    return my_waiter;
}

static void futex_wait(_Atomic uint32_t *word, uint32_t value) {
    struct timespec timeout = {0, 20 * 1000 * 1000};  /* a safety net; wake-ups are targeted */
    repl_syscall(SYS_futex, word, FUTEX_WAIT, value, &timeout, NULL, 0);
}

static __attribute__((noreturn)) void stop_here(void) {
    for (;;) repl_syscall(SYS_pause);  /* the replayer reports and ends the program */
}

static __attribute__((noreturn)) void stop(repl_slot *slot, uint64_t sequence, uint16_t kind, uint64_t resource,
                                          uint32_t cause, const char *detail) {
    repl_shared *r = repl_region;
    uint32_t expected = 0;
    if (atomic_compare_exchange_strong_explicit(&r->diverged, &expected, 2, memory_order_acq_rel, memory_order_acquire)) {
        r->divergence = (repl_divergence){
            .sequence = sequence,
            .expected_resource = slot->call.resource, .observed_resource = resource,
            .expected_process = slot->call.process, .expected_thread = slot->call.thread,
            .observed_process = repl_process, .observed_thread = repl_self.thread,
            .expected_kind = slot->call.kind, .observed_kind = kind,
            .real_pid = (int32_t)repl_syscall(SYS_getpid), .real_tid = (int32_t)repl_syscall(SYS_gettid),
            .cause = cause,
        };
        snprintf(r->divergence.detail, sizeof r->divergence.detail, "%s", detail);
        atomic_store_explicit(&r->diverged, 1, memory_order_release);
    }
    stop_here();
}

static __attribute__((noreturn)) void diverge(repl_slot *slot, uint64_t sequence, uint16_t kind, uint64_t resource) {
    stop(slot, sequence, kind, resource, REPL_STOP_CALL, "");
}

void repl_diverge(repl_slot *slot, uint16_t kind, uint64_t resource) {
    diverge(slot, repl_turn_sequence(slot), kind, resource);
}

void repl_stop(repl_slot *slot, uint16_t kind, uint64_t resource, uint32_t cause, const char *format, ...) {
    char detail[REPL_DIVERGENCE_DETAIL];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(detail, sizeof detail, format, arguments);
    va_end(arguments);
    stop(slot, repl_turn_sequence(slot), kind, resource, cause, detail);
}

REPL_EXPORT void replrec_debugger_stop(uint64_t sequence, uint32_t process, uint32_t thread, uint32_t kind);

/* --stop-at: whether this thread, about to execute `sequence`, is the stop the replayer armed.
 * One thread takes it (clearing stop_at), so that it stops once. */
static bool is_armed_stop(repl_shared *r, const repl_slot *slot, uint64_t sequence) {
    uint64_t at = atomic_load_explicit(&r->stop_at, memory_order_acquire);  /* then the thread it names */
    if (REPL_LIKELY(at == 0 || sequence < at)) return false;
    if (r->stop_process != REPL_ANY_THREAD && (slot->call.process != r->stop_process || slot->call.thread != r->stop_thread))
        return false;
    return atomic_compare_exchange_strong_explicit(&r->stop_at, &at, 0, memory_order_acq_rel, memory_order_relaxed);
}

/* Stops this thread (SIGSTOP) before it executes `sequence`, after telling the replayer who it is:
 * replplay says so on its own standard error (the program may have moved its fd 2), and replay
 * goes on when the thread is resumed. */
static void stop_for_debugger(repl_shared *r, const repl_slot *slot, uint64_t sequence) {
    long pid = repl_syscall(SYS_getpid), tid = repl_syscall(SYS_gettid);
    r->stopped_pid = (int32_t)pid;
    r->stopped_tid = (int32_t)tid;
    atomic_store_explicit(&r->stopped_at, sequence, memory_order_release);
    replrec_debugger_stop(sequence, slot->call.process, slot->call.thread, slot->call.kind);
    repl_syscall(SYS_tgkill, pid, tid, SIGSTOP);
}

/* Where a debugger breaks to stop at the replay's events (replrec-gdb.py sets the breakpoint
 * and reads the arguments): called before a stop, does nothing itself. Not named repl_*: the
 * version script keeps those local. */
REPL_EXPORT __attribute__((noinline)) void replrec_debugger_stop(uint64_t sequence, uint32_t process, uint32_t thread,
                                                             uint32_t kind) {
    __asm__ volatile("" ::"r"(sequence), "r"(process), "r"(thread), "r"(kind) : "memory");
}

/* The message with sequence number `sequence`, once the replayer has filled it. */
static repl_slot *filled(repl_shared *r, uint64_t sequence) {
    repl_slot *slot = repl_ring_slot(r, sequence);
    return repl_slot_published(slot) == sequence ? slot : NULL;
}

static bool is_mine(const repl_slot *slot) {
    return slot->call.process == repl_process && slot->call.thread == repl_self.thread;
}

/* The next turn's message when it is this thread's, NULL otherwise. */
static repl_slot *my_turn(repl_shared *r) {
    uint64_t sequence = atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1;
    repl_slot *slot = filled(r, sequence);
    if (!slot || !is_mine(slot)) return NULL;
    /* The owner fields were read after the sequence number; had another thread completed this
     * turn meanwhile, the replayer could have refilled the slot with a message 65536 later,
     * whose owner we may have read. The fields are this message's only if the turn is still
     * open. */
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1 == sequence ? slot : NULL;
}

/* Wakes the thread that owns the message after `sequence`, if that is another thread. */
static void wake_next_owner(repl_shared *r, uint64_t sequence) {
    atomic_thread_fence(memory_order_seq_cst);  /* pairs with repl_publish_for_replay */
    repl_slot *next = filled(r, sequence + 1);
    if (next && !is_mine(next)) repl_wake_owner(r, next->call.process, next->call.thread);
}

/* A thread the layer did not see created (see REPL_UNKNOWN_THREAD) takes as its identity the
 * thread_start of its process that carries its handle. Such threads are rare and have no waiter
 * entry yet, so they poll; the claim is the compare-and-swap that completes the turn. A
 * thread_start that waits for a handle nobody has, for two seconds, is a divergence. */
static void adopt_thread(repl_shared *r) {
    uint64_t handle = (uint64_t)pthread_self(), waiting_on = 0;
    unsigned rounds_on_other = 0;
    for (unsigned round = 0;; round++) {
        if (atomic_load_explicit(&r->diverged, memory_order_acquire)) stop_here();
        if (atomic_load_explicit(&r->promoted, memory_order_acquire)) return;
        uint64_t done = atomic_load_explicit(&r->next_sequence, memory_order_acquire);
        repl_slot *slot = filled(r, done + 1);
        if (slot && slot->call.kind == REPL_THREAD_START && slot->call.process == repl_process) {
            uint32_t thread = slot->call.thread;
            uint64_t resource = slot->call.resource;
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
        repl_syscall(SYS_nanosleep, &pause_time, NULL);
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
        repl_syscall(SYS_nanosleep, &pause_time, NULL);
    }
}

/* Sleeps until woken for a turn, unless the turn came meanwhile; checks about every second
 * that the replayer is still there. */
static void sleep_for_turn(repl_shared *r, repl_waiter *waiter, uint32_t word) {
    static REPL_TLS unsigned sleeps;
    if (REPL_UNLIKELY(!waiter)) {  /* no entry to be woken through: poll */
        struct timespec pause_time = {0, 200 * 1000};
        repl_syscall(SYS_nanosleep, &pause_time, NULL);
        if ((++sleeps & 1023) == 0) repl_check_tool();
        return;
    }
    __atomic_store_n(&waiter->sleeping, 1, __ATOMIC_RELEASE);
    atomic_thread_fence(memory_order_seq_cst);  /* pairs with repl_wake_owner */
    if (!my_turn(r)) futex_wait(&waiter->word, word);
    __atomic_store_n(&waiter->sleeping, 0, __ATOMIC_RELEASE);
    if ((++sleeps & 63) == 0) repl_check_tool();  /* unreplayed, it would act outside (T2) */
}

/* Waits until this thread holds the next turn; NULL once live. */
static repl_slot *await_turn(repl_shared *r) {
    repl_waiter *waiter = waiter_of_this_thread();
    for (unsigned spins = 0;;) {
        uint32_t word = waiter ? atomic_load_explicit(&waiter->word, memory_order_acquire) : 0;
        if (REPL_UNLIKELY(atomic_load_explicit(&r->diverged, memory_order_acquire))) stop_here();
        if (REPL_UNLIKELY(atomic_load_explicit(&r->promoted, memory_order_acquire))) {
            go_live();
            return NULL;  /* live: the caller performs the call for real */
        }
        repl_slot *slot = my_turn(r);
        if (slot) return slot;
        if (spins++ < 4096) {  /* about 50 µs: a turn handed over between running threads needs no sleep */
            __builtin_ia32_pause();
            continue;
        }
        sleep_for_turn(r, waiter, word);
    }
}

/* This thread's first message from sequence `first` on, in the part of the log the replayer has
 * fed, its kind and resource; false when none is in sight. */
static bool next_own_call(repl_shared *r, uint64_t first, uint16_t *kind, uint64_t *resource) {
    for (uint64_t s = first; s < first + REPL_RING_SLOTS; s++) {
        repl_slot *slot = filled(r, s);
        if (!slot) return false;  /* not fed yet, or refilled meanwhile: nothing in sight */
        if (!is_mine(slot)) continue;
        *kind = slot->call.kind;
        *resource = slot->call.resource;
        atomic_thread_fence(memory_order_acquire);
        return repl_slot_published(slot) == s;  /* else the fields were a later message's */
    }
    return false;
}

static bool next_own_message(repl_shared *r, uint64_t first, uint16_t *kind) {
    uint64_t resource;
    return next_own_call(r, first, kind, &resource);
}

/* Whether this thread's next message is a signal delivery (false when it is another call, or
 * none is in sight). */
static bool next_own_is_signal(repl_shared *r) {
    uint16_t kind;
    return next_own_message(r, atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1, &kind) &&
           kind == REPL_SIGNAL;
}

/* A `lost` message with an owner: the primary's process died while this thread was in this call,
 * after taking its number and before publishing it (by SIGKILL: other deaths by signal wait
 * until the thread leaves the layer, signal.c).
 * The recorder logged the number as lost by this thread, with the call's kind as its resource.
 * Its turn is given to the call as usual: the call's effect is made, as it may have been on the
 * primary (a fork's child has messages of its own), and once the turn is complete the thread
 * goes no further (park_as_recorded). A SIGKILL the recording sent ends this one once the replay
 * sends it; otherwise the replayer reports a program that outlives its recording. */
static __attribute__((noreturn)) void park_as_recorded(void) {
    repl_shared *r = repl_region;
    for (;;) {
        struct timespec pause_time = {0, 10 * 1000 * 1000};
        repl_syscall(SYS_nanosleep, &pause_time, NULL);
        if (atomic_load_explicit(&r->diverged, memory_order_acquire)) stop_here();
        repl_check_tool();
    }
}

/* A lost number's thread that went on making calls on the primary while it held the number (a
 * fork's parent runs its fork handlers before publishing): what the call returned is not in the
 * log, so the replay cannot go past it. */
static void check_nothing_after(repl_shared *r, repl_slot *slot, uint16_t kind, uint64_t resource) {
    uint16_t next_kind;
    uint64_t sequence = repl_turn_sequence(slot);
    if (!next_own_message(r, sequence + 1, &next_kind)) return;
    char line[200];
    snprintf(line, sizeof line,
             "replplay: sequence %llu was lost by this thread, which went on with other calls on the primary: what the "
             "call returned is not in the log\n", (unsigned long long)sequence);
    repl_say(line);
    diverge(slot, sequence, kind, resource);
}

repl_slot *repl_turn(uint16_t kind, uint64_t resource, bool check_resource) {
    repl_shared *r = repl_region;
    if (REPL_UNLIKELY(repl_self.thread == REPL_UNKNOWN_THREAD)) adopt_thread(r);
    for (;;) {
        repl_slot *slot = await_turn(r);
        if (!slot) return NULL;
        if (REPL_UNLIKELY(slot->call.kind == REPL_SIGNAL) && kind != REPL_SIGNAL) {  /* a delivery comes first */
            repl_replay_signal(slot);
            continue;
        }
        if (REPL_UNLIKELY(slot->call.kind == REPL_OBJECTS) && kind != REPL_OBJECTS) {  /* a note not compared (objects.c) */
            repl_turn_done(slot);
            continue;
        }
        uint64_t sequence = repl_turn_sequence(slot);
        bool lost_here = slot->call.kind == REPL_LOST && slot->call.resource == kind;  /* park_as_recorded */
        if (!lost_here && (slot->call.kind != kind || (check_resource && slot->call.resource != resource)))
            diverge(slot, sequence, kind, resource);
        if (REPL_UNLIKELY(lost_here)) check_nothing_after(r, slot, kind, resource);
        if (REPL_UNLIKELY(is_armed_stop(r, slot, sequence))) stop_for_debugger(r, slot, sequence);
        return slot;
    }
}

/* The kind of this thread's next message, once the replayer has fed it: 0 when it is not within a
 * ring's length, or not fed within a second (a log that stops there, a primary that has not
 * written it yet). */
static uint16_t next_own_kind(repl_shared *r) {
    for (unsigned waits = 0; waits < 1000; waits++) {
        uint64_t first = atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1;
        uint16_t kind;
        if (next_own_message(r, first, &kind)) return kind;
        if (filled(r, first + REPL_RING_SLOTS - 1)) return 0;  /* a ring of others' messages first */
        if (atomic_load_explicit(&r->diverged, memory_order_acquire)) stop_here();
        if (atomic_load_explicit(&r->promoted, memory_order_acquire)) return 0;
        struct timespec pause_time = {0, 1000 * 1000};
        repl_syscall(SYS_nanosleep, &pause_time, NULL);
    }
    return 0;
}

repl_slot *repl_turn_if(uint16_t kind) {
    if (REPL_UNLIKELY(repl_self.thread == REPL_UNKNOWN_THREAD)) return NULL;
    /* Only when the thread's next message is one: waiting for a later turn of its own could
     * wait for threads it has yet to start. */
    if (next_own_kind(repl_region) != kind) return NULL;
    return repl_turn(kind, 0, false);
}

/* The turn whose payload this thread has taken from area 0 (repl_turn_payload). */
static REPL_TLS uint64_t payload_taken_for;

static void take_payload(void *out, size_t length);

void repl_turn_done(repl_slot *slot) {
    repl_shared *r = repl_region;
    uint64_t sequence = repl_turn_sequence(slot);
    /* A payload the call did not read (an exec's path) still leaves area 0 before the next
     * turn, whose payload follows it there. */
    if (slot->call.payload_length > REPL_INLINE_PAYLOAD && payload_taken_for != sequence)
        take_payload(NULL, (size_t)slot->call.payload_length);
    bool lost = slot->call.kind == REPL_LOST;  /* read first: the slot is refilled once the turn is done */
    repl_self.mask_changes = 0;  /* counted from each message of the thread, as at record */
    atomic_store_explicit(&r->next_sequence, sequence, memory_order_release);
    wake_next_owner(r, sequence);
    if (REPL_UNLIKELY(lost)) park_as_recorded();
}

/* Whether this thread's next message is a delivery that came after exactly as many mask changes
 * as the thread has made now: it is due at this change, once the turns before it are taken. */
static bool signal_due_at_this_change(repl_shared *r) {
    uint16_t kind;
    uint64_t resource;
    return repl_self.mask_changes != 0 &&
           next_own_call(r, atomic_load_explicit(&r->next_sequence, memory_order_acquire) + 1, &kind, &resource) &&
           kind == REPL_SIGNAL && REPL_SIGNAL_MASK_CHANGE(resource) == repl_self.mask_changes;
}

void repl_take_signal_turns(bool leaving, const sigset_t *mask, bool wait) {
    repl_shared *r = repl_region;
    if (!r || atomic_load_explicit(&r->promoted, memory_order_acquire) || repl_self.thread == REPL_UNKNOWN_THREAD) return;
    if (mask && !wait) wait = signal_due_at_this_change(r);
    for (repl_slot *slot; (slot = wait ? await_turn(r) : my_turn(r)) && slot->call.kind == REPL_SIGNAL;) {
        if (leaving && !(slot->call.resource & REPL_SIGNAL_AT_LEAVING)) return;
        bool late = false;
        if (mask) {
            uint16_t change = REPL_SIGNAL_MASK_CHANGE(slot->call.resource);
            /* Counted at this change, it runs here even when the new mask blocks it: on the
             * primary it arrived as the change began, before that mask took effect. Counted
             * before any change, it waits for one that lets it through. */
            if (change != 0 && change != repl_self.mask_changes) return;
            if (change == 0 && sigismember(mask, (int)(uint32_t)slot->call.resource)) return;
            /* A delivery made as the thread left an earlier call, whose turn was not yet due
             * then (other processes' turns came between): on the primary it came before this
             * mask change, so the change counts after it, for the deliveries that follow. */
            late = (slot->call.resource & REPL_SIGNAL_AT_LEAVING) != 0;
        }
        repl_replay_signal(slot);
        if (late && repl_self.mask_changes < UINT16_MAX) repl_self.mask_changes++;
    }
}

bool repl_await_signal_turn(void) {
    REPL_GUARD();
    repl_slot *slot = repl_turn(REPL_SIGNAL, 0, false);
    if (!slot) return false;
    repl_replay_signal(slot);
    return true;
}

void repl_take_final_signal_turns(void) {
    repl_shared *r = repl_region;
    if (!r || !repl_replay_mode || repl_self.depth != 0 || repl_self.thread == REPL_UNKNOWN_THREAD) return;
    while (!atomic_load_explicit(&r->promoted, memory_order_acquire) && next_own_is_signal(r)) {
        /* The delivery is this thread's next message: every turn before it will be taken by
         * others, so waiting for it cannot hang (a divergence elsewhere stops this thread). */
        repl_slot *slot = await_turn(r);
        if (!slot || slot->call.kind != REPL_SIGNAL) return;  /* not the delivery after all */
        repl_replay_signal(slot);
    }
}

int64_t repl_turn_complete(repl_slot *slot) {
    int error = slot->call.error;
    int64_t result = slot->call.result;
    repl_turn_done(slot);
    if (error) errno = error;
    return result;
}

/* Copies the next `length` bytes of payload area 0 to `out` (drops them when `out` is NULL),
 * waiting for the replayer to stream them in. */
static void take_payload(void *out, size_t length) {
    repl_payload_area *area = repl_area(repl_region, 0);
    for (unsigned round = 0; length > 0;) {
        size_t n = repl_area_get(area, out, length);
        if (n == 0 && ++round > 256) {
            struct timespec pause_time = {0, 20 * 1000};
            repl_syscall(SYS_nanosleep, &pause_time, NULL);
        }
        if (out) out = (uint8_t *)out + n;
        length -= n;
    }
}

void repl_turn_payload(repl_slot *slot, const struct repl_piece *pieces, int count) {
    payload_taken_for = repl_turn_sequence(slot);
    uint64_t left = slot->call.payload_length;
    bool inline_payload = left <= REPL_INLINE_PAYLOAD;
    const uint8_t *from = slot->inline_payload;
    for (int i = 0; i < count && left > 0; i++) {
        size_t n = pieces[i].length < left ? pieces[i].length : (size_t)left;
        if (inline_payload) {
            if (pieces[i].data) memcpy((void *)pieces[i].data, from, n);
        } else {
            take_payload((void *)pieces[i].data, n);  /* NULL: skipped */
        }
        from += n;
        left -= n;
    }
    if (!inline_payload && left > 0) take_payload(NULL, (size_t)left);  /* beyond the buffers: dropped */
}

bool repl_replay_outcome(uint16_t kind, uint64_t resource, bool check_resource, const struct repl_piece *pieces,
                         int count, int64_t *result) {
    REPL_GUARD();
    repl_slot *slot = repl_turn(kind, resource, check_resource);
    if (!slot) return false;
    repl_turn_payload(slot, pieces, count);
    *result = repl_turn_complete(slot);
    return true;
}

bool repl_replay_input(uint16_t kind, uint64_t resource, const struct repl_piece *pieces, int count, int64_t most,
                       int64_t *result) {
    REPL_GUARD();
    repl_slot *slot = repl_turn(kind, resource, true);
    if (!slot) return false;
    uint64_t room = 0;
    for (int i = 0; i < count; i++) room += pieces[i].length;
    if (slot->call.payload_length > room)
        repl_stop(slot, kind, resource, REPL_STOP_DAMAGED, "the recorded payload is %llu bytes; the program's buffers hold %llu",
                  (unsigned long long)slot->call.payload_length, (unsigned long long)room);
    if (slot->call.result > most)
        repl_stop(slot, kind, resource, REPL_STOP_DAMAGED, "the recorded result is %lld; this call returns at most %lld",
                  (long long)slot->call.result, (long long)most);
    repl_turn_payload(slot, pieces, count);
    *result = repl_turn_complete(slot);
    return true;
}
