from django.conf import settings


def portal(request):
    user = getattr(request, "user", None)
    is_staff_member = bool(user and user.is_authenticated and user.is_staff_member)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "is_staff_member": is_staff_member,
    }
