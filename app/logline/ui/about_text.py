"""What Help > About Logline says: the version, the licences (the app's, its libraries', every
installed model's) and where the text of a document goes.

Plain text assembly, no Qt: the models' licences come from the catalog or their folders
(:func:`logline.models.model_facts.model_facts`), read once when the box opens.
"""

from __future__ import annotations

import html
import logging

from logline import __version__

log = logging.getLogger(__name__)

APP_LICENSE = "MIT"
UNKNOWN_LICENSE = "licence not stated"


def model_licences() -> list[tuple[str, str]]:
    """(model id, licence) for every model installed here, in the registry's order."""
    from logline.models.catalog import find_entry
    from logline.models.model_facts import model_facts
    from logline.models.registry import installed_models

    rows: list[tuple[str, str]] = []
    try:
        models = installed_models()
    except OSError as exc:  # an unreadable cache: the box still opens
        log.warning("Cannot list the installed models (%s)", type(exc).__name__)
        return rows
    for model in models:
        facts = model_facts(find_entry(model.model_id), model.path, model.model_id)
        rows.append((model.model_id, facts.license or UNKNOWN_LICENSE))
    return rows


def about_html() -> str:
    """The About box's rich text."""
    models = "".join(
        f"<li>{html.escape(name)}: {html.escape(licence)}</li>"
        for name, licence in model_licences()
    )
    return (
        f"<b>Logline</b> {__version__}<br>Summaries of screenplays and documents, and questions "
        "about them, with open models running on this computer: nothing leaves it unless you "
        "choose a model on a server, and every answer from a server says so.<br><br>"
        f"Logline is released under the {APP_LICENSE} licence. Its libraries keep their own "
        "licences, listed in THIRD_PARTY_NOTICES.md beside the app; Qt and PySide6 are "
        "LGPL-3.0, used unmodified and loaded dynamically."
        + (f"<br><br>Models installed here, and their licences:<ul>{models}</ul>" if models else "")
    )
