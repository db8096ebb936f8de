"""factory_boy factories: the one place tests make objects."""

import datetime as dt

import factory
from allauth.account.models import EmailAddress

from citizens.models import (
    AdministrativeUnit,
    Agency,
    Household,
    HouseholdMembership,
    Role,
    StaffMembership,
    User,
)

PASSWORD = "Mat-khau-thu-nghiem-2026"


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit
        django_get_or_create = ("era", "level", "code")

    era = AdministrativeUnit.Era.CURRENT
    level = AdministrativeUnit.Level.PROVINCE
    code = "01"
    name = "Thành phố Hà Nội"
    search_name = "thanh pho ha noi"


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit
        django_get_or_create = ("era", "level", "code")

    era = AdministrativeUnit.Era.CURRENT
    level = AdministrativeUnit.Level.COMMUNE
    code = factory.Sequence(lambda n: f"{90000 + n:05d}")
    name = factory.Sequence(lambda n: f"Phường Thử Nghiệm {n}")
    unit_type = "Phường"
    parent = factory.SubFactory(ProvinceFactory)
    search_name = factory.LazyAttribute(lambda o: o.name.lower())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"nguoidung{n}@example.vn")
    full_name = "Nguyễn Văn Thử"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"UBT{n}")
    name = factory.Sequence(lambda n: f"UBND phường Thử Nghiệm {n}")
    kind = Agency.Kind.PEOPLES_COMMITTEE
    unit = factory.SubFactory(WardFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = Role.CLERK


def make_id_number(sex: str, birth_date, serial: int, province: str = "001") -> str:
    """A valid personal ID number for this sex and birth date."""
    from citizens.idnumbers import century_sex_digit

    digit = century_sex_digit(sex, birth_date.year)
    return f"{province}{digit}{birth_date.year % 100:02d}{serial % 10**6:06d}"


class PersonFactory(factory.django.DjangoModelFactory):
    """A person record. Created through the ORM for speed; services are tested directly."""

    class Meta:
        model = "citizens.Person"

    full_name = "Nguyễn Thị Hoa"
    search_name = factory.LazyAttribute(lambda o: __import__("egov.text").text.fold(o.full_name))
    birth_date = factory.Faker("date_between", start_date="-70y", end_date="-20y")
    sex = "F"
    id_number = factory.LazyAttributeSequence(
        lambda o, n: make_id_number(o.sex, o.birth_date, 100000 + n)
    )
    permanent_address = "Số 1 phố Thử Nghiệm"


def make_family(ward) -> dict:
    """A married couple in the population database at Số 5 phố Kim Mã in
    ``ward`` (Nguyễn Thị Hoa, born 17/05/1995, Kinh; Trần Văn Bình, born
    01/02/1993, Mường), the mother heading their household HN0010001 and the
    father her spouse in it: ``{"mother", "father", "household"}``."""
    mother = PersonFactory(
        full_name="Nguyễn Thị Hoa",
        sex="F",
        birth_date=dt.date(1995, 5, 17),
        ethnicity="01",
        permanent_address="Số 5 phố Kim Mã",
        permanent_unit=ward,
    )
    father = PersonFactory(
        full_name="Trần Văn Bình",
        sex="M",
        birth_date=dt.date(1993, 2, 1),
        ethnicity="06",
        permanent_address="Số 5 phố Kim Mã",
        permanent_unit=ward,
        spouse=mother,
    )
    mother.spouse = father
    mother.save(update_fields=["spouse"])
    household = Household.objects.create(
        number="HN0010001", address="Số 5 phố Kim Mã", unit=ward, head=mother
    )
    for person, relation in ((mother, "head"), (father, "spouse")):
        HouseholdMembership.objects.create(
            household=household, person=person, relation=relation, start_date=dt.date(2020, 1, 1)
        )
    return {"mother": mother, "father": father, "household": household}


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "procedures.Field"
        django_get_or_create = ("code",)

    code = "civil-status"
    name = "Hộ tịch"
    name_en = "Civil status"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "procedures.Procedure"

    code = factory.Sequence(lambda n: f"9.{n:06d}")
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm {n}")
    search_name = factory.LazyAttribute(lambda o: __import__("egov.text").text.fold(o.name))
    field = factory.SubFactory(FieldFactory)
    online_level = "partial"
    agency_kind = Agency.Kind.PEOPLES_COMMITTEE
    level = "commune"
    days_online = 3
    days_counter = 5
    is_published = True


class DossierFactory(factory.django.DjangoModelFactory):
    """A draft dossier filed online by a citizen."""

    class Meta:
        model = "onecounter.Dossier"

    procedure = factory.SubFactory(ProcedureFactory)
    agency = factory.SubFactory(AgencyFactory)
    channel = "online"
    applicant = factory.SubFactory(UserFactory)
    applicant_name = "Nguyễn Văn An"
    applicant_phone = "0912345678"
