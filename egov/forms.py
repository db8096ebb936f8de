"""Form helpers shared by every app."""

from __future__ import annotations

from django import forms


def anchor_id(widget: forms.Widget, id_: str) -> str:
    """The id of the element a link to a question goes to (the error summary's,
    the check page's): the control itself, or the first part of a question
    asked as a group (radio buttons, an address, a date in boxes), whose
    fieldset has no id of its own."""
    if not id_:
        return ""
    first = widget.id_for_label(id_)
    if first:
        return first
    if widget.use_fieldset:
        return f"{id_}_0"
    return id_
