import os

from django.core.wsgi import get_wsgi_application

from marketplace.startup import require_database_url

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

application = get_wsgi_application()
require_database_url()
