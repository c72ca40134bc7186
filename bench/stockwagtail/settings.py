"""Masthead's settings plus the stock-Wagtail comparison page (bench/ must be on PYTHONPATH)."""

from masthead.settings import *  # noqa: F403
from masthead.settings import INSTALLED_APPS

INSTALLED_APPS = ["stockwagtail", *INSTALLED_APPS]
ROOT_URLCONF = "stockwagtail.urls"
