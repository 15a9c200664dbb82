/*
 * Signals: sigaction, signal, sigprocmask and pthread_sigmask, and the calls that wait for a
 * handler to run (sigsuspend, pause). The layer installs its own handler in front of every handler
 * the program installs for an asynchronous signal; synchronous faults (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGTRAP, SIGSYS) are left alone, since they recur by themselves at replay.
 *
 * Record: a delivery is a `signal` message (resource: the signal; payload: signo, code, sender
 * pid and uid), numbered when the program's handler runs, then the handler. A signal that
 * arrives while the thread is inside the layer waits until the thread leaves it (REPL_GUARD),
 * and its message says so (REPL_SIGNAL_AT_LEAVING): at replay it runs as the thread leaves the
 * call it arrived in, not at the thread's next call.
 *
 * Replay: real deliveries are ignored; a thread whose next message is a `signal` runs the
 * program's handler there, with the recorded sender: as it leaves the call the signal arrived in
 * (see above), when it unblocks the signal (sigprocmask, pthread_sigmask), or at its next
 * intercepted call. A signal that interrupted a blocking call at record (an epoll_wait that
 * returned EINTR) replays in the same place; one that arrived during pure computation runs at
 * the thread's next intercepted call, which may be later in that computation than on the
 * primary. Once live, handlers run as the kernel delivers.
 *
 * sigsuspend and pause return only once a handler has run. Recording, they are the real call:
 * the delivery that ends them is numbered by the handler as any other. At replay a real wait
 * would never end (real deliveries are ignored, and the signal may come from a process outside
 * the recording: nginx's master waits for its SIGQUIT in sigsuspend), so the thread waits for
 * its next turn, which must be a delivery: the handler runs there, and so do the deliveries that
 * are its next turns, and the call returns EINTR, as on the primary. sigsuspend's mask is applied
 * meanwhile, so the handlers run under it.
 */
#include "interpose.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* What the program asked for, per signal; valid where `program_set` is true. */
static struct sigaction program_actions[NSIG];
static bool program_set[NSIG];

/* The recorded part of a delivery (fits the inline payload). */
struct signal_payload {
    int32_t signo, code, pid, uid;
};
_Static_assert(sizeof(struct signal_payload) <= REPL_INLINE_PAYLOAD, "signal payload is inline");

/* Deliveries that arrived inside the layer, per thread. */
#define PENDING_LIMIT 8
static REPL_TLS struct signal_payload pending[PENDING_LIMIT];
REPL_TLS int repl_pending_signals;

static bool synchronous(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS;
}

static bool is_handler(const struct sigaction *action) {
    if (action->sa_flags & SA_SIGINFO) return action->sa_sigaction != NULL;
    return action->sa_handler != SIG_DFL && action->sa_handler != SIG_IGN;
}

/* Runs the program's handler as the kernel would (its mask is not applied: the layer's own
 * handler already runs with it, and a deferred or replayed delivery comes outside any). */
static void run_program_handler(int sig, siginfo_t *info, void *context) {
    struct sigaction action = program_actions[sig];
    if (!is_handler(&action)) return;
    if (action.sa_flags & SA_RESETHAND) {  /* one-shot, as the kernel has just made it */
        program_actions[sig].sa_handler = SIG_DFL;
        program_actions[sig].sa_flags &= ~SA_SIGINFO;
    }
    if (action.sa_flags & SA_SIGINFO) action.sa_sigaction(sig, info, context);
    else action.sa_handler(sig);
}

static void run_recorded(const struct signal_payload *delivery) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = delivery->signo;
    info.si_code = delivery->code;
    info.si_pid = delivery->pid;
    info.si_uid = (uid_t)delivery->uid;
    run_program_handler(delivery->signo, &info, NULL);
}

static void record_and_run(int sig, siginfo_t *info, void *context) {
    struct signal_payload delivery = {sig, info ? info->si_code : 0, info ? info->si_pid : 0, info ? (int32_t)info->si_uid : 0};
    repl_record(REPL_SIGNAL, (uint64_t)sig, 0, 0, &delivery, sizeof delivery);
    run_program_handler(sig, info, context);
}

static void layer_handler(int sig, siginfo_t *info, void *context) {
    int saved_errno = errno;
    if (repl_replay_mode) {
        /* Replaying, the log says when handlers run; live, the kernel does. */
        if (repl_region && atomic_load_explicit(&repl_region->promoted, memory_order_acquire))
            run_program_handler(sig, info, context);
    } else if (!repl_region) {
        run_program_handler(sig, info, context);
    } else if (repl_self.depth > 0) {
        if (repl_pending_signals < PENDING_LIMIT)
            pending[repl_pending_signals++] = (struct signal_payload){sig, info ? info->si_code : 0,
                                                                      info ? info->si_pid : 0, info ? (int32_t)info->si_uid : 0};
    } else {
        record_and_run(sig, info, context);
    }
    errno = saved_errno;
}

void repl_deliver_pending_signals(void) {
    while (repl_pending_signals > 0) {
        struct signal_payload delivery = pending[0];
        repl_pending_signals--;
        memmove(&pending[0], &pending[1], sizeof pending[0] * (size_t)repl_pending_signals);
        repl_record(REPL_SIGNAL, (uint64_t)delivery.signo | REPL_SIGNAL_AT_LEAVING, 0, 0, &delivery, sizeof delivery);
        run_recorded(&delivery);
    }
}

void repl_replay_signal(repl_slot *slot) {
    struct signal_payload delivery;
    memcpy(&delivery, slot->inline_payload, sizeof delivery);
    repl_turn_done(slot);
    int saved_errno = errno;
    uint16_t depth = repl_self.depth;
    repl_self.depth = 0;  /* the handler runs as the program's code: its calls take their turns */
    run_recorded(&delivery);
    repl_self.depth = depth;
    errno = saved_errno;
}

REPL_EXPORT int sigaction(int sig, const struct sigaction *restrict action, struct sigaction *restrict old) {
    ENSURE(sigaction);
    if (!repl_region || sig <= 0 || sig >= NSIG || synchronous(sig) || sig == SIGKILL || sig == SIGSTOP)
        return repl_real.sigaction(sig, action, old);
    struct sigaction previous;
    if (!action) {
        if (repl_real.sigaction(sig, NULL, &previous) != 0) return -1;
    } else {
        struct sigaction installed = *action;
        if (is_handler(action)) {
            installed.sa_sigaction = layer_handler;
            installed.sa_flags |= SA_SIGINFO;
        }
        if (repl_real.sigaction(sig, &installed, &previous) != 0) return -1;
    }
    if (program_set[sig]) previous = program_actions[sig];  /* the program's, not the layer's */
    if (action) {
        program_actions[sig] = *action;
        program_set[sig] = true;
    }
    if (old) *old = previous;
    return 0;
}

/* Replay: a signal that waited, blocked, for the thread to unblock it is delivered here, as the
 * kernel delivered it on the primary; a thread's next call would be too late for a program (bash)
 * whose handler changes what that call is. */
static int after_mask_change(int result) {
    if (result == 0 && repl_replaying()) {
        sigset_t now;
        if (repl_real.pthread_sigmask(SIG_SETMASK, NULL, &now) == 0) repl_take_signal_turns(false, &now);
    }
    return result;
}

REPL_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
    ENSURE(sigprocmask);
    return after_mask_change(repl_real.sigprocmask(how, set, old));
}

REPL_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old) {
    ENSURE(pthread_sigmask);
    return after_mask_change(repl_real.pthread_sigmask(how, set, old));
}

/* glibc's signal(): BSD semantics (SA_RESTART, the signal blocked in its handler). */
REPL_EXPORT sighandler_t signal(int sig, sighandler_t handler) {
    struct sigaction action, old;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(sig, &action, &old) != 0) return SIG_ERR;
    return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)(void *)old.sa_sigaction : old.sa_handler;
}

/* Replay: the wait for a handler to run, which is this thread's next turn; false once live. */
static bool replay_signal_wait(const sigset_t *mask) {
    sigset_t before;
    if (mask && repl_real.pthread_sigmask(SIG_SETMASK, mask, &before) != 0) mask = NULL;
    bool replayed = false;
    {
        REPL_GUARD();
        repl_slot *slot = repl_turn(REPL_SIGNAL, 0, false);
        if (slot) {
            repl_replay_signal(slot);
            replayed = true;
            /* Signals that were pending too ran before the call returned on the primary: at the
             * thread's next call they could land inside the program's own critical section
             * (nginx's master would then find its time lock held, and skip a clock read). */
            sigset_t now;
            if (repl_real.pthread_sigmask(SIG_SETMASK, NULL, &now) == 0) repl_take_signal_turns(false, &now);
        }
    }
    if (mask) repl_real.pthread_sigmask(SIG_SETMASK, &before, NULL);
    if (replayed) errno = EINTR;
    return replayed;
}

REPL_EXPORT int sigsuspend(const sigset_t *mask) {
    ENSURE(sigsuspend);
    if (repl_replaying() && replay_signal_wait(mask)) return -1;
    return repl_real.sigsuspend(mask);
}

REPL_EXPORT int pause(void) {
    ENSURE(pause);
    if (repl_replaying() && replay_signal_wait(NULL)) return -1;
    return repl_real.pause();
}
