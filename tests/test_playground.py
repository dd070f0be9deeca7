"""The browser playground in a real headless Chromium: a fake microphone fed from a WAV file streams over the
live socket and the final text appears on the page; a file upload shows words, speakers and voice badges."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.helpers import DATA, JFK, REPO, ServerProcess, load_pcm, normalise, write_wav

# The README shows this screenshot; a run rewrites it only with PULSE_UPDATE_SCREENSHOTS=1 (the tree stays clean).
SCREENSHOT = REPO / "docs" / "playground.png"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _config(tmp_path: Path, playground: dict) -> Path:
    config = yaml.safe_load((REPO / "configs" / "default.yaml").read_text())
    config["playground"] = playground
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_playground_switch(tmp_path: Path) -> None:
    """Auto: served on loopback only; `playground.enabled` overrides either way. No CDN in the page."""
    auto = _config(tmp_path, {})
    page = TestClient(create_app(Settings(config=auto, host="127.0.0.1"))).get("/playground/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "http://" not in page.text and "https://" not in page.text
    script = TestClient(create_app(Settings(config=auto))).get("/playground/playground.js").text
    assert "https://" not in script and "/waves/v1/stt/live" in script
    public = Settings(config=auto, host="0.0.0.0", api_keys="sk_x")
    assert TestClient(create_app(public)).get("/playground/").status_code == 404
    forced = Settings(config=_config(tmp_path, {"enabled": True}), host="0.0.0.0", api_keys="sk_x")
    assert TestClient(create_app(forced)).get("/playground/").status_code == 200
    off = Settings(config=_config(tmp_path, {"enabled": False}))
    assert TestClient(create_app(off)).get("/playground/").status_code == 404
    assert TestClient(create_app(off)).get("/playground/../server/app.py").status_code == 404


@pytest.fixture(scope="module")
def fake_microphone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """JFK followed by two seconds of silence, so the live endpointing seals a final."""
    pcm = np.concatenate([load_pcm(JFK), np.zeros(32000, dtype=np.float32)])
    return write_wav(pcm, tmp_path_factory.mktemp("mic") / "mic.wav")


@pytest.fixture()
def browser(fake_microphone: Path):  # noqa: ANN201 — a selenium WebDriver
    if not CHROMIUM or not CHROMEDRIVER:
        reason = "chromium/chromedriver not installed (./scripts/test installs them with apt-get when root)"
        print(f"SKIPPED playground browser test: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,900",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-audio-capture={fake_microphone}%noloop",
                 "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _finals_text(driver) -> str:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    return " ".join(el.text for el in driver.find_elements(By.CSS_SELECTOR, "#finals .final"))


def _wait(predicate, timeout: float, what: str, driver) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    status = driver.find_element(By.ID, "status").text
    pytest.fail(f"timed out waiting for {what}; status {status!r}; page text: {_finals_text(driver)!r}")


@pytest.mark.slow
def test_microphone_partials_become_finals_in_chromium(server: ServerProcess, browser, tmp_path: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    browser.get(f"{server.base_url}/playground/#key={server.api_key}")
    browser.find_element(By.ID, "diarize").click()
    browser.find_element(By.ID, "mic-start").click()
    partials: set[str] = set()

    def heard() -> bool:
        partial = browser.find_element(By.ID, "partial").text
        if partial:
            partials.add(partial)
        text = normalise(_finals_text(browser))
        return "fellow americans" in text and "country" in text

    _wait(heard, 120, "the final text of the fake microphone", browser)
    assert partials, "no partial transcript was shown before the finals"
    words = browser.find_elements(By.CSS_SELECTOR, "#finals .word")
    assert words and all("confidence" in w.get_attribute("title") for w in words)
    assert browser.find_elements(By.CSS_SELECTOR, "#finals .final.spk-0")
    shot = SCREENSHOT if os.environ.get("PULSE_UPDATE_SCREENSHOTS") == "1" else tmp_path / SCREENSHOT.name
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 0
    browser.find_element(By.ID, "mic-stop").click()
    _wait(lambda: browser.find_element(By.ID, "status").text == "stopped", 60, "the session to end", browser)


@pytest.mark.slow
def test_file_upload_shows_speakers_and_voice_badges(server: ServerProcess, browser) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    browser.get(f"{server.base_url}/playground/#key={server.api_key}")
    for option in ("diarize", "gender_detection", "emotion_detection"):
        browser.find_element(By.ID, option).click()
    browser.find_element(By.ID, "file").send_keys(str(DATA / "asr_en" / "pyannote_sample.flac"))
    browser.find_element(By.ID, "upload").click()
    _wait(lambda: browser.find_element(By.ID, "status").text in ("done",) or "error" in
          browser.find_element(By.ID, "status").text, 180, "the upload result", browser)
    assert browser.find_element(By.ID, "status").text == "done"
    rows = browser.find_elements(By.CSS_SELECTOR, "#finals .final")
    speakers = {c for row in rows for c in row.get_attribute("class").split() if c.startswith("spk-")}
    assert len(speakers) >= 2, "a two-speaker call should show two speaker colours"
    summary = browser.find_element(By.ID, "summary").text
    assert "gender:" in summary and "emotion:" in summary
