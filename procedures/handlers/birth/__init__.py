"""Birth registration (Đăng ký khai sinh): registers the handler "birth"."""

from procedures.handlers.birth.handler import BirthHandler

__all__ = ["BirthHandler"]
