"""torchrun for ``run_distributed()``: ``python -m tutor.kernel.torchrun [TORCHRUN ARGS...]``.

It is ``python -m torch.distributed.run`` itself, made to die with the session
that launched it (see ``tutor.kernel.distributed.launch_main``).
"""

import sys

from tutor.kernel.distributed import launch_main

if __name__ == "__main__":
    launch_main(sys.argv[1:])
