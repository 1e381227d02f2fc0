"""The course machinery: parameters, widgets, records, the environment check, exercises, the plan and the runner.

``python -m finetune_lab.course run`` executes every notebook headless
(``runner``); ``plan`` says what each notebook teaches and how long it takes;
``python -m finetune_lab.course sync`` holds the notebooks' parameters cells,
their stated minutes and the README's course table to ``params`` and ``plan``.
Nothing here imports TensorFlow, except the environment check's GPU item.
"""

from finetune_lab.course.messages import current_language, tr, use_language  # noqa: E402,F401  (the notebooks' first cell)
