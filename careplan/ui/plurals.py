"""Counted words in English: "1 warning", "2 warnings", through Qt's own ``tr`` with ``n``.

Texts that count are written for Qt's numerus forms, ``self.tr("%n warning(s)", "", n)``
(``%Ln`` for a count with thousands separators), so a translation can give each language
its plural forms. With no translation installed Qt would show the source, "2 warning(s)";
:class:`EnglishPlurals` is the translation for English: it drops "(s)" for one and makes
it "s" otherwise. Every other text falls through to its source unchanged.

:func:`install` is called by the application and the main window (it is idempotent); it
also makes British English the default locale, so ``%Ln`` reads "50,000".
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

_MARK = "(s)"


class EnglishPlurals(QTranslator):
    """English plural forms for the sources written with "(s)"."""

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str | None:
        if n < 0 or _MARK not in source:
            return None  # no translation: Qt shows the source
        return source.replace(_MARK, "" if n == 1 else "s")

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return False


_INSTALLED: list[EnglishPlurals] = []


def install() -> None:
    """Install the English plural forms in the running application (once)."""
    app = QCoreApplication.instance()
    if app is None:
        return
    if _INSTALLED:
        try:
            if _INSTALLED[0].parent() is app:
                return
        except RuntimeError:  # the application it belonged to is gone
            pass
    _INSTALLED.clear()
    translator = EnglishPlurals(app)
    app.installTranslator(translator)
    _INSTALLED.append(translator)
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))


def count(context: str, source: str, n: int) -> str:
    """``source`` (with ``%n`` or ``%Ln`` and "(s)") for the count ``n``, outside a QObject."""
    install()
    return QCoreApplication.translate(context, source, None, n)
