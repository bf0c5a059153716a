"""Screenshots of a run's report and interactive view in a real browser engine (Chromium, through
Qt WebEngine), for the README.

Usage (PySide6 is not a dependency of LatentNAS: install it in a separate environment)::

    python3 -m venv /tmp/shot && /tmp/shot/bin/pip install PySide6
    /tmp/shot/bin/python bench/screenshot.py RUN_DIR --out docs/images

Writes ``report.png`` (the top of ``report.html``) and ``interactive.png`` (``plots/pareto.html``
with the hover label of the first Pareto architecture shown, as a mouse over it would).
Prints the page's JavaScript errors, if any (none expected).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

from PySide6.QtCore import QSize, QTimer, QUrl  # noqa: E402
from PySide6.QtWebEngineCore import QWebEnginePage  # noqa: E402
from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

# shows the hover label of the first point of the "Pareto set" trace
HOVER = """(() => { const gd = document.querySelector('.plotly-graph-div');
  const k = gd.data.findIndex(t => t.name === 'Pareto set');
  if (k >= 0) Plotly.Fx.hover(gd, [{curveNumber: k, pointNumber: 0}]); return k; })()"""


class Page(QWebEnginePage):
    def javaScriptConsoleMessage(self, level, message, line, source):  # noqa: N802 - Qt's name
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            print(f"javascript error: {message} ({source}:{line})")


def shoot(app: QApplication, page: Path, out: Path, size: tuple[int, int], script: str | None) -> None:
    view = QWebEngineView()
    view.setPage(Page(view))
    view.resize(QSize(*size))

    def save() -> None:
        view.grab().save(str(out))
        print(f"wrote {out}")
        app.quit()

    def loaded(ok: bool) -> None:
        if not ok:
            print(f"could not load {page}")
            app.quit()
            return
        if script:
            view.page().runJavaScript(script, 0, lambda _: QTimer.singleShot(800, save))
        else:
            QTimer.singleShot(1500, save)

    view.loadFinished.connect(loaded)
    view.load(QUrl.fromLocalFile(str(page.resolve())))
    view.show()
    app.exec()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    shoot(app, args.run_dir / "report.html", args.out / "report.png", (1100, 1000), None)
    shoot(app, args.run_dir / "plots" / "pareto.html", args.out / "interactive.png", (1000, 600), HOVER)


if __name__ == "__main__":
    main()
