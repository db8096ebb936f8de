"""A year of demo dossiers, so the statistics (and the queues) have something
to show: ``seed_year()``, run by ``manage.py seed_history`` after
``seed_demo``.

The dossiers are written with ``bulk_create`` (running thousands through
``onecounter.transitions`` would take minutes), but each is made as the state
machine would have made it: a life of steps (submit, receive, assign, …,
hand_back) with working-day dates from ``WorkCalendar``, cut at the present
moment, so a dossier received last week may still be in processing and one
received last year is long returned. Its fields follow its events: codes from
the agency's ``DossierCodeCounter`` (updated, so real dossiers never collide),
``due_date`` from the calendar and the procedure's days for the channel, the
decision, result and finishing times from the events. Every event is marked
processed (no slips or notices are produced for history).

A few dossiers of each demo agency are then made to wait, yesterday, in each
queue (to receive, to assign, assigned to the demo officer, to sign, to hand
back), and every status is made to appear at least once. Finally the
statistics of the period are rebuilt (``stats.services.rebuild_period``).

Safe to run again: the first event of each seeded dossier is marked, and a
database that has them is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from citizens import demo as citizen_demo
from citizens.models import Agency, Person, Role, StaffMembership, User
from onecounter.models import (
    ApologySlip,
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    DossierStatus,
    Payment,
    Rating,
    SupplementRequest,
)
from procedures.models import Procedure
from stats import services
from workdays.calendar import WorkCalendar

S = DossierStatus
MARK = "demo_history"
DEFAULT_PER_DAY = 15
DEFAULT_DAYS = 365
SEED = 766
ONLINE_APPLICANTS = 40

# The share of dossiers taking each path (the rest are approved).
REFUSED_SHARE = 0.03
WITHDRAWN_SHARE = 0.02
REJECTED_SHARE = 0.06
SUPPLEMENT_BEFORE_RECEIPT_SHARE = 0.06
SUPPLEMENT_SHARE = 0.12
LATE_SHARE = 0.085
APOLOGISED_SHARE_OF_LATE = 0.35
STUCK_SHARE = 0.015  # left in processing far past the date: the overdue ones
RATED_SHARE = 0.35

# What waits in each demo agency's queues on first sign-in: (path, stop at).
QUEUE_SAMPLES: list[tuple[str, str]] = [
    ("approve", S.SUBMITTED),
    ("approve", S.RECEIVED),
    ("approve", S.IN_PROCESSING),
    ("approve", S.AWAITING_SUPPLEMENT),
    ("approve", S.PROPOSED),
    ("approve", S.RESULT_READY),
]
# Every status at least once somewhere (the statistics show each of them).
STATUS_SAMPLES: dict[str, tuple[str, str]] = {
    S.SUPPLEMENT_REQUESTED: ("supplement_before_receipt", S.SUPPLEMENT_REQUESTED),
    S.APPROVED: ("approve", S.APPROVED),
    S.REJECTED: ("reject", S.REJECTED),
    S.RETURNED: ("approve", S.RETURNED),
    S.REFUSED: ("refuse", S.REFUSED),
    S.WITHDRAWN: ("withdraw", S.WITHDRAWN),
}

REASONS = {
    "refuse": "Thủ tục không thuộc thẩm quyền giải quyết của cơ quan.",
    "withdraw": "Người nộp xin rút hồ sơ.",
    "reject": "Hồ sơ không đủ điều kiện theo quy định.",
    "apologise": "Cần xác minh thêm với cơ quan liên quan.",
}
SUPPLEMENT_ITEMS = ["Bản sao giấy tờ tùy thân còn hiệu lực", "Tờ khai có chữ ký của người nộp"]
SCORES = [5] * 55 + [4] * 25 + [3] * 10 + [2] * 5 + [1] * 5


@dataclass
class Summary:
    dossiers: int = 0
    events: int = 0
    payments: int = 0
    ratings: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    start: dt.date | None = None
    end: dt.date | None = None
    facts: int = 0
    cells: int = 0
    seconds: float = 0.0
    already: bool = False

    def lines(self) -> list[str]:
        if self.already:
            return [f"Demo history: already seeded ({self.dossiers:,} dossiers), left as it is."]
        by_status = ", ".join(f"{s} {n:,}" for s, n in sorted(self.statuses.items()))
        return [
            f"Demo history: {self.dossiers:,} dossiers from {self.start} to {self.end} "
            f"({self.events:,} events, {self.payments:,} online payments, "
            f"{self.ratings:,} ratings) in {self.seconds:.1f} s",
            f"  by status: {by_status}",
            f"  statistics: {self.facts:,} facts, {self.cells:,} daily cells",
        ]


@dataclass
class Staff:
    clerk: User | None
    officer: User | None
    head: User | None


@dataclass
class Step:
    action: str
    to_status: str
    at: dt.datetime
    actor: User | None
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass
class Applicant:
    name: str
    id_number: str
    person: Person | None
    user: User | None


class _Clock:
    """Times of the steps of one dossier: on working days, in office hours,
    always later than the step before."""

    def __init__(self, rng: random.Random, calendar: WorkCalendar, tz: dt.tzinfo) -> None:
        self.rng, self.calendar, self.tz = rng, calendar, tz
        self.last: dt.datetime | None = None

    def at(self, day: dt.date, earliest: dt.time = dt.time(7, 45)) -> dt.datetime:
        start = dt.datetime.combine(day, earliest, self.tz)
        moment = start + dt.timedelta(minutes=self.rng.randint(0, 150))
        if self.last is not None and moment <= self.last:
            moment = self.last + dt.timedelta(minutes=self.rng.randint(4, 45))
        self.last = moment
        return moment

    def soon(self, minutes: tuple[int, int] = (4, 30)) -> dt.datetime:
        assert self.last is not None
        self.last = self.last + dt.timedelta(minutes=self.rng.randint(*minutes))
        return self.last


class _Seeder:
    def __init__(self, *, today: dt.date, now: dt.datetime, rng: random.Random) -> None:
        self.today, self.now, self.rng = today, now, rng
        self.tz = timezone.get_current_timezone()
        self.calendar = WorkCalendar.load(
            start=today - dt.timedelta(days=DEFAULT_DAYS * 3), end=today + dt.timedelta(days=400)
        )
        codes = [a.code for a in citizen_demo.AGENCIES]
        self.agencies = list(Agency.objects.filter(code__in=codes).order_by("code"))
        self.staff = {a.pk: self._staff_of(a) for a in self.agencies}
        self.offers: list[tuple[Agency, Procedure]] = []
        procedures = (
            Procedure.objects.filter(is_published=True, offered_by__in=self.agencies)
            .distinct()
            .prefetch_related("offered_by")
        )
        by_pk = {a.pk: a for a in self.agencies}
        for procedure in procedures.order_by("code"):
            for agency in procedure.offered_by.all():
                if agency.pk in by_pk:
                    self.offers.append((by_pk[agency.pk], procedure))
        self.applicants = self._applicants()
        self.online_applicants = [a for a in self.applicants if a.user is not None]
        self.counters: dict[tuple[Any, dt.date], int] = {
            (row.agency_id, row.day): row.last
            for row in DossierCodeCounter.objects.filter(
                agency__in=self.agencies, day__gte=today - dt.timedelta(days=DEFAULT_DAYS * 3)
            )
        }
        self.drafts: list[Dossier] = []
        self.to_render: set[Any] = set()  # the queue samples: rendered by the outbox sweep
        self.used: set[tuple[Any, dt.date]] = set()
        self.dossiers: list[Dossier] = []
        self.steps: dict[Any, list[Step]] = {}

    # --- people -------------------------------------------------------------------------

    def _staff_of(self, agency: Agency) -> Staff:
        def first(role: str) -> User | None:
            membership = (
                StaffMembership.objects.filter(agency=agency, role=role, is_active=True)
                .select_related("user")
                .order_by("user__email")
                .first()
            )
            return membership.user if membership else None

        # The demo accounts first, so the demo officer is the one given the work.
        demo_users = {
            s.role: User.objects.filter(email=s.email).first()
            for s in citizen_demo.ACCOUNTS
            if s.agency == agency.code and s.role
        }
        return Staff(
            clerk=demo_users.get(Role.CLERK) or first(Role.CLERK),
            officer=demo_users.get(Role.OFFICER) or first(Role.OFFICER),
            head=demo_users.get(Role.HEAD) or first(Role.HEAD),
        )

    def _applicants(self) -> list[Applicant]:
        people = list(
            Person.objects.filter(
                status="living", birth_date__lte=dt.date(self.today.year - 20, 1, 1)
            )
            .order_by("id_number")
            .only("pk", "full_name", "id_number")[:600]
        )
        if not people:
            names = ["Nguyễn Văn Bình", "Trần Thị Mai", "Lê Hoàng Nam", "Phạm Thu Hằng"]
            return [
                Applicant(name, "", None, self._online_user(n, name, None))
                for n, name in enumerate(names)
            ]
        result = []
        for n, person in enumerate(people):
            user = self._online_user(n, person.full_name, person) if n < ONLINE_APPLICANTS else None
            result.append(Applicant(person.full_name, person.id_number, person, user))
        return result

    def _online_user(self, n: int, name: str, person: Person | None) -> User:
        """An account of a synthetic citizen who files online (never signs in)."""
        email = f"nguoidan{n + 1:02d}@history.demo"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, full_name=name)
            user.set_unusable_password()
            user.save()
        return user

    # --- one dossier's life ---------------------------------------------------------------

    def _channel(self, procedure: Procedure) -> str:
        roll = self.rng.random()
        if procedure.online_level in (Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL):
            share = 0.7 if procedure.online_level == Procedure.OnlineLevel.FULL else 0.45
            if roll < share:
                return Dossier.Channel.ONLINE
            return Dossier.Channel.POST if roll > 0.96 else Dossier.Channel.COUNTER
        return Dossier.Channel.POST if roll > 0.93 else Dossier.Channel.COUNTER

    def _path(self, channel: str) -> str:
        roll = self.rng.random()
        for path, share in (
            ("refuse", REFUSED_SHARE),
            ("withdraw", WITHDRAWN_SHARE),
            ("reject", REJECTED_SHARE),
        ):
            if roll < share:
                return path
            roll -= share
        if channel == Dossier.Channel.ONLINE and roll < SUPPLEMENT_BEFORE_RECEIPT_SHARE:
            return "supplement_before_receipt"
        return "approve"

    def life(
        self,
        agency: Agency,
        procedure: Procedure,
        channel: str,
        day: dt.date,
        applicant: Applicant,
        path: str,
        *,
        quick: bool = False,
    ) -> tuple[list[Step], dict[str, Any]]:
        """Every step the dossier takes from its submission on ``day`` (not
        yet cut at the present), and the facts its fields follow from.
        ``quick``: everything on ``day`` (the queue samples)."""
        rng, cal = self.rng, self.calendar
        staff = self.staff[agency.pk]
        clock = _Clock(rng, cal, self.tz)
        steps: list[Step] = []
        info: dict[str, Any] = {}
        online = channel == Dossier.Channel.ONLINE
        submitter = applicant.user if online else staff.clerk

        def add(action: str, to: str, at: dt.datetime, actor: User | None, **data: Any) -> None:
            reason = REASONS.get(action, "") if action != "apologise" else REASONS["apologise"]
            steps.append(Step(action, to, at, actor, data, reason))

        def later(base: dt.date, low: int, high: int) -> dt.date:
            return base if quick else cal.add_working_days(base, rng.randint(low, high))

        # Submission (and, at the counter, receipt a few minutes later).
        if online and not quick:
            hour = rng.choice([7, 8, 9, 10, 11, 13, 14, 15, 16, 19, 20, 21, 22])
            submitted = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59)), self.tz)
            clock.last = submitted
        else:
            submitted = clock.at(day)
        add("submit", S.SUBMITTED, submitted, submitter)
        if path == "refuse":
            at = clock.soon() if not online else clock.at(later(day, 0 if quick else 1, 1))
            add("refuse", S.REFUSED, at, staff.clerk)
            return steps, info
        if path == "supplement_before_receipt":
            asked = clock.at(later(day, 1, 1)) if not quick else clock.soon()
            add("request_supplement_before_receipt", S.SUPPLEMENT_REQUESTED, asked, staff.clerk)
            info["supplement_before"] = asked
            resent_day = later(asked.date(), 1, 4)
            add(
                "resubmit",
                S.SUBMITTED,
                clock.at(resent_day, dt.time(8, 0)) if not quick else clock.soon(),
                applicant.user,
            )
            info["resubmitted"] = steps[-1].at
        # Receipt: online in office hours after the submission, else at once.
        last = clock.last
        assert last is not None
        if online:
            local = timezone.localtime(last, self.tz)
            if quick or (cal.is_working_day(local.date()) and local.time() < dt.time(15, 0)):
                received = clock.soon((20, 150) if not quick else (4, 30))
            else:
                received = clock.at(cal.next_working_day(local.date()), dt.time(7, 50))
        else:
            received = clock.soon((3, 15))
        add("receive", S.RECEIVED, received, staff.clerk)
        days = procedure.days_online if online else procedure.days_counter
        receipt_day = cal.receipt_day(received)
        due = cal.due_date(received, days)
        info.update(received_at=received, due=due, original_due=due)
        # The promised date after each step that moves it.
        info["due_after"] = {"receive": due}

        # How long it takes, in working days of the clock after the receipt day.
        stuck = not quick and rng.random() < STUCK_SHARE
        late = not quick and not stuck and rng.random() < LATE_SHARE
        if stuck:
            clock_days = days + rng.randint(25, 60)
        elif late:
            clock_days = days + rng.randint(1, 6)
        elif quick or days == 0:
            clock_days = 0
        else:
            clock_days = rng.randint(max(1, round(days * 0.4)), days)
        # An apology is issued before the date passes (a dossier that will be late).
        apologise = late and days > 0 and rng.random() < APOLOGISED_SHARE_OF_LATE
        supplement = (
            path in ("approve", "reject")
            and not apologise
            and clock_days >= 2
            and rng.random() < SUPPLEMENT_SHARE
        ) or (quick and path == "approve")
        pause = 0 if quick else rng.randint(2, 6)
        resolve_off = clock_days + (pause if supplement else 0)

        assign_off = 0 if quick or resolve_off < 2 else rng.randint(0, 1)
        add(
            "assign",
            S.IN_PROCESSING,
            clock.at(cal.add_working_days(receipt_day, assign_off)),
            staff.head if rng.random() < 0.5 else staff.clerk,
            officer=str(staff.officer.pk) if staff.officer else "",
        )
        if path == "withdraw":
            off = 0 if quick else rng.randint(assign_off, max(assign_off, min(3, days)))
            add(
                "withdraw",
                S.WITHDRAWN,
                clock.at(cal.add_working_days(receipt_day, off)),
                applicant.user if online else staff.clerk,
            )
            return steps, info
        if supplement:
            ask_off = 0 if quick else rng.randint(max(1, assign_off), max(1, clock_days - 1))
            asked_day = cal.add_working_days(receipt_day, ask_off)
            add(
                "request_supplement",
                S.AWAITING_SUPPLEMENT,
                clock.at(asked_day),
                staff.officer,
                items=SUPPLEMENT_ITEMS[:1],
            )
            info["paused_on"] = asked_day
            resumed_day = cal.add_working_days(asked_day, pause)
            add(
                "supply",
                S.IN_PROCESSING,
                clock.at(resumed_day) if not quick else clock.soon(),
                applicant.user if online else staff.clerk,
            )
            info["resumed_on"] = resumed_day
            info["due"] = cal.extend_for_pause(info["due"], asked_day, resumed_day)
            info["due_after"]["supply"] = info["due"]
        resolve_day = cal.add_working_days(receipt_day, resolve_off)
        if apologise:
            # The working day before the date, an apology with a new date (counts as late).
            apology_day = cal.add_working_days(receipt_day, max(assign_off, days - 1))
            new_due = cal.add_working_days(max(resolve_day, info["due"]), rng.randint(0, 2))
            if new_due <= info["due"]:
                new_due = cal.next_working_day(info["due"])
            add(
                "apologise",
                steps[-1].to_status,
                clock.at(apology_day),
                staff.officer,
                new_due_date=new_due.isoformat(),
            )
            info["apology"] = (info["due"], new_due)
            info["due"] = new_due
            info["due_after"]["apologise"] = new_due
        propose_day = (
            resolve_day
            if quick
            else cal.add_working_days(receipt_day, max(assign_off, resolve_off - 1))
        )
        if propose_day < (info.get("resumed_on") or propose_day):
            propose_day = info["resumed_on"]
        decision = "reject" if path == "reject" else "approve"
        add("propose", S.PROPOSED, clock.at(propose_day), staff.officer, decision=decision)
        decided = clock.at(max(resolve_day, propose_day), dt.time(9, 0))
        if decision == "reject":
            add("reject", S.REJECTED, decided, staff.head)
        else:
            add("approve", S.APPROVED, decided, staff.head)
        # Usually the same day; sometimes the result takes a working day or two.
        ready_day = later(decided.date(), 1, 2)
        if quick or rng.random() > 0.1 or (ready_day > info["due"] and not late and not stuck):
            ready = clock.soon((10, 90))
        else:
            ready = clock.at(ready_day)
        add("mark_result_ready", S.RESULT_READY, ready, staff.officer)
        collected_day = later(ready.date(), 0, 3 if online else 8)
        add(
            "hand_back",
            S.RETURNED,
            clock.at(collected_day, dt.time(8, 0)) if not quick else clock.soon(),
            staff.clerk,
        )
        return steps, info

    # --- making the rows --------------------------------------------------------------------

    def _code(self, agency: Agency, day: dt.date) -> str:
        key = (agency.pk, day)
        if key not in self.counters:
            row = DossierCodeCounter.objects.filter(agency=agency, day=day).first()
            self.counters[key] = row.last if row else 0
        self.counters[key] += 1
        self.used.add(key)
        return f"{agency.code}-{day:%y%m%d}-{self.counters[key]:04d}"

    def add(
        self,
        agency: Agency,
        procedure: Procedure,
        channel: str,
        day: dt.date,
        path: str,
        *,
        stop_at: str | None = None,
        quick: bool = False,
    ) -> Dossier | None:
        applicant = self.rng.choice(
            self.online_applicants if channel == Dossier.Channel.ONLINE else self.applicants
        )
        steps, info = self.life(agency, procedure, channel, day, applicant, path, quick=quick)
        if stop_at is not None:
            cut = next(i for i, s in enumerate(steps) if s.to_status == stop_at)
            steps = steps[: cut + 1]
        steps = [s for s in steps if s.at <= self.now]
        if not steps:
            return None
        status = steps[-1].to_status
        by_action = {s.action: s for s in steps}
        received = by_action.get("receive")
        online = channel == Dossier.Channel.ONLINE
        fee = procedure.fee_online if online else procedure.fee_counter
        submitted = steps[0].at
        dossier = Dossier(
            id=uuid.uuid4(),
            code=self._code(agency, timezone.localtime(submitted, self.tz).date()),
            procedure=procedure,
            agency=agency,
            channel=channel,
            status=status,
            applicant=applicant.user if online else None,
            applicant_person=applicant.person,
            applicant_name=applicant.name,
            applicant_id_number=applicant.id_number,
            created_by=steps[0].actor,
            created_at=submitted - dt.timedelta(minutes=self.rng.randint(3, 25)),
            updated_at=steps[-1].at,
            submitted_at=submitted,
            received_at=received.at if received else None,
            fee=fee,
            paid_at=submitted if online and fee else None,
        )
        if received:
            dossier.original_due_date = info["original_due"]
            # The date as the last kept step that moved it left it.
            for action in ("receive", "supply", "apologise"):
                if action in by_action and action in info["due_after"]:
                    dossier.due_date = info["due_after"][action]
            dossier.apologised = "apologise" in by_action
        if status == S.AWAITING_SUPPLEMENT:
            dossier.paused_on = info["paused_on"]
        if "assign" in by_action:
            officer = self.staff[agency.pk].officer
            dossier.assigned_to = officer
        if "propose" in by_action:
            dossier.proposal = by_action["propose"].data["decision"]
        decided = by_action.get("approve") or by_action.get("reject")
        if decided:
            dossier.decided_at = decided.at
            if decided.action == "reject":
                dossier.decision_note = REASONS["reject"]
        if "mark_result_ready" in by_action:
            dossier.result_ready_at = by_action["mark_result_ready"].at
        finished = by_action.get("hand_back") or by_action.get("refuse")
        finished = finished or by_action.get("withdraw")
        if finished:
            dossier.finished_at = finished.at
        steps[0].data[MARK] = True
        self.dossiers.append(dossier)
        self.steps[dossier.id] = steps
        dossier.demo_info = info  # type: ignore[attr-defined]
        return dossier

    def year(self, start: dt.date, per_day: int) -> None:
        if not self.offers:
            return
        # Ward procedures are filed far more often than the city's.
        weights = [3 if p.level == Procedure.Level.COMMUNE else 1 for _a, p in self.offers]
        day = start
        while day <= self.today:
            if self.calendar.is_working_day(day):
                count = max(0, round(self.rng.gauss(per_day, per_day * 0.25)))
                for agency, procedure in self.rng.choices(self.offers, weights, k=count):
                    channel = self._channel(procedure)
                    self.add(agency, procedure, channel, day, self._path(channel))
            day += dt.timedelta(days=1)

    def samples(self) -> None:
        """Work waiting in each demo agency's queues, and every status somewhere."""
        day = self.today
        while True:
            day -= dt.timedelta(days=1)
            if self.calendar.is_working_day(day):
                break
        offered = defaultdict(list)
        for agency, procedure in self.offers:
            offered[agency.pk].append(procedure)
        seen = Counter(d.status for d in self.dossiers)
        for agency in self.agencies:
            procedures = [p for p in offered[agency.pk] if p.online_level != "info"]
            procedures = procedures or offered[agency.pk]
            # The samples are to be worked in the demo: a procedure whose
            # handler needs no particular answers (the generic form) when
            # the agency offers one, so that approving a sample works.
            procedures = [p for p in procedures if p.handler == "form"] or procedures
            if not procedures or self.staff[agency.pk].officer is None:
                continue
            have = Counter(d.status for d in self.dossiers if d.agency_id == agency.pk)
            for path, stop in QUEUE_SAMPLES:
                for _ in range(max(0, 2 - have[stop])):
                    procedure = self.rng.choice(procedures)
                    online = procedure.online_level in ("full", "partial")
                    channel = Dossier.Channel.ONLINE if online else Dossier.Channel.COUNTER
                    made = self.add(agency, procedure, channel, day, path, stop_at=stop, quick=True)
                    if made:
                        seen[made.status] += 1
                        self.to_render.add(made.id)
        for status, (path, stop) in STATUS_SAMPLES.items():
            if seen[status] or not self.offers:
                continue
            online_offers = [o for o in self.offers if o[1].online_level in ("full", "partial")]
            agency, procedure = self.rng.choice(online_offers or self.offers)
            channel = Dossier.Channel.ONLINE if online_offers else Dossier.Channel.COUNTER
            made = self.add(agency, procedure, channel, day, path, stop_at=stop, quick=True)
            if made:
                seen[made.status] += 1
        if not seen[S.DRAFT] and self.online_applicants and self.offers:
            # A draft is the applicant's own: no code, no events, counted nowhere.
            agency, procedure = self.offers[0]
            applicant = self.online_applicants[0]
            self.drafts += [
                Dossier(
                    procedure=procedure,
                    agency=agency,
                    channel=Dossier.Channel.ONLINE,
                    status=S.DRAFT,
                    applicant=applicant.user,
                    applicant_person=applicant.person,
                    applicant_name=applicant.name,
                    applicant_id_number=applicant.id_number,
                    created_by=applicant.user,
                    created_at=self.now - dt.timedelta(hours=2),
                    updated_at=self.now - dt.timedelta(hours=2),
                )
            ]

    def write(self, summary: Summary) -> None:
        drafts = self.drafts
        Dossier.objects.bulk_create(self.dossiers + drafts, batch_size=1000)
        events: list[DossierEvent] = []
        supplements: list[tuple[Dossier, DossierEvent]] = []
        apologies: list[tuple[Dossier, DossierEvent]] = []
        for dossier in self.dossiers:
            before = ""
            for seq, step in enumerate(self.steps[dossier.id], start=1):
                event = DossierEvent(
                    dossier=dossier,
                    seq=seq,
                    at=step.at,
                    actor=step.actor,
                    action=step.action,
                    from_status=before,
                    to_status=step.to_status,
                    reason=step.reason if step.action in REASONS else "",
                    data=step.data,
                    # The queue samples' slips and notices are made by the
                    # outbox sweep (the demo's worker), as for a real step:
                    # the clerk opening one finds its receipt. The year's
                    # thousands of others are marked done.
                    processed_at=None if dossier.id in self.to_render else step.at,
                )
                events.append(event)
                if step.action.startswith("request_supplement"):
                    supplements.append((dossier, event))
                elif step.action == "apologise":
                    apologies.append((dossier, event))
                before = step.to_status
        DossierEvent.objects.bulk_create(events, batch_size=2000)
        self._supplements(supplements)
        self._apologies(apologies)
        summary.payments = self._payments()
        summary.ratings = self._ratings()
        for agency_id, day in sorted(self.used, key=lambda k: (str(k[0]), k[1])):
            last = self.counters[(agency_id, day)]
            DossierCodeCounter.objects.update_or_create(
                agency_id=agency_id, day=day, defaults={"last": last}
            )
        summary.dossiers = len(self.dossiers) + len(drafts)
        summary.events = len(events)
        summary.statuses = Counter(d.status for d in self.dossiers + drafts)

    def _supplements(self, pairs: list[tuple[Dossier, DossierEvent]]) -> None:
        rows = []
        for dossier, event in pairs:
            steps = self.steps[dossier.id]
            answered_action = (
                "resubmit" if event.action == "request_supplement_before_receipt" else "supply"
            )
            answer = next((s for s in steps[event.seq :] if s.action == answered_action), None)
            rows.append(
                SupplementRequest(
                    dossier=dossier,
                    event=event,
                    items=SUPPLEMENT_ITEMS[:1],
                    before_receipt=event.action == "request_supplement_before_receipt",
                    requested_by=event.actor or self.staff[dossier.agency_id].clerk,
                    requested_at=event.at,
                    deadline=self.calendar.add_working_days(timezone.localdate(event.at), 7),
                    answered_at=answer.at if answer else None,
                    answered_by=answer.actor if answer else None,
                )
            )
        SupplementRequest.objects.bulk_create(rows, batch_size=1000)

    def _apologies(self, pairs: list[tuple[Dossier, DossierEvent]]) -> None:
        rows = []
        for dossier, event in pairs:
            old, new = dossier.demo_info["apology"]  # type: ignore[attr-defined]
            rows.append(
                ApologySlip(
                    dossier=dossier,
                    event=event,
                    old_due_date=old,
                    new_due_date=new,
                    reason=REASONS["apologise"],
                    issued_by=event.actor,
                    issued_at=event.at,
                )
            )
        ApologySlip.objects.bulk_create(rows, batch_size=1000)

    def _payments(self) -> int:
        rows = [
            Payment(
                dossier=d,
                provider="test",
                reference=f"{timezone.localtime(d.paid_at, self.tz):%y%m%d}{uuid.uuid4().hex[:12].upper()}",
                amount=d.fee,
                status=Payment.Status.PAID,
                provider_transaction=f"DEMO{n:08d}",
                created_at=d.paid_at - dt.timedelta(minutes=2),
                paid_at=d.paid_at,
            )
            for n, d in enumerate(self.dossiers)
            if d.paid_at is not None
        ]
        Payment.objects.bulk_create(rows, batch_size=1000)
        return len(rows)

    def _ratings(self) -> int:
        rows = []
        for d in self.dossiers:
            if d.status != S.RETURNED or d.applicant is None or d.finished_at is None:
                continue
            if self.rng.random() >= RATED_SHARE:
                continue
            at = d.finished_at + dt.timedelta(hours=self.rng.randint(1, 60))
            if at > self.now:
                continue
            score = self.rng.choice(SCORES)
            comment = "" if score >= 4 else "Thời gian chờ còn lâu."
            rows.append(
                Rating(dossier=d, user=d.applicant, score=score, comment=comment, created_at=at)
            )
        Rating.objects.bulk_create(rows, batch_size=1000)
        return len(rows)


def seeded_count() -> int:
    """How many seeded dossiers there are (0: never seeded)."""
    return DossierEvent.objects.filter(seq=1, **{f"data__{MARK}": True}).count()


def seed_year(
    today: dt.date | None = None,
    per_day: int = DEFAULT_PER_DAY,
    *,
    days: int = DEFAULT_DAYS,
    seed: int = SEED,
) -> Summary:
    """About ``days`` days of dossiers ending today (``per_day`` per working
    day over the demo agencies and the procedures they offer), then the
    statistics of the period. Needs ``seed_demo`` first; does nothing when
    the history is there already."""
    started = time.monotonic()
    existing = seeded_count()
    if existing:
        return Summary(dossiers=existing, already=True)
    now = timezone.now()
    today = today or timezone.localdate(now)
    if today != timezone.localdate(now):
        # A history ending another day: the present moment is the end of that day.
        now = dt.datetime.combine(today, dt.time(17, 0), timezone.get_current_timezone())
    start = today - dt.timedelta(days=days)
    rng = random.Random(seed)
    summary = Summary(start=start, end=today)
    with transaction.atomic():
        seeder = _Seeder(today=today, now=now, rng=rng)
        seeder.year(start, per_day)
        seeder.samples()
        seeder.write(summary)
    summary.facts, summary.cells = services.rebuild_period(start, today)
    summary.seconds = time.monotonic() - started
    return summary
