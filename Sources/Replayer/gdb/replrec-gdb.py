# The replrec extension for gdb, loaded by `replplay --gdb` (gdb -x replrec-gdb.py).
#
# replplay and this extension share a control directory ($REPLPLAY_CONTROL): replplay keeps
# state.json there (where the replay stands, the next message, the map of logical threads to
# real ones); the extension leaves a request file to arm the next stop. A stop is a breakpoint on
# replrec_debugger_stop, which the layer calls just before a thread stops at an event.
#
# Commands:
#   replrec where          where the replay stands: sequence, the next message, this thread's
#                          logical id
#   replrec threads        gdb's threads and the logical threads (P:T) they are
#   replrec next           run to the next event of this logical thread
#   replrec next any       run to the next event of any thread
#   replrec goto N         run to event N; behind the replay, the log is replayed again from the
#                          start to N and gdb attaches to the new process (breakpoints stay)
import json
import os
import time

import gdb

CONTROL = os.environ.get("REPLPLAY_CONTROL", "")
last_event = None  # the event the breakpoint last stopped before


def read_state():
    try:
        with open(os.path.join(CONTROL, "state.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def state():
    """replplay's state.json, once it tells of the last stop (replplay writes it within
    milliseconds of the stop or of any progress)."""
    time.sleep(0.01)
    s = read_state()
    for _ in range(200):
        if last_event is None or s.get("stopped_at") == last_event:
            break
        time.sleep(0.005)
        s = read_state()
    return s


def logical_of(tid, threads=None):
    for process, thread, real in threads if threads is not None else state().get("threads", []):
        if real == tid:
            return "%d:%d" % (process, thread)
    return None


def request(text):
    """Asks replplay to arm a stop, and waits until it has taken the request."""
    path = os.path.join(CONTROL, "request")
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".tmp", path)
    for _ in range(400):
        if not os.path.exists(path):
            return True
        time.sleep(0.005)
    print("replrec: replplay did not take the request (is it still running?)")
    return False


def select_program_frame():
    """Selects and shows the newest frame outside the layer and libc: the program's own call."""
    try:
        frame = gdb.newest_frame()
        while frame is not None:
            solib = gdb.solib_name(frame.pc()) or ""
            if frame.name() and not any(part in solib for part in ("libreplintercept", "libc.so", "ld-linux")):
                frame.select()
                gdb.execute("frame")
                return
            frame = frame.older()
    except gdb.error:
        pass  # the thread runs again


class EventBreakpoint(gdb.Breakpoint):
    """Stops at each event the replay stops at, saying which."""

    def stop(self):
        global last_event
        sequence = int(gdb.parse_and_eval("$rdi"))
        last_event = sequence
        process = int(gdb.parse_and_eval("$rsi")) & 0xFFFFFFFF
        thread = int(gdb.parse_and_eval("$rdx")) & 0xFFFFFFFF
        print("replrec: stopped before event %d of logical thread %d:%d" % (sequence, process, thread))
        return True


def on_stop(event):
    """At an event's stop, the program's frame is the one to look at."""
    if isinstance(event, gdb.BreakpointEvent) and any(isinstance(b, EventBreakpoint) for b in event.breakpoints):
        select_program_frame()


class Replrec(gdb.Command):
    """Commands for a replayed program: replrec where, threads, next [any], goto N."""

    def __init__(self):
        super().__init__("replrec", gdb.COMMAND_USER, gdb.COMPLETE_NONE, True)

    def invoke(self, argument, from_tty):
        gdb.execute("help replrec")


class Where(gdb.Command):
    """Where the replay stands: the last event completed, the next message, this thread."""

    def __init__(self):
        super().__init__("replrec where", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        s = state()
        print("replrec: %d events replayed" % s.get("replayed", 0))
        if "stopped_at" in s:
            print("replrec: last stop before event %d (pid %d, tid %d)" % (s["stopped_at"], s["pid"], s["tid"]))
        nxt = s.get("next")
        if nxt:
            print("replrec: next event %d: %s on 0x%x by logical thread %d:%d"
                  % (nxt["sequence"], nxt["kind"], nxt["resource"], nxt["process"], nxt["thread"]))
        me = gdb.selected_thread()
        if me is not None:
            print("replrec: this thread (LWP %d) is logical thread %s" % (me.ptid[1], logical_of(me.ptid[1], s.get("threads")) or "?"))


class Threads(gdb.Command):
    """gdb's threads and the logical threads of the log they are."""

    def __init__(self):
        super().__init__("replrec threads", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        threads = state().get("threads", [])
        for t in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
            print("gdb thread %d (LWP %d): logical thread %s" % (t.num, t.ptid[1], logical_of(t.ptid[1], threads) or "? (no event yet)"))


class Next(gdb.Command):
    """Runs to the next event of this logical thread (replrec next), or of any thread (replrec next any)."""

    def __init__(self):
        super().__init__("replrec next", gdb.COMMAND_RUNNING)

    def invoke(self, argument, from_tty):
        s = state()
        if argument.strip() == "any":
            target = "stop-at %d" % (s.get("replayed", 0) + 1)
        else:
            me = logical_of(gdb.selected_thread().ptid[1], s.get("threads"))
            if me is None:
                print("replrec: this thread has made no event yet; use replrec next any")
                return
            target = "stop-next %s" % me
        if request(target):
            gdb.execute("continue")


class Goto(gdb.Command):
    """Runs to event N (replrec goto N); to go back, replays the log again up to it."""

    def __init__(self):
        super().__init__("replrec goto", gdb.COMMAND_RUNNING)

    def invoke(self, argument, from_tty):
        try:
            target = int(argument.strip())
        except ValueError:
            print("replrec: goto takes an event (sequence) number")
            return
        s = state()
        if target <= s.get("replayed", 0):
            go_back(target, s.get("pid"))
        elif request("stop-at %d" % target):
            gdb.execute("continue")


def go_back(target, old_pid):
    """Event `target` is behind: replplay replays the log again from the start up to it, and gdb
    attaches to the new process there. Breakpoints stay."""
    global last_event
    if not request("restart %d" % target):
        return
    confirm = gdb.parameter("confirm")
    gdb.execute("set confirm off")
    try:
        gdb.execute("kill", to_string=True)  # reaped here, so that replplay can reap it too
    except gdb.error:
        pass
    gdb.execute("set confirm %s" % ("on" if confirm else "off"))
    last_event = target
    for _ in range(6000):  # a replay to the event takes milliseconds to seconds
        s = read_state()
        if s.get("stopped_at") == target and s.get("pid") not in (None, old_pid):
            gdb.execute("attach %d" % s["pid"], to_string=True)
            for thread in gdb.selected_inferior().threads():
                if thread.ptid[1] == s.get("tid"):
                    thread.switch()  # the thread that stopped at the event
            print("replrec: replayed again to event %d (pid %d)" % (target, s["pid"]))
            select_program_frame()
            return
        time.sleep(0.01)
    print("replrec: the new replay did not reach event %d" % target)


# The layer's stops are SIGSTOPs the thread sends itself: the breakpoint stops instead, and the
# signal is kept from the program.
gdb.execute("handle SIGSTOP nostop noprint nopass")
EventBreakpoint("replrec_debugger_stop").silent = True
gdb.events.stop.connect(on_stop)
for command in (Replrec, Where, Threads, Next, Goto):
    command()
select_program_frame()
print("replrec: attached to the replay; commands: replrec where, threads, next [any], goto N")
