"""Checks a kiln-train log against a training goal of issue-level tests.

  train-goal.py LOG --min-accuracy=A   the last line's test_accuracy >= A
  train-goal.py LOG --loss-falls=F     the first progress line's loss is at
                                       least F times the last one's

Prints `goal ok: ...` or `goal missed: ...` (exit status 1).
"""
import re
import sys


def main():
    path, goal = sys.argv[1], sys.argv[2]
    lines = open(path).read().splitlines()
    if goal.startswith("--min-accuracy="):
        want = float(goal.split("=", 1)[1])
        m = re.search(r"test_accuracy=([0-9.]+)", lines[-1] if lines else "")
        got = float(m.group(1)) if m else -1.0
        ok, what = got >= want, f"test_accuracy={got} >= {want}"
    elif goal.startswith("--loss-falls="):
        factor = float(goal.split("=", 1)[1])
        losses = [float(m.group(1)) for line in lines
                  if line.startswith(("step=", "epoch="))
                  for m in [re.search(r" loss=([0-9.e+-]+)", line)] if m]
        ok = len(losses) >= 2 and losses[0] >= factor * losses[-1]
        what = f"loss {losses[0] if losses else '?'} -> {losses[-1] if losses else '?'}, " \
               f"falls {factor}x"
    else:
        sys.exit(f"train-goal.py: unknown goal {goal}")
    print(f"goal {'ok' if ok else 'missed'}: {what}")
    sys.exit(0 if ok else 1)


main()
