/*
 * Record: the layer's side of the ring. A call takes its sequence number from the one global
 * counter (R2), waits for its slot to be free, fills it (repl_slot_fill), streams a payload over
 * the inline size through its thread's payload area (repl_area_put), and publishes the slot.
 * Acquire-like calls do all of it after their effect (repl_record); release-like calls take the
 * number before their effect, claiming its slot (the recorder can then name them should their
 * process die before publishing), and publish after it (repl_take, repl_publish). No system call
 * here unless the ring or an area is full; then the thread backs off, and checks that the
 * recorder still lives (fail-stop).
 */
#include "interpose.h"

#include <fcntl.h>

#include <sched.h>
#include <string.h>

REPL_NO_HEAP

/* ---- fail-stop -------------------------------------------------------------------------- */

void repl_say(const char *text) {
    repl_syscall(SYS_write, 2, text, strlen(text));
}

void repl_fail_stop(const char *why) {
    repl_say(repl_replay_mode ? "replplay: " : "replrec: ");
    repl_say(why);
    repl_say(repl_replay_mode ? "; stopping the replayed process (unreplayed, it would act outside the recording)\n"
                              : "; stopping the program (fail-stop: an unrecorded primary would break its backups)\n");
    repl_syscall(SYS_kill, repl_syscall(SYS_getpid), SIGKILL);
    for (;;) repl_syscall(SYS_pause);
}

/* Whether the tool has exited: no such process, or a zombie its parent has not reaped yet (a
 * shell or test harness that waits for the tool's output, which the program still holds). */
static bool tool_is_gone(int32_t pid) {
    if (repl_syscall(SYS_kill, pid, 0) == -ESRCH) return true;
    char path[32], stat_line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    long fd = repl_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return false;  /* no /proc: the signal's answer is all there is */
    long n = repl_syscall(SYS_read, fd, stat_line, sizeof stat_line - 1);
    repl_syscall(SYS_close, fd);
    if (n <= 0) return false;
    stat_line[n] = 0;
    const char *end_of_name = strrchr(stat_line, ')');  /* "PID (NAME) STATE ...": NAME may hold ')' */
    return end_of_name && end_of_name[1] == ' ' && (end_of_name[2] == 'Z' || end_of_name[2] == 'X');
}

void repl_check_tool(void) {
    if (tool_is_gone(repl_region->recorder_pid))
        repl_fail_stop(repl_replay_mode ? "the replayer is gone" : "the recorder is gone");
}

/* Waiting is the slow path (the ring or a payload area is full): spin, yield, then sleep. */
static void backoff(unsigned *round) {
    unsigned r = (*round)++;
    if (r < 64) {
        __builtin_ia32_pause();
    } else if (r < 128) {
        sched_yield();
    } else {
        struct timespec pause_time = {0, 50 * 1000};
        repl_syscall(SYS_nanosleep, &pause_time, NULL);
        if ((r & 1023) == 0) repl_check_tool();
    }
}

/* ---- sequence numbers ------------------------------------------------------------------- */

static uint64_t take_number(void) {
    /* Relaxed is enough: read-modify-writes of one atomic are totally ordered, and that order
     * agrees with happens-before, so a call that observes another's effect (through a lock, a
     * semaphore, a pipe) gets the larger number (R1). */
    uint64_t sequence = atomic_fetch_add_explicit(&repl_region->next_sequence, 1, memory_order_relaxed) + 1;
    if (REPL_UNLIKELY((sequence & 4095) == 0)) repl_check_tool();
    return sequence;
}

/* Gives a thread the layer did not see created its logical id: the number of its thread_start,
 * whose resource is the thread's handle (its address is the same at replay, where the thread
 * finds its message by it). */
static void adopt_thread(void) {
    uint64_t sequence = take_number();
    repl_self.thread = (uint32_t)sequence;
    repl_publish(sequence, REPL_THREAD_START, (uint64_t)pthread_self(), 0, 0, NULL, 0);
}

/* The recorder's `drained` as this thread last read it. It only grows, so it bounds what is free
 * without a look at the recorder's cache line, which would cost a miss per call. */
static REPL_TLS uint64_t drained_seen;

/* Waits until the ring has room for `sequence` (the recorder frees its slot). */
static repl_slot *free_slot(repl_shared *r, uint64_t sequence) {
    if (REPL_UNLIKELY(sequence - drained_seen > REPL_RING_SLOTS)) {
        unsigned round = 0;
        /* Acquire: the recorder has read the slot before it counted it drained. */
        while (sequence - (drained_seen = atomic_load_explicit(&r->drained, memory_order_acquire)) > REPL_RING_SLOTS)
            backoff(&round);
    }
    return repl_ring_slot(r, sequence);
}

/* A number for this thread, which first gets its logical id if the layer did not see it created. */
static inline uint64_t take_for_this_thread(void) {
    if (REPL_UNLIKELY(repl_self.thread == REPL_UNKNOWN_THREAD)) adopt_thread();
    return take_number();
}

bool repl_chaos;

/* A thread's own generator (xorshift64*), seeded from its tid and the clock. */
static REPL_TLS uint64_t chaos_state;

void repl_chaos_pause(void) {
    if (REPL_UNLIKELY(chaos_state == 0)) chaos_state = ((uint64_t)repl_syscall(SYS_gettid) << 32 ^ repl_monotonic_ns()) | 1;
    chaos_state ^= chaos_state >> 12;
    chaos_state ^= chaos_state << 25;
    chaos_state ^= chaos_state >> 27;
    uint64_t draw = chaos_state * 0x2545F4914F6CDD1Dull;
    unsigned choice = (unsigned)(draw >> 58);  /* 0..63 */
    if (choice < 8) {
        repl_syscall(SYS_sched_yield);
    } else if (choice < 11) {  /* 1 to 256 microseconds */
        struct timespec pause_time = {0, (long)((draw & 0xFF) + 1) * 1000};
        repl_syscall(SYS_nanosleep, &pause_time, NULL);
    }
}

uint64_t repl_take(uint16_t kind) {
    if (REPL_UNLIKELY(repl_chaos)) repl_chaos_pause();
    uint64_t sequence = take_for_this_thread();
    repl_slot_claim(free_slot(repl_region, sequence), sequence, repl_process, repl_self.thread, kind);
    return sequence;
}

/* ---- appends to regular files ---------------------------------------------------------------- */

/* A lock across the processes of the recording (a futex word in the region). A holder that died
 * holding it (killed in the middle of a write) is found gone and the lock taken from it. */
void repl_lock_appends(void) {
    repl_shared *r = repl_region;
    uint32_t me = (uint32_t)repl_syscall(SYS_gettid), expected = 0;
    if (atomic_compare_exchange_strong_explicit(&r->append_lock, &expected, me, memory_order_acquire, memory_order_relaxed))
        return;
    for (unsigned round = 0;; round++) {
        expected = atomic_load_explicit(&r->append_lock, memory_order_relaxed);
        if (expected == 0) {
            /* Taken as contended: another waiter may be asleep behind us. */
            if (atomic_compare_exchange_weak_explicit(&r->append_lock, &expected, me | REPL_APPEND_CONTENDED,
                                                      memory_order_acquire, memory_order_relaxed))
                return;
            continue;
        }
        if (round < 64) {
            __builtin_ia32_pause();
            continue;
        }
        if (!(expected & REPL_APPEND_CONTENDED) &&
            !atomic_compare_exchange_weak_explicit(&r->append_lock, &expected, expected | REPL_APPEND_CONTENDED,
                                                   memory_order_relaxed, memory_order_relaxed))
            continue;
        struct timespec timeout = {0, 2 * 1000 * 1000};
        repl_syscall(SYS_futex, &r->append_lock, FUTEX_WAIT, expected | REPL_APPEND_CONTENDED, &timeout, NULL, 0);
        pid_t holder = (pid_t)(expected & ~REPL_APPEND_CONTENDED);
        if ((round & 63) == 63) {
            if (repl_syscall(SYS_kill, holder, 0) == -ESRCH)  /* raw: the error is the result */
                atomic_compare_exchange_strong_explicit(&r->append_lock, &expected, 0, memory_order_relaxed, memory_order_relaxed);
            repl_check_tool();
        }
    }
}

void repl_unlock_appends(void) {
    repl_shared *r = repl_region;
    if (atomic_exchange_explicit(&r->append_lock, 0, memory_order_release) & REPL_APPEND_CONTENDED)
        repl_syscall(SYS_futex, &r->append_lock, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* ---- payload areas ------------------------------------------------------------------------ */

static pthread_key_t area_key; /* gives a thread's payload area back when it exits */

static void lock_areas(repl_shared *r) {
    unsigned round = 0;
    uint32_t expected = 0;
    while (!atomic_compare_exchange_weak_explicit(&r->area_lock, &expected, 1, memory_order_acquire,
                                                  memory_order_relaxed)) {
        expected = 0;
        backoff(&round);
    }
}

static void unlock_areas(repl_shared *r) {
    atomic_store_explicit(&r->area_lock, 0, memory_order_release);
}

static uint16_t take_area(void) {
    repl_shared *r = repl_region;
    for (unsigned round = 0;; backoff(&round)) {
        lock_areas(r);
        int32_t index = -1;
        if (r->free_count > 0) index = repl_free_areas(r)[--r->free_count];
        else if (r->areas_used < r->payload_areas) index = (int32_t)r->areas_used++;
        unlock_areas(r);
        if (index >= 0) return (uint16_t)index;
    }
}

/* A released area may still hold bytes the recorder has not read: that is fine, since the next
 * owner's messages all come later in sequence order and the area is first in, first out. */
static void release_area(void *unused) {
    if (!repl_region || repl_self.area == REPL_NO_AREA) return;
    repl_shared *r = repl_region;
    lock_areas(r);
    repl_free_areas(r)[r->free_count++] = repl_self.area;
    unlock_areas(r);
    repl_self.area = REPL_NO_AREA;
}

void repl_prepare_areas(void) {
    pthread_key_create(&area_key, release_area);
}

static uint16_t my_area(void) {
    if (repl_self.area == REPL_NO_AREA) {
        repl_self.area = take_area();
        pthread_setspecific(area_key, (void *)1);  /* so that thread exit gives it back */
    }
    return repl_self.area;
}

/* Streams payload bytes into this thread's area; the recorder reads them as they come. */
static void write_area(uint16_t index, const struct repl_piece *pieces, int count) {
    repl_payload_area *area = repl_area(repl_region, index);
    for (int i = 0; i < count; i++) {
        const uint8_t *data = pieces[i].data;
        size_t left = pieces[i].length;
        unsigned round = 0;
        while (left > 0) {
            size_t written = repl_area_put(area, data, left);
            if (written == 0) backoff(&round);  /* full: the recorder is reading */
            data += written;
            left -= written;
        }
    }
}

/* ---- publishing ----------------------------------------------------------------------------- */

void repl_publish(uint64_t sequence, uint16_t kind, uint64_t resource, int64_t result, int error,
                  const struct repl_piece *pieces, int count) {
    repl_slot *slot = free_slot(repl_region, sequence);
    repl_self.mask_changes = 0;  /* signal.c counts them from each message of the thread */
    repl_call call = {.process = repl_process, .thread = repl_self.thread, .resource = resource,
                      .result = result, .error = error, .kind = kind, .area = REPL_NO_AREA};
    for (int i = 0; i < count; i++) call.payload_length += pieces[i].length;
    if (call.payload_length <= REPL_INLINE_PAYLOAD) {
        uint8_t bytes[REPL_INLINE_PAYLOAD], *out = bytes;
        for (int i = 0; i < count; i++) {
            memcpy(out, pieces[i].data, pieces[i].length);
            out += pieces[i].length;
        }
        repl_slot_fill(slot, &call, bytes);
        repl_slot_publish(slot, sequence);
        return;
    }
    call.area = my_area();
    repl_slot_fill(slot, &call, NULL);
    repl_slot_publish(slot, sequence);  /* the recorder copies the payload as it streams in */
    write_area(call.area, pieces, count);
}

void repl_record_pieces(uint16_t kind, uint64_t resource, int64_t result, int error,
                        const struct repl_piece *pieces, int count) {
    int saved_errno = errno;  /* the program sees the errno of its call, not of our waiting */
    {
        REPL_GUARD();
        /* No claim: nothing happens between taking the number and publishing it. */
        repl_publish(take_for_this_thread(), kind, resource, result, error, pieces, count);
    }
    errno = saved_errno;
}

void repl_record(uint16_t kind, uint64_t resource, int64_t result, int error, const void *payload,
                 size_t length) {
    struct repl_piece piece = {payload, length};
    repl_record_pieces(kind, resource, result, error, &piece, payload && length ? 1 : 0);
}
