"""Command line: ``python -m descend demo [--out DIR]``."""

from __future__ import annotations

import argparse
import sys


def main(argv=None):
    """Parse the command line and run the chosen command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m descend",
                                     description="descend: optimisation algorithms in C++.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="show the lectures' facts with real runs")
    demo.add_argument("--out", metavar="DIR", help="also write report.md into DIR")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from . import demo as demo_module

        demo_module.run(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
