"""Death registration (Đăng ký khai tử, 1.000656): registers the handler "death".

The worked example of CONTRIBUTING.md ("Adding a procedure"): a procedure with
its own result and one handoff, all in this folder.

    forms.py     the declaration's page
    handler.py   the handler: checks, the effect of approval, what it issues and hands on
    results.py   the result it issues: the death registration extract (Trích lục khai tử)
    handoffs.py  what it hands on: the removal of the deceased's permanent residence,
                 to the ward police
"""

from procedures.handlers.death.handler import DeathHandler

__all__ = ["DeathHandler"]
