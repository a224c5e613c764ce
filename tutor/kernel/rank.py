"""Each rank of a ``run_distributed()`` run: ``python -m tutor.kernel.rank SCRIPT [ARGS...]``.

torchrun starts this in every rank; it runs SCRIPT as ``__main__`` (see
``tutor.kernel.distributed.rank_main``).
"""

import sys

from tutor.kernel.distributed import rank_main

if __name__ == "__main__":
    rank_main(sys.argv[1:])
