"""Progress bars: in a kernel, the stored display ends as the finished bar (or nothing with leave=False)."""

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.displaypub import CapturingDisplayPublisher
from tqdm import tqdm as text_tqdm

from finetune_lab import progress
from finetune_lab.progress import progress_bar


@pytest.fixture
def kernel_displays(monkeypatch):
    """What the bar publishes, as a kernel would send it to papermill: a list of display messages."""
    shell = InteractiveShell.instance()
    publisher = CapturingDisplayPublisher()
    monkeypatch.setattr(shell, "display_pub", publisher)
    monkeypatch.setattr(progress, "_in_kernel", lambda: True)
    yield publisher.outputs
    InteractiveShell.clear_instance()


def test_outside_a_kernel_it_is_the_text_bar():
    bar = progress_bar(range(3), disable=True)
    assert type(bar) is text_tqdm


def test_a_finished_bar_updates_its_display_to_the_finished_bar(kernel_displays):
    for _ in progress_bar(range(50), desc="epoch 1/2", unit="batch"):
        pass
    first, last = kernel_displays[0], kernel_displays[-1]
    assert not first["update"] and "0/50" in first["data"]["text/plain"]
    display_id = first["transient"]["display_id"]
    assert last["update"] and last["transient"]["display_id"] == display_id
    assert last["data"]["text/plain"].startswith("epoch 1/2: 100%|██████████| 50/50")


def test_a_bar_that_does_not_stay_updates_its_display_to_nothing(kernel_displays):
    bar = progress_bar(total=10, desc="run", leave=False)
    bar.update(10)
    bar.close()
    assert kernel_displays[-1]["update"] and kernel_displays[-1]["data"] == {"text/plain": ""}


def test_a_bar_stopped_by_an_error_keeps_where_it_stopped(kernel_displays):
    with pytest.raises(RuntimeError):
        for step in progress_bar(range(10), desc="epoch 1/1", leave=False):
            if step == 4:
                raise RuntimeError("the loss is NaN")
    assert kernel_displays[-1]["update"] and "4/10" in kernel_displays[-1]["data"]["text/plain"]
