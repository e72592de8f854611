"""Entry point of ``python -m sagelab.data``."""

import logging
import sys

from sagelab.data.cli import main

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())
