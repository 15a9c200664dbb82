/*
 * The shared-memory ABI between the interception layer (libreplintercept.so, in every process
 * of the recorded program) and the recorder (replrec). Header only: structs, constants and the
 * few inline atomics both sides need. Any change to a layout bumps REPL_ABI_VERSION.
 *
 * Layout of the region (one shared-memory object, created 0600 by the recorder):
 *
 *   repl_shared                 header, counters
 *   repl_slot[ring_slots]       the message ring: sequence number s lives in slot s % ring_slots
 *   repl_payload_area[areas]    one per live thread: a byte ring for payloads too big for a slot
 *
 * Replay: the replayer fills slot s from the log (payloads through payload area 0, in sequence
 * order) and publishes slot.sequence = s; the thread whose logical ids the slot names waits
 * until s == replayed + 1 (its turn), checks that its call matches the message, performs the
 * call or returns the recorded result, stores replayed = s and wakes the owner of s + 1 through
 * its entry in the waiter table. A mismatch fills `divergence` and stops the program.
 *
 * Record: a thread takes s = ++next_sequence (R2), waits until slot s is free (drained >= s -
 * ring_slots), fills it, writes its payload into its own area, and publishes the slot by storing
 * s into slot.sequence with release order. The recorder drains slots in sequence order: it
 * waits for slot.sequence == drained + 1 (acquire), copies the message, and stores drained + 1
 * (release), which frees the slot. No system call on this path unless the ring is full.
 */
#ifndef REPLREC_REPLABI_H
#define REPLREC_REPLABI_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REPL_ABI_MAGIC 0x52504C52u /* "RLPR" */
#define REPL_ABI_VERSION 2u

#define REPL_RING_SLOTS (1u << 16)
#define REPL_PAYLOAD_AREAS 1024u
#define REPL_PAYLOAD_AREA_SIZE (256u << 10)
#define REPL_INLINE_PAYLOAD 16u
#define REPL_NO_AREA 0xFFFFu
#define REPL_WAITERS 1024u

/* What the layer does with intercepted calls. */
#define REPL_MODE_RECORD 0u
#define REPL_MODE_REPLAY 1u

/* Environment variables the layer reads (and removes from what the program sees recorded). */
#define REPL_ENV_SHM "REPLREC_SHM"         /* name of the shared-memory object */
#define REPL_ENV_PROCESS "REPLREC_PROCESS" /* logical process id of a process started by exec */

/* Logical ids (R3): the root process is 0, a forked or spawned process gets the sequence number
 * of its fork; a process's main thread is 0, a created thread gets the number of its
 * pthread_create. Sequence numbers start at 1, so the ids never collide. */
#define REPL_ENV_LAYER "REPLREC_LAYER"     /* path of libreplintercept.so, to keep it on exec */

/* One message in the ring: one 64-byte cache line. */
typedef struct repl_slot {
    _Atomic uint64_t sequence; /* published sequence number; written last, with release order */
    uint32_t process;          /* logical process id */
    uint32_t thread;           /* logical thread id */
    uint64_t resource;
    int64_t result;
    int32_t error;
    uint16_t kind;
    uint16_t area;           /* payload area holding the payload, REPL_NO_AREA when inline */
    uint64_t payload_length; /* bytes; inline when <= REPL_INLINE_PAYLOAD */
    uint8_t inline_payload[REPL_INLINE_PAYLOAD];
} repl_slot;

_Static_assert(sizeof(repl_slot) == 64, "repl_slot is one cache line");
_Static_assert(offsetof(repl_slot, sequence) == 0, "repl_slot.sequence");
_Static_assert(offsetof(repl_slot, resource) == 16, "repl_slot.resource");
_Static_assert(offsetof(repl_slot, kind) == 36, "repl_slot.kind");
_Static_assert(offsetof(repl_slot, payload_length) == 40, "repl_slot.payload_length");
_Static_assert(offsetof(repl_slot, inline_payload) == 48, "repl_slot.inline_payload");

/* A single-producer (its thread), single-consumer (the recorder) byte ring: this header, then
 * REPL_PAYLOAD_AREA_SIZE bytes of data (repl_area_data). Explicit padding keeps the counters on
 * separate cache lines (Swift imports neither over-aligned structs nor huge arrays well). */
typedef struct repl_payload_area {
    _Atomic uint64_t head; /* bytes written by the owning thread */
    uint8_t pad0[56];
    _Atomic uint64_t tail; /* bytes consumed by the recorder */
    uint8_t pad1[56];
} repl_payload_area;

#define REPL_AREA_STRIDE (sizeof(repl_payload_area) + REPL_PAYLOAD_AREA_SIZE)
_Static_assert(sizeof(repl_payload_area) == 128, "repl_payload_area layout");

typedef struct repl_shared {
    uint32_t magic;
    uint32_t abi_version;
    uint32_t ring_slots;
    uint32_t payload_areas;
    uint32_t payload_area_size;
    int32_t recorder_pid; /* the tool's pid: the layer stops the program when it is gone (fail-stop) */
    uint64_t size;        /* bytes of the whole region */
    uint32_t mode;        /* REPL_MODE_RECORD or REPL_MODE_REPLAY */
    _Atomic uint32_t diverged; /* replay: set once, with `divergence` filled, by the thread that saw it */
    _Atomic uint32_t promoted; /* replay: set by the replayer to go live (calls run for real) */
    uint32_t output_commit; /* record: hold socket writes until what came before is logged */
    uint64_t stop_at; /* replay: the thread about to execute this sequence number stops (0: none) */
    uint8_t pad0[8];
    /* Record: last sequence number taken (0: none yet). Replay: last sequence number completed. */
    _Atomic uint64_t next_sequence;
    /* Record: the highest sequence number a thread about to write to a socket waits to see
     * logged (output commit). */
    _Atomic uint64_t commit_wanted;
    uint8_t pad1[48];
    /* Record: last sequence number the recorder consumed. Replay: last one the replayer filled. */
    _Atomic uint64_t drained;
    /* Record: last sequence number written to the log file. */
    _Atomic uint64_t committed;
    /* Record, output commit: threads waiting for `committed` sleep on commit_word; the recorder
     * sleeps on recorder_word when it has nothing to do. */
    _Atomic uint32_t commit_waiters;
    _Atomic uint32_t commit_word;
    _Atomic uint32_t recorder_sleeping;
    _Atomic uint32_t recorder_word;
    uint8_t pad2[32];
    _Atomic uint32_t area_lock; /* guards the free list of payload areas (repl_free_areas) */
    uint32_t areas_used;        /* areas ever handed out */
    uint32_t free_count;
    _Atomic uint32_t processes_started; /* statistics for the summary line */
    _Atomic uint32_t threads_started;
    /* Replay: what did not match (valid once `diverged` is set). */
    struct repl_divergence {
        uint64_t sequence;
        uint64_t expected_resource, observed_resource;
        uint32_t expected_process, expected_thread, observed_process, observed_thread;
        uint16_t expected_kind, observed_kind;
        int32_t real_pid, real_tid;
    } divergence;
} repl_shared;

/* Replay: a thread waiting for its turn sleeps on its entry's word; whoever completes the call
 * before its turn wakes exactly that entry. key = (process << 32 | thread) + 1, 0 = free. */
typedef struct repl_waiter {
    _Atomic uint64_t key;
    _Atomic uint32_t word;
    uint32_t sleeping;
} repl_waiter;

_Static_assert(sizeof(repl_waiter) == 16, "repl_waiter layout");

_Static_assert(offsetof(repl_shared, mode) == 32, "repl_shared.mode");
_Static_assert(offsetof(repl_shared, stop_at) == 48, "repl_shared.stop_at");
_Static_assert(offsetof(repl_shared, next_sequence) == 64, "repl_shared.next_sequence");
_Static_assert(offsetof(repl_shared, drained) == 128, "repl_shared.drained");

/* Byte offsets inside the region: header, free list of areas, ring, areas. */
static inline size_t repl_free_list_offset(void) {
    return (sizeof(repl_shared) + 63) & ~(size_t)63;
}

static inline size_t repl_waiters_offset(void) {
    return (repl_free_list_offset() + REPL_PAYLOAD_AREAS * sizeof(uint16_t) + 63) & ~(size_t)63;
}

static inline size_t repl_ring_offset(void) {
    return (repl_waiters_offset() + REPL_WAITERS * sizeof(repl_waiter) + 4095) & ~(size_t)4095;
}

static inline repl_waiter *repl_waiters(repl_shared *shared) {
    return (repl_waiter *)((char *)shared + repl_waiters_offset());
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

static inline repl_slot *repl_ring(repl_shared *shared) {
    return (repl_slot *)((char *)shared + repl_ring_offset());
}

static inline repl_payload_area *repl_area(repl_shared *shared, uint32_t index) {
    return (repl_payload_area *)((char *)shared + repl_areas_offset() + (size_t)index * REPL_AREA_STRIDE);
}

static inline uint8_t *repl_area_data(repl_payload_area *area) {
    return (uint8_t *)(area + 1);
}

/* Accessors for the Swift side, which does not touch C11 atomics itself. */
static inline uint64_t repl_next_sequence(repl_shared *shared) {
    return atomic_load_explicit(&shared->next_sequence, memory_order_acquire);
}

static inline uint64_t repl_drained(repl_shared *shared) {
    return atomic_load_explicit(&shared->drained, memory_order_acquire);
}

/* Output commit: a thread about to write to a socket raises commit_wanted and wakes the
 * recorder; the recorder writes its pending frame, publishes `committed` and wakes the waiters. */
static inline uint64_t repl_commit_wanted(repl_shared *shared) {
    return atomic_load_explicit(&shared->commit_wanted, memory_order_acquire);
}

static inline void repl_set_committed(repl_shared *shared, uint64_t sequence) {
    atomic_store_explicit(&shared->committed, sequence, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);  /* pairs with the waiter's count, then its check */
    if (atomic_load_explicit(&shared->commit_waiters, memory_order_acquire) == 0) return;
    atomic_fetch_add_explicit(&shared->commit_word, 1, memory_order_release);
    syscall(SYS_futex, &shared->commit_word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* The recorder, idle: sleeps up to `nanoseconds`, or until a thread wants a commit. */
static inline void repl_recorder_sleep(repl_shared *shared, long nanoseconds) {
    uint32_t word = atomic_load_explicit(&shared->recorder_word, memory_order_acquire);
    atomic_store_explicit(&shared->recorder_sleeping, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&shared->commit_wanted, memory_order_acquire) <=
        atomic_load_explicit(&shared->committed, memory_order_acquire)) {
        struct timespec timeout = {0, nanoseconds};
        syscall(SYS_futex, &shared->recorder_word, FUTEX_WAIT, word, &timeout, NULL, 0);
    }
    atomic_store_explicit(&shared->recorder_sleeping, 0, memory_order_relaxed);
}

static inline void repl_wake_recorder(repl_shared *shared) {
    atomic_thread_fence(memory_order_seq_cst);  /* pairs with the recorder's flag, then its check */
    if (!atomic_load_explicit(&shared->recorder_sleeping, memory_order_acquire)) return;
    atomic_fetch_add_explicit(&shared->recorder_word, 1, memory_order_release);
    syscall(SYS_futex, &shared->recorder_word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Frees the slots up to `sequence`: their content has been copied out. */
static inline void repl_set_drained(repl_shared *shared, uint64_t sequence) {
    atomic_store_explicit(&shared->drained, sequence, memory_order_release);
}

/* The sequence number published in a slot (acquire: the slot's fields are visible after it). */
static inline uint64_t repl_slot_published(repl_slot *slot) {
    return atomic_load_explicit(&slot->sequence, memory_order_acquire);
}

static inline uint64_t repl_area_head(repl_payload_area *area) {
    return atomic_load_explicit(&area->head, memory_order_acquire);
}

static inline uint64_t repl_area_tail(repl_payload_area *area) {
    return atomic_load_explicit(&area->tail, memory_order_relaxed);
}

/* Gives consumed payload bytes back to the area's thread. */
static inline void repl_area_consume(repl_payload_area *area, uint64_t tail) {
    atomic_store_explicit(&area->tail, tail, memory_order_release);
}

/* Replay side, for the replayer. */
static inline uint64_t repl_replayed(repl_shared *shared) {
    return atomic_load_explicit(&shared->next_sequence, memory_order_acquire);
}

static inline uint32_t repl_has_diverged(repl_shared *shared) {
    return atomic_load_explicit(&shared->diverged, memory_order_acquire);
}

/* Goes live: every waiting thread is woken and performs its calls for real from now on. */
static inline void repl_promote(repl_shared *shared) {
    atomic_store_explicit(&shared->promoted, 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    repl_waiter *table = repl_waiters(shared);
    for (uint32_t i = 0; i < REPL_WAITERS; i++) {
        if (atomic_load_explicit(&table[i].key, memory_order_acquire) == 0) continue;
        atomic_fetch_add_explicit(&table[i].word, 1, memory_order_release);
        syscall(SYS_futex, &table[i].word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    }
}

/* Publishes a filled slot, then reports whether it is the next turn (its owner must be woken).
 * The fence pairs with the one in the layer's turn completion: one side sees the other. */
static inline int repl_publish_for_replay(repl_shared *shared, repl_slot *slot, uint64_t sequence) {
    atomic_store_explicit(&slot->sequence, sequence, memory_order_release);
    atomic_store_explicit(&shared->drained, sequence, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&shared->next_sequence, memory_order_acquire) + 1 == sequence;
}

/* The waiter entry of logical thread (process, thread); created when `create`, else NULL if the
 * thread has never waited. */
static inline repl_waiter *repl_find_waiter(repl_shared *shared, uint32_t process, uint32_t thread, int create) {
    uint64_t key = (((uint64_t)process << 32) | thread) + 1;
    repl_waiter *table = repl_waiters(shared);
    uint64_t hash = key * 0x9E3779B97F4A7C15ull;
    for (uint32_t probe = 0; probe < REPL_WAITERS; probe++) {
        repl_waiter *w = &table[(hash + probe) % REPL_WAITERS];
        uint64_t current = atomic_load_explicit(&w->key, memory_order_acquire);
        if (current == key) return w;
        if (current == 0) {
            if (!create) return NULL;
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong_explicit(&w->key, &expected, key, memory_order_acq_rel,
                                                        memory_order_acquire) || expected == key)
                return w;
        }
    }
    return NULL;
}

/* Wakes the thread that owns the next turn, if it sleeps. */
static inline void repl_wake_owner(repl_shared *shared, uint32_t process, uint32_t thread) {
    repl_waiter *w = repl_find_waiter(shared, process, thread, 0);
    if (!w) return;  /* it has not waited yet: it finds its turn when it looks */
    atomic_fetch_add_explicit(&w->word, 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    if (__atomic_load_n(&w->sleeping, __ATOMIC_ACQUIRE))
        syscall(SYS_futex, &w->word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static inline void repl_area_produce(repl_payload_area *area, uint64_t head) {
    atomic_store_explicit(&area->head, head, memory_order_release);
}

static inline uint64_t repl_area_tail_acquire(repl_payload_area *area) {
    return atomic_load_explicit(&area->tail, memory_order_acquire);
}

static inline uint32_t repl_processes_started(repl_shared *shared) {
    return atomic_load_explicit(&shared->processes_started, memory_order_relaxed);
}

static inline uint32_t repl_threads_started(repl_shared *shared) {
    return atomic_load_explicit(&shared->threads_started, memory_order_relaxed);
}

#endif
