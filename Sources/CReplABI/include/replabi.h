/*
 * The shared-memory ABI between the interception layer (libreplintercept.so, in every process
 * of the recorded program) and the tools (replrec records, replplay replays). Header only:
 * structs, constants, and the ring protocol as inline functions both sides call, so that the
 * index arithmetic and the memory orderings are written once. Any change to a layout bumps
 * REPL_ABI_VERSION.
 *
 * The region: one anonymous shared-memory file (memfd) made by the tool, which holds it open;
 * every process of the program opens it through the tool's /proc/PID/fd/N (REPLREC_SHM) and maps
 * it. It has no name, so nothing outlives the last process that maps it.
 *
 *   offset                   part
 *   0                        repl_shared               configuration, counters (cache lines below)
 *   repl_free_list_offset()  uint16_t[REPL_PAYLOAD_AREAS]   free list of payload areas (record)
 *   repl_waiters_offset()    repl_waiter[REPL_WAITERS]       who sleeps for which turn (replay)
 *   repl_ring_offset()       repl_slot[REPL_RING_SLOTS]      the ring: sequence s in slot s % N
 *   repl_areas_offset()      REPL_PAYLOAD_AREAS x (repl_payload_area + REPL_PAYLOAD_AREA_SIZE)
 *
 * Record: a thread takes s = ++next_sequence (R2), waits until slot s is free (drained >= s -
 * N), fills it (repl_slot_fill), writes a payload over REPL_INLINE_PAYLOAD bytes into its own
 * payload area (repl_area_put), and publishes s (repl_slot_publish). The recorder drains slots
 * in sequence order: it waits for slot.sequence == drained + 1, copies the call and its payload
 * (repl_area_get), and advances drained, which frees the slot. No system call on this path
 * unless the ring or an area is full.
 *
 * Replay: the replayer fills slot s from the log (payloads through payload area 0, in sequence
 * order) and publishes it (repl_publish_for_replay); the thread the slot names waits until s ==
 * next_sequence + 1 (its turn), checks that its call matches, performs the call or returns the
 * recorded result, stores next_sequence = s and wakes the owner of s + 1 (repl_wake_owner). A
 * mismatch fills `divergence` and stops the program.
 *
 * Version history:
 *   1  the first ring: slots, payload areas, counters.
 *   2  output commit (commit_wanted, committed, the futex words) and the waiter table.
 *   3  commit_wanted on a cache line of its own (it shared next_sequence's); a slot's call
 *      fields grouped as repl_call (same offsets); kinds from replkinds.h (same numbers).
 *      append_lock was taken from line 4's padding later, with no bump: every tool zeroes the
 *      region and none reads the word, so tools and layers of version 3 still work together.
 *      Claims (REPL_SLOT_CLAIMED) came later too, with no bump: a recorder that does not know
 *      them sees an unpublished slot, as before.
 *   4  a divergence says what kind of stop it is and why (repl_divergence.cause, .detail);
 *      output_written (replay) from line 4's padding; recorded_output; 8192 waiters, released
 *      when their thread exits; the region is a memfd opened through /proc.
 */
#ifndef REPLREC_REPLABI_H
#define REPLREC_REPLABI_H

#include "replkinds.h"

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The system calls of the inline functions below. The layer defines this to its own raw
 * helper before including the header (its calls must not go through an interposed symbol). */
#ifndef REPL_ABI_SYSCALL
#define REPL_ABI_SYSCALL syscall
#endif

#define REPL_ABI_MAGIC 0x52504C52u /* "RLPR" */
#define REPL_ABI_VERSION 5u

#define REPL_RING_SLOTS (1u << 16)
#define REPL_PAYLOAD_AREAS 1024u
#define REPL_PAYLOAD_AREA_SIZE (256u << 10)
#define REPL_INLINE_PAYLOAD 16u
#define REPL_NO_AREA 0xFFFFu
#define REPL_WAITERS 8192u

/* What the layer does with intercepted calls. */
#define REPL_MODE_RECORD 0u
#define REPL_MODE_REPLAY 1u

/* Environment variables the layer reads (and removes from what the program sees recorded). */
#define REPL_ENV_SHM "REPLREC_SHM"         /* the region's path: the tool's /proc/PID/fd/N, fixed width */
#define REPL_ENV_PROCESS "REPLREC_PROCESS" /* logical process id of a process started by exec */
#define REPL_ENV_LAYER "REPLREC_LAYER"     /* path of libreplintercept.so, to keep it on exec */
#define REPL_ENV_OUTPUTS "REPLREC_OUTPUTS" /* "dev:ino,dev:ino" of the inherited outputs (replrec's, replplay's) */

/* Logical ids (R3): the root process is 0, a forked or spawned process gets the sequence number
 * of its fork; a process's main thread is 0, a created thread gets the number of its
 * pthread_create. Sequence numbers start at 1, so the ids never collide. */

/* ---- the ring ------------------------------------------------------------------------- */

/* What one message says about its call (everything but the sequence number, which is where it
 * sits, and a payload over REPL_INLINE_PAYLOAD bytes, which is in a payload area). */
typedef struct repl_call {
    uint32_t process; /* logical process id */
    uint32_t thread;  /* logical thread id */
    uint64_t resource;
    int64_t result;
    int32_t error;
    uint16_t kind;           /* enum repl_kind */
    uint16_t area;           /* payload area holding the payload, REPL_NO_AREA when inline */
    uint64_t payload_length; /* bytes; inline when <= REPL_INLINE_PAYLOAD */
} repl_call;

/* One message in the ring: one 64-byte cache line. */
typedef struct repl_slot {
    _Atomic uint64_t sequence; /* published sequence number; written last, with release order */
    repl_call call;
    uint8_t inline_payload[REPL_INLINE_PAYLOAD];
} repl_slot;

_Static_assert(sizeof(repl_call) == 40, "repl_call layout");
_Static_assert(sizeof(repl_slot) == 64, "repl_slot is one cache line");
_Static_assert(offsetof(repl_slot, sequence) == 0, "repl_slot.sequence");
_Static_assert(offsetof(repl_slot, call) + offsetof(repl_call, resource) == 16, "repl_slot.call.resource");
_Static_assert(offsetof(repl_slot, call) + offsetof(repl_call, kind) == 36, "repl_slot.call.kind");
_Static_assert(offsetof(repl_slot, call) + offsetof(repl_call, payload_length) == 40, "repl_slot.call.payload_length");
_Static_assert(offsetof(repl_slot, inline_payload) == 48, "repl_slot.inline_payload");

/* A single-producer, single-consumer byte ring: this header, then REPL_PAYLOAD_AREA_SIZE bytes
 * of data (repl_area_data). head and tail count the bytes ever written and consumed. Explicit
 * padding keeps them on separate cache lines (Swift imports neither over-aligned structs nor
 * huge arrays well). Record: one area per thread that has written a large payload, its thread
 * producing, the recorder consuming. Replay: area 0 only, the replayer producing, the thread
 * holding the turn consuming. */
typedef struct repl_payload_area {
    _Atomic uint64_t head; /* bytes written by the producer */
    uint8_t pad0[56];
    _Atomic uint64_t tail; /* bytes consumed by the consumer */
    uint8_t pad1[56];
} repl_payload_area;

#define REPL_AREA_STRIDE (sizeof(repl_payload_area) + REPL_PAYLOAD_AREA_SIZE)
_Static_assert(sizeof(repl_payload_area) == 128, "repl_payload_area layout");

/* Replay: a thread waiting for its turn sleeps on its entry's word; whoever completes the call
 * before its turn wakes exactly that entry. key = (process << 32 | thread) + 1, 0 = free. */
typedef struct repl_waiter {
    _Atomic uint64_t key;
    _Atomic uint32_t word;
    uint32_t sleeping;
    int32_t tid;  /* the thread's real id, for a debugger's map of logical threads */
    uint32_t reserved;
} repl_waiter;

_Static_assert(sizeof(repl_waiter) == 24, "repl_waiter layout");

/* Replay: why a replay stopped at a turn. */
#define REPL_STOP_CALL 0u    /* the program made another call than the log records */
#define REPL_STOP_OUTPUT 1u  /* the call is the recorded one, but its bytes are not (T1) */
#define REPL_STOP_DAMAGED 2u /* the recorded result cannot be the answer to this call: the log is damaged */

#define REPL_DIVERGENCE_DETAIL 448u
#define REPL_PATH_LIMIT 4096u

/* Replay: what did not match (valid once `diverged` is 1). */
typedef struct repl_divergence {
    uint64_t sequence;
    uint64_t expected_resource, observed_resource;
    uint32_t expected_process, expected_thread, observed_process, observed_thread;
    uint16_t expected_kind, observed_kind;
    int32_t real_pid, real_tid;
    uint32_t cause;  /* REPL_STOP_* */
    char detail[REPL_DIVERGENCE_DETAIL]; /* what differed, in words (NUL-terminated; may be empty) */
} repl_divergence;

_Static_assert(offsetof(repl_divergence, cause) == 52, "repl_divergence.cause");
_Static_assert(offsetof(repl_divergence, detail) == 56, "repl_divergence.detail");

/* The payload of a write-like call's message (T1): the bytes the program handed to the call
 * (8 bytes, little-endian) and the CRC-32C of the first `result` of them, those the call wrote
 * (4 bytes; the CRC of nothing, 0, when it wrote none). Replay computes the same from the bytes
 * the program hands at that turn, whether the write is made or not. Logs from before it have no
 * payload on writes. */
#define REPL_FINGERPRINT_SIZE 12u

/* The region's header. Cache lines: the first holds what is set once; next_sequence, touched
 * by every intercepted call, and commit_wanted, raised by socket writers under output commit,
 * have a line each; the recorder's counters and the futex words share one; allocation and
 * statistics another. */
typedef struct repl_shared {
    /* Line 0: set by the tool before the program starts. */
    uint32_t magic;
    uint32_t abi_version;
    uint32_t ring_slots;
    uint32_t payload_areas;
    uint32_t payload_area_size;
    int32_t recorder_pid; /* the tool's pid: the layer stops the program when it is gone (fail-stop) */
    uint64_t size;        /* bytes of the whole region */
    uint32_t mode;        /* REPL_MODE_RECORD or REPL_MODE_REPLAY */
    _Atomic uint32_t diverged; /* replay: 2 while a thread fills `divergence`, 1 once it is filled */
    _Atomic uint32_t promoted; /* replay: set by the replayer to go live (calls run for real) */
    uint32_t output_commit; /* record: hold socket writes until what came before is logged */
    /* Replay: the first thread about to execute a sequence number from stop_at on (0: none) stops
     * (SIGSTOP) for a debugger, if it is logical thread stop_process:stop_thread (stop_process
     * REPL_ANY_THREAD: any thread); it clears stop_at as it stops. The replayer arms the next. */
    _Atomic uint64_t stop_at;
    uint32_t stop_process;
    uint32_t stop_thread;
    /* Line 1. Record: last sequence number taken (0: none yet). Replay: last one completed. */
    _Atomic uint64_t next_sequence;
    /* Replay: the sequence number a thread stopped before for a debugger (stop_at), and its real
     * ids, stored before the stop (release) for the replayer to report. */
    _Atomic uint64_t stopped_at;
    int32_t stopped_pid;
    int32_t stopped_tid;
    uint32_t chaos; /* record: perturb scheduling at intercepted calls (replrec --chaos); read at attach */
    uint8_t pad1[36];
    /* Line 2. Record: the highest sequence number a thread about to write to a socket waits to
     * see logged (output commit). */
    _Atomic uint64_t commit_wanted;
    uint8_t pad2[56];
    /* Line 3. Record: last sequence number the recorder consumed. Replay: last one filled. */
    _Atomic uint64_t drained;
    /* Record: last sequence number written to the log file. */
    _Atomic uint64_t committed;
    /* Record, output commit: threads waiting for `committed` sleep on commit_word; the recorder
     * sleeps on recorder_word when it has nothing to do. */
    _Atomic uint32_t commit_waiters;
    _Atomic uint32_t commit_word;
    _Atomic uint32_t recorder_sleeping;
    _Atomic uint32_t recorder_word;
    uint8_t pad3[32];
    /* Line 4: payload-area allocation (record) and statistics for the summary line. */
    _Atomic uint32_t area_lock; /* guards the free list of payload areas (repl_free_areas) */
    uint32_t areas_used;        /* areas ever handed out */
    uint32_t free_count;
    _Atomic uint32_t processes_started;
    _Atomic uint32_t threads_started;
    /* Record, the layer only: held while a thread numbers and makes an append to a regular file,
     * so that appends from several processes are numbered in the order they land in the file
     * (0: free; else the holder's tid, with REPL_APPEND_CONTENDED when others wait). */
    _Atomic uint32_t append_lock;
    /* Replay: bytes written so far to replplay's standard output at the recorded turns, the
     * offset of the next write in the recording's captured output (--recorded-output). */
    _Atomic uint64_t output_written;
    /* Record, output commit (statistics for the summary line): socket writes held for the log,
     * how many of them had to wait (the others found what came before logged already), and the
     * time those waited, in nanoseconds. */
    _Atomic uint64_t commit_writes;
    _Atomic uint64_t commit_waits;
    _Atomic uint64_t commit_wait_ns;
    uint8_t pad4[8];
    /* Line 5. */
    repl_divergence divergence;
    /* Replay: the recording's captured standard output (--recorded-output), NUL-terminated;
     * empty when not given. Set before the program starts. */
    char recorded_output[REPL_PATH_LIMIT];
} repl_shared;

_Static_assert(offsetof(repl_shared, mode) == 32, "repl_shared.mode");
_Static_assert(offsetof(repl_shared, stop_at) == 48, "repl_shared.stop_at");
_Static_assert(offsetof(repl_shared, stop_process) == 56, "repl_shared.stop_process");
_Static_assert(offsetof(repl_shared, next_sequence) == 64, "repl_shared.next_sequence");
_Static_assert(offsetof(repl_shared, stopped_at) == 72, "repl_shared.stopped_at");
_Static_assert(offsetof(repl_shared, chaos) == 88, "repl_shared.chaos");
_Static_assert(offsetof(repl_shared, commit_wanted) == 128, "repl_shared.commit_wanted");
_Static_assert(offsetof(repl_shared, drained) == 192, "repl_shared.drained");
_Static_assert(offsetof(repl_shared, area_lock) == 256, "repl_shared.area_lock");
_Static_assert(offsetof(repl_shared, divergence) == 320, "repl_shared.divergence");
_Static_assert(offsetof(repl_shared, append_lock) == 276, "repl_shared.append_lock");
_Static_assert(offsetof(repl_shared, output_written) == 280, "repl_shared.output_written");
_Static_assert(offsetof(repl_shared, commit_wait_ns) == 304, "repl_shared.commit_wait_ns");
#define REPL_APPEND_CONTENDED 0x80000000u

/* ---- where the parts are ---------------------------------------------------------------- */

static inline size_t repl_free_list_offset(void) {
    return (sizeof(repl_shared) + 63) & ~(size_t)63;
}

static inline size_t repl_waiters_offset(void) {
    return (repl_free_list_offset() + REPL_PAYLOAD_AREAS * sizeof(uint16_t) + 63) & ~(size_t)63;
}

static inline size_t repl_ring_offset(void) {
    return (repl_waiters_offset() + REPL_WAITERS * sizeof(repl_waiter) + 4095) & ~(size_t)4095;
}

static inline size_t repl_areas_offset(void) {
    return repl_ring_offset() + (size_t)REPL_RING_SLOTS * sizeof(repl_slot);
}

static inline size_t repl_region_size(void) {
    return repl_areas_offset() + (size_t)REPL_PAYLOAD_AREAS * REPL_AREA_STRIDE;
}

static inline uint16_t *repl_free_areas(repl_shared *shared) {
    return (uint16_t *)((char *)shared + repl_free_list_offset());
}

static inline repl_waiter *repl_waiters(repl_shared *shared) {
    return (repl_waiter *)((char *)shared + repl_waiters_offset());
}

static inline repl_slot *repl_ring(repl_shared *shared) {
    return (repl_slot *)((char *)shared + repl_ring_offset());
}

/* The slot that sequence number `sequence` uses. */
static inline repl_slot *repl_ring_slot(repl_shared *shared, uint64_t sequence) {
    return repl_ring(shared) + (sequence & (REPL_RING_SLOTS - 1));
}

static inline repl_payload_area *repl_area(repl_shared *shared, uint32_t index) {
    return (repl_payload_area *)((char *)shared + repl_areas_offset() + (size_t)index * REPL_AREA_STRIDE);
}

static inline uint8_t *repl_area_data(repl_payload_area *area) {
    return (uint8_t *)(area + 1);
}

/* ---- slots -------------------------------------------------------------------------------- */

/* Fills a slot that is free: the call, and the payload when it is inline (`inline_bytes` holds
 * call->payload_length <= REPL_INLINE_PAYLOAD bytes; NULL otherwise). Publish it afterwards. */
static inline void repl_slot_fill(repl_slot *slot, const repl_call *call, const void *inline_bytes) {
    slot->call = *call;
    if (inline_bytes && call->payload_length <= REPL_INLINE_PAYLOAD && call->payload_length > 0)
        memcpy(slot->inline_payload, inline_bytes, (size_t)call->payload_length);
}

/* Makes a filled slot visible as `sequence` (release: its fields are seen before the number). */
static inline void repl_slot_publish(repl_slot *slot, uint64_t sequence) {
    atomic_store_explicit(&slot->sequence, sequence, memory_order_release);
}

/* Record: a slot whose sequence reads `s | REPL_SLOT_CLAIMED` is claimed for number s by the
 * thread that took it before a call's effect (release-like calls), and names that thread and the
 * call (process, thread, kind) before it is published. Should its process die before publishing,
 * the recorder logs the number as `lost` by that thread, in that call, and a replay can go past
 * it. The drainer waits for `s` exactly, so a claim is never taken for a message. */
#define REPL_SLOT_CLAIMED (1ull << 63)

static inline void repl_slot_claim(repl_slot *slot, uint64_t sequence, uint32_t process, uint32_t thread, uint16_t kind) {
    slot->call.process = process;
    slot->call.thread = thread;
    slot->call.kind = kind;
    atomic_store_explicit(&slot->sequence, sequence | REPL_SLOT_CLAIMED, memory_order_release);
}

/* Whether slot holds a claim for `sequence` (acquire: then its owner fields are the claimer's). */
static inline bool repl_slot_claimed(repl_slot *slot, uint64_t sequence) {
    return atomic_load_explicit(&slot->sequence, memory_order_acquire) == (sequence | REPL_SLOT_CLAIMED);
}

/* The sequence number published in a slot (acquire: the slot's fields are visible after it). */
static inline uint64_t repl_slot_published(repl_slot *slot) {
    return atomic_load_explicit(&slot->sequence, memory_order_acquire);
}

/* ---- payload areas ------------------------------------------------------------------------- */

/* Producer: copies as much of `data` as there is room for (none when the area is full), makes
 * it visible to the consumer, and returns how many bytes it copied. The caller decides how to
 * wait for room. */
static inline size_t repl_area_put(repl_payload_area *area, const void *data, size_t length) {
    uint64_t head = atomic_load_explicit(&area->head, memory_order_relaxed); /* only we write it */
    uint64_t tail = atomic_load_explicit(&area->tail, memory_order_acquire);
    size_t copied = 0;
    while (copied < length && head - tail < REPL_PAYLOAD_AREA_SIZE) {
        size_t at = (size_t)(head % REPL_PAYLOAD_AREA_SIZE);
        size_t n = length - copied;
        if (n > REPL_PAYLOAD_AREA_SIZE - (head - tail)) n = (size_t)(REPL_PAYLOAD_AREA_SIZE - (head - tail));
        if (n > REPL_PAYLOAD_AREA_SIZE - at) n = REPL_PAYLOAD_AREA_SIZE - at;
        memcpy(repl_area_data(area) + at, (const uint8_t *)data + copied, n);
        head += n;
        copied += n;
    }
    if (copied) atomic_store_explicit(&area->head, head, memory_order_release);
    return copied;
}

/* Consumer: copies up to `length` available bytes into `out` (skips them when `out` is NULL),
 * gives their room back to the producer, and returns how many there were (none when the
 * producer has not written them yet). The caller decides how to wait. */
static inline size_t repl_area_get(repl_payload_area *area, void *out, size_t length) {
    uint64_t tail = atomic_load_explicit(&area->tail, memory_order_relaxed); /* only we write it */
    uint64_t head = atomic_load_explicit(&area->head, memory_order_acquire);
    size_t copied = 0;
    while (copied < length && head > tail) {
        size_t at = (size_t)(tail % REPL_PAYLOAD_AREA_SIZE);
        size_t n = length - copied;
        if (n > head - tail) n = (size_t)(head - tail);
        if (n > REPL_PAYLOAD_AREA_SIZE - at) n = REPL_PAYLOAD_AREA_SIZE - at;
        if (out) memcpy((uint8_t *)out + copied, repl_area_data(area) + at, n);
        tail += n;
        copied += n;
    }
    if (copied) atomic_store_explicit(&area->tail, tail, memory_order_release);
    return copied;
}

/* ---- counters -------------------------------------------------------------------------------- */

static inline uint64_t repl_next_sequence(repl_shared *shared) {
    return atomic_load_explicit(&shared->next_sequence, memory_order_acquire);
}

static inline uint64_t repl_drained(repl_shared *shared) {
    return atomic_load_explicit(&shared->drained, memory_order_acquire);
}

/* Frees the slots up to `sequence`: their content has been copied out. */
static inline void repl_set_drained(repl_shared *shared, uint64_t sequence) {
    atomic_store_explicit(&shared->drained, sequence, memory_order_release);
}

static inline uint32_t repl_processes_started(repl_shared *shared) {
    return atomic_load_explicit(&shared->processes_started, memory_order_relaxed);
}

static inline uint32_t repl_threads_started(repl_shared *shared) {
    return atomic_load_explicit(&shared->threads_started, memory_order_relaxed);
}

static inline uint64_t repl_commit_writes(repl_shared *shared) {
    return atomic_load_explicit(&shared->commit_writes, memory_order_relaxed);
}

static inline uint64_t repl_commit_waits(repl_shared *shared) {
    return atomic_load_explicit(&shared->commit_waits, memory_order_relaxed);
}

static inline uint64_t repl_commit_wait_ns(repl_shared *shared) {
    return atomic_load_explicit(&shared->commit_wait_ns, memory_order_relaxed);
}

/* ---- output commit (record) ------------------------------------------------------------------ */

/* A thread about to write to a socket raises commit_wanted and wakes the recorder; the recorder
 * writes its pending frame, publishes `committed` and wakes the waiters. */
static inline uint64_t repl_commit_wanted(repl_shared *shared) {
    return atomic_load_explicit(&shared->commit_wanted, memory_order_acquire);
}

static inline void repl_set_committed(repl_shared *shared, uint64_t sequence) {
    atomic_store_explicit(&shared->committed, sequence, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);  /* pairs with the waiter's count, then its check */
    if (atomic_load_explicit(&shared->commit_waiters, memory_order_acquire) == 0) return;
    atomic_fetch_add_explicit(&shared->commit_word, 1, memory_order_release);
    REPL_ABI_SYSCALL(SYS_futex, &shared->commit_word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* The recorder, idle: sleeps up to `nanoseconds`, or until a thread wants a commit. */
static inline void repl_recorder_sleep(repl_shared *shared, long nanoseconds) {
    uint32_t word = atomic_load_explicit(&shared->recorder_word, memory_order_acquire);
    atomic_store_explicit(&shared->recorder_sleeping, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&shared->commit_wanted, memory_order_acquire) <=
        atomic_load_explicit(&shared->committed, memory_order_acquire)) {
        struct timespec timeout = {0, nanoseconds};
        REPL_ABI_SYSCALL(SYS_futex, &shared->recorder_word, FUTEX_WAIT, word, &timeout, NULL, 0);
    }
    atomic_store_explicit(&shared->recorder_sleeping, 0, memory_order_relaxed);
}

static inline void repl_wake_recorder(repl_shared *shared) {
    atomic_thread_fence(memory_order_seq_cst);  /* pairs with the recorder's flag, then its check */
    if (!atomic_load_explicit(&shared->recorder_sleeping, memory_order_acquire)) return;
    atomic_fetch_add_explicit(&shared->recorder_word, 1, memory_order_release);
    REPL_ABI_SYSCALL(SYS_futex, &shared->recorder_word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* ---- turns (replay) -------------------------------------------------------------------------- */

#define REPL_ANY_THREAD UINT32_MAX

/* Replayer: arms the next stop for a debugger (at 0: none). The thread and process are set
 * before the sequence number that arms them. */
static inline void repl_arm_stop(repl_shared *shared, uint64_t at, uint32_t process, uint32_t thread) {
    shared->stop_process = process;
    shared->stop_thread = thread;
    atomic_store_explicit(&shared->stop_at, at, memory_order_release);
}

static inline uint64_t repl_armed_stop(repl_shared *shared) {
    return atomic_load_explicit(&shared->stop_at, memory_order_acquire);
}

/* Replayer: the last stop a thread made for a debugger (0: none yet), with its real ids. */
static inline uint64_t repl_stopped_at(repl_shared *shared, int32_t *pid, int32_t *tid) {
    uint64_t at = atomic_load_explicit(&shared->stopped_at, memory_order_acquire);
    *pid = shared->stopped_pid;
    *tid = shared->stopped_tid;
    return at;
}

static inline uint64_t repl_replayed(repl_shared *shared) {
    return atomic_load_explicit(&shared->next_sequence, memory_order_acquire);
}

static inline uint32_t repl_has_diverged(repl_shared *shared) {
    return atomic_load_explicit(&shared->diverged, memory_order_acquire);
}

/* A waiter entry whose thread has exited (its key is stored so at the thread's end): lookups
 * pass over it, and a new thread may take it, so that a program that starts threads all its life
 * does not fill the table. */
#define REPL_WAITER_GONE UINT64_MAX

/* A waiter entry's key: 0 when free, else logical thread ((process << 32) | thread) + 1. */
static inline uint64_t repl_waiter_key(repl_waiter *waiter) {
    return atomic_load_explicit(&waiter->key, memory_order_acquire);
}

/* The waiter entry of logical thread (process, thread); created when `create`, else NULL if the
 * thread has never waited. NULL also when the table is full of live threads: the caller then
 * polls. Only a thread itself creates its entry, so no two threads insert one key. */
static inline repl_waiter *repl_find_waiter(repl_shared *shared, uint32_t process, uint32_t thread, int create) {
    uint64_t key = (((uint64_t)process << 32) | thread) + 1;
    repl_waiter *table = repl_waiters(shared);
    uint64_t hash = key * 0x9E3779B97F4A7C15ull;
    for (;;) {
        repl_waiter *reusable = NULL;
        uint32_t probe = 0;
        for (; probe < REPL_WAITERS; probe++) {
            repl_waiter *w = &table[(hash + probe) % REPL_WAITERS];
            uint64_t current = atomic_load_explicit(&w->key, memory_order_acquire);
            if (current == key) return w;
            if (current == REPL_WAITER_GONE) {
                if (!reusable) reusable = w;
                continue;
            }
            if (current == 0) break;  /* the key is in no entry */
        }
        if (!create) return NULL;
        repl_waiter *target = reusable ? reusable
                                       : probe < REPL_WAITERS ? &table[(hash + probe) % REPL_WAITERS] : NULL;
        if (!target) return NULL;
        uint64_t expected = reusable ? REPL_WAITER_GONE : 0;
        if (atomic_compare_exchange_strong_explicit(&target->key, &expected, key, memory_order_acq_rel,
                                                    memory_order_acquire))
            return target;
        /* another thread took that entry meanwhile: look again */
    }
}

/* A thread that has exited gives its entry back. */
static inline void repl_release_waiter(repl_waiter *waiter) {
    atomic_store_explicit(&waiter->key, REPL_WAITER_GONE, memory_order_release);
}

/* Wakes the thread that owns the next turn, if it sleeps. */
static inline void repl_wake_owner(repl_shared *shared, uint32_t process, uint32_t thread) {
    repl_waiter *w = repl_find_waiter(shared, process, thread, 0);
    if (!w) return;  /* it has not waited yet: it finds its turn when it looks */
    atomic_fetch_add_explicit(&w->word, 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    if (__atomic_load_n(&w->sleeping, __ATOMIC_ACQUIRE))
        REPL_ABI_SYSCALL(SYS_futex, &w->word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Publishes a filled slot, then reports whether it is the next turn (its owner must be woken).
 * The fence pairs with the one in the layer's turn completion: one side sees the other. */
static inline int repl_publish_for_replay(repl_shared *shared, repl_slot *slot, uint64_t sequence) {
    repl_slot_publish(slot, sequence);
    atomic_store_explicit(&shared->drained, sequence, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&shared->next_sequence, memory_order_acquire) + 1 == sequence;
}

/* Goes live: every waiting thread is woken and performs its calls for real from now on. */
static inline void repl_promote(repl_shared *shared) {
    atomic_store_explicit(&shared->promoted, 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    repl_waiter *table = repl_waiters(shared);
    for (uint32_t i = 0; i < REPL_WAITERS; i++) {
        if (atomic_load_explicit(&table[i].key, memory_order_acquire) == 0) continue;
        atomic_fetch_add_explicit(&table[i].word, 1, memory_order_release);
        REPL_ABI_SYSCALL(SYS_futex, &table[i].word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    }
}

#endif
