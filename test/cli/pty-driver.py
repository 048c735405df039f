"""Drives an interactive command through a pseudo-terminal, expect-style.

usage: python3 pty-driver.py '<steps json>' cmd [args...]
steps: [{"expect": "<regex>", "send": "<keys>"}...]; each waits (20 s at most) until the output
since the previous step matches, then types the keys. Prints {"exitCode", "output", "failed"} as
JSON; "output" has ANSI escapes removed. A command still running at the end is killed.
"""
import fcntl, json, os, pty, re, select, struct, sys, termios, time

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def main():
    steps = json.loads(sys.argv[1])
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["COLUMNS"] = "200"
        os.execvp(sys.argv[2], sys.argv[2:])
    # A pty starts 0 columns wide; prompts wrap at the width, so give it a real one.
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    state = {"raw": b""}

    def read(timeout):
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        state["raw"] += chunk
        return True

    def text():
        return ANSI.sub("", state["raw"].decode("utf8", "replace"))

    seen, failed = 0, None
    for step in steps:
        deadline = time.time() + 20
        pattern = re.compile(step["expect"])
        while True:
            m = pattern.search(text(), seen)
            if m:
                seen = m.end()
                break
            if time.time() > deadline or not read(0.05):
                failed = "timed out waiting for " + step["expect"]
                break
        if failed:
            break
        if step.get("send"):
            time.sleep(0.15)  # let the prompt finish drawing before typing
            os.write(fd, step["send"].encode())

    code, end = None, time.time() + (1 if failed else 15)
    while time.time() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            while read(0.05) and time.time() < end:
                pass
            break
        read(0.05)
    if code is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        failed = failed or "the command did not exit"
    print(json.dumps({"exitCode": code, "failed": failed, "output": text()}))


main()
