"""`textkit count|rle|unrle`: reads stdin, writes stdout."""

import argparse
import sys

import textkit


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="textkit", description=__doc__)
    parser.add_argument("command", choices=["count", "rle", "unrle", "version"])
    args = parser.parse_args(argv)
    if args.command == "version":
        print(textkit.__version__)
        return 0
    data = sys.stdin.buffer.read()
    if args.command == "count":
        print(textkit.count(data))
    elif args.command == "rle":
        sys.stdout.buffer.write(textkit.encode(data))
    else:
        try:
            sys.stdout.buffer.write(textkit.decode(data))
        except ValueError as e:
            print("textkit: %s" % e, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
