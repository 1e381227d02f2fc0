"""``python -m finetune_lab.course``: the course runner's command line (see ``runner``)."""

import sys

from finetune_lab.course.runner import main

sys.exit(main())
