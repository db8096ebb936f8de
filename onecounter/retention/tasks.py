"""Background jobs of the retention. Each takes ids and is safe to run twice.

``propose_destruction_lists`` (Celery beat, daily at 02:40) proposes one list
per agency with dossiers past retention and sweeps what a lost task left;
``execute_list`` carries out an approved list, enqueued after the approval's
commit.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="onecounter.retention.execute_list",
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def execute_list(list_id: int) -> int:
    """Destroy what the approved list names; returns how many items are done."""
    from egov.errors import ConflictError
    from onecounter.models import DestructionList
    from onecounter.retention import services

    destruction_list = DestructionList.objects.filter(pk=list_id).first()
    if destruction_list is None:
        return 0
    try:
        done = services.list_execute(destruction_list=destruction_list)
    except ConflictError:  # not approved (rejected meanwhile, or never): nothing to do
        return 0
    return done.items_done


@shared_task(name="onecounter.retention.propose_destruction_lists")
def propose_destruction_lists() -> int:
    """The daily proposal, then the sweep of approved lists not yet carried out."""
    from onecounter.retention import services

    proposed = services.propose_lists()
    services.sweep_lists()
    return len(proposed)
