"""factory_boy factories: the one place tests make objects."""

import factory
from allauth.account.models import EmailAddress

from citizens.models import AdministrativeUnit, Agency, Role, StaffMembership, User

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
