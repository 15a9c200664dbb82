/*
 * Signals: sigaction, signal, sigprocmask, pthread_sigmask, sigsuspend, pause and the sigwait
 * family. The layer installs its own handler in front of every handler the program installs for
 * an asynchronous signal; synchronous faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS)
 * are left alone, since they recur by themselves at replay.
 *
 * Record: a delivery is a `signal` message (resource: the signal and where it came, see
 * REPL_SIGNAL_AT_LEAVING; payload: signo, code, sender pid and uid), numbered when the
 * program's handler runs, then the handler. A signal that arrives while the thread is inside the
 * layer waits until the thread leaves it (REPL_GUARD), and its message says so: at replay it
 * runs as the thread leaves the call it arrived in. Every other one carries the number of mask
 * changes the thread made since its previous message: it came inside the last of them or after.
 *
 * An asynchronous signal whose default action ends the process (SIGTERM, SIGINT, SIGHUP,
 * SIGPIPE, SIGUSR1, ...) and which the program leaves at SIG_DFL goes through the layer's
 * handler too: the death is a `signal` message, numbered where the process died, and then the
 * default action is taken for real. A death that comes while the thread is inside the layer
 * waits until it leaves, so a process killed by another (a pool's terminate()) never dies
 * holding an unpublished number; and at replay the process ends at its recorded turn, not when
 * the replayed kill happens to arrive, which may be before turns it still took on the primary.
 * The program sees SIG_DFL wherever it asks (sigaction).
 *
 * Replay: real deliveries are ignored; a thread whose next message is a `signal` runs the
 * program's handler there, with the recorded sender: as it leaves the call the signal arrived in
 * (see above), as it ends the mask change the signal came at (sigprocmask, pthread_sigmask), in
 * the sigsuspend or pause it ended, or at its next intercepted call. A signal that interrupted a
 * blocking call at record (an epoll_wait that returned EINTR) replays in the same place; one
 * that arrived during pure computation runs at the thread's next intercepted call or mask
 * change, which may be later in that computation than on the primary. sigwait, sigwaitinfo and
 * sigtimedwait return the recorded signal. Once live, handlers run as the kernel delivers.
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
#define PENDING_LIMIT 64
static REPL_TLS struct signal_payload pending[PENDING_LIMIT];
REPL_TLS int repl_pending_signals;

/* Record: keeps a delivery that arrived inside the layer for when the thread leaves it. A
 * standard signal already waiting there is merged with it, as the kernel merges a standard
 * signal that is already pending (the thread is, in effect, blocking signals while inside); a
 * real-time one queues. A queue that is full would lose a delivery the program saw on the
 * primary, so the recording stops there instead (fail-stop). */
static void defer_delivery(int sig, const siginfo_t *info) {
    if (sig < SIGRTMIN) {
        for (int i = 0; i < repl_pending_signals; i++)
            if (pending[i].signo == sig) return;
    }
    if (repl_pending_signals == PENDING_LIMIT)
        repl_fail_stop("more than 64 signals arrived while one thread was inside one intercepted call");
    pending[repl_pending_signals++] = (struct signal_payload){sig, info ? info->si_code : 0, info ? info->si_pid : 0,
                                                              info ? (int32_t)info->si_uid : 0};
}

static bool synchronous(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS;
}

static bool is_handler(const struct sigaction *action) {
    if (action->sa_flags & SA_SIGINFO) return action->sa_sigaction != NULL;
    return action->sa_handler != SIG_DFL && action->sa_handler != SIG_IGN;
}

/* The asynchronous signals whose default action ends the process. */
static bool ends_by_default(int sig) {
    switch (sig) {
    case SIGHUP: case SIGINT: case SIGQUIT: case SIGPIPE: case SIGALRM: case SIGTERM: case SIGUSR1:
    case SIGUSR2: case SIGPOLL: case SIGPROF: case SIGVTALRM: case SIGXCPU: case SIGXFSZ: case SIGSTKFLT:
    case SIGPWR:
        return true;
    }
    return sig >= SIGRTMIN && sig <= SIGRTMAX;
}

static bool is_default(const struct sigaction *action) {
    return !(action->sa_flags & SA_SIGINFO) && action->sa_handler == SIG_DFL;
}

static void layer_handler(int sig, siginfo_t *info, void *context);

/* Puts the layer's handler where the program has SIG_DFL for a signal that ends it by default
 * (`mask`: the program's sa_mask). SA_RESTART: a real delivery the layer ignores at replay must
 * not interrupt a call. */
static int take_default_action(int sig, const sigset_t *mask, struct sigaction *previous) {
    struct sigaction installed;
    memset(&installed, 0, sizeof installed);
    installed.sa_sigaction = layer_handler;
    installed.sa_flags = SA_SIGINFO | SA_RESTART;
    if (mask) installed.sa_mask = *mask;
    else sigemptyset(&installed.sa_mask);
    return repl_real.sigaction(sig, &installed, previous);
}

/* Takes the default action, which ends the process: the signal made SIG_DFL, let through and
 * sent to this thread again. */
static void end_by_default(int sig) {
    struct sigaction default_action;
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    repl_real.sigaction(sig, &default_action, NULL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    repl_syscall(SYS_tgkill, repl_syscall(SYS_getpid), repl_syscall(SYS_gettid), sig);
    repl_real.pthread_sigmask(SIG_UNBLOCK, &only, NULL);
}

void repl_take_default_actions(void) {
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction current;
        if (!ends_by_default(sig) || repl_real.sigaction(sig, NULL, &current) != 0 || !is_default(&current)) continue;
        if (take_default_action(sig, NULL, NULL) != 0) continue;
        program_actions[sig] = current;
        program_set[sig] = true;
    }
}

/* Runs the program's handler as the kernel would (its mask is not applied: the layer's own
 * handler already runs with it, and a deferred or replayed delivery comes outside any). */
static void run_program_handler(int sig, siginfo_t *info, void *context) {
    struct sigaction action = program_actions[sig];
    if (is_default(&action) && ends_by_default(sig)) end_by_default(sig);
    if (!is_handler(&action)) return;
    if (action.sa_flags & SA_RESETHAND) {  /* one-shot, as the kernel has just made it */
        program_actions[sig].sa_handler = SIG_DFL;
        program_actions[sig].sa_flags &= ~SA_SIGINFO;
        if (ends_by_default(sig)) take_default_action(sig, NULL, NULL);
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
    uint64_t resource = (uint64_t)sig | (uint64_t)repl_self.mask_changes << REPL_SIGNAL_MASK_CHANGE_SHIFT;
    repl_record(REPL_SIGNAL, resource, 0, 0, &delivery, sizeof delivery);
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
        defer_delivery(sig, info);
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
        int result = is_default(action) && ends_by_default(sig) ? take_default_action(sig, &action->sa_mask, &previous)
                                                                : repl_real.sigaction(sig, &installed, &previous);
        if (result != 0) return -1;
    }
    if (program_set[sig]) previous = program_actions[sig];  /* the program's, not the layer's */
    if (action) {
        program_actions[sig] = *action;
        program_set[sig] = true;
    }
    if (old) *old = previous;
    return 0;
}

/* Whether `mask` lets through a signal the program handles. */
static bool lets_a_handled_signal_through(const sigset_t *mask) {
    for (int sig = 1; sig < NSIG; sig++)
        if (program_set[sig] && is_handler(&program_actions[sig]) && sigismember(mask, sig) == 0) return true;
    return false;
}

/* A mask change of the program's (not one of the layer's own, nor one made inside the layer):
 * counted, since a signal is recorded with the count of mask changes before it. */
static bool count_mask_change(void) {
    if (!repl_region || repl_self.depth > 0) return false;
    if (repl_self.mask_changes < UINT16_MAX) repl_self.mask_changes++;
    return true;
}

/* Replay: a signal the kernel delivered inside this mask change on the primary (it had waited,
 * blocked, for the thread to let it through), or after it, before the thread's next call or mask
 * change, is delivered here, as the change ends. A thread's next call would be too late for a
 * program (bash) whose handler changes what that call is. */
static int after_mask_change(bool counted, int result) {
    if (!counted || result != 0 || !repl_replay_mode) return result;
    int saved_errno = errno;
    sigset_t now;
    if (repl_real.pthread_sigmask(SIG_SETMASK, NULL, &now) == 0)
        repl_take_signal_turns(false, &now, lets_a_handled_signal_through(&now));
    errno = saved_errno;
    return result;
}

REPL_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
    ENSURE(sigprocmask);
    bool counted = count_mask_change();
    return after_mask_change(counted, repl_real.sigprocmask(how, set, old));
}

REPL_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old) {
    ENSURE(pthread_sigmask);
    bool counted = count_mask_change();
    return after_mask_change(counted, repl_real.pthread_sigmask(how, set, old));
}

/* Replay: sigsuspend's wait, which ends with the delivery that is this thread's next turn (a
 * real wait would never end: real deliveries are ignored, and the signal may have come from
 * outside the recording, as nginx's master's SIGQUIT does). The handler runs under the call's
 * mask, and so do the deliveries the kernel made with it. False once live. */
static bool replay_suspension(const sigset_t *mask) {
    sigset_t before;
    bool masked = repl_real.pthread_sigmask(SIG_SETMASK, mask, &before) == 0;
    bool replayed = repl_await_signal_turn();
    if (replayed) repl_take_signal_turns(false, mask, false);
    if (masked) repl_real.pthread_sigmask(SIG_SETMASK, &before, NULL);
    if (replayed) errno = EINTR;
    return replayed;
}

REPL_EXPORT int sigsuspend(const sigset_t *mask) {
    ENSURE(sigsuspend);
    if (count_mask_change() && repl_replay_mode && replay_suspension(mask)) return -1;
    return repl_real.sigsuspend(mask);
}

REPL_EXPORT int pause(void) {
    sigset_t now;
    ENSURE(pthread_sigmask);
    repl_real.pthread_sigmask(SIG_SETMASK, NULL, &now);
    return sigsuspend(&now);
}

/* sigwait, sigwaitinfo, sigtimedwait: which signal was taken, and its details, are the result
 * (sigwait's own result is an error number, not -1 and errno). */
REPL_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout) {
    ENSURE(sigtimedwait);
    siginfo_t taken;
    struct repl_piece piece = {&taken, sizeof taken};
    int64_t recorded;
    int result;
    if (repl_replaying() && repl_replay_outcome(REPL_SIGWAIT, 0, true, &piece, 1, &recorded)) {
        result = (int)recorded;
    } else {
        result = repl_real.sigtimedwait(set, &taken, timeout);
        if (repl_active()) repl_record(REPL_SIGWAIT, 0, result, result < 0 ? errno : 0, &taken, result < 0 ? 0 : sizeof taken);
    }
    if (info && result >= 0) *info = taken;
    return result;
}

REPL_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info) {
    return sigtimedwait(set, info, NULL);
}

REPL_EXPORT int sigwait(const sigset_t *set, int *sig) {
    int result = sigtimedwait(set, NULL, NULL);
    if (result < 0) return errno == EINTR ? sigwait(set, sig) : errno;  /* sigwait is not interrupted */
    *sig = result;
    return 0;
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
