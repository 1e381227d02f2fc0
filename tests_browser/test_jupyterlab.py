"""The notebooks as a student meets them: real JupyterLab in headless Chromium, driven by selenium.

`make test-browser` runs this. It installs nothing: it needs Chromium and its
driver (Debian: `apt-get install chromium chromium-driver fonts-noto-cjk`;
.ci/run installs them when it runs as root) and says so in one line when they
are missing. It starts JupyterLab on 127.0.0.1 with a random token (autosave
off, so the notebooks stay as they are), opens notebooks 00, 01 and 06, runs
each through the menu (Run > Run All Cells), uses the panels by mouse and
keyboard, and checks what a student would see. Screenshots go to
runs/browser-<time>/. Notebook 06 needs notebook 05's saved model
(saved_models/05_fine_tuned, written by `make test`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or shutil.which("chromium-browser") or "")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or "")
INSTALL = "apt-get install chromium chromium-driver fonts-noto-cjk (Debian/Ubuntu), or set CHROMIUM and CHROMEDRIVER"
START_SECONDS, RUN_ALL_SECONDS, WIDGET_SECONDS = 120, 600, 60

if not (CHROMIUM and CHROMEDRIVER):
    pytest.exit(f"the browser test needs Chromium and chromedriver: {INSTALL}", returncode=2)

from selenium import webdriver  # noqa: E402  (after the check above: a clear line, not an ImportError)
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCREENSHOTS = REPO / "runs" / f"browser-{datetime.datetime.now(datetime.timezone.utc):%Y%m%dT%H%M%SZ}"

# JupyterLab settings for this test only: no autosave (the repository's notebooks stay untouched)
# and no news or update checks (the test machine may have no network).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _digests() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(NOTEBOOKS.glob("*.ipynb"))}


@pytest.fixture(scope="session")
def lab():
    """A JupyterLab server on 127.0.0.1 serving notebooks/; shut down (with its kernels) in all cases."""
    home = Path(tempfile.mkdtemp(prefix="finetune-lab-browser-"))
    for name, settings in LAB_SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={NOTEBOOKS}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    before = _digests()
    # A SIGTERM (CI's timeout, a killed job) raises SystemExit, so the finally below still stops the server.
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log = open(home / "jupyterlab.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; its log: {home / 'jupyterlab.log'}") from None
                time.sleep(1)
        yield url, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the server and its kernels
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        signal.signal(signal.SIGTERM, previous_handler)
        assert _digests() == before, "the browser session changed a notebook in notebooks/"


@pytest.fixture(scope="session")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                     "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(START_SECONDS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, seconds, condition, message):
    def safely(d):
        try:
            _accept_kernel_dialog(d)
            return condition(d)
        except StaleElementReferenceException:  # JupyterLab re-rendered the node: look again
            return False
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.5).until(safely)
    except TimeoutException:
        driver.save_screenshot(str(SCREENSHOTS / "timeout.png"))
        (SCREENSHOTS / "timeout.html").write_text(driver.page_source, encoding="utf-8")
        raise AssertionError(f"{message} (after {seconds} s; screenshot {SCREENSHOTS / 'timeout.png'})") from None


def _accept_kernel_dialog(driver) -> None:
    """JupyterLab sometimes asks which kernel to start; a student accepts the proposed one (the notebook's)."""
    for dialog in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog"):
        if "Select Kernel" in dialog.text:
            assert "finetune-lab" in dialog.find_element(By.CSS_SELECTOR, "select").text, dialog.text
            dialog.find_element(By.CSS_SELECTOR, ".jp-Dialog-button.jp-mod-accept").click()


def _console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _open_and_run_all(driver, lab, notebook: str):
    """Open ``notebook`` in a fresh workspace, Run > Run All Cells, wait until every cell has run."""
    url, token = lab
    driver.get(f"{url}/lab/tree/{notebook}.ipynb?reset&token={token}")
    _wait(driver, START_SECONDS, lambda d: d.find_elements(
        By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']")
        and not d.find_elements(By.CSS_SELECTOR, ".jp-Dialog"), f"{notebook}: the kernel did not start")
    stored_errors = _console_errors(driver)  # the stored outputs, drawn without running anything
    for attempt in range(3):  # the menu acts on the focused notebook: click into it first
        time.sleep(2)  # the kernel dialog may come a moment after the kernel reports idle
        _wait(driver, START_SECONDS, lambda d: d.find_elements(
            By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']")
            and not d.find_elements(By.CSS_SELECTOR, ".jp-Dialog"), f"{notebook}: the kernel did not start")
        next(tab for tab in driver.find_elements(By.CSS_SELECTOR, ".lm-DockPanel-tabBar .lm-TabBar-tab")
             if f"{notebook}.ipynb" in tab.text).click()
        menu = _wait(driver, WIDGET_SECONDS, lambda d: next(
            (e for e in d.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel") if e.text == "Run"), None),
            "no Run menu")
        menu.click()
        item = _wait(driver, WIDGET_SECONDS, lambda d: next(
            (e for e in d.find_elements(By.CSS_SELECTOR, ".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel")
             if e.text == "Run All Cells"), None), "no enabled 'Run All Cells' in the Run menu")
        item.click()
        # Every cell is queued at once and shows [*] until it has run; stored prompts look like fresh ones.
        try:
            WebDriverWait(driver, 15, poll_frequency=0.25).until(lambda d: any(
                p.get_attribute("textContent").strip() == "[*]:" for p in d.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")))
            break
        except TimeoutException:
            driver.save_screenshot(str(SCREENSHOTS / f"{notebook}_run_all_attempt_{attempt}.png"))
    else:
        raise AssertionError(f"{notebook}: Run > Run All Cells queued no cell in three tries")

    quiet = []  # consecutive polls with no cell queued or running and an idle kernel

    def finished(d):
        prompts = [p.get_attribute("textContent").strip() for p in d.find_elements(By.CSS_SELECTOR, ".jp-InputPrompt")]
        idle = d.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']")
        quiet.append(bool(idle) and "[*]:" not in prompts)
        return len(quiet) >= 4 and all(quiet[-4:])
    _wait(driver, RUN_ALL_SECONDS, finished, f"{notebook}: Run All did not finish")
    errors = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    assert not errors, f"{notebook}: a cell failed: {errors[0].text[:500]}"
    return stored_errors


def _panel(driver, parameter: str):
    """The panel row (an ipywidgets HBox) whose text box or checkbox is labelled ``parameter``."""
    for row in driver.find_elements(By.CSS_SELECTOR, ".widget-hbox"):
        labels = row.find_elements(By.CSS_SELECTOR, ":scope > .widget-html .finetune-lab-parameter")
        if any(label.get_attribute("textContent").strip() == parameter for label in labels):
            return row
    return None


def _panel_output(row):
    """The Output area of the panel holding ``row``."""
    return row.find_element(By.XPATH, "./ancestor::div[contains(@class,'widget-vbox')][1]"
                                      "//div[contains(@class,'widget-output')]")


def _type(driver, row, text: str):
    box = row.find_element(By.CSS_SELECTOR, "input[type='text']")
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(text, Keys.ENTER)
    return box


def _assert_widgets_render(driver, notebook: str, parameters: list[str]):
    broken = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")
              if "Error displaying widget" in e.text or "Loading widget" in e.text]
    assert not broken, f"{notebook}: widgets that did not render: {broken[:3]}"
    for name in parameters:
        row = _wait(driver, WIDGET_SECONDS, lambda d: _panel(d, name), f"{notebook}: no widget for {name}")
        assert row.is_displayed()
        # What hovering shows: the name, the input (text box, checkbox, list, slider) and the reason.
        hovered = row.find_elements(By.CSS_SELECTOR, ".finetune-lab-parameter, input, select, small")
        untold = [e.tag_name for e in hovered if "Allowed:" not in (e.get_attribute("title") or "")]
        assert not untold, f"{notebook}: {name}'s {untold} show no reason and allowed values on hover"


def _drag(driver, row, pixels: int):
    """Drag the slider handle in ``row`` by ``pixels`` to the right, as a mouse does."""
    handle = row.find_element(By.CSS_SELECTOR, ".noUi-handle")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", row)
    time.sleep(0.5)
    ActionChains(driver).move_to_element(handle).click_and_hold().move_by_offset(pixels, 0).release().perform()


def _shot(driver, element, name: str):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    time.sleep(0.5)
    driver.save_screenshot(str(SCREENSHOTS / name))


# Draws each CJK character of an element in the element's own font, and a private-use character that no
# font has (a missing-glyph box). A character drawn like that box, or all characters drawn alike, is tofu.
_MISSING_GLYPHS = """
const element = arguments[0];
const font = getComputedStyle(element).fontSize + ' ' + getComputedStyle(element).fontFamily;
const canvas = document.createElement('canvas');
canvas.width = 64; canvas.height = 64;
const context = canvas.getContext('2d', {willReadFrequently: true});
function draw(ch) {
  context.clearRect(0, 0, 64, 64);
  context.font = font; context.fillStyle = 'black'; context.textBaseline = 'top';
  context.fillText(ch, 4, 4);
  return Array.from(context.getImageData(0, 0, 64, 64).data).join(',');
}
const box = draw('\\uE000');
const characters = [...new Set(element.innerText.match(/[\\u4e00-\\u9fff]/g) || [])];
const drawings = characters.map(draw);
return {font: font, characters: characters.length, missing: characters.filter((c, i) => drawings[i] === box),
        distinct: new Set(drawings).size};
"""


def test_00_glossary_and_panel(browser, lab):
    stored_errors = _open_and_run_all(browser, lab, "00_start_here")
    _assert_widgets_render(browser, "00", ["show_glossary"])
    table = _wait(browser, WIDGET_SECONDS, lambda d: next(
        (t for t in d.find_elements(By.CSS_SELECTOR, ".jp-RenderedMarkdown table") if "监督学习" in t.text), None),
        "00: no glossary table with Chinese terms")
    _shot(browser, table, "00_glossary.png")
    glyphs = browser.execute_script(_MISSING_GLYPHS, table)
    assert glyphs["characters"] >= 20, glyphs
    assert not glyphs["missing"] and glyphs["distinct"] == glyphs["characters"], (
        f"00: Chinese characters drawn as missing-glyph boxes in {glyphs['font']}: {glyphs}; install a CJK font")
    row = _panel(browser, "show_glossary")
    row.find_element(By.CSS_SELECTOR, "input[type='checkbox']").click()
    _wait(browser, WIDGET_SECONDS, lambda d: "Glossary hidden." in _panel_output(row).text,
          "00: unticking show_glossary did not update the panel")
    _shot(browser, row, "00_panel.png")
    assert not stored_errors and not _console_errors(browser), (stored_errors, _console_errors(browser))


def test_01_slider_redraws_and_bad_value_is_refused(browser, lab):
    stored_errors = _open_and_run_all(browser, lab, "01_empirical_risk")
    _assert_widgets_render(browser, "01", ["learning_rate", "weight_decay", "num_steps"])
    row = _panel(browser, "learning_rate")
    box = row.find_element(By.CSS_SELECTOR, "input[type='text']")
    assert box.get_attribute("value") == "0.5", "01: rendering the panel changed the learning rate"
    output = _panel_output(row)
    assert not output.find_elements(By.TAG_NAME, "img"), "01: rendering the panel ran its callback"
    _drag(browser, row, 40)
    _wait(browser, WIDGET_SECONDS, lambda d: output.find_elements(By.TAG_NAME, "img"),
          "01: moving the learning-rate slider drew no plot")
    moved = box.get_attribute("value")
    assert moved != "0.5" and len(moved.replace(".", "").lstrip("0")) <= 3, f"01: the slider wrote {moved!r}"
    _shot(browser, row, "01_slider_moved.png")
    steps = _panel(browser, "num_steps")
    _type(browser, steps, "-3")
    _wait(browser, WIDGET_SECONDS, lambda d: "ParameterError: parameter num_steps=-3 is not allowed" in output.text,
          "01: typing num_steps -3 showed no ParameterError")
    assert steps.find_element(By.CSS_SELECTOR, "input[type='text']").get_attribute("value") == "-3"  # not clamped
    _shot(browser, steps, "01_bad_value.png")
    assert not stored_errors and not _console_errors(browser), (stored_errors, _console_errors(browser))


def test_06_threshold_panel(browser, lab):
    if not (REPO / "saved_models" / "05_fine_tuned" / "config.json").is_file():
        pytest.fail("06 needs notebook 05's model in saved_models/05_fine_tuned: run `make test` first")
    stored_errors = _open_and_run_all(browser, lab, "06_evaluation_and_deployment")
    _assert_widgets_render(browser, "06", ["decision_threshold"])
    row = _panel(browser, "decision_threshold")
    output = _panel_output(row)
    _drag(browser, row, 30)
    _wait(browser, WIDGET_SECONDS, lambda d: "dev at threshold" in output.text
          and "dev at threshold 0.500" not in output.text, "06: moving the threshold slider updated nothing")
    _shot(browser, row, "06_threshold_moved.png")
    _type(browser, row, "2")
    _wait(browser, WIDGET_SECONDS,
          lambda d: "ParameterError: parameter decision_threshold=2.0 is not allowed (out of range)" in output.text,
          "06: typing threshold 2 showed no ParameterError")
    _shot(browser, row, "06_bad_value.png")
    assert not stored_errors and not _console_errors(browser), (stored_errors, _console_errors(browser))
