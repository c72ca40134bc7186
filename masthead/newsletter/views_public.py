# Being written: sign-up, confirm and unsubscribe views (see CONTEXT.md).
from django.http import Http404


def signup(request):
    raise Http404


thanks = confirm = unsubscribe = signup
