import os

from django.core.asgi import get_asgi_application

from marketplace.startup import require_database_url

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

application = get_asgi_application()
require_database_url()
