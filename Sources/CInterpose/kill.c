/*
 * Sending signals: kill, killpg, sigqueue, tgkill, pthread_kill (and syscall(SYS_kill) and
 * syscall(SYS_tgkill), through time.c's syscall wrapper).
 *
 * All release-like: the number is taken before the signal is sent, so the call that observes it
 * (the target's handler, or its death reaped by a wait) comes later (R1). The message's
 * resource is the target and the signal, so replay checks both. A signal that can reach the
 * sender itself is published before it is sent: it may end the sender, whose number would
 * otherwise be lost.
 *
 * At replay a signal never reaches a process outside the recording (T2): pids are the recorded
 * ones, so the target is mapped to the replayed process behind it. This process itself, its
 * children, and their process groups are known; a signal to any other pid (a process outside the
 * recording, or one of the recording this process cannot name) is not sent, and the call returns
 * its recorded result. A target's handlers run at their recorded turns anyway (signal.c); what a
 * real delivery still decides at replay is a default action, such as a `kill $!` ending a child.
 * pthread_kill stays inside this process and is made for real.
 */
#include "interpose.h"

/* The message resource: the target (a pid, or a thread's handle) and the signal. */
static uint64_t target_and_signal(uint64_t target, int sig) {
    return (target & 0xFFFFFFFFull) | (uint64_t)(uint32_t)sig << 32;
}

pid_t repl_real_process(pid_t recorded) {
    if (recorded == repl_recorded_pid && recorded > 0) return (pid_t)repl_syscall(SYS_getpid);
    return repl_real_child(recorded);
}

pid_t repl_recorded_process(pid_t real) {
    if (real > 0 && real == (pid_t)repl_syscall(SYS_getpid) && repl_recorded_pid > 0) return repl_recorded_pid;
    pid_t recorded = repl_recorded_child(real);
    return recorded ? recorded : real;
}

/* Sends `sig` where recorded target `pid` is at replay, as kill(2) reads pid: a process, a
 * process group when negative, the caller's own group when 0. */
static void send_to_replayed(pid_t pid, int sig) {
    if (sig == 0 || pid == -1) return;  /* an existence check; or "every process": never */
    pid_t target = 0;                   /* 0: the caller's group, which is the replayed tree's */
    if (pid != 0) {
        pid_t real = repl_real_process(pid > 0 ? pid : -pid);
        if (real <= 0) return;  /* outside what this process knows: not sent */
        target = pid > 0 ? real : -real;
    }
    repl_syscall(SYS_kill, target, sig);
}

/* A signal sent at its turn: recorded (number first), or replayed with `replay_send` made once
 * the turn is complete (as a release-like call's effect is) and the recorded result returned.
 * pthread functions return an error number, the others -1 and errno (`returns_error`). */
#define SEND(kind, resource, returns_error, reaches_self, real_send, replay_send)             \
    if (repl_replaying()) {                                                                  \
        REPL_GUARD();                                                                        \
        repl_slot *slot = repl_turn(kind, resource, true);                                   \
        if (slot) {                                                                          \
            int recorded_ = (int)repl_turn_complete(slot); /* first: the signal may end us */ \
            replay_send;                                                                     \
            return recorded_;                                                                \
        }                                                                                    \
    }                                                                                        \
    if (!repl_active()) return (real_send);                                                  \
    if ((reaches_self) && sig > 0 && sig < NSIG) {                                           \
        /* The signal may end this process before it could publish: published first, with    \
         * the outcome a valid signal to oneself has. */                                     \
        repl_record(kind, resource, 0, 0, NULL, 0);                                          \
        return (real_send);                                                                  \
    }                                                                                        \
    int result, error;                                                                       \
    {                                                                                        \
        REPL_GUARD();                                                                        \
        uint64_t sequence = repl_take(kind);                                                 \
        result = (real_send);                                                                \
        error = !(returns_error) && result ? errno : 0;                                      \
        repl_publish(sequence, kind, resource, result, error, NULL, 0);                      \
    }                                                                                        \
    if (error) errno = error;                                                                \
    return result

/* Record: whether kill(2)'s `pid` names this process (itself, its group, every process). */
static bool reaches_this_process(pid_t pid) {
    return pid == 0 || pid == -1 || pid == (pid_t)repl_syscall(SYS_getpid) || -pid == (pid_t)repl_syscall(SYS_getpgid, 0);
}

REPL_EXPORT int kill(pid_t pid, int sig) {
    ENSURE(kill);
    SEND(REPL_KILL, target_and_signal((uint32_t)pid, sig), false, reaches_this_process(pid), repl_real.kill(pid, sig),
         send_to_replayed(pid, sig));
}

REPL_EXPORT int killpg(pid_t group, int sig) {
    ENSURE(killpg);
    SEND(REPL_KILL, target_and_signal((uint32_t)-group, sig), false, reaches_this_process(group > 0 ? -group : 0),
         repl_real.killpg(group, sig), send_to_replayed(-group, sig));
}

REPL_EXPORT int sigqueue(pid_t pid, int sig, const union sigval value) {
    ENSURE(sigqueue);
    SEND(REPL_KILL, target_and_signal((uint32_t)pid, sig), false, pid > 0 && reaches_this_process(pid),
         repl_real.sigqueue(pid, sig, value), send_to_replayed(pid, sig));
}

/* At replay only a thread's signal to itself is sent (its real tid is at hand); a recorded tid
 * of another thread has no known real counterpart. */
REPL_EXPORT int tgkill(pid_t process, pid_t thread, int sig) {
    ENSURE(tgkill);
    SEND(REPL_THREAD_KILL, target_and_signal((uint32_t)thread, sig), false, process == (pid_t)repl_syscall(SYS_getpid),
         repl_real.tgkill(process, thread, sig),
         if (sig != 0 && process == repl_recorded_pid && thread == repl_recorded_tid)
             repl_syscall(SYS_tgkill, repl_syscall(SYS_getpid), repl_syscall(SYS_gettid), sig));
}

/* A thread of this process: inside the recording, sent for real in both modes. The handle is
 * the same at replay (no address randomisation) but not compared, as lock addresses are not. */
REPL_EXPORT int pthread_kill(pthread_t thread, int sig) {
    ENSURE(pthread_kill);
    SEND(REPL_THREAD_KILL, target_and_signal(0, sig), true, true, repl_real.pthread_kill(thread, sig),
         (void)repl_real.pthread_kill(thread, sig));
}
