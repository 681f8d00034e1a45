"""``python -m rlver`` (and ``accelerate launch -m rlver train ...``)."""

from rlver.cli import main

if __name__ == "__main__":
    main()
