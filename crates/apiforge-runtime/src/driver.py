# The verification driver, run inside the sandbox as `python3 -c <this> MARK` in /app (a
# private copy of the project). It runs the checks side by side, each in its own process,
# and prints one line `MARK{json}` on its stdout, which only it writes to. Standard library
# only: the runtime is on PYTHONPATH for the checks, not needed here.
import json
import subprocess
import sys
import threading
import time

MARK = sys.argv[1]
PY = sys.executable
JUNIT = "/tmp/apiforge-junit.xml"
HEAD = 64 * 1024
JUNIT_MAX = 4 * 1024 * 1024

STEPS = [
    ("ruff_check", [PY, "-m", "ruff", "check", "--no-cache", "--output-format=concise", "."], "head"),
    ("ruff_format", [PY, "-m", "ruff", "format", "--check", "--no-cache",
                     "--output-format=concise", "."], "head"),
    ("compile", [PY, "-m", "compileall", "-q", "-x", r"(^|/)\.[^/]", "."], "head"),
    ("pytest", [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1",
                "--junitxml=" + JUNIT], "tail"),
]


def run(name, argv, keep, results):
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, check=False)
        code, out = proc.returncode, proc.stdout.decode("utf-8", "replace")
    except OSError as error:
        code, out = 127, "cannot run %s: %s" % (argv[2:4], error)
    if len(out) > HEAD:
        out = out[:HEAD] + "\n[truncated]" if keep == "head" else "[truncated]\n" + out[-HEAD:]
    results[name] = {"name": name, "exit_code": code, "seconds": time.monotonic() - start, "output": out}


def main():
    results = {}
    threads = [threading.Thread(target=run, args=(n, a, k, results)) for n, a, k in STEPS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    junit = None
    try:
        with open(JUNIT, "rb") as f:
            data = f.read(JUNIT_MAX + 1)
        if len(data) <= JUNIT_MAX:
            junit = data.decode("utf-8", "replace")
    except OSError:
        pass
    steps = [results[name] for name, _, _ in STEPS]
    sys.stdout.write("\n" + MARK + json.dumps({"steps": steps, "junit": junit}) + "\n")
    sys.stdout.flush()


main()
